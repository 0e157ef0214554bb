//! The `action_runs` table: the audit of every action run.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{coded, from_millis, parsed, parsed_or_null, to_millis};
use crate::model::{ActionId, CheckId, Plan, Quarantined, Requester, RunStatus};

#[derive(Debug, Clone)]
pub struct NewActionRun {
    pub action_id: ActionId,
    pub check_id: Option<CheckId>,
    pub incident_id: Option<i64>,
    pub requested_by: Requester,
    pub dry_run: bool,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub output: String,
    pub duration_ms: i64,
    pub verified: Option<bool>,
    /// A cleanup's quarantine.
    pub quarantine: Option<Quarantined>,
    /// When a cleanup was undone.
    pub undone_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct ActionRunRecord {
    pub id: i64,
    pub run: NewActionRun,
    /// A dry run's plan, as answered (not kept in the history: the output says it).
    pub plan: Option<Plan>,
}

const TABLE: &str = "action_runs";

/// A run's quarantine as its four columns: folder, count, bytes, expiry.
fn quarantine_columns(run: &NewActionRun) -> (Option<&str>, Option<i64>, Option<i64>, Option<i64>) {
    match &run.quarantine {
        Some(q) => (q.dir.as_deref(), Some(q.count as i64), Some(q.bytes as i64), q.expires_at.map(to_millis)),
        None => (None, None, None, None),
    }
}

pub(super) fn insert(connection: &Connection, run: &NewActionRun) -> rusqlite::Result<i64> {
    let (dir, count, bytes, expires) = quarantine_columns(run);
    connection
        .prepare_cached(
            "INSERT INTO action_runs (action_id, check_id, incident_id, requested_by, dry_run, started_at,
                 finished_at, status, exit_code, output, duration_ms, verified, quarantine_dir, quarantine_count,
                 quarantine_bytes, quarantine_expires, undone_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        )?
        .execute(params![
            run.action_id.as_str(),
            run.check_id.as_ref().map(CheckId::as_str),
            run.incident_id,
            run.requested_by.as_str(),
            run.dry_run,
            to_millis(run.started_at),
            to_millis(run.finished_at),
            run.status.as_str(),
            run.exit_code,
            run.output,
            run.duration_ms,
            run.verified,
            dir,
            count,
            bytes,
            expires,
            run.undone_at.map(to_millis),
        ])?;
    Ok(connection.last_insert_rowid())
}

/// Writes how a run recorded at its start ended.
pub(super) fn finish(connection: &Connection, id: i64, run: &NewActionRun) -> rusqlite::Result<()> {
    let (dir, count, bytes, expires) = quarantine_columns(run);
    connection
        .prepare_cached(
            "UPDATE action_runs SET check_id = ?2, incident_id = ?3, finished_at = ?4, status = ?5, exit_code = ?6,
                 output = ?7, duration_ms = ?8, verified = ?9, quarantine_dir = ?10, quarantine_count = ?11,
                 quarantine_bytes = ?12, quarantine_expires = ?13
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            run.check_id.as_ref().map(CheckId::as_str),
            run.incident_id,
            to_millis(run.finished_at),
            run.status.as_str(),
            run.exit_code,
            run.output,
            run.duration_ms,
            run.verified,
            dir,
            count,
            bytes,
            expires,
        ])?;
    Ok(())
}

/// Notes that a cleanup was undone.
pub(super) fn mark_undone(connection: &Connection, id: i64, at: DateTime<Utc>) -> rusqlite::Result<()> {
    connection
        .prepare_cached("UPDATE action_runs SET undone_at = ?2 WHERE id = ?1")?
        .execute(params![id, to_millis(at)])?;
    Ok(())
}

/// Marks runs still `running` (the process stopped during them) `interrupted`;
/// returns how many.
pub(super) fn interrupt_running(connection: &Connection) -> rusqlite::Result<usize> {
    connection.execute(
        "UPDATE action_runs SET status = ?1,
             output = output || ?2
         WHERE status = ?3",
        params![
            RunStatus::Interrupted.as_str(),
            "\n[watchkeeper stopped during this run; its outcome is unknown]",
            RunStatus::Running.as_str()
        ],
    )
}

/// When each run of `action_id` that counts against its budget (every run but dry
/// ones) started, since `since`.
pub(super) fn starts_since(
    connection: &Connection,
    action_id: &ActionId,
    since: DateTime<Utc>,
) -> rusqlite::Result<Vec<DateTime<Utc>>> {
    let mut statement = connection.prepare_cached(
        "SELECT started_at FROM action_runs WHERE action_id = ?1 AND dry_run = 0 AND started_at > ?2",
    )?;
    let rows =
        statement.query_map(params![action_id.as_str(), to_millis(since)], |row| Ok(from_millis(row.get(0)?)))?;
    rows.collect()
}

/// Which runs to list; `None` fields match everything.
#[derive(Debug, Clone, Default)]
pub struct ActionRunFilter {
    pub action_id: Option<ActionId>,
    pub check_id: Option<CheckId>,
    pub incident_id: Option<i64>,
    pub limit: u32,
}

const COLUMNS: &str = "id, action_id, check_id, incident_id, requested_by, dry_run, started_at, finished_at, status,
     exit_code, output, duration_ms, verified, quarantine_dir, quarantine_count, quarantine_bytes, quarantine_expires,
     undone_at";

pub(super) fn list(connection: &Connection, filter: &ActionRunFilter) -> rusqlite::Result<Vec<ActionRunRecord>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {COLUMNS}
         FROM action_runs
         WHERE (?1 IS NULL OR action_id = ?1) AND (?2 IS NULL OR check_id = ?2) AND (?3 IS NULL OR incident_id = ?3)
         ORDER BY started_at DESC, id DESC LIMIT ?4"
    ))?;
    let limit = if filter.limit == 0 { 50 } else { filter.limit };
    let action = filter.action_id.as_ref().map(ActionId::as_str);
    let check = filter.check_id.as_ref().map(CheckId::as_str);
    let rows = statement.query_map(params![action, check, filter.incident_id, limit], read_row)?;
    rows.collect()
}

pub(super) fn by_id(connection: &Connection, id: i64) -> rusqlite::Result<Option<ActionRunRecord>> {
    let mut statement = connection.prepare_cached(&format!("SELECT {COLUMNS} FROM action_runs WHERE id = ?1"))?;
    let mut rows = statement.query_map(params![id], read_row)?;
    rows.next().transpose()
}

fn read_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ActionRunRecord> {
    let id: i64 = row.get(0)?;
    let at = (TABLE, &id as &dyn std::fmt::Display);
    let count: Option<i64> = row.get(14)?;
    let quarantine = count.map(|count| -> rusqlite::Result<Quarantined> {
        Ok(Quarantined {
            dir: row.get(13)?,
            count: count as u64,
            bytes: row.get::<_, Option<i64>>(15)?.unwrap_or(0) as u64,
            expires_at: row.get::<_, Option<i64>>(16)?.map(from_millis),
        })
    });
    Ok(ActionRunRecord {
        id,
        run: NewActionRun {
            action_id: parsed(row, 1, at, "action id", ActionId::parse)?,
            check_id: parsed_or_null(row, 2, at, "check id", CheckId::parse)?,
            incident_id: row.get(3)?,
            requested_by: coded(row, 4, at)?,
            dry_run: row.get(5)?,
            started_at: from_millis(row.get(6)?),
            finished_at: from_millis(row.get(7)?),
            status: coded(row, 8, at)?,
            exit_code: row.get(9)?,
            output: row.get(10)?,
            duration_ms: row.get(11)?,
            verified: row.get(12)?,
            quarantine: quarantine.transpose()?,
            undone_at: row.get::<_, Option<i64>>(17)?.map(from_millis),
        },
        plan: None,
    })
}

/// The runs (not dry ones) filed on these incidents, oldest first.
pub(super) fn on_incidents(connection: &Connection, incidents: &[i64]) -> rusqlite::Result<Vec<ActionRunRecord>> {
    if incidents.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; incidents.len()].join(", ");
    let mut statement = connection.prepare(&format!(
        "SELECT {COLUMNS} FROM action_runs WHERE dry_run = 0 AND incident_id IN ({marks}) ORDER BY started_at, id"
    ))?;
    let rows = statement.query_map(rusqlite::params_from_iter(incidents), read_row)?;
    rows.collect()
}
