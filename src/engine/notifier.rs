//! The notifier: the engine's events through the alert policy (`alert::Policy`) to the
//! channels. Every decision is recorded in `notifications` (with an id the engine
//! assigns) before it is handed on; the desktop channel's go out as
//! [`Event::Notification`] for the desktop shell, the others to one delivery task per
//! channel that retries with a capped backoff and never holds the engine.
//!
//! State survives restarts: open incidents are taken back with what was told of them
//! (reminders continue where they were), an incident with no decision recorded is told
//! now, and deliveries not ended are taken up again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Engine, Event, Flapping, RestartLoop, ServiceBreakerOpened};
use crate::alert::{Decision, Happening, LocalZone, OpenIncident, Policy, Silence, Subject, World};
use crate::model::{CheckId, NotifyEvent, Status, Suppressed};
use crate::notify::{self, ChannelConfig, ChannelKind, Payload, PayloadCheck};
use crate::store::{Delivery, NotificationFilter, NotificationRecord, SilenceRecord, WriteOp};

/// Deliveries waiting per channel; past it a notification is given up at once (a dead
/// receiver must not grow memory without bound).
const CHANNEL_QUEUE: usize = 1024;

/// A notification the desktop shell shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub id: i64,
    pub event: NotifyEvent,
    pub checks: Vec<CheckId>,
    pub incident: Option<i64>,
    pub severity: crate::model::Severity,
    pub title: String,
    pub body: String,
}

/// The alert side of the engine, behind its lock.
pub(super) struct Alerts {
    pub(super) policy: Policy,
    next_id: i64,
    pub(super) next_silence: i64,
    /// Each channel's last failed delivery, until one succeeds.
    pub(super) failing: BTreeMap<String, String>,
    /// Deliveries for each channel other than the desktop.
    queues: HashMap<String, mpsc::Sender<Job>>,
}

/// One delivery to make.
struct Job {
    id: i64,
    payload: Payload,
    attempts: u32,
}

impl Alerts {
    pub(super) fn new(policy: Policy, next_id: i64, next_silence: i64) -> Alerts {
        Alerts { policy, next_id, next_silence, failing: BTreeMap::new(), queues: HashMap::new() }
    }
}

/// Desktop notifications kept for a shell that has not attached yet.
const DESKTOP_WAITING: usize = 64;

impl Engine {
    /// Starts a delivery task per channel (but the desktop), takes back the open
    /// incidents, silences and pending deliveries, and runs the policy until the engine
    /// stops.
    pub(super) async fn notify(self, mut events: mpsc::Receiver<Event>, cancel: CancellationToken) {
        let mut workers = tokio::task::JoinSet::new();
        for channel in self.config().channels.iter().filter(|c| !matches!(c.kind, ChannelKind::Desktop)) {
            let (sender, receiver) = mpsc::channel(CHANNEL_QUEUE);
            if let Ok(mut alerts) = self.inner.alerts.lock() {
                alerts.queues.insert(channel.id.clone(), sender);
            }
            workers.spawn(self.clone().deliveries(channel.clone(), receiver, cancel.clone()));
        }
        self.restore_alerts().await;
        loop {
            let now = self.now();
            let due = self.inner.alerts.lock().ok().and_then(|a| a.policy.due(now, &LocalZone));
            let wait = due.map(|d| (d - now).to_std().unwrap_or_default());
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => {}
                _ = self.inner.alerts_now.notified() => {}
                event = events.recv() => match event {
                    Some(event) => self.offer(event),
                    None => break,
                },
            }
            if self.inner.alert_events_missed.swap(false, std::sync::atomic::Ordering::Relaxed) {
                tracing::warn!("the notifier missed events; it takes the open incidents from the checks again");
                self.resync_incidents();
            }
            self.step_alerts().await;
        }
        workers.shutdown().await;
    }

    /// An engine event as the policy hears it.
    fn offer(&self, event: Event) {
        let now = self.now();
        let (check_id, happening) = match event {
            Event::IncidentOpened(incident) => {
                let hint = incident.failure_class.resolution().to_owned();
                let happening = Happening::Opened { incident: incident.id, cause: incident.cause.clone(), hint };
                (incident.check_id.clone(), happening)
            }
            Event::IncidentResolved { id, check_id, .. } => {
                (check_id, Happening::Resolved { incident: id, started_at: None })
            }
            Event::RestartLoop(event) => {
                let (title, body) = restart_loop_text(&event, self.config());
                (event.check_id.clone(), Happening::Notice { event: NotifyEvent::RestartLoop, title, body })
            }
            Event::ServiceBreakerOpened(event) => {
                let (title, body) = service_breaker_words(&event);
                (event.check_id.clone(), Happening::Notice { event: NotifyEvent::ServiceBreaker, title, body })
            }
            Event::Network(change) => {
                let Some(why) = &change.down else { return };
                let body = format!("{why}\nremote checks are unknown until it is back");
                // The checks first: their locks come before the policy's.
                let snapshot = self.snapshot();
                let Ok(mut alerts) = self.inner.alerts.lock() else { return };
                for check in snapshot.iter().filter(|c| c.config.remote() && c.status != Status::Paused) {
                    let title = "no network".to_owned();
                    let happening = Happening::Notice { event: NotifyEvent::NoNetwork, title, body: body.clone() };
                    alerts.policy.offer(subject_of(&check.config), happening, now);
                }
                return;
            }
            Event::Flapping(event) => {
                let (title, body) = flapping_words(&event);
                (event.check_id.clone(), Happening::Notice { event: NotifyEvent::Flapping, title, body })
            }
            _ => return,
        };
        let Some(check) = self.check(check_id.as_str()) else { return };
        // A paused check raises nothing (its incidents resolve as the pause begins).
        if check.status == Status::Paused && !matches!(happening, Happening::Resolved { .. }) {
            return;
        }
        let subject = subject_of(&check.config);
        if let Ok(mut alerts) = self.inner.alerts.lock() {
            alerts.policy.offer(subject, happening, now);
        }
    }

    /// After missed events: incidents the checks no longer have open are forgotten (their
    /// recoveries were missed), and those they have that the policy does not know are
    /// told.
    fn resync_incidents(&self) {
        let now = self.now();
        let snapshot = self.snapshot();
        let Ok(mut alerts) = self.inner.alerts.lock() else { return };
        let known: Vec<i64> = alerts.policy.open_incidents().keys().copied().collect();
        for incident in known {
            if !snapshot.iter().any(|c| c.open_incident == Some(incident)) {
                alerts.policy.forget(incident);
            }
        }
        for check in snapshot.iter().filter(|c| c.status != Status::Paused) {
            let Some(incident) = check.open_incident else { continue };
            let cause = check.last.as_ref().map(|l| l.message.clone()).unwrap_or_default();
            let happening = Happening::Opened { incident, cause, hint: String::new() };
            // Known ones are ignored by the policy.
            alerts.policy.offer(subject_of(&check.config), happening, now);
        }
    }

    /// Applies the policy: records each decision due and hands the sent ones on.
    pub(super) async fn step_alerts(&self) {
        let now = self.now();
        // The checks first: their locks come before the policy's, never after.
        let world = EngineWorld::of(self);
        let decisions = match self.inner.alerts.lock() {
            Ok(mut alerts) => {
                let decisions = alerts.policy.step(now, &world, &LocalZone);
                let first = alerts.next_id;
                alerts.next_id += decisions.len() as i64;
                decisions.into_iter().zip(first + 1..).collect::<Vec<_>>()
            }
            Err(_) => return,
        };
        for (decision, id) in decisions {
            self.hand_on(id, decision, now).await;
        }
    }

    async fn hand_on(&self, id: i64, decision: Decision, now: DateTime<Utc>) {
        let channel = self.config().channel(&decision.channel).cloned();
        let mut record = NotificationRecord {
            id,
            at: decision.at,
            event: decision.event,
            checks: decision.checks.clone(),
            incident: decision.incident,
            incidents: decision.incidents.clone(),
            channel: decision.channel.clone(),
            severity: decision.severity,
            title: decision.title.clone(),
            body: decision.body.clone(),
            suppressed: decision.suppressed,
            delivered: None,
            attempts: 0,
            error: None,
            delivered_at: None,
        };
        tracing::info!(
            id,
            channel = %decision.channel,
            event = %decision.event.as_str(),
            suppressed = ?decision.suppressed.map(Suppressed::as_str),
            title = %decision.title,
            "notification"
        );
        let mut waiting = None;
        let job = match (&decision.suppressed, channel.as_ref().map(|c| &c.kind)) {
            (Some(_), _) | (None, None) => None,
            (None, Some(ChannelKind::Desktop)) => {
                let sent = Sent {
                    id,
                    event: decision.event,
                    checks: decision.checks.clone(),
                    incident: decision.incident,
                    severity: decision.severity,
                    title: decision.title.clone(),
                    body: decision.body.clone(),
                };
                let attached = self.inner.events.receiver_count() > 0
                    && self.inner.desktop_attached.load(std::sync::atomic::Ordering::Relaxed);
                if attached {
                    record.attempts = 1;
                    record.delivered = Some(true);
                    record.delivered_at = Some(now);
                    let _ = self.inner.events.send(Event::Notification(Box::new(sent)));
                } else if self.inner.desktop_expected {
                    // The tray app's shell is coming: its row first, then it waits.
                    waiting = Some(sent);
                } else {
                    record.attempts = 1;
                    record.delivered = Some(false);
                    record.error = Some("no desktop app is running: the daemon runs headless".to_owned());
                }
                None
            }
            (None, Some(_)) => Some(Job { id, payload: self.payload(&record), attempts: 0 }),
        };
        self.record(WriteOp::Notification(Box::new(record))).await;
        if let Some(job) = job {
            self.enqueue(&decision.channel, job).await;
        }
        if let Some(sent) = waiting {
            self.desktop_later(sent).await;
        }
    }

    async fn enqueue(&self, channel: &str, job: Job) {
        let queue = self.inner.alerts.lock().ok().and_then(|a| a.queues.get(channel).cloned());
        let Some(queue) = queue else { return };
        let id = job.id;
        if let Err(mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) = queue.try_send(job)
        {
            let error =
                format!("the channel's queue is full ({CHANNEL_QUEUE} waiting): its receiver is not keeping up");
            self.channel_failed(channel, &error);
            let delivery =
                Delivery { id, delivered: Some(false), attempts: job.attempts, error: Some(error), at: self.now() };
            self.record(WriteOp::Delivery(Box::new(delivery))).await;
        }
    }

    /// What a webhook and a command receive.
    fn payload(&self, record: &NotificationRecord) -> Payload {
        let checks = record
            .checks
            .iter()
            .map(|id| match self.check(id.as_str()) {
                Some(check) => PayloadCheck {
                    id: id.to_string(),
                    name: check.config.name.clone(),
                    group: check.config.group.clone(),
                    status: check.status.as_str().to_owned(),
                    severity: check.config.alert.severity.as_str().to_owned(),
                },
                None => PayloadCheck {
                    id: id.to_string(),
                    name: id.to_string(),
                    group: None,
                    status: "unknown".into(),
                    severity: "warning".into(),
                },
            })
            .collect();
        Payload {
            version: 1,
            id: record.id,
            event: record.event.as_str().to_owned(),
            at: record.at,
            local_time: record.at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S %:z").to_string(),
            severity: record.severity.as_str().to_owned(),
            title: record.title.clone(),
            body: record.body.clone(),
            incident: record.incident,
            checks,
            channel: record.channel.clone(),
        }
    }

    /// One channel's deliveries, one at a time, failed ones tried again after a
    /// growing wait.
    async fn deliveries(self, channel: ChannelConfig, mut jobs: mpsc::Receiver<Job>, cancel: CancellationToken) {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(3)).build();
        let Ok(client) = client else { return };
        let mut retries: Vec<(tokio::time::Instant, Job)> = Vec::new();
        // An Alertmanager forgets an alert not re-sent: the open incidents told on it
        // are, every `resend`.
        let resend = match channel.kind {
            ChannelKind::Alertmanager { resend, .. } => Some(resend),
            _ => None,
        };
        let mut next_resend = resend.map(|r| tokio::time::Instant::now() + r);
        loop {
            let next = retries.iter().map(|(at, _)| *at).min();
            let job = tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep_until(next_resend.unwrap_or_else(tokio::time::Instant::now)), if next_resend.is_some() => {
                    next_resend = resend.map(|r| tokio::time::Instant::now() + r);
                    self.resend_alerts(&channel, &client).await;
                    continue;
                }
                job = jobs.recv() => match job {
                    Some(job) => job,
                    None => return,
                },
                _ = tokio::time::sleep_until(next.unwrap_or_else(tokio::time::Instant::now)), if next.is_some() => {
                    let now = tokio::time::Instant::now();
                    let Some(i) = retries.iter().position(|(at, _)| *at <= now) else { continue };
                    retries.swap_remove(i).1
                }
            };
            let mut job = job;
            job.attempts += 1;
            // The channel's own timeout bounds an attempt; this is a backstop.
            let attempt = tokio::time::timeout(
                channel.timeout + Duration::from_secs(1),
                notify::deliver(&channel, &client, &job.payload),
            );
            let outcome = tokio::select! {
                _ = cancel.cancelled() => return,
                outcome = attempt => outcome.unwrap_or_else(|_| Err(notify::DeliveryError("timed out".into()))),
            };
            let now = self.now();
            let delivery = match outcome {
                Ok(()) => {
                    if let Ok(mut alerts) = self.inner.alerts.lock() {
                        alerts.failing.remove(&channel.id);
                    }
                    Delivery { id: job.id, delivered: Some(true), attempts: job.attempts, error: None, at: now }
                }
                Err(error) => {
                    self.channel_failed(&channel.id, &error.0);
                    let gave_up = job.attempts >= notify::MAX_ATTEMPTS;
                    tracing::warn!(channel = %channel.id, id = job.id, attempts = job.attempts, gave_up, error = %error.0, "delivery failed");
                    let delivery = Delivery {
                        id: job.id,
                        delivered: gave_up.then_some(false),
                        attempts: job.attempts,
                        error: Some(error.0),
                        at: now,
                    };
                    if !gave_up {
                        retries.push((tokio::time::Instant::now() + notify::backoff(job.attempts), job));
                    }
                    delivery
                }
            };
            self.record(WriteOp::Delivery(Box::new(delivery))).await;
        }
    }

    /// Re-sends the alerts of the incidents open and told on an Alertmanager channel.
    async fn resend_alerts(&self, channel: &ChannelConfig, client: &reqwest::Client) {
        let ChannelKind::Alertmanager { resend, .. } = channel.kind else { return };
        let now = self.now();
        let open: Vec<(Subject, DateTime<Utc>, String)> = match self.inner.alerts.lock() {
            Ok(alerts) => alerts
                .policy
                .open_incidents()
                .values()
                .filter(|o| o.told.contains(&channel.id))
                .map(|o| (o.subject.clone(), o.opened_at, o.cause.clone()))
                .collect(),
            Err(_) => return,
        };
        let alerts: Vec<notify::AmAlert> = open
            .iter()
            .map(|(subject, opened_at, cause)| {
                let check = PayloadCheck {
                    id: subject.check.to_string(),
                    name: subject.name.clone(),
                    group: subject.group.clone(),
                    status: Status::Down.as_str().to_owned(),
                    severity: subject.alert.severity.as_str().to_owned(),
                };
                let title = format!("{} down", subject.name);
                let name = notify::alertname(NotifyEvent::Opened.as_str());
                notify::am_alert(name, &check, (&title, cause), *opened_at, now + notify::am_valid(resend))
            })
            .collect();
        match notify::post_alerts(channel, client, &alerts).await {
            Ok(()) if !alerts.is_empty() => {
                if let Ok(mut state) = self.inner.alerts.lock() {
                    state.failing.remove(&channel.id);
                }
            }
            Ok(()) => {}
            Err(error) => {
                tracing::warn!(channel = %channel.id, error = %error.0, "re-sending open alerts failed");
                self.channel_failed(&channel.id, &error.0);
            }
        }
    }

    fn channel_failed(&self, channel: &str, error: &str) {
        if let Ok(mut alerts) = self.inner.alerts.lock() {
            alerts.failing.insert(channel.to_owned(), error.to_owned());
        }
    }

    /// Channels whose last delivery failed, for `/healthz`: `channel hook: ...`.
    pub fn failing_channels(&self) -> Vec<String> {
        self.inner
            .alerts
            .lock()
            .map(|a| a.failing.iter().map(|(id, error)| format!("channel {id}: {error}")).collect())
            .unwrap_or_default()
    }

    /// Takes back what was open or pending before the last stop.
    async fn restore_alerts(&self) {
        let now = self.now();
        let store = self.store().clone();
        if let Ok(silences) = store.silences_now(now) {
            self.set_silences(silences);
        }
        for check in self.snapshot() {
            let Some(incident) = check.open_incident else { continue };
            let filter = NotificationFilter { incident: Some(incident), limit: 1000, ..NotificationFilter::default() };
            let told = store.notifications(filter).await.unwrap_or_default();
            let acked = store.incident_alerting(incident).await.ok().and_then(|(acked_at, _)| acked_at).is_some();
            let subject = subject_of(&check.config);
            let Ok(mut alerts) = self.inner.alerts.lock() else { return };
            if told.is_empty() {
                // Decided on nothing before the stop: told now.
                let cause = check.reason.clone().unwrap_or_else(|| "down".to_owned());
                let happening = Happening::Opened { incident, cause, hint: String::new() };
                alerts.policy.offer(subject, happening, now);
                continue;
            }
            let sent = |event: NotifyEvent| told.iter().filter(move |n| n.event == event && n.suppressed.is_none());
            let channels: Vec<String> = sent(NotifyEvent::Opened).map(|n| n.channel.clone()).collect();
            // Reminders count as the policy counted them: sent or held (by a silence, quiet
            // hours), but not the one an acknowledgement held back.
            let reminders = told
                .iter()
                .filter(|n| n.event == NotifyEvent::Reminder && n.suppressed != Some(Suppressed::Acked))
                .map(|n| n.at)
                .collect::<std::collections::BTreeSet<_>>();
            let last = sent(NotifyEvent::Opened).map(|n| n.at).chain(reminders.iter().copied()).max();
            let opened_at = told.iter().map(|n| n.at).min().unwrap_or(now);
            let held = told
                .iter()
                .find(|n| n.event == NotifyEvent::Opened && n.suppressed.is_some())
                .and_then(|n| n.suppressed);
            let max = alerts.policy.settings().max_reminders;
            let repeat = subject.alert.repeat;
            let open = OpenIncident {
                cause: check.last.as_ref().map(|l| l.message.clone()).unwrap_or_default(),
                opened_at,
                told: dedup(channels.clone()),
                held: if channels.is_empty() { held } else { None },
                reminders: reminders.len() as u32,
                next_reminder: match (repeat, last) {
                    (Some(repeat), Some(last)) if (reminders.len() as u32) < max && !channels.is_empty() => {
                        Some(last + repeat)
                    }
                    _ => None,
                },
                acked,
                deferred: false,
                subject,
            };
            alerts.policy.restore(incident, open);
        }
        for record in store.pending_notifications_now().unwrap_or_default() {
            if matches!(self.config().channel(&record.channel).map(|c| &c.kind), Some(ChannelKind::Desktop) | None) {
                continue;
            }
            let job = Job { id: record.id, payload: self.payload(&record), attempts: record.attempts };
            self.enqueue(&record.channel, job).await;
        }
    }

    /// Gives the policy the silences that mute now or later.
    pub(super) fn set_silences(&self, records: Vec<SilenceRecord>) {
        let silences = records.into_iter().map(policy_silence).collect();
        if let Ok(mut alerts) = self.inner.alerts.lock() {
            alerts.policy.set_silences(silences);
        }
    }
}

fn policy_silence(s: SilenceRecord) -> Silence {
    Silence {
        id: s.id,
        ends_at: s.until(),
        checks: s.checks,
        groups: s.groups,
        starts_at: s.starts_at,
        reason: s.reason,
    }
}

fn dedup(mut channels: Vec<String>) -> Vec<String> {
    channels.sort();
    channels.dedup();
    channels
}

/// The policy's view of a check.
pub(super) fn subject_of(config: &Arc<crate::config::CheckConfig>) -> Subject {
    Subject {
        check: config.id.clone(),
        name: config.name.clone(),
        group: config.group.clone(),
        remote: config.remote(),
        alert: config.alert.clone(),
    }
}

/// The live checks, as the policy asks about them: read once per step, before the
/// policy's lock is taken.
struct EngineWorld {
    checks: HashMap<CheckId, Facts>,
}

struct Facts {
    status: Status,
    flapping: bool,
    no_network: bool,
    depends_on: Vec<CheckId>,
}

impl EngineWorld {
    fn of(engine: &Engine) -> EngineWorld {
        let offline = engine.offline();
        let back_at = engine.network_back_at();
        let checks = engine
            .snapshot()
            .into_iter()
            .map(|c| {
                // Until it has been probed again since the network came back, a remote
                // check's failure may be the network's still.
                let unprobed = back_at.is_some_and(|back| c.last.as_ref().is_none_or(|l| l.at < back));
                let facts = Facts {
                    status: c.status,
                    flapping: c.flapping,
                    no_network: c.config.remote() && (offline || unprobed),
                    depends_on: c.config.depends_on.clone(),
                };
                (c.config.id.clone(), facts)
            })
            .collect();
        EngineWorld { checks }
    }

    fn status(&self, check: &CheckId) -> Option<Status> {
        self.checks.get(check).map(|f| f.status)
    }
}

impl World for EngineWorld {
    fn parent_down(&self, check: &CheckId) -> bool {
        let Some(facts) = self.checks.get(check) else { return false };
        facts.depends_on.iter().any(|parent| self.status(parent) == Some(Status::Down))
    }

    fn paused(&self, check: &CheckId) -> bool {
        self.status(check) == Some(Status::Paused)
    }

    fn maintenance(&self, check: &CheckId) -> bool {
        self.status(check) == Some(Status::Maintenance)
    }

    fn flapping(&self, check: &CheckId) -> bool {
        self.checks.get(check).is_some_and(|f| f.flapping)
    }

    fn no_network(&self, check: &CheckId) -> bool {
        self.checks.get(check).is_some_and(|f| f.no_network)
    }
}

/// "orders-api: restart loop" and what happened, in local time.
pub fn restart_loop_text(event: &RestartLoop, config: &crate::config::Config) -> (String, String) {
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

/// "api is flapping" and what that means for its notifications.
fn flapping_words(event: &Flapping) -> (String, String) {
    let percent = event.percent.round();
    if event.started {
        (
            format!("{} is flapping", event.check_name),
            format!(
                "its state changed in {percent}% of its last {} results; its notifications are held until it settles",
                event.window
            ),
        )
    } else {
        (
            format!("{} stopped flapping", event.check_name),
            format!("now {}; state changes are down to {percent}% of its last {} results", event.status, event.window),
        )
    }
}

fn service_breaker_words(event: &ServiceBreakerOpened) -> (String, String) {
    (
        format!("{}: service breaker {} OPEN", event.check_name, event.breaker.name),
        format!(
            "{}: the service now fails its calls to that dependency fast. See the check's page.",
            super::service_breaker_text(&event.breaker)
        ),
    )
}

/// Why an acknowledgement or a silence was refused.
#[derive(Debug)]
pub enum AlertRefused {
    UnknownIncident,
    /// The incident is resolved: there is nothing left to acknowledge.
    Resolved,
    UnknownSilence,
    /// The history could not be read.
    Store(crate::store::StoreError),
}

impl Engine {
    /// The desktop shell shows the desktop channel's notifications from now on.
    /// The desktop shell is subscribed and shows the desktop channel: what was decided
    /// before it attached is shown now, and recorded as delivered.
    pub fn attach_desktop(&self) {
        let waiting = match self.inner.desktop_waiting.lock() {
            Ok(mut waiting) => {
                // Under the lock `desktop_later` takes: nothing slips between the two.
                self.inner.desktop_attached.store(true, std::sync::atomic::Ordering::Relaxed);
                std::mem::take(&mut *waiting)
            }
            Err(_) => return,
        };
        if waiting.is_empty() {
            return;
        }
        let now = self.now();
        let ids: Vec<i64> = waiting.iter().map(|s| s.id).collect();
        for sent in waiting {
            let _ = self.inner.events.send(Event::Notification(Box::new(sent)));
        }
        let engine = self.clone();
        tokio::spawn(async move {
            for id in ids {
                let delivery = Delivery { id, delivered: Some(true), attempts: 1, error: None, at: now };
                engine.record(WriteOp::Delivery(Box::new(delivery))).await;
            }
        });
    }

    /// A desktop notification whose row is recorded, for the tray app's shell: shown
    /// now if it attached meanwhile, else kept for it (at most [`DESKTOP_WAITING`]).
    async fn desktop_later(&self, sent: Sent) {
        let id = sent.id;
        let shown_now = match self.inner.desktop_waiting.lock() {
            Ok(mut waiting) => {
                if self.inner.desktop_attached.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = self.inner.events.send(Event::Notification(Box::new(sent)));
                    Some(true)
                } else if waiting.len() < DESKTOP_WAITING {
                    waiting.push(sent);
                    None
                } else {
                    Some(false)
                }
            }
            Err(_) => Some(false),
        };
        let Some(delivered) = shown_now else { return };
        let error = (!delivered).then(|| format!("{DESKTOP_WAITING} notifications already wait for the desktop app"));
        let delivery = Delivery { id, delivered: Some(delivered), attempts: 1, error, at: self.now() };
        self.record(WriteOp::Delivery(Box::new(delivery))).await;
    }

    /// Acknowledges an open incident: its reminders stop; a note may say why.
    pub async fn ack(
        &self,
        incident: i64,
        note: Option<String>,
        by: crate::model::Requester,
    ) -> Result<(), AlertRefused> {
        let open = self.snapshot().iter().any(|c| c.open_incident == Some(incident));
        if !open {
            let exists = self.store().incident_exists(incident).await.map_err(AlertRefused::Store)?;
            return Err(if exists { AlertRefused::Resolved } else { AlertRefused::UnknownIncident });
        }
        let now = self.now();
        if let Ok(mut alerts) = self.inner.alerts.lock() {
            alerts.policy.ack(incident);
        }
        self.record(WriteOp::Ack { incident, at: now }).await;
        if let Some(text) = note.filter(|t| !t.trim().is_empty()) {
            let note = crate::store::NoteRecord { incident, at: now, text, author: by.as_str().to_owned() };
            self.record(WriteOp::Note(Box::new(note))).await;
        }
        tracing::info!(incident, by = %by, "incident acknowledged");
        self.inner.alerts_now.notify_one();
        Ok(())
    }

    /// Adds a note to an incident, as `by`'s.
    pub async fn add_note(&self, incident: i64, text: String, by: crate::model::Requester) {
        let note = crate::store::NoteRecord { incident, at: self.now(), text, author: by.as_str().to_owned() };
        self.record(WriteOp::Note(Box::new(note))).await;
    }

    /// Adds a silence (its id assigned here) and gives it to the policy at once.
    pub async fn silence(&self, mut silence: SilenceRecord) -> SilenceRecord {
        if let Ok(mut alerts) = self.inner.alerts.lock() {
            alerts.next_silence += 1;
            silence.id = alerts.next_silence;
        }
        self.record(WriteOp::Silence(Box::new(silence.clone()))).await;
        if let Ok(mut alerts) = self.inner.alerts.lock() {
            alerts.policy.add_silence(policy_silence(silence.clone()));
        }
        self.inner.alerts_now.notify_one();
        tracing::info!(id = silence.id, checks = ?silence.checks, groups = ?silence.groups, "silence added");
        silence
    }

    /// Ends a silence now; `None` when no silence has that id.
    pub async fn end_silence(&self, id: i64) -> Result<SilenceRecord, AlertRefused> {
        let now = self.now();
        // A silence is committed before its creation answers (`api::operation::perform`):
        // one that can be named is in the store.
        let found = self.store().silence(id).await.map_err(AlertRefused::Store)?;
        let Some(mut found) = found else {
            return Err(AlertRefused::UnknownSilence);
        };
        if found.ended_at.is_none() && found.ends_at > now {
            found.ended_at = Some(now);
            self.record(WriteOp::EndSilence { id, at: now }).await;
            if let Ok(mut alerts) = self.inner.alerts.lock() {
                alerts.policy.end_silence(id, now);
            }
            self.inner.alerts_now.notify_one();
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_loop_says_what_ran_how_often_and_what_to_do() {
        let config = crate::config::compile(
            "[[check]]\nid = \"api\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\n\n[[action]]\nid = \"restart\"\nname = \"Restart API\"\nkind = \"command\"\ncommand = [\"true\"]\n",
            "test.toml",
        )
        .expect("valid config")
        .config;
        let event = RestartLoop {
            check_id: CheckId::parse("api").unwrap(),
            check_name: "Orders API".into(),
            action: crate::model::ActionId::parse("restart").unwrap(),
            budget: crate::budget::Budget { max_runs: 3, per: Duration::from_secs(600) },
            retry_at: Utc::now(),
        };
        let (title, body) = restart_loop_text(&event, &config);
        assert_eq!(title, "Orders API: restart loop");
        assert!(
            body.starts_with("Restart API ran 3 times in 10m and Orders API is still down; no automatic run until "),
            "{body}"
        );
        assert!(body.ends_with("Reset the action's budget in the dashboard to try again now."), "{body}");
    }
}
