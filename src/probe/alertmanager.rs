//! `kind = "alertmanager"`: the alerts an Alertmanager holds, as Nagstamon shows a
//! fleet's: each alert a component (its name and instance, its severity, since when,
//! its summary), the check down while a critical one fires and degraded while a warning
//! does. `count` (active alerts), `severity` (the highest of them: `critical`,
//! `warning`, `info`, or `none`), `silenced` (silenced or inhibited ones, shown apart
//! and not counted) and `latency` are its values.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::http::{api_url, shown_url, under};
use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::model::{FailureClass, Observation, ServiceComponent, ServiceHealth, Value};
use crate::secret::Secret;

pub const NAME: &str = "alertmanager";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "fleet"
name = "Fleet alerts"
kind = "alertmanager"
url = "http://alertmanager.internal:9093"
filter = ["team=\"ops\"", "severity=~\"critical|warning\""]
interval = "30s""#;
pub const FIELDS: &[&str] = &["count", "severity", "silenced", "latency"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

const MAX_BODY: u64 = 8 * 1024 * 1024;
/// Alerts shown as components; the rest are counted.
const MAX_ALERTS: usize = 100;
/// The severities, highest first, as the labels usually say them.
const SEVERITIES: &[&str] = &["critical", "warning", "info"];

/// The keys of an alertmanager check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The Alertmanager: `http://alertmanager:9093`.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// Label matchers the alerts must meet, as Alertmanager writes them:
    /// `team="ops"`, `severity=~"critical|warning"`, `env!="dev"`.
    #[schemars(with = "Option<Vec<String>>")]
    pub filter: Option<Spanned<Vec<String>>>,
    /// Request headers (credentials: `${env:AM_TOKEN}` keeps them out of the file).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub headers: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub url: reqwest::Url,
    pub filter: Vec<String>,
    pub headers: Vec<(String, Secret)>,
}

pub fn compile(keys: Keys, _: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let headers = super::http::headers(keys.headers.as_ref(), scope);
    let url = api_url(keys.url.as_ref(), scope, "http://alertmanager:9093")?;
    let mut filter = Vec::new();
    if let Some(matchers) = &keys.filter {
        for matcher in matchers.get_ref() {
            if !is_matcher(matcher) {
                scope.error(
                    &matchers.span(),
                    "filter",
                    format_args!("`{matcher}` is not a label matcher"),
                    "write `label=\"value\"`, `label!=\"value\"`, `label=~\"regex\"` or `label!~\"regex\"`",
                );
                return None;
            }
            filter.push(matcher.trim().to_owned());
        }
    }
    Some(Spec { url, filter, headers })
}

/// `name` `=`|`!=`|`=~`|`!~` a value.
fn is_matcher(text: &str) -> bool {
    let text = text.trim();
    let name_end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    let (name, rest) = text.split_at(name_end);
    let starts_well = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let value = ["=~", "!~", "!=", "="].iter().find_map(|op| rest.trim_start().strip_prefix(op));
    starts_well && value.is_some_and(|v| !v.trim().is_empty())
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    // The alerts' own severities decide (as components): nothing more by default.
    Vec::new()
}

pub fn target(spec: &Spec) -> String {
    let url = shown_url(&spec.url);
    let url = url.trim_end_matches('/');
    if spec.filter.is_empty() {
        format!("alerts at {url}")
    } else {
        format!("alerts at {url} where {}", spec.filter.join(", "))
    }
}

/// No breaker: what fails here is the fleet's alerts, and reading them must go on while
/// they fire.
pub fn remote(_: &Spec) -> bool {
    false
}

pub async fn probe(spec: &Spec, context: &ProbeContext, timeout: Duration, _: Duration) -> Observation {
    let mut url = under(&spec.url, "api/v2/alerts");
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in [("active", "true"), ("silenced", "true"), ("inhibited", "true"), ("unprocessed", "true")] {
            query.append_pair(key, value);
        }
        for matcher in &spec.filter {
            query.append_pair("filter", matcher);
        }
    }
    let (status, body, latency) = match super::http::fetch(context, url, &spec.headers, timeout, MAX_BODY).await {
        Ok(answer) => answer,
        Err(failed) => return failed,
    };
    let mut observation = read(status, &body);
    observation.latency = Some(latency);
    observation
}

/// One alert, as read.
struct Alert {
    name: String,
    severity: String,
    suppressed: Option<&'static str>,
    detail: String,
}

/// What the Alertmanager answered.
fn read(status: u16, body: &[u8]) -> Observation {
    let answer = serde_json::from_slice::<serde_json::Value>(body);
    let alerts = match (&answer, status) {
        (Ok(serde_json::Value::Array(alerts)), 200) => alerts,
        (Ok(error), _) if error.is_string() || error.get("message").is_some() => {
            let message = error.as_str().or_else(|| error["message"].as_str()).unwrap_or_default();
            return Observation::failed(
                FailureClass::QueryError,
                format!("Alertmanager says (HTTP {status}): {message}"),
            );
        }
        _ => {
            let start: String = String::from_utf8_lossy(body).chars().take(80).collect();
            return Observation::failed(
                FailureClass::UnexpectedAnswer,
                format!("HTTP {status}: the answer is not Alertmanager's alert list ({})", start.trim()),
            );
        }
    };
    let mut read: Vec<Alert> = alerts.iter().map(alert).collect();
    // Active first, the most severe first, then by name: the order people read them in.
    read.sort_by(|a, b| {
        (a.suppressed.is_some(), rank(&a.severity), &a.name).cmp(&(b.suppressed.is_some(), rank(&b.severity), &b.name))
    });
    let active: Vec<&Alert> = read.iter().filter(|a| a.suppressed.is_none()).collect();
    let silenced = read.len() - active.len();
    let highest = active.first().map(|a| a.severity.clone()).unwrap_or_else(|| "none".to_owned());
    let overall = match rank(&highest) {
        0 => "DOWN",
        1 => "WARN",
        _ => "UP",
    };
    let summary = match active.as_slice() {
        [] => "no active alert".to_owned(),
        [one] => format!("{} ({})", one.name, one.severity),
        [first, rest @ ..] => {
            format!("{} active alerts, {} ({}) and {} more", active.len(), first.name, first.severity, rest.len())
        }
    };
    let summary = if silenced > 0 { format!("{summary}; {silenced} silenced or inhibited") } else { summary };
    let components = read
        .iter()
        .take(MAX_ALERTS)
        .map(|alert| ServiceComponent {
            name: alert.name.clone(),
            status: alert.suppressed.map_or_else(|| alert.severity.clone(), str::to_owned),
            detail: (!alert.detail.is_empty()).then(|| alert.detail.clone()),
        })
        .collect();
    Observation {
        values: vec![
            ("count", Value::Int(active.len() as i64)),
            ("severity", Value::Text(highest)),
            ("silenced", Value::Int(silenced as i64)),
        ],
        summary,
        health: Some(ServiceHealth {
            status: overall.to_owned(),
            components,
            more: read.len().saturating_sub(MAX_ALERTS),
        }),
        ..Default::default()
    }
}

/// Where a severity stands: 0 critical, 1 warning, 2 info, 3 anything else.
fn rank(severity: &str) -> usize {
    let severity = severity.to_ascii_lowercase();
    let severity = match severity.as_str() {
        "page" | "error" | "high" | "major" => "critical",
        "warn" | "medium" | "minor" => "warning",
        other => other,
    };
    SEVERITIES.iter().position(|s| *s == severity).unwrap_or(SEVERITIES.len())
}

fn alert(value: &serde_json::Value) -> Alert {
    let labels = &value["labels"];
    let label = |name: &str| labels[name].as_str().unwrap_or_default().to_owned();
    let mut name = label("alertname");
    if name.is_empty() {
        name = "(no alertname)".to_owned();
    }
    let instance = label("instance");
    if !instance.is_empty() {
        name = format!("{name} ({instance})");
    }
    let severity = match label("severity") {
        severity if severity.is_empty() => "none".to_owned(),
        severity => severity,
    };
    let state = &value["status"];
    let listed = |key: &str| state[key].as_array().is_some_and(|ids| !ids.is_empty());
    let suppressed = if listed("silencedBy") {
        Some("silenced")
    } else if listed("inhibitedBy") {
        Some("inhibited")
    } else {
        None
    };
    let since = value["startsAt"]
        .as_str()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string());
    let summary = value["annotations"]["summary"].as_str().or_else(|| value["annotations"]["description"].as_str());
    let mut detail = since.map(|since| format!("since {since}")).unwrap_or_default();
    if let Some(summary) = summary {
        let summary: String = summary.chars().take(200).collect();
        detail = if detail.is_empty() { summary } else { format!("{detail}: {summary}") };
    }
    Alert { name, severity, suppressed, detail }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_are_checked() {
        for good in ["team=\"ops\"", "severity=~\"critical|warning\"", "env!=\"dev\"", "job!~\"x.*\"", "a_b=c"] {
            assert!(is_matcher(good), "{good}");
        }
        for bad in ["", "=x", "team", "team=", "9x=\"a\"", "team:ops"] {
            assert!(!is_matcher(bad), "{bad}");
        }
    }

    #[test]
    fn alerts_are_read_active_first_by_severity() {
        let body = br#"[
            {"labels":{"alertname":"Noisy","severity":"critical"},"status":{"state":"suppressed","silencedBy":["s1"],"inhibitedBy":[]},"startsAt":"2026-12-07T01:00:00Z","annotations":{}},
            {"labels":{"alertname":"SlowDisk","severity":"warning","instance":"db-1"},"status":{"state":"active","silencedBy":[],"inhibitedBy":[]},"startsAt":"2026-12-07T01:00:00Z","annotations":{"summary":"latency high"}},
            {"labels":{"alertname":"DiskFull","severity":"critical","instance":"db-1"},"status":{"state":"active","silencedBy":[],"inhibitedBy":[]},"startsAt":"2026-12-07T01:30:00Z","annotations":{"summary":"/ is 97% full"}}
        ]"#;
        let seen = read(200, body);
        assert_eq!(seen.value("count").as_deref(), Some(&Value::Int(2)));
        assert_eq!(seen.value("severity").as_deref(), Some(&Value::Text("critical".into())));
        assert_eq!(seen.value("silenced").as_deref(), Some(&Value::Int(1)));
        let health = seen.health.unwrap();
        assert_eq!(health.status, "DOWN");
        let names: Vec<(&str, &str)> = health.components.iter().map(|c| (c.name.as_str(), c.status.as_str())).collect();
        assert_eq!(names, [("DiskFull (db-1)", "critical"), ("SlowDisk (db-1)", "warning"), ("Noisy", "silenced")]);
        assert_eq!(health.components[0].detail.as_deref(), Some("since 2026-12-07 01:30 UTC: / is 97% full"));
        assert_eq!(seen.summary, "2 active alerts, DiskFull (db-1) (critical) and 1 more; 1 silenced or inhibited");

        let quiet = read(200, b"[]");
        assert_eq!(quiet.health.as_ref().unwrap().status, "UP");
        assert_eq!(quiet.value("severity").as_deref(), Some(&Value::Text("none".into())));
        assert_eq!(read(200, b"<html>").failure.map(|f| f.class), Some(FailureClass::UnexpectedAnswer));
        let refused = read(400, br#""bad matcher format: team""#).failure.unwrap();
        assert_eq!(
            (refused.class, refused.message.as_str()),
            (FailureClass::QueryError, "Alertmanager says (HTTP 400): bad matcher format: team")
        );
    }
}
