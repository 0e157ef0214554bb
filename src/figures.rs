//! Watchkeeper's own figures: scheduler lag, write queue, commits, drops.
//!
//! Written by the engine and the writer with relaxed atomics, read by the `self`
//! probe and `/metrics`. Holds numbers only; it must not decide anything.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Recent scheduler lags kept for the percentile.
const LAG_WINDOW: usize = 1024;

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
    /// Rows written since start.
    pub rows_written: AtomicU64,
    /// Probes run since start.
    pub probes: AtomicU64,
    lags: Mutex<LagWindow>,
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

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
