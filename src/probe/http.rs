//! `kind = "http"`: one request, the body read up to a cap, failures classified;
//! `status`, `latency`, `body`, `json.<path>` and `header.<name>` are its values, and
//! for https `cert_days` (the days left on the server's certificate).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::http1::{self, Connections, Request, Response};
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

/// The http checks' kept connections, and what servers said of their own keep-alive.
#[derive(Clone, Default)]
pub struct HttpClients {
    connections: Connections,
    /// How long each origin keeps an idle connection open, as it said
    /// (`Keep-Alive: timeout=N`), and when it said so.
    idle_limits: Arc<Mutex<HashMap<String, (Duration, Instant)>>>,
}

/// A server's keep-alive limit is asked again (by a request that keeps the connection)
/// this long after it was learnt, in case it changed.
const RELEARN_AFTER: Duration = Duration::from_secs(3600);

impl HttpClients {
    /// Whether `origin` closes idle connections before the next probe, `every` from
    /// now: then a kept connection would be dead when wanted, and would only hold a
    /// socket on the server for nothing.
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

    /// Sets up what a check's first probe needs, ahead of it: for https, the system's
    /// certificates, which on a busy machine take longer to load than a short timeout,
    /// and must not be timed as the target's answer.
    pub(super) fn prepare(&self, spec: &Spec) {
        Connections::prepare(&spec.url, spec.verify_tls);
    }
}

/// One request of a check probed `every` so often, redirects followed up to its
/// `max_redirects`. Connections are kept for the next probe, unless the server said it
/// closes them sooner (`Keep-Alive: timeout=N`, as Node and Apache send): then the
/// request asks for `Connection: close`, as Monit's always do, and the connection ends
/// with the answer.
pub async fn probe(spec: &Spec, context: &ProbeContext, timeout: Duration, every: Duration) -> Observation {
    let clients = &context.http;
    let own_connection_header = spec.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("connection"));
    let close = !own_connection_header && clients.closes_before(&spec.origin, every);
    let started = Instant::now();
    let exchange = follow(clients, spec, close);
    let (url, response) = match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(answered)) => answered,
        Ok(Err(failed)) => return failed,
        Err(_) => return Observation::failed(FailureClass::Timeout, "timed out waiting for the response"),
    };
    let latency = started.elapsed();
    let status = response.status;
    let cert_days = response
        .certificate
        .as_ref()
        .and_then(|leaf| super::tls::facts(leaf))
        .map(|leaf| super::tls::days_left(leaf.not_after, std::time::SystemTime::now()));
    // Learnt from a request that kept its connection, answered by the origin itself
    // (not a server it redirected to).
    if !close && !own_connection_header && same_origin(&url, &spec.url) {
        clients.learn(&spec.origin, keep_alive_timeout(&response.headers));
    }
    let Some(body) = response.body else {
        return too_large(status, spec.max_body, response.headers, latency);
    };
    let headers = response.headers;
    let body = text(body);
    // What the service says about itself, when the body is a health body.
    let content_type = headers.iter().find(|(n, _)| n == "content-type").map(|(_, v)| v.as_str());
    let (health, failure) = match super::health::parse(&body, content_type) {
        None => (None, None),
        Some(Ok(health)) => (Some(health), None),
        Some(Err(e)) => {
            let message = format!("HTTP {status}: the health body cannot be read: {e}");
            (None, Some(Failure::new(FailureClass::HealthBody, message)))
        }
    };
    let service_breakers = match &spec.breakers_url {
        Some(url) => {
            let left = timeout.saturating_sub(started.elapsed()).max(Duration::from_millis(100));
            Some(service_breakers(clients, spec, url, left).await)
        }
        None => None,
    };
    let mut values = vec![("status", Value::Int(i64::from(status))), ("body", Value::Text(body))];
    if let Some(days) = cert_days {
        values.push(("cert_days", Value::Int(days)));
    }
    Observation {
        latency: Some(latency),
        values,
        headers,
        summary: format!("HTTP {status}"),
        failure,
        health,
        service_breakers,
    }
}

/// The check's request, and the requests its redirects ask for (at most
/// `max_redirects`; with none allowed, a redirect is the answer): the URL that
/// answered, and its answer.
async fn follow<'s>(
    clients: &HttpClients,
    spec: &'s Spec,
    close: bool,
) -> Result<(std::borrow::Cow<'s, reqwest::Url>, Response), Observation> {
    // The check's own URL, not copied unless a redirect replaces it.
    let mut url = std::borrow::Cow::Borrowed(&spec.url);
    let mut method = spec.method.as_str();
    let mut body = spec.body.as_deref().map(str::as_bytes);
    let mut headers = std::borrow::Cow::Borrowed(&spec.headers[..]);
    let mut hops = 0;
    loop {
        let request = Request {
            method,
            url: &url,
            headers: &headers,
            body,
            close,
            verify_tls: spec.verify_tls,
            max_body: spec.max_body,
        };
        let response = clients.connections.send(&request).await.map_err(|e| classify(&e, &url))?;
        let next = match response.header("location") {
            Some(location) if matches!(response.status, 301 | 302 | 303 | 307 | 308) && spec.max_redirects > 0 => {
                url.join(location).ok().filter(|next| matches!(next.scheme(), "http" | "https"))
            }
            _ => None,
        };
        let Some(next) = next else { return Ok((url, response)) };
        if hops == spec.max_redirects {
            return Err(Observation::failed(
                FailureClass::ProbeError,
                format!("more than {} redirects (the last to {})", spec.max_redirects, shown_url(&next)),
            ));
        }
        hops += 1;
        // As browsers do: a 303, or a POST moved by 301 or 302, is fetched with GET.
        if response.status == 303 || (matches!(response.status, 301 | 302) && method == "POST") {
            method = if method == "HEAD" { "HEAD" } else { "GET" };
            body = None;
            // The body's own headers go with it: a length promised and not sent would
            // keep the server waiting.
            headers = without(&headers, &["content-length", "content-type", "content-encoding"]);
        }
        // Credentials go to the origin they were given for, not to another.
        if !same_origin(&next, &url) {
            headers = without(&headers, &["authorization", "cookie", "proxy-authorization"]);
        }
        url = std::borrow::Cow::Owned(next);
    }
}

/// `headers` but those named in `names` (lower case).
fn without<'a>(headers: &[(String, Secret)], names: &[&str]) -> std::borrow::Cow<'a, [(String, Secret)]> {
    let kept = headers.iter().filter(|(name, _)| !names.iter().any(|n| name.eq_ignore_ascii_case(n)));
    std::borrow::Cow::Owned(kept.cloned().collect())
}

/// Whether two URLs have one origin (scheme, host, port), compared in place:
/// `Url::origin` copies the host, on every probe.
fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

/// A GET of a JSON API (Prometheus, Alertmanager) on the checks' kept connections,
/// with `headers`, within `timeout`: its status, its body (up to `max_body`) and how
/// long it took; a transport failure is the observation to return.
pub(super) async fn fetch(
    context: &ProbeContext,
    url: reqwest::Url,
    headers: &[(String, Secret)],
    timeout: Duration,
    max_body: u64,
) -> Result<(u16, Vec<u8>, Duration), Observation> {
    let mut with_accept = headers.to_vec();
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("accept")) {
        with_accept.push(("accept".to_owned(), Secret::plain("application/json".to_owned())));
    }
    let request = Request {
        method: "GET",
        url: &url,
        headers: &with_accept,
        body: None,
        close: false,
        verify_tls: true,
        max_body,
    };
    let started = Instant::now();
    let response = match tokio::time::timeout(timeout, context.http.connections.send(&request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => return Err(classify(&e, &url)),
        Err(_) => return Err(Observation::failed(FailureClass::Timeout, "timed out waiting for the response")),
    };
    match response.body {
        Some(body) => Ok((response.status, body, started.elapsed())),
        None => Err(too_large(response.status, max_body, Vec::new(), started.elapsed())),
    }
}

/// The service's own breakers, from its resilience4j endpoint, with the check's
/// headers (its credentials), within what is left of the timeout. A failure to read
/// them is said beside them, never the check's failure.
async fn service_breakers(
    clients: &HttpClients,
    spec: &Spec,
    url: &reqwest::Url,
    timeout: Duration,
) -> ServiceBreakers {
    let request = Request {
        method: "GET",
        url,
        headers: &spec.headers,
        body: None,
        close: false,
        verify_tls: spec.verify_tls,
        max_body: spec.max_body,
    };
    let read = async {
        let response = match tokio::time::timeout(timeout, clients.connections.send(&request)).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Err(format!("cannot reach {}: {e}", shown_url(url))),
            Err(_) => return Err(format!("cannot reach {}: timed out", shown_url(url))),
        };
        if !(200..300).contains(&response.status) {
            return Err(format!("{} answered HTTP {}", shown_url(url), response.status));
        }
        let Some(body) = response.body else {
            return Err(format!("{}: the body is larger than the {} cap", shown_url(url), format_size(spec.max_body)));
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
fn keep_alive_timeout(headers: &[(String, String)]) -> Option<Duration> {
    let value = headers.iter().find(|(name, _)| name == "keep-alive").map(|(_, value)| value)?;
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

/// The observation of a request that has no answer.
fn classify(error: &http1::Error, url: &reqwest::Url) -> Observation {
    let class = match error {
        http1::Error::Dns { .. } => FailureClass::Dns,
        http1::Error::Refused(_) => FailureClass::Refused,
        http1::Error::Connect(_, e) | http1::Error::Io(e) => super::tcp::io_class(e),
        http1::Error::Tls(..) => FailureClass::Tls,
        http1::Error::Closed | http1::Error::Invalid(_) => FailureClass::Connection,
        http1::Error::TlsSetUp(_) | http1::Error::Request(_) => FailureClass::ProbeError,
    };
    let message = match error {
        http1::Error::Refused(_) => format!("connection refused ({})", shown_url(url)),
        other => other.to_string(),
    };
    Observation::failed(class, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(keep_alive: &str) -> Vec<(String, String)> {
        vec![("keep-alive".to_owned(), keep_alive.to_owned())]
    }

    #[test]
    fn the_keep_alive_timeout_is_read_from_the_header() {
        assert_eq!(keep_alive_timeout(&headers("timeout=5")), Some(Duration::from_secs(5)));
        assert_eq!(keep_alive_timeout(&headers("max=100, Timeout = 75")), Some(Duration::from_secs(75)));
        assert_eq!(keep_alive_timeout(&headers("max=100")), None);
        assert_eq!(keep_alive_timeout(&headers("timeout=soon")), None);
        assert_eq!(keep_alive_timeout(&[]), None);
    }

    #[test]
    fn an_origin_is_its_scheme_host_and_port() {
        let url = |text: &str| reqwest::Url::parse(text).unwrap();
        assert!(same_origin(&url("http://a.test/x"), &url("http://a.test:80/y?z")), "the default port is the port");
        assert!(!same_origin(&url("http://a.test/"), &url("https://a.test/")));
        assert!(!same_origin(&url("http://a.test/"), &url("http://b.test/")));
        assert!(!same_origin(&url("http://a.test/"), &url("http://a.test:8080/")));
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
