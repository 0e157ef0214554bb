//! `kind = "command"`: run a program (never through a shell); `exit`, `stdout` and
//! `latency` are its values.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::exec::{self, CommandSpec};
use crate::model::{FailureClass, Observation, Value};

pub const NAME: &str = "command";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "queue"
kind = "command"
command = ["/usr/local/bin/queue-depth", "--json"]
expect = ["exit == 0", "stdout < 1000"]"#;
pub const FIELDS: &[&str] = &["exit", "stdout", "latency"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

/// Output kept from a command probe.
const MAX_OUTPUT: usize = 64 * 1024;

/// The keys of a command check (and of a command action).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The program and its arguments, run without a shell.
    #[schemars(with = "Option<Vec<String>>")]
    pub command: Option<Spanned<Vec<String>>>,
    /// Extra environment variables.
    pub env: Option<BTreeMap<String, String>>,
    /// The working directory.
    pub cwd: Option<String>,
}

pub type Spec = CommandSpec;

pub fn compile(keys: Keys, _: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    CommandSpec::compile(keys.command, keys.env, keys.cwd, scope)
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["exit == 0".into()]
}

pub fn target(spec: &Spec) -> String {
    spec.argv.join(" ")
}

pub fn remote(_: &Spec) -> bool {
    false
}

pub async fn probe(spec: &Spec, _: &ProbeContext, timeout: Duration, _: Duration) -> Observation {
    let outcome = match exec::run(spec.request(timeout, MAX_OUTPUT, None)).await {
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
        values: vec![("exit", Value::Int(i64::from(exit))), ("stdout", Value::Text(outcome.output))],
        summary,
        ..Default::default()
    }
}
