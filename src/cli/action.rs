//! `watchkeeper action run ID [--dry-run]`: through the daemon when it runs (so the run
//! is verified and shown live), else here, recorded in the history all the same; within
//! the action's budget either way. `action list` shows the actions and their budgets;
//! `action reset ID` clears a spent budget.

use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use watchkeeper::action::Requester;
use watchkeeper::api::client::{Client, ClientError};
use watchkeeper::api::dto::{ActionDto, ActionRunDto, BudgetDto, IdArgs, NoArgs, RunActionArgs, UndoneDto};
use watchkeeper::api::operation;
use watchkeeper::budget::Runs;
use watchkeeper::config::ActionConfig;
use watchkeeper::engine::BudgetSnapshot;
use watchkeeper::model::RunStatus;
use watchkeeper::store::{ActionRunRecord, Store};

use super::{client_error, fail, print_json, print_table, Exit};

pub async fn run(config_path: &Path, data_dir: &Path, id: &str, dry_run: bool, json: bool) -> anyhow::Result<u8> {
    let run = match Client::discover(data_dir) {
        Ok(client) => {
            let args = RunActionArgs { id: id.to_owned(), dry_run, r#ref: None };
            client.as_cli().call::<operation::RunAction>(&args).await.map_err(client_error)?
        }
        Err(ClientError::NotRunning { .. }) => run_here(config_path, data_dir, id, dry_run).await?,
        Err(other) => return Err(client_error(other)),
    };
    if json {
        print_json(&run)?;
    } else {
        let output = run.output.trim_end();
        if !output.is_empty() {
            say!("{output}");
        }
        let verified = match run.verified {
            Some(true) => ", verified: the check is up again",
            Some(false) => ", NOT verified: the check is still failing",
            None => "",
        };
        say!("action `{id}`: {} in {}ms{verified}", RunStatus::from(run.status), run.duration_ms);
        if let Some(until) = run.quarantine.as_ref().filter(|q| q.dir.is_some()).and_then(|q| q.expires_at.as_deref()) {
            say!("undo it until {} with `watchkeeper action undo {}`", super::short_time(until), run.id);
        }
    }
    Ok(if matches!(RunStatus::from(run.status), RunStatus::Ok | RunStatus::DryRun) { 0 } else { 1 })
}

/// Runs the action in this process and records it.
async fn run_here(config_path: &Path, data_dir: &Path, id: &str, dry_run: bool) -> anyhow::Result<ActionRunDto> {
    let config = super::config::load(config_path)?;
    let Some(action) = config.action(id) else {
        let known: Vec<&str> = config.actions.iter().map(|a| a.id.as_str()).collect();
        return Err(fail(
            Exit::Data,
            format!(
                "no action has the id `{id}` [unknown_action]\n  help: the configured actions are: {}",
                if known.is_empty() { "none".into() } else { known.join(", ") }
            ),
        ));
    };
    std::fs::create_dir_all(data_dir).with_context(|| format!("while creating {}", data_dir.display()))?;
    let (store, _) = Store::open(data_dir).map_err(|e| fail(Exit::Io, format!("{e}\n  help: {}", e.resolution())))?;
    if !dry_run {
        let now = Utc::now();
        if let Some(retry_at) = window(&store, action, now)?.blocked_until(action.budget, now) {
            let per = watchkeeper::units::format_duration(action.budget.per);
            return Err(fail(
                Exit::TempFail,
                format!(
                    "action `{id}` has run {} times in the last {per}, its budget; the next run is allowed at {} \
                     [action_budget_exhausted]\n  help: find out why it keeps being needed, or run \
                     `watchkeeper action reset {id}` to run it now",
                    action.budget.max_runs,
                    super::local_time(retry_at),
                ),
            ));
        }
    }
    let context =
        watchkeeper::action::Context { data_dir: Some(data_dir.to_owned()), action: id.to_owned(), now: Utc::now() };
    let outcome = watchkeeper::action::run(&action.spec, action.timeout, dry_run, None, &context).await;
    let run = outcome.audit(&action.id, Requester::Cli, dry_run);
    let id = store.record_action_run_now(&run).map_err(|e| fail(Exit::Io, e.to_string()))?;
    Ok(ActionRunDto::from(&ActionRunRecord { id, run, plan: outcome.plan }))
}

/// An action's budget as the history has it (no daemon runs to keep it).
fn window(store: &Store, action: &ActionConfig, now: DateTime<Utc>) -> anyhow::Result<Runs> {
    let resets = store.budget_resets().map_err(|e| fail(Exit::Io, e.to_string()))?;
    let reset_at = resets.get(&action.id).copied();
    store.budget_window(&action.id, action.budget, reset_at, now).map_err(|e| fail(Exit::Io, e.to_string()))
}

/// `watchkeeper action list`: every action, what it does, and its budget.
pub async fn list(config_path: &Path, data_dir: &Path, json: bool) -> anyhow::Result<u8> {
    let actions = match Client::discover(data_dir) {
        Ok(client) => client.call::<operation::Actions>(&NoArgs {}).await.map_err(client_error)?,
        Err(ClientError::NotRunning { .. }) => list_here(config_path, data_dir)?,
        Err(other) => return Err(client_error(other)),
    };
    if json {
        print_json(&actions)?;
        return Ok(0);
    }
    if actions.is_empty() {
        say!("no actions are configured; declare one in an [[action]] table");
        return Ok(0);
    }
    let mut rows = vec![["ID".to_owned(), "KIND".into(), "BUDGET".into(), "CHECKS".into(), "DOES".into()]];
    for action in &actions {
        rows.push([
            action.id.clone(),
            action.kind.clone(),
            budget_text(&action.budget, action.running),
            checks_text(action),
            action.description.clone(),
        ]);
    }
    print_table(&rows)?;
    Ok(0)
}

fn list_here(config_path: &Path, data_dir: &Path) -> anyhow::Result<Vec<ActionDto>> {
    let config = super::config::load(config_path)?;
    let now = Utc::now();
    let store = Store::open(data_dir).ok().map(|(store, _)| store);
    let mut actions = Vec::new();
    for action in &config.actions {
        let mut window = match &store {
            Some(store) => window(store, action, now)?,
            None => Runs::default(),
        };
        let budget = BudgetSnapshot {
            budget: action.budget,
            runs_in_window: window.runs(action.budget, now),
            blocked_until: window.blocked_until(action.budget, now),
            running: false,
        };
        actions.push(ActionDto::new(action, &config.checks, &budget, now));
    }
    Ok(actions)
}

/// The budget as the core says it, and whether a run is under way.
fn budget_text(budget: &BudgetDto, running: bool) -> String {
    match running {
        true => format!("{}; running", budget.phrase.text),
        false => budget.phrase.text.clone(),
    }
}

fn checks_text(action: &ActionDto) -> String {
    let words: Vec<String> = action
        .checks
        .iter()
        .map(|check| if action.auto_for.contains(check) { format!("{check} (auto)") } else { check.clone() })
        .collect();
    if words.is_empty() {
        "-".into()
    } else {
        words.join(", ")
    }
}

/// `watchkeeper action reset ID`: forgets the runs counted against the action's budget.
pub async fn reset(config_path: &Path, data_dir: &Path, id: &str, json: bool) -> anyhow::Result<u8> {
    let action = match Client::discover(data_dir) {
        Ok(client) => {
            let args = IdArgs { id: id.to_owned() };
            client.as_cli().call::<operation::ResetAction>(&args).await.map_err(client_error)?
        }
        Err(ClientError::NotRunning { .. }) => {
            let config = super::config::load(config_path)?;
            let Some(action) = config.action(id) else {
                return Err(fail(
                    Exit::Data,
                    format!(
                        "no action has the id `{id}` [unknown_action]\n  help: `watchkeeper action list` shows them"
                    ),
                ));
            };
            std::fs::create_dir_all(data_dir).with_context(|| format!("while creating {}", data_dir.display()))?;
            let (store, _) =
                Store::open(data_dir).map_err(|e| fail(Exit::Io, format!("{e}\n  help: {}", e.resolution())))?;
            store.reset_budget_now(&action.id, Utc::now()).map_err(|e| fail(Exit::Io, e.to_string()))?;
            list_here(config_path, data_dir)?.into_iter().find(|a| a.id == id).context("the action vanished")?
        }
        Err(other) => return Err(client_error(other)),
    };
    if json {
        print_json(&action)?;
    } else {
        say!("action `{id}`: budget reset ({})", budget_text(&action.budget, action.running));
    }
    Ok(0)
}

/// `watchkeeper action undo RUN`: puts a cleanup's quarantined files back.
pub async fn undo(data_dir: &Path, run: &str, json: bool) -> anyhow::Result<u8> {
    let undone = match Client::discover(data_dir) {
        Ok(client) => {
            let args = IdArgs { id: run.to_owned() };
            client.as_cli().call::<operation::Undo>(&args).await.map_err(client_error)?
        }
        Err(ClientError::NotRunning { .. }) => undo_here(data_dir, run).await?,
        Err(other) => return Err(client_error(other)),
    };
    if json {
        print_json(&undone)?;
    } else {
        say!("run {run} undone: {} files put back", undone.restored);
    }
    Ok(0)
}

async fn undo_here(data_dir: &Path, run: &str) -> anyhow::Result<UndoneDto> {
    use watchkeeper::action::cleanup::quarantine::{self, UndoError};
    let id: i64 = run.parse().map_err(|_| fail(Exit::Usage, format!("`{run}` is not a run id (a number)")))?;
    let (store, _) = Store::open(data_dir).map_err(|e| fail(Exit::Io, format!("{e}\n  help: {}", e.resolution())))?;
    let Some(mut record) = store.action_run(id).await.map_err(|e| fail(Exit::Io, e.to_string()))? else {
        return Err(fail(
            Exit::Data,
            format!("no action run has the id {id} [unknown_run]\n  help: the dashboard's Action runs page lists them"),
        ));
    };
    let Some(dir) = record.run.quarantine.as_ref().and_then(|q| q.dir.clone()) else {
        return Err(fail(Exit::Data, format!("run {id} is not a cleanup that kept what it removed [not_undoable]")));
    };
    let now = Utc::now();
    let restored = match quarantine::undo(data_dir, &dir, now) {
        Ok(restored) => restored,
        Err(e @ UndoError::Taken(_)) => {
            return Err(fail(
                Exit::TempFail,
                format!("{e} [path_taken]\n  help: move the new files away (or keep them); undo never overwrites"),
            ))
        }
        Err(e) => return Err(fail(Exit::Io, e.to_string())),
    };
    store.mark_undone_now(id, now).map_err(|e| fail(Exit::Io, e.to_string()))?;
    record.run.undone_at = Some(now);
    Ok(UndoneDto { run: ActionRunDto::from(&record), restored: restored as u64 })
}
