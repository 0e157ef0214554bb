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

/// Probes due within the same grid slot share one timer wake-up (and their answers
/// tend to share one poll): at 100 checks/s about a third less CPU per check with
/// 50 ms slots than without, and a fifth less again with 200 ms. Each check's phase
/// moves once, by less than a slot; its period stays exact.
const GRID: Duration = Duration::from_millis(200);

/// The most probes a slot is made for: where the checks ask more than this per `GRID`
/// (250 a second), slots shrink, since a slot's probes start one after another and
/// the last of 500 would wait some 25 ms for the others' starts.
const PER_SLOT: f64 = 50.0;

/// The slots there are, in milliseconds: each divides `GRID`, so an interval on one
/// grid is on every finer one.
const SLOTS_MS: [u64; 8] = [200, 100, 50, 25, 10, 5, 2, 1];

/// Where runs are put: slots of `slot` from `epoch`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Grid {
    pub epoch: Instant,
    pub slot: Duration,
}

/// The probes a second one runtime worker thread starts on time (scheduler lag p99
/// under 20 ms): measured on 2 cores with 5,000 http checks every 500 ms, one worker
/// let 3.5% of probes start more than 20 ms late, two 0.1%.
const PER_WORKER: f64 = 2_000.0;

/// Probes a second that checks with these intervals ask for.
fn asked_rate(intervals: impl Iterator<Item = Duration>) -> f64 {
    intervals.map(|i| 1.0 / i.as_secs_f64().max(1e-3)).sum::<f64>().max(0.0)
}

/// The runtime's worker threads for `config` on `cores`: one up to `PER_WORKER`
/// probes a second (one thread spares the cross-thread wake-ups that cost more CPU per
/// check than the work itself at a few hundred a second), one more for each
/// `PER_WORKER` past that, at most one per core.
pub fn worker_threads(config: &crate::config::Config, cores: usize) -> usize {
    let rate = asked_rate(config.checks.iter().map(|c| c.interval));
    ((rate / PER_WORKER).ceil() as usize).clamp(1, cores.max(1))
}

impl Grid {
    /// The grid for checks with these intervals: `GRID` slots, finer when more than
    /// `PER_SLOT` probes would share one.
    pub fn new(epoch: Instant, intervals: impl Iterator<Item = Duration>) -> Grid {
        let per_slot = asked_rate(intervals) * GRID.as_secs_f64();
        let share = if per_slot <= PER_SLOT { 1.0 } else { PER_SLOT / per_slot };
        let wanted = GRID.as_secs_f64() * 1000.0 * share;
        let slot = SLOTS_MS.into_iter().find(|&ms| ms as f64 <= wanted).unwrap_or(1);
        Grid { epoch, slot: Duration::from_millis(slot) }
    }

    /// The grid a check with this interval keeps its period on: of this grid's slot
    /// and the finer ones, the coarsest that divides the interval (a `500ms` check
    /// on 100 ms slots where they are 200); `None` where none does.
    fn for_interval(self, interval: Duration) -> Option<Grid> {
        SLOTS_MS
            .into_iter()
            .map(Duration::from_millis)
            .filter(|&slot| slot <= self.slot)
            .find(|slot| interval.as_nanos() % slot.as_nanos() == 0)
            .map(|slot| Grid { epoch: self.epoch, slot })
    }
}

impl Engine {
    /// One check's schedule: fixed rate, first run soon after start, later runs spread
    /// over half an interval so a thousand checks do not fire together.
    pub(super) async fn schedule(
        self,
        runtime: std::sync::Arc<super::CheckRuntime>,
        run_now: &mut mpsc::Receiver<oneshot::Sender<ProbeResult>>,
        cancel: CancellationToken,
    ) {
        let interval = runtime.config.interval;
        // First runs spread over up to a second (a millisecond per check): results come
        // at once, without a start-up burst of every probe together.
        let spread = Duration::from_millis(self.table().all.len() as u64)
            .clamp(Duration::from_millis(100), Duration::from_secs(1));
        let mut ticks = Ticks {
            next: crate::clock::instant_after(Instant::now(), jitter(interval.min(spread))),
            first: true,
            interval,
            // Only an interval that is a whole number of slots keeps its exact period.
            grid: self.inner.checks.grid.for_interval(interval),
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
    /// The grid its runs are on, if its interval is a whole number of slots.
    grid: Option<Grid>,
}

impl Ticks {
    /// The tick after `next`: a whole interval on (half to one after the first), on the
    /// grid when the interval allows; missed ticks are skipped, never piled up.
    fn advance(&mut self) {
        let step = if self.first { self.interval.mul_f64(0.5 + unit_random() * 0.5) } else { self.interval };
        self.first = false;
        let mut next = crate::clock::instant_after(self.next, step);
        if let Some(grid) = self.grid {
            next = on_grid(next, grid);
        }
        let now = Instant::now();
        if next < now {
            // Overran (or the machine slept).
            let slot = self.grid.map_or(GRID, |grid| grid.slot);
            next = crate::clock::instant_after(now, jitter(self.interval.min(slot)));
        }
        self.next = next;
    }
}

/// Rounds a run time up to the schedule grid.
fn on_grid(at: Instant, grid: Grid) -> Instant {
    let offset = at.saturating_duration_since(grid.epoch).as_nanos();
    let slot = grid.slot.as_nanos();
    crate::clock::instant_after(
        grid.epoch,
        Duration::from_nanos(offset.div_ceil(slot).saturating_mul(slot).min(u128::from(u64::MAX)) as u64),
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
        let grid = Grid { epoch, slot: Duration::from_millis(50) };
        let ms = |n: u64| epoch + Duration::from_millis(n);
        assert_eq!(on_grid(ms(0), grid), ms(0));
        assert_eq!(on_grid(ms(1), grid), ms(50), "a run moves up, never earlier");
        assert_eq!(on_grid(ms(50), grid), ms(50), "a run on the grid stays");
        assert_eq!(on_grid(ms(10_049), grid), ms(10_050));
        let aligned = on_grid(ms(1_234), grid);
        assert_eq!(
            on_grid(aligned + Duration::from_secs(10), grid),
            aligned + Duration::from_secs(10),
            "the period stays exact"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn missed_ticks_are_skipped_not_piled_up() {
        let epoch = Instant::now();
        let interval = Duration::from_secs(10);
        let grid = Grid { epoch, slot: GRID };
        let mut ticks = Ticks { next: epoch, first: false, interval, grid: Some(grid) };
        ticks.advance();
        assert_eq!(ticks.next, epoch + interval, "one interval on");
        tokio::time::advance(Duration::from_secs(35)).await;
        ticks.advance();
        let now = Instant::now();
        assert!(ticks.next >= now && ticks.next <= now + GRID, "an overrun runs next soon, not three times at once");
    }

    /// Slots shrink only where more than `PER_SLOT` probes would share one, and always
    /// to a divisor of `GRID`, so intervals on the coarse grid stay on the fine one.
    #[test]
    fn slots_shrink_with_the_rate_asked() {
        let epoch = Instant::now();
        let slot = |n: usize, every: Duration| Grid::new(epoch, std::iter::repeat_n(every, n)).slot;
        assert_eq!(slot(0, Duration::from_secs(1)), GRID, "no checks");
        assert_eq!(slot(100, Duration::from_secs(1)), GRID, "100/s: 20 a slot");
        assert_eq!(slot(250, Duration::from_secs(1)), GRID, "250/s: 50 a slot");
        assert_eq!(slot(251, Duration::from_secs(1)), Duration::from_millis(100));
        assert_eq!(slot(500, Duration::from_secs(1)), Duration::from_millis(100), "500/s: 50 a slot");
        assert_eq!(slot(1_001, Duration::from_secs(1)), Duration::from_millis(25));
        assert_eq!(slot(5_000, Duration::from_millis(500)), Duration::from_millis(5), "10,000/s: 50 a slot");
        assert_eq!(slot(1_000_000, Duration::from_millis(100)), Duration::from_millis(1), "never finer than 1 ms");
        for ms in SLOTS_MS {
            assert_eq!(GRID.as_millis() % u128::from(ms), 0, "{ms} ms divides the grid");
        }
    }

    /// A check keeps its exact period on the coarsest slot that divides its interval,
    /// never a coarser one than the grid's.
    #[test]
    fn each_interval_is_on_the_coarsest_slot_that_divides_it() {
        let epoch = Instant::now();
        let ms = Duration::from_millis;
        let on = |slot: u64, every: Duration| Grid { epoch, slot: ms(slot) }.for_interval(every).map(|g| g.slot);
        assert_eq!(on(200, Duration::from_secs(1)), Some(ms(200)));
        assert_eq!(on(200, Duration::from_secs(30)), Some(ms(200)));
        assert_eq!(on(200, ms(500)), Some(ms(100)));
        assert_eq!(on(200, ms(1_500)), Some(ms(100)));
        assert_eq!(on(200, ms(250)), Some(ms(50)));
        assert_eq!(on(200, ms(333)), Some(ms(1)));
        assert_eq!(on(200, Duration::from_micros(1_000_500)), None, "not a whole number of milliseconds");
        assert_eq!(on(5, Duration::from_secs(1)), Some(ms(5)), "never coarser than the grid's slot");
        let grid = Grid { epoch, slot: ms(200) }.for_interval(ms(500)).unwrap();
        let run = on_grid(epoch + ms(1_234), grid);
        assert_eq!(run, epoch + ms(1_300));
        assert_eq!(on_grid(run + ms(500), grid), run + ms(500), "the period stays exact");
    }

    #[test]
    fn a_worker_thread_for_each_two_thousand_probes_a_second_at_most_one_per_core() {
        let config = |n: usize, every: &str| {
            let mut text = String::new();
            for i in 0..n {
                text.push_str(&format!("[[check]]\nid = \"c{i}\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\ninterval = \"{every}\"\n"));
            }
            crate::config::compile(&text, "t.toml").expect("valid").config
        };
        assert_eq!(worker_threads(&config(0, "1s"), 8), 1, "no checks: one");
        assert_eq!(worker_threads(&config(500, "1s"), 8), 1, "500/s: one");
        assert_eq!(worker_threads(&config(2_000, "1s"), 8), 1, "2,000/s: one");
        assert_eq!(worker_threads(&config(2_001, "1s"), 8), 2);
        assert_eq!(worker_threads(&config(5_000, "500ms"), 2), 2, "10,000/s on 2 cores: 2");
        assert_eq!(worker_threads(&config(5_000, "500ms"), 8), 5, "10,000/s on 8 cores: 5");
        assert_eq!(worker_threads(&config(5_000, "500ms"), 0), 1, "cores unknown: one");
    }

    /// Each tick is a sum of an instant and the interval: the longest interval there
    /// is puts the next run far away, and never panics.
    #[tokio::test(start_paused = true)]
    async fn the_longest_interval_schedules_far_away() {
        let epoch = Instant::now();
        for grid in [Some(Grid { epoch, slot: GRID }), None] {
            let on_grid = grid.is_some();
            let mut ticks = Ticks { next: epoch, first: true, interval: Duration::MAX, grid };
            ticks.advance();
            ticks.advance();
            assert!(ticks.next > epoch + Duration::from_secs(20 * 365 * 86_400), "far away: {on_grid}");
        }
    }
}
