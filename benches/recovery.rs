//! Recovery, measured: `cargo xtask bench recovery` (or `cargo bench --bench recovery`).
//!
//! 1. Cleanup rate: a tree of 100,000 old files (100 folders of 1,000), planned (dry
//!    run), moved to the quarantine, and put back (undo), through the CLI; files/s.
//! 2. Self-healing: a command check (`test -f FLAG`, interval 1s, `failure_threshold =
//!    1`) whose `auto_action` (`after = 1`; `stable_for = 2s`, so each outage starts
//!    without backoff) creates the flag. The flag is removed five times; for each, the time from the check going down (its incident's start) to
//!    the verified run's end, and to the incident's resolution.
//!
//! `WK_BENCH_FILES` sets the tree's size (default 100000).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let files: usize = std::env::var("WK_BENCH_FILES").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    println!("watchkeeper recovery benchmark");
    cleanup_rate(files);
    self_healing();
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_watchkeeper")
}

fn cli(args: &[&str]) -> (bool, String, Duration) {
    let started = Instant::now();
    let output = Command::new(binary()).args(args).output().expect("watchkeeper runs");
    let took = started.elapsed();
    (output.status.success(), String::from_utf8_lossy(&output.stdout).into_owned(), took)
}

fn cleanup_rate(files: usize) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let root = dir.path().join("tree");
    let old = std::time::SystemTime::now() - Duration::from_secs(30 * 86_400);
    let made = Instant::now();
    for i in 0..files {
        let folder = root.join(format!("d{:03}", i / 1000));
        if i % 1000 == 0 {
            std::fs::create_dir_all(&folder).expect("a folder");
        }
        let path = folder.join(format!("f{i:06}.log"));
        let file = std::fs::File::create(&path).expect("a file");
        file.set_modified(old).expect("an old mtime");
    }
    println!("\n1. cleanup of {files} files (made in {:.1}s)", made.elapsed().as_secs_f64());
    let config = dir.path().join("wk.toml");
    let text = format!(
        "[[action]]\nid = \"prune\"\nkind = \"cleanup\"\npath = \"{}\"\npattern = \"*.log\"\nolder_than = \"7d\"\nquarantine = \"1h\"\ntimeout = \"10m\"\n",
        root.display()
    );
    std::fs::write(&config, text).expect("the config");
    let data = dir.path().join("data");
    let (config, data) = (config.to_str().unwrap(), data.to_str().unwrap());
    let rate = |took: Duration| files as f64 / took.as_secs_f64();
    let (ok, out, took) = cli(&["action", "run", "prune", "--dry-run", "--config", config, "--data-dir", data]);
    assert!(ok && out.contains(&format!("would remove {files} files")), "{}", &out[..out.len().min(400)]);
    println!("   dry run (walk + plan): {:.2}s, {:.0} files/s", took.as_secs_f64(), rate(took));
    let (ok, out, took) = cli(&["action", "run", "prune", "--config", config, "--data-dir", data]);
    assert!(ok && out.contains(&format!("removed {files} files")), "{}", &out[..out.len().min(400)]);
    println!("   run (walk + move to quarantine): {:.2}s, {:.0} files/s", took.as_secs_f64(), rate(took));
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("undo it until ")?.rsplit(' ').next()?.strip_suffix('`').map(str::to_owned));
    let id = id.expect("the run's id");
    let (ok, out, took) = cli(&["action", "undo", &id, "--data-dir", data]);
    assert!(ok, "{out}");
    println!("   undo (every file back, mtimes set): {:.2}s, {:.0} files/s", took.as_secs_f64(), rate(took));
}

fn self_healing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let flag = dir.path().join("flag");
    std::fs::write(&flag, "").expect("the flag");
    let config = format!(
        "[[check]]\nid = \"svc\"\nkind = \"command\"\ncommand = [\"test\", \"-f\", \"{flag}\"]\ninterval = \"1s\"\ntimeout = \"900ms\"\nfailure_threshold = 1\nauto_action = {{ action = \"heal\", after = 1 }}\nstable_for = \"2s\"\n\n[[action]]\nid = \"heal\"\nkind = \"command\"\ncommand = [\"touch\", \"{flag}\"]\nmax_runs = 20\n",
        flag = flag.display()
    );
    std::fs::write(dir.path().join("wk.toml"), config).expect("the config");
    let data = dir.path().join("data");
    let mut daemon = Command::new(binary())
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(dir.path().join("wk.toml"))
        .arg("--data-dir")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the daemon starts");
    let api = wait(Duration::from_secs(30), || {
        let text = std::fs::read_to_string(data.join("api.json")).ok()?;
        serde_json::from_str::<serde_json::Value>(&text).ok()
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    let get = |path: &str| {
        let request =
            http.get(format!("{}{path}", api["url"].as_str().unwrap())).bearer_auth(api["token"].as_str().unwrap());
        runtime.block_on(async { request.send().await.ok()?.json::<serde_json::Value>().await.ok() })
    };
    wait(Duration::from_secs(30), || (get("/api/v1/status")?["checks"][0]["status"] == "up").then_some(()));
    println!("\n2. self-healing, after = 1, interval 1s (5 outages)");
    let (mut to_fixed, mut to_resolved) = (Vec::new(), Vec::new());
    for round in 1..=5 {
        std::fs::remove_file(&flag).expect("the flag goes");
        let incident = wait(Duration::from_secs(30), || {
            let incidents = get("/api/v1/incidents")?;
            let newest = incidents["incidents"].as_array()?.first()?.clone();
            (incidents["incidents"].as_array()?.len() == round && !newest["resolved_at"].is_null()).then_some(newest)
        });
        let runs = wait(Duration::from_secs(10), || {
            let runs = get(&format!("/api/v1/action-runs?incident={}", incident["id"]))?;
            runs["runs"].as_array().filter(|r| r.iter().any(|r| r["verified"] == true)).cloned()
        });
        let run = runs.iter().find(|r| r["verified"] == true).expect("a verified run");
        let at = |v: &serde_json::Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
        let down = at(&incident["started_at"]);
        let fixed = at(&run["started_at"]) + chrono::Duration::milliseconds(run["duration_ms"].as_i64().unwrap());
        to_fixed.push((fixed - down).num_milliseconds().max(0));
        to_resolved.push((at(&incident["resolved_at"]) - down).num_milliseconds());
        wait(Duration::from_secs(10), || (get("/api/v1/status")?["checks"][0]["status"] == "up").then_some(()));
        // Stable for `stable_for`, so the next outage starts without backoff.
        std::thread::sleep(Duration::from_millis(3500));
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    let stats = |values: &mut Vec<i64>| {
        values.sort_unstable();
        format!("median {} ms, max {} ms", values[values.len() / 2], values[values.len() - 1])
    };
    println!("   down -> run ended (action run, no verification probe counted): {}", stats(&mut to_fixed));
    println!("   down -> incident resolved (verified, back up): {}", stats(&mut to_resolved));
}

fn wait<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
