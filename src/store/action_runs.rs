//! The `action_runs` table: the audit of every action run.

use rusqlite::{params, Connection};

use super::{from_millis, to_millis};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct NewActionRun {
    pub action_id: String,
    pub check_id: Option<String>,
    pub incident_id: Option<i64>,
    pub requested_by: String,
    pub dry_run: bool,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub status: String,
    pub exit_code: Option<i32>,
    pub output: String,
    pub duration_ms: i64,
    pub verified: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct ActionRunRecord {
    pub id: i64,
    pub run: NewActionRun,
}

pub(super) fn insert(connection: &Connection, run: &NewActionRun) -> rusqlite::Result<i64> {
    connection
        .prepare_cached(
            "INSERT INTO action_runs (action_id, check_id, incident_id, requested_by, dry_run, started_at,
                 finished_at, status, exit_code, output, duration_ms, verified)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            run.action_id,
            run.check_id,
            run.incident_id,
            run.requested_by,
            run.dry_run,
            to_millis(run.started_at),
            to_millis(run.finished_at),
            run.status,
            run.exit_code,
            run.output,
            run.duration_ms,
            run.verified,
        ])?;
    Ok(connection.last_insert_rowid())
}

/// Which runs to list; `None` fields match everything.
#[derive(Debug, Clone, Default)]
pub struct ActionRunFilter {
    pub action_id: Option<String>,
    pub check_id: Option<String>,
    pub incident_id: Option<i64>,
    pub limit: u32,
}

pub(super) fn list(connection: &Connection, filter: &ActionRunFilter) -> rusqlite::Result<Vec<ActionRunRecord>> {
    let mut statement = connection.prepare_cached(
        "SELECT id, action_id, check_id, incident_id, requested_by, dry_run, started_at, finished_at, status,
                exit_code, output, duration_ms, verified
         FROM action_runs
         WHERE (?1 IS NULL OR action_id = ?1) AND (?2 IS NULL OR check_id = ?2) AND (?3 IS NULL OR incident_id = ?3)
         ORDER BY started_at DESC, id DESC LIMIT ?4",
    )?;
    let limit = if filter.limit == 0 { 50 } else { filter.limit };
    let rows = statement.query_map(params![filter.action_id, filter.check_id, filter.incident_id, limit], |row| {
        Ok(ActionRunRecord {
            id: row.get(0)?,
            run: NewActionRun {
                action_id: row.get(1)?,
                check_id: row.get(2)?,
                incident_id: row.get(3)?,
                requested_by: row.get(4)?,
                dry_run: row.get(5)?,
                started_at: from_millis(row.get(6)?),
                finished_at: from_millis(row.get(7)?),
                status: row.get(8)?,
                exit_code: row.get(9)?,
                output: row.get(10)?,
                duration_ms: row.get(11)?,
                verified: row.get(12)?,
            },
        })
    })?;
    rows.collect()
}
