//! What the daemon benchmarks share: the daemon's API from `api.json`, plain HTTP GETs
//! (no client of the daemon's own kind), `/metrics` figures, and a process's CPU time
//! and memory from `/proc`.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Api {
    pub url: String,
    pub token: String,
}

/// Time from spawning the daemon until the API shows a check with a result.
pub fn wait_for_first_result(api: &Api, spawned: Instant) -> Duration {
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

pub fn wait_for_api(data: &std::path::Path, child: &mut Child) -> Api {
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
pub fn fetch(api: &Api, path: &str) -> String {
    get(api, path, "")
}

pub fn fetch_authorized(api: &Api, path: &str) -> String {
    get(api, path, &format!("Authorization: Bearer {}\r\n", api.token))
}

pub fn get(api: &Api, path: &str, headers: &str) -> String {
    use std::io::{Read as _, Write as _};
    let address = api.url.trim_start_matches("http://");
    let Ok(mut stream) = std::net::TcpStream::connect(address) else { return String::new() };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Connection: close\r\n\r\n");
    let mut body = String::new();
    let _ = stream.read_to_string(&mut body);
    body
}

pub fn metric(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

pub fn probes(api: &Api) -> f64 {
    metric(&fetch(api, "/metrics"), "watchkeeper_probes_total")
}

/// User and system CPU ticks of a process.
pub fn cpu_ticks(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): utime is 14th, stime 15th.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (field(11), field(12))
}

/// A process's CPU time, precisely: from a cgroup (v2) of its own where this user may
/// make one (`cpu.stat`, to the microsecond, threads that ended included), else from
/// each thread's time on a CPU (`schedstat`, in ns), else in clock ticks.
pub struct CpuClock {
    pid: u32,
    group: Option<CpuGroup>,
}

/// What a `CpuClock` read.
pub struct CpuSample {
    group_us: Option<u64>,
    threads: std::collections::BTreeMap<u32, u64>,
    ticks: u64,
}

impl CpuClock {
    pub fn of(pid: u32) -> CpuClock {
        CpuClock { pid, group: CpuGroup::join(pid) }
    }

    pub fn read(&self) -> CpuSample {
        let mut threads = std::collections::BTreeMap::new();
        for entry in std::fs::read_dir(format!("/proc/{}/task", self.pid)).into_iter().flatten().flatten() {
            let Ok(tid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let stat = std::fs::read_to_string(entry.path().join("schedstat")).unwrap_or_default();
            if let Some(ns) = stat.split_whitespace().next().and_then(|f| f.parse().ok()) {
                threads.insert(tid, ns);
            }
        }
        let (user, system) = cpu_ticks(self.pid);
        CpuSample { group_us: self.group.as_ref().and_then(CpuGroup::usage_us), threads, ticks: user + system }
    }
}

impl CpuSample {
    /// The CPU seconds from `before` to this sample.
    pub fn since(&self, before: &CpuSample) -> f64 {
        if let (Some(after), Some(before)) = (self.group_us, before.group_us) {
            return after.saturating_sub(before) as f64 / 1e6;
        }
        // A thread started since counts whole; one that ended cannot be counted.
        if before.threads.keys().all(|tid| self.threads.contains_key(tid)) {
            let sum = |s: &CpuSample| s.threads.values().sum::<u64>();
            return (sum(self) - sum(before)) as f64 / 1e9;
        }
        println!("  (a thread ended in the window: CPU counted in clock ticks)");
        (self.ticks - before.ticks) as f64 / clock_ticks()
    }
}

/// A cgroup v2 holding one process, made under the hierarchy's root; the process is
/// moved back to the root and the group removed when dropped.
struct CpuGroup {
    root: std::path::PathBuf,
    path: std::path::PathBuf,
    pid: u32,
}

impl CpuGroup {
    fn join(pid: u32) -> Option<CpuGroup> {
        let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
        let root = mounts.lines().map(|l| l.split_whitespace().collect::<Vec<_>>()).find_map(|f| {
            (f.get(2) == Some(&"cgroup2") && f.get(3).is_some_and(|o| o.split(',').any(|o| o == "rw")))
                .then(|| std::path::PathBuf::from(f[1]))
        })?;
        let path = root.join(format!("watchkeeper-bench-{pid}"));
        std::fs::create_dir(&path).ok()?;
        let group = CpuGroup { root, path, pid };
        std::fs::write(group.path.join("cgroup.procs"), pid.to_string()).ok()?;
        group.usage_us().map(|_| group)
    }

    fn usage_us(&self) -> Option<u64> {
        let stat = std::fs::read_to_string(self.path.join("cpu.stat")).ok()?;
        stat.lines().find_map(|l| l.strip_prefix("usage_usec ")).and_then(|v| v.trim().parse().ok())
    }
}

impl Drop for CpuGroup {
    fn drop(&mut self) {
        let _ = std::fs::write(self.root.join("cgroup.procs"), self.pid.to_string());
        let _ = std::fs::remove_dir(&self.path);
    }
}

pub fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no memory-safety preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}

pub fn memory_mb(pid: u32) -> (f64, f64) {
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

/// `watchkeeper run` on `config` (which need not exist: the default) and `data`, on a
/// free loopback port, logging at `level`.
pub fn spawn_daemon(config: &std::path::Path, data: &std::path::Path, level: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_watchkeeper"))
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .env("WATCHKEEPER_LOG", level)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the daemon")
}

/// SIGTERM, then waits up to 10 s for the process to end (killed past that).
pub fn stop(mut child: Child) {
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.wait();
}
