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
    }
}
