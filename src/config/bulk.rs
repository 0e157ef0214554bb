//! Bulk add: pasted lines (URLs, `host:port`, host names) turned into checks to review
//! before they are added, each with an id of its own. Pure: the caller adds those it
//! keeps through the same edit as one check (`engine::edit`).

use serde_json::{json, Map, Value};

use crate::model::{id_slug, unique_id};

/// What the lines are to become, when they do not say (a URL is always `http`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkKind {
    /// From each line's form: a URL is `http`, `host:port` is `tcp`, a bare host `http`
    /// on `https://HOST/`.
    Auto,
    Http,
    Tcp,
    Dns,
    Tls,
}

impl BulkKind {
    pub fn parse(text: &str) -> Option<BulkKind> {
        Some(match text {
            "auto" | "" => BulkKind::Auto,
            "http" => BulkKind::Http,
            "tcp" => BulkKind::Tcp,
            "dns" => BulkKind::Dns,
            "tls" => BulkKind::Tls,
            _ => return None,
        })
    }

    /// Every kind a bulk add can make, by name.
    pub const NAMES: [&'static str; 5] = ["auto", "http", "tcp", "dns", "tls"];
}

/// One line, as a check to add or as why it cannot be one.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Its line number (from 1) and text.
    pub line: usize,
    pub text: String,
    pub outcome: Result<Map<String, Value>, LineError>,
}

/// Why a line makes no check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("not a URL: {0}")]
    NotUrl(String),
    #[error("a `{0}://` URL: only http and https URLs make checks here")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("a line is one URL, `host:port` or host name")]
    NotOne,
    #[error("an IPv6 address opened with `[` is closed with `]`")]
    Unclosed,
    #[error("`{0}` is not a port (1 to 65535)")]
    BadPort(String),
    #[error("`{0}` is not a host name or address")]
    BadHost(String),
    #[error("a tcp check needs a port: write `host:port`")]
    NeedsPort,
}

/// The lines as checks of `kind`, each given `defaults` (`interval = "30s"`) and an id
/// none of `taken` has (nor an earlier line's). Blank lines and `#` comments are skipped.
pub fn propose(lines: &str, kind: BulkKind, defaults: &Map<String, Value>, taken: &[String]) -> Vec<Proposal> {
    let mut ids: Vec<String> = taken.to_vec();
    let mut out = Vec::new();
    for (n, raw) in lines.lines().enumerate() {
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let outcome = target_of(text).and_then(|target| check_of(&target, kind)).map(|(stem, mut check)| {
            let id = unique_id(&id_slug(&stem, 60, "check"), |id| ids.iter().any(|t| t == id));
            ids.push(id.clone());
            let mut keys = Map::new();
            keys.insert("id".into(), id.into());
            keys.append(&mut check);
            for (key, value) in defaults {
                keys.entry(key.clone()).or_insert_with(|| value.clone());
            }
            keys
        });
        out.push(Proposal { line: n + 1, text: text.to_owned(), outcome });
    }
    out
}

/// What a line names.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    url: Option<reqwest::Url>,
    host: String,
    port: Option<u16>,
}

fn target_of(text: &str) -> Result<Target, LineError> {
    if text.contains("://") {
        let url = reqwest::Url::parse(text).map_err(|e| LineError::NotUrl(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(LineError::Scheme(url.scheme().to_owned()));
        }
        let host = url.host_str().ok_or(LineError::NoHost)?.trim_matches(['[', ']']).to_owned();
        let port = url.port();
        return Ok(Target { url: Some(url), host, port });
    }
    if text.chars().any(char::is_whitespace) {
        return Err(LineError::NotOne);
    }
    // `[::1]:8080`, `host:port`, or a bare host (an IPv6 address has several colons).
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(LineError::Unclosed)?;
        (host, after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) if !host.contains(':') => (host, Some(port)),
            _ => (text, None),
        }
    };
    let port = match port {
        None => None,
        Some(port) => {
            Some(port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| LineError::BadPort(port.to_owned()))?)
        }
    };
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':')) {
        return Err(LineError::BadHost(host.to_owned()));
    }
    Ok(Target { url: None, host: host.to_owned(), port })
}

/// The check a target makes as `kind`, and the text its id is made from.
fn check_of(target: &Target, kind: BulkKind) -> Result<(String, Map<String, Value>), LineError> {
    let host = &target.host;
    let with_port = |port: u16| format!("{host}-{port}");
    let keys = |value: Value| value.as_object().cloned().unwrap_or_default();
    Ok(match (kind, &target.url, target.port) {
        (BulkKind::Auto | BulkKind::Http, Some(url), _) => {
            // Its port, when the URL says one, and its path tell two URLs of a host apart.
            let base = target.port.map_or(host.clone(), with_port);
            let path = url.path().trim_matches('/');
            let stem = if path.is_empty() { base } else { format!("{base}-{path}") };
            (stem, keys(json!({"kind": "http", "url": url.as_str()})))
        }
        (BulkKind::Auto | BulkKind::Tcp, None, Some(port)) | (BulkKind::Tcp, Some(_), Some(port)) => {
            (with_port(port), keys(json!({"kind": "tcp", "host": host, "port": port})))
        }
        (BulkKind::Tcp, _, None) => return Err(LineError::NeedsPort),
        (BulkKind::Auto | BulkKind::Http, None, port) => {
            let authority = match port {
                Some(port) => format!("{}:{port}", bracketed(host)),
                None => bracketed(host),
            };
            let scheme = if port.is_some_and(|p| p != 443) { "http" } else { "https" };
            let stem = port.map_or(host.clone(), with_port);
            (stem, keys(json!({"kind": "http", "url": format!("{scheme}://{authority}/")})))
        }
        (BulkKind::Dns, _, _) => (host.clone(), keys(json!({"kind": "dns", "name": host}))),
        (BulkKind::Tls, _, port) => {
            let mut check = keys(json!({"kind": "tls", "host": host}));
            if let Some(port) = port.or(target.url.as_ref().and_then(reqwest::Url::port)) {
                check.insert("port".into(), port.into());
            }
            (port.map_or(host.clone(), with_port), check)
        }
    })
}

fn bracketed(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(proposals: &[Proposal]) -> Vec<Value> {
        proposals
            .iter()
            .map(|p| p.outcome.clone().map_or_else(|e| json!({"error": e.to_string()}), Value::Object))
            .collect()
    }

    #[test]
    fn each_form_of_line_makes_its_check_with_an_id_of_its_own() {
        let lines = "https://shop.example.com/health\n# a comment\n\ndb.internal:5432\n[::1]:8080\nexample.org\nhttps://shop.example.com/health\nftp://x/\nnot a host\nhost:99999\n";
        let defaults = json!({"interval": "30s"}).as_object().cloned().unwrap();
        let proposals = propose(lines, BulkKind::Auto, &defaults, &["example-org".to_owned()]);
        assert_eq!(proposals.iter().map(|p| p.line).collect::<Vec<_>>(), [1, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(
            ok(&proposals),
            [
                json!({"id": "shop-example-com-health", "kind": "http", "url": "https://shop.example.com/health", "interval": "30s"}),
                json!({"id": "db-internal-5432", "kind": "tcp", "host": "db.internal", "port": 5432, "interval": "30s"}),
                json!({"id": "1-8080", "kind": "tcp", "host": "::1", "port": 8080, "interval": "30s"}),
                json!({"id": "example-org-2", "kind": "http", "url": "https://example.org/", "interval": "30s"}),
                json!({"id": "shop-example-com-health-2", "kind": "http", "url": "https://shop.example.com/health", "interval": "30s"}),
                json!({"error": "a `ftp://` URL: only http and https URLs make checks here"}),
                json!({"error": "a line is one URL, `host:port` or host name"}),
                json!({"error": "`99999` is not a port (1 to 65535)"}),
            ]
        );
    }

    #[test]
    fn a_chosen_kind_takes_what_it_needs_from_each_line() {
        let none = Map::new();
        let dns = propose("example.com\nhttps://example.org/x", BulkKind::Dns, &none, &[]);
        assert_eq!(
            ok(&dns),
            [
                json!({"id": "example-com", "kind": "dns", "name": "example.com"}),
                json!({"id": "example-org", "kind": "dns", "name": "example.org"})
            ]
        );
        let tcp = propose("example.com", BulkKind::Tcp, &none, &[]);
        assert_eq!(ok(&tcp), [json!({"error": "a tcp check needs a port: write `host:port`"})]);
        let tls = propose("example.com:8443", BulkKind::Tls, &none, &[]);
        assert_eq!(ok(&tls), [json!({"id": "example-com-8443", "kind": "tls", "host": "example.com", "port": 8443})]);
        let web = propose("127.0.0.1:8080", BulkKind::Http, &none, &[]);
        assert_eq!(ok(&web), [json!({"id": "127-0-0-1-8080", "kind": "http", "url": "http://127.0.0.1:8080/"})]);
    }

    #[test]
    fn every_proposed_check_compiles() {
        let proposals = propose("https://a.example/\nb.example:22\nc.example", BulkKind::Auto, &Map::new(), &[]);
        let mut text = String::new();
        for p in &proposals {
            text = crate::config::edit::add_check(&text, p.outcome.as_ref().unwrap()).unwrap();
        }
        let compiled = crate::config::compile(&text, "wk.toml").map_err(|e| e.to_string()).unwrap();
        assert_eq!(compiled.config.checks.len(), 3);
    }
}
