//! Imports from other monitors: an Uptime Kuma backup (JSON), a Gatus config (YAML)
//! and a Monit control file, read into the checks they can express, each item that
//! cannot be one reported with why. Pure: the text in, checks (as their TOML keys) out;
//! `watchkeeper import` prints them as TOML or appends them through the same edit as
//! `POST /api/v1/checks` (`engine::edit`).
//!
//! Each format is read as its project documents it; what has no Watchkeeper equal is
//! left out with its reason rather than guessed (a Kuma `ping`, a Gatus `icmp://`, a
//! condition that has no counterpart).

use serde_json::{json, Map, Value};

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    UptimeKuma,
    Gatus,
    Monit,
}

impl Format {
    pub const NAMES: [&'static str; 3] = ["uptime-kuma", "gatus", "monit"];

    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "uptime-kuma" | "kuma" => Some(Format::UptimeKuma),
            "gatus" => Some(Format::Gatus),
            "monit" => Some(Format::Monit),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::UptimeKuma => "uptime-kuma",
            Format::Gatus => "gatus",
            Format::Monit => "monit",
        }
    }
}

/// What a file gave: the checks it expresses and what it could not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    pub checks: Vec<Map<String, Value>>,
    /// Each item left out (`monitor "Home"`), and why.
    pub skipped: Vec<(String, String)>,
    /// Parts of an imported check left out (a condition), each with its check and why.
    pub notes: Vec<(String, String)>,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not in any format read here (Uptime Kuma backup JSON, Gatus YAML, Monit control file)")]
    Unknown,
    #[error("not an Uptime Kuma backup: {0}")]
    Kuma(String),
    #[error("not a Gatus config: {0}")]
    Gatus(String),
    #[error("not a Monit control file: {0}")]
    Monit(String),
}

impl ImportError {
    pub fn resolution(&self) -> &'static str {
        match self {
            ImportError::Unknown => "pass --format uptime-kuma, gatus or monit to say which it is",
            ImportError::Kuma(_) => {
                "export it from Uptime Kuma: Settings → Backup → Export (a JSON file with `monitorList`)"
            }
            ImportError::Gatus(_) => "pass Gatus's config.yaml, the file with `endpoints:`",
            ImportError::Monit(_) => "pass a monitrc or a file of its conf.d with `check` statements",
        }
    }
}

/// The format a text is in, by its look.
pub fn detect(text: &str) -> Option<Format> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') && text.contains("monitorList") {
        return Some(Format::UptimeKuma);
    }
    if text.lines().any(|l| l.trim_start().starts_with("endpoints:")) {
        return Some(Format::Gatus);
    }
    let monit = text.lines().any(|l| {
        let l = l.trim_start().to_ascii_lowercase();
        l.starts_with("check ") || l.starts_with("set daemon")
    });
    monit.then_some(Format::Monit)
}

/// Reads `text` as `format` (detected when `None`); ids are made unique against `taken`.
pub fn read(text: &str, format: Option<Format>, taken: &[String]) -> Result<(Format, Imported), ImportError> {
    let format = format.or_else(|| detect(text)).ok_or(ImportError::Unknown)?;
    let mut imported = match format {
        Format::UptimeKuma => kuma(text)?,
        Format::Gatus => gatus(text)?,
        Format::Monit => monit(text)?,
    };
    let mut ids: Vec<String> = taken.to_vec();
    for check in &mut imported.checks {
        let stem = crate::model::id_slug(check.get("id").and_then(Value::as_str).unwrap_or_default(), 60, "imported");
        let id = crate::model::unique_id(&stem, |id| ids.iter().any(|t| t == id));
        ids.push(id.clone());
        check.insert("id".into(), id.into());
    }
    Ok((format, imported))
}

/// Why an item, or a part of one, has no equal here: said to the user as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
struct Why(String);

impl From<&str> for Why {
    fn from(text: &str) -> Why {
        Why(text.to_owned())
    }
}

impl From<String> for Why {
    fn from(text: String) -> Why {
        Why(text)
    }
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// Keys every imported check starts with: its id (from its name) and its name.
fn named(name: &str) -> Map<String, Value> {
    object(json!({"id": name, "name": name}))
}

// ---- Uptime Kuma ----------------------------------------------------------------

/// An Uptime Kuma backup: `monitorList`, each monitor with its `type`.
fn kuma(text: &str) -> Result<Imported, ImportError> {
    let backup: Value = serde_json::from_str(text).map_err(|e| ImportError::Kuma(e.to_string()))?;
    let monitors =
        backup["monitorList"].as_array().ok_or_else(|| ImportError::Kuma("it has no `monitorList`".into()))?;
    let mut out = Imported::default();
    for monitor in monitors {
        let name = monitor["name"].as_str().unwrap_or("unnamed").to_owned();
        let item = format!("monitor {name:?}");
        let kind = monitor["type"].as_str().unwrap_or("");
        let mut check = named(&name);
        let host = monitor["hostname"].as_str().filter(|h| !h.is_empty());
        let made: Result<(), Why> = match kind {
            "http" | "keyword" => match monitor["url"].as_str().filter(|u| !u.is_empty()) {
                None => Err(Why::from("it has no URL")),
                Some(url) => {
                    check.append(&mut object(json!({"kind": "http", "url": url})));
                    if let Some(method) = monitor["method"].as_str().filter(|m| !m.eq_ignore_ascii_case("GET")) {
                        check.insert("method".into(), method.into());
                    }
                    if monitor["ignoreTls"].as_bool() == Some(true) {
                        check.insert("verify_tls".into(), false.into());
                    }
                    if let Some(n) = monitor["maxredirects"].as_u64() {
                        check.insert("max_redirects".into(), n.into());
                    }
                    let mut expect = Vec::new();
                    match kuma_statuses(&monitor["accepted_statuscodes"]) {
                        Ok(mut conditions) => expect.append(&mut conditions),
                        Err(why) => out.notes.push((name.clone(), why.0)),
                    }
                    if kind == "keyword" {
                        let keyword = monitor["keyword"].as_str().unwrap_or_default();
                        if monitor["invertKeyword"].as_bool() == Some(true) {
                            out.notes.push((name.clone(), format!("its inverted keyword ({keyword:?} must be absent) has no condition here: left out")));
                        } else {
                            expect.push(Value::String(format!("body contains {}", quoted(keyword))));
                        }
                    }
                    if !expect.is_empty() {
                        check.insert("expect".into(), Value::Array(expect));
                    }
                    Ok(())
                }
            },
            "port" => match (host, monitor["port"].as_u64()) {
                (Some(host), Some(port)) => {
                    check.append(&mut object(json!({"kind": "tcp", "host": host, "port": port})));
                    Ok(())
                }
                _ => Err("it has no hostname and port".into()),
            },
            "dns" => match host {
                Some(host) => {
                    check.append(&mut object(json!({"kind": "dns", "name": host})));
                    if let Some(record) = monitor["dns_resolve_type"].as_str() {
                        check.insert("record".into(), record.into());
                    }
                    if let Some(server) = monitor["dns_resolve_server"].as_str().filter(|s| !s.is_empty()) {
                        let port = monitor["port"].as_u64().filter(|p| *p != 53);
                        check.insert("server".into(), port.map_or(server.to_owned(), |p| format!("{server}:{p}")).into());
                    }
                    // A dns check's `name` is what it looks up (the monitor's name went).
                    Ok(())
                }
                None => Err("it has no hostname".into()),
            },
            "docker" => match monitor["docker_container"].as_str().filter(|c| !c.is_empty()) {
                Some(container) => {
                    check.append(&mut object(json!({"kind": "docker", "container": container})));
                    Ok(())
                }
                None => Err("it names no container".into()),
            },
            "push" => {
                let every = monitor["interval"].as_u64().unwrap_or(60);
                check.append(&mut object(json!({"kind": "heartbeat", "grace": format!("{every}s")})));
                out.notes.push((name.clone(), "a push monitor becomes a heartbeat check with a new push URL: point the job at it".into()));
                Ok(())
            }
            "group" => Err("a group: here a group is a check's `group` key".into()),
            "ping" => Err("a ping (ICMP) monitor: Watchkeeper has no ping check; a tcp check on a port the host serves is the nearest".into()),
            other => Err(format!("a `{other}` monitor has no Watchkeeper equal").into()),
        };
        match made {
            Err(why) => out.skipped.push((item, why.0)),
            Ok(()) => {
                if let Some(interval) = monitor["interval"].as_u64().filter(|_| kind != "push") {
                    check.insert("interval".into(), format!("{interval}s").into());
                }
                if let Some(timeout) = monitor["timeout"].as_f64().filter(|t| *t > 0.0) {
                    check.insert("timeout".into(), format!("{}ms", (timeout * 1000.0).round() as u64).into());
                }
                if let Some(retries) = monitor["maxretries"].as_u64().filter(|r| *r > 0) {
                    check.insert("failure_threshold".into(), (retries + 1).into());
                }
                if monitor["active"].as_bool() == Some(false) || monitor["active"].as_u64() == Some(0) {
                    out.notes.push((
                        name.clone(),
                        "paused in Uptime Kuma: imported active (pause it here if it should stay quiet)".into(),
                    ));
                }
                out.checks.push(check);
            }
        }
    }
    Ok(out)
}

/// `accepted_statuscodes` (`["200-299"]`, `["200", "301"]`) as conditions, when one
/// range says it (conditions here all hold at once: two ranges cannot be said).
fn kuma_statuses(codes: &Value) -> Result<Vec<Value>, Why> {
    let codes: Vec<&str> = codes.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    match codes.as_slice() {
        [] => Ok(Vec::new()),
        [one] => match one.split_once('-') {
            Some((low, high)) => Ok(vec![format!("status >= {low}").into(), format!("status <= {high}").into()]),
            None => Ok(vec![format!("status == {one}").into()]),
        },
        many => Err(format!(
            "accepted status codes {} are several ranges: the default (below 400) is kept",
            many.join(", ")
        )
        .into()),
    }
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

// ---- Gatus ----------------------------------------------------------------------

/// A Gatus config: `endpoints`, each with a `url` whose scheme says what it is, and
/// its `conditions`.
fn gatus(text: &str) -> Result<Imported, ImportError> {
    let config: Value = serde_yaml_ng::from_str(text).map_err(|e| ImportError::Gatus(e.to_string()))?;
    let endpoints =
        config["endpoints"].as_array().ok_or_else(|| ImportError::Gatus("it has no `endpoints` list".into()))?;
    let mut out = Imported::default();
    for endpoint in endpoints {
        let name = endpoint["name"].as_str().unwrap_or("unnamed").to_owned();
        let item = format!("endpoint {name:?}");
        let Some(url) = endpoint["url"].as_str() else {
            out.skipped.push((item, "it has no url".into()));
            continue;
        };
        let mut check = named(&name);
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let kind = match scheme {
            "http" | "https" => {
                check.append(&mut object(json!({"kind": "http", "url": url})));
                if let Some(method) = endpoint["method"].as_str().filter(|m| !m.eq_ignore_ascii_case("GET")) {
                    check.insert("method".into(), method.into());
                }
                if let Some(body) = endpoint["body"].as_str() {
                    check.insert("body".into(), body.into());
                }
                if let Some(headers) = endpoint["headers"].as_object() {
                    check.insert("headers".into(), Value::Object(headers.clone()));
                }
                "http"
            }
            "tcp" | "tls" | "starttls" => {
                match rest.rsplit_once(':').and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?))) {
                    Some((host, port)) => {
                        let kind = if scheme == "tcp" { "tcp" } else { "tls" };
                        check.append(&mut object(
                            json!({"kind": kind, "host": host.trim_matches(['[', ']']), "port": port}),
                        ));
                        kind
                    }
                    None => {
                        out.skipped.push((item, format!("`{url}` has no host:port")));
                        continue;
                    }
                }
            }
            _ if endpoint["dns"].is_object() => {
                let dns = &endpoint["dns"];
                let Some(query) = dns["query-name"].as_str() else {
                    out.skipped.push((item, "its dns has no query-name".into()));
                    continue;
                };
                // A dns check's `name` is what it looks up.
                check.append(&mut object(json!({"kind": "dns", "name": query})));
                if let Some(record) = dns["query-type"].as_str() {
                    check.insert("record".into(), record.into());
                }
                check.insert("server".into(), url.trim_start_matches("udp://").trim_start_matches("tcp://").into());
                "dns"
            }
            other => {
                let why = match other {
                    "icmp" => "an icmp:// endpoint: Watchkeeper has no ping check".to_owned(),
                    "" => format!("`{url}` has no scheme"),
                    other => format!("a `{other}://` endpoint has no Watchkeeper equal"),
                };
                out.skipped.push((item, why));
                continue;
            }
        };
        if let Some(group) = endpoint["group"].as_str() {
            check.insert("group".into(), group.into());
        }
        if let Some(interval) = endpoint["interval"].as_str() {
            check.insert("interval".into(), interval.into());
        }
        if endpoint["enabled"].as_bool() == Some(false) {
            out.notes.push((name.clone(), "disabled in Gatus: imported enabled".into()));
        }
        let mut expect = Vec::new();
        for condition in endpoint["conditions"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            match gatus_condition(condition, kind) {
                Ok(Some(c)) => expect.push(Value::String(c)),
                Ok(None) => {}
                Err(why) => out.notes.push((name.clone(), format!("condition `{condition}` left out: {why}"))),
            }
        }
        if !expect.is_empty() {
            check.insert("expect".into(), Value::Array(expect));
        }
        out.checks.push(check);
    }
    Ok(out)
}

/// A Gatus condition as one here: `None` for what every check of the kind already
/// asks (`[CONNECTED] == true`).
fn gatus_condition(condition: &str, kind: &str) -> Result<Option<String>, Why> {
    const OPS: [&str; 6] = ["==", "!=", "<=", ">=", "<", ">"];
    let Some((left, op, right)) =
        OPS.iter().find_map(|op| condition.split_once(op).map(|(l, r)| (l.trim(), *op, r.trim())))
    else {
        return Err("no comparison in it".into());
    };
    let value = |v: &str| if v.parse::<f64>().is_ok() { v.to_owned() } else { quoted(v.trim_matches('"')) };
    Ok(Some(match left {
        "[CONNECTED]" if right == "true" && op == "==" => return Ok(None),
        "[STATUS]" if kind == "http" => match right.strip_prefix("pat(").or(right.strip_prefix("any(")) {
            Some(_) => return Err("patterns and any() have no equal".into()),
            None => format!("status {op} {right}"),
        },
        "[RESPONSE_TIME]" => format!("latency {op} {}ms", right.trim_end_matches("ms")),
        "[BODY]" if kind == "http" => match (op, right.strip_prefix("pat(").and_then(|p| p.strip_suffix(')'))) {
            ("==", Some(pattern)) if pattern.starts_with('*') && pattern.ends_with('*') => {
                format!("body contains {}", quoted(pattern.trim_matches('*')))
            }
            (_, Some(_)) => return Err("a body pattern other than *text* has no equal".into()),
            _ => format!("body {op} {}", value(right)),
        },
        path if kind == "http" && path.starts_with("[BODY].") => {
            format!("json.{} {op} {}", path.trim_start_matches("[BODY]."), value(right))
        }
        "[CERTIFICATE_EXPIRATION]" => {
            let days = crate::units::parse_duration(right).map_err(|e| Why(e.to_string()))?.as_secs() / 86_400;
            format!("cert_days {op} {days}")
        }
        other => return Err(format!("`{other}` has no equal for a {kind} check").into()),
    }))
}

// ---- Monit ----------------------------------------------------------------------

/// A Monit control file: its `check` statements and the tests under each.
fn monit(text: &str) -> Result<Imported, ImportError> {
    let mut out = Imported::default();
    let mut interval: Option<u64> = None;
    // Statements: a line starting with `check` or `set` begins one; others continue it.
    let mut statements: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("check ") || lower.starts_with("set ") || lower.starts_with("include ") {
            statements.push(vec![line.to_owned()]);
        } else if let Some(last) = statements.last_mut() {
            last.push(line.to_owned());
        } else {
            return Err(ImportError::Monit(format!("`{line}` comes before any statement")));
        }
    }
    if !statements.iter().any(|s| s[0].to_ascii_lowercase().starts_with("check ")) {
        return Err(ImportError::Monit("it has no `check` statement".into()));
    }
    for statement in &statements {
        let words: Vec<&str> = statement[0].split_whitespace().collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        if lower.first().map(String::as_str) == Some("set") && lower.get(1).map(String::as_str) == Some("daemon") {
            interval = words.get(2).and_then(|n| n.parse().ok());
        }
    }
    for statement in statements.iter().filter(|s| s[0].to_ascii_lowercase().starts_with("check ")) {
        let words: Vec<String> = statement[0].split_whitespace().map(|w| w.trim_matches('"').to_owned()).collect();
        let (Some(what), Some(name)) = (words.get(1).map(|w| w.to_ascii_lowercase()), words.get(2).cloned()) else {
            continue;
        };
        let item = format!("check {what} {name}");
        let after =
            |key: &str| words.iter().position(|w| w.eq_ignore_ascii_case(key)).and_then(|i| words.get(i + 1)).cloned();
        let tests: Vec<String> = statement[1..].iter().map(|l| l.to_ascii_lowercase()).collect();
        let mut made: Vec<Map<String, Value>> = Vec::new();
        match what.as_str() {
            "host" => {
                let Some(address) = after("address") else {
                    out.skipped.push((item, "it has no address".into()));
                    continue;
                };
                for test in &statement[1..] {
                    let lower = test.to_ascii_lowercase();
                    let Some(port) = word_after(&lower, "port").and_then(|p| p.parse::<u16>().ok()) else { continue };
                    let protocol = word_after(&lower, "protocol");
                    let mut check = named(&format!("{name}-{port}"));
                    match protocol.as_deref() {
                        Some(p @ ("http" | "https")) => {
                            let path = quoted_after(test, "request").unwrap_or_else(|| "/".to_owned());
                            let url = format!("{p}://{address}:{port}{path}");
                            check.append(&mut object(json!({"kind": "http", "url": url})));
                        }
                        _ => check.append(&mut object(json!({"kind": "tcp", "host": address, "port": port}))),
                    }
                    if let Some(seconds) = word_before(&lower, "seconds").and_then(|s| s.parse::<u64>().ok()) {
                        check.insert("timeout".into(), format!("{seconds}s").into());
                    }
                    made.push(check);
                }
                if made.is_empty() {
                    out.skipped.push((item, "it has no port test (a ping has no equal here)".into()));
                    continue;
                }
            }
            "process" => {
                let mut check = named(&name);
                check.insert("kind".into(), "process".into());
                match (after("pidfile"), after("matching")) {
                    (Some(pidfile), _) => check.insert("pid_file".into(), pidfile.into()),
                    (None, Some(pattern)) => check.insert("cmdline".into(), pattern.into()),
                    (None, None) => check.insert("process".into(), name.clone().into()),
                };
                made.push(check);
                for test in &tests {
                    if let Some(port) = word_after(test, "port").and_then(|p| p.parse::<u16>().ok()) {
                        let mut port_check = named(&format!("{name}-{port}"));
                        port_check.append(&mut object(json!({"kind": "tcp", "host": "127.0.0.1", "port": port})));
                        made.push(port_check);
                    }
                }
                if tests.iter().any(|t| t.contains("restart") || t.contains("start program")) {
                    out.notes.push((
                        name.clone(),
                        "its start and restart programs are not imported: declare a restart [[action]] for it".into(),
                    ));
                }
            }
            "filesystem" => {
                let Some(path) = after("path") else {
                    out.skipped.push((item, "it has no path".into()));
                    continue;
                };
                let mut check = named(&name);
                check.append(&mut object(json!({"kind": "system", "metric": "disk", "mount": path})));
                if let Some(limit) =
                    tests.iter().find_map(|t| t.contains("space usage").then(|| percent_after(t, ">")).flatten())
                {
                    check.insert("expect".into(), json!([format!("value < {limit}")]));
                }
                made.push(check);
            }
            "file" => match after("path") {
                Some(path) => {
                    let mut check = named(&name);
                    check.append(&mut object(json!({"kind": "file", "path": path})));
                    made.push(check);
                }
                None => {
                    out.skipped.push((item, "it has no path".into()));
                    continue;
                }
            },
            "program" => match after("path") {
                Some(path) => {
                    let mut check = named(&name);
                    let command: Vec<String> = path.split_whitespace().map(str::to_owned).collect();
                    check.append(&mut object(json!({"kind": "command", "command": command})));
                    made.push(check);
                }
                None => {
                    out.skipped.push((item, "it has no path".into()));
                    continue;
                }
            },
            "system" => {
                for (metric, key) in [
                    ("load1", "loadavg (1min)"),
                    ("load5", "loadavg (5min)"),
                    ("load15", "loadavg (15min)"),
                    ("memory", "memory usage"),
                    ("cpu", "cpu usage"),
                    ("swap", "swap usage"),
                ] {
                    let Some(test) = tests.iter().find(|t| t.contains(key)) else { continue };
                    let mut check = named(&format!("{name}-{metric}"));
                    check.append(&mut object(json!({"kind": "system", "metric": metric})));
                    if let Some(limit) = percent_after(test, ">") {
                        check.insert("expect".into(), json!([format!("value < {limit}")]));
                    }
                    made.push(check);
                }
                if made.is_empty() {
                    out.skipped.push((item, "none of its tests (loadavg, memory, cpu, swap usage) is there".into()));
                    continue;
                }
            }
            other => {
                out.skipped.push((item, format!("a `check {other}` has no Watchkeeper equal")));
                continue;
            }
        }
        for mut check in made {
            if let Some(seconds) = interval {
                check.insert("interval".into(), format!("{seconds}s").into());
            }
            out.checks.push(check);
        }
    }
    Ok(out)
}

/// The word after `key` in a test line.
fn word_after(line: &str, key: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.iter().position(|w| *w == key).and_then(|i| words.get(i + 1)).map(|w| w.trim_matches('"').to_owned())
}

/// The word before `key` in a test line.
fn word_before(line: &str, key: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == key)
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| words.get(i))
        .map(|w| (*w).to_owned())
}

/// The quoted text after `key` (`request "/health"`), as written.
fn quoted_after(line: &str, key: &str) -> Option<String> {
    let at = line.to_ascii_lowercase().find(key)? + key.len();
    let rest = line.get(at..)?.trim_start().strip_prefix('"')?;
    rest.split_once('"').map(|(path, _)| path.to_owned())
}

/// The number after `op` in `space usage > 90%`.
fn percent_after(line: &str, op: &str) -> Option<String> {
    let rest = line.split_once(op)?.1.trim_start();
    let number: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    (!number.is_empty()).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiles(imported: &Imported) {
        let mut text = String::new();
        for check in &imported.checks {
            text = crate::config::edit::add_check(&text, check).unwrap();
        }
        if let Err(errors) = crate::config::compile(&text, "imported.toml") {
            panic!("{errors}\n{text}");
        }
    }

    #[test]
    fn the_format_is_told_by_its_look() {
        assert_eq!(detect("{\"version\":\"1.23.0\",\"monitorList\":[]}"), Some(Format::UptimeKuma));
        assert_eq!(detect("# gatus\nendpoints:\n  - name: x\n"), Some(Format::Gatus));
        assert_eq!(detect("set daemon 30\ncheck host a with address b\n"), Some(Format::Monit));
        assert_eq!(detect("[[check]]\nid = \"a\"\n"), None);
        assert!(matches!(read("[[check]]", None, &[]), Err(ImportError::Unknown)));
        assert!(matches!(read("endpoints: 3", Some(Format::Gatus), &[]), Err(ImportError::Gatus(_))));
        assert!(matches!(read("endpoints:\n- name: x", Some(Format::UptimeKuma), &[]), Err(ImportError::Kuma(_))));
    }

    #[test]
    fn gatus_conditions_become_conditions_or_say_why_not() {
        let c = |s: &str| gatus_condition(s, "http");
        assert_eq!(c("[STATUS] == 200"), Ok(Some("status == 200".into())));
        assert_eq!(c("[RESPONSE_TIME] < 300"), Ok(Some("latency < 300ms".into())));
        assert_eq!(c("[BODY].status == UP"), Ok(Some("json.status == \"UP\"".into())));
        assert_eq!(c("[BODY] == pat(*healthy*)"), Ok(Some("body contains \"healthy\"".into())));
        assert_eq!(c("[CERTIFICATE_EXPIRATION] > 48h"), Ok(Some("cert_days > 2".into())));
        assert_eq!(c("[CONNECTED] == true"), Ok(None));
        assert!(c("[DOMAIN_EXPIRATION] > 720h").is_err());
        assert!(c("[STATUS] == any(200, 201)").is_err());
    }

    #[test]
    fn every_check_imported_compiles_and_ids_are_unique() {
        let (_, imported) = read(
            "check host web with address 127.0.0.1\n  if failed port 80 protocol http and request \"/health\" then alert\n  if failed port 22 then alert\ncheck host web2 with address 10.0.0.1\n  if failed port 80 then alert\n",
            None,
            &["web-80".to_owned()],
        )
        .unwrap();
        let ids: Vec<&str> = imported.checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["web-80-2", "web-22", "web2-80"]);
        assert_eq!(imported.checks[0]["url"], "http://127.0.0.1:80/health");
        compiles(&imported);
    }
}
