//! State survives restarts: the same incident, the same streaks, nothing duplicated,
//! and a `kill -9` corrupts nothing already committed.

use std::time::Duration;

use crate::support::daemon::open_history;
use crate::support::{Behaviour, Daemon, Target};

const WAIT: Duration = Duration::from_secs(20);

fn config(target: &Target) -> String {
    format!(
        "[[check]]\nid = \"api\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"1s\"\ntimeout = \"500ms\"\nfailure_threshold = 2\nbreaker = {{ enabled = false }}\n",
        target.url()
    )
}

/// Waits for a result newer than `after` (RFC 3339), so the restarted daemon has
/// probed at least once.
async fn wait_fresh_result(daemon: &Daemon, after: &str) -> serde_json::Value {
    crate::support::eventually(WAIT, "the restarted daemon probes again", || async {
        let check = daemon.check("api").await;
        check["last"]["at"].as_str().is_some_and(|at| at > after).then_some(check)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_continues_the_same_incident() {
    let target = Target::start(Behaviour::Status(500)).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "down", WAIT).await;
    let before = daemon.wait_incidents("the incident is recorded", |i| !i.is_empty()).await;
    assert_eq!(before.len(), 1);
    let stopped_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);

    let daemon = Daemon::start_in(daemon.stop()).await;
    let restored = daemon.check("api").await;
    assert_eq!(restored["status"], "down", "the status is restored before the first probe: {restored}");
    let check = wait_fresh_result(&daemon, &stopped_at).await;
    assert_eq!(check["status"], "down");
    assert_eq!(check["open_incident"], before[0]["id"], "the open incident carries over");
    let after = daemon.incidents().await;
    assert_eq!(after.len(), 1, "a restart neither reopens nor duplicates the incident: {after:?}");

    target.set(Behaviour::Ok);
    daemon.wait_status("api", "up", WAIT).await;
    let resolved =
        daemon.wait_incidents("the incident is resolved", |i| i.iter().all(|i| i["resolved_at"].is_string())).await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["id"], before[0]["id"], "the original incident is the one resolved");
    assert!(resolved[0]["resolved_at"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_continues_the_failure_streak() {
    // failure_threshold 2 with a 4s interval: one failure before the restart, one after.
    let target = Target::start(Behaviour::Status(500)).await;
    let config = format!(
        "[[check]]\nid = \"api\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"4s\"\ntimeout = \"1s\"\nfailure_threshold = 2\nbreaker = {{ enabled = false }}\n",
        target.url()
    );
    let daemon = Daemon::start(&config).await;
    let first = crate::support::eventually(WAIT, "the first failure is recorded", || async {
        let check = daemon.check("api").await;
        check["last"]["ok"].as_bool().is_some_and(|ok| !ok).then_some(check)
    })
    .await;
    assert_ne!(first["status"], "down", "one failure is below the threshold: {first}");
    let daemon = Daemon::start_in(daemon.stop()).await;
    let down = daemon.wait_status("api", "down", WAIT).await;
    assert_eq!(target.hits(), 2, "the second failure, right after the restart, completes the streak: {down}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_keeps_the_database_and_its_incidents() {
    let target = Target::start(Behaviour::Status(500)).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "down", WAIT).await;
    let incidents = daemon.wait_incidents("the incident is committed", |i| !i.is_empty()).await;
    assert_eq!(incidents.len(), 1, "the API reads incidents from the database, so this one is committed");
    let data_dir = daemon.data_dir();
    let dir = daemon.kill();

    {
        let history = open_history(&data_dir);
        let integrity: String = history.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(integrity, "ok", "kill -9 never corrupts the database");
        let open: i64 =
            history.query_row("SELECT COUNT(*) FROM incidents WHERE resolved_at IS NULL", [], |r| r.get(0)).unwrap();
        assert_eq!(open, 1, "the committed incident survives kill -9");
    }

    let daemon = Daemon::start_in(dir).await;
    target.set(Behaviour::Ok);
    daemon.wait_status("api", "up", WAIT).await;
    let incidents =
        daemon.wait_incidents("the incident is resolved", |i| i.iter().all(|i| i["resolved_at"].is_string())).await;
    assert_eq!(incidents.len(), 1, "after kill -9 and restart there is still one incident: {incidents:?}");
    assert!(incidents[0]["resolved_at"].is_string(), "and recovery resolves it");
}
