//! The engine in paused tokio time, on a virtual clock: the pipeline, pausing and the
//! sweep, driven by the scripted probe kind (`probe::scripted`) against a real history
//! file; notification timelines (`alerts`) through the recording channel
//! (`alert::channel::recording`). Virtual time moves only when every task waits, so these run in milliseconds
//! and never race the machine's load.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::*;
use crate::breaker::Steer;
use crate::clock::{Clock, FixedZone};
use crate::model::{BreakerState, FailureClass, Requester};
use crate::probe::ProbeSpec;
use crate::store::IncidentFilter;

mod alerts;

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
    let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("a valid time");
    start_at(dir, config, start)
}

/// An engine whose virtual clock reads `start` now.
fn start_at(dir: tempfile::TempDir, config: &str, start: DateTime<Utc>) -> Harness {
    let config = crate::config::compile(config, "test.toml").expect("the test config compiles").config;
    let (store, _) = Store::open(dir.path()).expect("the history opens");
    let options = Options::new(Clock::virtual_from(start), FixedZone::utc());
    let running = Engine::start(config, store, options).expect("the engine starts");
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

    /// Stops the engine and starts one on `config` in the same data dir, its clock going
    /// on from where this one's was.
    async fn restart(self, config: &str) -> Harness {
        let now = self.engine().now();
        let dir = self.stop().await;
        start_at(dir, config, now)
    }

    /// The recording channel with this id (`alert::channel::recording`).
    fn channel(&self, id: &str) -> crate::alert::channel::recording::Spec {
        match &self.engine().config().channel(id).expect("the channel exists").spec {
            crate::alert::channel::ChannelSpec::Recording(spec) => spec.clone(),
            other => panic!("{id} is not a recording channel: {other:?}"),
        }
    }

    /// The notification log, oldest first, as committed. The writer is a thread of its
    /// own: it is flushed first, waited for on the blocking pool, where tokio does not
    /// let paused time run ahead (an `.await` on the thread would let it jump).
    async fn log(&self) -> Vec<crate::store::NotificationRecord> {
        let writer = self.engine().writer().clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || runtime.block_on(writer.flush()))
            .await
            .expect("the flush is waited for")
            .expect("the writer flushes");
        let filter = crate::store::NotificationFilter { limit: 1000, ..Default::default() };
        let mut log = self.engine().store().notifications(filter).await.expect("the log reads");
        log.reverse();
        log
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
            Event::IncidentResolved(_) => "resolved",
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

/// A check failing every probe behind a rate breaker: a window of 4, two trials.
const RATES: &str = "[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"down\"]\nfailure_threshold = 1\ninterval = \"1s\"\ntimeout = \"500ms\"\nbreaker = { window = 4, min_calls = 4, failure_rate = 50, half_open_calls = 2, open_for = \"10s\", max_open_for = \"1m\" }\n";

fn breaker_of(h: &Harness) -> crate::breaker::BreakerView {
    h.engine().check("api").unwrap().breaker.expect("api has a breaker")
}

#[tokio::test(start_paused = true)]
async fn a_rate_breaker_lets_exactly_its_trials_through_and_a_restart_keeps_its_wait() {
    let harness = start(RATES);
    harness.until(Duration::from_secs(10), "the breaker opens", |h| breaker_of(h).state == BreakerState::Open).await;
    assert_eq!(harness.calls("api"), 4, "no rate below min_calls: it opens on the fourth failure");
    let opened = breaker_of(&harness);
    assert_eq!((opened.counts.calls, opened.failure_rate), (4, Some(100.0)), "the window that opened it stays in view");
    tokio::time::sleep(Duration::from_secs(9)).await;
    assert_eq!(harness.calls("api"), 4, "while open, no call reaches the target");
    assert_eq!(harness.status("api"), Status::Down, "and the check stays down, not stale");
    let last = harness.engine().check("api").unwrap().last.expect("a last result");
    assert_eq!(last.verdict.failure_class(), Some(FailureClass::Refused), "its last real failure stays its cause");

    harness.until(Duration::from_secs(5), "two trials, failed", |h| breaker_of(h).failed_trials == 1).await;
    assert_eq!(harness.calls("api"), 6, "exactly half_open_calls trials");
    let reopened = breaker_of(&harness);
    assert_eq!(reopened.state, BreakerState::Open);
    let wait = reopened.next_trial_at.unwrap() - reopened.opened_at.unwrap();
    assert_eq!(wait, chrono::Duration::seconds(20), "the wait doubled after a failed trial");

    // A restart in the middle of the wait: the breaker is still open, its wait kept.
    let dir = harness.stop().await;
    let (store, _) = Store::open(dir.path()).unwrap();
    let changes = store.breaker_changes(crate::model::CheckId::parse("api").unwrap(), 10).await.unwrap();
    let steps: Vec<String> = changes.iter().rev().map(|c| format!("{}>{} {:?}", c.from, c.to, c.by)).collect();
    assert_eq!(steps, ["closed>open None", "open>half_open None", "half_open>open None"], "each change is recorded");
    assert!(changes[2].reason.starts_with("failure rate 100% ≥ 50% over 4 calls"), "{}", changes[2].reason);
    drop(store);
    let harness = start_in(dir, RATES);
    let restored = breaker_of(&harness);
    assert_eq!(
        (restored.state, restored.failed_trials, restored.next_trial_at),
        (BreakerState::Open, 1, reopened.next_trial_at),
        "open, with its failed trial and its wait, after a restart"
    );
    let last = harness.engine().check("api").unwrap().last.expect("the last result is read back");
    assert_eq!(last.verdict.failure_class(), Some(FailureClass::Refused), "so the cause is still in view");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(harness.calls("api"), 0, "the restarted engine does not hammer the target either");
    assert_eq!(harness.status("api"), Status::Down, "and keeps the check down");
}

#[tokio::test(start_paused = true)]
async fn a_breaker_steered_open_disabled_or_reset_stays_so_across_a_restart() {
    let config = RATES.replace("script = [\"down\"]", "script = [\"up\"]");
    let harness = start(&config);
    harness.until(Duration::from_secs(5), "api is up", |h| h.status("api") == Status::Up).await;
    let steered = harness.engine().steer_breaker("api", Steer::ForceOpen, Requester::Cli).await;
    assert_eq!(steered.flatten().map(|v| v.state), Some(BreakerState::ForcedOpen));
    let calls = harness.calls("api");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(harness.calls("api"), calls, "forced open: no probe reaches the target");
    // Not probed, it is never green (the breaker is open for a reason) nor stale: it
    // shows its last real result, as degraded, and says so.
    assert_eq!(harness.status("api"), Status::Degraded, "never up behind an open breaker, never stale");
    let check = harness.engine().check("api").unwrap();
    assert!(check.over.behind_breaker.is_some_and(|at| at.is_some()), "with the time of its last real result");
    let marks = crate::words::marks(&check, harness.engine().now(), FixedZone::utc().as_ref());
    assert_eq!(marks.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["behind an open breaker"]);

    let dir = harness.stop().await;
    let harness = start_in(dir, &config);
    assert_eq!(breaker_of(&harness).state, BreakerState::ForcedOpen, "kept across a restart");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(harness.calls("api"), 0, "and still no probe after it");
    let explicit = harness.engine().probe_now("api").await.expect("an explicit probe answers");
    assert!(explicit.message.contains("forced open"), "an explicit probe is refused too: {}", explicit.message);
    assert_eq!(harness.calls("api"), 0);

    harness.engine().steer_breaker("api", Steer::Reset, Requester::Api).await;
    harness.until(Duration::from_secs(5), "probes resume", |h| h.status("api") == Status::Up).await;
    assert_eq!(breaker_of(&harness).state, BreakerState::Closed);
    assert!(harness.engine().steer_breaker("nope", Steer::Reset, Requester::Api).await.is_none(), "an unknown check");

    let dir = harness.stop().await;
    let (store, _) = Store::open(dir.path()).unwrap();
    let changes = store.breaker_changes(crate::model::CheckId::parse("api").unwrap(), 10).await.unwrap();
    let steps: Vec<String> = changes.iter().rev().map(|c| format!("{}>{} {:?}", c.from, c.to, c.by)).collect();
    assert_eq!(steps, ["closed>forced_open Some(Cli)", "forced_open>closed Some(Api)"], "who steered it, recorded");
}

#[tokio::test(start_paused = true)]
async fn a_disabled_breaker_counts_its_calls_and_never_opens() {
    let harness = start(RATES);
    harness.engine().steer_breaker("api", Steer::Disable, Requester::Desktop).await;
    harness.until(Duration::from_secs(20), "ten failed probes", |h| h.calls("api") >= 10).await;
    let breaker = breaker_of(&harness);
    assert_eq!(breaker.state, BreakerState::Disabled, "it never opens");
    assert_eq!((breaker.counts.calls, breaker.failure_rate), (4, Some(100.0)), "its window is still counted");
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

#[tokio::test(start_paused = true)]
async fn a_resume_from_a_suspend_runs_every_check_at_once() {
    let config = "[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"up\"]\nbreaker = { enabled = false }\ninterval = \"60s\"\ntimeout = \"1s\"\n";
    let harness = start(config);
    harness.until(Duration::from_secs(5), "the first run", |h| h.calls("api") == 1).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(harness.calls("api"), 1, "its next run is a minute away");
    // The machine sleeps an hour: tokio's timers do not count it, the wall clock jumps.
    harness.engine().inner.clock.suspend(Duration::from_secs(3600));
    harness.until(Duration::from_secs(12), "a run at once after the resume", |h| h.calls("api") == 2).await;
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(harness.calls("api"), 2, "then its rhythm again");
}

#[tokio::test(start_paused = true)]
async fn the_tray_apps_desktop_notifications_wait_for_its_shell_to_attach() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let text = format!(
        "[alerts]\ngroup_wait = \"0s\"\n\n[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"down\"]\nfailure_threshold = 1\n{ONE}"
    );
    let config = crate::config::compile(&text, "test.toml").expect("the test config compiles").config;
    let (store, _) = Store::open(dir.path()).expect("the history opens");
    let start = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("a valid time");
    let running = Engine::start(
        config,
        store,
        Options { desktop: true, ..Options::new(Clock::virtual_from(start), FixedZone::utc()) },
    )
    .expect("it starts");
    let engine = running.engine.clone();
    // The writer is a thread of its own: flushed before each read, as virtual time runs ahead.
    let log = || async {
        engine.inner.writer.flush().await.expect("the writer flushes");
        let filter = crate::store::NotificationFilter { limit: 10, ..Default::default() };
        engine.store().notifications(filter).await.expect("the log reads")
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while log().await.is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the opening is decided");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let waiting = log().await;
    assert_eq!((waiting[0].channel.as_str(), waiting[0].delivered), ("desktop", None), "waiting, not failed");

    // The shell attaches: it is shown then, and recorded as delivered.
    let mut events = engine.subscribe();
    engine.attach_desktop();
    let shown = loop {
        match events.recv().await.expect("events flow") {
            Event::Notification(sent) => break sent,
            _ => continue,
        }
    };
    assert_eq!(shown.title, "api down");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while log().await[0].delivered != Some(true) {
        assert!(tokio::time::Instant::now() < deadline, "recorded as delivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    running.shutdown().await;
}

/// Self-healing waits while its check is unknown because its parent is down, and says
/// so; the check's hint is the parent's, not its own failure's.
#[tokio::test(start_paused = true)]
async fn self_healing_waits_while_the_parent_is_down() {
    let config = format!(
        "[[check]]\nid = \"db\"\nname = \"Database\"\nkind = \"scripted\"\nscript = [\"down\"]\nfailure_threshold = 1\n{ONE}\n\
         [[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"up\", \"down\"]\nfailure_threshold = 1\ndepends_on = [\"db\"]\n\
         auto_action = {{ action = \"heal\", after = 1 }}\n{ONE}\n\
         [[action]]\nid = \"heal\"\nkind = \"command\"\ncommand = [\"true\"]\n"
    );
    let harness = start(&config);
    // Its first result (up) comes with db's first (down); its failures all come a tick
    // after db is down.
    harness.until(Duration::from_secs(10), "api failing after db is down", |h| h.calls("api") >= 4).await;
    let check = harness.engine().check("api").unwrap();
    assert_eq!(check.status, Status::Unknown);
    assert_eq!(check.over.parent_down.as_deref(), Some("Database"), "the parent, by its name");
    let healing = check.healing.as_ref().expect("api heals itself");
    assert_eq!(healing.shown, crate::healing::HealingState::Held(crate::healing::Hold::ParentDown));
    assert_eq!(healing.attempts, 0, "it never ran");
    let now = harness.engine().now();
    let zone = FixedZone::utc();
    let (message, hint) = crate::words::explain(&check, now, zone.as_ref());
    assert_eq!(message, "its parent Database is down");
    assert_eq!(hint.as_deref(), Some("fix Database first: this check waits on it and is judged again once it is up"));
    let said = crate::words::healing(healing, now).expect("it says why it waits").text;
    assert_eq!(said, "Self-healing waits: a check it depends on is down; fix that one first");
    let store = harness.engine().store();
    let filter = crate::store::ActionRunFilter { action_id: None, check_id: None, incident_id: None, limit: 10 };
    let runs = store.action_runs(filter).await.unwrap();
    assert!(runs.is_empty(), "no run was recorded: {runs:?}");
}

/// A bug that panics while holding a check's state (as the staleness sweep once did on
/// an interval too long to add) leaves nothing broken: the lock is taken back, the
/// check goes on being probed and judged, and the other checks never notice.
#[tokio::test(start_paused = true)]
async fn a_panic_holding_a_check_s_state_harms_no_one() {
    crate::panics::install();
    let config = format!(
        "[[check]]\nid = \"api\"\nkind = \"scripted\"\nscript = [\"up\", \"up\", \"down\"]\n{ONE}\n[[check]]\nid = \"db\"\nkind = \"scripted\"\nscript = [\"up\"]\n{ONE}"
    );
    let harness = start(&config);
    harness.until(Duration::from_secs(5), "api is up", |h| h.status("api") == Status::Up).await;
    let runtime = harness.engine().runtime("api").expect("api runs").clone();
    let poisoned = std::thread::spawn(move || {
        let _held = runtime.live.lock().unwrap();
        panic!("a bug while holding api's state");
    })
    .join();
    assert!(poisoned.is_err());
    assert!(harness.engine().runtime("api").unwrap().live.is_poisoned(), "the lock is poisoned");

    let api = harness.engine().check("api").unwrap();
    assert_eq!(api.status, Status::Up, "its state reads as it was: {:?}", api.reason);
    harness.until(Duration::from_secs(10), "api is judged again", |h| h.status("api") == Status::Down).await;
    let calls = harness.calls("db");
    harness.until(Duration::from_secs(5), "db is probed on", |h| h.calls("db") > calls).await;
    assert_eq!(harness.status("db"), Status::Up);
    let seen = crate::panics::seen().expect("the hook counted it");
    assert!(seen.count >= 1, "and `/healthz` tells it (tests/it/health.rs)");
}
