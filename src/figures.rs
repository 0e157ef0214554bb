//! Watchkeeper's own figures: scheduler lag, write queue, commits, drops.
//!
//! Written by the engine and the writer with relaxed atomics, read by the `self`
//! probe and `/metrics`. Holds numbers only; it must not decide anything.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Recent scheduler lags kept for the percentile.
const LAG_WINDOW: usize = 1024;

/// The upper bounds of the scheduler lag histogram's buckets, in microseconds.
pub const LAG_BUCKETS_US: [u64; 13] = [
    1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000,
];

/// Why history commits fail, as far as the database says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFault {
    Other = 0,
    DiskFull = 1,
    ReadOnly = 2,
}

impl WriteFault {
    pub fn of(error: &rusqlite::Error) -> WriteFault {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => WriteFault::DiskFull,
            Some(rusqlite::ErrorCode::ReadOnly) | Some(rusqlite::ErrorCode::PermissionDenied) => WriteFault::ReadOnly,
            _ => WriteFault::Other,
        }
    }

    pub fn from_figure(value: u64) -> WriteFault {
        match value {
            1 => WriteFault::DiskFull,
            2 => WriteFault::ReadOnly,
            _ => WriteFault::Other,
        }
    }
}

#[derive(Debug, Default)]
pub struct OwnFigures {
    /// Results waiting in the write queue.
    pub queue_depth: AtomicU64,
    /// Results dropped because the write queue was full.
    pub dropped: AtomicU64,
    /// Duration of the last batch commit, in microseconds.
    pub db_commit_us: AtomicU64,
    /// Batches that failed to commit.
    pub write_failures: AtomicU64,
    /// 1 while the last commit failed (the disk full or read-only), 0 once one passes.
    pub write_failing: AtomicU64,
    /// Why the last failing commit failed: a [`WriteFault`] as a number.
    pub write_fault: AtomicU64,
    /// Bytes the history uses (its pages less the free ones), as of the last commit.
    pub db_bytes: AtomicU64,
    /// Rows pruned before their time to keep the history under `max_db_size`.
    pub size_pruned: AtomicU64,
    /// 1 while the history is over `max_db_size` with nothing left to prune.
    pub size_at_floor: AtomicU64,
    /// Rows written since start.
    pub rows_written: AtomicU64,
    /// Probes run since start.
    pub probes: AtomicU64,
    lags: Mutex<LagWindow>,
    /// Every lag since start, by bucket of `LAG_BUCKETS_US` (not cumulative; the last
    /// counts those past every bound), and their sum.
    lag_counts: [AtomicU64; LAG_BUCKETS_US.len() + 1],
    lag_sum_us: AtomicU64,
}

/// The scheduler lag histogram since start.
#[derive(Debug, Clone, PartialEq)]
pub struct LagHistogram {
    /// (upper bound in µs, lags at most that), cumulative, ending with `u64::MAX`.
    pub buckets: Vec<(u64, u64)>,
    pub sum_us: u64,
}

#[derive(Debug, Default)]
struct LagWindow {
    samples: Vec<u32>,
    next: usize,
}

impl OwnFigures {
    /// Records how late a probe started against its schedule.
    pub fn record_lag(&self, lag: Duration) {
        self.probes.fetch_add(1, Ordering::Relaxed);
        let micros = u32::try_from(lag.as_micros()).unwrap_or(u32::MAX);
        let bucket =
            LAG_BUCKETS_US.iter().position(|&bound| u64::from(micros) <= bound).unwrap_or(LAG_BUCKETS_US.len());
        self.lag_counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.lag_sum_us.fetch_add(u64::from(micros), Ordering::Relaxed);
        {
            let mut window = crate::panics::lock(&self.lags);
            if window.samples.len() < LAG_WINDOW {
                window.samples.push(micros);
            } else {
                let next = window.next;
                window.samples[next] = micros;
            }
            window.next = (window.next + 1) % LAG_WINDOW;
        }
    }

    /// The lag percentile (0.0 to 1.0) over the recent window.
    pub fn lag_percentile(&self, quantile: f64) -> Duration {
        let window = crate::panics::lock(&self.lags);
        if window.samples.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = window.samples.clone();
        sorted.sort_unstable();
        let rank = ((sorted.len() - 1) as f64 * quantile.clamp(0.0, 1.0)).round() as usize;
        Duration::from_micros(u64::from(sorted[rank]))
    }

    /// Every lag since start, as a cumulative histogram.
    pub fn lag_histogram(&self) -> LagHistogram {
        let mut total = 0;
        let bounds = LAG_BUCKETS_US.iter().copied().chain([u64::MAX]);
        let buckets = bounds
            .zip(&self.lag_counts)
            .map(|(bound, count)| {
                total += count.load(Ordering::Relaxed);
                (bound, total)
            })
            .collect();
        LagHistogram { buckets, sum_us: self.lag_sum_us.load(Ordering::Relaxed) }
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lag_is_counted_in_its_bucket_and_the_histogram_is_cumulative() {
        let figures = OwnFigures::default();
        for ms in [0, 1, 3, 15, 15, 40_000] {
            figures.record_lag(Duration::from_millis(ms));
        }
        let lags = figures.lag_histogram();
        let at = |bound: u64| lags.buckets.iter().find(|(b, _)| *b == bound).map(|(_, n)| *n);
        assert_eq!(at(1_000), Some(2), "0 and 1 ms: at most 1 ms");
        assert_eq!(at(2_000), Some(2));
        assert_eq!(at(5_000), Some(3));
        assert_eq!(at(20_000), Some(5));
        assert_eq!(at(10_000_000), Some(5), "40 s is past every bound");
        assert_eq!(lags.buckets.last(), Some(&(u64::MAX, 6)), "+Inf counts every lag");
        assert_eq!(lags.sum_us, (1 + 3 + 15 + 15 + 40_000) * 1_000);
        assert_eq!(OwnFigures::get(&figures.probes), 6);
    }
}
