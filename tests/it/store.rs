//! The history database on real files: migrations, the batching writer, reopening,
//! refusing a newer schema, moving a damaged file aside.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use watchkeeper::breaker;
use watchkeeper::figures::OwnFigures;
use watchkeeper::model::{BreakerState, CheckId, FailureClass, Status};
use watchkeeper::state::FlapHistory;
use watchkeeper::store::{
    IncidentFilter, IncidentRecord, PersistedState, ResultRecord, Retention, Store, StoreError, WriteOp,
};

fn id(check: &str) -> CheckId {
    CheckId::parse(check).expect("a valid check id")
}

fn state(check: &str, failures: u32, incident: Option<i64>) -> PersistedState {
    PersistedState {
        check_id: id(check),
        status: Status::Down,
        since: Utc::now(),
        reason: Some("connection refused".into()),
        consecutive_failures: failures,
        consecutive_successes: 0,
        last_result_at: Some(Utc::now()),
        open_incident: incident,
        breaker: Some(Box::new(breaker::Saved {
            state: BreakerState::Open,
            consecutive_failures: failures,
            opened_at: Some(Utc::now()),
            next_trial_at: Some(Utc::now()),
            failed_trials: 1,
            window: breaker::SavedWindow { window: "count:4".into(), recent: "offF".into(), buckets: Vec::new() },
        })),
        paused: None,
        // A flap's history survives a reopen, every bit of it (the highest too).
        flap: FlapHistory { changes: 0x8000_0000_0000_0005, results: 21, last: Some(Status::Down), flapping: true },
        // What it told of its certificate, too.
        cert: watchkeeper::state::CertWatch::new(Some(14), Some(-2)),
    }
}

/// A day of results, 400 days of rollups.
fn retention() -> Retention {
    Retention::new(Duration::from_secs(86_400), Duration::from_secs(400 * 86_400))
}

#[tokio::test]
async fn the_writer_batches_and_a_reopened_store_continues() {
    let dir = tempfile::tempdir().unwrap();
    let (store, report) = Store::open(dir.path()).unwrap();
    assert!(report.moved_aside.is_none());
    let figures = Arc::new(OwnFigures::default());
    let writer = store.writer(retention(), 10, figures.clone()).unwrap();
    let handle = writer.handle();
    let incident = IncidentRecord {
        id: 7,
        check_id: id("db"),
        // The store keeps milliseconds.
        started_at: chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap(),
        resolved_at: None,
        failure_class: FailureClass::Refused,
        cause: "connection refused".into(),
        failed_conditions: vec!["expected connected == true, got false".into()],
        acked: false,
        acked_at: None,
        note: None,
        evidence: None,
        resolution: None,
    };
    handle
        .send(WriteOp::OpenIncident { incident: Box::new(incident.clone()), state: state("db", 1, Some(7)) })
        .await
        .unwrap();
    for i in 0..5000 {
        let result = ResultRecord {
            check_id: id("db"),
            at: Utc::now(),
            status: Status::Down,
            latency_us: Some(i),
            failure_class: Some(FailureClass::Refused),
            message: "connection refused".into(),
            value: None,
        };
        handle.result(result, state("db", i as u32 + 1, Some(7)));
    }
    handle.flush().await.unwrap();
    assert_eq!(OwnFigures::get(&figures.dropped), 0, "5000 results fit the queue");
    writer.stop().await;
    drop(store);

    let (store, _) = Store::open(dir.path()).unwrap();
    let states: Vec<PersistedState> = store.load_states().unwrap().into_iter().map(Result::unwrap).collect();
    assert_eq!(states.len(), 1, "one state row per check, however many results");
    assert_eq!(states[0].consecutive_failures, 5000, "the last state of the batch wins");
    assert_eq!(states[0].open_incident, Some(7));
    assert_eq!(states[0].flap, state("db", 0, None).flap, "the flap history is kept");
    let breaker = states[0].breaker.as_ref().expect("the breaker is kept");
    assert_eq!(
        (breaker.state, breaker.consecutive_failures, breaker.failed_trials, breaker.window.recent.as_str()),
        (BreakerState::Open, 5000, 1, "offF"),
        "the breaker and its window read back as written"
    );
    assert_eq!(store.max_incident_id().unwrap(), 7, "incident ids continue after a reopen");
    let incidents = store.incidents(IncidentFilter { open_only: true, ..Default::default() }).await.unwrap();
    assert_eq!(incidents, vec![incident], "the incident reads back as written");
    let results = store.results(id("db"), 10).await.unwrap();
    assert_eq!(results.len(), 10);
    assert_eq!(results[0].latency_us, Some(4999), "newest first");
}

/// Incident `n` of `check` opening, its evidence saying `HTTP 503 #n`.
fn opening_with_evidence(n: i64, check: &str) -> WriteOp {
    use watchkeeper::store::evidence::{Evidence, Observed};
    let evidence = Evidence {
        at: chrono::DateTime::from_timestamp_millis(1_700_000_000_000 + n).unwrap(),
        observed: Observed { summary: format!("HTTP 503 #{n}"), ..Observed::default() },
        last_good_at: None,
        changes: Vec::new(),
        local: None,
    };
    let incident = IncidentRecord {
        id: n,
        check_id: id(check),
        started_at: Utc::now(),
        resolved_at: None,
        failure_class: FailureClass::HttpStatus,
        cause: "HTTP 503".into(),
        failed_conditions: Vec::new(),
        acked: false,
        acked_at: None,
        note: None,
        evidence: Some(Box::new(evidence)),
        resolution: None,
    };
    WriteOp::OpenIncident { incident: Box::new(incident), state: state(check, 1, Some(n)) }
}

#[tokio::test]
async fn evidence_is_kept_for_the_latest_incidents_of_each_check_and_a_damaged_one_leaves_the_incident() {
    use watchkeeper::store::evidence::KEPT_PER_CHECK;
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let writer = store.writer(retention(), 10, Arc::new(OwnFigures::default())).unwrap();
    let handle = writer.handle();
    let total = i64::from(KEPT_PER_CHECK) + 5;
    for n in 1..=total {
        // Two checks by turns: each keeps its own latest.
        let check = if n % 2 == 0 { "db" } else { "web" };
        handle.send(opening_with_evidence(n, check)).await.unwrap();
    }
    handle.flush().await.unwrap();
    let mut kept = 0;
    for n in 1..=total {
        if let Some(evidence) = store.evidence(n).await.unwrap() {
            assert_eq!(evidence.observed.summary, format!("HTTP 503 #{n}"), "each incident keeps its own");
            kept += 1;
        }
    }
    // 25 incidents, 12 of db and 13 of web: all within 20 each.
    assert_eq!(kept, total, "fewer than {KEPT_PER_CHECK} per check: every one is kept");
    for n in total + 1..=total + 2 * i64::from(KEPT_PER_CHECK) {
        handle.send(opening_with_evidence(n, "db")).await.unwrap();
    }
    handle.flush().await.unwrap();
    let mut db = 0;
    let mut web = 0;
    let last = total + 2 * i64::from(KEPT_PER_CHECK);
    for n in 1..=last {
        if store.evidence(n).await.unwrap().is_some() {
            if n > total || n % 2 == 0 {
                db += 1;
                assert!(n > last - i64::from(KEPT_PER_CHECK), "incident {n} is not one of db's latest");
            } else {
                web += 1;
            }
        }
    }
    assert_eq!((db, web), (KEPT_PER_CHECK, 13), "db keeps its latest {KEPT_PER_CHECK}; web keeps all of its own");
    let all = store.incidents(IncidentFilter { limit: 1000, ..Default::default() }).await.unwrap();
    assert_eq!(all.len() as i64, last, "every incident keeps its record");

    // Evidence damaged on disk: the incident still reads, without it.
    writer.stop().await;
    rusqlite::Connection::open(dir.path().join("history.db"))
        .unwrap()
        .execute("UPDATE incidents SET evidence = '{not json' WHERE id = ?1", [last])
        .unwrap();
    assert_eq!(store.evidence(last).await.unwrap(), None);
    assert!(store.evidence(last - 1).await.unwrap().is_some());
}

#[test]
fn a_newer_schema_is_refused_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let path = dir.path().join("history.db");
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
    match Store::open(dir.path()) {
        Err(error @ StoreError::TooNew { found: 99, .. }) => {
            assert!(error.resolution().contains("upgrade watchkeeper"), "{}", error.resolution());
        }
        Err(other) => panic!("expected TooNew, got {other}"),
        Ok(_) => panic!("an old binary must not open a newer database"),
    }
    let version: u32 =
        rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 99, "the newer database is left untouched");
}

#[test]
fn a_damaged_database_is_moved_aside_and_a_new_one_started() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("history.db"), b"this is not a database, it is garbage ".repeat(200)).unwrap();
    let (store, report) = Store::open(dir.path()).unwrap();
    let aside = report.moved_aside.expect("the damaged file is moved aside");
    assert!(aside.exists(), "the damaged file is kept, not deleted");
    assert_eq!(store.quick_check().unwrap(), "ok", "a fresh database was started");
}

#[tokio::test]
async fn results_older_than_the_retention_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let writer = store
        .writer(
            Retention::new(Duration::from_secs(3600), Duration::from_secs(400 * 86_400)),
            10,
            Arc::new(OwnFigures::default()),
        )
        .unwrap();
    let handle = writer.handle();
    let now = Utc::now();
    for (i, age_minutes) in [180, 120, 61, 59, 1].into_iter().enumerate() {
        let result = ResultRecord {
            check_id: id("db"),
            at: now - chrono::Duration::minutes(age_minutes),
            status: Status::Up,
            latency_us: Some(i as i64),
            failure_class: None,
            message: format!("{age_minutes} minutes old"),
            value: Some(age_minutes as f64),
        };
        handle.result(result, state("db", 0, None));
    }
    handle.flush().await.unwrap();
    writer.stop().await;
    let kept = store.results(id("db"), 100).await.unwrap();
    let kept: Vec<&str> = kept.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(kept, ["1 minutes old", "59 minutes old"], "results older than the retention (1h) are pruned");
}

#[tokio::test]
async fn a_value_this_version_does_not_know_is_an_error_naming_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let writer = store.writer(retention(), 10, Arc::new(OwnFigures::default())).unwrap();
    let incident = IncidentRecord {
        id: 7,
        check_id: id("db"),
        started_at: Utc::now(),
        resolved_at: None,
        failure_class: FailureClass::Refused,
        cause: "connection refused".into(),
        failed_conditions: Vec::new(),
        acked: false,
        acked_at: None,
        note: None,
        evidence: None,
        resolution: None,
    };
    writer
        .handle()
        .send(WriteOp::OpenIncident { incident: Box::new(incident), state: state("db", 1, Some(7)) })
        .await
        .unwrap();
    writer.handle().send(WriteOp::State(state("api", 0, None))).await.unwrap();
    writer.stop().await;

    let raw = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    raw.execute("UPDATE incidents SET failure_class = 'gremlins' WHERE id = 7", []).unwrap();
    raw.execute("UPDATE check_state SET status = 'sideways' WHERE check_id = 'db'", []).unwrap();

    match store.incidents(IncidentFilter::default()).await {
        Err(error @ StoreError::BadValue(_)) => {
            let text = error.to_string();
            assert!(
                text.contains("incidents row 7: failure_class holds `gremlins`, which is not a failure class"),
                "the error names the table, row, column and value: {text}"
            );
            assert!(error.resolution().contains("newer version"), "{}", error.resolution());
        }
        other => panic!("an unknown failure class must not read as a plausible one: {other:?}"),
    }

    let states = store.load_states().unwrap();
    let (good, bad): (Vec<_>, Vec<_>) = states.into_iter().partition(Result::is_ok);
    assert_eq!(good.len(), 1, "the readable row still reads");
    let bad = bad.into_iter().next().unwrap().unwrap_err().to_string();
    assert!(bad.contains("check_state row db: status holds `sideways`"), "{bad}");
}

/// A history holding the saved state of check `db`, and a raw connection to damage it.
async fn one_saved_state() -> (tempfile::TempDir, Store, rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let writer = store.writer(retention(), 10, Arc::new(OwnFigures::default())).unwrap();
    writer.handle().send(WriteOp::State(state("db", 3, None))).await.unwrap();
    writer.stop().await;
    let raw = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    (dir, store, raw)
}

#[tokio::test]
async fn an_unreadable_breaker_window_costs_only_the_window() {
    let (_dir, store, raw) = one_saved_state().await;
    raw.execute("UPDATE check_state SET breaker = '{\"state\": 12' WHERE check_id = 'db'", []).unwrap();
    let states: Vec<PersistedState> = store.load_states().unwrap().into_iter().map(Result::unwrap).collect();
    let breaker = states[0].breaker.as_ref().expect("the breaker is read from its plain columns");
    assert_eq!((breaker.state, breaker.consecutive_failures), (BreakerState::Open, 3), "its state is kept");
    assert!(breaker.next_trial_at.is_some(), "and when it tries next");
    assert_eq!(breaker.window.recent, "", "only its window is lost");
}

#[tokio::test]
async fn a_check_whose_saved_state_cannot_be_read_starts_afresh_and_says_so() {
    let (_dir, store, raw) = one_saved_state().await;
    // A row as an earlier version wrote it (no breaker JSON), with a state no version has.
    raw.execute("UPDATE check_state SET breaker = NULL, breaker_state = 'ajar' WHERE check_id = 'db'", []).unwrap();

    let config = "[[check]]\nid = \"db\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\ninterval = \"1h\"\n";
    let config = watchkeeper::config::compile(config, "test.toml").unwrap().config;
    let running = watchkeeper::engine::Engine::start(config, store, crate::support::engine_options())
        .expect("one bad row does not stop the start");
    let engine = running.engine.clone();
    let check = engine.check("db").unwrap();
    assert_eq!(check.reason.as_deref(), Some("not checked yet"), "the check starts afresh");
    let health = watchkeeper::api::health(&engine);
    assert!(
        health.degraded.iter().any(|d| d.contains("check_state row db: breaker_state holds `ajar`")),
        "and /healthz says which row and why: {:?}",
        health.degraded
    );
    running.shutdown().await;
}

#[tokio::test]
async fn a_database_from_before_the_failure_class_rename_keeps_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let old = crate::support::history::at_schema(&path, 2);
        old.execute(
            "INSERT INTO incidents (id, check_id, started_at, cause_class, cause) VALUES (4, 'db', 1000, 'timeout', 'slow')",
            [],
        )
        .unwrap();
        old.execute(
            "INSERT INTO results (check_id, at, status, class, message) VALUES ('db', 1000, 'down', 'timeout', 'slow')",
            [],
        )
        .unwrap();
    }
    let (store, _) = Store::open(dir.path()).unwrap();
    let incidents = store.incidents(IncidentFilter::default()).await.unwrap();
    assert_eq!(incidents.len(), 1, "the incident survives the migration");
    assert_eq!((incidents[0].id, incidents[0].failure_class), (4, FailureClass::Timeout));
    let results = store.results(id("db"), 10).await.unwrap();
    assert_eq!(results[0].failure_class, Some(FailureClass::Timeout), "and so does the result's class");
}

/// A headless daemon's desktop notifications, logged as failed deliveries before
/// schema 9, read as what they were: decisions shown nowhere. Real failures stay.
#[tokio::test]
async fn desktop_notifications_of_a_headless_daemon_are_no_failures_after_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    {
        let old = crate::support::history::at_schema(&path, 8);
        let row =
            "INSERT INTO notifications (id, at, event, channel, severity, title, body, delivered, attempts, error)
                   VALUES (?1, 1000, 'opened', ?2, 'critical', 'db down', 'refused', 0, 1, ?3)";
        old.execute(row, rusqlite::params![1, "desktop", "no desktop app is running: the daemon runs headless"])
            .unwrap();
        old.execute(row, rusqlite::params![2, "hook", "the receiver answered HTTP 500"]).unwrap();
    }
    let (store, _) = Store::open(dir.path()).unwrap();
    let filter = watchkeeper::store::NotificationFilter { limit: 10, ..Default::default() };
    let log = store.notifications(filter).await.unwrap();
    let outcome = |id: i64| {
        let n = log.iter().find(|n| n.id == id).unwrap();
        watchkeeper::words::outcome(n.suppressed, n.delivered, n.attempts, n.error.as_deref()).1
    };
    assert_eq!(outcome(1), "not shown: no desktop session");
    assert_eq!(outcome(2), "failed: the receiver answered HTTP 500", "a real failure stays one");
}

/// A state a result moved only in its counts (results in a row, the last result's time)
/// is held and written with the rollups, every few seconds or at a flush; a state whose
/// status, incident, pause or breaker changed is written with its batch. A kill -9 can
/// cost the first kind a few seconds of counts, never the second.
#[tokio::test]
async fn states_moved_only_by_results_are_written_with_the_rollups_and_changes_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    let writer = store.writer(retention(), 1, Arc::new(OwnFigures::default())).unwrap();
    let handle = writer.handle();
    let since = chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    let state = |status: Status, failures: u32| PersistedState {
        check_id: id("web"),
        status,
        since,
        reason: None,
        consecutive_failures: failures,
        consecutive_successes: 0,
        last_result_at: Some(since),
        open_incident: None,
        breaker: None,
        paused: None,
        flap: FlapHistory::default(),
        cert: Default::default(),
    };
    let result = || ResultRecord {
        check_id: id("web"),
        at: Utc::now(),
        status: Status::Down,
        latency_us: Some(1),
        failure_class: Some(FailureClass::Refused),
        message: "connection refused".into(),
        value: None,
    };
    let results = |n: i64| {
        let store = &store;
        crate::support::eventually(Duration::from_secs(10), "the results are committed", move || async move {
            let count: i64 = store.read_now(|c| c.query_row("SELECT COUNT(*) FROM results", [], |r| r.get(0))).unwrap();
            (count == n).then_some(())
        })
    };
    let saved = || {
        let states = store.load_states().unwrap();
        let state = states.into_iter().next().expect("a saved state").unwrap();
        (state.status, state.consecutive_failures)
    };

    handle.result(result(), state(Status::Up, 1));
    results(1).await;
    assert_eq!(saved(), (Status::Up, 1), "the first state of a check is written at once");
    handle.result(result(), state(Status::Up, 2));
    results(2).await;
    assert_eq!(saved(), (Status::Up, 1), "a count moved by a result is held");
    handle
        .send(WriteOp::StateChange {
            at: Utc::now(),
            from: Status::Up,
            to: Status::Down,
            reason: None,
            state: state(Status::Down, 3),
        })
        .await
        .unwrap();
    crate::support::eventually(Duration::from_secs(10), "the change is committed", || async {
        (saved() == (Status::Down, 3)).then_some(())
    })
    .await;
    handle.result(result(), state(Status::Down, 4));
    results(3).await;
    assert_eq!(saved(), (Status::Down, 3), "held again after the change");
    handle.flush().await.unwrap();
    assert_eq!(saved(), (Status::Down, 4), "a flush writes what is held");
    writer.stop().await;
}
