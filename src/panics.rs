//! Panics, caught and told. A panic is a bug in Watchkeeper, never the user's fault and
//! never a reason to stop watching: the hook ([`install`]) logs each with its place and
//! keeps the count for `/healthz`, which then says the daemon is degraded; the engine's
//! long-lived tasks run [`supervised`] (a panic restarts the task, a second later);
//! probes run under their own guard (`probe::guard`); and a lock whose holder panicked
//! is taken back ([`lock`]), so one check's bug never leaves another's state unusable.
//!
//! A leaf: it knows threads, locks and futures, nothing of checks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt as _;
use tokio_util::sync::CancellationToken;

static SEEN: AtomicU64 = AtomicU64::new(0);
static LAST: Mutex<Option<String>> = Mutex::new(None);
static INSTALL: Once = Once::new();

/// How long a task that panicked waits before it starts again: a bug that panics on
/// every pass costs a line a second, not a core.
const RESTART_AFTER: Duration = Duration::from_secs(1);

/// Panics seen since the process started, and what the last one said and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub count: u64,
    pub last: String,
}

/// Installs the hook (once per process; later calls do nothing). It runs before any
/// unwinding, so a panic that is caught (a probe's, a task's) is counted too. The
/// previous hook still runs: the message and, with `RUST_BACKTRACE`, the trace reach
/// standard error as well.
pub fn install() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            let said = message(info.payload());
            tracing::error!(at = %place, "internal error, caught: {said}");
            SEEN.fetch_add(1, Ordering::Relaxed);
            // `try_lock`: a panic while this very lock is held must not wait on itself.
            if let Ok(mut last) = LAST.try_lock() {
                *last = Some(format!("{said} (at {place})"));
            }
            previous(info);
        }));
    });
}

/// The panics seen so far; `None` while there were none.
pub fn seen() -> Option<Seen> {
    let count = SEEN.load(Ordering::Relaxed);
    (count > 0).then(|| Seen { count, last: lock(&LAST).clone().unwrap_or_default() })
}

/// What a panic said, whichever way it was raised.
pub fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// Takes a lock, also when a thread panicked holding it: the state behind it is what
/// the panicking thread left, which each owner keeps whole between statements (no
/// half-done change is ever visible across a call that can panic). The poison is
/// cleared, so the next taker does not see it again.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| {
        mutex.clear_poison();
        poisoned.into_inner()
    })
}

/// Reads behind a lock that a panicking thread may have poisoned: as [`lock`].
pub fn read<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| {
        lock.clear_poison();
        poisoned.into_inner()
    })
}

/// Writes behind a lock that a panicking thread may have poisoned: as [`lock`].
pub fn write<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|poisoned| {
        lock.clear_poison();
        poisoned.into_inner()
    })
}

/// Runs a long-lived task, starting it again a second after each panic, until it ends
/// or `cancel` fires. `task` makes the future afresh for each start, lending it what
/// must outlive a panic (a channel's receiving end): `held`.
pub async fn supervised<S: Send>(
    name: &'static str,
    cancel: CancellationToken,
    held: &mut S,
    mut task: impl for<'a> FnMut(&'a mut S) -> BoxFuture<'a, ()>,
) {
    loop {
        match std::panic::AssertUnwindSafe(task(held)).catch_unwind().await {
            Ok(()) => return,
            Err(panic) => {
                tracing::error!(task = name, "the task panicked and starts again: {}", message(panic.as_ref()));
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(RESTART_AFTER) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::sync::Arc;

    #[test]
    fn a_poisoned_lock_is_taken_back_with_what_it_held() {
        let shared = Arc::new(Mutex::new(vec![1]));
        let holder = shared.clone();
        let joined = std::thread::spawn(move || {
            let mut held = holder.lock().unwrap();
            held.push(2);
            panic!("while holding the lock");
        })
        .join();
        assert!(joined.is_err() && shared.is_poisoned());
        assert_eq!(*lock(&shared), vec![1, 2], "what the panicking thread left");
        assert!(!shared.is_poisoned(), "and the poison is cleared for the next taker");
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_starts_again_until_it_ends() {
        let starts = Arc::new(AtomicU32::new(0));
        let counted = starts.clone();
        let mut ran = Vec::new();
        supervised("test", CancellationToken::new(), &mut ran, move |ran| {
            let start = counted.fetch_add(1, Ordering::Relaxed);
            async move {
                ran.push(start);
                if start < 2 {
                    panic!("start {start}");
                }
            }
            .boxed()
        })
        .await;
        assert_eq!(starts.load(Ordering::Relaxed), 3, "two panics, then a run that ended");
        assert_eq!(ran, [0, 1, 2], "what it holds outlives each panic");
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_task_is_not_started_again() {
        let cancel = CancellationToken::new();
        let starts = Arc::new(AtomicU32::new(0));
        let counted = starts.clone();
        let stop = cancel.clone();
        supervised("test", cancel, &mut (), move |_| {
            counted.fetch_add(1, Ordering::Relaxed);
            stop.cancel();
            async { panic!("always") }.boxed()
        })
        .await;
        assert_eq!(starts.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn the_hook_counts_a_caught_panic_and_says_where() {
        install();
        let before = seen().map_or(0, |s| s.count);
        let caught = std::panic::catch_unwind(|| panic!("counted {}", 42));
        assert!(caught.is_err());
        let after = seen().expect("one seen");
        assert!(after.count > before);
        // Another test of this process may have panicked since; this one's place is
        // then not the last, but a count only grows.
        if after.count == before + 1 {
            assert!(after.last.starts_with("counted 42 (at src/panics.rs:"), "{}", after.last);
        }
    }
}
