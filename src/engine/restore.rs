//! A check's state between the engine and the store: restored at start (streaks,
//! breaker, pause, open incident; a row that cannot be read costs only its check), and
//! persisted with every change, so a restart continues where the last run stopped.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::Live;
use crate::breaker::Breaker;
use crate::config::{CheckConfig, Config};
use crate::healing::Healing;
use crate::model::{CheckId, Failure, FailureClass, ProbeResult, Status, Verdict};
use crate::state::{CheckState, Pause, Tracked};
use crate::store::{PersistedState, ResultRecord, Store, StoreError};

/// What the store gave back at start.
pub(super) struct Restored {
    /// Each check's live state, in config order.
    pub live: Vec<Live>,
    /// The last incident id given out.
    pub next_incident: i64,
    /// Rows that could not be read, each naming its row.
    pub degraded: Vec<String>,
}

/// Every check's saved state that reads, by id, for checks a reload adds (a row that
/// does not read is left out: that check starts afresh).
pub(super) fn saved_states(store: &Store) -> HashMap<CheckId, PersistedState> {
    match store.load_states() {
        Ok(rows) => rows.into_iter().filter_map(Result::ok).map(|s| (s.check_id.clone(), s)).collect(),
        Err(error) => {
            tracing::warn!(%error, "saved states cannot be read; added checks start afresh");
            HashMap::new()
        }
    }
}

/// A check a reload adds: its saved state under its id (if any), its last result and
/// its open incident's start, as at start.
pub(super) fn load_one(
    store: &Store,
    check: &CheckConfig,
    persisted: Option<&PersistedState>,
    now: DateTime<Utc>,
) -> Live {
    let mut live = restore(check, persisted, now);
    if persisted.is_some() {
        match store.last_result_now(&check.id) {
            Ok(last) => live.last = last.map(|record| result_of(&record)),
            Err(error) => tracing::warn!(check = %check.id, %error, "its last result cannot be read"),
        }
    }
    if let Some(incident) = live.tracked.state.open_incident {
        match store.incident_started_now(incident) {
            Ok(started_at) => live.incident_started_at = started_at,
            Err(error) => tracing::warn!(check = %check.id, %error, "its open incident cannot be read"),
        }
    }
    live
}

pub(super) fn load(store: &Store, config: &Config, now: DateTime<Utc>) -> Result<Restored, StoreError> {
    let mut persisted: HashMap<CheckId, PersistedState> = HashMap::new();
    let mut degraded = Vec::new();
    for row in store.load_states()? {
        match row {
            Ok(state) => {
                persisted.insert(state.check_id.clone(), state);
            }
            Err(error) => {
                tracing::error!(%error, "a check's saved state cannot be read; that check starts afresh");
                degraded.push(format!("history: {error}; that check started afresh"));
            }
        }
    }
    let mut healing = store.load_healing()?;
    let live = config
        .checks
        .iter()
        .map(|check| {
            // What it last showed (its cause, behind an open breaker), until a new
            // result; and when its open incident started, for how long it lasted.
            let mut live = load_one(store, check, persisted.get(&check.id), now);
            // Kept only while the check heals itself.
            if check.auto_action.is_some() {
                live.healing = healing.remove(&check.id).unwrap_or_default();
            }
            live
        })
        .collect();
    Ok(Restored { live, next_incident: store.max_incident_id()?, degraded })
}

pub(super) fn restore(check: &CheckConfig, persisted: Option<&PersistedState>, now: DateTime<Utc>) -> Live {
    let Some(p) = persisted else {
        return Live {
            tracked: Tracked::new(CheckState::new(now)),
            breaker: Breaker::new(check.breaker),
            last: None,
            health: None,
            service_breakers: None,
            healing: Healing::default(),
            flap: Default::default(),
            cert: Default::default(),
            incident_started_at: None,
            last_good: None,
        };
    };
    let state = CheckState {
        status: p.status,
        since: p.since,
        reason: p.reason.clone(),
        consecutive_failures: p.consecutive_failures,
        consecutive_successes: p.consecutive_successes,
        last_result_at: p.last_result_at,
        open_incident: p.open_incident,
        no_network: false,
        parent_down: None,
    };
    let breaker = match &p.breaker {
        Some(saved) => Breaker::restore(check.breaker, saved),
        None => Breaker::new(check.breaker),
    };
    let pause = p.paused.map(|(since, until)| Pause { since, until });
    Live {
        tracked: Tracked::restored(state, pause, now),
        breaker,
        last: None,
        health: None,
        service_breakers: None,
        healing: Healing::default(),
        flap: p.flap,
        cert: p.cert,
        incident_started_at: None,
        last_good: None,
    }
}

/// A recorded result as the engine holds it.
fn result_of(record: &ResultRecord) -> ProbeResult {
    let message = record.message.clone();
    let verdict = match record.status {
        Status::Up | Status::Paused | Status::Maintenance => Verdict::Up,
        Status::Degraded => Verdict::Degraded(message.clone()),
        Status::Down => Verdict::Down(Failure::new(record.failure_class.unwrap_or(FailureClass::ProbeError), &message)),
        Status::Unknown => Verdict::Unknown(message.clone()),
    };
    let latency = record.latency_us.and_then(|us| u64::try_from(us).ok()).map(std::time::Duration::from_micros);
    ProbeResult { at: record.at, latency, verdict, message, value: record.value }
}

/// The state to keep for a check, as it is now.
pub(super) fn persist(check_id: &CheckId, live: &Live) -> PersistedState {
    let state = &live.tracked.state;
    PersistedState {
        check_id: check_id.clone(),
        status: state.status,
        since: state.since,
        reason: state.reason.clone(),
        consecutive_failures: state.consecutive_failures,
        consecutive_successes: state.consecutive_successes,
        last_result_at: state.last_result_at,
        open_incident: state.open_incident,
        breaker: live.breaker.config().map(|_| Box::new(live.breaker.save())),
        paused: live.tracked.pause.map(|p| (p.since, p.until)),
        flap: live.flap,
        cert: live.cert,
    }
}
