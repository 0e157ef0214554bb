//! An action's run budget: at most `max_runs` runs in any `per`, with systemd's
//! StartLimit semantics: every run counts (manual, automatic, failed), dry runs don't,
//! and a reset forgets the runs before it.
//!
//! Pure: every function takes `now`. The engine keeps one window per action, restored
//! at start from the audit table, so a restart forgets no run.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// An action's `max_runs` per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub max_runs: u32,
    pub per: Duration,
}

impl Default for Budget {
    /// 3 runs per 10 minutes.
    fn default() -> Budget {
        Budget { max_runs: 3, per: Duration::from_secs(600) }
    }
}

/// The runs that count against a budget now: their start times, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Runs {
    runs: VecDeque<DateTime<Utc>>,
}

/// A run the budget refuses, and when it will admit one again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    pub retry_at: DateTime<Utc>,
}

impl Runs {
    /// The window from recorded run starts (any order), as it stands at `now`: runs
    /// before `reset_at` and those that left the window do not count.
    pub fn restore(
        budget: Budget,
        starts: impl IntoIterator<Item = DateTime<Utc>>,
        reset_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Runs {
        let mut runs: Vec<DateTime<Utc>> =
            starts.into_iter().filter(|at| reset_at.is_none_or(|reset| *at >= reset)).collect();
        runs.sort_unstable();
        let mut window = Runs { runs: runs.into() };
        window.evict(budget, now);
        window
    }

    /// Admits a run starting at `now` and counts it, or says when one will be admitted.
    pub fn admit(&mut self, budget: Budget, now: DateTime<Utc>) -> Result<(), Exhausted> {
        if let Some(retry_at) = self.blocked_until(budget, now) {
            return Err(Exhausted { retry_at });
        }
        self.runs.push_back(now);
        Ok(())
    }

    /// Until when no run is admitted; `None` when one would be now.
    pub fn blocked_until(&mut self, budget: Budget, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.evict(budget, now);
        let max = budget.max_runs as usize;
        if max == 0 {
            // Config refuses it; were it to come, nothing would ever run.
            return Some(crate::clock::later(now, budget.per));
        }
        if self.runs.len() < max {
            return None;
        }
        // The run whose leaving brings the count under the limit.
        let leaving = self.runs[self.runs.len() - max];
        Some(crate::clock::later(leaving, budget.per))
    }

    /// Runs counted at `now`.
    pub fn runs(&mut self, budget: Budget, now: DateTime<Utc>) -> u32 {
        self.evict(budget, now);
        self.runs.len() as u32
    }

    /// Forgets every run: the next is admitted at once.
    pub fn reset(&mut self) {
        self.runs.clear();
    }

    fn evict(&mut self, budget: Budget, now: DateTime<Utc>) {
        let since = crate::clock::earlier(now, budget.per);
        while self.runs.front().is_some_and(|at| *at <= since) {
            self.runs.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("a valid time")
    }

    const THREE_PER_MINUTE: Budget = Budget { max_runs: 3, per: Duration::from_secs(60) };

    #[test]
    fn admits_max_runs_then_says_when_the_oldest_leaves() {
        let mut window = Runs::default();
        for t in [0, 10, 20] {
            assert_eq!(window.admit(THREE_PER_MINUTE, at(t)), Ok(()), "run at {t}s");
        }
        assert_eq!(window.admit(THREE_PER_MINUTE, at(30)), Err(Exhausted { retry_at: at(60) }));
        assert_eq!(window.runs(THREE_PER_MINUTE, at(30)), 3, "a refused run does not count");
        assert_eq!(window.blocked_until(THREE_PER_MINUTE, at(59)), Some(at(60)));
        // At 60 s the first run leaves: one more is admitted, and then the second must leave.
        assert_eq!(window.admit(THREE_PER_MINUTE, at(60)), Ok(()));
        assert_eq!(window.admit(THREE_PER_MINUTE, at(61)), Err(Exhausted { retry_at: at(70) }));
    }

    /// `per` goes into sums of times (when a run leaves the window, where the window
    /// starts): a budget past every time there is saturates, it does not panic.
    #[test]
    fn a_budget_longer_than_time_never_overflows() {
        let forever = Budget { max_runs: 1, per: Duration::MAX };
        let mut window = Runs::default();
        assert_eq!(window.admit(forever, at(0)), Ok(()));
        assert_eq!(window.admit(forever, at(1)), Err(Exhausted { retry_at: DateTime::<Utc>::MAX_UTC }));
        assert_eq!(window.runs(forever, DateTime::<Utc>::MAX_UTC), 1, "the window reaches back to the start of time");
        let none = Budget { max_runs: 0, per: Duration::MAX };
        assert_eq!(Runs::default().blocked_until(none, at(0)), Some(DateTime::<Utc>::MAX_UTC));
    }

    #[test]
    fn a_reset_admits_at_once() {
        let mut window = Runs::default();
        for t in [0, 1, 2] {
            window.admit(THREE_PER_MINUTE, at(t)).expect("within budget");
        }
        assert!(window.admit(THREE_PER_MINUTE, at(3)).is_err());
        window.reset();
        assert_eq!(window.runs(THREE_PER_MINUTE, at(3)), 0);
        assert_eq!(window.admit(THREE_PER_MINUTE, at(3)), Ok(()));
    }

    #[test]
    fn restore_counts_runs_in_the_window_after_the_last_reset() {
        let starts = [at(-120), at(5), at(-30), at(-50), at(-10)];
        let window = Runs::restore(THREE_PER_MINUTE, starts, Some(at(-40)), at(0));
        assert_eq!(window.runs, VecDeque::from(vec![at(-30), at(-10), at(5)]), "sorted, none before the reset");
        let mut window = Runs::restore(THREE_PER_MINUTE, starts, None, at(0));
        assert_eq!(window.runs(THREE_PER_MINUTE, at(0)), 4, "at(-120) left the window");
        assert_eq!(window.blocked_until(THREE_PER_MINUTE, at(0)), Some(at(30)), "two must leave: -50 then -30");
    }

    #[test]
    fn a_budget_of_zero_runs_admits_none_and_says_so() {
        let none = Budget { max_runs: 0, per: Duration::from_secs(60) };
        let mut window = Runs::default();
        // Config refuses max_runs = 0; the rule still never indexes out of range.
        assert_eq!(window.admit(none, at(0)), Err(Exhausted { retry_at: at(60) }));
    }
}
