//! Alerting: the engine's events through the alert policy (`alert::Policy`) to the
//! channels (`alert::channel`). One file per job:
//!
//! - `intake`: what the policy hears: the events that may be told, the open incidents
//!   taken back at start, and a resynchronisation after missed events;
//! - `step`: the policy stepped when something is due, each decision given its id and
//!   recorded in `notifications` before it goes on;
//! - `delivery`: one task per channel (but the desktop's) that delivers, retries with
//!   a capped backoff and never holds the engine, and sends open incidents again where
//!   the channel wants it (an Alertmanager);
//! - `desktop`: the desktop channel's notifications for the desktop shell, and those
//!   that wait for a tray app's shell to attach.
//!
//! This file holds their shared state, the loop that runs the policy, and what the
//! API changes in it (acknowledgements, notes, silences).
//!
//! State survives restarts: open incidents are taken back with what was told of them
//! (reminders continue where they were), an incident with no decision recorded is told
//! now, and deliveries not ended are taken up again.

mod delivery;
mod desktop;
mod intake;
mod step;

use futures_util::FutureExt as _;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::{Engine, Event, EVENT_CAPACITY};
use crate::alert::{Policy, Silence};
use crate::config::Config;
use crate::model::{CheckId, NotifyEvent, Severity};
use crate::store::{SilenceRecord, Store, StoreError, WriteOp};

/// A notification the desktop shell shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub id: i64,
    pub event: NotifyEvent,
    pub checks: Vec<CheckId>,
    pub incident: Option<i64>,
    pub severity: Severity,
    pub title: String,
    pub body: String,
}

/// Why an acknowledgement or a silence was refused.
#[derive(Debug)]
pub enum AlertRefused {
    UnknownIncident,
    /// The incident is resolved: there is nothing left to acknowledge.
    Resolved,
    UnknownSilence,
    /// The history could not be read.
    Store(StoreError),
}

/// The engine's alerting part.
pub(super) struct Alerting {
    /// The policy and the channels' state; taken after a check's lock, never before.
    state: Mutex<State>,
    /// Wakes the loop when the policy changed from outside (a silence, an ack) or a
    /// pause ended.
    pub wake: Notify,
    /// What the loop hears (incidents, restart loops, service breakers, flapping, the
    /// network), apart from the broadcast: it never lags behind check results, nor
    /// makes them published.
    intake: mpsc::Sender<Event>,
    /// Set when `intake` was full: the loop resynchronises.
    missed: AtomicBool,
    pub desktop: desktop::Desktop,
    /// The channels' delivery tasks, those a reload started too.
    deliveries: Mutex<tokio::task::JoinSet<()>>,
}

/// What alerting lays over the checks at a moment (see [`Alerting::marks`]).
#[derive(Debug, Default)]
pub(super) struct Marks {
    pub silences: Vec<Silence>,
    pub acked: std::collections::HashSet<i64>,
}

/// The policy and what goes with it, behind the part's lock.
struct State {
    policy: Policy,
    /// The last notification id given.
    last_id: i64,
    /// The last silence id given.
    last_silence: i64,
    /// Each channel's last failed delivery, until one succeeds.
    failing: BTreeMap<String, String>,
    /// Deliveries for each channel the shell does not show.
    queues: HashMap<String, mpsc::Sender<delivery::Job>>,
    /// The delivery task of each channel the shell does not show.
    workers: HashMap<String, delivery::Worker>,
    /// The channels' HTTP client, once the deliveries have started.
    client: Option<reqwest::Client>,
}

impl Alerting {
    /// The part, and the receiving end of what it hears (for [`Engine::notify`]).
    pub(super) fn new(
        config: &Config,
        store: &Store,
        desktop: bool,
    ) -> Result<(Alerting, mpsc::Receiver<Event>), StoreError> {
        let remote = config.checks.iter().filter(|c| c.remote()).count();
        let state = State {
            policy: Policy::new(config.alerts.clone(), remote),
            last_id: store.max_notification_id()?,
            last_silence: store.max_silence_id()?,
            failing: BTreeMap::new(),
            queues: HashMap::new(),
            workers: HashMap::new(),
            client: None,
        };
        let (intake, receiver) = mpsc::channel(EVENT_CAPACITY);
        let alerting = Alerting {
            state: Mutex::new(state),
            wake: Notify::new(),
            intake,
            missed: AtomicBool::new(false),
            desktop: desktop::Desktop::new(desktop),
            deliveries: Mutex::new(tokio::task::JoinSet::new()),
        };
        Ok((alerting, receiver))
    }

    /// An event that may be told; when the loop is too far behind, it resynchronises.
    pub(super) fn hear(&self, event: Event) {
        if self.intake.try_send(event).is_err() {
            self.missed.store(true, Ordering::Relaxed);
            self.wake.notify_one();
        }
    }

    /// What the checks show of alerting at `now`: the silences that mute, and the open
    /// incidents acknowledged.
    pub(super) fn marks(&self, now: chrono::DateTime<chrono::Utc>) -> Marks {
        self.with(|state| Marks {
            silences: state.policy.silences_at(now).cloned().collect(),
            acked: state.policy.open_incidents().iter().filter(|(_, o)| o.acked).map(|(id, _)| *id).collect(),
        })
    }

    /// A reload's `[alerts]`, and how many checks are remote now.
    pub(super) fn reconfigure(&self, settings: crate::alert::AlertSettings, remote: usize) {
        self.with(|state| state.policy.reconfigure(settings, remote));
    }

    /// Forgets channels a reload removed: nothing more is told on them.
    pub(super) fn forget_channels(&self, gone: &[String]) {
        if !gone.is_empty() {
            self.with(|state| state.policy.forget_channels(gone));
        }
    }

    /// Forgets an incident whose check is gone, telling nothing.
    pub(super) fn forget(&self, incident: i64) {
        self.with(|state| state.policy.forget(incident));
    }

    /// Runs `change` on the state, under its lock.
    fn with<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        change(&mut crate::panics::lock(&self.state))
    }
}

impl Engine {
    /// Starts a delivery task per channel (but the desktop), takes back the open
    /// incidents, silences and pending deliveries, and runs the policy until the engine
    /// stops.
    pub(super) async fn notify(self, mut events: mpsc::Receiver<Event>, cancel: CancellationToken) {
        self.start_deliveries();
        self.restore_alerts().await;
        let mut started = false;
        crate::panics::supervised("notifier", cancel.clone(), &mut events, |events| {
            // After a panic, the open incidents are taken from the checks again.
            if std::mem::replace(&mut started, true) {
                self.inner.alerting.missed.store(true, Ordering::Relaxed);
            }
            self.clone().listen(events, cancel.clone()).boxed()
        })
        .await;
        let mut deliveries = std::mem::take(&mut *crate::panics::lock(&self.inner.alerting.deliveries));
        deliveries.shutdown().await;
    }

    /// The notifier's loop: hears events, steps the policy when something is due.
    async fn listen(self, events: &mut mpsc::Receiver<Event>, cancel: CancellationToken) {
        let alerting = &self.inner.alerting;
        loop {
            let now = self.now();
            let due = alerting.with(|state| state.policy.due(now, self.inner.zone.as_ref()));
            let wait = due.map(|d| (d - now).to_std().unwrap_or_default());
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => {}
                _ = alerting.wake.notified() => {}
                event = events.recv() => match event {
                    Some(event) => self.offer(event),
                    None => break,
                },
            }
            if alerting.missed.swap(false, Ordering::Relaxed) {
                tracing::warn!("the notifier missed events; it takes the open incidents from the checks again");
                self.resync_incidents();
            }
            self.step_alerts().await;
        }
    }

    /// Channels whose last delivery failed, for `/healthz`: `channel hook: ...`.
    pub fn failing_channels(&self) -> Vec<String> {
        let failing = self.inner.alerting.with(|state| state.failing.clone());
        failing.iter().map(|(id, error)| format!("channel {id}: {error}")).collect()
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
        self.inner.alerting.with(|state| state.policy.ack(incident));
        self.record(WriteOp::Ack { incident, at: now }).await;
        if let Some(text) = note.filter(|t| !t.trim().is_empty()) {
            let note = crate::store::NoteRecord { incident, at: now, text, author: by.as_str().to_owned() };
            self.record(WriteOp::Note(Box::new(note))).await;
        }
        tracing::info!(incident, by = %by, "incident acknowledged");
        self.inner.alerting.wake.notify_one();
        Ok(())
    }

    /// Adds a note to an incident, as `by`'s.
    pub async fn add_note(&self, incident: i64, text: String, by: crate::model::Requester) {
        let note = crate::store::NoteRecord { incident, at: self.now(), text, author: by.as_str().to_owned() };
        self.record(WriteOp::Note(Box::new(note))).await;
    }

    /// Adds a silence (its id assigned here) and gives it to the policy at once.
    pub async fn silence(&self, mut silence: SilenceRecord) -> SilenceRecord {
        silence.id = self.inner.alerting.with(|state| {
            state.last_silence += 1;
            state.last_silence
        });
        self.record(WriteOp::Silence(Box::new(silence.clone()))).await;
        self.inner.alerting.with(|state| state.policy.add_silence(policy_silence(silence.clone())));
        self.inner.alerting.wake.notify_one();
        tracing::info!(id = silence.id, checks = ?silence.checks, groups = ?silence.groups, "silence added");
        silence
    }

    /// Ends a silence now; `UnknownSilence` when no silence has that id.
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
            self.inner.alerting.with(|state| state.policy.end_silence(id, now));
            self.inner.alerting.wake.notify_one();
        }
        Ok(found)
    }

    /// Gives the policy the silences that mute now or later, as the store has them; one
    /// it has already (added or ended since the engine started) is kept as it is.
    fn add_silences(&self, records: Vec<SilenceRecord>) {
        self.inner.alerting.with(|state| {
            for record in records {
                if !state.policy.has_silence(record.id) {
                    state.policy.add_silence(policy_silence(record));
                }
            }
        });
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
        by: s.created_by,
    }
}
