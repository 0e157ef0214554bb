//! `[[check]]`: a check's own keys (its kind's were compiled into its probe by its
//! kind): timing, conditions on the values its kind has, thresholds, what it depends
//! on, its actions and self-healing, its breaker (`breaker`) and how it alerts
//! (`alerts::check_alert`).

use std::time::Duration;

use toml::Spanned;

use super::document::CheckEntry;
use super::ids::Ids;
use super::raw::RawCheck;
use super::CheckConfig;
use crate::alert::AlertSettings;
use crate::condition::Condition;
use crate::diagnostic::{did_you_mean, Report, Scope};
use crate::healing::AutoAction;
use crate::model::{ActionId, CheckId};
use crate::probe::ProbeSpec;
use crate::units;

/// How long a probe may take when the check does not say (at most its interval).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The shortest interval.
const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Failures in a row that turn a check down, and successes that bring it back.
const DEFAULT_FAILURE_THRESHOLD: u32 = 2;
const DEFAULT_SUCCESS_THRESHOLD: u32 = 1;
/// Self-healing's defaults: failures before a run, the first wait between runs, the
/// longest, and how long up before its budget starts over.
const DEFAULT_AFTER: u32 = 3;
const DEFAULT_BACKOFF: Duration = Duration::from_secs(30);
const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(600);
const DEFAULT_STABLE_FOR: Duration = Duration::from_secs(600);
const CONDITIONS: &str =
    "write conditions as `subject op value`, e.g. `status == 200`, `latency < 500ms`, `json.status == \"UP\"`";

/// What a check's keys are checked against.
pub(super) struct Context<'c> {
    /// `[settings] interval`.
    pub default_interval: Duration,
    pub checks: &'c Ids,
    pub actions: &'c Ids,
    pub channels: &'c Ids,
    pub alerts: &'c AlertSettings,
}

/// A check, when it has no error.
pub(super) fn compile(entry: CheckEntry, context: &Context<'_>, report: &mut Report<'_>) -> Option<CheckConfig> {
    let CheckEntry { raw, probe, fields } = entry;
    let id = raw.id.get_ref().clone();
    let errors_before = report.errors.len();
    let mut scope = report.scope(format!("check {id:?}"), raw.id.span());
    let (interval, timeout) = timing(&mut scope, &raw, context.default_interval);
    let kind = raw.kind.get_ref().as_str();
    let remote = probe.as_ref().is_some_and(ProbeSpec::is_remote);
    let breaker = super::breaker::compile(&mut scope, remote, raw.breaker.as_ref(), &raw.kind.span(), timeout);
    let mut expect = conditions(&mut scope, "expect", raw.expect.as_deref(), kind, fields);
    if expect.is_empty() && raw.expect.is_none() {
        let defaults = probe.as_ref().map(ProbeSpec::default_expect).unwrap_or_default();
        expect = defaults.iter().filter_map(|text| Condition::parse(text).ok()).collect();
    }
    let mut degraded_if = conditions(&mut scope, "degraded_if", raw.degraded_if.as_deref(), kind, fields);
    if degraded_if.is_empty() && raw.degraded_if.is_none() {
        let defaults = probe.as_ref().map(ProbeSpec::default_degraded_if).unwrap_or_default();
        degraded_if = defaults.iter().filter_map(|text| Condition::parse(text).ok()).collect();
    }
    // A heartbeat's `grace` is its tolerance already: its first failure is down.
    let default_failures = if matches!(probe, Some(ProbeSpec::Heartbeat(_))) { 1 } else { DEFAULT_FAILURE_THRESHOLD };
    let failure_threshold = scope.count("failure_threshold", raw.failure_threshold.as_ref(), default_failures, 1000);
    let success_threshold =
        scope.count("success_threshold", raw.success_threshold.as_ref(), DEFAULT_SUCCESS_THRESHOLD, 1000);
    let depends_on = depends_on(&mut scope, &id, raw.depends_on.as_deref(), context.checks);
    let mut actions = context.actions.refer_all(&mut scope, "actions", raw.actions.as_deref().unwrap_or_default());
    let auto_action = auto_action(&mut scope, &raw, context.actions);
    let alert =
        super::alerts::check_alert(raw.alert.as_ref(), context.alerts, context.channels, probe.as_ref(), &mut scope);
    if let Some(auto) = &auto_action {
        if !actions.iter().any(|a| a == auto.action.as_str()) {
            actions.push(auto.action.to_string());
        }
    }
    let probe = probe?;
    let remote = raw.network.unwrap_or(false) || probe.off_machine();
    if report.errors.len() > errors_before {
        return None;
    }
    Some(CheckConfig {
        name: raw.name.map_or_else(|| id.clone(), Spanned::into_inner),
        id: CheckId::parse(&id)?,
        probe,
        interval,
        timeout,
        expect,
        degraded_if,
        failure_threshold,
        success_threshold,
        group: raw.group,
        critical: raw.critical.unwrap_or(true),
        depends_on,
        actions: actions.into_iter().filter_map(|a| ActionId::parse(&a)).collect(),
        breaker,
        auto_action,
        alert,
        remote,
    })
}

/// The interval (at least 100 ms) and the timeout (more than 0, at most the interval).
fn timing(scope: &mut Scope<'_, '_>, raw: &RawCheck, default_interval: Duration) -> (Duration, Duration) {
    let interval = raw.interval.as_ref().and_then(|i| scope.duration("interval", i)).unwrap_or(default_interval);
    if interval < MIN_INTERVAL {
        let span = raw.interval.as_ref().map_or(raw.id.span(), |i| i.span());
        let message = format_args!("must be at least 100ms, got {}", units::format_duration(interval));
        scope.error(&span, "interval", message, "raise `interval`");
    }
    let Some(given) = &raw.timeout else { return (interval, DEFAULT_TIMEOUT.min(interval)) };
    let timeout = scope.duration("timeout", given).unwrap_or(DEFAULT_TIMEOUT.min(interval));
    if timeout > interval {
        let (timeout, interval) = (units::format_duration(timeout), units::format_duration(interval));
        scope.error(
            &given.span(),
            "timeout",
            format_args!("{timeout} is longer than the interval {interval}"),
            "make `timeout` at most `interval`, so a check never has two probes in flight",
        );
    } else if timeout.is_zero() {
        scope.error(&given.span(), "timeout", "must be more than 0", "set `timeout`, e.g. `5s`");
    }
    (interval, timeout)
}

/// Conditions of `key`, each on a value the kind has.
fn conditions(
    scope: &mut Scope<'_, '_>,
    key: &str,
    raw: Option<&[Spanned<String>]>,
    kind: &str,
    fields: &[&str],
) -> Vec<Condition> {
    let mut out = Vec::new();
    for text in raw.unwrap_or_default() {
        match Condition::parse(text.get_ref()) {
            Ok(condition) => {
                let root = condition.subject.root();
                if !fields.is_empty() && !fields.contains(&root) {
                    let hint = did_you_mean(root, fields);
                    let at = text.span().start + 1..text.span().end;
                    let message = format_args!("`{root}` is not a value of {kind} checks");
                    scope.error(&at, key, message, format!("{hint}{kind} checks have: {}", fields.join(", ")));
                } else {
                    out.push(condition);
                }
            }
            Err(e) => {
                // Point inside the string: past the opening quote, at the column.
                let source = text.get_ref();
                let offset =
                    text.span().start + 1 + source.char_indices().nth(e.column - 1).map_or(source.len(), |(i, _)| i);
                let message = format_args!("in condition `{source}`: {}", e.message);
                scope.error(&(offset..offset), key, message, CONDITIONS);
            }
        }
    }
    out
}

/// `depends_on`: checks of this file, not itself.
fn depends_on(scope: &mut Scope<'_, '_>, id: &str, parents: Option<&[Spanned<String>]>, checks: &Ids) -> Vec<CheckId> {
    let mut depends_on = Vec::new();
    for parent in parents.unwrap_or_default() {
        if parent.get_ref() == id {
            scope.error(&parent.span(), "depends_on", "a check cannot depend on itself", "remove it");
        } else if checks.refer(scope, "depends_on", parent) {
            depends_on.extend(CheckId::parse(parent.get_ref()));
        }
    }
    depends_on
}

/// `auto_action` and `stable_for`; `stable_for` alone is a warning (it has nothing to settle).
fn auto_action(scope: &mut Scope<'_, '_>, raw: &RawCheck, actions: &Ids) -> Option<AutoAction> {
    let stable_for = raw.stable_for.as_ref().and_then(|s| scope.duration("stable_for", s));
    let Some(auto) = &raw.auto_action else {
        if let Some(given) = &raw.stable_for {
            let resolution = "add `auto_action = { action = \"ID\" }`, or remove `stable_for`";
            scope.warn(&given.span(), "stable_for", "has no effect without `auto_action`", resolution);
        }
        return None;
    };
    let backoff = auto.backoff.as_ref().and_then(|b| scope.duration("auto_action.backoff", b));
    let max_backoff = auto.max_backoff.as_ref().and_then(|b| scope.duration("auto_action.max_backoff", b));
    let backoff = backoff.unwrap_or(DEFAULT_BACKOFF);
    let max_backoff = max_backoff.unwrap_or(DEFAULT_MAX_BACKOFF);
    if max_backoff < backoff {
        let span = auto.max_backoff.as_ref().map_or(auto.action.span(), |b| b.span());
        let message = format_args!(
            "{} is shorter than the backoff {}",
            units::format_duration(max_backoff),
            units::format_duration(backoff)
        );
        scope.error(&span, "auto_action.max_backoff", message, "make `max_backoff` at least `backoff`");
    }
    let after = scope.count("auto_action.after", auto.after.as_ref(), DEFAULT_AFTER, 1000);
    if !actions.refer(scope, "auto_action.action", &auto.action) {
        return None;
    }
    Some(AutoAction {
        action: ActionId::parse(auto.action.get_ref())?,
        after,
        backoff,
        max_backoff,
        stable_for: stable_for.unwrap_or(DEFAULT_STABLE_FOR),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use expect_test::expect;

    use crate::config::compile;
    use crate::config::compile::tests::check;
    use crate::model::ActionId;

    #[test]
    fn compiles_a_valid_config_with_defaults() {
        check(
            r#"
[settings]
interval = "10s"

[[check]]
id = "api"
kind = "http"
url = "http://127.0.0.1:8080/health"
verify_tls = false
breaker = { failure_threshold = 3, open_for = "1m" }

[[check]]
id = "db"
kind = "tcp"
host = "127.0.0.1"
port = 5432
interval = "1s"
expect = ["latency < 100ms"]
failure_threshold = 1
depends_on = ["api"]
"#,
            expect![[r#"
                ok
                check api kind=http interval=10s timeout=10s thresholds=2/1 expect=["status >= 200", "status < 400"] breaker=Some(BreakerConfig { trip: Consecutive(3), slow_call: 10s, half_open_calls: 1, open_for: 60s, max_open_for: 600s })
                check db kind=tcp interval=1s timeout=1s thresholds=1/1 expect=["latency < 100ms"] breaker=Some(BreakerConfig { trip: Consecutive(5), slow_call: 1s, half_open_calls: 1, open_for: 30s, max_open_for: 600s })
                warning: wk.toml:9:14: check "api": verify_tls: TLS verification is off
                  help: a man-in-the-middle would go unnoticed; prefer fixing the certificate
            "#]],
        );
    }

    #[test]
    fn recovery_keys_budgets_and_self_healing() {
        let config = r#"
[[check]]
id = "api"
kind = "tcp"
host = "127.0.0.1"
port = 1
auto_action = { action = "restart", after = 2, backoff = "5s" }
stable_for = "1m"

[[action]]
id = "restart"
kind = "command"
command = ["true"]
max_runs = 5
per = "1h"
"#;
        let compiled = compile(config, "wk.toml").expect("valid");
        let api = &compiled.config.checks[0];
        let auto = api.auto_action.as_ref().expect("an auto action");
        assert_eq!((auto.after, auto.backoff, auto.max_backoff), (2, Duration::from_secs(5), Duration::from_secs(600)));
        assert_eq!(auto.stable_for, Duration::from_secs(60));
        assert_eq!(api.actions, [ActionId::parse("restart").unwrap()], "the check offers its auto action");
        let budget = compiled.config.actions[0].budget;
        assert_eq!((budget.max_runs, budget.per), (5, Duration::from_secs(3600)));

        check(
            r#"[[check]]
id = "a"
kind = "tcp"
host = "h"
port = 1
auto_action = { action = "restrat", after = 0, backoff = "1m", max_backoff = "10s" }

[[check]]
id = "b"
kind = "tcp"
host = "h"
port = 1
stable_for = "1m"
auto_action = { actoin = "restart" }

[[check]]
id = "c"
kind = "tcp"
host = "h"
port = 1
stable_for = "1m"

[[action]]
id = "restart"
kind = "command"
command = ["true"]
max_runs = 0
per = "0s"
"#,
            expect![[r#"
                7 errors in config
                wk.toml:6:26: check "a": auto_action.action: unknown action `restrat`
                  help: did you mean `restart`? declare it in an [[action]] table
                wk.toml:6:45: check "a": auto_action.after: must be between 1 and 1000, got 0
                  help: set `auto_action.after` to 1 or more (default 3)
                wk.toml:6:78: check "a": auto_action.max_backoff: 10s is shorter than the backoff 1m
                  help: make `max_backoff` at least `backoff`
                wk.toml:14:15: check "b": auto_action: missing field `action`
                  help: add the field; `watchkeeper config schema` lists every key
                wk.toml:14:17: check "b": auto_action: unknown key `actoin`
                  help: did you mean `action`? `watchkeeper config schema` lists every key
                wk.toml:27:12: action "restart": max_runs: must be between 1 and 1000, got 0
                  help: set `max_runs` to 1 or more (default 3)
                wk.toml:28:7: action "restart": per: must be more than 0
                  help: set `per`, e.g. `10m` (default 10m)
            "#]],
        );
    }

    #[test]
    fn stable_for_without_auto_action_is_a_warning() {
        check(
            "[[check]]\nid = \"c\"\nkind = \"tcp\"\nhost = \"h\"\nport = 1\nstable_for = \"1m\"\n",
            expect![[r#"
                ok
                check c kind=tcp interval=30s timeout=10s thresholds=2/1 expect=["connected == true"] breaker=Some(BreakerConfig { trip: Consecutive(5), slow_call: 10s, half_open_calls: 1, open_for: 30s, max_open_for: 600s })
                warning: wk.toml:6:14: check "c": stable_for: has no effect without `auto_action`
                  help: add `auto_action = { action = "ID" }`, or remove `stable_for`
            "#]],
        );
    }

    #[test]
    fn a_bad_duration_names_the_check_and_the_key() {
        check(
            "[[check]]\nid = \"a\"\nkind = \"tcp\"\nhost = \"h\"\ninterval = \"fast\"\nport = 1\n",
            expect![[r#"
            1 error in config
            wk.toml:5:12: check "a": interval: `fast` is not a valid duration: expected a number before each unit, like `1m30s`
              help: write a number and a unit: `500ms`, `10s`, `5m`, `1h`, `7d`
        "#]],
        );
    }
}
