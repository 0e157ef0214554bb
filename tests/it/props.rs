//! Property tests: whatever a user writes or a machine sends, nothing panics, and every
//! refusal says where and what to do. Over the config compiler, the condition grammar,
//! durations and sizes, services' health bodies, the cron parser, and the API's bodies
//! and queries (a real server on loopback).
//!
//! The suite runs each property `PROPTEST_CASES` times (256 by default); `cargo xtask
//! fuzz` runs them far longer. A failing case is kept by proptest in
//! `tests/it/props.txt` (committed), and replayed first by every later run.

use std::sync::OnceLock;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{json, Value};

use watchkeeper::units::{parse_duration, parse_size, MAX_DURATION, MAX_SIZE};

fn config() -> ProptestConfig {
    // A failing case is written to tests/it/props.txt, beside this file.
    let kept = proptest::test_runner::FileFailurePersistence::WithSource("txt");
    ProptestConfig { max_shrink_iters: 2048, failure_persistence: Some(Box::new(kept)), ..ProptestConfig::default() }
}

/// Numbers as people (and fuzzers) write them: ordinary, huge, fractional, empty.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..100_000).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        "[0-9]{15,40}",
        "[0-9]{0,6}\\.[0-9]{0,8}",
        "[0-9.]{1,6}",
        Just(String::new()),
    ]
}

/// Durations: numbers with units, one or several parts, and noise.
fn duration_text() -> impl Strategy<Value = String> {
    let unit = prop_oneof![
        Just("ns"),
        Just("us"),
        Just("µs"),
        Just("ms"),
        Just("s"),
        Just("sec"),
        Just("m"),
        Just("min"),
        Just("h"),
        Just("d"),
        Just("w"),
        Just(""),
        Just("y"),
        Just(" "),
    ];
    prop_oneof![
        4 => prop::collection::vec((number(), unit), 1..4)
            .prop_map(|parts| parts.into_iter().map(|(n, u)| format!("{n}{u}")).collect::<String>()),
        1 => any::<String>(),
    ]
}

fn size_text() -> impl Strategy<Value = String> {
    let unit = prop_oneof![
        Just(""),
        Just("B"),
        Just("KB"),
        Just("kB"),
        Just("MB"),
        Just("GB"),
        Just("TB"),
        Just("KiB"),
        Just("MiB"),
        Just("GiB"),
        Just("TiB"),
        Just("PB"),
        Just(" MB"),
    ];
    prop_oneof![4 => (number(), unit).prop_map(|(n, u)| format!("{n}{u}")), 1 => any::<String>()]
}

proptest! {
    #![proptest_config(config())]

    /// A duration parses within the limit, or is refused quoting what was written.
    #[test]
    fn durations_parse_within_the_limit_or_say_why(text in duration_text()) {
        match parse_duration(&text) {
            Ok(duration) => prop_assert!(duration <= MAX_DURATION),
            Err(e) => {
                let said = e.to_string();
                let quoted: String = text.trim().chars().take(20).collect();
                prop_assert!(said.contains(&quoted), "{said} quotes {quoted:?}");
                prop_assert!(said.contains("expected") || said.contains("at most"), "{said}");
            }
        }
    }

    #[test]
    fn sizes_parse_within_the_limit_or_say_why(text in size_text()) {
        match parse_size(&text) {
            Ok(size) => prop_assert!(size <= MAX_SIZE),
            Err(e) => prop_assert!(e.to_string().contains("size"), "{e}"),
        }
    }
}

/// Conditions: the grammar's pieces put together, some of them wrongly.
fn condition_text() -> impl Strategy<Value = String> {
    let subject = prop_oneof![
        Just("status".to_owned()),
        Just("latency".to_owned()),
        Just("body".to_owned()),
        Just("exit".to_owned()),
        "json\\.[a-z.\\[\\]0-9]{0,12}",
        "header\\.[a-z-]{0,10}",
        "[a-z_]{1,8}",
        Just(String::new()),
    ];
    let op = prop_oneof![
        Just("=="),
        Just("!="),
        Just("<"),
        Just("<="),
        Just(">"),
        Just(">="),
        Just("contains"),
        Just("matches"),
        Just("in"),
        Just("=~"),
        Just(""),
    ];
    let literal = prop_oneof![
        number(),
        duration_text(),
        size_text(),
        "\"[^\"]{0,10}\"?",
        "'[(a-z|*+]{0,8}'",
        Just("true".to_owned()),
        Just("null".to_owned()),
        "\\[[0-9, ]{0,10}\\]?",
        any::<String>(),
    ];
    prop_oneof![
        5 => (subject, op, literal).prop_map(|(s, o, l)| format!("{s} {o} {l}")),
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// A condition parses, or its error points into the text (1-based column, at most
    /// one past its end).
    #[test]
    fn conditions_parse_or_point_at_the_fault(text in condition_text()) {
        if let Err(e) = watchkeeper::condition::Condition::parse(&text) {
            let columns = text.chars().count() + 1;
            prop_assert!((1..=columns).contains(&e.column), "column {} of {columns}: {e}", e.column);
            prop_assert!(!e.message.is_empty());
        }
    }

    /// A cron schedule parses, or says why; a parsed one is asked for its next and last
    /// times without panicking (a schedule that never comes has none).
    #[test]
    fn cron_schedules_parse_and_answer(text in cron_text()) {
        match watchkeeper::maintenance::Cron::parse(&text) {
            Ok(cron) => {
                let zone = watchkeeper::clock::FixedZone::utc();
                let now = chrono::DateTime::<chrono::Utc>::from_timestamp(1_800_000_000, 0).unwrap();
                let next = cron.next(now, zone.as_ref());
                let last = cron.last(now, zone.as_ref());
                prop_assert!(next.is_none_or(|t| t > now) && last.is_none_or(|t| t <= now));
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

fn cron_text() -> impl Strategy<Value = String> {
    let field = prop_oneof![
        Just("*".to_owned()),
        (0u32..70).prop_map(|n| n.to_string()),
        (0u32..70, 0u32..70).prop_map(|(a, b)| format!("{a}-{b}")),
        (0u32..70).prop_map(|n| format!("*/{n}")),
        (0u32..70, 0u32..70, 0u32..10).prop_map(|(a, b, c)| format!("{a}-{b}/{c}")),
        prop::collection::vec(0u32..70, 1..4).prop_map(|v| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
        prop_oneof![Just("jan"), Just("feb"), Just("mon"), Just("sun"), Just("mon-fri"), Just("L"), Just("?")]
            .prop_map(str::to_owned),
        "[0-9*/,-]{1,6}",
        any::<u64>().prop_map(|n| n.to_string()),
    ];
    prop_oneof![
        6 => prop::collection::vec(field, 3..7).prop_map(|fields| fields.join(" ")),
        1 => prop_oneof![Just("@daily"), Just("@hourly"), Just("@weekly"), Just("@monthly"), Just("@yearly"), Just("@fortnightly")]
            .prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// JSON of any shape, nested a few levels: health bodies and API bodies alike.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("UP"),
            Just("DOWN"),
            Just("pass"),
            Just("warn"),
            Just("fail"),
            Just("OUT_OF_SERVICE"),
            Just("CLOSED"),
            Just("OPEN"),
            Just("HALF_OPEN"),
            Just("1h"),
            Just("api"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let key = prop_oneof![
            Just("status"),
            Just("components"),
            Just("details"),
            Just("checks"),
            Just("circuitBreakers"),
            Just("state"),
            Just("failureRate"),
            Just("for"),
            Just("until"),
            Just("checks"),
            Just("groups"),
            Just("reason"),
            Just("state"),
            Just("dry_run"),
            Just("text"),
            Just("id"),
        ]
        .prop_map(str::to_owned);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(prop_oneof![key, any::<String>()], inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    /// A service's health body, whatever it holds, is read, refused with a reason, or
    /// left alone.
    #[test]
    fn health_bodies_never_panic(body in json_value(), claimed in any::<bool>(), noise in any::<String>()) {
        let content_type = claimed.then_some("application/health+json");
        for text in [body.to_string(), format!("{body}{noise}"), noise.clone()] {
            if let Some(Err(e)) = watchkeeper::probe::health::parse(&text, content_type) {
                prop_assert!(!e.to_string().is_empty());
            }
            if let Err(e) = watchkeeper::probe::health::breakers(&text) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}

/// Every key the config knows, per table, from its JSON Schema.
fn schema_keys(definition: &str) -> Vec<String> {
    let schema = watchkeeper::config::schema();
    schema["$defs"][definition]["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

/// TOML values of every type, and strings that read as durations, sizes, conditions.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        duration_text().prop_map(|t| toml_string(&t)),
        size_text().prop_map(|t| toml_string(&t)),
        condition_text().prop_map(|t| format!("[{}]", toml_string(&t))),
        any::<i64>().prop_map(|n| n.to_string()),
        (-5i64..100_000).prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() { format!("{f:?}") } else { "nan".to_owned() }),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-z0-9_-]{0,12}".prop_map(|t| toml_string(&t)),
        any::<String>().prop_map(|t| toml_string(&t)),
        prop::collection::vec("[a-z0-9 ._-]{0,8}", 0..4)
            .prop_map(|v| format!("[{}]", v.iter().map(|t| toml_string(t)).collect::<Vec<_>>().join(", "))),
        Just("{ enabled = false }".to_owned()),
        Just("{ window = \"2m\", failure_rate = 50 }".to_owned()),
        Just("2026-12-24T18:00:00Z".to_owned()),
    ]
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Config files: tables the compiler knows, with known keys (and unknown ones) set to
/// values of any type.
fn config_text() -> impl Strategy<Value = String> {
    let check_keys = schema_keys("RawCheck");
    let action_keys = schema_keys("RawAction");
    let channel_keys = schema_keys("RawChannel");
    let settings_keys = schema_keys("RawSettings");
    let table = |header: &'static str, kinds: &'static [&'static str], keys: Vec<String>| {
        let key = prop_oneof![4 => prop::sample::select(keys), 1 => "[a-z_]{1,10}"];
        (
            prop::sample::select(kinds),
            prop_oneof![Just("a".to_owned()), Just("b".to_owned()), "[a-zA-Z0-9 _-]{0,6}"],
            prop::collection::vec((key, toml_value()), 0..6),
        )
            .prop_map(move |(kind, id, pairs)| {
                let mut text = format!("{header}\nid = {}\nkind = {}\n", toml_string(&id), toml_string(kind));
                for (key, value) in pairs {
                    text.push_str(&format!("{key} = {value}\n"));
                }
                text
            })
    };
    let settings = prop::collection::vec((prop::sample::select(settings_keys), toml_value()), 0..4).prop_map(|pairs| {
        let mut text = "[settings]\n".to_owned();
        for (key, value) in pairs {
            text.push_str(&format!("{key} = {value}\n"));
        }
        text
    });
    let tables = prop::collection::vec(
        prop_oneof![
            4 => table("[[check]]", &["http", "tcp", "command", "process", "system", "self", "nope"], check_keys),
            2 => table("[[action]]", &["command", "http", "restart", "signal", "cleanup", "nope"], action_keys),
            1 => table("[[channel]]", &["webhook", "command", "desktop", "alertmanager", "nope"], channel_keys),
            1 => settings,
        ],
        0..5,
    );
    prop_oneof![8 => tables.prop_map(|t| t.join("\n")), 1 => any::<String>()]
}

proptest! {
    #![proptest_config(config())]

    /// A config compiles, or every error is located inside the file (line and column)
    /// and says what to do.
    #[test]
    fn configs_compile_or_locate_every_error(text in config_text()) {
        if let Err(errors) = watchkeeper::config::compile(&text, "fuzz.toml") {
            prop_assert!(!errors.0.is_empty());
            let lines = text.split('\n').count();
            for error in &errors.0 {
                prop_assert!((1..=lines).contains(&error.line), "line {} of {lines}: {error}", error.line);
                prop_assert!(error.column >= 1, "{error}");
                prop_assert!(!error.message.is_empty(), "{error}");
                prop_assert!(!error.resolution.is_empty(), "a fix for: {error}");
            }
        }
    }
}

/// A real API server on loopback, on an engine with one check and one action.
struct Api {
    url: String,
    token: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

fn api() -> &'static Api {
    static API: OnceLock<Api> = OnceLock::new();
    API.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (url, token) = runtime.block_on(async {
            let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
            let config = "[[check]]\nid = \"api\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\ninterval = \"1h\"\nactions = [\"fix\"]\n\n[[action]]\nid = \"fix\"\nkind = \"command\"\ncommand = [\"true\"]\n";
            let config = watchkeeper::config::compile(config, "test.toml").unwrap().config;
            let (store, _) = watchkeeper::store::Store::open(dir.path()).unwrap();
            let running = watchkeeper::engine::Engine::start(config, store, crate::support::engine_options()).unwrap();
            let token = "fuzz-token".to_owned();
            let app = watchkeeper::server::app(
                running.engine.clone(),
                watchkeeper::server::Token::new(&token, |_| Ok(())),
            );
            Box::leak(Box::new(running));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(watchkeeper::server::serve(listener, app, std::future::pending()));
            (url, token)
        });
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().unwrap();
        Api { url, token, http, runtime }
    })
}

/// The routes, with what goes in their `{id}`.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/status"),
    ("GET", "/healthz"),
    ("GET", "/api/v1/checks/{id}"),
    ("GET", "/api/v1/checks/{id}/results"),
    ("GET", "/api/v1/checks/{id}/history"),
    ("GET", "/api/v1/incidents"),
    ("GET", "/api/v1/actions"),
    ("POST", "/api/v1/actions/{id}/reset"),
    ("POST", "/api/v1/action-runs/{id}/undo"),
    ("GET", "/api/v1/action-runs"),
    ("POST", "/api/v1/actions/{id}/run"),
    ("POST", "/api/v1/checks/{id}/breaker"),
    ("POST", "/api/v1/checks/{id}/pause"),
    ("POST", "/api/v1/checks/{id}/resume"),
    ("POST", "/api/v1/pause"),
    ("POST", "/api/v1/resume"),
    ("POST", "/api/v1/incidents/{id}/ack"),
    ("POST", "/api/v1/incidents/{id}/notes"),
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/silences"),
    ("GET", "/api/v1/maintenance"),
    ("POST", "/api/v1/silences"),
    ("DELETE", "/api/v1/silences/{id}"),
    ("PUT", "/api/v1/status"),
    ("DELETE", "/api/v1/checks/{id}"),
    ("GET", "/api/v1/{id}"),
];

fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("range"),
        Just("to"),
        Just("points"),
        Just("limit"),
        Just("check"),
        Just("status"),
        Just("from"),
        Just("incident"),
        Just("channel"),
        Just("event"),
        Just("outcome"),
        Just("open"),
        Just("action"),
        Just("before"),
    ];
    let value = prop_oneof![
        duration_text(),
        number(),
        "-[0-9]{1,20}",
        Just("2026-12-24T18:00:00Z".to_owned()),
        Just("9999-12-31T23:59:59Z".to_owned()),
        "[a-z_]{0,8}",
        any::<String>(),
    ];
    prop::collection::vec((key, value), 0..4).prop_map(|pairs| {
        serde_urlencoded::to_string(pairs.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).unwrap()
    })
}

fn route_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("api".to_owned()),
        Just("fix".to_owned()),
        Just("1".to_owned()),
        "[0-9]{1,25}",
        "-[0-9]{1,5}",
        "[a-zA-Z0-9._~-]{0,12}",
    ]
}

fn body() -> impl Strategy<Value = Option<String>> {
    let shaped = (
        prop_oneof![Just(json!(null)), duration_text().prop_map(Value::String), json_value()],
        prop_oneof![Just(json!(["api"])), json_value()],
        json_value(),
    )
        .prop_map(|(span, checks, other)| {
            json!({ "for": span, "checks": checks, "reason": other, "state": other, "dry_run": other, "text": other })
        });
    prop_oneof![
        1 => Just(None),
        3 => shaped.prop_map(|v| Some(v.to_string())),
        3 => json_value().prop_map(|v| Some(v.to_string())),
        1 => any::<String>().prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: config().cases / 2, ..config() })]

    /// Any request to any route answers: a success, or an error as JSON with its code,
    /// message and resolution; never a dropped connection or a 5xx. The daemon stays
    /// healthy (nothing panicked).
    #[test]
    fn api_requests_answer_with_a_result_or_an_explained_error(
        route in prop::sample::select(ROUTES),
        id in route_id(),
        query in query(),
        body in body(),
    ) {
        let api = api();
        let (method, template) = route;
        let path = template.replace("{id}", &urlencode(&id));
        let url = format!("{}{path}?{query}", api.url);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let answer = api.runtime.block_on(async {
            let mut request = api.http.request(method, &url).bearer_auth(&api.token);
            if let Some(body) = &body {
                request = request.header("Content-Type", "application/json").body(body.clone());
            }
            let response = request.send().await.map_err(|e| format!("no answer: {e}"))?;
            let status = response.status().as_u16();
            let text = response.text().await.map_err(|e| format!("a cut answer: {e}"))?;
            Ok::<_, String>((status, text))
        });
        let (status, text) = answer.map_err(|e| TestCaseError::fail(format!("{url}: {e}")))?;
        prop_assert!(status < 500, "{url} {body:?}: {status} {text}");
        if status >= 400 {
            let error: Value = serde_json::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("{url}: {status} is not JSON ({e}): {text}")))?;
            for field in ["code", "message", "resolution"] {
                prop_assert!(error[field].as_str().is_some_and(|s| !s.is_empty()), "{url}: {field} in {text}");
            }
        }
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
