//! The recovery tables: `action_budget_resets` (when each action's budget was last
//! reset) and `healing` (each check's self-healing state).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, Transaction};

use super::{from_millis, parsed, to_millis};
use crate::healing::Healing;
use crate::model::{ActionId, CheckId};

pub(super) fn reset_budget(tx: &Transaction<'_>, action_id: &ActionId, at: DateTime<Utc>) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO action_budget_resets (action_id, reset_at) VALUES (?1, ?2)
         ON CONFLICT (action_id) DO UPDATE SET reset_at = excluded.reset_at",
    )?
    .execute(params![action_id.as_str(), to_millis(at)])?;
    Ok(())
}

/// When each action's budget was last reset.
pub(super) fn budget_resets(connection: &Connection) -> rusqlite::Result<HashMap<ActionId, DateTime<Utc>>> {
    let mut statement = connection.prepare("SELECT action_id, reset_at FROM action_budget_resets")?;
    let rows = statement.query_map([], |row| {
        let action: String = row.get(0)?;
        let at = ("action_budget_resets", &action as &dyn std::fmt::Display);
        Ok((parsed(row, 0, at, "action id", ActionId::parse)?, from_millis(row.get(1)?)))
    })?;
    rows.collect()
}

pub(super) fn save_healing(tx: &Transaction<'_>, check_id: &CheckId, healing: &Healing) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO healing (check_id, attempts, last_run_at, gave_up_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (check_id) DO UPDATE SET attempts = excluded.attempts, last_run_at = excluded.last_run_at,
             gave_up_at = excluded.gave_up_at",
    )?
    .execute(params![
        check_id.as_str(),
        healing.attempts,
        healing.last_run_at.map(to_millis),
        healing.gave_up_at.map(to_millis)
    ])?;
    Ok(())
}

/// Every check's healing state.
pub(super) fn load_healing(connection: &Connection) -> rusqlite::Result<HashMap<CheckId, Healing>> {
    let mut statement = connection.prepare("SELECT check_id, attempts, last_run_at, gave_up_at FROM healing")?;
    let rows = statement.query_map([], |row| {
        let check: String = row.get(0)?;
        let at = ("healing", &check as &dyn std::fmt::Display);
        let healing = Healing {
            attempts: row.get(1)?,
            last_run_at: row.get::<_, Option<i64>>(2)?.map(from_millis),
            gave_up_at: row.get::<_, Option<i64>>(3)?.map(from_millis),
        };
        Ok((parsed(row, 0, at, "check id", CheckId::parse)?, healing))
    })?;
    rows.collect()
}
