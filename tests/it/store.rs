//! The history database on real files: migrations, the batching writer, reopening,
//! refusing a newer schema, moving a damaged file aside.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use watchkeeper::figures::OwnFigures;
use watchkeeper::store::{IncidentFilter, IncidentRecord, PersistedState, ResultRecord, Store, StoreError, WriteOp};

fn state(check: &str, failures: u32, incident: Option<i64>) -> PersistedState {
    PersistedState {
        check_id: check.into(),
        status: "down".into(),
        since: Utc::now(),
        reason: Some("connection refused".into()),
        consecutive_failures: failures,
        consecutive_successes: 0,
        last_result_at: Some(Utc::now()),
        open_incident: incident,
        breaker_state: "open".into(),
        breaker_failures: failures,
        breaker_next_trial_at: Some(Utc::now()),
        paused: None,
    }
}

#[tokio::test]
async fn the_writer_batches_and_a_reopened_store_continues() {
    let dir = tempfile::tempdir().unwrap();
    let (store, report) = Store::open(dir.path()).unwrap();
    assert!(report.moved_aside.is_none());
    let figures = Arc::new(OwnFigures::default());
    let writer = store.writer(Duration::from_secs(86_400), figures.clone()).unwrap();
    let handle = writer.handle();
    let incident = IncidentRecord {
        id: 7,
        check_id: "db".into(),
        // The store keeps milliseconds.
        started_at: chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap(),
        resolved_at: None,
        cause_class: "refused".into(),
        cause: "connection refused".into(),
        failed_conditions: vec!["expected connected == true, got false".into()],
        acked: false,
        note: None,
    };
    handle.send(WriteOp::OpenIncident { incident: incident.clone(), state: state("db", 1, Some(7)) }).await.unwrap();
    for i in 0..5000 {
        let result = ResultRecord {
            check_id: "db".into(),
            at: Utc::now(),
            status: "down".into(),
            latency_us: Some(i),
            class: Some("refused".into()),
            message: "connection refused".into(),
        };
        handle.result(result, state("db", i as u32 + 1, Some(7)));
    }
    handle.flush().await.unwrap();
    assert_eq!(OwnFigures::get(&figures.dropped), 0, "5000 results fit the queue");
    writer.stop().await;
    drop(store);

    let (store, _) = Store::open(dir.path()).unwrap();
    let states = store.load_states().unwrap();
    assert_eq!(states.len(), 1, "one state row per check, however many results");
    assert_eq!(states[0].consecutive_failures, 5000, "the last state of the batch wins");
    assert_eq!(states[0].open_incident, Some(7));
    assert_eq!(store.max_incident_id().unwrap(), 7, "incident ids continue after a reopen");
    let incidents = store.incidents(IncidentFilter { open_only: true, ..Default::default() }).await.unwrap();
    assert_eq!(incidents, vec![incident], "the incident reads back as written");
    let results = store.results("db".into(), 10).await.unwrap();
    assert_eq!(results.len(), 10);
    assert_eq!(results[0].latency_us, Some(4999), "newest first");
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
    let writer = store.writer(Duration::from_secs(3600), Arc::new(OwnFigures::default())).unwrap();
    let handle = writer.handle();
    let now = Utc::now();
    for (i, age_minutes) in [180, 120, 61, 59, 1].into_iter().enumerate() {
        let result = ResultRecord {
            check_id: "db".into(),
            at: now - chrono::Duration::minutes(age_minutes),
            status: "up".into(),
            latency_us: Some(i as i64),
            class: None,
            message: format!("{age_minutes} minutes old"),
        };
        handle.result(result, state("db", 0, None));
    }
    handle.flush().await.unwrap();
    writer.stop().await;
    let kept = store.results("db".into(), 100).await.unwrap();
    let kept: Vec<&str> = kept.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(kept, ["1 minutes old", "59 minutes old"], "results older than the retention (1h) are pruned");
}
