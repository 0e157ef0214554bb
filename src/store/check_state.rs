//! The `check_state` table (each check's live state, for restarts) and the
//! `state_changes` log.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction};

use super::{coded, from_millis, parsed, to_millis};
use crate::model::{BreakerState, CheckId, Status};

/// A check's state as persisted; the engine restores its state machine and breaker
/// from it.
#[derive(Debug, Clone, PartialEq)]
pub struct PersistedState {
    pub check_id: CheckId,
    pub status: Status,
    pub since: DateTime<Utc>,
    pub reason: Option<String>,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub last_result_at: Option<DateTime<Utc>>,
    pub open_incident: Option<i64>,
    pub breaker_state: BreakerState,
    pub breaker_failures: u32,
    pub breaker_next_trial_at: Option<DateTime<Utc>>,
    /// Paused by the user: since when, and until when (`None`: until resumed).
    pub paused: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

const TABLE: &str = "check_state";

pub(super) fn upsert(tx: &Transaction<'_>, state: &PersistedState) -> rusqlite::Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO check_state (check_id, status, since, reason, consecutive_failures, consecutive_successes,
             last_result_at, open_incident, breaker_state, breaker_failures, breaker_next_trial_at,
             paused_at, paused_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (check_id) DO UPDATE SET status = excluded.status, since = excluded.since,
             reason = excluded.reason, consecutive_failures = excluded.consecutive_failures,
             consecutive_successes = excluded.consecutive_successes, last_result_at = excluded.last_result_at,
             open_incident = excluded.open_incident, breaker_state = excluded.breaker_state,
             breaker_failures = excluded.breaker_failures, breaker_next_trial_at = excluded.breaker_next_trial_at,
             paused_at = excluded.paused_at, paused_until = excluded.paused_until",
    )?;
    statement.execute(params![
        state.check_id.as_str(),
        state.status.as_str(),
        to_millis(state.since),
        state.reason,
        state.consecutive_failures,
        state.consecutive_successes,
        state.last_result_at.map(to_millis),
        state.open_incident,
        state.breaker_state.as_str(),
        state.breaker_failures,
        state.breaker_next_trial_at.map(to_millis),
        state.paused.map(|(at, _)| to_millis(at)),
        state.paused.and_then(|(_, until)| until.map(to_millis)),
    ])?;
    Ok(())
}

/// Every row, each read on its own: a row this version cannot read is an error naming
/// it, beside the rows that read well.
pub(super) fn load_all(connection: &Connection) -> rusqlite::Result<Vec<rusqlite::Result<PersistedState>>> {
    let mut statement = connection.prepare(
        "SELECT check_id, status, since, reason, consecutive_failures, consecutive_successes, last_result_at,
                open_incident, breaker_state, breaker_failures, breaker_next_trial_at, paused_at, paused_until
         FROM check_state",
    )?;
    let rows = statement.query_map([], |row| {
        let key: String = row.get(0)?;
        let at = (TABLE, &key as &dyn std::fmt::Display);
        Ok(PersistedState {
            check_id: parsed(row, 0, at, "check id", CheckId::parse)?,
            status: coded(row, 1, at)?,
            since: from_millis(row.get(2)?),
            reason: row.get(3)?,
            consecutive_failures: row.get(4)?,
            consecutive_successes: row.get(5)?,
            last_result_at: row.get::<_, Option<i64>>(6)?.map(from_millis),
            open_incident: row.get(7)?,
            breaker_state: coded(row, 8, at)?,
            breaker_failures: row.get(9)?,
            breaker_next_trial_at: row.get::<_, Option<i64>>(10)?.map(from_millis),
            paused: match row.get::<_, Option<i64>>(11)? {
                Some(at) => Some((from_millis(at), row.get::<_, Option<i64>>(12)?.map(from_millis))),
                None => None,
            },
        })
    })?;
    Ok(rows.collect())
}

pub(super) fn record_change(
    tx: &Transaction<'_>,
    check_id: &CheckId,
    at: DateTime<Utc>,
    (from, to): (Status, Status),
    reason: Option<&str>,
) -> rusqlite::Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO state_changes (check_id, at, from_status, to_status, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    statement.execute(params![check_id.as_str(), to_millis(at), from.as_str(), to.as_str(), reason])?;
    Ok(())
}
