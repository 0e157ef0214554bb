//! The cleanup action on real trees in temp dirs, through the daemon's API and the CLI:
//! exactly the planned files go (never through a symlink, never past the root's file
//! system), into a quarantine that undo empties back, mtimes and all, never over a
//! path that was taken since.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::support::{assert_config_refused, run_cli, Daemon};

const DAY: Duration = Duration::from_secs(86_400);

/// Sets a path's mtime (a symlink's own, not its target's).
fn age(path: &Path, by: Duration) {
    let when = SystemTime::now() - by;
    let since = when.duration_since(SystemTime::UNIX_EPOCH).unwrap();
    let time = libc::timespec { tv_sec: since.as_secs() as libc::time_t, tv_nsec: since.subsec_nanos() as _ };
    let times = [time, time];
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid C string and two timespecs.
    let done = unsafe { libc::utimensat(libc::AT_FDCWD, c_path.as_ptr(), times.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
    assert_eq!(done, 0, "utimensat {}", path.display());
}

fn write(path: &Path, bytes: usize, old: Option<Duration>) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, vec![b'x'; bytes]).unwrap();
    if let Some(by) = old {
        age(path, by);
    }
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::symlink_metadata(path).unwrap().modified().unwrap()
}

/// A tree with what a cleanup must and must not touch, and the files it must take.
struct Tree {
    root: PathBuf,
    outside: PathBuf,
    expected: Vec<PathBuf>,
}

fn tree(base: &Path) -> Tree {
    let (root, outside) = (base.join("logs"), base.join("outside"));
    write(&outside.join("secret.log"), 10, Some(30 * DAY));
    write(&outside.join("dir/x.log"), 10, Some(30 * DAY));
    write(&root.join("a.log"), 100, Some(10 * DAY));
    write(&root.join("b.log"), 200, Some(9 * DAY));
    write(&root.join("c.log"), 400, None);
    write(&root.join("keep.txt"), 50, Some(30 * DAY));
    write(&root.join("sub/d.log"), 300, Some(8 * DAY));
    let weird = root.join(OsStr::from_bytes(b"weird\nname\xff.log"));
    write(&weird, 5, Some(20 * DAY));
    let readonly = root.join("ro.log");
    write(&readonly, 7, Some(20 * DAY));
    std::fs::set_permissions(&readonly, std::os::unix::fs::PermissionsExt::from_mode(0o444)).unwrap();
    // A symlink to a file outside: at most the link goes, never its target.
    std::os::unix::fs::symlink(outside.join("secret.log"), root.join("out.log")).unwrap();
    age(&root.join("out.log"), 12 * DAY);
    // A symlink to a folder outside: never entered.
    std::os::unix::fs::symlink(outside.join("dir"), root.join("linkdir")).unwrap();
    let expected =
        vec![root.join("a.log"), root.join("b.log"), root.join("sub/d.log"), weird, readonly, root.join("out.log")];
    Tree { root, outside, expected }
}

fn config(root: &Path, extra: &str) -> String {
    format!(
        "[[action]]\nid = \"prune\"\nkind = \"cleanup\"\npath = \"{}\"\npattern = \"*.log\"\nolder_than = \"7d\"\nquarantine = \"1h\"\nmax_runs = 10\n{extra}",
        root.display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cleanup_takes_exactly_its_plan_and_undo_puts_it_back() {
    let base = tempfile::tempdir().unwrap();
    let tree = tree(base.path());
    let before: Vec<SystemTime> = tree.expected.iter().map(|p| mtime(p)).collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("watchkeeper.toml"), config(&tree.root, "")).unwrap();
    let daemon = Daemon::start_in(dir).await;

    let (status, dry) = daemon.post("/api/v1/actions/prune/run", json!({"dry_run": true})).await;
    assert_eq!(status, 200, "{dry}");
    assert_eq!(dry["status"], "dry_run");
    let mut planned: Vec<String> =
        dry["plan"]["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_owned()).collect();
    planned.sort();
    let mut expected: Vec<String> = tree.expected.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    expected.sort();
    assert_eq!(
        planned, expected,
        "exactly these: old *.log, the link itself, odd names; not c.log, keep.txt or anything behind linkdir"
    );
    let bytes = 100 + 200 + 300 + 5 + 7 + std::fs::symlink_metadata(tree.root.join("out.log")).unwrap().len();
    assert_eq!((dry["plan"]["count"].as_u64(), dry["plan"]["bytes"].as_u64()), (Some(6), Some(bytes)), "{dry}");
    assert!(tree.expected.iter().all(|p| std::fs::symlink_metadata(p).is_ok()), "a dry run moves nothing");

    let (status, run) = daemon.post("/api/v1/actions/prune/run", json!({})).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(run["quarantine"]["count"], 6, "{run}");
    assert_eq!(run["quarantine"]["bytes"].as_u64(), Some(bytes));
    assert!(run["quarantine"]["expires_at"].is_string() && run["quarantine"]["undone_at"].is_null(), "{run}");
    for gone in &tree.expected {
        assert!(std::fs::symlink_metadata(gone).is_err(), "{} is gone", gone.display());
    }
    for kept in [
        tree.root.join("c.log"),
        tree.root.join("keep.txt"),
        tree.outside.join("secret.log"),
        tree.outside.join("dir/x.log"),
    ] {
        assert!(kept.exists(), "{} is untouched", kept.display());
    }
    let quarantine = daemon.data_dir().join("quarantine").join(run["quarantine"]["dir"].as_str().unwrap());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(quarantine.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"].as_array().unwrap().len(), 6, "{manifest}");

    let id = run["id"].as_i64().unwrap();
    let (status, undone) = daemon.post(&format!("/api/v1/action-runs/{id}/undo"), json!({})).await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["restored"], 6);
    assert!(undone["run"]["quarantine"]["undone_at"].is_string(), "{undone}");
    for (path, then) in tree.expected.iter().zip(&before) {
        assert_eq!(mtime(path), *then, "{} is back with its mtime", path.display());
    }
    assert_eq!(
        std::fs::read_link(tree.root.join("out.log")).unwrap(),
        tree.outside.join("secret.log"),
        "the link is back as a link"
    );
    let (status, again) = daemon.post(&format!("/api/v1/action-runs/{id}/undo"), json!({})).await;
    assert_eq!((status, &again["code"]), (409, &json!("already_undone")), "{again}");
    let (status, unknown) = daemon.post("/api/v1/action-runs/999/undo", json!({})).await;
    assert_eq!((status, &unknown["code"]), (404, &json!("unknown_run")), "{unknown}");
    let (status, bad) = daemon.post("/api/v1/action-runs/x/undo", json!({})).await;
    assert_eq!((status, &bad["code"]), (400, &json!("bad_request")), "{bad}");

    // Another run; then a new file where an old one was: undo refuses, moves nothing.
    let (_, run) = daemon.post("/api/v1/actions/prune/run", json!({})).await;
    assert_eq!(run["quarantine"]["count"], 6, "{run}");
    std::fs::write(tree.root.join("a.log"), "a new a.log").unwrap();
    let id = run["id"].as_i64().unwrap();
    let (status, taken) = daemon.post(&format!("/api/v1/action-runs/{id}/undo"), json!({})).await;
    assert_eq!((status, &taken["code"]), (409, &json!("path_taken")), "{taken}");
    assert!(taken["message"].as_str().unwrap().contains("a.log"), "{taken}");
    assert_eq!(std::fs::read_to_string(tree.root.join("a.log")).unwrap(), "a new a.log", "never overwritten");
    assert!(std::fs::symlink_metadata(tree.root.join("b.log")).is_err(), "all or none: nothing came back");

    // The CLI undoes it once the path is free, through the daemon.
    std::fs::remove_file(tree.root.join("a.log")).unwrap();
    let data = daemon.data_dir();
    let (code, stdout, stderr) = run_cli(&["action", "undo", &id.to_string(), "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("run {id} undone: 6 files put back")), "{stdout}");
    assert!(tree.root.join("a.log").exists() && tree.root.join("sub/d.log").exists());
}

#[test]
fn a_cleanup_never_leaves_its_file_system_and_deletes_at_once_when_told() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("cache");
    write(&root.join("old.tmp"), 10, Some(3 * DAY));
    let mount = root.join("mnt");
    std::fs::create_dir_all(&mount).unwrap();
    // A tmpfs inside the root, where the machine lets us mount one (root, no sandbox).
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "wk-test", mount.to_str().unwrap()])
        .output()
        .is_ok_and(|o| o.status.success());
    if mounted {
        write(&mount.join("inside.tmp"), 10, Some(3 * DAY));
    } else {
        eprintln!("note: cannot mount a tmpfs here; the other-file-system case is not exercised on this machine");
    }
    let config = base.path().join("wk.toml");
    let text = format!(
        "[[action]]\nid = \"purge\"\nkind = \"cleanup\"\npath = \"{}\"\npattern = \"**/*.tmp\"\nolder_than = \"1d\"\nquarantine = \"0s\"\n",
        root.display()
    );
    std::fs::write(&config, text).unwrap();
    let data = base.path().join("data");
    let args = ["action", "run", "purge", "--config", config.to_str().unwrap(), "--data-dir", data.to_str().unwrap()];
    let (code, stdout, stderr) = run_cli(&args);
    if mounted {
        let _ = std::process::Command::new("umount").arg(&mount).status();
    }
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("removed 1 files (10B)") && stdout.contains("deleted"), "{stdout}");
    assert!(!root.join("old.tmp").exists(), "deleted at once");
    assert!(
        !data.join("quarantine").exists() || std::fs::read_dir(data.join("quarantine")).unwrap().next().is_none(),
        "nothing kept"
    );
    if mounted {
        assert!(stdout.contains("not entered (another file system): mnt"), "{stdout}");
    }
}

#[test]
fn roots_that_would_be_a_disaster_are_refused_by_config() {
    let mut text = String::new();
    for (i, path) in ["/", "/etc", "/var/log", "relative/logs", "/srv/app/../..", "/proc/self"].iter().enumerate() {
        text.push_str(&format!("[[action]]\nid = \"c{i}\"\nkind = \"cleanup\"\npath = \"{path}\"\npattern = \"*\"\nolder_than = \"1d\"\n\n"));
    }
    text.push_str("[[action]]\nid = \"open\"\nkind = \"cleanup\"\npath = \"/srv/app/cache\"\npattern = \"../*\"\n");
    assert_config_refused(
        &text,
        &[
            "action \"c0\": path: `/` is a system folder",
            "action \"c1\": path: `/etc` is a system folder",
            "action \"c2\": path: `/var/log` is a system folder",
            "action \"c3\": path: `relative/logs` is not an absolute path",
            "action \"c4\": path: `/srv/app/../..` has `.` or `..` in it",
            "action \"c5\": path: `/proc/self` is in a kernel file system",
            "action \"open\": says nothing of which files may go",
        ],
    );
}

#[test]
fn a_root_holding_the_data_dir_is_refused_when_it_runs() {
    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("data");
    write(&data.join("old.log"), 10, Some(3 * DAY));
    let config = base.path().join("wk.toml");
    let text = format!(
        "[[action]]\nid = \"p\"\nkind = \"cleanup\"\npath = \"{}\"\npattern = \"*.log\"\nolder_than = \"1d\"\n",
        base.path().display()
    );
    std::fs::write(&config, text).unwrap();
    let (code, stdout, _) =
        run_cli(&["action", "run", "p", "--config", config.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("holds or is inside the data dir"), "{stdout}");
    assert!(data.join("old.log").exists());
}

#[test]
fn without_a_daemon_the_cli_cleans_up_and_undoes_through_the_history() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("cache");
    write(&root.join("old.bin"), 64, Some(3 * DAY));
    write(&root.join("new.bin"), 64, None);
    let config = base.path().join("wk.toml");
    let text = format!(
        "[[action]]\nid = \"purge\"\nkind = \"cleanup\"\npath = \"{}\"\npattern = \"*.bin\"\nolder_than = \"1d\"\n",
        root.display()
    );
    std::fs::write(&config, text).unwrap();
    let data = base.path().join("data");
    let (config, data) = (config.to_str().unwrap(), data.to_str().unwrap());
    let (code, stdout, stderr) = run_cli(&["action", "run", "purge", "--config", config, "--data-dir", data]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!root.join("old.bin").exists() && root.join("new.bin").exists(), "{stdout}");
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("undo it until ")?.rsplit(' ').next()?.strip_suffix('`').map(str::to_owned))
        .unwrap_or_else(|| panic!("the run says how to undo it: {stdout}"));
    let (code, stdout, stderr) = run_cli(&["action", "undo", &id, "--data-dir", data]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("run {id} undone: 1 files put back")), "{stdout}");
    assert!(root.join("old.bin").exists());
    let (code, _, stderr) = run_cli(&["action", "undo", &id, "--data-dir", data]);
    assert_ne!(code, 0);
    assert!(stderr.contains("was undone already"), "{stderr}");
}

/// `keep_newest` alone is rotation: the dry run plans all but the newest, and the run
/// takes them; `keep_newest = 0` alone is refused, located, with the fix.
#[test]
fn keep_newest_alone_rotates_and_zero_alone_is_refused() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("logs");
    for (n, days) in [("app.log.1", 1), ("app.log.2", 2), ("app.log.3", 3), ("app.log.4", 4)] {
        write(&root.join(n), 10, Some(days * DAY));
    }
    let config = base.path().join("wk.toml");
    let text = format!(
        "[[action]]\nid = \"rotate\"\nkind = \"cleanup\"\npath = \"{}\"\npattern = \"app.log.*\"\nkeep_newest = 2\nquarantine = \"0s\"\n",
        root.display()
    );
    std::fs::write(&config, text).unwrap();
    let data = base.path().join("data");
    let (config, data) = (config.to_str().unwrap(), data.to_str().unwrap());
    let (code, stdout, stderr) =
        run_cli(&["action", "run", "rotate", "--dry-run", "--config", config, "--data-dir", data]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("app.log.4") && stdout.contains("app.log.3"), "the two oldest are planned: {stdout}");
    assert!(!stdout.contains("app.log.1") && !stdout.contains("app.log.2"), "the two newest are not: {stdout}");
    let (code, stdout, stderr) = run_cli(&["action", "run", "rotate", "--config", config, "--data-dir", data]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let left: Vec<String> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    let mut left = left;
    left.sort();
    assert_eq!(left, ["app.log.1", "app.log.2"]);

    assert_config_refused(
        "[[action]]\nid = \"all\"\nkind = \"cleanup\"\npath = \"/srv/app/logs\"\npattern = \"*\"\nkeep_newest = 0\n",
        &["wk.toml:6:15: action \"all\": keep_newest: keep_newest = 0 with no other limit removes every matching file", "help: keep 1 or more"],
    );
}
