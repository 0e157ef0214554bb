//! `kind = "http"`: one request, the body read up to a cap, failures classified;
//! `status`, `latency`, `body`, `json.<path>` and `header.<name>` are its values, and
//! for https `cert_days` (the days left on the server's certificate).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::model::{Failure, FailureClass, Observation, ServiceBreakers, Value};
use crate::secret::Secret;
use crate::units::format_size;

pub const NAME: &str = "http";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "api"
kind = "http"
url = "https://api.example.com/actuator/health"
expect = ["status == 200", "component.db == \"UP\""]
degraded_if = ["latency > 800ms"]"#;
pub const FIELDS: &[&str] = &["status", "latency", "body", "json", "header", "component", "cert_days"];
/// A failed condition on `status` is an `http_status` failure; on the others, `condition`.
pub const FAILED: &[(&str, FailureClass)] =
    &[("status", FailureClass::HttpStatus), ("cert_days", FailureClass::CertExpiry)];

/// The largest body read unless `max_body` says otherwise.
const DEFAULT_MAX_BODY: u64 = 1_000_000;

/// The keys of an http check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The URL to request.
    #[schemars(with = "Option<String>")]
    pub url: Option<Spanned<String>>,
    /// The method (default GET).
    #[schemars(with = "Option<String>")]
    pub method: Option<Spanned<String>>,
    /// Request headers. Values may be `${env:NAME}` or `${file:PATH}`.
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub headers: Option<Spanned<BTreeMap<String, String>>>,
    /// The request body.
    pub body: Option<String>,
    /// Verify TLS certificates (default true).
    #[schemars(with = "Option<bool>")]
    pub verify_tls: Option<Spanned<bool>>,
    /// Most redirects to follow; 0 follows none (default 5).
    pub max_redirects: Option<u32>,
    /// The largest response body read, e.g. `1MB` (default 1MB). A larger body fails
    /// the check as `body_too_large`.
    #[schemars(with = "Option<String>")]
    pub max_body: Option<Spanned<String>>,
    /// A resilience4j `/actuator/circuitbreakers` URL, read with every probe: the
    /// service's own breakers are shown beside this check's, and one turning OPEN
    /// degrades the check and is notified.
    #[schemars(with = "Option<String>")]
    pub breakers_url: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    /// Parsed once here, not on every request.
    pub url: reqwest::Url,
    /// Its origin as text (the pool's keep-alive limits are kept by it).
    pub origin: String,
    pub method: String,
    pub headers: Vec<(String, Secret)>,
    pub body: Option<String>,
    pub verify_tls: bool,
    pub max_redirects: u32,
    pub max_body: u64,
    pub breakers_url: Option<reqwest::Url>,
}

pub fn compile(keys: Keys, _: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let Some(url) = keys.url else {
        scope.needs("url", "add `url = \"https://example.com/health\"`");
        return None;
    };
    let parsed = http_url(scope, "url", &url, "use a URL like `http://127.0.0.1:8080/health`")?;
    let breakers_url = match &keys.breakers_url {
        Some(given) => Some(http_url(
            scope,
            "breakers_url",
            given,
            "use the service's resilience4j endpoint, like `http://127.0.0.1:8080/actuator/circuitbreakers`",
        )?),
        None => None,
    };
    let method = keys.method.as_ref().map_or("GET".to_owned(), |m| m.get_ref().to_ascii_uppercase());
    if reqwest::Method::from_bytes(method.as_bytes()).is_err() {
        let span = keys.method.as_ref().map_or(scope.anchor(), |m| m.span());
        scope.error(&span, "method", format_args!("`{method}` is not an HTTP method"), "use GET, HEAD, POST, PUT, ...");
    }
    let max_body = match &keys.max_body {
        Some(size) => match scope.size("max_body", size) {
            Some(0) => {
                scope.error(&size.span(), "max_body", "must be more than 0", "set e.g. `max_body = \"1MB\"`");
                1
            }
            Some(n) => n,
            None => 1,
        },
        None => DEFAULT_MAX_BODY,
    };
    let headers = headers(keys.headers.as_ref(), scope);
    let verify_tls = keys.verify_tls.as_ref().is_none_or(|v| *v.get_ref());
    if let Some(off) = keys.verify_tls.as_ref().filter(|v| !*v.get_ref()) {
        scope.warn(
            &off.span(),
            "verify_tls",
            "TLS verification is off",
            "a man-in-the-middle would go unnoticed; prefer fixing the certificate",
        );
    }
    Some(Spec {
        origin: parsed.origin().ascii_serialization(),
        url: parsed,
        method,
        headers,
        body: keys.body,
        verify_tls,
        max_redirects: keys.max_redirects.unwrap_or(5),
        max_body,
        breakers_url,
    })
}

/// An http or https URL with a host, or an error on `key`.
fn http_url(scope: &mut Scope<'_, '_>, key: &str, url: &Spanned<String>, fix: &str) -> Option<reqwest::Url> {
    match reqwest::Url::parse(url.get_ref()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
        Ok(u) => {
            let message = format_args!("`{}` is not an http or https URL (scheme `{}`)", url.get_ref(), u.scheme());
            scope.error(&url.span(), key, message, fix);
            None
        }
        Err(e) => {
            scope.error(&url.span(), key, format_args!("`{}` is not a valid URL: {e}", url.get_ref()), fix);
            None
        }
    }
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["status >= 200".into(), "status < 400".into()]
}

/// `headers`: valid names, each value a secret (`${env:…}`, `${file:…}`) resolved; the
/// http probe's and a webhook channel's.
pub fn headers(raw: Option<&Spanned<BTreeMap<String, String>>>, scope: &mut Scope<'_, '_>) -> Vec<(String, Secret)> {
    let mut headers = Vec::new();
    let Some(raw) = raw else { return headers };
    for (name, value) in raw.get_ref() {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            let message = format_args!("`{name}` is not a valid header name");
            scope.error(&raw.span(), "headers", message, "use letters, digits and `-`");
            continue;
        }
        match Secret::resolve(value) {
            Ok(secret) => headers.push((name.clone(), secret)),
            Err(e) => scope.error(
                &raw.span(),
                "headers",
                format_args!("header `{name}`: {e}"),
                "set the variable or create the file, or write the value inline",
            ),
        }
    }
    headers
}

/// The method and URL, with a password in the URL shown as `••••`.
pub fn target(spec: &Spec) -> String {
    format!("{} {}", spec.method, shown_url(&spec.url))
}

/// A URL for people: a password in it shown as `••••` (set as is, the URL would
/// percent-encode the dots: `%E2%80%A2…`).
pub(super) fn shown_url(url: &reqwest::Url) -> String {
    if url.password().is_none() {
        return url.to_string();
    }
    let mut masked = url.clone();
    let _ = masked.set_password(Some("MASKED"));
    // A user name cannot hold a bare `:`, so this is the password's place.
    masked.to_string().replacen(":MASKED@", ":••••@", 1)
}

/// A server's base URL, as an API kind's `url` (prometheus, alertmanager): http or
/// https, with a host.
pub(super) fn api_url(url: Option<&Spanned<String>>, scope: &mut Scope<'_, '_>, example: &str) -> Option<reqwest::Url> {
    let Some(url) = url else {
        scope.needs("url", &format!("add `url = \"{example}\"`"));
        return None;
    };
    http_url(scope, "url", url, &format!("write the server's address, such as `{example}`"))
}

/// `base` with `path` under it (a base with a path prefix keeps it).
pub(super) fn under(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    let joined = format!("{}/{}", base.path().trim_end_matches('/'), path.trim_start_matches('/'));
    url.set_path(&joined);
    url
}

pub fn remote(_: &Spec) -> bool {
    true
}

/// Connection pools, one per (verify TLS, redirect limit), shared by every http check so
/// keep-alive connections are reused, and what servers said of their own keep-alive.
#[derive(Clone, Default)]
pub struct HttpClients {
    clients: Arc<Mutex<HashMap<(bool, u32), reqwest::Client>>>,
    /// How long each origin keeps an idle connection open, as it said
    /// (`Keep-Alive: timeout=N`), and when it said so.
    idle_limits: Arc<Mutex<HashMap<String, (Duration, Instant)>>>,
}

/// Idle connections kept per origin: as many as probes can be in flight to it (many
/// checks of one service, due together). Fewer, and every probe past them opens a new
/// connection (measured: at 500 checks of one origin a second, 32 made 80 reconnects a
/// second and cost a fifth more CPU per check); they are bounded by the probes in
/// flight and closed after 90 s idle.
const IDLE_PER_ORIGIN: usize = 1024;

/// A server's keep-alive limit is asked again (by a request that keeps the connection)
/// this long after it was learnt, in case it changed.
const RELEARN_AFTER: Duration = Duration::from_secs(3600);

impl HttpClients {
    /// Whether `origin` closes idle connections before the next probe, `every` from
    /// now: then a pooled connection would be dead when wanted, and its closing would
    /// only wake the app (and hold a socket on the server) for nothing.
    fn closes_before(&self, origin: &str, every: Duration) -> bool {
        let limits = crate::panics::lock(&self.idle_limits);
        limits.get(origin).is_some_and(|(limit, learnt)| *limit < every && learnt.elapsed() < RELEARN_AFTER)
    }

    fn learn(&self, origin: &str, limit: Option<Duration>) {
        let mut limits = crate::panics::lock(&self.idle_limits);
        match limit {
            Some(limit) => {
                limits.insert(origin.to_owned(), (limit, Instant::now()));
            }
            // Most servers say nothing: nothing to learn, nothing allocated.
            None => {
                if !limits.is_empty() {
                    limits.remove(origin);
                }
            }
        }
    }

    /// Builds the pool a check will use, ahead of its first probe: building one loads
    /// the system's certificates, which on a busy machine takes longer than a short
    /// timeout, and must not be timed as the target's answer.
    pub(super) fn prepare(&self, spec: &Spec) {
        if let Err(e) = self.get(spec.verify_tls, spec.max_redirects) {
            tracing::warn!(error = %e, "cannot build an HTTP client; its checks will say so");
        }
    }

    fn get(&self, verify_tls: bool, max_redirects: u32) -> Result<reqwest::Client, reqwest::Error> {
        // The map stays whole whatever panicked while holding it: at worst a client is
        // built twice.
        let mut clients = crate::panics::lock(&self.clients);
        if let Some(client) = clients.get(&(verify_tls, max_redirects)) {
            return Ok(client.clone());
        }
        let redirect = match max_redirects {
            0 => reqwest::redirect::Policy::none(),
            n => reqwest::redirect::Policy::limited(n as usize),
        };
        let client = reqwest::Client::builder()
            .user_agent(concat!("watchkeeper/", env!("CARGO_PKG_VERSION")))
            .redirect(redirect)
            // A probe reports what happened; a silent retry would hide a failure.
            .retry(reqwest::retry::never())
            .tls_danger_accept_invalid_certs(!verify_tls)
            // The server's certificate, for `cert_days`.
            .tls_info(true)
            .no_proxy()
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(IDLE_PER_ORIGIN)
            .build()?;
        clients.insert((verify_tls, max_redirects), client.clone());
        Ok(client)
    }
}

/// One request of a check probed `every` so often. Connections are kept for the next
/// probe, unless the server said it closes them sooner (`Keep-Alive: timeout=N`, as
/// Node and Apache send): then the request asks for `Connection: close`, as Monit's
/// always do, and the connection ends with the answer.
pub async fn probe(spec: &Spec, context: &ProbeContext, timeout: Duration, every: Duration) -> Observation {
    let clients = &context.http;
    let client = match clients.get(spec.verify_tls, spec.max_redirects) {
        Ok(client) => client,
        Err(e) => return Observation::failed(FailureClass::ProbeError, format!("cannot build the HTTP client: {e}")),
    };
    let method = reqwest::Method::from_bytes(spec.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut request = client.request(method, spec.url.clone()).timeout(timeout);
    for (name, value) in &spec.headers {
        request = request.header(name, value.expose());
    }
    let own_connection_header = spec.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("connection"));
    let close = !own_connection_header && clients.closes_before(&spec.origin, every);
    if close {
        request = request.header(reqwest::header::CONNECTION, "close");
    }
    if let Some(body) = &spec.body {
        request = request.body(body.clone());
    }
    let started = Instant::now();
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(e) => return classify(&e, spec.url.as_str()),
    };
    let status = response.status();
    let cert_days = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .and_then(super::tls::facts)
        .map(|leaf| super::tls::days_left(leaf.not_after, std::time::SystemTime::now()));
    // Learnt from a request that kept its connection, answered by the origin itself
    // (not a server it redirected to).
    if !close && !own_connection_header && response.url().origin() == spec.url.origin() {
        clients.learn(&spec.origin, keep_alive_timeout(response.headers()));
    }
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = match capped_body(&mut response, spec.max_body).await {
        Ok(Some(body)) => body,
        Ok(None) => return too_large(status.as_u16(), spec.max_body, headers, started.elapsed()),
        Err(e) => return classify(&e, spec.url.as_str()),
    };
    let latency = started.elapsed();
    let body = text(body);
    // What the service says about itself, when the body is a health body.
    let content_type = headers.iter().find(|(n, _)| n == "content-type").map(|(_, v)| v.as_str());
    let (health, failure) = match super::health::parse(&body, content_type) {
        None => (None, None),
        Some(Ok(health)) => (Some(health), None),
        Some(Err(e)) => {
            let message = format!("HTTP {}: the health body cannot be read: {e}", status.as_u16());
            (None, Some(Failure::new(FailureClass::HealthBody, message)))
        }
    };
    let service_breakers = match &spec.breakers_url {
        Some(url) => {
            let left = timeout.saturating_sub(started.elapsed()).max(Duration::from_millis(100));
            Some(service_breakers(&client, spec, url, left).await)
        }
        None => None,
    };
    let mut values = vec![("status", Value::Int(i64::from(status.as_u16()))), ("body", Value::Text(body))];
    if let Some(days) = cert_days {
        values.push(("cert_days", Value::Int(days)));
    }
    Observation {
        latency: Some(latency),
        values,
        headers,
        summary: format!("HTTP {}", status.as_u16()),
        failure,
        health,
        service_breakers,
    }
}

/// A GET of a JSON API (Prometheus, Alertmanager) through the shared pool, with
/// `headers`, within `timeout`: its status, its body (up to `max_body`) and how long it
/// took; a transport failure is the observation to return.
pub(super) async fn fetch(
    context: &ProbeContext,
    url: reqwest::Url,
    headers: &[(String, Secret)],
    timeout: Duration,
    max_body: u64,
) -> Result<(u16, Vec<u8>, Duration), Observation> {
    let client = context
        .http
        .get(true, 0)
        .map_err(|e| Observation::failed(FailureClass::ProbeError, format!("cannot build the HTTP client: {e}")))?;
    let shown = url.to_string();
    let mut request = client.get(url).timeout(timeout).header(reqwest::header::ACCEPT, "application/json");
    for (name, value) in headers {
        request = request.header(name, value.expose());
    }
    let started = Instant::now();
    let mut response = request.send().await.map_err(|e| classify(&e, &shown))?;
    let status = response.status().as_u16();
    match capped_body(&mut response, max_body).await {
        Ok(Some(body)) => Ok((status, body, started.elapsed())),
        Ok(None) => Err(too_large(status, max_body, Vec::new(), started.elapsed())),
        Err(e) => Err(classify(&e, &shown)),
    }
}

/// A response's body, read up to `max` bytes; `None` when it is larger (by its
/// `Content-Length`, or found while reading).
async fn capped_body(response: &mut reqwest::Response, max: u64) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if response.content_length().is_some_and(|n| n > max) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > max as usize {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// The service's own breakers, from its resilience4j endpoint, with the check's
/// headers (its credentials), within what is left of the timeout. A failure to read
/// them is said beside them, never the check's failure.
async fn service_breakers(
    client: &reqwest::Client,
    spec: &Spec,
    url: &reqwest::Url,
    timeout: Duration,
) -> ServiceBreakers {
    let mut request = client.get(url.clone()).timeout(timeout);
    for (name, value) in &spec.headers {
        request = request.header(name, value.expose());
    }
    let read = async {
        let mut response = request.send().await.map_err(|e| format!("cannot reach {url}: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("{url} answered HTTP {}", status.as_u16()));
        }
        let Some(body) =
            capped_body(&mut response, spec.max_body).await.map_err(|e| format!("cannot read {url}: {e}"))?
        else {
            return Err(format!("{url}: the body is larger than the {} cap", format_size(spec.max_body)));
        };
        super::health::breakers(&String::from_utf8_lossy(&body)).map_err(|e| e.to_string())
    };
    match read.await {
        Ok(breakers) => ServiceBreakers { breakers, error: None },
        Err(error) => ServiceBreakers { breakers: Vec::new(), error: Some(error) },
    }
}

/// A body as text: as it is when it is UTF-8 (no copy), else with its invalid bytes
/// replaced.
fn text(body: Vec<u8>) -> String {
    String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The idle limit a server gives in `Keep-Alive: timeout=N, max=M` (a header from RFC
/// 2068 that Node, Apache and others still send).
fn keep_alive_timeout(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get("keep-alive")?.to_str().ok()?;
    value.split(',').find_map(|part| {
        let (name, seconds) = part.trim().split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("timeout") {
            return None;
        }
        seconds.trim().parse::<u64>().ok().map(Duration::from_secs)
    })
}

fn too_large(status: u16, max: u64, headers: Vec<(String, String)>, latency: Duration) -> Observation {
    let mut observation = Observation::failed(
        FailureClass::BodyTooLarge,
        format!("HTTP {status}: the body is larger than the {} cap", format_size(max)),
    );
    observation.values.push(("status", Value::Int(i64::from(status))));
    observation.headers = headers;
    observation.latency = Some(latency);
    observation
}

/// Classifies a transport error by walking its source chain.
fn classify(error: &reqwest::Error, url: &str) -> Observation {
    let mut chain = Vec::new();
    let mut refused = false;
    // TLS libraries report handshake and certificate failures as invalid data.
    let mut invalid_data = false;
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
            invalid_data |= io.kind() == std::io::ErrorKind::InvalidData;
        }
        chain.push(e.to_string());
        source = e.source();
    }
    let text = chain.join(": ").to_ascii_lowercase();
    let class = if error.is_timeout() {
        FailureClass::Timeout
    } else if refused || text.contains("connection refused") {
        FailureClass::Refused
    } else if text.contains("dns error")
        || text.contains("failed to lookup address")
        || text.contains("name or service not known")
    {
        FailureClass::Dns
    } else if (invalid_data && url.starts_with("https:"))
        || ["certificate", "tls", "handshake", "corrupt message"].iter().any(|needle| text.contains(needle))
    {
        FailureClass::Tls
    } else if error.is_redirect() {
        FailureClass::ProbeError
    } else {
        FailureClass::Connection
    };
    // The innermost cause is the most telling part; the URL is already on the check.
    let detail = chain.last().cloned().unwrap_or_else(|| error.to_string());
    let message = match class {
        FailureClass::Refused => format!("connection refused ({url})"),
        FailureClass::Timeout => "timed out waiting for the response".to_owned(),
        _ => detail,
    };
    Observation::failed(class, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(keep_alive: &str) -> reqwest::header::HeaderMap {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("keep-alive", keep_alive.parse().unwrap());
        headers
    }

    #[test]
    fn the_keep_alive_timeout_is_read_from_the_header() {
        assert_eq!(keep_alive_timeout(&headers("timeout=5")), Some(Duration::from_secs(5)));
        assert_eq!(keep_alive_timeout(&headers("max=100, Timeout = 75")), Some(Duration::from_secs(75)));
        assert_eq!(keep_alive_timeout(&headers("max=100")), None);
        assert_eq!(keep_alive_timeout(&headers("timeout=soon")), None);
        assert_eq!(keep_alive_timeout(&reqwest::header::HeaderMap::new()), None);
    }

    #[test]
    fn a_limit_shorter_than_the_interval_closes_and_is_asked_again_later() {
        let clients = HttpClients::default();
        let origin = "http://127.0.0.1:8080";
        assert!(!clients.closes_before(origin, Duration::from_secs(10)), "nothing known: keep");
        clients.learn(origin, Some(Duration::from_secs(5)));
        assert!(clients.closes_before(origin, Duration::from_secs(10)));
        assert!(!clients.closes_before(origin, Duration::from_secs(1)), "probed within the limit: keep");
        assert!(!clients.closes_before("http://127.0.0.1:9090", Duration::from_secs(10)), "per origin");
        let long_ago = Instant::now().checked_sub(RELEARN_AFTER + Duration::from_secs(1));
        if let Some(long_ago) = long_ago {
            clients.idle_limits.lock().unwrap().insert(origin.to_owned(), (Duration::from_secs(5), long_ago));
            assert!(!clients.closes_before(origin, Duration::from_secs(10)), "learnt an hour ago: ask again");
        }
        clients.learn(origin, None);
        assert!(!clients.closes_before(origin, Duration::from_secs(10)), "the server stopped saying: keep");
    }
}
