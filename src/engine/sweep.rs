//! What time alone changes: never green without data (a check with no fresh result
//! for two intervals turns unknown, unless it is behind an open breaker), pauses
//! that ran out end, and maintenance windows start and end (a check still down at its
//! window's end opens its incident then). The rules are the state's (`Tracked::sweep`)
//! and the windows' (`maintenance`); this task applies them and sleeps until the next
//! moment one can apply, so an idle app is not woken every second for nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{record, restore, Engine, Event, Live};
use crate::config::{CheckConfig, Config};
use crate::maintenance::{MaintenanceWindow, Span};
use crate::model::{Status, Verdict};
use crate::state::InWindow;
use crate::store::WriteOp;

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
                _ = self.inner.checks.sweep_now.notified() => {}
            }
        }
    }

    /// One pass over every check; returns when the next one is due.
    async fn sweep_once(&self) -> Option<DateTime<Utc>> {
        self.look_for_resume();
        let now = self.now();
        let config = self.config();
        let zone = self.inner.zone.as_ref();
        let spans = spans(&config, now, zone);
        let mut next: Option<DateTime<Utc>> =
            config.maintenance.iter().zip(&spans).filter_map(|(w, span)| w.next_edge(*span, now, zone)).min();
        for runtime in &self.table().all {
            let interval = runtime.config.interval;
            let found = window_of(&config, &runtime.config, &spans);
            let change = {
                let mut live = crate::panics::lock(&runtime.live);
                let moved = moved(live.tracked.maintenance.as_ref(), found);
                if let Some(change) = moved.and_then(|window| live.tracked.set_maintenance(window, now)) {
                    let opened = if change.from == Status::Maintenance {
                        self.open_after_window(&runtime.config, &mut live, now)
                    } else {
                        None
                    };
                    Some((change, restore::persist(&runtime.config.id, &live), Some(opened)))
                } else {
                    // A check behind an open breaker is not probed on purpose: it shows
                    // its last real result (never up), and is never stale.
                    let spared = live.breaker.state.spares_target() && live.tracked.pause.is_none();
                    if spared {
                        continue;
                    }
                    let change = live.tracked.sweep(now, interval);
                    if let Some(deadline) = live.tracked.next_sweep(interval) {
                        next = Some(next.map_or(deadline, |next| next.min(deadline)));
                    }
                    change.map(|change| (change, restore::persist(&runtime.config.id, &live), None))
                }
            };
            match change {
                // A window started or ended.
                Some((change, state, Some(opened))) => {
                    self.after_window_change(runtime, change, opened, state, now).await;
                    // Its staleness deadline is taken on the next pass.
                    next = Some(next.map_or(now, |next| next.min(now)));
                }
                Some((change, state, None)) => {
                    if change.to == Status::Unknown {
                        tracing::warn!(check = %runtime.config.id, "stale: no fresh result");
                    }
                    if change.from == Status::Paused {
                        // An opening held while it was paused may be due now.
                        self.inner.alerting.wake.notify_one();
                    }
                    self.record(record::state_change(now, change, state)).await;
                    self.publish(runtime);
                }
                None => {}
            }
        }
        next
    }

    /// A check leaving its window still down opens its incident now, with the cause of
    /// its last result.
    fn open_after_window(
        &self,
        check: &CheckConfig,
        live: &mut Live,
        now: DateTime<Utc>,
    ) -> Option<crate::store::IncidentRecord> {
        let state = &live.tracked.state;
        if state.status != Status::Down || state.open_incident.is_some() {
            return None;
        }
        let Some(Verdict::Down(cause)) = live.last.as_ref().map(|r| &r.verdict) else { return None };
        let incident = self.new_incident(check, cause.clone(), Vec::new(), now);
        live.tracked.state.open_incident = Some(incident.id);
        live.incident_started_at = Some(incident.started_at);
        Some(incident)
    }

    /// Records and publishes a window's start or end for a check (and the incident its
    /// end opened).
    async fn after_window_change(
        &self,
        runtime: &super::CheckRuntime,
        change: crate::state::Change,
        opened: Option<crate::store::IncidentRecord>,
        state: crate::store::PersistedState,
        now: DateTime<Utc>,
    ) {
        let check = &runtime.config.id;
        let reason = change.reason.as_deref().unwrap_or("");
        tracing::info!(%check, from = %change.from, to = %change.to, reason, "maintenance window");
        if change.from == Status::Maintenance {
            // An opening held for the window may be due now.
            self.inner.alerting.wake.notify_one();
        }
        if let Some(incident) = &opened {
            self.record(WriteOp::OpenIncident { incident: Box::new(incident.clone()), state: state.clone() }).await;
        }
        self.record(record::state_change(now, change, state)).await;
        self.publish(runtime);
        if let Some(incident) = opened {
            self.emit(Event::IncidentOpened(Box::new(incident)));
        }
    }

    /// Puts each check in the window it is in at `now`, without logging it: at start,
    /// before any probe (the last run logged the window's start, or it starts now).
    pub(super) fn enter_windows(&self, now: DateTime<Utc>) {
        let config = self.config();
        let spans = spans(&config, now, self.inner.zone.as_ref());
        for runtime in &self.table().all {
            let found = window_of(&config, &runtime.config, &spans);
            {
                let mut live = crate::panics::lock(&runtime.live);
                live.tracked.set_maintenance(found.map(in_window), now);
            }
        }
    }
}

/// The span each window is in at `now`, in config order.
fn spans(config: &Config, now: DateTime<Utc>, zone: &dyn crate::clock::Zone) -> Vec<Option<Span>> {
    config.maintenance.iter().map(|w| w.active(now, zone)).collect()
}

/// The window a check is in, given the spans: the one ending last, if several.
fn window_of<'c>(
    config: &'c Config,
    check: &CheckConfig,
    spans: &[Option<Span>],
) -> Option<(&'c MaintenanceWindow, Span)> {
    config
        .maintenance
        .iter()
        .zip(spans)
        .filter_map(|(window, span)| Some((window, (*span)?)))
        .filter(|(window, _)| window.covers(&check.id, check.group.as_deref()))
        .max_by_key(|(_, span)| span.end)
}

fn in_window((window, span): (&MaintenanceWindow, Span)) -> InWindow {
    InWindow { window: window.id.clone(), reason: window.reason.clone(), since: span.start, until: span.end }
}

/// The window a check is to be in, when it is not the one it is in: `None` while it
/// stays (the usual case, compared without building one).
fn moved(current: Option<&InWindow>, found: Option<(&MaintenanceWindow, Span)>) -> Option<Option<InWindow>> {
    let same = match (current, found) {
        (Some(now), Some((window, span))) => {
            now.window == window.id && now.since == span.start && now.until == span.end
        }
        (None, None) => true,
        _ => false,
    };
    (!same).then(|| found.map(in_window))
}
