//! The policy over scripted timelines: each test plays what happens at which second and
//! prints every decision, sent or suppressed.

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use expect_test::{expect, Expect};

use super::*;

/// A zone at UTC+1 until `switch`, UTC+2 after it (a spring DST change).
struct TestZone {
    switch: Option<DateTime<Utc>>,
}

impl Zone for TestZone {
    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        let hours = if self.switch.is_some_and(|s| at >= s) { 2 } else { 1 };
        (at + chrono::Duration::hours(hours)).naive_utc()
    }

    fn instant(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        [2, 1].into_iter().map(|h| local.and_utc() - chrono::Duration::hours(h)).find(|at| self.local(*at) == local)
    }
}

#[derive(Default)]
struct TestWorld {
    parents_down: BTreeSet<String>,
    paused: BTreeSet<String>,
    maintenance: BTreeSet<String>,
    flapping: BTreeSet<String>,
    no_network: BTreeSet<String>,
    /// What `Policy::concerned` said before the step under way: the engine's world
    /// holds only those checks, so the policy may ask about no other.
    concerned: std::cell::RefCell<BTreeSet<CheckId>>,
    /// Checks asked about that were not concerned.
    strays: std::cell::RefCell<BTreeSet<String>>,
}

impl TestWorld {
    fn asked<'a>(&self, check: &'a CheckId) -> &'a str {
        if !self.concerned.borrow().contains(check) {
            self.strays.borrow_mut().insert(check.to_string());
        }
        check.as_str()
    }
}

impl World for TestWorld {
    fn parent_down(&self, check: &CheckId) -> bool {
        self.parents_down.contains(self.asked(check))
    }

    fn paused(&self, check: &CheckId) -> bool {
        self.paused.contains(self.asked(check))
    }

    fn maintenance(&self, check: &CheckId) -> bool {
        self.maintenance.contains(self.asked(check))
    }

    fn flapping(&self, check: &CheckId) -> bool {
        self.flapping.contains(self.asked(check))
    }

    fn no_network(&self, check: &CheckId) -> bool {
        self.no_network.contains(self.asked(check))
    }
}

fn t0() -> DateTime<Utc> {
    Utc.from_utc_datetime(&NaiveDate::from_ymd_opt(2026, 3, 28).unwrap().and_hms_opt(12, 0, 0).unwrap())
}

fn subject(id: &str, group: Option<&str>, remote: bool, severity: Severity, channels: &[&str]) -> Subject {
    Subject {
        check: CheckId::parse(id).unwrap(),
        name: id.to_owned(),
        group: group.map(str::to_owned),
        remote,
        alert: CheckAlert {
            cert_days: Vec::new(),
            severity,
            channels: channels.iter().map(|c| (*c).to_owned()).collect(),
            repeat: None,
            on: AlertOn::default(),
        },
    }
}

fn web(id: &str) -> Subject {
    subject(id, None, true, Severity::Warning, &["desktop", "hook"])
}

fn opened(incident: i64, cause: &str) -> Happening {
    Happening::Opened { incident, cause: cause.to_owned(), hint: String::new(), evidence: None }
}

/// Plays `steps` (second, what) and steps the policy every second up to `until`.
struct Play {
    policy: Policy,
    /// What happens at which second, applied as `run` passes it.
    script: Vec<(i64, Subject, Happening)>,
    world: TestWorld,
    zone: TestZone,
    log: Vec<String>,
}

impl Play {
    fn new(settings: AlertSettings, remote_checks: usize) -> Play {
        Play {
            policy: Policy::new(settings, remote_checks),
            script: Vec::new(),
            world: TestWorld::default(),
            zone: TestZone { switch: None },
            log: Vec::new(),
        }
    }

    fn at(&self, second: i64) -> DateTime<Utc> {
        t0() + chrono::Duration::seconds(second)
    }

    fn offer(&mut self, second: i64, subject: Subject, happening: Happening) {
        self.script.push((second, subject, happening));
    }

    fn run(&mut self, from: i64, to: i64) {
        for second in from..=to {
            let now = self.at(second);
            let (due, later): (Vec<_>, Vec<_>) =
                std::mem::take(&mut self.script).into_iter().partition(|(at, ..)| *at == second);
            self.script = later;
            for (_, subject, happening) in due {
                self.policy.offer(subject, happening, now);
            }
            *self.world.concerned.borrow_mut() = self.policy.concerned();
            for d in self.policy.step(now, &self.world, &self.zone) {
                let local = self.zone.local(d.at).format("%H:%M:%S");
                let checks: Vec<&str> = d.checks.iter().map(CheckId::as_str).collect();
                let suppressed = d.suppressed.map_or(String::new(), |s| format!(" [{}]", s.as_str()));
                self.log.push(format!(
                    "+{second}s {local} {} {} {}{suppressed} {:?} | {} | {}",
                    d.channel,
                    d.event.as_str(),
                    d.severity.as_str(),
                    checks,
                    d.title,
                    d.body.replace('\n', " / ")
                ));
            }
        }
    }

    fn check(&self, expected: Expect) {
        expected.assert_eq(&(self.log.join("\n") + "\n"));
        let strays = self.world.strays.borrow();
        assert!(strays.is_empty(), "the policy asked about checks `concerned` did not name: {strays:?}");
    }
}

#[test]
fn a_storm_is_one_notification_per_channel_naming_the_network() {
    let mut play = Play::new(AlertSettings::default(), 50);
    for i in 0..50 {
        let id = format!("svc-{i:02}");
        play.offer(i / 25, web(&id), opened(i + 1, "timed out"));
    }
    play.run(0, 30);
    play.check(expect![[r#"
        +5s 13:00:05 desktop opened warning ["svc-00", "svc-01", "svc-02", "svc-03", "svc-04", "svc-05", "svc-06", "svc-07", "svc-08", "svc-09", "svc-10", "svc-11", "svc-12", "svc-13", "svc-14", "svc-15", "svc-16", "svc-17", "svc-18", "svc-19", "svc-20", "svc-21", "svc-22", "svc-23", "svc-24", "svc-25", "svc-26", "svc-27", "svc-28", "svc-29", "svc-30", "svc-31", "svc-32", "svc-33", "svc-34", "svc-35", "svc-36", "svc-37", "svc-38", "svc-39", "svc-40", "svc-41", "svc-42", "svc-43", "svc-44", "svc-45", "svc-46", "svc-47", "svc-48", "svc-49"] | every remote check failed (50): network or DNS? | svc-00, svc-01, svc-02, svc-03, svc-04, +45 / first: svc-00: timed out (since 13:00)
        +5s 13:00:05 hook opened warning ["svc-00", "svc-01", "svc-02", "svc-03", "svc-04", "svc-05", "svc-06", "svc-07", "svc-08", "svc-09", "svc-10", "svc-11", "svc-12", "svc-13", "svc-14", "svc-15", "svc-16", "svc-17", "svc-18", "svc-19", "svc-20", "svc-21", "svc-22", "svc-23", "svc-24", "svc-25", "svc-26", "svc-27", "svc-28", "svc-29", "svc-30", "svc-31", "svc-32", "svc-33", "svc-34", "svc-35", "svc-36", "svc-37", "svc-38", "svc-39", "svc-40", "svc-41", "svc-42", "svc-43", "svc-44", "svc-45", "svc-46", "svc-47", "svc-48", "svc-49"] | every remote check failed (50): network or DNS? | svc-00, svc-01, svc-02, svc-03, svc-04, +45 / first: svc-00: timed out (since 13:00)
    "#]]);
}

#[test]
fn a_group_a_parent_and_a_silence() {
    let mut play = Play::new(AlertSettings::default(), 10);
    let shop = |id: &str| subject(id, Some("shop"), true, Severity::Critical, &["hook"]);
    play.offer(0, shop("web"), opened(1, "503"));
    play.offer(1, shop("search"), opened(2, "refused"));
    play.offer(2, shop("cart"), opened(3, "timed out"));
    play.run(0, 6);
    // A child whose parent is down says nothing; a silenced check neither.
    play.world.parents_down.insert("child".into());
    play.offer(10, web("child"), opened(4, "refused"));
    let silence = Silence {
        id: 1,
        checks: vec![CheckId::parse("muted").unwrap()],
        groups: Vec::new(),
        starts_at: play.at(0),
        ends_at: play.at(60),
        reason: "deploy".into(),
        by: "cli".into(),
    };
    play.policy.add_silence(silence);
    play.offer(11, web("muted"), opened(5, "refused"));
    play.run(7, 20);
    // Its resolution after the silence ended is held too: its opening was never told.
    play.offer(70, web("muted"), Happening::Resolved { incident: 5, started_at: Some(play.at(11)) });
    play.offer(70, shop("web"), Happening::Resolved { incident: 1, started_at: Some(play.at(0)) });
    play.run(70, 80);
    play.check(expect![[r#"
        +5s 13:00:05 hook opened critical ["web", "search", "cart"] | 3 checks of group shop down | web, search, cart / first: web: 503 (since 13:00)
        +15s 13:00:15 desktop opened warning [parent_down] ["child"] | child down | refused (since 13:00)
        +15s 13:00:15 desktop opened warning [silenced] ["muted"] | muted down | refused (since 13:00)
        +15s 13:00:15 hook opened warning [parent_down] ["child"] | child down | refused (since 13:00)
        +15s 13:00:15 hook opened warning [silenced] ["muted"] | muted down | refused (since 13:00)
        +75s 13:01:15 hook resolved critical ["web"] | web recovered | back up after 1 min 15 s
        +75s 13:01:15 desktop resolved warning [silenced] ["muted"] | muted recovered | back up after 1 min 4 s
        +75s 13:01:15 hook resolved warning [silenced] ["muted"] | muted recovered | back up after 1 min 4 s
    "#]]);
}

#[test]
fn a_failure_that_comes_and_goes_within_group_wait_tells_nothing() {
    let mut play = Play::new(AlertSettings::default(), 10);
    play.offer(0, web("blip"), opened(1, "timed out"));
    play.offer(2, web("blip"), Happening::Resolved { incident: 1, started_at: Some(play.at(0)) });
    play.run(0, 10);
    assert!(play.log.is_empty(), "{:?}", play.log);
    assert!(play.policy.open_incidents().is_empty());
}

#[test]
fn reminders_repeat_up_to_their_cap_and_an_ack_stops_them() {
    let settings =
        AlertSettings { repeat: Some(Duration::from_secs(60)), max_reminders: 2, ..AlertSettings::default() };
    let mut play = Play::new(settings, 10);
    let mut db = subject("db", None, false, Severity::Critical, &["hook"]);
    db.alert.repeat = Some(Duration::from_secs(60));
    let mut api = subject("api", None, false, Severity::Warning, &["hook"]);
    api.alert.repeat = Some(Duration::from_secs(60));
    play.offer(0, db, opened(1, "refused"));
    play.offer(30, api, opened(2, "503"));
    play.run(0, 100);
    play.policy.ack(2);
    // A paused check is reminded of nothing while paused.
    play.world.paused.insert("db".into());
    play.run(101, 140);
    play.world.paused.clear();
    play.run(141, 400);
    play.check(expect![[r#"
        +5s 13:00:05 hook opened critical ["db"] | db down | refused (since 13:00)
        +35s 13:00:35 hook opened warning ["api"] | api down | 503 (since 13:00)
        +65s 13:01:05 hook reminder critical ["db"] | db still down | down since 13:00 (1 min 5 s), reminder 1 of 2 / refused
        +95s 13:01:35 hook reminder warning ["api"] | api still down | down since 13:00 (1 min 5 s), reminder 1 of 2 / 503
        +155s 13:02:35 hook reminder warning [acked] ["api"] | api still down | down since 13:00 (2 min 5 s), reminder 1 of 2 / 503
        +185s 13:03:05 hook reminder critical ["db"] | db still down | down since 13:00 (3 min 5 s), reminder 2 of 2 / refused
    "#]]);
}

#[test]
fn a_channel_a_reload_removed_is_told_no_more_reminders_nor_the_resolution() {
    let settings =
        AlertSettings { repeat: Some(Duration::from_secs(60)), max_reminders: 5, ..AlertSettings::default() };
    let mut play = Play::new(settings, 10);
    let mut db = subject("db", None, false, Severity::Critical, &["hook", "old"]);
    db.alert.repeat = Some(Duration::from_secs(60));
    play.offer(0, db.clone(), opened(1, "refused"));
    // After the reload, the check's channels are the new config's.
    let mut reloaded = subject("db", None, false, Severity::Critical, &["hook"]);
    reloaded.alert.repeat = Some(Duration::from_secs(60));
    play.offer(150, reloaded, Happening::Resolved { incident: 1, started_at: Some(play.at(0)) });
    play.run(0, 100);
    play.policy.forget_channels(&["old".to_owned()]);
    play.run(101, 200);
    play.check(expect![[r#"
        +5s 13:00:05 hook opened critical ["db"] | db down | refused (since 13:00)
        +5s 13:00:05 old opened critical ["db"] | db down | refused (since 13:00)
        +65s 13:01:05 hook reminder critical ["db"] | db still down | down since 13:00 (1 min 5 s), reminder 1 of 5 / refused
        +65s 13:01:05 old reminder critical ["db"] | db still down | down since 13:00 (1 min 5 s), reminder 1 of 5 / refused
        +125s 13:02:05 hook reminder critical ["db"] | db still down | down since 13:00 (2 min 5 s), reminder 2 of 5 / refused
        +155s 13:02:35 hook resolved critical ["db"] | db recovered | back up after 2 min 35 s
    "#]]);
}

#[test]
fn quiet_hours_across_midnight_hold_warnings_until_they_end_and_let_critical_through() {
    let quiet = QuietHours {
        from: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        to: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        except: vec![Severity::Critical],
    };
    let settings = AlertSettings { quiet_hours: Some(quiet), ..AlertSettings::default() };
    let mut play = Play::new(settings, 10);
    // 12:00 UTC is 13:00 local; 23:30 local is 22:30 UTC, 10.5 h in.
    let night = 10 * 3600 + 30 * 60;
    play.offer(night, subject("disk", None, false, Severity::Warning, &["hook"]), opened(1, "disk 97% full"));
    play.offer(night, subject("db", None, false, Severity::Critical, &["hook"]), opened(2, "refused"));
    play.offer(night + 60, subject("cache", None, false, Severity::Warning, &["hook"]), opened(3, "refused"));
    play.run(night, night + 70);
    // Cache recovers at night: its resolution is held like its opening.
    play.offer(
        night + 3600,
        subject("cache", None, false, Severity::Warning, &["hook"]),
        Happening::Resolved { incident: 3, started_at: Some(play.at(night + 60)) },
    );
    play.run(night + 3600, night + 3610);
    // 07:00 local is 06:00 UTC: 18 h after 12:00. The disk is still full.
    assert!(play.policy.due(play.at(night + 3610), &play.zone).is_some_and(|due| due == play.at(18 * 3600)));
    let morning = 18 * 3600;
    play.run(morning - 2, morning + 1);
    play.check(expect![[r#"
        +37805s 23:30:05 hook opened critical ["db"] | db down | refused (since 23:30)
        +37805s 23:30:05 hook opened warning [quiet_hours] ["disk"] | disk down | disk 97% full (since 23:30)
        +37865s 23:31:05 hook opened warning [quiet_hours] ["cache"] | cache down | refused (since 23:31)
        +41405s 00:30:05 hook resolved warning [quiet_hours] ["cache"] | cache recovered | back up after 59 min 5 s
        +64800s 07:00:00 hook opened warning ["disk"] | disk down | disk 97% full (since 23:30)
    "#]]);
}

#[test]
fn quiet_hours_follow_a_dst_change() {
    let quiet = QuietHours {
        from: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        to: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        except: Vec::new(),
    };
    let settings = AlertSettings { quiet_hours: Some(quiet), ..AlertSettings::default() };
    let mut play = Play::new(settings, 10);
    // Clocks go forward at 01:00 UTC: 07:00 local comes at 05:00 UTC, an hour sooner.
    play.zone.switch = Some(play.at(13 * 3600));
    let night = 10 * 3600 + 30 * 60;
    play.offer(night, subject("disk", None, false, Severity::Warning, &["hook"]), opened(1, "disk 97% full"));
    play.run(night, night + 10);
    play.run(17 * 3600 - 2, 17 * 3600 + 1);
    play.check(expect![[r#"
        +37805s 23:30:05 hook opened warning [quiet_hours] ["disk"] | disk down | disk 97% full (since 23:30)
        +61200s 07:00:00 hook opened warning ["disk"] | disk down | disk 97% full (since 23:30)
    "#]]);
}

#[test]
fn a_restart_mid_reminder_continues_the_schedule() {
    let settings =
        AlertSettings { repeat: Some(Duration::from_secs(60)), max_reminders: 3, ..AlertSettings::default() };
    let mut play = Play::new(settings.clone(), 10);
    let mut db = subject("db", None, false, Severity::Warning, &["hook"]);
    db.alert.repeat = Some(Duration::from_secs(60));
    play.offer(0, db.clone(), opened(7, "refused"));
    play.run(0, 70);
    let kept = play.policy.open_incidents()[&7].clone();
    assert_eq!((kept.reminders, kept.told.as_slice()), (1, ["hook".to_owned()].as_slice()));
    // A new policy (the restart) takes back the open incident as the store gives it.
    let mut after = Play::new(settings, 10);
    after.policy.restore(7, kept);
    after.run(71, 200);
    after.check(expect![[r#"
        +125s 13:02:05 hook reminder warning ["db"] | db still down | down since 13:00 (2 min 5 s), reminder 2 of 3 / refused
        +185s 13:03:05 hook reminder warning ["db"] | db still down | down since 13:00 (3 min 5 s), reminder 3 of 3 / refused
    "#]]);
}

#[test]
fn quiet_hours_contain_their_span() {
    let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let night = QuietHours { from: t(22, 0), to: t(7, 0), except: Vec::new() };
    assert!(night.contains(t(23, 0)) && night.contains(t(0, 0)) && night.contains(t(6, 59)));
    assert!(!night.contains(t(7, 0)) && !night.contains(t(12, 0)) && !night.contains(t(21, 59)));
    let lunch = QuietHours { from: t(12, 0), to: t(13, 0), except: Vec::new() };
    assert!(lunch.contains(t(12, 30)) && !lunch.contains(t(13, 0)) && !lunch.contains(t(11, 0)));
}

#[test]
fn what_the_review_found_a_pause_a_night_resolution_an_ack_at_night_and_no_reminders() {
    let quiet = QuietHours {
        from: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        to: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        except: Vec::new(),
    };
    // `max_reminders = 0` with a `repeat`: no reminder at all.
    let settings = AlertSettings {
        quiet_hours: Some(quiet),
        repeat: Some(Duration::from_secs(60)),
        max_reminders: 0,
        ..AlertSettings::default()
    };
    let mut play = Play::new(settings, 10);
    let hook = |id: &str| {
        let mut s = subject(id, None, false, Severity::Warning, &["hook"]);
        s.alert.repeat = Some(Duration::from_secs(60));
        s
    };
    // 20:00 local (19:00 UTC, 7 h in): told; it recovers at night, and its resolution is
    // told even so: a receiver must not keep it open.
    let evening = 7 * 3600;
    play.offer(evening, hook("web"), opened(1, "503"));
    // Paused while its opening is due: told once the pause ends, still down.
    play.world.paused.insert("db".into());
    play.offer(evening, hook("db"), opened(2, "refused"));
    play.run(evening, evening + 300);
    play.world.paused.clear();
    play.run(evening + 301, evening + 302);
    let night = 10 * 3600 + 30 * 60;
    play.offer(night, hook("web"), Happening::Resolved { incident: 1, started_at: None });
    // Opened at night and acknowledged before morning: nothing to tell at 07:00.
    play.offer(night, hook("disk"), opened(3, "97% full"));
    // The same incident offered twice (taken back at start, then its event): told once.
    play.offer(evening + 400, hook("db"), opened(2, "refused"));
    play.run(evening + 400, evening + 410);
    play.run(night, night + 10);
    play.policy.ack(3);
    play.run(18 * 3600 - 1, 18 * 3600 + 1);
    play.check(expect![[r#"
        +25205s 20:00:05 hook opened warning ["web"] | web down | 503 (since 20:00)
        +25501s 20:05:01 hook opened warning ["db"] | db down | refused (since 20:00)
        +37805s 23:30:05 hook opened warning [quiet_hours] ["disk"] | disk down | 97% full (since 23:30)
        +37805s 23:30:05 hook resolved warning ["web"] | web recovered | back up after 3 h 30 min
    "#]]);
}

#[test]
fn a_maintenance_window_holds_what_its_checks_say_and_its_edges_are_quiet() {
    let settings =
        AlertSettings { repeat: Some(Duration::from_secs(60)), max_reminders: 5, ..AlertSettings::default() };
    let mut play = Play::new(settings, 10);
    let mut db = subject("db", None, false, Severity::Warning, &["hook"]);
    db.alert.repeat = Some(Duration::from_secs(60));
    // An incident told before the window: its reminder in the window is held, its
    // resolution in the window goes out (a receiver must not keep it open).
    play.offer(0, db.clone(), opened(1, "refused"));
    play.run(0, 10);
    play.world.maintenance.insert("db".into());
    play.world.maintenance.insert("cache".into());
    play.run(11, 70);
    play.offer(80, db.clone(), Happening::Resolved { incident: 1, started_at: None });
    // An opening still gathering when its window starts is held, and told at the
    // window's end if still open; a notice in the window is held.
    play.world.maintenance.remove("cache");
    play.offer(90, web("cache"), opened(2, "timed out"));
    play.run(80, 92);
    play.world.maintenance.insert("cache".into());
    let notice = Happening::Notice {
        event: NotifyEvent::ServiceBreaker,
        title: "cache: breaker redis OPEN".into(),
        body: "service breaker redis is OPEN".into(),
    };
    play.offer(93, web("cache"), notice);
    play.run(93, 100);
    play.world.maintenance.remove("cache");
    play.run(101, 102);
    play.check(expect![[r#"
        +5s 13:00:05 hook opened warning ["db"] | db down | refused (since 13:00)
        +65s 13:01:05 hook reminder warning [maintenance] ["db"] | db still down | down since 13:00 (1 min 5 s), reminder 1 of 5 / refused
        +85s 13:01:25 hook resolved warning ["db"] | db recovered | back up after 1 min 25 s
        +95s 13:01:35 desktop opened warning [maintenance] ["cache"] | cache down | timed out (since 13:01)
        +95s 13:01:35 hook opened warning [maintenance] ["cache"] | cache down | timed out (since 13:01)
        +98s 13:01:38 desktop service_breaker warning [maintenance] ["cache"] | cache: breaker redis OPEN | service breaker redis is OPEN
        +98s 13:01:38 hook service_breaker warning [maintenance] ["cache"] | cache: breaker redis OPEN | service breaker redis is OPEN
        +101s 13:01:41 desktop opened warning ["cache"] | cache down | timed out (since 13:01)
        +101s 13:01:41 hook opened warning ["cache"] | cache down | timed out (since 13:01)
    "#]]);
}

#[test]
fn a_flapping_check_tells_so_once_then_nothing_until_it_settles() {
    let mut play = Play::new(AlertSettings::default(), 10);
    let api = || subject("api", None, false, Severity::Warning, &["hook"]);
    let notice = |started: bool| Happening::Notice {
        event: NotifyEvent::Flapping,
        title: if started { "api is flapping".into() } else { "api stopped flapping".into() },
        body: String::new(),
    };
    // It starts flapping: that is told; its openings and resolutions meanwhile are not.
    play.world.flapping.insert("api".into());
    play.offer(0, api(), notice(true));
    play.offer(1, api(), opened(1, "refused"));
    play.offer(10, api(), Happening::Resolved { incident: 1, started_at: None });
    play.offer(12, api(), opened(2, "refused"));
    play.run(0, 20);
    // It settles down: that is told, and its incident still open is told then.
    play.world.flapping.remove("api");
    play.offer(30, api(), notice(false));
    play.run(30, 40);
    play.check(expect![[r#"
        +5s 13:00:05 hook flapping warning ["api"] | api is flapping | 
        +6s 13:00:06 hook opened warning [flapping] ["api"] | api down | refused (since 13:00)
        +15s 13:00:15 hook resolved warning [flapping] ["api"] | api recovered | back up after 14 s
        +17s 13:00:17 hook opened warning [flapping] ["api"] | api down | refused (since 13:00)
        +30s 13:00:30 hook opened warning ["api"] | api down | refused (since 13:00)
        +35s 13:00:35 hook flapping warning ["api"] | api stopped flapping | 
    "#]]);
}

#[test]
fn no_network_is_told_once_naming_the_remote_checks_and_holds_the_rest() {
    let mut play = Play::new(AlertSettings::default(), 3);
    let notice = || Happening::Notice {
        event: NotifyEvent::NoNetwork,
        title: "no network".into(),
        body: "tcp://192.0.2.1:443: timed out\nremote checks are unknown until it is back".into(),
    };
    // One was gathering when the network went: held, told once the network is back if
    // still open.
    play.offer(0, web("api"), opened(1, "timed out"));
    play.offer(0, web("cdn"), opened(2, "timed out"));
    for id in ["api", "cdn", "mail"] {
        play.world.no_network.insert(id.into());
        play.offer(1, web(id), notice());
    }
    play.run(0, 10);
    // cdn recovers once probed again: neither its opening nor its resolution is told.
    play.offer(11, web("cdn"), Happening::Resolved { incident: 2, started_at: None });
    play.run(11, 17);
    play.world.no_network.clear();
    play.run(18, 19);
    play.check(expect![[r#"
        +5s 13:00:05 desktop opened warning [no_network] ["api", "cdn"] | 2 checks down | api, cdn / first: api: timed out (since 13:00)
        +5s 13:00:05 hook opened warning [no_network] ["api", "cdn"] | 2 checks down | api, cdn / first: api: timed out (since 13:00)
        +6s 13:00:06 desktop no_network warning ["api", "cdn", "mail"] | no network: 3 remote checks unknown | tcp://192.0.2.1:443: timed out / remote checks are unknown until it is back / api, cdn, mail
        +6s 13:00:06 hook no_network warning ["api", "cdn", "mail"] | no network: 3 remote checks unknown | tcp://192.0.2.1:443: timed out / remote checks are unknown until it is back / api, cdn, mail
        +16s 13:00:16 desktop resolved warning [no_network] ["cdn"] | cdn recovered | back up after 16 s
        +16s 13:00:16 hook resolved warning [no_network] ["cdn"] | cdn recovered | back up after 16 s
        +18s 13:00:18 desktop opened warning ["api"] | api down | timed out (since 13:00)
        +18s 13:00:18 hook opened warning ["api"] | api down | timed out (since 13:00)
    "#]]);
}
