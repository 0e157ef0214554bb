//! Recovery actions: run a configured action by id, capture its outcome.
//!
//! Only actions declared in config can run; there is no way to run an arbitrary
//! command. Verification and recording are the engine's: this module runs and reports.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::ActionConfig;
use crate::exec;
use crate::store::NewActionRun;

/// Output kept from an action run.
pub const MAX_OUTPUT: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Ok,
    Failed,
    Timeout,
    /// The program could not be started.
    Error,
    DryRun,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Timeout => "timeout",
            RunStatus::Error => "error",
            RunStatus::DryRun => "dry_run",
        }
    }
}

/// Who asked for a run, for the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    Cli,
    Api,
    Auto,
    /// The desktop app: its window or its tray.
    Desktop,
}

impl Requester {
    pub fn as_str(self) -> &'static str {
        match self {
            Requester::Cli => "cli",
            Requester::Api => "api",
            Requester::Auto => "auto",
            Requester::Desktop => "desktop",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub output: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration: Duration,
}

impl RunOutcome {
    /// The audit record of this run; the engine adds the check, incident and
    /// verification it knows of.
    pub fn audit(&self, action_id: &str, requester: Requester, dry_run: bool) -> NewActionRun {
        NewActionRun {
            action_id: action_id.to_owned(),
            check_id: None,
            incident_id: None,
            requested_by: requester.as_str().to_owned(),
            dry_run,
            started_at: self.started_at,
            finished_at: self.finished_at,
            status: self.status.as_str().to_owned(),
            exit_code: self.exit_code,
            output: self.output.clone(),
            duration_ms: self.duration.as_millis() as i64,
            verified: None,
        }
    }
}

/// Runs an action, or with `dry_run` describes what it would run. `on_output` sees the
/// output as it arrives.
pub async fn run(action: &ActionConfig, dry_run: bool, on_output: Option<exec::OutputSink>) -> RunOutcome {
    let started_at = Utc::now();
    if dry_run {
        let mut output = format!("would run: {}", shell_words(&action.command.argv));
        if let Some(cwd) = &action.command.cwd {
            output.push_str(&format!("\nin: {}", cwd.display()));
        }
        for (key, _) in &action.command.env {
            output.push_str(&format!("\nwith env: {key}"));
        }
        output.push_str(&format!("\ntimeout: {}", crate::config::units::format_duration(action.timeout)));
        return RunOutcome {
            status: RunStatus::DryRun,
            exit_code: None,
            output,
            started_at,
            finished_at: started_at,
            duration: Duration::ZERO,
        };
    }
    let request = exec::Request {
        argv: &action.command.argv,
        env: &action.command.env,
        cwd: action.command.cwd.as_deref(),
        timeout: action.timeout,
        max_output: MAX_OUTPUT,
        on_output,
    };
    let (status, exit_code, mut output, duration, truncated) = match exec::run(request).await {
        Ok(outcome) => {
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
            (status, outcome.exit_code, output, outcome.duration, outcome.truncated)
        }
        Err(e) => (
            RunStatus::Error,
            None,
            e.to_string(),
            Utc::now().signed_duration_since(started_at).to_std().unwrap_or_default(),
            false,
        ),
    };
    if truncated {
        output.push_str("\n[output truncated]");
    }
    RunOutcome { status, exit_code, output, started_at, finished_at: Utc::now(), duration }
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
