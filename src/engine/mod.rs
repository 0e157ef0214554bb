//! The composition root: schedules every check, runs its probe through its breaker,
//! judges the observation, drives its state machine, and hands results, state changes
//! and incidents to the writer and to event subscribers. One file per concern:
//!
//! - `schedule`: each check's task, its ticks on a shared grid, probes on demand;
//! - `pipeline`: one probe's way, breaker → probe → judge → state → persist → publish;
//! - `sweep`: what time alone changes (staleness, pauses running out);
//! - `restore`: a check's state from the store at start, and back for the writer;
//! - `actions`: action runs with live output and verification;
//! - `recovery`: action budgets, and self-healing stepped after each result;
//! - `record`: the one front of the writer.
//!
//! The rules themselves are pure and live elsewhere (`state`, `breaker`, `model`); the
//! engine reads the clock once per step and passes `now` to them.
//!
//! Invariants: a check never has two probes in flight (its own task runs them one
//! after another); probes in flight across checks are bounded by a semaphore; every
//! probe has a timeout; a probe that panics makes its check unknown and never stops
//! the engine; no lock is held across an await.

mod actions;
mod alerting;
mod backup;
mod edit;
pub mod evidence;
mod pipeline;
mod push;
mod record;
mod recovery;
pub mod reload;
mod restore;
mod schedule;
mod sentinel;
mod sweep;
#[cfg(test)]
mod tests;

pub use actions::{RunError, UndoRefused};
pub use alerting::{AlertRefused, Sent};
pub use edit::{Edit, EditRefused};
pub use pipeline::{check_once, evaluate};
pub use push::PushError;
pub use recovery::{BudgetSnapshot, HealingSnapshot, Refused, RestartLoop};
pub use schedule::worker_threads;
pub use sentinel::NetworkChange;

use futures_util::FutureExt as _;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use tokio::sync::{broadcast, mpsc, oneshot, Notify, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::breaker::{Breaker, BreakerView, Steer};
use crate::clock::{Clock, SharedZone};
use crate::config::{CheckConfig, Config};
use crate::figures::OwnFigures;
use crate::healing::Healing;
use crate::model::{CheckId, GroupLevel, ProbeResult, Requester, Status};
use crate::probe::ProbeContext;
use crate::state::Tracked;
use crate::store::{ActionRunRecord, BreakerChange, IncidentRecord, Store, StoreError, WriteOp, Writer, WriterHandle};

/// Events kept for slow subscribers before they lag (and resynchronise).
pub const EVENT_CAPACITY: usize = 4096;

/// A check as the API and CLI see it.
#[derive(Debug, Clone)]
pub struct CheckSnapshot {
    pub config: Arc<CheckConfig>,
    pub status: Status,
    pub since: DateTime<Utc>,
    pub reason: Option<String>,
    pub breaker: Option<BreakerView>,
    pub last: Option<ProbeResult>,
    /// What the service said about itself with its last result (a health body).
    pub health: Option<crate::model::ServiceHealth>,
    /// The service's own circuit breakers, for an http check with `breakers_url`.
    pub service_breakers: Option<crate::model::ServiceBreakers>,
    pub open_incident: Option<i64>,
    /// Self-healing, for a check with `auto_action`.
    pub healing: Option<HealingSnapshot>,
    /// Changing state too often to be told (flap detection).
    pub flapping: bool,
    /// Unknown because its last failure was blamed on the network.
    pub no_network: bool,
    /// What lies over its status: a pause, a window, a silence, an acknowledgement, a
    /// parent down, an open breaker.
    pub over: Over,
}

/// What lies over a check's status, for the words that say its state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Over {
    /// Paused by the user: until when (`Some(None)`: until resumed).
    pub paused: Option<Option<DateTime<Utc>>>,
    /// The maintenance window it is in.
    pub window: Option<crate::state::InWindow>,
    /// The silence that mutes its notifications now (the one that lasts longest).
    pub silenced: Option<SilenceMark>,
    /// Its open incident is acknowledged.
    pub acked: bool,
    /// Unknown because this parent (its name) is down.
    pub parent_down: Option<String>,
    /// Shown with its last real result because its breaker spares the target: when
    /// that result came (`None`: none since the start).
    pub behind_breaker: Option<Option<DateTime<Utc>>>,
}

/// A silence as a check shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceMark {
    pub id: i64,
    pub until: DateTime<Utc>,
    pub reason: String,
    pub by: String,
}

impl CheckSnapshot {
    /// A check with a status and nothing more known of it.
    pub fn bare(
        config: Arc<CheckConfig>,
        status: Status,
        since: DateTime<Utc>,
        reason: Option<String>,
    ) -> CheckSnapshot {
        CheckSnapshot {
            config,
            status,
            since,
            reason,
            breaker: None,
            last: None,
            health: None,
            service_breakers: None,
            open_incident: None,
            healing: None,
            flapping: false,
            no_network: false,
            over: Over::default(),
        }
    }
}

/// A group (a service made of checks) with its degradation level and what causes it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSnapshot {
    pub id: String,
    pub level: GroupLevel,
    /// The components that cause the level, in words: `Search down, Cart down`.
    pub cause: Option<String>,
    pub components: Vec<Component>,
}

/// A group's component.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub check: CheckId,
    pub name: String,
    pub critical: bool,
    pub status: Status,
}

/// Each group of the checks, in the order they first appear, with its level.
pub fn groups_of(snapshot: &[CheckSnapshot]) -> Vec<GroupSnapshot> {
    let mut groups: Vec<GroupSnapshot> = Vec::new();
    for check in snapshot {
        let Some(group) = check.config.group.as_deref() else { continue };
        let component = Component {
            check: check.config.id.clone(),
            name: check.config.name.clone(),
            critical: check.config.critical,
            status: check.status,
        };
        match groups.iter_mut().find(|g| g.id == group) {
            Some(found) => found.components.push(component),
            None => groups.push(GroupSnapshot {
                id: group.to_owned(),
                level: GroupLevel::Operational,
                cause: None,
                components: vec![component],
            }),
        }
    }
    for group in &mut groups {
        let statuses: Vec<(Status, bool)> = group.components.iter().map(|c| (c.status, c.critical)).collect();
        let (level, causes) = GroupLevel::rollup(&statuses);
        group.level = level;
        let causing: Vec<(&str, Status)> =
            causes.iter().map(|&i| (group.components[i].name.as_str(), group.components[i].status)).collect();
        group.cause = crate::words::group_cause(&causing);
    }
    groups
}

/// What every front door heads its view of the checks with: the tray's icon and first
/// entry, the dashboard's header, `watchkeeper status`.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    /// The worst status of all checks (`up` with none).
    pub overall: Status,
    /// The worst a person is shown: a failing component at most its group's level (an
    /// optional part down in a degraded group is amber, not red); `unknown` with no
    /// checks.
    pub level: Status,
    pub groups: Vec<GroupSnapshot>,
    /// `all 12 up`, `3 down: a, b, c`, or the worst group's headline.
    pub summary: String,
}

/// The overview of these checks.
pub fn overview(snapshot: &[CheckSnapshot]) -> Overview {
    let groups = groups_of(snapshot);
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
    // The group that heads the summary: the worst level, the first in config order,
    // when no ungrouped check is as bad.
    let mut heading: Option<&GroupSnapshot> = None;
    for group in groups.iter().filter(|g| g.level > GroupLevel::Operational) {
        if heading.is_none_or(|f| group.level > f.level) {
            heading = Some(group);
        }
    }
    let ungrouped_as_bad = snapshot.iter().any(|c| c.config.group.is_none() && c.status == worst);
    let heading = heading.filter(|g| g.level.caps() == worst && !ungrouped_as_bad);
    let summary = crate::words::summary(snapshot, &groups, worst, heading);
    Overview {
        overall: if snapshot.is_empty() { Status::Up } else { Status::worst(snapshot.iter().map(|c| c.status)) },
        level: if snapshot.is_empty() { Status::Unknown } else { worst },
        summary,
        groups,
    }
}

#[derive(Debug, Clone)]
pub enum Event {
    /// The check at this position (in config order) has a new result or state: read it
    /// with [`Engine::check_at`] when it is needed, so a burst costs one read.
    Check(usize),
    IncidentOpened(Box<IncidentRecord>),
    IncidentResolved(Box<IncidentResolved>),
    /// Output of a running action, as it arrives.
    ActionOutput(Box<ActionOutput>),
    /// An action run ended and was recorded.
    ActionRun(Box<ActionRunRecord>),
    /// Self-healing gave up on a check (told once until it is stable again).
    RestartLoop(Box<RestartLoop>),
    /// One of a service's own circuit breakers turned OPEN (its `breakers_url`).
    ServiceBreakerOpened(Box<ServiceBreakerOpened>),
    /// A check's certificate came within one of its `alert.cert_days`.
    CertExpiring(Box<CertExpiring>),
    /// A check started or stopped flapping.
    Flapping(Box<Flapping>),
    /// A check turned degraded, or up from degraded: told to those whose `alert.on`
    /// has `degraded`.
    Degraded(Box<DegradedChange>),
    /// The connectivity sentinel failed, or answers again.
    Network(Box<NetworkChange>),
    /// The alert policy sent a notification to the desktop channel: the desktop shell
    /// shows it.
    Notification(Box<Sent>),
    /// The config was reloaded (or a reload failed): checks may have come and gone, so
    /// a view of them is read whole again.
    ConfigReloaded,
}

// Every event but a check's is boxed: a slot of the subscribers' ring
// (`EVENT_CAPACITY` of them) is as large as the largest event.
const _: () = assert!(std::mem::size_of::<Event>() <= 16);

/// An incident ended.
#[derive(Debug, Clone)]
pub struct IncidentResolved {
    pub id: i64,
    pub check_id: CheckId,
    /// When it started (`None` if that was lost) and ended.
    pub started_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// Output of a running action, as it arrives; `ref` is the caller's name for the run.
#[derive(Debug, Clone)]
pub struct ActionOutput {
    pub r#ref: Arc<str>,
    pub action: Arc<str>,
    pub text: String,
}

/// A check turned degraded (`started`, with its reason) or up again from degraded
/// (after `lasted`).
#[derive(Debug, Clone)]
pub struct DegradedChange {
    pub check_id: CheckId,
    pub check_name: String,
    pub started: bool,
    pub reason: String,
    pub lasted: chrono::TimeDelta,
}

/// A check's certificate has `days` left, crossing `threshold` of its `alert.cert_days`.
#[derive(Debug, Clone)]
pub struct CertExpiring {
    pub check_id: CheckId,
    pub check_name: String,
    pub threshold: u16,
    pub days: i64,
}

/// A service's own breaker turned OPEN.
#[derive(Debug, Clone)]
pub struct ServiceBreakerOpened {
    pub check_id: CheckId,
    pub check_name: String,
    pub breaker: crate::model::ServiceBreaker,
}

/// A check started flapping (`started`), or settled.
#[derive(Debug, Clone)]
pub struct Flapping {
    pub check_id: CheckId,
    pub check_name: String,
    pub started: bool,
    /// The weighted percent of state change over the window.
    pub percent: f64,
    pub window: u8,
    /// What its last result said.
    pub status: Status,
}

// The event channel allocates all its `EVENT_CAPACITY` slots at start: large payloads
// are boxed so that costs about 400 KB, not twice that.
const _: () = assert!(std::mem::size_of::<Event>() <= 64);

/// The engine handle: a cheap clone around shared state.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// How an engine runs, besides its config and store.
pub struct Options {
    /// The wall clock every rule is given `now` from.
    pub clock: Clock,
    /// Local time: quiet hours, maintenance schedules, and the times notifications say.
    pub zone: SharedZone,
    /// The tray app: the desktop channel's notifications decided before its shell
    /// attaches wait for it, instead of failing as a headless daemon's do.
    pub desktop: bool,
    /// Features already known to be off, each with its reason ("history: ...").
    pub degraded: Vec<String>,
}

impl Options {
    /// A headless engine on `clock`, in `zone`, with nothing degraded yet.
    pub fn new(clock: Clock, zone: SharedZone) -> Options {
        Options { clock, zone, desktop: false, degraded: Vec::new() }
    }
}

/// The engine's shared state, by concern.
struct Inner {
    /// Swapped whole by a reload (`reload`): a reader holds the one it took.
    config: RwLock<Arc<Config>>,
    /// The config file, its last reload, and what a failed one said.
    reloads: reload::Reloads,
    clock: Clock,
    zone: SharedZone,
    started_at: DateTime<Utc>,
    store: Store,
    writer: WriterHandle,
    figures: Arc<OwnFigures>,
    /// What subscribers hear (dashboards, the desktop shell).
    events: broadcast::Sender<Event>,
    /// Cancelled when the engine stops.
    stopping: CancellationToken,
    degraded: Mutex<Vec<String>>,
    /// The checks and what runs them.
    checks: Checks,
    /// Action budgets and running actions; taken after a check's lock, never before.
    recovery: Mutex<recovery::Recovery>,
    /// The alert policy, the channels and the desktop's notifications.
    alerting: alerting::Alerting,
    /// The network as the sentinel and resumes tell it.
    network: sentinel::Watch,
    /// Where the API listens (`http://127.0.0.1:7311`), once the daemon knows.
    url: std::sync::OnceLock<String>,
}

/// The checks, in config order, and what their tasks share.
struct Checks {
    /// Swapped whole by a reload; a check kept across it keeps its runtime.
    table: RwLock<Arc<Table>>,
    /// Every check's task, those a reload started too.
    tasks: tokio_util::task::TaskTracker,
    probes: ProbeContext,
    /// Probes in flight across checks.
    in_flight: Arc<Semaphore>,
    /// Where scheduled runs fall.
    grid: schedule::Grid,
    next_incident: AtomicI64,
    /// Wakes the sweep when a pause changes (its deadline may now be sooner).
    sweep_now: Notify,
    /// Counts of runs of every check, and of every remote one, at once.
    rerun: tokio::sync::watch::Sender<(u64, u64)>,
}

/// The checks of one config, in its order.
#[derive(Default)]
struct Table {
    all: Vec<Arc<CheckRuntime>>,
    index: HashMap<CheckId, usize>,
}

impl Table {
    fn new(all: Vec<Arc<CheckRuntime>>) -> Table {
        let index = all.iter().enumerate().map(|(i, c)| (c.config.id.clone(), i)).collect();
        for (i, check) in all.iter().enumerate() {
            check.position.store(i, Ordering::Relaxed);
        }
        Table { all, index }
    }

    fn get(&self, id: &str) -> Option<&Arc<CheckRuntime>> {
        self.all.get(*self.index.get(id)?)
    }
}

struct CheckRuntime {
    /// Its place in config order, as [`Event::Check`] names it (moved by a reload).
    position: AtomicUsize,
    config: Arc<CheckConfig>,
    live: Mutex<Live>,
    run_now: mpsc::Sender<oneshot::Sender<ProbeResult>>,
    /// Cancelled when a reload removes or replaces the check (and when the engine stops).
    stop: CancellationToken,
}

/// Where a check's task hears asks for a probe now.
type RunNowReceiver = mpsc::Receiver<oneshot::Sender<ProbeResult>>;

impl CheckRuntime {
    /// A check's runtime, its task's stop a child of `stopping`, and the receiving end
    /// its task reads.
    fn new(config: Arc<CheckConfig>, live: Live, stopping: &CancellationToken) -> (Arc<CheckRuntime>, RunNowReceiver) {
        let (run_now, receiver) = mpsc::channel(8);
        let runtime = CheckRuntime {
            position: AtomicUsize::new(0),
            config,
            live: Mutex::new(live),
            run_now,
            stop: stopping.child_token(),
        };
        (Arc::new(runtime), receiver)
    }

    fn position(&self) -> usize {
        self.position.load(Ordering::Relaxed)
    }
}

/// A check's mutable part, behind its lock.
struct Live {
    tracked: Tracked,
    breaker: Breaker,
    last: Option<ProbeResult>,
    /// The service's own health with the last result, when its body had one.
    health: Option<crate::model::ServiceHealth>,
    /// The service's own breakers with the last result (`breakers_url`).
    service_breakers: Option<crate::model::ServiceBreakers>,
    healing: Healing,
    /// Its recent results, for flap detection.
    flap: crate::state::FlapHistory,
    /// What it has told of its certificate's days (`alert.cert_days`).
    cert: crate::state::CertWatch,
    /// When its open incident started.
    incident_started_at: Option<DateTime<Utc>>,
    /// Its last up or degraded result, as an incident's evidence compares with it.
    last_good: Option<Box<evidence::LastGood>>,
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
        let checks = &self.engine.inner.checks.tasks;
        checks.close();
        checks.wait().await;
        self.writer.stop().await;
    }
}

impl Engine {
    /// Restores each check's state from the store and starts its schedule.
    pub fn start(config: Config, store: Store, options: Options) -> Result<Running, StoreError> {
        let Options { clock, zone, desktop, mut degraded } = options;
        let figures = Arc::new(OwnFigures::default());
        let writer = store.writer(config.settings.retention, config.checks.len(), figures.clone())?;
        let now = clock.now();
        let mut restored = restore::load(&store, &config, now)?;
        let recovery = recovery::restore(&store, &config, now)?;
        degraded.append(&mut restored.degraded);
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let stopping = CancellationToken::new();
        let mut receivers = Vec::new();
        let mut all = Vec::new();
        for (check, live) in config.checks.iter().zip(restored.live) {
            let (runtime, receiver) = CheckRuntime::new(check.clone(), live, &stopping);
            all.push(runtime);
            receivers.push(receiver);
        }
        let probes = ProbeContext::new(figures.clone());
        probes.prepare(config.checks.iter().map(|c| &c.probe));
        push::set_up(&store, config.checks.iter().map(|c| &**c), &probes.beats)?;
        let (alerting, intake) = alerting::Alerting::new(&config, &store, desktop)?;
        let inner = Arc::new(Inner {
            checks: Checks {
                table: RwLock::new(Arc::new(Table::new(all))),
                tasks: tokio_util::task::TaskTracker::new(),
                probes,
                in_flight: Arc::new(Semaphore::new(config.settings.max_in_flight)),
                grid: schedule::Grid::new(Instant::now(), config.checks.iter().map(|c| c.interval)),
                next_incident: AtomicI64::new(restored.next_incident),
                sweep_now: Notify::new(),
                rerun: tokio::sync::watch::Sender::new((0, 0)),
            },
            config: RwLock::new(Arc::new(config)),
            reloads: reload::Reloads::default(),
            clock,
            zone,
            started_at: now,
            writer: writer.handle(),
            store,
            figures,
            events,
            stopping,
            degraded: Mutex::new(degraded),
            recovery: Mutex::new(recovery),
            alerting,
            network: sentinel::Watch::new(clock.asleep()),
            url: std::sync::OnceLock::new(),
        });
        let engine = Engine { inner };
        engine.enter_windows(now);
        engine.start_network(now);
        let cancel = engine.inner.stopping.clone();
        let mut tasks = JoinSet::new();
        // Each task starts again after a panic (`panics::supervised`): a bug costs a
        // second of one task, never the watching.
        let supervise = |tasks: &mut JoinSet<()>, name: &'static str, run: fn(Engine, CancellationToken) -> _| {
            let (engine, cancel) = (engine.clone(), cancel.clone());
            tasks.spawn(async move {
                crate::panics::supervised(name, cancel.clone(), &mut (), |_| run(engine.clone(), cancel.clone())).await
            });
        };
        // Subscribed before any check runs, so no incident goes untold.
        tasks.spawn(engine.clone().notify(intake, cancel.clone()));
        let table = engine.table();
        for (runtime, receiver) in table.all.iter().zip(receivers) {
            engine.spawn_check(runtime.clone(), receiver);
        }
        supervise(&mut tasks, "sweep", |engine, cancel| engine.sweep(cancel).boxed());
        supervise(&mut tasks, "sentinel", |engine, cancel| engine.sentinel(cancel).boxed());
        supervise(&mut tasks, "quarantine purge", |engine, cancel| engine.purge_quarantine(cancel).boxed());
        supervise(&mut tasks, "backup", |engine, cancel| engine.back_up(cancel).boxed());
        Ok(Running { engine, cancel, tasks, writer })
    }

    /// The config running now: a reload swaps it, so a reader holds the one it took.
    pub fn config(&self) -> Arc<Config> {
        crate::panics::read(&self.inner.config).clone()
    }

    /// The checks running now, in config order.
    fn table(&self) -> Arc<Table> {
        crate::panics::read(&self.inner.checks.table).clone()
    }

    /// Starts a check's task: its schedule, until the engine stops or a reload removes
    /// or replaces it. A panic starts it again a second later.
    fn spawn_check(&self, runtime: Arc<CheckRuntime>, mut receiver: RunNowReceiver) {
        let engine = self.clone();
        self.inner.checks.tasks.spawn(async move {
            let stop = runtime.stop.clone();
            crate::panics::supervised("schedule", stop.clone(), &mut receiver, |receiver| {
                engine.clone().schedule(runtime.clone(), receiver, stop.clone()).boxed()
            })
            .await
        });
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

    /// The engine's wall clock: what every rule it applies takes as `now`.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// The engine's local time: what times people read are said in.
    pub fn zone(&self) -> &SharedZone {
        &self.inner.zone
    }

    /// Features that are off, each with its reason ("history: ...").
    pub fn degraded(&self) -> Vec<String> {
        crate::panics::lock(&self.inner.degraded).clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    pub fn snapshot(&self) -> Vec<CheckSnapshot> {
        let now = self.now();
        let marks = self.inner.alerting.marks(now);
        self.table().all.iter().map(|c| snapshot_of(self, c, &marks, now)).collect()
    }

    pub fn check(&self, id: &str) -> Option<CheckSnapshot> {
        let now = self.now();
        self.runtime(id).map(|c| snapshot_of(self, &c, &self.inner.alerting.marks(now), now))
    }

    /// The check at a position in config order, as named by [`Event::Check`].
    pub fn check_at(&self, position: usize) -> Option<CheckSnapshot> {
        let now = self.now();
        let runtime = self.table().all.get(position).cloned();
        runtime.map(|c| snapshot_of(self, &c, &self.inner.alerting.marks(now), now))
    }

    /// Resolves when the engine begins to stop: long-lived streams end with it.
    pub fn stopping(&self) -> tokio_util::sync::WaitForCancellationFutureOwned {
        self.inner.stopping.clone().cancelled_owned()
    }

    /// Each group's level, rolled up from its components.
    /// Probes a check now, outside its schedule, and returns the result. The probe goes
    /// through the check's own task, so it never overlaps a scheduled one.
    pub async fn probe_now(&self, id: &str) -> Option<ProbeResult> {
        let runtime = self.runtime(id)?;
        let (tx, rx) = oneshot::channel();
        runtime.run_now.send(tx).await.ok()?;
        rx.await.ok()
    }

    /// Pauses one check (or every check, with `None`) until `until` (`None`: until
    /// resumed): it is not probed, shows `paused` and raises no alerts. `None` when no
    /// check has that id; else how many checks were paused.
    pub async fn pause(&self, id: Option<&str>, until: Option<DateTime<Utc>>) -> Option<usize> {
        self.set_pause(id, |tracked, now| tracked.pause(until, now)).await
    }

    /// Ends a pause early (or every pause, with `None`); the check is probed on its next tick.
    pub async fn resume(&self, id: Option<&str>) -> Option<usize> {
        self.set_pause(id, Tracked::resume).await
    }

    async fn set_pause(
        &self,
        id: Option<&str>,
        change: impl Fn(&mut Tracked, DateTime<Utc>) -> crate::state::PauseOutcome,
    ) -> Option<usize> {
        use crate::state::PauseOutcome;
        let targets: Vec<Arc<CheckRuntime>> = match id {
            Some(id) => vec![self.runtime(id)?],
            None => self.table().all.clone(),
        };
        let now = self.now();
        let mut changed = 0;
        for runtime in targets {
            let op = {
                let mut live = crate::panics::lock(&runtime.live);
                match change(&mut live.tracked, now) {
                    PauseOutcome::Unchanged => None,
                    PauseOutcome::Moved => Some(record::state(restore::persist(&runtime.config.id, &live))),
                    PauseOutcome::Changed(change) => {
                        changed += 1;
                        Some(record::state_change(now, change, restore::persist(&runtime.config.id, &live)))
                    }
                }
            };
            if let Some(op) = op {
                tracing::info!(check = %runtime.config.id, "pause changed by the user");
                self.record(op).await;
                self.publish(&runtime);
            }
        }
        self.inner.checks.sweep_now.notify_one();
        // An opening held while a check was paused may be due now.
        self.inner.alerting.wake.notify_one();
        Some(changed)
    }

    /// Steers a check's breaker for `by`: forced open, disabled or reset. `None` for an
    /// unknown check; `Some(None)` for a check without a breaker. The change is
    /// recorded with who made it, and kept across restarts with the check's state.
    pub async fn steer_breaker(&self, id: &str, steer: Steer, by: Requester) -> Option<Option<BreakerView>> {
        let runtime = self.runtime(id)?;
        let now = self.now();
        let (view, op) = {
            let mut live = crate::panics::lock(&runtime.live);
            let from = live.breaker.state;
            if !live.breaker.steer(steer) {
                return Some(None);
            }
            let change = BreakerChange {
                check_id: runtime.config.id.clone(),
                at: now,
                from,
                to: live.breaker.state,
                reason: live.breaker.reason(from, live.breaker.state, now),
                by: Some(by),
            };
            tracing::info!(check = %runtime.config.id, %from, to = %change.to, by = %by, "breaker steered");
            (
                live.breaker.view(now),
                WriteOp::BreakerChange { change, state: restore::persist(&runtime.config.id, &live) },
            )
        };
        self.record(op).await;
        self.publish(&runtime);
        // A check down behind a breaker that no longer spares it can turn stale again.
        self.inner.checks.sweep_now.notify_one();
        Some(Some(view))
    }

    fn runtime(&self, id: &str) -> Option<Arc<CheckRuntime>> {
        crate::panics::read(&self.inner.checks.table).get(id).cloned()
    }

    /// An event for subscribers and, when it may be told (incidents, restart loops,
    /// service breakers), for the notifier.
    fn emit(&self, event: Event) {
        let told = matches!(
            event,
            Event::IncidentOpened(_)
                | Event::IncidentResolved(_)
                | Event::RestartLoop(_)
                | Event::ServiceBreakerOpened(_)
                | Event::CertExpiring(_)
                | Event::Flapping(_)
                | Event::Degraded(_)
                | Event::Network(_)
        );
        if told {
            self.inner.alerting.hear(event.clone());
        }
        let _ = self.inner.events.send(event);
    }

    fn publish(&self, runtime: &CheckRuntime) {
        if self.inner.events.receiver_count() > 0 {
            let _ = self.inner.events.send(Event::Check(runtime.position()));
        }
    }

    fn note_degraded(&self, reason: &str) {
        {
            let mut degraded = crate::panics::lock(&self.inner.degraded);
            if !degraded.iter().any(|d| d == reason) {
                tracing::warn!(reason, "degraded");
                degraded.push(reason.to_owned());
            }
        }
    }
}

/// Behind an open breaker the target is not called: a check shows its last real
/// result (and when it was), never up (the breaker opened for a reason) and never
/// stale. `None` where no breaker spares the target, or a pause or window shows instead.
fn behind_breaker(live: &Live, shown: Status) -> Option<(Status, Option<DateTime<Utc>>)> {
    let state = &live.tracked.state;
    if shown != state.status || !live.breaker.state.spares_target() {
        return None;
    }
    let real = live.last.as_ref().filter(|r| !matches!(r.verdict, crate::model::Verdict::Unknown(_)));
    let status = match real.map_or(state.status, |r| r.verdict.status()) {
        Status::Up => Status::Degraded,
        status => status,
    };
    Some((status, real.map(|r| r.at)))
}

/// What the alert policy asks of a check: the status it shows (as its snapshot says
/// it), whether it flaps, and whether its own state blames the network.
struct AlertFacts {
    status: Status,
    flapping: bool,
    last_at: Option<DateTime<Utc>>,
}

fn alert_facts_of(engine: &Engine, runtime: &CheckRuntime, now: DateTime<Utc>) -> AlertFacts {
    let live = crate::panics::lock(&runtime.live);
    let shown = live.tracked.shown_status(now);
    AlertFacts {
        status: behind_breaker(&live, shown).map_or(shown, |(status, _)| status),
        flapping: live.flap.flapping && crate::panics::read(&engine.inner.config).alerts.flap.is_some(),
        last_at: live.last.as_ref().map(|l| l.at),
    }
}

fn snapshot_of(engine: &Engine, runtime: &CheckRuntime, marks: &alerting::Marks, now: DateTime<Utc>) -> CheckSnapshot {
    let config = runtime.config.clone();
    let silenced = marks
        .silences
        .iter()
        .filter(|s| s.covers(&config.id, config.group.as_deref(), now))
        .max_by_key(|s| s.ends_at)
        .map(|s| SilenceMark { id: s.id, until: s.ends_at, reason: s.reason.clone(), by: s.by.clone() });
    let live = crate::panics::lock(&runtime.live);
    let mut shown = live.tracked.shown(now);
    let state = &live.tracked.state;
    let behind_breaker = behind_breaker(&live, shown.status).map(|(status, at)| {
        shown.status = status;
        at
    });
    // Parents are read after this check's lock is let go: two are never held at once.
    let parent_down = state.parent_down.clone().filter(|_| shown.status == Status::Unknown);
    let over = Over {
        paused: live.tracked.pause.filter(|p| p.active(now)).map(|p| p.until),
        window: live.tracked.maintenance.clone(),
        silenced,
        acked: state.open_incident.is_some_and(|id| marks.acked.contains(&id)),
        parent_down: None,
        behind_breaker,
    };
    let mut snapshot = CheckSnapshot {
        status: shown.status,
        since: shown.since,
        reason: shown.reason,
        breaker: config.breaker.map(|_| live.breaker.view(now)),
        last: live.last.clone(),
        health: live.health.clone(),
        service_breakers: live.service_breakers.clone(),
        open_incident: state.open_incident,
        healing: engine.healing_of(runtime, &live.healing, state.consecutive_failures, recovery::hold(&live, now)),
        flapping: live.flap.flapping && crate::panics::read(&engine.inner.config).alerts.flap.is_some(),
        no_network: state.no_network && shown.status == Status::Unknown,
        over,
        config,
    };
    drop(live);
    snapshot.over.parent_down =
        parent_down.map(|id| engine.runtime(&id).map_or(id.clone(), |parent| parent.config.name.clone()));
    snapshot
}
