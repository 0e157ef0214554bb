//! What the desktop app shows, decided here so its shell (src-tauri/) stays thin: the
//! tray's icon, summary and menu entries, and the notifications the alert policy sends
//! to the desktop channel, with their buttons. Nothing here knows Tauri; the shell only
//! draws what these values say.

mod urgent;

pub use urgent::Urgent;

use tokio::sync::broadcast::error::RecvError;

use crate::breaker::Steer;
use crate::engine::{CheckSnapshot, Engine, Event, Sent};
use crate::model::{NotifyEvent, Severity, Status};

/// Failing checks listed in the tray menu; the rest are counted in one entry.
pub const MENU_CHECKS: usize = 15;

/// Which of the four tray icons is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayLevel {
    Ok,
    Degraded,
    Down,
    /// Not known yet, stale, paused or in maintenance.
    Unknown,
}

impl TrayLevel {
    /// The icon's name in icons/ (`tray-<name>.png`).
    pub fn as_str(self) -> &'static str {
        match self {
            TrayLevel::Ok => "ok",
            TrayLevel::Degraded => "degraded",
            TrayLevel::Down => "down",
            TrayLevel::Unknown => "unknown",
        }
    }

    fn of(status: Status) -> TrayLevel {
        match status {
            Status::Up => TrayLevel::Ok,
            Status::Degraded => TrayLevel::Degraded,
            Status::Down => TrayLevel::Down,
            Status::Unknown | Status::Paused | Status::Maintenance => TrayLevel::Unknown,
        }
    }
}

/// Everything the tray shows; the shell redraws when it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct TrayView {
    pub level: TrayLevel,
    /// One line: "3 down: orders-api, db, vpn" or "all 12 up".
    pub summary: String,
    /// Failing checks, worst first, at most [`MENU_CHECKS`].
    pub failing: Vec<FailingCheck>,
    /// Failing checks beyond those listed.
    pub more: usize,
    /// Every check is paused: the menu offers "Resume all".
    pub all_paused: bool,
    /// What is off in Watchkeeper itself (`/healthz`'s degraded list: a damaged
    /// history moved aside, and where to; failing commits; a caught panic), each a
    /// menu line under the summary that opens the dashboard.
    pub own: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FailingCheck {
    pub id: String,
    pub name: String,
    pub status: Status,
    /// Its state in one line (`words::state_line`): its menu's title.
    pub text: String,
    /// Its open incident, when it is not acknowledged yet: the menu offers to.
    pub unacked: Option<i64>,
    pub actions: Vec<MenuAction>,
    /// What its breaker entry does (`words::steer` says it): a reset when it is open,
    /// forced open or disabled, else forcing it open; `None` without a breaker.
    pub breaker: Option<Steer>,
}

/// The tray's breaker entry for a breaker in `state`: a reset when it is open, forced
/// open or disabled, else forcing it open.
fn offered(state: crate::model::BreakerState) -> Steer {
    use crate::model::BreakerState::*;
    match state {
        Closed | HalfOpen => Steer::ForceOpen,
        Open | ForcedOpen | Disabled => Steer::Reset,
    }
}

/// What the tray's breaker entry of `check` (its `code`, `Steer::code`) asks.
pub fn steer(check: &str, code: &str) -> Option<crate::api::dto::BreakerArgs> {
    let steer = Steer::parse(code)?;
    Some(crate::api::dto::BreakerArgs { id: check.to_owned(), state: steer.target().into() })
}

/// What the tray's quick pause (`words::QUICK_PAUSE`) of `check` asks.
pub fn pause(check: &str) -> crate::api::dto::PauseArgs {
    crate::api::dto::PauseArgs { id: check.to_owned(), duration: Some(crate::words::QUICK_PAUSE.0.to_owned()) }
}

/// A recovery action as a menu entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuAction {
    pub id: String,
    pub name: String,
    /// Asks for confirmation first: the tray opens it in the dashboard instead of running it.
    pub confirm: bool,
}

/// The dashboard's page where a check is added: the tray's "Add check…" opens it.
pub const ADD_CHECK_ROUTE: &str = "#/checks/new";

/// The tray's view of the checks: the engine's overview (its level and summary, as
/// the dashboard's header shows them) and the failing checks to act on.
pub fn tray_view(engine: &Engine) -> TrayView {
    let mut view = view_of(&engine.snapshot(), &engine.config(), engine.now(), engine.zone().as_ref());
    view.own = crate::api::health(engine).degraded.into_iter().map(|line| crate::words::own_trouble(&line)).collect();
    view
}

fn view_of(
    snapshot: &[CheckSnapshot],
    config: &crate::config::Config,
    now: chrono::DateTime<chrono::Utc>,
    zone: &dyn crate::clock::Zone,
) -> TrayView {
    let overview = crate::engine::overview(snapshot);
    let mut failing: Vec<&CheckSnapshot> =
        snapshot.iter().filter(|c| matches!(c.status, Status::Down | Status::Degraded | Status::Unknown)).collect();
    // Worst first; config order within a status (sort is stable).
    failing.sort_by_key(|c| std::cmp::Reverse(c.status.severity()));
    let more = failing.len().saturating_sub(MENU_CHECKS);
    let failing = failing
        .into_iter()
        .take(MENU_CHECKS)
        .map(|c| FailingCheck {
            id: c.config.id.as_str().to_owned(),
            name: c.config.name.clone(),
            status: c.status,
            text: crate::words::state_line(c, now, zone),
            unacked: c.open_incident.filter(|_| !c.over.acked),
            actions: c
                .config
                .actions
                .iter()
                .filter_map(|id| config.action(id.as_str()))
                .map(|a| MenuAction { id: a.id.to_string(), name: a.name.clone(), confirm: a.confirm })
                .collect(),
            breaker: c.breaker.as_ref().map(|b| offered(b.state)),
        })
        .collect();
    TrayView {
        level: TrayLevel::of(overview.level),
        summary: overview.summary,
        failing,
        more,
        all_paused: !snapshot.is_empty() && snapshot.iter().all(|c| c.status == Status::Paused),
        own: Vec::new(),
    }
}

/// A desktop notification to show: one the alert policy sent to the desktop channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Its id in the notification log.
    pub id: i64,
    pub title: String,
    pub body: String,
    /// The checks it is about ("Snooze 1 h" silences them; "Open" opens the check's
    /// page when there is one).
    pub checks: Vec<String>,
    /// About a failure (an opening, a reminder, a restart loop); false for resolutions.
    pub failure: bool,
    /// A critical check down (an opening, a reminder): it stays until dismissed and is
    /// marked urgent.
    pub urgent: bool,
    /// "Acknowledge": its checks have open incidents.
    pub acknowledge: bool,
    /// The "Run …" button: for one check down, its first action that needs no
    /// confirmation.
    pub run: Option<MenuAction>,
}

/// Whether an urgent notification about `checks` has had its day: none of them has an
/// incident open any more. The shell then takes it off the screen when a recovery is
/// shown (urgent ones stay until dismissed, but not past their failure).
pub fn settled(engine: &Engine, checks: &[String]) -> bool {
    checks.iter().all(|id| engine.check(id).is_none_or(|c| c.open_incident.is_none()))
}

/// The desktop notification of a decision the alert policy sent to the desktop.
pub fn notification_of(sent: &Sent, engine: &Engine) -> Notification {
    let failure = !matches!(sent.event, NotifyEvent::Resolved | NotifyEvent::Restored);
    let checks: Vec<String> = sent.checks.iter().map(|c| c.to_string()).collect();
    let open = |id: &crate::model::CheckId| engine.check(id.as_str()).is_some_and(|c| c.open_incident.is_some());
    let acknowledge = failure && sent.checks.iter().any(open);
    let mut notification = Notification {
        id: sent.id,
        title: sent.title.clone(),
        body: sent.body.clone(),
        checks,
        failure,
        // A critical check down: its opening and reminders, not notices about it.
        urgent: sent.severity == Severity::Critical
            && matches!(sent.event, NotifyEvent::Opened | NotifyEvent::Reminder),
        acknowledge,
        run: None,
    };
    if let ([check], true) = (notification.checks.as_slice(), failure) {
        let config = engine.config();
        notification.run = config.check(check).and_then(|check| {
            check
                .actions
                .iter()
                .filter_map(|id| config.action(id.as_str()))
                .find(|action| !action.confirm)
                .map(|a| MenuAction { id: a.id.to_string(), name: a.name.clone(), confirm: false })
        });
    }
    notification
}

/// The silence a snooze of `check` asks for (`code` from `words::SNOOZES`: the core
/// works out when it ends); `None` for a code that is not one.
pub fn snooze(check: &str, code: &str) -> Option<crate::api::dto::SilenceArgs> {
    crate::words::SNOOZES.iter().any(|(c, _)| *c == code).then(|| crate::api::dto::SilenceArgs {
        checks: Some(vec![check.to_owned()]),
        snooze: Some(code.to_owned()),
        reason: "snoozed from the tray".to_owned(),
        ..Default::default()
    })
}

/// Shows the desktop channel's notifications through `show` until the engine stops.
pub async fn notifications(engine: Engine, mut show: impl FnMut(Notification) + Send) {
    let mut events = engine.subscribe();
    engine.attach_desktop();
    let stopping = engine.stopping();
    tokio::pin!(stopping);
    loop {
        let event = tokio::select! {
            _ = &mut stopping => return,
            event = events.recv() => match event {
                Ok(event) => event,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
        };
        if let Event::Notification(sent) = event {
            show(notification_of(&sent, &engine));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Offset;

    fn snapshots(statuses: &[(&str, Status)]) -> (Vec<CheckSnapshot>, crate::config::Config) {
        grouped(&statuses.iter().map(|(id, status)| (*id, *status, "")).collect::<Vec<_>>())
    }

    fn now() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("a valid time")
    }

    fn utc() -> crate::clock::FixedZone {
        crate::clock::FixedZone(chrono::Utc.fix())
    }

    /// Checks with their status and extra keys (`group = "shop"`, `critical = false`).
    fn grouped(checks: &[(&str, Status, &str)]) -> (Vec<CheckSnapshot>, crate::config::Config) {
        let statuses: Vec<(&str, Status)> = checks.iter().map(|(id, status, _)| (*id, *status)).collect();
        let mut text = String::from(
            "[[action]]\nid = \"restart\"\nname = \"Restart\"\nkind = \"command\"\ncommand = [\"true\"]\nconfirm = true\n",
        );
        for (id, _, extra) in checks {
            text.push_str(&format!(
                "[[check]]\nid = \"{id}\"\nname = \"{id} name\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\nactions = [\"restart\"]\n{extra}\n"
            ));
        }
        let statuses = &statuses;
        let config = crate::config::compile(&text, "test.toml").expect("valid config").config;
        let snapshots = config
            .checks
            .iter()
            .zip(statuses)
            .map(|(check, (_, status))| CheckSnapshot::bare(check.clone(), *status, now(), None))
            .collect();
        (snapshots, config)
    }

    #[test]
    fn the_tray_shows_the_worst_state_and_lists_what_fails() {
        use Status::*;
        let (checks, config) = snapshots(&[("a", Up), ("b", Degraded), ("c", Down), ("d", Unknown), ("e", Down)]);
        let view = view_of(&checks, &config, now(), &utc());
        assert_eq!(view.level, TrayLevel::Down);
        assert_eq!(view.summary, "2 down: c name, e name");
        let listed: Vec<(&str, Status)> = view.failing.iter().map(|c| (c.id.as_str(), c.status)).collect();
        assert_eq!(listed, [("c", Down), ("e", Down), ("d", Unknown), ("b", Degraded)], "worst first");
        assert_eq!(
            view.failing[0].actions,
            [MenuAction { id: "restart".into(), name: "Restart".into(), confirm: true }]
        );
        assert!(!view.all_paused);
        assert_eq!(view.failing[0].breaker, None, "without a breaker, no breaker entry");
        let (mut checks, config) = snapshots(&[("a", Down), ("b", Down)]);
        let breaker = |state| {
            let mut b = crate::breaker::Breaker::new(Some(crate::breaker::BreakerConfig::first_form(
                3,
                std::time::Duration::from_secs(1),
            )));
            b.state = state;
            Some(b.view(chrono::Utc::now()))
        };
        checks[0].breaker = breaker(crate::model::BreakerState::Open);
        checks[1].breaker = breaker(crate::model::BreakerState::Closed);
        let view = view_of(&checks, &config, now(), &utc());
        let entries: Vec<Option<&str>> = view.failing.iter().map(|c| c.breaker.map(crate::words::steer)).collect();
        assert_eq!(entries, [Some("Reset breaker"), Some("Force breaker open")]);

        let (checks, config) = snapshots(&[("a", Up), ("b", Up)]);
        let view = view_of(&checks, &config, now(), &utc());
        assert_eq!((view.level, view.summary.as_str(), view.failing.len()), (TrayLevel::Ok, "all 2 up", 0));

        let (checks, config) = snapshots(&[("a", Paused), ("b", Paused)]);
        let view = view_of(&checks, &config, now(), &utc());
        assert_eq!(
            (view.level, view.summary.as_str(), view.all_paused),
            (TrayLevel::Unknown, "2 paused: a name, b name", true)
        );

        let many: Vec<(String, Status)> = (0..20).map(|i| (format!("c{i}"), Down)).collect();
        let many: Vec<(&str, Status)> = many.iter().map(|(id, s)| (id.as_str(), *s)).collect();
        let (checks, config) = snapshots(&many);
        let view = view_of(&checks, &config, now(), &utc());
        assert_eq!(view.summary, "20 down: c0 name, c1 name, c2 name, +17");
        assert_eq!((view.failing.len(), view.more), (MENU_CHECKS, 20 - MENU_CHECKS));

        let view = view_of(&[], &config, now(), &utc());
        assert_eq!((view.level, view.summary.as_str()), (TrayLevel::Unknown, "no checks configured"));
    }

    #[test]
    fn the_tray_says_a_silence_and_an_acknowledgement_and_offers_to_acknowledge() {
        use crate::engine::SilenceMark;
        let (mut checks, config) = snapshots(&[("a", Status::Down), ("b", Status::Down)]);
        let until = now() + chrono::Duration::hours(1);
        checks[0].open_incident = Some(7);
        checks[0].over.silenced = Some(SilenceMark { id: 1, until, reason: "deploy".into(), by: "dashboard".into() });
        checks[1].open_incident = Some(8);
        checks[1].over.acked = true;
        let view = view_of(&checks, &config, now(), &utc());
        let told: Vec<(&str, Option<i64>)> = view.failing.iter().map(|c| (c.text.as_str(), c.unacked)).collect();
        assert_eq!(
            told,
            [
                ("Down, silenced until 09:00 UTC by dashboard (deploy): no result yet", Some(7)),
                ("Down, acknowledged: no result yet", None),
            ]
        );
    }

    #[test]
    fn a_snooze_is_a_silence_of_one_check() {
        let hour = snooze("api", "1h").expect("a snooze");
        assert_eq!((hour.checks, hour.snooze.as_deref()), (Some(vec!["api".to_owned()]), Some("1h")));
        assert!(snooze("api", "forever").is_none());
    }

    #[test]
    fn a_degraded_group_heads_the_tray_with_its_cause_and_an_optional_part_is_amber() {
        use Status::*;
        let shop = "group = \"shop\"";
        let optional = "group = \"shop\"\ncritical = false";
        let (checks, config) = grouped(&[("web", Up, shop), ("search", Down, shop), ("recs", Up, optional)]);
        let view = view_of(&checks, &config, now(), &utc());
        assert_eq!((view.level, view.summary.as_str()), (TrayLevel::Down, "shop: partial outage (search name down)"));

        let (checks, config) = grouped(&[("web", Up, shop), ("recs", Down, optional), ("other", Up, "")]);
        let view = view_of(&checks, &config, now(), &utc());
        assert_eq!(
            (view.level, view.summary.as_str()),
            (TrayLevel::Degraded, "shop: degraded (recs name down)"),
            "an optional component down degrades its group: amber"
        );
        assert_eq!(view.failing[0].id, "recs", "and it is still listed to act on");
        assert_eq!(view.failing[0].text, "Down, optional part of shop: no result yet", "and says it is optional");

        let (checks, config) = grouped(&[("web", Down, shop), ("db", Down, "group = \"data\""), ("x", Degraded, "")]);
        let view = view_of(&checks, &config, now(), &utc());
        assert_eq!(
            view.summary, "shop: major outage (web name down); +2 more",
            "the first worst group, and the rest counted"
        );

        let (checks, config) = grouped(&[("web", Down, shop), ("api", Down, "")]);
        let view = view_of(&checks, &config, now(), &utc());
        assert_eq!(
            view.summary, "2 down: web name, api name",
            "an ungrouped check as bad: the checks are the headline"
        );
    }
}
