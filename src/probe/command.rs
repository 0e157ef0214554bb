//! command: run a program; `exit`, `stdout` and `latency` are its values.

use std::time::Duration;

use crate::config::CommandSpec;
use crate::exec;
use crate::model::{FailureClass, Observation, Value};

/// Output kept from a command probe.
const MAX_OUTPUT: usize = 64 * 1024;

pub async fn probe(spec: &CommandSpec, timeout: Duration) -> Observation {
    let request = exec::Request {
        argv: &spec.argv,
        env: &spec.env,
        cwd: spec.cwd.as_deref(),
        timeout,
        max_output: MAX_OUTPUT,
        on_output: None,
    };
    let outcome = match exec::run(request).await {
        Ok(outcome) => outcome,
        Err(e) => return Observation::failed(FailureClass::ProbeError, e.to_string()),
    };
    if outcome.timed_out {
        return Observation::failed(FailureClass::Timeout, format!("`{}` {}", spec.argv[0], outcome.describe()));
    }
    let exit = outcome.exit_code.unwrap_or(-outcome.signal.unwrap_or(1));
    let first_line = outcome.output.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let summary = if first_line.is_empty() {
        outcome.describe()
    } else {
        format!("{}: {}", outcome.describe(), first_line.chars().take(120).collect::<String>())
    };
    Observation {
        latency: Some(outcome.duration),
        values: vec![("exit", Value::Int(i64::from(exit)))],
        body: Some(outcome.output),
        summary,
        ..Default::default()
    }
}
