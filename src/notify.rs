//! Channels: where a notification goes once the alert policy decided to send it.
//!
//! - `desktop`: the tray's notifications (the desktop shell shows them);
//! - `webhook`: the notification as JSON ([`Payload`], docs/API.md) POSTed to a URL
//!   with the channel's headers;
//! - `command`: a program (argv, no shell) given the same JSON on stdin; exit 0 is
//!   delivered.
//!
//! A delivery is one attempt bounded by the channel's timeout; the engine's notifier
//! retries with a capped backoff and never waits for one.

use std::time::Duration;

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
    Webhook { url: reqwest::Url, headers: Vec<(String, Secret)> },
    Command { command: CommandSpec },
}

impl ChannelKind {
    pub fn name(&self) -> &'static str {
        match self {
            ChannelKind::Desktop => "desktop",
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Command { .. } => "command",
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
    /// RFC 3339 UTC.
    pub at: String,
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
