//! Live reload against the daemon as a process: the file saved (the watcher), SIGHUP,
//! the API and the CLI; a bad file kept out and said until fixed; a removed check's
//! incident ended; unchanged checks left as they were; the file deleted or made a
//! directory while watched.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{eventually, Behaviour, Daemon, Target};

const WAIT: Duration = Duration::from_secs(20);

fn http_check(id: &str, target: &Target, extra: &str) -> String {
    format!(
        "[[check]]\nid = \"{id}\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"300ms\"\ntimeout = \"250ms\"\nfailure_threshold = 1\n{extra}\n",
        target.url()
    )
}

/// Saves the config as editors do: a temporary file renamed over it.
fn save(daemon: &Daemon, text: &str) {
    let path = daemon.path().join("watchkeeper.toml");
    let temporary = daemon.path().join(".watchkeeper.toml.swp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, &path).unwrap();
}

fn config_path(daemon: &Daemon) -> std::path::PathBuf {
    daemon.path().join("watchkeeper.toml")
}

/// Waits for a reload after `after` (an RFC 3339 time, or none) and gives it.
async fn next_reload(daemon: &Daemon, after: Option<&str>, what: &str) -> Value {
    reload_where(daemon, what, |last| after.is_none_or(|after| last["at"].as_str().is_some_and(|at| at > after))).await
}

/// Waits until the last reload is one `done` accepts.
async fn reload_where(daemon: &Daemon, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    eventually(WAIT, what, || async {
        let last = daemon.get("/api/v1/config").await["last_reload"].clone();
        (last.is_object() && done(&last)).then_some(last)
    })
    .await
}

fn ids(list: &Value) -> Vec<&str> {
    let mut ids: Vec<&str> = list.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    ids.sort_unstable();
    ids
}

async fn check_ids(daemon: &Daemon) -> Vec<String> {
    let status = daemon.get("/api/v1/status").await;
    status["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

/// A saved change applies by itself; an unchanged check keeps its state; a file with an
/// error changes nothing and is said in /healthz, the config and the CLI until a fixed
/// file is saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_change_applies_and_a_bad_one_is_kept_out_until_fixed() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&format!("{}{}", http_check("api", &target, ""), http_check("web", &target, ""))).await;
    daemon.wait_status("api", "up", WAIT).await;
    let config = daemon.get("/api/v1/config").await;
    assert!(config["last_reload"].is_null(), "no reload yet: {config}");
    assert_eq!(config["version"].as_str().map(str::len), Some(16), "{config}");
    let api_before = daemon.check("api").await;

    // web changes (its name), extra is added, api is left alone.
    let good = format!(
        "# my checks\n{}{}{}",
        http_check("api", &target, ""),
        http_check("web", &target, "name = \"Web front\""),
        http_check("extra", &target, "")
    );
    save(&daemon, &good);
    let reload = next_reload(&daemon, None, "the watcher reloads the saved file").await;
    assert_eq!((reload["ok"].clone(), reload["trigger"].clone()), (json!(true), json!("watch")), "{reload}");
    let changes = &reload["changes"];
    assert_eq!(
        (ids(&changes["added"]), ids(&changes["changed"]), ids(&changes["removed"]), ids(&changes["unchanged"])),
        (vec!["extra"], vec!["web"], vec![], vec!["api"]),
        "{reload}"
    );
    assert_eq!(check_ids(&daemon).await, ["api", "web", "extra"], "in the file's order");
    daemon.wait_status("extra", "up", WAIT).await;
    assert_eq!(daemon.check("web").await["name"], "Web front");
    let api_after = daemon.check("api").await;
    assert_eq!(api_after["since"], api_before["since"], "an unchanged check keeps its state");
    let version = daemon.get("/api/v1/config").await["version"].clone();
    assert_ne!(version, config["version"], "the version follows the file");

    // A port out of range: nothing changes, and it is said everywhere.
    let bad = good.replace(
        &http_check("extra", &target, ""),
        "[[check]]\nid = \"extra\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 70000\n",
    );
    save(&daemon, &bad);
    let failed = next_reload(&daemon, reload["at"].as_str(), "the watcher tries the bad file").await;
    assert_eq!(failed["ok"], false, "{failed}");
    let error = &failed["errors"][0];
    assert_eq!((error["table"].clone(), error["key"].clone()), (json!("check \"extra\""), json!("port")), "{failed}");
    assert!(error["line"].as_u64().unwrap() > 1 && !error["resolution"].as_str().unwrap().is_empty(), "{failed}");
    assert_eq!(check_ids(&daemon).await, ["api", "web", "extra"], "the running config stays");
    daemon.wait_status("extra", "up", WAIT).await;
    let health = daemon.get("/healthz").await;
    assert_eq!(health["status"], "degraded", "{health}");
    let said =
        health["degraded"].as_array().unwrap().iter().find_map(|d| d.as_str().filter(|d| d.starts_with("config: ")));
    assert!(said.is_some_and(|s| s.contains("port") && s.contains("watchkeeper.toml:")), "{health}");
    let config = daemon.get("/api/v1/config").await;
    assert_eq!(config["version"], version, "the running version is still the good file's");
    assert!(config["failing"].as_str().is_some_and(|f| f.contains("port")), "{config}");

    // The CLI asks again: the same errors, exit 78 (EX_CONFIG).
    let (code, _, stderr) = daemon.cli(&["config", "reload"]).await;
    assert_eq!(code, 78, "{stderr}");
    assert!(stderr.contains("config not reloaded") && stderr.contains("port: must be 1 to 65535"), "{stderr}");
    let (status, body) = daemon.post("/api/v1/config/reload", json!({})).await;
    assert_eq!((status, body["code"].clone()), (400, json!("config_invalid")), "{body}");
    assert_eq!(body["errors"][0]["key"], "port", "{body}");

    // Fixed by dropping extra: it goes, and nothing is said any more.
    let fixed = good.replace(&http_check("extra", &target, ""), "");
    let before = daemon.get("/api/v1/config").await["last_reload"]["at"].as_str().unwrap().to_owned();
    save(&daemon, &fixed);
    let reload = next_reload(&daemon, Some(&before), "the fixed file is loaded").await;
    assert_eq!((reload["ok"].clone(), ids(&reload["changes"]["removed"])), (json!(true), vec!["extra"]), "{reload}");
    assert_eq!(check_ids(&daemon).await, ["api", "web"]);
    let health = daemon.get("/healthz").await;
    assert!(!health["degraded"].to_string().contains("config: "), "{health}");
    let (status, _) = daemon.get_any("/api/v1/checks/extra").await;
    assert_eq!(status, 404);

    // An explicit reload of an unchanged file is done and recorded; the CLI says so.
    let (code, stdout, stderr) = daemon.cli(&["config", "reload"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("config reloaded in ") && stdout.contains("2 unchanged"), "{stdout}");
    let last = daemon.get("/api/v1/config").await["last_reload"].clone();
    assert_eq!((last["trigger"].clone(), ids(&last["changes"]["unchanged"])), (json!("cli"), vec!["api", "web"]));
    assert!(!daemon.log().contains("panicked"), "{}", daemon.log());
    daemon.stop();
}

/// A removed check's open incident ends "removed from config", keeping its cause; a
/// renamed check is one removed and one added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_check_ends_its_incident_and_a_rename_is_a_removal_and_an_addition() {
    let good = Target::start(Behaviour::Ok).await;
    let bad = Target::start(Behaviour::Status(500)).await;
    let job = "[[check]]\nid = \"job\"\nkind = \"heartbeat\"\ngrace = \"1h\"\n";
    let daemon =
        Daemon::start(&format!("{}{}{job}", http_check("api", &good, ""), http_check("broken", &bad, ""))).await;
    let push = daemon.get("/api/v1/checks/job").await["push"]["url"].as_str().unwrap().to_owned();
    let ping = || async { reqwest::Client::new().post(&push).send().await.unwrap().status().as_u16() };
    assert_eq!(ping().await, 200, "the job pings");
    daemon.wait_status("broken", "down", WAIT).await;
    let open = daemon.wait_incidents("broken's incident opens", |i| i.iter().any(|i| i["check"] == "broken")).await;
    assert!(open[0]["resolved_at"].is_null());

    std::fs::write(config_path(&daemon), http_check("api", &good, "")).unwrap();
    let (status, reload) = daemon.post("/api/v1/config/reload", json!({})).await;
    assert_eq!(status, 200, "{reload}");
    assert_eq!((reload["trigger"].clone(), ids(&reload["changes"]["removed"])), (json!("api"), vec!["broken", "job"]));
    assert_ne!(ping().await, 200, "a removed heartbeat's URL takes no more pings");
    // Committed before the answer: the history says so at once.
    let incidents = daemon.incidents().await;
    let ended = incidents.iter().find(|i| i["check"] == "broken").expect("the incident is kept");
    assert!(ended["resolved_at"].is_string(), "{ended}");
    assert_eq!(ended["resolved_as"], "removed from config", "{ended}");
    assert!(ended["cause"].as_str().unwrap().contains("500"), "its cause is kept: {ended}");

    // Renamed: api becomes orders.
    std::fs::write(config_path(&daemon), http_check("orders", &good, "")).unwrap();
    let (status, reload) = daemon.post("/api/v1/config/reload", json!({})).await;
    assert_eq!(status, 200, "{reload}");
    assert_eq!((ids(&reload["changes"]["added"]), ids(&reload["changes"]["removed"])), (vec!["orders"], vec!["api"]));
    daemon.wait_status("orders", "up", WAIT).await;
    assert_eq!(check_ids(&daemon).await, ["orders"]);
    daemon.stop();
}

/// One check changed among 1,000: the 999 others keep their runtime (same state, not
/// probed again at once), and the time to apply is measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_check_changed_among_a_thousand_leaves_the_others_alone() {
    // A server that accepts every connection (a bare listener's backlog would fill).
    let target = Target::start(Behaviour::Ok).await;
    let port = reqwest::Url::parse(&target.url()).unwrap().port().unwrap();
    let checks = |changed: &str| {
        (0..1000)
            .map(|i| {
                let name = if i == 500 { changed } else { "" };
                format!("[[check]]\nid = \"c{i}\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = {port}\ninterval = \"1m\"\n{name}\n")
            })
            .collect::<String>()
    };
    let daemon = Daemon::start(&checks("")).await;
    eventually(WAIT, "every check has its first result", || async {
        let status = daemon.get("/api/v1/status").await;
        status["checks"].as_array().unwrap().iter().all(|c| c["status"] == "up").then_some(())
    })
    .await;
    let before = daemon.check("c1").await;

    std::fs::write(config_path(&daemon), checks("name = \"the one\"")).unwrap();
    let (status, reload) = daemon.post("/api/v1/config/reload", json!({})).await;
    assert_eq!(status, 200, "{reload}");
    assert_eq!(ids(&reload["changes"]["changed"]), ["c500"]);
    assert_eq!(reload["changes"]["unchanged"].as_array().unwrap().len(), 999);
    let took = reload["took_ms"].as_f64().unwrap();
    eprintln!("one check changed among 1,000 applied in {took:.1} ms (debug build)");
    let after = daemon.check("c1").await;
    assert_eq!((after["since"].clone(), after["last"].clone()), (before["since"].clone(), before["last"].clone()));
    assert_eq!(daemon.check("c500").await["name"], "the one");
    daemon.stop();
}

/// A storm of SIGHUPs while the file changes: the daemon stays, reloads one at a time,
/// and ends with the last file applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sighup_storm_reloads_whole_and_ends_on_the_last_file() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&http_check("c0", &target, "")).await;
    daemon.wait_status("c0", "up", WAIT).await;
    let pid = daemon.pid() as libc::pid_t;
    let mut text = String::new();
    for i in 0..20 {
        text.push_str(&http_check(&format!("c{i}"), &target, ""));
        std::fs::write(config_path(&daemon), &text).unwrap();
        // SAFETY: a signal to the daemon this test spawned.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    }
    let ids: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
    eventually(WAIT, "the last file is applied", || async { (check_ids(&daemon).await == ids).then_some(()) }).await;
    let last = daemon.get("/api/v1/config").await["last_reload"].clone();
    assert_eq!(last["ok"], true, "{last}");
    assert!(["signal", "watch"].contains(&last["trigger"].as_str().unwrap()), "{last}");
    assert!(daemon.log().contains("SIGHUP: reloading the config"));
    daemon.wait_status("c19", "up", WAIT).await;
    let (status, _) = daemon.get_any("/api/v1/status").await;
    assert_eq!(status, 200, "still serving");
    daemon.stop();
}

/// The file deleted, then made a directory, while watched: the running config stays and
/// the fault is said with its fix; a good file saved again is loaded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_deleted_or_made_a_directory_keeps_the_running_config() {
    let target = Target::start(Behaviour::Ok).await;
    let text = http_check("api", &target, "");
    let daemon = Daemon::start(&text).await;
    daemon.wait_status("api", "up", WAIT).await;
    let path = config_path(&daemon);

    std::fs::remove_file(&path).unwrap();
    let gone = next_reload(&daemon, None, "the deletion is seen").await;
    assert_eq!(gone["ok"], false, "{gone}");
    assert!(gone["errors"][0]["message"].as_str().unwrap().contains("cannot read the config file"), "{gone}");
    assert!(gone["errors"][0]["resolution"].as_str().unwrap().contains("create it"), "{gone}");
    assert_eq!(check_ids(&daemon).await, ["api"], "the running config stays");

    std::fs::create_dir(&path).unwrap();
    let (status, body) = daemon.post("/api/v1/config/reload", json!({})).await;
    assert_eq!((status, body["code"].clone()), (400, json!("config_invalid")), "{body}");
    assert!(body["errors"][0]["resolution"].as_str().unwrap().contains("not a directory"), "{body}");
    let health = daemon.get("/healthz").await;
    assert!(health["degraded"].to_string().contains("config: "), "{health}");

    std::fs::remove_dir(&path).unwrap();
    reload_where(&daemon, "the directory's removal is seen", |last| {
        last["errors"][0]["message"].as_str().is_some_and(|m| m.contains("No such file"))
    })
    .await;
    let failures = daemon.log().matches("config not reloaded").count();
    write_in_two_parts(&path, &format!("{text}{}", http_check("web", &target, "")));
    let reload = reload_where(&daemon, "the file written again is loaded", |last| last["ok"] == true).await;
    assert_eq!(ids(&reload["changes"]["added"]), ["web"], "{reload}");
    assert_eq!(daemon.log().matches("config not reloaded").count(), failures, "a half-written file is never read");
    daemon.stop();
}

/// Writes `text` in two writes a moment apart, the first ending mid-table: what a slow
/// copy does.
fn write_in_two_parts(path: &Path, text: &str) {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).unwrap();
    let half = text.len() - 30;
    file.write_all(&text.as_bytes()[..half]).unwrap();
    file.flush().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    file.write_all(&text.as_bytes()[half..]).unwrap();
}

/// Checks added, replaced and removed through the API: the file keeps every other byte,
/// a bad change leaves it untouched, and a stale version is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_are_added_replaced_and_removed_in_the_file_keeping_the_rest() {
    let target = Target::start(Behaviour::Ok).await;
    let head = format!(
        "# my monitors\n[settings]\ninterval = \"1s\"  # fast\n\n# the API\n{}\n# end of file\n",
        http_check("api", &target, "# keep me")
    );
    let daemon = Daemon::start(&head).await;
    daemon.wait_status("api", "up", WAIT).await;
    let port = reqwest::Url::parse(&target.url()).unwrap().port().unwrap();
    let file = || std::fs::read_to_string(config_path(&daemon)).unwrap();

    // Added: appended, everything before it as it was, and probed.
    let (status, reload) = daemon
        .post("/api/v1/checks", json!({"id": "db", "kind": "tcp", "host": "127.0.0.1", "port": port, "interval": "1s"}))
        .await;
    assert_eq!(status, 201, "{reload}");
    assert_eq!(ids(&reload["changes"]["added"]), ["db"]);
    let text = file();
    assert!(text.starts_with(&head), "every byte before the new table is kept:\n{text}");
    assert_eq!(
        &text[head.len()..],
        format!("\n[[check]]\nid = \"db\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\ninterval = \"1s\"\nport = {port}\n")
    );
    daemon.wait_status("db", "up", WAIT).await;

    // What a form starts from: the keys as written, with the file's version.
    let keys = daemon.get("/api/v1/checks/api/config").await;
    assert_eq!(keys["keys"]["url"], target.url());
    let version = keys["version"].as_str().unwrap().to_owned();
    assert_eq!(daemon.get("/api/v1/config").await["version"], version);

    // Replaced in place: its comment and the rest stay.
    let response = daemon
        .request(reqwest::Method::PUT, "/api/v1/checks/api")
        .await
        .bearer_auth(&daemon.token)
        .header("If-Match", format!("\"{version}\""))
        .json(&json!({"kind": "http", "url": target.url(), "name": "Orders", "interval": "300ms", "timeout": "250ms", "failure_threshold": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = file();
    assert!(
        text.starts_with(
            "# my monitors\n[settings]\ninterval = \"1s\"  # fast\n\n# the API\n[[check]]\nid = \"api\"\n"
        ),
        "{text}"
    );
    assert!(text.contains("name = \"Orders\"") && text.contains("# end of file\n"), "{text}");
    assert_eq!(daemon.check("api").await["name"], "Orders");

    // A stale version: 409, nothing written.
    let before = file();
    let response = daemon
        .request(reqwest::Method::DELETE, "/api/v1/checks/db")
        .await
        .bearer_auth(&daemon.token)
        .header("If-Match", version.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "config_changed", "{body}");
    assert_eq!(file(), before);

    // Wrong types and a duplicate id: 400 with the key, the file untouched.
    let (status, body) =
        daemon.post("/api/v1/checks", json!({"id": "bad", "kind": "tcp", "host": "x", "port": "ssh"})).await;
    assert_eq!((status, body["code"].clone()), (400, json!("config_invalid")), "{body}");
    assert!(
        body["errors"].as_array().unwrap().iter().any(|e| e["message"].as_str().unwrap().contains("port")),
        "{body}"
    );
    let (status, body) =
        daemon.post("/api/v1/checks", json!({"id": "db", "kind": "tcp", "host": "x", "port": 1})).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("duplicate id"), "{body}");
    let (status, body) =
        daemon.post("/api/v1/checks", json!({"id": "n", "kind": "tcp", "host": "x", "port": null})).await;
    assert_eq!((status, body["errors"][0]["key"].clone()), (400, json!("port")), "{body}");
    assert_eq!(file(), before, "a refused change writes nothing");

    // The file changed on disk and not loaded (it has an error): edits wait for it.
    std::fs::write(config_path(&daemon), format!("{before}\n[[check]\n")).unwrap();
    reload_where(&daemon, "the broken file is seen", |last| last["ok"] == false).await;
    let (status, body) =
        daemon.post("/api/v1/checks", json!({"id": "later", "kind": "tcp", "host": "x", "port": 1})).await;
    assert_eq!((status, body["code"].clone()), (409, json!("config_changed")), "{body}");
    std::fs::write(config_path(&daemon), &before).unwrap();
    reload_where(&daemon, "the fixed file is loaded", |last| last["ok"] == true).await;

    // Removed: gone from the file and from the checks.
    let response = daemon
        .request(reqwest::Method::DELETE, "/api/v1/checks/db")
        .await
        .bearer_auth(&daemon.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(!file().contains("id = \"db\""));
    assert_eq!(check_ids(&daemon).await, ["api"]);
    let (status, _) = daemon
        .request(reqwest::Method::DELETE, "/api/v1/checks/db")
        .await
        .bearer_auth(&daemon.token)
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 404);
    daemon.stop();
}

/// "Test now" probes a check once without saving it; the schema has each kind's keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_is_tested_before_it_is_saved_and_forms_have_each_kind_s_keys() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&http_check("api", &target, "")).await;
    let port = reqwest::Url::parse(&target.url()).unwrap().port().unwrap();
    let before = std::fs::read_to_string(config_path(&daemon)).unwrap();
    let (status, trial) =
        daemon.post("/api/v1/checks/test", json!({"kind": "tcp", "host": "127.0.0.1", "port": port})).await;
    assert_eq!((status, trial["status"].clone()), (200, json!("up")), "{trial}");
    assert!(trial["latency_ms"].as_f64().is_some(), "{trial}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (_, trial) =
        daemon.post("/api/v1/checks/test", json!({"kind": "tcp", "host": "127.0.0.1", "port": closed})).await;
    assert_eq!((trial["status"].clone(), trial["class"].clone()), (json!("down"), json!("refused")), "{trial}");
    let (status, body) = daemon.post("/api/v1/checks/test", json!({"kind": "tcp", "host": "127.0.0.1"})).await;
    assert_eq!((status, body["code"].clone()), (400, json!("config_invalid")), "{body}");
    assert_eq!(std::fs::read_to_string(config_path(&daemon)).unwrap(), before, "testing saves nothing");
    assert_eq!(check_ids(&daemon).await, ["api"]);

    let schema = daemon.get("/api/v1/config/schema").await;
    let http = &schema["$defs"]["kinds"]["http"];
    assert!(http["required"].as_array().unwrap().contains(&json!("url")), "{http}");
    assert!(http["properties"]["url"]["description"].as_str().is_some_and(|d| !d.is_empty()), "{http}");
    assert!(schema["$defs"]["RawCheck"]["properties"]["interval"].is_object());
    daemon.stop();
}

/// Pasted lines become checks to review, then are added at once: one write, one reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_lines_are_reviewed_then_added_at_once() {
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&http_check("api", &target, "")).await;
    let port = reqwest::Url::parse(&target.url()).unwrap().port().unwrap();
    let lines = format!("{}\n127.0.0.1:{port}\n# skipped\nnot a host\n{}\n", target.url(), target.url());
    let (status, preview) =
        daemon.post("/api/v1/checks/bulk/preview", json!({"lines": lines, "defaults": {"interval": "1s"}})).await;
    assert_eq!(status, 200, "{preview}");
    let proposals = preview["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 4, "{preview}");
    let proposed: Vec<&str> = proposals.iter().filter_map(|p| p["check"]["id"].as_str()).collect();
    let (url, tcp) = (format!("127-0-0-1-{port}-health"), format!("127-0-0-1-{port}"));
    assert_eq!(proposed, [url.as_str(), &tcp, &format!("{url}-2")], "unique ids: {preview}");
    assert_eq!(proposals[2]["error"], "a line is one URL, `host:port` or host name");
    assert!(proposals.iter().filter(|p| p["check"].is_object()).all(|p| p["check"]["interval"] == "1s"));
    let (status, body) = daemon.post("/api/v1/checks/bulk/preview", json!({"lines": "x", "kind": "smtp"})).await;
    assert_eq!((status, body["code"].clone()), (400, json!("bad_bulk_kind")), "{body}");

    let checks: Vec<Value> = proposals.iter().filter(|p| p["check"].is_object()).map(|p| p["check"].clone()).collect();
    let (status, reload) = daemon.post("/api/v1/checks/bulk", json!({"checks": checks})).await;
    assert_eq!(status, 201, "{reload}");
    assert_eq!(ids(&reload["changes"]["added"]).len(), 3, "{reload}");
    for id in [url.clone(), format!("{url}-2")] {
        daemon.wait_status(&id, "up", WAIT).await;
    }
    // Added again: the ids are taken now, so the whole batch is refused and nothing written.
    let before = std::fs::read_to_string(config_path(&daemon)).unwrap();
    let (status, body) = daemon.post("/api/v1/checks/bulk", json!({"checks": checks})).await;
    assert_eq!((status, body["code"].clone()), (400, json!("config_invalid")), "{body}");
    assert_eq!(std::fs::read_to_string(config_path(&daemon)).unwrap(), before);
    daemon.stop();
}

/// Channels change live: a saved new address is where the next notification goes, with
/// no restart and nothing pending; a removed channel gives up what it still held, said
/// as "removed from config"; an added one delivers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_are_changed_added_and_removed_by_a_reload() {
    let service = Target::start(Behaviour::Ok).await;
    let (first, second) = (Target::start(Behaviour::Ok).await, Target::start(Behaviour::Ok).await);
    let dead = Target::start(Behaviour::Status(500)).await;
    let hook = |id: &str, target: &Target| {
        format!("[[channel]]\nid = \"{id}\"\nkind = \"webhook\"\nurl = \"{}\"\n", target.url())
    };
    let config = |channels: &[(&str, &Target)]| {
        let ids: Vec<String> = channels.iter().map(|(id, _)| format!("\"{id}\"")).collect();
        let tables: String = channels.iter().map(|(id, target)| hook(id, target)).collect();
        format!(
            "[alerts]\ngroup_wait = \"0s\"\nchannels = [{}]\n\n{tables}{}",
            ids.join(", "),
            http_check("svc", &service, "")
        )
    };
    let daemon = Daemon::start(&config(&[("hook", &first)])).await;
    daemon.wait_status("svc", "up", WAIT).await;
    service.set(Behaviour::Status(503));
    eventually(WAIT, "the first address is told of the opening", || async { first.posted().first().cloned() }).await;

    // The address changed in the file: the channel is set anew, not left for a restart.
    save(&daemon, &config(&[("hook", &second)]));
    let reload =
        reload_where(&daemon, "the channel is set anew", |r| r["changes"]["channels"] == json!(["hook"])).await;
    assert_eq!((reload["ok"].clone(), reload["pending"].clone()), (json!(true), json!([])), "{reload}");
    service.set(Behaviour::Ok);
    eventually(WAIT, "the new address is told of the recovery", || async { second.posted().first().cloned() }).await;
    assert_eq!(first.posted().len(), 1, "the old address hears nothing more");

    // A channel whose receiver fails holds its notification for another try...
    save(&daemon, &config(&[("hook", &second), ("dead", &dead)]));
    let added =
        reload_where(&daemon, "the dead channel is added", |r| r["changes"]["channels"] == json!(["dead"])).await;
    service.set(Behaviour::Status(503));
    let held = eventually(WAIT, "the dead channel's delivery is being retried", || async {
        let log = daemon.get("/api/v1/notifications?channel=dead").await;
        log["notifications"].as_array()?.iter().find(|n| n["attempts"].as_u64() >= Some(1)).cloned()
    })
    .await;
    assert_eq!(held["delivered"], Value::Null, "{held}");
    // ... until it is removed: then it is given up, and said why.
    save(&daemon, &config(&[("hook", &second)]));
    let removed = next_reload(&daemon, added["at"].as_str(), "the dead channel is removed").await;
    assert_eq!(removed["changes"]["channels"], json!(["dead"]), "{removed}");
    let given_up = eventually(WAIT, "the held notification is given up", || async {
        // The whole log: a removed channel is no longer one to filter by.
        let log = daemon.get("/api/v1/notifications").await;
        log["notifications"].as_array()?.iter().find(|n| n["id"] == held["id"] && n["delivered"] == false).cloned()
    })
    .await;
    assert_eq!(given_up["error"], "removed from config", "{given_up}");
    assert!(!daemon.get("/healthz").await.to_string().contains("channel dead"), "a removed channel is not failing");
    eventually(WAIT, "the kept channel is told of the second opening", || async {
        (second.posted().len() >= 2).then_some(())
    })
    .await;
    daemon.stop();
}

/// What this machine listens on and no check watches is suggested, a health path found
/// over HTTP; a suggestion is a check ready to add, and a watched port is not suggested.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listening_ports_not_watched_are_suggested_with_their_health_path() {
    let watched = Target::start(Behaviour::Ok).await;
    let web = Target::start(Behaviour::Ok).await;
    let bare = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bare_port = bare.local_addr().unwrap().port();
    let port_of = |t: &Target| reqwest::Url::parse(&t.url()).unwrap().port().unwrap();
    let daemon = Daemon::start(&http_check("api", &watched, "")).await;
    let found = daemon.get("/api/v1/suggestions").await;
    let list = found["suggestions"].as_array().unwrap();
    let at = |port: u16| {
        list.iter().find(|s| {
            s["check"]["port"] == port || s["check"]["url"].as_str().is_some_and(|u| u.contains(&format!(":{port}/")))
        })
    };
    let http = at(port_of(&web)).unwrap_or_else(|| panic!("the HTTP service is suggested: {found}"));
    assert_eq!(http["kind"], "http", "{http}");
    assert_eq!(http["check"]["url"], format!("http://127.0.0.1:{}/health", port_of(&web)), "{http}");
    assert!(http["title"].as_str().unwrap().contains("(it-"), "the process is named: {http}");
    let tcp = at(bare_port).unwrap_or_else(|| panic!("the bare port is suggested: {found}"));
    assert_eq!((tcp["kind"].clone(), tcp["check"]["kind"].clone()), (json!("port"), json!("tcp")), "{tcp}");
    assert_eq!(tcp["check"]["id"], tcp["id"]);
    assert!(at(port_of(&watched)).is_none(), "a watched port is not suggested: {found}");
    let own = reqwest::Url::parse(&daemon.url).unwrap().port().unwrap();
    assert!(at(own).is_none(), "nor Watchkeeper's own: {found}");

    // One click: the suggestion's check is added as it is.
    let (status, reload) = daemon.post("/api/v1/checks", tcp["check"].clone()).await;
    assert_eq!(status, 201, "{reload}");
    daemon.wait_status(tcp["id"].as_str().unwrap(), "up", WAIT).await;
    let found = daemon.get("/api/v1/suggestions").await;
    assert!(!found.to_string().contains(&format!("\"port\":{bare_port}")), "now watched, no longer suggested: {found}");

    let (code, stdout, stderr) = daemon.cli(&["suggest", "--config", config_path(&daemon).to_str().unwrap()]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("url = \"http://127.0.0.1:{}/health\"", port_of(&web))), "{stdout}");
    drop(bare);
    daemon.stop();
}

/// A failed systemd unit is suggested where the manager's bus answers (here a fake
/// manager on a private bus given as the system bus), as a `systemctl is-active` check
/// that compiles; one a check already names is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_systemd_units_are_suggested_where_the_bus_answers() {
    use crate::support::systemd::{FakeSystemd, PrivateBus};
    let dir = tempfile::tempdir().unwrap();
    let bus = PrivateBus::start(dir.path()).await;
    let systemd = FakeSystemd::default();
    let _serving = systemd.serve(&bus).await;
    systemd.fail("backup.service", "Nightly backup");
    systemd.fail("mail-relay.service", "Mail relay");
    let config = "[[check]]\nid = \"relay\"\nkind = \"command\"\ncommand = [\"systemctl\", \"is-active\", \"mail-relay\"]\ninterval = \"1h\"\n";
    let env =
        [("DBUS_SYSTEM_BUS_ADDRESS", bus.address.as_str()), ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")];
    let daemon = Daemon::start_with_env(config, &env).await;
    let found = daemon.get("/api/v1/suggestions").await;
    let units: Vec<&Value> = found["suggestions"].as_array().unwrap().iter().filter(|s| s["kind"] == "unit").collect();
    assert_eq!(units.len(), 1, "only the unwatched failed unit: {found}");
    let unit = units[0];
    assert_eq!(unit["id"], "unit-backup", "{unit}");
    assert_eq!(unit["title"], "system unit backup.service (Nightly backup)", "{unit}");
    assert_eq!(
        unit["check"],
        json!({"id": "unit-backup", "kind": "command", "name": "Nightly backup", "command": ["systemctl", "is-active", "--quiet", "backup.service"]})
    );
    // Ready to add as it is: the compiler takes it.
    let (status, body) = daemon.post("/api/v1/checks/test", unit["check"].clone()).await;
    assert_eq!(status, 200, "{body}");
    daemon.stop();

    // No bus at all: no unit suggested, and the rest still answers.
    let daemon =
        Daemon::start_with_env(config, &[("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/system_bus")]).await;
    let found = daemon.get("/api/v1/suggestions").await;
    assert!(found["suggestions"].as_array().unwrap().iter().all(|s| s["kind"] != "unit"), "{found}");
    daemon.stop();
}

/// Other monitors' configs, written from their documented formats: each imported into
/// checks that compile, each item left out said with why; `--write` adds them through
/// the running daemon, or into the file with none running; another format is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_monitors_configs_are_imported_with_what_they_cannot_say() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/imports");
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "uptime-kuma-backup.json",
            6,
            vec![
                "skipped monitor \"Gateway ping\": a ping (ICMP) monitor",
                "skipped monitor \"Broker\": a `mqtt` monitor",
            ],
        ),
        ("gatus.yaml", 4, vec!["skipped endpoint \"icmp-ping\"", "condition `[DOMAIN_EXPIRATION] > 720h` left out"]),
        ("monitrc", 9, vec!["skipped check fifo myfifo", "declare a restart [[action]]"]),
    ];
    for (file, count, said) in cases {
        let config = dir.path().join(format!("{file}.toml"));
        std::fs::write(&config, "").unwrap();
        let path = fixtures.join(file);
        let (code, stdout, stderr) =
            crate::support::run_cli(&["import", path.to_str().unwrap(), "--config", config.to_str().unwrap()]);
        assert_eq!(code, 0, "{file}: {stderr}");
        for line in said {
            assert!(stderr.contains(line), "{file}: {line}\n{stderr}");
        }
        let out = dir.path().join(format!("{file}.out.toml"));
        std::fs::write(&out, &stdout).unwrap();
        let (code, valid, stderr) = crate::support::run_cli(&["config", "validate", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{file}: what is printed compiles:\n{stdout}\n{stderr}");
        assert!(valid.contains(&format!("valid ({count} checks")), "{file}: {valid}");
    }
    // Not a monitor's config: said, with how to say which it is.
    let (code, _, stderr) =
        crate::support::run_cli(&["import", dir.path().join("gatus.yaml.out.toml").to_str().unwrap()]);
    assert_eq!(code, 65, "{stderr}");
    assert!(stderr.contains("not in any format read here") && stderr.contains("--format"), "{stderr}");
    let (code, _, stderr) =
        crate::support::run_cli(&["import", fixtures.join("monitrc").to_str().unwrap(), "--format", "gatus"]);
    assert_eq!(code, 65, "{stderr}");
    assert!(stderr.contains("not a Gatus config"), "{stderr}");

    // --write, through the running daemon: a Gatus config of loopback services.
    let target = Target::start(Behaviour::Ok).await;
    let daemon = Daemon::start(&http_check("api", &target, "")).await;
    let port = reqwest::Url::parse(&target.url()).unwrap().port().unwrap();
    let gatus = daemon.path().join("gatus.yaml");
    std::fs::write(&gatus, format!("endpoints:\n  - name: web\n    url: \"{}\"\n    interval: 1s\n    conditions:\n      - \"[STATUS] == 200\"\n  - name: port\n    url: \"tcp://127.0.0.1:{port}\"\n    interval: 1s\n", target.url())).unwrap();
    let config = config_path(&daemon);
    let (code, stdout, stderr) =
        daemon.cli(&["import", gatus.to_str().unwrap(), "--write", "--config", config.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("added 2 checks to the running config"), "{stdout}");
    daemon.wait_status("web", "up", WAIT).await;
    daemon.wait_status("port", "up", WAIT).await;
    let dir = daemon.stop();

    // With none running: into the file, compiled whole first.
    let config = dir.path().join("watchkeeper.toml");
    let (code, stdout, stderr) = crate::support::run_cli(&[
        "import",
        gatus.to_str().unwrap(),
        "--write",
        "--config",
        config.to_str().unwrap(),
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("added 2 checks to"), "{stdout}");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("id = \"web-2\"") && text.contains("id = \"port-2\""), "ids kept unique: {text}");
}

/// `install-service` writes a systemd user unit that `systemd-analyze verify` accepts,
/// whose command runs the daemon on this config and data dir (a path with a space
/// included) and whose reload is SIGHUP; a differing unit is replaced only when asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_service_writes_a_unit_that_verifies_and_runs_the_daemon() {
    let target = Target::start(Behaviour::Ok).await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("my home");
    std::fs::create_dir_all(&home).unwrap();
    let (config, data) = (home.join("wk.toml"), home.join("data"));
    std::fs::write(&config, http_check("api", &target, "")).unwrap();
    let xdg = home.join(".config");
    let env = [("XDG_CONFIG_HOME", xdg.to_str().unwrap())];
    let args = ["install-service", "--config", config.to_str().unwrap(), "--data-dir", data.to_str().unwrap()];
    let (code, stdout, stderr) = crate::support::run_cli_with(&args, &env);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("systemctl --user enable --now watchkeeper"), "{stdout}");
    let unit_path = xdg.join("systemd/user/watchkeeper.service");
    let unit = std::fs::read_to_string(&unit_path).unwrap();
    let verified = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit_path)
        .output()
        .expect("systemd-analyze runs");
    assert!(
        verified.status.success(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(unit.contains("ExecReload=/bin/kill -HUP $MAINPID") && unit.contains("WantedBy=default.target"), "{unit}");

    // Its command, as systemd splits it, runs the daemon.
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap();
    let words = split_quoted(exec);
    assert_eq!(words[1..5], ["run", "--config", config.to_str().unwrap(), "--data-dir"], "{exec}");
    let mut child =
        std::process::Command::new(&words[0]).args(&words[1..]).stderr(std::process::Stdio::null()).spawn().unwrap();
    let api: Value = eventually(WAIT, "the unit's daemon writes api.json", || async {
        std::fs::read_to_string(data.join("api.json")).ok().and_then(|t| serde_json::from_str(&t).ok())
    })
    .await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |path: &str| {
        client.get(format!("{}{path}", api["url"].as_str().unwrap())).bearer_auth(api["token"].as_str().unwrap()).send()
    };
    // `systemctl --user reload`: SIGHUP.
    // SAFETY: a signal to the child this test spawned.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGHUP) }, 0);
    eventually(WAIT, "the reload is SIGHUP's", || async {
        let config: Value = get("/api/v1/config").await.ok()?.json().await.ok()?;
        (config["last_reload"]["trigger"] == "signal").then_some(())
    })
    .await;
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    assert!(child.wait().unwrap().success());

    // Another config: refused unless forced; the same again: nothing to do.
    let other = ["install-service", "--config", "/elsewhere.toml", "--data-dir", data.to_str().unwrap()];
    let (code, _, stderr) = crate::support::run_cli_with(&other, &env);
    assert_eq!(code, 65, "{stderr}");
    assert!(stderr.contains("exists and differs") && stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&unit_path).unwrap(), unit, "not replaced");
    let (code, stdout, _) = crate::support::run_cli_with(&args, &env);
    assert_eq!((code, stdout.contains("already installed")), (0, true), "{stdout}");
    let forced: Vec<&str> = other.iter().copied().chain(["--force"]).collect();
    assert_eq!(crate::support::run_cli_with(&forced, &env).0, 0);
    assert!(std::fs::read_to_string(&unit_path).unwrap().contains("/elsewhere.toml"));
}

/// A command line as systemd splits it: words, `"…"` one word (with `\"` and `\\`).
fn split_quoted(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quoted, mut escaped, mut any) = (Vec::new(), String::new(), false, false, false);
    for c in line.chars() {
        match (c, quoted, escaped) {
            (c, true, true) => {
                word.push(c);
                escaped = false;
            }
            ('\\', true, false) => escaped = true,
            ('"', _, _) => {
                quoted = !quoted;
                any = true;
            }
            (' ', false, _) => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (c, _, _) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
}
