//! The guard around every probe the engine runs: a probe that panics becomes a probe
//! error (its check turns unknown, the engine goes on), and a probe that ignores its
//! own deadline is cut off a second after it.

use std::future::Future;
use std::time::Duration;

use futures_util::FutureExt as _;

use crate::model::{FailureClass, Observation};

/// How long past its timeout a probe may run before it is dropped.
const GRACE: Duration = Duration::from_secs(1);

/// Runs `probe` in the calling task under the guard. (A combinator, not an `async fn`,
/// which would hold `probe` twice.)
pub fn guard(probe: impl Future<Output = Observation>, timeout: Duration) -> impl Future<Output = Observation> {
    let probe = std::panic::AssertUnwindSafe(probe).catch_unwind();
    tokio::time::timeout(timeout.saturating_add(GRACE), probe).map(|outcome| match outcome {
        Ok(Ok(observation)) => observation,
        Ok(Err(panic)) => {
            let said = crate::panics::message(panic.as_ref());
            Observation::failed(FailureClass::ProbeError, format!("the probe panicked: {said}"))
        }
        Err(_) => Observation::failed(FailureClass::Timeout, "the probe did not end within its timeout"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_probe_is_a_probe_error_not_a_crash() {
        let observation = guard(async { panic!("boom") }, Duration::from_secs(1)).await;
        let failure = observation.failure.expect("a panic is a failure");
        assert_eq!(failure.class, FailureClass::ProbeError);
        assert_eq!(failure.message, "the probe panicked: boom");
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_that_ignores_its_deadline_is_cut_off() {
        let observation = guard(std::future::pending(), Duration::from_secs(2)).await;
        assert_eq!(observation.failure.map(|f| f.class), Some(FailureClass::Timeout));
    }
}
