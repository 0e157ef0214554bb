//! The API behind the dashboard's pages: check detail, recent results, the history
//! range query, action runs by check, and live action output.

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
timeout = "90ms"
failure_threshold = 1
expect = ["status == 200", "latency < 5s"]
actions = ["fix"]
breaker = {{ enabled = false }}

[[action]]
id = "fix"
kind = "command"
command = ["sh", "-c", "echo step one; sleep 1; echo step two"]
timeout = "10s"
verify = false
"#,
        url = target.url().replace("http://", "http://ops:secret@")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_page_gets_detail_results_and_history() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;
    target.set(Behaviour::Status(500));
    daemon.wait_status("api", "down", WAIT).await;

    let detail = daemon.get("/api/v1/checks/api").await;
    assert_eq!(detail["status"], "down");
    assert_eq!(detail["expect"], json!(["status == 200", "latency < 5s"]));
    assert_eq!(detail["timeout_ms"], 90);
    let shown = detail["target"].as_str().unwrap();
    assert!(shown.starts_with("GET http://ops:"), "the target names method and URL: {shown}");
    assert!(!shown.contains("secret"), "a password in the URL is never shown: {shown}");

    let results = eventually(WAIT, "down results are in the history", || async {
        let body = daemon.get("/api/v1/checks/api/results?limit=5").await;
        let results = body["results"].as_array().cloned().unwrap_or_default();
        (results.len() == 5 && results[0]["status"] == "down").then_some(results)
    })
    .await;
    let times: Vec<&str> = results.iter().map(|r| r["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");
    assert_eq!(results[0]["class"], "http_status");

    let history = daemon.get("/api/v1/checks/api/history?range=1h").await;
    assert_eq!(history["bucket_ms"], 10_000, "an hour in 360 buckets");
    let summary = &history["summary"];
    assert!(summary["up"].as_u64().unwrap() >= 1 && summary["down"].as_u64().unwrap() >= 1, "{summary}");
    let uptime = summary["uptime"].as_f64().unwrap();
    assert!(uptime > 0.0 && uptime < 100.0, "some up, some down: {uptime}");
    let points = history["points"].as_array().unwrap();
    let total: u64 = points.iter().map(|p| p["count"].as_u64().unwrap()).sum();
    assert_eq!(total, summary["count"].as_u64().unwrap(), "the summary adds up the buckets");
    assert_eq!(history["source"], "results", "an hour is drawn from the results themselves");
    for point in points.iter().filter(|p| p["p50"].is_number()) {
        let (p50, p95, max) =
            (point["p50"].as_f64().unwrap(), point["p95"].as_f64().unwrap(), point["max"].as_f64().unwrap());
        assert!(p50 <= p95 && p95 <= max, "quantiles in order: {point}");
    }
    assert!(points.iter().any(|p| p["p95"].is_number()), "latency is charted: {points:?}");

    let week = daemon.get("/api/v1/checks/api/history?range=7d&points=168").await;
    assert_eq!(
        (week["bucket_ms"].as_i64(), week["source"].as_str()),
        (Some(3_600_000), Some("hour")),
        "a week in hourly rollups"
    );
    assert!(week["summary"]["count"].as_u64().unwrap() >= total, "the rollups hold every result: {week}");
    let day = daemon.get("/api/v1/checks/api/history?range=24h").await;
    assert_eq!(
        (day["bucket_ms"].as_i64(), day["source"].as_str()),
        (Some(240_000), Some("minute")),
        "a day in 4-minute points from minute rollups"
    );

    for (path, status, code) in [
        ("/api/v1/checks/api/history?range=soon", 400, "bad_history_query"),
        ("/api/v1/checks/api/history?range=3651d", 400, "bad_history_query"),
        ("/api/v1/checks/api/history?to=yesterday", 400, "bad_history_query"),
        ("/api/v1/checks/api/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", 400, "bad_history_query"),
        ("/api/v1/checks/api/history?from=2026-01-01T00:00:00Z&range=1h", 400, "bad_history_query"),
        ("/api/v1/checks/api/history?points=0", 400, "bad_history_query"),
        ("/api/v1/checks/api/history?points=2001", 400, "bad_history_query"),
        ("/api/v1/checks/nope/uptime", 404, "unknown_check"),
        ("/api/v1/checks/api/history?rnage=1h", 400, "bad_request"),
        ("/api/v1/checks/nope/history", 404, "unknown_check"),
        ("/api/v1/checks/nope/results", 404, "unknown_check"),
        ("/api/v1/checks/api/results?limit=-1", 400, "bad_request"),
    ] {
        let (got, body) = daemon.get_any(path).await;
        assert_eq!((got, body["code"].as_str().unwrap()), (status, code), "{path}: {body}");
        assert!(!body["resolution"].as_str().unwrap_or("").is_empty() || code == "bad_request", "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_output_streams_live_and_runs_filter_by_check() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;

    let mut stream =
        daemon.request(reqwest::Method::GET, "/api/v1/events").await.bearer_auth(&daemon.token).send().await.unwrap();
    let run = daemon.post("/api/v1/actions/fix/run", json!({"ref": "page-1"}));
    tokio::pin!(run);
    let mut seen = String::new();
    // The first line arrives while the action still runs (it sleeps a second before
    // the second): the POST has not answered yet.
    let early = tokio::time::timeout(WAIT, async {
        loop {
            tokio::select! {
                chunk = stream.chunk() => {
                    seen.push_str(&String::from_utf8_lossy(&chunk.unwrap().unwrap()));
                    if seen.contains("step one") {
                        return true;
                    }
                }
                _ = &mut run => return false,
            }
        }
    })
    .await;
    assert_eq!(early, Ok(true), "output is streamed before the run ends:\n{seen}");
    assert!(seen.contains("event: action_output") && seen.contains(r#""ref":"page-1""#), "{seen}");
    let (status, record) = run.await;
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["output"], "step one\nstep two\n");
    let ended = tokio::time::timeout(WAIT, async {
        while let Ok(Some(chunk)) = stream.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: action_run") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ended, Ok(true), "the recorded run is announced:\n{seen}");

    let runs = daemon.get("/api/v1/action-runs?check=api").await;
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1, "{runs}");
    assert_eq!(runs["runs"][0]["check"], "api");
    let none = daemon.get(&format!("/api/v1/action-runs?check=api&incident={}", 999)).await;
    assert_eq!(none["runs"], json!([]));
    let (status, body) = daemon.get_any("/api/v1/action-runs?action=nope").await;
    assert_eq!((status, body["code"].as_str()), (404, Some("unknown_action")));
    let (status, body) = daemon.post("/api/v1/actions/fix/run", json!({"ref": "no spaces"})).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "{body}");
}

/// Uptime over its four windows with MTTR and MTBF, from rollups the writer keeps as
/// results arrive, through the API and `watchkeeper history`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uptime_windows_mttr_and_mtbf_through_the_api_and_the_cli() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;
    target.set(Behaviour::Status(503));
    daemon.wait_status("api", "down", WAIT).await;
    target.set(Behaviour::Ok);
    daemon.wait_status("api", "up", WAIT).await;

    let uptime = eventually(WAIT, "the incident resolved in the uptime report", || async {
        let uptime = daemon.get("/api/v1/checks/api/uptime").await;
        uptime["incidents"][0]["resolved_at"].is_string().then_some(uptime)
    })
    .await;
    for name in ["24h", "7d", "30d", "90d"] {
        let window = &uptime["windows"][name];
        assert_eq!(window["name"], name);
        let (results, failures) = (window["results"].as_u64().unwrap(), window["failures"].as_u64().unwrap());
        assert!(failures >= 1 && results > failures, "{name}: {window}");
        let pct = window["uptime"].as_f64().unwrap();
        assert!(pct > 0.0 && pct < 100.0, "{name}: {window}");
        assert!(window["text"].as_str().unwrap().ends_with('%'), "{window}");
        assert!(window["downtime_s"].as_f64().unwrap() > 0.0, "the time it was down is counted: {window}");
    }
    // Every window holds the same results here (the daemon is younger than a day).
    assert_eq!(uptime["windows"]["24h"]["results"], uptime["windows"]["90d"]["results"]);
    let incident = &uptime["incidents"][0];
    assert!(incident["cause"].as_str().unwrap().contains("503"), "{incident}");
    assert!(uptime["mttr_s"].as_f64().unwrap() > 0.0, "{uptime}");
    assert!(uptime["mtbf_s"].as_f64().unwrap() > 0.0, "{uptime}");
    assert!(uptime["mttr_text"].is_string() && uptime["mtbf_text"].is_string());

    let (code, out, err) = daemon.cli(&["history", "api"]).await;
    assert_eq!(code, 0, "{out}{err}");
    for line in ["WINDOW", "24h", "90d", "MTTR (90 d)", "MTBF (90 d)", "last incidents:", "503"] {
        assert!(out.contains(line), "the CLI shows {line}: {out}");
    }
    let (code, out, err) = daemon.cli(&["history", "nope"]).await;
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("nope"), "an unknown check is named: {err}");
}

/// The overview's strips: each check's latest results oldest first, as many as asked,
/// and its 24 h uptime; the uptimes alone with `results=0`; more than 100 refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strips_give_each_checks_latest_results_and_its_uptime() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;
    let strips = eventually(WAIT, "five results", || async {
        let strips = daemon.get("/api/v1/strips?results=5").await;
        (strips["checks"][0]["results"].as_array().map_or(0, Vec::len) == 5).then_some(strips)
    })
    .await;
    assert_eq!((strips["length"].as_u64(), strips["window"].as_str()), (Some(5), Some("24h")));
    let strip = &strips["checks"][0];
    assert_eq!(strip["check"], "api");
    let times: Vec<&str> = strip["results"].as_array().unwrap().iter().map(|t| t["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "oldest first: {times:?}");
    assert!(strip["results"].as_array().unwrap().iter().all(|t| t["status"] == "up" && t["latency_ms"].is_number()));
    assert_eq!((strip["uptime"].as_f64(), strip["uptime_text"].as_str()), (Some(100.0), Some("100%")));
    // The newest tick is the check's last result, as the live stream tells it.
    let check = daemon.get("/api/v1/checks/api").await;
    assert_eq!(check["last"]["status"], "up");

    let alone = daemon.get("/api/v1/strips?results=0").await;
    assert_eq!(alone["checks"][0]["results"].as_array().map(Vec::len), Some(0));
    assert_eq!(alone["checks"][0]["uptime_text"], "100%");
    let (status, body) = daemon.get_any("/api/v1/strips?results=101").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")), "{body}");
    assert!(body["resolution"].as_str().unwrap().contains("0 to 100"), "{body}");
}
