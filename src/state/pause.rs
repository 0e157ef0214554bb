//! What is laid over a check's own state: the user's pause, and maintenance windows.
//!
//! A paused check is not probed, shows `paused`, is never stale, and raises nothing;
//! when the pause ends (resumed, or its time ran out) the check shows its own status
//! again and staleness counts from then. A check in a maintenance window is probed and
//! its results recorded, but it shows `maintenance` and opens no incident; its own
//! status changes are not shown until the window ends. A pause shows over a window.
//! Pure: `now` is an argument.

use chrono::{DateTime, Utc};

use super::CheckState;
use crate::model::Status;

/// A check paused by the user.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pause {
    pub since: DateTime<Utc>,
    /// `None`: until resumed.
    pub until: Option<DateTime<Utc>>,
}

impl Pause {
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| until > now)
    }
}

/// The maintenance window a check is in.
#[derive(Debug, Clone, PartialEq)]
pub struct InWindow {
    pub window: String,
    pub reason: Option<String>,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// What a check shows: its own status, `paused` or `maintenance`.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub status: Status,
    pub since: DateTime<Utc>,
    pub reason: Option<String>,
}

/// A change of what a check shows: a row of the state change log.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub from: Status,
    pub to: Status,
    pub reason: Option<String>,
}

/// What a pause or resume did.
#[derive(Debug, Clone, PartialEq)]
pub enum PauseOutcome {
    /// Nothing: not paused and resumed, say.
    Unchanged,
    /// Still paused, until another time: to be kept, but not a change of status.
    Moved,
    Changed(Change),
}

/// A check's state machine with the user's pause and maintenance windows over it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    pub state: CheckState,
    pub pause: Option<Pause>,
    /// Set by the engine from the windows and the clock; not persisted.
    pub maintenance: Option<InWindow>,
    /// When a pause last ended: staleness counts from then, not from the last result.
    pub resumed_at: Option<DateTime<Utc>>,
}

impl Tracked {
    pub fn new(state: CheckState) -> Tracked {
        Tracked { state, pause: None, maintenance: None, resumed_at: None }
    }

    /// A persisted check: a pause that ran out while Watchkeeper was stopped ends now.
    pub fn restored(state: CheckState, pause: Option<Pause>, now: DateTime<Utc>) -> Tracked {
        let expired = pause.is_some_and(|p| !p.active(now));
        Tracked { state, pause: pause.filter(|p| p.active(now)), maintenance: None, resumed_at: expired.then_some(now) }
    }

    pub fn paused(&self, now: DateTime<Utc>) -> bool {
        self.pause.is_some_and(|p| p.active(now))
    }

    /// The status [`Tracked::shown`] says, without its words.
    pub fn shown_status(&self, now: DateTime<Utc>) -> Status {
        if self.paused(now) {
            Status::Paused
        } else if self.maintenance.is_some() {
            Status::Maintenance
        } else {
            self.state.status
        }
    }

    pub fn shown(&self, now: DateTime<Utc>) -> Shown {
        match self.pause.filter(|p| p.active(now)) {
            Some(pause) => {
                let reason = match pause.until {
                    Some(until) => format!("paused by the user until {}", until.format("%H:%M UTC")),
                    None => "paused by the user until resumed".to_owned(),
                };
                Shown { status: Status::Paused, since: pause.since, reason: Some(reason) }
            }
            None if self.maintenance.is_some() => {
                let window = self.maintenance.as_ref().expect("tested just above");
                let mut reason =
                    format!("maintenance window `{}` until {}", window.window, window.until.format("%H:%M UTC"));
                if let Some(why) = &window.reason {
                    reason.push_str(": ");
                    reason.push_str(why);
                }
                Shown { status: Status::Maintenance, since: window.since, reason: Some(reason) }
            }
            None => Shown { status: self.state.status, since: self.state.since, reason: self.state.reason.clone() },
        }
    }

    /// Pauses until `until` (`None`: until resumed). A check paused again keeps when it
    /// was first paused; only its end moves.
    pub fn pause(&mut self, until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> PauseOutcome {
        let since = self.pause.filter(|p| p.active(now)).map_or(now, |p| p.since);
        self.set(Some(Pause { since, until }), now)
    }

    /// Applies one result to the state machine. In a maintenance window no incident
    /// opens, and the own status changes it makes are not shown (nor logged).
    pub fn apply(
        &mut self,
        result: &crate::model::ProbeResult,
        thresholds: super::Thresholds,
        blame: Option<super::Blame<'_>>,
    ) -> super::Transition {
        let mut transition = self.state.apply(result, thresholds, blame);
        if self.maintenance.is_some() {
            transition.open = None;
            transition.status = None;
        }
        transition
    }

    /// Enters, moves or leaves a maintenance window.
    pub fn set_maintenance(&mut self, window: Option<InWindow>, now: DateTime<Utc>) -> Option<Change> {
        if self.maintenance == window {
            return None;
        }
        let before = self.shown(now).status;
        self.maintenance = window;
        let after = self.shown(now);
        (before != after.status).then_some(Change { from: before, to: after.status, reason: after.reason })
    }

    /// Whether its own failures should raise nothing now: paused, or in maintenance.
    pub fn held(&self, now: DateTime<Utc>) -> bool {
        self.paused(now) || self.maintenance.is_some()
    }

    /// Ends a pause early.
    pub fn resume(&mut self, now: DateTime<Utc>) -> PauseOutcome {
        self.set(None, now)
    }

    fn set(&mut self, pause: Option<Pause>, now: DateTime<Utc>) -> PauseOutcome {
        let before = self.shown(now).status;
        if pause.is_none() && self.pause.is_some() {
            self.resumed_at = Some(now);
        }
        let moved = self.pause != pause;
        self.pause = pause;
        let after = self.shown(now);
        if before != after.status {
            PauseOutcome::Changed(Change { from: before, to: after.status, reason: after.reason })
        } else if moved {
            PauseOutcome::Moved
        } else {
            PauseOutcome::Unchanged
        }
    }

    /// What time alone changes at `now`: a pause that ran out ends, or a check that is
    /// not paused and has had no fresh result for two intervals turns unknown (stale).
    pub fn sweep(&mut self, now: DateTime<Utc>, interval: std::time::Duration) -> Option<Change> {
        match self.pause {
            Some(pause) if !pause.active(now) => {
                self.pause = None;
                self.resumed_at = Some(now);
                let shown = self.shown(now);
                Some(Change { from: Status::Paused, to: shown.status, reason: shown.reason })
            }
            // Not probed on purpose: not stale.
            Some(_) => None,
            None => {
                let (from, to) = self.state.check_stale(now, interval, self.resumed_at).status?;
                // In a window it shows `maintenance` still; the window's end shows the rest.
                self.maintenance.is_none().then(|| Change { from, to, reason: self.state.reason.clone() })
            }
        }
    }

    /// When [`sweep`](Self::sweep) can next change something, if no result comes first.
    pub fn next_sweep(&self, interval: std::time::Duration) -> Option<DateTime<Utc>> {
        match self.pause {
            Some(pause) => pause.until,
            None => self.state.stale_after(interval, self.resumed_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProbeResult, Verdict};
    use crate::state::Thresholds;
    use expect_test::{expect, Expect};

    /// Replays steps at whole seconds from 0 on a check probed every 10 s: `u` an up
    /// result, `pN` pause for N seconds (`p` until resumed), `r` resume, `sN` sweep at
    /// N seconds. Each line: the step, what it did, and what the check shows after.
    fn check(script: &str, expect: Expect) {
        let at = |seconds: i64| DateTime::<Utc>::from_timestamp(seconds, 0).unwrap();
        let interval = std::time::Duration::from_secs(10);
        let mut tracked = Tracked::new(CheckState::new(at(0)));
        let mut now = at(0);
        let mut out = String::new();
        for step in script.split_whitespace() {
            let (name, number) = step.split_at(1);
            let number: Option<i64> = number.parse().ok();
            let did = match name {
                "t" => {
                    now = at(number.expect("t takes seconds"));
                    continue;
                }
                "u" => {
                    let result = ProbeResult {
                        at: now,
                        latency: None,
                        verdict: Verdict::Up,
                        message: String::new(),
                        value: None,
                    };
                    let transition = tracked.state.apply(&result, Thresholds::new(1, 1), None);
                    format!("{:?}", transition.status)
                }
                "p" => format!("{:?}", tracked.pause(number.map(|n| now + chrono::Duration::seconds(n)), now)),
                "r" => format!("{:?}", tracked.resume(now)),
                "s" => format!("{:?}", tracked.sweep(now, interval)),
                other => panic!("unknown step {other}"),
            };
            let shown = tracked.shown(now);
            let next = tracked.next_sweep(interval).map(|t| t.timestamp());
            out.push_str(&format!(
                "t={:<4} {step:<4} {did}\n       -> {} since {} ({}), next sweep {next:?}\n",
                now.timestamp(),
                shown.status,
                shown.since.timestamp(),
                shown.reason.unwrap_or_default()
            ));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn a_pause_shows_paused_keeps_its_start_when_moved_and_ends_by_itself() {
        check(
            "u t5 p60 t30 p120 t100 s t151 s",
            expect![[r#"
                t=0    u    Some((Unknown, Up))
                       -> up since 0 (), next sweep Some(20)
                t=5    p60  Changed(Change { from: Up, to: Paused, reason: Some("paused by the user until 00:01 UTC") })
                       -> paused since 5 (paused by the user until 00:01 UTC), next sweep Some(65)
                t=30   p120 Moved
                       -> paused since 5 (paused by the user until 00:02 UTC), next sweep Some(150)
                t=100  s    None
                       -> paused since 5 (paused by the user until 00:02 UTC), next sweep Some(150)
                t=151  s    Some(Change { from: Paused, to: Up, reason: None })
                       -> up since 0 (), next sweep Some(171)
            "#]],
        );
    }

    #[test]
    fn staleness_counts_from_the_end_of_a_pause_not_from_the_last_result() {
        check(
            "u t5 p t50 r t65 s t71 s t80 p r r",
            expect![[r#"
                t=0    u    Some((Unknown, Up))
                       -> up since 0 (), next sweep Some(20)
                t=5    p    Changed(Change { from: Up, to: Paused, reason: Some("paused by the user until resumed") })
                       -> paused since 5 (paused by the user until resumed), next sweep None
                t=50   r    Changed(Change { from: Paused, to: Up, reason: None })
                       -> up since 0 (), next sweep Some(70)
                t=65   s    None
                       -> up since 0 (), next sweep Some(70)
                t=71   s    Some(Change { from: Up, to: Unknown, reason: Some("stale: no result since 00:00:00 UTC") })
                       -> unknown since 71 (stale: no result since 00:00:00 UTC), next sweep None
                t=80   p    Changed(Change { from: Unknown, to: Paused, reason: Some("paused by the user until resumed") })
                       -> paused since 80 (paused by the user until resumed), next sweep None
                t=80   r    Changed(Change { from: Paused, to: Unknown, reason: Some("stale: no result since 00:00:00 UTC") })
                       -> unknown since 71 (stale: no result since 00:00:00 UTC), next sweep None
                t=80   r    Unchanged
                       -> unknown since 71 (stale: no result since 00:00:00 UTC), next sweep None
            "#]],
        );
    }

    #[test]
    fn a_pause_that_ran_out_while_stopped_ends_at_restore() {
        let at = |seconds: i64| DateTime::<Utc>::from_timestamp(seconds, 0).unwrap();
        let pause = Pause { since: at(0), until: Some(at(60)) };
        let restored = Tracked::restored(CheckState::new(at(0)), Some(pause), at(100));
        assert_eq!(restored.pause, None, "the pause ended while stopped");
        assert_eq!(restored.resumed_at, Some(at(100)), "staleness counts from the restore");
        let kept = Tracked::restored(CheckState::new(at(0)), Some(pause), at(30));
        assert_eq!(kept.pause, Some(pause), "a pause still running is kept");
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;
    use crate::model::{Failure, FailureClass, ProbeResult, Verdict};
    use crate::state::Thresholds;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(seconds, 0).unwrap()
    }

    fn result(seconds: i64, up: bool) -> ProbeResult {
        let verdict =
            if up { Verdict::Up } else { Verdict::Down(Failure::new(FailureClass::Refused, "connection refused")) };
        ProbeResult { at: at(seconds), latency: None, verdict, message: String::new(), value: None }
    }

    #[test]
    fn a_window_shows_maintenance_opens_no_incident_and_hides_own_changes() {
        let thresholds = Thresholds::new(2, 1);
        let mut tracked = Tracked::new(CheckState::new(at(0)));
        tracked.apply(&result(0, true), thresholds, None);
        let window =
            InWindow { window: "deploy".into(), reason: Some("v2 rollout".into()), since: at(5), until: at(3600) };
        let entered = tracked.set_maintenance(Some(window.clone()), at(5));
        assert_eq!(
            entered,
            Some(Change {
                from: Status::Up,
                to: Status::Maintenance,
                reason: Some("maintenance window `deploy` until 01:00 UTC: v2 rollout".into())
            })
        );
        assert_eq!(tracked.set_maintenance(Some(window.clone()), at(6)), None, "the same window: no change");
        for second in [10, 20, 30] {
            let transition = tracked.apply(&result(second, false), thresholds, None);
            assert_eq!(transition, crate::state::Transition::default(), "no incident, no change shown");
        }
        assert_eq!(tracked.state.status, Status::Down, "its own state went on");
        assert_eq!(tracked.shown(at(30)).status, Status::Maintenance);
        assert!(tracked.held(at(30)), "self-healing holds in a window");
        assert_eq!(tracked.sweep(at(200), std::time::Duration::from_secs(10)), None, "stale in a window: not shown");
        // A pause shows over the window.
        tracked.pause(None, at(210));
        assert_eq!(tracked.shown(at(210)).status, Status::Paused);
        tracked.resume(at(220));
        let left = tracked.set_maintenance(None, at(3600)).expect("the window ended");
        assert_eq!((left.from, left.to), (Status::Maintenance, Status::Unknown), "its own status, stale by now");
        assert_eq!(tracked.state.open_incident, None, "the engine opens the incident of a check still down");
        let transition = tracked.apply(&result(3601, false), thresholds, None);
        assert!(transition.open.is_some(), "out of the window a failure opens its incident");
    }
}
