//! Flap detection, as Nagios does it: the weighted percent of state change over a
//! check's last `window` results (newer changes weigh more, from 0.75 to 1.25), with
//! hysteresis: flapping starts at `high` percent and stops below `low`. A flapping
//! check tells one `flapping` notification, then nothing until it settles. Pure.

use crate::model::Status;

/// `[alerts] flap`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlapConfig {
    /// Results looked at, 3 to 64 (default 21).
    pub window: u8,
    /// Percent of weighted state change at which flapping starts (default 50).
    pub high: f64,
    /// Percent below which it stops (default 25).
    pub low: f64,
}

impl Default for FlapConfig {
    fn default() -> Self {
        FlapConfig { window: 21, high: 50.0, low: 25.0 }
    }
}

/// A check's recent results, as changes: small and copied into its saved state.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FlapHistory {
    /// Bit `i` set: the `i`-th latest transition was a change of state.
    pub changes: u64,
    /// Results seen, up to the window.
    pub results: u8,
    /// The last result's status.
    pub last: Option<Status>,
    pub flapping: bool,
}

/// Flapping started or stopped, at this percent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flap {
    Started { percent: f64 },
    Stopped { percent: f64 },
}

const LOW_WEIGHT: f64 = 0.75;
const HIGH_WEIGHT: f64 = 1.25;

impl FlapHistory {
    /// Takes one result's status; says when flapping starts or stops. Until the window
    /// is full nothing starts.
    pub fn record(&mut self, status: Status, config: &FlapConfig) -> Option<Flap> {
        let transitions = u32::from(config.window.clamp(3, 64)) - 1;
        let mask = if transitions >= 64 { u64::MAX } else { (1u64 << transitions) - 1 };
        if let Some(last) = self.last {
            self.changes = ((self.changes << 1) | u64::from(last != status)) & mask;
        }
        self.last = Some(status);
        self.results = self.results.saturating_add(1).min(config.window);
        if self.results < config.window {
            return None;
        }
        let percent = self.percent(config);
        match self.flapping {
            false if percent >= config.high => {
                self.flapping = true;
                Some(Flap::Started { percent })
            }
            true if percent < config.low => {
                self.flapping = false;
                Some(Flap::Stopped { percent })
            }
            _ => None,
        }
    }

    /// The weighted percent of state change over the window.
    pub fn percent(&self, config: &FlapConfig) -> f64 {
        let transitions = u32::from(config.window.clamp(3, 64)) - 1;
        let mut weighted = 0.0;
        for age in 0..transitions {
            if self.changes & (1 << age) != 0 {
                // The oldest transition weighs LOW_WEIGHT, the newest HIGH_WEIGHT.
                let position = f64::from(transitions - 1 - age);
                weighted += LOW_WEIGHT + position * (HIGH_WEIGHT - LOW_WEIGHT) / f64::from(transitions - 1);
            }
        }
        weighted * 100.0 / f64::from(transitions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays results (`u` up, `d` down, `g` degraded) and prints each start and stop.
    fn play(config: FlapConfig, script: &str) -> (Vec<String>, FlapHistory) {
        let mut history = FlapHistory::default();
        let mut out = Vec::new();
        for (i, c) in script.chars().filter(|c| !c.is_whitespace()).enumerate() {
            let status = match c {
                'u' => Status::Up,
                'd' => Status::Down,
                'g' => Status::Degraded,
                other => panic!("unknown step {other}"),
            };
            match history.record(status, &config) {
                Some(Flap::Started { percent }) => out.push(format!("#{} started at {percent:.1}%", i + 1)),
                Some(Flap::Stopped { percent }) => out.push(format!("#{} stopped at {percent:.1}%", i + 1)),
                None => {}
            }
        }
        (out, history)
    }

    #[test]
    fn changes_are_weighted_newer_heavier() {
        let config = FlapConfig::default();
        let (_, all) = play(config, "udududududududududududu");
        assert!((all.percent(&config) - 100.0).abs() < 1e-9, "every transition a change: 100%");
        let (_, oldest) = play(config, "duuuuuuuuuuuuuuuuuuuu");
        let (_, newest) = play(config, "uuuuuuuuuuuuuuuuuuuud");
        assert!((oldest.percent(&config) - 3.75).abs() < 1e-9, "{}", oldest.percent(&config));
        assert!((newest.percent(&config) - 6.25).abs() < 1e-9, "{}", newest.percent(&config));
        let (_, steady) = play(config, "uuuuuuuuuuuuuuuuuuuuuuuuu");
        assert_eq!(steady.percent(&config), 0.0);
    }

    #[test]
    fn flapping_starts_high_and_stops_low_once_each() {
        let (events, history) = play(
            FlapConfig::default(),
            // Steady, then flipping every result, then steady again.
            "uuuuuuuuuuuuuuuuuuuuu ududududududud uuuuuuuuuuuuuuuuuuuuuu",
        );
        assert_eq!(
            events,
            ["#31 started at 51.5%", "#50 stopped at 24.5%"],
            "one start at 50%, one stop below 25%, nothing between"
        );
        assert!(!history.flapping);
    }

    #[test]
    fn nothing_starts_before_the_window_is_full_and_a_window_can_be_shorter() {
        let (events, _) = play(FlapConfig::default(), "udududududududu");
        assert!(events.is_empty(), "15 results of 21: {events:?}");
        let short = FlapConfig { window: 5, high: 50.0, low: 25.0 };
        let (events, _) = play(short, "uudud");
        assert_eq!(events, ["#5 started at 81.2%"]);
    }
}
