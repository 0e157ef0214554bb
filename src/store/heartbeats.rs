//! The `heartbeats` table: each heartbeat check's push token and last ping.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::{from_millis, parsed, to_millis};
use crate::model::CheckId;

/// A heartbeat check's token and its last ping.
#[derive(Debug, Clone, PartialEq)]
pub struct HeartbeatRecord {
    pub check_id: CheckId,
    pub token: String,
    pub last_ping_at: Option<DateTime<Utc>>,
    /// The last ping reported a failure (`?status=fail`).
    pub failed: bool,
    /// What the last ping said (its `msg`, or its body), capped.
    pub message: Option<String>,
}

pub(super) fn save(connection: &Connection, record: &HeartbeatRecord) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO heartbeats (check_id, token, last_ping_at, failed, message) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (check_id) DO UPDATE SET token = excluded.token, last_ping_at = excluded.last_ping_at,
                 failed = excluded.failed, message = excluded.message",
        )?
        .execute(params![
            record.check_id.as_str(),
            record.token,
            record.last_ping_at.map(to_millis),
            record.failed,
            record.message
        ])?;
    Ok(())
}

pub(super) fn load_all(connection: &Connection) -> rusqlite::Result<Vec<HeartbeatRecord>> {
    let mut statement = connection.prepare("SELECT check_id, token, last_ping_at, failed, message FROM heartbeats")?;
    let rows = statement.query_map([], |row| {
        Ok(HeartbeatRecord {
            check_id: parsed(row, 0, ("heartbeats", &"?"), "check id", CheckId::parse)?,
            token: row.get(1)?,
            last_ping_at: row.get::<_, Option<i64>>(2)?.map(from_millis),
            failed: row.get(3)?,
            message: row.get(4)?,
        })
    })?;
    rows.collect()
}
