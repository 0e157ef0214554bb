//! Action runs: the run itself (`action`), its output published live, verification by
//! re-probing the checks that offer the action, and the audit record.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{CheckRuntime, Engine, Event};
use crate::action::{self, Requester, RunStatus};
use crate::model::CheckId;
use crate::store::{ActionRunRecord, NewActionRun, StoreError};

/// Verification of an action: re-probes, one per second, until the check is up.
const VERIFY_ATTEMPTS: u32 = 10;

impl Engine {
    /// Runs a configured action, verifies it by re-probing the checks that offer it,
    /// and records the run. Its output is published as it arrives under `ref`, the
    /// caller's name for the run. `None` when no action has that id.
    pub async fn run_action(
        &self,
        id: &str,
        dry_run: bool,
        requester: Requester,
        r#ref: Option<&str>,
    ) -> Option<Result<ActionRunRecord, StoreError>> {
        let action = self.inner.config.action(id)?.clone();
        let offering: Vec<Arc<CheckRuntime>> =
            self.inner.checks.iter().filter(|c| c.config.actions.contains(&action.id)).cloned().collect();
        let (check_id, incident_id) = filed_on(&offering);
        let live = r#ref.map(|r#ref| self.output_sink(r#ref, id));
        let outcome = action::run(&action.spec, action.timeout, dry_run, live).await;
        let verified = if action.verify && !dry_run && outcome.status == RunStatus::Ok && !offering.is_empty() {
            Some(self.verify(&offering).await)
        } else {
            None
        };
        let record = NewActionRun { check_id, incident_id, verified, ..outcome.audit(&action.id, requester, dry_run) };
        tracing::info!(action = id, status = %record.status, verified, requester = %record.requested_by, "action run");
        let recorded = self.inner.writer.record_action_run(record.clone()).await;
        let recorded = recorded.map(|id| ActionRunRecord { id, run: record });
        if let Ok(run) = &recorded {
            let _ = self.inner.events.send(Event::ActionRun(Box::new(run.clone())));
        }
        Some(recorded)
    }

    /// Publishes output chunks as text; a character split across chunks waits for its
    /// remaining bytes.
    fn output_sink(&self, r#ref: &str, action: &str) -> crate::exec::OutputSink {
        let events = self.inner.events.clone();
        let r#ref: Arc<str> = Arc::from(r#ref);
        let action: Arc<str> = Arc::from(action);
        let carry = Mutex::new(Vec::new());
        Arc::new(move |chunk: &[u8]| {
            let Ok(mut carry) = carry.lock() else { return };
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
            let _ = events.send(Event::ActionOutput { r#ref: r#ref.clone(), action: action.clone(), text });
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

/// The check and incident a run is filed on: the incident open when it starts (of the
/// first offering check with one), even though a successful fix resolves it before the
/// run is recorded; else the first offering check.
fn filed_on(offering: &[Arc<CheckRuntime>]) -> (Option<CheckId>, Option<i64>) {
    offering
        .iter()
        .find_map(|c| {
            let live = c.live.lock().ok()?;
            live.tracked.state.open_incident.map(|i| (Some(c.config.id.clone()), Some(i)))
        })
        .unwrap_or_else(|| (offering.first().map(|c| c.config.id.clone()), None))
}
