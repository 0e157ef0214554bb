//! The wall clock, as a seam: the system's for the running app, or a virtual one that
//! follows tokio's clock from a fixed start, so that tests of timing (pauses ending,
//! staleness, schedules) run in paused tokio time instead of sleeping.
//!
//! A leaf: pure rules never read a clock; the engine reads this one and passes `now`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset as _, TimeZone, Utc};

#[derive(Debug, Clone, Copy)]
pub enum Clock {
    /// The system's wall clock.
    System,
    /// `start`, advanced by how far tokio's clock has moved since `at`, and by the time
    /// the machine was "suspended" (`slept`, in milliseconds: [`Clock::suspend`]).
    Virtual { start: DateTime<Utc>, at: tokio::time::Instant, slept: &'static AtomicU64 },
}

impl Clock {
    /// A clock that reads `start` now and then moves with tokio's clock (paused in tests:
    /// `tokio::time::advance` moves it).
    pub fn virtual_from(start: DateTime<Utc>) -> Clock {
        // One small leak per virtual clock (tests), so that the clock stays `Copy`.
        let slept = Box::leak(Box::new(AtomicU64::new(0)));
        Clock::Virtual { start, at: tokio::time::Instant::now(), slept }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Virtual { start, at, slept } => {
                let elapsed = at.elapsed() + Duration::from_millis(slept.load(Ordering::Relaxed));
                let elapsed = chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX);
                start.checked_add_signed(elapsed).unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
        }
    }

    /// How long the machine has been suspended since it booted: `CLOCK_BOOTTIME` counts
    /// a suspend, `CLOCK_MONOTONIC` (and tokio's timers) do not. A jump of it is a
    /// resume.
    pub fn asleep(&self) -> Duration {
        match self {
            Clock::System => boottime().saturating_sub(monotonic()),
            Clock::Virtual { slept, .. } => Duration::from_millis(slept.load(Ordering::Relaxed)),
        }
    }

    /// A virtual clock: the machine sleeps for `d` (the wall clock jumps, tokio's does
    /// not). The system clock ignores it.
    pub fn suspend(&self, d: Duration) {
        if let Clock::Virtual { slept, .. } = self {
            slept.fetch_add(d.as_millis() as u64, Ordering::Relaxed);
        }
    }
}

/// `at`, `span` later, or the last time there is when that is past it. Every sum of a
/// wall time and a duration goes through this or [`earlier`]: none can overflow.
pub fn later(at: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(span).ok().and_then(|d| at.checked_add_signed(d)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `at`, `span` earlier, or the first time there is.
pub fn earlier(at: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(span).ok().and_then(|d| at.checked_sub_signed(d)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// A tokio instant `span` after `at`, or about 30 years on when that is past what an
/// instant holds (as tokio's own far future).
pub fn instant_after(at: tokio::time::Instant, span: Duration) -> tokio::time::Instant {
    at.checked_add(span).unwrap_or_else(|| at + Duration::from_secs(30 * 365 * 86_400))
}

fn boottime() -> Duration {
    read_clock(libc::CLOCK_BOOTTIME)
}

fn monotonic() -> Duration {
    read_clock(libc::CLOCK_MONOTONIC)
}

fn read_clock(id: libc::clockid_t) -> Duration {
    let mut spec = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec, which `spec` is.
    if unsafe { libc::clock_gettime(id, &mut spec) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(spec.tv_sec.max(0) as u64, spec.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// Local time, as the machine (or a test) keeps it: quiet hours and maintenance
/// windows are written in it, and the times people read are said in it.
pub trait Zone {
    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime;
    /// The instant a local time names: the earlier of two when the clocks go back, and
    /// `None` inside the hour skipped when they go forward.
    fn instant(&self, local: NaiveDateTime) -> Option<DateTime<Utc>>;

    /// `at` in this zone, with its offset then: what a time people read is written from.
    /// Its name at `at` (`CET`, `CEST`), or its offset (`+01:00`) where it has none:
    /// written after a time that could be misread.
    fn name(&self, at: DateTime<Utc>) -> String {
        self.offset_at(at).format("%:z").to_string()
    }

    fn offset_at(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        let seconds = (self.local(at) - at.naive_utc()).num_seconds();
        let offset = i32::try_from(seconds).ok().and_then(FixedOffset::east_opt).unwrap_or(Utc.fix());
        at.with_timezone(&offset)
    }
}

/// The zone the engine was given, shared by everything that reads local time.
pub type SharedZone = Arc<dyn Zone + Send + Sync>;

/// The machine's time zone. Only the front doors (the daemon, the tray app, the CLI)
/// name it; everything below is handed a [`SharedZone`].
pub struct LocalZone;

impl LocalZone {
    pub fn shared() -> SharedZone {
        Arc::new(LocalZone)
    }

    /// The zone's abbreviation at `at` as the C library says it (`CET`, `CEST`, `UTC`),
    /// for a time written where it could be misread; `None` when it has none.
    pub fn abbreviation(at: DateTime<Utc>) -> Option<String> {
        let seconds = libc::time_t::try_from(at.timestamp()).ok()?;
        // SAFETY: localtime_r writes only into `tm`, which we own; `tm_zone` then points
        // at a string the C library keeps for the life of the process, read at once.
        unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            if libc::localtime_r(&seconds, &mut tm).is_null() || tm.tm_zone.is_null() {
                return None;
            }
            let name = std::ffi::CStr::from_ptr(tm.tm_zone).to_string_lossy().into_owned();
            (!name.is_empty()).then_some(name)
        }
    }
}

impl Zone for LocalZone {
    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&chrono::Local).naive_local()
    }

    fn instant(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        chrono::Local.from_local_datetime(&local).earliest().map(|at| at.with_timezone(&Utc))
    }

    fn name(&self, at: DateTime<Utc>) -> String {
        match LocalZone::abbreviation(at) {
            Some(name) if !name.starts_with(['+', '-']) => name,
            _ => self.offset_at(at).format("%:z").to_string(),
        }
    }
}

/// A zone at a fixed offset from UTC, with no clock changes: what tests give an engine
/// so that what they check does not depend on the machine's zone.
pub struct FixedZone(pub FixedOffset);

impl FixedZone {
    pub fn utc() -> SharedZone {
        Arc::new(FixedZone(Utc.fix()))
    }
}

impl Zone for FixedZone {
    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.0).naive_local()
    }

    fn name(&self, _: DateTime<Utc>) -> String {
        match self.0.local_minus_utc() {
            0 => "UTC".to_owned(),
            _ => self.0.to_string(),
        }
    }

    fn instant(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        self.0.from_local_datetime(&local).earliest().map(|at| at.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_of_times_stop_at_the_ends_of_time() {
        let at = DateTime::<Utc>::from_timestamp(1_000, 0).unwrap();
        assert_eq!(later(at, Duration::from_secs(60)), DateTime::<Utc>::from_timestamp(1_060, 0).unwrap());
        assert_eq!(earlier(at, Duration::from_secs(60)), DateTime::<Utc>::from_timestamp(940, 0).unwrap());
        assert_eq!(later(at, Duration::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(later(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)), DateTime::<Utc>::MAX_UTC);
        assert_eq!(earlier(at, Duration::MAX), DateTime::<Utc>::MIN_UTC);
        assert_eq!(earlier(DateTime::<Utc>::MIN_UTC, Duration::from_secs(1)), DateTime::<Utc>::MIN_UTC);
        let now = tokio::time::Instant::now();
        assert_eq!(instant_after(now, Duration::from_secs(5)), now + Duration::from_secs(5));
        assert!(instant_after(now, Duration::MAX) > now + Duration::from_secs(29 * 365 * 86_400), "far, not a panic");
    }

    #[tokio::test(start_paused = true)]
    async fn a_virtual_clock_moves_with_tokio_time() {
        let start = DateTime::<Utc>::from_timestamp(1_000, 0).unwrap();
        let clock = Clock::virtual_from(start);
        assert_eq!(clock.now(), start);
        tokio::time::advance(std::time::Duration::from_secs(90)).await;
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90), "it moved exactly as tokio's clock did");
        assert_eq!(clock.asleep(), Duration::ZERO);
        clock.suspend(Duration::from_secs(3600));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(3690), "a suspend moves the wall clock");
        assert_eq!(clock.asleep(), Duration::from_secs(3600), "and is counted as asleep");
    }

    #[test]
    fn a_zone_says_a_time_with_its_offset_then() {
        let zone = FixedZone(FixedOffset::east_opt(3600).unwrap());
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(zone.offset_at(at).to_rfc3339(), "2027-01-15T09:00:00+01:00");
        assert_eq!(FixedZone::utc().offset_at(at).to_rfc3339(), "2027-01-15T08:00:00+00:00");
    }

    #[test]
    fn the_system_clock_reads_the_time_asleep() {
        // Whatever this machine slept, it is not more than it has been up.
        assert!(Clock::System.asleep() <= boottime());
    }
}
