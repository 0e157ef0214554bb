//! The `results` table: one row per probe run.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction};

use super::{coded, coded_or_null, from_millis, to_millis};
use crate::model::{CheckId, FailureClass, Status};

#[derive(Debug, Clone)]
pub struct ResultRecord {
    pub check_id: CheckId,
    pub at: DateTime<Utc>,
    /// The verdict's status: up, degraded, down or unknown.
    pub status: Status,
    pub latency_us: Option<i64>,
    pub failure_class: Option<FailureClass>,
    pub message: String,
    /// What the check measures (`ProbeSpec::measure`), when it measures one.
    pub value: Option<f64>,
}

const TABLE: &str = "results";

pub(super) fn insert(tx: &Transaction<'_>, result: &ResultRecord) -> rusqlite::Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO results (check_id, at, status, latency_us, failure_class, message, value)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    statement.execute(params![
        result.check_id.as_str(),
        to_millis(result.at),
        result.status.as_str(),
        result.latency_us,
        result.failure_class.map(FailureClass::as_str),
        result.message,
        result.value
    ])?;
    Ok(())
}

pub(super) fn recent(connection: &Connection, check_id: &CheckId, limit: u32) -> rusqlite::Result<Vec<ResultRecord>> {
    let mut statement = connection.prepare_cached(
        "SELECT id, at, status, latency_us, failure_class, message, value FROM results
         WHERE check_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(params![check_id.as_str(), limit], |row| {
        let id: i64 = row.get(0)?;
        let at = (TABLE, &id as &dyn std::fmt::Display);
        Ok(ResultRecord {
            check_id: check_id.clone(),
            at: from_millis(row.get(1)?),
            status: coded(row, 2, at)?,
            latency_us: row.get(3)?,
            failure_class: coded_or_null(row, 4, at)?,
            message: row.get(5)?,
            value: row.get(6)?,
        })
    })?;
    rows.collect()
}

/// Deletes results older than `before`. Rows are inserted in time order, so the first
/// row at or after `before` bounds the deletion by rowid; a clock that stepped back may
/// keep a few old rows one retention period longer.
pub(super) fn prune(tx: &Transaction<'_>, before: DateTime<Utc>) -> rusqlite::Result<usize> {
    tx.execute(
        "DELETE FROM results WHERE id < COALESCE(
             (SELECT id FROM results WHERE at >= ?1 ORDER BY id LIMIT 1),
             (SELECT MAX(id) + 1 FROM results))",
        params![to_millis(before)],
    )
}
