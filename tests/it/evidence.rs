//! Evidence on every failure, against the daemon as a process: what the probe saw when
//! the check went down, what changed against its last good result, who held the port
//! and this machine's figures, read back from `GET /api/v1/incidents/{id}`, carried by
//! the notification, shown by the CLI, and never a secret.

use std::time::Duration;

use serde_json::Value;

use crate::support::{eventually, Behaviour, Daemon, Target};

const WAIT: Duration = Duration::from_secs(30);

/// The one incident of `check` with its evidence, once it has opened and this
/// machine's figures (read after the incident is written) are in it.
async fn opened(daemon: &Daemon, check: &str) -> Value {
    let listed = daemon.wait_incidents("an incident opens", |list| list.iter().any(|i| i["check"] == check)).await;
    let id = listed.iter().find(|i| i["check"] == check).unwrap()["id"].as_i64().unwrap();
    let incident = daemon.get(&format!("/api/v1/incidents/{id}")).await;
    assert_eq!(incident["id"], id);
    assert!(incident["evidence"]["observed"].is_object(), "the evidence is written with the incident: {incident:#}");
    eventually(WAIT, "this machine's figures are added to the evidence", || async {
        let incident = daemon.get(&format!("/api/v1/incidents/{id}")).await;
        (!incident["evidence"]["local"].is_null()).then_some(incident)
    })
    .await
}

fn change<'a>(evidence: &'a Value, what: &str) -> &'a Value {
    evidence["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"] == what)
        .unwrap_or_else(|| panic!("no change of {what} in {evidence:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_failure_keeps_what_was_seen_what_changed_and_who_holds_the_port() {
    let healthy = r#"{"db":{"status":"UP"},"password":"hunter2"}"#.to_owned();
    let target = Target::start(Behaviour::Typed(200, "application/json", healthy)).await;
    let config = format!(
        r#"[alerts]
group_wait = "0s"

[[check]]
id = "api"
name = "Orders API"
kind = "http"
url = "{}"
interval = "300ms"
timeout = "250ms"
failure_threshold = 1
breaker = {{ enabled = false }}
headers = {{ X-Api-Key = "k3y-s3cr3t-value" }}
expect = ["status == 200", "json.db.status == \"UP\""]
"#,
        target.url()
    );
    let daemon = Daemon::start(&config).await;
    daemon.wait_status("api", "up", WAIT).await;
    eventually(WAIT, "a few good results alike", || async {
        let results = daemon.get("/api/v1/checks/api/results").await;
        (results["results"].as_array()?.len() >= 3).then_some(())
    })
    .await;
    // A body that echoes the request's secret, and says its own password.
    let broken = r#"{"db":{"status":"DOWN"},"password":"hunter2","echo":"k3y-s3cr3t-value"}"#.to_owned();
    target.set(Behaviour::Typed(503, "application/json", broken));

    let incident = opened(&daemon, "api").await;
    let evidence = &incident["evidence"];
    assert_eq!(evidence["headline"], "status: 200 → 503", "{evidence:#}");
    assert_eq!(
        (&change(evidence, "status")["before"], &change(evidence, "status")["after"]),
        (&"200".into(), &"503".into())
    );
    let json = change(evidence, "json.db.status");
    assert_eq!((json["before"].as_str(), json["after"].as_str()), (Some("\"UP\""), Some("\"DOWN\"")));
    assert_eq!(json["text"], "json.db.status: \"UP\" → \"DOWN\"");
    assert!(evidence["last_good_at"].is_string(), "it compared with a good result: {evidence:#}");
    // The good results all looked alike: the last of them is the one compared with.
    let results = daemon.get("/api/v1/checks/api/results?limit=1000").await;
    let results = results["results"].as_array().unwrap();
    let last_up = results.iter().find(|r| r["status"] == "up").expect("an up result");
    assert_eq!(evidence["last_good_at"], last_up["at"]);

    let observed = &evidence["observed"];
    assert_eq!(observed["status"], 503);
    assert!(observed["latency_ms"].as_f64().is_some());
    let values = observed["values"].as_array().unwrap();
    assert!(values.iter().any(|v| v["name"] == "json.db.status" && v["value"] == "\"DOWN\""), "{values:?}");
    let headers = observed["headers"].as_array().unwrap();
    assert!(headers.iter().any(|h| h["name"] == "content-type" && h["value"] == "application/json"), "{headers:?}");
    let body = observed["body_excerpt"].as_str().unwrap();
    assert!(body.contains("\"DOWN\""), "{body}");
    let whole = incident.to_string();
    for secret in ["hunter2", "k3y-s3cr3t-value"] {
        assert!(!whole.contains(secret), "{secret} was kept: {whole}");
    }
    assert!(body.contains("••••"), "{body}");

    // The target is on this machine: who listens on its port (this test's own
    // process), the busiest processes, disk and memory.
    let local = &evidence["local"];
    assert_eq!(local["port"], target.addr.port());
    assert_eq!(local["port_owner"]["pid"], std::process::id(), "{local:#}");
    assert!(local["port_text"].as_str().unwrap().ends_with(&format!("listens on {}", target.addr.port())));
    assert!(!local["top"].as_array().unwrap().is_empty(), "{local:#}");
    assert!(local["top"].as_array().unwrap().len() <= 10);
    assert!(local["memory"]["total"].as_u64().unwrap() > 0);
    assert!(!local["disk"].as_array().unwrap().is_empty());

    // The list leaves the evidence out; the notification carries its first line.
    let listed = daemon.incidents().await;
    assert!(listed.iter().all(|i| i.get("evidence").is_none()), "{listed:?}");
    let told = eventually(WAIT, "the opening is notified", || async {
        let all = daemon.get("/api/v1/notifications?check=api").await["notifications"].as_array().cloned()?;
        all.into_iter().find(|n| n["event"] == "opened")
    })
    .await;
    assert!(told["body"].as_str().unwrap().contains("\nstatus: 200 → 503"), "{told:#}");

    // The CLI shows it.
    let id = incident["id"].to_string();
    let (code, out, err) = daemon.cli(&["incidents", &id]).await;
    assert_eq!(code, 0, "{err}");
    for line in ["status: 200 → 503", "json.db.status: \"UP\" → \"DOWN\"", "listens on", "HTTP 503"] {
        assert!(out.contains(line), "`watchkeeper incidents {id}` lacks {line:?}:\n{out}");
    }
    assert!(!out.contains("hunter2"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_gone_and_a_failing_command_say_what_changed() {
    let target = Target::start(Behaviour::Ok).await;
    let port = target.addr.port();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::write(&state, "queue ok\n").unwrap();
    let config = format!(
        r#"[[check]]
id = "web"
kind = "http"
url = "{}"
interval = "300ms"
timeout = "250ms"
failure_threshold = 1
breaker = {{ enabled = false }}

[[check]]
id = "job"
kind = "command"
command = ["sh", "-c", "cat '{}'; grep -q ok '{}'"]
interval = "300ms"
timeout = "250ms"
failure_threshold = 1
"#,
        target.url(),
        state.display(),
        state.display()
    );
    let daemon = Daemon::start(&config).await;
    daemon.wait_status("web", "up", WAIT).await;
    daemon.wait_status("job", "up", WAIT).await;
    drop(target);
    std::fs::write(&state, "queue stuck: connect to postgres://app:pa55word@db failed\n").unwrap();

    let web = opened(&daemon, "web").await;
    let evidence = &web["evidence"];
    let result = change(evidence, "result");
    assert_eq!(result["before"], "HTTP 200");
    assert!(result["after"].as_str().unwrap().starts_with("connection refused"), "{evidence:#}");
    assert_eq!(evidence["changes"].as_array().unwrap().len(), 1, "nothing it could not read is 'absent': {evidence:#}");
    assert_eq!(evidence["local"]["port_owner"], Value::Null, "nobody listens any more");
    assert_eq!(evidence["local"]["port_text"], format!("nobody listens on {port}"));

    let job = opened(&daemon, "job").await;
    let evidence = &job["evidence"];
    assert_eq!(evidence["headline"], "exit: 0 → 1", "{evidence:#}");
    assert_eq!(evidence["observed"]["exit"], 1);
    let output = evidence["observed"]["output"].as_str().unwrap();
    assert!(output.contains("queue stuck") && output.contains("postgres://app:••••@db"), "{output}");
    assert!(!job.to_string().contains("pa55word"));
    assert_eq!(evidence["local"]["port"], Value::Null, "a command reaches no port");
    assert!(!evidence["local"]["top"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_incident_is_told_with_where_to_find_them() {
    let daemon = Daemon::start("[[check]]\nid = \"x\"\nkind = \"command\"\ncommand = [\"true\"]\n").await;
    for id in ["999", "abc", "-1"] {
        let (status, error) = daemon.get_any(&format!("/api/v1/incidents/{id}")).await;
        assert_eq!(status, 404, "{error}");
        assert_eq!(error["code"], "unknown_incident", "{error}");
        assert!(error["resolution"].as_str().unwrap().contains("watchkeeper incidents"));
    }
}
