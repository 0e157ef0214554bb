//! The `incidents` table: a span of not-up, opened and resolved by the engine.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction};

use super::{coded, from_millis, parsed, to_millis};
use crate::model::{CheckId, FailureClass};

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    pub id: i64,
    pub check_id: CheckId,
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub failure_class: FailureClass,
    pub cause: String,
    pub failed_conditions: Vec<String>,
    pub acked: bool,
    pub acked_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    /// What the probe saw when it opened (kept with the incident as it opens; lists
    /// leave it out: [`super::Store::evidence`] reads it).
    pub evidence: Option<Box<super::Evidence>>,
    /// How it ended when not by its check recovering ("removed from config").
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub check_id: Option<CheckId>,
    /// Only these checks' (a group's).
    pub checks: Option<Vec<CheckId>>,
    /// Only those of this class of failure.
    pub class: Option<FailureClass>,
    /// Only this one.
    pub id: Option<i64>,
    pub open_only: bool,
    /// Only those open at some time at or after this (started before and resolved
    /// after, or not resolved).
    pub from: Option<DateTime<Utc>>,
    /// Only those started before this.
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
}

const TABLE: &str = "incidents";

pub(super) fn open(tx: &Transaction<'_>, incident: &IncidentRecord) -> rusqlite::Result<()> {
    let conditions = serde_json::to_string(&incident.failed_conditions).unwrap_or_else(|_| "[]".into());
    tx.prepare_cached(
        "INSERT OR IGNORE INTO incidents (id, check_id, started_at, failure_class, cause, failed_conditions)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        incident.id,
        incident.check_id.as_str(),
        to_millis(incident.started_at),
        incident.failure_class.as_str(),
        incident.cause,
        conditions
    ])?;
    Ok(())
}

pub(super) fn resolve(
    tx: &Transaction<'_>,
    id: i64,
    at: DateTime<Utc>,
    resolution: Option<&str>,
) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE incidents SET resolved_at = ?2, resolution = ?3 WHERE id = ?1 AND resolved_at IS NULL")?
        .execute(params![id, to_millis(at), resolution])?;
    Ok(())
}

/// When an incident started, if there is one with that id.
pub(super) fn started_at(connection: &Connection, id: i64) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let mut statement = connection.prepare_cached("SELECT started_at FROM incidents WHERE id = ?1")?;
    let mut rows = statement.query_map([id], |row| row.get::<_, i64>(0))?;
    rows.next().transpose().map(|at| at.map(from_millis))
}

pub(super) fn max_id(connection: &Connection) -> rusqlite::Result<i64> {
    connection.query_row("SELECT COALESCE(MAX(id), 0) FROM incidents", [], |row| row.get(0))
}

pub(super) fn list(connection: &Connection, filter: &IncidentFilter) -> rusqlite::Result<Vec<IncidentRecord>> {
    let mut statement = connection.prepare_cached(
        "SELECT id, check_id, started_at, resolved_at, failure_class, cause, failed_conditions, acked, note, acked_at, resolution
         FROM incidents
         WHERE (?1 IS NULL OR check_id = ?1) AND (?2 = 0 OR resolved_at IS NULL) AND (?4 IS NULL OR id = ?4)
           AND (?5 IS NULL OR resolved_at IS NULL OR resolved_at >= ?5) AND (?6 IS NULL OR started_at < ?6)
           AND (?7 IS NULL OR check_id IN (SELECT value FROM json_each(?7))) AND (?8 IS NULL OR failure_class = ?8)
         ORDER BY started_at DESC, id DESC LIMIT ?3",
    )?;
    let limit = if filter.limit == 0 { 100 } else { filter.limit };
    let check = filter.check_id.as_ref().map(CheckId::as_str);
    let (from, to) = (filter.from.map(to_millis), filter.to.map(to_millis));
    let checks = super::id_list(filter.checks.as_ref());
    let class = filter.class.map(|c| c.as_str());
    let rows =
        statement.query_map(params![check, filter.open_only, limit, filter.id, from, to, checks, class], |row| {
            let id: i64 = row.get(0)?;
            let at = (TABLE, &id as &dyn std::fmt::Display);
            let conditions: String = row.get(6)?;
            Ok(IncidentRecord {
                id,
                check_id: parsed(row, 1, at, "check id", CheckId::parse)?,
                started_at: from_millis(row.get(2)?),
                resolved_at: row.get::<_, Option<i64>>(3)?.map(from_millis),
                failure_class: coded(row, 4, at)?,
                cause: row.get(5)?,
                failed_conditions: serde_json::from_str(&conditions).unwrap_or_default(),
                acked: row.get(7)?,
                note: row.get(8)?,
                acked_at: row.get::<_, Option<i64>>(9)?.map(from_millis),
                evidence: None,
                resolution: row.get(10)?,
            })
        })?;
    rows.collect()
}
