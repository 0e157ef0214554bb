//! `kind = "recording"`, in the crate's own tests only: a channel that keeps what it
//! is given and answers as its script says (`outcomes = ["fail", "ok"]`, the last
//! repeating), so the engine's notification timelines (grouping, reminders, retries,
//! restarts) can be tested in paused tokio time, where a real receiver's I/O would
//! race the virtual clock. Every real kind is tested against a real receiver in
//! `tests/it/alerts.rs`.

use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Context, Delivery, DeliveryError, Firing, Payload};
use crate::diagnostic::Scope;

pub const NAME: &str = "recording";

/// The keys of a recording channel.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// How each attempt goes, in order (`ok` or `fail`); the last repeats. Default `["ok"]`.
    #[schemars(with = "Option<Vec<String>>")]
    pub outcomes: Option<Spanned<Vec<String>>>,
    /// Alertmanager's way: open incidents are sent again this often.
    #[schemars(with = "Option<String>")]
    pub resend: Option<Spanned<String>>,
}

/// One attempt, as the channel saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// When, in tokio time.
    pub at: tokio::time::Instant,
    pub payload: Payload,
    pub delivered: bool,
}

#[derive(Debug, Clone)]
pub struct Spec {
    outcomes: Arc<Vec<bool>>,
    resend: Option<std::time::Duration>,
    attempts: Arc<Mutex<Vec<Attempt>>>,
    refreshes: Arc<Mutex<Vec<Vec<Firing>>>>,
}

impl Spec {
    /// Every attempt so far, in order.
    pub fn attempts(&self) -> Vec<Attempt> {
        crate::panics::lock(&self.attempts).clone()
    }

    /// What was delivered, in order.
    pub fn delivered(&self) -> Vec<Payload> {
        self.attempts().into_iter().filter(|a| a.delivered).map(|a| a.payload).collect()
    }

    /// Each time open incidents were sent again, what was firing.
    pub fn refreshes(&self) -> Vec<Vec<Firing>> {
        crate::panics::lock(&self.refreshes).clone()
    }
}

pub fn compile(keys: Keys, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let mut outcomes = Vec::new();
    if let Some(given) = &keys.outcomes {
        for outcome in given.get_ref() {
            match outcome.as_str() {
                "ok" => outcomes.push(true),
                "fail" => outcomes.push(false),
                other => {
                    let message = format_args!("unknown outcome `{other}`");
                    scope.error(&given.span(), "outcomes", message, "use `ok` or `fail`");
                    return None;
                }
            }
        }
    }
    if outcomes.is_empty() {
        outcomes.push(true);
    }
    let resend = keys.resend.as_ref().and_then(|r| scope.duration("resend", r));
    Some(Spec { outcomes: Arc::new(outcomes), resend, attempts: Arc::default(), refreshes: Arc::default() })
}

impl Delivery for Spec {
    async fn deliver(&self, _: &Context, payload: &Payload) -> Result<(), DeliveryError> {
        let mut attempts = crate::panics::lock(&self.attempts);
        let delivered = self.outcomes.get(attempts.len()).or(self.outcomes.last()).copied().unwrap_or(true);
        attempts.push(Attempt { at: tokio::time::Instant::now(), payload: payload.clone(), delivered });
        match delivered {
            true => Ok(()),
            false => Err(DeliveryError("the script says fail".into())),
        }
    }

    fn resend(&self) -> Option<std::time::Duration> {
        self.resend
    }

    async fn refresh(
        &self,
        _: &Context,
        firing: &[Firing],
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), DeliveryError> {
        {
            let mut refreshes = crate::panics::lock(&self.refreshes);
            refreshes.push(firing.to_vec());
        }
        Ok(())
    }
}
