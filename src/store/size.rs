//! The history's size: `max_db_size` caps it by pruning the oldest raw results first,
//! then the oldest rollups (minutes, then hours and days), each only down to a floor;
//! incremental vacuum gives freed pages back to the disk a few at a time.
//!
//! The writer measures the pages in use (the file's pages less its free list: two
//! reads of the header) after every batch, in the batch's transaction. Over the cap, it
//! deletes a chunk of the oldest prunable rows in that transaction and goes on batch
//! by batch until the history is 10% under the cap, so no commit holds the database for
//! long. What it cannot prune (the floors; incidents, notifications and action runs,
//! which are never pruned by size) is told in `/healthz`.

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Rows deleted from one table in one batch while over the cap.
const CHUNK: i64 = 10_000;
/// Raw results and per-minute rollups newer than this are never pruned by size.
pub const RECENT_FLOOR: Duration = Duration::from_secs(86_400);
/// Per-hour and per-day rollups newer than this are never pruned by size.
pub const ROLLUP_FLOOR: Duration = Duration::from_secs(30 * 86_400);
/// Free pages past which some are given back to the disk.
const SLACK_PAGES: i64 = 256;
/// Pages given back in one step.
const GIVE_BACK_PAGES: i64 = 1024;
/// A database kept before incremental vacuum was on is converted at open when it is
/// at most this big (a VACUUM rewrites it whole; larger ones reuse their free pages).
pub const CONVERT_AT_MOST: u64 = 64 * 1024 * 1024;

/// A number a PRAGMA reads, its statement kept prepared (the writer asks after every
/// batch).
fn pragma(connection: &Connection, sql: &str) -> rusqlite::Result<i64> {
    connection.prepare_cached(sql)?.query_row([], |r| r.get(0))
}

/// Bytes in the pages the history uses (free pages not counted).
pub(super) fn used_bytes(connection: &Connection) -> rusqlite::Result<u64> {
    let pages: i64 = pragma(connection, "PRAGMA page_count")?;
    let free: i64 = pragma(connection, "PRAGMA freelist_count")?;
    let size: i64 = pragma(connection, "PRAGMA page_size")?;
    Ok(((pages - free).max(0) as u64).saturating_mul(size as u64))
}

/// What a batch's trim did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Trim {
    /// Bytes in use after it.
    pub used: u64,
    /// Rows deleted: results, minute, hour and day rollups.
    pub deleted: [usize; 4],
    /// Still over the cap's low mark: the next batch trims again.
    pub over: bool,
    /// Over the cap with nothing left above the floors.
    pub at_floor: bool,
}

/// The cap's low mark: trimming, once started, goes on down to it.
pub(super) fn low_mark(max: u64) -> u64 {
    max / 10 * 9
}

/// Deletes a chunk of the oldest prunable rows when the history is over `threshold`
/// (the cap, or its low mark while trimming): raw results older than `RECENT_FLOOR`
/// first, then minute rollups older than it, then hour and day rollups older than
/// `ROLLUP_FLOOR`.
pub(super) fn trim(tx: &Transaction<'_>, now_ms: i64, max: u64, threshold: u64) -> rusqlite::Result<Trim> {
    let used = used_bytes(tx)?;
    if used <= threshold {
        return Ok(Trim { used, ..Trim::default() });
    }
    let recent = now_ms.saturating_sub(RECENT_FLOOR.as_millis() as i64);
    let rollup = now_ms.saturating_sub(ROLLUP_FLOOR.as_millis() as i64);
    let mut deleted = [0; 4];
    // The oldest results by id (their insertion order), those of them past the floor.
    deleted[0] = tx.execute(
        "DELETE FROM results WHERE id IN (SELECT id FROM results ORDER BY id LIMIT ?1) AND at < ?2",
        params![CHUNK, recent],
    )?;
    if deleted[0] > 0 {
        let oldest: Option<i64> =
            tx.query_row("SELECT at FROM results ORDER BY id LIMIT 1", [], |r| r.get(0)).optional()?;
        super::results::forget_before(tx, oldest.unwrap_or(i64::MAX))?;
    } else {
        for (slot, table, floor) in
            [(1, "rollup_minute", recent), (2, "rollup_hour", rollup), (3, "rollup_day", rollup)]
        {
            let sql = format!(
                "DELETE FROM {table} WHERE (check_id, t) IN (SELECT check_id, t FROM {table} WHERE t < ?2 ORDER BY t LIMIT ?1)"
            );
            deleted[slot] = tx.execute(&sql, params![CHUNK, floor])?;
            if deleted[slot] > 0 {
                break;
            }
        }
    }
    let used = used_bytes(tx)?;
    let nothing = deleted.iter().all(|d| *d == 0);
    Ok(Trim { used, deleted, over: used > low_mark(max) && !nothing, at_floor: nothing && used > max })
}

/// Whether freed pages go back to the disk (`auto_vacuum = INCREMENTAL`).
pub(super) fn gives_back(connection: &Connection) -> rusqlite::Result<bool> {
    Ok(connection.query_row("PRAGMA auto_vacuum", [], |r| r.get::<_, i64>(0))? == 2)
}

/// Gives up to `GIVE_BACK_PAGES` free pages back to the disk when more than
/// `SLACK_PAGES` are free (a few new batches reuse that many); the pages it gave.
pub(super) fn give_back(connection: &Connection) -> rusqlite::Result<i64> {
    let free: i64 = pragma(connection, "PRAGMA freelist_count")?;
    if free <= SLACK_PAGES {
        return Ok(0);
    }
    let step = (free - SLACK_PAGES / 2).min(GIVE_BACK_PAGES);
    // Each step is its own short write transaction; it returns no rows.
    connection.execute_batch(&format!("PRAGMA incremental_vacuum({step})"))?;
    let left: i64 = pragma(connection, "PRAGMA freelist_count")?;
    Ok(free - left)
}

/// Turns incremental vacuum on in a database kept before it was on (a new one has it
/// from its first connection), by a VACUUM when it is small (`CONVERT_AT_MOST`). A
/// larger one keeps reusing its free pages, as before; the log says so.
pub(super) fn convert_to_give_back(connection: &Connection) -> rusqlite::Result<()> {
    if gives_back(connection)? {
        return Ok(());
    }
    let pages: i64 = connection.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let size: i64 = connection.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let bytes = (pages.max(0) as u64).saturating_mul(size as u64);
    if bytes > CONVERT_AT_MOST {
        tracing::info!(
            bytes,
            "history database made before incremental vacuum: pruned pages are reused, not given back to the disk"
        );
        return Ok(());
    }
    connection.execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
    tracing::info!(bytes, "history database converted to incremental vacuum");
    Ok(())
}
