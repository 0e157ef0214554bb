//! `[alerts]`, `[[channel]]` and a check's `alert`, compiled: the alert policy's
//! settings, the channels, and each check's severity, channels and reminders.

use std::collections::HashMap;
use std::ops::Range;
use std::time::Duration;

use chrono::NaiveTime;
use toml::Spanned;

use super::raw::{RawAlerts, RawChannel, RawCheckAlert};
use crate::alert::{AlertSettings, CheckAlert, QuietHours};
use crate::diagnostic::{did_you_mean, Report, Scope};
use crate::exec::CommandSpec;
use crate::model::{is_valid_id, Severity};
use crate::notify::{self, ChannelConfig, ChannelKind};

const CHANNEL_KINDS: &[&str] = &["desktop", "webhook", "command"];
/// Channel kinds of the public contract this version does not deliver to yet.
const PLANNED_CHANNEL_KINDS: &[&str] = &["alertmanager"];

/// Compiles the `[[channel]]` tables; `desktop` is there unless one of them has that id.
pub(super) fn channels(raw: Vec<RawChannel>, report: &mut Report<'_>) -> Vec<ChannelConfig> {
    let mut channels: Vec<ChannelConfig> = Vec::new();
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    for entry in raw {
        let label = format!("channel {:?}", entry.id.get_ref());
        let mut scope = report.scope(label, entry.id.span());
        if !is_valid_id(entry.id.get_ref()) {
            let message = format_args!("`{}` is not a valid id", entry.id.get_ref());
            scope.error(&entry.id.span(), "id", message, "use 1 to 64 letters, digits, `-` and `_`");
            continue;
        }
        if let Some(first) = seen.get(entry.id.get_ref()) {
            let line = scope.line_of(first);
            let message = format_args!("duplicate id, first defined on line {line}");
            scope.error(&entry.id.span(), "id", message, "give every channel a unique id");
            continue;
        }
        seen.insert(entry.id.get_ref().clone(), entry.id.span());
        if let Some(channel) = channel(entry, &mut scope) {
            channels.push(channel);
        }
    }
    if !channels.iter().any(|c| c.id == "desktop") {
        channels.insert(0, notify::desktop());
    }
    channels
}

fn channel(entry: RawChannel, scope: &mut Scope<'_, '_>) -> Option<ChannelConfig> {
    let kind_name = entry.kind.get_ref().as_str();
    let timeout = entry.timeout.as_ref().and_then(|t| scope.duration("timeout", t)).unwrap_or(Duration::from_secs(10));
    if timeout.is_zero() {
        let span = entry.timeout.as_ref().map_or(entry.id.span(), Spanned::span);
        scope.error(&span, "timeout", "must be more than 0", "set `timeout`, e.g. `10s`");
    }
    let unused = |scope: &mut Scope<'_, '_>, key: &str, given: Option<Range<usize>>| {
        if let Some(span) = given {
            let message = format_args!("`{key}` is not a key of {kind_name} channels");
            scope.error(&span, key, message, format!("remove `{key}`, or change `kind`"));
        }
    };
    let kind = match kind_name {
        "desktop" => {
            unused(scope, "url", entry.url.as_ref().map(Spanned::span));
            unused(scope, "headers", entry.headers.as_ref().map(Spanned::span));
            unused(scope, "command", entry.command.as_ref().map(Spanned::span));
            ChannelKind::Desktop
        }
        "webhook" => {
            unused(scope, "command", entry.command.as_ref().map(Spanned::span));
            let Some(url) = &entry.url else {
                scope.needs("url", "add `url = \"https://example.org/hooks/watchkeeper\"`");
                return None;
            };
            let parsed = match reqwest::Url::parse(url.get_ref()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
                Ok(_) => {
                    scope.error(
                        &url.span(),
                        "url",
                        "is not an http(s) URL",
                        "write `http://` or `https://`, a host and a path",
                    );
                    return None;
                }
                Err(e) => {
                    scope.error(
                        &url.span(),
                        "url",
                        format_args!("is not a valid URL: {e}"),
                        "write e.g. `https://example.org/hook`",
                    );
                    return None;
                }
            };
            let headers = crate::probe::http::headers(entry.headers.as_ref(), scope);
            ChannelKind::Webhook { url: parsed, headers }
        }
        "command" => {
            unused(scope, "url", entry.url.as_ref().map(Spanned::span));
            unused(scope, "headers", entry.headers.as_ref().map(Spanned::span));
            ChannelKind::Command { command: CommandSpec::compile(entry.command, None, None, scope)? }
        }
        other if PLANNED_CHANNEL_KINDS.contains(&other) => {
            let message = format_args!("`{other}` is not supported by this version of watchkeeper yet");
            scope.error(&entry.kind.span(), "kind", message, format!("use one of: {}", CHANNEL_KINDS.join(", ")));
            return None;
        }
        other => {
            let hint = did_you_mean(other, CHANNEL_KINDS);
            let message = format_args!("unknown kind `{other}`");
            scope.error(
                &entry.kind.span(),
                "kind",
                message,
                format!("{hint}the kinds are: {}", CHANNEL_KINDS.join(", ")),
            );
            return None;
        }
    };
    Some(ChannelConfig { id: entry.id.into_inner(), kind, timeout })
}

/// `[alerts]`, its channels checked against those declared.
pub(super) fn settings(raw: RawAlerts, channels: &[ChannelConfig], scope: &mut Scope<'_, '_>) -> AlertSettings {
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
        Some(list) => channel_refs(scope, "channels", list, channels),
        None => defaults.channels,
    };
    AlertSettings { group_wait, repeat, max_reminders, quiet_hours, channels: chosen }
}

/// A check's `alert`, the defaults of `[alerts]` applied.
pub(super) fn check_alert(
    raw: Option<&RawCheckAlert>,
    settings: &AlertSettings,
    channels: &[ChannelConfig],
    scope: &mut Scope<'_, '_>,
) -> CheckAlert {
    let Some(raw) = raw else {
        return CheckAlert {
            severity: Severity::Warning,
            channels: settings.channels.clone(),
            repeat: settings.repeat,
        };
    };
    let severity =
        raw.severity.as_ref().and_then(|s| severity(scope, "alert.severity", s)).unwrap_or(Severity::Warning);
    for on in raw.on.as_deref().unwrap_or_default() {
        match on.get_ref().as_str() {
            "down" => {}
            "degraded" => scope.error(
                &on.span(),
                "alert.on",
                "`degraded` is not supported by this version of watchkeeper yet",
                "use `on = [\"down\"]`; a degraded check shows on the dashboard and in the tray",
            ),
            other => scope.error(&on.span(), "alert.on", format_args!("unknown state `{other}`"), "use `[\"down\"]`"),
        }
    }
    let chosen = match &raw.channels {
        Some(list) => channel_refs(scope, "alert.channels", list, channels),
        None => settings.channels.clone(),
    };
    let repeat = match &raw.repeat {
        Some(r) => positive(scope, "alert.repeat", r),
        None => settings.repeat,
    };
    CheckAlert { severity, channels: chosen, repeat }
}

fn channel_refs(
    scope: &mut Scope<'_, '_>,
    key: &str,
    list: &[Spanned<String>],
    channels: &[ChannelConfig],
) -> Vec<String> {
    let mut chosen = Vec::new();
    for id in list {
        if channels.iter().any(|c| &c.id == id.get_ref()) {
            if !chosen.contains(id.get_ref()) {
                chosen.push(id.get_ref().clone());
            }
        } else {
            let known: Vec<&str> = channels.iter().map(|c| c.id.as_str()).collect();
            let hint = did_you_mean(id.get_ref(), &known);
            let message = format_args!("unknown channel `{}`", id.get_ref());
            scope.error(&id.span(), key, message, format!("{hint}declare it in a [[channel]] table"));
        }
    }
    chosen
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
