//! The daemon under load, measured from outside: `cargo xtask bench` (or
//! `cargo bench --bench daemon_load`).
//!
//! 1. Idle: the default config (this machine and Watchkeeper itself).
//! 2. Steady load: 1,000 HTTP checks at a 10 s interval (100 probes/s) against a
//!    keep-alive loopback target, each behind the default breaker (5 failures in a
//!    row).
//! 3. The same with rate breakers (resilience4j's: a count window of 20 calls), then
//!    with time windows (the calls of the last 60 s): what the windows cost per check.
//!
//! For each: CPU time of the daemon process (from /proc/PID/stat) per probe and as a
//! share of one core, RSS and PSS, and the scheduler lag p99 from /metrics. The
//! SPEC's bar is Monit at the same rate: about 42 µs of CPU per HTTP check in 7.6 MB.
//! `WK_BENCH_SECS` sets the measuring window (default 30 s).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;

fn main() {
    let window = Duration::from_secs(std::env::var("WK_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(30));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let target = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().fallback(|| async { "{\"status\":\"UP\"}" });
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    });

    println!("watchkeeper daemon benchmark (window {}s, {} cores)", window.as_secs(), cores());
    let idle = measure("idle, default config", None, Duration::from_secs(5), window);
    let config = |breaker: &str| {
        let mut config = String::from("[settings]\nmax_in_flight = 256\n");
        for i in 0..1000 {
            config.push_str(&format!(
                "\n[[check]]\nid = \"http-{i}\"\nkind = \"http\"\nurl = \"http://{target}/health/{i}\"\ninterval = \"10s\"\ntimeout = \"5s\"\nexpect = [\"status == 200\"]\n{breaker}\n"
            ));
        }
        config
    };
    let load = measure("1,000 http checks at 10s (100/s)", Some(&config("")), Duration::from_secs(12), window);
    let counted = "breaker = { window = 20, min_calls = 10, failure_rate = 50 }";
    let rates =
        measure("the same, rate breakers over 20 calls", Some(&config(counted)), Duration::from_secs(12), window);
    let timed = "breaker = { window = \"60s\", min_calls = 10, failure_rate = 50 }";
    let times = measure("the same, rate breakers over 60 s", Some(&config(timed)), Duration::from_secs(12), window);
    println!();
    println!("summary");
    println!(
        "  idle:  {:.3}% of one core, RSS {:.1} MB, PSS {:.1} MB",
        idle.cpu_share * 100.0,
        idle.rss_mb,
        idle.pss_mb
    );
    for (name, figures) in [("load", &load), ("rates", &rates), ("times", &times)] {
        println!(
            "  {name}: {:.1} µs CPU per check ({:.2}% of one core at {:.0} checks/s), RSS {:.1} MB, PSS {:.1} MB, lag p99 {:.1} ms",
            figures.cpu_per_probe_us,
            figures.cpu_share * 100.0,
            figures.probes_per_second,
            figures.rss_mb,
            figures.pss_mb,
            figures.lag_p99_ms
        );
    }
    let cost = |figures: &Figures| (figures.cpu_per_probe_us / load.cpu_per_probe_us - 1.0) * 100.0;
    println!(
        "  windows: count {:+.1}%, time {:+.1}% CPU per check against the default breaker (target: a few percent)",
        cost(&rates),
        cost(&times)
    );
    println!(
        "  bar (Monit 5.33 at 100 checks/s): 42 µs per check, 7.6 MB RSS; SPEC: under 25 MB RSS, lag p99 under 20 ms"
    );
}

struct Figures {
    cpu_share: f64,
    cpu_per_probe_us: f64,
    probes_per_second: f64,
    rss_mb: f64,
    pss_mb: f64,
    lag_p99_ms: f64,
}

fn measure(name: &str, config: Option<&str>, warm_up: Duration, window: Duration) -> Figures {
    println!("\n== {name}");
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = dir.path().join("watchkeeper.toml");
    if let Some(config) = config {
        std::fs::write(&config_path, config).expect("write config");
    }
    let data = dir.path().join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_watchkeeper"))
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config_path)
        .arg("--data-dir")
        .arg(&data)
        .env("WATCHKEEPER_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the daemon");
    let pid = child.id();
    let spawned = Instant::now();
    let api = wait_for_api(&data, &mut child);
    let first_result = wait_for_first_result(&api, spawned);
    std::thread::sleep(warm_up);
    let (cpu_before, probes_before, started) = (cpu_ticks(pid), probes(&api), Instant::now());
    std::thread::sleep(window);
    let (cpu_after, probes_after, elapsed) = (cpu_ticks(pid), probes(&api), started.elapsed());
    let metrics = fetch(&api, "/metrics");
    let (rss_mb, pss_mb) = memory_mb(pid);
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let _ = child.wait();

    let user_seconds = (cpu_after.0 - cpu_before.0) as f64 / clock_ticks();
    let system_seconds = (cpu_after.1 - cpu_before.1) as f64 / clock_ticks();
    let cpu_seconds = user_seconds + system_seconds;
    let probes = (probes_after - probes_before).max(0.0);
    let figures = Figures {
        cpu_share: cpu_seconds / elapsed.as_secs_f64(),
        cpu_per_probe_us: if probes > 0.0 { cpu_seconds * 1e6 / probes } else { 0.0 },
        probes_per_second: probes / elapsed.as_secs_f64(),
        rss_mb,
        pss_mb,
        lag_p99_ms: metric(&metrics, "watchkeeper_scheduler_lag_p99_seconds") * 1000.0,
    };
    println!("  probes:    {probes:.0} in {:.1}s ({:.1}/s)", elapsed.as_secs_f64(), figures.probes_per_second);
    println!("  startup:   first result {:.0} ms after spawn", first_result.as_secs_f64() * 1000.0);
    println!(
        "  cpu:       {cpu_seconds:.3}s = {:.3}% of one core (user {user_seconds:.3}s, system {system_seconds:.3}s)",
        figures.cpu_share * 100.0
    );
    if probes > 0.0 {
        println!("  per probe: {:.1} µs of CPU", figures.cpu_per_probe_us);
    }
    println!("  memory:    RSS {rss_mb:.1} MB, PSS {pss_mb:.1} MB");
    println!("  lag p99:   {:.2} ms", figures.lag_p99_ms);
    println!("  dropped:   {}", metric(&metrics, "watchkeeper_results_dropped_total"));
    figures
}

struct Api {
    url: String,
    token: String,
}

/// Time from spawning the daemon until the API shows a check with a result.
fn wait_for_first_result(api: &Api, spawned: Instant) -> Duration {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let status = fetch_authorized(api, "/api/v1/status");
        if status.contains("\"last\":{") {
            return spawned.elapsed();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no result within 30 s of start");
}

fn wait_for_api(data: &std::path::Path, child: &mut Child) -> Api {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(data.join("api.json")) {
            if let Ok(api) = serde_json::from_str::<serde_json::Value>(&text) {
                return Api {
                    url: api["url"].as_str().expect("url").to_owned(),
                    token: api["token"].as_str().expect("token").to_owned(),
                };
            }
        }
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            panic!("the daemon did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A plain HTTP/1.1 GET, so the benchmark adds no client of the daemon's own kind.
fn fetch(api: &Api, path: &str) -> String {
    get(api, path, "")
}

fn fetch_authorized(api: &Api, path: &str) -> String {
    get(api, path, &format!("Authorization: Bearer {}\r\n", api.token))
}

fn get(api: &Api, path: &str, headers: &str) -> String {
    use std::io::{Read as _, Write as _};
    let address = api.url.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(address) else { return String::new() };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Connection: close\r\n\r\n");
    let mut body = String::new();
    let _ = stream.read_to_string(&mut body);
    body
}

fn metric(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

fn probes(api: &Api) -> f64 {
    metric(&fetch(api, "/metrics"), "watchkeeper_probes_total")
}

/// User and system CPU ticks of a process.
fn cpu_ticks(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is 14th, stime 15th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (field(11), field(12))
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}

fn memory_mb(pid: u32) -> (f64, f64) {
    let read = |file: &str, key: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (read("status", "VmRSS:"), read("smaps_rollup", "Pss:"))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
