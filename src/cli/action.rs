//! `watchkeeper action run ID [--dry-run]`: through the daemon when it runs (so the run
//! is verified and shown live), else here, recorded in the history all the same.

use std::path::Path;

use anyhow::Context as _;
use watchkeeper::action::Requester;
use watchkeeper::api::client::{Client, ClientError};
use watchkeeper::api::dto::{ActionRunDto, RunActionArgs};
use watchkeeper::api::operation;
use watchkeeper::model::RunStatus;
use watchkeeper::store::{ActionRunRecord, Store};

use super::{client_error, print_json};

pub async fn run(config_path: &Path, data_dir: &Path, id: &str, dry_run: bool, json: bool) -> anyhow::Result<u8> {
    let run = match Client::discover(data_dir) {
        Ok(client) => {
            let args = RunActionArgs { id: id.to_owned(), dry_run, r#ref: None };
            client.call::<operation::RunAction>(&args).await.map_err(client_error)?
        }
        Err(ClientError::NotRunning { .. }) => run_here(config_path, data_dir, id, dry_run).await?,
        Err(other) => return Err(client_error(other)),
    };
    if json {
        print_json(&run)?;
    } else {
        let output = run.output.trim_end();
        if !output.is_empty() {
            println!("{output}");
        }
        let verified = match run.verified {
            Some(true) => ", verified: the check is up again",
            Some(false) => ", NOT verified: the check is still failing",
            None => "",
        };
        println!("action `{id}`: {} in {}ms{verified}", RunStatus::from(run.status), run.duration_ms);
    }
    Ok(if matches!(RunStatus::from(run.status), RunStatus::Ok | RunStatus::DryRun) { 0 } else { 1 })
}

/// Runs the action in this process and records it.
async fn run_here(config_path: &Path, data_dir: &Path, id: &str, dry_run: bool) -> anyhow::Result<ActionRunDto> {
    let config = super::config::load(config_path)?;
    let Some(action) = config.action(id) else {
        let known: Vec<&str> = config.actions.iter().map(|a| a.id.as_str()).collect();
        anyhow::bail!(
            "no action has the id `{id}`\n  help: the configured actions are: {}",
            if known.is_empty() { "none".into() } else { known.join(", ") }
        );
    };
    let outcome = watchkeeper::action::run(&action.spec, action.timeout, dry_run, None).await;
    std::fs::create_dir_all(data_dir).with_context(|| format!("while creating {}", data_dir.display()))?;
    let (store, _) = Store::open(data_dir).map_err(|e| anyhow::anyhow!("{e}\n  help: {}", e.resolution()))?;
    let run = outcome.audit(&action.id, Requester::Cli, dry_run);
    let id = store.record_action_run_now(&run).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ActionRunDto::from(&ActionRunRecord { id, run }))
}
