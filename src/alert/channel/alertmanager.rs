//! `kind = "alertmanager"`: alerts POSTed to an Alertmanager's v2 API
//! (`/api/v2/alerts`), one per check, labelled `alertname`, `check`, `group`,
//! `severity` and `instance`. An open incident's alert is sent again every `resend`, so
//! that Alertmanager keeps it firing (each is valid for four re-sends, as Prometheus
//! does), and its resolution ends it (`endsAt`).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{
    cut, http_url, millis, request_error, Context, Delivery, DeliveryError, Firing, Payload, PayloadCheck, USER_AGENT,
};
use crate::diagnostic::Scope;
use crate::model::NotifyEvent;

pub const NAME: &str = "alertmanager";

/// How often open incidents are sent again when the channel says nothing.
const DEFAULT_RESEND: Duration = Duration::from_secs(60);

/// The keys of an alertmanager channel.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The Alertmanager's URL, e.g. `http://127.0.0.1:9093` (alerts go to its
    /// `/api/v2/alerts`).
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// How often the alerts of open incidents are sent again so that Alertmanager keeps
    /// them firing, e.g. `1m` (the default); each is valid for four.
    #[schemars(with = "Option<String>")]
    pub resend: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    /// Where alerts are POSTed (`…/api/v2/alerts`).
    pub url: reqwest::Url,
    pub resend: Duration,
}

pub fn compile(keys: Keys, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let Some(url) = &keys.url else {
        scope.needs("url", "add the Alertmanager's URL, e.g. `url = \"http://127.0.0.1:9093\"`");
        return None;
    };
    let mut url = http_url(scope, url)?;
    let base = url.path().trim_end_matches('/').to_owned();
    match base.ends_with("/api/v2/alerts") {
        true => url.set_path(&base),
        false => url.set_path(&format!("{base}/api/v2/alerts")),
    }
    let resend = match &keys.resend {
        Some(given) => match scope.duration("resend", given) {
            Some(d) if d >= Duration::from_secs(1) => d,
            Some(_) => {
                scope.error(&given.span(), "resend", "must be at least 1s", "set `resend`, e.g. `1m`");
                DEFAULT_RESEND
            }
            None => DEFAULT_RESEND,
        },
        None => DEFAULT_RESEND,
    };
    Some(Spec { url, resend })
}

impl Delivery for Spec {
    async fn deliver(&self, context: &Context, payload: &Payload) -> Result<(), DeliveryError> {
        self.post(context, &alerts_of(payload, self.resend)).await
    }

    fn resend(&self) -> Option<Duration> {
        Some(self.resend)
    }

    async fn refresh(&self, context: &Context, firing: &[Firing], now: DateTime<Utc>) -> Result<(), DeliveryError> {
        let name = alertname(NotifyEvent::Opened);
        let until = crate::clock::later(now, valid_for(self.resend));
        let alerts: Vec<AmAlert> =
            firing.iter().map(|f| alert(name, &f.check, (&f.title, &f.cause), f.since, until)).collect();
        self.post(context, &alerts).await
    }
}

impl Spec {
    async fn post(&self, context: &Context, alerts: &[AmAlert]) -> Result<(), DeliveryError> {
        if alerts.is_empty() {
            return Ok(());
        }
        let response = context
            .client
            .post(self.url.clone())
            .timeout(context.timeout)
            .header("user-agent", USER_AGENT)
            .json(alerts)
            .send()
            .await
            .map_err(|e| DeliveryError(request_error(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        Err(DeliveryError(format!("Alertmanager answered HTTP {}: {}", status.as_u16(), cut(text.trim(), 200))))
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
fn valid_for(resend: Duration) -> Duration {
    resend.saturating_mul(4)
}

/// The alert of one check: firing from `starts_at` until `ends_at`.
fn alert(
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

/// `alertname` for an event: an incident's events share one, so a resolution ends the
/// alert its opening fired.
fn alertname(event: NotifyEvent) -> &'static str {
    match event {
        NotifyEvent::Opened | NotifyEvent::Resolved | NotifyEvent::Reminder => "WatchkeeperCheckDown",
        NotifyEvent::RestartLoop => "WatchkeeperRestartLoop",
        NotifyEvent::ServiceBreaker => "WatchkeeperServiceBreakerOpen",
        NotifyEvent::Flapping => "WatchkeeperFlapping",
        NotifyEvent::NoNetwork => "WatchkeeperNoNetwork",
        NotifyEvent::CertExpiry => "WatchkeeperCertExpiry",
        NotifyEvent::Degraded | NotifyEvent::Restored => "WatchkeeperCheckDegraded",
    }
}

/// A notification as alerts, one per check: an opening or reminder fires (until sent
/// again), a resolution ends at `at`, anything else fires for one validity and ends.
fn alerts_of(payload: &Payload, resend: Duration) -> Vec<AmAlert> {
    let at = payload.at;
    let ends_at = match payload.event {
        NotifyEvent::Resolved | NotifyEvent::Restored => at,
        _ => crate::clock::later(at, valid_for(resend)),
    };
    let name = alertname(payload.event);
    payload.checks.iter().map(|c| alert(name, c, (&payload.title, &payload.body), at, ends_at)).collect()
}

/// This machine, as the `instance` label names it (read once).
fn instance() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| sysinfo::System::host_name().unwrap_or_else(|| "localhost".to_owned()))
}
