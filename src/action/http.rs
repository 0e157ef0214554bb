//! `kind = "http"`: a request to an admin endpoint (flush a cache, rotate a log,
//! drain a node). Sent as the http probe sends its own (its keys, secrets in headers,
//! the body read up to a cap), then judged by `expect` as a check is: `ok` when every
//! condition holds (default: a 2xx or 3xx status).

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Context, Preview, Ran};
use crate::condition::{Condition, JsonCache};
use crate::diagnostic::{did_you_mean, Scope};
use crate::exec;
use crate::model::{RunStatus, Value};
use crate::probe::{self, ProbeContext};

pub const NAME: &str = "http";

/// Response body kept in the run's output.
const SHOWN_BODY: usize = 4096;

/// The keys of an http action.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The admin endpoint, e.g. `http://127.0.0.1:9000/admin/cache/flush`.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// The method (default POST).
    #[schemars(with = "Option<String>")]
    pub method: Option<Spanned<String>>,
    /// Request headers. Values may be `${env:NAME}` or `${file:PATH}`, so a token stays
    /// out of the file.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub headers: Option<Spanned<BTreeMap<String, String>>>,
    /// The request body.
    pub body: Option<String>,
    /// Verify TLS certificates (default true).
    #[schemars(with = "Option<bool>")]
    pub verify_tls: Option<Spanned<bool>>,
    /// Conditions on the answer that make the run `ok`, as a check's (`status == 204`,
    /// `json.flushed == true`); default a 2xx or 3xx status.
    #[schemars(with = "Option<Vec<String>>")]
    pub expect: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub request: probe::http::Spec,
    pub expect: Vec<Condition>,
}

pub fn compile(keys: Keys, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let expect = conditions(keys.expect.as_deref().unwrap_or_default(), scope);
    let method = keys.method.or_else(|| Some(Spanned::new(scope.anchor(), "POST".to_owned())));
    let request = probe::http::Keys {
        url: keys.url,
        method,
        headers: keys.headers,
        body: keys.body,
        verify_tls: keys.verify_tls,
        max_redirects: Some(0),
        max_body: None,
        breakers_url: None,
    };
    let request = probe::http::compile(request, probe::Common { id: "", name: None, conditions: &[] }, scope)?;
    let expect = match expect {
        Some(expect) if !expect.is_empty() => expect,
        _ => default_expect(),
    };
    Some(Spec { request, expect })
}

/// `expect`, each on a value an http answer has; `None` when one is wrong (reported).
fn conditions(raw: &[Spanned<String>], scope: &mut Scope<'_, '_>) -> Option<Vec<Condition>> {
    let mut out = Vec::new();
    let mut valid = true;
    for text in raw {
        match Condition::parse(text.get_ref()) {
            Ok(condition) if probe::http::FIELDS.contains(&condition.subject.root()) => out.push(condition),
            Ok(condition) => {
                let root = condition.subject.root();
                let hint = did_you_mean(root, probe::http::FIELDS);
                let message = format_args!("`{root}` is not a value of an http answer");
                let resolution = format!("{hint}an answer has: {}", probe::http::FIELDS.join(", "));
                scope.error(&text.span(), "expect", message, resolution);
                valid = false;
            }
            Err(e) => {
                let message = format_args!("in condition `{}`: {}", text.get_ref(), e.message);
                scope.error(&text.span(), "expect", message, "write `VALUE OP EXPECTED`, e.g. `status == 204`");
                valid = false;
            }
        }
    }
    valid.then_some(out)
}

fn default_expect() -> Vec<Condition> {
    ["status >= 200", "status < 400"].iter().filter_map(|text| Condition::parse(text).ok()).collect()
}

/// What it does, in one line: `POST http://127.0.0.1:9000/admin/cache/flush`.
pub fn describe(spec: &Spec) -> String {
    probe::http::target(&spec.request)
}

/// What a dry run shows: the request (header values hidden) and what makes it `ok`.
pub async fn preview(spec: &Spec, timeout: Duration, _: &Context) -> Preview {
    let request = &spec.request;
    let mut output = format!("would send: {}", probe::http::target(request));
    for (name, _) in &request.headers {
        output.push_str(&format!("\nwith header: {name}"));
    }
    if let Some(body) = &request.body {
        output.push_str(&format!("\nbody: {} bytes", body.len()));
    }
    let expect: Vec<&str> = spec.expect.iter().map(|c| c.source.as_str()).collect();
    output.push_str(&format!("\nok when: {}", expect.join(" · ")));
    output.push_str(&format!("\ntimeout: {}", crate::units::format_duration(timeout)));
    output.into()
}

pub async fn run(spec: &Spec, timeout: Duration, on_output: Option<exec::OutputSink>, _: &Context) -> Ran {
    let started = std::time::Instant::now();
    let context = ProbeContext::default();
    let observation = probe::http::probe(&spec.request, &context, timeout, timeout).await;
    let duration = started.elapsed();
    let mut output = format!("{} → {}", probe::http::target(&spec.request), observation.summary);
    let status = match &observation.failure {
        Some(failure) => {
            output.push_str(&format!("\n[{}: {}]", failure.class, failure.message));
            if failure.class == crate::model::FailureClass::Timeout {
                RunStatus::Timeout
            } else {
                RunStatus::Failed
            }
        }
        None => {
            let body = match observation.value("body").as_deref() {
                Some(Value::Text(text)) => text.clone(),
                _ => String::new(),
            };
            if !body.is_empty() {
                output.push('\n');
                output.push_str(crate::units::prefix(&body, SHOWN_BODY));
            }
            let mut json = JsonCache::default();
            let failed: Vec<String> = spec
                .expect
                .iter()
                .filter_map(|condition| condition.evaluate(&observation, &mut json).err())
                .map(|mismatch| mismatch.to_string())
                .collect();
            if failed.is_empty() {
                RunStatus::Ok
            } else {
                output.push_str(&format!("\n[{}]", failed.join("; ")));
                RunStatus::Failed
            }
        }
    };
    if let Some(sink) = on_output {
        sink(output.as_bytes());
    }
    Ran::of(status, None, output, duration)
}
