//! What services say about themselves, read by http checks against loopback services
//! the tests script: Spring Boot Actuator health, `application/health+json`, and a
//! resilience4j `/actuator/circuitbreakers` endpoint (`breakers_url`).

use std::time::Duration;

use watchkeeper::engine::{Engine, Event};
use watchkeeper::model::{FailureClass, Status};
use watchkeeper::store::Store;

use crate::support::{Behaviour, Target};

const ACTUATOR: &str = "application/vnd.spring-boot.actuator.v3+json";
const HEALTH_JSON: &str = "application/health+json";

fn actuator(status: &str, db: &str, db_details: &str) -> String {
    format!(
        r#"{{"status":"{status}","components":{{"db":{{"status":"{db}","details":{db_details}}},"ping":{{"status":"UP"}}}}}}"#
    )
}

fn start(config: &str) -> (tempfile::TempDir, watchkeeper::engine::Running) {
    let dir = tempfile::tempdir().unwrap();
    let compiled = watchkeeper::config::compile(config, "test.toml").expect("the config compiles");
    let (store, _) = Store::open(dir.path()).unwrap();
    (dir, Engine::start(compiled.config, store, crate::support::engine_options()).unwrap())
}

fn check(id: &str, target: &Target, extra: &str) -> String {
    format!(
        "[[check]]\nid = \"{id}\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"100ms\"\ntimeout = \"90ms\"\nfailure_threshold = 1\nbreaker = {{ enabled = false }}\n{extra}\n",
        target.url()
    )
}

/// Waits until the check's snapshot satisfies `done`.
async fn until(engine: &Engine, id: &str, what: &str, done: impl Fn(&watchkeeper::engine::CheckSnapshot) -> bool) {
    crate::support::eventually(Duration::from_secs(20), what, || async {
        engine.check(id).filter(|c| done(c)).map(|_| ())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actuator_component_down_is_named_as_the_cause_and_conditions_read_components() {
    let target =
        Target::start(Behaviour::Typed(200, ACTUATOR, actuator("UP", "UP", r#"{"database":"PostgreSQL"}"#))).await;
    let strict = Target::start(Behaviour::Typed(200, ACTUATOR, actuator("UP", "UP", "{}"))).await;
    let config = check("orders", &target, "") + &check("strict", &strict, "expect = [\"component.db == \\\"UP\\\"\"]");
    let (_dir, running) = start(&config);
    let engine = running.engine.clone();
    until(&engine, "orders", "orders is up with its components", |c| c.status == Status::Up && c.health.is_some())
        .await;
    let health = engine.check("orders").unwrap().health.unwrap();
    let components: Vec<(&str, &str)> =
        health.components.iter().map(|c| (c.name.as_str(), c.status.as_str())).collect();
    assert_eq!(components, [("db", "UP"), ("ping", "UP")]);

    // Spring Boot answers 503 with the component that is down: it is the cause.
    target.set(Behaviour::Typed(
        503,
        ACTUATOR,
        actuator("DOWN", "DOWN", r#"{"error":"java.net.ConnectException: Connection refused"}"#),
    ));
    until(&engine, "orders", "orders goes down", |c| c.status == Status::Down).await;
    let last = engine.check("orders").unwrap().last.unwrap();
    assert_eq!(last.verdict.failure_class(), Some(FailureClass::Component));
    assert_eq!(
        last.message,
        "component db is DOWN: java.net.ConnectException: Connection refused (expected status < 400, got 503)"
    );
    let incident = crate::support::eventually(Duration::from_secs(20), "its incident is written", || async {
        let incidents = engine.store().incidents(Default::default()).await.unwrap();
        incidents.into_iter().find(|i| i.check_id.as_str() == "orders")
    })
    .await;
    assert!(incident.cause.starts_with("component db is DOWN"), "the incident names the component: {}", incident.cause);

    // A 200 whose aggregate is UP but whose db is DOWN (a custom aggregation): the
    // condition on the component fails, naming it.
    strict.set(Behaviour::Typed(200, ACTUATOR, actuator("UP", "DOWN", r#"{"error":"timeout"}"#)));
    until(&engine, "strict", "strict goes down on its component condition", |c| c.status == Status::Down).await;
    let last = engine.check("strict").unwrap().last.unwrap();
    assert_eq!(last.message, "component db is DOWN: timeout (expected component.db == \"UP\", got \"DOWN\")");
    // And the same body without the condition is degraded, not up.
    target.set(Behaviour::Typed(200, ACTUATOR, actuator("UP", "DOWN", r#"{"error":"timeout"}"#)));
    until(&engine, "orders", "orders is degraded", |c| c.status == Status::Degraded).await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_json_warn_degrades_and_bad_bodies_fail_clearly() {
    let body =
        r#"{"status":"warn","checks":{"db:responseTime":[{"status":"warn","observedValue":900,"observedUnit":"ms"}]}}"#;
    let target = Target::start(Behaviour::Typed(200, HEALTH_JSON, body.to_owned())).await;
    let (_dir, running) = start(&check("api", &target, ""));
    let engine = running.engine.clone();
    until(&engine, "api", "api is degraded by its warn", |c| c.status == Status::Degraded).await;
    let last = engine.check("api").unwrap().last.unwrap();
    assert!(last.message.ends_with("degraded: component db:responseTime is warn: 900 ms"), "{}", last.message);

    let deep = format!("{{\"status\":\"pass\",\"checks\":{}{}}}", "[".repeat(5000), "]".repeat(5000));
    for (bad, says) in [
        ("<html>maintenance</html>".to_owned(), "the application/health+json body is not JSON"),
        (r#"{"status":["pass"]}"#.to_owned(), "its `status` is an array, not a string"),
        (r#"{"status":"pass","checks":{"db":[1]}}"#.to_owned(), "check `db`: an entry is a number, not an object"),
        (deep, "recursion limit exceeded"),
    ] {
        target.set(Behaviour::Typed(200, HEALTH_JSON, bad.clone()));
        let wanted = says.to_owned();
        crate::support::eventually(Duration::from_secs(20), says, || {
            let wanted = wanted.clone();
            let engine = engine.clone();
            async move { engine.check("api").and_then(|c| c.last).filter(|l| l.message.contains(&wanted)) }
        })
        .await;
        let last = engine.check("api").unwrap().last.unwrap();
        assert_eq!(last.verdict.failure_class(), Some(FailureClass::HealthBody), "{}", last.message);
        assert!(last.message.starts_with("HTTP 200: the health body cannot be read: "), "{}", last.message);
    }
    running.shutdown().await;
}

fn breakers(state: &str, failure_rate: &str) -> String {
    format!(
        r#"{{"circuitBreakers":{{"inventory":{{"failureRate":"-1.0%","slowCallRate":"-1.0%","failureRateThreshold":"50.0%","slowCallRateThreshold":"100.0%","bufferedCalls":2,"failedCalls":0,"slowCalls":0,"notPermittedCalls":0,"state":"CLOSED"}},
            "payments":{{"failureRate":"{failure_rate}","slowCallRate":"0.0%","failureRateThreshold":"50.0%","slowCallRateThreshold":"100.0%","bufferedCalls":10,"failedCalls":6,"slowCalls":0,"notPermittedCalls":4,"state":"{state}"}}}}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_breaker_turning_open_degrades_the_check_and_is_notified_once() {
    let service = Target::start(Behaviour::Ok).await;
    let endpoint = Target::start(Behaviour::Typed(200, "application/json", breakers("CLOSED", "10.0%"))).await;
    let extra = format!("breakers_url = \"{}actuator/circuitbreakers\"", endpoint.url().trim_end_matches("health"));
    // Told at once: no burst to wait for.
    let config = check("orders", &service, &extra) + "\n[alerts]\ngroup_wait = \"0s\"\n";
    let (_dir, running) = start(&config);
    let engine = running.engine.clone();
    let mut events = engine.subscribe();
    let shown = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = shown.clone();
    let notifications = tokio::spawn(watchkeeper::desktop::notifications(engine.clone(), move |n| {
        seen.lock().unwrap().push(format!("{} | {}", n.title, n.body));
    }));
    until(&engine, "orders", "the service's breakers are read", |c| {
        c.service_breakers.as_ref().is_some_and(|b| b.breakers.len() == 2)
    })
    .await;
    assert_eq!(engine.check("orders").unwrap().status, Status::Up);

    endpoint.set(Behaviour::Typed(200, "application/json", breakers("OPEN", "60.0%")));
    until(&engine, "orders", "an open service breaker degrades the check", |c| c.status == Status::Degraded).await;
    let last = engine.check("orders").unwrap().last.unwrap();
    assert!(
        last.message.ends_with("degraded: service breaker payments is OPEN (failure rate 60% ≥ 50%)"),
        "{}",
        last.message
    );
    // Three more probes see it open.
    let seen = last.at;
    for _ in 0..3 {
        let before = engine.check("orders").and_then(|c| c.last).map(|l| l.at);
        until(&engine, "orders", "another probe", |c| c.last.as_ref().map(|l| l.at) > before).await;
    }
    assert!(engine.check("orders").and_then(|c| c.last).is_some_and(|l| l.at > seen));
    let mut opened = 0;
    while let Ok(event) = events.try_recv() {
        if let Event::ServiceBreakerOpened(event) = event {
            assert_eq!((event.check_id.as_str(), event.breaker.name.as_str()), ("orders", "payments"));
            opened += 1;
        }
    }
    assert_eq!(opened, 1, "one event for one breaker turning OPEN, however many probes see it open");
    let told: Vec<String> = shown.lock().unwrap().iter().filter(|n| n.contains("service breaker")).cloned().collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].starts_with(
            "orders: service breaker payments OPEN | service breaker payments is OPEN (failure rate 60% ≥ 50%)"
        ),
        "{}",
        told[0]
    );

    // The endpoint failing is said beside the breakers, and does not fail the check.
    endpoint.set(Behaviour::Status(500));
    until(&engine, "orders", "the read error is kept", |c| {
        c.service_breakers.as_ref().is_some_and(|b| b.error.as_deref().is_some_and(|e| e.contains("answered HTTP 500")))
    })
    .await;
    assert_eq!(engine.check("orders").unwrap().status, Status::Up, "the service itself is fine");
    running.shutdown().await;
    notifications.abort();
}
