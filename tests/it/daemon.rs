//! The daemon driven through its API: status flips, incidents, auth, breaker, actions,
//! live events.

use std::time::Duration;

use serde_json::json;

use crate::support::{run_cli, Behaviour, Daemon, Target};

const WAIT: Duration = Duration::from_secs(20);

fn config(target: &Target, extra: &str) -> String {
    format!(
        r#"
[[check]]
id = "api"
name = "Orders API"
kind = "http"
url = "{url}"
interval = "300ms"
timeout = "250ms"
failure_threshold = 2
expect = ["status == 200"]
actions = ["fix"]
{extra}

[[action]]
id = "fix"
kind = "command"
command = ["sh", "-c", "echo fixing; echo done >&2"]
timeout = "5s"
"#,
        url = target.url()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_flips_down_and_back_with_one_incident() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "breaker = { enabled = false }")).await;
    daemon.wait_status("api", "up", WAIT).await;

    target.set(Behaviour::Status(500));
    let down = daemon.wait_status("api", "down", WAIT).await;
    assert_eq!(down["last"]["failure"]["class"], "http_status", "a 500 is classified as http_status: {down}");
    assert!(
        down["last"]["message"].as_str().unwrap().contains("expected status == 200, got 500"),
        "the failed condition reads expected X, got Y: {down}"
    );
    let incidents = daemon.wait_incidents("the incident is recorded", |i| !i.is_empty()).await;
    assert_eq!(incidents.len(), 1, "going down opens exactly one incident: {incidents:?}");
    assert_eq!(incidents[0]["check"], "api");
    assert!(incidents[0]["resolved_at"].is_null(), "the incident is open while the check is down");
    assert_eq!(incidents[0]["cause_class"], "http_status");

    let data_dir = daemon.data_dir();
    let (code, stdout, stderr) = run_cli(&["incidents", "--data-dir", data_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "watchkeeper incidents succeeds: {stderr}");
    assert!(stdout.contains("api") && stdout.contains("open"), "the CLI lists the open incident:\n{stdout}");
    assert!(stdout.contains("(unexpected HTTP status)"), "its cause's class in words:\n{stdout}");

    target.set(Behaviour::Ok);
    daemon.wait_status("api", "up", WAIT).await;
    let incidents =
        daemon.wait_incidents("the incident is resolved", |i| i.iter().all(|i| i["resolved_at"].is_string())).await;
    assert_eq!(incidents.len(), 1, "recovery resolves the incident rather than opening another: {incidents:?}");
    assert!(incidents[0]["resolved_at"].is_string(), "the incident is resolved once the check is up");
    assert!(incidents[0]["duration_ms"].as_i64().unwrap() > 0);

    let metrics = daemon.request(reqwest::Method::GET, "/metrics").await.send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("watchkeeper_write_failures_total 0\n"),
        "every history batch committed (incidents are written before the state naming them):\n{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_daemon_on_the_same_data_dir_is_refused() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "")).await;
    let data_dir = daemon.data_dir();
    let config_path = daemon.path().join("watchkeeper.toml");
    let (code, _, stderr) = crate::support::run_daemon_expecting_exit(&config_path, &data_dir);
    assert_eq!(code, 75, "the second daemon exits with EX_TEMPFAIL");
    assert!(stderr.contains("another watchkeeper is already using"), "it says why:\n{stderr}");
    assert!(stderr.contains(&format!("pid {}", daemon.pid())), "and which process holds the dir:\n{stderr}");
    daemon.wait_status("api", "up", WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_strangers_and_explains_errors() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "")).await;

    let response = daemon.request(reqwest::Method::GET, "/api/v1/status").await.send().await.unwrap();
    assert_eq!(response.status(), 401, "the API needs the token");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    assert!(body["resolution"].as_str().unwrap().contains("api.json"), "the error says where the token is");

    let wrong = daemon.request(reqwest::Method::GET, "/api/v1/status").await.bearer_auth("not-the-token");
    assert_eq!(wrong.send().await.unwrap().status(), 401, "a wrong token is refused");

    let foreign = daemon
        .request(reqwest::Method::GET, "/api/v1/status")
        .await
        .bearer_auth(&daemon.token)
        .header("Host", "evil.example:80");
    let response = foreign.send().await.unwrap();
    assert_eq!(response.status(), 403, "a non-loopback Host is refused, even with the token");
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["code"], "foreign_host");

    let cross_site = daemon
        .request(reqwest::Method::GET, "/api/v1/status")
        .await
        .bearer_auth(&daemon.token)
        .header("Origin", "https://evil.example");
    assert_eq!(cross_site.send().await.unwrap().status(), 403, "a foreign Origin is refused");

    let health = daemon.request(reqwest::Method::GET, "/healthz").await.send().await.unwrap();
    assert_eq!(health.status(), 200, "/healthz needs no token");
    let health: serde_json::Value = health.json().await.unwrap();
    assert_eq!(health["status"], "ok");

    let (status, body) = daemon.post("/api/v1/actions/nope/run", json!({"dry_run": false})).await;
    assert_eq!(status, 404, "an unknown action is 404");
    assert_eq!(body["code"], "unknown_action");
    assert!(body["resolution"].as_str().unwrap().contains("fix"), "the error lists the configured actions");

    let bad = daemon
        .request(reqwest::Method::POST, "/api/v1/actions/fix/run")
        .await
        .bearer_auth(&daemon.token)
        .header("content-type", "application/json")
        .body("{\"dry_run\": \"yes\"}");
    let response = bad.send().await.unwrap();
    assert_eq!(response.status(), 400, "a malformed body is a 400");
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["code"], "bad_request");

    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(daemon.data_dir().join("api.json")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "api.json holds the token and is readable by its owner only");

    let metrics = daemon.request(reqwest::Method::GET, "/metrics").await.send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("watchkeeper_check_status{check=\"api\""), "metrics export per-check status");
    assert!(metrics.contains("watchkeeper_scheduler_lag_p99_seconds"), "metrics export the scheduler lag");
    assert!(
        metrics.contains("# TYPE watchkeeper_scheduler_lag_seconds histogram")
            && metrics.contains("watchkeeper_scheduler_lag_seconds_bucket{le=\"0.02\"} ")
            && metrics.contains("watchkeeper_scheduler_lag_seconds_bucket{le=\"+Inf\"} "),
        "metrics export the lag of every probe as a histogram: {metrics}"
    );
    assert!(metrics.contains("watchkeeper_write_queue_depth"), "metrics export the write-queue depth");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_breaker_spares_the_target() {
    let target = Target::start(Behaviour::Status(503)).await;
    let extra = "breaker = { failure_threshold = 2, open_for = \"3s\" }";
    let daemon = Daemon::start(&config(&target, extra)).await;
    let open = crate::support::eventually(WAIT, "the breaker opens after 2 failures", || async {
        let check = daemon.check("api").await;
        (check["breaker"]["state"] == "open").then_some(check)
    })
    .await;
    assert!(open["breaker"]["next_trial_at"].is_string(), "an open breaker shows its next trial time");
    let hits_when_opened = target.hits();
    // Three intervals (300 ms) while the breaker stays open: nothing reaches the target,
    // nothing is written, and the check shows the real failure it had.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let check = daemon.check("api").await;
    assert_eq!(check["breaker"]["state"], "open", "{check}");
    assert_eq!(target.hits(), hits_when_opened, "while the breaker is open the target gets no requests");
    assert_eq!(check["status"], "down", "an open breaker keeps the check down, not stale");
    assert_eq!(check["last"]["failure"]["class"], "http_status", "the cause stays in view: {check}");
    assert_eq!(check["last"]["at"], open["last"]["at"], "no placeholder result is recorded");
    let results = daemon.get("/api/v1/checks/api/results?limit=100").await;
    let rows = results["results"].as_array().expect("results");
    assert!(!rows.is_empty() && rows.iter().all(|r| r["class"] == "http_status"), "no breaker_open rows: {results}");

    target.set(Behaviour::Ok);
    let recovered = daemon.wait_status("api", "up", WAIT).await;
    assert_eq!(recovered["breaker"]["state"], "closed", "a successful trial closes the breaker");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_run_from_the_api_are_verified_and_recorded() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "")).await;
    daemon.wait_status("api", "up", WAIT).await;

    let (status, preview) = daemon.post("/api/v1/actions/fix/run", json!({"dry_run": true})).await;
    assert_eq!(status, 200);
    assert_eq!(preview["status"], "dry_run");
    assert!(preview["output"].as_str().unwrap().contains("would run: sh -c"), "a dry run shows the command: {preview}");

    let (status, run) = daemon.post("/api/v1/actions/fix/run", json!({"dry_run": false})).await;
    assert_eq!(status, 200);
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(run["exit_code"], 0);
    let output = run["output"].as_str().unwrap();
    assert!(output.contains("fixing") && output.contains("done"), "stdout and stderr are captured: {output}");
    assert_eq!(run["verified"], true, "the offering check was re-probed and is up");

    let data_dir = daemon.data_dir();
    let (code, stdout, stderr) = run_cli(&["action", "run", "fix", "--data-dir", data_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "the CLI runs the action through the daemon: {stderr}");
    assert!(stdout.contains("fixing"), "the CLI prints the action's output:\n{stdout}");

    let runs = daemon.get("/api/v1/action-runs").await;
    let runs = runs["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "every run is recorded, dry runs included: {runs:?}");
    assert!(runs.iter().all(|r| r["action"] == "fix" && r["check"] == "api"), "{runs:?}");
    let by: Vec<&str> = runs.iter().map(|r| r["requested_by"].as_str().unwrap()).collect();
    assert_eq!(by, ["cli", "api", "api"], "newest first; the CLI's run through the daemon is the CLI's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_stream_status_changes_live() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "")).await;
    daemon.wait_status("api", "up", WAIT).await;

    let mut response =
        daemon.request(reqwest::Method::GET, "/api/v1/events").await.bearer_auth(&daemon.token).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    target.set(Behaviour::Status(500));
    let mut seen = String::new();
    let found = tokio::time::timeout(WAIT, async {
        while let Ok(Some(chunk)) = response.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: hello") && seen.contains("event: incident") && seen.contains("\"status\":\"down\"")
            {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "the stream says hello, then the check going down and its incident:\n{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_starved_check_turns_unknown_never_stays_green() {
    let target = Target::start(Behaviour::Ok).await;
    // One probe at a time: the hanging command holds the only slot for 2.9s, so the
    // http check gets no result for far longer than two of its intervals.
    let daemon = Daemon::start(&format!(
        r#"
[settings]
max_in_flight = 1

[[check]]
id = "api"
kind = "http"
url = "{}"
interval = "200ms"
timeout = "150ms"

[[check]]
id = "hog"
kind = "command"
command = ["sleep", "10"]
interval = "3s"
timeout = "2900ms"
"#,
        target.url()
    ))
    .await;
    daemon.wait_status("api", "up", WAIT).await;
    let stale = crate::support::eventually(WAIT, "a check without fresh results turns unknown (stale)", || async {
        let check = daemon.check("api").await;
        check["reason"].as_str().is_some_and(|r| r.starts_with("stale")).then_some(check)
    })
    .await;
    assert_eq!(stale["status"], "unknown", "never green without data: {stale}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_a_probe_in_flight() {
    let daemon = Daemon::start(
        "[[check]]\nid = \"slow\"\nkind = \"command\"\ncommand = [\"sleep\", \"45\"]\ninterval = \"60s\"\ntimeout = \"50s\"\n",
    )
    .await;
    crate::support::eventually(WAIT, "the slow probe is running", || async {
        let running = std::process::Command::new("pgrep").args(["-f", "^sleep 45$"]).output().ok()?;
        running.status.success().then_some(())
    })
    .await;
    // stop() allows 20 s for a clean exit: far less than the probe would take.
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_degraded_when_history_cannot_be_written() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "")).await;
    daemon.wait_status("api", "up", WAIT).await;
    // Another process holds the database's write lock longer than the writer's
    // busy timeout: its batches fail, and the daemon must say so.
    let blocker = rusqlite::Connection::open(daemon.data_dir().join("history.db")).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let blocked_at = chrono::Utc::now().timestamp_millis();
    let health =
        crate::support::eventually(Duration::from_secs(30), "healthz reports failing history writes", || async {
            let response = daemon.request(reqwest::Method::GET, "/healthz").await.send().await.ok()?;
            let health: serde_json::Value = response.json().await.ok()?;
            (health["status"] == "degraded").then_some(health)
        })
        .await;
    assert!(health["degraded"][0].as_str().unwrap().starts_with("history:"), "{health}");
    // Hold the lock through a second failed attempt: a writer that dropped failed
    // batches would lose seconds of results here.
    crate::support::eventually(Duration::from_secs(30), "a second commit attempt fails", || async {
        let metrics = daemon.request(reqwest::Method::GET, "/metrics").await.send().await.ok()?.text().await.ok()?;
        let failures: f64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix("watchkeeper_write_failures_total "))
            .and_then(|v| v.parse().ok())?;
        (failures >= 2.0).then_some(())
    })
    .await;
    // A change made meanwhile is not saved: its answer says so, never "created".
    let silence = json!({"checks": ["api"], "for": "1h", "reason": "while the disk is stuck"});
    let (status, error) = daemon.post("/api/v1/silences", silence).await;
    assert_eq!((status, error["code"].as_str()), (500, Some("store_error")), "{error}");
    assert!(
        error["message"].as_str().unwrap().starts_with("the change is made but not saved in the history yet: "),
        "{error}"
    );
    assert!(!error["resolution"].as_str().unwrap().is_empty(), "{error}");
    let released_at = chrono::Utc::now().timestamp_millis();
    blocker.execute_batch("ROLLBACK").unwrap();
    // Kept, and saved once the lock is gone.
    crate::support::eventually(WAIT, "the silence is saved once the disk takes writes", || async {
        let silences = daemon.get("/api/v1/silences").await["silences"].as_array().cloned().unwrap_or_default();
        (silences.len() == 1).then_some(())
    })
    .await;
    assert_eq!(daemon.check("api").await["status"], "up", "probing goes on while history is failing");

    // The failed batch is kept and committed once the lock is gone: nothing is lost.
    let history = crate::support::daemon::open_history(&daemon.data_dir());
    let written: i64 =
        crate::support::eventually(WAIT, "results from the blocked time are committed later", || async {
            let n: i64 = history
                .query_row(
                    "SELECT COUNT(*) FROM results WHERE check_id = 'api' AND at BETWEEN ?1 AND ?2",
                    [blocked_at, released_at],
                    |r| r.get(0),
                )
                .ok()?;
            (n > 0).then_some(n)
        })
        .await;
    let expected = (released_at - blocked_at) / 300;
    assert!(
        written + 2 >= expected,
        "every result of the blocked {} ms is kept ({written} of about {expected})",
        released_at - blocked_at
    );
}

#[test]
fn run_with_a_broken_config_exits_with_every_error_located() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wk.toml");
    std::fs::write(&config, "[[check]]\nid = \"a\"\nkind = \"htp\"\n").unwrap();
    let data = dir.path().join("data");
    let (code, _, stderr) = crate::support::run_daemon_expecting_exit(&config, &data);
    assert_eq!(code, 78, "a broken config stops the daemon before it starts: EX_CONFIG");
    assert!(stderr.contains("wk.toml:3:8: check \"a\": kind: unknown kind `htp`"), "the error is located:\n{stderr}");
    assert!(!data.join("api.json").exists(), "no api.json is left behind");
}

/// A server that reads each request and never answers, counting a request as in flight
/// until its client closes the connection: (hits, most at once, most at once per path).
async fn hanging_server() -> (std::net::SocketAddr, std::sync::Arc<std::sync::Mutex<(u64, u64, u64)>>) {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use tokio::io::AsyncReadExt as _;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let figures = Arc::new(Mutex::new((0u64, 0u64, 0u64)));
    let open: Arc<Mutex<(u64, HashMap<String, u64>)>> = Arc::default();
    let shared = figures.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let (figures, open) = (shared.clone(), open.clone());
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let path = String::from_utf8_lossy(&request).split_whitespace().nth(1).unwrap_or("").to_owned();
                {
                    let (mut open, mut figures) = (open.lock().unwrap(), figures.lock().unwrap());
                    open.0 += 1;
                    let on_path = open.1.entry(path.clone()).or_default();
                    *on_path += 1;
                    let on_path = *on_path;
                    figures.0 += 1;
                    figures.1 = figures.1.max(open.0);
                    figures.2 = figures.2.max(on_path);
                }
                // Never answer; wait for the client to give up and close.
                while matches!(socket.read(&mut buffer).await, Ok(n) if n > 0) {}
                let mut open = open.lock().unwrap();
                open.0 -= 1;
                *open.1.get_mut(&path).unwrap() -= 1;
            });
        }
    });
    (addr, figures)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_targets_never_pile_up_probes() {
    let (addr, figures) = hanging_server().await;
    let mut config = String::from("[settings]\nmax_in_flight = 2\n");
    for i in 0..20 {
        config.push_str(&format!(
            "\n[[check]]\nid = \"c{i}\"\nkind = \"http\"\nurl = \"http://{addr}/health/{i}\"\ninterval = \"200ms\"\ntimeout = \"150ms\"\nbreaker = {{ enabled = false }}\n"
        ));
    }
    let daemon = Daemon::start(&config).await;
    crate::support::eventually(WAIT, "the hanging target is probed many times", || async {
        (figures.lock().unwrap().0 >= 40).then_some(())
    })
    .await;
    let (_, overall, per_check) = *figures.lock().unwrap();
    assert_eq!(per_check, 1, "a check never has two probes in flight, however long its target hangs");
    // An abandoned probe's socket closes a moment after its slot is freed, so the target
    // may briefly see more than max_in_flight; unbounded, twenty checks would pile up.
    assert!(overall <= 4, "max_in_flight (2) bounds what hangs at the target (saw {overall} at once)");
    let timeout = crate::support::eventually(WAIT, "a probe times out", || async {
        let check = daemon.check("c0").await;
        (check["last"]["failure"]["class"] == "timeout").then_some(check)
    })
    .await;
    assert_eq!(timeout["last"]["ok"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operations_arguments_come_from_its_path_and_nowhere_else() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "")).await;
    let (status, body) = daemon.post("/api/v1/actions/fix/run", json!({"id": "other", "dry_run": true})).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "the id is the path's: {body}");
    let (status, body) = daemon.get_any("/api/v1/checks/api/results?id=other").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "in the query too: {body}");
    let (status, body) = daemon.post("/api/v1/actions/fix/run", json!(["dry_run"])).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "arguments are an object: {body}");
    let huge = json!({"dry_run": true, "ref": "x".repeat(100_000)});
    let (status, body) = daemon.post("/api/v1/actions/fix/run", huge).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "a body is small: {body}");
    let (status, run) = daemon.post("/api/v1/actions/fix/run", json!({"dry_run": true})).await;
    assert_eq!((status, run["status"].as_str()), (200, Some("dry_run")), "{run}");
}

/// The API token is kept in the data dir (0600) and survives restarts, so an open
/// dashboard goes on after one; `watchkeeper token rotate` replaces it at once (the old
/// one is refused), running or not, and a token file others could read is replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_survives_restarts_and_rotates_on_demand() {
    use std::os::unix::fs::PermissionsExt as _;
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "")).await;
    let token_file = daemon.data_dir().join("token");
    let first = daemon.token.clone();
    assert_eq!(std::fs::read_to_string(&token_file).unwrap().trim(), first, "api.json's token is the kept one");
    assert_eq!(std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777, 0o600);

    let daemon = Daemon::start_in(daemon.stop()).await;
    assert_eq!(daemon.token, first, "the same token after a restart");
    let (status, _) = daemon.get_any("/api/v1/status").await;
    assert_eq!(status, 200);

    // Rotated while it runs: the old token is refused at once, the CLI follows api.json.
    // (Once the check is up: `status` exits 3 while the overall status is unknown.)
    daemon.wait_status("api", "up", std::time::Duration::from_secs(20)).await;
    let (code, out, err) = daemon.cli(&["token", "rotate"]).await;
    assert_eq!(code, 0, "{out}{err}");
    let api: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(daemon.data_dir().join("api.json")).unwrap()).unwrap();
    let second = api["token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert!(out.contains(&format!("{}/#token={second}", daemon.url)), "it prints the dashboard's new link: {out}");
    assert_eq!(std::fs::read_to_string(&token_file).unwrap().trim(), second, "kept before it answered");
    let (status, body) = daemon.get_any("/api/v1/status").await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")), "the old token is refused: {body}");
    let (code, _, err) = daemon.cli(&["status"]).await;
    assert_eq!(code, 0, "the CLI reads the new one: {err}");

    // Rotated with no daemon: the next start serves with the new one.
    let dir = daemon.stop();
    let (code, out, err) = run_cli(&["token", "rotate", "--data-dir", dir.path().join("data").to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("from its next start"), "{out}");
    let third = std::fs::read_to_string(dir.path().join("data/token")).unwrap().trim().to_owned();
    assert!(third != second && third.len() == 64, "{third}");
    let daemon = Daemon::start_in(dir).await;
    assert_eq!(daemon.token, third);

    // A token file others can read may have leaked: it is replaced at start.
    let dir = daemon.stop();
    let kept = dir.path().join("data/token");
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o644)).unwrap();
    let daemon = Daemon::start_in(dir).await;
    assert_ne!(daemon.token, third, "a readable token is not trusted");
    assert_eq!(std::fs::metadata(daemon.data_dir().join("token")).unwrap().permissions().mode() & 0o777, 0o600);
    daemon.stop();
}

/// What a check measures is kept with each result and charted: a system check's
/// percent, the number a command prints; an http check measures nothing but latency.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_and_history_carry_what_a_check_measures() {
    let target = Target::start(Behaviour::Ok).await;
    let config = format!(
        "{}[[check]]\nid = \"cpu\"\nkind = \"system\"\nmetric = \"cpu\"\ninterval = \"300ms\"\n\n\
         [[check]]\nid = \"queue\"\nkind = \"command\"\ncommand = [\"echo\", \"42 jobs\"]\ninterval = \"300ms\"\n",
        config(&target, "")
    );
    let daemon = Daemon::start(&config).await;
    let results = crate::support::eventually(WAIT, "the system check has two results", || async {
        let answer = daemon.get("/api/v1/checks/cpu/results").await;
        (answer["results"].as_array().is_some_and(|r| r.len() >= 2)).then_some(answer)
    })
    .await;
    assert_eq!(results["measure"], json!({"label": "CPU", "unit": "%"}));
    let value = results["results"][0]["value"].as_f64().expect("a value");
    assert!((0.0..=100.0).contains(&value), "a percent: {value}");
    assert_eq!(results["results"][0]["unit"], "%");
    let history = daemon.get("/api/v1/checks/cpu/history?range=1h").await;
    assert_eq!(history["measure"]["unit"], "%");
    assert!(history["points"].as_array().unwrap().iter().any(|p| p["value_avg"].is_number()), "{history}");
    assert!(history["summary"]["value_max"].is_number(), "{history}");

    let queue = crate::support::eventually(WAIT, "the command check has a result", || async {
        let answer = daemon.get("/api/v1/checks/queue/results").await;
        (answer["results"].as_array().is_some_and(|r| !r.is_empty())).then_some(answer)
    })
    .await;
    assert_eq!((queue["results"][0]["value"].as_f64(), queue["results"][0]["unit"].as_str()), (Some(42.0), Some("")));
    daemon.wait_status("api", "up", WAIT).await;
    let web = daemon.get("/api/v1/checks/api/results").await;
    assert_eq!((web["measure"].clone(), web["results"][0]["value"].clone()), (json!(null), json!(null)), "{web}");
}

/// SIGHUP does not stop the daemon (it reloads the config), and a route asked with a
/// method it does not take answers JSON like every other error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_a_wrong_method_is_explained() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "")).await;
    daemon.wait_status("api", "up", WAIT).await;
    // SAFETY: a signal to the daemon this test spawned.
    assert_eq!(unsafe { libc::kill(daemon.pid() as libc::pid_t, libc::SIGHUP) }, 0);
    crate::support::eventually(WAIT, "the daemon reloads on SIGHUP", || async {
        let last = daemon.get("/api/v1/config").await["last_reload"].clone();
        (last["trigger"] == "signal" && last["ok"] == true).then_some(())
    })
    .await;
    let (status, _) = daemon.get_any("/api/v1/status").await;
    assert_eq!(status, 200, "still serving");
    assert!(daemon.data_dir().join("api.json").exists(), "and still announced");

    let response = daemon
        .request(reqwest::Method::DELETE, "/api/v1/status")
        .await
        .bearer_auth(&daemon.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(body["code"], "method_not_allowed", "{body}");
    assert!(body["resolution"].as_str().is_some_and(|r| !r.is_empty()), "{body}");
    daemon.stop();
}

/// Numbers past every limit (a duration of more days than there are, in a query and in
/// bodies) are refused as JSON, with the limit and a fix, and leave the daemon as it was:
/// they used to panic the handler and drop the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_past_every_limit_are_refused_with_the_limit() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target, "")).await;
    daemon.wait_status("api", "up", WAIT).await;
    for huge in ["99999999999999999999d", "106751991167301d", "9999999999999999999m"] {
        let (status, body) = daemon.get_any(&format!("/api/v1/checks/api/history?range={huge}")).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["code"], "bad_history_query");
        assert!(body["message"].as_str().unwrap().contains("at most 36500d"), "the limit is named: {body}");
        let bodies = [
            ("/api/v1/checks/api/pause", json!({ "for": huge })),
            ("/api/v1/pause", json!({ "for": huge })),
            ("/api/v1/silences", json!({ "for": huge, "checks": ["api"], "reason": "test" })),
        ];
        for (path, body) in bodies {
            let (status, body) = daemon.post(path, body).await;
            assert_eq!(status, 400, "{path}: {body}");
            assert!(body["message"].as_str().unwrap().contains("past the limit"), "{path}: {body}");
            assert!(!body["resolution"].as_str().unwrap_or_default().is_empty(), "{path}: {body}");
        }
    }
    let health = daemon.get("/healthz").await;
    assert_eq!(health["status"], "ok", "nothing panicked: {health}");
    assert_eq!(daemon.check("api").await["status"], "up", "and nothing was paused or silenced");
}
