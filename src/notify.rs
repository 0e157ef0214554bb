//! Channels: where a notification goes once the alert policy decided to send it.
//!
//! - `desktop`: the tray's notifications (the desktop shell shows them);
//! - `webhook`: the notification as JSON ([`Payload`], docs/API.md) POSTed to a URL
//!   with the channel's headers;
//! - `command`: a program (argv, no shell) given the same JSON on stdin; exit 0 is
//!   delivered;
//! - `alertmanager`: alerts POSTed to an Alertmanager's v2 API (`/api/v2/alerts`), one
//!   per check, labelled `alertname`, `check`, `group`, `severity`, `instance`; an open
//!   incident's alert is re-sent every `resend` so Alertmanager keeps it firing, and
//!   a recovery ends it (`endsAt`).
//!
//! A delivery is one attempt bounded by the channel's timeout; the engine's notifier
//! retries with a capped backoff and never waits for one.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::exec::{self, CommandSpec};
use crate::secret::Secret;

/// A compiled `[[channel]]`.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    pub id: String,
    pub kind: ChannelKind,
    /// One delivery's limit.
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub enum ChannelKind {
    Desktop,
    Webhook {
        url: reqwest::Url,
        headers: Vec<(String, Secret)>,
    },
    Command {
        command: CommandSpec,
    },
    /// `url` is where alerts are POSTed (`…/api/v2/alerts`).
    Alertmanager {
        url: reqwest::Url,
        resend: Duration,
    },
}

impl ChannelKind {
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Desktop => "desktop",
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Command { .. } => "command",
            ChannelKind::Alertmanager { .. } => "alertmanager",
        }
    }
}

/// The channel every config has, unless it declares its own `desktop`.
pub fn desktop() -> ChannelConfig {
    ChannelConfig { id: "desktop".to_owned(), kind: ChannelKind::Desktop, timeout: Duration::from_secs(10) }
}

/// What a webhook receives and a command reads on stdin (documented in docs/API.md;
/// version 1).
#[derive(Debug, Clone, Serialize)]
pub struct Payload {
    pub version: u32,
    /// The notification's id in the log (`GET /api/v1/notifications`).
    pub id: i64,
    /// `opened`, `resolved`, `reminder`, `restart_loop`, `service_breaker`, ...
    pub event: String,
    /// RFC 3339 UTC, in milliseconds.
    #[serde(serialize_with = "millis")]
    pub at: DateTime<Utc>,
    /// The same moment in the machine's local time, as the text says it.
    pub local_time: String,
    pub severity: String,
    pub title: String,
    pub body: String,
    pub incident: Option<i64>,
    pub checks: Vec<PayloadCheck>,
    pub channel: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PayloadCheck {
    pub id: String,
    pub name: String,
    pub group: Option<String>,
    pub status: String,
    /// The check's own `alert.severity`.
    pub severity: String,
}

/// Why a delivery failed, said for the log and `/healthz`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryError(pub String);

/// One attempt to deliver `payload` on `channel`. The desktop channel is delivered by
/// the desktop shell, not here.
pub async fn deliver(
    channel: &ChannelConfig,
    client: &reqwest::Client,
    payload: &Payload,
) -> Result<(), DeliveryError> {
    let json = serde_json::to_vec(payload).map_err(|e| DeliveryError(format!("cannot encode: {e}")))?;
    match &channel.kind {
        ChannelKind::Desktop => Ok(()),
        ChannelKind::Alertmanager { resend, .. } => post_alerts(channel, client, &alerts_of(payload, *resend)).await,
        ChannelKind::Webhook { url, headers } => {
            let mut request = client
                .post(url.clone())
                .timeout(channel.timeout)
                .header("content-type", "application/json")
                .header("user-agent", concat!("watchkeeper/", env!("CARGO_PKG_VERSION")));
            for (name, value) in headers {
                request = request.header(name.as_str(), value.expose());
            }
            let response = request.body(json).send().await.map_err(|e| DeliveryError(webhook_error(&e)))?;
            let status = response.status();
            if status.is_success() {
                Ok(())
            } else {
                Err(DeliveryError(format!("the receiver answered HTTP {}", status.as_u16())))
            }
        }
        ChannelKind::Command { command } => {
            let mut request = command.request(channel.timeout, 4096, None);
            request.stdin = Some(json);
            match exec::run(request).await {
                Ok(run) if run.timed_out => {
                    Err(DeliveryError(format!("timed out after {}", crate::units::format_duration(channel.timeout))))
                }
                Ok(run) if run.exit_code == Some(0) => Ok(()),
                Ok(run) => {
                    let output = run.output.trim();
                    let code = run.exit_code.map_or("a signal".to_owned(), |c| format!("exit code {c}"));
                    Err(DeliveryError(if output.is_empty() {
                        format!("the command ended with {code}")
                    } else {
                        format!("the command ended with {code}: {}", cut(output, 200))
                    }))
                }
                Err(e) => Err(DeliveryError(format!("cannot start the command: {e}"))),
            }
        }
    }
}

/// One alert of Alertmanager's v2 API.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AmAlert {
    pub labels: BTreeMap<&'static str, String>,
    pub annotations: BTreeMap<&'static str, String>,
    #[serde(rename = "startsAt", serialize_with = "millis")]
    pub starts_at: DateTime<Utc>,
    #[serde(rename = "endsAt", serialize_with = "millis")]
    pub ends_at: DateTime<Utc>,
}

/// How long an alert fires in Alertmanager without news: four re-sends, as Prometheus
/// does, so one lost POST does not resolve it.
pub fn am_valid(resend: Duration) -> chrono::Duration {
    chrono::Duration::from_std(resend * 4).unwrap_or(chrono::Duration::minutes(4))
}

/// The alert of one check: firing from `starts_at` until `ends_at`.
pub fn am_alert(
    alertname: &'static str,
    check: &PayloadCheck,
    (title, body): (&str, &str),
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> AmAlert {
    let labels = BTreeMap::from([
        ("alertname", alertname.to_owned()),
        ("check", check.id.clone()),
        ("group", check.group.clone().unwrap_or_default()),
        ("severity", check.severity.clone()),
        ("instance", instance().to_owned()),
    ]);
    let annotations = BTreeMap::from([
        ("summary", title.to_owned()),
        ("description", body.to_owned()),
        ("check_name", check.name.clone()),
    ]);
    AmAlert { labels, annotations, starts_at, ends_at: ends_at.max(starts_at) }
}

/// `alertname` for an event: an incident's events share one, so a recovery ends the
/// alert its opening fired.
pub fn alertname(event: &str) -> &'static str {
    match event {
        "opened" | "resolved" | "reminder" => "WatchkeeperCheckDown",
        "restart_loop" => "WatchkeeperRestartLoop",
        "service_breaker" => "WatchkeeperServiceBreakerOpen",
        "flapping" => "WatchkeeperFlapping",
        "no_network" => "WatchkeeperNoNetwork",
        "cert_expiry" => "WatchkeeperCertExpiry",
        _ => "Watchkeeper",
    }
}

/// A notification as alerts, one per check: an opening or reminder fires (until
/// re-sent), a recovery ends at `at`, anything else fires for one validity and ends.
fn alerts_of(payload: &Payload, resend: Duration) -> Vec<AmAlert> {
    let at = payload.at;
    let ends_at = match payload.event.as_str() {
        "resolved" => at,
        _ => at + am_valid(resend),
    };
    let name = alertname(&payload.event);
    payload.checks.iter().map(|c| am_alert(name, c, (&payload.title, &payload.body), at, ends_at)).collect()
}

/// POSTs alerts to an Alertmanager.
pub async fn post_alerts(
    channel: &ChannelConfig,
    client: &reqwest::Client,
    alerts: &[AmAlert],
) -> Result<(), DeliveryError> {
    let ChannelKind::Alertmanager { url, .. } = &channel.kind else { return Ok(()) };
    if alerts.is_empty() {
        return Ok(());
    }
    let response = client
        .post(url.clone())
        .timeout(channel.timeout)
        .header("user-agent", concat!("watchkeeper/", env!("CARGO_PKG_VERSION")))
        .json(alerts)
        .send()
        .await
        .map_err(|e| DeliveryError(webhook_error(&e)))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    Err(DeliveryError(format!("Alertmanager answered HTTP {}: {}", status.as_u16(), cut(text.trim(), 200))))
}

/// This machine, as the `instance` label names it.
pub fn instance() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| sysinfo::System::host_name().unwrap_or_else(|| "localhost".to_owned()))
}

/// A time on the wire: RFC 3339 UTC in milliseconds, as the API writes it.
fn millis<S: serde::Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

fn webhook_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the receiver did not answer in time".to_owned()
    } else if error.is_connect() {
        "cannot connect to the receiver".to_owned()
    } else {
        format!("the request failed: {error}")
    }
}

fn cut(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// The wait before retry `attempt` (1, 2, ...): 1 s doubling, at most 5 min.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(9)).min(Duration::from_secs(300))
}

/// Attempts before a delivery is given up (about 20 minutes of retries).
pub const MAX_ATTEMPTS: u32 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let waits: Vec<u64> = (1..=MAX_ATTEMPTS).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }
}
