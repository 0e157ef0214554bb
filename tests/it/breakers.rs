//! Circuit breakers through the daemon, as an operator steers and reads them: the API,
//! the CLI, `/metrics`, and what the history keeps.

use std::time::Duration;

use serde_json::json;

use crate::support::daemon::open_history;
use crate::support::{Behaviour, Daemon, Target};

const WAIT: Duration = Duration::from_secs(20);

fn config(target: &Target) -> String {
    format!(
        r#"
[[check]]
id = "api"
name = "Orders API"
kind = "http"
url = "{url}"
interval = "200ms"
timeout = "150ms"
breaker = {{ window = 10, min_calls = 4, failure_rate = 50, half_open_calls = 2, open_for = "1s" }}

[[check]]
id = "db"
kind = "tcp"
host = "127.0.0.1"
port = {port}
interval = "1s"
breaker = {{ enabled = false }}
"#,
        url = target.url(),
        port = target.addr.port(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breaker_is_steered_from_the_api_and_the_cli_and_bad_requests_change_nothing() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;

    // Forced open from the API: no probe reaches the target.
    let (code, breaker) = daemon.post("/api/v1/checks/api/breaker", json!({"state": "forced_open"})).await;
    assert_eq!(code, 200, "{breaker}");
    assert_eq!(breaker["state"], "forced_open");
    assert_eq!(
        breaker["rule"]["trip"]["window"],
        json!({"kind": "calls", "calls": 10}),
        "the answer carries the rule: {breaker}"
    );
    let hits = target.hits();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(target.hits() <= hits + 1, "forced open: at most the probe in flight reached it");
    let metrics = daemon.request(reqwest::Method::GET, "/metrics").await.send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("watchkeeper_breaker_state{check=\"api\"} 4"), "{metrics}");
    assert!(metrics.contains("watchkeeper_breaker_calls{check=\"api\",outcome=\"all\"}"), "{metrics}");

    // Bad requests say why and change nothing.
    for (body, code, what) in [
        (json!({"state": "open"}), 400, "opens and half-opens by itself"),
        (json!({"state": "ajar"}), 400, "ajar"),
        (json!({}), 400, "state"),
    ] {
        let (status, error) = daemon.post("/api/v1/checks/api/breaker", body.clone()).await;
        assert_eq!(status, code, "{body}: {error}");
        assert!(error["message"].as_str().unwrap_or("").contains(what), "{body}: {error}");
        assert!(error["resolution"].is_string(), "{error}");
    }
    let (status, error) = daemon.post("/api/v1/checks/db/breaker", json!({"state": "disabled"})).await;
    assert_eq!((status, error["code"].as_str()), (409, Some("no_breaker")), "{error}");
    let (status, error) = daemon.post("/api/v1/checks/nope/breaker", json!({"state": "closed"})).await;
    assert_eq!((status, error["code"].as_str()), (404, Some("unknown_check")), "{error}");
    assert_eq!(daemon.check("api").await["breaker"]["state"], "forced_open", "nothing changed");

    // Reset from the CLI: probes resume.
    let (code, out, err) = daemon.cli(&["breaker", "api", "reset"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.trim(), "breaker of `api`: closed, with a fresh window");
    crate::support::eventually(WAIT, "probes resume", || async { (target.hits() > hits + 2).then_some(()) }).await;
    let (code, out, err) = daemon.cli(&["breaker", "api", "open"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("forced open: no probe reaches it until it is reset (`watchkeeper breaker api reset`)"),
        "{out}"
    );
    let (_, status, _) = daemon.cli(&["status"]).await;
    assert!(
        status.lines().any(|l| l.contains("api") && l.contains("forced open")),
        "the phrase the core says: {status}"
    );
    let (code, _, err) = daemon.cli(&["breaker", "db", "disable"]).await;
    assert_eq!(code, 65, "the check has no breaker to steer: EX_DATAERR: {err}");
    assert!(err.contains("check `db` has no breaker [api_error]") || err.contains("no_breaker"), "{err}");

    // Each change is in the history, with who made it.
    let history = open_history(&daemon.data_dir());
    let mut rows = history
        .prepare("SELECT from_state, to_state, requested_by FROM breaker_changes WHERE check_id = 'api' ORDER BY id")
        .unwrap();
    let changes: Vec<String> = rows
        .query_map([], |r| {
            Ok(format!("{}>{} {}", r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(changes, ["closed>forced_open api", "forced_open>closed cli", "closed>forced_open cli"]);
    // And on the check's page, newest first, with why.
    let detail = daemon.get("/api/v1/checks/api").await;
    let shown = &detail["breaker_changes"];
    assert_eq!((shown[0]["to"].as_str(), shown[0]["by"].as_str()), (Some("forced_open"), Some("cli")), "{detail}");
    assert_eq!(shown[0]["reason"], "forced open: no probe until reset");
    assert_eq!(shown.as_array().map(Vec::len), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_breaker_opens_at_its_failure_rate_and_its_trials_are_all_the_target_sees() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;
    target.set(Behaviour::Status(503));
    let open = crate::support::eventually(WAIT, "the breaker opens", || async {
        let check = daemon.check("api").await;
        (check["breaker"]["state"] == "open").then_some(check)
    })
    .await;
    let breaker = &open["breaker"];
    assert!(breaker["failure_rate"].as_f64().unwrap() >= 50.0, "{breaker}");
    assert!(breaker["calls"].as_u64().unwrap() >= 4, "not below min_calls: {breaker}");
    assert_eq!(
        breaker["recent"].as_array().unwrap().last(),
        Some(&json!("failed")),
        "the strip ends with the failure: {breaker}"
    );
    let hits = target.hits();
    // The wait (1 s) runs out: exactly its two trials reach the target, both fail, and
    // it opens again for twice as long.
    let reopened = crate::support::eventually(WAIT, "the trials fail", || async {
        let check = daemon.check("api").await;
        (check["breaker"]["failed_trials"] == 1 && check["breaker"]["state"] == "open").then_some(check)
    })
    .await;
    assert_eq!(target.hits(), hits + 2, "half_open_calls trials, no more: {reopened}");
    assert_eq!(reopened["last"]["failure"]["class"], "http_status", "the real failure stays in view");
    assert_eq!(reopened["status"], "down");
    target.set(Behaviour::Ok);
    let closed = crate::support::eventually(WAIT, "two good trials close it", || async {
        let check = daemon.check("api").await;
        (check["breaker"]["state"] == "closed").then_some(check)
    })
    .await;
    assert_eq!(closed["status"], "up");
    assert_eq!(closed["breaker"]["failed_trials"], 0, "a close starts the waits over: {closed}");
}
