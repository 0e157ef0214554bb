//! Channels: where a notification goes once the policy decided to send it. One module
//! per kind, each holding everything about its kind: its keys in a `[[channel]]`
//! (`Keys`, whose doc comments are the user documentation), how they compile into a
//! valid `Spec` (`compile`), and its delivery ([`Delivery`] on the spec). [`kinds!`]
//! below is the one list of kinds: a new kind is a module and a line there.
//!
//! A delivery is one attempt bounded by the channel's timeout; the engine retries with
//! a capped backoff ([`backoff`]) and never waits for one. What a webhook and a command
//! receive ([`Payload`]) and what an Alertmanager receives (`alertmanager::AmAlert`)
//! are the two formats Watchkeeper sends besides its API (documented in docs/API.md).

pub mod alertmanager;
pub mod command;
pub mod desktop;
#[cfg(test)]
pub mod recording;
pub mod webhook;

use std::future::Future;
use std::ops::Range;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use toml::de::DeTable;
use toml::Spanned;

use crate::diagnostic::Scope;
use crate::model::NotifyEvent;

/// A compiled `[[channel]]`.
#[derive(Debug, Clone)]
pub struct ChannelConfig {
    pub id: String,
    pub spec: ChannelSpec,
    /// One delivery's limit.
    pub timeout: Duration,
}

impl ChannelConfig {
    /// The channel every config has, unless it declares its own `desktop`.
    pub fn desktop() -> ChannelConfig {
        ChannelConfig {
            id: desktop::NAME.to_owned(),
            spec: ChannelSpec::Desktop(desktop::Spec),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A delivery's limit when the channel sets no `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A channel kind as config compilation sees it.
pub struct Kind {
    /// `kind = "..."`.
    pub name: &'static str,
    /// The JSON Schema of its keys.
    pub keys: fn() -> serde_json::Value,
    /// Compiles its keys (known to be its own) into a spec, reporting what is wrong.
    pub compile: fn(DeTable<'_>, Range<usize>, &mut Scope<'_, '_>) -> Option<ChannelSpec>,
}

impl Kind {
    /// The names of its keys.
    pub fn key_names(&self) -> Vec<String> {
        crate::diagnostic::key_names(&(self.keys)())
    }
}

/// What a delivery may use: the channels' shared HTTP client and the channel's limit.
#[derive(Debug, Clone)]
pub struct Context {
    pub client: reqwest::Client,
    pub timeout: Duration,
}

/// How a kind's spec delivers. Only `deliver` is every kind's; the rest have defaults.
pub trait Delivery {
    /// One attempt to deliver `payload`.
    fn deliver(&self, context: &Context, payload: &Payload) -> impl Future<Output = Result<(), DeliveryError>> + Send;

    /// The desktop shell shows this channel's notifications: the engine hands them to
    /// it instead of calling `deliver`.
    fn shown_by_shell(&self) -> bool {
        false
    }

    /// How often the incidents still open that were told on this channel are sent
    /// again (an Alertmanager forgets an alert it is not reminded of).
    fn resend(&self) -> Option<Duration> {
        None
    }

    /// Sends again what is still firing ([`Delivery::resend`]).
    fn refresh(
        &self,
        _context: &Context,
        _firing: &[Firing],
        _now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send {
        async { Ok(()) }
    }
}

/// Declares the kinds: `Variant => module`. Each module has `NAME`, `Keys`, `Spec`
/// (implementing [`Delivery`]) and `compile`.
macro_rules! kinds {
    ($($(#[$attr:meta])* $variant:ident => $module:ident,)*) => {
        /// Where and how a channel delivers: one variant per kind.
        #[derive(Debug, Clone)]
        pub enum ChannelSpec {
            $($(#[$attr])* $variant($module::Spec),)*
        }

        impl ChannelSpec {
            /// The kind's name, as `kind = "..."` says it.
            pub fn kind(&self) -> &'static str {
                match self {
                    $($(#[$attr])* ChannelSpec::$variant(_) => $module::NAME,)*
                }
            }

            /// One attempt to deliver `payload`.
            pub async fn deliver(&self, context: &Context, payload: &Payload) -> Result<(), DeliveryError> {
                match self {
                    $($(#[$attr])* ChannelSpec::$variant(spec) => spec.deliver(context, payload).await,)*
                }
            }

            /// See [`Delivery::shown_by_shell`].
            pub fn shown_by_shell(&self) -> bool {
                match self {
                    $($(#[$attr])* ChannelSpec::$variant(spec) => spec.shown_by_shell(),)*
                }
            }

            /// See [`Delivery::resend`].
            pub fn resend(&self) -> Option<Duration> {
                match self {
                    $($(#[$attr])* ChannelSpec::$variant(spec) => spec.resend(),)*
                }
            }

            /// See [`Delivery::refresh`].
            pub async fn refresh(
                &self,
                context: &Context,
                firing: &[Firing],
                now: DateTime<Utc>,
            ) -> Result<(), DeliveryError> {
                match self {
                    $($(#[$attr])* ChannelSpec::$variant(spec) => spec.refresh(context, firing, now).await,)*
                }
            }
        }

        /// Every kind, in the order the documentation lists them.
        pub fn kinds() -> Vec<Kind> {
            let mut kinds = Vec::new();
            $(
                $(#[$attr])*
                kinds.push(Kind {
                    name: $module::NAME,
                    keys: crate::diagnostic::table_schema::<$module::Keys>,
                    compile: |table, span, scope| {
                        let keys = scope.deserialize::<$module::Keys>(table, span)?;
                        $module::compile(keys, scope).map(ChannelSpec::$variant)
                    },
                });
            )*
            kinds
        }
    };
}

kinds! {
    Desktop => desktop,
    Webhook => webhook,
    Command => command,
    Alertmanager => alertmanager,
    #[cfg(test)]
    Recording => recording,
}

/// What a webhook receives and a command reads on stdin (documented in docs/API.md;
/// version 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payload {
    pub version: u32,
    /// The notification's id in the log (`GET /api/v1/notifications`).
    pub id: i64,
    /// `opened`, `resolved`, `reminder`, `restart_loop`, `service_breaker`, ...
    #[serde(serialize_with = "code")]
    pub event: NotifyEvent,
    /// RFC 3339 UTC, in milliseconds.
    #[serde(serialize_with = "millis")]
    pub at: DateTime<Utc>,
    /// The same moment in the engine's local time, as the text says it.
    pub local_time: String,
    pub severity: String,
    pub title: String,
    pub body: String,
    pub incident: Option<i64>,
    pub checks: Vec<PayloadCheck>,
    pub channel: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PayloadCheck {
    pub id: String,
    pub name: String,
    pub group: Option<String>,
    pub status: String,
    /// The check's own `alert.severity`.
    pub severity: String,
}

/// An incident still open that was told on a channel: what is sent again to keep it
/// firing.
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub check: PayloadCheck,
    pub title: String,
    pub cause: String,
    pub since: DateTime<Utc>,
}

/// Why a delivery failed, said for the log and `/healthz`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryError(pub String);

/// The wait before retry `attempt` (1, 2, ...): 1 s doubling, at most 5 min.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(9)).min(Duration::from_secs(300))
}

/// Attempts before a delivery is given up (about 20 minutes of retries).
pub const MAX_ATTEMPTS: u32 = 12;

/// A channel's `url`: http(s) with a host.
fn http_url(scope: &mut Scope<'_, '_>, url: &Spanned<String>) -> Option<reqwest::Url> {
    match reqwest::Url::parse(url.get_ref()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
        Ok(_) => {
            scope.error(
                &url.span(),
                "url",
                "is not an http(s) URL",
                "write `http://` or `https://`, a host and a path",
            );
            None
        }
        Err(e) => {
            let message = format_args!("is not a valid URL: {e}");
            scope.error(&url.span(), "url", message, "write e.g. `https://example.org/hook`");
            None
        }
    }
}

/// Why a request to a receiver failed, in words.
fn request_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the receiver did not answer in time".to_owned()
    } else if error.is_connect() {
        "cannot connect to the receiver".to_owned()
    } else {
        format!("the request failed: {error}")
    }
}

/// The `user-agent` of every delivery.
const USER_AGENT: &str = concat!("watchkeeper/", env!("CARGO_PKG_VERSION"));

/// A time on the wire: RFC 3339 UTC in milliseconds, as the API writes it.
fn millis<S: serde::Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// A code enum as its code.
fn code<S: serde::Serializer>(value: &NotifyEvent, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value.as_str())
}

/// At most `max` characters of `text`.
fn cut(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let waits: Vec<u64> = (1..=MAX_ATTEMPTS).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    }
}
