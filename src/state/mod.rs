//! A check's state machine: results in, status and incident transitions out; and
//! what is laid over it (`pause`: the user's pause and maintenance windows).
//!
//! `failure_threshold` consecutive failures turn a check down and open an incident;
//! `success_threshold` consecutive successes resolve it. A probe error or a stale
//! result makes the check unknown without touching the incident. Pure: `now` and
//! every input are arguments; it must not do I/O or read a clock.

mod cert;
mod flap;
mod pause;

pub use cert::CertWatch;
pub use flap::{Flap, FlapConfig, FlapHistory};
pub use pause::{Change, InWindow, Pause, PauseOutcome, Shown, Tracked};

use chrono::{DateTime, Utc};

use crate::model::{Failure, ProbeResult, Status, Verdict};

#[derive(Debug, Clone, PartialEq)]
pub struct CheckState {
    pub status: Status,
    pub since: DateTime<Utc>,
    /// Why the status is what it is, when that is not obvious: `stale`, `parent down`,
    /// the probe error, or progress towards a threshold.
    pub reason: Option<String>,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub last_result_at: Option<DateTime<Utc>>,
    pub open_incident: Option<i64>,
    /// It is unknown because its last failure was blamed on the network.
    pub no_network: bool,
    /// It is unknown because this parent (an id) was down at its last failure.
    pub parent_down: Option<String>,
}

/// What a failure is blamed on, rather than the check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Blame<'a> {
    /// A check it depends on is down.
    ParentDown(&'a str),
    /// It is remote and the connectivity sentinel fails.
    NoNetwork,
}

#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub failure: u32,
    pub success: u32,
    /// Whether enough successes may resolve its incident now: not while its breaker is
    /// still trying the target (half-open), so its trials make one incident.
    pub may_recover: bool,
}

impl Thresholds {
    pub fn new(failure: u32, success: u32) -> Thresholds {
        Thresholds { failure, success, may_recover: true }
    }
}

/// What one input changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transition {
    /// `Some((from, to))` when the status changed.
    pub status: Option<(Status, Status)>,
    /// An incident to open with this cause (the caller supplies the id).
    pub open: Option<Failure>,
    /// The incident that this input resolved.
    pub resolved: Option<i64>,
}

impl CheckState {
    pub fn new(now: DateTime<Utc>) -> CheckState {
        CheckState {
            status: Status::Unknown,
            since: now,
            reason: Some("not checked yet".to_owned()),
            consecutive_failures: 0,
            consecutive_successes: 0,
            last_result_at: None,
            open_incident: None,
            no_network: false,
            parent_down: None,
        }
    }

    /// Applies one result. `blame` names what a failure is blamed on rather than the
    /// check itself (it is then unknown, with no incident).
    pub fn apply(&mut self, result: &ProbeResult, thresholds: Thresholds, blame: Option<Blame<'_>>) -> Transition {
        let from = self.status;
        let mut transition = Transition::default();
        self.last_result_at = Some(result.at);
        match &result.verdict {
            Verdict::Up | Verdict::Degraded(_) => {
                self.consecutive_successes = self.consecutive_successes.saturating_add(1);
                self.consecutive_failures = 0;
                let target = result.verdict.status();
                let recovering = self.open_incident.is_some() || from == Status::Down;
                if recovering && !thresholds.may_recover {
                    self.reason = Some(format!(
                        "recovering: {} of {} successes, and the breaker's trials are not over",
                        self.consecutive_successes.min(thresholds.success),
                        thresholds.success
                    ));
                } else if recovering && self.consecutive_successes < thresholds.success {
                    self.reason =
                        Some(format!("recovering: {} of {} successes", self.consecutive_successes, thresholds.success));
                } else {
                    transition.resolved = self.open_incident.take();
                    self.set(
                        target,
                        result.at,
                        match &result.verdict {
                            Verdict::Degraded(why) => Some(why.clone()),
                            _ => None,
                        },
                    );
                }
            }
            Verdict::Down(failure) => match blame {
                // The network is down: this failure says nothing of the check, and counts
                // for nothing once the network is back.
                Some(Blame::NoNetwork) => {
                    self.consecutive_failures = 0;
                    self.consecutive_successes = 0;
                    let why = "no network: the connectivity sentinel fails".to_owned();
                    self.set(Status::Unknown, result.at, Some(why));
                    self.no_network = true;
                }
                // Its parent is down: the failure is the parent's, and counts for nothing
                // (self-healing waits for the parent too).
                Some(Blame::ParentDown(parent)) => {
                    self.consecutive_failures = 0;
                    self.consecutive_successes = 0;
                    self.set(Status::Unknown, result.at, Some(format!("its parent {parent} is down")));
                    self.parent_down = Some(parent.to_owned());
                }
                None => {
                    self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                    self.consecutive_successes = 0;
                    if self.consecutive_failures >= thresholds.failure {
                        if self.open_incident.is_none() {
                            transition.open = Some(failure.clone());
                        }
                        self.set(Status::Down, result.at, Some(failure.message.clone()));
                    } else if self.status != Status::Down {
                        let progress = format!(
                            "failing: {} of {} failures ({})",
                            self.consecutive_failures, thresholds.failure, failure.message
                        );
                        self.reason = Some(progress);
                    }
                }
            },
            Verdict::Unknown(why) => {
                self.set(Status::Unknown, result.at, Some(format!("probe error: {why}")));
            }
        }
        if self.status != from {
            transition.status = Some((from, self.status));
        }
        transition
    }

    /// Never green without data: no result for two intervals makes the check unknown.
    /// The wait counts from `quiet_until` when that is later (a pause, during which the
    /// check was not probed on purpose, ended then).
    pub fn check_stale(
        &mut self,
        now: DateTime<Utc>,
        interval: std::time::Duration,
        quiet_until: Option<DateTime<Utc>>,
    ) -> Transition {
        let from = self.status;
        match self.stale_after(interval, quiet_until) {
            Some(deadline) if now > deadline => {
                let last = self.last_result_at.unwrap_or(self.since);
                self.set(Status::Unknown, now, Some(format!("stale: no result since {}", last.format("%H:%M:%S UTC"))));
                Transition { status: Some((from, Status::Unknown)), ..Transition::default() }
            }
            _ => Transition::default(),
        }
    }

    /// When [`check_stale`](Self::check_stale) would next turn the check unknown, if no
    /// result comes first; `None` when it cannot (already unknown).
    pub fn stale_after(
        &self,
        interval: std::time::Duration,
        quiet_until: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        if self.status == Status::Unknown {
            return None;
        }
        let last = self.last_result_at.unwrap_or(self.since);
        Some(crate::clock::later(last.max(quiet_until.unwrap_or(last)), interval.saturating_mul(2)))
    }

    fn set(&mut self, status: Status, at: DateTime<Utc>, reason: Option<String>) {
        if self.status != status {
            self.since = at;
        }
        self.no_network = false;
        self.parent_down = None;
        self.status = status;
        self.reason = reason;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FailureClass;
    use expect_test::{expect, Expect};

    /// Replays results: `u` up, `g` degraded, `d` down, `e` probe error, `p` down while
    /// the parent is down, `n` down while the network is, `+N` advances N seconds and checks staleness (interval 10s).
    fn check(thresholds: (u32, u32), script: &str, expect: Expect) {
        let thresholds = Thresholds::new(thresholds.0, thresholds.1);
        let start = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        let mut now = start;
        let mut state = CheckState::new(now);
        let mut next_id = 1;
        let mut out = String::new();
        for step in script.split_whitespace() {
            let (transition, label) = if let Some(seconds) = step.strip_prefix('+') {
                now += chrono::Duration::seconds(seconds.parse().unwrap());
                (state.check_stale(now, std::time::Duration::from_secs(10), None), step.to_owned())
            } else {
                let verdict = match step {
                    "u" => Verdict::Up,
                    "g" => Verdict::Degraded("latency high".into()),
                    "d" | "p" | "n" => Verdict::Down(Failure::new(FailureClass::Refused, "connection refused")),
                    "e" => Verdict::Unknown("panicked".into()),
                    other => panic!("unknown step {other}"),
                };
                let result = ProbeResult { at: now, latency: None, verdict, message: String::new(), value: None };
                let blame = match step {
                    "p" => Some(Blame::ParentDown("db")),
                    "n" => Some(Blame::NoNetwork),
                    _ => None,
                };
                (state.apply(&result, thresholds, blame), step.to_owned())
            };
            let mut line =
                format!("{label:<4} {:<8} {:?}", state.status.as_str(), state.reason.as_deref().unwrap_or(""));
            if transition.open.is_some() {
                state.open_incident = Some(next_id);
                line.push_str(&format!(" OPEN #{next_id}"));
                next_id += 1;
            }
            if let Some(id) = transition.resolved {
                line.push_str(&format!(" RESOLVE #{id}"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn staleness_counts_from_the_end_of_a_pause() {
        let start = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        let at = |seconds| start + chrono::Duration::seconds(seconds);
        let interval = std::time::Duration::from_secs(10);
        let mut state = CheckState::new(start);
        let result =
            ProbeResult { at: start, latency: None, verdict: Verdict::Up, message: String::new(), value: None };
        state.apply(&result, Thresholds::new(1, 1), None);
        assert_eq!(state.stale_after(interval, None), Some(at(20)), "two intervals after the last result");
        assert_eq!(state.stale_after(interval, Some(at(100))), Some(at(120)), "two intervals after the resume");
        assert_eq!(state.check_stale(at(115), interval, Some(at(100))).status, None, "resumed 15 s ago");
        assert_eq!(state.status, Status::Up);
        let stale = state.check_stale(at(121), interval, Some(at(100))).status;
        assert_eq!(stale, Some((Status::Up, Status::Unknown)), "two intervals after the resume");
        assert_eq!(state.reason.as_deref(), Some("stale: no result since 00:00:00 UTC"), "names the last result");
        assert_eq!(state.stale_after(interval, Some(at(100))), None, "unknown already: nothing more to wait for");
    }

    #[test]
    fn thresholds_open_and_resolve_one_incident() {
        check(
            (3, 2),
            "u d d d d u u d",
            expect![[r#"
                u    up       ""
                d    up       "failing: 1 of 3 failures (connection refused)"
                d    up       "failing: 2 of 3 failures (connection refused)"
                d    down     "connection refused" OPEN #1
                d    down     "connection refused"
                u    down     "recovering: 1 of 2 successes"
                u    up       "" RESOLVE #1
                d    up       "failing: 1 of 3 failures (connection refused)"
            "#]],
        );
    }

    #[test]
    fn probe_errors_and_staleness_make_it_unknown_but_keep_the_incident() {
        check(
            (1, 1),
            "d e d +25 u d +15 +10",
            expect![[r#"
                d    down     "connection refused" OPEN #1
                e    unknown  "probe error: panicked"
                d    down     "connection refused"
                +25  unknown  "stale: no result since 00:00:00 UTC"
                u    up       "" RESOLVE #1
                d    down     "connection refused" OPEN #2
                +15  down     "connection refused"
                +10  unknown  "stale: no result since 00:00:25 UTC"
            "#]],
        );
    }

    #[test]
    fn a_failure_with_no_network_is_unknown_and_counts_for_nothing() {
        check(
            (2, 1),
            "u d n n d d u",
            expect![[r#"
                u    up       ""
                d    up       "failing: 1 of 2 failures (connection refused)"
                n    unknown  "no network: the connectivity sentinel fails"
                n    unknown  "no network: the connectivity sentinel fails"
                d    unknown  "failing: 1 of 2 failures (connection refused)"
                d    down     "connection refused" OPEN #1
                u    up       "" RESOLVE #1
            "#]],
        );
    }

    #[test]
    fn a_down_parent_takes_the_blame_and_its_failures_count_for_nothing() {
        check(
            (2, 1),
            "u d p p d u g",
            expect![[r#"
                u    up       ""
                d    up       "failing: 1 of 2 failures (connection refused)"
                p    unknown  "its parent db is down"
                p    unknown  "its parent db is down"
                d    unknown  "failing: 1 of 2 failures (connection refused)"
                u    up       ""
                g    degraded "latency high"
            "#]],
        );
    }

    /// Staleness adds twice the interval to the last result: the longest interval
    /// there is makes a check that is never stale, not a panic in the sweep.
    #[test]
    fn the_longest_interval_is_never_stale_and_never_overflows() {
        let start = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        let mut state = CheckState::new(start);
        let result =
            ProbeResult { at: start, latency: None, verdict: Verdict::Up, message: String::new(), value: None };
        state.apply(&result, Thresholds::new(1, 1), None);
        let longest = state.stale_after(crate::units::MAX_DURATION, None);
        assert_eq!(longest, Some(start + chrono::Duration::days(2 * 36_500)));
        assert_eq!(state.stale_after(std::time::Duration::MAX, None), Some(DateTime::<Utc>::MAX_UTC));
        let swept = state.check_stale(DateTime::<Utc>::MAX_UTC, std::time::Duration::MAX, None);
        assert_eq!((swept.status, state.status), (None, Status::Up), "never stale");
    }

    /// `h` is a success while the breaker is still trying the target (half-open).
    #[test]
    fn successes_resolve_nothing_until_the_breaker_has_closed() {
        let start = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        let mut state = CheckState::new(start);
        let at = |s| start + chrono::Duration::seconds(s);
        let result =
            |s, verdict| ProbeResult { at: at(s), latency: None, verdict, message: String::new(), value: None };
        let down = || Verdict::Down(Failure::new(FailureClass::Refused, "connection refused"));
        assert!(state.apply(&result(0, down()), Thresholds::new(1, 1), None).open.is_some());
        state.open_incident = Some(1);
        let trying = Thresholds { may_recover: false, ..Thresholds::new(1, 1) };
        let trial = state.apply(&result(10, Verdict::Up), trying, None);
        assert_eq!((trial.resolved, state.status), (None, Status::Down), "a passing trial resolves nothing");
        assert_eq!(
            state.reason.as_deref(),
            Some("recovering: 1 of 1 successes, and the breaker's trials are not over")
        );
        let failed = state.apply(&result(20, down()), Thresholds::new(1, 1), None);
        assert_eq!((failed.open, failed.status), (None, None), "a failed trial opens no second incident");
        state.apply(&result(30, Verdict::Up), trying, None);
        let closed = state.apply(&result(40, Verdict::Up), Thresholds::new(1, 2), None);
        assert_eq!((closed.resolved, state.status), (Some(1), Status::Up), "resolved once the breaker closed");
    }
}
