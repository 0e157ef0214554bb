//! The policy: which notifications go to which channel, and when, as a pure
//! rule taking `now` (Alertmanager's policy, for one desk).
//!
//! What happens to checks comes in through [`Policy::offer`]; [`Policy::step`] gives the
//! decisions due by `now`, sent or suppressed and why, one per channel:
//! - grouping: what comes within `group_wait` of the first becomes one notification per
//!   channel, naming a likely common cause ("every remote check failed: network or
//!   DNS?", "3 checks of group shop down");
//! - dependency suppression: a check whose parent is down says nothing of its own;
//! - silences mute a check or a group until they end (probes and incidents go on);
//! - reminders every `repeat` while an incident is open, up to `max_reminders`; an
//!   acknowledgement stops them and ends with the incident;
//! - quiet hours (local time, across midnight) hold all but the excepted severities;
//!   an incident still open when they end is told then;
//! - the network down (the engine's connectivity sentinel) is told once, as
//!   `no_network`, naming the remote checks; nothing else of them is told meanwhile;
//! - a flapping check (flap detection is the engine's) tells that once, then nothing
//!   until it settles; an opening held meanwhile is told then if still open;
//! - a check in a maintenance window tells nothing (its incidents do not open; an
//!   opening still gathering when the window starts is held, and told at its end if
//!   still open).
//!
//! The engine's alerting feeds it events, records each decision and hands the sent
//! ones to their channels (`alert::channel`).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};

pub use crate::clock::Zone;
use crate::model::{CheckId, NotifyEvent, Severity, Suppressed};
use crate::state::FlapConfig;

/// A channel's id, as in `[[channel]]`.
pub type ChannelId = String;

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertSettings {
    pub group_wait: Duration,
    /// Reminders while an incident is open and not acknowledged (`None`: none).
    pub repeat: Option<Duration>,
    pub max_reminders: u32,
    pub quiet_hours: Option<QuietHours>,
    /// Flap detection (`None`: off).
    pub flap: Option<FlapConfig>,
    /// The channels of checks that name none.
    pub channels: Vec<ChannelId>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            group_wait: Duration::from_secs(5),
            repeat: None,
            max_reminders: 3,
            quiet_hours: None,
            flap: Some(FlapConfig::default()),
            channels: vec!["desktop".to_owned()],
        }
    }
}

/// Hours in local time when only the excepted severities are told.
#[derive(Debug, Clone, PartialEq)]
pub struct QuietHours {
    pub from: NaiveTime,
    pub to: NaiveTime,
    pub except: Vec<Severity>,
}

impl QuietHours {
    /// Whether `local` is inside them; `from` > `to` spans midnight.
    pub fn contains(&self, local: NaiveTime) -> bool {
        if self.from <= self.to {
            self.from <= local && local < self.to
        } else {
            local >= self.from || local < self.to
        }
    }
}

/// A check's `alert` table, with the defaults of `[alerts]` applied.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckAlert {
    pub severity: Severity,
    pub channels: Vec<ChannelId>,
    pub repeat: Option<Duration>,
    /// The states told (`on`): its incidents (`down`, the default), its degraded
    /// spells (`degraded`), or both.
    pub on: AlertOn,
    /// The days left on its certificate at which to tell (`cert_days`), highest first.
    pub cert_days: Vec<u16>,
}

/// A check's `alert.on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertOn {
    pub down: bool,
    pub degraded: bool,
}

impl Default for AlertOn {
    fn default() -> Self {
        AlertOn { down: true, degraded: false }
    }
}

impl AlertOn {
    /// Whether a notification of `event` about a check with this `on` is told at all.
    pub fn tells(self, event: NotifyEvent) -> bool {
        match event {
            NotifyEvent::Opened | NotifyEvent::Resolved | NotifyEvent::Reminder => self.down,
            NotifyEvent::Degraded | NotifyEvent::Restored => self.degraded,
            _ => true,
        }
    }
}

/// What the policy asks of the live checks when it decides.
pub trait World {
    /// Whether a check this one depends on is down now.
    fn parent_down(&self, check: &CheckId) -> bool;
    /// Whether the user paused the check: it raises nothing, reminders included.
    fn paused(&self, check: &CheckId) -> bool;
    /// Whether the check is in a maintenance window: nothing of it is told (logged as
    /// `maintenance`), except the resolution of an opening told before.
    fn maintenance(&self, check: &CheckId) -> bool;
    /// Whether the check is flapping: it has told so, and tells nothing else (logged as
    /// `flapping`) until it settles.
    fn flapping(&self, check: &CheckId) -> bool;
    /// Whether the check is remote and the network is down: its failures are the
    /// network's (told once as `no_network`), nothing else of it is told.
    fn no_network(&self, check: &CheckId) -> bool;
}

/// A silence: mutes the notifications of some checks and groups for a while.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    pub id: i64,
    pub checks: Vec<CheckId>,
    pub groups: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    /// Who made it (`dashboard`, `cli`, ...).
    pub by: String,
}

impl Silence {
    pub fn mutes(&self, subject: &Subject, now: DateTime<Utc>) -> bool {
        self.covers(&subject.check, subject.group.as_deref(), now)
    }

    /// Whether it mutes this check, of this group, at `now`.
    pub fn covers(&self, check: &CheckId, group: Option<&str>, now: DateTime<Utc>) -> bool {
        self.starts_at <= now
            && now < self.ends_at
            && (self.checks.contains(check) || group.is_some_and(|g| self.groups.iter().any(|s| s == g)))
    }
}

/// The check a notification is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub check: CheckId,
    pub name: String,
    pub group: Option<String>,
    /// Its target is not on this machine.
    pub remote: bool,
    pub alert: CheckAlert,
}

/// What happened to a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Happening {
    /// An incident opened: its cause and what to do.
    Opened {
        incident: i64,
        cause: String,
        hint: String,
        /// The first line of its evidence (`status: 200 → 503`), when it has one.
        evidence: Option<String>,
    },
    Resolved {
        incident: i64,
        started_at: Option<DateTime<Utc>>,
    },
    /// Something told once, outside incidents (self-healing giving up, a service's own
    /// breaker opening): its title and text.
    Notice {
        event: NotifyEvent,
        title: String,
        body: String,
    },
}

impl Happening {
    fn event(&self) -> NotifyEvent {
        match self {
            Happening::Opened { .. } => NotifyEvent::Opened,
            Happening::Resolved { .. } => NotifyEvent::Resolved,
            Happening::Notice { event, .. } => *event,
        }
    }

    fn incident(&self) -> Option<i64> {
        match self {
            Happening::Opened { incident, .. } | Happening::Resolved { incident, .. } => Some(*incident),
            Happening::Notice { .. } => None,
        }
    }
}

/// One decision: a notification for one channel, sent or suppressed.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub at: DateTime<Utc>,
    pub event: NotifyEvent,
    pub checks: Vec<CheckId>,
    /// The incident, when it is about one.
    pub incident: Option<i64>,
    /// Every incident it tells of (a burst tells of many).
    pub incidents: Vec<i64>,
    pub channel: ChannelId,
    pub severity: Severity,
    pub title: String,
    pub body: String,
    pub suppressed: Option<Suppressed>,
}

/// An open incident, for its reminders and its resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenIncident {
    pub subject: Subject,
    pub opened_at: DateTime<Utc>,
    pub cause: String,
    /// The channels its opening went to.
    pub told: Vec<ChannelId>,
    /// Why its opening was not sent, when it was not.
    pub held: Option<Suppressed>,
    pub reminders: u32,
    pub next_reminder: Option<DateTime<Utc>>,
    pub acked: bool,
    /// Its check was paused when its opening was due: told once it is not (if still open).
    pub deferred: bool,
}

#[derive(Debug, Clone)]
struct Held {
    subject: Subject,
    happening: Happening,
    /// When it happened.
    at: DateTime<Utc>,
}

/// A burst being gathered: one per event kind.
#[derive(Debug, Clone)]
struct Burst {
    first: DateTime<Utc>,
    items: Vec<Held>,
}

/// The policy's state: bursts being gathered, open incidents, silences.
pub struct Policy {
    settings: AlertSettings,
    /// How many checks are remote: a burst of all of them points at the network.
    remote_checks: usize,
    bursts: BTreeMap<&'static str, Burst>,
    open: BTreeMap<i64, OpenIncident>,
    silences: Vec<Silence>,
}

/// The most checks a notification names; the rest are counted.
const NAMED: usize = 5;

impl Policy {
    pub fn new(settings: AlertSettings, remote_checks: usize) -> Policy {
        Policy { settings, remote_checks, bursts: BTreeMap::new(), open: BTreeMap::new(), silences: Vec::new() }
    }

    pub fn settings(&self) -> &AlertSettings {
        &self.settings
    }

    /// Takes back an incident open before a restart, with what was told of it.
    pub fn restore(&mut self, incident: i64, open: OpenIncident) {
        self.open.insert(incident, open);
    }

    pub fn open_incidents(&self) -> &BTreeMap<i64, OpenIncident> {
        &self.open
    }

    /// The checks a [`Policy::step`] may ask the world about: those of the bursts being
    /// gathered and of the open incidents (their parents are the world's to add).
    pub fn concerned(&self) -> std::collections::BTreeSet<CheckId> {
        let gathered = self.bursts.values().flat_map(|b| b.items.iter().map(|h| &h.subject.check));
        gathered.chain(self.open.values().map(|o| &o.subject.check)).cloned().collect()
    }

    /// Whether it has the silence with this id.
    pub fn has_silence(&self, id: i64) -> bool {
        self.silences.iter().any(|s| s.id == id)
    }

    /// A silence added (or changed, by id).
    pub fn add_silence(&mut self, silence: Silence) {
        self.silences.retain(|s| s.id != silence.id);
        self.silences.push(silence);
    }

    /// The silences that mute at `now`.
    pub fn silences_at(&self, now: DateTime<Utc>) -> impl Iterator<Item = &Silence> {
        self.silences.iter().filter(move |s| s.starts_at <= now && now < s.ends_at)
    }

    /// A silence ended at `at`.
    pub fn end_silence(&mut self, id: i64, at: DateTime<Utc>) {
        for silence in self.silences.iter_mut().filter(|s| s.id == id) {
            silence.ends_at = silence.ends_at.min(at);
        }
    }

    /// Settings from a reloaded config; what is open and pending stays.
    pub fn reconfigure(&mut self, settings: AlertSettings, remote_checks: usize) {
        self.settings = settings;
        self.remote_checks = remote_checks;
    }

    /// Forgets an incident the engine no longer has open, telling nothing (after events
    /// were missed).
    pub fn forget(&mut self, incident: i64) {
        self.open.remove(&incident);
        for burst in self.bursts.values_mut() {
            burst.items.retain(|h| h.happening.incident() != Some(incident));
        }
        self.bursts.retain(|_, b| !b.items.is_empty());
    }

    /// Channels a reload removed: nothing more is told on them (reminders and
    /// resolutions go to the channels an opening was told on).
    pub fn forget_channels(&mut self, gone: &[String]) {
        for open in self.open.values_mut() {
            open.told.retain(|channel| !gone.contains(channel));
        }
    }

    /// Something happened; it is told at the end of its burst.
    pub fn offer(&mut self, subject: Subject, happening: Happening, now: DateTime<Utc>) {
        // A state the check does not tell (`alert.on`) is not offered at all.
        if !subject.alert.on.tells(happening.event()) {
            return;
        }
        match &happening {
            // Already known (taken back at start, and its event came too): told once.
            Happening::Opened { incident, .. } if self.open.contains_key(incident) => return,
            Happening::Opened { incident, cause, .. } => {
                self.open.insert(
                    *incident,
                    OpenIncident {
                        subject: subject.clone(),
                        opened_at: now,
                        cause: cause.clone(),
                        told: Vec::new(),
                        held: None,
                        reminders: 0,
                        next_reminder: None,
                        acked: false,
                        deferred: false,
                    },
                );
            }
            Happening::Resolved { incident, started_at } => {
                if started_at.is_none() {
                    if let Some(open) = self.open.get(incident) {
                        let subject = subject.clone();
                        let happening = Happening::Resolved { incident: *incident, started_at: Some(open.opened_at) };
                        return self.offer(subject, happening, now);
                    }
                }
                // A burst still holding its opening tells neither: it came and went
                // within `group_wait`.
                let event = NotifyEvent::Opened.as_str();
                if let Some(burst) = self.bursts.get_mut(event) {
                    let before = burst.items.len();
                    burst.items.retain(|h| h.happening.incident() != Some(*incident));
                    if burst.items.len() != before {
                        self.open.remove(incident);
                        if burst.items.is_empty() {
                            self.bursts.remove(event);
                        }
                        return;
                    }
                }
            }
            Happening::Notice { .. } => {}
        }
        let burst = self.bursts.entry(happening.event().as_str()).or_insert(Burst { first: now, items: Vec::new() });
        burst.items.push(Held { subject, happening, at: now });
    }

    /// An incident was acknowledged: its reminders stop.
    pub fn ack(&mut self, incident: i64) -> bool {
        match self.open.get_mut(&incident) {
            Some(open) => {
                open.acked = true;
                true
            }
            None => false,
        }
    }

    /// The next moment after `now` [`Policy::step`] has something to decide.
    pub fn due(&self, now: DateTime<Utc>, zone: &dyn Zone) -> Option<DateTime<Utc>> {
        let bursts = self.bursts.values().map(|b| b.first + self.settings.group_wait);
        let reminders = self.open.values().filter_map(|o| o.next_reminder);
        let quiet_end = self
            .open
            .values()
            .any(|o| o.held == Some(Suppressed::QuietHours))
            .then(|| self.quiet_end(now, zone))
            .flatten();
        // Held while a check is in a window, flaps or has no network: looked at again
        // every second, as those end without telling the policy.
        let held = self
            .open
            .values()
            .any(|o| {
                o.told.is_empty()
                    && matches!(o.held, Some(Suppressed::Maintenance | Suppressed::Flapping | Suppressed::NoNetwork))
            })
            .then(|| now + chrono::Duration::seconds(1));
        bursts.chain(reminders).chain(quiet_end).chain(held).min()
    }

    /// When the quiet hours `now` is in end (a minute's precision is enough).
    fn quiet_end(&self, now: DateTime<Utc>, zone: &dyn Zone) -> Option<DateTime<Utc>> {
        let quiet = self.settings.quiet_hours.as_ref()?;
        let minute = now - chrono::Duration::seconds(now.timestamp().rem_euclid(60));
        (1..=24 * 60).map(|m| minute + chrono::Duration::minutes(m)).find(|t| !quiet.contains(zone.local(*t).time()))
    }

    /// The decisions due by `now`.
    pub fn step(&mut self, now: DateTime<Utc>, world: &dyn World, zone: &dyn Zone) -> Vec<Decision> {
        let mut decisions = Vec::new();
        let due: Vec<&'static str> = self
            .bursts
            .iter()
            .filter(|(_, b)| now >= b.first + self.settings.group_wait)
            .map(|(event, _)| *event)
            .collect();
        for event in due {
            if let Some(burst) = self.bursts.remove(event) {
                self.flush(burst, now, world, zone, &mut decisions);
            }
        }
        self.remind(now, world, zone, &mut decisions);
        self.after_quiet_hours(now, world, zone, &mut decisions);
        decisions
    }

    /// Why a notification about `subject` would not be sent now, if it would not.
    fn suppression(
        &self,
        subject: &Subject,
        event: NotifyEvent,
        now: DateTime<Utc>,
        world: &dyn World,
        zone: &dyn Zone,
    ) -> Option<Suppressed> {
        if self.silences.iter().any(|s| s.mutes(subject, now)) {
            return Some(Suppressed::Silenced);
        }
        if world.maintenance(&subject.check) {
            return Some(Suppressed::Maintenance);
        }
        if event != NotifyEvent::Flapping && world.flapping(&subject.check) {
            return Some(Suppressed::Flapping);
        }
        if event != NotifyEvent::NoNetwork && world.no_network(&subject.check) {
            return Some(Suppressed::NoNetwork);
        }
        if event == NotifyEvent::Opened && world.parent_down(&subject.check) {
            return Some(Suppressed::ParentDown);
        }
        let quiet = self.settings.quiet_hours.as_ref();
        if quiet.is_some_and(|q| q.contains(zone.local(now).time()) && !q.except.contains(&subject.alert.severity)) {
            return Some(Suppressed::QuietHours);
        }
        None
    }

    fn flush(&mut self, burst: Burst, now: DateTime<Utc>, world: &dyn World, zone: &dyn Zone, out: &mut Vec<Decision>) {
        // Per channel: the items to tell, and those held back, by reason.
        let mut told: BTreeMap<ChannelId, Vec<&Held>> = BTreeMap::new();
        let mut held: BTreeMap<(ChannelId, &'static str), (Suppressed, Vec<&Held>)> = BTreeMap::new();
        for item in &burst.items {
            if world.paused(&item.subject.check) && !matches!(item.happening, Happening::Resolved { .. }) {
                // Paused: nothing now; an opening waits for the pause to end.
                if let Some(open) = item.happening.incident().and_then(|id| self.open.get_mut(&id)) {
                    open.deferred = true;
                }
                continue;
            }
            let event = item.happening.event();
            let mut reason = self.suppression(&item.subject, event, now, world, zone);
            if let Happening::Resolved { incident, .. } = &item.happening {
                // A resolution is told where its opening was (in quiet hours or a window too:
                // a receiver must not keep an incident open), and held for its reason
                // where it was not.
                if let Some(open) = self.open.remove(incident) {
                    if open.told.is_empty() && reason.is_none() {
                        reason = open.held.or(Some(Suppressed::Silenced));
                    } else if !open.told.is_empty()
                        && matches!(
                            reason,
                            Some(
                                Suppressed::QuietHours
                                    | Suppressed::Maintenance
                                    | Suppressed::Flapping
                                    | Suppressed::NoNetwork
                            )
                        )
                    {
                        reason = None;
                    }
                }
            }
            if let Happening::Opened { incident, .. } = &item.happening {
                if let Some(open) = self.open.get_mut(incident) {
                    open.held = reason;
                    if reason.is_none() {
                        open.told = item.subject.alert.channels.clone();
                        let reminders = self.settings.max_reminders > 0;
                        open.next_reminder = item.subject.alert.repeat.filter(|_| reminders).map(|r| now + r);
                    }
                }
            }
            for channel in &item.subject.alert.channels {
                match reason {
                    None => told.entry(channel.clone()).or_default().push(item),
                    Some(reason) => {
                        held.entry((channel.clone(), reason.as_str())).or_insert((reason, Vec::new())).1.push(item)
                    }
                }
            }
        }
        for (channel, items) in told {
            out.push(self.notification(&items, channel, None, now, zone));
        }
        for ((channel, _), (reason, items)) in held {
            out.push(self.notification(&items, channel, Some(reason), now, zone));
        }
    }

    /// One notification for the items of a burst.
    fn notification(
        &self,
        items: &[&Held],
        channel: ChannelId,
        suppressed: Option<Suppressed>,
        now: DateTime<Utc>,
        zone: &dyn Zone,
    ) -> Decision {
        let first = items[0];
        let event = first.happening.event();
        let severity =
            items.iter().map(|h| h.subject.alert.severity).max_by_key(|s| *s as u8).unwrap_or(Severity::Warning);
        let checks: Vec<CheckId> = items.iter().map(|h| h.subject.check.clone()).collect();
        let incident = match items {
            [one] => one.happening.incident(),
            _ => None,
        };
        let incidents = items.iter().filter_map(|h| h.happening.incident()).collect();
        let (title, body) = if let [one] = items {
            words(one, now, zone)
        } else {
            let names = named(items.iter().map(|h| h.subject.name.as_str()));
            let count = items.len();
            let title = match event {
                NotifyEvent::Opened => {
                    let all_remote = self.remote_checks >= 2
                        && count >= self.remote_checks
                        && items.iter().all(|h| h.subject.remote);
                    let group = items[0]
                        .subject
                        .group
                        .as_ref()
                        .filter(|g| items.iter().all(|h| h.subject.group.as_ref() == Some(*g)));
                    if all_remote {
                        format!("every remote check failed ({count}): network or DNS?")
                    } else if let Some(group) = group {
                        format!("{count} checks of group {group} down")
                    } else {
                        format!("{count} checks down")
                    }
                }
                NotifyEvent::Resolved => format!("{count} checks recovered"),
                NotifyEvent::NoNetwork => format!("no network: {count} remote checks unknown"),
                NotifyEvent::Flapping => format!("{count} checks flapping or settled"),
                _ => format!("{count} notices"),
            };
            let (_, first_body) = words(first, now, zone);
            let first_line = first_body.lines().next().unwrap_or_default();
            let body = match event {
                NotifyEvent::Opened => format!("{names}\nfirst: {}: {first_line}", first.subject.name),
                NotifyEvent::NoNetwork => format!("{first_body}\n{names}"),
                _ => names,
            };
            (title, body)
        };
        Decision { at: now, event, checks, incident, incidents, channel, severity, title, body, suppressed }
    }

    fn remind(&mut self, now: DateTime<Utc>, world: &dyn World, zone: &dyn Zone, out: &mut Vec<Decision>) {
        let max = self.settings.max_reminders;
        let mut due = Vec::new();
        for (id, open) in &mut self.open {
            let Some(at) = open.next_reminder.filter(|at| *at <= now) else { continue };
            if world.paused(&open.subject.check) {
                // Paused: nothing is raised; the reminder waits a round.
                open.next_reminder = open.subject.alert.repeat.map(|r| now + r);
                continue;
            }
            if open.acked {
                open.next_reminder = None;
                due.push((*id, open.clone(), Some(Suppressed::Acked), at));
                continue;
            }
            open.reminders += 1;
            open.next_reminder = match open.subject.alert.repeat {
                Some(repeat) if open.reminders < max => Some(now + repeat),
                _ => None,
            };
            due.push((*id, open.clone(), None, at));
        }
        for (id, open, acked, _) in due {
            let silenced = self.silences.iter().any(|s| s.mutes(&open.subject, now));
            let maintenance = world.maintenance(&open.subject.check);
            let flapping = world.flapping(&open.subject.check);
            let no_network = world.no_network(&open.subject.check);
            let quiet = self.settings.quiet_hours.as_ref().is_some_and(|q| {
                q.contains(zone.local(now).time()) && !q.except.contains(&open.subject.alert.severity)
            });
            let suppressed = acked
                .or(silenced.then_some(Suppressed::Silenced))
                .or(maintenance.then_some(Suppressed::Maintenance))
                .or(flapping.then_some(Suppressed::Flapping))
                .or(no_network.then_some(Suppressed::NoNetwork))
                .or(quiet.then_some(Suppressed::QuietHours));
            let since = zone.local(open.opened_at).format("%H:%M");
            let title = format!("{} still down", open.subject.name);
            let body = format!(
                "down since {since} ({}), reminder {} of {max}\n{}",
                human(now - open.opened_at),
                open.reminders.max(1),
                open.cause
            );
            for channel in &open.told {
                out.push(Decision {
                    at: now,
                    event: NotifyEvent::Reminder,
                    checks: vec![open.subject.check.clone()],
                    incident: Some(id),
                    incidents: vec![id],
                    channel: channel.clone(),
                    severity: open.subject.alert.severity,
                    title: title.clone(),
                    body: body.clone(),
                    suppressed,
                });
            }
        }
    }

    /// Incidents held by quiet hours or a maintenance window (or whose check was paused)
    /// and still open are told once they end.
    fn after_quiet_hours(&mut self, now: DateTime<Utc>, world: &dyn World, zone: &dyn Zone, out: &mut Vec<Decision>) {
        // Out of its window, settled, or the network back: waiting to be told, as one held
        // by quiet hours is (and so held on if quiet hours are on).
        for open in self.open.values_mut().filter(|o| {
            let over = match o.held {
                Some(Suppressed::Maintenance) => !world.maintenance(&o.subject.check),
                Some(Suppressed::Flapping) => !world.flapping(&o.subject.check),
                Some(Suppressed::NoNetwork) => !world.no_network(&o.subject.check),
                _ => false,
            };
            over && o.told.is_empty()
        }) {
            open.held = Some(Suppressed::QuietHours);
        }
        if self.settings.quiet_hours.as_ref().is_some_and(|q| q.contains(zone.local(now).time())) {
            return;
        }
        for open in self.open.values_mut().filter(|o| o.deferred && !world.paused(&o.subject.check)) {
            open.deferred = false;
            if open.held.is_none() && open.told.is_empty() && !open.acked {
                open.held = Some(Suppressed::QuietHours);
            }
        }
        // Acknowledged meanwhile: someone is on it, nothing to tell.
        for open in self.open.values_mut().filter(|o| o.held == Some(Suppressed::QuietHours) && o.acked) {
            open.held = Some(Suppressed::Acked);
        }
        let waiting: Vec<(i64, OpenIncident)> = self
            .open
            .iter()
            .filter(|(_, o)| o.held == Some(Suppressed::QuietHours) && !world.paused(&o.subject.check))
            .map(|(id, o)| (*id, o.clone()))
            .collect();
        if waiting.is_empty() {
            return;
        }
        let items: Vec<Held> = waiting
            .iter()
            .map(|(id, open)| Held {
                subject: open.subject.clone(),
                happening: Happening::Opened {
                    incident: *id,
                    cause: open.cause.clone(),
                    hint: String::new(),
                    evidence: None,
                },
                at: open.opened_at,
            })
            .collect();
        for (id, open) in &waiting {
            if let Some(entry) = self.open.get_mut(id) {
                entry.held = None;
                entry.opened_at = open.opened_at;
            }
        }
        let first = self.open.get(&waiting[0].0).map_or(now, |o| o.opened_at);
        self.flush(Burst { first, items }, now, world, zone, out);
    }
}

/// Title and body of a notification about one check.
fn words(held: &Held, now: DateTime<Utc>, zone: &dyn Zone) -> (String, String) {
    let name = &held.subject.name;
    match &held.happening {
        Happening::Opened { cause, hint, evidence, .. } => {
            let at = zone.local(held.at).format("%H:%M");
            let mut body = format!("{cause} (since {at})");
            if let Some(evidence) = evidence {
                body.push('\n');
                body.push_str(evidence);
            }
            if !hint.is_empty() {
                body.push('\n');
                body.push_str(hint);
            }
            (format!("{name} down"), body)
        }
        Happening::Resolved { started_at, .. } => {
            let body = match started_at {
                Some(started) => format!("back up after {}", human(now - *started)),
                None => "back up".to_owned(),
            };
            (format!("{name} recovered"), body)
        }
        Happening::Notice { title, body, .. } => (title.clone(), body.clone()),
    }
}

/// "a, b, c, +4": at most [`NAMED`] names.
fn named<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    let mut list = names.iter().take(NAMED).copied().collect::<Vec<_>>().join(", ");
    if names.len() > NAMED {
        list.push_str(&format!(", +{}", names.len() - NAMED));
    }
    list
}

/// A span for people: `45 s`, `3 min 20 s`, `2 h 5 min`.
pub fn human(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests;
