//! Exports through the API and the CLI: streamed CSV and JSON that round-trip, filters
//! by check and time, secrets masked, bad parameters refused with the fix.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{eventually, Behaviour, Daemon, Target};

const WAIT: Duration = Duration::from_secs(20);

fn config(target: &Target) -> String {
    format!(
        r#"
[[check]]
id = "api"
kind = "http"
url = "{url}"
interval = "100ms"
timeout = "90ms"
failure_threshold = 1
breaker = {{ enabled = false }}
actions = ["tell"]

[[check]]
id = "other"
kind = "tcp"
host = "127.0.0.1"
port = 1
interval = "200ms"

[[action]]
id = "tell"
kind = "command"
command = ["sh", "-c", "echo 'reached http://ops:hunter2@example.test with token: abc123'"]
timeout = "10s"
verify = false
"#,
        url = target.url().replace("http://", "http://ops:hunter2@")
    )
}

async fn export(daemon: &Daemon, query: &str) -> (u16, String, String) {
    let response = daemon.request(reqwest::Method::GET, &format!("/api/v1/export?{query}")).await;
    let response = response.bearer_auth(&daemon.token).send().await.expect("GET export");
    let status = response.status().as_u16();
    let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

/// CSV lines into rows of fields (quoted fields as RFC 4180 writes them).
fn csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![vec![String::new()]];
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        let row = rows.last_mut().unwrap();
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                row.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(String::new()),
            ('\r', false) => {}
            ('\n', false) => rows.push(vec![String::new()]),
            (c, _) => row.last_mut().unwrap().push(c),
        }
    }
    rows.retain(|r| r.len() > 1 || !r[0].is_empty());
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_stream_csv_and_json_that_round_trip_with_secrets_masked() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&config(&target)).await;
    daemon.wait_status("api", "up", WAIT).await;
    target.set(Behaviour::Status(503));
    daemon.wait_status("api", "down", WAIT).await;
    let (status, run) = daemon.post("/api/v1/actions/tell/run", json!({})).await;
    assert!(status < 300, "{run}");
    eventually(WAIT, "the run is recorded", || async {
        let runs = daemon.get("/api/v1/action-runs?action=tell").await;
        runs["runs"].as_array().is_some_and(|r| r.iter().any(|run| run["status"] != "running")).then_some(())
    })
    .await;
    target.set(Behaviour::Ok);
    daemon.wait_status("api", "up", WAIT).await;
    // A window that ends now, once a result after it is committed: the writer commits
    // in order, so every row of the window is in the history before the exports read it.
    let end = chrono::Utc::now();
    let to = end.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    eventually(WAIT, "a result after the window is committed", || async {
        let results = daemon.get("/api/v1/checks/api/results?limit=1").await;
        let at = results["results"][0]["at"].as_str().and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())?;
        (at > end).then_some(())
    })
    .await;

    let (status, kind, text) = export(&daemon, &format!("what=results&check=api&to={to}")).await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"), "{text}");
    let rows = csv(&text);
    assert_eq!(rows[0], ["id", "check", "at", "status", "latency_us", "class", "message", "value"]);
    assert!(rows.len() > 3, "{text}");
    assert!(rows[1..].iter().all(|r| r[1] == "api" && r[2].as_str() < to.as_str()), "by check and time: {text}");
    assert!(rows[1..].iter().any(|r| r[3] == "down") && rows[1..].iter().any(|r| r[3] == "up"));

    let (status, kind, json) = export(&daemon, &format!("what=results&check=api&to={to}&format=json")).await;
    assert_eq!((status, kind.as_str()), (200, "application/json"));
    let objects: Vec<Value> = serde_json::from_str(&json).expect("a JSON array");
    assert_eq!(objects.len(), rows.len() - 1, "CSV and JSON hold the same rows");
    for (object, row) in objects.iter().zip(&rows[1..]) {
        assert_eq!(object["id"].to_string(), row[0]);
        assert_eq!(object["status"].as_str(), Some(row[3].as_str()));
        assert_eq!(object["message"].as_str(), Some(row[6].as_str()), "the same text, quoted as CSV quotes it");
    }

    // The action's output names the URL's password and a token: masked in the export.
    let (_, _, actions) = export(&daemon, "what=actions").await;
    assert!(actions.contains("reached http://ops:") && actions.contains("••••"), "{actions}");
    assert!(!actions.contains("hunter2") && !actions.contains("abc123"), "no secret leaves: {actions}");
    let (_, _, incidents) = export(&daemon, "what=incidents&format=json").await;
    let incidents: Vec<Value> = serde_json::from_str(&incidents).unwrap();
    assert!(incidents.iter().any(|i| i["check"] == "api" && i["resolved_at"].is_string()), "{incidents:?}");
    let (status, _, notifications) = export(&daemon, "what=notifications").await;
    assert_eq!(status, 200);
    assert!(notifications.starts_with("id,checks,at,event"), "{notifications}");

    // The CLI writes the same file, whole, and says where.
    let file = tempfile::tempdir().unwrap();
    let path = file.path().join("results.csv");
    let (code, out, err) =
        daemon.cli(&["export", "--check", "api", "--to", &to, "--output", path.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("exported to"), "{out}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "the CLI's file is the API's export");
    let (code, out, _) = daemon.cli(&["export", "--what", "incidents", "--format", "json"]).await;
    assert_eq!(code, 0);
    assert!(serde_json::from_str::<Vec<Value>>(&out).is_ok(), "to standard output: {out}");

    for (query, status, code) in [
        ("what=everything", 400, "bad_export"),
        ("what=results&format=xml", 400, "bad_export"),
        ("what=results&from=yesterday", 400, "bad_export"),
        ("what=results&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", 400, "bad_export"),
        ("what=results&colour=red", 400, "bad_export"),
        ("what=results&check=nope", 404, "unknown_check"),
    ] {
        let (got, _, body) = export(&daemon, query).await;
        let body: Value = serde_json::from_str(&body).expect("errors are JSON");
        assert_eq!((got, body["code"].as_str().unwrap()), (status, code), "{query}: {body}");
        assert!(!body["resolution"].as_str().unwrap_or("").is_empty(), "{body}");
    }
    let (code, _, err) = daemon.cli(&["export", "--what", "everything"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("everything"), "{err}");
}
