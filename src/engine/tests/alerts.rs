//! Notification timelines in paused time: what reaches a channel (the recording kind),
//! when, and what never does, however long one waits. Each wait for nothing is a
//! minute of virtual time, which costs milliseconds.

use std::time::Duration;

use super::*;
use crate::alert::channel::Payload;
use crate::model::{NotifyEvent, Suppressed};

/// `n` scripted checks `svc-00`, `svc-01`, ... playing `script` (a TOML array), failing at
/// the first bad result.
fn checks(n: usize, script: &str, extra: &str) -> String {
    (0..n)
        .map(|i| {
            format!("[[check]]\nid = \"svc-{i:02}\"\nkind = \"scripted\"\nscript = {script}\nfailure_threshold = 1\n{ONE}{extra}\n")
        })
        .collect()
}

/// A recording channel `id` whose attempts go as `outcomes` say.
fn channel(id: &str, outcomes: &str) -> String {
    format!("[[channel]]\nid = \"{id}\"\nkind = \"recording\"\noutcomes = {outcomes}\n\n")
}

fn events(told: &[Payload]) -> Vec<NotifyEvent> {
    told.iter().map(|p| p.event).collect()
}

/// A minute of virtual time: anything due would have come.
async fn a_minute_later() {
    tokio::time::sleep(Duration::from_secs(60)).await;
}

#[tokio::test(start_paused = true)]
async fn a_storm_is_one_notification_per_channel_and_nothing_after_it() {
    let config = format!(
        "[alerts]\ngroup_wait = \"2s\"\nchannels = [\"rec\", \"other\"]\n\n{}{}{}",
        channel("rec", "[\"ok\"]"),
        channel("other", "[\"ok\"]"),
        checks(20, "[\"up\", \"down\"]", "")
    );
    let harness = start(&config);
    harness
        .until(Duration::from_secs(30), "both channels are told", |h| {
            !h.channel("rec").delivered().is_empty() && !h.channel("other").delivered().is_empty()
        })
        .await;
    a_minute_later().await;
    let told = harness.channel("rec").delivered();
    assert_eq!(events(&told), [NotifyEvent::Opened], "one notification for the storm, and nothing after it");
    assert_eq!(told[0].title, "20 checks down");
    assert_eq!(told[0].checks.len(), 20, "it names every check of the burst");
    assert_eq!(harness.channel("other").delivered().len(), 1, "one on each channel");
    let log = harness.log().await;
    let mut rows: Vec<(&str, bool)> = log.iter().map(|n| (n.channel.as_str(), n.delivered == Some(true))).collect();
    rows.sort();
    assert_eq!(rows, [("other", true), ("rec", true)], "one decision per channel in the log, each delivered");
    assert_eq!(log[0].incidents.len(), 20, "the row tells of every incident in the burst");
}

#[tokio::test(start_paused = true)]
async fn reminders_go_on_across_a_restart_and_an_acknowledgement_stops_them() {
    let config = |script: &str| {
        format!(
            "[alerts]\ngroup_wait = \"0s\"\nrepeat = \"10s\"\nmax_reminders = 100\nchannels = [\"rec\"]\n\n{}{}",
            channel("rec", "[\"ok\"]"),
            checks(1, script, "")
        )
    };
    let harness = start(&config("[\"up\", \"down\"]"));
    harness
        .until(Duration::from_secs(60), "the opening and two reminders", |h| h.channel("rec").delivered().len() >= 3)
        .await;
    let before = harness.channel("rec").delivered();
    assert_eq!(events(&before)[..3], [NotifyEvent::Opened, NotifyEvent::Reminder, NotifyEvent::Reminder]);
    assert_eq!(before[2].at - before[1].at, chrono::Duration::seconds(10), "every `repeat`");

    // A restart: the incident stays open; no second opening, and reminders go on where
    // they were.
    let last = before.last().expect("told").at;
    let harness = harness.restart(&config("[\"down\"]")).await;
    harness
        .until(Duration::from_secs(60), "a reminder after the restart", |h| !h.channel("rec").delivered().is_empty())
        .await;
    let after = harness.channel("rec").delivered();
    assert_eq!(events(&after), [NotifyEvent::Reminder], "no second opening after the restart");
    let gap = after[0].at - last;
    assert!(
        gap >= chrono::Duration::seconds(10) && gap < chrono::Duration::seconds(11),
        "the next reminder comes `repeat` after the last one before the stop, not sooner nor later: {gap}"
    );

    let incident = harness.engine().check("svc-00").and_then(|c| c.open_incident).expect("an open incident");
    harness.engine().ack(incident, None, Requester::Api).await.expect("acknowledged");
    let told = harness.channel("rec").delivered().len();
    a_minute_later().await;
    assert_eq!(harness.channel("rec").delivered().len(), told, "an acknowledgement stops the reminders");
    let held: Vec<Option<Suppressed>> =
        harness.log().await.iter().filter(|n| n.suppressed.is_some()).map(|n| n.suppressed).collect();
    assert_eq!(held, [Some(Suppressed::Acked)], "the one reminder held back is in the log, once");
}

#[tokio::test(start_paused = true)]
async fn a_delivery_pending_at_a_stop_is_taken_up_after_the_restart_and_delivered_once() {
    let config = |outcomes: &str| {
        format!(
            "[alerts]\ngroup_wait = \"0s\"\nchannels = [\"rec\"]\n\n{}{}",
            channel("rec", outcomes),
            checks(1, "[\"up\", \"down\"]", "")
        )
    };
    let harness = start(&config("[\"fail\"]"));
    harness.until(Duration::from_secs(30), "two failed attempts", |h| h.channel("rec").attempts().len() >= 2).await;
    let attempts = harness.channel("rec").attempts();
    assert_eq!(attempts[1].at - attempts[0].at, Duration::from_secs(1), "tried again after the backoff");
    let pending = harness.log().await;
    assert_eq!((pending[0].delivered, pending[0].error.as_deref()), (None, Some("the script says fail")));

    let harness = harness.restart(&config("[\"fail\", \"ok\"]").replace("[\"up\", \"down\"]", "[\"down\"]")).await;
    harness
        .until(Duration::from_secs(30), "delivered after the restart", |h| !h.channel("rec").delivered().is_empty())
        .await;
    a_minute_later().await;
    let told = harness.channel("rec").delivered();
    assert_eq!(events(&told), [NotifyEvent::Opened], "the opening decided before the stop, delivered once");
    assert_eq!(told[0].id, pending[0].id, "the same notification, not a new decision");
    let log = harness.log().await;
    assert_eq!(log.len(), 1, "one row in the log");
    assert_eq!(log[0].delivered, Some(true));
    assert!(log[0].attempts >= 4, "attempts before the stop and after count together: {}", log[0].attempts);
}

#[tokio::test(start_paused = true)]
async fn a_burst_told_before_a_restart_is_not_told_again() {
    let config = |script: &str| {
        format!(
            "[alerts]\ngroup_wait = \"1s\"\nchannels = [\"rec\"]\n\n{}{}",
            channel("rec", "[\"ok\"]"),
            checks(3, script, "")
        )
    };
    let harness = start(&config("[\"up\", \"down\"]"));
    harness.until(Duration::from_secs(30), "the burst is told", |h| !h.channel("rec").delivered().is_empty()).await;
    assert_eq!(harness.channel("rec").delivered()[0].title, "3 checks down");
    let harness = harness.restart(&config("[\"down\"]")).await;
    a_minute_later().await;
    assert!(harness.channel("rec").delivered().is_empty(), "nothing is told again after the restart");
    assert_eq!(harness.log().await.len(), 1, "and nothing new is decided");
}

#[tokio::test(start_paused = true)]
async fn a_flapping_check_is_told_once_and_quiet_until_it_settles_across_a_restart() {
    let alternating = |n: usize, then: &str| {
        let steps: Vec<&str> = (0..n).map(|i| if i % 2 == 0 { "\"up\"" } else { "\"down\"" }).collect();
        format!("[{}, {then}]", steps.join(", "))
    };
    let config = |script: &str| {
        format!(
            "[alerts]\ngroup_wait = \"0s\"\nchannels = [\"rec\"]\nflap = {{ window = 7, high = 50, low = 25 }}\n\n{}{}",
            channel("rec", "[\"ok\"]"),
            checks(1, script, "")
        )
    };
    let harness = start(&config(&alternating(60, "\"up\"")));
    harness
        .until(Duration::from_secs(60), "the flapping is told", |h| {
            events(&h.channel("rec").delivered()).contains(&NotifyEvent::Flapping)
        })
        .await;
    let told = harness.channel("rec").delivered();
    assert_eq!(told.last().map(|p| p.title.as_str()), Some("svc-00 is flapping"));
    assert!(harness.engine().check("svc-00").is_some_and(|c| c.flapping), "the check shows it");
    let before = told.len();
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(harness.channel("rec").delivered().len(), before, "nothing more is told while it flaps");
    let held = harness.log().await.iter().filter(|n| n.suppressed == Some(Suppressed::Flapping)).count();
    assert!(held > 0, "its openings and resolutions are held, and logged as flapping");

    // A restart keeps the flap; it settles up later, told once.
    let harness = harness.restart(&config(&alternating(10, "\"up\""))).await;
    assert!(harness.engine().check("svc-00").is_some_and(|c| c.flapping), "restored as flapping");
    harness.until(Duration::from_secs(60), "the settling is told", |h| !h.channel("rec").delivered().is_empty()).await;
    a_minute_later().await;
    let told = harness.channel("rec").delivered();
    assert_eq!(events(&told), [NotifyEvent::Flapping], "not told again that it flaps; only that it stopped");
    assert_eq!(told[0].title, "svc-00 stopped flapping");
    assert!(told[0].body.starts_with("now up;"), "{}", told[0].body);
}

#[tokio::test(start_paused = true)]
async fn a_silence_mutes_on_every_channel_and_what_it_held_stays_untold() {
    let downs = vec!["\"down\""; 80].join(", ");
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\nrepeat = \"5s\"\nmax_reminders = 100\nchannels = [\"rec\"]\n\n{}{}",
        channel("rec", "[\"ok\"]"),
        checks(2, &format!("[\"up\", {downs}, \"up\"]"), "group = \"shop\"\n")
    );
    let harness = start(&config);
    let now = harness.engine().now();
    let silence = crate::store::SilenceRecord {
        id: 0,
        checks: Vec::new(),
        groups: vec!["shop".to_owned()],
        starts_at: now,
        ends_at: now + chrono::Duration::hours(1),
        reason: "deploying".to_owned(),
        created_by: "api".to_owned(),
        ended_at: None,
    };
    let silence = harness.engine().silence(silence).await;
    harness.until(Duration::from_secs(10), "both are down", |h| h.status("svc-01") == Status::Down).await;
    a_minute_later().await;
    assert!(harness.channel("rec").delivered().is_empty(), "nothing reaches the channel while silenced");
    let log = harness.log().await;
    let openings: Vec<Option<Suppressed>> =
        log.iter().filter(|n| n.event == NotifyEvent::Opened).map(|n| n.suppressed).collect();
    assert_eq!(openings, [Some(Suppressed::Silenced); 2], "the openings are decided, and held as silenced");
    assert!(harness.engine().check("svc-00").is_some_and(|c| c.open_incident.is_some()), "incidents go on");

    // Ended early: what it held is not told later, nor its resolution (docs/alerts.md).
    harness.engine().end_silence(silence.id).await.expect("ended");
    harness.until(Duration::from_secs(60), "they recover", |h| h.status("svc-00") == Status::Up).await;
    a_minute_later().await;
    assert!(harness.channel("rec").delivered().is_empty(), "an opening held by a silence stays untold");
    let resolutions: Vec<Option<Suppressed>> =
        harness.log().await.iter().filter(|n| n.event == NotifyEvent::Resolved).map(|n| n.suppressed).collect();
    assert_eq!(resolutions, [Some(Suppressed::Silenced); 2], "their resolutions are held as their openings were");
}

/// A breaker's trials are one incident: a passing trial resolves nothing while the
/// breaker is still trying, so a service that fails, passes a trial, fails the next and
/// then passes its trials is told down once and recovered once, when the breaker closed.
#[tokio::test(start_paused = true)]
async fn a_breaker_s_trials_are_one_incident_told_once() {
    let script = r#"["down", "down", "down", "down", "up", "down", "up", "up"]"#;
    let breaker = "breaker = { window = 4, min_calls = 4, failure_rate = 50, half_open_calls = 2, open_for = \"2s\", max_open_for = \"1m\" }";
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\nchannels = [\"rec\"]\n\n{}[[check]]\nid = \"svc-00\"\nkind = \"scripted\"\nscript = {script}\nfailure_threshold = 1\ninterval = \"1s\"\ntimeout = \"500ms\"\n{breaker}\n",
        channel("rec", "[\"ok\"]"),
    );
    let harness = start(&config);
    let closed_again = |h: &Harness| {
        let check = h.engine().check("svc-00").unwrap();
        h.calls("svc-00") >= 8 && check.breaker.is_some_and(|b| b.state == BreakerState::Closed)
    };
    harness.until(Duration::from_secs(60), "the breaker closes after its trials", closed_again).await;
    assert_eq!(harness.status("svc-00"), Status::Up, "up once the breaker closed and the threshold was met");
    a_minute_later().await;
    let told = harness.channel("rec").delivered();
    assert_eq!(events(&told), [NotifyEvent::Opened, NotifyEvent::Resolved], "down once, recovered once");
    let log = harness.log().await;
    assert_eq!(log.len(), 2, "and nothing else decided");
}

/// `alert.on`: a check that tells its degraded spells says when one starts (with why)
/// and when it ends; one that tells only those says nothing of going down; the default
/// says nothing of degraded ones.
#[tokio::test(start_paused = true)]
async fn alert_on_degraded_tells_degraded_spells_and_only_the_states_chosen() {
    let script = "[\"up\", \"slow:300ms\", \"slow:300ms\", \"up\", \"down\", \"up\"]";
    let extra = |on: &str| format!("degraded_if = [\"latency > 100ms\"]\nalert = {{ channels = [\"rec\"]{on} }}\n");
    let config = format!(
        "[alerts]\ngroup_wait = \"0s\"\n\n{}{}",
        channel("rec", "[\"ok\"]"),
        [("both", ", on = [\"down\", \"degraded\"]"), ("degraded", ", on = [\"degraded\"]"), ("default", "")]
            .iter()
            .map(|(id, on)| format!(
                "[[check]]\nid = \"{id}\"\nkind = \"scripted\"\nscript = {script}\nfailure_threshold = 1\n{ONE}{}\n",
                extra(on)
            ))
            .collect::<String>()
    );
    let harness = start(&config);
    harness
        .until(Duration::from_secs(30), "every check has played its script", |h| {
            ["both", "degraded", "default"].iter().all(|id| h.calls(id) >= 6)
        })
        .await;
    a_minute_later().await;
    let told = harness.channel("rec").delivered();
    let of = |id: &str| -> Vec<(NotifyEvent, String)> {
        told.iter().filter(|p| p.checks.iter().any(|c| c.id == id)).map(|p| (p.event, p.title.clone())).collect()
    };
    use NotifyEvent::*;
    let both = of("both");
    assert_eq!(both.iter().map(|(e, _)| *e).collect::<Vec<_>>(), [Degraded, Restored, Opened, Resolved], "{both:?}");
    assert_eq!(both[0].1, "both degraded");
    assert_eq!(both[1].1, "both no longer degraded");
    let only = of("degraded");
    assert_eq!(only.iter().map(|(e, _)| *e).collect::<Vec<_>>(), [Degraded, Restored], "no down: {only:?}");
    let default = of("default");
    assert_eq!(default.iter().map(|(e, _)| *e).collect::<Vec<_>>(), [Opened, Resolved], "{default:?}");
    let body = &told.iter().find(|p| p.event == Degraded).expect("a degraded notice").body;
    assert!(body.contains("latency"), "it says why: {body}");
}
