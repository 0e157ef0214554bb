//! `kind = "heartbeat"`: a job that reports in. The job calls `POST /push/{check}/{token}`
//! on the API's address (GET too, for cron lines that only have `curl -s`); no ping
//! within `grace` is down, `?status=fail&msg=…` reports a failure at once, and a later
//! ping recovers it. `age` (since the last ping) and `latency` are its values.
//!
//! The pings live in [`Beats`], shared by the engine (which takes pings, checks their
//! token and keeps them in the history) and this probe (which judges their age). The
//! token is the secret of the URL: from config, or generated once and kept.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::model::{FailureClass, Observation, Value};
use crate::secret::Secret;
use crate::units::format_duration;

pub const NAME: &str = "heartbeat";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "nightly-backup-job"
name = "Nightly backup job"
kind = "heartbeat"
grace = "25h"
# the job's last line: curl -fsS -X POST http://127.0.0.1:7311/push/nightly-backup-job/TOKEN
# (the check's page in the dashboard shows the URL with its token, ready to copy)"#;
pub const FIELDS: &[&str] = &["age", "latency"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

/// The longest message a ping keeps.
pub const MAX_MESSAGE: usize = 1024;
/// Pings a check takes at once, and how fast that allowance comes back.
const BURST: f64 = 5.0;
const PER_SECOND: f64 = 1.0;

/// The keys of a heartbeat check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// How long after a ping the next one must come (`25h` for a nightly job); without
    /// one in time the check is down.
    #[schemars(with = "Option<String>")]
    pub grace: Option<Spanned<String>>,
    /// The push URL's token (`${env:…}` or `${file:…}` keep it out of the file); one is
    /// generated and kept when none is given.
    #[schemars(with = "Option<String>")]
    pub token: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    /// The check's id: its pings are filed under it.
    pub id: String,
    pub grace: Duration,
    pub token: Option<Secret>,
}

pub fn compile(keys: Keys, common: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let Some(grace) = keys.grace else {
        scope.needs("grace", "add `grace = \"25h\"`: how long the job may take between pings");
        return None;
    };
    let grace = scope.duration("grace", &grace)?;
    let token = match keys.token {
        None => None,
        Some(token) => match Secret::resolve(token.get_ref()) {
            Ok(secret) if is_token(secret.expose()) => Some(secret),
            Ok(_) => {
                scope.error(
                    &token.span(),
                    "token",
                    "must be 16 to 128 letters, digits, `-` or `_`",
                    "leave it out and one is generated, or use `openssl rand -hex 16`",
                );
                return None;
            }
            Err(e) => {
                scope.error(&token.span(), "token", e, "set the variable or create the file, or leave `token` out");
                return None;
            }
        },
    };
    Some(Spec { id: common.id.to_owned(), grace, token })
}

/// A token the URL can carry as it is.
fn is_token(text: &str) -> bool {
    (16..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    Vec::new()
}

pub fn target(spec: &Spec) -> String {
    format!("pings to /push/{}/••••, every {} at most", spec.id, format_duration(spec.grace))
}

pub fn remote(_: &Spec) -> bool {
    false
}

pub async fn probe(spec: &Spec, context: &ProbeContext, _: Duration, _: Duration) -> Observation {
    let Some(beat) = context.beats.get(&spec.id) else {
        return Observation::failed(
            FailureClass::ProbeError,
            "a heartbeat is judged by the running daemon, which takes its pings: `watchkeeper status` shows it",
        );
    };
    let grace = format_duration(spec.grace);
    let Some(last) = beat.last else {
        let waited = context.beats.started.elapsed();
        if waited <= spec.grace {
            return Observation {
                summary: format!("waiting for the first ping (due within {grace} of the start)"),
                ..Default::default()
            };
        }
        return Observation::failed(
            FailureClass::MissedHeartbeat,
            format!("no ping since Watchkeeper started, {} ago (grace {grace})", whole(waited)),
        );
    };
    let age = last.seen.elapsed();
    let said = beat.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
    let mut observation = if beat.failed {
        Observation::failed(
            FailureClass::JobFailed,
            format!("the job reported a failure {} ago{said}", format_duration(age)),
        )
    } else if age > spec.grace {
        Observation::failed(
            FailureClass::MissedHeartbeat,
            format!(
                "no ping for {} (grace {grace}); the last at {}",
                format_duration(age),
                last.at.format("%Y-%m-%d %H:%M UTC")
            ),
        )
    } else {
        Observation { summary: format!("last ping {} ago{said}", format_duration(age)), ..Default::default() }
    };
    observation.values.push(("age", Value::Duration(age)));
    observation
}

/// A duration to the second, as people read an age.
fn whole(duration: Duration) -> String {
    format_duration(Duration::from_secs(duration.as_secs()))
}

/// When a ping came: for people, and for measuring its age (monotonic).
#[derive(Debug, Clone, Copy)]
pub struct Ping {
    pub at: DateTime<Utc>,
    pub seen: Instant,
}

/// A heartbeat check's token and last ping.
#[derive(Debug, Clone)]
pub struct Beat {
    pub token: String,
    pub last: Option<Ping>,
    pub failed: bool,
    pub message: Option<String>,
    /// The pings it may still take now, and when that was worked out.
    allowance: (f64, Instant),
}

impl Beat {
    /// A beat with its token, and its last ping as the history has it.
    pub fn new(token: String, last: Option<DateTime<Utc>>, failed: bool, message: Option<String>) -> Beat {
        let now = Instant::now();
        let last = last.map(|at| {
            let ago = (Utc::now() - at).to_std().unwrap_or_default();
            Ping { at, seen: now.checked_sub(ago).unwrap_or(now) }
        });
        Beat { token, last, failed, message, allowance: (BURST, now) }
    }
}

/// Why a ping was not taken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PingError {
    /// No heartbeat check has that id, or the token is wrong: one answer for both, so
    /// a wrong token learns nothing.
    #[error("no heartbeat at this URL")]
    Unknown,
    #[error("too many pings: this check takes {BURST} at once and one a second")]
    TooMany { retry_after: Duration },
}

/// Every heartbeat check's beat.
#[derive(Debug)]
pub struct Beats {
    beats: Mutex<HashMap<String, Beat>>,
    /// When the engine started: the first ping is due within `grace` of it.
    pub started: Instant,
}

impl Default for Beats {
    fn default() -> Beats {
        Beats { beats: Mutex::default(), started: Instant::now() }
    }
}

impl Beats {
    pub fn insert(&self, id: String, beat: Beat) {
        crate::panics::lock(&self.beats).insert(id, beat);
    }

    /// Forgets a check a reload removed: its URL takes no more pings.
    pub fn remove(&self, id: &str) {
        crate::panics::lock(&self.beats).remove(id);
    }

    pub fn get(&self, id: &str) -> Option<Beat> {
        crate::panics::lock(&self.beats).get(id).cloned()
    }

    /// Takes a ping for `id` whose URL carries `token`, at `at`: its beat after it.
    pub fn ping(
        &self,
        id: &str,
        token: &str,
        failed: bool,
        message: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Beat, PingError> {
        let mut beats = crate::panics::lock(&self.beats);
        let beat = beats.get_mut(id).ok_or(PingError::Unknown)?;
        if !same(beat.token.as_bytes(), token.as_bytes()) {
            return Err(PingError::Unknown);
        }
        let now = Instant::now();
        let (left, since) = beat.allowance;
        let left = (left + now.duration_since(since).as_secs_f64() * PER_SECOND).min(BURST);
        if left < 1.0 {
            beat.allowance = (left, now);
            return Err(PingError::TooMany { retry_after: Duration::from_secs_f64((1.0 - left) / PER_SECOND) });
        }
        beat.allowance = (left - 1.0, now);
        beat.last = Some(Ping { at, seen: now });
        beat.failed = failed;
        beat.message = message.map(|m| capped(&m));
        Ok(beat.clone())
    }
}

/// Compares in time that depends on the length only, not on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |differ, (x, y)| differ | (x ^ y)) == 0
}

/// A message as kept: one line of at most [`MAX_MESSAGE`] bytes, without control
/// characters.
pub fn capped(message: &str) -> String {
    let line: String = message.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if line.len() <= MAX_MESSAGE {
        return line;
    }
    format!("{}…", crate::units::prefix(&line, MAX_MESSAGE - '…'.len_utf8()))
}

/// A new token: 32 hex digits from the system's random source.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No random source: a token from the time and the process, still unguessable
        // from outside the machine in practice, and said in the log.
        tracing::warn!("no random source for a heartbeat token; one from the clock is used");
        let seed = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u128 ^ u128::from(std::process::id());
        bytes = seed.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ping_needs_its_token_and_is_rate_limited() {
        let beats = Beats::default();
        beats.insert("job".into(), Beat::new("a".repeat(32), None, false, None));
        let now = Utc::now();
        assert_eq!(beats.ping("job", "b", false, None, now).unwrap_err(), PingError::Unknown);
        assert_eq!(beats.ping("nope", &"a".repeat(32), false, None, now).unwrap_err(), PingError::Unknown);
        for _ in 0..5 {
            beats.ping("job", &"a".repeat(32), false, Some("ok\nfine".into()), now).unwrap();
        }
        assert!(matches!(beats.ping("job", &"a".repeat(32), false, None, now), Err(PingError::TooMany { .. })));
        assert_eq!(beats.get("job").unwrap().message.as_deref(), Some("ok fine"), "one line");
    }

    #[test]
    fn messages_are_capped_and_tokens_checked() {
        let long = capped(&"é".repeat(2000));
        assert!(long.len() <= MAX_MESSAGE && long.len() > MAX_MESSAGE - 8 && long.ends_with('…'), "{}", long.len());
        assert!(is_token(&new_token()) && new_token() != new_token());
        assert!(!is_token("short") && !is_token("has space in it here") && is_token("abcdefghijklmnop"));
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"abc", b"ab"));
    }
}
