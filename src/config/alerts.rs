//! `[alerts]`, `[[channel]]` and a check's `alert`, compiled: the alert policy's
//! settings, the channels (their kinds' keys compiled by their kinds), and each check's
//! severity, channels and reminders.

use std::time::Duration;

use chrono::NaiveTime;
use toml::Spanned;

use super::document::ChannelEntry;
use super::ids::{Ids, What};
use super::raw::{RawAlerts, RawCheckAlert, RawFlap};
use crate::alert::channel::{self, ChannelConfig};
use crate::alert::{AlertOn, AlertSettings, CheckAlert, QuietHours};
use crate::diagnostic::{Report, Scope};
use crate::model::Severity;
use crate::state::FlapConfig;

/// Compiles the `[[channel]]` tables (their kinds' keys are compiled already), and
/// their ids; `desktop` is there unless one of them has that id.
pub(super) fn channels(entries: Vec<ChannelEntry>, report: &mut Report<'_>) -> (Vec<ChannelConfig>, Ids) {
    let mut channels: Vec<ChannelConfig> = Vec::new();
    let mut ids = Ids::new(What::Channel);
    for ChannelEntry { raw, spec } in entries {
        let mut scope = report.scope(format!("channel {:?}", raw.id.get_ref()), raw.id.span());
        let fresh = ids.take(&mut scope, &raw.id);
        let timeout =
            raw.timeout.as_ref().and_then(|t| scope.duration("timeout", t)).unwrap_or(channel::DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            let span = raw.timeout.as_ref().map_or(raw.id.span(), Spanned::span);
            scope.error(&span, "timeout", "must be more than 0", "set `timeout`, e.g. `10s`");
        }
        if let (true, Some(spec)) = (fresh, spec) {
            channels.push(ChannelConfig { id: raw.id.into_inner(), spec, timeout });
        }
    }
    if !ids.contains(channel::desktop::NAME) {
        ids.declare(channel::desktop::NAME);
        channels.insert(0, ChannelConfig::desktop());
    }
    (channels, ids)
}

/// `[alerts]`, its channels checked against those declared.
pub(super) fn settings(raw: RawAlerts, channels: &Ids, scope: &mut Scope<'_, '_>) -> AlertSettings {
    let defaults = AlertSettings::default();
    let group_wait =
        raw.group_wait.as_ref().and_then(|g| scope.duration("group_wait", g)).unwrap_or(defaults.group_wait);
    if group_wait > Duration::from_secs(600) {
        let span = raw.group_wait.as_ref().map_or(0..0, Spanned::span);
        scope.error(
            &span,
            "group_wait",
            "is longer than 10m",
            "a failure would wait that long to be told; use e.g. `5s`",
        );
    }
    let repeat = raw.repeat.as_ref().and_then(|r| positive(scope, "repeat", r));
    let max_reminders = match &raw.max_reminders {
        Some(n) => match u32::try_from(*n.get_ref()) {
            Ok(n) if n <= 1000 => n,
            _ => {
                scope.error(&n.span(), "max_reminders", "must be 0 to 1000", "set e.g. `max_reminders = 3`");
                defaults.max_reminders
            }
        },
        None => defaults.max_reminders,
    };
    let quiet_hours = raw.quiet_hours.and_then(|q| {
        let from = time_of_day(scope, "quiet_hours.from", &q.from);
        let to = time_of_day(scope, "quiet_hours.to", &q.to);
        if let (Some(a), Some(b)) = (from, to) {
            if a == b {
                scope.error(
                    &q.to.span(),
                    "quiet_hours.to",
                    "is the same as `from`",
                    "make them differ, e.g. from 22:00 to 07:00",
                );
            }
        }
        let except = match &q.except {
            Some(list) => list.iter().filter_map(|s| severity(scope, "quiet_hours.except", s)).collect(),
            None => vec![Severity::Critical],
        };
        Some(QuietHours { from: from?, to: to?, except })
    });
    let chosen = match &raw.channels {
        Some(list) => channels.refer_all(scope, "channels", list),
        None => defaults.channels,
    };
    let flap = match &raw.flap {
        Some(raw) => flap(raw, scope),
        None => defaults.flap,
    };
    AlertSettings { group_wait, repeat, max_reminders, quiet_hours, flap, channels: chosen }
}

/// `[alerts] flap`: `None` when turned off.
fn flap(raw: &RawFlap, scope: &mut Scope<'_, '_>) -> Option<FlapConfig> {
    let defaults = FlapConfig::default();
    let window = match &raw.window {
        Some(w) => match u8::try_from(*w.get_ref()) {
            Ok(n) if (3..=64).contains(&n) => n,
            _ => {
                scope.error(&w.span(), "flap.window", "must be 3 to 64 results", "set e.g. `window = 21`");
                defaults.window
            }
        },
        None => defaults.window,
    };
    let percent = |scope: &mut Scope<'_, '_>, key: &str, value: &Option<toml::Spanned<f64>>, default: f64| match value {
        Some(p) if (0.0..=100.0).contains(p.get_ref()) => *p.get_ref(),
        Some(p) => {
            let example = format!("{} = {default}", key.trim_start_matches("flap."));
            scope.error(&p.span(), key, "must be a percent, 0 to 100", format!("set e.g. `{example}`"));
            default
        }
        None => default,
    };
    let high = percent(scope, "flap.high", &raw.high, defaults.high);
    let low = percent(scope, "flap.low", &raw.low, defaults.low);
    if low >= high {
        let span = raw.low.as_ref().or(raw.high.as_ref()).map_or(0..0, Spanned::span);
        scope.error(
            &span,
            "flap",
            format_args!("`low` ({low}) is not below `high` ({high})"),
            "flapping stops below `low` and starts at `high`: e.g. low 25, high 50",
        );
    }
    raw.enabled.unwrap_or(true).then_some(FlapConfig { window, high, low })
}

/// A check's `alert`, the defaults of `[alerts]` applied.
pub(super) fn check_alert(
    raw: Option<&RawCheckAlert>,
    settings: &AlertSettings,
    channels: &Ids,
    probe: Option<&crate::probe::ProbeSpec>,
    scope: &mut Scope<'_, '_>,
) -> CheckAlert {
    let cert_days = cert_days(raw.and_then(|r| r.cert_days.as_ref()), probe, scope);
    let Some(raw) = raw else {
        return CheckAlert {
            severity: Severity::Warning,
            channels: settings.channels.clone(),
            repeat: settings.repeat,
            on: AlertOn::default(),
            cert_days,
        };
    };
    let severity =
        raw.severity.as_ref().and_then(|s| severity(scope, "alert.severity", s)).unwrap_or(Severity::Warning);
    let on = match raw.on.as_deref() {
        None => AlertOn::default(),
        Some(list) => {
            let mut on = AlertOn { down: false, degraded: false };
            for state in list {
                match state.get_ref().as_str() {
                    "down" => on.down = true,
                    "degraded" => on.degraded = true,
                    other => scope.error(
                        &state.span(),
                        "alert.on",
                        format_args!("unknown state `{other}`"),
                        "use `\"down\"`, `\"degraded\"` or both",
                    ),
                }
            }
            if list.is_empty() {
                let span = scope.anchor();
                scope.error(&span, "alert.on", "is empty: nothing of this check would be told", "use `on = [\"down\"]` (the default), `[\"degraded\"]` or both; to hear nothing, set `alert.channels = []`");
            }
            on
        }
    };
    let chosen = match &raw.channels {
        Some(list) => channels.refer_all(scope, "alert.channels", list),
        None => settings.channels.clone(),
    };
    let repeat = match &raw.repeat {
        Some(r) => positive(scope, "alert.repeat", r),
        None => settings.repeat,
    };
    CheckAlert { severity, channels: chosen, repeat, on, cert_days }
}

/// `alert.cert_days`: each 1 to 3650, for a kind that reads a certificate; a tls
/// check tells at 30 and 14 days unless told otherwise.
fn cert_days(
    raw: Option<&Spanned<Vec<i64>>>,
    probe: Option<&crate::probe::ProbeSpec>,
    scope: &mut Scope<'_, '_>,
) -> Vec<u16> {
    use crate::probe::ProbeSpec;
    let reads_certificate = match probe {
        Some(ProbeSpec::Tls(_)) => true,
        Some(ProbeSpec::Http(http)) => http.url.scheme() == "https",
        // A kind that did not compile: its own error says enough.
        None => true,
        Some(_) => false,
    };
    let Some(raw) = raw else {
        return if matches!(probe, Some(ProbeSpec::Tls(_))) { vec![30, 14] } else { Vec::new() };
    };
    if !reads_certificate {
        scope.error(
            &raw.span(),
            "alert.cert_days",
            "this check reads no certificate",
            "use it on a `tls` check, or an `http` check of an `https://` URL",
        );
        return Vec::new();
    }
    let mut days = Vec::new();
    for day in raw.get_ref() {
        match u16::try_from(*day) {
            Ok(d @ 1..=3650) => days.push(d),
            _ => {
                scope.error(
                    &raw.span(),
                    "alert.cert_days",
                    format_args!("{day} is not 1 to 3650 days"),
                    "write the days left to tell at, e.g. `[30, 14, 7, 1]`",
                );
                return Vec::new();
            }
        }
    }
    days.sort_unstable_by(|a, b| b.cmp(a));
    days.dedup();
    days
}

fn positive(scope: &mut Scope<'_, '_>, key: &str, value: &Spanned<String>) -> Option<Duration> {
    let d = scope.duration(key, value)?;
    if d < Duration::from_secs(1) {
        scope.error(&value.span(), key, "must be at least 1s", format!("set `{key}`, e.g. `1h`"));
        return None;
    }
    Some(d)
}

fn severity(scope: &mut Scope<'_, '_>, key: &str, value: &Spanned<String>) -> Option<Severity> {
    let parsed = Severity::parse(value.get_ref());
    if parsed.is_none() {
        let message = format_args!("unknown severity `{}`", value.get_ref());
        scope.error(&value.span(), key, message, "use `warning` or `critical`");
    }
    parsed
}

fn time_of_day(scope: &mut Scope<'_, '_>, key: &str, value: &Spanned<String>) -> Option<NaiveTime> {
    let parsed = NaiveTime::parse_from_str(value.get_ref(), "%H:%M").ok();
    if parsed.is_none() {
        let message = format_args!("`{}` is not a time of day", value.get_ref());
        scope.error(&value.span(), key, message, "write it as `HH:MM`, 24-hour local time, e.g. `22:00`");
    }
    parsed
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use expect_test::expect;

    use crate::config::compile;
    use crate::config::compile::tests::check;

    #[test]
    fn alerts_channels_and_a_checks_alert_compile_and_bad_ones_are_located() {
        let text = r#"
[alerts]
group_wait = "2s"
repeat = "1h"
max_reminders = 5
quiet_hours = { from = "22:00", to = "07:00" }
channels = ["desktop", "team"]

[[channel]]
id = "team"
kind = "webhook"
url = "https://hooks.example.org/wk"
headers = { Authorization = "Bearer abc" }

[[channel]]
id = "pager"
kind = "command"
command = ["notify-pager"]
timeout = "3s"

[[check]]
id = "db"
kind = "tcp"
host = "127.0.0.1"
port = 5432
alert = { severity = "critical", channels = ["pager"], repeat = "10m" }

[[check]]
id = "web"
kind = "tcp"
host = "127.0.0.1"
port = 80
"#;
        let config = compile(text, "wk.toml").expect("valid").config;
        let channels: Vec<(&str, &str)> = config.channels.iter().map(|c| (c.id.as_str(), c.spec.kind())).collect();
        assert_eq!(channels, [("desktop", "desktop"), ("team", "webhook"), ("pager", "command")]);
        assert_eq!(config.alerts.group_wait, Duration::from_secs(2));
        assert_eq!(config.alerts.max_reminders, 5);
        let quiet = config.alerts.quiet_hours.as_ref().expect("quiet hours");
        assert_eq!(quiet.except, [crate::model::Severity::Critical], "critical breaks through by default");
        let db = &config.checks[0].alert;
        assert_eq!(
            (db.severity, db.channels.as_slice(), db.repeat),
            (crate::model::Severity::Critical, ["pager".to_owned()].as_slice(), Some(Duration::from_secs(600)))
        );
        let web = &config.checks[1].alert;
        assert_eq!(
            (web.severity, web.channels.as_slice(), web.repeat),
            (
                crate::model::Severity::Warning,
                ["desktop".to_owned(), "team".to_owned()].as_slice(),
                Some(Duration::from_secs(3600))
            )
        );

        check(
            r#"
[alerts]
group_wait = "1h"
repeat = "0s"
max_reminders = -1
quiet_hours = { from = "22h", to = "22:00", except = ["loud"] }
channels = ["desktp"]
flap = { window = 2, high = 120.0, low = 30 }

[[channel]]
id = "hook"
kind = "webhook"
url = "ftp://example.org"
command = ["x"]

[[channel]]
id = "hook"
kind = "webhook"
url = "http://127.0.0.1:9/"

[[channel]]
id = "am"
kind = "alertmanager"
resend = "0s"

[[channel]]
id = "x"
kind = "pager"

[[channel]]
id = "run"
kind = "command"

[[check]]
id = "a"
kind = "tcp"
host = "127.0.0.1"
port = 1
alert = { severity = "high", on = ["degraded", "up"], channels = ["nope"], repeat = "soon", bogus = 1 }

"#,
            expect![[r#"
                19 errors in config
                wk.toml:3:14: alerts: group_wait: is longer than 10m
                  help: a failure would wait that long to be told; use e.g. `5s`
                wk.toml:4:10: alerts: repeat: must be at least 1s
                  help: set `repeat`, e.g. `1h`
                wk.toml:5:17: alerts: max_reminders: must be 0 to 1000
                  help: set e.g. `max_reminders = 3`
                wk.toml:6:24: alerts: quiet_hours.from: `22h` is not a time of day
                  help: write it as `HH:MM`, 24-hour local time, e.g. `22:00`
                wk.toml:6:55: alerts: quiet_hours.except: unknown severity `loud`
                  help: use `warning` or `critical`
                wk.toml:7:13: alerts: channels: unknown channel `desktp`
                  help: did you mean `desktop`? declare it in a [[channel]] table
                wk.toml:8:19: alerts: flap.window: must be 3 to 64 results
                  help: set e.g. `window = 21`
                wk.toml:8:29: alerts: flap.high: must be a percent, 0 to 100
                  help: set e.g. `high = 50`
                wk.toml:13:7: channel "hook": url: is not an http(s) URL
                  help: write `http://` or `https://`, a host and a path
                wk.toml:14:1: channel "hook": `command` is not a key of webhook channels
                  help: remove `command`, or change `kind`
                wk.toml:17:6: channel "hook": id: duplicate id, first defined on line 11
                  help: give every channel a unique id
                wk.toml:23:8: channel "am": needs `url`
                  help: add the Alertmanager's URL, e.g. `url = "http://127.0.0.1:9093"`
                wk.toml:28:8: channel "x": kind: unknown kind `pager`
                  help: the kinds are: desktop, webhook, command, alertmanager
                wk.toml:32:8: channel "run": needs `command`
                  help: add `command = ["program", "arg"]` (run without a shell)
                wk.toml:39:22: check "a": alert.severity: unknown severity `high`
                  help: use `warning` or `critical`
                wk.toml:39:48: check "a": alert.on: unknown state `up`
                  help: use `"down"`, `"degraded"` or both
                wk.toml:39:67: check "a": alert.channels: unknown channel `nope`
                  help: declare it in a [[channel]] table
                wk.toml:39:85: check "a": alert.repeat: `soon` is not a valid duration: expected a number before each unit, like `1m30s`
                  help: write a number and a unit: `500ms`, `10s`, `5m`, `1h`, `7d`
                wk.toml:39:93: check "a": alert: unknown key `bogus`
                  help: `watchkeeper config schema` lists every key
            "#]],
        );
    }
}
