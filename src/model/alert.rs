//! The vocabulary of alerting: how severe a check's failure is, what a notification is
//! about, and why one was not sent.

use super::code::codes;

codes! {
    /// How loud a check's failure is.
    pub enum Severity("severity") {
        Warning = "warning",
        /// Breaks through quiet hours (by default) and is urgent on the desktop.
        Critical = "critical",
    }
}

codes! {
    /// What a notification is about.
    pub enum NotifyEvent("notification event") {
        Opened = "opened",
        Resolved = "resolved",
        Reminder = "reminder",
        Flapping = "flapping",
        NoNetwork = "no_network",
        RestartLoop = "restart_loop",
        CertExpiry = "cert_expiry",
        /// One of a service's own breakers turned OPEN.
        ServiceBreaker = "service_breaker",
        /// A check turned degraded (its `alert.on` has `degraded`).
        Degraded = "degraded",
        /// A degraded check is up again.
        Restored = "restored",
    }
}

codes! {
    /// Why a notification was decided and not sent.
    pub enum Suppressed("suppression") {
        Silenced = "silenced",
        Maintenance = "maintenance",
        Acked = "acked",
        QuietHours = "quiet_hours",
        Flapping = "flapping",
        ParentDown = "parent_down",
        NoNetwork = "no_network",
        /// The desktop channel of a daemon with no desktop session: nowhere to show it.
        NoDesktop = "no_desktop",
    }
}

/// Where a notification stands: delivered, held (decided and not sent: `suppressed`),
/// failed (given up), retrying (an attempt failed), or sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Decided and not sent (`suppressed`).
    Held,
    Failed,
    Retrying,
    Sending,
}

impl Outcome {
    /// Where a logged notification stands: what it was held for, whether it was
    /// delivered (`None` while it is tried), and its last attempt's error.
    pub fn of(suppressed: Option<Suppressed>, delivered: Option<bool>, error: Option<&str>) -> Outcome {
        match (suppressed, delivered, error) {
            (Some(_), _, _) => Outcome::Held,
            (None, Some(true), _) => Outcome::Delivered,
            (None, Some(false), _) => Outcome::Failed,
            (None, None, Some(_)) => Outcome::Retrying,
            (None, None, None) => Outcome::Sending,
        }
    }
}
