//! Each check's task: a fixed-rate schedule on a shared grid, a paused check's ticks
//! skipped (its rhythm kept), probes on demand (`probe_now`) and runs of every check at
//! once (`rerun`: a resume, the network back) run by the same task, so a check never
//! has two probes in flight.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Engine;
use crate::model::ProbeResult;

/// Probes due within the same `GRID` slot share one timer wake-up (and their answers
/// tend to share one poll): about a third less CPU per check at 100 checks/s. Each
/// check's phase moves once, by less than a slot; its period stays exact.
const GRID: Duration = Duration::from_millis(50);

impl Engine {
    /// One check's schedule: fixed rate, first run soon after start, later runs spread
    /// over half an interval so a thousand checks do not fire together.
    pub(super) async fn schedule(
        self,
        position: usize,
        run_now: &mut mpsc::Receiver<oneshot::Sender<ProbeResult>>,
        cancel: CancellationToken,
    ) {
        let runtime = self.inner.checks.all[position].clone();
        let interval = runtime.config.interval;
        // First runs spread over up to a second (a millisecond per check): results come
        // at once, without a start-up burst of every probe together.
        let spread = Duration::from_millis(self.inner.checks.all.len() as u64)
            .clamp(Duration::from_millis(100), Duration::from_secs(1));
        let mut ticks = Ticks {
            next: crate::clock::instant_after(Instant::now(), jitter(interval.min(spread))),
            first: true,
            interval,
            epoch: self.inner.checks.epoch,
            // Only an interval that is a whole number of grid slots keeps its exact period.
            on_grid: interval.as_nanos() % GRID.as_nanos() == 0,
        };
        let mut rerun = self.inner.checks.rerun.subscribe();
        let mut reruns = *rerun.borrow_and_update();
        loop {
            let mut waiters = Vec::new();
            // Every check at once (a resume; the network back): a run now, off the rhythm.
            let mut early = false;
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep_until(ticks.next) => {}
                request = run_now.recv() => match request {
                    Some(reply) => waiters.push(reply),
                    None => return,
                },
                changed = rerun.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let now = *rerun.borrow_and_update();
                    let asked = now.0 != reruns.0 || (now.1 != reruns.1 && runtime.config.remote());
                    reruns = now;
                    if !asked {
                        continue;
                    }
                    early = true;
                }
            }
            let forced = !waiters.is_empty();
            if !forced && crate::panics::lock(&runtime.live).tracked.paused(self.now()) {
                // Paused: this tick is skipped, the schedule keeps its rhythm.
                if !early {
                    ticks.advance();
                }
                continue;
            }
            let scheduled = if forced || early { Instant::now() } else { ticks.next };
            let permit = tokio::select! {
                _ = cancel.cancelled() => return,
                permit = self.inner.checks.in_flight.clone().acquire_owned() => permit,
            };
            self.inner.figures.record_lag(Instant::now().saturating_duration_since(scheduled));
            // At shutdown a probe in flight is dropped (a command's process group with
            // it) rather than waited for. The run is boxed: held only while it runs, it
            // keeps each waiting task small (about 3 KB less per check).
            let result = tokio::select! {
                _ = cancel.cancelled() => return,
                result = Box::pin(self.run_once(&runtime, forced)) => result,
            };
            drop(permit);
            while let Ok(reply) = run_now.try_recv() {
                waiters.push(reply);
            }
            for waiter in waiters {
                let _ = waiter.send(result.clone());
            }
            if !forced && !early {
                ticks.advance();
            }
        }
    }
}

/// A check's run times.
struct Ticks {
    next: Instant,
    first: bool,
    interval: Duration,
    /// The origin of the grid.
    epoch: Instant,
    on_grid: bool,
}

impl Ticks {
    /// The tick after `next`: a whole interval on (half to one after the first), on the
    /// grid when the interval allows; missed ticks are skipped, never piled up.
    fn advance(&mut self) {
        let step = if self.first { self.interval.mul_f64(0.5 + unit_random() * 0.5) } else { self.interval };
        self.first = false;
        let mut next = crate::clock::instant_after(self.next, step);
        if self.on_grid {
            next = on_grid(next, self.epoch);
        }
        let now = Instant::now();
        if next < now {
            // Overran (or the machine slept).
            next = crate::clock::instant_after(now, jitter(self.interval.min(GRID)));
        }
        self.next = next;
    }
}

/// Rounds a run time up to the schedule grid.
fn on_grid(at: Instant, epoch: Instant) -> Instant {
    let offset = at.saturating_duration_since(epoch).as_nanos();
    let grid = GRID.as_nanos();
    crate::clock::instant_after(
        epoch,
        Duration::from_nanos(offset.div_ceil(grid).saturating_mul(grid).min(u128::from(u64::MAX)) as u64),
    )
}

fn jitter(max: Duration) -> Duration {
    max.mul_f64(unit_random())
}

/// A uniform number in [0, 1) from the OS; good enough to spread schedules.
fn unit_random() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_round_up_to_the_grid_and_keep_their_period() {
        let epoch = Instant::now();
        let ms = |n: u64| epoch + Duration::from_millis(n);
        assert_eq!(on_grid(ms(0), epoch), ms(0));
        assert_eq!(on_grid(ms(1), epoch), ms(50), "a run moves up, never earlier");
        assert_eq!(on_grid(ms(50), epoch), ms(50), "a run on the grid stays");
        assert_eq!(on_grid(ms(10_049), epoch), ms(10_050));
        let aligned = on_grid(ms(1_234), epoch);
        assert_eq!(
            on_grid(aligned + Duration::from_secs(10), epoch),
            aligned + Duration::from_secs(10),
            "the period stays exact"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn missed_ticks_are_skipped_not_piled_up() {
        let epoch = Instant::now();
        let interval = Duration::from_secs(10);
        let mut ticks = Ticks { next: epoch, first: false, interval, epoch, on_grid: true };
        ticks.advance();
        assert_eq!(ticks.next, epoch + interval, "one interval on");
        tokio::time::advance(Duration::from_secs(35)).await;
        ticks.advance();
        let now = Instant::now();
        assert!(ticks.next >= now && ticks.next <= now + GRID, "an overrun runs next soon, not three times at once");
    }

    /// Each tick is a sum of an instant and the interval: the longest interval there
    /// is puts the next run far away, and never panics.
    #[tokio::test(start_paused = true)]
    async fn the_longest_interval_schedules_far_away() {
        let epoch = Instant::now();
        for on_grid in [true, false] {
            let mut ticks = Ticks { next: epoch, first: true, interval: Duration::MAX, epoch, on_grid };
            ticks.advance();
            ticks.advance();
            assert!(ticks.next > epoch + Duration::from_secs(20 * 365 * 86_400), "far away: {on_grid}");
        }
    }
}
