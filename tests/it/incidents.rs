//! The incident list filtered by check, group, class of failure and time, through the
//! API and the CLI; bad filters refused with the fix.

use std::time::Duration;

use serde_json::Value;

use crate::support::{Behaviour, Daemon, Target};

const WAIT: Duration = Duration::from_secs(20);

fn config(target: &Target) -> String {
    format!(
        r#"
[[check]]
id = "api"
kind = "http"
url = "{url}"
group = "web"
interval = "100ms"
failure_threshold = 1
breaker = {{ enabled = false }}

[[check]]
id = "db"
kind = "tcp"
host = "127.0.0.1"
port = 1
group = "data"
interval = "100ms"
failure_threshold = 1
breaker = {{ enabled = false }}
"#,
        url = target.url()
    )
}

/// The checks of the incidents a query lists, in its order.
async fn listed(daemon: &Daemon, query: &str) -> Vec<String> {
    let (status, body) = daemon.get_any(&format!("/api/v1/incidents?{query}")).await;
    assert_eq!(status, 200, "{query}: {body}");
    body["incidents"].as_array().unwrap().iter().map(|i| i["check"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_are_filtered_by_check_group_class_and_time() {
    let target = Target::start(Behaviour::Status(503)).await;
    let daemon = Daemon::start(&config(&target)).await;
    let before = chrono::Utc::now() - chrono::Duration::minutes(5);
    daemon.wait_incidents("both checks' incidents open", |list| list.len() == 2).await;

    assert_eq!(listed(&daemon, "group=web").await, ["api"]);
    assert_eq!(listed(&daemon, "group=data").await, ["db"]);
    assert_eq!(listed(&daemon, "class=refused").await, ["db"]);
    assert_eq!(listed(&daemon, "class=http_status").await, ["api"]);
    assert!(listed(&daemon, "class=http_status&group=data").await.is_empty());
    assert_eq!(listed(&daemon, "check=db&range=1h").await, ["db"]);
    let to = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(listed(&daemon, &format!("to={to}")).await.is_empty(), "none had started five minutes ago");
    let mut both = listed(&daemon, &format!("from={to}")).await;
    both.sort();
    assert_eq!(both, ["api", "db"]);

    // Resolved ones leave a window that ends before they open again: the API's
    // incident ended, so a window from after its end lists the db's alone.
    target.set(Behaviour::Ok);
    daemon.wait_status("api", "up", WAIT).await;
    let ended = chrono::Utc::now() + chrono::Duration::seconds(1);
    let from = ended.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(listed(&daemon, &format!("from={from}")).await, ["db"], "the open one is open after any time");
    assert_eq!(listed(&daemon, "open=true").await, ["db"]);

    for (query, status, code) in [
        ("group=nope", 404, "unknown_group"),
        ("check=nope", 404, "unknown_check"),
        ("class=gremlins", 400, "bad_request"),
        ("from=yesterday", 400, "bad_incidents_query"),
        ("range=forever", 400, "bad_incidents_query"),
        ("range=1h&from=2026-01-01T00:00:00Z", 400, "bad_incidents_query"),
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", 400, "bad_incidents_query"),
        ("colour=red", 400, "bad_request"),
    ] {
        let (got, body) = daemon.get_any(&format!("/api/v1/incidents?{query}")).await;
        assert_eq!((got, body["code"].as_str().unwrap_or("")), (status, code), "{query}: {body}");
        assert!(!body["resolution"].as_str().unwrap_or("").is_empty(), "{query}: {body}");
    }

    // The export takes the same filters: the incidents page exports what it lists.
    let daemon = &daemon;
    let export = |query: &'static str| async move {
        let response = daemon.request(reqwest::Method::GET, &format!("/api/v1/export?{query}")).await;
        let response = response.bearer_auth(&daemon.token).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    let (status, body) = export("what=incidents&format=json&group=data&range=1h").await;
    assert_eq!(status, 200, "{body}");
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["check"] == "db"), "{body}");
    let (status, body) = export("what=results&format=json&class=http_status").await;
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 200);
    assert!(!rows.is_empty() && rows.iter().all(|r| r["check"] == "api" && r["class"] == "http_status"), "{body}");
    for query in [
        "what=notifications&class=timeout",
        "what=results&check=api&group=web",
        "what=results&range=1h&from=2026-01-01T00:00:00Z",
    ] {
        let (status, body) = export(query).await;
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, body["code"].as_str().unwrap()), (400, "bad_export"), "{query}: {body}");
    }

    let (code, out, err) = daemon.cli(&["incidents", "--group", "data", "--class", "refused", "--range", "1h"]).await;
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "a header and the db's incident: {out}");
    assert!(lines[1].contains("db") && lines[1].contains("connection refused"), "{out}");
    let (code, out, _) = daemon.cli(&["incidents", "--class", "http_status", "--json"]).await;
    assert_eq!(code, 0);
    let answer: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["incidents"][0]["check"], "api", "{out}");
    let (code, _, err) = daemon.cli(&["incidents", "--class", "gremlins"]).await;
    assert_ne!(code, 0);
    assert!(err.contains("`gremlins` is not one of") && err.contains("timeout"), "{err}");
}
