//! Action runs: the run itself (`action`), its output published live, verification by
//! re-probing the checks that offer the action, and the audit record.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::recovery::{Refused, Slot};
use super::{CheckRuntime, Engine, Event};
use crate::action::{self, Requester, RunStatus};
use crate::config::ActionConfig;
use crate::model::CheckId;
use crate::store::{ActionRunRecord, NewActionRun, StoreError, WriteOp};

/// Verification of an action: re-probes, one per second, until the check is up.
const VERIFY_ATTEMPTS: u32 = 10;

impl Engine {
    /// Runs a configured action by hand: admitted when it is not running and its budget
    /// has room (a dry run always is, and does not count), verified by re-probing the
    /// checks that offer it, and recorded. Its output is published as it arrives under
    /// `ref`, the caller's name for the run.
    pub async fn run_action(
        &self,
        id: &str,
        dry_run: bool,
        requester: Requester,
        r#ref: Option<&str>,
    ) -> Result<ActionRunRecord, RunError> {
        let action = self.config().action(id).ok_or(RunError::Refused(Refused::UnknownAction))?.clone();
        let slot = if dry_run { None } else { Some(self.admit(&action).map_err(RunError::Refused)?) };
        self.execute(&action, dry_run, requester, r#ref, slot, None).await.map_err(RunError::Store)
    }

    /// Runs an admitted action (its `slot` marks it running until recorded), verifies
    /// it and records it: at its start, so a stop during the run leaves a trace (and
    /// the run still counts), then with how it ended. `for_check` is the check a
    /// self-healing run is for; it is filed on that check's incident.
    pub(super) async fn execute(
        &self,
        action: &ActionConfig,
        dry_run: bool,
        requester: Requester,
        r#ref: Option<&str>,
        slot: Option<Slot>,
        for_check: Option<&CheckId>,
    ) -> Result<ActionRunRecord, StoreError> {
        let offering: Vec<Arc<CheckRuntime>> =
            self.table().all.iter().filter(|c| c.config.actions.contains(&action.id)).cloned().collect();
        let (check_id, incident_id) = match for_check.and_then(|id| self.runtime(id.as_str())) {
            Some(check) => filed_on(std::slice::from_ref(&check)),
            None => filed_on(&offering),
        };
        let started_at = self.now();
        let start = NewActionRun {
            action_id: action.id.clone(),
            check_id,
            incident_id,
            requested_by: requester,
            dry_run,
            started_at,
            finished_at: started_at,
            status: RunStatus::Running,
            exit_code: None,
            output: String::new(),
            duration_ms: 0,
            verified: None,
            quarantine: None,
            undone_at: None,
        };
        let started = match dry_run {
            true => None,
            false => match self.inner.writer.record_action_run(start.clone()).await {
                Ok(id) => Some(id),
                Err(error) => {
                    // The run goes on (recovery matters more than its audit); it is
                    // recorded whole when it ends.
                    tracing::warn!(%error, action = %action.id, "the start of an action run could not be recorded");
                    None
                }
            },
        };
        self.publish_offering(&action.id);
        let live = r#ref.map(|r#ref| self.output_sink(r#ref, action.id.as_str()));
        let context = action::Context {
            data_dir: self.inner.store.path().parent().map(Path::to_owned),
            action: action.id.to_string(),
            now: started_at,
        };
        let outcome = action::run(&action.spec, action.timeout, dry_run, live, &context).await;
        let verified = if action.verify && !dry_run && outcome.status == RunStatus::Ok && !offering.is_empty() {
            Some(self.verify(&offering).await)
        } else {
            None
        };
        let finished_at = crate::clock::later(started_at, outcome.duration);
        let record = NewActionRun {
            finished_at,
            status: outcome.status,
            exit_code: outcome.exit_code,
            output: outcome.output,
            duration_ms: outcome.duration.as_millis() as i64,
            verified,
            quarantine: outcome.quarantine,
            ..start
        };
        tracing::info!(action = %action.id, status = %record.status, verified, requester = %record.requested_by, "action run");
        let recorded = match started {
            Some(id) => {
                let finished = self.inner.writer.send(WriteOp::FinishActionRun { id, run: record.clone() }).await;
                match finished {
                    Ok(()) => self.inner.writer.flush().await.map(|()| id),
                    Err(error) => Err(error),
                }
            }
            None => self.inner.writer.record_action_run(record.clone()).await,
        };
        let recorded = recorded.map(|id| ActionRunRecord { id, run: record, plan: outcome.plan });
        drop(slot);
        self.publish_offering(&action.id);
        if let Ok(run) = &recorded {
            let _ = self.inner.events.send(Event::ActionRun(Box::new(run.clone())));
        }
        recorded
    }

    /// Publishes output chunks as text; a character split across chunks waits for its
    /// remaining bytes.
    fn output_sink(&self, r#ref: &str, action: &str) -> crate::exec::OutputSink {
        let events = self.inner.events.clone();
        let r#ref: Arc<str> = Arc::from(r#ref);
        let action: Arc<str> = Arc::from(action);
        let carry = Mutex::new(Vec::new());
        Arc::new(move |chunk: &[u8]| {
            let mut carry = crate::panics::lock(&carry);
            carry.extend_from_slice(chunk);
            let complete = match std::str::from_utf8(&carry) {
                Ok(_) => carry.len(),
                // An incomplete character at the end (at most 3 bytes) waits; invalid
                // bytes are replaced.
                Err(e) if e.error_len().is_none() && carry.len() - e.valid_up_to() < 4 => e.valid_up_to(),
                Err(_) => carry.len(),
            };
            if complete == 0 {
                return;
            }
            let text = String::from_utf8_lossy(&carry[..complete]).into_owned();
            carry.drain(..complete);
            let output = super::ActionOutput { r#ref: r#ref.clone(), action: action.clone(), text };
            let _ = events.send(Event::ActionOutput(Box::new(output)));
        })
    }

    async fn verify(&self, offering: &[Arc<CheckRuntime>]) -> bool {
        for attempt in 0..VERIFY_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let mut all_up = true;
            for check in offering {
                let result = self.probe_now(check.config.id.as_str()).await;
                all_up &= result.is_some_and(|r| r.ok());
            }
            if all_up {
                return true;
            }
        }
        false
    }
}

/// Why a run was not done or not recorded.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the run was refused: {0:?}")]
    Refused(Refused),
    #[error(transparent)]
    Store(StoreError),
}

/// The check and incident a run is filed on: the incident open when it starts (of the
/// first offering check with one), even though a successful fix resolves it before the
/// run is recorded; else the first offering check.
fn filed_on(offering: &[Arc<CheckRuntime>]) -> (Option<CheckId>, Option<i64>) {
    offering
        .iter()
        .find_map(|c| {
            let live = crate::panics::lock(&c.live);
            live.tracked.state.open_incident.map(|i| (Some(c.config.id.clone()), Some(i)))
        })
        .unwrap_or_else(|| (offering.first().map(|c| c.config.id.clone()), None))
}

/// Why an undo was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum UndoRefused {
    #[error("no action run has the id {0}")]
    UnknownRun(i64),
    #[error("run {0} is not a cleanup that kept what it removed (only a cleanup with a quarantine can be undone)")]
    NotUndoable(i64),
    #[error(transparent)]
    Undo(#[from] crate::action::cleanup::quarantine::UndoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Engine {
    /// Puts a cleanup run's quarantined files back (all or none; never over a taken
    /// path) and notes it. Returns the run as it now stands and how many files came back.
    pub async fn undo(&self, id: i64) -> Result<(ActionRunRecord, usize), UndoRefused> {
        let mut record = self.inner.store.action_run(id).await?.ok_or(UndoRefused::UnknownRun(id))?;
        let Some(dir) = record.run.quarantine.as_ref().and_then(|q| q.dir.clone()) else {
            return Err(UndoRefused::NotUndoable(id));
        };
        if let Some(at) = record.run.undone_at {
            return Err(crate::action::cleanup::quarantine::UndoError::AlreadyUndone(at).into());
        }
        let data_dir = self.inner.store.path().parent().map(Path::to_owned).unwrap_or_default();
        let now = self.now();
        let restored =
            tokio::task::spawn_blocking(move || crate::action::cleanup::quarantine::undo(&data_dir, &dir, now))
                .await
                .map_err(|e| StoreError::Join(e.to_string()))??;
        tracing::info!(run = id, restored, "cleanup undone");
        self.inner.writer.send(WriteOp::RunUndone { id, at: now }).await?;
        self.inner.writer.flush().await?;
        record.run.undone_at = Some(now);
        let _ = self.inner.events.send(Event::ActionRun(Box::new(record.clone())));
        Ok((record, restored))
    }

    /// Removes quarantine folders whose time is up, now and every ten minutes.
    pub(super) async fn purge_quarantine(self, cancel: tokio_util::sync::CancellationToken) {
        let Some(data_dir) = self.inner.store.path().parent().map(Path::to_owned) else { return };
        loop {
            let now = self.now();
            let dir = data_dir.clone();
            if let Ok(purged) =
                tokio::task::spawn_blocking(move || crate::action::cleanup::quarantine::purge(&dir, now)).await
            {
                for name in purged {
                    tracing::info!(quarantine = %name, "quarantine purged: its time was up");
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            }
        }
    }
}
