//! The composition root: schedules every check, runs its probe through its breaker,
//! evaluates conditions, drives its state machine, and hands results, state changes
//! and incidents to the writer and to event subscribers.
//!
//! Invariants: a check never has two probes in flight (its own task runs them one
//! after another); probes in flight across checks are bounded by a semaphore; every
//! probe has a timeout; a probe that panics makes its check unknown and never stops
//! the engine; no lock is held across an await.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{broadcast, mpsc, oneshot, Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::action::{self, Requester};
use crate::breaker::{Breaker, BreakerState, Permit};
use crate::condition::{JsonCache, Subject};
use crate::config::{CheckConfig, Config};
use crate::figures::OwnFigures;
use crate::model::{Failure, FailureClass, GroupLevel, Observation, ProbeResult, Status, Verdict};
use crate::probe::{self, ProbeContext};
use crate::state::{CheckState, Thresholds};
use crate::store::{
    ActionRunRecord, IncidentRecord, NewActionRun, PersistedState, ResultRecord, Store, StoreError, WriteOp, Writer,
    WriterHandle,
};

/// Events kept for slow subscribers before they lag (and resynchronise).
pub const EVENT_CAPACITY: usize = 4096;
/// The staleness sweep sleeps until the next check could turn stale or a pause ends,
/// within these bounds (at least: a sweep costs a pass over every check; at most: the
/// deadlines are wall-clock times, and the wall clock can jump).
const SWEEP_AT_LEAST: Duration = Duration::from_secs(1);
const SWEEP_AT_MOST: Duration = Duration::from_secs(10);
/// Verification of an action: re-probes, one per second, until the check is up.
const VERIFY_ATTEMPTS: u32 = 10;

/// A check as the API and CLI see it.
#[derive(Debug, Clone)]
pub struct CheckSnapshot {
    pub config: Arc<CheckConfig>,
    pub status: Status,
    pub since: DateTime<Utc>,
    pub reason: Option<String>,
    pub breaker: Option<BreakerSnapshot>,
    pub last: Option<ProbeResult>,
    pub open_incident: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct BreakerSnapshot {
    pub state: BreakerState,
    pub consecutive_failures: u32,
    pub next_trial_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub enum Event {
    /// The check at this position (in config order) has a new result or state: read it
    /// with [`Engine::check_at`] when it is needed, so a burst costs one read.
    Check(usize),
    IncidentOpened(Box<IncidentRecord>),
    IncidentResolved {
        id: i64,
        check_id: String,
        at: DateTime<Utc>,
    },
    /// Output of a running action, as it arrives; `key` names the run (the caller's).
    ActionOutput {
        key: Arc<str>,
        action: Arc<str>,
        text: String,
    },
    /// An action run ended and was recorded.
    ActionRun(Box<ActionRunRecord>),
}

// The event channel allocates all its `EVENT_CAPACITY` slots at start: large payloads
// are boxed so that costs about 400 KB, not twice that.
const _: () = assert!(std::mem::size_of::<Event>() <= 64);

/// The engine handle: a cheap clone around shared state.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    checks: Vec<Arc<CheckRuntime>>,
    index: HashMap<String, usize>,
    probes: ProbeContext,
    writer: WriterHandle,
    store: Store,
    events: broadcast::Sender<Event>,
    figures: Arc<OwnFigures>,
    next_incident: AtomicI64,
    in_flight: Arc<Semaphore>,
    degraded: Mutex<Vec<String>>,
    started_at: DateTime<Utc>,
    /// The origin of the schedule grid.
    epoch: Instant,
    /// Cancelled when the engine stops.
    stopping: CancellationToken,
    /// Wakes the sweep when a pause changes (its deadline may now be sooner).
    sweep_now: Notify,
}

struct CheckRuntime {
    /// Its place in config order, as [`Event::Check`] names it.
    position: usize,
    config: Arc<CheckConfig>,
    live: Mutex<Live>,
    run_now: mpsc::Sender<oneshot::Sender<ProbeResult>>,
}

struct Live {
    state: CheckState,
    breaker: Breaker,
    last: Option<ProbeResult>,
    pause: Option<Pause>,
    /// When a pause last ended: staleness counts from then, not from the last result.
    resumed_at: Option<DateTime<Utc>>,
}

/// A check paused by the user: not probed, shown `paused`, raises no alerts.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pause {
    since: DateTime<Utc>,
    /// `None`: until resumed.
    until: Option<DateTime<Utc>>,
}

impl Pause {
    fn active(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| until > now)
    }
}

impl Live {
    fn paused(&self, now: DateTime<Utc>) -> bool {
        self.pause.is_some_and(|p| p.active(now))
    }

    /// The status shown: the check's own, unless the user paused it.
    fn shown(&self, now: DateTime<Utc>) -> (Status, DateTime<Utc>, Option<String>) {
        match self.pause.filter(|p| p.active(now)) {
            Some(pause) => {
                let reason = match pause.until {
                    Some(until) => format!("paused by the user until {}", until.format("%H:%M UTC")),
                    None => "paused by the user until resumed".to_owned(),
                };
                (Status::Paused, pause.since, Some(reason))
            }
            None => (self.state.status, self.state.since, self.state.reason.clone()),
        }
    }
}

/// The running engine's tasks, for shutdown.
pub struct Running {
    pub engine: Engine,
    cancel: CancellationToken,
    tasks: JoinSet<()>,
    writer: Writer,
}

impl Running {
    /// Stops probing, then commits everything queued and stops the writer.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        while self.tasks.join_next().await.is_some() {}
        self.writer.stop().await;
    }
}

impl Engine {
    /// Restores each check's state from the store and starts its schedule.
    pub fn start(config: Config, store: Store, degraded: Vec<String>) -> Result<Running, StoreError> {
        let figures = Arc::new(OwnFigures::default());
        let writer = store.writer(config.settings.retention, figures.clone())?;
        let persisted: HashMap<String, PersistedState> =
            store.load_states()?.into_iter().map(|s| (s.check_id.clone(), s)).collect();
        let next_incident = store.max_incident_id()?;
        let now = Utc::now();
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let mut receivers = Vec::new();
        let mut checks = Vec::new();
        let mut index = HashMap::new();
        for check in &config.checks {
            let (run_now, receiver) = mpsc::channel(8);
            let live = restore(check, persisted.get(check.id.as_str()), now);
            index.insert(check.id.as_str().to_owned(), checks.len());
            checks.push(Arc::new(CheckRuntime {
                position: checks.len(),
                config: Arc::new(check.clone()),
                live: Mutex::new(live),
                run_now,
            }));
            receivers.push(receiver);
        }
        let inner = Arc::new(Inner {
            in_flight: Arc::new(Semaphore::new(config.settings.max_in_flight)),
            config,
            checks,
            index,
            probes: ProbeContext::new(figures.clone()),
            writer: writer.handle(),
            store,
            events,
            figures,
            next_incident: AtomicI64::new(next_incident),
            degraded: Mutex::new(degraded),
            started_at: now,
            epoch: Instant::now(),
            stopping: CancellationToken::new(),
            sweep_now: Notify::new(),
        });
        let engine = Engine { inner };
        let cancel = engine.inner.stopping.clone();
        let mut tasks = JoinSet::new();
        for (position, receiver) in receivers.into_iter().enumerate() {
            let engine = engine.clone();
            let cancel = cancel.clone();
            tasks.spawn(async move { engine.schedule(position, receiver, cancel).await });
        }
        let sweeper = engine.clone();
        let sweep_cancel = cancel.clone();
        tasks.spawn(async move { sweeper.sweep(sweep_cancel).await });
        Ok(Running { engine, cancel, tasks, writer })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn figures(&self) -> &OwnFigures {
        &self.inner.figures
    }

    pub fn writer(&self) -> &WriterHandle {
        &self.inner.writer
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.inner.started_at
    }

    /// Features that are off, each with its reason ("history: ...").
    pub fn degraded(&self) -> Vec<String> {
        self.inner.degraded.lock().map(|d| d.clone()).unwrap_or_default()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    pub fn snapshot(&self) -> Vec<CheckSnapshot> {
        self.inner.checks.iter().map(|c| snapshot_of(c)).collect()
    }

    pub fn check(&self, id: &str) -> Option<CheckSnapshot> {
        self.inner.index.get(id).map(|&i| snapshot_of(&self.inner.checks[i]))
    }

    /// The check at a position in config order, as named by [`Event::Check`].
    pub fn check_at(&self, position: usize) -> Option<CheckSnapshot> {
        self.inner.checks.get(position).map(|c| snapshot_of(c))
    }

    /// Resolves when the engine begins to stop: long-lived streams end with it.
    pub fn stopping(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.inner.stopping.clone().cancelled_owned()
    }

    /// Each group's level, rolled up from its components.
    pub fn groups(&self, snapshot: &[CheckSnapshot]) -> Vec<(String, GroupLevel)> {
        let mut groups: Vec<(String, Vec<(Status, bool)>)> = Vec::new();
        for check in snapshot {
            let Some(group) = &check.config.group else { continue };
            let component = (check.status, check.config.critical);
            match groups.iter_mut().find(|(name, _)| name == group) {
                Some((_, components)) => components.push(component),
                None => groups.push((group.clone(), vec![component])),
            }
        }
        groups.into_iter().map(|(name, components)| (name, GroupLevel::rollup(components))).collect()
    }

    /// Probes a check now, outside its schedule, and returns the result. The probe goes
    /// through the check's own task, so it never overlaps a scheduled one.
    pub async fn probe_now(&self, id: &str) -> Option<ProbeResult> {
        let runtime = self.inner.checks.get(*self.inner.index.get(id)?)?;
        let (tx, rx) = oneshot::channel();
        runtime.run_now.send(tx).await.ok()?;
        rx.await.ok()
    }

    /// Pauses one check (or every check, with `None`) until `until` (`None`: until
    /// resumed): it is not probed, shows `paused` and raises no alerts. `None` when no
    /// check has that id; else how many checks were paused.
    pub async fn pause(&self, id: Option<&str>, until: Option<DateTime<Utc>>) -> Option<usize> {
        let now = Utc::now();
        self.set_pause(id, Some(Pause { since: now, until }), now).await
    }

    /// Ends a pause early (or every pause, with `None`); the check is probed on its next tick.
    pub async fn resume(&self, id: Option<&str>) -> Option<usize> {
        self.set_pause(id, None, Utc::now()).await
    }

    async fn set_pause(&self, id: Option<&str>, pause: Option<Pause>, now: DateTime<Utc>) -> Option<usize> {
        let targets: Vec<&Arc<CheckRuntime>> = match id {
            Some(id) => vec![self.inner.checks.get(*self.inner.index.get(id)?)?],
            None => self.inner.checks.iter().collect(),
        };
        let mut changed = 0;
        for runtime in targets {
            let op = {
                let Ok(mut live) = runtime.live.lock() else { continue };
                let (before, ..) = live.shown(now);
                if pause.is_none() && live.pause.is_some() {
                    live.resumed_at = Some(now);
                }
                // A paused check paused again keeps when it was first paused.
                let pause = match (live.pause.filter(|p| p.active(now)), pause) {
                    (Some(old), Some(new)) => Some(Pause { since: old.since, ..new }),
                    (_, new) => new,
                };
                let extended = live.pause != pause;
                live.pause = pause;
                let (after, _, reason) = live.shown(now);
                let state = persist(runtime.config.id.as_str(), &live);
                if before != after {
                    changed += 1;
                    Some(WriteOp::StateChange {
                        at: now,
                        from: before.as_str().to_owned(),
                        to: after.as_str().to_owned(),
                        reason,
                        state,
                    })
                } else {
                    // Still paused, until another time: kept, not logged as a change.
                    extended.then_some(WriteOp::State(state))
                }
            };
            if let Some(op) = op {
                tracing::info!(check = %runtime.config.id, paused = pause.is_some(), "pause changed by the user");
                if self.inner.writer.send(op).await.is_err() {
                    self.note_degraded("history: the writer stopped; results are not being recorded");
                }
                self.publish(runtime);
            }
        }
        self.inner.sweep_now.notify_one();
        Some(changed)
    }

    /// Runs a configured action, verifies it by re-probing the checks that offer it,
    /// and records the run. Its output is published as it arrives under `key`.
    /// `None` when no action has that id.
    pub async fn run_action(
        &self,
        id: &str,
        dry_run: bool,
        requester: Requester,
        key: Option<&str>,
    ) -> Option<Result<ActionRunRecord, StoreError>> {
        let action = self.inner.config.action(id)?.clone();
        let offering: Vec<Arc<CheckRuntime>> =
            self.inner.checks.iter().filter(|c| c.config.actions.iter().any(|a| a == id)).cloned().collect();
        // The run is filed on the incident open when it starts (the first offering check
        // with one), even though a successful fix resolves it before the run is recorded.
        let (check_id, incident_id) = offering
            .iter()
            .find_map(|c| {
                let live = c.live.lock().ok()?;
                live.state.open_incident.map(|i| (Some(c.config.id.as_str().to_owned()), Some(i)))
            })
            .unwrap_or_else(|| (offering.first().map(|c| c.config.id.as_str().to_owned()), None));
        let live = key.map(|key| self.output_sink(key, id));
        let outcome = action::run(&action, dry_run, live).await;
        let verified = if action.verify && !dry_run && outcome.status == action::RunStatus::Ok && !offering.is_empty() {
            Some(self.verify(&offering).await)
        } else {
            None
        };
        let record = NewActionRun { check_id, incident_id, verified, ..outcome.audit(id, requester, dry_run) };
        tracing::info!(action = id, status = record.status, verified, requester = record.requested_by, "action run");
        let recorded = self.inner.writer.record_action_run(record.clone()).await;
        let recorded = recorded.map(|id| ActionRunRecord { id, run: record });
        if let Ok(run) = &recorded {
            let _ = self.inner.events.send(Event::ActionRun(Box::new(run.clone())));
        }
        Some(recorded)
    }

    /// Publishes output chunks as text; a character split across chunks waits for its
    /// remaining bytes.
    fn output_sink(&self, key: &str, action: &str) -> crate::exec::OutputSink {
        let events = self.inner.events.clone();
        let key: Arc<str> = Arc::from(key);
        let action: Arc<str> = Arc::from(action);
        let carry = Mutex::new(Vec::new());
        Arc::new(move |chunk: &[u8]| {
            let Ok(mut carry) = carry.lock() else { return };
            carry.extend_from_slice(chunk);
            let complete = match std::str::from_utf8(&carry) {
                Ok(_) => carry.len(),
                // An incomplete character at the end (at most 3 bytes) waits; invalid
                // bytes are replaced.
                Err(e) if e.error_len().is_none() && carry.len() - e.valid_up_to() < 4 => e.valid_up_to(),
                Err(_) => carry.len(),
            };
            if complete == 0 {
                return;
            }
            let text = String::from_utf8_lossy(&carry[..complete]).into_owned();
            carry.drain(..complete);
            let _ = events.send(Event::ActionOutput { key: key.clone(), action: action.clone(), text });
        })
    }

    async fn verify(&self, offering: &[Arc<CheckRuntime>]) -> bool {
        for attempt in 0..VERIFY_ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            let mut all_up = true;
            for check in offering {
                let result = self.probe_now(check.config.id.as_str()).await;
                all_up &= result.is_some_and(|r| r.ok());
            }
            if all_up {
                return true;
            }
        }
        false
    }

    /// One check's schedule: fixed rate, first run soon after start, later runs spread
    /// over half an interval so a thousand checks do not fire together.
    async fn schedule(
        self,
        position: usize,
        mut run_now: mpsc::Receiver<oneshot::Sender<ProbeResult>>,
        cancel: CancellationToken,
    ) {
        let runtime = self.inner.checks[position].clone();
        let interval = runtime.config.interval;
        // First runs spread over up to a second (a millisecond per check): results come
        // at once, without a start-up burst of every probe together.
        let spread = Duration::from_millis(self.inner.checks.len() as u64)
            .clamp(Duration::from_millis(100), Duration::from_secs(1));
        let mut next = Instant::now() + jitter(interval.min(spread));
        let mut first = true;
        let epoch = self.inner.epoch;
        // Only an interval that is a whole number of grid slots keeps its exact period.
        let on_grid_ok = interval.as_nanos() % GRID.as_nanos() == 0;
        loop {
            let mut waiters = Vec::new();
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep_until(next) => {}
                request = run_now.recv() => match request {
                    Some(reply) => waiters.push(reply),
                    None => return,
                },
            }
            let forced = !waiters.is_empty();
            if !forced && runtime.live.lock().is_ok_and(|live| live.paused(Utc::now())) {
                // Paused: this tick is skipped, the schedule keeps its rhythm.
                next = next_tick(next, interval, first, on_grid_ok, epoch);
                first = false;
                continue;
            }
            let scheduled = if forced { Instant::now() } else { next };
            let permit = tokio::select! {
                _ = cancel.cancelled() => return,
                permit = self.inner.in_flight.clone().acquire_owned() => permit,
            };
            self.inner.figures.record_lag(Instant::now().saturating_duration_since(scheduled));
            // At shutdown a probe in flight is dropped (a command's process group with
            // it) rather than waited for.
            let result = tokio::select! {
                _ = cancel.cancelled() => return,
                result = self.run_once(&runtime, forced) => result,
            };
            drop(permit);
            while let Ok(reply) = run_now.try_recv() {
                waiters.push(reply);
            }
            for waiter in waiters {
                let _ = waiter.send(result.clone());
            }
            if !forced {
                next = next_tick(next, interval, first, on_grid_ok, epoch);
                first = false;
            }
        }
    }

    /// Probes once (through the breaker), applies the result and publishes it.
    async fn run_once(&self, runtime: &CheckRuntime, forced: bool) -> ProbeResult {
        let check = &runtime.config;
        let now = Utc::now();
        let permit = match runtime.live.lock() {
            Ok(mut live) => {
                if forced && live.breaker.state == BreakerState::Open {
                    // An explicit probe (verification) is a trial.
                    live.breaker.state = BreakerState::HalfOpen;
                }
                live.breaker.permit(now)
            }
            Err(_) => Permit::Allow,
        };
        let (result, failed) = match permit {
            Permit::Deny { until } => {
                let message = format!("breaker open: not probed until {}", until.format("%H:%M:%S UTC"));
                let failure = Failure::new(FailureClass::BreakerOpen, message.clone());
                (ProbeResult { at: now, latency: None, verdict: Verdict::Down(failure), message }, Vec::new())
            }
            Permit::Allow => {
                let observation = guarded_probe(&self.inner.probes, check).await;
                judge(check, &observation, Utc::now())
            }
        };
        self.apply(runtime, &result, failed, matches!(permit, Permit::Allow)).await;
        result
    }

    async fn apply(&self, runtime: &CheckRuntime, result: &ProbeResult, failed: Vec<String>, probed: bool) {
        let check = &runtime.config;
        let parent_down = check.depends_on.iter().find(|parent| {
            self.inner
                .index
                .get(parent.as_str())
                .and_then(|&i| self.inner.checks[i].live.lock().ok().map(|l| l.state.status == Status::Down))
                .unwrap_or(false)
        });
        let thresholds = Thresholds { failure: check.failure_threshold, success: check.success_threshold };
        let mut ops = Vec::new();
        let persisted = {
            let Ok(mut live) = runtime.live.lock() else { return };
            if probed && !matches!(result.verdict, Verdict::Unknown(_)) {
                live.breaker.record(result.ok(), result.at);
            }
            let transition = live.state.apply(result, thresholds, parent_down.map(|p| p.as_str()));
            let opened = transition.open.map(|cause| {
                let id = self.inner.next_incident.fetch_add(1, Ordering::SeqCst) + 1;
                live.state.open_incident = Some(id);
                IncidentRecord {
                    id,
                    check_id: check.id.as_str().to_owned(),
                    started_at: result.at,
                    resolved_at: None,
                    cause_class: cause.class.as_str().to_owned(),
                    cause: cause.message,
                    failed_conditions: failed,
                    acked: false,
                    note: None,
                }
            });
            live.last = Some(result.clone());
            // Every op carries the check's state after this result, so an incident and
            // the state naming it commit together: a crash cannot split them.
            let persisted = persist(check.id.as_str(), &live);
            if let Some(incident) = opened {
                ops.push(WriteOp::OpenIncident { incident, state: persisted.clone() });
            }
            if let Some(id) = transition.resolved {
                ops.push(WriteOp::ResolveIncident { id, at: result.at, state: persisted.clone() });
            }
            if let Some((from, to)) = transition.status {
                tracing::info!(check = %check.id, from = %from, to = %to, reason = live.state.reason.as_deref().unwrap_or(""), "status changed");
                ops.push(WriteOp::StateChange {
                    at: result.at,
                    from: from.as_str().to_owned(),
                    to: to.as_str().to_owned(),
                    reason: live.state.reason.clone(),
                    state: persisted.clone(),
                });
            }
            persisted
        };
        // Incidents and state changes go first: the state queued with the result may
        // name an incident, and the database holds it to that (foreign key).
        let mut events = Vec::new();
        for op in ops {
            let event = match &op {
                WriteOp::OpenIncident { incident, .. } => Some(Event::IncidentOpened(Box::new(incident.clone()))),
                WriteOp::ResolveIncident { id, at, .. } => {
                    Some(Event::IncidentResolved { id: *id, check_id: check.id.as_str().to_owned(), at: *at })
                }
                _ => None,
            };
            if self.inner.writer.send(op).await.is_err() {
                self.note_degraded("history: the writer stopped; results are not being recorded");
            }
            events.extend(event);
        }
        self.inner.writer.result(result_record(check.id.as_str(), result), persisted);
        // Subscribers see the check's new state before the incident it opened.
        self.publish(runtime);
        for event in events {
            let _ = self.inner.events.send(event);
        }
    }

    fn publish(&self, runtime: &CheckRuntime) {
        if self.inner.events.receiver_count() > 0 {
            let _ = self.inner.events.send(Event::Check(runtime.position));
        }
    }

    fn note_degraded(&self, reason: &str) {
        if let Ok(mut degraded) = self.inner.degraded.lock() {
            if !degraded.iter().any(|d| d == reason) {
                tracing::warn!(reason, "degraded");
                degraded.push(reason.to_owned());
            }
        }
    }

    /// Never green without data: checks with no fresh result turn unknown, and pauses
    /// that ran out end. Between passes it sleeps until the next such moment (a result
    /// only moves a check's moment later; a pause change wakes it), so an idle app is
    /// not woken every second for nothing.
    async fn sweep(self, cancel: CancellationToken) {
        loop {
            let now = Utc::now();
            let mut next: Option<DateTime<Utc>> = None;
            for runtime in &self.inner.checks {
                let change = {
                    let Ok(mut live) = runtime.live.lock() else { continue };
                    let change = if live.pause.is_some_and(|p| !p.active(now)) {
                        // The pause ran out: shown as its own status again.
                        live.pause = None;
                        live.resumed_at = Some(now);
                        let (to, _, reason) = live.shown(now);
                        Some((Status::Paused, to, reason, persist(runtime.config.id.as_str(), &live)))
                    } else {
                        let transition = if live.pause.is_some() {
                            // Not probed on purpose: not stale.
                            Default::default()
                        } else {
                            let resumed_at = live.resumed_at;
                            live.state.check_stale(now, runtime.config.interval, resumed_at)
                        };
                        transition.status.map(|(from, to)| {
                            tracing::warn!(check = %runtime.config.id, "stale: no fresh result");
                            (from, to, live.state.reason.clone(), persist(runtime.config.id.as_str(), &live))
                        })
                    };
                    let deadline = match live.pause {
                        Some(pause) => pause.until,
                        None => live.state.stale_after(runtime.config.interval, live.resumed_at),
                    };
                    if let Some(deadline) = deadline {
                        next = Some(next.map_or(deadline, |next| next.min(deadline)));
                    }
                    change
                };
                if let Some((from, to, reason, state)) = change {
                    let op = WriteOp::StateChange {
                        at: now,
                        from: from.as_str().into(),
                        to: to.as_str().into(),
                        reason,
                        state,
                    };
                    let _ = self.inner.writer.send(op).await;
                    self.publish(runtime);
                }
            }
            // Just past the deadline: staleness is "more than two intervals".
            let wait = next
                .map_or(SWEEP_AT_MOST, |at| (at - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(5))
                .clamp(SWEEP_AT_LEAST, SWEEP_AT_MOST);
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
                _ = self.inner.sweep_now.notified() => {}
            }
        }
    }
}

/// The tick after `next`: a whole interval on (half to one after the first), on the
/// grid when the interval allows; missed ticks are skipped, never piled up.
fn next_tick(next: Instant, interval: Duration, first: bool, on_grid_ok: bool, epoch: Instant) -> Instant {
    let mut next = next + if first { interval.mul_f64(0.5 + fastrand_unit() * 0.5) } else { interval };
    if on_grid_ok {
        next = on_grid(next, epoch);
    }
    let now = Instant::now();
    if next < now {
        // Overran (or the machine slept).
        next = now + jitter(interval.min(Duration::from_millis(50)));
    }
    next
}

/// Applies `expect` and `degraded_if` to an observation. Returns the verdict and the
/// failed conditions ("expected X, got Y").
pub fn evaluate(check: &CheckConfig, observation: &Observation) -> (Verdict, Vec<String>) {
    if let Some(failure) = &observation.failure {
        if failure.class == FailureClass::ProbeError {
            return (Verdict::Unknown(failure.message.clone()), Vec::new());
        }
        return (Verdict::Down(failure.clone()), Vec::new());
    }
    let mut json = JsonCache::default();
    let mut failed = Vec::new();
    let mut status_failed = false;
    for condition in &check.expect {
        if let Err(message) = condition.evaluate(observation, &mut json) {
            status_failed |= condition.subject == Subject::Field("status".into());
            failed.push(message);
        }
    }
    if !failed.is_empty() {
        let class = if status_failed { FailureClass::HttpStatus } else { FailureClass::Condition };
        return (Verdict::Down(Failure::new(class, failed.join("; "))), failed);
    }
    for condition in &check.degraded_if {
        let (holds, got) = condition.test(observation, &mut json);
        if holds {
            return (Verdict::Degraded(format!("{} (got {got})", condition.source)), Vec::new());
        }
    }
    (Verdict::Up, Vec::new())
}

/// The result of an observation, with its one-line message, and the failed conditions.
fn judge(check: &CheckConfig, observation: &Observation, at: DateTime<Utc>) -> (ProbeResult, Vec<String>) {
    let (verdict, failed) = evaluate(check, observation);
    let message = match &verdict {
        Verdict::Down(failure) => failure.message.clone(),
        Verdict::Unknown(why) => why.clone(),
        Verdict::Degraded(why) => format!("{}; degraded: {why}", observation.summary),
        Verdict::Up => observation.summary.clone(),
    };
    (ProbeResult { at, latency: observation.latency, verdict, message }, failed)
}

/// Runs every check once, concurrently within the in-flight bound, without a store:
/// `watchkeeper check`.
pub async fn check_once(config: &Config, ids: &[String]) -> Vec<(Arc<CheckConfig>, ProbeResult)> {
    let context = ProbeContext::default();
    let semaphore = Arc::new(Semaphore::new(config.settings.max_in_flight));
    let mut tasks = JoinSet::new();
    for (position, check) in config.checks.iter().enumerate() {
        if !ids.is_empty() && !ids.iter().any(|id| id == check.id.as_str()) {
            continue;
        }
        let check = Arc::new(check.clone());
        let context = context.clone();
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let observation = guarded_probe(&context, &check).await;
            let (result, _) = judge(&check, &observation, Utc::now());
            (position, check, result)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(result) = joined {
            results.push(result);
        }
    }
    results.sort_by_key(|(position, _, _)| *position);
    results.into_iter().map(|(_, check, result)| (check, result)).collect()
}

fn restore(check: &CheckConfig, persisted: Option<&PersistedState>, now: DateTime<Utc>) -> Live {
    let Some(p) = persisted else {
        return Live {
            state: CheckState::new(now),
            breaker: Breaker::new(check.breaker),
            last: None,
            pause: None,
            resumed_at: None,
        };
    };
    let state = CheckState {
        status: Status::parse(&p.status).unwrap_or(Status::Unknown),
        since: p.since,
        reason: p.reason.clone(),
        consecutive_failures: p.consecutive_failures,
        consecutive_successes: p.consecutive_successes,
        last_result_at: p.last_result_at,
        open_incident: p.open_incident,
    };
    let breaker = Breaker::restore(
        check.breaker,
        BreakerState::parse(&p.breaker_state).unwrap_or(BreakerState::Closed),
        p.breaker_failures,
        p.breaker_next_trial_at,
    );
    let pause = p.paused.map(|(since, until)| Pause { since, until });
    // A pause that ran out while Watchkeeper was stopped ends now.
    let resumed_at = pause.filter(|p| !p.active(now)).map(|_| now);
    Live { state, breaker, last: None, pause: pause.filter(|p| p.active(now)), resumed_at }
}

fn persist(check_id: &str, live: &Live) -> PersistedState {
    PersistedState {
        check_id: check_id.to_owned(),
        status: live.state.status.as_str().to_owned(),
        since: live.state.since,
        reason: live.state.reason.clone(),
        consecutive_failures: live.state.consecutive_failures,
        consecutive_successes: live.state.consecutive_successes,
        last_result_at: live.state.last_result_at,
        open_incident: live.state.open_incident,
        breaker_state: live.breaker.state.as_str().to_owned(),
        breaker_failures: live.breaker.consecutive_failures,
        breaker_next_trial_at: live.breaker.next_trial_at,
        paused: live.pause.map(|p| (p.since, p.until)),
    }
}

fn result_record(check_id: &str, result: &ProbeResult) -> ResultRecord {
    let (status, class) = match &result.verdict {
        Verdict::Up => ("up", None),
        Verdict::Degraded(_) => ("degraded", None),
        Verdict::Down(failure) => ("down", Some(failure.class.as_str().to_owned())),
        Verdict::Unknown(_) => ("unknown", Some(FailureClass::ProbeError.as_str().to_owned())),
    };
    ResultRecord {
        check_id: check_id.to_owned(),
        at: result.at,
        status: status.to_owned(),
        latency_us: result.latency.map(|l| l.as_micros() as i64),
        class,
        message: result.message.clone(),
    }
}

fn snapshot_of(runtime: &CheckRuntime) -> CheckSnapshot {
    let config = runtime.config.clone();
    match runtime.live.lock() {
        Ok(live) => {
            let (status, since, reason) = live.shown(Utc::now());
            CheckSnapshot {
                status,
                since,
                reason,
                breaker: config.breaker.map(|_| BreakerSnapshot {
                    state: live.breaker.state,
                    consecutive_failures: live.breaker.consecutive_failures,
                    next_trial_at: live.breaker.next_trial_at,
                }),
                last: live.last.clone(),
                open_incident: live.state.open_incident,
                config,
            }
        }
        Err(_) => CheckSnapshot {
            status: Status::Unknown,
            since: Utc::now(),
            reason: Some("internal error: state poisoned".into()),
            breaker: None,
            last: None,
            open_incident: None,
            config,
        },
    }
}

/// Runs a check's probe in the calling task: a panic becomes a probe error, and a
/// probe that ignores its own deadline is cut off a second after it.
async fn guarded_probe(context: &ProbeContext, check: &CheckConfig) -> Observation {
    guard(probe::run(context, &check.probe, check.timeout, check.interval), check.timeout).await
}

async fn guard(probe: impl std::future::Future<Output = Observation>, timeout: Duration) -> Observation {
    use futures_util::FutureExt as _;
    let probe = std::panic::AssertUnwindSafe(probe).catch_unwind();
    match tokio::time::timeout(timeout + Duration::from_secs(1), probe).await {
        Ok(Ok(observation)) => observation,
        Ok(Err(panic)) => Observation::failed(FailureClass::ProbeError, panic_message(panic.as_ref())),
        Err(_) => Observation::failed(FailureClass::Timeout, "the probe did not end within its timeout"),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    format!("the probe panicked: {text}")
}

/// Probes due within the same `GRID` slot share one timer wake-up (and their answers
/// tend to share one poll): about a third less CPU per check at 100 checks/s. Each
/// check's phase moves once, by less than a slot; its period stays exact.
const GRID: Duration = Duration::from_millis(50);

/// Rounds a run time up to the schedule grid.
fn on_grid(at: Instant, epoch: Instant) -> Instant {
    let offset = at.saturating_duration_since(epoch).as_nanos();
    let grid = GRID.as_nanos();
    epoch + Duration::from_nanos(offset.div_ceil(grid).saturating_mul(grid) as u64)
}

fn jitter(max: Duration) -> Duration {
    max.mul_f64(fastrand_unit())
}

/// A uniform number in [0, 1) from the OS; good enough to spread schedules.
fn fastrand_unit() -> f64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_probe_is_a_probe_error_not_a_crash() {
        let observation = guard(async { panic!("boom") }, Duration::from_secs(1)).await;
        let failure = observation.failure.expect("a panic is a failure");
        assert_eq!(failure.class, FailureClass::ProbeError);
        assert_eq!(failure.message, "the probe panicked: boom");
    }

    #[test]
    fn runs_round_up_to_the_grid_and_keep_their_period() {
        let epoch = Instant::now();
        let ms = |n: u64| epoch + Duration::from_millis(n);
        assert_eq!(on_grid(ms(0), epoch), ms(0));
        assert_eq!(on_grid(ms(1), epoch), ms(50), "a run moves up, never earlier");
        assert_eq!(on_grid(ms(50), epoch), ms(50), "a run on the grid stays");
        assert_eq!(on_grid(ms(10_049), epoch), ms(10_050));
        let aligned = on_grid(ms(1_234), epoch);
        assert_eq!(
            on_grid(aligned + Duration::from_secs(10), epoch),
            aligned + Duration::from_secs(10),
            "the period stays exact"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_that_ignores_its_deadline_is_cut_off() {
        let observation = guard(std::future::pending(), Duration::from_secs(2)).await;
        assert_eq!(observation.failure.map(|f| f.class), Some(FailureClass::Timeout));
    }
}
