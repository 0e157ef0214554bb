//! The fault matrix: what the daemon must survive and tell. Bugs that panic; damaged,
//! cut and read-only histories and data dirs; `kill -9` under write load; a full disk;
//! hostile targets; signals under load. Each is told with its fix, and nothing the user
//! had is lost.

use std::time::Duration;

use tokio::io::AsyncWriteExt as _;
use watchkeeper::engine::Engine;
use watchkeeper::store::Store;

/// A panic anywhere in the process (here, a thread of this test's) is counted by the
/// hook the daemon installs, and `/healthz` turns degraded and says it: a bug that was
/// survived is still a bug to report.
#[tokio::test]
async fn a_caught_panic_turns_healthz_degraded_and_says_so() {
    watchkeeper::panics::install();
    let dir = tempfile::tempdir().unwrap();
    let config = "[[check]]\nid = \"db\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\ninterval = \"1h\"\n";
    let config = watchkeeper::config::compile(config, "test.toml").unwrap().config;
    let (store, _) = Store::open(dir.path()).unwrap();
    let running = Engine::start(config, store, crate::support::engine_options()).unwrap();
    let joined = std::thread::spawn(|| panic!("a bug in a worker")).join();
    assert!(joined.is_err());
    let health = watchkeeper::api::health(&running.engine);
    assert_eq!(health.status, watchkeeper::api::dto::HealthStatusDto::Degraded);
    let said = health.degraded.iter().find(|d| d.starts_with("internal error:")).expect("healthz tells the panic");
    assert!(said.contains("caught and survived") && said.contains("report it with the log"), "{said}");
    assert!(said.contains("(at tests/it/faults.rs:"), "where it was: {said}");
    running.shutdown().await;
}

const ONE_CHECK: &str = "[[check]]\nid = \"db\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\ninterval = \"1h\"\nfailure_threshold = 1\n";

/// A dir with a config and `data/history.db` holding `bytes`.
fn with_history(bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("watchkeeper.toml"), ONE_CHECK).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/history.db"), bytes).unwrap();
    dir
}

/// A real history of a few hundred pages, cut in the middle of one.
fn cut_history() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection.execute_batch("CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t (x);").unwrap();
    for n in 0..2000 {
        connection.execute("INSERT INTO t VALUES (?1)", [format!("row {n} {}", "x".repeat(200))]).unwrap();
    }
    drop(connection);
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 100 * 4096);
    bytes[..bytes.len() / 2 + 1000].to_vec()
}

fn pseudo_random(n: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A damaged history (random bytes; a real one cut mid-page): `doctor` says so and
/// changes nothing; the daemon then moves it aside, kept byte for byte, starts a new
/// one, and `/healthz` and the tray say so with where the old file is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_history_is_kept_aside_and_told_and_doctor_changes_nothing() {
    for (what, bytes) in [("random bytes", pseudo_random(64 * 1024)), ("cut mid-page", cut_history())] {
        let dir = with_history(&bytes);
        let data = dir.path().join("data");
        let (config, data_arg) = (dir.path().join("watchkeeper.toml"), data.to_str().unwrap().to_owned());
        let (code, stdout, stderr) =
            crate::support::run_cli(&["doctor", "--config", config.to_str().unwrap(), "--data-dir", &data_arg]);
        assert!(stdout.contains("is damaged") && stdout.contains("the next start moves it aside"), "{what}: {stdout}");
        assert!(stdout.contains("doctor changed nothing"), "{what}: {stdout}");
        assert_eq!(code, 0, "a damaged history is a warning (the start handles it): {stderr}");
        let files: Vec<_> = std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, ["history.db"], "{what}: doctor created, moved or removed nothing");
        assert_eq!(std::fs::read(data.join("history.db")).unwrap(), bytes, "{what}: and wrote nothing");

        let daemon = crate::support::Daemon::start_in(dir).await;
        let health = daemon.get("/healthz").await;
        assert_eq!(health["status"], "degraded", "{what}: {health}");
        let said =
            health["degraded"].as_array().unwrap().iter().filter_map(|d| d.as_str()).find(|d| d.contains("damaged"));
        let said = said.unwrap_or_else(|| panic!("{what}: healthz tells the damage: {health}"));
        let aside = said.split("moved to ").nth(1).and_then(|rest| rest.split(';').next()).expect("where it went");
        assert!(aside.starts_with(data.join("history.db.corrupt-").to_str().unwrap()), "{what}: {said}");
        assert_eq!(std::fs::read(aside).unwrap(), bytes, "{what}: the old file is kept as it was");
        daemon.wait_status("db", "down", std::time::Duration::from_secs(30)).await;
        let integrity: String = crate::support::daemon::open_history(&data)
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        daemon.stop();
    }
}

/// The tray's menu carries what `/healthz` says is off, under its summary.
#[tokio::test]
async fn the_tray_says_what_is_off_in_watchkeeper_itself() {
    let dir = tempfile::tempdir().unwrap();
    let config = watchkeeper::config::compile(ONE_CHECK, "test.toml").unwrap().config;
    let (store, _) = Store::open(dir.path()).unwrap();
    let line =
        "history: the database was damaged and moved to /x/history.db.corrupt-20261206T101010; a new one was started";
    let options = watchkeeper::engine::Options { degraded: vec![line.to_owned()], ..crate::support::engine_options() };
    let running = Engine::start(config, store, options).unwrap();
    let view = watchkeeper::desktop::tray_view(&running.engine);
    assert!(view.own.iter().any(|own| own == &format!("⚠ Watchkeeper: {line}")), "{:?}", view.own);
    running.shutdown().await;
}

/// Makes `path` (a file or a dir) read-only for the daemon until dropped: a read-only
/// bind mount of it on itself as root (who ignores permissions), else its mode.
struct ReadOnly {
    path: std::path::PathBuf,
    mounted: bool,
}

impl ReadOnly {
    fn make(path: &std::path::Path) -> ReadOnly {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            let mount = |args: &[&str]| {
                let status = std::process::Command::new("mount").args(args).arg(path).arg(path).status();
                assert!(status.is_ok_and(|s| s.success()), "mount {args:?} {}", path.display());
            };
            mount(&["--bind"]);
            mount(&["-o", "remount,ro,bind"]);
        } else {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = if path.is_dir() { 0o555 } else { 0o444 };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        ReadOnly { path: path.to_owned(), mounted: root }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.mounted {
            let _ = std::process::Command::new("umount").arg(&self.path).status();
        } else {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = if self.path.is_dir() { 0o755 } else { 0o644 };
            let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(mode));
        }
    }
}

/// A history that reads but may not be written, and a data dir that may not be
/// written: `doctor` and `run` name the file and say what to do, and nothing is
/// moved, changed or lost.
#[test]
fn read_only_history_and_data_dir_are_named_with_their_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (config, data) = (dir.path().join("watchkeeper.toml"), dir.path().join("data"));
    std::fs::write(&config, ONE_CHECK).unwrap();
    std::fs::create_dir(&data).unwrap();
    watchkeeper::store::Store::open(&data).map(drop).expect("a good history");
    let before = std::fs::read(data.join("history.db")).unwrap();
    let (config, data_arg) = (config.to_str().unwrap(), data.to_str().unwrap());
    let history = data.join("history.db");
    {
        let _read_only = ReadOnly::make(&history);
        let (_, stdout, _) = crate::support::run_cli(&["doctor", "--config", config, "--data-dir", data_arg]);
        assert!(stdout.contains(&format!("{} reads, but may not be written", history.display())), "{stdout}");
        assert!(stdout.contains("help: make history.db and the data dir writable"), "{stdout}");
        let (code, _, stderr) = crate::support::run_daemon_expecting_exit(config.as_ref(), &data);
        assert_eq!(code, 74, "{stderr}");
        assert!(
            stderr
                .contains(&format!("error: cannot write {}: attempt to write a readonly database", history.display())),
            "{stderr}"
        );
        assert!(
            stderr.contains("help: make history.db and the data dir writable by the user running watchkeeper"),
            "{stderr}"
        );
    }
    assert_eq!(std::fs::read(&history).unwrap(), before, "the history is as it was");
    assert!(
        !std::fs::read_dir(&data).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("corrupt")),
        "nothing moved aside"
    );

    std::fs::remove_file(data.join("watchkeeper.lock")).unwrap();
    let _read_only = ReadOnly::make(&data);
    let (code, _, stderr) = crate::support::run_daemon_expecting_exit(config.as_ref(), &data);
    assert_eq!(code, 74, "{stderr}");
    let lock = data.join("watchkeeper.lock");
    assert!(stderr.contains(&format!("error: cannot use the data dir: {}: ", lock.display())), "{stderr}");
    assert!(stderr.contains("help: ") && stderr.contains("or pass another --data-dir"), "{stderr}");
    let (_, stdout, _) = crate::support::run_cli(&["doctor", "--config", config, "--data-dir", data_arg]);
    assert!(stdout.contains(&format!("{} is not writable", data.display())), "{stdout}");
}

/// `n` http checks of `target`, probed every 100 ms, down at the first failure.
fn busy_config(target: &crate::support::Target, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "[[check]]\nid = \"c{i:02}\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"100ms\"\ntimeout = \"90ms\"\nfailure_threshold = 1\nbreaker = {{ enabled = false }}\n\n",
                target.url()
            )
        })
        .collect()
}

fn results_in(data: &std::path::Path) -> i64 {
    if !data.join("history.db").exists() {
        return 0;
    }
    crate::support::daemon::open_history(data).query_row("SELECT count(*) FROM results", [], |r| r.get(0)).unwrap_or(0)
}

/// The history after a crash: whole (`PRAGMA integrity_check`), and never two open
/// incidents for one check.
fn assert_history_whole(data: &std::path::Path, when: &str) {
    let history = crate::support::daemon::open_history(data);
    let integrity: String = history.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap();
    assert_eq!(integrity, "ok", "{when}");
    let doubled: Vec<String> = history
        .prepare("SELECT check_id FROM incidents WHERE resolved_at IS NULL GROUP BY check_id HAVING count(*) > 1")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(doubled.is_empty(), "{when}: checks with two open incidents: {doubled:?}");
    // Each check's chain (`store::results`) reaches all its results from its head.
    let by_check = |sql: &str| -> Counts {
        let mut statement = history.prepare(sql).unwrap();
        statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let chained = by_check(
        "WITH RECURSIVE chain (id, check_id) AS (
             SELECT last_id, check_id FROM result_heads
             UNION ALL
             SELECT r.prev, c.check_id FROM chain c JOIN results r ON r.id = c.id WHERE r.prev < c.id
         )
         SELECT c.check_id, COUNT(*) FROM chain c JOIN results r ON r.id = c.id AND r.check_id = c.check_id
         GROUP BY c.check_id ORDER BY c.check_id",
    );
    let results = by_check("SELECT check_id, COUNT(*) FROM results GROUP BY check_id ORDER BY check_id");
    assert_eq!(chained, results, "{when}: each check's results from its head");
}

/// Whether results were committed after the last one the rollups hold (the writer
/// writes its rollups every few seconds: a kill leaves those to the next open).
fn rollups_behind(data: &std::path::Path) -> bool {
    let history = crate::support::daemon::open_history(data);
    history
        .query_row("SELECT (SELECT MAX(id) FROM results) > (SELECT last_result_id FROM rollup_mark)", [], |r| r.get(0))
        .unwrap_or(false)
}

/// A count by check.
type Counts = Vec<(String, i64)>;

/// Each check's results as its minute rollups count them, and as the results are.
fn rolled_up_and_results(data: &std::path::Path) -> (Counts, Counts) {
    let history = crate::support::daemon::open_history(data);
    let by_check = |sql: &str| -> Counts {
        let mut statement = history.prepare(sql).unwrap();
        statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    (
        by_check("SELECT check_id, SUM(count) FROM rollup_minute GROUP BY check_id ORDER BY check_id"),
        by_check("SELECT check_id, COUNT(*) FROM results GROUP BY check_id ORDER BY check_id"),
    )
}

/// `kill -9` at 50 moments of write load (results committing, incidents opening and
/// resolving as the target flips): after each, the history is whole, holds no
/// duplicate open incident, and the next start goes on from it, rolling up the results
/// the killed one had committed but not rolled up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_kills_under_write_load_leave_the_history_whole() {
    let target = crate::support::Target::start(crate::support::Behaviour::Ok).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("watchkeeper.toml"), busy_config(&target, 20)).unwrap();
    let data = dir.path().join("data");
    let mut dir = Some(dir);
    let mut behind = 0;
    for kill in 0..50 {
        target.set(if kill % 3 == 0 { crate::support::Behaviour::Status(503) } else { crate::support::Behaviour::Ok });
        let before = results_in(&data);
        let daemon = crate::support::Daemon::start_in(dir.take().unwrap()).await;
        // A different moment of the write load each time: after 1 to 4 batches.
        let batches = 1 + kill % 4;
        crate::support::eventually(Duration::from_secs(30), "results are committed", || async {
            (results_in(&data) >= before + 20 * batches as i64).then_some(())
        })
        .await;
        dir = Some(daemon.kill());
        assert_history_whole(&data, &format!("after kill {}", kill + 1));
        behind += usize::from(rollups_behind(&data));
    }
    assert!(behind > 0, "no kill came before the rollups were written: the catch-up was never tried");
    let daemon = crate::support::Daemon::start_in(dir.take().unwrap()).await;
    target.set(crate::support::Behaviour::Ok);
    daemon.wait_status("c00", "up", Duration::from_secs(30)).await;
    assert_eq!(daemon.get("/healthz").await["status"], "ok");
    let dir = daemon.stop();
    let data = dir.path().join("data");
    assert_history_whole(&data, "after a clean stop");
    let (rolled_up, results) = rolled_up_and_results(&data);
    assert_eq!(rolled_up, results, "every result is rolled up once, whatever the kills took ({behind} behind)");
}

/// Hostile targets: one that trickles a byte at a time, one whose body never ends, one
/// that never answers, one that speaks something else than HTTP, one whose headers
/// never end. Each check fails within its timeout with what happened, and the daemon
/// goes on answering, its memory untouched by the endless body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_targets_fail_their_checks_and_harm_nothing() {
    use crate::support::{Behaviour, Target};
    let trickle = Target::start(Behaviour::Trickle).await;
    let endless = Target::start(Behaviour::Endless).await;
    let silent = Target::start(Behaviour::Hang).await;
    let garbage = raw_server(|mut socket| async move {
        let _ = socket.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n").await;
    })
    .await;
    let headers = raw_server(|mut socket| async move {
        let _ = socket.write_all(b"HTTP/1.1 200 OK\r\n").await;
        for n in 0..10_000 {
            if socket.write_all(format!("x-more-{n}: yes\r\n").as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let check = |id: &str, url: &str| {
        format!("[[check]]\nid = \"{id}\"\nkind = \"http\"\nurl = \"{url}\"\ninterval = \"1s\"\ntimeout = \"800ms\"\nfailure_threshold = 1\nbreaker = {{ enabled = false }}\n\n")
    };
    let config = [
        check("trickle", &trickle.url()),
        check("endless", &endless.url()),
        check("silent", &silent.url()),
        check("garbage", &format!("http://{garbage}/")),
        check("headers", &format!("http://{headers}/")),
    ]
    .concat();
    let daemon = crate::support::Daemon::start(&config).await;
    for (id, class) in
        [("trickle", "timeout"), ("endless", "body_too_large"), ("silent", "timeout"), ("headers", "timeout")]
    {
        let down = daemon.wait_status(id, "down", Duration::from_secs(30)).await;
        assert_eq!(down["last"]["failure"]["class"], class, "{id}: {down}");
        let latency = down["last"]["latency_ms"].as_f64().unwrap_or_default();
        assert!(latency <= 800.0 + 1000.0, "{id}: never past its timeout and the guard's grace: {latency} ms");
    }
    let garbled = daemon.wait_status("garbage", "down", Duration::from_secs(30)).await;
    let class = garbled["last"]["failure"]["class"].as_str().unwrap().to_owned();
    assert!(["connection", "http_status"].contains(&class.as_str()), "not a probe error: {garbled}");
    assert!(!garbled["last"]["message"].as_str().unwrap().is_empty());
    // Another round of each: nothing piles up, and the daemon answers throughout.
    let probes = |m: &str| {
        m.lines().find_map(|l| l.strip_prefix("watchkeeper_probes_total ")).and_then(|v| v.parse::<f64>().ok())
    };
    let metrics = daemon.request(reqwest::Method::GET, "/metrics").await.send().await.unwrap().text().await.unwrap();
    let before = probes(&metrics).unwrap();
    crate::support::eventually(Duration::from_secs(30), "five more probes", || async {
        let metrics = daemon.request(reqwest::Method::GET, "/metrics").await.send().await.ok()?.text().await.ok()?;
        (probes(&metrics)? >= before + 5.0).then_some(())
    })
    .await;
    let health = daemon.get("/healthz").await;
    assert_eq!(health["status"], "ok", "{health}");
    let status = std::fs::read_to_string(format!("/proc/{}/status", daemon.pid())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap();
    // The endless body is cut at `max_body` (1 MB): a daemon that read it whole would
    // have grown by hundreds of MB by now.
    assert!(peak_kb < 200 * 1024, "peak RSS {peak_kb} kB");
}

/// A loopback TCP server that runs `serve` on each connection.
async fn raw_server<F, Fut>(serve: F) -> std::net::SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serve = std::sync::Arc::new(serve);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let serve = serve.clone();
            tokio::spawn(async move {
                // The request first, as a server reads it.
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tokio::io::AsyncReadExt::read(&mut socket, &mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                serve(socket).await
            });
        }
    });
    addr
}

/// SIGHUP under load reloads the config and is survived; SIGINT and SIGTERM under load end the
/// daemon cleanly (exit 0, `api.json` gone, the history whole).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_under_load_are_survived_or_end_it_cleanly() {
    let target = crate::support::Target::start(crate::support::Behaviour::Ok).await;
    let daemon = crate::support::Daemon::start(&busy_config(&target, 40)).await;
    daemon.wait_status("c39", "up", Duration::from_secs(30)).await;
    for _ in 0..3 {
        // SAFETY: kill(2) on the daemon's pid, a child of this test.
        unsafe { libc::kill(daemon.pid() as i32, libc::SIGHUP) };
    }
    crate::support::eventually(Duration::from_secs(10), "the SIGHUP is logged", || async {
        daemon.log().contains("SIGHUP").then_some(())
    })
    .await;
    assert_eq!(daemon.get("/healthz").await["status"], "ok", "it goes on after SIGHUP");
    let mut daemon = daemon;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let dir = daemon.stop_with(signal);
        let data = dir.path().join("data");
        assert!(!data.join("api.json").exists(), "api.json is removed on signal {signal}");
        assert_history_whole(&data, &format!("after signal {signal}"));
        daemon = crate::support::Daemon::start_in(dir).await;
        daemon.wait_status("c39", "up", Duration::from_secs(30)).await;
    }
}

/// A tmpfs of its own (root mounts it), unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(path: &std::path::Path, size: &str) -> Tmpfs {
        // SAFETY: geteuid has no preconditions.
        assert_eq!(unsafe { libc::geteuid() }, 0, "a full disk is a real small file system: run the suite as root");
        std::fs::create_dir_all(path).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "mount a tmpfs on {}", path.display());
        Tmpfs(path.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` to the last byte: a file written until ENOSPC.
fn fill(dir: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write as _;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    loop {
        match file.write(&block) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    // The last few bytes too.
    while file.write(&[0u8]).is_ok_and(|n| n == 1) {}
    path
}

/// A full disk under write load: `/healthz` says history commits fail and why, the
/// checks go on being probed and shown, nothing is lost; once space is freed the kept
/// results are written, `/healthz` is ok again, and the history is whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_told_survived_and_recovered_from() {
    let target = crate::support::Target::start(crate::support::Behaviour::Ok).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("watchkeeper.toml"), busy_config(&target, 20)).unwrap();
    let data = dir.path().join("data");
    let _tmpfs = Tmpfs::mount(&data, "16m");
    let daemon = crate::support::Daemon::start_in(dir).await;
    daemon.wait_status("c19", "up", Duration::from_secs(30)).await;
    let filler = fill(&data);

    let failing = |health: &serde_json::Value| {
        health["degraded"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|d| d.as_str())
            .find(|d| d.starts_with("history: disk full"))
            .map(str::to_owned)
    };
    let said = crate::support::eventually(Duration::from_secs(60), "healthz tells the failing commits", || async {
        failing(&daemon.get("/healthz").await)
    })
    .await;
    let expected = format!("history: disk full ({}, 0B free): ", data.display());
    assert!(said.starts_with(&expected) && said.ends_with("; free some space there"), "{said}");
    let kept: u64 = said[expected.len()..].split(' ').next().unwrap().parse().expect("how many are kept");
    assert!(kept > 0, "{said}");
    let full_since = chrono::Utc::now().timestamp_millis();
    // Watching goes on: results still come (in memory), the API answers.
    target.set(crate::support::Behaviour::Status(503));
    daemon.wait_status("c00", "down", Duration::from_secs(30)).await;
    target.set(crate::support::Behaviour::Ok);
    daemon.wait_status("c00", "up", Duration::from_secs(30)).await;

    // Until the queue holds a few seconds of results.
    crate::support::eventually(Duration::from_secs(60), "results pile up in memory", || async {
        let said = failing(&daemon.get("/healthz").await)?;
        let kept: u64 = said[expected.len()..].split(' ').next()?.parse().ok()?;
        (kept >= 400).then_some(())
    })
    .await;
    let freed_at = chrono::Utc::now().timestamp_millis();
    std::fs::remove_file(&filler).unwrap();
    crate::support::eventually(Duration::from_secs(60), "healthz is clear once the disk takes writes", || async {
        failing(&daemon.get("/healthz").await).is_none().then_some(())
    })
    .await;
    let health = daemon.get("/healthz").await;
    assert!(!health["degraded"].to_string().contains("dropped"), "the queue held them all: {health}");
    let history = crate::support::daemon::open_history(&data);
    // What was probed while the disk was full is history now: a check at 100 ms has
    // its results of that time (half of them at least, on a loaded machine).
    let kept: i64 = history
        .query_row(
            "SELECT count(*) FROM results WHERE check_id = 'c07' AND at >= ?1 AND at < ?2",
            [full_since, freed_at],
            |r| r.get(0),
        )
        .unwrap();
    assert!(kept * 100 * 2 >= freed_at - full_since, "{kept} results in {} ms of a full disk", freed_at - full_since);
    let incidents: i64 =
        history.query_row("SELECT count(*) FROM incidents WHERE check_id = 'c00'", [], |r| r.get(0)).unwrap();
    assert_eq!(incidents, 1, "the incident of the full-disk time was kept and written");
    drop(history);
    let dir = daemon.stop();
    assert_history_whole(&dir.path().join("data"), "after the disk was full");
}
