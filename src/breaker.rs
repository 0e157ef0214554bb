//! The circuit breaker in front of each remote check, with resilience4j's semantics:
//!
//! - **closed**: every call (a probe's result) goes into a sliding window, the last N
//!   calls (`window = 20`) or the calls of the last N seconds (`window = "60s"`). Once
//!   the window holds `min_calls` calls (or a full count window, if smaller), the
//!   failure rate and the slow-call rate are computed; either at or above its threshold
//!   opens the breaker. Below `min_calls` there is no rate at all.
//! - **open**: no call reaches the target for `open_for`, doubled after each failed
//!   trial up to `max_open_for`. The window that opened it stays to be seen.
//! - **half-open**: `half_open_calls` trial calls go through, then their rates decide:
//!   open again, or closed with a fresh window.
//! - **disabled** (by the user): calls go through and are counted, it never opens.
//! - **forced open** (by the user): no call goes through, not even a trial, until reset.
//!
//! The first form, `failure_threshold = N` (N failures in a row), keeps working: its
//! trials are decided by their first failure.
//!
//! Pure: every function takes `now`. It must not know about probes or the clock.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use crate::model::BreakerState;

/// The calls a time window shows as its strip of recent calls (its rates count them all).
const STRIP: usize = 100;
/// A time window counts its calls in at most this many buckets: its oldest calls leave
/// it a bucket at a time (a sixtieth of the window, at least a second, as resilience4j's
/// per-second buckets).
const BUCKETS: u32 = 60;

/// Which calls the rates are computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last N calls.
    Count(u32),
    /// The calls of the last period.
    Time(Duration),
}

/// What opens a closed breaker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trip {
    /// Failure and slow-call rates (percent) over a sliding window.
    Rates { window: Window, failure_rate: f64, slow_rate: f64, min_calls: u32 },
    /// This many failures in a row.
    Consecutive(u32),
}

/// Failures in a row that open a breaker of the first form.
pub const DEFAULT_FAILURE_THRESHOLD: u32 = 5;
/// The rates that open a breaker, in percent, and the calls before they count.
pub const DEFAULT_FAILURE_RATE: f64 = 50.0;
pub const DEFAULT_SLOW_RATE: f64 = 100.0;
pub const DEFAULT_MIN_CALLS: u32 = 10;
/// The window of a breaker with rates.
pub const DEFAULT_WINDOW: Window = Window::Count(20);
/// How long it stays open first, and at most after failed trials.
pub const DEFAULT_OPEN_FOR: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_OPEN_FOR: Duration = Duration::from_secs(600);

/// A breaker's settings, from a check's `breaker` table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    pub trip: Trip,
    /// A call that takes longer is slow.
    pub slow_call: Duration,
    /// Trial calls in half-open.
    pub half_open_calls: u32,
    /// The first wait in open.
    pub open_for: Duration,
    /// The longest wait in open, however many trials failed.
    pub max_open_for: Duration,
}

impl BreakerConfig {
    /// The first form's breaker: `failures` in a row open it, one trial, the default
    /// waits.
    pub fn first_form(failures: u32, slow_call: Duration) -> BreakerConfig {
        BreakerConfig {
            trip: Trip::Consecutive(failures),
            slow_call,
            half_open_calls: 1,
            open_for: DEFAULT_OPEN_FOR,
            max_open_for: DEFAULT_MAX_OPEN_FOR,
        }
    }

    /// The wait in open after `failed_trials` failed trials in a row: `open_for`,
    /// doubled for each, at most `max_open_for`.
    pub fn wait(&self, failed_trials: u32) -> Duration {
        let doubled = self.open_for.saturating_mul(1u32.checked_shl(failed_trials.min(31)).unwrap_or(u32::MAX));
        doubled.min(self.max_open_for.max(self.open_for))
    }

    fn window(&self) -> Window {
        match self.trip {
            Trip::Rates { window, .. } => window,
            // The first form shows its recent calls as a count window of its threshold's
            // size (at least ten).
            Trip::Consecutive(n) => Window::Count(n.max(10)),
        }
    }
}

/// One call: how it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    pub failed: bool,
    pub slow: bool,
}

impl Call {
    /// `o` ok, `s` slow, `f` failed, `F` failed and slow: the strip's letters.
    pub fn letter(self) -> char {
        match (self.failed, self.slow) {
            (false, false) => 'o',
            (false, true) => 's',
            (true, false) => 'f',
            (true, true) => 'F',
        }
    }

    fn of_letter(letter: char) -> Option<Call> {
        Some(match letter {
            'o' => Call { failed: false, slow: false },
            's' => Call { failed: false, slow: true },
            'f' => Call { failed: true, slow: false },
            'F' => Call { failed: true, slow: true },
            _ => return None,
        })
    }
}

/// Calls, failed calls and slow calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub calls: u32,
    pub failed: u32,
    pub slow: u32,
}

impl Counts {
    fn add(&mut self, call: Call) {
        self.calls += 1;
        self.failed += u32::from(call.failed);
        self.slow += u32::from(call.slow);
    }

    fn remove(&mut self, call: Call) {
        self.calls = self.calls.saturating_sub(1);
        self.failed = self.failed.saturating_sub(u32::from(call.failed));
        self.slow = self.slow.saturating_sub(u32::from(call.slow));
    }

    fn percent(part: u32, of: u32) -> f64 {
        f64::from(part) * 100.0 / f64::from(of.max(1))
    }
}

/// A sliding window of calls.
#[derive(Debug, Clone, PartialEq)]
pub struct SlidingWindow {
    window: Window,
    /// The last calls, oldest first: all of a count window's, a time window's last [`STRIP`].
    recent: VecDeque<Call>,
    /// A count window's counts (a time window sums its buckets).
    counts: Counts,
    /// A time window's calls by bucket: (start in ms since the epoch, counts), oldest first.
    buckets: VecDeque<(i64, Counts)>,
}

impl SlidingWindow {
    pub fn new(window: Window) -> SlidingWindow {
        SlidingWindow { window, recent: VecDeque::new(), counts: Counts::default(), buckets: VecDeque::new() }
    }

    pub fn window(&self) -> Window {
        self.window
    }

    fn bucket_ms(period: Duration) -> i64 {
        (period.as_millis() as i64 / i64::from(BUCKETS)).max(1000)
    }

    fn push(&mut self, call: Call, now: DateTime<Utc>) {
        self.recent.push_back(call);
        match self.window {
            Window::Count(n) => {
                self.counts.add(call);
                while self.recent.len() > n.max(1) as usize {
                    if let Some(old) = self.recent.pop_front() {
                        self.counts.remove(old);
                    }
                }
            }
            Window::Time(period) => {
                if self.recent.len() > STRIP {
                    self.recent.pop_front();
                }
                let width = Self::bucket_ms(period);
                let start = now.timestamp_millis().div_euclid(width) * width;
                match self.buckets.back_mut() {
                    Some((at, counts)) if *at == start => counts.add(call),
                    _ => {
                        let mut counts = Counts::default();
                        counts.add(call);
                        self.buckets.push_back((start, counts));
                    }
                }
                self.evict(now);
            }
        }
    }

    /// Drops a time window's buckets that ended before the window's start.
    fn evict(&mut self, now: DateTime<Utc>) {
        if let Window::Time(period) = self.window {
            let width = Self::bucket_ms(period);
            let from = now.timestamp_millis() - period.as_millis() as i64;
            while self.buckets.front().is_some_and(|(start, _)| start + width <= from) {
                self.buckets.pop_front();
            }
        }
    }

    /// The calls in the window at `now`.
    pub fn counts(&self, now: DateTime<Utc>) -> Counts {
        match self.window {
            Window::Count(_) => self.counts,
            Window::Time(period) => {
                let width = Self::bucket_ms(period);
                let from = now.timestamp_millis() - period.as_millis() as i64;
                self.buckets.iter().filter(|(start, _)| start + width > from).fold(
                    Counts::default(),
                    |mut all, (_, c)| {
                        all.calls += c.calls;
                        all.failed += c.failed;
                        all.slow += c.slow;
                        all
                    },
                )
            }
        }
    }

    /// The last calls, oldest first.
    pub fn recent(&self) -> impl Iterator<Item = Call> + '_ {
        self.recent.iter().copied()
    }
}

/// A breaker: its state, the window its rates come from, and when it may next try.
#[derive(Debug, Clone, PartialEq)]
pub struct Breaker {
    pub state: BreakerState,
    /// Closed or disabled: the sliding window; half-open: the trials; open: the window
    /// that opened it.
    window: SlidingWindow,
    /// Failures in a row (the first form's rule; shown for both).
    pub consecutive_failures: u32,
    pub opened_at: Option<DateTime<Utc>>,
    /// When an open breaker lets the first trial through.
    pub next_trial_at: Option<DateTime<Utc>>,
    /// Trials that failed in a row since it last closed: each doubles the wait.
    pub failed_trials: u32,
    config: Option<BreakerConfig>,
}

/// Whether a probe may reach its target now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    Allow,
    /// Open: no call until `until`; forced open: none until reset (`until` is `None`).
    Deny {
        until: Option<DateTime<Utc>>,
    },
}

/// A user's steering of a breaker: the one type for it, from the API (`{"state"}`),
/// the CLI (`watchkeeper breaker ID open|disable|reset`) and the tray alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Steer {
    /// No probe reaches the target until reset.
    ForceOpen,
    /// Probes go through and are counted; it never opens.
    Disable,
    /// Closed, with a fresh window and the first wait.
    Reset,
}

impl Steer {
    pub const ALL: &'static [Steer] = &[Steer::ForceOpen, Steer::Disable, Steer::Reset];

    /// The state it puts a breaker in.
    pub fn target(self) -> BreakerState {
        match self {
            Steer::ForceOpen => BreakerState::ForcedOpen,
            Steer::Disable => BreakerState::Disabled,
            Steer::Reset => BreakerState::Closed,
        }
    }

    /// The steering that puts a breaker in `state`; `None` for the states it moves
    /// into by itself (open, half-open).
    pub fn toward(state: BreakerState) -> Option<Steer> {
        Steer::ALL.iter().copied().find(|s| s.target() == state)
    }

    /// Its word on the command line and in the tray's menu ids: `open`, `disable`,
    /// `reset`.
    pub fn code(self) -> &'static str {
        match self {
            Steer::ForceOpen => "open",
            Steer::Disable => "disable",
            Steer::Reset => "reset",
        }
    }

    pub fn parse(code: &str) -> Option<Steer> {
        Steer::ALL.iter().copied().find(|s| s.code() == code)
    }
}

/// What a breaker shows: its state, its window's rates (none below `min_calls`) and
/// when it may next try.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerView {
    pub state: BreakerState,
    pub counts: Counts,
    pub failure_rate: Option<f64>,
    pub slow_rate: Option<f64>,
    /// The window's last calls, oldest first.
    pub recent: Vec<Call>,
    pub consecutive_failures: u32,
    pub opened_at: Option<DateTime<Utc>>,
    pub next_trial_at: Option<DateTime<Utc>>,
    pub failed_trials: u32,
}

impl Breaker {
    /// A breaker for a check; `None` config means the check has none (disabled).
    pub fn new(config: Option<BreakerConfig>) -> Breaker {
        let state = if config.is_some() { BreakerState::Closed } else { BreakerState::Disabled };
        let window = SlidingWindow::new(config.map_or(Window::Count(10), |c| c.window()));
        Breaker {
            state,
            window,
            consecutive_failures: 0,
            opened_at: None,
            next_trial_at: None,
            failed_trials: 0,
            config,
        }
    }

    pub fn config(&self) -> Option<&BreakerConfig> {
        self.config.as_ref()
    }

    /// Asks to probe at `now`. An open breaker whose wait is over turns half-open and
    /// lets its trials through, one at a time (a check never has two probes in flight).
    pub fn permit(&mut self, now: DateTime<Utc>) -> Permit {
        match self.state {
            BreakerState::Closed | BreakerState::Disabled | BreakerState::HalfOpen => Permit::Allow,
            BreakerState::ForcedOpen => Permit::Deny { until: None },
            BreakerState::Open => match self.next_trial_at {
                Some(at) if at > now => Permit::Deny { until: Some(at) },
                _ => {
                    self.half_open();
                    Permit::Allow
                }
            },
        }
    }

    /// An explicit probe (an action's verification) of an open breaker is a trial now.
    pub fn trial_now(&mut self) {
        if self.state == BreakerState::Open {
            self.half_open();
        }
    }

    fn half_open(&mut self) {
        let trials = self.config.map_or(1, |c| c.half_open_calls.max(1));
        self.state = BreakerState::HalfOpen;
        self.window = SlidingWindow::new(Window::Count(trials));
    }

    /// Records the outcome of a permitted call.
    pub fn record(&mut self, call: Call, now: DateTime<Utc>) {
        let Some(config) = self.config else { return };
        self.consecutive_failures = if call.failed { self.consecutive_failures.saturating_add(1) } else { 0 };
        match self.state {
            BreakerState::Closed => {
                self.window.push(call, now);
                if self.trips(&config, now) {
                    self.open(&config, now);
                }
            }
            BreakerState::Disabled => self.window.push(call, now),
            BreakerState::HalfOpen => {
                self.window.push(call, now);
                let trials = self.window.counts(now);
                let failed = match config.trip {
                    Trip::Consecutive(_) => trials.failed > 0,
                    Trip::Rates { failure_rate, slow_rate, .. } => {
                        trials.calls >= config.half_open_calls.max(1)
                            && (Counts::percent(trials.failed, trials.calls) >= failure_rate
                                || Counts::percent(trials.slow, trials.calls) >= slow_rate)
                    }
                };
                if failed {
                    self.failed_trials = self.failed_trials.saturating_add(1);
                    self.open(&config, now);
                } else if trials.calls >= config.half_open_calls.max(1) {
                    self.close(&config);
                }
            }
            // A call let through before it opened: its outcome no longer counts.
            BreakerState::Open | BreakerState::ForcedOpen => {}
        }
    }

    fn trips(&self, config: &BreakerConfig, now: DateTime<Utc>) -> bool {
        match config.trip {
            Trip::Consecutive(n) => self.consecutive_failures >= n.max(1),
            Trip::Rates { failure_rate, slow_rate, .. } => {
                let counts = self.window.counts(now);
                counts.calls >= min_calls(config)
                    && (Counts::percent(counts.failed, counts.calls) >= failure_rate
                        || Counts::percent(counts.slow, counts.calls) >= slow_rate)
            }
        }
    }

    fn open(&mut self, config: &BreakerConfig, now: DateTime<Utc>) {
        self.state = BreakerState::Open;
        self.opened_at = Some(now);
        self.next_trial_at = Some(crate::clock::later(now, config.wait(self.failed_trials)));
    }

    fn close(&mut self, config: &BreakerConfig) {
        self.state = BreakerState::Closed;
        self.window = SlidingWindow::new(config.window());
        self.opened_at = None;
        self.next_trial_at = None;
        self.failed_trials = 0;
    }

    /// The user's steering; `false` when it changes nothing (a check without a breaker).
    pub fn steer(&mut self, steer: Steer) -> bool {
        let Some(config) = self.config else { return false };
        match steer {
            Steer::ForceOpen => {
                self.state = BreakerState::ForcedOpen;
                self.next_trial_at = None;
            }
            Steer::Disable => {
                if self.state != BreakerState::Closed {
                    self.window = SlidingWindow::new(config.window());
                }
                self.state = BreakerState::Disabled;
                self.opened_at = None;
                self.next_trial_at = None;
                self.failed_trials = 0;
            }
            Steer::Reset => {
                self.close(&config);
                self.consecutive_failures = 0;
            }
        }
        true
    }

    /// What it shows at `now`.
    pub fn view(&self, now: DateTime<Utc>) -> BreakerView {
        let counts = self.window.counts(now);
        // Half-open, and open after a failed trial, show the trials' rates.
        let trials = self.state == BreakerState::HalfOpen || self.state == BreakerState::Open && self.failed_trials > 0;
        let min = match trials {
            true => self.config.map_or(1, |c| c.half_open_calls.max(1)),
            false => self.config.as_ref().map_or(1, min_calls),
        };
        let rate = |part: u32| (counts.calls >= min && counts.calls > 0).then(|| Counts::percent(part, counts.calls));
        BreakerView {
            state: self.state,
            counts,
            failure_rate: rate(counts.failed),
            slow_rate: rate(counts.slow),
            recent: self.window.recent().collect(),
            consecutive_failures: self.consecutive_failures,
            opened_at: self.opened_at,
            next_trial_at: self.next_trial_at,
            failed_trials: self.failed_trials,
        }
    }

    /// Why it went from `from` to `to` (its state now, or the half-open step a trial
    /// passed through), for the record of its changes.
    pub fn reason(&self, from: BreakerState, to: BreakerState, now: DateTime<Utc>) -> String {
        let view = self.view(now);
        let wait = |view: &BreakerView| match (view.opened_at, view.next_trial_at) {
            (Some(opened), Some(next)) => format!("; trial in {}", human((next - opened).to_std().unwrap_or_default())),
            _ => String::new(),
        };
        let Some(config) = self.config else { return String::new() };
        let counts = view.counts;
        match (from, to) {
            (BreakerState::Closed, BreakerState::Open) => {
                let why = match config.trip {
                    Trip::Consecutive(n) => format!("{n} failures in a row"),
                    Trip::Rates { failure_rate, slow_rate, .. } => {
                        let failed = Counts::percent(counts.failed, counts.calls);
                        if failed >= failure_rate {
                            format!("failure rate {failed:.0}% ≥ {failure_rate}% over {} calls", counts.calls)
                        } else {
                            let slow = Counts::percent(counts.slow, counts.calls);
                            format!("slow-call rate {slow:.0}% ≥ {slow_rate}% over {} calls", counts.calls)
                        }
                    }
                };
                format!("{why}{}", wait(&view))
            }
            (BreakerState::HalfOpen, BreakerState::Open) => {
                format!("trial failed ({} of {} trial calls failed){}", counts.failed, counts.calls, wait(&view))
            }
            (BreakerState::Open, BreakerState::HalfOpen) => {
                format!(
                    "{} trial call{} after the wait",
                    config.half_open_calls,
                    if config.half_open_calls == 1 { "" } else { "s" }
                )
            }
            (BreakerState::HalfOpen, BreakerState::Closed) => "trial calls passed".to_owned(),
            (_, BreakerState::ForcedOpen) => "forced open: no probe until reset".to_owned(),
            (_, BreakerState::Disabled) => "disabled: probes go on, it never opens".to_owned(),
            (_, BreakerState::Closed) => "reset: a fresh window".to_owned(),
            (_, BreakerState::HalfOpen) => "trial call now (an explicit probe)".to_owned(),
            (_, BreakerState::Open) => format!("opened{}", wait(&view)),
        }
    }

    /// The breaker as the database keeps it.
    pub fn save(&self) -> Saved {
        let window = &self.window;
        Saved {
            state: self.state,
            consecutive_failures: self.consecutive_failures,
            opened_at: self.opened_at,
            next_trial_at: self.next_trial_at,
            failed_trials: self.failed_trials,
            window: SavedWindow {
                window: window_code(window.window),
                recent: window.recent.iter().map(|c| c.letter()).collect(),
                buckets: window
                    .buckets
                    .iter()
                    .map(|(at, c)| [*at, c.calls.into(), c.failed.into(), c.slow.into()])
                    .collect(),
            },
        }
    }

    /// A breaker as it was saved, under today's config. A check that has no breaker now
    /// gets none; a window whose kind or size changed starts empty (its calls were
    /// counted by other rules).
    pub fn restore(config: Option<BreakerConfig>, saved: &Saved) -> Breaker {
        let mut breaker = Breaker::new(config);
        let Some(config) = config else { return breaker };
        breaker.state = saved.state;
        breaker.consecutive_failures = saved.consecutive_failures;
        breaker.opened_at = saved.opened_at;
        breaker.next_trial_at = saved.next_trial_at;
        breaker.failed_trials = saved.failed_trials;
        // Half-open counts its trials; open shows the window that opened it, which is
        // the trials' after a failed trial.
        let trials = Window::Count(config.half_open_calls.max(1));
        let fits = |w: &SlidingWindow| match saved.state {
            BreakerState::HalfOpen => w.window == trials,
            BreakerState::Open => w.window == trials || w.window == config.window(),
            _ => w.window == config.window(),
        };
        if let Some(window) = saved.window.parse().filter(fits) {
            breaker.window = window;
        } else if saved.state == BreakerState::HalfOpen {
            breaker.half_open();
        }
        if saved.state == BreakerState::Open && breaker.next_trial_at.is_none() {
            // Its wait is unknown: a trial at once.
            breaker.half_open();
        }
        breaker
    }
}

/// The calls below which no rate is computed: `min_calls`, or a whole count window
/// when that is smaller (as resilience4j: a count window never holds more).
fn min_calls(config: &BreakerConfig) -> u32 {
    match config.trip {
        Trip::Rates { window: Window::Count(n), min_calls, .. } => min_calls.min(n).max(1),
        Trip::Rates { min_calls, .. } => min_calls.max(1),
        Trip::Consecutive(_) => 1,
    }
}

/// A breaker as the database keeps it (`check_state.breaker`, as JSON: the store's).
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub state: BreakerState,
    pub consecutive_failures: u32,
    pub opened_at: Option<DateTime<Utc>>,
    pub next_trial_at: Option<DateTime<Utc>>,
    pub failed_trials: u32,
    pub window: SavedWindow,
}

/// A window as saved: `count:N` or `time:MS`, its recent calls as letters
/// ([`Call::letter`]), and a time window's buckets as `[start_ms, calls, failed, slow]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedWindow {
    pub window: String,
    pub recent: String,
    pub buckets: Vec<[i64; 4]>,
}

impl SavedWindow {
    fn parse(&self) -> Option<SlidingWindow> {
        let window = match self.window.split_once(':')? {
            ("count", n) => Window::Count(n.parse().ok()?),
            ("time", ms) => Window::Time(Duration::from_millis(ms.parse().ok()?)),
            _ => return None,
        };
        let mut parsed = SlidingWindow::new(window);
        for letter in self.recent.chars() {
            let call = Call::of_letter(letter)?;
            parsed.recent.push_back(call);
            if matches!(window, Window::Count(_)) {
                parsed.counts.add(call);
            }
        }
        if let Window::Count(n) = window {
            if parsed.recent.len() > n as usize {
                return None;
            }
        }
        for [at, calls, failed, slow] in &self.buckets {
            let count = |n: &i64| u32::try_from(*n).ok();
            let counts = Counts { calls: count(calls)?, failed: count(failed)?, slow: count(slow)? };
            parsed.buckets.push_back((*at, counts));
        }
        Some(parsed)
    }
}

fn window_code(window: Window) -> String {
    match window {
        Window::Count(n) => format!("count:{n}"),
        Window::Time(period) => format!("time:{}", period.as_millis()),
    }
}

/// `30s`, `2m`, `1h 5m`.
fn human(duration: Duration) -> String {
    crate::units::format_duration(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn consecutive(n: u32) -> BreakerConfig {
        BreakerConfig {
            trip: Trip::Consecutive(n),
            slow_call: Duration::from_secs(1),
            half_open_calls: 1,
            open_for: Duration::from_secs(30),
            max_open_for: Duration::from_secs(30),
        }
    }

    fn rates(window: Window, min_calls: u32) -> BreakerConfig {
        BreakerConfig {
            trip: Trip::Rates { window, failure_rate: 50.0, slow_rate: 100.0, min_calls },
            slow_call: Duration::from_secs(1),
            half_open_calls: 3,
            open_for: Duration::from_secs(30),
            max_open_for: Duration::from_secs(100),
        }
    }

    /// Replays a script of steps: `p` asks for a permit, `o`/`f`/`s`/`F` records an ok,
    /// failed, slow, or failed and slow call, `+N` advances N seconds, `force`, `disable`
    /// and `reset` steer it, `save` saves and restores it. Each line: the time, the step,
    /// and what the breaker shows after it.
    fn check(config: BreakerConfig, script: &str, expect: Expect) {
        let mut breaker = Breaker::new(Some(config));
        let start = DateTime::<Utc>::from_timestamp(0, 0).unwrap();
        let mut now = start;
        let mut out = String::new();
        let secs =
            |at: Option<DateTime<Utc>>| at.map_or("-".to_owned(), |at| format!("+{}s", (at - start).num_seconds()));
        for step in script.split_whitespace() {
            let what = match step {
                "p" => match breaker.permit(now) {
                    Permit::Allow => "allow".to_owned(),
                    Permit::Deny { until } => format!("deny until {}", secs(until)),
                },
                "force" | "disable" | "reset" => {
                    let steer = match step {
                        "force" => Steer::ForceOpen,
                        "disable" => Steer::Disable,
                        _ => Steer::Reset,
                    };
                    breaker.steer(steer);
                    step.to_owned()
                }
                "save" => {
                    let saved = breaker.save();
                    let restored = Breaker::restore(Some(config), &saved);
                    assert_eq!(restored, breaker, "restored as saved: {saved:?}");
                    "save+restore".to_owned()
                }
                advance if advance.starts_with('+') => {
                    now += chrono::Duration::seconds(advance.trim_start_matches('+').parse().unwrap());
                    continue;
                }
                call => {
                    let letters: Vec<Call> = call.chars().map(|c| Call::of_letter(c).expect("a call letter")).collect();
                    for call in letters {
                        breaker.record(call, now);
                    }
                    call.to_owned()
                }
            };
            let view = breaker.view(now);
            let rate = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{r:.0}%"));
            out.push_str(&format!(
                "+{:<3} {what:<17} {:<11} {}/{}/{} fail {} slow {} [{}] next {}\n",
                (now - start).num_seconds(),
                view.state.as_str(),
                view.counts.calls,
                view.counts.failed,
                view.counts.slow,
                rate(view.failure_rate),
                rate(view.slow_rate),
                view.recent.iter().map(|c| c.letter()).collect::<String>(),
                secs(view.next_trial_at),
            ));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn the_first_form_opens_after_failures_in_a_row_and_one_trial_decides() {
        check(
            consecutive(3),
            "p f +1 p f o f f +1 p f +1 p +29 p f +1 p +30 p o p",
            expect![[r#"
                +0   allow             closed      0/0/0 fail - slow - [] next -
                +0   f                 closed      1/1/0 fail 100% slow 0% [f] next -
                +1   allow             closed      1/1/0 fail 100% slow 0% [f] next -
                +1   f                 closed      2/2/0 fail 100% slow 0% [ff] next -
                +1   o                 closed      3/2/0 fail 67% slow 0% [ffo] next -
                +1   f                 closed      4/3/0 fail 75% slow 0% [ffof] next -
                +1   f                 closed      5/4/0 fail 80% slow 0% [ffoff] next -
                +2   allow             closed      5/4/0 fail 80% slow 0% [ffoff] next -
                +2   f                 open        6/5/0 fail 83% slow 0% [ffofff] next +32s
                +3   deny until +32s   open        6/5/0 fail 83% slow 0% [ffofff] next +32s
                +32  allow             half_open   0/0/0 fail - slow - [] next +32s
                +32  f                 open        1/1/0 fail 100% slow 0% [f] next +62s
                +33  deny until +62s   open        1/1/0 fail 100% slow 0% [f] next +62s
                +63  allow             half_open   0/0/0 fail - slow - [] next +62s
                +63  o                 closed      0/0/0 fail - slow - [] next -
                +63  allow             closed      0/0/0 fail - slow - [] next -
            "#]],
        );
    }

    #[test]
    fn no_rate_below_min_calls_then_the_failure_rate_opens_it() {
        // A count window of 10, at least 4 calls: three failures of three are no rate.
        check(
            rates(Window::Count(10), 4),
            "fff o save ooo f f f",
            expect![[r#"
                +0   fff               closed      3/3/0 fail - slow - [fff] next -
                +0   o                 open        4/3/0 fail 75% slow 0% [fffo] next +30s
                +0   save+restore      open        4/3/0 fail 75% slow 0% [fffo] next +30s
                +0   ooo               open        4/3/0 fail 75% slow 0% [fffo] next +30s
                +0   f                 open        4/3/0 fail 75% slow 0% [fffo] next +30s
                +0   f                 open        4/3/0 fail 75% slow 0% [fffo] next +30s
                +0   f                 open        4/3/0 fail 75% slow 0% [fffo] next +30s
            "#]],
        );
    }

    #[test]
    fn a_count_window_forgets_its_oldest_calls_and_a_small_window_is_its_own_minimum() {
        // min_calls 10 above a window of 4: four calls are enough (resilience4j's rule).
        check(
            rates(Window::Count(4), 10),
            "o f o o o o f o f",
            expect![[r#"
                +0   o                 closed      1/0/0 fail - slow - [o] next -
                +0   f                 closed      2/1/0 fail - slow - [of] next -
                +0   o                 closed      3/1/0 fail - slow - [ofo] next -
                +0   o                 closed      4/1/0 fail 25% slow 0% [ofoo] next -
                +0   o                 closed      4/1/0 fail 25% slow 0% [fooo] next -
                +0   o                 closed      4/0/0 fail 0% slow 0% [oooo] next -
                +0   f                 closed      4/1/0 fail 25% slow 0% [ooof] next -
                +0   o                 closed      4/1/0 fail 25% slow 0% [oofo] next -
                +0   f                 open        4/2/0 fail 50% slow 0% [ofof] next +30s
            "#]],
        );
    }

    #[test]
    fn slow_calls_open_it_at_their_own_threshold() {
        let mut config = rates(Window::Count(4), 4);
        config.trip = Trip::Rates { window: Window::Count(4), failure_rate: 50.0, slow_rate: 75.0, min_calls: 4 };
        check(
            config,
            "s s o s",
            expect![[r#"
                +0   s                 closed      1/0/1 fail - slow - [s] next -
                +0   s                 closed      2/0/2 fail - slow - [ss] next -
                +0   o                 closed      3/0/2 fail - slow - [sso] next -
                +0   s                 open        4/0/3 fail 0% slow 75% [ssos] next +30s
            "#]],
        );
    }

    #[test]
    fn half_open_lets_its_trials_through_and_their_rate_decides() {
        check(
            rates(Window::Count(4), 4),
            "ffff +30 p o p f p o +1 p ffff +30 p f p f p o save +100 p o o o",
            expect![[r#"
                +0   ffff              open        4/4/0 fail 100% slow 0% [ffff] next +30s
                +30  allow             half_open   0/0/0 fail - slow - [] next +30s
                +30  o                 half_open   1/0/0 fail - slow - [o] next +30s
                +30  allow             half_open   1/0/0 fail - slow - [o] next +30s
                +30  f                 half_open   2/1/0 fail - slow - [of] next +30s
                +30  allow             half_open   2/1/0 fail - slow - [of] next +30s
                +30  o                 closed      0/0/0 fail - slow - [] next -
                +31  allow             closed      0/0/0 fail - slow - [] next -
                +31  ffff              open        4/4/0 fail 100% slow 0% [ffff] next +61s
                +61  allow             half_open   0/0/0 fail - slow - [] next +61s
                +61  f                 half_open   1/1/0 fail - slow - [f] next +61s
                +61  allow             half_open   1/1/0 fail - slow - [f] next +61s
                +61  f                 half_open   2/2/0 fail - slow - [ff] next +61s
                +61  allow             half_open   2/2/0 fail - slow - [ff] next +61s
                +61  o                 open        3/2/0 fail 67% slow 0% [ffo] next +121s
                +61  save+restore      open        3/2/0 fail 67% slow 0% [ffo] next +121s
                +161 allow             half_open   0/0/0 fail - slow - [] next +121s
                +161 o                 half_open   1/0/0 fail - slow - [o] next +121s
                +161 o                 half_open   2/0/0 fail - slow - [oo] next +121s
                +161 o                 closed      0/0/0 fail - slow - [] next -
            "#]],
        );
    }

    #[test]
    fn the_wait_doubles_per_failed_trial_up_to_its_cap_and_a_close_starts_it_over() {
        let config = rates(Window::Count(2), 2);
        let waits: Vec<u64> = (0..5).map(|n| config.wait(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 100, 100, 100]);
        assert_eq!(config.wait(u32::MAX).as_secs(), 100, "no overflow");
        check(
            BreakerConfig { half_open_calls: 1, ..config },
            "ff +30 p f +60 p f +100 p f +100 p o ff",
            expect![[r#"
                +0   ff                open        2/2/0 fail 100% slow 0% [ff] next +30s
                +30  allow             half_open   0/0/0 fail - slow - [] next +30s
                +30  f                 open        1/1/0 fail 100% slow 0% [f] next +90s
                +90  allow             half_open   0/0/0 fail - slow - [] next +90s
                +90  f                 open        1/1/0 fail 100% slow 0% [f] next +190s
                +190 allow             half_open   0/0/0 fail - slow - [] next +190s
                +190 f                 open        1/1/0 fail 100% slow 0% [f] next +290s
                +290 allow             half_open   0/0/0 fail - slow - [] next +290s
                +290 o                 closed      0/0/0 fail - slow - [] next -
                +290 ff                open        2/2/0 fail 100% slow 0% [ff] next +320s
            "#]],
        );
    }

    #[test]
    fn a_time_window_counts_the_calls_of_its_period_and_evicts_by_bucket() {
        // 60 s: one-second buckets. At least 3 calls.
        check(
            rates(Window::Time(Duration::from_secs(60)), 3),
            "f +10 o +10 o +41 p +10 f +0 f save +60 p o",
            expect![[r#"
                +0   f                 closed      1/1/0 fail - slow - [f] next -
                +10  o                 closed      2/1/0 fail - slow - [fo] next -
                +20  o                 closed      3/1/0 fail 33% slow 0% [foo] next -
                +61  allow             closed      2/0/0 fail - slow - [foo] next -
                +71  f                 closed      2/1/0 fail - slow - [foof] next -
                +71  f                 open        3/2/0 fail 67% slow 0% [fooff] next +101s
                +71  save+restore      open        3/2/0 fail 67% slow 0% [fooff] next +101s
                +131 allow             half_open   0/0/0 fail - slow - [] next +101s
                +131 o                 half_open   1/0/0 fail - slow - [o] next +101s
            "#]],
        );
    }

    #[test]
    fn forced_open_lets_nothing_through_disabled_never_opens_and_reset_starts_over() {
        check(
            rates(Window::Count(4), 4),
            "o force p +1000 p save disable ffff p ffff reset p f save",
            expect![[r#"
                +0   o                 closed      1/0/0 fail - slow - [o] next -
                +0   force             forced_open 1/0/0 fail - slow - [o] next -
                +0   deny until -      forced_open 1/0/0 fail - slow - [o] next -
                +1000 deny until -      forced_open 1/0/0 fail - slow - [o] next -
                +1000 save+restore      forced_open 1/0/0 fail - slow - [o] next -
                +1000 disable           disabled    0/0/0 fail - slow - [] next -
                +1000 ffff              disabled    4/4/0 fail 100% slow 0% [ffff] next -
                +1000 allow             disabled    4/4/0 fail 100% slow 0% [ffff] next -
                +1000 ffff              disabled    4/4/0 fail 100% slow 0% [ffff] next -
                +1000 reset             closed      0/0/0 fail - slow - [] next -
                +1000 allow             closed      0/0/0 fail - slow - [] next -
                +1000 f                 closed      1/1/0 fail - slow - [f] next -
                +1000 save+restore      closed      1/1/0 fail - slow - [f] next -
            "#]],
        );
    }

    #[test]
    fn a_changed_window_restores_empty_and_a_removed_breaker_is_none() {
        let mut breaker = Breaker::new(Some(rates(Window::Count(4), 4)));
        let now = Utc::now();
        breaker.record(Call { failed: true, slow: false }, now);
        let saved = breaker.save();
        let restored = Breaker::restore(Some(rates(Window::Count(8), 4)), &saved);
        assert_eq!(restored.view(now).counts, Counts::default(), "another window size starts empty");
        assert_eq!(restored.consecutive_failures, 1, "the rest is kept");
        let none = Breaker::restore(None, &saved);
        assert_eq!((none.state, none.config()), (BreakerState::Disabled, None));
        let garbage = SavedWindow { window: "count:4".into(), recent: "xyz".into(), buckets: vec![] };
        assert!(garbage.parse().is_none(), "an unreadable window is refused, not half read");
        let mut open = saved.clone();
        open.state = BreakerState::Open;
        open.next_trial_at = None;
        assert_eq!(Breaker::restore(Some(rates(Window::Count(4), 4)), &open).state, BreakerState::HalfOpen);
    }

    #[test]
    fn without_config_it_is_disabled_and_always_allows() {
        let mut breaker = Breaker::new(None);
        let now = Utc::now();
        for _ in 0..10 {
            breaker.record(Call { failed: true, slow: false }, now);
        }
        assert_eq!(breaker.permit(now), Permit::Allow, "a disabled breaker never stops probes");
        assert_eq!(breaker.state, BreakerState::Disabled);
        assert!(!breaker.steer(Steer::ForceOpen), "no breaker to steer");
    }
}
