//! `kind = "prometheus"`: an instant PromQL `query` against a Prometheus server's HTTP
//! API. `value` (the first sample, as a number), `count` (the series) and `latency` are
//! its values, and each series is shown as a component with its labels and value.
//! Prometheus' own error text is the failure's message; an answer that is not
//! Prometheus' JSON (a login page, a proxy's error) is `unexpected_answer`.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::model::{FailureClass, Observation, ServiceComponent, ServiceHealth, Value};
use crate::secret::Secret;

pub const NAME: &str = "prometheus";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "targets-up"
name = "Scrape targets"
kind = "prometheus"
url = "http://prometheus.internal:9090"
query = "count(up == 0)"
# no series means no target is down
expect = ["count == 0"]"#;
pub const FIELDS: &[&str] = &["value", "count", "latency"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

/// The largest answer read.
const MAX_BODY: u64 = 4 * 1024 * 1024;
/// Series shown as components; the rest are counted.
const MAX_SERIES: usize = 100;

/// The keys of a prometheus check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The Prometheus server: `http://prometheus:9090` (a path prefix is kept, for a
    /// server behind a proxy).
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// The PromQL expression, evaluated at the time of the probe.
    #[schemars(with = "Option<String>")]
    pub query: Option<Spanned<String>>,
    /// Request headers (credentials: `${env:PROM_TOKEN}` keeps them out of the file).
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub headers: Option<Spanned<BTreeMap<String, String>>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub url: reqwest::Url,
    pub query: String,
    pub headers: Vec<(String, Secret)>,
}

pub fn compile(keys: Keys, _: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let headers = super::http::headers(keys.headers.as_ref(), scope);
    let url = super::http::api_url(keys.url.as_ref(), scope, "http://prometheus:9090")?;
    let Some(query) = keys.query else {
        scope.needs("query", "add `query = \"up{job=\\\"node\\\"}\"`");
        return None;
    };
    if query.get_ref().trim().is_empty() {
        scope.error(&query.span(), "query", "is empty", "write a PromQL expression such as `up`");
        return None;
    }
    Some(Spec { url, query: query.into_inner(), headers })
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["count >= 1".into()]
}

pub fn target(spec: &Spec) -> String {
    format!("{} at {}", spec.query, super::http::shown_url(&spec.url).trim_end_matches('/'))
}

pub fn remote(_: &Spec) -> bool {
    true
}

pub async fn probe(spec: &Spec, context: &ProbeContext, timeout: Duration, _: Duration) -> Observation {
    let mut url = super::http::under(&spec.url, "api/v1/query");
    url.query_pairs_mut().append_pair("query", &spec.query);
    let (status, body, latency) = match super::http::fetch(context, url, &spec.headers, timeout, MAX_BODY).await {
        Ok(answer) => answer,
        Err(failed) => return failed,
    };
    let mut observation = read(status, &body);
    observation.latency = Some(latency);
    observation
}

/// What Prometheus answered.
fn read(status: u16, body: &[u8]) -> Observation {
    let Ok(answer) = serde_json::from_slice::<serde_json::Value>(body) else {
        let start: String = String::from_utf8_lossy(body).chars().take(80).collect();
        return Observation::failed(
            FailureClass::UnexpectedAnswer,
            format!("HTTP {status}: the answer is not Prometheus' JSON ({})", start.trim()),
        );
    };
    if answer["status"] != "success" {
        return match answer["error"].as_str() {
            Some(error) => {
                let kind = answer["errorType"].as_str().unwrap_or("error");
                Observation::failed(FailureClass::QueryError, format!("Prometheus says ({kind}): {error}"))
            }
            None => Observation::failed(
                FailureClass::UnexpectedAnswer,
                format!("HTTP {status}: the answer has no `status` Prometheus would give"),
            ),
        };
    }
    let data = &answer["data"];
    let series: Vec<(String, Option<f64>)> = match (data["resultType"].as_str(), &data["result"]) {
        (Some("vector" | "matrix"), serde_json::Value::Array(results)) => results
            .iter()
            .map(|series| {
                let sample = series["value"].as_array().or_else(|| series["values"].as_array()?.last()?.as_array());
                (labels(&series["metric"]), sample.and_then(|s| number(s.get(1)?)))
            })
            .collect(),
        (Some("scalar" | "string"), serde_json::Value::Array(sample)) => {
            vec![(String::new(), sample.get(1).and_then(number))]
        }
        _ => {
            return Observation::failed(
                FailureClass::UnexpectedAnswer,
                "the answer has no result Prometheus would give (resultType vector, matrix, scalar or string)",
            );
        }
    };
    let count = series.len();
    let first = series.first().and_then(|(_, value)| *value);
    let shown = |value: Option<f64>| value.map_or_else(|| "no number".to_owned(), |v| Value::Float(v).display());
    let summary = match series.first() {
        None => "no series".to_owned(),
        Some((labels, value)) if count == 1 => {
            format!("{} {}", if labels.is_empty() { "value" } else { labels }, shown(*value))
        }
        Some(_) => format!("{count} series, the first {}", shown(first)),
    };
    let components = series
        .iter()
        .take(MAX_SERIES)
        .map(|(labels, value)| ServiceComponent {
            name: if labels.is_empty() { "value".to_owned() } else { labels.clone() },
            status: shown(*value),
            detail: None,
        })
        .collect();
    let mut values = vec![("count", Value::Int(count as i64))];
    if let Some(first) = first {
        values.push(("value", Value::Float(first)));
    }
    Observation {
        values,
        summary,
        health: Some(ServiceHealth { status: "UP".to_owned(), components, more: count.saturating_sub(MAX_SERIES) }),
        ..Default::default()
    }
}

/// A series' labels as PromQL writes them: `up{instance="a", job="node"}`.
fn labels(metric: &serde_json::Value) -> String {
    let Some(map) = metric.as_object() else { return String::new() };
    let name = map.get("__name__").and_then(|n| n.as_str()).unwrap_or("");
    let rest: Vec<String> = map
        .iter()
        .filter(|(key, _)| *key != "__name__")
        .map(|(key, value)| format!("{key}={}", serde_json::Value::from(value.as_str().unwrap_or(""))))
        .collect();
    if rest.is_empty() {
        name.to_owned()
    } else {
        format!("{name}{{{}}}", rest.join(", "))
    }
}

/// A sample's value: Prometheus sends it as a string (`"1"`, `"NaN"`, `"+Inf"`).
fn number(value: &serde_json::Value) -> Option<f64> {
    value.as_str()?.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(observation: &Observation, name: &str) -> Option<Value> {
        observation.value(name).map(|v| v.into_owned())
    }

    #[test]
    fn vectors_scalars_and_errors_are_read() {
        let vector = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"up","job":"node","instance":"a:9100"},"value":[1700000000.1,"1"]},
            {"metric":{"__name__":"up","job":"node","instance":"b:9100"},"value":[1700000000.1,"0"]}]}}"#;
        let seen = read(200, vector);
        assert_eq!(value(&seen, "count"), Some(Value::Int(2)));
        assert_eq!(value(&seen, "value"), Some(Value::Float(1.0)));
        let health = seen.health.unwrap();
        assert_eq!(health.components[1].name, r#"up{instance="b:9100", job="node"}"#);
        assert_eq!(health.components[1].status, "0");

        let scalar = read(200, br#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42.5"]}}"#);
        assert_eq!(value(&scalar, "value"), Some(Value::Float(42.5)));
        assert_eq!(scalar.summary, "value 42.5");

        let nan = read(
            200,
            br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#,
        );
        assert_eq!(value(&nan, "value"), None, "NaN is no number");
        assert_eq!(value(&nan, "count"), Some(Value::Int(1)));

        let bad =
            read(400, br#"{"status":"error","errorType":"bad_data","error":"parse error at char 4: unexpected"}"#);
        let failure = bad.failure.unwrap();
        assert_eq!(failure.class, FailureClass::QueryError);
        assert_eq!(failure.message, "Prometheus says (bad_data): parse error at char 4: unexpected");

        let html = read(200, b"<!doctype html><title>Sign in</title>");
        assert_eq!(html.failure.map(|f| f.class), Some(FailureClass::UnexpectedAnswer));
        let other = read(200, br#"{"status":"success","data":{"resultType":"bogus"}}"#);
        assert_eq!(other.failure.map(|f| f.class), Some(FailureClass::UnexpectedAnswer));
    }

    #[test]
    fn paths_go_under_the_base() {
        let base = reqwest::Url::parse("http://proxy:8080/prometheus/").unwrap();
        assert_eq!(
            super::super::http::under(&base, "api/v1/query").as_str(),
            "http://proxy:8080/prometheus/api/v1/query"
        );
        let bare = reqwest::Url::parse("http://prom:9090").unwrap();
        assert_eq!(super::super::http::under(&bare, "api/v1/query").as_str(), "http://prom:9090/api/v1/query");
    }
}
