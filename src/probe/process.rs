//! `kind = "process"`: processes found by name, command line or pid file, through the
//! shared system sampler; `count`, `cpu`, `memory` and `uptime` are its values.

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::model::{FailureClass, Observation};

pub const NAME: &str = "process";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "nginx-running"
kind = "process"
process = "nginx"
expect = ["count >= 1", "memory < 500MB"]"#;
pub const FIELDS: &[&str] = &["count", "cpu", "memory", "uptime"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

/// The keys of a process check; without any of them, the check's `name` is the
/// process name.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The process name to look for (exact match).
    #[schemars(with = "Option<String>")]
    pub process: Option<Spanned<String>>,
    /// A regular expression matched against the full command line.
    #[schemars(with = "Option<String>")]
    pub cmdline: Option<Spanned<String>>,
    /// A pid file; the check looks for the process it names.
    pub pid_file: Option<String>,
}

/// How a process check finds its processes.
#[derive(Debug, Clone)]
pub enum ProcessMatch {
    Name(String),
    Cmdline(regex::Regex),
    PidFile(PathBuf),
}

pub type Spec = ProcessMatch;

pub fn compile(keys: Keys, common: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let given = [keys.process.is_some(), keys.cmdline.is_some(), keys.pid_file.is_some()];
    if given.iter().filter(|given| **given).count() > 1 {
        scope.error(
            &scope.anchor(),
            "",
            "give only one of `process`, `cmdline`, `pid_file`",
            "keep the one that identifies the process best",
        );
        return None;
    }
    if let Some(name) = keys.process {
        return Some(ProcessMatch::Name(name.into_inner()));
    }
    if let Some(pattern) = keys.cmdline {
        return match regex::Regex::new(pattern.get_ref()) {
            Ok(re) => Some(ProcessMatch::Cmdline(re)),
            Err(e) => {
                scope.error(
                    &pattern.span(),
                    "cmdline",
                    format_args!("not a valid regular expression: {e}"),
                    "fix the pattern",
                );
                None
            }
        };
    }
    if let Some(path) = keys.pid_file {
        return Some(ProcessMatch::PidFile(PathBuf::from(path)));
    }
    match common.name {
        Some(name) => Some(ProcessMatch::Name(name.to_owned())),
        None => {
            scope.needs("process`, `cmdline` or `pid_file", "add `process = \"postgres\"`");
            None
        }
    }
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["count >= 1".into()]
}

pub fn target(spec: &Spec) -> String {
    match spec {
        ProcessMatch::Name(name) => format!("process named {name}"),
        ProcessMatch::Cmdline(regex) => format!("process whose command line matches {regex}"),
        ProcessMatch::PidFile(path) => format!("process in {}", path.display()),
    }
}

pub fn remote(_: &Spec) -> bool {
    false
}

pub async fn probe(spec: &Spec, context: &ProbeContext, _: Duration, _: Duration) -> Observation {
    context.system.process(spec).await
}
