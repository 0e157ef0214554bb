//! The circuit breaker in front of each remote check: closed, open after N
//! consecutive failures, half-open after a wait with one trial, closed again on
//! success.
//!
//! Pure: every function takes `now`. It must not know about probes or the clock.

use std::time::Duration;

use chrono::{DateTime, Utc};

pub use crate::model::BreakerState;

/// A breaker's settings, from a check's `breaker` table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive failures that open it.
    pub failure_threshold: u32,
    /// How long it stays open before a trial.
    pub open_for: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Breaker {
    pub state: BreakerState,
    pub consecutive_failures: u32,
    /// When an open breaker lets the next trial through.
    pub next_trial_at: Option<DateTime<Utc>>,
    config: Option<BreakerConfig>,
}

/// Whether a probe may reach its target now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    Allow,
    /// Open: no request until `until`.
    Deny {
        until: DateTime<Utc>,
    },
}

impl Breaker {
    /// A breaker for a check; `None` config means the check has none (disabled).
    pub fn new(config: Option<BreakerConfig>) -> Breaker {
        let state = if config.is_some() { BreakerState::Closed } else { BreakerState::Disabled };
        Breaker { state, consecutive_failures: 0, next_trial_at: None, config }
    }

    /// Restores a persisted breaker; an unknown or disabled config resets it.
    pub fn restore(
        config: Option<BreakerConfig>,
        state: BreakerState,
        consecutive_failures: u32,
        next_trial_at: Option<DateTime<Utc>>,
    ) -> Breaker {
        match (config, state) {
            (None, _) | (_, BreakerState::Disabled) => Breaker::new(config),
            (Some(_), state) => Breaker { state, consecutive_failures, next_trial_at, config },
        }
    }

    /// Asks to probe at `now`. An open breaker whose wait is over turns half-open and
    /// lets exactly one trial through.
    pub fn permit(&mut self, now: DateTime<Utc>) -> Permit {
        match self.state {
            BreakerState::Closed | BreakerState::Disabled | BreakerState::HalfOpen => Permit::Allow,
            BreakerState::Open => match self.next_trial_at {
                Some(at) if at > now => Permit::Deny { until: at },
                _ => {
                    self.state = BreakerState::HalfOpen;
                    Permit::Allow
                }
            },
        }
    }

    /// Records the outcome of a permitted probe.
    pub fn record(&mut self, success: bool, now: DateTime<Utc>) {
        let Some(config) = self.config else { return };
        if success {
            self.state = BreakerState::Closed;
            self.consecutive_failures = 0;
            self.next_trial_at = None;
            return;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let trip = match self.state {
            BreakerState::HalfOpen => true,
            BreakerState::Closed => self.consecutive_failures >= config.failure_threshold,
            BreakerState::Open | BreakerState::Disabled => false,
        };
        if trip {
            self.state = BreakerState::Open;
            self.next_trial_at = Some(now + to_chrono(config.open_for));
        }
    }
}

fn to_chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    /// Replays a script of steps: `p` asks for a permit, `s`/`f` records a success or
    /// a failure, `+N` advances N seconds.
    fn check(script: &str, expect: Expect) {
        let config = BreakerConfig { failure_threshold: 3, open_for: Duration::from_secs(30) };
        let mut breaker = Breaker::new(Some(config));
        let start = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        let mut now = start;
        let mut out = String::new();
        for step in script.split_whitespace() {
            let what = match step {
                "p" => match breaker.permit(now) {
                    Permit::Allow => "allow".to_owned(),
                    Permit::Deny { until } => format!("deny until +{}s", (until - start).num_seconds()),
                },
                "s" => {
                    breaker.record(true, now);
                    "success".to_owned()
                }
                "f" => {
                    breaker.record(false, now);
                    "failure".to_owned()
                }
                advance => {
                    now += chrono::Duration::seconds(advance.trim_start_matches('+').parse().unwrap());
                    continue;
                }
            };
            out.push_str(&format!(
                "+{:<3} {what:<16} -> {} ({} failures)\n",
                (now - start).num_seconds(),
                breaker.state.as_str(),
                breaker.consecutive_failures
            ));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn opens_waits_trials_and_closes() {
        check(
            "p f +1 p f +1 p f +1 p +29 p f +1 p +30 p s p",
            expect![[r#"
                +0   allow            -> closed (0 failures)
                +0   failure          -> closed (1 failures)
                +1   allow            -> closed (1 failures)
                +1   failure          -> closed (2 failures)
                +2   allow            -> closed (2 failures)
                +2   failure          -> open (3 failures)
                +3   deny until +32s  -> open (3 failures)
                +32  allow            -> half_open (3 failures)
                +32  failure          -> open (4 failures)
                +33  deny until +62s  -> open (4 failures)
                +63  allow            -> half_open (4 failures)
                +63  success          -> closed (0 failures)
                +63  allow            -> closed (0 failures)
            "#]],
        );
    }

    #[test]
    fn a_success_resets_the_streak() {
        check(
            "f f s f f",
            expect![[r#"
                +0   failure          -> closed (1 failures)
                +0   failure          -> closed (2 failures)
                +0   success          -> closed (0 failures)
                +0   failure          -> closed (1 failures)
                +0   failure          -> closed (2 failures)
            "#]],
        );
    }

    #[test]
    fn without_config_it_is_disabled_and_always_allows() {
        let mut breaker = Breaker::new(None);
        let now = Utc::now();
        for _ in 0..10 {
            breaker.record(false, now);
        }
        assert_eq!(breaker.permit(now), Permit::Allow, "a disabled breaker never stops probes");
        assert_eq!(breaker.state, BreakerState::Disabled);
    }
}
