//! `[settings]`: engine-wide settings, and the default interval of checks.

use std::time::Duration;

use super::raw::{RawBackup, RawConnectivity, RawSettings};
use super::{BackupSettings, Connectivity, SentinelTarget, Settings};
use crate::diagnostic::Scope;

/// How often a check runs when neither it nor `[settings]` says.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// How long raw results are kept when `[settings]` does not say.
const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 86_400);
/// How long per-hour rollups are kept when `[settings]` does not say.
const DEFAULT_ROLLUP_RETENTION: Duration = Duration::from_secs(400 * 86_400);
/// The least `max_db_size`.
const MIN_DB_SIZE: u64 = 1_000_000;
/// Probes in flight across checks, when `[settings]` does not say.
const DEFAULT_MAX_IN_FLIGHT: usize = 256;

/// The settings, and the default interval of checks.
pub(super) fn compile(raw: RawSettings, scope: &mut Scope<'_, '_>) -> (Settings, Duration) {
    let interval = raw.interval.as_ref().and_then(|i| scope.duration("interval", i)).unwrap_or(DEFAULT_INTERVAL);
    let retention = raw.retention.as_ref().and_then(|r| scope.duration("retention", r)).unwrap_or(DEFAULT_RETENTION);
    let rollup_retention = match &raw.rollup_retention {
        Some(text) => match scope.duration("rollup_retention", text) {
            Some(d) if d < retention => {
                let message = "is shorter than `retention`: charts past it would have nothing to draw from";
                scope.error(&text.span(), "rollup_retention", message, "set it to at least `retention` (default 400d)");
                DEFAULT_ROLLUP_RETENTION.max(retention)
            }
            Some(d) => d,
            None => DEFAULT_ROLLUP_RETENTION.max(retention),
        },
        None => DEFAULT_ROLLUP_RETENTION.max(retention),
    };
    let max_db_size = match &raw.max_db_size {
        Some(text) => match scope.size("max_db_size", text) {
            Some(bytes) if bytes < MIN_DB_SIZE => {
                let message = "is under 1MB: the history could not keep even a day";
                scope.error(&text.span(), "max_db_size", message, "set it to at least `1MB`, e.g. `500MB`");
                None
            }
            bytes => bytes,
        },
        None => None,
    };
    let retention = crate::store::Retention::new(retention, rollup_retention).capped(max_db_size);
    let max_in_flight = match raw.max_in_flight {
        Some(n) if *n.get_ref() == 0 => {
            scope.error(&n.span(), "max_in_flight", "must be at least 1", "set it to 1 or more (default 256)");
            1
        }
        Some(n) => *n.get_ref() as usize,
        None => DEFAULT_MAX_IN_FLIGHT,
    };
    let connectivity = connectivity(raw.connectivity, scope);
    let backup = backup(raw.backup, scope);
    (Settings { max_in_flight, retention, connectivity, backup }, interval)
}

/// `[settings] backup`: on by default, every 24h, the newest 7 kept.
fn backup(raw: Option<RawBackup>, scope: &mut Scope<'_, '_>) -> Option<BackupSettings> {
    let default = BackupSettings { every: Duration::from_secs(86_400), keep: 7 };
    let Some(raw) = raw else { return Some(default) };
    let every = match &raw.every {
        Some(every) => match scope.duration("backup.every", every) {
            Some(d) if d >= Duration::from_secs(1) => d,
            Some(_) => {
                scope.error(&every.span(), "backup.every", "must be at least 1s", "set e.g. `every = \"24h\"`");
                default.every
            }
            None => default.every,
        },
        None => default.every,
    };
    let keep = match &raw.keep {
        Some(keep) if !(1..=1000).contains(keep.get_ref()) => {
            let message = format_args!("{} is not 1 to 1000", keep.get_ref());
            scope.error(&keep.span(), "backup.keep", message, "keep e.g. `keep = 7` backups");
            default.keep
        }
        Some(keep) => *keep.get_ref(),
        None => default.keep,
    };
    raw.enabled.unwrap_or(true).then_some(BackupSettings { every, keep })
}

/// `[settings] connectivity`: on by default (a route and the resolver, every 10 s).
fn connectivity(raw: Option<RawConnectivity>, scope: &mut Scope<'_, '_>) -> Option<Connectivity> {
    let default = Connectivity { targets: Vec::new(), interval: Duration::from_secs(10) };
    let Some(raw) = raw else { return Some(default) };
    let interval = match &raw.interval {
        Some(i) => match scope.duration("connectivity.interval", i) {
            Some(d) if d >= Duration::from_millis(500) => d,
            Some(_) => {
                let message = "must be at least 500ms";
                scope.error(&i.span(), "connectivity.interval", message, "set e.g. `interval = \"10s\"`");
                default.interval
            }
            None => default.interval,
        },
        None => default.interval,
    };
    let mut targets = Vec::new();
    for target in raw.targets.as_deref().unwrap_or_default() {
        let text = target.get_ref();
        let parsed = reqwest::Url::parse(text).ok().and_then(|url| match url.scheme() {
            "tcp" => Some(SentinelTarget::Tcp { host: crate::probe::bare_host(&url)?.to_owned(), port: url.port()? }),
            "http" | "https" if url.host().is_some() => Some(SentinelTarget::Http(url)),
            _ => None,
        });
        match parsed {
            Some(parsed) => targets.push(parsed),
            None => scope.error(
                &target.span(),
                "connectivity.targets",
                format_args!("`{text}` is not `tcp://HOST:PORT` or an http(s) URL"),
                "write e.g. `tcp://192.0.2.1:443` or `https://example.org/`",
            ),
        }
    }
    raw.enabled.unwrap_or(true).then_some(Connectivity { targets, interval })
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use crate::config::compile::tests::check;

    #[test]
    fn settings_and_the_connectivity_sentinel_are_checked() {
        check(
            "[settings]\ninterval = \"10s\"\nmax_in_flight = 0\nconnectivity = { targets = [\"udp://x:1\"], interval = \"100ms\" }\nbackup = { every = \"10ms\", keep = 0 }\n\n[[check]]\nid = \"a\"\nkind = \"tcp\"\nhost = \"h\"\nport = 1\n",
            expect![[r#"
                5 errors in config
                wk.toml:3:17: settings: max_in_flight: must be at least 1
                  help: set it to 1 or more (default 256)
                wk.toml:4:29: settings: connectivity.targets: `udp://x:1` is not `tcp://HOST:PORT` or an http(s) URL
                  help: write e.g. `tcp://192.0.2.1:443` or `https://example.org/`
                wk.toml:4:54: settings: connectivity.interval: must be at least 500ms
                  help: set e.g. `interval = "10s"`
                wk.toml:5:20: settings: backup.every: must be at least 1s
                  help: set e.g. `every = "24h"`
                wk.toml:5:35: settings: backup.keep: 0 is not 1 to 1000
                  help: keep e.g. `keep = 7` backups
            "#]],
        );
    }
}
