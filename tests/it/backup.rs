//! Backups of the history on real files: taken by the CLI while the daemon writes, on
//! schedule with the newest `keep` kept, checked by `watchkeeper db check`, and put in
//! place of a damaged database at start (the newest that reads), the daemon saying so.

use std::path::Path;
use std::time::Duration;

use crate::support::{eventually, run_cli, Daemon};

const WAIT: Duration = Duration::from_secs(30);

/// A check that is down at once (nothing listens on port 1): an incident to find again.
const DOWN: &str = "[[check]]\nid = \"db\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\ninterval = \"200ms\"\ntimeout = \"150ms\"\nfailure_threshold = 1\n";

fn backups(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("backups"))
        .map(|entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_history_is_replaced_by_the_newest_backup_that_reads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("watchkeeper.toml"), DOWN).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let daemon = Daemon::start_in(dir).await;
    let data = daemon.data_dir();
    let data_arg = data.to_str().unwrap().to_owned();
    let incident = daemon.wait_incidents("the check's incident opens", |list| !list.is_empty()).await[0]["id"].clone();

    // Taken by the CLI while the daemon writes: online, whole.
    let (code, out, err) = run_cli(&["backup", "--data-dir", &data_arg]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(&format!("history backed up to {}", data.join("backups/history-").display())), "{out}");
    let taken = backups(&data);
    assert_eq!(taken.len(), 1, "{taken:?}");
    let copy = rusqlite::Connection::open(data.join("backups").join(&taken[0])).unwrap();
    let (check, incidents): (String, i64) = (
        copy.query_row("PRAGMA integrity_check", [], |row| row.get(0)).unwrap(),
        copy.query_row("SELECT COUNT(*) FROM incidents", [], |row| row.get(0)).unwrap(),
    );
    assert_eq!((check.as_str(), incidents), ("ok", 1), "the backup is whole and holds the incident");
    drop(copy);
    // Into a file of one's own, which is never overwritten.
    let own = data.join("mine.db");
    let (code, out, _) = run_cli(&["backup", own.to_str().unwrap(), "--data-dir", &data_arg]);
    assert_eq!(code, 0);
    assert!(out.contains("mine.db"), "{out}");
    let (code, _, err) = run_cli(&["backup", own.to_str().unwrap(), "--data-dir", &data_arg]);
    assert_eq!(code, 64, "an existing file is refused: {err}");
    assert!(err.contains("exists"), "{err}");

    let (code, out, _) = run_cli(&["db", "check", "--data-dir", &data_arg]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(": ok (") && out.contains("1 backup(s), the newest"), "{out}");

    let dir = daemon.stop();
    // A newer backup that is itself damaged is passed over for the good one.
    std::fs::write(data.join("backups/history-20991231T000000Z.db"), b"not a database at all".repeat(300)).unwrap();
    // Pages of the live file overwritten: damaged.
    let history = data.join("history.db");
    let mut bytes = std::fs::read(&history).unwrap();
    let len = bytes.len();
    bytes[4096..len.min(4096 * 6)].fill(0xA5);
    std::fs::write(&history, &bytes).unwrap();
    let (code, out, _) = run_cli(&["db", "check", "--data-dir", &data_arg]);
    assert_eq!(code, 1, "damaged: {out}");
    assert!(out.contains("damaged") && out.contains("restores the newest backup that reads"), "{out}");

    let daemon = Daemon::start_in(dir).await;
    let health = daemon.get("/healthz").await;
    let said = health["degraded"].as_array().unwrap().iter().filter_map(|d| d.as_str()).find(|d| d.contains("damaged"));
    let said = said.unwrap_or_else(|| panic!("healthz tells the damage: {health}"));
    assert!(
        said.contains(&format!("restored from the backup {}", data.join("backups").join(&taken[0]).display())),
        "{said}"
    );
    let aside = said.split("moved to ").nth(1).and_then(|rest| rest.split(';').next()).expect("where it went");
    assert_eq!(std::fs::read(aside).unwrap(), bytes, "the damaged file is kept as it was");
    // What the backup held is history again: the incident, and its check's state.
    let listed = daemon.incidents().await;
    assert!(listed.iter().any(|i| i["id"] == incident), "{listed:?}");
    let (code, out, _) = run_cli(&["db", "check", "--data-dir", &data_arg]);
    assert_eq!(code, 0, "the restored history is whole: {out}");
    let dir = daemon.stop();

    // Cut mid-page (a disk that filled, a copy that stopped): damaged as well, and put
    // back from the backup the same way.
    let len = std::fs::metadata(&history).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&history).unwrap().set_len(len / 2 + 1000).unwrap();
    let cut = std::fs::read(&history).unwrap();
    let daemon = Daemon::start_in(dir).await;
    let health = daemon.get("/healthz").await;
    let said = health["degraded"].as_array().unwrap().iter().filter_map(|d| d.as_str()).find(|d| d.contains("damaged"));
    let said = said.unwrap_or_else(|| panic!("healthz tells the cut file: {health}"));
    assert!(said.contains("restored from the backup"), "{said}");
    let aside = said.split("moved to ").nth(1).and_then(|rest| rest.split(';').next()).expect("where it went");
    assert_eq!(std::fs::read(aside).unwrap(), cut, "the cut file is kept as it was");
    let listed = daemon.incidents().await;
    assert!(listed.iter().any(|i| i["id"] == incident), "{listed:?}");
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_are_taken_on_schedule_and_only_the_newest_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("[settings]\nbackup = {{ every = \"1s\", keep = 2 }}\n\n{DOWN}");
    std::fs::write(dir.path().join("watchkeeper.toml"), config).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let daemon = Daemon::start_in(dir).await;
    let data = daemon.data_dir();
    let first = eventually(WAIT, "a first backup is taken", || async { backups(&data).first().cloned() }).await;
    eventually(WAIT, "the first is removed once two newer ones are kept", || async {
        let now = backups(&data);
        (!now.contains(&first) && now.len() == 2).then_some(())
    })
    .await;
    for name in backups(&data) {
        let copy = rusqlite::Connection::open(data.join("backups").join(&name)).unwrap();
        let check: String = copy.query_row("PRAGMA quick_check", [], |row| row.get(0)).unwrap();
        assert_eq!(check, "ok", "{name}");
    }
    assert!(
        !std::fs::read_dir(data.join("backups"))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".partial")),
        "no half-written backup is left"
    );
    daemon.stop();
}

#[test]
fn backup_settings_are_checked_where_they_are_written() {
    crate::support::assert_config_refused(
        "[settings]\nbackup = { every = \"100ms\", keep = 0 }\n",
        &["backup.every: must be at least 1s", "backup.keep: 0 is not 1 to 1000"],
    );
}
