//! Recovery actions: one module per kind, each holding its keys in an `[[action]]`
//! (`Keys`, documented), how they compile (`compile`), how it runs (`run`) and what a
//! dry run shows (`preview`). [`kinds!`] below is the one list of kinds: a new kind is
//! a module and a line there.
//!
//! Only actions declared in config can run; there is no way to run an arbitrary
//! command. Verification and recording are the engine's: this module runs and reports.

pub mod cleanup;
pub mod command;
pub mod http;
pub mod restart;
pub mod signal;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use toml::de::DeTable;

use crate::diagnostic::Scope;
use crate::exec;
use crate::model::{ActionId, Plan, Quarantined};
pub use crate::model::{Requester, RunStatus};
use crate::probe::process::ProcessMatch;
use crate::probe::system::{FindError, Found};
use crate::store::NewActionRun;

/// The processes a process check (`check`, linked by config to its `matcher`) finds
/// now: what `signal` and `restart` act on.
async fn processes(check: &str, matcher: Option<&ProcessMatch>) -> Result<Vec<Found>, FindError> {
    match matcher {
        Some(matcher) => crate::probe::system::find(matcher.clone()).await,
        None => Err(FindError::Unlinked(check.to_owned())),
    }
}

/// A dry run's list of the processes found (`doing` them: "signal", "stop").
fn listing(found: &Result<Vec<Found>, FindError>, all: bool, doing: &str) -> String {
    match found {
        Ok(found) if found.is_empty() => " nothing (no process found now)".to_owned(),
        Ok(found) => {
            let mut text: String = found.iter().map(|p| format!("\n  {} ({})", p.pid, p.name)).collect();
            if found.len() > 1 && !all {
                text.push_str(&format!("\n{}", several(found.len(), doing)));
            }
            text
        }
        Err(e) => format!(" nothing: {e}"),
    }
}

/// Why an action refuses to act on every process a check found.
fn several(count: usize, doing: &str) -> String {
    format!("{count} processes match: refusing to {doing} them all; set `all = true`, or make the check match one")
}

/// Output kept from an action run.
pub const MAX_OUTPUT: usize = 256 * 1024;

/// What a kind's run gives back.
#[derive(Debug, Clone)]
pub struct Ran {
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub output: String,
    pub duration: Duration,
    /// A cleanup's plan (dry runs).
    pub plan: Option<Plan>,
    /// Where a cleanup put what it removed.
    pub quarantine: Option<Quarantined>,
}

impl Ran {
    /// A run with no plan and no quarantine.
    pub fn of(status: RunStatus, exit_code: Option<i32>, output: String, duration: Duration) -> Ran {
        Ran { status, exit_code, output, duration, plan: None, quarantine: None }
    }
}

/// What a dry run shows: text, and for a cleanup the exact plan.
#[derive(Debug, Clone)]
pub struct Preview {
    pub text: String,
    pub plan: Option<Plan>,
}

impl From<String> for Preview {
    fn from(text: String) -> Preview {
        Preview { text, plan: None }
    }
}

/// What a run may need besides its spec.
#[derive(Debug, Clone)]
pub struct Context {
    /// The data dir (a cleanup's quarantine is there).
    pub data_dir: Option<PathBuf>,
    /// The action's id.
    pub action: String,
    /// The engine's `now`.
    pub now: DateTime<Utc>,
}

/// An action kind as config compilation sees it.
pub struct Kind {
    /// `kind = "..."`.
    pub name: &'static str,
    /// The JSON Schema of its keys.
    pub keys: fn() -> serde_json::Value,
    /// Compiles its keys (known to be its own) into a spec, reporting what is wrong.
    pub compile: fn(DeTable<'_>, std::ops::Range<usize>, &mut Scope<'_, '_>) -> Option<ActionSpec>,
}

impl Kind {
    /// The names of its keys.
    pub fn key_names(&self) -> Vec<String> {
        crate::diagnostic::key_names(&(self.keys)())
    }
}

/// Declares the kinds: `Variant => module`. Each module has `NAME`, `Keys`, `Spec`,
/// `compile`, `describe`, `preview` and `run`.
macro_rules! kinds {
    ($($variant:ident => $module:ident,)*) => {
        /// What an action does: one variant per kind.
        #[derive(Debug, Clone)]
        pub enum ActionSpec {
            $($variant($module::Spec),)*
        }

        impl ActionSpec {
            /// The kind's name, as `kind = "..."` says it.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(ActionSpec::$variant(_) => $module::NAME,)*
                }
            }

            /// What it does, in one line, for lists.
            pub fn describe(&self) -> String {
                match self {
                    $(ActionSpec::$variant(spec) => $module::describe(spec),)*
                }
            }

            /// What a dry run shows.
            async fn preview(&self, timeout: Duration, context: &Context) -> Preview {
                match self {
                    $(ActionSpec::$variant(spec) => $module::preview(spec, timeout, context).await,)*
                }
            }

            async fn run(&self, timeout: Duration, on_output: Option<exec::OutputSink>, context: &Context) -> Ran {
                match self {
                    $(ActionSpec::$variant(spec) => $module::run(spec, timeout, on_output, context).await,)*
                }
            }
        }

        /// Every kind, in the order the documentation lists them.
        pub fn kinds() -> Vec<Kind> {
            vec![$(
                Kind {
                    name: $module::NAME,
                    keys: crate::diagnostic::table_schema::<$module::Keys>,
                    compile: |table, span, scope| {
                        let keys = scope.deserialize::<$module::Keys>(table, span)?;
                        $module::compile(keys, scope).map(ActionSpec::$variant)
                    },
                },
            )*]
        }
    };
}

kinds! {
    Command => command,
    Http => http,
    Signal => signal,
    Restart => restart,
    Cleanup => cleanup,
}

impl ActionSpec {
    /// The process check an action acts on (`signal` or `restart` with `check`), for
    /// config to link: the check's id, where it is written, and the matcher to fill in.
    pub fn process_check(&mut self) -> Option<(&str, std::ops::Range<usize>, &mut Option<ProcessMatch>)> {
        match self {
            ActionSpec::Signal(signal::Spec { target: signal::Target::Check { id, span, matcher }, .. }) => {
                Some((id.as_str(), span.clone(), matcher))
            }
            ActionSpec::Restart(restart::Spec::Process(process)) => {
                Some((process.check.as_str(), process.span.clone(), &mut process.matcher))
            }
            _ => None,
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
    pub plan: Option<Plan>,
    pub quarantine: Option<Quarantined>,
}

impl RunOutcome {
    /// The audit record of this run; the engine adds the check, incident and
    /// verification it knows of.
    pub fn audit(&self, action_id: &ActionId, requester: Requester, dry_run: bool) -> NewActionRun {
        NewActionRun {
            action_id: action_id.clone(),
            check_id: None,
            incident_id: None,
            requested_by: requester,
            dry_run,
            started_at: self.started_at,
            finished_at: self.finished_at,
            status: self.status,
            exit_code: self.exit_code,
            output: self.output.clone(),
            duration_ms: self.duration.as_millis() as i64,
            verified: None,
            quarantine: self.quarantine.clone(),
            undone_at: None,
        }
    }
}

/// Runs an action, bounded by `timeout`, or with `dry_run` says what it would do.
/// `on_output` sees the output as it arrives.
pub async fn run(
    spec: &ActionSpec,
    timeout: Duration,
    dry_run: bool,
    on_output: Option<exec::OutputSink>,
    context: &Context,
) -> RunOutcome {
    let started_at = Utc::now();
    if dry_run {
        let started = std::time::Instant::now();
        let Preview { text, plan } = spec.preview(timeout, context).await;
        return RunOutcome {
            status: RunStatus::DryRun,
            exit_code: None,
            output: text,
            started_at,
            finished_at: Utc::now(),
            duration: started.elapsed(),
            plan,
            quarantine: None,
        };
    }
    let Ran { status, exit_code, output, duration, plan, quarantine } = spec.run(timeout, on_output, context).await;
    RunOutcome { status, exit_code, output, started_at, finished_at: Utc::now(), duration, plan, quarantine }
}
