//! The wall clock, as a seam: the system's for the running app, or a virtual one that
//! follows tokio's clock from a fixed start, so that tests of timing (pauses ending,
//! staleness, schedules) run in paused tokio time instead of sleeping.
//!
//! A leaf: pure rules never read a clock; the engine reads this one and passes `now`.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The system's wall clock.
    System,
    /// `start`, advanced by how far tokio's clock has moved since `at`.
    Virtual { start: DateTime<Utc>, at: tokio::time::Instant },
}

impl Clock {
    /// A clock that reads `start` now and then moves with tokio's clock (paused in tests:
    /// `tokio::time::advance` moves it).
    pub fn virtual_from(start: DateTime<Utc>) -> Clock {
        Clock::Virtual { start, at: tokio::time::Instant::now() }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Virtual { start, at } => {
                let elapsed = chrono::Duration::from_std(at.elapsed()).unwrap_or(chrono::Duration::MAX);
                start.checked_add_signed(elapsed).unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
        }
    }
}

/// Local time, as the machine (or a test) keeps it: quiet hours and maintenance
/// windows are written in it.
pub trait Zone {
    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime;
    /// The instant a local time names: the earlier of two when the clocks go back, and
    /// `None` inside the hour skipped when they go forward.
    fn instant(&self, local: NaiveDateTime) -> Option<DateTime<Utc>>;
}

/// The machine's time zone.
pub struct LocalZone;

impl Zone for LocalZone {
    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&chrono::Local).naive_local()
    }

    fn instant(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        chrono::Local.from_local_datetime(&local).earliest().map(|at| at.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_virtual_clock_moves_with_tokio_time() {
        let start = DateTime::<Utc>::from_timestamp(1_000, 0).unwrap();
        let clock = Clock::virtual_from(start);
        assert_eq!(clock.now(), start);
        tokio::time::advance(std::time::Duration::from_secs(90)).await;
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90), "it moved exactly as tokio's clock did");
    }
}
