//! Words: how Watchkeeper says what it decided, once, for every front door. The
//! notifications' titles and bodies, the phrases the API carries for the dashboard
//! and the CLI, and what the tray shows are all written here, so that a fact reads
//! the same wherever it is shown.
//!
//! Pure: every input, `now` and the zone included, is an argument. It words what the
//! rules decided; it decides nothing.

use chrono::{DateTime, Utc};

use crate::budget::Budget;
use crate::clock::Zone;
use crate::model::{ServiceBreaker, Status};
use crate::units::format_duration;

/// "orders-api: restart loop" and what happened: `action` ran out of its `budget`
/// and the check is still down; automatic runs wait until `retry_at` (local time).
pub fn restart_loop(
    check: &str,
    action: &str,
    budget: &Budget,
    retry_at: DateTime<Utc>,
    zone: &dyn Zone,
) -> (String, String) {
    let until = zone.local(retry_at).format("%H:%M");
    let per = format_duration(budget.per);
    let times = budget.max_runs;
    (
        format!("{check}: restart loop"),
        format!(
            "{action} ran {times} times in {per} and {check} is still down; no automatic run until {until}.\nReset the action's budget in the dashboard to try again now."
        ),
    )
}

/// "api is flapping" (`started`) or "api stopped flapping", and what that means for its
/// notifications: its state changed in `percent` of its last `window` results; `status`
/// is what its last result said.
pub fn flapping(check: &str, started: bool, percent: f64, window: u8, status: Status) -> (String, String) {
    let percent = percent.round();
    if started {
        (
            format!("{check} is flapping"),
            format!(
                "its state changed in {percent}% of its last {window} results; its notifications are held until it settles"
            ),
        )
    } else {
        (
            format!("{check} stopped flapping"),
            format!("now {status}; state changes are down to {percent}% of its last {window} results"),
        )
    }
}

/// `service breaker payments is OPEN (failure rate 60% ≥ 50%)`.
pub fn service_breaker(breaker: &ServiceBreaker) -> String {
    let rates = match (breaker.failure_rate, breaker.failure_rate_threshold) {
        (Some(rate), Some(threshold)) => format!(" (failure rate {rate}% ≥ {threshold}%)"),
        (Some(rate), None) => format!(" (failure rate {rate}%)"),
        _ => String::new(),
    };
    format!("service breaker {} is {}{rates}", breaker.name, breaker.state)
}

/// The notification of one of a service's own breakers turning OPEN.
pub fn service_breaker_opened(check: &str, breaker: &ServiceBreaker) -> (String, String) {
    (
        format!("{check}: service breaker {} OPEN", breaker.name),
        format!(
            "{}: the service now fails its calls to that dependency fast. See the check's page.",
            service_breaker(breaker)
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clock::FixedZone;

    #[test]
    fn a_restart_loop_says_what_ran_how_often_and_what_to_do_in_local_time() {
        let zone = FixedZone(chrono::FixedOffset::east_opt(3600).unwrap());
        let retry_at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let budget = Budget { max_runs: 3, per: Duration::from_secs(600) };
        let (title, body) = restart_loop("Orders API", "Restart API", &budget, retry_at, &zone);
        assert_eq!(title, "Orders API: restart loop");
        assert_eq!(
            body,
            "Restart API ran 3 times in 10m and Orders API is still down; no automatic run until 09:00.\nReset the action's budget in the dashboard to try again now."
        );
    }

    #[test]
    fn flapping_says_how_much_and_what_is_held() {
        let (title, body) = flapping("api", true, 57.14, 7, Status::Down);
        assert_eq!(
            (title.as_str(), body.as_str()),
            (
                "api is flapping",
                "its state changed in 57% of its last 7 results; its notifications are held until it settles"
            )
        );
        let (title, body) = flapping("api", false, 14.2, 7, Status::Up);
        assert_eq!(
            (title.as_str(), body.as_str()),
            ("api stopped flapping", "now up; state changes are down to 14% of its last 7 results")
        );
    }
}
