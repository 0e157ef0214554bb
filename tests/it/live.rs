//! The live update stream, in process: check results are coalesced, other events
//! keep their order after the checks held before them, and the stream ends when the
//! engine stops (so a daemon's shutdown never waits on an open dashboard).

use std::time::Duration;

use futures_util::StreamExt as _;
use watchkeeper::api::live::{updates, Update};
use watchkeeper::engine::Engine;
use watchkeeper::store::Store;

use crate::support::{Behaviour, Target};

fn start(config: &str) -> (tempfile::TempDir, watchkeeper::engine::Running) {
    let dir = tempfile::tempdir().unwrap();
    let compiled = watchkeeper::config::compile(config, "test.toml").unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    (dir, Engine::start(compiled.config, store, crate::support::engine_options()).unwrap())
}

async fn next(stream: &mut (impl futures_util::Stream<Item = Update> + Unpin)) -> Option<Update> {
    tokio::time::timeout(Duration::from_secs(20), stream.next()).await.expect("an update or the end within 20s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_coalesced_and_incidents_follow_their_check() {
    let target = Target::start(Behaviour::Ok).await;
    let config = format!(
        "[[check]]\nid = \"api\"\nkind = \"http\"\nurl = \"{}\"\ninterval = \"100ms\"\ntimeout = \"90ms\"\nfailure_threshold = 1\nbreaker = {{ enabled = false }}\n",
        target.url()
    );
    let (_dir, running) = start(&config);
    let mut stream = Box::pin(updates(running.engine.clone()));
    assert_eq!(next(&mut stream).await.unwrap().name, "hello");

    // One check at 10 results a second, gathered for 250ms: coalesced, each `checks` update
    // names the check once.
    let mut checks_updates = 0;
    let results_before = watchkeeper::figures::OwnFigures::get(&running.engine.figures().probes);
    while checks_updates < 8 {
        let update = next(&mut stream).await.unwrap();
        if update.name == "overview" {
            continue;
        }
        assert_eq!(update.name, "checks");
        let update: serde_json::Value = serde_json::from_str(&update.data).unwrap();
        assert_eq!(update["update"], "checks", "the update says what it is: {update}");
        let checks = update["checks"].as_array().unwrap();
        assert_eq!(checks.len(), 1, "one entry per check, however many results: {checks:?}");
        checks_updates += 1;
    }
    let results = watchkeeper::figures::OwnFigures::get(&running.engine.figures().probes) - results_before;
    assert!(2 * results >= 3 * checks_updates, "{results} results came as {checks_updates} updates: not coalesced");

    target.set(Behaviour::Status(500));
    let mut names = Vec::new();
    let mut down_seen_before_incident = false;
    while !names.contains(&"incident") {
        let update = next(&mut stream).await.unwrap();
        if update.name == "checks" && update.data.contains(r#""status":"down""#) {
            down_seen_before_incident = true;
        }
        names.push(update.name);
    }
    assert!(down_seen_before_incident, "the check's down state is sent before its incident: {names:?}");

    let engine = running.engine.clone();
    running.shutdown().await;
    loop {
        match next(&mut stream).await {
            None => break,
            Some(update) => assert_ne!(update.name, "hello", "no new session after shutdown"),
        }
    }
    drop(engine);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_is_sent_when_it_changes_and_only_then() {
    let web = Target::start(Behaviour::Ok).await;
    let search = Target::start(Behaviour::Ok).await;
    let check = |id: &str, target: &Target| {
        format!(
            "[[check]]\nid = \"{id}\"\nkind = \"http\"\nurl = \"{}\"\ngroup = \"shop\"\ninterval = \"100ms\"\ntimeout = \"90ms\"\nfailure_threshold = 1\nbreaker = {{ enabled = false }}\n",
            target.url()
        )
    };
    let (_dir, running) = start(&(check("web", &web) + &check("search", &search)));
    let mut stream = Box::pin(updates(running.engine.clone()));
    let mut overviews = Vec::new();
    // Up first: the overview is sent when it changes (once both are up), not per result.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut checks_updates = 0;
    while checks_updates < 10 {
        assert!(tokio::time::Instant::now() < deadline, "ten checks updates");
        let update = next(&mut stream).await.unwrap();
        match update.name {
            "overview" => overviews.push(serde_json::from_str::<serde_json::Value>(&update.data).unwrap()),
            "checks" if update.data.contains(r#""status":"up""#) => checks_updates += 1,
            _ => {}
        }
    }
    assert!(overviews.len() <= 3, "sent when it changed, not per result: {overviews:?}");
    let last = &running.engine.snapshot();
    assert!(last.iter().all(|c| c.status == watchkeeper::model::Status::Up), "both are up");
    if let Some(last) = overviews.last() {
        let overview = &last["overview"];
        assert_eq!(
            (overview["summary"].as_str(), overview["level"].as_str()),
            (Some("all 2 up"), Some("up")),
            "{last}"
        );
    }

    search.set(Behaviour::Status(503));
    let partial = loop {
        let update = next(&mut stream).await.unwrap();
        if update.name == "overview" && update.data.contains("partial_outage") {
            break serde_json::from_str::<serde_json::Value>(&update.data).unwrap();
        }
    };
    let overview = &partial["overview"];
    assert_eq!(overview["summary"], "shop: partial outage (search down)", "the core says it: {partial}");
    assert_eq!(overview["level"], "down");
    let group = &overview["groups"][0];
    assert_eq!(
        (group["cause"].as_str(), group["headline"].as_str()),
        (Some("search down"), Some("shop: partial outage (search down)"))
    );
    let components = group["components"].as_array().unwrap();
    assert_eq!(components.len(), 2);
    assert_eq!((components[1]["check"].as_str(), components[1]["status"].as_str()), (Some("search"), Some("down")));
    running.shutdown().await;
}
