//! A check's `breaker` table: resilience4j's rates over a count or time window, or the
//! first form (`failure_threshold` failures in a row), with the defaults every remote
//! check gets (the breaker's own, `breaker::DEFAULT_*`).

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::raw::{RawBreaker, RawWindow};
use crate::breaker::{
    BreakerConfig, Trip, Window, DEFAULT_FAILURE_RATE, DEFAULT_FAILURE_THRESHOLD, DEFAULT_MAX_OPEN_FOR,
    DEFAULT_MIN_CALLS, DEFAULT_OPEN_FOR, DEFAULT_SLOW_RATE, DEFAULT_WINDOW,
};
use crate::diagnostic::Scope;
use crate::units;

/// The breaker of a check (`remote` ones have one unless it is turned off); `at` is
/// where to point for the table as a whole, `timeout` the check's (a call slower than
/// it is slow, unless `slow_call` says).
pub(super) fn compile(
    scope: &mut Scope<'_, '_>,
    remote: bool,
    raw: Option<&RawBreaker>,
    at: &Range<usize>,
    timeout: Duration,
) -> Option<BreakerConfig> {
    if raw.is_some() && !remote {
        scope.error(
            at,
            "breaker",
            "only applies to checks of a remote target (http, tcp, dns, prometheus)",
            "remove the `breaker` table",
        );
        return None;
    }
    if !remote || raw.is_some_and(|b| b.enabled == Some(false)) {
        return None;
    }
    let Some(raw) = raw else { return Some(BreakerConfig::first_form(DEFAULT_FAILURE_THRESHOLD, timeout)) };
    let mut duration = |key: &str, value: Option<&Spanned<String>>, default: Duration| {
        value.and_then(|v| scope.duration(key, v)).unwrap_or(default)
    };
    let open_for = duration("breaker.open_for", raw.open_for.as_ref(), DEFAULT_OPEN_FOR);
    let max_open_for = duration("breaker.max_open_for", raw.max_open_for.as_ref(), DEFAULT_MAX_OPEN_FOR);
    let slow_call = duration("breaker.slow_call", raw.slow_call.as_ref(), timeout);
    let rate_keys = [
        raw.window.as_ref().map(|w| ("window", w.span())),
        raw.failure_rate.as_ref().map(|r| ("failure_rate", r.span())),
        raw.slow_rate.as_ref().map(|r| ("slow_rate", r.span())),
        raw.min_calls.as_ref().map(|m| ("min_calls", m.span())),
    ];
    let rate_key = rate_keys.into_iter().flatten().next();
    let trip = match (&raw.failure_threshold, rate_key) {
        (Some(threshold), Some((key, _))) => {
            let message = format_args!(
                "`failure_threshold` (failures in a row) and `{key}` (rates over a window) are two ways to open a breaker"
            );
            scope.error(
                &threshold.span(),
                "breaker",
                message,
                "keep one: `failure_threshold = 5`, or `window`, `failure_rate`, `slow_rate` and `min_calls`",
            );
            return None;
        }
        (_, None) => Trip::Consecutive(scope.count(
            "breaker.failure_threshold",
            raw.failure_threshold.as_ref(),
            DEFAULT_FAILURE_THRESHOLD,
            1000,
        )),
        (None, Some(_)) => Trip::Rates {
            window: window(scope, raw.window.as_ref()),
            failure_rate: scope.percent("breaker.failure_rate", raw.failure_rate.as_ref(), DEFAULT_FAILURE_RATE),
            slow_rate: scope.percent("breaker.slow_rate", raw.slow_rate.as_ref(), DEFAULT_SLOW_RATE),
            min_calls: scope.count("breaker.min_calls", raw.min_calls.as_ref(), DEFAULT_MIN_CALLS, 10_000),
        },
    };
    // One trial for the first form; a few for rates, so a rate can be read.
    let default_trials = if matches!(trip, Trip::Consecutive(_)) { 1 } else { 3 };
    let half_open_calls = scope.count("breaker.half_open_calls", raw.half_open_calls.as_ref(), default_trials, 100);
    if let (Some(given), true) = (&raw.max_open_for, max_open_for < open_for) {
        let message = format_args!(
            "{} is shorter than `open_for` ({})",
            units::format_duration(max_open_for),
            units::format_duration(open_for)
        );
        scope.error(&given.span(), "breaker.max_open_for", message, "make `max_open_for` at least `open_for`");
    }
    for (key, value) in [("breaker.open_for", open_for), ("breaker.slow_call", slow_call)] {
        if value.is_zero() {
            scope.error(at, key, "must be more than 0", format!("set `{key}`, e.g. `30s`"));
        }
    }
    Some(BreakerConfig { trip, slow_call, half_open_calls, open_for, max_open_for })
}

/// A breaker's window: 1 to 1000 calls, or a period of 1 s to a day.
fn window(scope: &mut Scope<'_, '_>, raw: Option<&Spanned<RawWindow>>) -> Window {
    let Some(raw) = raw else { return DEFAULT_WINDOW };
    let key = "breaker.window";
    let resolution = "set `window` to a number of calls (`20`) or a period (`\"60s\"`)";
    match raw.get_ref() {
        RawWindow::Calls(n) => match u32::try_from(*n) {
            Ok(n) if (1..=1000).contains(&n) => Window::Count(n),
            _ => {
                scope.error(&raw.span(), key, format_args!("must be 1 to 1000 calls, got {n}"), resolution);
                DEFAULT_WINDOW
            }
        },
        RawWindow::Period(text) => match units::parse_duration(text) {
            Ok(period) if (Duration::from_secs(1)..=Duration::from_secs(86_400)).contains(&period) => {
                Window::Time(period)
            }
            Ok(period) => {
                let message = format_args!("must be 1s to 1d, got {}", units::format_duration(period));
                scope.error(&raw.span(), key, message, resolution);
                DEFAULT_WINDOW
            }
            Err(e) => {
                scope.error(&raw.span(), key, e, resolution);
                DEFAULT_WINDOW
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::config::compile::tests::check;

    #[test]
    fn breakers_take_rates_over_a_window_or_failures_in_a_row_and_refuse_bad_values() {
        let tcp = "[[check]]\nid=\"a\"\nkind=\"tcp\"\nhost=\"h\"\nport=1\n";
        check(
            &format!("{tcp}breaker = {{ window = \"60s\", failure_rate = 40.5, min_calls = 5, slow_call = \"2s\" }}\n"),
            expect![[r#"
                ok
                check a kind=tcp interval=30s timeout=10s thresholds=2/1 expect=["connected == true"] breaker=Some(BreakerConfig { trip: Rates { window: Time(60s), failure_rate: 40.5, slow_rate: 100.0, min_calls: 5 }, slow_call: 2s, half_open_calls: 3, open_for: 30s, max_open_for: 600s })
            "#]],
        );
        check(
            &format!(
                "{tcp}breaker = {{ window = 20, half_open_calls = 2, open_for = \"10s\", max_open_for = \"1m\" }}\n"
            ),
            expect![[r#"
                ok
                check a kind=tcp interval=30s timeout=10s thresholds=2/1 expect=["connected == true"] breaker=Some(BreakerConfig { trip: Rates { window: Count(20), failure_rate: 50.0, slow_rate: 100.0, min_calls: 10 }, slow_call: 10s, half_open_calls: 2, open_for: 10s, max_open_for: 60s })
            "#]],
        );
        check(
            &format!("{tcp}breaker = {{ failure_threshold = 3, failure_rate = 50 }}\n"),
            expect![[r#"
                1 error in config
                wk.toml:6:33: check "a": breaker: `failure_threshold` (failures in a row) and `failure_rate` (rates over a window) are two ways to open a breaker
                  help: keep one: `failure_threshold = 5`, or `window`, `failure_rate`, `slow_rate` and `min_calls`
            "#]],
        );
        check(
            &format!(
                "{tcp}breaker = {{ window = 0, failure_rate = 150, slow_rate = 0, min_calls = -1, half_open_calls = 1000, open_for = \"1m\", max_open_for = \"10s\" }}\n"
            ),
            expect![[r#"
                6 errors in config
                wk.toml:6:22: check "a": breaker.window: must be 1 to 1000 calls, got 0
                  help: set `window` to a number of calls (`20`) or a period (`"60s"`)
                wk.toml:6:40: check "a": breaker.failure_rate: must be a percentage above 0 and at most 100, got 150
                  help: set `breaker.failure_rate` to e.g. 50 (default 50)
                wk.toml:6:57: check "a": breaker.slow_rate: must be a percentage above 0 and at most 100, got 0
                  help: set `breaker.slow_rate` to e.g. 50 (default 100)
                wk.toml:6:72: check "a": breaker.min_calls: must be between 1 and 10000, got -1
                  help: set `breaker.min_calls` to 1 or more (default 10)
                wk.toml:6:94: check "a": breaker.half_open_calls: must be between 1 and 100, got 1000
                  help: set `breaker.half_open_calls` to 1 or more (default 3)
                wk.toml:6:132: check "a": breaker.max_open_for: 10s is shorter than `open_for` (1m)
                  help: make `max_open_for` at least `open_for`
            "#]],
        );
        check(
            &format!("{tcp}breaker = {{ window = \"soon\" }}\n"),
            expect![[r#"
                1 error in config
                wk.toml:6:22: check "a": breaker.window: `soon` is not a valid duration: expected a number before each unit, like `1m30s`
                  help: set `window` to a number of calls (`20`) or a period (`"60s"`)
            "#]],
        );
        check(
            &format!("{tcp}breaker = {{ window = \"2d\" }}\n"),
            expect![[r#"
                1 error in config
                wk.toml:6:22: check "a": breaker.window: must be 1s to 1d, got 2d
                  help: set `window` to a number of calls (`20`) or a period (`"60s"`)
            "#]],
        );
        check(
            &format!("{tcp}breaker = {{ window = [1] }}\n"),
            expect![[r#"
                1 error in config
                wk.toml:6:22: check "a": breaker: invalid type: sequence, expected a number of calls (`20`) or a period (`"60s"`)
                  help: give the value the type the key takes (see `watchkeeper config schema`)
            "#]],
        );
    }
}
