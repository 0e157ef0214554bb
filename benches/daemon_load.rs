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
//! SPEC's bar is Monit at the same rate, measured beside it by `cargo xtask bench --vs monit`
//! (benches/vs_monit.rs): 137 to 170 µs of CPU per HTTP check in 7.4 to 8.0 MB RSS here.
//! `WK_BENCH_SECS` sets the measuring window (default 30 s).

use std::time::{Duration, Instant};

use axum::Router;

#[path = "common.rs"]
mod common;
use common::{
    clock_ticks, cpu_ticks, fetch, memory_mb, metric, probes, spawn_daemon, stop, wait_for_api, wait_for_first_result,
};

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
    println!("  bar: SPEC under 25 MB RSS, lag p99 under 20 ms; Monit side by side: `cargo xtask bench --vs monit`");
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
    let mut child = spawn_daemon(&config_path, &data, "warn");
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
    stop(child);

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

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
