//! Words: how Watchkeeper says what it decided, once, for every front door. The
//! notifications' titles and bodies, the phrases the API carries (the dashboard and the
//! CLI show them as they come), what the tray shows, and the tables of words the
//! dashboard is generated with (`api::typescript`) are all written here, so that a fact
//! reads the same wherever it is shown.
//!
//! A phrase that counts down (`open, trial in 12 s`) is a [`Phrase`] with its
//! [`Countdown`]: the dashboard rewrites the time left each second the way
//! [`duration`] writes it (a generated test checks that it does).
//!
//! Pure: every input, `now` and the zone included, is an argument. It words what the
//! rules decided; it decides nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::breaker::{BreakerConfig, BreakerView, Trip, Window};
use crate::budget::Budget;
use crate::clock::Zone;
use crate::engine::{BudgetSnapshot, CheckSnapshot, GroupSnapshot, HealingSnapshot};
use crate::healing::{HealingState, Hold};
pub use crate::model::Outcome;
use crate::model::{BreakerState, GroupLevel, NotifyEvent, Requester, ServiceBreaker, Status, Suppressed};

/// Words as said at `now`, and, when they count down, how they go on.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    pub text: String,
    pub countdown: Option<Countdown>,
}

/// A phrase counting down to `at`: `ticking` with the time left at `{}` until then,
/// `due` after.
#[derive(Debug, Clone, PartialEq)]
pub struct Countdown {
    pub at: DateTime<Utc>,
    pub ticking: String,
    pub due: String,
}

impl Phrase {
    pub fn plain(text: impl Into<String>) -> Phrase {
        Phrase { text: text.into(), countdown: None }
    }

    /// `ticking` (with `{}` for the time left) until `at`, then `due`.
    pub fn counting(now: DateTime<Utc>, at: DateTime<Utc>, ticking: String, due: String) -> Phrase {
        let countdown = Countdown { at, ticking, due };
        Phrase { text: countdown.at(now), countdown: Some(countdown) }
    }
}

impl Countdown {
    /// What it says at `now`.
    pub fn at(&self, now: DateTime<Utc>) -> String {
        match (self.at - now).to_std() {
            Ok(left) if !left.is_zero() => self.ticking.replace("{}", &duration(left)),
            _ => self.due.clone(),
        }
    }
}

/// A latency for people: `40 ms`, `2.1 s`, then as [`duration`] from 10 s on.
pub fn latency(ms: f64) -> String {
    match ms {
        ms if ms < 1000.0 => format!("{} ms", ms.round()),
        ms if ms < 10_000.0 => format!("{:.1} s", (ms / 100.0).floor() / 10.0),
        ms => duration(Duration::from_secs_f64(ms / 1000.0)),
    }
}

/// An uptime in percent for people: `100%`, `99.95%` (never rounded up to 100%), or
/// `no results`.
pub fn uptime(pct: Option<f64>) -> String {
    let Some(pct) = pct else { return "no results".to_owned() };
    if pct >= 100.0 {
        return "100%".to_owned();
    }
    let floored = (pct.max(0.0) * 100.0).floor() / 100.0;
    format!("{floored}%")
}

/// A duration for people: `350 ms`, `45 s`, `3 min`, `1 h 12 min`, `2 d 4 h`; whole
/// units, rounded down.
pub fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms > 0 && ms < 1000 {
        return format!("{ms} ms");
    }
    let seconds = d.as_secs();
    if seconds < 60 {
        return format!("{seconds} s");
    }
    let minutes = seconds / 60;
    if minutes < 60 {
        return format!("{minutes} min");
    }
    let hours = minutes / 60;
    if hours < 24 {
        return match minutes % 60 {
            0 => format!("{hours} h"),
            m => format!("{hours} h {m} min"),
        };
    }
    let days = hours / 24;
    match hours % 24 {
        0 => format!("{days} d"),
        h => format!("{days} d {h} h"),
    }
}

/// Durations and what [`duration`] says of them: the dashboard's countdowns must say
/// the same (its unit test reads these from the generated types).
pub fn duration_examples() -> Vec<(u64, String)> {
    [0, 350, 999, 1_000, 45_900, 59_999, 60_000, 180_500, 3_600_000, 4_320_000, 86_400_000, 187_200_000, 90_061_000]
        .into_iter()
        .map(|ms| (ms, duration(Duration::from_millis(ms))))
        .collect()
}

/// A time for people, in the zone: `14:05` today, else `2026-12-24 14:05`.
pub fn time(at: DateTime<Utc>, now: DateTime<Utc>, zone: &dyn Zone) -> String {
    let (local, today) = (zone.local(at), zone.local(now));
    if local.date() == today.date() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// A percentage: `60%`, `33.3%`.
pub fn percent(rate: f64) -> String {
    let rounded = (rate * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}%")
    } else {
        format!("{rounded:.1}%")
    }
}

/// A breaker's state in words: `half-open`, `forced open`.
pub fn breaker_state(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half-open",
        BreakerState::Disabled => "disabled",
        BreakerState::ForcedOpen => "forced open",
    }
}

/// Every breaker state and its words, in the order a breaker moves through them, then
/// the user's.
pub fn breaker_states() -> Vec<(BreakerState, &'static str)> {
    use BreakerState::*;
    [Closed, Open, HalfOpen, Disabled, ForcedOpen].into_iter().map(|s| (s, breaker_state(s))).collect()
}

/// A breaker in one phrase, as the overview, the tray and `watchkeeper status` say it:
/// `closed`, `closed, 20% failed`, `open, trial in 12 s`, `half-open, trial 2 of 3`.
pub fn breaker(view: &BreakerView, config: &BreakerConfig, now: DateTime<Utc>) -> Phrase {
    let state = breaker_state(view.state);
    match view.state {
        BreakerState::Open => match view.next_trial_at {
            Some(at) => Phrase::counting(now, at, "open, trial in {}".into(), "open, trial due".into()),
            None => Phrase::plain(state),
        },
        BreakerState::HalfOpen => {
            let trials = config.half_open_calls;
            Phrase::plain(format!("half-open, trial {} of {trials}", (view.counts.calls + 1).min(trials)))
        }
        BreakerState::Closed | BreakerState::Disabled => match view.failure_rate {
            Some(rate) if view.counts.failed > 0 => Phrase::plain(format!("{state}, {} failed", percent(rate))),
            _ => Phrase::plain(state),
        },
        BreakerState::ForcedOpen => Phrase::plain(state),
    }
}

/// What a breaker is doing now, in a sentence, its next trial counting down.
pub fn breaker_now(view: &BreakerView, config: &BreakerConfig, now: DateTime<Utc>, zone: &dyn Zone) -> Phrase {
    match view.state {
        BreakerState::Open => {
            let since = view.opened_at.map(|at| format!(" since {}", time(at, now, zone))).unwrap_or_default();
            let doubled = match view.failed_trials {
                0 => String::new(),
                1 => " (after 1 failed trial, the wait doubles)".to_owned(),
                n => format!(" (after {n} failed trials, the wait doubles)"),
            };
            let start = format!("Open{since}: no request reaches the target.");
            match view.next_trial_at {
                Some(at) => Phrase::counting(
                    now,
                    at,
                    format!("{start} Trial in {{}}{doubled}."),
                    format!("{start} Trial due{doubled}."),
                ),
                None => Phrase::plain(start),
            }
        }
        BreakerState::HalfOpen => Phrase::plain(format!(
            "Half-open: {} of {} trial calls done; their rates decide.",
            view.counts.calls, config.half_open_calls
        )),
        BreakerState::ForcedOpen => Phrase::plain("Forced open: no probe reaches the target until you reset it."),
        BreakerState::Disabled => Phrase::plain("Disabled: probes go on and are counted; it never opens."),
        BreakerState::Closed => Phrase::plain("Closed: every probe goes through."),
    }
}

/// What opens a breaker: `50% of the last 20 calls fail, or all are slow (over 1 s),
/// once 10 calls are in`, `5 failures in a row`.
pub fn breaker_rule(config: &BreakerConfig) -> String {
    match config.trip {
        Trip::Consecutive(n) => format!("{n} failures in a row"),
        Trip::Rates { window, failure_rate, slow_rate, min_calls } => {
            let window = match window {
                Window::Count(n) => format!("the last {n} calls"),
                Window::Time(period) => format!("the calls of the last {}", duration(period)),
            };
            let slow =
                if slow_rate >= 100.0 { "all are slow".to_owned() } else { format!("{} are slow", percent(slow_rate)) };
            format!(
                "{} of {window} fail, or {slow} (over {}), once {min_calls} calls are in",
                percent(failure_rate),
                duration(config.slow_call)
            )
        }
    }
}

/// One of a breaker's rates against its threshold: `60% (6 of 10) · opens at 50%`, or
/// `— (3 of 10 calls)` before there are enough calls to have one.
pub fn breaker_rate(
    view: &BreakerView,
    config: &BreakerConfig,
    rate: Option<f64>,
    part: u32,
    threshold: Option<f64>,
) -> String {
    match rate {
        Some(rate) => {
            let opens = threshold.map(|t| format!(" · opens at {}", percent(t))).unwrap_or_default();
            format!("{} ({part} of {}){opens}", percent(rate), view.counts.calls)
        }
        None => {
            let needed = match (view.state, config.trip) {
                (BreakerState::HalfOpen, _) => config.half_open_calls,
                (_, Trip::Rates { window: Window::Count(n), min_calls, .. }) => min_calls.min(n),
                (_, Trip::Rates { min_calls, .. }) => min_calls,
                (_, Trip::Consecutive(_)) => 1,
            };
            format!("— ({} of {needed} calls)", view.counts.calls)
        }
    }
}

/// A steering of a breaker, as the tray's menu offers it: `Force breaker open`.
pub fn steer(steer: crate::breaker::Steer) -> &'static str {
    match steer {
        crate::breaker::Steer::ForceOpen => "Force breaker open",
        crate::breaker::Steer::Disable => "Disable breaker",
        crate::breaker::Steer::Reset => "Reset breaker",
    }
}

/// What a steering does, in a sentence.
pub fn steered(steer: crate::breaker::Steer) -> &'static str {
    match steer {
        crate::breaker::Steer::ForceOpen => "forced open: no probe reaches it until it is reset",
        crate::breaker::Steer::Disable => "disabled: probes go on, it never opens, until it is reset",
        crate::breaker::Steer::Reset => "closed, with a fresh window",
    }
}

/// A change of a breaker's state and who made it: `open → forced open by the command line`.
pub fn breaker_change(from: BreakerState, to: BreakerState, by: Option<Requester>) -> String {
    let by = by.map(|by| format!(" by {}", requester(by))).unwrap_or_default();
    format!("{} → {}{by}", breaker_state(from), breaker_state(to))
}

/// A group's level in words: `partial outage`.
pub fn group_level(level: GroupLevel) -> &'static str {
    match level {
        GroupLevel::Operational => "operational",
        GroupLevel::Degraded => "degraded",
        GroupLevel::PartialOutage => "partial outage",
        GroupLevel::MajorOutage => "major outage",
    }
}

/// Every level and its words, best first.
pub fn group_levels() -> Vec<(GroupLevel, &'static str)> {
    use GroupLevel::*;
    [Operational, Degraded, PartialOutage, MajorOutage].into_iter().map(|l| (l, group_level(l))).collect()
}

/// `shop: partial outage (Search down)`.
pub fn group_headline(group: &GroupSnapshot) -> String {
    let level = group_level(group.level);
    match &group.cause {
        Some(cause) => format!("{}: {level} ({cause})", group.id),
        None => format!("{}: {level}", group.id),
    }
}

/// What causes a group's level: its components that do, `Search down, Cart down`.
pub fn group_cause(components: &[(&str, Status)]) -> Option<String> {
    (!components.is_empty())
        .then(|| components.iter().map(|(name, status)| format!("{name} {status}")).collect::<Vec<_>>().join(", "))
}

/// The one-line summary the tray heads its menu with and the dashboard its page:
/// `all 12 up`, `3 down: orders-api, db, vpn`, or, when the worst is a group's, its
/// headline (`shop: partial outage (Search down); +1 more`). `worst` is the worst
/// status shown (a failing component at most its group's level).
pub fn summary(
    checks: &[CheckSnapshot],
    groups: &[GroupSnapshot],
    worst: Status,
    worst_group: Option<&GroupSnapshot>,
) -> String {
    if checks.is_empty() {
        return "no checks configured".to_owned();
    }
    if worst == Status::Up {
        return format!("all {} up", checks.len());
    }
    if let Some(group) = worst_group {
        let others = groups.iter().filter(|g| g.level > GroupLevel::Operational).count() - 1
            + checks
                .iter()
                .filter(|c| c.config.group.is_none() && c.status.severity() >= Status::Degraded.severity())
                .count();
        return match others {
            0 => group_headline(group),
            n => format!("{}; +{n} more", group_headline(group)),
        };
    }
    let names: Vec<&str> = checks.iter().filter(|c| c.status == worst).map(|c| c.config.name.as_str()).collect();
    let mut shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        shown.push_str(&format!(", +{}", names.len() - 3));
    }
    format!("{} {worst}: {shown}", names.len())
}

/// The banner while the connectivity sentinel fails.
pub fn network_down(remote_unknown: usize) -> String {
    let what = match remote_unknown {
        1 => "1 remote check is".to_owned(),
        n => format!("{n} remote checks are"),
    };
    format!(
        "No network: {what} unknown until it is back (the connectivity sentinel fails). Local checks are judged as always."
    )
}

/// A line of `/healthz`'s degraded list as the tray menu shows it.
pub fn own_trouble(line: &str) -> String {
    format!("⚠ Watchkeeper: {line}")
}

/// The `/healthz` line while history commits fail: why, as far as the database said,
/// the free space where it writes, and what is kept meanwhile.
pub fn history_failing(
    fault: crate::figures::WriteFault,
    free: Option<u64>,
    dir: &std::path::Path,
    kept: u64,
) -> String {
    use crate::figures::WriteFault;
    let free = free.map_or_else(String::new, |free| format!(", {} free", crate::units::format_size(free)));
    let kept = format!("{kept} results and changes are kept in memory and written once it takes them");
    match fault {
        WriteFault::DiskFull => {
            format!("history: disk full ({}{free}): {kept}; free some space there", dir.display())
        }
        WriteFault::ReadOnly => format!(
            "history: the database became read-only ({}): {kept}; make it writable by the user Watchkeeper runs as",
            dir.display()
        ),
        WriteFault::Other => {
            format!("history: commits are failing ({}{free}): {kept}; the log in the data dir says why", dir.display())
        }
    }
}

/// The `/healthz` line while the history is over `max_db_size` with nothing left that
/// may be pruned for size.
pub fn over_size_cap(used: u64, max: u64) -> String {
    use crate::store::size::{RECENT_FLOOR, ROLLUP_FLOOR};
    format!(
        "history: {} in use, over max_db_size ({}), with only the last {} of results and {} of rollups left to prune from: raise max_db_size, or watch fewer checks or less often",
        crate::units::format_size(used),
        crate::units::format_size(max),
        crate::units::format_duration(RECENT_FLOOR),
        crate::units::format_duration(ROLLUP_FLOOR),
    )
}

/// The `/healthz` line once results were dropped to keep memory bounded.
pub fn results_dropped(dropped: u64) -> String {
    format!("history: {dropped} results dropped: the write queue was full (writes lagged or failed too long)")
}

/// The `/healthz` line once a panic was caught: Watchkeeper goes on, but it is a bug.
pub fn panics_seen(count: u64, last: &str) -> String {
    let caught = if count == 1 { "1 panic".to_owned() } else { format!("{count} panics") };
    format!(
        "internal error: {caught} caught and survived, the last: {last}. Watchkeeper goes on watching; this is a bug: please report it with the log in the data dir"
    )
}

/// The id a check tested before it has one ("test now" in an empty form) is given.
pub const TRIAL_ID: &str = "new-check";

/// How an incident ends when a reload removed its check.
pub const REMOVED_FROM_CONFIG: &str = "removed from config";

/// A reload's change to `[settings]`, which only a start applies.
pub const PENDING_SETTINGS: &str =
    "[settings] changed: it takes effect at the next start (restart Watchkeeper to apply it)";

/// What `/healthz` says when the config file cannot be watched for saves.
pub fn config_unwatched(path: &std::path::Path, error: &str) -> String {
    format!(
        "config: {} is not watched for changes ({error}); after editing it, reload with `watchkeeper config reload` or SIGHUP",
        path.display()
    )
}

/// What `/healthz` says while the config file does not compile (the running config
/// stays): `config: wk.toml:5:12: check "a": port: ... — fix the port number (and 2 more
/// errors); the running config stays ...`.
pub fn config_failing(errors: &[crate::config::Diagnostic]) -> String {
    let Some(first) = errors.first() else { return "config: the last reload failed".to_owned() };
    let more = match errors.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more error)".to_owned(),
        n => format!(" (and {n} more errors)"),
    };
    format!(
        "config: {}:{}:{}: {} — {}{more}; the running config stays until the file is saved without errors",
        first.file, first.line, first.column, first.message, first.resolution
    )
}

/// What a check shows beside its status (its message), and what to do about it (its
/// hint; `None` while there is nothing to do), at `now`, times in `zone`.
pub fn explain(check: &CheckSnapshot, now: DateTime<Utc>, zone: &dyn Zone) -> (String, Option<String>) {
    let over = &check.over;
    let last = check.last.as_ref();
    let failure = last.and_then(|l| l.verdict.failure_class());
    let message = match check.status {
        Status::Paused => match over.paused {
            Some(Some(until)) => format!("by the user until {}", clock_time(until, now, zone)),
            _ => "by the user until resumed".to_owned(),
        },
        Status::Maintenance => match &over.window {
            Some(window) => {
                let until = clock_time(window.until, now, zone);
                match &window.reason {
                    Some(why) => format!("window {} until {until}: {why}", window.window),
                    None => format!("window {} until {until}", window.window),
                }
            }
            None => check.reason.clone().unwrap_or_else(|| "in a maintenance window".to_owned()),
        },
        Status::Unknown if over.parent_down.is_some() => {
            format!("its parent {} is down", over.parent_down.as_deref().unwrap_or_default())
        }
        Status::Unknown if check.no_network => "the network is down: the connectivity sentinel fails".to_owned(),
        Status::Unknown if check.reason.as_deref().is_some_and(|r| r.starts_with("stale")) => match last {
            Some(last) => format!("stale: no result since {}", precise_time(last.at, now, zone)),
            None => "stale: no result since the start".to_owned(),
        },
        _ => match (&over.behind_breaker, last) {
            (Some(Some(at)), Some(last)) => {
                format!("{} (the last real result, at {})", last.message, precise_time(*at, now, zone))
            }
            _ => match (&check.reason, last) {
                (Some(reason), _) => reason.clone(),
                (None, Some(last)) => last.message.clone(),
                (None, None) => "no result yet".to_owned(),
            },
        },
    };
    let hint = match check.status {
        Status::Up | Status::Paused | Status::Maintenance => None,
        Status::Unknown if over.parent_down.is_some() => Some(format!(
            "fix {} first: this check waits on it and is judged again once it is up",
            over.parent_down.as_deref().unwrap_or_default()
        )),
        Status::Unknown if check.no_network => {
            Some("check this machine's network connection; remote checks are judged again once it is back".to_owned())
        }
        _ => failure.map(|c| c.resolution().to_owned()),
    };
    (message, hint)
}

/// What lies over a check's status, each said as people read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub kind: MarkKind,
    pub text: String,
}

/// The kinds of [`Mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// Its notifications are muted for a while.
    Silenced,
    /// Its open incident is acknowledged: someone is on it.
    Acknowledged,
    /// A failing optional part of its group: the group is degraded, not down.
    Optional,
    /// Its breaker spares the target: it shows its last real result.
    BreakerOpen,
}

/// The marks of a check at `now`, in the order they are read.
pub fn marks(check: &CheckSnapshot, now: DateTime<Utc>, zone: &dyn Zone) -> Vec<Mark> {
    let over = &check.over;
    let mut marks = Vec::new();
    let failing = matches!(check.status, Status::Down | Status::Degraded | Status::Unknown);
    if let Some(silence) = &over.silenced {
        // Who made it, in words when it is one of ours (`cli`, `api`, ...).
        let by = Requester::parse(&silence.by).map_or_else(|| silence.by.clone(), |r| requester(r).to_owned());
        let mut text = format!("silenced until {} by {by}", clock_time(silence.until, now, zone));
        if !silence.reason.trim().is_empty() {
            text.push_str(&format!(" ({})", silence.reason.trim()));
        }
        marks.push(Mark { kind: MarkKind::Silenced, text });
    }
    if over.acked {
        marks.push(Mark { kind: MarkKind::Acknowledged, text: "acknowledged".to_owned() });
    }
    if let (false, Some(group), true) = (check.config.critical, check.config.group.as_deref(), failing) {
        marks.push(Mark { kind: MarkKind::Optional, text: format!("optional part of {group}") });
    }
    if over.behind_breaker.is_some() {
        marks.push(Mark { kind: MarkKind::BreakerOpen, text: "behind an open breaker".to_owned() });
    }
    marks
}

/// One change an incident's evidence found against the last good result:
/// `status: 200 → 503`, `json.db.status: "UP" → "DOWN"`, `latency: 40 ms → 2.1 s`.
pub fn change(change: &crate::store::evidence::Change) -> String {
    format!("{}: {} → {}", change.what, change.before, change.after)
}

/// A certificate an incident's evidence kept: `12 days left, CN=api by R3`.
pub fn cert(cert: &crate::store::evidence::Cert) -> String {
    let days = match cert.days_left {
        Some(1) => "1 day left".to_owned(),
        Some(days) => format!("{days} days left"),
        None => "days left unknown".to_owned(),
    };
    format!("{days}, {} by {}", cert.subject, cert.issuer)
}

/// Who listens on a local incident's port: `postgres (pid 812) listens on 5432`,
/// `nobody listens on 8080`.
pub fn port_owner(port: u16, owner: Option<&crate::store::evidence::PortOwner>) -> String {
    match owner {
        Some(crate::store::evidence::PortOwner { pid: Some(pid), process }) => {
            format!("{process} (pid {pid}) listens on {port}")
        }
        Some(owner) => format!("{} listens on {port}", owner.process),
        None => format!("nobody listens on {port}"),
    }
}

/// A file system when an incident opened: `/var 97% used, 1.2 GB available`.
pub fn disk_use(disk: &crate::store::evidence::DiskUse) -> String {
    format!("{} {}% used, {} available", disk.mount, disk.used_percent, crate::units::format_size(disk.available))
}

/// Memory when an incident opened: `memory 45% used, 12 GB available of 24 GB`.
pub fn memory_use(memory: &crate::store::evidence::MemoryUse) -> String {
    format!(
        "memory {}% used, {} available of {}",
        memory.used_percent,
        crate::units::format_size(memory.available),
        crate::units::format_size(memory.total)
    )
}

/// A check's state in one line at `now` (see [`state`]).
pub fn state_line(check: &CheckSnapshot, now: DateTime<Utc>, zone: &dyn Zone) -> String {
    let (message, _) = explain(check, now, zone);
    state(check, &message, &marks(check, now, zone))
}

/// A check's state in one line, as the tray, `watchkeeper status` and the dashboard
/// show it: `Down, acknowledged: connection refused`.
pub fn state(check: &CheckSnapshot, message: &str, marks: &[Mark]) -> String {
    let word = check.status.as_str();
    let mut text: String = word.chars().take(1).flat_map(char::to_uppercase).chain(word.chars().skip(1)).collect();
    for mark in marks {
        text.push_str(", ");
        text.push_str(&mark.text);
    }
    text.push_str(": ");
    text.push_str(message);
    text
}

/// A time people read beside others, with its zone: `18:00 CET`, `2026-12-24 18:00 CET`.
pub fn clock_time(at: DateTime<Utc>, now: DateTime<Utc>, zone: &dyn Zone) -> String {
    format!("{} {}", time(at, now, zone), zone.name(at))
}

/// [`clock_time`] to the second: `17:49:58 CET`.
pub fn precise_time(at: DateTime<Utc>, now: DateTime<Utc>, zone: &dyn Zone) -> String {
    let (local, today) = (zone.local(at), zone.local(now));
    let format = if local.date() == today.date() { "%H:%M:%S" } else { "%Y-%m-%d %H:%M:%S" };
    format!("{} {}", local.format(format), zone.name(at))
}

/// What self-healing is doing, in a sentence; `None` when there is nothing to say.
pub fn healing(healing: &HealingSnapshot, now: DateTime<Utc>) -> Option<Phrase> {
    let action = healing.action.as_str();
    let times = match healing.attempts {
        1 => "once".to_owned(),
        n => format!("{n} times"),
    };
    Some(match healing.shown {
        HealingState::Idle => return None,
        HealingState::Running => Phrase::plain(format!("Self-healing: running {action} (attempt {})", healing.attempts)),
        HealingState::Waiting { next_at } => Phrase::counting(
            now,
            next_at,
            format!("Self-healing: {action} ran {times}; next run in {{}}"),
            format!("Self-healing: {action} ran {times}; next run due"),
        ),
        HealingState::Held(hold) => Phrase::plain(format!(
            "Self-healing waits: {}",
            match hold {
                Hold::Paused => "the check is paused",
                Hold::Maintenance => "the check is in a maintenance window",
                Hold::ParentDown => "a check it depends on is down; fix that one first",
                Hold::NoNetwork => "the network is down, not the service",
            }
        )),
        HealingState::GaveUp { retry_at } => Phrase::counting(
            now,
            retry_at,
            format!("Self-healing gave up: {action} ran {times} and the check is still down; next try in {{}}, or reset its budget"),
            format!("Self-healing gave up: {action} ran {times} and the check is still down; next try due, or reset its budget"),
        ),
    })
}

/// An action's budget: `2 of 3 runs in 10m`, and when it is spent, until when.
pub fn budget(budget: &BudgetSnapshot, now: DateTime<Utc>) -> Phrase {
    let Budget { max_runs, per } = budget.budget;
    let text = format!("{} of {max_runs} runs in {}", budget.runs_in_window, crate::units::format_duration(per));
    match budget.blocked_until {
        Some(at) => Phrase::counting(
            now,
            at,
            format!("{text} · budget spent, next run allowed in {{}}"),
            format!("{text} · budget spent, next run allowed now"),
        ),
        None => Phrase::plain(text),
    }
}

/// "orders-api: restart loop" and what happened: `action` ran out of its `budget`
/// and the check is still down; automatic runs wait until `retry_at` (local time).
pub fn restart_loop(
    check: &str,
    action: &str,
    budget: &Budget,
    retry_at: DateTime<Utc>,
    zone: &dyn Zone,
) -> (String, String) {
    let until = zone.local(retry_at).format("%H:%M");
    let per = crate::units::format_duration(budget.per);
    let times = budget.max_runs;
    (
        format!("{check}: restart loop"),
        format!(
            "{action} ran {times} times in {per} and {check} is still down; no automatic run until {until}.\nReset the action's budget in the dashboard to try again now."
        ),
    )
}

/// "api is flapping" (`started`) or "api stopped flapping", and what that means for its
/// notifications: its state changed in `percent` of its last `window` results; `status`
/// is what its last result said.
pub fn flapping(check: &str, started: bool, percent: f64, window: u8, status: Status) -> (String, String) {
    let percent = percent.round();
    if started {
        (
            format!("{check} is flapping"),
            format!(
                "its state changed in {percent}% of its last {window} results; its notifications are held until it settles"
            ),
        )
    } else {
        (
            format!("{check} stopped flapping"),
            format!("now {status}; state changes are down to {percent}% of its last {window} results"),
        )
    }
}

/// A degraded spell starting (its reason) or ending (how long it lasted), for checks
/// whose `alert.on` has `degraded`.
pub fn degraded(check: &str, started: bool, reason: &str, lasted: chrono::Duration) -> (String, String) {
    if started {
        (format!("{check} degraded"), reason.to_owned())
    } else {
        let lasted = duration(lasted.to_std().unwrap_or_default());
        (format!("{check} no longer degraded"), format!("up again after {lasted} degraded"))
    }
}

/// `service breaker payments is OPEN (failure rate 60% ≥ 50%)`.
pub fn service_breaker(breaker: &ServiceBreaker) -> String {
    let rates = match (breaker.failure_rate, breaker.failure_rate_threshold) {
        (Some(rate), Some(threshold)) => format!(" (failure rate {rate}% ≥ {threshold}%)"),
        (Some(rate), None) => format!(" (failure rate {rate}%)"),
        _ => String::new(),
    };
    format!("service breaker {} is {}{rates}", breaker.name, breaker.state)
}

/// A rate of one of a service's own breakers: `60% (opens at 50%)`, or `—` when the
/// service has none yet.
pub fn service_rate(rate: Option<f64>, threshold: Option<f64>) -> String {
    match (rate, threshold) {
        (None, _) => "—".to_owned(),
        (Some(rate), None) => percent(rate),
        (Some(rate), Some(threshold)) => format!("{} (opens at {})", percent(rate), percent(threshold)),
    }
}

/// The notification of one of a service's own breakers turning OPEN.
pub fn service_breaker_opened(check: &str, breaker: &ServiceBreaker) -> (String, String) {
    (
        format!("{check}: service breaker {} OPEN", breaker.name),
        format!(
            "{}: the service now fails its calls to that dependency fast. See the check's page.",
            service_breaker(breaker)
        ),
    )
}

/// A certificate nearing its expiry, as a notification says it.
pub fn cert_expiring(check: &str, days: i64, threshold: u16) -> (String, String) {
    let left = match days {
        ..0 => "has expired".to_owned(),
        0 => "expires today".to_owned(),
        1 => "expires in 1 day".to_owned(),
        n => format!("expires in {n} days"),
    };
    (
        format!("{check}: certificate {left}"),
        format!("Its certificate {left} (told at {threshold} days left). Renew it, and check why its automatic renewal has not run."),
    )
}

/// Why a notification was not sent, in a few words.
pub fn suppressed(reason: Suppressed) -> &'static str {
    match reason {
        Suppressed::Silenced => "silenced",
        Suppressed::Maintenance => "in maintenance",
        Suppressed::Acked => "acknowledged",
        Suppressed::QuietHours => "quiet hours",
        Suppressed::Flapping => "flapping",
        Suppressed::ParentDown => "a check it depends on is down",
        Suppressed::NoNetwork => "no network",
        Suppressed::NoDesktop => "no desktop session",
    }
}

/// What a notification is about, in words.
pub fn notify_event(event: NotifyEvent) -> &'static str {
    match event {
        NotifyEvent::Opened => "down",
        NotifyEvent::Resolved => "recovered",
        NotifyEvent::Reminder => "reminder",
        NotifyEvent::Flapping => "flapping",
        NotifyEvent::NoNetwork => "no network",
        NotifyEvent::RestartLoop => "restart loop",
        NotifyEvent::CertExpiry => "certificate expiry",
        NotifyEvent::ServiceBreaker => "service breaker opened",
        NotifyEvent::Degraded => "degraded",
        NotifyEvent::Restored => "no longer degraded",
    }
}

/// A failure's class, as people call it.
pub fn failure_class(class: crate::model::FailureClass) -> &'static str {
    use crate::model::FailureClass::*;
    match class {
        Refused => "connection refused",
        Timeout => "timed out",
        Dns => "name not resolved",
        Tls => "TLS failed",
        HttpStatus => "unexpected HTTP status",
        Condition => "condition not met",
        BodyTooLarge => "body too large",
        Connection => "connection failed",
        Component => "a component is down",
        HealthBody => "unreadable health body",
        BreakerOpen => "breaker open",
        NotFound => "not found",
        Permission => "permission denied",
        Nxdomain => "no such name",
        Servfail => "DNS server failed",
        DnsRefused => "DNS query refused",
        CertExpiry => "certificate expiring",
        CertName => "certificate for another name",
        CertSelfSigned => "self-signed certificate",
        CertUntrusted => "certificate not trusted",
        ContainerEngine => "container engine unavailable",
        QueryError => "query refused",
        UnexpectedAnswer => "unexpected answer",
        MissedHeartbeat => "missed heartbeat",
        JobFailed => "job reported a failure",
        AlertFiring => "alert firing",
        ProbeError => "probe error",
    }
}

/// How an action run ended, in words.
pub fn run_status(status: crate::model::RunStatus) -> &'static str {
    use crate::model::RunStatus::*;
    match status {
        Ok => "ok",
        Failed => "failed",
        Timeout => "timed out",
        Error => "could not start",
        DryRun => "dry run",
        Running => "running",
        Interrupted => "interrupted",
    }
}

/// Who asked for an action run.
pub fn requester(requester: Requester) -> &'static str {
    match requester {
        Requester::Cli => "the command line",
        Requester::Api => "the dashboard or API",
        Requester::Auto => "self-healing",
        Requester::Desktop => "the desktop app",
    }
}

/// Every standing of a notification, in the order a filter offers them.
pub const OUTCOMES: [Outcome; 5] =
    [Outcome::Delivered, Outcome::Held, Outcome::Failed, Outcome::Retrying, Outcome::Sending];

/// Where a notification stands, as a filter names it.
pub fn outcome_state(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Delivered => "delivered",
        Outcome::Held => "not sent",
        Outcome::Failed => "failed",
        Outcome::Retrying => "retrying",
        Outcome::Sending => "sending",
    }
}

/// Where a notification stands, and in words: `delivered`, `not sent: silenced`,
/// `retrying (3 tries): the receiver answered HTTP 500`.
pub fn outcome(
    suppressed_by: Option<Suppressed>,
    delivered: Option<bool>,
    attempts: u32,
    error: Option<&str>,
) -> (Outcome, String) {
    let outcome = Outcome::of(suppressed_by, delivered, error);
    let text = match (outcome, suppressed_by) {
        // Nowhere to show it is no failure, and nothing was held back from anyone.
        (_, Some(Suppressed::NoDesktop)) => "not shown: no desktop session".to_owned(),
        (_, Some(why)) => format!("not sent: {}", suppressed(why)),
        (Outcome::Delivered, None) => "delivered".to_owned(),
        (Outcome::Failed, None) => format!("failed: {}", error.unwrap_or("given up")),
        (Outcome::Retrying, None) => format!("retrying ({attempts} tries): {}", error.unwrap_or_default()),
        (Outcome::Sending | Outcome::Held, None) => "sending".to_owned(),
    };
    (outcome, text)
}

/// How an action run went, beside its status: `exit 0 · 2 s · verified: the check is
/// up again`.
pub fn run_details(exit_code: Option<i32>, took: Duration, verified: Option<bool>) -> String {
    let mut parts = Vec::new();
    if let Some(code) = exit_code {
        parts.push(format!("exit {code}"));
    }
    parts.push(duration(took));
    match verified {
        Some(true) => parts.push("verified: the check is up again".to_owned()),
        Some(false) => parts.push("NOT verified: still failing".to_owned()),
        None => {}
    }
    parts.join(" · ")
}

/// What a cleanup moved away: `3 files (1.5MB)`.
pub fn files(count: u64, bytes: u64) -> String {
    let files = if count == 1 { "file" } else { "files" };
    format!("{count} {files} ({})", crate::units::format_size(bytes))
}

/// What a silence mutes: `checks api, db; groups shop`.
pub fn silence_targets(checks: &[String], groups: &[String]) -> String {
    let mut parts = Vec::new();
    if !checks.is_empty() {
        parts.push(format!("checks {}", checks.join(", ")));
    }
    if !groups.is_empty() {
        parts.push(format!("groups {}", groups.join(", ")));
    }
    parts.join("; ")
}

/// The snoozes the tray, the dashboard and a notification offer: a silence of one check
/// for a while, or until tomorrow 08:00 in local time. Code and words.
pub const SNOOZES: &[(&str, &str)] =
    &[("15m", "15 min"), ("1h", "1 h"), ("4h", "4 h"), ("tomorrow", "until tomorrow 08:00")];

/// The menu of [`SNOOZES`] in the tray and on a check's page, and what acknowledging
/// a check's open incident is called there.
pub const SILENCE_MENU: &str = "Silence";
pub const ACKNOWLEDGE: &str = "Acknowledge";

/// The ranges a check's chart offers, from an hour to the longest uptime window: the
/// history query's `range`, and its button.
pub const HISTORY_RANGES: &[(&str, &str)] =
    &[("1h", "1 h"), ("6h", "6 h"), ("24h", "24 h"), ("7d", "7 d"), ("30d", "30 d"), ("90d", "90 d")];

/// Mean time to recover and between failures, as the CLI and a check's page name
/// them, with what each means.
pub const MTTR: (&str, &str) =
    ("MTTR (90 d)", "Mean time to recover: the mean length of its incidents resolved in 90 days");
pub const MTBF: (&str, &str) = ("MTBF (90 d)", "Mean time between failures: its time up in 90 days per incident");

/// The quick pause the tray and a check's page offer: how long, and its button.
pub const QUICK_PAUSE: (&str, &str) = ("1h", "Pause 1 h");

/// When a maintenance window comes: `0 2 * * sun for 2h`, or `once`.
pub fn window_when(window: &crate::maintenance::MaintenanceWindow) -> String {
    match &window.when {
        crate::maintenance::When::Recurring { cron: schedule, duration } => {
            format!("{} for {}", cron(schedule), self::duration(*duration))
        }
        crate::maintenance::When::Fixed { .. } => "once".to_owned(),
    }
}

/// A cron schedule in words: `Sundays at 02:00`, `every day at 02:00 and 14:00`, `every
/// 15 min`, `the 1st of each month at 00:00`, `weekdays at 06:30 in January`; one too
/// irregular to say plainly is given as written (`cron 5-10 1 * * *`).
pub fn cron(schedule: &crate::maintenance::Cron) -> String {
    let f = schedule.fields();
    let clock = |h: u32, m: u32| format!("{h:02}:{m:02}");
    // Evenly spaced from 0 over the whole range: its step.
    let step = |values: &[u32], range: u32| -> Option<u32> {
        let step = *values.get(1)?;
        let every = step > 1 && (0..range).step_by(step as usize).eq(values.iter().copied());
        every.then_some(step)
    };
    let time = match (f.minutes.as_slice(), f.hours.as_slice()) {
        (m, h) if m.len() == 60 && h.len() == 24 => Some("every minute".to_owned()),
        (m, h) if h.len() == 24 => match (m, step(m, 60)) {
            ([m], _) => Some(format!("every hour at :{m:02}")),
            (_, Some(step)) => Some(format!("every {step} min")),
            _ => None,
        },
        ([m], h) if h.len() <= 4 => {
            let times: Vec<String> = h.iter().map(|h| clock(*h, *m)).collect();
            Some(format!("at {}", and(&times)))
        }
        ([m], h) => step(h, 24).map(|step| format!("every {step} h at :{m:02}")),
        _ => None,
    };
    const WEEKDAY: [&str; 7] = ["Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"];
    const MONTH: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let ordinal = |d: &u32| match (d % 10, d % 100) {
        (1, n) if n != 11 => format!("{d}st"),
        (2, n) if n != 12 => format!("{d}nd"),
        (3, n) if n != 13 => format!("{d}rd"),
        _ => format!("{d}th"),
    };
    let weekdays = match f.weekdays.as_slice() {
        [] => None,
        [1, 2, 3, 4, 5] => Some("weekdays".to_owned()),
        [0, 6] => Some("weekends".to_owned()),
        days if days.len() <= 3 => {
            Some(and(&days.iter().map(|d| WEEKDAY[*d as usize % 7].to_owned()).collect::<Vec<_>>()))
        }
        _ => return format!("cron {}", schedule.source()),
    };
    let days = match f.days.as_slice() {
        [] => None,
        days if days.len() <= 3 => {
            Some(format!("the {} of each month", and(&days.iter().map(ordinal).collect::<Vec<_>>())))
        }
        _ => return format!("cron {}", schedule.source()),
    };
    let months = match f.months.as_slice() {
        m if m.len() == 12 => None,
        m if m.len() <= 3 => Some(format!(
            "in {}",
            and(&m.iter().map(|m| MONTH[(*m as usize + 11) % 12].to_owned()).collect::<Vec<_>>())
        )),
        _ => return format!("cron {}", schedule.source()),
    };
    let Some(time) = time else { return format!("cron {}", schedule.source()) };
    let on = match (days, weekdays) {
        (None, None) if time.starts_with("at ") => Some("every day".to_owned()),
        (None, None) => None,
        (Some(days), None) => Some(days),
        (None, Some(weekdays)) => Some(weekdays),
        // Either matches, as cron has it.
        (Some(days), Some(weekdays)) => Some(format!("{days} and {weekdays}")),
    };
    [on, Some(time), months].into_iter().flatten().collect::<Vec<_>>().join(" ")
}

/// `a`, `a and b`, `a, b and c`.
fn and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// What a window is doing at `now`: `on until 04:00; next 2026-12-13 02:00`, `next 02:00
/// to 04:00`, or `over`.
pub fn window_now(
    active: Option<(DateTime<Utc>, DateTime<Utc>)>,
    next: Option<(DateTime<Utc>, DateTime<Utc>)>,
    now: DateTime<Utc>,
    zone: &dyn Zone,
) -> String {
    match (active, next) {
        (Some((_, end)), next) => {
            let next = next.map(|(start, _)| format!("; next {}", time(start, now, zone))).unwrap_or_default();
            format!("on until {}{next}", time(end, now, zone))
        }
        (None, Some((start, end))) => format!("next {} to {}", time(start, now, zone), time(end, now, zone)),
        (None, None) => "over".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Offset as _;

    use super::*;
    use crate::clock::FixedZone;

    #[test]
    fn cron_reads_in_words_and_what_it_cannot_say_is_given_as_written() {
        let said: Vec<String> = [
            "0 2 * * sun",
            "30 6 * * 1-5",
            "0 2,14 * * *",
            "0 0 1 * *",
            "0 0 1,15 * *",
            "*/15 * * * *",
            "5 * * * *",
            "* * * * *",
            "0 */6 * * *",
            "0 3 * * sat,sun",
            "0 4 * 1,7 mon",
            "0 0 13 * fri",
            "@daily",
            "5-10 1 * * *",
            "0 1 * * mon,tue,wed,thu",
        ]
        .iter()
        .map(|source| format!("{source}: {}", cron(&crate::maintenance::Cron::parse(source).unwrap())))
        .collect();
        expect_test::expect![[r#"
            [
                "0 2 * * sun: Sundays at 02:00",
                "30 6 * * 1-5: weekdays at 06:30",
                "0 2,14 * * *: every day at 02:00 and 14:00",
                "0 0 1 * *: the 1st of each month at 00:00",
                "0 0 1,15 * *: the 1st and 15th of each month at 00:00",
                "*/15 * * * *: every 15 min",
                "5 * * * *: every hour at :05",
                "* * * * *: every minute",
                "0 */6 * * *: every day at 00:00, 06:00, 12:00 and 18:00",
                "0 3 * * sat,sun: weekends at 03:00",
                "0 4 * 1,7 mon: Mondays at 04:00 in January and July",
                "0 0 13 * fri: the 13th of each month and Fridays at 00:00",
                "@daily: every day at 00:00",
                "5-10 1 * * *: cron 5-10 1 * * *",
                "0 1 * * mon,tue,wed,thu: cron 0 1 * * mon,tue,wed,thu",
            ]
        "#]]
        .assert_debug_eq(&said);
    }

    #[test]
    fn durations_read_in_whole_units() {
        let said: Vec<String> = duration_examples().into_iter().map(|(ms, text)| format!("{ms}: {text}")).collect();
        expect_test::expect![[r#"
            [
                "0: 0 s",
                "350: 350 ms",
                "999: 999 ms",
                "1000: 1 s",
                "45900: 45 s",
                "59999: 59 s",
                "60000: 1 min",
                "180500: 3 min",
                "3600000: 1 h",
                "4320000: 1 h 12 min",
                "86400000: 1 d",
                "187200000: 2 d 4 h",
                "90061000: 1 d 1 h",
            ]
        "#]]
        .assert_debug_eq(&said);
    }

    #[test]
    fn every_snooze_offered_has_an_end() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        for (code, _) in SNOOZES {
            assert!(crate::alert::snooze_until(code, now, &FixedZone(Utc.fix())).is_some(), "{code} ends");
        }
    }

    #[test]
    fn percentages_drop_a_needless_decimal() {
        assert_eq!([percent(60.0), percent(33.333), percent(0.05)], ["60%", "33.3%", "0.1%"]);
    }

    #[test]
    fn a_countdown_says_the_time_left_then_that_it_is_due() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let at = now + chrono::Duration::seconds(12);
        let phrase = Phrase::counting(now, at, "open, trial in {}".into(), "open, trial due".into());
        assert_eq!(phrase.text, "open, trial in 12 s");
        let countdown = phrase.countdown.expect("it counts down");
        assert_eq!(countdown.at(now + chrono::Duration::milliseconds(11_500)), "open, trial in 500 ms");
        assert_eq!(countdown.at(at), "open, trial due");
    }

    #[test]
    fn a_restart_loop_says_what_ran_how_often_and_what_to_do_in_local_time() {
        let zone = FixedZone(chrono::FixedOffset::east_opt(3600).unwrap());
        let retry_at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let budget = Budget { max_runs: 3, per: Duration::from_secs(600) };
        let (title, body) = restart_loop("Orders API", "Restart API", &budget, retry_at, &zone);
        assert_eq!(title, "Orders API: restart loop");
        assert_eq!(
            body,
            "Restart API ran 3 times in 10m and Orders API is still down; no automatic run until 09:00.\nReset the action's budget in the dashboard to try again now."
        );
    }

    #[test]
    fn flapping_says_how_much_and_what_is_held() {
        let (title, body) = flapping("api", true, 57.14, 7, Status::Down);
        assert_eq!(
            (title.as_str(), body.as_str()),
            (
                "api is flapping",
                "its state changed in 57% of its last 7 results; its notifications are held until it settles"
            )
        );
        let (title, body) = flapping("api", false, 14.2, 7, Status::Up);
        assert_eq!(
            (title.as_str(), body.as_str()),
            ("api stopped flapping", "now up; state changes are down to 14% of its last 7 results")
        );
    }

    #[test]
    fn a_breaker_rule_says_what_opens_it() {
        let first = BreakerConfig::first_form(5, Duration::from_secs(1));
        assert_eq!(breaker_rule(&first), "5 failures in a row");
        let rates = BreakerConfig {
            trip: Trip::Rates {
                window: Window::Time(Duration::from_secs(60)),
                failure_rate: 40.5,
                slow_rate: 100.0,
                min_calls: 5,
            },
            ..first
        };
        assert_eq!(
            breaker_rule(&rates),
            "40.5% of the calls of the last 1 min fail, or all are slow (over 1 s), once 5 calls are in"
        );
    }

    fn view(state: BreakerState, calls: u32, failed: u32, failure_rate: Option<f64>) -> BreakerView {
        BreakerView {
            state,
            counts: crate::breaker::Counts { calls, failed, slow: 0 },
            failure_rate,
            slow_rate: None,
            recent: Vec::new(),
            consecutive_failures: 0,
            opened_at: None,
            next_trial_at: None,
            failed_trials: 0,
        }
    }

    #[test]
    fn a_breaker_in_one_phrase_says_what_its_state_means_now() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let config = BreakerConfig {
            trip: Trip::Rates { window: Window::Count(10), failure_rate: 50.0, slow_rate: 100.0, min_calls: 5 },
            half_open_calls: 3,
            ..BreakerConfig::first_form(5, Duration::from_secs(1))
        };
        let say = |v: &BreakerView| breaker(v, &config, now).text;
        assert_eq!(say(&view(BreakerState::Closed, 0, 0, None)), "closed");
        assert_eq!(say(&view(BreakerState::Closed, 10, 2, Some(20.0))), "closed, 20% failed");
        assert_eq!(say(&view(BreakerState::Closed, 10, 0, Some(0.0))), "closed");
        let open = BreakerView {
            next_trial_at: Some(now + chrono::Duration::seconds(12)),
            ..view(BreakerState::Open, 0, 0, None)
        };
        assert_eq!(say(&open), "open, trial in 12 s");
        let due = BreakerView { next_trial_at: Some(now), ..open.clone() };
        assert_eq!(say(&due), "open, trial due");
        assert_eq!(say(&view(BreakerState::HalfOpen, 1, 0, None)), "half-open, trial 2 of 3");
        assert_eq!(say(&view(BreakerState::ForcedOpen, 0, 0, None)), "forced open");
        assert_eq!(say(&view(BreakerState::Disabled, 3, 1, Some(33.33))), "disabled, 33.3% failed");
        let zone = FixedZone(Utc.fix());
        let opened = BreakerView { opened_at: Some(now), failed_trials: 2, ..open };
        assert_eq!(
            breaker_now(&opened, &config, now, &zone).text,
            "Open since 08:00: no request reaches the target. Trial in 12 s (after 2 failed trials, the wait doubles)."
        );
        let rate = |v: &BreakerView| breaker_rate(v, &config, v.failure_rate, v.counts.failed, Some(50.0));
        assert_eq!(rate(&view(BreakerState::Closed, 10, 6, Some(60.0))), "60% (6 of 10) · opens at 50%");
        assert_eq!(rate(&view(BreakerState::Closed, 3, 1, None)), "— (3 of 5 calls)");
    }

    #[test]
    fn self_healing_and_a_budget_say_what_they_do_with_their_countdowns() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        let action = crate::model::ActionId::parse("restart-api").unwrap();
        let healing = |shown, attempts| HealingSnapshot { action: action.clone(), shown, attempts };
        assert_eq!(super::healing(&healing(HealingState::Idle, 0), now), None);
        let waiting = HealingState::Waiting { next_at: now + chrono::Duration::seconds(40) };
        assert_eq!(
            super::healing(&healing(waiting, 1), now).unwrap().text,
            "Self-healing: restart-api ran once; next run in 40 s"
        );
        let gave_up = HealingState::GaveUp { retry_at: now + chrono::Duration::minutes(7) };
        assert_eq!(
            super::healing(&healing(gave_up, 3), now).unwrap().text,
            "Self-healing gave up: restart-api ran 3 times and the check is still down; next try in 7 min, or reset its budget"
        );
        assert_eq!(
            super::healing(&healing(HealingState::Running, 3), now).unwrap().text,
            "Self-healing: running restart-api (attempt 3)"
        );
        let snapshot = |runs, blocked_until| BudgetSnapshot {
            budget: Budget { max_runs: 3, per: Duration::from_secs(600) },
            runs_in_window: runs,
            blocked_until,
            running: false,
        };
        assert_eq!(budget(&snapshot(2, None), now).text, "2 of 3 runs in 10m");
        let spent = snapshot(3, Some(now + chrono::Duration::seconds(125)));
        assert_eq!(budget(&spent, now).text, "3 of 3 runs in 10m · budget spent, next run allowed in 2 min");
    }

    #[test]
    fn times_are_local_and_dated_when_not_today() {
        let zone = FixedZone(chrono::FixedOffset::east_opt(3600).unwrap());
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(time(now + chrono::Duration::hours(2), now, &zone), "11:00");
        assert_eq!(time(now + chrono::Duration::days(1), now, &zone), "2027-01-16 09:00");
    }
}
