//! Backups of the history: SQLite's online backup API copies the live database (in one
//! step, under one read transaction: in WAL mode writers go on meanwhile) into
//! `backups/history-<UTC time>.db` in the data dir, checked before it is named as done,
//! and only the newest `keep` are kept. At start a damaged database is replaced by the
//! newest backup that reads (the damaged file is moved aside first, never deleted).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use rusqlite::{Connection, OpenFlags};

use super::{StoreError, DB_FILE, MIGRATIONS};

/// Where backups are kept, in the data dir.
pub const BACKUP_DIR: &str = "backups";
const PREFIX: &str = "history-";
const SUFFIX: &str = ".db";
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// A backup taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub path: PathBuf,
    pub bytes: u64,
    /// Older backups removed to keep the newest `keep`.
    pub removed: Vec<PathBuf>,
}

/// Copies the history in `data_dir` into `target` (a new file; its directory must
/// exist). Written beside it first and renamed once it passes `PRAGMA quick_check`,
/// so a backup file that exists is whole.
pub fn copy(data_dir: &Path, target: &Path) -> Result<u64, StoreError> {
    let source_path = data_dir.join(DB_FILE);
    let partial = target.with_extension("db.partial");
    let _ = std::fs::remove_file(&partial);
    let outcome = (|| -> Result<u64, StoreError> {
        let source = Connection::open_with_flags(&source_path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        source.busy_timeout(Duration::from_secs(5))?;
        let mut copy = Connection::open(&partial)?;
        {
            let backup = rusqlite::backup::Backup::new(&source, &mut copy)?;
            // All pages in one step: one read transaction, so writes meanwhile cannot
            // make it start over (as stepping a page range at a time would).
            backup.step(-1)?;
        }
        let answer: String = copy.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
        if answer != "ok" {
            return Err(StoreError::Corrupt { path: partial.clone(), detail: answer });
        }
        drop(copy);
        std::fs::rename(&partial, target)
            .map_err(|e| StoreError::ReadOnly { path: target.to_owned(), detail: e.to_string() })?;
        Ok(std::fs::metadata(target).map(|m| m.len()).unwrap_or(0))
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    outcome
}

/// A backup's file name for one taken at `now`: `history-20261207T051500Z.db`.
pub fn name(now: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", now.format(STAMP))
}

/// Takes a backup into `backups/` in `data_dir`, named by `now`, and removes the older
/// ones past the newest `keep`.
pub fn take(data_dir: &Path, keep: u32, now: DateTime<Utc>) -> Result<Taken, StoreError> {
    let dir = data_dir.join(BACKUP_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| StoreError::ReadOnly { path: dir.clone(), detail: e.to_string() })?;
    let path = dir.join(name(now));
    let bytes = copy(data_dir, &path)?;
    let mut removed = Vec::new();
    for (old, _) in list(data_dir).into_iter().skip(keep.max(1) as usize) {
        if std::fs::remove_file(&old).is_ok() {
            removed.push(old);
        }
    }
    Ok(Taken { path, bytes, removed })
}

/// The backups in `data_dir`, newest first, with when each was taken.
pub fn list(data_dir: &Path) -> Vec<(PathBuf, DateTime<Utc>)> {
    let Ok(entries) = std::fs::read_dir(data_dir.join(BACKUP_DIR)) else { return Vec::new() };
    let mut found: Vec<(PathBuf, DateTime<Utc>)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
            let at = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
            Some((entry.path(), at))
        })
        .collect();
    found.sort_by_key(|(_, at)| std::cmp::Reverse(*at));
    found
}

/// Puts the newest backup that reads (and that this version can read) in place of the
/// history at `path` (moved aside already). Its path, or `None` when none does.
pub(super) fn restore_newest(data_dir: &Path, path: &Path) -> Option<PathBuf> {
    let supported = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    for (backup, _) in list(data_dir) {
        match super::quick_check(&backup) {
            Ok((answer, version)) if answer == "ok" && version <= supported => {}
            other => {
                tracing::warn!(backup = %backup.display(), outcome = ?other, "a backup does not read; trying an older one");
                continue;
            }
        }
        let restoring = path.with_extension("db.restoring");
        if std::fs::copy(&backup, &restoring).is_ok() && std::fs::rename(&restoring, path).is_ok() {
            tracing::warn!(backup = %backup.display(), "history restored from a backup");
            return Some(backup);
        }
        let _ = std::fs::remove_file(&restoring);
    }
    None
}
