//! What time alone changes: never green without data (a check with no fresh result
//! for two intervals turns unknown, unless it is down behind an open breaker), and
//! pauses that ran out end. The rules are the
//! state's (`Tracked::sweep`); this task applies them and sleeps until the next moment
//! one can apply, so an idle app is not woken every second for nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{record, restore, Engine};
use crate::model::Status;

/// The sweep sleeps until the next check could turn stale or a pause ends, within
/// these bounds (at least: a sweep costs a pass over every check; at most: the
/// deadlines are wall-clock times, and the wall clock can jump).
const SWEEP_AT_LEAST: Duration = Duration::from_secs(1);
const SWEEP_AT_MOST: Duration = Duration::from_secs(10);

impl Engine {
    /// Sweeps until cancelled. A result only moves a check's moment later; a pause
    /// change wakes it (its moment may be sooner).
    pub(super) async fn sweep(self, cancel: CancellationToken) {
        loop {
            let next = self.sweep_once().await;
            // Just past the deadline: staleness is "more than two intervals".
            let wait = next
                .map_or(SWEEP_AT_MOST, |at| (at - self.now()).to_std().unwrap_or_default() + Duration::from_millis(5))
                .clamp(SWEEP_AT_LEAST, SWEEP_AT_MOST);
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
                _ = self.inner.sweep_now.notified() => {}
            }
        }
    }

    /// One pass over every check; returns when the next one is due.
    async fn sweep_once(&self) -> Option<DateTime<Utc>> {
        let now = self.now();
        let mut next: Option<DateTime<Utc>> = None;
        for runtime in &self.inner.checks {
            let interval = runtime.config.interval;
            let change = {
                let Ok(mut live) = runtime.live.lock() else { continue };
                // A down check behind an open breaker is not probed on purpose: it stays
                // down, never stale (an up one behind it turns stale: never green
                // without data).
                let spared = live.breaker.state.spares_target()
                    && live.tracked.state.status == Status::Down
                    && live.tracked.pause.is_none();
                if spared {
                    continue;
                }
                let change = live.tracked.sweep(now, interval);
                if let Some(deadline) = live.tracked.next_sweep(interval) {
                    next = Some(next.map_or(deadline, |next| next.min(deadline)));
                }
                change.map(|change| (change, restore::persist(&runtime.config.id, &live)))
            };
            if let Some((change, state)) = change {
                if change.to == Status::Unknown {
                    tracing::warn!(check = %runtime.config.id, "stale: no fresh result");
                }
                if change.from == Status::Paused {
                    // An opening held while it was paused may be due now.
                    self.inner.alerts_now.notify_one();
                }
                self.record(record::state_change(now, change, state)).await;
                self.publish(runtime);
            }
        }
        next
    }
}
