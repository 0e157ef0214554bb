//! The vocabulary of action runs: how a run ended and who asked for it.

use super::code::codes;

codes! {
    /// How an action run ended.
    pub enum RunStatus("run status") {
        Ok = "ok",
        Failed = "failed",
        Timeout = "timeout",
        /// The program could not be started.
        Error = "error",
        DryRun = "dry_run",
        /// Recorded at its start, not ended yet.
        Running = "running",
        /// Watchkeeper stopped during the run: its outcome is unknown.
        Interrupted = "interrupted",
    }
}

codes! {
    /// Who asked for a run, for the audit.
    pub enum Requester("requester") {
        Cli = "cli",
        Api = "api",
        Auto = "auto",
        /// The desktop app: its window or its tray.
        Desktop = "desktop",
    }
}

/// What a dry run of a cleanup would remove: exactly these files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub files: Vec<PlanFile>,
    /// Files that would go, and the bytes that would come back.
    pub count: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFile {
    /// Its full path, for people (invalid UTF-8 replaced).
    pub path: String,
    pub size: u64,
    pub modified: chrono::DateTime<chrono::Utc>,
}

/// Where a cleanup put what it removed, for undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// Its folder's name under the data dir's `quarantine/`; `None` when the files were
    /// deleted at once (`quarantine = "0s"`).
    pub dir: Option<String>,
    pub count: u64,
    pub bytes: u64,
    /// When the folder is purged (and undo no longer possible).
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}
