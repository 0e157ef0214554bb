//! Alerts end to end against the daemon as a process: the policy's decisions reach
//! real loopback webhook receivers and a real command, the log says what was sent and
//! why not, silences and acknowledgements work through the API, and dead receivers
//! never hold the engine.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{eventually, Behaviour, Daemon, Target};

const WAIT: Duration = Duration::from_secs(30);

/// `n` http checks against `target`, failing at the first bad answer, no breaker.
fn checks(n: usize, target: &Target, extra: &str) -> String {
    (0..n)
        .map(|i| {
            format!(
                "[[check]]\nid = \"svc-{i:02}\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"200ms\"\ntimeout = \"150ms\"\nfailure_threshold = 1\nbreaker = {{ enabled = false }}\n{extra}\n",
                target.url()
            )
        })
        .collect()
}

fn webhook(id: &str, target: &Target, extra: &str) -> String {
    format!("[[channel]]\nid = \"{id}\"\nkind = \"webhook\"\nurl = \"{}\"\n{extra}\n", target.url())
}

async fn notifications(daemon: &Daemon, query: &str) -> Vec<Value> {
    daemon.get(&format!("/api/v1/notifications{query}")).await["notifications"].as_array().cloned().unwrap_or_default()
}

async fn all_up(daemon: &Daemon, n: usize) {
    for i in 0..n {
        daemon.wait_status(&format!("svc-{i:02}"), "up", WAIT).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_fifty_is_one_notification_per_channel_and_the_log_says_so() {
    let target = Target::start(Behaviour::Ok).await;
    let hook = Target::start(Behaviour::Ok).await;
    let dir = tempfile::tempdir().unwrap();
    let received = dir.path().join("received.jsonl");
    let script = format!("cat >> '{}' && echo >> '{}'", received.display(), received.display());
    let config = format!(
        "[alerts]\ngroup_wait = \"2s\"\nchannels = [\"desktop\", \"hook\", \"script\"]\n\n{}[[channel]]\nid = \"script\"\nkind = \"command\"\ncommand = [\"sh\", \"-c\", \"{}\"]\n\n{}",
        webhook("hook", &hook, "headers = { Authorization = \"Bearer s3cret\" }"),
        script.replace('"', "\\\""),
        checks(50, &target, "")
    );
    let daemon = Daemon::start(&config).await;
    all_up(&daemon, 50).await;
    target.set(Behaviour::Status(503));

    let first = eventually(WAIT, "the webhook receives the storm", || async { hook.posted().first().cloned() }).await;
    // That nothing follows, however long one waits, is the paused-time engine test's
    // (`engine::tests::alerts::a_storm_is_one_notification_per_channel_and_nothing_after_it`).
    assert_eq!(hook.posted().len(), 1, "one notification for the storm: {:?}", hook.posted());
    assert_eq!(first.method, "POST");
    assert_eq!(first.header("authorization"), Some("Bearer s3cret"), "the channel's headers");
    assert_eq!(first.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["version"], 1);
    assert_eq!(body["event"], "opened");
    assert_eq!(body["title"], "50 checks down");
    assert_eq!(body["checks"].as_array().unwrap().len(), 50);
    assert_eq!(body["checks"][0]["status"], "down");
    let text = body["body"].as_str().unwrap();
    assert!(text.contains(", +45\nfirst: svc-") && text.contains("expected status < 400, got 503"), "{text}");
    assert!(body["local_time"].as_str().is_some_and(|t| t.len() >= 19), "{body}");

    let lines = eventually(WAIT, "the command receives it once", || async {
        let text = std::fs::read_to_string(&received).ok()?;
        let lines: Vec<Value> =
            text.lines().filter(|l| !l.is_empty()).map(|l| serde_json::from_str(l).unwrap()).collect();
        (!lines.is_empty()).then_some(lines)
    })
    .await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["checks"].as_array().unwrap().len(), 50);
    assert_eq!(lines[0]["id"], body["id"].as_i64().unwrap() + 1, "one decision per channel, ids in order");

    let log = eventually(WAIT, "the log has one decision per channel, delivered", || async {
        let log = notifications(&daemon, "").await;
        let delivered = |channel: &str| log.iter().any(|n| n["channel"] == channel && n["delivered"] == true);
        (log.len() == 3 && delivered("hook") && delivered("script")).then_some(log)
    })
    .await;
    let desktop = log.iter().find(|n| n["channel"] == "desktop").unwrap();
    // A headless daemon has no desktop to show it on: no failure, nothing held back.
    assert_eq!((desktop["delivered"].clone(), desktop["suppressed"].clone()), (Value::Null, "no_desktop".into()));
    assert_eq!(desktop["outcome"]["state"], "held", "{desktop}");
    assert_eq!(desktop["outcome"]["text"], "not shown: no desktop session");
    assert_eq!(desktop["event_text"], "down");
    assert_eq!(desktop["checks"].as_array().unwrap().len(), 50);
    let about_one = notifications(&daemon, "?check=svc-07").await;
    assert_eq!(about_one.len(), 3, "each names every check of the burst");
    // Filters by channel, event and outcome, each a 404 or 400 when it names nothing.
    let channels = |log: Vec<Value>| log.iter().map(|n| n["channel"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(channels(notifications(&daemon, "?channel=hook").await), ["hook"]);
    assert_eq!(channels(notifications(&daemon, "?outcome=held").await), ["desktop"]);
    assert_eq!(notifications(&daemon, "?outcome=delivered&event=opened").await.len(), 2);
    assert_eq!(notifications(&daemon, "?outcome=failed").await.len(), 0, "nothing failed");
    assert_eq!(notifications(&daemon, "?event=resolved").await.len(), 0);
    let (status, error) = daemon.get_any("/api/v1/notifications?channel=pager").await;
    assert_eq!((status, error["code"].as_str()), (404, Some("unknown_channel")), "{error}");
    let (status, _) = daemon.get_any("/api/v1/notifications?outcome=lost").await;
    assert_eq!(status, 400, "an outcome that is none");
    let (code, out, err) = daemon.cli(&["notifications", "--channel", "desktop", "--outcome", "held"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("not shown: no desktop session") && !out.contains("hook"), "{out}");
    let (status, error) = daemon.get_any("/api/v1/notifications?check=nope").await;
    assert_eq!((status, error["code"].as_str()), (404, Some("unknown_check")));
    let health = daemon.get("/healthz").await;
    assert_eq!(health["status"], "ok", "a headless desktop is not a failing channel: {health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_receivers_are_retried_said_in_healthz_and_never_hold_the_engine() {
    let target = Target::start(Behaviour::Ok).await;
    let good = Target::start(Behaviour::Ok).await;
    let failing = Target::start(Behaviour::Status(500)).await;
    let hanging = Target::start(Behaviour::Hang).await;
    let mut down = Target::start(Behaviour::Ok).await;
    down.close().await;
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\nchannels = [\"good\", \"failing\", \"hanging\", \"down\"]\n\n{}{}{}{}{}",
        webhook("good", &good, ""),
        webhook("failing", &failing, ""),
        webhook("hanging", &hanging, "timeout = \"1s\""),
        webhook("down", &down, ""),
        checks(1, &target, "")
    );
    let daemon = Daemon::start(&config).await;
    all_up(&daemon, 1).await;
    target.set(Behaviour::Status(503));
    eventually(WAIT, "the good receiver has the opening", || async { (good.posted().len() == 1).then_some(()) }).await;
    eventually(WAIT, "the failing receiver is tried again", || async { (failing.posted().len() >= 2).then_some(()) })
        .await;

    // The engine goes on: the check recovers and the good receiver hears it while the
    // others are still being retried.
    target.set(Behaviour::Ok);
    let resolved = eventually(WAIT, "the good receiver has the recovery", || async {
        good.posted().get(1).map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
    })
    .await;
    assert_eq!(resolved["event"], "resolved");
    assert_eq!(resolved["title"], "svc-00 recovered");

    let health = eventually(WAIT, "/healthz says which channels fail", || async {
        let health = daemon.get("/healthz").await;
        let degraded: Vec<String> =
            health["degraded"].as_array()?.iter().filter_map(|d| d.as_str().map(str::to_owned)).collect();
        (degraded.len() >= 3).then_some(degraded)
    })
    .await;
    assert!(health.iter().any(|d| d == "channel failing: the receiver answered HTTP 500"), "{health:?}");
    assert!(health.iter().any(|d| d == "channel down: cannot connect to the receiver"), "{health:?}");
    assert!(health.iter().any(|d| d.starts_with("channel hanging: ")), "{health:?}");
    assert!(!health.iter().any(|d| d.starts_with("channel good")), "{health:?}");

    let log = notifications(&daemon, "").await;
    let retried = log.iter().find(|n| n["channel"] == "failing" && n["event"] == "opened").unwrap();
    assert_eq!(retried["delivered"], Value::Null, "still being tried: {retried}");
    assert!(retried["attempts"].as_u64().unwrap() >= 2, "{retried}");
    assert_eq!(retried["error"], "the receiver answered HTTP 500");

    // The failing receiver comes back: the waiting notifications are delivered.
    failing.set(Behaviour::Ok);
    eventually(Duration::from_secs(60), "the failing channel delivers once it answers", || async {
        let log = notifications(&daemon, "").await;
        log.iter().filter(|n| n["channel"] == "failing").all(|n| n["delivered"] == true).then_some(())
    })
    .await;
    let health = daemon.get("/healthz").await;
    assert!(
        !health["degraded"].as_array().unwrap().iter().any(|d| d.as_str().unwrap().starts_with("channel failing")),
        "a channel that delivers again is no longer degraded: {health}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_mute_an_ack_stops_reminders_and_bad_requests_change_nothing() {
    let target = Target::start(Behaviour::Ok).await;
    let hook = Target::start(Behaviour::Ok).await;
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\nrepeat = \"1s\"\nmax_reminders = 50\nchannels = [\"hook\"]\n\n{}{}",
        webhook("hook", &hook, ""),
        checks(2, &target, "group = \"shop\"")
    );
    let daemon = Daemon::start(&config).await;
    all_up(&daemon, 2).await;

    // Silences: bad ones are refused with a reason and a resolution.
    for (body, status, code) in [
        (json!({"for": "1h", "reason": "x"}), 400, "bad_request"),
        (json!({"checks": ["nope"], "for": "1h", "reason": "x"}), 404, "unknown_check"),
        (json!({"groups": ["nope"], "for": "1h", "reason": "x"}), 404, "unknown_group"),
        (json!({"checks": ["svc-00"], "until": "2020-01-01T00:00:00Z", "reason": "x"}), 400, "bad_request"),
        (json!({"checks": ["svc-00"], "reason": "x"}), 400, "bad_request"),
        (json!({"checks": ["svc-00"], "for": "soon", "reason": "x"}), 400, "bad_request"),
        (json!({"checks": ["svc-00"], "for": "1h", "reason": " "}), 400, "bad_request"),
        (json!({"checks": ["svc-00"], "for": "1h", "reason": "x", "bogus": 1}), 400, "bad_request"),
    ] {
        let (got, error) = daemon.post("/api/v1/silences", body.clone()).await;
        assert_eq!((got, error["code"].as_str()), (status, Some(code)), "{body}: {error}");
        assert!(!error["resolution"].as_str().unwrap_or_default().is_empty(), "{error}");
    }
    assert!(
        daemon.get("/api/v1/silences?all=true").await["silences"].as_array().unwrap().is_empty(),
        "nothing was created"
    );

    let (status, silence) =
        daemon.post("/api/v1/silences", json!({"groups": ["shop"], "for": "1h", "reason": "deploying v2"})).await;
    assert_eq!(status, 201, "{silence}");
    assert_eq!((silence["active"].as_bool(), silence["created_by"].as_str()), (Some(true), Some("api")));
    target.set(Behaviour::Status(503));
    let muted = eventually(WAIT, "the openings are decided, and silenced", || async {
        let log = notifications(&daemon, "").await;
        let opened: Vec<Value> = log.into_iter().filter(|n| n["event"] == "opened").collect();
        let checks: std::collections::BTreeSet<&str> =
            opened.iter().flat_map(|n| n["checks"].as_array().unwrap().iter().map(|c| c.as_str().unwrap())).collect();
        (checks.len() == 2).then_some(opened.clone())
    })
    .await;
    assert!(muted.iter().all(|n| n["suppressed"] == "silenced"), "{muted:?}");
    // A silence mutes; it does not stop probing.
    daemon.wait_status("svc-00", "down", WAIT).await;
    let incidents = daemon.wait_incidents("both incidents open", |i| i.len() == 2).await;
    // Each decision is recorded before it is handed on: held ones never reach it.
    assert!(hook.posted().is_empty(), "nothing reached the channel: {:?}", hook.posted());

    // Ended early (what it held stays untold: the engine test plays that out).
    let id = silence["id"].as_i64().unwrap();
    let ended = daemon
        .request(reqwest::Method::DELETE, &format!("/api/v1/silences/{id}"))
        .await
        .bearer_auth(&daemon.token)
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 200);
    let ended: Value = ended.json().await.unwrap();
    assert_eq!(ended["active"], false);
    assert!(ended["ended_at"].is_string(), "{ended}");
    let missing = daemon
        .request(reqwest::Method::DELETE, "/api/v1/silences/999")
        .await
        .bearer_auth(&daemon.token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // Acknowledgements and notes; bad ones are refused.
    let incident = incidents[0]["id"].as_i64().unwrap();
    let (status, error) = daemon.post("/api/v1/incidents/999999/ack", json!({})).await;
    assert_eq!((status, error["code"].as_str()), (404, Some("unknown_incident")));
    let (status, error) = daemon.post(&format!("/api/v1/incidents/{incident}/notes"), json!({"text": ""})).await;
    assert_eq!((status, error["code"].as_str()), (400, Some("bad_request")));
    let (status, acked) = daemon
        .post(&format!("/api/v1/incidents/{incident}/ack"), json!({"note": "on it: the pool is exhausted"}))
        .await;
    assert_eq!(status, 200, "{acked}");
    assert_eq!(acked["acked"], true);
    assert!(acked["acked_at"].is_string(), "{acked}");
    assert_eq!(acked["notes"][0]["text"], "on it: the pool is exhausted");
    assert_eq!(acked["notes"][0]["author"], "api");
    let (status, noted) =
        daemon.post(&format!("/api/v1/incidents/{incident}/notes"), json!({"text": "raised the pool to 50"})).await;
    assert_eq!((status, noted["notes"].as_array().unwrap().len()), (200, 2), "{noted}");

    target.set(Behaviour::Ok);
    daemon.wait_incidents("both resolved", |i| i.iter().all(|i| i["resolved_at"].is_string())).await;
    let (status, error) = daemon.post(&format!("/api/v1/incidents/{incident}/ack"), json!({})).await;
    assert_eq!((status, error["code"].as_str()), (409, Some("incident_resolved")), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_repeat_until_acknowledged_and_a_restart_neither_repeats_nor_loses() {
    let target = Target::start(Behaviour::Ok).await;
    let mut hook = Target::start(Behaviour::Ok).await;
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\nrepeat = \"1s\"\nmax_reminders = 100\nchannels = [\"hook\"]\n\n{}{}",
        webhook("hook", &hook, ""),
        checks(1, &target, "")
    );
    let daemon = Daemon::start(&config).await;
    all_up(&daemon, 1).await;
    target.set(Behaviour::Status(503));
    let events = |hook: &Target| -> Vec<String> {
        hook.posted()
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["event"].as_str().unwrap().to_owned())
            .collect()
    };
    eventually(WAIT, "the opening and two reminders", || async { (events(&hook).len() >= 3).then_some(()) }).await;
    let told = events(&hook);
    assert_eq!(told[0], "opened");
    assert!(told[1..].iter().all(|e| e == "reminder"), "{told:?}");

    // A restart: the incident stays open; no second opening, reminders go on.
    let dir = daemon.stop();
    let before = hook.posted().len();
    let daemon = Daemon::start_in(dir).await;
    eventually(WAIT, "reminders go on after the restart", || async { (hook.posted().len() > before).then_some(()) })
        .await;
    assert!(events(&hook)[before..].iter().all(|e| e == "reminder"), "no duplicate opening: {:?}", events(&hook));

    let incident = daemon.incidents().await[0]["id"].as_i64().unwrap();
    let (status, _) = daemon.post(&format!("/api/v1/incidents/{incident}/ack"), json!({})).await;
    assert_eq!(status, 200);
    // The next reminder is held back, once, and none is decided after it (the policy's
    // and the engine's tests play that out in paused time): what reached the receiver
    // is what the log says was sent.
    let log = eventually(WAIT, "the reminder held back is in the log, and every one sent is delivered", || async {
        let log = notifications(&daemon, &format!("?incident={incident}")).await;
        let settled = log.iter().all(|n| !n["suppressed"].is_null() || n["delivered"] == true);
        (settled && log.iter().any(|n| n["suppressed"] == "acked")).then_some(log)
    })
    .await;
    let sent = log.iter().filter(|n| n["suppressed"].is_null()).count();
    assert_eq!(hook.posted().len(), sent, "an acknowledgement stops the reminders: {log:?}");

    // The receiver goes away; the recovery waits, survives a restart and is delivered.
    hook.close().await;
    target.set(Behaviour::Ok);
    eventually(WAIT, "the recovery is decided", || async {
        notifications(&daemon, "").await.iter().any(|n| n["event"] == "resolved").then_some(())
    })
    .await;
    let dir = daemon.stop();
    hook.reopen().await;
    let daemon = Daemon::start_in(dir).await;
    eventually(WAIT, "the pending recovery is delivered after the restart", || async {
        events(&hook).iter().any(|e| e == "resolved").then_some(())
    })
    .await;
    let resolved = eventually(WAIT, "the log says it was delivered", || async {
        notifications(&daemon, "").await.into_iter().find(|n| n["event"] == "resolved" && n["delivered"] == true)
    })
    .await;
    assert!(resolved["attempts"].as_u64().unwrap() >= 2, "tried before the stop, and after: {resolved}");
    assert_eq!(events(&hook).iter().filter(|e| *e == "resolved").count(), 1, "delivered once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_silences_acknowledges_and_reads_the_log() {
    let target = Target::start(Behaviour::Ok).await;
    let hook = Target::start(Behaviour::Ok).await;
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\nchannels = [\"hook\"]\n\n{}{}",
        webhook("hook", &hook, ""),
        checks(2, &target, "")
    );
    let daemon = Daemon::start(&config).await;
    all_up(&daemon, 2).await;

    let (code, out, err) = daemon.cli(&["silence", "svc-00", "--for", "2h", "--reason", "migrating the db"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("silence 1 on checks svc-00 until "), "{out}");
    assert!(out.contains("probing goes on (end it with `watchkeeper unsilence 1`)"), "{out}");
    let (code, _, err) = daemon.cli(&["silence", "nope", "--for", "1h", "--reason", "x"]).await;
    assert_eq!(code, 65, "an id that names nothing is EX_DATAERR: {err}");
    assert!(err.contains("no check has the id `nope`"), "{err}");
    let (code, out, _) = daemon.cli(&["silences"]).await;
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .nth(1)
            .is_some_and(|l| l.contains("checks svc-00") && l.contains("migrating the db") && l.contains("cli")),
        "{out}"
    );

    target.set(Behaviour::Status(503));
    let incidents = daemon.wait_incidents("both open", |i| i.len() == 2).await;
    eventually(WAIT, "the unsilenced check is told", || async { (!hook.posted().is_empty()).then_some(()) }).await;
    eventually(WAIT, "both decisions are recorded", || async {
        (notifications(&daemon, "").await.len() == 2).then_some(())
    })
    .await;
    let (code, out, _) = daemon.cli(&["notifications"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("not sent: silenced"), "{out}");
    assert!(out.contains("delivered") || out.contains("sending"), "{out}");
    assert!(out.contains("svc-01 down"), "{out}");
    let (_, json, _) = daemon.cli(&["notifications", "--check", "svc-00", "--json"]).await;
    let log: Vec<Value> = serde_json::from_str::<Value>(&json).unwrap()["notifications"].as_array().unwrap().clone();
    assert!(log.iter().all(|n| n["suppressed"] == "silenced"), "{log:?}");

    let open = incidents.iter().find(|i| i["check"] == "svc-01").unwrap()["id"].as_i64().unwrap().to_string();
    let (code, out, err) = daemon.cli(&["ack", &open, "--note", "looking"]).await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("acknowledged: no more reminders"), "{out}");
    // `watchkeeper status` says each state as it is: silenced (until, by whom, why), and
    // acknowledged; the API carries the same line and the facts under it.
    let (code, out, _) = daemon.cli(&["status"]).await;
    assert_eq!(code, 2, "down is still down: {out}");
    let line = |id: &str| out.lines().find(|l| l.contains(&format!(" {id} "))).unwrap_or_default().to_owned();
    let silenced = regex::Regex::new(
        r"Down, silenced until (\d{4}-\d\d-\d\d )?\d\d:\d\d \S+ by the command line \(migrating the db\): ",
    )
    .unwrap();
    assert!(silenced.is_match(&line("svc-00")), "{out}");
    assert!(line("svc-01").contains("Down, acknowledged: "), "{out}");
    let check = daemon.check("svc-00").await;
    assert_eq!((check["silenced"]["by"].as_str(), check["acked"].as_bool()), (Some("cli"), Some(false)), "{check}");
    assert_eq!(check["marks"][0]["kind"], "silenced");
    assert!(check["text"].as_str().is_some_and(|t| silenced.is_match(t)), "{check}");
    assert_eq!(daemon.check("svc-01").await["acked"], true);
    let (code, _, err) = daemon.cli(&["ack", "999999"]).await;
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("no incident has id `999999`"), "{err}");

    let (code, out, _) = daemon.cli(&["unsilence", "1"]).await;
    assert_eq!(code, 0);
    assert!(out.contains("silence 1 on checks svc-00 ended"), "{out}");
    let (code, out, _) = daemon.cli(&["silences"]).await;
    assert_eq!((code, out.trim()), (0, "no silences now (`--all` shows ended ones)"));
    let (_, out, _) = daemon.cli(&["silences", "--all"]).await;
    assert!(out.contains("(ended)"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintenance_window_shows_opens_nothing_and_its_end_opens_the_incident_of_a_check_still_down() {
    let target = Target::start(Behaviour::Status(503)).await;
    let healthy = Target::start(Behaviour::Ok).await;
    let hook = Target::start(Behaviour::Ok).await;
    let now = chrono::Utc::now();
    let start = (now - chrono::Duration::minutes(1)).to_rfc3339();
    let end = now + chrono::Duration::seconds(12);
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\nchannels = [\"hook\"]\n\n{}{}\
         [[check]]\nid = \"batch\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"200ms\"\ngroup = \"jobs\"\n\n\
         [[maintenance]]\nid = \"deploy\"\nchecks = [\"svc-00\"]\nstart = \"{start}\"\nend = \"{}\"\nreason = \"v2 rollout\"\n\n\
         [[maintenance]]\nid = \"nightly\"\ngroups = [\"jobs\"]\nschedule = \"* * * * *\"\nduration = \"1h\"\n",
        webhook("hook", &hook, ""),
        checks(1, &target, ""),
        healthy.url(),
        end.to_rfc3339(),
    );
    let daemon = Daemon::start(&config).await;
    let in_window = daemon.wait_status("svc-00", "maintenance", WAIT).await;
    let reason = in_window["reason"].as_str().unwrap();
    assert!(reason.starts_with("maintenance window `deploy` until ") && reason.ends_with(": v2 rollout"), "{reason}");
    // Probed and recorded all the while.
    let results = eventually(WAIT, "failed results are recorded", || async {
        let results = daemon.get("/api/v1/checks/svc-00/results?limit=5").await;
        let rows = results["results"].as_array().cloned().unwrap_or_default();
        (rows.len() >= 3).then_some(rows)
    })
    .await;
    assert!(results.iter().all(|r| r["status"] == "down"), "{results:?}");
    assert!(daemon.incidents().await.is_empty(), "no incident in a window");
    assert!(hook.posted().is_empty(), "nobody is told");
    let batch = daemon.wait_status("batch", "maintenance", WAIT).await;
    assert!(batch["reason"].as_str().unwrap().starts_with("maintenance window `nightly`"), "{batch}");

    let windows = daemon.get("/api/v1/maintenance").await["windows"].as_array().cloned().unwrap();
    assert_eq!(windows.len(), 2);
    assert_eq!(windows[0]["id"], "deploy");
    assert_eq!(windows[0]["active"], true);
    assert_eq!(windows[0]["covers"], json!(["svc-00"]));
    assert_eq!(windows[0]["schedule"], Value::Null);
    assert_eq!(windows[0]["next_start"], Value::Null, "a fixed window happens once");
    assert_eq!(windows[1]["schedule"], "* * * * *");
    assert_eq!(windows[1]["duration"], "1h");
    assert_eq!(windows[1]["covers"], json!(["batch"]), "through its group");
    assert!(windows[1]["next_start"].as_str().is_some(), "{}", windows[1]);
    let (code, out, _) = daemon.cli(&["maintenance"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("deploy") && out.contains("once") && out.contains("on until") && out.contains("v2 rollout"),
        "{out}"
    );
    assert!(out.contains("every minute for 1 h") && out.contains("batch"), "the schedule in words: {out}");

    // The window ends with the check still down: its incident opens then, and is told.
    let opened =
        eventually(WAIT, "the webhook is told of the opening", || async { hook.posted().first().cloned() }).await;
    let body: Value = serde_json::from_str(&opened.body).unwrap();
    assert_eq!((body["event"].as_str(), body["title"].as_str()), (Some("opened"), Some("svc-00 down")), "{body}");
    let incidents = daemon.wait_incidents("the incident is recorded", |i| i.len() == 1).await;
    let started: chrono::DateTime<chrono::Utc> = incidents[0]["started_at"].as_str().unwrap().parse().unwrap();
    assert!(started >= end, "opened at the window's end, not before: {started} < {end}");
    assert!(started - end < chrono::Duration::seconds(3), "opened at once, not a round later: {started}");
    assert_eq!(daemon.check("svc-00").await["status"], "down");
    let windows = daemon.get("/api/v1/maintenance").await["windows"].as_array().cloned().unwrap();
    assert_eq!((windows[0]["active"].as_bool(), windows[0]["starts_at"].as_str()), (Some(false), None), "over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_check_is_told_once_shown_and_quiet_until_it_settles_across_a_restart() {
    let target = Target::start(Behaviour::Ok).await;
    let hook = Target::start(Behaviour::Ok).await;
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\nchannels = [\"hook\"]\nflap = {{ window = 7, high = 50, low = 25 }}\n\n{}{}",
        webhook("hook", &hook, ""),
        checks(1, &target, "")
    );
    let daemon = Daemon::start(&config).await;
    all_up(&daemon, 1).await;
    target.set(Behaviour::Alternate);
    let flapping = eventually(WAIT, "the check shows it flaps", || async {
        let check = daemon.check("svc-00").await;
        (check["flapping"] == true).then_some(check)
    })
    .await;
    assert_eq!(flapping["flapping"], true);
    let told = eventually(WAIT, "the flapping notification", || async {
        let posted = hook.posted();
        posted.iter().any(|p| p.body.contains("\"event\":\"flapping\"")).then_some(posted)
    })
    .await;
    let bodies: Vec<Value> = told.iter().map(|p| serde_json::from_str(&p.body).unwrap()).collect();
    let flaps: Vec<&Value> = bodies.iter().filter(|b| b["event"] == "flapping").collect();
    assert_eq!(flaps.len(), 1, "{bodies:?}");
    assert_eq!(flaps[0]["title"], "svc-00 is flapping");
    // While it flaps, its openings and recoveries are held, and logged as flapping.
    let held = eventually(WAIT, "openings held as flapping in the log", || async {
        let log = notifications(&daemon, "?check=svc-00").await;
        log.iter().any(|n| n["suppressed"] == "flapping").then_some(log)
    })
    .await;
    assert!(held.iter().all(|n| n["event"] != "flapping" || n["suppressed"].is_null()), "{held:?}");
    // That nothing more is told while it flaps is the paused-time engine test's.

    // A restart keeps the flap: still flapping, and not told again.
    let dir = daemon.stop();
    let daemon = Daemon::start_in(dir).await;
    assert_eq!(daemon.check("svc-00").await["flapping"], true, "restored as flapping");

    // It settles up: told once that it stopped.
    target.set(Behaviour::Ok);
    let stopped = eventually(WAIT, "the settling is told", || async {
        hook.posted().iter().find(|p| p.body.contains("stopped flapping")).cloned()
    })
    .await;
    let flaps = hook.posted().iter().filter(|p| p.body.contains("is flapping")).count();
    assert_eq!(flaps, 1, "not told again after the restart: {:?}", hook.posted());
    let body: Value = serde_json::from_str(&stopped.body).unwrap();
    assert_eq!(body["event"], "flapping");
    assert!(body["body"].as_str().unwrap().starts_with("now up;"), "{body}");
    assert_eq!(daemon.check("svc-00").await["flapping"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alertmanager_channel_fires_keeps_and_ends_alerts_in_a_real_alertmanager() {
    let dir = tempfile::tempdir().unwrap();
    let am = crate::support::alertmanager::Alertmanager::start(dir.path()).await;
    let target = Target::start(Behaviour::Ok).await;
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\nchannels = [\"am\"]\n\n\
         [[channel]]\nid = \"am\"\nkind = \"alertmanager\"\nurl = \"{}\"\nresend = \"1s\"\n\n{}",
        am.url,
        checks(1, &target, "group = \"shop\"\nalert = { severity = \"critical\" }")
    );
    let daemon = Daemon::start(&config).await;
    all_up(&daemon, 1).await;
    target.set(Behaviour::Status(503));

    let ours = |alerts: Vec<Value>| alerts.into_iter().find(|a| a["labels"]["check"] == "svc-00");
    let firing = eventually(WAIT, "Alertmanager holds the alert, active", || async {
        ours(am.alerts().await).filter(|a| a["status"]["state"] == "active")
    })
    .await;
    let labels = &firing["labels"];
    assert_eq!(labels["alertname"], "WatchkeeperCheckDown");
    assert_eq!(labels["group"], "shop");
    assert_eq!(labels["severity"], "critical");
    assert!(labels["instance"].as_str().is_some_and(|i| !i.is_empty()), "{labels}");
    assert_eq!(firing["annotations"]["summary"], "svc-00 down");
    assert!(firing["annotations"]["description"].as_str().unwrap().contains("got 503"), "{firing}");

    // Each alert is valid for four re-sends (4 s here): re-sent, it keeps firing past its
    // first end, which moves on.
    let first_end: chrono::DateTime<chrono::Utc> = firing["endsAt"].as_str().unwrap().parse().unwrap();
    let kept = eventually(WAIT, "the alert is still firing after its first end", || async {
        let kept = ours(am.alerts().await)?;
        let end: chrono::DateTime<chrono::Utc> = kept["endsAt"].as_str()?.parse().ok()?;
        (chrono::Utc::now() > first_end && end > first_end + chrono::Duration::seconds(4)).then_some(kept)
    })
    .await;
    assert_eq!(kept["status"]["state"], "active", "re-sent, so kept firing: {kept}");

    // The recovery ends it then, not when its last re-send runs out (3 s or more later).
    let recovered = chrono::Utc::now();
    target.set(Behaviour::Ok);
    // (Alertmanager lists no resolved alert.)
    let gone = eventually(WAIT, "Alertmanager no longer holds it", || async {
        ours(am.alerts().await).is_none().then(chrono::Utc::now)
    })
    .await;
    assert!(gone < recovered + chrono::Duration::milliseconds(2500), "ended by the recovery: {recovered} {gone}");
    let log = eventually(WAIT, "the log has both delivered", || async {
        let log = notifications(&daemon, "?check=svc-00").await;
        let resolved = log.iter().any(|n| n["event"] == "resolved");
        (resolved && log.iter().all(|n| n["delivered"] == true)).then_some(log)
    })
    .await;
    let events: Vec<&str> = log.iter().map(|n| n["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["resolved", "opened"], "{log:?}");
    assert_eq!(daemon.get("/healthz").await["status"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_network_remote_checks_are_unknown_and_one_no_network_notification_is_told() {
    let mut network = Target::start(Behaviour::Ok).await;
    let target = Target::start(Behaviour::Ok).await;
    let hook = Target::start(Behaviour::Ok).await;
    let sentinel = network.addr.to_string();
    let check = |id: &str, remote: bool| {
        format!(
            "[[check]]\nid = \"{id}\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"500ms\"\ntimeout = \"400ms\"\nfailure_threshold = 5\nbreaker = {{ enabled = false }}\nnetwork = {remote}\n\n",
            target.url()
        )
    };
    let config = format!(
        "[settings]\nconnectivity = {{ targets = [\"tcp://{sentinel}\"], interval = \"1s\" }}\n\n\
         [alerts]\ngroup_wait = \"1s\"\nchannels = [\"hook\"]\n\n{}{}{}{}{}",
        webhook("hook", &hook, ""),
        check("api", true),
        check("cdn", true),
        check("mail", true),
        check("local", false),
    );
    let daemon = Daemon::start(&config).await;
    for id in ["api", "cdn", "mail", "local"] {
        daemon.wait_status(id, "up", WAIT).await;
    }
    assert_eq!(daemon.get("/api/v1/status").await["network_down"], Value::Null);

    // The network goes: the sentinel's target and the services stop answering.
    network.close().await;
    target.set(Behaviour::Status(503));
    for id in ["api", "cdn", "mail"] {
        let check = daemon.wait_status(id, "unknown", WAIT).await;
        assert_eq!(check["reason"], "no network: the connectivity sentinel fails", "{check}");
    }
    daemon.wait_status("local", "down", WAIT).await;
    let status = daemon.get("/api/v1/status").await;
    assert!(status["network_down"]["why"].as_str().unwrap().contains(&sentinel), "{status}");
    assert!(
        status["network_down"]["text"]
            .as_str()
            .unwrap()
            .starts_with("No network: 3 remote checks are unknown until it is back"),
        "the banner, worded by the core: {status}"
    );
    let told = eventually(WAIT, "the no_network notification and the local check's opening", || async {
        let posted = hook.posted();
        let has = |event: &str| posted.iter().any(|p| p.body.contains(&format!("\"event\":\"{event}\"")));
        (has("no_network") && has("opened")).then_some(posted)
    })
    .await;
    let bodies: Vec<Value> = hook.posted().iter().map(|p| serde_json::from_str(&p.body).unwrap()).collect();
    let no_network: Vec<&Value> = bodies.iter().filter(|b| b["event"] == "no_network").collect();
    assert_eq!(no_network.len(), 1, "told once: {bodies:?}");
    assert_eq!(no_network[0]["title"], "no network: 3 remote checks unknown");
    assert_eq!(no_network[0]["checks"].as_array().unwrap().len(), 3);
    let opened: Vec<&str> =
        bodies.iter().filter(|b| b["event"] == "opened").map(|b| b["title"].as_str().unwrap()).collect();
    assert_eq!(opened, ["local down"], "the local check is the service's; the remote ones the network's");
    assert!(told.len() <= bodies.len());
    let incidents = daemon.incidents().await;
    assert!(incidents.iter().all(|i| i["check"] == "local"), "no incident for remote checks: {incidents:?}");

    // The network comes back: remote checks are probed at once and judged again.
    network.reopen().await;
    target.set(Behaviour::Ok);
    for id in ["api", "cdn", "mail", "local"] {
        daemon.wait_status(id, "up", WAIT).await;
    }
    eventually(WAIT, "the status says the network is back", || async {
        daemon.get("/api/v1/status").await["network_down"].is_null().then_some(())
    })
    .await;
}
