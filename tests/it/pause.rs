//! Pausing checks (the tray's "Pause 1 h" and "Pause all"): a paused check is not
//! probed, shows `paused`, and the pause outlives a restart; resuming brings it back.

use std::time::Duration;

use serde_json::json;

use crate::support::{eventually, Behaviour, Daemon, Target};

const WAIT: Duration = Duration::from_secs(20);

fn config(target: &Target) -> String {
    format!(
        r#"
[[check]]
id = "api"
name = "Orders API"
kind = "http"
url = "{url}"
interval = "100ms"
failure_threshold = 1

[[check]]
id = "db"
name = "Database"
kind = "http"
url = "{url}"
interval = "100ms"
failure_threshold = 1
"#,
        url = target.url()
    )
}

async fn count(daemon: &Daemon, id: &str) -> usize {
    let body = daemon.get(&format!("/api/v1/checks/{id}/results?limit=1000")).await;
    body["results"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_check_is_not_probed_and_stays_paused_across_a_restart() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;
    daemon.wait_status("db", "up", WAIT).await;

    let (code, body) = daemon.post("/api/v1/checks/api/pause", json!({"for": "1h"})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["changed"], 1);
    let until = body["until"].as_str().expect("a pause for 1h has an end").to_owned();
    let api = daemon.check("api").await;
    assert_eq!(api["status"], "paused");
    assert!(api["reason"].as_str().unwrap().starts_with("paused by the user until"), "{api}");

    // Not probed while paused: its results stop growing while the other check's grow (a
    // probe in flight when it was paused has landed once the other check has run again).
    let witness = |n: usize| {
        let daemon = &daemon;
        async move {
            let start = count(daemon, "db").await;
            eventually(WAIT, "the other check runs on", || async {
                (count(daemon, "db").await >= start + n).then_some(())
            })
            .await;
        }
    };
    witness(1).await;
    let api_before = count(&daemon, "api").await;
    witness(3).await;
    assert_eq!(count(&daemon, "api").await, api_before, "a paused check is not probed while the others go on");
    // A failure meanwhile raises nothing for the paused check.
    target.set(Behaviour::Status(500));
    daemon.wait_status("db", "down", WAIT).await;
    assert_eq!(daemon.check("api").await["status"], "paused");
    let incidents = daemon.incidents().await;
    assert!(incidents.iter().all(|i| i["check"] != "api"), "no incident for a paused check: {incidents:?}");

    // The pause is kept across a restart, with its end.
    let dir = daemon.stop();
    let daemon = Daemon::start_in(dir).await;
    let api = daemon.check("api").await;
    assert_eq!(api["status"], "paused", "{api}");
    assert!(api["reason"].as_str().unwrap().contains(&until[11..16]), "the same end, {until}: {api}");

    // Resumed: probed again at once, and down like the target.
    target.set(Behaviour::Ok);
    let (code, body) = daemon.post("/api/v1/checks/api/resume", json!({})).await;
    assert_eq!((code, body["changed"].clone()), (200, json!(1)), "{body}");
    daemon.wait_status("api", "up", WAIT).await;

    // Pause all, until resumed; a second "pause all" changes nothing.
    let (code, body) = daemon.post("/api/v1/pause", json!({})).await;
    assert_eq!((code, body["changed"].clone(), body["until"].clone()), (200, json!(2), json!(null)), "{body}");
    let status = daemon.get("/api/v1/status").await;
    assert_eq!(status["overall"], "paused", "{status}");
    let (_, again) = daemon.post("/api/v1/pause", json!({})).await;
    assert_eq!(again["changed"], 0);
    let (_, body) = daemon.post("/api/v1/resume", json!({})).await;
    assert_eq!(body["changed"], 2);
    eventually(WAIT, "both checks run again", || async {
        let status = daemon.get("/api/v1/status").await;
        (status["overall"] == "up").then_some(())
    })
    .await;

    // The history records each pause as a state change.
    let history = crate::support::daemon::open_history(&daemon.data_dir());
    eventually(WAIT, "the three pauses are in the state log once committed", || async {
        let paused: i64 = history
            .query_row("SELECT count(*) FROM state_changes WHERE to_status = 'paused'", [], |r| r.get(0))
            .unwrap();
        (paused == 3).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_pauses_are_refused_with_a_resolution() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;
    for (path, body, status, code) in [
        ("/api/v1/checks/nope/pause", json!({"for": "1h"}), 404, "unknown_check"),
        ("/api/v1/checks/api/pause", json!({"for": "soon"}), 400, "bad_request"),
        ("/api/v1/checks/api/pause", json!({"for": "90d"}), 400, "bad_request"),
        ("/api/v1/checks/api/pause", json!({"for": "0s"}), 400, "bad_request"),
        ("/api/v1/checks/api/pause", json!({"until": "1h"}), 400, "bad_request"),
        ("/api/v1/checks/nope/resume", json!({}), 404, "unknown_check"),
    ] {
        let (got, answer) = daemon.post(path, body.clone()).await;
        assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{path} {body}: {answer}");
        assert!(!answer["resolution"].as_str().unwrap_or_default().is_empty(), "{answer}");
    }
    assert_eq!(daemon.check("api").await["status"], "up", "nothing was paused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_a_paused_check_again_moves_its_end_and_keeps_it() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;
    let (_, first) = daemon.post("/api/v1/checks/api/pause", json!({"for": "1h"})).await;
    assert_eq!(first["changed"], 1);
    let since = daemon.check("api").await["since"].clone();
    let (_, again) = daemon.post("/api/v1/checks/api/pause", json!({"for": "3h"})).await;
    assert_eq!(again["changed"], 0, "still paused: no status changed");
    let until = again["until"].as_str().unwrap().to_owned();
    let api = daemon.check("api").await;
    assert!(api["reason"].as_str().unwrap().contains(&until[11..16]), "the new end, {until}: {api}");
    assert_eq!(api["since"], since, "paused since the first pause");

    let dir = daemon.stop();
    let daemon = Daemon::start_in(dir).await;
    let api = daemon.check("api").await;
    assert!(api["reason"].as_str().unwrap().contains(&until[11..16]), "the new end outlives a restart: {api}");
    let history = crate::support::daemon::open_history(&daemon.data_dir());
    let logged: i64 =
        history.query_row("SELECT count(*) FROM state_changes WHERE to_status = 'paused'", [], |r| r.get(0)).unwrap();
    assert_eq!(logged, 1, "moving the end is not a state change");
}

/// A pause with an end ends by itself, on time. The API shows the check's own status as
/// soon as the end passes; the engine's sweep records the change and brings the check
/// back under staleness rules. The sweep sleeps until the next moment something can
/// change, so a new pause must wake it: here it would otherwise sleep on for 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_ends_by_itself_when_its_time_is_up() {
    let target = Target::start(Behaviour::Ok).await;
    // One check, probed hourly: nothing else is due, so the sweep sleeps its longest.
    let config = format!("[[check]]\nid = \"api\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"1h\"\n", target.url());
    let daemon = Daemon::start(&config).await;
    daemon.wait_status("api", "up", WAIT).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    let (code, body) = daemon.post("/api/v1/checks/api/pause", json!({"for": "2s"})).await;
    assert_eq!(code, 200, "{body}");
    let until = chrono::DateTime::parse_from_rfc3339(body["until"].as_str().expect("an end")).unwrap();
    assert_eq!(daemon.check("api").await["status"], "paused");
    daemon.wait_status("api", "up", WAIT).await;
    let history = crate::support::daemon::open_history(&daemon.data_dir());
    let ended_at: i64 = eventually(WAIT, "the end of the pause is recorded", || async {
        history
            .query_row(
                "SELECT at FROM state_changes WHERE check_id = 'api' AND from_status = 'paused' AND to_status = 'up'",
                [],
                |r| r.get(0),
            )
            .ok()
    })
    .await;
    let late = ended_at - until.timestamp_millis();
    assert!(late >= 0, "recorded {late} ms before the end");
    // The sweep passes at least a second apart; the bound is loose for a shared machine.
    assert!(late < 5000, "recorded {late} ms after the end of a 2 s pause");
}
