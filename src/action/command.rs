//! `kind = "command"`: a program run with its argv, never through a shell; killed with
//! its process group at the timeout. Exit 0 is `ok`.

use std::time::Duration;

use super::{Context, Preview, Ran, MAX_OUTPUT};
use crate::diagnostic::Scope;
use crate::exec::{self, CommandSpec};
use crate::model::RunStatus;

pub const NAME: &str = "command";

/// The keys of a command action: those of a command check.
pub use crate::probe::command::Keys;

pub type Spec = CommandSpec;

pub fn compile(keys: Keys, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    CommandSpec::compile(keys.command, keys.env, keys.cwd, scope)
}

/// What it does, in one line: `runs systemctl --user restart api`.
pub fn describe(spec: &Spec) -> String {
    format!("runs {}", shell_words(&spec.argv))
}

/// What a dry run shows: the command as a person would type it, where and with what.
pub async fn preview(spec: &Spec, timeout: Duration, _: &Context) -> Preview {
    let mut output = format!("would run: {}", shell_words(&spec.argv));
    if let Some(cwd) = &spec.cwd {
        output.push_str(&format!("\nin: {}", cwd.display()));
    }
    for (key, _) in &spec.env {
        output.push_str(&format!("\nwith env: {key}"));
    }
    output.push_str(&format!("\ntimeout: {}", crate::units::format_duration(timeout)));
    output.into()
}

pub async fn run(spec: &Spec, timeout: Duration, on_output: Option<exec::OutputSink>, _: &Context) -> Ran {
    let started = std::time::Instant::now();
    let outcome = match exec::run(spec.request(timeout, MAX_OUTPUT, on_output)).await {
        Ok(outcome) => outcome,
        Err(e) => return Ran::of(RunStatus::Error, None, e.to_string(), started.elapsed()),
    };
    let status = if outcome.timed_out {
        RunStatus::Timeout
    } else if outcome.exit_code == Some(0) {
        RunStatus::Ok
    } else {
        RunStatus::Failed
    };
    let mut output = outcome.output.clone();
    if status != RunStatus::Ok {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&format!("[{}]", outcome.describe()));
    }
    if outcome.truncated {
        output.push_str("\n[output truncated]");
    }
    Ran::of(status, outcome.exit_code, output, outcome.duration)
}

/// An argv as a person would type it, for previews.
fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|word| {
            if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c)) {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
