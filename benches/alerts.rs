//! Alerts, measured from outside: `cargo xtask bench alerts` (or `cargo bench --bench
//! alerts`), against the daemon as a process and loopback receivers.
//!
//! 1. A storm: 50 http checks (interval 1s, `failure_threshold = 1`) whose target
//!    starts failing at once; for 20 s, how many notifications each channel received
//!    (a webhook, a command, and the desktop's decisions in the log). Goal: one each.
//! 2. Latency: one such check fails `WK_BENCH_ROUNDS` times (default 20) at a random
//!    phase of its interval; the time from the failure to the webhook's delivery, p50
//!    and p99, with `group_wait = "0s"` and with the default 5 s. Goal: within the
//!    interval + 100 ms + `group_wait`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Router;

#[derive(Clone, Default)]
struct Shared {
    failing: Arc<AtomicBool>,
    /// Webhook deliveries: when, and the event.
    received: Arc<Mutex<Vec<(Instant, serde_json::Value)>>>,
}

fn main() {
    let rounds: usize = std::env::var("WK_BENCH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let shared = Shared::default();
    let (target, hook) = runtime.block_on(serve(shared.clone()));
    println!("watchkeeper alerts benchmark");
    storm(&shared, &target, &hook);
    for group_wait in ["0s", "5s"] {
        latency(&shared, &target, &hook, group_wait, rounds);
    }
}

async fn serve(shared: Shared) -> (String, String) {
    let target = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let hook = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (target_url, hook_url) = (
        format!("http://{}/health", target.local_addr().expect("addr")),
        format!("http://{}/hook", hook.local_addr().expect("addr")),
    );
    let health = Router::new()
        .fallback(|State(s): State<Shared>| async move {
            if s.failing.load(Ordering::SeqCst) {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            }
        })
        .with_state(shared.clone());
    let receiver = Router::new()
        .fallback(|State(s): State<Shared>, body: String| async move {
            let at = Instant::now();
            if let Ok(value) = serde_json::from_str(&body) {
                s.received.lock().expect("lock").push((at, value));
            }
            StatusCode::OK
        })
        .with_state(shared);
    tokio::spawn(async move { axum::serve(target, health).await });
    tokio::spawn(async move { axum::serve(hook, receiver).await });
    (target_url, hook_url)
}

struct Daemon {
    child: std::process::Child,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
}

impl Daemon {
    fn start(config: &str) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("watchkeeper.toml");
        std::fs::write(&path, config).expect("write config");
        let data = dir.path().join("data");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_watchkeeper"))
            .args(["run", "--listen", "127.0.0.1:0", "--config"])
            .arg(&path)
            .arg("--data-dir")
            .arg(&data)
            .env("WATCHKEEPER_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start the daemon");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !data.join("api.json").exists() {
            assert!(Instant::now() < deadline, "the daemon did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Daemon { child, _dir: dir, data }
    }

    /// `watchkeeper notifications --json` through the CLI: the log.
    fn log(&self) -> Vec<serde_json::Value> {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_watchkeeper"))
            .args(["notifications", "--limit", "1000", "--json", "--data-dir"])
            .arg(&self.data)
            .output()
            .expect("the CLI runs");
        let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
        log["notifications"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

fn check(i: usize, target: &str) -> String {
    format!(
        "[[check]]\nid = \"svc-{i:02}\"\nkind = \"http\"\nurl = \"{target}\"\ninterval = \"1s\"\ntimeout = \"900ms\"\nfailure_threshold = 1\nbreaker = {{ enabled = false }}\n\n"
    )
}

fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn storm(shared: &Shared, target: &str, hook: &str) {
    println!("\n== a storm: 50 checks fail at once (interval 1s, failure_threshold 1, group_wait 5s)");
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = dir.path().join("command.jsonl");
    let mut config = format!(
        "[alerts]\nchannels = [\"desktop\", \"hook\", \"script\"]\n\n[[channel]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"{hook}\"\n\n[[channel]]\nid = \"script\"\nkind = \"command\"\ncommand = [\"sh\", \"-c\", \"cat >> '{}'; echo >> '{}'\"]\n\n",
        lines.display(),
        lines.display()
    );
    for i in 0..50 {
        config.push_str(&check(i, target));
    }
    shared.failing.store(false, Ordering::SeqCst);
    shared.received.lock().expect("lock").clear();
    let daemon = Daemon::start(&config);
    std::thread::sleep(Duration::from_secs(3));
    shared.failing.store(true, Ordering::SeqCst);
    std::thread::sleep(Duration::from_secs(20));
    let webhook = shared.received.lock().expect("lock").len();
    let command = std::fs::read_to_string(&lines).unwrap_or_default().lines().filter(|l| !l.is_empty()).count();
    let log = daemon.log();
    let desktop = log.iter().filter(|n| n["channel"] == "desktop").count();
    let named = log
        .iter()
        .filter(|n| n["channel"] == "hook")
        .map(|n| n["checks"].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    println!("  webhook: {webhook} notification(s), naming {named} checks");
    println!("  command: {command} notification(s)");
    println!("  desktop: {desktop} decision(s) in the log (headless: not shown)");
    shared.failing.store(false, Ordering::SeqCst);
}

fn latency(shared: &Shared, target: &str, hook: &str, group_wait: &str, rounds: usize) {
    println!(
        "\n== failure to webhook delivery: interval 1s, failure_threshold 1, group_wait {group_wait}, {rounds} rounds"
    );
    // It fails and recovers every round on purpose: flap detection would (rightly)
    // hold those openings, so it is off here.
    let config = format!(
        "[alerts]\ngroup_wait = \"{group_wait}\"\nchannels = [\"hook\"]\nflap = {{ enabled = false }}\n\n[[channel]]\nid = \"hook\"\nkind = \"webhook\"\nurl = \"{hook}\"\n\n{}",
        check(0, target)
    );
    shared.failing.store(false, Ordering::SeqCst);
    shared.received.lock().expect("lock").clear();
    let _daemon = Daemon::start(&config);
    std::thread::sleep(Duration::from_secs(2));
    let mut samples = Vec::new();
    for round in 0..rounds {
        // A random phase of the check's interval.
        std::thread::sleep(Duration::from_millis(u64::from(phase(round)) % 1000));
        let before = shared.received.lock().expect("lock").len();
        let failed_at = Instant::now();
        shared.failing.store(true, Ordering::SeqCst);
        let event = |n: usize, want: &str| {
            shared.received.lock().expect("lock").get(n).filter(|(_, v)| v["event"] == want).map(|(at, _)| *at)
        };
        wait_until(Duration::from_secs(30), "the opening is delivered", || event(before, "opened").is_some());
        let at = event(before, "opened").expect("delivered");
        samples.push(at.duration_since(failed_at));
        shared.failing.store(false, Ordering::SeqCst);
        wait_until(Duration::from_secs(30), "the recovery is delivered", || event(before + 1, "resolved").is_some());
    }
    samples.sort();
    let pick = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "  p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (goal: within {} ms)",
        pick(0.5).as_secs_f64() * 1000.0,
        pick(0.99).as_secs_f64() * 1000.0,
        samples.last().expect("samples").as_secs_f64() * 1000.0,
        1100 + if group_wait == "5s" { 5000 } else { 0 }
    );
}

/// A spread of phases without a random number generator.
fn phase(round: usize) -> u32 {
    (round as u32).wrapping_mul(2_654_435_761) >> 16
}
