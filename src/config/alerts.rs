//! `[alerts]`, `[[channel]]`, `[[maintenance]]` and a check's `alert`, compiled: the
//! alert policy's settings, the channels, the maintenance windows, and each check's
//! severity, channels and reminders.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use toml::Spanned;

use super::compile::ChannelEntry;
use super::raw::{RawAlerts, RawCheckAlert, RawFlap, RawMaintenance};
use crate::alert::channel::{self, ChannelConfig};
use crate::alert::{AlertSettings, CheckAlert, QuietHours};
use crate::diagnostic::{did_you_mean, Report, Scope};
use crate::maintenance::{Cron, When, Window};
use crate::model::{is_valid_id, CheckId, Severity};
use crate::state::FlapConfig;

/// Compiles the `[[channel]]` tables (their kinds' keys are compiled already);
/// `desktop` is there unless one of them has that id.
pub(super) fn channels(entries: Vec<ChannelEntry>, report: &mut Report<'_>) -> Vec<ChannelConfig> {
    let mut channels: Vec<ChannelConfig> = Vec::new();
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    for ChannelEntry { raw, spec } in entries {
        let label = format!("channel {:?}", raw.id.get_ref());
        let mut scope = report.scope(label, raw.id.span());
        let fresh = fresh_id(&mut scope, &mut seen, &raw.id, "channel");
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
    if !channels.iter().any(|c| c.id == channel::desktop::NAME) {
        channels.insert(0, ChannelConfig::desktop());
    }
    channels
}

/// An id that is valid and not taken by an earlier table of its kind (`what`); taken
/// from then on.
fn fresh_id(
    scope: &mut Scope<'_, '_>,
    seen: &mut HashMap<String, Range<usize>>,
    id: &Spanned<String>,
    what: &str,
) -> bool {
    if !is_valid_id(id.get_ref()) {
        let message = format_args!("`{}` is not a valid id", id.get_ref());
        scope.error(&id.span(), "id", message, "use 1 to 64 letters, digits, `-` and `_`");
        return false;
    }
    if let Some(first) = seen.get(id.get_ref()) {
        let line = scope.line_of(first);
        let message = format_args!("duplicate id, first defined on line {line}");
        scope.error(&id.span(), "id", message, format!("give every {what} a unique id"));
        return false;
    }
    seen.insert(id.get_ref().clone(), id.span());
    true
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

/// The `[[maintenance]]` windows, their checks and groups checked against those the
/// file declares.
pub(super) fn windows(
    raw: Vec<RawMaintenance>,
    (check_ids, groups): (&HashMap<String, Range<usize>>, &HashSet<String>),
    report: &mut Report<'_>,
) -> Vec<Window> {
    let mut windows: Vec<Window> = Vec::new();
    let mut seen: HashMap<String, Range<usize>> = HashMap::new();
    let mut known: Vec<&str> = check_ids.keys().map(String::as_str).collect();
    known.sort_unstable();
    let mut groups: Vec<&str> = groups.iter().map(String::as_str).collect();
    groups.sort_unstable();
    for entry in raw {
        let label = format!("maintenance {:?}", entry.id.get_ref());
        let mut scope = report.scope(label, entry.id.span());
        if !fresh_id(&mut scope, &mut seen, &entry.id, "maintenance window") {
            continue;
        }
        let mut covered = Vec::new();
        for id in entry.checks.as_deref().unwrap_or_default() {
            match CheckId::parse(id.get_ref()).filter(|_| check_ids.contains_key(id.get_ref())) {
                Some(check) => covered.push(check),
                None => {
                    let hint = did_you_mean(id.get_ref(), &known);
                    let message = format_args!("unknown check `{}`", id.get_ref());
                    scope.error(&id.span(), "checks", message, format!("{hint}name checks defined in this file"));
                }
            }
        }
        let mut covered_groups = Vec::new();
        for group in entry.groups.as_deref().unwrap_or_default() {
            if groups.contains(&group.get_ref().as_str()) {
                covered_groups.push(group.get_ref().clone());
            } else {
                let hint = did_you_mean(group.get_ref(), &groups);
                let message = format_args!("unknown group `{}`", group.get_ref());
                scope.error(&group.span(), "groups", message, format!("{hint}name a `group` some check has"));
            }
        }
        if entry.checks.as_ref().is_none_or(Vec::is_empty) && entry.groups.as_ref().is_none_or(Vec::is_empty) {
            scope.needs("checks", "add `checks = [\"db\"]` or `groups = [\"shop\"]`: the checks it is about");
        }
        let Some(when) = when(&entry, &mut scope) else { continue };
        windows.push(Window {
            id: entry.id.into_inner(),
            checks: covered,
            groups: covered_groups,
            when,
            reason: entry.reason.map(Spanned::into_inner),
        });
    }
    windows
}

/// `schedule` + `duration`, or `start` + `end`.
fn when(entry: &RawMaintenance, scope: &mut Scope<'_, '_>) -> Option<When> {
    match (&entry.schedule, &entry.start) {
        (Some(schedule), None) => {
            for (key, given) in [("end", &entry.end)] {
                if let Some(given) = given {
                    let message = format_args!("`{key}` goes with `start`, not with `schedule`");
                    scope.error(&given.span(), key, message, "remove it: a recurring window lasts `duration`");
                }
            }
            let cron = match Cron::parse(schedule.get_ref()) {
                Ok(cron) => Some(cron),
                Err(why) => {
                    scope.error(
                        &schedule.span(),
                        "schedule",
                        why,
                        "write 5 fields in local time, e.g. `0 2 * * sun` (Sundays at 02:00)",
                    );
                    None
                }
            };
            let Some(given) = &entry.duration else {
                scope.needs("duration", "add how long each window lasts, e.g. `duration = \"2h\"`");
                return None;
            };
            let duration = scope.duration("duration", given)?;
            if duration < Duration::from_secs(60) || duration > Duration::from_secs(31 * 86_400) {
                scope.error(&given.span(), "duration", "must be 1m to 31d", "set e.g. `duration = \"2h\"`");
                return None;
            }
            Some(When::Recurring { cron: cron?, duration })
        }
        (None, Some(start)) => {
            if let Some(given) = &entry.duration {
                let message = "`duration` goes with `schedule`; a fixed window has `end`";
                scope.error(&given.span(), "duration", message, "replace it with `end`, an RFC 3339 time");
            }
            let start_at = instant(scope, "start", start);
            let Some(end) = &entry.end else {
                scope.needs("end", "add `end`, e.g. `end = \"2026-12-24T20:00:00+01:00\"`");
                return None;
            };
            let end_at = instant(scope, "end", end)?;
            let start_at = start_at?;
            if end_at <= start_at {
                scope.error(&end.span(), "end", "is not after `start`", "make the window end after it starts");
                return None;
            }
            Some(When::Fixed { start: start_at, end: end_at })
        }
        (Some(schedule), Some(_)) => {
            let message = "give either `schedule` (with `duration`) or `start` (with `end`), not both";
            scope.error(&schedule.span(), "schedule", message, "keep the one you mean");
            None
        }
        (None, None) => {
            scope.needs(
                "schedule",
                "add `schedule = \"0 2 * * sun\"` with `duration = \"2h\"`, or `start` and `end` (RFC 3339)",
            );
            None
        }
    }
}

fn instant(scope: &mut Scope<'_, '_>, key: &str, value: &Spanned<String>) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(value.get_ref()) {
        Ok(at) => Some(at.with_timezone(&Utc)),
        Err(e) => {
            let message = format_args!("`{}` is not an RFC 3339 time: {e}", value.get_ref());
            scope.error(&value.span(), key, message, "write e.g. `2026-12-24T18:00:00+01:00`");
            None
        }
    }
}
