//! The `results` table: one row per probe run.

use rusqlite::{params, Connection, Transaction};

use super::{from_millis, to_millis};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct ResultRecord {
    pub check_id: String,
    pub at: DateTime<Utc>,
    pub status: String,
    pub latency_us: Option<i64>,
    pub class: Option<String>,
    pub message: String,
}

pub(super) fn insert(tx: &Transaction<'_>, result: &ResultRecord) -> rusqlite::Result<()> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO results (check_id, at, status, latency_us, class, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    statement.execute(params![
        result.check_id,
        to_millis(result.at),
        result.status,
        result.latency_us,
        result.class,
        result.message
    ])?;
    Ok(())
}

pub(super) fn recent(connection: &Connection, check_id: &str, limit: u32) -> rusqlite::Result<Vec<ResultRecord>> {
    let mut statement = connection.prepare_cached(
        "SELECT check_id, at, status, latency_us, class, message FROM results
         WHERE check_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(params![check_id, limit], |row| {
        Ok(ResultRecord {
            check_id: row.get(0)?,
            at: from_millis(row.get(1)?),
            status: row.get(2)?,
            latency_us: row.get(3)?,
            class: row.get(4)?,
            message: row.get(5)?,
        })
    })?;
    rows.collect()
}

/// One time bucket of a check's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// The bucket's start.
    pub at: DateTime<Utc>,
    pub count: u32,
    pub up: u32,
    pub degraded: u32,
    pub down: u32,
    pub unknown: u32,
    pub latency_avg_us: Option<f64>,
    pub latency_max_us: Option<i64>,
}

/// A check's results in `[from, to)` grouped into buckets of `bucket_ms`, oldest first;
/// empty buckets are left out. The `(check_id, at)` index bounds the scan.
pub(super) fn buckets(
    connection: &Connection,
    check_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_ms: i64,
) -> rusqlite::Result<Vec<Bucket>> {
    let mut statement = connection.prepare_cached(
        "SELECT (at - ?2) / ?4 AS slot, COUNT(*),
                SUM(status = 'up'), SUM(status = 'degraded'), SUM(status = 'down'), SUM(status = 'unknown'),
                AVG(latency_us), MAX(latency_us)
         FROM results WHERE check_id = ?1 AND at >= ?2 AND at < ?3
         GROUP BY slot ORDER BY slot",
    )?;
    let start = to_millis(from);
    let bucket_ms = bucket_ms.max(1);
    let rows = statement.query_map(params![check_id, start, to_millis(to), bucket_ms], |row| {
        Ok(Bucket {
            at: from_millis(start + row.get::<_, i64>(0)? * bucket_ms),
            count: row.get(1)?,
            up: row.get(2)?,
            degraded: row.get(3)?,
            down: row.get(4)?,
            unknown: row.get(5)?,
            latency_avg_us: row.get(6)?,
            latency_max_us: row.get(7)?,
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
