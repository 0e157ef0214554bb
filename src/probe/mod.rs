//! Probes: one module per kind, each doing its I/O and returning an [`Observation`].
//!
//! A probe never touches the store, alerts or check state, and a failed probe is a
//! value (`Observation::failure`), not an `Err`. Timeouts are applied here as well as
//! by the engine, so a probe that ignores its own deadline still ends.

mod command;
mod http;
mod system;
mod tcp;

use std::sync::Arc;
use std::time::Duration;

use crate::config::ProbeSpec;
use crate::figures::OwnFigures;
use crate::model::{FailureClass, Observation, Value};

pub use self::http::HttpClients;

/// Shared state the probes need: HTTP connection pools, the sysinfo snapshot, and the
/// engine's own figures for the `self` probe. Cheap to clone.
#[derive(Clone)]
pub struct ProbeContext {
    pub http: HttpClients,
    pub system: Arc<system::Sampler>,
    pub own: Arc<OwnFigures>,
}

impl ProbeContext {
    pub fn new(own: Arc<OwnFigures>) -> ProbeContext {
        ProbeContext { http: HttpClients::default(), system: Arc::new(system::Sampler::default()), own }
    }
}

impl Default for ProbeContext {
    fn default() -> ProbeContext {
        ProbeContext::new(Arc::new(OwnFigures::default()))
    }
}

/// Runs one probe, of a check probed every `interval`. The deadline bounds everything
/// the probe does.
pub async fn run(context: &ProbeContext, spec: &ProbeSpec, timeout: Duration, interval: Duration) -> Observation {
    let probe = async {
        match spec {
            ProbeSpec::Http(http) => self::http::probe(&context.http, http, timeout, interval).await,
            ProbeSpec::Tcp { host, port } => tcp::probe(host, *port).await,
            ProbeSpec::System { metric, mount } => context.system.probe(*metric, mount.as_deref()).await,
            ProbeSpec::Process(matcher) => context.system.process(matcher).await,
            ProbeSpec::Command(command) => self::command::probe(command, timeout).await,
            ProbeSpec::Itself => itself(&context.own),
        }
    };
    match tokio::time::timeout(timeout, probe).await {
        Ok(observation) => observation,
        Err(_) => Observation::failed(
            FailureClass::Timeout,
            format!("no answer within {}", crate::config::units::format_duration(timeout)),
        ),
    }
}

fn itself(own: &OwnFigures) -> Observation {
    let lag = own.lag_percentile(0.99);
    let queue = OwnFigures::get(&own.queue_depth);
    let dropped = OwnFigures::get(&own.dropped);
    let memory = own_rss().unwrap_or(0);
    Observation {
        values: vec![
            ("lag", Value::Duration(lag)),
            ("queue", Value::Int(queue as i64)),
            ("dropped", Value::Int(dropped as i64)),
            ("memory", Value::Bytes(memory)),
        ],
        summary: format!(
            "lag p99 {}, queue {queue}, dropped {dropped}, memory {}",
            crate::config::units::format_duration(lag),
            crate::config::units::format_size(memory)
        ),
        ..Default::default()
    }
}

/// This process's resident set size, from /proc on Linux.
pub fn own_rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page_size).ok()?)
}
