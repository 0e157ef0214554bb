//! The `results` table: one row per probe run, and the chains its rows are found by.
//!
//! Results are appended in time order, so writing one touches the table's right edge
//! only. They are not indexed by check: an index on `(check_id, at)` put each result in
//! its check's own leaf, so a batch dirtied a page per check and the writer spent half
//! its time there. Each result names instead the check's result before it (`prev`);
//! `result_heads` names each check's newest, and `result_marks` holds a result of each
//! check a `MARK_EVERY` (each result of a slower check). A check's newest results are a
//! walk back from its head; a time range is a walk back from the first mark at or after
//! its end. A walk goes to ever smaller ids, so a damaged chain ends it, never loops.

use std::collections::hash_map::{Entry, HashMap};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

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

/// How far apart a check's marks are, at least: a walk over a time range reads at most
/// this much of the check's results past the range's end.
const MARK_EVERY_MS: i64 = 60_000;

/// Each check's newest result and newest mark as the writer's transaction leaves
/// them: read from `result_heads` the first time a check writes, kept after, and
/// saved once a batch (one row a check however many of its results the batch holds).
/// Forgotten when a batch does not commit or deletes results, so it never holds what
/// the database does not.
#[derive(Debug, Default)]
pub(super) struct Heads {
    known: HashMap<CheckId, Head>,
}

#[derive(Debug, Clone, Copy)]
struct Head {
    last_id: Option<i64>,
    marked_at: Option<i64>,
    /// Moved since it was last saved.
    moved: bool,
}

impl Heads {
    fn of(&mut self, tx: &Transaction<'_>, check: &CheckId) -> rusqlite::Result<&mut Head> {
        Ok(match self.known.entry(check.clone()) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(unknown) => {
                let saved: Option<(i64, Option<i64>)> = tx
                    .prepare_cached("SELECT last_id, marked_at FROM result_heads WHERE check_id = ?1")?
                    .query_row(params![check.as_str()], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                unknown.insert(Head {
                    last_id: saved.map(|(last, _)| last),
                    marked_at: saved.and_then(|(_, marked)| marked),
                    moved: false,
                })
            }
        })
    }

    /// Writes the heads a batch moved (in its transaction).
    pub(super) fn save(&mut self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut statement = tx.prepare_cached(
            "INSERT INTO result_heads (check_id, last_id, marked_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (check_id) DO UPDATE SET last_id = excluded.last_id, marked_at = excluded.marked_at",
        )?;
        for (check, head) in self.known.iter_mut().filter(|(_, head)| head.moved) {
            statement.execute(params![check.as_str(), head.last_id, head.marked_at])?;
            head.moved = false;
        }
        Ok(())
    }

    /// Lets go of what is known: read again from the database when next needed.
    pub(super) fn forget(&mut self) {
        self.known = HashMap::new();
    }
}

/// A batch's appends to the chains, in its transaction: the statement prepared once for
/// the batch (the statement cache takes an allocation or two a use).
pub(super) struct Appender<'tx> {
    tx: &'tx Transaction<'tx>,
    insert: rusqlite::CachedStatement<'tx>,
    heads: &'tx mut Heads,
}

impl<'tx> Appender<'tx> {
    pub(super) fn new(tx: &'tx Transaction<'tx>, heads: &'tx mut Heads) -> rusqlite::Result<Appender<'tx>> {
        let insert = tx.prepare_cached(
            "INSERT INTO results (check_id, at, status, latency_us, failure_class, message, value, prev)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        Ok(Appender { tx, insert, heads })
    }

    /// Appends a result to its check's chain.
    pub(super) fn append(&mut self, result: &ResultRecord) -> rusqlite::Result<()> {
        let head = self.heads.of(self.tx, &result.check_id)?;
        let at = to_millis(result.at);
        self.insert.execute(params![
            result.check_id.as_str(),
            at,
            result.status.as_str(),
            result.latency_us,
            result.failure_class.map(FailureClass::as_str),
            result.message,
            result.value,
            head.last_id
        ])?;
        let id = self.tx.last_insert_rowid();
        // A clock that stepped back marks again at once.
        if !head.marked_at.is_some_and(|marked| at >= marked && at - marked < MARK_EVERY_MS) {
            self.tx
                .prepare_cached("INSERT OR IGNORE INTO result_marks (check_id, at, id) VALUES (?1, ?2, ?3)")?
                .execute(params![result.check_id.as_str(), at, id])?;
            head.marked_at = Some(at);
        }
        head.last_id = Some(id);
        head.moved = true;
        Ok(())
    }

    /// Writes the heads the batch moved.
    pub(super) fn finish(self) -> rusqlite::Result<()> {
        drop(self.insert);
        self.heads.save(self.tx)
    }
}

/// A check's newest `limit` results, newest first.
pub(super) fn recent(connection: &Connection, check_id: &CheckId, limit: u32) -> rusqlite::Result<Vec<ResultRecord>> {
    let mut statement = connection.prepare_cached(
        "WITH RECURSIVE chain (id, at, status, latency_us, failure_class, message, value, prev, n) AS (
             SELECT r.id, r.at, r.status, r.latency_us, r.failure_class, r.message, r.value, r.prev, 1
             FROM result_heads h JOIN results r ON r.id = h.last_id WHERE h.check_id = ?1 AND ?2 > 0
             UNION ALL
             SELECT r.id, r.at, r.status, r.latency_us, r.failure_class, r.message, r.value, r.prev, c.n + 1
             FROM chain c JOIN results r ON r.id = c.prev WHERE c.n < ?2 AND r.id < c.id
         )
         SELECT id, at, status, latency_us, failure_class, message, value FROM chain",
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

/// One result as a chart counts it: its time (Unix ms), status code, latency and value.
pub(super) type Point = (i64, String, Option<i64>, Option<f64>);

/// A check's results in `[from_ms, to_ms)`, newest first: a walk back from the first
/// mark at or after `to_ms` (from the check's head when there is none).
pub(super) fn range(
    connection: &Connection,
    check_id: &CheckId,
    from_ms: i64,
    to_ms: i64,
) -> rusqlite::Result<Vec<Point>> {
    let mut statement = connection.prepare_cached(
        "WITH RECURSIVE chain (id, at, status, latency_us, value, prev) AS (
             SELECT id, at, status, latency_us, value, prev FROM results WHERE id = COALESCE(
                 (SELECT id FROM result_marks WHERE check_id = ?1 AND at >= ?3 ORDER BY at, id LIMIT 1),
                 (SELECT last_id FROM result_heads WHERE check_id = ?1))
             UNION ALL
             SELECT r.id, r.at, r.status, r.latency_us, r.value, r.prev
             FROM chain c JOIN results r ON r.id = c.prev WHERE c.at >= ?2 AND r.id < c.id
         )
         SELECT at, status, latency_us, value FROM chain WHERE at >= ?2 AND at < ?3",
    )?;
    let rows = statement.query_map(params![check_id.as_str(), from_ms, to_ms], |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
    })?;
    rows.collect()
}

/// Deletes results older than `before`, and the marks of that time. Rows are inserted
/// in time order, so the first row at or after `before` bounds the deletion by rowid;
/// a clock that stepped back may keep a few old rows one retention period longer. A
/// head whose result is gone goes with it (its check has had no result since).
pub(super) fn prune(tx: &Transaction<'_>, before: DateTime<Utc>) -> rusqlite::Result<usize> {
    let before = to_millis(before);
    let pruned = tx.execute(
        "DELETE FROM results WHERE id < COALESCE(
             (SELECT id FROM results WHERE at >= ?1 ORDER BY id LIMIT 1),
             (SELECT MAX(id) + 1 FROM results))",
        params![before],
    )?;
    if pruned > 0 {
        forget_before(tx, before)?;
    }
    Ok(pruned)
}

/// Deletes the marks older than `before_ms` and the heads of results deleted.
pub(super) fn forget_before(tx: &Transaction<'_>, before_ms: i64) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM result_marks WHERE at < ?1", params![before_ms])?;
    tx.execute(
        "DELETE FROM result_heads WHERE last_id < COALESCE((SELECT MIN(id) FROM results), (SELECT MAX(last_id) + 1 FROM result_heads))",
        [],
    )?;
    Ok(())
}

/// When raw results can be walked over a time range from (Unix ms): the results kept
/// before the chains are chained only for each check's newest (`chain_kept`).
pub(super) fn chained_since(connection: &Connection) -> rusqlite::Result<i64> {
    Ok(connection
        .query_row("SELECT MAX(since) FROM result_chains", [], |row| row.get::<_, Option<i64>>(0))?
        .unwrap_or(0))
}

/// The most results of each check that `chain_kept` chains, and of all checks.
const CHAIN_KEPT: (usize, usize) = (1000, 200_000);

/// Chains the results a database kept before schema 16, through the index it had, then
/// drops that index (in the migration's transaction): each check's head, and its newest
/// results (`CHAIN_KEPT`) as `recent` reads them. Older ones stay in the table for
/// exports and the rollups already made of them.
pub(super) fn chain_kept(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // Each check once, an index seek apiece (a full scan of a large table takes minutes).
    let checks: Vec<String> = tx
        .prepare(
            "WITH RECURSIVE c (check_id) AS (
                 SELECT MIN(check_id) FROM results
                 UNION ALL
                 SELECT (SELECT MIN(check_id) FROM results WHERE check_id > c.check_id) FROM c WHERE c.check_id IS NOT NULL
             )
             SELECT check_id FROM c WHERE check_id IS NOT NULL",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let each = (CHAIN_KEPT.1 / checks.len().max(1)).clamp(2, CHAIN_KEPT.0);
    let mut newest = tx.prepare("SELECT id FROM results WHERE check_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2")?;
    let mut link = tx.prepare("UPDATE results SET prev = ?2 WHERE id = ?1")?;
    let mut head = tx.prepare("INSERT INTO result_heads (check_id, last_id) VALUES (?1, ?2)")?;
    for check in &checks {
        let ids: Vec<i64> =
            newest.query_map(params![check, each], |row| row.get(0))?.collect::<rusqlite::Result<_>>()?;
        if let Some(last) = ids.first() {
            head.execute(params![check, last])?;
        }
        for pair in ids.windows(2) {
            link.execute(params![pair[0], pair[1]])?;
        }
    }
    drop((newest, link, head));
    tx.execute_batch("DROP INDEX results_by_check_time")?;
    if !checks.is_empty() {
        tracing::info!(checks = checks.len(), each, "the results kept chained by check");
    }
    Ok(())
}
