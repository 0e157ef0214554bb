//! How a check's results are found without an index by check (`store::results`): the
//! walks back from each check's head and from its marks read what a scan of the table
//! reads, however the results were cut into batches; a database from before the chains
//! keeps its newest results readable; pruning takes the marks and heads with the
//! results; a damaged chain ends a walk.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use watchkeeper::figures::OwnFigures;
use watchkeeper::model::Status;
use watchkeeper::store::rollups::Source;
use watchkeeper::store::{ResultRecord, Retention, Store};

use crate::support::history::{self, id, state};

const START_MS: i64 = 1_780_000_000_000;
const CHECKS: [&str; 3] = ["a", "b", "c"];

/// A result whose message names it (`a@1780000000000`).
fn result(check: &str, at_ms: i64, status: Status, latency_us: Option<i64>) -> ResultRecord {
    ResultRecord { message: format!("{check}@{at_ms}"), ..history::result(check, at_ms, status, latency_us) }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Writes `results` through a real writer with `retention`, a flush every `batch`.
fn write(store: &Store, results: Vec<ResultRecord>, batch: usize, retention: Retention) {
    runtime().block_on(async {
        let writer = store.writer(retention, CHECKS.len(), Arc::new(OwnFigures::default())).unwrap();
        let handle = writer.handle();
        for (i, result) in results.into_iter().enumerate() {
            let check = result.check_id.as_str().to_owned();
            handle.result(result, state(&check, false));
            if (i + 1) % batch == 0 {
                handle.flush().await.unwrap();
            }
        }
        writer.stop().await;
    });
}

fn long() -> Retention {
    Retention::new(Duration::from_secs(400 * 86_400), Duration::from_secs(400 * 86_400))
}

/// A check's newest `limit` results as a scan of the table finds them, newest first.
fn scanned(store: &Store, check: &str, limit: u32) -> Vec<String> {
    store
        .read_now(|c| {
            let mut s = c.prepare("SELECT message FROM results WHERE check_id = ?1 ORDER BY id DESC LIMIT ?2")?;
            let rows = s.query_map(rusqlite::params![check, limit], |r| r.get(0))?;
            rows.collect()
        })
        .unwrap()
}

fn walked(store: &Store, check: &str, limit: u32) -> Vec<String> {
    runtime().block_on(store.results(id(check), limit)).unwrap().into_iter().map(|r| r.message).collect()
}

/// Count, up and latency sum of a check's results in `[from, to)`: by a scan, and as
/// the chart reads them.
fn totals(store: &Store, check: &str, from: i64, to: i64) -> [(u64, u64, i64); 2] {
    let scan = store
        .read_now(|c| {
            c.query_row(
                "SELECT COUNT(*), COALESCE(SUM(status = 'up'), 0), COALESCE(SUM(latency_us), 0) FROM results
                 WHERE check_id = ?1 AND at >= ?2 AND at < ?3",
                rusqlite::params![check, from, to],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get(2)?)),
            )
        })
        .unwrap();
    let range = (DateTime::from_timestamp_millis(from).unwrap(), DateTime::from_timestamp_millis(to).unwrap());
    let points = runtime().block_on(store.history(id(check), Source::Results, range, (to - from).max(1))).unwrap();
    assert!(points.len() <= 1, "one bucket spans the range");
    let walk = points.first().map_or((0, 0, 0), |(_, p)| (p.count, p.up, p.latency_sum_us));
    [scan, walk]
}

fn count(store: &Store, sql: &str) -> i64 {
    let sql = sql.to_owned();
    store.read_now(move |c| c.query_row(&sql, [], |r| r.get(0))).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Three checks' results, steps of up to 200 s (past a mark's minute) and of none,
    /// in random batches: each check's newest results and its totals over random
    /// ranges read as a scan of the table does.
    #[test]
    fn walks_read_what_a_scan_reads(
        stream in proptest::collection::vec((0usize..3, 0i64..200_000, any::<bool>(), 0i64..5_000_000), 1..300),
        batch in 1usize..50,
        ranges in proptest::collection::vec((0.0f64..1.0, 0.0f64..1.0), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let mut at = [START_MS; 3];
        let results: Vec<ResultRecord> = stream
            .iter()
            .map(|&(check, step, up, latency)| {
                at[check] += step;
                result(CHECKS[check], at[check], if up { Status::Up } else { Status::Down }, Some(latency))
            })
            .collect();
        write(&store, results, batch, long());
        let end = at.iter().copied().max().unwrap() + 1;
        for check in CHECKS {
            for limit in [1, 7, 1000] {
                prop_assert_eq!(walked(&store, check, limit), scanned(&store, check, limit), "{} newest {}", check, limit);
            }
            for &(a, b) in &ranges {
                let [from, to] = [a, b].map(|f| START_MS + ((end - START_MS) as f64 * f) as i64);
                let (from, to) = (from.min(to), from.max(to) + 1);
                let [scan, walk] = totals(&store, check, from, to);
                prop_assert_eq!(walk, scan, "{} over [{}, {})", check, from, to);
            }
        }
    }
}

/// A clock that steps back: the newest results are still those written last.
#[test]
fn a_clock_stepped_back_keeps_the_order_results_were_written_in() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let steps = [0, 1_000, 2_000, -3_600_000, -3_599_000, 70_000, -10_000];
    let results = steps.iter().map(|s| result("a", START_MS + s, Status::Up, Some(1))).collect();
    write(&store, results, 2, long());
    let newest: Vec<String> = steps.iter().rev().map(|s| format!("a@{}", START_MS + s)).collect();
    assert_eq!(walked(&store, "a", 100), newest);
    let marks = count(&store, "SELECT COUNT(*) FROM result_marks");
    assert_eq!(marks, 4, "the first result, and each one after the clock stepped back, or a minute on");
}

/// A database kept before the chains (schema 15, results indexed by check): its newest
/// results are chained at open and read with those written after; charts read its
/// older raw results from the rollups; the index is gone.
#[test]
fn results_kept_before_the_chains_are_read_with_the_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    {
        let old = history::at_schema(&dir.path().join("history.db"), 15);
        // 1,200 results of `a` (more than are chained), 3 of `b`, interleaved.
        let mut insert = old
            .prepare("INSERT INTO results (check_id, at, status, message) VALUES (?1, ?2, 'up', ?1 || '@' || ?2)")
            .unwrap();
        for i in 0..1200 {
            insert.execute(rusqlite::params!["a", START_MS + i * 1000]).unwrap();
            if i % 400 == 0 {
                insert.execute(rusqlite::params!["b", START_MS + i * 1000 + 1]).unwrap();
            }
        }
    }
    let (store, _) = Store::open(dir.path()).unwrap();
    assert_eq!(walked(&store, "a", 1000), scanned(&store, "a", 1000), "the newest 1,000 are chained");
    assert_eq!(walked(&store, "a", 1200).len(), 1000, "older ones are not");
    assert_eq!(walked(&store, "b", 10), scanned(&store, "b", 10));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'results_by_check_time'"), 0);
    let last_kept = START_MS + 1199 * 1000;
    let horizons = store.chart_horizons(&long(), DateTime::from_timestamp_millis(last_kept + 60_000).unwrap());
    assert_eq!(horizons.results.timestamp_millis(), last_kept + 1, "charts before it read rollups");

    let new = (1..=5).map(|i| result("a", last_kept + i * 1000, Status::Down, None)).collect();
    write(&store, new, 2, long());
    assert_eq!(walked(&store, "a", 1000), scanned(&store, "a", 1000), "new results chain onto the kept ones");
    assert_eq!(walked(&store, "a", 3), ["a@1780001204000", "a@1780001203000", "a@1780001202000"]);
    let [scan, walk] = totals(&store, "a", last_kept + 1, last_kept + 10_000);
    assert_eq!((walk, scan.0), (scan, 5));
}

/// Retention prunes the marks with their results, and the heads of checks whose
/// results are all gone.
#[test]
fn pruning_takes_the_marks_and_heads_of_the_results_it_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let now = Utc::now().timestamp_millis();
    let hour = 3_600_000;
    let mut results: Vec<ResultRecord> =
        (0..170).map(|i| result("a", now - 3 * hour + i * 60_000, Status::Up, None)).collect();
    results.push(result("b", now - 3 * hour, Status::Up, None));
    results.sort_by_key(|r| r.at);
    let retention = Retention::new(Duration::from_secs(3600), Duration::from_secs(400 * 86_400));
    write(&store, results, 1000, retention);
    let horizon = now - hour;
    assert_eq!(count(&store, &format!("SELECT COUNT(*) FROM result_marks WHERE at < {horizon}")), 0);
    assert!(count(&store, "SELECT COUNT(*) FROM result_marks") > 0, "the marks of kept results stay");
    let heads: Vec<String> = store
        .read_now(|c| c.prepare("SELECT check_id FROM result_heads")?.query_map([], |r| r.get(0))?.collect())
        .unwrap();
    assert_eq!(heads, ["a"], "b's only result was pruned");
    assert_eq!(walked(&store, "a", 1000), scanned(&store, "a", 1000));
}

/// A chain pointing forward (a damaged row) or to a row that is gone ends the walk.
#[test]
fn a_damaged_chain_ends_a_walk() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let results = (0..10).map(|i| result("a", START_MS + i * 1000, Status::Up, None)).collect();
    write(&store, results, 3, long());
    let path = dir.path().join("history.db");
    let connection = rusqlite::Connection::open(&path).unwrap();
    // The fifth points at the newest: a loop, were walks not bound to smaller ids.
    connection
        .execute("UPDATE results SET prev = (SELECT MAX(id) FROM results) WHERE message = 'a@1780000004000'", [])
        .unwrap();
    drop(connection);
    assert_eq!(walked(&store, "a", 1000).len(), 6, "the newest six, down to the damaged row");
    let [scan, walk] = totals(&store, "a", START_MS, START_MS + 10_000);
    assert_eq!((scan.0, walk.0), (10, 6));
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection.execute("DELETE FROM results WHERE message = 'a@1780000007000'", []).unwrap();
    drop(connection);
    assert_eq!(walked(&store, "a", 1000).len(), 2, "down to the row that is gone");
}

/// A batch that fails after its results were inserted (a state change refused) is
/// tried again: its results chain onto what was committed, not onto what was rolled
/// back (whose ids the retry takes again).
#[tokio::test]
async fn a_batch_that_failed_chains_onto_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let path = dir.path().join("history.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE refuse (why TEXT);
             CREATE TRIGGER refused BEFORE INSERT ON state_changes WHEN EXISTS (SELECT 1 FROM refuse)
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;
             INSERT INTO refuse VALUES ('now');",
        )
        .unwrap();
    let writer = store.writer(long(), 1, Arc::new(OwnFigures::default())).unwrap();
    let handle = writer.handle();
    for i in 0..3 {
        handle.result(result("a", START_MS + i * 1000, Status::Up, None), state("a", false));
    }
    // The first batch, results alone, commits (the trigger fires on state changes).
    handle.flush().await.unwrap();
    for i in 3..6 {
        handle.result(result("a", START_MS + i * 1000, Status::Down, None), state("a", false));
    }
    let change = watchkeeper::store::WriteOp::StateChange {
        at: DateTime::from_timestamp_millis(START_MS + 5000).unwrap(),
        from: Status::Up,
        to: Status::Down,
        reason: None,
        state: state("a", false),
    };
    handle.send(change).await.unwrap();
    handle.flush().await.expect_err("the batch with the state change is refused");
    rusqlite::Connection::open(&path).unwrap().execute("DELETE FROM refuse", []).unwrap();
    crate::support::eventually(Duration::from_secs(30), "the batch is tried again and commits", || async {
        handle.flush().await.ok()
    })
    .await;
    writer.stop().await;
    assert_eq!(scanned(&store, "a", 100).len(), 6);
    let walked: Vec<String> = store.results(id("a"), 100).await.unwrap().into_iter().map(|r| r.message).collect();
    assert_eq!(walked, scanned(&store, "a", 100));
}
