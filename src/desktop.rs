//! What the desktop app shows, decided here so its shell (src-tauri/) stays thin: the
//! tray's icon, summary and menu entries, and the desktop notifications with burst
//! grouping. Nothing here knows Tauri; the shell only draws what these values say.

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use crate::engine::{CheckSnapshot, Engine, Event, GroupSnapshot, RestartLoop};
use crate::model::{FailureClass, GroupLevel, Status};
use crate::store::IncidentFilter;

/// Failing checks listed in the tray menu; the rest are counted in one entry.
pub const MENU_CHECKS: usize = 15;
/// Failures (or recoveries) within this long of the first are one notification.
pub const BURST: Duration = Duration::from_secs(5);
/// A growing burst updates its notification at most this often.
const BURST_UPDATE: Duration = Duration::from_secs(1);

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
}

#[derive(Debug, Clone, PartialEq)]
pub struct FailingCheck {
    pub id: String,
    pub name: String,
    pub status: Status,
    pub actions: Vec<MenuAction>,
    /// What its breaker entry does: "Reset breaker" (to `Closed`) when it is open,
    /// forced open or disabled, else "Force breaker open"; `None` without a breaker.
    pub breaker: Option<BreakerSteer>,
}

/// The tray's breaker entry for a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerSteer {
    ForceOpen,
    Reset,
}

impl BreakerSteer {
    fn of(state: crate::model::BreakerState) -> BreakerSteer {
        use crate::model::BreakerState::*;
        match state {
            Closed | HalfOpen => BreakerSteer::ForceOpen,
            Open | ForcedOpen | Disabled => BreakerSteer::Reset,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BreakerSteer::ForceOpen => "Force breaker open",
            BreakerSteer::Reset => "Reset breaker",
        }
    }

    /// Its menu id's last part, and what the engine is asked.
    pub fn code(self) -> &'static str {
        match self {
            BreakerSteer::ForceOpen => "forced_open",
            BreakerSteer::Reset => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<crate::breaker::Steer> {
        match code {
            "forced_open" => Some(crate::breaker::Steer::ForceOpen),
            "closed" => Some(crate::breaker::Steer::Reset),
            _ => None,
        }
    }
}

/// A recovery action as a menu entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuAction {
    pub id: String,
    pub name: String,
    /// Asks for confirmation first: the tray opens it in the dashboard instead of running it.
    pub confirm: bool,
}

/// The tray's view of the checks. The summary reads as the dashboard's (ui/src/model.ts),
/// but when the worst is a group's, it is the group's headline (`shop: partial outage
/// (Search down)`, the dashboard's banner); a failing component shows at most its
/// group's level, so the icon follows the worst level.
pub fn tray_view(engine: &Engine) -> TrayView {
    view_of(&engine.snapshot(), engine.config())
}

fn view_of(snapshot: &[CheckSnapshot], config: &crate::config::Config) -> TrayView {
    // A failing component shows at most its group's level: an optional part down in a
    // degraded group is amber, not red.
    let groups = crate::engine::groups_of(snapshot);
    let shown = |check: &CheckSnapshot| match (check.status, check.config.group.as_deref()) {
        (Status::Down | Status::Degraded | Status::Unknown, Some(group)) => {
            let cap = groups.iter().find(|g| g.id == group).map_or(check.status, |g| g.level.caps());
            if cap.severity() < check.status.severity() {
                cap
            } else {
                check.status
            }
        }
        (status, _) => status,
    };
    let worst = Status::worst(snapshot.iter().map(shown));
    let summary = if snapshot.is_empty() {
        "no checks configured".to_owned()
    } else if worst == Status::Up {
        format!("all {} up", snapshot.len())
    } else if let Some(group) = worst_group(&groups, snapshot, worst) {
        // The worst is a group's: say it as the group's level and its cause.
        let others = groups.iter().filter(|g| g.level > GroupLevel::Operational).count() - 1
            + snapshot
                .iter()
                .filter(|c| c.config.group.is_none() && c.status.severity() >= Status::Degraded.severity())
                .count();
        match others {
            0 => group.headline(),
            n => format!("{}; +{n} more", group.headline()),
        }
    } else {
        let names: Vec<&str> = snapshot.iter().filter(|c| c.status == worst).map(|c| c.config.name.as_str()).collect();
        let mut shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
        if names.len() > 3 {
            shown.push_str(&format!(", +{}", names.len() - 3));
        }
        format!("{} {worst}: {shown}", names.len())
    };
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
            actions: c
                .config
                .actions
                .iter()
                .filter_map(|id| config.action(id.as_str()))
                .map(|a| MenuAction { id: a.id.to_string(), name: a.name.clone(), confirm: a.confirm })
                .collect(),
            breaker: c.breaker.as_ref().map(|b| BreakerSteer::of(b.state)),
        })
        .collect();
    TrayView {
        level: if snapshot.is_empty() { TrayLevel::Unknown } else { TrayLevel::of(worst) },
        summary,
        failing,
        more,
        all_paused: !snapshot.is_empty() && snapshot.iter().all(|c| c.status == Status::Paused),
    }
}

/// A desktop notification to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Ours, unique per app run: a later notification of the same burst replaces it.
    pub key: u32,
    pub title: String,
    pub body: String,
    /// The checks it is about (the "Pause 1 h" button pauses them; "Open" opens the
    /// check's page when there is one).
    pub checks: Vec<String>,
    /// A check went down (or several did); false for recoveries.
    pub failure: bool,
    /// The "Run …" button: for one check down, its first action that needs no
    /// confirmation.
    pub run: Option<MenuAction>,
}

/// What the shell does with notifications.
#[derive(Debug, Clone, PartialEq)]
pub enum NotificationOp {
    Show(Notification),
    /// Take this earlier notification away (it is replaced by the next one shown).
    Withdraw(u32),
}

#[derive(Debug, Clone, PartialEq)]
enum Change {
    Down { cause: String, class: Option<FailureClass> },
    Recovered { after: Option<chrono::Duration> },
}

/// Turns incidents into notifications: the first of a burst goes out at once (no added
/// latency), later ones within [`BURST`] are merged into it ("4 checks down"), shown in
/// its place at most once per second.
#[derive(Debug, Default)]
pub struct Grouper {
    next_key: u32,
    down: Burst,
    recovered: Burst,
}

#[derive(Debug, Default)]
struct Burst {
    started: Option<Instant>,
    shown: Option<(u32, Instant)>,
    /// (id, name) of each check in the burst, in order.
    checks: Vec<(String, String)>,
    /// The first check's own text, kept for the group's body.
    first: String,
    pending: bool,
}

impl Grouper {
    fn change(&mut self, id: &str, name: &str, change: Change, now: Instant) -> Vec<NotificationOp> {
        let failure = matches!(change, Change::Down { .. });
        let (title, body) = match &change {
            Change::Down { cause, class } => {
                let hint = class.map(FailureClass::resolution).unwrap_or_default();
                (format!("{name} down"), if hint.is_empty() { cause.clone() } else { format!("{cause}\n{hint}") })
            }
            Change::Recovered { after } => {
                let body = match after {
                    Some(d) => format!("back up after {}", human(*d)),
                    None => "back up".to_owned(),
                };
                (format!("{name} recovered"), body)
            }
        };
        let key = self.next_key;
        let burst = if failure { &mut self.down } else { &mut self.recovered };
        if burst.started.is_some_and(|s| now.duration_since(s) < BURST) {
            if !burst.checks.iter().any(|(c, _)| c == id) {
                burst.checks.push((id.to_owned(), name.to_owned()));
                burst.pending = true;
            }
            return self.flush(now);
        }
        *burst = Burst {
            started: Some(now),
            shown: Some((key, now)),
            checks: vec![(id.to_owned(), name.to_owned())],
            first: format!("{title}: {}", body.lines().next().unwrap_or_default()),
            pending: false,
        };
        self.next_key += 1;
        vec![NotificationOp::Show(Notification { key, title, body, checks: vec![id.to_owned()], failure, run: None })]
    }

    /// Shows the merged notification of any burst that grew and is due.
    pub fn flush(&mut self, now: Instant) -> Vec<NotificationOp> {
        let mut ops = Vec::new();
        for failure in [true, false] {
            let key = self.next_key;
            let burst = if failure { &mut self.down } else { &mut self.recovered };
            let due = burst.shown.is_none_or(|(_, at)| now.duration_since(at) >= BURST_UPDATE);
            if !burst.pending || !due {
                continue;
            }
            let count = burst.checks.len();
            let names: Vec<&str> = burst.checks.iter().map(|(_, name)| name.as_str()).collect();
            let mut list = names.iter().take(4).copied().collect::<Vec<_>>().join(", ");
            if count > 4 {
                list.push_str(&format!(", +{}", count - 4));
            }
            let title = format!("{count} checks {}", if failure { "down" } else { "recovered" });
            let body = if failure { format!("{list}\nfirst: {}", burst.first) } else { list };
            if let Some((old, _)) = burst.shown {
                ops.push(NotificationOp::Withdraw(old));
            }
            let checks = burst.checks.iter().map(|(id, _)| id.clone()).collect();
            ops.push(NotificationOp::Show(Notification { key, title, body, checks, failure, run: None }));
            burst.shown = Some((key, now));
            burst.pending = false;
            self.next_key += 1;
        }
        ops
    }

    /// A notification of its own, outside any burst (self-healing giving up).
    pub fn notice(&mut self, title: String, body: String, checks: Vec<String>) -> NotificationOp {
        let key = self.next_key;
        self.next_key += 1;
        NotificationOp::Show(Notification { key, title, body, checks, failure: true, run: None })
    }

    /// When [`Grouper::flush`] next has something to show.
    pub fn due(&self) -> Option<Instant> {
        [&self.down, &self.recovered]
            .into_iter()
            .filter(|b| b.pending)
            .map(|b| b.shown.map_or_else(Instant::now, |(_, at)| at + BURST_UPDATE))
            .min()
    }
}

fn human(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// The group whose level is the tray's worst, when no ungrouped check is as bad: the
/// worst level first, then the first in config order.
fn worst_group<'a>(
    groups: &'a [GroupSnapshot],
    snapshot: &[CheckSnapshot],
    worst: Status,
) -> Option<&'a GroupSnapshot> {
    let mut found: Option<&GroupSnapshot> = None;
    for group in groups.iter().filter(|g| g.level > GroupLevel::Operational) {
        if found.is_none_or(|f| group.level > f.level) {
            found = Some(group);
        }
    }
    let group = found?;
    let ungrouped_as_bad = snapshot.iter().any(|c| c.config.group.is_none() && c.status == worst);
    (group.level.caps() == worst && !ungrouped_as_bad).then_some(group)
}

/// Gives a notification about one check down its "Run …" button: the check's first
/// action that needs no confirmation.
fn with_run_button(op: NotificationOp, engine: &Engine) -> NotificationOp {
    let NotificationOp::Show(mut notification) = op else { return op };
    if let ([check], true) = (notification.checks.as_slice(), notification.failure) {
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
    NotificationOp::Show(notification)
}

/// "orders-api: restart loop" and what happened, in local time.
fn restart_loop_text(event: &RestartLoop, config: &crate::config::Config) -> (String, String) {
    let action = config.action(event.action.as_str()).map_or(event.action.as_str(), |a| a.name.as_str());
    let until = event.retry_at.with_timezone(&chrono::Local).format("%H:%M");
    let per = crate::units::format_duration(event.budget.per);
    let times = event.budget.max_runs;
    (
        format!("{}: restart loop", event.check_name),
        format!(
            "{action} ran {times} times in {per} and {} is still down; no automatic run until {until}.\nReset the action's budget in the dashboard to try again now.",
            event.check_name
        ),
    )
}

/// Sends the engine's incidents to `show` as notifications until the engine stops. A paused
/// check raises none.
pub async fn notifications(engine: Engine, mut show: impl FnMut(NotificationOp) + Send) {
    let mut events = engine.subscribe();
    let stopping = engine.stopping();
    tokio::pin!(stopping);
    let mut grouper = Grouper::default();
    loop {
        let due = grouper.due();
        let event = tokio::select! {
            _ = &mut stopping => return,
            _ = async { tokio::time::sleep_until(due.unwrap_or_else(Instant::now)).await }, if due.is_some() => None,
            event = events.recv() => match event {
                Ok(event) => Some(event),
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => return,
            },
        };
        let now = Instant::now();
        let ops = match event {
            None => grouper.flush(now),
            Some(Event::IncidentOpened(incident)) => match engine.check(incident.check_id.as_str()) {
                Some(check) if check.status != Status::Paused => {
                    let change = Change::Down { cause: incident.cause.clone(), class: Some(incident.failure_class) };
                    grouper.change(incident.check_id.as_str(), &check.config.name, change, now)
                }
                _ => Vec::new(),
            },
            Some(Event::IncidentResolved { check_id, at, id }) => match engine.check(check_id.as_str()) {
                Some(check) if check.status != Status::Paused => {
                    let filter = IncidentFilter { check_id: Some(check_id.clone()), open_only: false, limit: 1 };
                    let newest = engine.store().incidents(filter).await.ok().unwrap_or_default();
                    let started = newest.into_iter().find(|i| i.id == id).map(|i| i.started_at);
                    let change = Change::Recovered { after: started.map(|s| at - s) };
                    grouper.change(check_id.as_str(), &check.config.name, change, now)
                }
                _ => Vec::new(),
            },
            Some(Event::ServiceBreakerOpened(event)) => match engine.check(event.check_id.as_str()) {
                Some(check) if check.status != Status::Paused => {
                    let title = format!("{}: service breaker {} OPEN", event.check_name, event.breaker.name);
                    let body = format!(
                        "{}: the service now fails its calls to that dependency fast. See the check's page.",
                        crate::engine::service_breaker_text(&event.breaker)
                    );
                    vec![grouper.notice(title, body, vec![event.check_id.to_string()])]
                }
                _ => Vec::new(),
            },
            Some(Event::RestartLoop(event)) => {
                let (title, body) = restart_loop_text(&event, engine.config());
                vec![grouper.notice(title, body, vec![event.check_id.to_string()])]
            }
            Some(_) => Vec::new(),
        };
        ops.into_iter().map(|op| with_run_button(op, &engine)).for_each(&mut show);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(cause: &str) -> Change {
        Change::Down { cause: cause.into(), class: Some(FailureClass::Refused) }
    }

    fn shown(ops: &[NotificationOp]) -> Vec<String> {
        ops.iter()
            .map(|op| match op {
                NotificationOp::Show(n) => format!("show {} {} | {}", n.key, n.title, n.body.replace('\n', " / ")),
                NotificationOp::Withdraw(k) => format!("withdraw {k}"),
            })
            .collect()
    }

    #[test]
    fn a_restart_loop_says_what_ran_how_often_and_what_to_do() {
        let config = crate::config::compile(
            "[[check]]\nid = \"api\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\n\n[[action]]\nid = \"restart\"\nname = \"Restart API\"\nkind = \"command\"\ncommand = [\"true\"]\n",
            "test.toml",
        )
        .expect("valid config")
        .config;
        let event = RestartLoop {
            check_id: crate::model::CheckId::parse("api").unwrap(),
            check_name: "Orders API".into(),
            action: crate::model::ActionId::parse("restart").unwrap(),
            budget: crate::budget::Budget { max_runs: 3, per: Duration::from_secs(600) },
            retry_at: chrono::Utc::now(),
        };
        let (title, body) = restart_loop_text(&event, &config);
        assert_eq!(title, "Orders API: restart loop");
        assert!(
            body.starts_with("Restart API ran 3 times in 10m and Orders API is still down; no automatic run until "),
            "{body}"
        );
        assert!(body.ends_with("Reset the action's budget in the dashboard to try again now."), "{body}");
        let mut grouper = Grouper::default();
        grouper.change("db", "db", down("x"), Instant::now());
        let NotificationOp::Show(notice) = grouper.notice(title, body, vec!["api".into()]) else { unreachable!() };
        assert_eq!((notice.key, notice.failure, notice.checks.as_slice()), (1, true, ["api".to_owned()].as_slice()));
    }

    #[test]
    fn the_first_failure_goes_out_at_once_and_a_burst_becomes_one_notification() {
        let mut g = Grouper::default();
        let t = Instant::now();
        let first = g.change("api", "orders-api", down("connection refused"), t);
        assert_eq!(
            shown(&first),
            ["show 0 orders-api down | connection refused / nothing accepts connections on that port: start the service or fix the port"]
        );
        // Three more within the burst: held, then merged into the first's place.
        for (i, id) in ["db", "vpn", "cache"].iter().enumerate() {
            let at = t + Duration::from_millis(200 * (i as u64 + 1));
            assert!(g.change(id, id, down("timeout"), at).is_empty(), "held until a second has passed");
        }
        assert_eq!(g.due(), Some(t + BURST_UPDATE));
        let merged = g.flush(t + BURST_UPDATE);
        assert_eq!(
            shown(&merged),
            [
                "withdraw 0",
                "show 1 4 checks down | orders-api, db, vpn, cache / first: orders-api down: connection refused"
            ]
        );
        let NotificationOp::Show(notification) = &merged[1] else { unreachable!() };
        assert_eq!(notification.checks, ["api", "db", "vpn", "cache"]);
        assert_eq!(g.due(), None, "nothing pending");
        assert!(g.flush(t + Duration::from_secs(2)).is_empty());
    }

    #[test]
    fn a_failure_after_the_burst_starts_a_new_one_and_recoveries_group_apart() {
        let mut g = Grouper::default();
        let t = Instant::now();
        g.change("a", "a", down("x"), t);
        let later = g.change("b", "b", down("y"), t + BURST);
        assert_eq!(shown(&later)[0].split(" |").next(), Some("show 1 b down"));
        let back = g.change("a", "a", Change::Recovered { after: Some(chrono::Duration::seconds(75)) }, t + BURST);
        assert_eq!(shown(&back), ["show 2 a recovered | back up after 1 min 15 s"]);
        // The same check twice in a burst counts once.
        assert!(g.change("b", "b", down("y"), t + BURST + Duration::from_millis(10)).is_empty());
        assert_eq!(g.due(), None);
        assert!(g
            .change("c", "c", Change::Recovered { after: None }, t + BURST + Duration::from_millis(20))
            .is_empty());
        let merged = g.flush(t + BURST + BURST_UPDATE);
        assert_eq!(shown(&merged), ["withdraw 2", "show 3 2 checks recovered | a, c"]);
    }

    fn snapshots(statuses: &[(&str, Status)]) -> (Vec<CheckSnapshot>, crate::config::Config) {
        grouped(&statuses.iter().map(|(id, status)| (*id, *status, "")).collect::<Vec<_>>())
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
            .map(|(check, (_, status))| CheckSnapshot {
                config: std::sync::Arc::new(check.clone()),
                status: *status,
                since: chrono::Utc::now(),
                reason: None,
                breaker: None,
                last: None,
                health: None,
                service_breakers: None,
                open_incident: None,
                healing: None,
            })
            .collect();
        (snapshots, config)
    }

    #[test]
    fn the_tray_shows_the_worst_state_and_lists_what_fails() {
        use Status::*;
        let (checks, config) = snapshots(&[("a", Up), ("b", Degraded), ("c", Down), ("d", Unknown), ("e", Down)]);
        let view = view_of(&checks, &config);
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
                Duration::from_secs(1),
            )));
            b.state = state;
            Some(b.view(chrono::Utc::now()))
        };
        checks[0].breaker = breaker(crate::model::BreakerState::Open);
        checks[1].breaker = breaker(crate::model::BreakerState::Closed);
        let view = view_of(&checks, &config);
        let entries: Vec<Option<&str>> = view.failing.iter().map(|c| c.breaker.map(BreakerSteer::label)).collect();
        assert_eq!(entries, [Some("Reset breaker"), Some("Force breaker open")]);

        let (checks, config) = snapshots(&[("a", Up), ("b", Up)]);
        let view = view_of(&checks, &config);
        assert_eq!((view.level, view.summary.as_str(), view.failing.len()), (TrayLevel::Ok, "all 2 up", 0));

        let (checks, config) = snapshots(&[("a", Paused), ("b", Paused)]);
        let view = view_of(&checks, &config);
        assert_eq!(
            (view.level, view.summary.as_str(), view.all_paused),
            (TrayLevel::Unknown, "2 paused: a name, b name", true)
        );

        let many: Vec<(String, Status)> = (0..20).map(|i| (format!("c{i}"), Down)).collect();
        let many: Vec<(&str, Status)> = many.iter().map(|(id, s)| (id.as_str(), *s)).collect();
        let (checks, config) = snapshots(&many);
        let view = view_of(&checks, &config);
        assert_eq!(view.summary, "20 down: c0 name, c1 name, c2 name, +17");
        assert_eq!((view.failing.len(), view.more), (MENU_CHECKS, 20 - MENU_CHECKS));

        let view = view_of(&[], &config);
        assert_eq!((view.level, view.summary.as_str()), (TrayLevel::Unknown, "no checks configured"));
    }

    #[test]
    fn a_degraded_group_heads_the_tray_with_its_cause_and_an_optional_part_is_amber() {
        use Status::*;
        let shop = "group = \"shop\"";
        let optional = "group = \"shop\"\ncritical = false";
        let (checks, config) = grouped(&[("web", Up, shop), ("search", Down, shop), ("recs", Up, optional)]);
        let view = view_of(&checks, &config);
        assert_eq!((view.level, view.summary.as_str()), (TrayLevel::Down, "shop: partial outage (search name down)"));

        let (checks, config) = grouped(&[("web", Up, shop), ("recs", Down, optional), ("other", Up, "")]);
        let view = view_of(&checks, &config);
        assert_eq!(
            (view.level, view.summary.as_str()),
            (TrayLevel::Degraded, "shop: degraded (recs name down)"),
            "an optional component down degrades its group: amber"
        );
        assert_eq!(view.failing[0].id, "recs", "and it is still listed to act on");

        let (checks, config) = grouped(&[("web", Down, shop), ("db", Down, "group = \"data\""), ("x", Degraded, "")]);
        let view = view_of(&checks, &config);
        assert_eq!(
            view.summary, "shop: major outage (web name down); +2 more",
            "the first worst group, and the rest counted"
        );

        let (checks, config) = grouped(&[("web", Down, shop), ("api", Down, "")]);
        let view = view_of(&checks, &config);
        assert_eq!(
            view.summary, "2 down: web name, api name",
            "an ungrouped check as bad: the checks are the headline"
        );
    }

    #[test]
    fn a_burst_of_many_lists_four_and_counts_the_rest() {
        let mut g = Grouper::default();
        let t = Instant::now();
        for i in 0..7 {
            g.change(&format!("c{i}"), &format!("c{i}"), down("x"), t + Duration::from_millis(i));
        }
        let merged = g.flush(t + BURST_UPDATE);
        assert_eq!(shown(&merged)[1], "show 1 7 checks down | c0, c1, c2, c3, +3 / first: c0 down: x");
    }
}
