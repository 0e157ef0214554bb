//! Recovery through the daemon, for real: a check that heals itself through its
//! `auto_action` (a real process fixes what a real command check looks at), budgets
//! that refuse past `max_runs`, give up once, survive a restart and are reset from the
//! API and the CLI, one run of an action at a time, and who asked for each run.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::daemon::open_history;
use crate::support::{eventually, run_cli, Daemon};

const WAIT: Duration = Duration::from_secs(30);

/// A command check that is up while `flag` exists, and an action that creates it.
fn healing_config(dir: &std::path::Path, extra_check: &str, extra_action: &str) -> String {
    let flag = dir.join("flag");
    let flag = flag.to_str().expect("a UTF-8 temp path");
    format!(
        r#"
[[check]]
id = "svc"
kind = "command"
command = ["test", "-f", "{flag}"]
interval = "300ms"
timeout = "250ms"
failure_threshold = 1
{extra_check}

[[action]]
id = "heal"
kind = "command"
command = ["touch", "{flag}"]
timeout = "5s"
{extra_action}
"#
    )
}

/// The runs recorded for an action, oldest first: (requested_by, status, verified).
/// Waits until `svc` has `n` more failed results: each would run its auto action if
/// its budget let it.
async fn results_go_on(daemon: &Daemon, n: usize) {
    let count = || async {
        daemon.get("/api/v1/checks/svc/results?limit=1000").await["results"].as_array().map_or(0, Vec::len)
    };
    let start = count().await;
    eventually(WAIT, "the check is probed on", || async { (count().await >= start + n).then_some(()) }).await;
}

fn recorded_runs(daemon: &Daemon, action: &str) -> Vec<(String, String, Option<bool>)> {
    let history = open_history(&daemon.data_dir());
    let mut statement = history
        .prepare(
            "SELECT requested_by, status, verified FROM action_runs WHERE action_id = ?1 AND dry_run = 0 ORDER BY id",
        )
        .expect("a valid query");
    let rows = statement.query_map([action], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).expect("the runs");
    rows.map(|r| r.expect("a row")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_check_heals_itself_and_the_run_is_verified_on_its_incident() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = healing_config(dir.path(), "auto_action = { action = \"heal\", after = 1 }", "");
    std::fs::write(dir.path().join("watchkeeper.toml"), config).expect("write config");
    let daemon = Daemon::start_in(dir).await;

    // No flag: the check fails, its auto action creates the flag, the re-probe verifies.
    let run = eventually(WAIT, "the auto action's run is recorded, then ends", || async {
        let runs = daemon.get("/api/v1/action-runs?action=heal").await;
        runs["runs"].as_array().and_then(|runs| runs.first().cloned()).filter(|run| run["status"] != "running")
    })
    .await;
    assert_eq!(run["requested_by"], "auto", "{run}");
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(run["verified"], true, "the check came back after the run: {run}");
    assert_eq!(run["check"], "svc");
    let incident = run["incident"].as_i64().expect("the run is filed on the incident it answered");
    let up = daemon.wait_status("svc", "up", WAIT).await;
    assert_eq!(up["healing"]["state"], "idle", "{up}");
    assert_eq!(up["healing"]["action"], "heal");
    assert_eq!(up["healing"]["attempts"], 1, "one run healed it; the count holds until stable_for: {up}");
    let incidents =
        daemon.wait_incidents("the incident is resolved", |i| i.iter().all(|i| !i["resolved_at"].is_null())).await;
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    assert_eq!(incidents[0]["id"], incident);
    let timeline = &incidents[0]["actions"];
    assert_eq!(timeline.as_array().map(Vec::len), Some(1), "the incident lists its run: {timeline}");
    assert_eq!((&timeline[0]["action"], &timeline[0]["requested_by"]), (&json!("heal"), &json!("auto")));
    assert_eq!(timeline[0]["verified"], true);
    let on_incident = daemon.get(&format!("/api/v1/action-runs?incident={incident}")).await;
    assert_eq!(on_incident["runs"].as_array().map(Vec::len), Some(1), "the incident's timeline has the run");

    let actions = daemon.get("/api/v1/actions").await;
    let heal = &actions[0];
    assert_eq!(heal["id"], "heal");
    assert_eq!(heal["checks"], json!(["svc"]), "auto_action makes the check offer it");
    assert_eq!(heal["auto_for"], json!(["svc"]));
    assert_eq!(heal["budget"]["runs_in_window"], 1, "the automatic run counts: {heal}");
    assert_eq!(heal["budget"]["max_runs"], 3, "default 3 per 10m");
    assert_eq!(heal["budget"]["per"], "10m");
    assert!(heal["description"].as_str().unwrap().starts_with("runs touch "), "{heal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_for_stable_for_the_healing_and_the_budget_start_over() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = healing_config(dir.path(), "auto_action = { action = \"heal\", after = 1 }\nstable_for = \"1s\"", "");
    std::fs::write(dir.path().join("watchkeeper.toml"), config).expect("write config");
    let daemon = Daemon::start_in(dir).await;
    eventually(WAIT, "the check heals itself", || async {
        let runs = daemon.get("/api/v1/action-runs?action=heal").await;
        let healed = runs["runs"].as_array().is_some_and(|runs| runs.iter().any(|r| r["verified"] == true));
        healed.then_some(())
    })
    .await;
    // Up for a second: the backoff is forgotten and the budget reset.
    eventually(WAIT, "healing settles", || async { daemon.log().contains("self-healing settled").then_some(()) }).await;
    let check = daemon.check("svc").await;
    assert_eq!((&check["status"], &check["healing"]["attempts"]), (&json!("up"), &json!(0)), "{check}");
    let actions = daemon.get("/api/v1/actions").await;
    assert_eq!(actions[0]["budget"]["runs_in_window"], 0, "the budget starts over: {actions}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_budget_gives_up_once_survives_a_restart_and_a_reset_starts_over() {
    let dir = tempfile::tempdir().expect("a temp dir");
    // The action "runs" but fixes nothing (the flag is elsewhere): a restart loop.
    let mut config = healing_config(
        dir.path(),
        "auto_action = { action = \"heal\", after = 2, backoff = \"200ms\", max_backoff = \"400ms\" }",
        "max_runs = 2\nper = \"1h\"\nverify = false",
    );
    config = config.replace("[\"touch\", ", "[\"sh\", \"-c\", \"echo trying\", ");
    std::fs::write(dir.path().join("watchkeeper.toml"), &config).expect("write config");
    let daemon = Daemon::start_in(dir).await;

    let check = eventually(WAIT, "self-healing gives up", || async {
        let check = daemon.check("svc").await;
        (check["healing"]["state"] == "gave_up").then_some(check)
    })
    .await;
    assert_eq!(check["status"], "down");
    assert_eq!(check["healing"]["attempts"], 2, "{check}");
    let retry_at = check["healing"]["retry_at"].as_str().expect("a countdown").to_owned();
    let runs = recorded_runs(&daemon, "heal");
    assert_eq!(runs.len(), 2, "the budget (2 per 1h) stops it: {runs:?}");
    assert!(runs.iter().all(|(by, status, _)| by == "auto" && status == "ok"), "{runs:?}");

    // A run by hand counts against the same budget: refused, with when to retry.
    let (status, refused) = daemon.post("/api/v1/actions/heal/run", json!({})).await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["code"], "action_budget_exhausted");
    assert_eq!(refused["retry_at"].as_str(), Some(retry_at.as_str()), "{refused}");
    assert!(refused["resolution"].as_str().unwrap().contains("watchkeeper action reset heal"), "{refused}");
    let (status, preview) = daemon.post("/api/v1/actions/heal/run", json!({"dry_run": true})).await;
    assert_eq!((status, &preview["status"]), (200, &json!("dry_run")), "a dry run is always allowed: {preview}");
    results_go_on(&daemon, 3).await;
    assert_eq!(recorded_runs(&daemon, "heal").len(), 2, "no run past the budget");
    assert_eq!(daemon.log().matches("self-healing gave up").count(), 1, "told once:\n{}", daemon.log());
    let metrics = daemon.request(reqwest::Method::GET, "/metrics").await.send().await.unwrap().text().await.unwrap();
    for line in [
        "watchkeeper_action_runs_in_window{action=\"heal\"} 2",
        "watchkeeper_action_max_runs{action=\"heal\"} 2",
        "watchkeeper_action_budget_spent{action=\"heal\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in:\n{metrics}");
    }

    // A restart forgets neither the spent budget nor that it was told.
    let daemon = Daemon::start_in(daemon.stop()).await;
    let check = daemon.check("svc").await;
    assert_eq!(check["healing"]["state"], "gave_up", "restored before the first probe: {check}");
    let results_after_restart = |daemon: &Daemon| {
        let history = open_history(&daemon.data_dir());
        history.query_row("SELECT COUNT(*) FROM results", [], |r| r.get::<_, i64>(0)).expect("a count")
    };
    let before = results_after_restart(&daemon);
    eventually(WAIT, "the restarted daemon probes a few times", || async {
        (results_after_restart(&daemon) >= before + 4).then_some(())
    })
    .await;
    assert_eq!(recorded_runs(&daemon, "heal").len(), 2, "a restart does not repeat a run");
    assert_eq!(daemon.log().matches("self-healing gave up").count(), 0, "nor tell it again");

    // A reset from the CLI (through the daemon) starts healing over: two more runs, then
    // it gives up again, and says so again.
    let mut events =
        daemon.request(reqwest::Method::GET, "/api/v1/events").await.bearer_auth(&daemon.token).send().await.unwrap();
    let data = daemon.data_dir();
    let (code, stdout, stderr) = run_cli(&["action", "reset", "heal", "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("action `heal`: budget reset (0 of 2 runs in 1h"), "{stdout}");
    // Giving up again goes out live, for the desktop's `restart_loop` notification.
    let mut seen = String::new();
    let told = tokio::time::timeout(WAIT, async {
        while let Ok(Some(chunk)) = events.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: restart_loop") && seen.contains("\"retry_at\"") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(told, Ok(true), "a restart_loop update:\n{seen}");
    assert!(seen.contains(r#""check":"svc","name":"svc","action":"heal","max_runs":2,"per":"1h""#), "{seen}");
    eventually(WAIT, "healing gives up again after two more runs", || async {
        let check = daemon.check("svc").await;
        (recorded_runs(&daemon, "heal").len() == 4 && check["healing"]["state"] == "gave_up").then_some(())
    })
    .await;
    results_go_on(&daemon, 3).await;
    assert_eq!(recorded_runs(&daemon, "heal").len(), 4, "the reset budget is spent again");
    assert_eq!(daemon.log().matches("self-healing gave up").count(), 1, "and told once more");

    let (code, stdout, _) = run_cli(&["action", "list", "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("heal") && stdout.contains("2 of 2 runs in 1h · budget spent, next run allowed in "),
        "{stdout}"
    );
    assert!(stdout.contains("svc (auto)"), "{stdout}");
    let (code, _, stderr) = run_cli(&["action", "run", "heal", "--data-dir", data.to_str().unwrap()]);
    assert_ne!(code, 0, "the CLI is refused past the budget too");
    assert!(stderr.contains("action_budget_exhausted"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_run_of_an_action_at_a_time_and_each_run_says_who_asked() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut config = healing_config(dir.path(), "actions = [\"heal\"]", "max_runs = 10");
    config = config.replace("[\"touch\", ", "[\"sh\", \"-c\", \"sleep 1; touch \\\"$0\\\"\", ");
    std::fs::write(dir.path().join("watchkeeper.toml"), &config).expect("write config");
    let daemon = Daemon::start_in(dir).await;
    daemon.wait_status("svc", "down", WAIT).await;

    let first = {
        let request = daemon.request(reqwest::Method::POST, "/api/v1/actions/heal/run").await;
        let request = request.bearer_auth(&daemon.token).json(&json!({}));
        tokio::spawn(async move { request.send().await.expect("POST").json::<Value>().await.expect("JSON") })
    };
    let busy = eventually(WAIT, "the first run is under way", || async {
        let actions = daemon.get("/api/v1/actions").await;
        (actions[0]["running"] == true).then_some(())
    })
    .await;
    let _: () = busy;
    let (status, body) = daemon.post("/api/v1/actions/heal/run", json!({})).await;
    assert_eq!(status, 409, "a second run while one is under way is refused: {body}");
    assert_eq!(body["code"], "action_running");
    let first = first.await.expect("the first run answers");
    assert_eq!(first["status"], "ok", "{first}");
    assert_eq!(first["verified"], true, "{first}");

    let data = daemon.data_dir();
    let (code, _, stderr) = run_cli(&["action", "run", "heal", "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let runs = recorded_runs(&daemon, "heal");
    let by: Vec<&str> = runs.iter().map(|(by, _, _)| by.as_str()).collect();
    assert_eq!(by, ["api", "cli"], "the CLI's run through the daemon is the CLI's: {runs:?}");
    let actions = daemon.get("/api/v1/actions").await;
    assert_eq!(actions[0]["budget"]["runs_in_window"], 2, "{actions}");

    let (status, body) = daemon.post("/api/v1/actions/nope/reset", json!({})).await;
    assert_eq!((status, &body["code"]), (404, &json!("unknown_action")), "{body}");
    let (status, reset) = daemon.post("/api/v1/actions/heal/reset", json!({})).await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(reset["budget"]["runs_in_window"], 0, "{reset}");
    let (status, body) = daemon.post("/api/v1/actions/heal/reset", json!({"extra": 1})).await;
    assert_eq!((status, &body["code"]), (400, &json!("bad_request")), "unknown arguments are refused: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cut_short_by_a_stop_is_marked_interrupted_and_still_counts() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("watchkeeper.toml");
    std::fs::write(
        &config,
        "[[action]]\nid = \"fix\"\nkind = \"command\"\ncommand = [\"true\"]\nmax_runs = 1\nper = \"1h\"\n",
    )
    .unwrap();
    let (config_arg, data_arg) = (config.to_str().unwrap(), data.to_str().unwrap());
    // A run without a daemon, then made what a daemon killed during it leaves: `running`.
    let (code, _, stderr) = run_cli(&["action", "run", "fix", "--config", config_arg, "--data-dir", data_arg]);
    assert_eq!(code, 0, "{stderr}");
    {
        let history = rusqlite::Connection::open(data.join("history.db")).unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        history.execute("UPDATE action_runs SET status = 'running', started_at = ?1", [now]).unwrap();
    }
    let daemon = Daemon::start_in(dir).await;
    let runs = daemon.get("/api/v1/action-runs?action=fix").await;
    assert_eq!(runs["runs"][0]["status"], "interrupted", "{runs}");
    assert!(runs["runs"][0]["output"].as_str().unwrap().contains("stopped during this run"), "{runs}");
    let (status, body) = daemon.post("/api/v1/actions/fix/run", json!({})).await;
    assert_eq!(status, 429, "the interrupted run counts against the budget: {body}");
    assert!(body["message"].as_str().unwrap().contains("has run 1 times in the last 1h"), "{body}");
    let dir = daemon.stop();

    let (data_arg, config_arg) = (dir.path().join("data"), dir.path().join("watchkeeper.toml"));
    let (data_arg, config_arg) = (data_arg.to_str().unwrap(), config_arg.to_str().unwrap());
    let (code, _, stderr) = run_cli(&["action", "run", "fix", "--config", config_arg, "--data-dir", data_arg]);
    assert_ne!(code, 0, "without a daemon the budget holds as well");
    assert!(stderr.contains("action_budget_exhausted"), "{stderr}");
    let (code, stdout, stderr) = run_cli(&["action", "reset", "fix", "--config", config_arg, "--data-dir", data_arg]);
    assert_eq!(code, 0, "a reset works without a daemon too: {stderr}");
    assert!(stdout.contains("budget reset (0 of 1 runs in 1h)"), "{stdout}");
    let (code, _, stderr) = run_cli(&["action", "run", "fix", "--config", config_arg, "--data-dir", data_arg]);
    assert_eq!(code, 0, "after the reset it runs: {stderr}");
}
