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
