//! The engine in paused tokio time, on a virtual clock: the pipeline, pausing and the
//! sweep, driven by the scripted probe kind (`probe::scripted`) against a real history
//! file. Virtual time moves only when every task waits, so these run in milliseconds
//! and never race the machine's load.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::clock::Clock;
use crate::model::FailureClass;
use crate::probe::ProbeSpec;
use crate::store::IncidentFilter;

/// An engine on a scripted config, its events, and its data dir.
struct Harness {
    running: Running,
    events: broadcast::Receiver<Event>,
    dir: tempfile::TempDir,
}

fn start(config: &str) -> Harness {
    start_in(tempfile::tempdir().expect("a temp dir"), config)
}

fn start_in(dir: tempfile::TempDir, config: &str) -> Harness {
    let config = crate::config::compile(config, "test.toml").expect("the test config compiles").config;
    let (store, _) = Store::open(dir.path()).expect("the history opens");
    let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("a valid time");
    let running =
        Engine::start_with_clock(config, store, Vec::new(), Clock::virtual_from(start)).expect("the engine starts");
    let events = running.engine.subscribe();
    Harness { running, events, dir }
}

impl Harness {
    fn engine(&self) -> &Engine {
        &self.running.engine
    }

    fn status(&self, id: &str) -> Status {
        self.engine().check(id).expect("the check exists").status
    }

    /// How many times the check's scripted probe ran.
    fn calls(&self, id: &str) -> usize {
        match &self.engine().config().check(id).expect("the check exists").probe {
            ProbeSpec::Scripted(script) => script.calls(),
            other => panic!("{id} is not scripted: {other:?}"),
        }
    }

    /// Lets virtual time run until `done` holds, for at most `limit` of it.
    async fn until(&self, limit: Duration, what: &str, done: impl Fn(&Harness) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            assert!(tokio::time::Instant::now() < deadline, "not within {limit:?} of virtual time: {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the engine (its writer commits everything) and gives back the data dir.
    async fn stop(self) -> tempfile::TempDir {
        self.running.shutdown().await;
        self.dir
    }
}

const ONE: &str = "breaker = { enabled = false }\ninterval = \"1s\"\ntimeout = \"500ms\"\n";

#[tokio::test(start_paused = true)]
async fn thresholds_open_one_incident_and_a_success_resolves_it() {
    let config = format!(
        "[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"up\", \"down\", \"down\", \"down\", \"up\"]\nfailure_threshold = 2\n{ONE}"
    );
    let mut harness = start(&config);
    harness.until(Duration::from_secs(10), "api goes down", |h| h.status("api") == Status::Down).await;
    assert_eq!(harness.calls("api"), 3, "down after the second failure in a row, not the first");
    harness.until(Duration::from_secs(10), "api comes back", |h| h.status("api") == Status::Up).await;

    let mut order = Vec::new();
    while let Ok(event) = harness.events.try_recv() {
        order.push(match event {
            Event::Check(_) => "check",
            Event::IncidentOpened(_) => "opened",
            Event::IncidentResolved { .. } => "resolved",
            _ => "other",
        });
    }
    order.dedup();
    assert_eq!(order, ["check", "opened", "check", "resolved"], "a check's new state goes out before its incident");

    let dir = harness.stop().await;
    let (store, _) = Store::open(dir.path()).unwrap();
    let incidents = store.incidents(IncidentFilter::default()).await.unwrap();
    assert_eq!(incidents.len(), 1, "one incident for one outage: {incidents:?}");
    assert_eq!(incidents[0].failure_class, FailureClass::Refused);
    assert!(incidents[0].resolved_at.is_some(), "the success resolved it");
}

#[tokio::test(start_paused = true)]
async fn a_paused_check_is_not_probed_and_stays_paused_across_a_restart() {
    let config = format!("[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"up\"]\n{ONE}");
    let harness = start(&config);
    harness.until(Duration::from_secs(5), "api is up", |h| h.status("api") == Status::Up).await;
    assert_eq!(harness.engine().pause(Some("api"), None).await, Some(1), "one check paused");
    let calls = harness.calls("api");
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(harness.calls("api"), calls, "a paused check is not probed");
    assert_eq!(harness.status("api"), Status::Paused, "and is never stale");
    assert_eq!(harness.engine().pause(Some("nope"), None).await, None, "an unknown check is said so");

    let harness = start_in(harness.stop().await, &config);
    assert_eq!(harness.status("api"), Status::Paused, "the pause outlives a restart");
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(harness.calls("api"), 0, "and is still not probed after it");
    assert_eq!(harness.engine().resume(Some("api")).await, Some(1));
    harness.until(Duration::from_secs(5), "api is probed again", |h| h.calls("api") > 0).await;
    assert_eq!(harness.status("api"), Status::Up);
}

#[tokio::test(start_paused = true)]
async fn a_pause_ends_by_itself_when_its_time_is_up() {
    let config = format!("[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"up\"]\n{ONE}");
    let harness = start(&config);
    harness.until(Duration::from_secs(5), "api is up", |h| h.status("api") == Status::Up).await;
    let until = harness.engine().now() + chrono::Duration::seconds(20);
    harness.engine().pause(Some("api"), Some(until)).await;
    assert_eq!(harness.status("api"), Status::Paused);
    tokio::time::sleep(Duration::from_secs(19)).await;
    assert_eq!(harness.status("api"), Status::Paused, "still paused before its end");
    // The sweep ends it on time, whether or not a probe is due.
    harness.until(Duration::from_secs(3), "the pause ends", |h| h.status("api") != Status::Paused).await;
    assert!(harness.engine().now() - until < chrono::Duration::seconds(2), "ended on time");
}

#[tokio::test(start_paused = true)]
async fn a_check_without_a_fresh_result_turns_stale_never_stays_green() {
    // One probe in flight at a time, and `hog` holds it 10 s at a go: `api`, due every
    // second, goes without results.
    let config = format!(
        "[settings]\nmax_in_flight = 1\n\n[[check]]\nid = \"hog\"\nkind = \"scripted\"\nscript = [\"hang\"]\nbreaker = {{ enabled = false }}\ninterval = \"10s\"\ntimeout = \"10s\"\n\n[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"up\"]\n{ONE}"
    );
    let harness = start(&config);
    harness
        .until(Duration::from_secs(30), "api has a result", |h| h.engine().check("api").unwrap().last.is_some())
        .await;
    harness.until(Duration::from_secs(30), "api turns stale", |h| h.status("api") == Status::Unknown).await;
    let check = harness.engine().check("api").unwrap();
    assert!(check.reason.as_deref().unwrap_or("").starts_with("stale: no result since"), "{:?}", check.reason);
    let waited = check.since - check.last.unwrap().at;
    assert!(
        (chrono::Duration::seconds(2)..chrono::Duration::milliseconds(3100)).contains(&waited),
        "stale soon after two intervals without a result, not {waited}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_spares_the_target_until_its_trial() {
    let config = "[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"down\"]\nfailure_threshold = 1\ninterval = \"1s\"\ntimeout = \"500ms\"\nbreaker = { failure_threshold = 3, open_for = \"30s\" }\n";
    let harness = start(config);
    let open = |h: &Harness| h.engine().check("api").unwrap().breaker.is_some_and(|b| b.state == BreakerState::Open);
    harness.until(Duration::from_secs(10), "the breaker opens", open).await;
    assert_eq!(harness.calls("api"), 3, "it opens on the third failure in a row");
    tokio::time::sleep(Duration::from_secs(25)).await;
    assert_eq!(harness.calls("api"), 3, "while open, the target gets no requests");
    assert_eq!(harness.status("api"), Status::Down, "and the check stays down, not stale");
    harness.until(Duration::from_secs(10), "a trial", |h| h.calls("api") == 4).await;
}

#[tokio::test(start_paused = true)]
async fn a_panicking_probe_makes_its_check_unknown_and_the_engine_goes_on() {
    let config = format!("[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"panic\", \"up\"]\n{ONE}");
    let harness = start(&config);
    harness.until(Duration::from_secs(5), "the panic is a result", |h| h.calls("api") >= 1).await;
    harness.until(Duration::from_secs(1), "it is recorded", |h| h.engine().check("api").unwrap().last.is_some()).await;
    let check = harness.engine().check("api").unwrap();
    assert_eq!(check.status, Status::Unknown);
    assert_eq!(check.reason.as_deref(), Some("probe error: the probe panicked: the script says panic"));
    harness.until(Duration::from_secs(5), "the next probe runs", |h| h.status("api") == Status::Up).await;
}
