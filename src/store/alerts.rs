//! The alert tables: `notifications` (every decision, one row per channel, with the
//! checks it names in `notification_checks`), `silences` (with `silence_targets`),
//! and the acknowledgement and notes of incidents.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction};

use super::{coded, from_millis, parsed, to_millis};
use crate::model::{CheckId, NotifyEvent, Severity, Suppressed};

/// A notification decision as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub event: NotifyEvent,
    pub checks: Vec<CheckId>,
    /// The incident, when it is about one.
    pub incident: Option<i64>,
    /// Every incident it tells of (a burst tells of many).
    pub incidents: Vec<i64>,
    pub channel: String,
    pub severity: Severity,
    pub title: String,
    pub body: String,
    pub suppressed: Option<Suppressed>,
    /// `None` while pending (or suppressed), then whether it was delivered.
    pub delivered: Option<bool>,
    pub attempts: u32,
    pub error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// How a delivery went, after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    /// `None`: failed, to be tried again.
    pub delivered: Option<bool>,
    pub attempts: u32,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    pub check_id: Option<CheckId>,
    pub incident: Option<i64>,
    pub channel: Option<String>,
    pub event: Option<crate::model::NotifyEvent>,
    /// Where it stands (`model::Outcome::of`).
    pub outcome: Option<crate::model::Outcome>,
    pub limit: u32,
}

/// The rows that stand as `outcome`: `model::Outcome::of` in SQL.
fn outcome_condition(outcome: crate::model::Outcome) -> &'static str {
    use crate::model::Outcome;
    match outcome {
        Outcome::Held => "n.suppressed IS NOT NULL",
        Outcome::Delivered => "n.suppressed IS NULL AND n.delivered = 1",
        Outcome::Failed => "n.suppressed IS NULL AND n.delivered = 0",
        Outcome::Retrying => "n.suppressed IS NULL AND n.delivered IS NULL AND n.error IS NOT NULL",
        Outcome::Sending => "n.suppressed IS NULL AND n.delivered IS NULL AND n.error IS NULL",
    }
}

/// A silence as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceRecord {
    pub id: i64,
    pub checks: Vec<CheckId>,
    pub groups: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub created_by: String,
    /// When it was ended early.
    pub ended_at: Option<DateTime<Utc>>,
}

impl SilenceRecord {
    /// When it stops muting: its end, or when it was ended.
    pub fn until(&self) -> DateTime<Utc> {
        self.ended_at.map_or(self.ends_at, |e| e.min(self.ends_at))
    }
}

/// A note on an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRecord {
    pub incident: i64,
    pub at: DateTime<Utc>,
    pub text: String,
    pub author: String,
}

const NOTIFICATIONS: &str = "notifications";
const SILENCES: &str = "silences";

pub(super) fn insert_notification(tx: &Transaction<'_>, n: &NotificationRecord) -> rusqlite::Result<()> {
    let inserted = tx.prepare_cached(
        "INSERT OR IGNORE INTO notifications (id, at, event, incident_id, channel, severity, title, body, suppressed,
             delivered, attempts, error, delivered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        n.id,
        to_millis(n.at),
        n.event.as_str(),
        n.incident,
        n.channel,
        n.severity.as_str(),
        n.title,
        n.body,
        n.suppressed.map(Suppressed::as_str),
        n.delivered,
        n.attempts,
        n.error,
        n.delivered_at.map(to_millis),
    ])?;
    if inserted == 0 {
        // Already recorded (a batch tried again): its checks are too.
        return Ok(());
    }
    let mut statement =
        tx.prepare_cached("INSERT INTO notification_checks (check_id, notification_id) VALUES (?1, ?2)")?;
    for check in &n.checks {
        statement.execute(params![check.as_str(), n.id])?;
    }
    let mut statement =
        tx.prepare_cached("INSERT INTO notification_incidents (incident_id, notification_id) VALUES (?1, ?2)")?;
    for incident in &n.incidents {
        statement.execute(params![incident, n.id])?;
    }
    Ok(())
}

pub(super) fn record_delivery(tx: &Transaction<'_>, d: &Delivery) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE notifications SET delivered = ?2, attempts = ?3, error = ?4,
             delivered_at = CASE WHEN ?2 = 1 THEN ?5 ELSE delivered_at END
         WHERE id = ?1",
    )?
    .execute(params![d.id, d.delivered, d.attempts, d.error, to_millis(d.at)])?;
    Ok(())
}

pub(super) fn max_notification_id(connection: &Connection) -> rusqlite::Result<i64> {
    connection.query_row("SELECT COALESCE(MAX(id), 0) FROM notifications", [], |row| row.get(0))
}

pub(super) fn max_silence_id(connection: &Connection) -> rusqlite::Result<i64> {
    connection.query_row("SELECT COALESCE(MAX(id), 0) FROM silences", [], |row| row.get(0))
}

fn notification_row(connection: &Connection, row: &rusqlite::Row<'_>) -> rusqlite::Result<NotificationRecord> {
    let id: i64 = row.get(0)?;
    let at = (NOTIFICATIONS, &id as &dyn std::fmt::Display);
    let suppressed: Option<Suppressed> = super::coded_or_null(row, 8, at)?;
    let mut checks = Vec::new();
    let mut statement = connection
        .prepare_cached("SELECT check_id FROM notification_checks WHERE notification_id = ?1 ORDER BY rowid")?;
    for check in statement.query_map([id], |r| parsed(r, 0, at, "check id", CheckId::parse))? {
        checks.push(check?);
    }
    let mut statement = connection
        .prepare_cached("SELECT incident_id FROM notification_incidents WHERE notification_id = ?1 ORDER BY rowid")?;
    let incidents = statement.query_map([id], |r| r.get(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(NotificationRecord {
        id,
        at: from_millis(row.get(1)?),
        event: coded(row, 2, at)?,
        incident: row.get(3)?,
        channel: row.get(4)?,
        severity: coded(row, 5, at)?,
        title: row.get(6)?,
        body: row.get(7)?,
        suppressed,
        delivered: row.get(9)?,
        attempts: row.get(10)?,
        error: row.get(11)?,
        delivered_at: row.get::<_, Option<i64>>(12)?.map(from_millis),
        checks,
        incidents,
    })
}

const NOTIFICATION_COLUMNS: &str = "n.id, n.at, n.event, n.incident_id, n.channel, n.severity, n.title, n.body,
    n.suppressed, n.delivered, n.attempts, n.error, n.delivered_at";

pub(super) fn notifications(
    connection: &Connection,
    filter: &NotificationFilter,
) -> rusqlite::Result<Vec<NotificationRecord>> {
    let limit = if filter.limit == 0 { 100 } else { filter.limit };
    let outcome = filter.outcome.map_or("1", outcome_condition);
    let sql = format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications n
         WHERE (?1 IS NULL OR n.id IN (SELECT notification_id FROM notification_checks WHERE check_id = ?1))
           AND (?2 IS NULL OR n.id IN (SELECT notification_id FROM notification_incidents WHERE incident_id = ?2))
           AND (?3 IS NULL OR n.channel = ?3)
           AND (?4 IS NULL OR n.event = ?4)
           AND ({outcome})
         ORDER BY n.id DESC LIMIT ?5"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let check = filter.check_id.as_ref().map(CheckId::as_str);
    let event = filter.event.map(crate::model::NotifyEvent::as_str);
    let rows = statement.query_map(params![check, filter.incident, filter.channel, event, limit], |row| {
        notification_row(connection, row)
    })?;
    rows.collect()
}

/// Sent notifications whose delivery has not ended (delivered or given up): the
/// notifier takes them up again after a restart.
pub(super) fn pending(connection: &Connection) -> rusqlite::Result<Vec<NotificationRecord>> {
    let sql = format!(
        "SELECT {NOTIFICATION_COLUMNS} FROM notifications n
         WHERE n.delivered IS NULL AND n.suppressed IS NULL ORDER BY n.id"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map([], |row| notification_row(connection, row))?;
    rows.collect()
}

pub(super) fn insert_silence(tx: &Transaction<'_>, s: &SilenceRecord) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO silences (id, starts_at, ends_at, reason, created_by, ended_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        s.id,
        to_millis(s.starts_at),
        to_millis(s.ends_at),
        s.reason,
        s.created_by,
        s.ended_at.map(to_millis)
    ])?;
    let mut statement =
        tx.prepare_cached("INSERT INTO silence_targets (silence_id, kind, name) VALUES (?1, ?2, ?3)")?;
    for check in &s.checks {
        statement.execute(params![s.id, "check", check.as_str()])?;
    }
    for group in &s.groups {
        statement.execute(params![s.id, "group", group])?;
    }
    Ok(())
}

/// One silence by id, ended or not.
pub(super) fn silence(connection: &Connection, id: i64) -> rusqlite::Result<Option<SilenceRecord>> {
    Ok(silences_where(connection, "id = ?1", rusqlite::params![id])?.into_iter().next())
}

pub(super) fn end_silence(tx: &Transaction<'_>, id: i64, at: DateTime<Utc>) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE silences SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL")?
        .execute(params![id, to_millis(at)])?;
    Ok(())
}

/// Silences still muting at `now` (or later), or every one with `all`, newest first.
pub(super) fn silences(connection: &Connection, now: DateTime<Utc>, all: bool) -> rusqlite::Result<Vec<SilenceRecord>> {
    silences_where(connection, "?1 OR (ended_at IS NULL AND ends_at > ?2)", params![all, to_millis(now)])
}

fn silences_where(
    connection: &Connection,
    condition: &str,
    values: impl rusqlite::Params,
) -> rusqlite::Result<Vec<SilenceRecord>> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT id, starts_at, ends_at, reason, created_by, ended_at FROM silences
         WHERE {condition} ORDER BY id DESC LIMIT 1000"
    ))?;
    let mut records: Vec<SilenceRecord> = statement
        .query_map(values, |row| {
            Ok(SilenceRecord {
                id: row.get(0)?,
                starts_at: from_millis(row.get(1)?),
                ends_at: from_millis(row.get(2)?),
                reason: row.get(3)?,
                created_by: row.get(4)?,
                ended_at: row.get::<_, Option<i64>>(5)?.map(from_millis),
                checks: Vec::new(),
                groups: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut targets =
        connection.prepare_cached("SELECT kind, name FROM silence_targets WHERE silence_id = ?1 ORDER BY rowid")?;
    for record in &mut records {
        let at = (SILENCES, &record.id as &dyn std::fmt::Display);
        let rows = targets.query_map([record.id], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
        for row in rows {
            let (kind, name) = row?;
            match kind.as_str() {
                "check" => match CheckId::parse(&name) {
                    Some(check) => record.checks.push(check),
                    None => return Err(bad(at, "name", name, "check id")),
                },
                _ => record.groups.push(name),
            }
        }
    }
    Ok(records)
}

pub(super) fn ack(tx: &Transaction<'_>, incident: i64, at: DateTime<Utc>) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE incidents SET acked = 1, acked_at = ?2 WHERE id = ?1 AND acked = 0")?
        .execute(params![incident, to_millis(at)])?;
    Ok(())
}

pub(super) fn add_note(tx: &Transaction<'_>, note: &NoteRecord) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO incident_notes (incident_id, at, text, author) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![note.incident, to_millis(note.at), note.text, note.author])?;
    Ok(())
}

pub(super) fn notes(connection: &Connection, incident: i64) -> rusqlite::Result<Vec<NoteRecord>> {
    let mut statement = connection.prepare_cached(
        "SELECT at, text, author FROM incident_notes WHERE incident_id = ?1 ORDER BY at, id LIMIT 1000",
    )?;
    let rows = statement.query_map([incident], |row| {
        Ok(NoteRecord { incident, at: from_millis(row.get(0)?), text: row.get(1)?, author: row.get(2)? })
    })?;
    rows.collect()
}

/// When an incident was acknowledged, and how many notifications were sent about it.
pub(super) fn incident_alerting(
    connection: &Connection,
    incident: i64,
) -> rusqlite::Result<(Option<DateTime<Utc>>, u32)> {
    let acked_at: Option<i64> = connection
        .query_row("SELECT acked_at FROM incidents WHERE id = ?1", [incident], |row| row.get(0))
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let count: u32 = connection.query_row(
        "SELECT COUNT(*) FROM notifications WHERE suppressed IS NULL
           AND id IN (SELECT notification_id FROM notification_incidents WHERE incident_id = ?1)",
        [incident],
        |row| row.get(0),
    )?;
    Ok((acked_at.map(from_millis), count))
}

fn bad(
    (table, key): (&'static str, &dyn std::fmt::Display),
    column: &str,
    value: String,
    what: &'static str,
) -> rusqlite::Error {
    let bad = super::BadValue { table, row: key.to_string(), column: column.to_owned(), value, what };
    rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(bad))
}

pub(super) fn incident_exists(connection: &Connection, incident: i64) -> rusqlite::Result<bool> {
    connection.query_row("SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?1)", [incident], |row| row.get(0))
}
