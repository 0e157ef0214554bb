//! The `incidents` table: a span of not-up, opened and resolved by the engine.

use rusqlite::{params, Connection, Transaction};

use super::{from_millis, to_millis};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    pub id: i64,
    pub check_id: String,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub cause_class: String,
    pub cause: String,
    pub failed_conditions: Vec<String>,
    pub acked: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub check_id: Option<String>,
    pub open_only: bool,
    pub limit: u32,
}

pub(super) fn open(tx: &Transaction<'_>, incident: &IncidentRecord) -> rusqlite::Result<()> {
    let conditions = serde_json::to_string(&incident.failed_conditions).unwrap_or_else(|_| "[]".into());
    tx.prepare_cached(
        "INSERT OR IGNORE INTO incidents (id, check_id, started_at, cause_class, cause, failed_conditions)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        incident.id,
        incident.check_id,
        to_millis(incident.started_at),
        incident.cause_class,
        incident.cause,
        conditions
    ])?;
    Ok(())
}

pub(super) fn resolve(tx: &Transaction<'_>, id: i64, at: DateTime<Utc>) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE incidents SET resolved_at = ?2 WHERE id = ?1 AND resolved_at IS NULL")?
        .execute(params![id, to_millis(at)])?;
    Ok(())
}

pub(super) fn max_id(connection: &Connection) -> rusqlite::Result<i64> {
    connection.query_row("SELECT COALESCE(MAX(id), 0) FROM incidents", [], |row| row.get(0))
}

pub(super) fn list(connection: &Connection, filter: &IncidentFilter) -> rusqlite::Result<Vec<IncidentRecord>> {
    let mut statement = connection.prepare_cached(
        "SELECT id, check_id, started_at, resolved_at, cause_class, cause, failed_conditions, acked, note
         FROM incidents
         WHERE (?1 IS NULL OR check_id = ?1) AND (?2 = 0 OR resolved_at IS NULL)
         ORDER BY started_at DESC, id DESC LIMIT ?3",
    )?;
    let limit = if filter.limit == 0 { 100 } else { filter.limit };
    let rows = statement.query_map(params![filter.check_id, filter.open_only, limit], |row| {
        let conditions: String = row.get(6)?;
        Ok(IncidentRecord {
            id: row.get(0)?,
            check_id: row.get(1)?,
            started_at: from_millis(row.get(2)?),
            resolved_at: row.get::<_, Option<i64>>(3)?.map(from_millis),
            cause_class: row.get(4)?,
            cause: row.get(5)?,
            failed_conditions: serde_json::from_str(&conditions).unwrap_or_default(),
            acked: row.get(7)?,
            note: row.get(8)?,
        })
    })?;
    rows.collect()
}
