//! Rollups on real files: what the writer rolls up equals what the raw rows hold, a
//! database from before rollups gets them built once (and an interrupted build goes
//! on), and pruning results keeps their rollups.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use watchkeeper::figures::OwnFigures;
use watchkeeper::model::Status;
use watchkeeper::store::rollups::{Source, ALPHA, MAX_GAP_MS};
use watchkeeper::store::{ResultRecord, Retention, Store, WriteOp};

use crate::support::history::{self, id, state};

/// A result whose measured value follows its latency.
fn result(check: &str, at_ms: i64, status: Status, latency_us: Option<i64>) -> ResultRecord {
    ResultRecord { value: latency_us.map(|l| l as f64 / 7.0), ..history::result(check, at_ms, status, latency_us) }
}

fn retention() -> Retention {
    Retention::new(Duration::from_secs(400 * 86_400), Duration::from_secs(400 * 86_400))
}

/// What a rollup row says, and what the results of its slot say.
#[derive(Debug, PartialEq)]
struct Row {
    count: i64,
    up: i64,
    degraded: i64,
    down: i64,
    unknown: i64,
    latency_count: i64,
    latency_sum_us: i64,
    latency_max_us: Option<i64>,
}

impl Row {
    /// Columns 2 to 9 of a query's row (after the check and the slot).
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        Ok(Row {
            count: r.get(2)?,
            up: r.get(3)?,
            degraded: r.get(4)?,
            down: r.get(5)?,
            unknown: r.get(6)?,
            latency_count: r.get(7)?,
            latency_sum_us: r.get(8)?,
            latency_max_us: r.get(9)?,
        })
    }
}

/// Every rollup row of `table`, by check and slot.
fn rollups(store: &Store, table: &str) -> BTreeMap<(String, i64), (Row, i64)> {
    let sql = format!(
        "SELECT check_id, t, count, up, degraded, down, unknown, latency_count, latency_sum_us, latency_max_us, downtime_ms FROM {table}"
    );
    store
        .read_now(|c| {
            let mut statement = c.prepare(&sql)?;
            let rows = statement.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (Row::read(r)?, r.get(10)?))))?;
            rows.collect()
        })
        .unwrap()
}

/// The same aggregates computed by SQL from the raw rows, by check and slot of `slot_ms`.
fn from_results(store: &Store, slot_ms: i64) -> BTreeMap<(String, i64), Row> {
    let sql = format!(
        "SELECT check_id, (at / {slot_ms}) * {slot_ms} AS t, COUNT(*), SUM(status = 'up'), SUM(status = 'degraded'),
                SUM(status = 'down'), SUM(status = 'unknown'), COUNT(latency_us), COALESCE(SUM(latency_us), 0), MAX(latency_us)
         FROM results GROUP BY check_id, t"
    );
    store
        .read_now(|c| {
            let mut statement = c.prepare(&sql)?;
            let rows = statement.query_map([], |r| Ok(((r.get(0)?, r.get(1)?), Row::read(r)?)))?;
            rows.collect()
        })
        .unwrap()
}

/// A check's downtime from its raw rows: each down result to the next, at most
/// `MAX_GAP_MS`.
fn downtime_from_results(store: &Store, check: &str) -> i64 {
    let rows: Vec<(i64, String)> = store
        .read_now(|c| {
            let mut statement = c.prepare("SELECT at, status FROM results WHERE check_id = ?1 ORDER BY id")?;
            let rows = statement.query_map([check], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
        .unwrap();
    rows.windows(2).filter(|w| w[0].1 == "down").map(|w| (w[1].0 - w[0].0).clamp(0, MAX_GAP_MS)).sum()
}

fn status_of(n: u8) -> Status {
    match n % 4 {
        0 => Status::Up,
        1 => Status::Degraded,
        2 => Status::Down,
        _ => Status::Unknown,
    }
}

/// Writes `stream` (check, ms after a start, status, latency) through a real writer in
/// batches of `batch` (a flush between), and stops it.
fn write(store: &Store, stream: &[(u8, i64, u8, Option<i64>)], batch: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let writer = store.writer(retention(), 4, Arc::new(OwnFigures::default())).unwrap();
        let handle = writer.handle();
        let start = 1_780_000_000_000i64;
        let mut at = [start; 3];
        for (i, (check, step, status, latency)) in stream.iter().enumerate() {
            let check = usize::from(*check % 3);
            at[check] += step;
            let name = ["a", "b", "c"][check];
            handle.result(result(name, at[check], status_of(*status), *latency), state(name, false));
            if (i + 1) % batch == 0 {
                handle.flush().await.unwrap();
            }
        }
        writer.stop().await;
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The rollup of a random stream equals the aggregate computed from its raw rows,
    /// however it was cut into batches: counts, sums and highest exactly, quantiles
    /// within the sketch's error, downtime as the gaps after down results.
    #[test]
    fn the_rollups_of_a_random_stream_equal_the_aggregates_of_its_rows(
        stream in proptest::collection::vec(
            (0u8..3, 0i64..200_000, any::<u8>(), proptest::option::weighted(0.9, 0i64..5_000_000)),
            1..400,
        ),
        batch in 1usize..64,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        write(&store, &stream, batch);
        for (table, slot_ms) in [("rollup_minute", 60_000), ("rollup_hour", 3_600_000), ("rollup_day", 86_400_000)] {
            let rolled = rollups(&store, table);
            let raw = from_results(&store, slot_ms);
            for (key, row) in &raw {
                prop_assert_eq!(rolled.get(key).map(|(r, _)| r), Some(row), "{} {:?}", table, key);
            }
            // Rows with no result hold downtime alone.
            for (key, (row, downtime)) in &rolled {
                prop_assert!(raw.contains_key(key) || (row.count == 0 && *downtime > 0), "{} {:?}", table, key);
            }
            for check in ["a", "b", "c"] {
                let total: i64 = rolled.iter().filter(|((c, _), _)| c == check).map(|(_, (_, d))| d).sum();
                prop_assert_eq!(total, downtime_from_results(&store, check), "{} downtime of {}", table, check);
            }
        }
        // Quantiles over the whole stream of one check, merged from the hourly rows.
        let latencies: Vec<i64> = store.read_now(|c| {
            let mut s = c.prepare("SELECT latency_us FROM results WHERE check_id = 'a' AND latency_us IS NOT NULL ORDER BY latency_us")?;
            let rows = s.query_map([], |r| r.get(0))?;
            rows.collect()
        }).unwrap();
        if !latencies.is_empty() {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let (from, to) = (DateTime::from_timestamp_millis(0).unwrap(), DateTime::from_timestamp_millis(4_102_444_800_000).unwrap());
            let points = runtime.block_on(store.history(id("a"), Source::Rollups(watchkeeper::store::rollups::Resolution::Hour), (from, to), 4_102_444_800_000)).unwrap();
            prop_assert_eq!(points.len(), 1);
            for q in [0.5, 0.95] {
                let truth = latencies[(q * (latencies.len() - 1) as f64).floor() as usize] as f64;
                let got = points[0].1.latency_quantile(q).unwrap();
                prop_assert!((got - truth).abs() <= truth * ALPHA + 1e-9, "p{}: {} against {}", q * 100.0, got, truth);
            }
        }
    }
}

#[test]
fn a_pause_is_not_downtime() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let writer = store.writer(retention(), 4, Arc::new(OwnFigures::default())).unwrap();
        let handle = writer.handle();
        let start = 1_780_000_000_000i64;
        handle.result(result("a", start, Status::Down, Some(5)), state("a", false));
        handle.flush().await.unwrap();
        handle.send(WriteOp::State(state("a", true))).await.unwrap();
        handle.flush().await.unwrap();
        handle.result(result("a", start + 600_000, Status::Down, Some(5)), state("a", false));
        handle.result(result("a", start + 630_000, Status::Up, Some(5)), state("a", false));
        writer.stop().await;
    });
    let downtime: i64 = rollups(&store, "rollup_hour").values().map(|(_, d)| d).sum();
    assert_eq!(downtime, 30_000, "the 10 paused minutes are not downtime; the 30 s after the pause are");
}

/// A database whose results came before rollups (its rollups dropped, the build's
/// mark set as migration 14 sets it) gets the same rollups built at its next open,
/// and a build interrupted half way goes on where it stopped.
#[test]
fn rollups_of_results_kept_before_them_are_built_once_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let stream: Vec<(u8, i64, u8, Option<i64>)> =
        (0..3000).map(|i| ((i % 3) as u8, 7_000, (i % 11) as u8, Some(1000 + (i * 37) % 90_000))).collect();
    let expected = {
        let (store, _) = Store::open(dir.path()).unwrap();
        write(&store, &stream, 250);
        (rollups(&store, "rollup_minute"), rollups(&store, "rollup_hour"))
    };
    let connection = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    let half: i64 =
        connection.query_row("SELECT id FROM results ORDER BY id LIMIT 1 OFFSET 1500", [], |r| r.get(0)).unwrap();
    connection
        .execute_batch(
            "DELETE FROM rollup_minute; DELETE FROM rollup_hour;
             INSERT INTO rollup_build (last_result_id, until_id) SELECT 0, MAX(id) FROM results;",
        )
        .unwrap();
    drop(connection);
    let (store, _) = Store::open(dir.path()).unwrap();
    assert_eq!(
        (rollups(&store, "rollup_minute"), rollups(&store, "rollup_hour")),
        expected,
        "built as the writer wrote them"
    );
    let left: i64 = store.read_now(|c| c.query_row("SELECT COUNT(*) FROM rollup_build", [], |r| r.get(0))).unwrap();
    assert_eq!(left, 0, "the build is done once");
    drop(store);

    // Interrupted: the rows of the first half already built, the mark at half way.
    let connection = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    connection.execute_batch("DELETE FROM rollup_minute; DELETE FROM rollup_hour;").unwrap();
    connection.execute("INSERT INTO rollup_build (last_result_id, until_id) SELECT 0, ?1", [half]).unwrap();
    drop(connection);
    drop(Store::open(dir.path()).unwrap());
    let connection = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    connection
        .execute("INSERT INTO rollup_build (last_result_id, until_id) SELECT ?1, MAX(id) FROM results", [half])
        .unwrap();
    drop(connection);
    let (store, _) = Store::open(dir.path()).unwrap();
    let (minutes, hours) = (rollups(&store, "rollup_minute"), rollups(&store, "rollup_hour"));
    // Counts add up across the interruption; the downtime of the gap that spans it
    // is the one thing a restart cannot know.
    let counts = |rows: &BTreeMap<(String, i64), (Row, i64)>| rows.values().map(|(r, _)| r.count).sum::<i64>();
    assert_eq!((counts(&minutes), counts(&hours)), (counts(&expected.0), counts(&expected.1)));
    assert_eq!(hours.keys().collect::<Vec<_>>(), expected.1.keys().collect::<Vec<_>>());
}

/// Results past `retention` are pruned; their rollups stay, and the history reads
/// them.
#[tokio::test]
async fn pruned_results_keep_their_rollups() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let retention = Retention::new(Duration::from_secs(3600), Duration::from_secs(400 * 86_400));
    let writer = store.writer(retention, 4, Arc::new(OwnFigures::default())).unwrap();
    let handle = writer.handle();
    let now = Utc::now().timestamp_millis();
    for hours_ago in [30, 20, 10, 0] {
        for i in 0..10 {
            let at = now - hours_ago * 3_600_000 - i * 1000;
            handle
                .result(result("a", at, if i == 0 { Status::Down } else { Status::Up }, Some(1000)), state("a", false));
        }
    }
    writer.stop().await;
    // The prune runs with the first batch of a writer: the next one's.
    let writer = store.writer(retention, 4, Arc::new(OwnFigures::default())).unwrap();
    writer.handle().result(result("a", now, Status::Up, Some(1000)), state("a", false));
    writer.stop().await;
    let raw: i64 = store.read_now(|c| c.query_row("SELECT COUNT(*) FROM results", [], |r| r.get(0))).unwrap();
    assert_eq!(raw, 11, "only the last hour's results are kept");
    let from = Utc::now() - chrono::Duration::days(2);
    let points = store
        .history(id("a"), Source::Rollups(watchkeeper::store::rollups::Resolution::Hour), (from, Utc::now()), 3_600_000)
        .await
        .unwrap();
    let count: u64 = points.iter().map(|(_, r)| r.count).sum();
    assert_eq!(count, 41, "the rollups hold every result");
    let failures: u64 = points.iter().map(|(_, r)| r.failures()).sum();
    assert_eq!(failures, 4);
}

/// Bytes the history's pages use (the free ones not counted), and its pages in all.
fn pages(store: &Store) -> (u64, u64) {
    store
        .read_now(|c| {
            let count: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            let free: i64 = c.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            Ok((((count - free) * size) as u64, (count * size) as u64))
        })
        .unwrap()
}

fn count(store: &Store, sql: &'static str) -> i64 {
    store.read_now(move |c| c.query_row(sql, [], |r| r.get(0))).unwrap()
}

/// `max_db_size`: past it the oldest raw results go first, the rollups stay and the
/// charts still read them; then the oldest minute rollups; never the last day's results
/// nor a month of hours, and the figures say when only those are left. Freed pages go
/// back to the disk a step at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_size_cap_prunes_the_oldest_results_then_rollups_and_gives_the_space_back() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let mode: i64 = store.read_now(|c| c.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))).unwrap();
    assert_eq!(mode, 2, "a new history gives freed pages back (incremental vacuum)");
    // On the hour, so a day of results fills whole minutes and hours.
    let now = Utc::now().timestamp_millis() / 3_600_000 * 3_600_000;
    let message = "x".repeat(100);
    let sized = |max: u64| {
        Retention::new(Duration::from_secs(400 * 86_400), Duration::from_secs(400 * 86_400)).capped(Some(max))
    };
    // Writes results of two checks, one a second from `from_ms` for `seconds`, flushing
    // as it goes; then flushes (each an empty batch, trimmed in turn) until the cap is
    // met or `max_flushes` pass.
    let fill = |figures: Arc<OwnFigures>, max: u64, from_ms: i64, seconds: i64, max_flushes: usize| {
        let (store, message) = (store.clone(), message.clone());
        async move {
            let writer = store.writer(sized(max), 4, figures.clone()).unwrap();
            let handle = writer.handle();
            for s in 0..seconds {
                for check in ["a", "b"] {
                    let mut r = result(check, from_ms + s * 1000, Status::Up, Some(2000));
                    r.message = message.clone();
                    handle.result(r, state(check, false));
                }
                if s % 2000 == 1999 {
                    handle.flush().await.unwrap();
                }
            }
            handle.flush().await.unwrap();
            for _ in 0..max_flushes {
                if OwnFigures::get(&figures.db_bytes) <= max {
                    break;
                }
                handle.flush().await.unwrap();
            }
            writer.stop().await;
        }
    };

    // A day of results two days ago (some 30 MB) under a 5 MB cap.
    let figures = Arc::new(OwnFigures::default());
    let day_ago = |days: i64| now - days * 86_400_000;
    fill(figures.clone(), 5_000_000, day_ago(3), 86_400, 200).await;
    let (used, _) = pages(&store);
    assert!(used <= 5_000_000, "under the cap: {used} bytes in use");
    assert!(OwnFigures::get(&figures.size_pruned) > 100_000, "the oldest results were pruned");
    let oldest_kept = count(&store, "SELECT MIN(at) FROM results");
    let newest = count(&store, "SELECT MAX(at) FROM results");
    assert_eq!(newest, day_ago(3) + 86_399_000, "the newest results are kept");
    let kept = count(&store, "SELECT COUNT(*) FROM results");
    assert_eq!(
        kept,
        (newest - oldest_kept) / 1000 * 2 + 2,
        "every result since the oldest kept: the oldest went first"
    );
    let minutes = count(&store, "SELECT COUNT(*) FROM rollup_minute");
    assert_eq!(minutes, 2 * 1440, "the rollups stay while results can go");
    let rolled: i64 = count(&store, "SELECT SUM(count) FROM rollup_hour");
    assert_eq!(rolled, 2 * 86_400, "the hours still count every result");

    // Freed pages go back to the disk, a step a batch: the file shrinks toward the cap.
    let (_, before) = pages(&store);
    let writer = store.writer(sized(5_000_000), 4, Arc::new(OwnFigures::default())).unwrap();
    for _ in 0..100 {
        writer.handle().flush().await.unwrap();
    }
    writer.stop().await;
    let (used, file) = pages(&store);
    assert!(file < before && file <= used + 2 * 1024 * 1024, "given back: {before} → {file} bytes ({used} in use)");

    // A tighter cap: the old results all go, then the minutes (the oldest first, a
    // chunk a batch: here one chunk); a month of hours stays.
    let figures = Arc::new(OwnFigures::default());
    fill(figures.clone(), 300_000, day_ago(3), 0, 400).await;
    assert_eq!(count(&store, "SELECT COUNT(*) FROM results"), 0);
    let minutes_left = count(&store, "SELECT COUNT(*) FROM rollup_minute");
    assert!(minutes_left < minutes, "minute rollups pruned once results were gone: {minutes_left}");
    assert!(pages(&store).0 <= 300_000, "under the cap");
    assert_eq!(count(&store, "SELECT SUM(count) FROM rollup_hour"), 2 * 86_400, "a month of hours is never pruned");
    assert_eq!(OwnFigures::get(&figures.size_at_floor), 0);

    // The last day's results are never pruned: over the cap with only them, it says so.
    let figures = Arc::new(OwnFigures::default());
    fill(figures.clone(), 1_000_000, now - 3_600_000, 3000, 5).await;
    assert_eq!(count(&store, "SELECT COUNT(*) FROM results"), 6000, "the last hour's results, all kept");
    assert_eq!(OwnFigures::get(&figures.size_at_floor), 1, "over the cap with nothing it may prune");
}

/// A history kept before incremental vacuum was on is converted at its next open.
#[test]
fn an_older_history_is_converted_to_give_space_back() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let raw = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    raw.execute_batch("PRAGMA auto_vacuum = NONE; VACUUM;").unwrap();
    let mode: i64 = raw.query_row("PRAGMA auto_vacuum", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, 0, "as a database of an earlier version");
    drop(raw);
    let (store, _) = Store::open(dir.path()).unwrap();
    let mode: i64 = store.read_now(|c| c.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))).unwrap();
    assert_eq!(mode, 2);
}

#[test]
fn history_settings_are_checked_where_they_are_written() {
    crate::support::assert_config_refused(
        "[settings]\nretention = \"30d\"\nrollup_retention = \"7d\"\nmax_db_size = \"500KB\"\n",
        &["rollup_retention: is shorter than `retention`", "max_db_size: is under 1MB"],
    );
    crate::support::assert_config_refused("[settings]\nmax_db_size = \"lots\"\n", &["max_db_size"]);
    let config = "[settings]\nmax_db_size = \"500MB\"\n\n[[check]]\nid = \"a\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\n";
    let compiled = watchkeeper::config::compile(config, "test.toml").unwrap().config;
    assert_eq!(compiled.settings.retention.max_bytes, Some(500_000_000));
}

/// Results committed but not yet rolled up are rolled up by the next writer after a
/// kill, never by a mere open: a CLI opening the history beside a running daemon must
/// not count again what the daemon's writer holds.
#[tokio::test]
async fn opening_the_history_beside_a_writer_counts_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let writer = store.writer(retention(), 1, Arc::new(OwnFigures::default())).unwrap();
    let handle = writer.handle();
    let start = Utc::now().timestamp_millis();
    for i in 0..20 {
        handle.result(result("a", start + i, Status::Up, Some(1000)), state("a", false));
    }
    crate::support::eventually(Duration::from_secs(10), "the results are committed", || async {
        (count(&store, "SELECT COUNT(*) FROM results") == 20).then_some(())
    })
    .await;
    let (beside, _) = Store::open(dir.path()).unwrap();
    drop(beside);
    handle.flush().await.unwrap();
    assert_eq!(count(&store, "SELECT SUM(count) FROM rollup_minute"), 20, "each result rolled up once");
    writer.stop().await;
}
