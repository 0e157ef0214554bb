//! Reading what a service says about itself, from the body an http check already read:
//! Spring Boot Actuator's health (`status`, `components`, nested; or the older
//! `details`), IETF `application/health+json` (`status` pass / warn / fail, `checks`
//! arrays), and resilience4j's `/actuator/circuitbreakers`.
//!
//! Bodies are untrusted: a claimed health body that cannot be read is a clear error, a
//! body that only might be one is left alone, and nothing here panics (serde_json stops
//! at 128 levels of nesting; components past [`MAX_COMPONENTS`] are counted, not kept).

use serde_json::{Map, Value as Json};

use crate::model::{ServiceBreaker, ServiceComponent, ServiceHealth};

/// Components kept per body; the rest are counted in `more`.
pub const MAX_COMPONENTS: usize = 100;
/// Nesting levels of components read (`a.b.c.d`).
const MAX_DEPTH: usize = 4;
/// A component's detail is cut to this many characters.
const MAX_DETAIL: usize = 160;

/// A health body that says it is one (or looks like one) but cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct BadHealth(String);

fn bad(message: impl Into<String>) -> BadHealth {
    BadHealth(message.into())
}

/// The service's health in `body`: `None` when the body is not a health body, an error
/// when it is one (by its content type, or by its shape) that cannot be read.
pub fn parse(body: &str, content_type: Option<&str>) -> Option<Result<ServiceHealth, BadHealth>> {
    let claimed = content_type
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/health+json"));
    // Most bodies are not health bodies: no parse for them. Unless its type says so, a
    // health body has its parts under one of these keys (unless a key is escaped); a
    // lone `{"status":"UP"}` is not one.
    let parts = ["\"checks\"", "\"components\"", "\"details\""].iter().any(|key| body.contains(key));
    let may_be = body.trim_start().starts_with('{') && body.contains("\"status\"") && (parts || body.contains('\\'));
    if !claimed && !may_be {
        return None;
    }
    let json: Json = match serde_json::from_str(body) {
        Ok(json) => json,
        Err(e) if claimed => return Some(Err(bad(format!("the application/health+json body is not JSON: {e}")))),
        Err(_) => return None,
    };
    let Json::Object(root) = &json else {
        return claimed
            .then(|| Err(bad(format!("the application/health+json body is {}, not an object", kind(&json)))));
    };
    let shape = if root.get("checks").is_some_and(Json::is_object) || claimed {
        Shape::HealthJson
    } else if root.get("components").is_some_and(Json::is_object) {
        Shape::Actuator("components")
    } else if root.get("details").and_then(Json::as_object).is_some_and(|d| d.values().any(has_status)) {
        Shape::Actuator("details")
    } else {
        return None;
    };
    Some(read(root, shape))
}

#[derive(Clone, Copy)]
enum Shape {
    /// Actuator, its components under this key.
    Actuator(&'static str),
    HealthJson,
}

fn read(root: &Map<String, Json>, shape: Shape) -> Result<ServiceHealth, BadHealth> {
    let status = match root.get("status") {
        Some(Json::String(status)) => status.clone(),
        Some(other) => return Err(bad(format!("its `status` is {}, not a string", kind(other)))),
        None => return Err(bad("it has no `status`")),
    };
    let mut health = ServiceHealth { status, components: Vec::new(), more: 0 };
    match shape {
        Shape::Actuator(key) => {
            if let Some(Json::Object(components)) = root.get(key) {
                actuator(&mut health, "", components, key == "details", 1)?;
            }
        }
        Shape::HealthJson => match root.get("checks") {
            None | Some(Json::Null) => {}
            Some(Json::Object(checks)) => health_json(&mut health, checks)?,
            Some(other) => return Err(bad(format!("its `checks` is {}, not an object", kind(other)))),
        },
    }
    Ok(health)
}

/// Actuator components: `{name: {status, details?, components?}}`. With `legacy`
/// (Spring Boot 1 and 2.0's `details`), entries without a status are details, not
/// components.
fn actuator(
    health: &mut ServiceHealth,
    prefix: &str,
    components: &Map<String, Json>,
    legacy: bool,
    depth: usize,
) -> Result<(), BadHealth> {
    for (name, value) in components {
        if legacy && !has_status(value) {
            continue;
        }
        let full = format!("{prefix}{name}");
        let Json::Object(component) = value else {
            return Err(bad(format!("component `{full}` is {}, not an object with a `status`", kind(value))));
        };
        let status = match component.get("status") {
            Some(Json::String(status)) => status.clone(),
            Some(other) => {
                return Err(bad(format!("component `{full}`: its `status` is {}, not a string", kind(other))))
            }
            None => return Err(bad(format!("component `{full}` has no `status`"))),
        };
        let detail = component.get("details").and_then(summary);
        push(health, ServiceComponent { name: full.clone(), status, detail });
        let nested = component.get("components").or(if legacy { component.get("details") } else { None });
        if let (Some(Json::Object(nested)), true) = (nested, depth < MAX_DEPTH) {
            actuator(health, &format!("{full}."), nested, legacy || component.get("components").is_none(), depth + 1)?;
        }
    }
    Ok(())
}

/// health+json checks: `{"name:measure": [{componentId?, status, output?, observedValue?,
/// observedUnit?}]}`.
fn health_json(health: &mut ServiceHealth, checks: &Map<String, Json>) -> Result<(), BadHealth> {
    for (name, entries) in checks {
        let entries: Vec<&Json> = match entries {
            Json::Array(items) => items.iter().collect(),
            Json::Object(_) => vec![entries],
            other => return Err(bad(format!("check `{name}` is {}, not an array of objects", kind(other)))),
        };
        let several = entries.len() > 1;
        for (i, entry) in entries.into_iter().enumerate() {
            let Json::Object(entry) = entry else {
                return Err(bad(format!("check `{name}`: an entry is {}, not an object", kind(entry))));
            };
            let status = match entry.get("status") {
                Some(Json::String(status)) => status.clone(),
                // The draft makes it optional: a measurement without a verdict.
                None | Some(Json::Null) => "unknown".to_owned(),
                Some(other) => {
                    return Err(bad(format!("check `{name}`: its `status` is {}, not a string", kind(other))))
                }
            };
            let full = match (several, entry.get("componentId").and_then(Json::as_str)) {
                (false, _) => name.clone(),
                (true, Some(id)) => format!("{name}.{id}"),
                (true, None) => format!("{name}.{i}"),
            };
            let detail = match (
                entry.get("output").and_then(Json::as_str).filter(|o| !o.is_empty()),
                entry.get("observedValue"),
            ) {
                (Some(output), _) => Some(cut(output)),
                (None, Some(value)) if !value.is_null() => {
                    let unit = entry.get("observedUnit").and_then(Json::as_str).unwrap_or("");
                    Some(cut(format!("{} {unit}", scalar(value)).trim_end()))
                }
                _ => None,
            };
            push(health, ServiceComponent { name: full, status, detail });
        }
    }
    Ok(())
}

fn push(health: &mut ServiceHealth, component: ServiceComponent) {
    if health.components.len() < MAX_COMPONENTS {
        health.components.push(component);
    } else {
        health.more += 1;
    }
}

/// A component's `details` in a line: its `error` when it has one, else its scalar
/// values (`database=PostgreSQL, validationQuery=isValid()`).
fn summary(details: &Json) -> Option<String> {
    let Json::Object(details) = details else { return Some(cut(&scalar(details))) };
    if let Some(error) = details.get("error").and_then(Json::as_str) {
        return Some(cut(error));
    }
    let line = details
        .iter()
        .filter(|(_, v)| !v.is_object() && !v.is_array())
        .map(|(k, v)| format!("{k}={}", scalar(v)))
        .collect::<Vec<_>>()
        .join(", ");
    (!line.is_empty()).then(|| cut(&line))
}

fn scalar(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_DETAIL) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn has_status(value: &Json) -> bool {
    value.get("status").is_some_and(Json::is_string)
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// A resilience4j `/actuator/circuitbreakers` body: `{"circuitBreakers": {name: {state,
/// failureRate: "12.5%", ...}}}`, or (before 1.7) only their names.
pub fn breakers(body: &str) -> Result<Vec<ServiceBreaker>, BadHealth> {
    let json: Json =
        serde_json::from_str(body).map_err(|e| bad(format!("the circuit breakers body is not JSON: {e}")))?;
    let breakers = match json.get("circuitBreakers") {
        Some(found) => found,
        None => {
            return Err(bad("the body has no `circuitBreakers`: is this resilience4j's /actuator/circuitbreakers?"))
        }
    };
    let mut found = Vec::new();
    match breakers {
        Json::Object(map) => {
            for (name, details) in map.iter().take(MAX_COMPONENTS) {
                let Json::Object(details) = details else {
                    return Err(bad(format!("breaker `{name}` is {}, not an object", kind(details))));
                };
                let state = match details.get("state") {
                    Some(Json::String(state)) => state.clone(),
                    Some(other) => {
                        return Err(bad(format!("breaker `{name}`: its `state` is {}, not a string", kind(other))))
                    }
                    None => return Err(bad(format!("breaker `{name}` has no `state`"))),
                };
                let rate = |key: &str| details.get(key).and_then(percent);
                let count = |key: &str| details.get(key).and_then(Json::as_u64);
                found.push(ServiceBreaker {
                    name: name.clone(),
                    state,
                    failure_rate: rate("failureRate"),
                    slow_call_rate: rate("slowCallRate"),
                    failure_rate_threshold: rate("failureRateThreshold"),
                    slow_call_rate_threshold: rate("slowCallRateThreshold"),
                    buffered_calls: count("bufferedCalls"),
                    failed_calls: count("failedCalls"),
                    slow_calls: count("slowCalls"),
                    not_permitted_calls: count("notPermittedCalls"),
                });
            }
        }
        Json::Array(names) => {
            for name in names.iter().take(MAX_COMPONENTS) {
                let Some(name) = name.as_str() else {
                    return Err(bad(format!("a breaker's name is {}, not a string", kind(name))));
                };
                found.push(ServiceBreaker {
                    name: name.to_owned(),
                    state: "UNKNOWN".to_owned(),
                    failure_rate: None,
                    slow_call_rate: None,
                    failure_rate_threshold: None,
                    slow_call_rate_threshold: None,
                    buffered_calls: None,
                    failed_calls: None,
                    slow_calls: None,
                    not_permitted_calls: None,
                });
            }
        }
        other => return Err(bad(format!("its `circuitBreakers` is {}, not an object", kind(other)))),
    }
    Ok(found)
}

/// `"12.5%"`, `12.5` or `"12.5"`; resilience4j's `-1` (too few calls) is none.
fn percent(value: &Json) -> Option<f64> {
    let n = match value {
        Json::Number(n) => n.as_f64()?,
        Json::String(text) => text.trim().trim_end_matches('%').trim().parse().ok()?,
        _ => return None,
    };
    (n >= 0.0 && n.is_finite()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(body: &str, content_type: Option<&str>, expect: Expect) {
        let out = match parse(body, content_type) {
            None => "not a health body".to_owned(),
            Some(Err(e)) => format!("error: {e}"),
            Some(Ok(health)) => {
                let mut out = format!("{} ({:?})", health.status, health.overall());
                for c in &health.components {
                    out.push_str(&format!("\n  {} {} {}", c.name, c.status, c.detail.as_deref().unwrap_or("-")));
                }
                if health.more > 0 {
                    out.push_str(&format!("\n  +{} more", health.more));
                }
                out
            }
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn spring_boot_actuator_health_with_nested_components() {
        check(
            r#"{"status":"DOWN","components":{
                "db":{"status":"DOWN","components":{
                    "primary":{"status":"UP","details":{"database":"PostgreSQL","validationQuery":"isValid()"}},
                    "replica":{"status":"DOWN","details":{"error":"org.springframework.jdbc.CannotGetJdbcConnectionException: Connection refused"}}}},
                "diskSpace":{"status":"UP","details":{"total":499963174912,"free":91300806656,"threshold":10485760,"exists":true}},
                "ping":{"status":"UP"}}}"#,
            None,
            expect![[r#"
                DOWN (Down)
                  db DOWN -
                  db.primary UP database=PostgreSQL, validationQuery=isValid()
                  db.replica DOWN org.springframework.jdbc.CannotGetJdbcConnectionException: Connection refused
                  diskSpace UP exists=true, free=91300806656, threshold=10485760, total=499963174912
                  ping UP -"#]],
        );
    }

    #[test]
    fn the_older_actuator_details_and_out_of_service() {
        check(
            r#"{"status":"OUT_OF_SERVICE","details":{"db":{"status":"UP","details":{"database":"H2"}},"version":"1.2"}}"#,
            None,
            expect![[r#"
                OUT_OF_SERVICE (Down)
                  db UP database=H2"#]],
        );
    }

    #[test]
    fn ietf_health_json_with_check_arrays() {
        check(
            r#"{"status":"warn","version":"1","checks":{
                "cassandra:responseTime":[{"componentId":"dfd6cf2b","componentType":"datastore","observedValue":250,"observedUnit":"ms","status":"pass"},
                                          {"componentId":"6fd416e0","componentType":"datastore","observedValue":900,"observedUnit":"ms","status":"warn","output":"slow replica"}],
                "uptime":[{"componentType":"system","observedValue":1209600.245,"observedUnit":"s","status":"pass"}],
                "memory:utilization":[{"observedValue":"n/a"}]}}"#,
            Some("application/health+json; charset=utf-8"),
            expect![[r#"
                warn (Warn)
                  cassandra:responseTime.dfd6cf2b pass 250 ms
                  cassandra:responseTime.6fd416e0 warn slow replica
                  memory:utilization unknown n/a
                  uptime pass 1209600.245 s"#]],
        );
    }

    #[test]
    fn garbage_wrong_types_and_deep_nesting_are_clear_errors_or_left_alone() {
        let claimed = Some("application/health+json");
        check(
            "<html>oops</html>",
            claimed,
            expect!["error: the application/health+json body is not JSON: expected value at line 1 column 1"],
        );
        check("[1,2]", claimed, expect!["error: the application/health+json body is an array, not an object"]);
        check(r#"{"status":5,"checks":{}}"#, claimed, expect!["error: its `status` is a number, not a string"]);
        check(
            r#"{"status":"pass","checks":{"db":"fine"}}"#,
            claimed,
            expect!["error: check `db` is a string, not an array of objects"],
        );
        check(
            r#"{"status":"pass","checks":{"db":[{"status":false}]}}"#,
            claimed,
            expect!["error: check `db`: its `status` is a boolean, not a string"],
        );
        check(
            r#"{"status":"UP","components":{"db":"UP"}}"#,
            None,
            expect!["error: component `db` is a string, not an object with a `status`"],
        );
        check(
            r#"{"status":"UP","components":{"db":{"state":"UP"}}}"#,
            None,
            expect!["error: component `db` has no `status`"],
        );
        check(r#"{"status":"ok","items":[1]}"#, None, expect!["not a health body"]);
        check(r#"{"status":"UP"}"#, None, expect!["not a health body"]);
        // A key written with an escape is still read.
        check(
            r#"{"status":"UP","\u0063omponents":{"db":{"status":"UP"}}}"#,
            None,
            expect![[r#"
            UP (Up)
              db UP -"#]],
        );
        check("not json {\"status\"", None, expect!["not a health body"]);
        // 10,000 levels: serde_json refuses past 128, and a body that only might be
        // health is left alone; nothing overflows the stack.
        let deep = format!("{{\"status\":\"UP\",\"components\":{}{}}}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        check(&deep, None, expect!["not a health body"]);
        // Nested deeper than MAX_DEPTH: the first levels are read.
        let nested = r#"{"status":"UP","components":{"a":{"status":"UP","components":{"b":{"status":"UP","components":{"c":{"status":"UP","components":{"d":{"status":"UP","components":{"e":{"status":"DOWN"}}}}}}}}}}}"#;
        check(
            nested,
            None,
            expect![[r#"
            UP (Up)
              a UP -
              a.b UP -
              a.b.c UP -
              a.b.c.d UP -"#]],
        );
    }

    #[test]
    fn a_huge_body_keeps_its_first_components_and_counts_the_rest() {
        let components: Vec<String> = (0..1000)
            .map(|i| format!("\"c{i}\":{{\"status\":\"UP\",\"details\":{{\"x\":\"{}\"}}}}", "y".repeat(500)))
            .collect();
        let body = format!("{{\"status\":\"UP\",\"components\":{{{}}}}}", components.join(","));
        let health = parse(&body, None).unwrap().unwrap();
        assert_eq!((health.components.len(), health.more), (MAX_COMPONENTS, 900));
        assert!(health.components[0].detail.as_ref().unwrap().chars().count() <= MAX_DETAIL + 1, "details are cut");
    }

    #[test]
    fn resilience4j_breakers_in_both_shapes() {
        let body = r#"{"circuitBreakers":{
            "backendA":{"failureRate":"-1.0%","slowCallRate":"-1.0%","failureRateThreshold":"50.0%","slowCallRateThreshold":"100.0%","bufferedCalls":3,"failedCalls":0,"slowCalls":0,"slowFailedCalls":0,"notPermittedCalls":0,"state":"CLOSED"},
            "backendB":{"failureRate":60.0,"slowCallRate":0.0,"failureRateThreshold":50.0,"slowCallRateThreshold":100.0,"bufferedCalls":10,"failedCalls":6,"slowCalls":0,"notPermittedCalls":12,"state":"OPEN"}}}"#;
        let found = breakers(body).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].failure_rate, found[0].failure_rate_threshold, found[0].is_open()),
            (None, Some(50.0), false)
        );
        assert_eq!(
            (found[1].failure_rate, found[1].not_permitted_calls, found[1].is_open()),
            (Some(60.0), Some(12), true)
        );
        let names = breakers(r#"{"circuitBreakers":["a","b"]}"#).unwrap();
        assert_eq!(
            names.iter().map(|b| (b.name.as_str(), b.state.as_str())).collect::<Vec<_>>(),
            [("a", "UNKNOWN"), ("b", "UNKNOWN")]
        );
        for (body, error) in [
            ("nope", "the circuit breakers body is not JSON"),
            ("{}", "the body has no `circuitBreakers`"),
            (r#"{"circuitBreakers":{"a":1}}"#, "breaker `a` is a number, not an object"),
            (r#"{"circuitBreakers":{"a":{"state":3}}}"#, "breaker `a`: its `state` is a number, not a string"),
            (r#"{"circuitBreakers":7}"#, "its `circuitBreakers` is a number, not an object"),
        ] {
            let e = breakers(body).unwrap_err().to_string();
            assert!(e.starts_with(error), "{body}: {e}");
        }
    }
}
