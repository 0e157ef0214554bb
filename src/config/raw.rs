//! The config file as written: serde structs whose doc comments are the user
//! documentation (they become the JSON Schema of `watchkeeper config schema` and
//! docs/config.md). A check's kind-specific keys are its kind's (`probe::*::Keys`).
//!
//! Nothing here is validated beyond types; `compile` turns this into `Config`.

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

/// A Watchkeeper config file.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Engine-wide settings.
    #[serde(default)]
    pub settings: Option<RawSettings>,
    /// The things to watch.
    #[serde(default)]
    pub check: Vec<RawCheck>,
    /// Recovery actions that checks, the CLI and the API can run by id.
    #[serde(default)]
    pub action: Vec<RawAction>,
    /// How notifications are grouped, repeated and quieted.
    #[serde(default)]
    pub alerts: Option<RawAlerts>,
    /// Where notifications go: the desktop, a webhook, a command.
    #[serde(default)]
    pub channel: Vec<RawChannel>,
    /// Maintenance windows: spans when some checks open no incident and tell nobody.
    #[serde(default)]
    pub maintenance: Vec<RawMaintenance>,
}

/// One `[[maintenance]]` window: inside it a check shows `maintenance`; it is still
/// probed and recorded, but opens no incident and notifies nobody. A check still down
/// when the window ends opens its incident then.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMaintenance {
    /// Unique id: letters, digits, `-` and `_`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// The checks it covers, by id.
    #[schemars(with = "Option<Vec<String>>")]
    pub checks: Option<Vec<Spanned<String>>>,
    /// The groups it covers: every check of each.
    #[schemars(with = "Option<Vec<String>>")]
    pub groups: Option<Vec<Spanned<String>>>,
    /// When it recurs: a 5-field cron schedule in local time (minute hour day-of-month
    /// month day-of-week), e.g. `0 2 * * sun`, or `@daily`; with `duration`.
    #[schemars(with = "Option<String>")]
    pub schedule: Option<Spanned<String>>,
    /// How long each recurrence lasts, e.g. `2h`.
    #[schemars(with = "Option<String>")]
    pub duration: Option<Spanned<String>>,
    /// A window that happens once: its start, RFC 3339 (`2026-12-24T18:00:00+01:00`).
    #[schemars(with = "Option<String>")]
    pub start: Option<Spanned<String>>,
    /// Its end, RFC 3339.
    #[schemars(with = "Option<String>")]
    pub end: Option<Spanned<String>>,
    /// Why, shown with the window and in the checks' reason.
    #[schemars(with = "Option<String>")]
    pub reason: Option<Spanned<String>>,
}

/// `[alerts]`: one policy for every notification, on every channel.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    /// Failures within this long of the first become one notification per channel,
    /// e.g. `5s` (default 5s; `0s` tells each at once).
    #[schemars(with = "Option<String>")]
    pub group_wait: Option<Spanned<String>>,
    /// Remind every this long while an incident is open and not acknowledged, e.g.
    /// `1h` (default: no reminders).
    #[schemars(with = "Option<String>")]
    pub repeat: Option<Spanned<String>>,
    /// Most reminders per incident (default 3).
    #[schemars(with = "Option<u32>")]
    pub max_reminders: Option<Spanned<i64>>,
    /// Hours (local time) when only the excepted severities are told, e.g.
    /// `{ from = "22:00", to = "07:00", except = ["critical"] }`; an incident still open
    /// when they end is told then.
    pub quiet_hours: Option<RawQuietHours>,
    /// Flap detection (as Nagios): the weighted percent of state change over the last
    /// `window` results; flapping starts at `high` and stops below `low`, e.g.
    /// `{ window = 21, high = 50, low = 25 }` (the default). A flapping check tells one
    /// `flapping` notification, then nothing until it settles. `{ enabled = false }`
    /// turns it off.
    pub flap: Option<RawFlap>,
    /// The channels of checks that name none, by id (default `["desktop"]`).
    #[schemars(with = "Option<Vec<String>>")]
    pub channels: Option<Vec<Spanned<String>>>,
}

/// `[alerts] flap`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFlap {
    /// Results looked at, 3 to 64 (default 21).
    #[schemars(with = "Option<u32>")]
    pub window: Option<Spanned<i64>>,
    /// Percent of weighted state change at which flapping starts (default 50).
    #[schemars(with = "Option<f64>")]
    pub high: Option<Spanned<f64>>,
    /// Percent below which it stops (default 25); less than `high`.
    #[schemars(with = "Option<f64>")]
    pub low: Option<Spanned<f64>>,
    /// `false` turns flap detection off (default true).
    pub enabled: Option<bool>,
}

/// Quiet hours, in local time.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQuietHours {
    /// When they start, `HH:MM`.
    #[schemars(with = "String")]
    pub from: Spanned<String>,
    /// When they end, `HH:MM`; earlier than `from` spans midnight.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    /// Severities told all the same (default `["critical"]`).
    #[schemars(with = "Option<Vec<String>>")]
    pub except: Option<Vec<Spanned<String>>>,
}

/// One `[[channel]]`: where notifications go. These keys apply to every kind; each
/// kind adds its own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    /// Unique id: letters, digits, `-` and `_`; checks and `[alerts]` name it.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// `desktop` (the tray's notifications), `webhook` (a JSON POST, see docs/API.md),
    /// `command` (a program given the notification as JSON on stdin) or
    /// `alertmanager` (alerts pushed to an Alertmanager's v2 API).
    #[schemars(with = "String")]
    pub kind: Spanned<String>,
    /// How long one delivery may take, e.g. `10s` (default 10s).
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
}

/// Engine-wide settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSettings {
    /// Most probes running at once across all checks (default 256).
    #[schemars(with = "Option<u32>")]
    pub max_in_flight: Option<Spanned<u32>>,
    /// How long raw results are kept, e.g. `7d` (default 7d).
    #[schemars(with = "Option<String>")]
    pub retention: Option<Spanned<String>>,
    /// How long the per-hour rollups of results are kept, e.g. `730d` (default 400d,
    /// at least `retention`). They answer charts and uptime past `retention`;
    /// per-minute rollups are kept 35 days (or `retention` when longer), never longer
    /// than this.
    #[schemars(with = "Option<String>")]
    pub rollup_retention: Option<Spanned<String>>,
    /// The most disk the history database may use, e.g. `500MB` (default: no cap;
    /// at least 1MB). Past it the oldest raw results are pruned first, then the oldest
    /// per-minute rollups, then per-hour and per-day ones, before their retention,
    /// and the log says so; the last day of results and minutes and 30 days of hours
    /// and days are always kept (`/healthz` says when those alone pass the cap).
    /// Incidents, notifications and action runs are never pruned by size.
    #[schemars(with = "Option<String>")]
    pub max_db_size: Option<Spanned<String>>,
    /// Default interval for checks that set none, e.g. `30s`.
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    /// The connectivity sentinel: while it fails, remote checks are `unknown (no
    /// network)` and one `no_network` notification is told, not a storm of `down`.
    /// Default: a route exists off the loopback and the system resolver answers for the
    /// remote checks' host names, every 10s.
    pub connectivity: Option<RawConnectivity>,
    /// Online backups of the history database into `backups/` in the data dir: `every`
    /// (default 24h, at least 1s), `keep` (the newest kept, default 7, 1 to 1000) and
    /// `enabled` (`false` takes none), e.g. `{ every = "12h", keep = 14 }`. On by
    /// default. A damaged database is replaced at start by the newest backup that
    /// reads; `watchkeeper backup` takes one now.
    pub backup: Option<RawBackup>,
}

/// `[settings] backup`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBackup {
    /// How often a backup is taken, e.g. `24h` (default 24h, at least 1s).
    #[schemars(with = "Option<String>")]
    pub every: Option<Spanned<String>>,
    /// How many backups are kept, the newest (default 7, 1 to 1000).
    #[schemars(with = "Option<u32>")]
    pub keep: Option<Spanned<u32>>,
    /// `false` takes no backups (default true).
    pub enabled: Option<bool>,
}

/// `[settings] connectivity`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawConnectivity {
    /// What must answer (any one is enough): `tcp://HOST:PORT` (a connection) or
    /// `http(s)://...` (any HTTP answer). Default: a route off the loopback and the
    /// resolver.
    #[schemars(with = "Option<Vec<String>>")]
    pub targets: Option<Vec<Spanned<String>>>,
    /// How often it is asked while all is well, e.g. `10s` (default 10s); a remote
    /// check failing asks it at once.
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    /// `false` turns the sentinel off (default true).
    pub enabled: Option<bool>,
}

/// One `[[check]]`: the keys every kind has. Each kind's own keys (`url` for http,
/// `host` and `port` for tcp, ...) are its module's in `probe`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCheck {
    /// Unique id: letters, digits, `-` and `_`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Display name (defaults to the id). For a process check without `process`,
    /// `cmdline` or `pid_file`, also the process name to look for.
    #[schemars(with = "Option<String>")]
    pub name: Option<Spanned<String>>,
    /// The probe: http, tcp, system, process, command, or self (Watchkeeper itself).
    /// Each kind adds keys of its own.
    #[schemars(with = "String")]
    pub kind: Spanned<String>,

    /// How often to probe, e.g. `30s` (default: settings.interval, else 30s).
    #[schemars(with = "Option<String>")]
    pub interval: Option<Spanned<String>>,
    /// How long one probe may take, e.g. `5s` (default 10s, at most the interval).
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    /// Conditions that must all hold for the check to be up, e.g. `status == 200`.
    #[schemars(with = "Option<Vec<String>>")]
    pub expect: Option<Vec<Spanned<String>>>,
    /// Conditions any of which makes an otherwise-up check degraded (a docker check
    /// has `restarted > 0` unless set).
    #[schemars(with = "Option<Vec<String>>")]
    pub degraded_if: Option<Vec<Spanned<String>>>,
    /// Consecutive failures that turn the check down (default 2; 1 for a heartbeat,
    /// whose `grace` is its tolerance).
    #[schemars(with = "Option<u32>")]
    pub failure_threshold: Option<Spanned<i64>>,
    /// Consecutive successes that bring a down check back up (default 1).
    #[schemars(with = "Option<u32>")]
    pub success_threshold: Option<Spanned<i64>>,
    /// The group (service) this check is a component of.
    pub group: Option<String>,
    /// Whether the group is in major outage when this check is down (default true).
    pub critical: Option<bool>,
    /// Counts as remote for the connectivity sentinel even when its target is on this
    /// machine (a proxy or tunnel to elsewhere). Checks of hosts off this machine are
    /// remote anyway.
    pub network: Option<bool>,
    /// Checks this one depends on, by id.
    #[schemars(with = "Option<Vec<String>>")]
    pub depends_on: Option<Vec<Spanned<String>>>,
    /// Recovery actions offered for this check, by id.
    #[schemars(with = "Option<Vec<String>>")]
    pub actions: Option<Vec<Spanned<String>>>,
    /// The circuit breaker in front of a check of a remote target (http, tcp, dns,
    /// prometheus).
    pub breaker: Option<RawBreaker>,
    /// Self-healing: an action run by itself after consecutive failures, within the
    /// action's budget, e.g. `{ action = "restart-api", after = 3 }`.
    pub auto_action: Option<RawAutoAction>,
    /// How long the check must stay up after a recovery before its auto action's
    /// budget and backoff start over, e.g. `10m` (default 10m).
    #[schemars(with = "Option<String>")]
    pub stable_for: Option<Spanned<String>>,
    /// How its incidents are told, e.g. `{ severity = "critical", channels = ["team"] }`.
    pub alert: Option<RawCheckAlert>,
}

/// A check's `alert`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCheckAlert {
    /// `warning` (default) or `critical` (told in quiet hours, urgent on the desktop).
    #[schemars(with = "Option<String>")]
    pub severity: Option<Spanned<String>>,
    /// The states told: `["down"]` (its incidents: the default), `["degraded"]` (its
    /// degraded spells), or both.
    #[schemars(with = "Option<Vec<String>>")]
    pub on: Option<Vec<Spanned<String>>>,
    /// Its channels, by id (default: `[alerts] channels`).
    #[schemars(with = "Option<Vec<String>>")]
    pub channels: Option<Vec<Spanned<String>>>,
    /// Its reminders' interval, e.g. `30m` (default: `[alerts] repeat`).
    #[schemars(with = "Option<String>")]
    pub repeat: Option<Spanned<String>>,
    /// For a tls check or an https http check: the days left on its certificate at
    /// which to tell, once each, e.g. `[30, 14, 7, 1]` (a tls check's default: `[30,
    /// 14]`; `[]` tells none). A renewed certificate is told again as it nears them.
    #[schemars(with = "Option<Vec<u16>>")]
    pub cert_days: Option<Spanned<Vec<i64>>>,
}

/// A check's `auto_action`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAutoAction {
    /// The action to run, by id; the check offers it too.
    #[schemars(with = "String")]
    pub action: Spanned<String>,
    /// Consecutive failed probes before the first run (default 3).
    #[schemars(with = "Option<u32>")]
    pub after: Option<Spanned<i64>>,
    /// The wait after the first run while the check still fails, e.g. `30s`; it
    /// doubles after each further run (default 30s).
    #[schemars(with = "Option<String>")]
    pub backoff: Option<Spanned<String>>,
    /// The longest wait between runs, e.g. `10m` (default 10m).
    #[schemars(with = "Option<String>")]
    pub max_backoff: Option<Spanned<String>>,
}

/// A circuit breaker's settings: failures in a row (`failure_threshold`), or
/// resilience4j's rates over a sliding window (`window`, `failure_rate`, `slow_rate`,
/// `min_calls`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBreaker {
    /// Whether the breaker is in front of the check at all (default true).
    pub enabled: Option<bool>,
    /// Failures in a row that open the breaker (default 5, when no rate key is set).
    #[schemars(with = "Option<u32>")]
    pub failure_threshold: Option<Spanned<i64>>,
    /// The sliding window the rates are computed over: the last N calls (`20`) or the
    /// calls of a period (`"60s"`) (default 20).
    #[schemars(with = "Option<RawWindow>")]
    pub window: Option<Spanned<RawWindow>>,
    /// The failure rate, in percent of the window's calls, that opens it (default 50).
    #[schemars(with = "Option<f64>")]
    pub failure_rate: Option<Spanned<f64>>,
    /// The slow-call rate, in percent, that opens it (default 100).
    #[schemars(with = "Option<f64>")]
    pub slow_rate: Option<Spanned<f64>>,
    /// A call slower than this is slow, e.g. `1s` (default: the check's timeout).
    #[schemars(with = "Option<String>")]
    pub slow_call: Option<Spanned<String>>,
    /// Calls the window needs before any rate is computed (default 10).
    #[schemars(with = "Option<u32>")]
    pub min_calls: Option<Spanned<i64>>,
    /// Trial calls in half-open (default 3; 1 with `failure_threshold`).
    #[schemars(with = "Option<u32>")]
    pub half_open_calls: Option<Spanned<i64>>,
    /// How long the breaker stays open before its trials, e.g. `30s` (default 30s); it
    /// doubles after each failed trial.
    #[schemars(with = "Option<String>")]
    pub open_for: Option<Spanned<String>>,
    /// The longest wait in open, e.g. `10m` (default 10m).
    #[schemars(with = "Option<String>")]
    pub max_open_for: Option<Spanned<String>>,
}

/// A breaker's window: a number of calls, or a period.
#[derive(Debug, JsonSchema)]
#[serde(untagged)]
pub enum RawWindow {
    Calls(i64),
    Period(String),
}

impl<'de> Deserialize<'de> for RawWindow {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RawWindow, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = RawWindow;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number of calls (`20`) or a period (`\"60s\"`)")
            }

            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<RawWindow, E> {
                Ok(RawWindow::Calls(n))
            }

            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<RawWindow, E> {
                Ok(RawWindow::Calls(i64::try_from(n).unwrap_or(i64::MAX)))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawWindow, E> {
                Ok(RawWindow::Period(text.to_owned()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// One `[[action]]`: the keys every kind has. Each kind's own keys (`command` for
/// command, ...) are its module's in `action`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAction {
    /// Unique id: letters, digits, `-` and `_`.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Display name (defaults to the id).
    pub name: Option<String>,
    /// The kind of action: command. Each kind adds keys of its own.
    #[schemars(with = "String")]
    pub kind: Spanned<String>,
    /// How long the action may run before its process group is killed (default 60s).
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    /// Whether the UI asks for confirmation before running it (default true).
    pub confirm: Option<bool>,
    /// Whether the checks that offer this action are re-run afterwards to verify the
    /// fix (default true).
    pub verify: Option<bool>,
    /// Most runs in any `per` (default 3): every run counts, by hand or automatic, as
    /// systemd's StartLimitBurst; past it a run is refused until one leaves the window
    /// or the budget is reset.
    #[schemars(with = "Option<u32>")]
    pub max_runs: Option<Spanned<i64>>,
    /// The budget's window, e.g. `10m` (default 10m).
    #[schemars(with = "Option<String>")]
    pub per: Option<Spanned<String>>,
}
