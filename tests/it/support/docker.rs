//! A minimal Docker Engine API on a real unix socket: enough of it for the `restart`
//! action and the `docker` probe (restart, inspect). Podman's Docker-compatible service would do for real,
//! but these machines refuse to run containers (crun cannot set its rlimits here).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::net::UnixListener;

/// A restart asked for: the container and the `t` query.
type Restart = (String, Option<String>);

/// A container's status and its health (`None`: no health check).
type StateAndHealth = (String, Option<String>);

#[derive(Clone, Default)]
struct Engine {
    restarts: Arc<Mutex<Vec<Restart>>>,
    /// Never answers a restart.
    hang: Arc<Mutex<bool>>,
    /// `web`'s state and health (`None`: no health check); `running`/`healthy` unset.
    state: Arc<Mutex<Option<StateAndHealth>>>,
    /// Restarts the engine counts besides those asked here (a restart policy's).
    crashes: Arc<Mutex<u64>>,
}

pub struct FakeDocker {
    pub socket: PathBuf,
    engine: Engine,
    server: tokio::task::JoinHandle<()>,
}

impl FakeDocker {
    /// Serves on `dir/docker.sock` with one container, `web`.
    pub fn start(dir: &Path) -> FakeDocker {
        let socket = dir.join("docker.sock");
        let listener = UnixListener::bind(&socket).expect("bind the unix socket");
        let engine = Engine::default();
        let app = Router::new()
            .route("/v1.41/containers/{name}/restart", post(restart))
            .route("/v1.41/containers/{name}/json", get(inspect))
            .with_state(engine.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeDocker { socket, engine, server }
    }

    pub fn restarts(&self) -> Vec<Restart> {
        self.engine.restarts.lock().unwrap().clone()
    }

    pub fn hang(&self) {
        *self.engine.hang.lock().unwrap() = true;
    }

    /// What inspecting `web` says of its state and health.
    pub fn set_state(&self, status: &str, health: Option<&str>) {
        *self.engine.state.lock().unwrap() = Some((status.to_owned(), health.map(str::to_owned)));
    }

    /// The container restarted by itself (its restart policy), `n` more times.
    pub fn crash(&self, n: u64) {
        *self.engine.crashes.lock().unwrap() += n;
    }
}

impl Drop for FakeDocker {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn restart(
    State(engine): State<Engine>,
    UrlPath(name): UrlPath<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if name != "web" {
        return (StatusCode::NOT_FOUND, Json(json!({"message": format!("No such container: {name}")}))).into_response();
    }
    let hang = *engine.hang.lock().unwrap();
    if hang {
        std::future::pending::<()>().await;
    }
    engine.restarts.lock().unwrap().push((name, query.get("t").cloned()));
    StatusCode::NO_CONTENT.into_response()
}

async fn inspect(State(engine): State<Engine>, UrlPath(name): UrlPath<String>) -> Response {
    if name != "web" {
        return (StatusCode::NOT_FOUND, Json(json!({"message": format!("No such container: {name}")}))).into_response();
    }
    let restarts = engine.restarts.lock().unwrap().len() as u64 + *engine.crashes.lock().unwrap();
    let (status, health) =
        engine.state.lock().unwrap().clone().unwrap_or_else(|| ("running".into(), Some("healthy".into())));
    let mut state = json!({"Status": status});
    if let Some(health) = health {
        state["Health"] = json!({"Status": health});
    }
    Json(json!({"State": state, "RestartCount": restarts})).into_response()
}
