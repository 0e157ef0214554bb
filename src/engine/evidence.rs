//! Evidence on every failure: what a probe saw, made safe to keep (bounded, secrets
//! shown as `••••`), and what changed against the check's last good result.
//!
//! Every up (or degraded) result leaves a small [`Observed`] (no body, no output, only
//! headers worth comparing) as the check's last good; the result that opens an incident
//! is kept whole, with the [`Change`]s between the two. The engine adds this machine's
//! figures for a local target (`probe::local`) before the incident is written.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use regex::Regex;

use crate::condition::JsonCache;
use crate::config::CheckConfig;
use crate::model::{Observation, Value};
use crate::store::evidence::{Cert, Change, Evidence, Observed};

/// The most of a body kept, in bytes (the start of it).
pub const BODY: usize = 2048;
/// The most of a command's output kept, in bytes (the end of it: errors come last).
pub const OUTPUT: usize = 2048;
const HEADERS: usize = 24;
const VALUES: usize = 32;
const ANSWERS: usize = 32;
const CHANGES: usize = 12;
/// Changed headers told, at most.
const HEADER_CHANGES: usize = 4;
/// The longest name and value kept of a header or value.
const NAME: usize = 96;
const TEXT: usize = 240;

/// How a secret is shown.
pub const MASK: &str = "••••";

/// A check's last good result, as its evidence compares with it.
#[derive(Debug, Clone)]
pub struct LastGood {
    pub at: DateTime<Utc>,
    pub observed: Observed,
    /// What it was made of (`fingerprint`).
    pub fingerprint: u64,
}

impl LastGood {
    /// The last good result of `observation`, good at `at`.
    pub fn of(check: &CheckConfig, observation: &Observation, json: &mut JsonCache, at: DateTime<Utc>) -> LastGood {
        LastGood { at, observed: observed(check, observation, json, false), fingerprint: fingerprint(observation) }
    }

    /// Takes a good result whose `fingerprint` is this one's: the same evidence but for
    /// its time and latency.
    pub fn again(&mut self, observation: &Observation, at: DateTime<Utc>) {
        self.at = at;
        self.observed.latency_ms = observation.latency.map(millis);
    }
}

/// What a good result's evidence is made of, hashed: its summary, values (the body
/// among them, which JSON paths read) and the headers a last good keeps. Most good
/// results of a check look alike, and one with the last one's fingerprint is taken
/// with `LastGood::again` rather than made safe and copied anew.
pub fn fingerprint(observation: &Observation) -> u64 {
    use std::hash::{Hash, Hasher};
    fn json(value: &serde_json::Value, hasher: &mut impl Hasher) {
        match value {
            serde_json::Value::Null => 0u8.hash(hasher),
            serde_json::Value::Bool(b) => (1u8, b).hash(hasher),
            serde_json::Value::Number(n) => (2u8, n.as_f64().map(f64::to_bits), n.as_i64()).hash(hasher),
            serde_json::Value::String(s) => (3u8, s).hash(hasher),
            serde_json::Value::Array(items) => {
                (4u8, items.len()).hash(hasher);
                items.iter().for_each(|item| json(item, hasher));
            }
            serde_json::Value::Object(map) => {
                (5u8, map.len()).hash(hasher);
                for (key, item) in map {
                    key.hash(hasher);
                    json(item, hasher);
                }
            }
        }
    }
    let mut hasher = std::hash::DefaultHasher::new();
    observation.summary.hash(&mut hasher);
    for (name, value) in &observation.values {
        name.hash(&mut hasher);
        match value {
            Value::Int(v) => (0u8, v).hash(&mut hasher),
            Value::Float(v) => (1u8, v.to_bits()).hash(&mut hasher),
            Value::Bool(v) => (2u8, v).hash(&mut hasher),
            Value::Text(v) => (3u8, v).hash(&mut hasher),
            Value::Duration(v) => (4u8, v).hash(&mut hasher),
            Value::Bytes(v) => (5u8, v).hash(&mut hasher),
            Value::Json(v) => {
                6u8.hash(&mut hasher);
                json(v, &mut hasher);
            }
        }
    }
    for (name, value) in observation.headers.iter().filter(|(name, _)| !volatile(name)) {
        (name, value).hash(&mut hasher);
    }
    hasher.finish()
}

/// What `observation` shows, made safe to keep. `whole` keeps the body and output (the
/// failing result); a last good keeps neither, and only the headers compared.
pub fn observed(check: &CheckConfig, observation: &Observation, json: &mut JsonCache, whole: bool) -> Observed {
    let secrets = check.probe.secrets();
    let safe = |text: &str| redact_text(text, &secrets);
    let mut observed = Observed {
        summary: cap(&safe(&observation.summary), TEXT * 2),
        latency_ms: observation.latency.map(millis),
        ..Observed::default()
    };
    let mut cert = Cert::default();
    for (name, value) in &observation.values {
        match (*name, value) {
            ("status", Value::Int(status)) => observed.status = Some(*status),
            ("exit", Value::Int(exit)) => observed.exit = Some(*exit),
            ("body", Value::Text(body)) => {
                if whole {
                    observed.body_excerpt = Some(excerpt(body, &secrets));
                }
            }
            ("stdout", Value::Text(output)) => {
                if whole {
                    observed.output = Some(tail(&safe(output), OUTPUT));
                }
            }
            ("answers", Value::Json(serde_json::Value::Array(answers))) => {
                observed.answers = Some(
                    answers.iter().take(ANSWERS).map(|a| cap(&safe(a.as_str().unwrap_or_default()), TEXT)).collect(),
                );
            }
            ("cert_days", Value::Int(days)) => cert.days_left = Some(*days),
            ("issuer", Value::Text(issuer)) => cert.issuer = cap(issuer, TEXT),
            ("subject", Value::Text(subject)) => cert.subject = cap(subject, TEXT),
            ("sans", Value::Json(serde_json::Value::Array(sans))) => {
                cert.sans = sans.iter().take(16).filter_map(|s| s.as_str()).map(|s| cap(s, TEXT)).collect();
            }
            (name, value) => push_value(&mut observed.values, name, &safe(&value.display())),
        }
    }
    if cert != Cert::default() {
        observed.cert = Some(cert);
    }
    // What the conditions read besides the named values: JSON paths, headers, components.
    for condition in check.expect.iter().chain(&check.degraded_if) {
        if matches!(condition.subject, crate::condition::Subject::Field(_)) {
            continue;
        }
        let name = condition.subject.to_string();
        if observed.values.iter().any(|(n, _)| *n == name) {
            continue;
        }
        if let Some(value) = condition.read(observation, json) {
            let value = if secret_name(&name) { MASK.to_owned() } else { safe(&value) };
            push_value(&mut observed.values, &name, &value);
        }
    }
    for (name, value) in &observation.headers {
        if observed.headers.len() == HEADERS {
            break;
        }
        if !whole && volatile(name) {
            continue;
        }
        let value = if secret_name(name) { MASK.to_owned() } else { cap(&safe(value), TEXT) };
        observed.headers.push((cap(name, NAME), value));
    }
    observed
}

fn push_value(values: &mut Vec<(String, String)>, name: &str, value: &str) {
    if values.len() < VALUES {
        values.push((cap(name, NAME), cap(value, TEXT)));
    }
}

fn millis(latency: Duration) -> f64 {
    (latency.as_secs_f64() * 10_000.0).round() / 10.0
}

/// The evidence of a failing result, against the last good one.
pub fn evidence(at: DateTime<Utc>, observed: Observed, last_good: Option<&LastGood>, failed: bool) -> Evidence {
    let changes = last_good.map(|good| changes(&good.observed, &observed, failed)).unwrap_or_default();
    Evidence { at, observed, last_good_at: last_good.map(|good| good.at), changes, local: None }
}

/// What differs between the last good result and this one. `failed`: the probe could
/// not read its target (refused, timed out), so values it did not see are not "gone".
pub fn changes(before: &Observed, after: &Observed, failed: bool) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut change = |what: &str, before: String, after: String| {
        if changes.len() < CHANGES && before != after {
            changes.push(Change { what: what.to_owned(), before: cap(&before, TEXT), after: cap(&after, TEXT) });
        }
    };
    if failed {
        change("result", before.summary.clone(), after.summary.clone());
    }
    if let (Some(b), Some(a)) = (before.status, after.status) {
        change("status", b.to_string(), a.to_string());
    }
    if let (Some(b), Some(a)) = (before.exit, after.exit) {
        change("exit", b.to_string(), a.to_string());
    }
    for (name, was) in &before.values {
        match after.values.iter().find(|(n, _)| n == name) {
            Some((_, now)) => change(name, was.clone(), now.clone()),
            None if !failed => change(name, was.clone(), "absent".to_owned()),
            None => {}
        }
    }
    if let (Some(b), Some(a)) = (&before.answers, &after.answers) {
        change("answers", list(b), list(a));
    }
    if let (Some(b), Some(a)) = (&before.cert, &after.cert) {
        let renewed = matches!((b.days_left, a.days_left), (Some(was), Some(now)) if now > was);
        if renewed || b.subject != a.subject || b.issuer != a.issuer {
            let prefix = if renewed { "renewed: " } else { "" };
            change("certificate", crate::words::cert(b), format!("{prefix}{}", crate::words::cert(a)));
        }
    }
    if let (Some(b), Some(a)) = (before.latency_ms, after.latency_ms) {
        // Slower by half again and by a tenth of a second at least: not jitter.
        if a >= b * 1.5 && a - b >= 100.0 {
            change("latency", crate::words::latency(b), crate::words::latency(a));
        }
    }
    let mut told = 0;
    for (name, was) in before.headers.iter().filter(|(name, _)| !volatile(name)) {
        let now = after.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        if told < HEADER_CHANGES && (now.is_some() || !failed) && now.as_deref() != Some(was.as_str()) {
            told += 1;
            change(&format!("header {name}"), was.clone(), now.unwrap_or_else(|| "absent".to_owned()));
        }
    }
    changes
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// The first line of an incident's evidence, as its notification carries it: its first
/// change (`status: 200 → 503`); `None` when nothing was compared.
pub fn headline(evidence: &Evidence) -> Option<String> {
    evidence.changes.first().map(crate::words::change)
}

/// Headers that differ from one answer to the next: never told as a change, and not
/// kept with a last good result.
fn volatile(name: &str) -> bool {
    const VOLATILE: &[&str] = &[
        "age",
        "cf-ray",
        "connection",
        "content-length",
        "date",
        "etag",
        "expires",
        "keep-alive",
        "last-modified",
        "nel",
        "report-to",
        "request-id",
        "server-timing",
        "set-cookie",
        "traceparent",
        "transfer-encoding",
        "via",
        "x-amz-request-id",
        "x-amzn-requestid",
        "x-cache",
        "x-correlation-id",
        "x-request-id",
        "x-response-time",
        "x-runtime",
        "x-served-by",
        "x-timer",
        "x-trace-id",
    ];
    VOLATILE.contains(&name) || secret_name(name)
}

/// A name whose value is a secret: `authorization`, `cookie`, `api_key`, `password`,
/// `json.auth.token`, `x-session-id`.
pub fn secret_name(name: &str) -> bool {
    const PARTS: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "access_key",
        "accesskey",
        "private_key",
        "privatekey",
        "authorization",
        "cookie",
        "credential",
        "session",
    ];
    let last = name.rsplit(['.', '[']).next().unwrap_or(name);
    // Lowered once (on the stack for a name of up to 64 bytes): every result's headers
    // are asked about.
    let mut buffer = [0u8; 64];
    let lowered = match buffer.get_mut(..name.len()) {
        Some(room) => {
            room.copy_from_slice(name.as_bytes());
            room.make_ascii_lowercase();
            std::borrow::Cow::Borrowed(std::str::from_utf8(room).unwrap_or(name))
        }
        None => std::borrow::Cow::Owned(name.to_ascii_lowercase()),
    };
    PARTS.iter().any(|part| lowered.contains(part))
        || ["pwd", "auth", "key", "pass"].iter().any(|word| last.eq_ignore_ascii_case(word))
}

/// A body's start, safe to keep: in JSON the values of secret names masked, in any
/// text what looks like a password, token or credentials in a URL, and the check's own
/// secrets wherever they appear.
fn excerpt(body: &str, secrets: &[&str]) -> String {
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut json) if json.is_object() || json.is_array() => {
            mask_json(&mut json);
            // Indented: an excerpt is read by people.
            serde_json::to_string_pretty(&json).unwrap_or_default()
        }
        _ => body.to_owned(),
    };
    cap(&redact_text(&text, secrets), BODY)
}

fn mask_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if secret_name(key) && !value.is_object() && !value.is_array() {
                    *value = serde_json::Value::from(MASK);
                } else {
                    mask_json(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// Masks what looks like a secret in free text (`password=…`, `"token": "…"`,
/// `Bearer …`, `https://user:…@host`) and each of `secrets`.
pub fn redact_text(text: &str, secrets: &[&str]) -> String {
    static ASSIGNED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?i)((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization|session(?:[_-]?id)?)["']?\s*[:=]\s*["']?)([^\s"'&,;<>]+)"#,
        )
        .expect("a valid pattern")
    });
    static SCHEME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}").expect("a valid pattern"));
    static USERINFO: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@").expect("a valid pattern"));
    static SCHEME_MASKED: LazyLock<String> = LazyLock::new(|| format!("${{1}} {MASK}"));
    static ASSIGNED_MASKED: LazyLock<String> = LazyLock::new(|| format!("${{1}}{MASK}"));
    static USERINFO_MASKED: LazyLock<String> = LazyLock::new(|| format!("${{1}}{MASK}@"));
    let mut text = text.to_owned();
    for secret in secrets {
        if text.contains(secret) {
            text = text.replace(secret, MASK);
        }
    }
    // Each pattern needs what most texts (a status, a header) lack: those are not
    // searched. This runs for every good result's evidence.
    let scheme = ["bearer", "basic"].iter().any(|word| holds_ignoring_case(&text, word));
    if scheme {
        text = SCHEME.replace_all(&text, SCHEME_MASKED.as_str()).into_owned();
    }
    if text.contains([':', '=']) {
        text = ASSIGNED.replace_all(&text, ASSIGNED_MASKED.as_str()).into_owned();
    }
    if text.contains('@') {
        text = USERINFO.replace_all(&text, USERINFO_MASKED.as_str()).into_owned();
    }
    text
}

/// Whether `text` holds `word` (ASCII), in any case.
fn holds_ignoring_case(text: &str, word: &str) -> bool {
    text.as_bytes().windows(word.len()).any(|window| window.eq_ignore_ascii_case(word.as_bytes()))
}

/// At most `max` bytes of `text` (its start), cut at a character, `…` where cut.
pub fn cap(text: &str, max: usize) -> String {
    let kept = crate::units::prefix(text, max);
    if kept.len() == text.len() {
        text.to_owned()
    } else {
        format!("{kept}…")
    }
}

/// At most `max` bytes of `text` (its end), `…` where cut.
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    #[test]
    fn changes_name_what_differs_from_the_last_good_result() {
        let good = Observed {
            summary: "HTTP 200".into(),
            status: Some(200),
            values: seen(&[("json.db.status", "\"UP\""), ("cert_days", "60")]),
            headers: seen(&[("content-type", "application/json"), ("date", "Mon")]),
            answers: Some(vec!["10.0.0.5".into()]),
            latency_ms: Some(40.0),
            ..Observed::default()
        };
        let bad = Observed {
            summary: "HTTP 503".into(),
            status: Some(503),
            values: seen(&[("json.db.status", "\"DOWN\""), ("cert_days", "60")]),
            headers: seen(&[("content-type", "text/html"), ("date", "Tue")]),
            answers: Some(vec!["10.0.0.9".into()]),
            latency_ms: Some(2100.0),
            ..Observed::default()
        };
        let said: Vec<String> = changes(&good, &bad, false).iter().map(crate::words::change).collect();
        assert_eq!(
            said,
            [
                "status: 200 → 503",
                "json.db.status: \"UP\" → \"DOWN\"",
                "answers: 10.0.0.5 → 10.0.0.9",
                "latency: 40 ms → 2.1 s",
                "header content-type: application/json → text/html",
            ]
        );
        // The date differs every time: never a change. Jitter is not one either.
        let jitter = Observed { latency_ms: Some(90.0), ..good.clone() };
        assert!(changes(&good, &jitter, false).is_empty());
    }

    #[test]
    fn a_probe_that_could_not_reach_its_target_says_so_first_and_loses_nothing_else() {
        let good = Observed {
            summary: "HTTP 200".into(),
            status: Some(200),
            values: seen(&[("json.db", "\"UP\"")]),
            headers: seen(&[("server", "nginx")]),
            ..Observed::default()
        };
        let refused = Observed { summary: "connection refused (http://127.0.0.1:9/)".into(), ..Observed::default() };
        let found = changes(&good, &refused, true);
        assert_eq!(found.len(), 1, "values it could not read are not 'absent': {found:?}");
        assert_eq!(crate::words::change(&found[0]), "result: HTTP 200 → connection refused (http://127.0.0.1:9/)");
    }

    #[test]
    fn a_renewed_certificate_is_said_as_one() {
        let cert = |days, issuer: &str| Cert {
            subject: "CN=api".into(),
            issuer: issuer.into(),
            sans: vec!["api".into()],
            days_left: Some(days),
        };
        let good = Observed { cert: Some(cert(12, "R3")), ..Observed::default() };
        let now = Observed { cert: Some(cert(89, "R10")), ..Observed::default() };
        let found = changes(&good, &now, false);
        assert_eq!(
            found,
            [Change {
                what: "certificate".into(),
                before: "12 days left, CN=api by R3".into(),
                after: "renewed: 89 days left, CN=api by R10".into()
            }]
        );
        let older = Observed { cert: Some(cert(11, "R3")), ..Observed::default() };
        assert!(changes(&good, &older, false).is_empty(), "a day passing is no change");
    }

    #[test]
    fn secrets_are_masked_in_bodies_text_and_names() {
        let secrets = ["s3cr3t-header-value"];
        let body =
            r#"{"db":"DOWN","password":"hunter2","auth":{"token":"abc","user":"bob"},"echo":"s3cr3t-header-value"}"#;
        let kept = excerpt(body, &secrets);
        for secret in ["hunter2", "abc\"", "s3cr3t-header-value"] {
            assert!(!kept.contains(secret), "{secret} in {kept}");
        }
        assert!(kept.contains("\"db\": \"DOWN\"") && kept.contains("\"user\": \"bob\""), "{kept}");
        let text =
            "connect failed: postgres://app:pa55word@db:5432/x token=abcdef123 Authorization: Bearer eyJhbGciOi.x";
        let kept = redact_text(text, &[]);
        assert_eq!(kept, "connect failed: postgres://app:••••@db:5432/x token=•••• Authorization: •••• ••••");
        assert!(secret_name("json.auth.token") && secret_name("x-api-key") && secret_name("cookie"));
        assert!(secret_name("X-Api-Key") && secret_name("Authorization") && secret_name("json.Auth"));
        assert!(secret_name(&format!("json.{}.Session_Id", "a".repeat(80))), "a long name is asked too");
        assert!(!secret_name("json.db.status") && !secret_name("content-type") && !secret_name("keyspace"));
    }

    /// A good result like the last one (its time, latency and volatile headers aside)
    /// is taken again; one whose evidence would differ anywhere is not.
    #[test]
    fn good_results_alike_share_a_fingerprint_and_no_other_does() {
        let good = |latency_ms: u64, date: &str| Observation {
            latency: Some(Duration::from_millis(latency_ms)),
            values: vec![
                ("status", Value::Int(200)),
                ("body", Value::Text(r#"{"status":"UP"}"#.into())),
                ("health", Value::Json(serde_json::json!({"db": {"status": "UP", "n": [1, 2.5]}}))),
            ],
            headers: seen(&[("content-type", "application/json"), ("date", date), ("server", "nginx")]),
            summary: "HTTP 200".into(),
            ..Observation::default()
        };
        let first = good(3, "Mon");
        assert_eq!(fingerprint(&first), fingerprint(&good(90, "Tue")), "latency and the date aside");
        type Change = fn(&mut Observation);
        let differ: [(&str, Change); 6] = [
            ("summary", |o| o.summary = "HTTP 200 (slow)".into()),
            ("status", |o| o.values[0].1 = Value::Int(201)),
            ("body", |o| o.values[1].1 = Value::Text(r#"{"status":"UP "}"#.into())),
            ("json", |o| o.values[2].1 = Value::Json(serde_json::json!({"db": {"status": "UP", "n": [1, 2.6]}}))),
            ("header", |o| o.headers[2].1 = "nginx/1.27".into()),
            ("a header more", |o| o.headers.push(("x-frame-options".into(), "DENY".into()))),
        ];
        for (what, change) in differ {
            let mut other = good(3, "Mon");
            change(&mut other);
            assert_ne!(fingerprint(&first), fingerprint(&other), "{what}");
        }
        let mut kept = LastGood { at: Utc::now(), observed: Observed::default(), fingerprint: fingerprint(&first) };
        let later = kept.at + chrono::TimeDelta::seconds(1);
        kept.again(&good(90, "Tue"), later);
        assert_eq!((kept.at, kept.observed.latency_ms), (later, Some(90.0)));
    }

    #[test]
    fn what_is_kept_is_bounded_whatever_the_target_sends() {
        let huge = "é".repeat(1_000_000);
        assert!(cap(&huge, BODY).len() <= BODY + "…".len());
        assert!(tail(&huge, OUTPUT).len() <= OUTPUT + "…".len());
        assert!(excerpt(&format!("{{\"a\":\"{huge}\"}}"), &[]).len() <= BODY + "…".len());
        assert!(cap("short", BODY) == "short");
    }
}
