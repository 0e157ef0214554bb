//! `kind = "docker"`: a container, through the Docker Engine API that the restart
//! action uses (Podman's socket serves the same API): its `state` (`running`,
//! `exited`, ...), `health` (`healthy`, `unhealthy`, `starting`, or `none` without a
//! health check), `restarts` (the engine's count) and `restarted` (how many since the
//! last probe; a container restarting in a loop is degraded by default).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::docker::{Docker, DockerError};
use crate::model::{FailureClass, Observation, Value};

pub const NAME: &str = "docker";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "db-container"
kind = "docker"
container = "postgres"
# state == "running" and health != "unhealthy" unless set; degraded when it restarted
expect = ["state == \"running\"", "health == \"healthy\""]"#;
pub const FIELDS: &[&str] = &["state", "health", "restarts", "restarted", "latency"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

/// The keys of a docker check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The container's name or id.
    #[schemars(with = "Option<String>")]
    pub container: Option<Spanned<String>>,
    /// The engine's socket (default `$DOCKER_HOST`, `/var/run/docker.sock`, then
    /// Podman's rootful and rootless sockets).
    pub socket: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub container: String,
    pub socket: Option<PathBuf>,
    /// The engine's client, kept once it connected.
    client: Arc<Mutex<Option<Docker>>>,
    /// The restart count at the last probe.
    last_restarts: Arc<Mutex<Option<u64>>>,
}

pub fn compile(keys: Keys, _: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let Some(container) = keys.container else {
        scope.needs("container", "add `container = \"web\"`: its name or id");
        return None;
    };
    if container.get_ref().trim().is_empty() {
        scope.error(&container.span(), "container", "is empty", "write the container's name or id");
        return None;
    }
    Some(Spec {
        container: container.into_inner(),
        socket: keys.socket.map(PathBuf::from),
        client: Arc::default(),
        last_restarts: Arc::default(),
    })
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["state == \"running\"".into(), "health != \"unhealthy\"".into()]
}

pub fn target(spec: &Spec) -> String {
    match &spec.socket {
        Some(socket) => format!("container {} on {}", spec.container, socket.display()),
        None => format!("container {}", spec.container),
    }
}

pub fn remote(_: &Spec) -> bool {
    false
}

pub async fn probe(spec: &Spec, _: &ProbeContext, timeout: Duration, _: Duration) -> Observation {
    let started = Instant::now();
    let kept = spec.client.lock().ok().and_then(|client| client.clone());
    let client = match kept {
        Some(client) => client,
        None => match Docker::connect(spec.socket.as_deref()) {
            Ok(client) => {
                if let Ok(mut kept) = spec.client.lock() {
                    *kept = Some(client.clone());
                }
                client
            }
            Err(e) => return failed(&e),
        },
    };
    // Boxed: an HTTP exchange over the socket, larger than most probes' whole run.
    let state = match Box::pin(client.state(&spec.container, timeout)).await {
        Ok(state) => state,
        Err(e) => return failed(&e),
    };
    let restarted = match spec.last_restarts.lock() {
        Ok(mut last) => {
            let since = last.map_or(0, |before| state.restarts.saturating_sub(before));
            *last = Some(state.restarts);
            since
        }
        Err(_) => 0,
    };
    let health = state.health.clone().unwrap_or_else(|| "none".into());
    let mut summary = match &state.health {
        Some(health) => format!("{} ({health})", state.status),
        None => state.status.clone(),
    };
    if restarted > 0 {
        summary.push_str(&format!(
            ", restarted {restarted} time{} since the last probe",
            if restarted == 1 { "" } else { "s" }
        ));
    } else if state.restarts > 0 {
        summary.push_str(&format!(", {} restart{}", state.restarts, if state.restarts == 1 { "" } else { "s" }));
    }
    Observation {
        latency: Some(started.elapsed()),
        values: vec![
            ("state", Value::Text(state.status)),
            ("health", Value::Text(health)),
            ("restarts", Value::Int(i64::try_from(state.restarts).unwrap_or(i64::MAX))),
            ("restarted", Value::Int(i64::try_from(restarted).unwrap_or(i64::MAX))),
        ],
        summary,
        ..Default::default()
    }
}

/// An engine that cannot tell: each fault with its class and the engine's own fix.
fn failed(error: &DockerError) -> Observation {
    let class = match error {
        DockerError::NoSuchContainer(_) => FailureClass::NotFound,
        DockerError::Timeout(_) => FailureClass::Timeout,
        DockerError::Forbidden(_) => FailureClass::Permission,
        DockerError::NoSocket { .. }
        | DockerError::Unreachable { .. }
        | DockerError::NotDocker { .. }
        | DockerError::Refused { .. } => FailureClass::ContainerEngine,
    };
    Observation::failed(class, format!("{error}: {}", error.resolution()))
}
