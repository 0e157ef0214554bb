//! Self-healing: when a check's `auto_action` runs. After `after` consecutive
//! failures, within the action's budget, with a capped exponential backoff between
//! runs, only while the check still fails and nothing holds it (a pause, a maintenance
//! window, a parent down, the network down: a restart would fix none of them). Past the budget it gives
//! up (once told, as a `restart_loop`) until the budget admits a run again; once the
//! check has been up for `stable_for`, it starts over and the budget is reset.
//!
//! Pure: every function takes `now`. The engine asks [`Healing::step`] after each
//! result of the check and does what it answers; the state is persisted with it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::budget::Exhausted;
use crate::model::ActionId;

/// A check's `auto_action`, and its `stable_for`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoAction {
    pub action: ActionId,
    /// Consecutive failures before the first run.
    pub after: u32,
    /// The wait after the first run; it doubles after each further run.
    pub backoff: Duration,
    /// The longest wait between runs.
    pub max_backoff: Duration,
    /// Up this long, the check is healed: attempts and the budget start over.
    pub stable_for: Duration,
}

/// What healing remembers of a check, persisted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Healing {
    /// Automatic runs since the check was last stable.
    pub attempts: u32,
    pub last_run_at: Option<DateTime<Utc>>,
    /// When it gave up (the budget refused a run) since the check was last stable:
    /// the `restart_loop` notice goes out once.
    pub gave_up_at: Option<DateTime<Utc>>,
}

/// What the check looks like to healing now.
#[derive(Debug, Clone, Copy)]
pub struct Situation {
    /// Its consecutive failures.
    pub failures: u32,
    /// What holds it, if anything: no run then.
    pub held: Option<Hold>,
    /// When it came up, while it is up.
    pub up_since: Option<DateTime<Utc>>,
    /// Its action is running (for it or anyone else).
    pub running: bool,
}

/// Why self-healing waits, though its check may fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Paused by the user.
    Paused,
    /// In a maintenance window: an operator at work is not fought by restarts.
    Maintenance,
    /// Unknown because a check it depends on is down.
    ParentDown,
    /// Unknown because the network is down.
    NoNetwork,
}

/// What the engine is to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Nothing,
    /// Run the action now: the budget has admitted it and the attempt is counted.
    Run,
    /// In backoff: the next run is due then.
    Wait {
        until: DateTime<Utc>,
    },
    /// The budget is spent until `retry_at`; `notify` the first time.
    GiveUp {
        retry_at: DateTime<Utc>,
        notify: bool,
    },
    /// Stable again: reset the action's budget (attempts are already forgotten).
    Settle,
}

/// What an operator sees of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealingState {
    /// Nothing to heal.
    Idle,
    /// In backoff until the next run.
    Waiting {
        next_at: DateTime<Utc>,
    },
    Running,
    /// The budget is spent: no run until `retry_at` (or a reset).
    GaveUp {
        retry_at: DateTime<Utc>,
    },
    /// Something holds it (see [`Hold`]).
    Held(Hold),
}

impl Healing {
    /// The next step at `now`. `admit` asks the action's budget for a run (and counts
    /// it when admitted); it is called only when a run is due.
    pub fn step(
        &mut self,
        auto: &AutoAction,
        situation: Situation,
        now: DateTime<Utc>,
        admit: impl FnOnce() -> Result<(), Exhausted>,
    ) -> Step {
        if let Some(up_since) = situation.up_since {
            let stable = now - up_since >= chrono_duration(auto.stable_for);
            if stable && *self != Healing::default() {
                *self = Healing::default();
                return Step::Settle;
            }
            return Step::Nothing;
        }
        if situation.held.is_some() || situation.running || situation.failures < auto.after.max(1) {
            return Step::Nothing;
        }
        if let Some(next) = self.next_run_at(auto).filter(|next| now < *next) {
            return Step::Wait { until: next };
        }
        match admit() {
            Ok(()) => {
                self.attempts += 1;
                self.last_run_at = Some(now);
                Step::Run
            }
            Err(Exhausted { retry_at }) => {
                let notify = self.gave_up_at.is_none();
                if notify {
                    self.gave_up_at = Some(now);
                }
                Step::GiveUp { retry_at, notify }
            }
        }
    }

    /// When the backoff lets the next run go: after the n-th run, `backoff` × 2ⁿ⁻¹,
    /// at most `max_backoff`.
    pub fn next_run_at(&self, auto: &AutoAction) -> Option<DateTime<Utc>> {
        let last = self.last_run_at?;
        Some(last + chrono_duration(backoff(auto, self.attempts)))
    }

    /// What it shows: `blocked_until` is the budget's, `failing` whether the check
    /// still fails `after` times in a row, `held` what holds it.
    pub fn shown(
        &self,
        auto: &AutoAction,
        failing: bool,
        running: bool,
        held: Option<Hold>,
        blocked_until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> HealingState {
        if running {
            return HealingState::Running;
        }
        if let Some(hold) = held {
            return HealingState::Held(hold);
        }
        if !failing {
            return HealingState::Idle;
        }
        match (self.gave_up_at, blocked_until) {
            (Some(_), Some(retry_at)) => HealingState::GaveUp { retry_at },
            _ => match self.next_run_at(auto).filter(|next| *next > now) {
                Some(next_at) => HealingState::Waiting { next_at },
                None => HealingState::Idle,
            },
        }
    }
}

/// The wait after `attempts` runs.
fn backoff(auto: &AutoAction, attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(32);
    auto.backoff.saturating_mul(1u32 << doublings.min(31)).min(auto.max_backoff)
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{Budget, Runs};

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("a valid time")
    }

    fn auto() -> AutoAction {
        AutoAction {
            action: ActionId::parse("restart").expect("a valid id"),
            after: 2,
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(35),
            stable_for: Duration::from_secs(60),
        }
    }

    fn failing(failures: u32) -> Situation {
        Situation { failures, held: None, up_since: None, running: false }
    }

    /// Steps a down check once per second from `from` to `to`, against a budget of 3
    /// per 100 s, and writes what happened when it was not `Nothing` or `Wait`.
    fn timeline(healing: &mut Healing, window: &mut Runs, from: i64, to: i64) -> Vec<String> {
        let budget = Budget { max_runs: 3, per: Duration::from_secs(100) };
        let mut seen = Vec::new();
        for t in from..=to {
            let step = healing.step(&auto(), failing(5), at(t), || window.admit(budget, at(t)));
            match step {
                Step::Nothing | Step::Wait { .. } => {}
                Step::GiveUp { retry_at, notify } => seen.push(format!(
                    "{t}: gave up until {}{}",
                    (retry_at - at(0)).num_seconds(),
                    if notify { ", told" } else { "" }
                )),
                other => seen.push(format!("{t}: {other:?}")),
            }
        }
        seen
    }

    #[test]
    fn waits_for_after_failures() {
        let mut healing = Healing::default();
        assert_eq!(healing.step(&auto(), failing(1), at(0), || panic!("not asked yet")), Step::Nothing);
        assert_eq!(healing.step(&auto(), failing(2), at(1), || Ok(())), Step::Run);
        assert_eq!(healing.attempts, 1);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_the_budget_stops_it_once_told() {
        let mut healing = Healing::default();
        let mut window = Runs::default();
        let seen = timeline(&mut healing, &mut window, 0, 130);
        assert_eq!(
            seen,
            [
                "0: Run",
                "10: Run", // 10 s after the first
                "30: Run", // 20 s after the second
                // 35 s (capped, not 40) after the third: the budget (3 per 100 s) is spent.
                "65: gave up until 100, told",
                "66: gave up until 100",
            ]
            .into_iter()
            .map(String::from)
            .chain((67..100).map(|t| format!("{t}: gave up until 100")))
            .chain(["100: Run".to_owned()]) // the run at 0 left the window; 35 s of backoff follow
            .collect::<Vec<_>>(),
        );
        let budget = Budget { max_runs: 3, per: Duration::from_secs(100) };
        let blocked = window.blocked_until(budget, at(130));
        assert_eq!(blocked, None, "the runs at 10 and 30 left the window too");
        assert_eq!(
            healing.shown(&auto(), true, false, None, blocked, at(130)),
            HealingState::Waiting { next_at: at(135) }
        );
        assert_eq!(
            healing.shown(&auto(), true, false, None, Some(at(150)), at(130)),
            HealingState::GaveUp { retry_at: at(150) }
        );
    }

    #[test]
    fn held_or_running_never_runs() {
        let mut healing = Healing::default();
        for hold in [Hold::Paused, Hold::Maintenance, Hold::ParentDown, Hold::NoNetwork] {
            let held = Situation { held: Some(hold), ..failing(9) };
            assert_eq!(healing.step(&auto(), held, at(0), || panic!("no run while held: {hold:?}")), Step::Nothing);
            assert_eq!(healing.shown(&auto(), true, false, Some(hold), None, at(0)), HealingState::Held(hold));
        }
        let running = Situation { running: true, ..failing(9) };
        assert_eq!(healing.step(&auto(), running, at(0), || panic!("no run while one runs")), Step::Nothing);
    }

    #[test]
    fn stable_for_settles_once_and_a_blip_does_not() {
        let mut healing = Healing { attempts: 2, last_run_at: Some(at(0)), gave_up_at: Some(at(5)) };
        let up = |since| Situation { up_since: Some(at(since)), ..failing(0) };
        assert_eq!(healing.step(&auto(), up(10), at(69), || panic!("up")), Step::Nothing, "up 59 s of 60");
        assert_eq!(healing.attempts, 2, "a short recovery keeps the backoff growing");
        assert_eq!(healing.step(&auto(), up(10), at(70), || panic!("up")), Step::Settle);
        assert_eq!(healing, Healing::default());
        assert_eq!(healing.step(&auto(), up(10), at(71), || panic!("up")), Step::Nothing, "settled once");
    }

    #[test]
    fn shown_follows_the_state() {
        let healing = Healing { attempts: 1, last_run_at: Some(at(0)), gave_up_at: None };
        assert_eq!(healing.shown(&auto(), true, false, None, None, at(5)), HealingState::Waiting { next_at: at(10) });
        assert_eq!(healing.shown(&auto(), true, true, None, None, at(5)), HealingState::Running);
        assert_eq!(healing.shown(&auto(), false, false, None, None, at(5)), HealingState::Idle);
        assert_eq!(
            healing.shown(&auto(), true, false, None, Some(at(50)), at(5)),
            HealingState::Waiting { next_at: at(10) },
            "not given up yet"
        );
    }

    #[test]
    fn backoff_never_overflows() {
        let huge = AutoAction { max_backoff: Duration::MAX, ..auto() };
        assert_eq!(backoff(&huge, u32::MAX), Duration::from_secs(10).saturating_mul(1 << 31));
        assert_eq!(backoff(&auto(), 0), Duration::from_secs(10));
    }
}
