//! Faults the daemon must survive and tell: bugs that panic, damaged and read-only
//! history files, files that are not UTF-8. Each is told with its fix, and nothing the
//! user had is lost.

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
