//! The history, measured on real SQLite files: `cargo xtask bench history` (or `cargo
//! bench --bench history`).
//!
//! 1. The writer: 1,000,000 results of 100, then 1,000 checks through the batched writer,
//!    rollups on. Goal: at least 100,000 results/s.
//! 2. A 30-day latency chart of one check at a 1 s interval (2,592,000 results written
//!    through the writer), 360 points, as the API plans it. Goal: under 50 ms.
//! 3. The 90-day uptime of 1,000 checks (their hourly rollups, and a day of minutes,
//!    written as the writer writes them). Goal: under 200 ms.
//! 4. Growth: a simulated year of 10 checks at a 60 s interval with the default
//!    retention (results 7 d, minutes 35 d, hours 400 d), pruned as the writer prunes.
//!    Goal: at most 50 KB per check per day.
//!
//! `WK_BENCH_QUICK=1` shrinks each part tenfold (a smoke run); `WK_BENCH_ONLY=writer,chart`
//! runs only those parts (`writer`, `chart`, `uptime`, `growth`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use watchkeeper::figures::OwnFigures;
use watchkeeper::model::{CheckId, Status};
use watchkeeper::store::rollups::{self, Source};
use watchkeeper::store::{PersistedState, ResultRecord, Retention, Store, WriteOp};

const DAY_MS: i64 = 86_400_000;

fn main() {
    let quick = std::env::var("WK_BENCH_QUICK").is_ok_and(|v| v == "1");
    let scale = if quick { 10 } else { 1 };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    println!("watchkeeper history benchmark{}", if quick { " (quick)" } else { "" });
    let only = std::env::var("WK_BENCH_ONLY").unwrap_or_default();
    let run = |part: &str| only.is_empty() || only.split(',').any(|p| p.trim() == part);
    runtime.block_on(async {
        if run("writer") {
            for checks in [100, 1000] {
                writer(1_000_000 / scale, checks).await;
            }
        }
        if run("chart") {
            chart(30 / scale.min(10) as i64).await;
        }
        if run("uptime") {
            uptime(1000 / scale as usize).await;
        }
        if run("growth") {
            growth(365 / scale as i64).await;
        }
    });
}

fn id(n: usize) -> CheckId {
    CheckId::parse(&format!("check-{n:04}")).expect("id")
}

fn state(check: &CheckId) -> PersistedState {
    PersistedState {
        check_id: check.clone(),
        status: Status::Up,
        since: Utc::now(),
        reason: None,
        consecutive_failures: 0,
        consecutive_successes: 1,
        last_result_at: None,
        open_incident: None,
        breaker: None,
        paused: None,
        flap: Default::default(),
        cert: Default::default(),
    }
}

/// A plausible result: mostly up at a few ms, one in 500 down.
fn result(check: &CheckId, at_ms: i64, n: u64) -> ResultRecord {
    let down = n % 500 == 0;
    ResultRecord {
        check_id: check.clone(),
        at: DateTime::from_timestamp_millis(at_ms).expect("time"),
        status: if down { Status::Down } else { Status::Up },
        latency_us: Some(800 + (n.wrapping_mul(2_654_435_761) % 40_000) as i64),
        failure_class: None,
        message: if down { "expected status == 200, got 503".into() } else { "HTTP 200".into() },
        value: None,
    }
}

fn retention() -> Retention {
    Retention::new(Duration::from_secs(7 * 86_400), Duration::from_secs(400 * 86_400))
}

/// Sends each result, waiting for room (none dropped), then waits for the commit.
async fn write_all(store: &Store, checks: usize, results: impl Iterator<Item = ResultRecord>) -> (u64, Duration) {
    let figures = Arc::new(OwnFigures::default());
    let writer = store.writer(retention(), checks, figures.clone()).expect("writer");
    let handle = writer.handle();
    let states: Vec<PersistedState> = (0..checks).map(|n| state(&id(n))).collect();
    let started = Instant::now();
    let mut count = 0u64;
    for result in results {
        let n = result.check_id.as_str()[6..].parse::<usize>().unwrap_or(0);
        handle.send(WriteOp::Result { result, state: states[n].clone() }).await.expect("send");
        count += 1;
    }
    handle.flush().await.expect("flush");
    let elapsed = started.elapsed();
    writer.stop().await;
    assert_eq!(OwnFigures::get(&figures.dropped), 0, "nothing dropped");
    (count, elapsed)
}

async fn writer(total: u64, checks: usize) {
    let dir = tempfile::tempdir().expect("dir");
    let (store, _) = Store::open(dir.path()).expect("store");
    let start = Utc::now().timestamp_millis() - DAY_MS;
    let results = (0..total).map(|n| {
        let check = id((n % checks as u64) as usize);
        result(&check, start + (n / checks as u64) as i64 * 1000, n)
    });
    let (count, elapsed) = write_all(&store, checks, results).await;
    let rate = count as f64 / elapsed.as_secs_f64();
    println!(
        "writer: {count} results of {checks} checks with rollups in {:.2} s: {:.0} results/s (goal ≥ 100,000) {}",
        elapsed.as_secs_f64(),
        rate,
        verdict(rate >= 100_000.0)
    );
}

async fn chart(days: i64) {
    let dir = tempfile::tempdir().expect("dir");
    let (store, _) = Store::open(dir.path()).expect("store");
    let check = id(0);
    let now = Utc::now().timestamp_millis();
    let start = now - days * DAY_MS;
    let total = (days * DAY_MS / 1000) as u64;
    let (count, elapsed) = write_all(&store, 1, (0..total).map(|n| result(&check, start + n as i64 * 1000, n))).await;
    println!("chart: {count} results of one check at 1 s written in {:.1} s", elapsed.as_secs_f64());
    let to = DateTime::from_timestamp_millis(now).expect("time");
    let horizons = Retention::new(Duration::from_secs(400 * 86_400), Duration::from_secs(400 * 86_400)).horizons(to);
    let plan = rollups::plan(&horizons, start, now, 360);
    let from = DateTime::from_timestamp_millis(plan.from_ms).expect("time");
    let mut times = Vec::new();
    let mut points = 0;
    for _ in 0..21 {
        let started = Instant::now();
        points = store.history(check.clone(), plan.source, (from, to), plan.bucket_ms).await.expect("history").len();
        times.push(started.elapsed());
    }
    let took = median(&mut times);
    println!(
        "chart: {days} days in {points} points from {:?} in {:.2} ms (median of 21; goal < 50 ms) {}",
        plan.source,
        ms(took),
        verdict(took < Duration::from_millis(50) && plan.source != Source::Results)
    );
}

async fn uptime(checks: usize) {
    let dir = tempfile::tempdir().expect("dir");
    let (store, _) = Store::open(dir.path()).expect("store");
    // 90 days of days and hours and the last day's minutes for each check, as rollup rows: what
    // the writer leaves after 90 days at a 60 s interval (writing those 130 M results
    // here would take most of an hour).
    let now = Utc::now().timestamp_millis();
    let path = dir.path().join("history.db");
    let started = Instant::now();
    {
        let mut connection = rusqlite::Connection::open(&path).expect("open");
        let tx = connection.transaction().expect("tx");
        let mut sketch = rollups::Sketch::default();
        (0..60).for_each(|n| sketch.add(800 + n * 97));
        let blob = sketch.encode();
        let spans = [
            ("rollup_day", DAY_MS, 90 * DAY_MS),
            ("rollup_hour", 3_600_000i64, 90 * DAY_MS),
            ("rollup_minute", 60_000, DAY_MS),
        ];
        for (table, step, span) in spans {
            let mut insert = tx
                .prepare(&format!(
                    "INSERT INTO {table} (check_id, t, count, up, degraded, down, unknown, downtime_ms, latency_count,
                     latency_sum_us, latency_max_us, latency_sketch, value_count, value_sum, value_max)
                     VALUES (?1, ?2, ?3, ?4, 0, ?5, 0, ?6, ?3, ?7, 9000, ?8, 0, 0, NULL)"
                ))
                .expect("prepare");
            let per = step / 60_000;
            for n in 0..checks {
                let check = id(n);
                let mut t = (now - span).div_euclid(step) * step;
                while t <= now {
                    let down = i64::from((t / step + n as i64) % 97 == 0);
                    insert
                        .execute(rusqlite::params![
                            check.as_str(),
                            t,
                            per,
                            per - down,
                            down,
                            down * 60_000,
                            per * 2000,
                            blob
                        ])
                        .expect("insert");
                    t += step;
                }
            }
        }
        tx.commit().expect("commit");
    }
    println!("uptime: {checks} checks' 90 days of rollups laid down in {:.1} s", started.elapsed().as_secs_f64());
    let at = DateTime::from_timestamp_millis(now).expect("time");
    let mut times = Vec::new();
    let mut answered = 0;
    for _ in 0..11 {
        let started = Instant::now();
        let ids = (0..checks).map(id).collect();
        answered = store.uptime_of(ids, at, Duration::from_secs(90 * 86_400)).await.expect("uptime").len();
        times.push(started.elapsed());
    }
    let took = median(&mut times);
    assert_eq!(answered, checks);
    println!(
        "uptime: 90-day uptime of {checks} checks in {:.1} ms (median of 11; goal < 200 ms) {}",
        ms(took),
        verdict(took < Duration::from_millis(200))
    );
    let mut times = Vec::new();
    for _ in 0..11 {
        let started = Instant::now();
        store.uptime(id(0), at).await.expect("uptime");
        times.push(started.elapsed());
    }
    println!("uptime: one check's four windows, MTTR and MTBF in {:.2} ms (median of 11)", ms(median(&mut times)));
}

async fn growth(days: i64) {
    let dir = tempfile::tempdir().expect("dir");
    let (store, _) = Store::open(dir.path()).expect("store");
    let checks = 10;
    let now = Utc::now().timestamp_millis();
    let start = now - days * DAY_MS;
    let per_check = (days * DAY_MS / 60_000) as u64;
    let results = (0..per_check * checks as u64).map(|n| {
        let check = id((n % checks as u64) as usize);
        result(&check, start + (n / checks as u64) as i64 * 60_000, n)
    });
    let (count, elapsed) = write_all(&store, checks, results).await;
    // The writer prunes with its first batch: a second one prunes what the year left.
    let writer = store.writer(retention(), checks, Arc::new(OwnFigures::default())).expect("writer");
    writer.handle().result(result(&id(0), now, 1), state(&id(0)));
    writer.stop().await;
    let (used, rows): (i64, (i64, i64, i64)) = store
        .read_now(|c| {
            let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            let free: i64 = c.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            let count = |table: &str| c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get::<_, i64>(0));
            Ok(((pages - free) * size, (count("results")?, count("rollup_minute")?, count("rollup_hour")?)))
        })
        .expect("size");
    let per_day = used as f64 / checks as f64 / days as f64 / 1000.0;
    println!(
        "growth: {count} results ({days} days of {checks} checks at 60 s) written in {:.1} s; kept {} results, {} minute and {} hour rollups",
        elapsed.as_secs_f64(),
        rows.0,
        rows.1,
        rows.2
    );
    println!(
        "growth: {:.1} MB in use: {per_day:.1} KB per check per day (goal ≤ 50 KB; Uptime Kuma 1.x about 333 KB) {}",
        used as f64 / 1e6,
        verdict(per_day <= 50.0)
    );
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn verdict(met: bool) -> &'static str {
    if met {
        "✓"
    } else {
        "✗ NOT MET"
    }
}
