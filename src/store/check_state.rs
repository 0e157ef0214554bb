//! The `check_state` table (each check's live state, for restarts) and the
//! `state_changes` log.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction};

use super::{coded, from_millis, parsed, to_millis};
use crate::breaker::{self, BreakerState};
use crate::model::{CheckId, Requester, Status};
use crate::state::{CertWatch, FlapHistory};

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
    /// The check's breaker, when it has one.
    pub breaker: Option<Box<breaker::Saved>>,
    /// Paused by the user: since when, and until when (`None`: until resumed).
    pub paused: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// Its flap detection's recent results.
    pub flap: FlapHistory,
    /// What it has told of its certificate's days (`alert.cert_days`).
    pub cert: CertWatch,
}

/// What of a check's state a restart must find as it was: all but the counts each
/// result moves (results in a row, the last result's time, the flap window, the
/// breaker's calls). The writer holds a state that differs from the last one written
/// only in those counts for a few seconds (`store::writer`).
#[derive(Debug, Clone, PartialEq)]
pub struct Lasting {
    status: Status,
    since: DateTime<Utc>,
    reason: Option<String>,
    open_incident: Option<i64>,
    paused: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    flapping: bool,
    cert: CertWatch,
    /// The breaker's state, when it opened and its next trial.
    breaker: Option<(BreakerState, [Option<DateTime<Utc>>; 2])>,
}

impl PersistedState {
    pub fn lasting(&self) -> Lasting {
        Lasting {
            status: self.status,
            since: self.since,
            reason: self.reason.clone(),
            open_incident: self.open_incident,
            paused: self.paused,
            flapping: self.flap.flapping,
            cert: self.cert,
            breaker: self.breaker.as_deref().map(|b| (b.state, [b.opened_at, b.next_trial_at])),
        }
    }
}

const TABLE: &str = "check_state";

pub(super) fn upsert(tx: &Transaction<'_>, state: &PersistedState) -> rusqlite::Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO check_state (check_id, status, since, reason, consecutive_failures, consecutive_successes,
             last_result_at, open_incident, breaker_state, breaker_failures, breaker_next_trial_at,
             paused_at, paused_until, breaker, flap_changes, flap_results, flap_last, flapping, cert_told, cert_days)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
         ON CONFLICT (check_id) DO UPDATE SET status = excluded.status, since = excluded.since,
             reason = excluded.reason, consecutive_failures = excluded.consecutive_failures,
             consecutive_successes = excluded.consecutive_successes, last_result_at = excluded.last_result_at,
             open_incident = excluded.open_incident, breaker_state = excluded.breaker_state,
             breaker_failures = excluded.breaker_failures, breaker_next_trial_at = excluded.breaker_next_trial_at,
             paused_at = excluded.paused_at, paused_until = excluded.paused_until, breaker = excluded.breaker,
             flap_changes = excluded.flap_changes, flap_results = excluded.flap_results,
             flap_last = excluded.flap_last, flapping = excluded.flapping, cert_told = excluded.cert_told,
             cert_days = excluded.cert_days",
    )?;
    let breaker = state.breaker.as_deref();
    let json = breaker.map(|b| serde_json::to_string(&BreakerJson::from(b)).unwrap_or_default());
    statement.execute(params![
        state.check_id.as_str(),
        state.status.as_str(),
        to_millis(state.since),
        state.reason,
        state.consecutive_failures,
        state.consecutive_successes,
        state.last_result_at.map(to_millis),
        state.open_incident,
        breaker.map_or(BreakerState::Closed, |b| b.state).as_str(),
        breaker.map_or(0, |b| b.consecutive_failures),
        breaker.and_then(|b| b.next_trial_at).map(to_millis),
        state.paused.map(|(at, _)| to_millis(at)),
        state.paused.and_then(|(_, until)| until.map(to_millis)),
        json,
        // The bits as they are: SQLite's integers are signed.
        state.flap.changes as i64,
        state.flap.results,
        state.flap.last.map(Status::as_str),
        state.flap.flapping,
        state.cert.told(),
        state.cert.days(),
    ])?;
    Ok(())
}

/// Every row, each read on its own: a row this version cannot read is an error naming
/// it, beside the rows that read well.
pub(super) fn load_all(connection: &Connection) -> rusqlite::Result<Vec<rusqlite::Result<PersistedState>>> {
    let mut statement = connection.prepare(
        "SELECT check_id, status, since, reason, consecutive_failures, consecutive_successes, last_result_at,
                open_incident, breaker_state, breaker_failures, breaker_next_trial_at, paused_at, paused_until,
                breaker, flap_changes, flap_results, flap_last, flapping, cert_told, cert_days
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
            // The whole breaker; else (a row of an earlier version) its state from the
            // plain columns, with an empty window.
            breaker: Some(Box::new(match row.get::<_, Option<String>>(13)?.and_then(|j| BreakerJson::parse(&j)) {
                Some(saved) => saved,
                None => breaker::Saved {
                    state: coded(row, 8, at)?,
                    consecutive_failures: row.get(9)?,
                    opened_at: None,
                    next_trial_at: row.get::<_, Option<i64>>(10)?.map(from_millis),
                    failed_trials: 0,
                    window: breaker::SavedWindow { window: String::new(), recent: String::new(), buckets: Vec::new() },
                },
            })),
            paused: match row.get::<_, Option<i64>>(11)? {
                Some(at) => Some((from_millis(at), row.get::<_, Option<i64>>(12)?.map(from_millis))),
                None => None,
            },
            flap: FlapHistory {
                changes: row.get::<_, i64>(14)? as u64,
                results: row.get(15)?,
                last: match row.get::<_, Option<String>>(16)? {
                    Some(_) => Some(coded(row, 16, at)?),
                    None => None,
                },
                flapping: row.get(17)?,
            },
            cert: CertWatch::new(row.get(18)?, row.get(19)?),
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

/// `check_state.breaker`: a breaker's whole state as JSON.
#[derive(serde::Serialize, serde::Deserialize)]
struct BreakerJson {
    state: String,
    consecutive_failures: u32,
    opened_at: Option<DateTime<Utc>>,
    next_trial_at: Option<DateTime<Utc>>,
    failed_trials: u32,
    /// `count:N` or `time:MS`.
    window: String,
    /// The window's last calls as letters: `o` ok, `s` slow, `f` failed, `F` both.
    recent: String,
    /// A time window's buckets: `[start_ms, calls, failed, slow]`.
    buckets: Vec<[i64; 4]>,
}

impl BreakerJson {
    /// The saved breaker, or `None` when the JSON or its state cannot be read.
    fn parse(json: &str) -> Option<breaker::Saved> {
        let json: BreakerJson = serde_json::from_str(json).ok()?;
        Some(breaker::Saved {
            state: BreakerState::parse(&json.state)?,
            consecutive_failures: json.consecutive_failures,
            opened_at: json.opened_at,
            next_trial_at: json.next_trial_at,
            failed_trials: json.failed_trials,
            window: breaker::SavedWindow { window: json.window, recent: json.recent, buckets: json.buckets },
        })
    }
}

impl From<&breaker::Saved> for BreakerJson {
    fn from(saved: &breaker::Saved) -> BreakerJson {
        BreakerJson {
            state: saved.state.as_str().to_owned(),
            consecutive_failures: saved.consecutive_failures,
            opened_at: saved.opened_at,
            next_trial_at: saved.next_trial_at,
            failed_trials: saved.failed_trials,
            window: saved.window.window.clone(),
            recent: saved.window.recent.clone(),
            buckets: saved.window.buckets.clone(),
        }
    }
}

/// A change of a breaker's state: by the breaker itself (`by` is `None`) or steered.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerChange {
    pub check_id: CheckId,
    pub at: DateTime<Utc>,
    pub from: BreakerState,
    pub to: BreakerState,
    pub reason: String,
    pub by: Option<Requester>,
}

pub(super) fn record_breaker_change(tx: &Transaction<'_>, change: &BreakerChange) -> rusqlite::Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO breaker_changes (check_id, at, from_state, to_state, reason, requested_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    statement.execute(params![
        change.check_id.as_str(),
        to_millis(change.at),
        change.from.as_str(),
        change.to.as_str(),
        change.reason,
        change.by.map_or("breaker", Requester::as_str),
    ])?;
    Ok(())
}

/// A check's breaker changes, newest first.
pub(super) fn breaker_changes(
    connection: &Connection,
    check_id: &CheckId,
    limit: usize,
) -> rusqlite::Result<Vec<BreakerChange>> {
    let mut statement = connection.prepare_cached(
        "SELECT at, from_state, to_state, reason, requested_by FROM breaker_changes
         WHERE check_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(params![check_id.as_str(), limit as i64], |row| {
        let at = ("breaker_changes", &check_id as &dyn std::fmt::Display);
        let by: String = row.get(4)?;
        Ok(BreakerChange {
            check_id: check_id.clone(),
            at: from_millis(row.get(0)?),
            from: coded(row, 1, at)?,
            to: coded(row, 2, at)?,
            reason: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
            by: if by == "breaker" { None } else { Some(coded(row, 4, at)?) },
        })
    })?;
    rows.collect()
}
