//! The one writer: a thread that drains a bounded queue and commits each batch in one
//! transaction. When the queue was idle, it gathers for `BATCH_WINDOW` before
//! committing, so a steady trickle of results costs a few commits a second, not one
//! each; a backlog, an incident opening or resolving, a flush, a stop or an action run
//! (someone waits for its id) is committed at once: sending one wakes a gathering
//! writer, so an API change answers in the time of a commit, not of a window. A `kill -9` loses at most the batch
//! being gathered: the last `BATCH_WINDOW` of results (at most `MAX_BATCH` operations);
//! committed batches survive (WAL, `synchronous=NORMAL`). The results' rollups are
//! added up as batches commit and written every `rollups::WRITE_EVERY`, and with a
//! flush or a stop; those a kill -9 took are rolled up from the results when the next
//! writer starts (`store::rollups`). Check states a result changed only in its counts
//! are held and written with them (`States`): a kill -9 loses at most `WRITE_EVERY` of
//! those counts, never a change of status or incident.
//!
//! A batch that fails to commit (disk full, a lock held too long) is kept and tried
//! again every `RETRY_AFTER`, growing with what arrives meanwhile. Past `MAX_PENDING`
//! operations the oldest results are dropped (and counted); incidents, state changes
//! and action runs are kept. Callers waiting on a failed batch are answered at once.
//! At shutdown a failing batch is tried `STOP_TRIES` times, then given up, logged.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::rollups::{Additions, Resolution, Rollups};
use super::size;
use super::Horizons;
use super::{
    action_runs, alerts, check_state, incidents, recovery, results, rollups, IncidentRecord, NewActionRun,
    PersistedState, ResultRecord, Retention,
};
use crate::figures::OwnFigures;
use crate::healing::Healing;
use crate::model::{ActionId, CheckId, Status};

/// The write queue's bound. Results beyond it are dropped (and counted); state,
/// incidents and action runs wait for room instead.
pub const QUEUE_CAPACITY: usize = 16_384;
const MAX_BATCH: usize = 8192;
/// How long a failed batch waits before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// The most operations kept while commits fail.
const MAX_PENDING: usize = 4 * MAX_BATCH;
/// Tries of a failing batch at shutdown.
const STOP_TRIES: u32 = 3;
/// How long an idle writer gathers before committing.
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// The room a batch keeps between commits: a second of results at a few hundred checks.
/// A burst grows it up to `MAX_BATCH` (some 2 MB); past four times this, it is given
/// back once that batch is committed.
const BATCH_KEPT: usize = 512;

#[derive(Debug)]
pub enum WriteOp {
    /// A result and the check state after it.
    Result {
        result: ResultRecord,
        state: PersistedState,
    },
    /// A check's state alone, when no status changed (a pause extended or shortened).
    State(PersistedState),
    /// A status change (and the state after it).
    StateChange {
        at: DateTime<Utc>,
        from: Status,
        to: Status,
        reason: Option<String>,
        state: PersistedState,
    },
    /// A breaker changed state (by itself or steered), with the check's state after it.
    BreakerChange {
        change: super::BreakerChange,
        state: PersistedState,
    },
    /// An incident opened, committed in one transaction with the state naming it.
    OpenIncident {
        incident: Box<IncidentRecord>,
        state: PersistedState,
    },
    /// An incident resolved, with the state no longer naming it.
    ResolveIncident {
        id: i64,
        at: DateTime<Utc>,
        state: PersistedState,
        /// How it ended, when not by a good result ("removed from config").
        resolution: Option<&'static str>,
    },
    /// An action run to record; the sender gets its id (taken once answered).
    ActionRun(NewActionRun, Option<oneshot::Sender<Result<i64, super::StoreError>>>),
    /// How a run recorded at its start ended.
    FinishActionRun {
        id: i64,
        run: NewActionRun,
    },
    /// An action's budget reset: its runs before `at` no longer count.
    BudgetReset {
        action_id: ActionId,
        at: DateTime<Utc>,
    },
    /// A check's self-healing state.
    Healing {
        check_id: CheckId,
        healing: Healing,
    },
    /// A heartbeat's ping (with its token).
    Heartbeat(Box<super::HeartbeatRecord>),
    /// This machine's figures, added to an incident's evidence once read (the incident
    /// itself is written as it opens, so what names it never waits on them).
    EvidenceLocal {
        incident: i64,
        local: Box<super::evidence::Local>,
    },
    /// A cleanup run was undone.
    RunUndone {
        id: i64,
        at: DateTime<Utc>,
    },
    /// A notification decision of the alert policy.
    Notification(Box<super::NotificationRecord>),
    /// How a notification's delivery went.
    Delivery(Box<super::Delivery>),
    Silence(Box<super::SilenceRecord>),
    EndSilence {
        id: i64,
        at: DateTime<Utc>,
    },
    Ack {
        incident: i64,
        at: DateTime<Utc>,
    },
    Note(Box<super::NoteRecord>),
    /// Answers once everything queued before it is committed, or with the error when
    /// its batch failed to commit (the batch is kept and tried again).
    Flush(Option<oneshot::Sender<Result<(), super::StoreError>>>),
    /// Commits what came before and stops the thread.
    Stop,
}

// A batch keeps room for `MAX_BATCH` operations: a large one is boxed so that costs
// about 2 MB, not more.
// (232 since results keep their measured value: 64 KB more for a full batch.)
const _: () = assert!(std::mem::size_of::<WriteOp>() <= 232);

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct WriterHandle {
    sender: mpsc::Sender<WriteOp>,
    figures: Arc<OwnFigures>,
    /// The writer's thread, woken from gathering when an urgent operation comes.
    thread: Option<std::thread::Thread>,
    /// Set with that wake: an urgent operation is queued.
    hurry: Arc<AtomicBool>,
}

impl WriteOp {
    /// The check whose state this operation carries.
    fn state_of(&self) -> Option<&str> {
        match self {
            WriteOp::Result { state, .. }
            | WriteOp::State(state)
            | WriteOp::StateChange { state, .. }
            | WriteOp::BreakerChange { state, .. }
            | WriteOp::OpenIncident { state, .. }
            | WriteOp::ResolveIncident { state, .. } => Some(state.check_id.as_str()),
            _ => None,
        }
    }
}

/// An operation someone waits on, or that must not wait: committed at once.
fn urgent(op: &WriteOp) -> bool {
    matches!(
        op,
        WriteOp::Flush(_)
            | WriteOp::Stop
            | WriteOp::ActionRun(..)
            | WriteOp::FinishActionRun { .. }
            | WriteOp::OpenIncident { .. }
            | WriteOp::ResolveIncident { .. }
    )
}

impl WriterHandle {
    /// Queues a result; when the queue is full the result is dropped and counted, so
    /// a stuck disk never stalls probing.
    pub fn result(&self, result: ResultRecord, state: PersistedState) {
        if self.sender.try_send(WriteOp::Result { result, state }).is_err() {
            self.figures.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Queues an operation that must not be lost, waiting for room; an urgent one wakes
    /// a writer that is gathering.
    pub async fn send(&self, op: WriteOp) -> Result<(), super::StoreError> {
        let wake = urgent(&op);
        self.sender.send(op).await.map_err(|_| super::StoreError::WriterGone)?;
        if let (true, Some(thread)) = (wake, &self.thread) {
            self.hurry.store(true, Ordering::Release);
            thread.unpark();
        }
        Ok(())
    }

    /// Waits until everything queued so far is committed. A batch that failed to
    /// commit is an error (`NotCommitted`): it is kept and tried again, but the caller
    /// must not say it is saved.
    pub async fn flush(&self) -> Result<(), super::StoreError> {
        let (tx, rx) = oneshot::channel();
        self.send(WriteOp::Flush(Some(tx))).await?;
        rx.await.unwrap_or(Err(super::StoreError::WriterGone))
    }

    pub async fn record_action_run(&self, run: NewActionRun) -> Result<i64, super::StoreError> {
        let (tx, rx) = oneshot::channel();
        self.send(WriteOp::ActionRun(run, Some(tx))).await?;
        match rx.await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(super::StoreError::WriterGone),
        }
    }

    pub fn depth(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }
}

pub struct Writer {
    handle: WriterHandle,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(
        connection: Connection,
        retention: Retention,
        cache: Cache,
        figures: Arc<OwnFigures>,
    ) -> Writer {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let thread_figures = figures.clone();
        let hurry = Arc::new(AtomicBool::new(false));
        let thread_hurry = hurry.clone();
        let thread = std::thread::Builder::new()
            .name("watchkeeper-writer".into())
            .spawn(move || run(connection, receiver, retention, cache, &thread_figures, &thread_hurry))
            .ok();
        let handle = WriterHandle { sender, figures, thread: thread.as_ref().map(|t| t.thread().clone()), hurry };
        Writer { handle, thread }
    }

    pub fn handle(&self) -> WriterHandle {
        self.handle.clone()
    }

    /// Commits everything queued and stops the thread.
    pub async fn stop(mut self) {
        let _ = self.handle.sender.send(WriteOp::Stop).await;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

fn run(
    mut connection: Connection,
    mut receiver: mpsc::Receiver<WriteOp>,
    retention: Retention,
    cache: Cache,
    figures: &OwnFigures,
    hurry: &AtomicBool,
) {
    // Each check's last result, and the rollups added up since they were written.
    let mut rollups = Rollups::default();
    let mut rolled_at = Instant::now();
    let mut states = States::default();
    let mut heads = results::Heads::default();
    // `None` prunes on the first batch. (Subtracting an hour from `Instant::now()`
    // would panic on a machine up for less than an hour.)
    let mut last_prune: Option<Instant> = None;
    // Operations not yet committed: the batch being built, or one that failed.
    let mut batch = Vec::with_capacity(BATCH_KEPT);
    let mut backlog = false;
    let mut failing = false;
    let mut stop_tries = 0;
    // Pruning for `max_db_size` until the history is under its low mark.
    let mut trimming = false;
    // When the last large batch was: the page cache is large until a while after it.
    let mut large_since: Option<Instant> = None;
    let gives_back = size::gives_back(&connection).unwrap_or(false);
    loop {
        if batch.is_empty() {
            let Some(first) = receiver.blocking_recv() else { return };
            let urgent = urgent(&first);
            batch.push(first);
            if !backlog && !urgent {
                gather(hurry);
            }
        } else if failing {
            std::thread::sleep(RETRY_AFTER);
        }
        // What is queued now goes in this batch: an earlier hurry is spent.
        hurry.store(false, Ordering::Release);
        let limit = batch.len() + MAX_BATCH;
        while batch.len() < limit {
            match receiver.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        shed_results(&mut batch, figures);
        let due = last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY);
        let prune_before = due.then(|| retention.horizons(Utc::now()));
        let started = Instant::now();
        let stopping = batch.iter().any(|op| matches!(op, WriteOp::Stop));
        large_since = cache.resize(&connection, batch.len(), large_since);
        // Measured after every batch (two header reads); trimmed only with a cap.
        let cap = retention
            .max_bytes
            .map_or((u64::MAX, u64::MAX), |max| (max, if trimming { size::low_mark(max) } else { max }));
        // The rollups added up so far are written every `WRITE_EVERY`, and with
        // anything someone waits on (a flush, a stop).
        let roll = stopping
            || rolled_at.elapsed() >= rollups::WRITE_EVERY
            || rollups.held_rows() >= rollups::HELD_ROWS
            || batch.iter().any(|op| matches!(op, WriteOp::Flush(_)));
        let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            write(&mut connection, &batch, prune_before, cap, (&rollups, &states, &mut heads), roll)
        }));
        // Rolled back, or results deleted (with heads): the heads are read again.
        let heads_hold = matches!(&written, Ok(Ok((.., trim))) if trim.deleted[0] == 0) && prune_before.is_none();
        if !heads_hold {
            heads.forget();
        }
        let Ok(written) = written else {
            // A bug, not the disk: the same batch would panic again, so it is given up
            // (its transaction rolled back) and the writer goes on with the next.
            figures.write_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(lost = batch.len(), "writing a history batch panicked; the batch is dropped");
            answer_failure(&mut batch, "writing the history panicked: an internal error, see the log");
            batch.clear();
            if stopping {
                return;
            }
            continue;
        };
        match written {
            Ok((ids, rolled, moved, trim)) => {
                states.written(moved.written, roll);
                let mut held = moved.held;
                held.sort_unstable();
                match rolled {
                    Rolled::Written(additions) => {
                        rollups.written(additions);
                        rolled_at = Instant::now();
                    }
                    // Added up straight into what is held, once committed.
                    Rolled::Held { paused } => {
                        for op in &batch {
                            if let WriteOp::Result { result, .. } = op {
                                let at = super::to_millis(result.at);
                                rollups.add(&result.check_id, at, result.status, result.latency_us, result.value);
                            }
                        }
                        for check in &paused {
                            rollups.forget(check);
                        }
                    }
                }
                trimming = sized(trim, trimming, cap.0, figures);
                if gives_back {
                    match size::give_back(&connection) {
                        Ok(0) => {}
                        Ok(pages) => tracing::debug!(pages, "free pages given back to the disk"),
                        Err(e) => tracing::warn!(error = %e, "giving free pages back to the disk failed"),
                    }
                }
                if failing {
                    tracing::info!("history commits pass again");
                }
                failing = false;
                figures.write_failing.store(0, Ordering::Relaxed);
                if due {
                    last_prune = Some(Instant::now());
                }
                figures.rows_written.fetch_add(batch.len() as u64, Ordering::Relaxed);
                let mut ids = ids.into_iter();
                let mut held = held.into_iter().peekable();
                for (index, op) in batch.drain(..).enumerate() {
                    if held.next_if_eq(&index).is_some() {
                        states.hold(op);
                        continue;
                    }
                    match op {
                        WriteOp::ActionRun(_, Some(reply)) => {
                            let recorded =
                                ids.next().ok_or_else(|| super::StoreError::NotRecorded("no id came back".into()));
                            let _ = reply.send(recorded);
                        }
                        WriteOp::Flush(Some(ack)) => {
                            let _ = ack.send(Ok(()));
                        }
                        _ => {}
                    }
                }
            }
            Err(e) => {
                failing = true;
                figures.write_failing.store(1, Ordering::Relaxed);
                figures.write_fault.store(crate::figures::WriteFault::of(&e) as u64, Ordering::Relaxed);
                figures.write_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, pending = batch.len(), "history batch failed to commit; it will be tried again");
                answer_failure(&mut batch, &e.to_string());
                if stopping {
                    stop_tries += 1;
                    if stop_tries >= STOP_TRIES {
                        tracing::error!(lost = batch.len(), "giving up on the history batch at shutdown");
                        return;
                    }
                }
            }
        }
        figures.db_commit_us.store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        if batch.is_empty() && batch.capacity() > 4 * BATCH_KEPT {
            batch.shrink_to(BATCH_KEPT);
        }
        backlog = !receiver.is_empty();
        figures.queue_depth.store((receiver.len() + batch.len()) as u64, Ordering::Relaxed);
        if stopping && !failing {
            return;
        }
    }
}

/// The writer's page cache: small at a steady pace, large while a backlog is drained.
#[derive(Debug, Clone, Copy)]
pub struct Cache {
    pub small_kb: i64,
    pub large_kb: i64,
}

/// A batch this large is a backlog (a steady thousand checks a second make batches of a
/// hundred or so).
const LARGE_BATCH: usize = 2048;
/// How long the cache stays large after the last large batch.
const LARGE_FOR: Duration = Duration::from_secs(60);

impl Cache {
    /// Sizes the cache for a batch of `ops`; when the last large batch was.
    fn resize(self, connection: &Connection, ops: usize, large_since: Option<Instant>) -> Option<Instant> {
        let set = |kb: i64| {
            if let Err(e) = connection.pragma_update(None, "cache_size", -kb) {
                tracing::warn!(error = %e, kb, "cannot size the history writer's page cache");
            }
        };
        if ops >= LARGE_BATCH && self.large_kb > self.small_kb {
            if large_since.is_none() {
                set(self.large_kb);
            }
            return Some(Instant::now());
        }
        match large_since {
            Some(at) if at.elapsed() >= LARGE_FOR => {
                set(self.small_kb);
                None
            }
            other => other,
        }
    }
}

/// Keeps the figures of a committed batch's trim and says when pruning for size starts,
/// ends or can go no further; whether trimming goes on.
fn sized(trim: size::Trim, trimming: bool, max: u64, figures: &OwnFigures) -> bool {
    figures.db_bytes.store(trim.used, Ordering::Relaxed);
    let deleted: usize = trim.deleted.iter().sum();
    figures.size_pruned.fetch_add(deleted as u64, Ordering::Relaxed);
    let was_at_floor = figures.size_at_floor.swap(trim.at_floor as u64, Ordering::Relaxed) == 1;
    if trim.at_floor && !was_at_floor {
        tracing::warn!(used = trim.used, max, "history over max_db_size with nothing left to prune before its floors");
    }
    if deleted > 0 && !trimming {
        let [results, minutes, hours, days] = trim.deleted;
        tracing::warn!(
            used = trim.used,
            max,
            results,
            minutes,
            hours,
            days,
            "history at max_db_size: pruning the oldest results, then rollups, before their retention"
        );
    }
    if trimming && !trim.over {
        tracing::info!(used = trim.used, max, "history back under max_db_size");
    }
    trim.over
}

/// Waits `BATCH_WINDOW` for more to commit together, or less when an urgent operation
/// is queued meanwhile.
fn gather(hurry: &AtomicBool) {
    let deadline = Instant::now() + BATCH_WINDOW;
    loop {
        if hurry.swap(false, Ordering::AcqRel) {
            return;
        }
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::park_timeout(deadline - now);
    }
}

/// Keeps a failing batch bounded: drops its oldest results past `MAX_PENDING`.
fn shed_results(batch: &mut Vec<WriteOp>, figures: &OwnFigures) {
    let mut excess = batch.len().saturating_sub(MAX_PENDING);
    if excess == 0 {
        return;
    }
    let before = batch.len();
    batch.retain(|op| {
        if excess > 0 && matches!(op, WriteOp::Result { .. }) {
            excess -= 1;
            return false;
        }
        true
    });
    figures.dropped.fetch_add((before - batch.len()) as u64, Ordering::Relaxed);
}

/// Tells whoever waits on a failed batch: flushes and action runs get the error now
/// (the batch's operations stay in it and are committed later).
fn answer_failure(batch: &mut [WriteOp], error: &str) {
    for op in batch.iter_mut() {
        match op {
            WriteOp::ActionRun(_, reply) => {
                if let Some(reply) = reply.take() {
                    let _ = reply.send(Err(super::StoreError::NotRecorded(format!("not committed yet: {error}"))));
                }
            }
            WriteOp::Flush(ack) => {
                if let Some(ack) = ack.take() {
                    let _ = ack.send(Err(super::StoreError::NotCommitted(error.to_owned())));
                }
            }
            _ => {}
        }
    }
}

/// Check states a result moved only in its counts (`Lasting` as written), held until
/// the rollups are written: a check probed every second is written every
/// `rollups::WRITE_EVERY`, not every second. A kill -9 loses those counts (as many
/// results in a row, the flap and breaker windows), never a change of status, incident,
/// pause, breaker or certificate, which is written with the batch that makes it.
#[derive(Debug, Default)]
struct States {
    held: HashMap<CheckId, PersistedState>,
    /// What was last written of each check's state.
    written: HashMap<CheckId, check_state::Lasting>,
}

/// What a committed batch did with its states.
#[derive(Debug, Default)]
struct Moved {
    /// Where in the batch the results whose states are held are (taken from it, not
    /// copied, once committed: `States::hold`).
    held: Vec<usize>,
    written: Vec<(CheckId, check_state::Lasting)>,
}

impl States {
    /// Lets go of the states written (all held, when the rollups were), before the
    /// batch's own are held.
    fn written(&mut self, written: Vec<(CheckId, check_state::Lasting)>, rolled: bool) {
        if rolled {
            self.held.clear();
        }
        for (check, lasting) in written {
            self.held.remove(check.as_str());
            self.written.insert(check, lasting);
        }
    }

    /// Holds the state a committed result carries.
    fn hold(&mut self, op: WriteOp) {
        if let WriteOp::Result { state, .. } = op {
            self.held.insert(state.check_id.clone(), state);
        }
    }
}

/// What a batch did with its results' rollups.
enum Rolled {
    /// Wrote them, with those held: these are let go once committed.
    Written(Additions),
    /// Left them to be added to those held once committed; the checks it leaves
    /// paused (their silence is no downtime).
    Held { paused: Vec<CheckId> },
}

/// Writes the batch in one transaction, and with it the rollups held and its own when
/// `roll`; returns the ids of its action runs, in order, what it did with its rollups
/// and with its states.
fn write(
    connection: &mut Connection,
    batch: &[WriteOp],
    prune_before: Option<Horizons>,
    (max, threshold): (u64, u64),
    (kept, held, heads): (&Rollups, &States, &mut results::Heads),
    roll: bool,
) -> rusqlite::Result<(Vec<i64>, Rolled, Moved, size::Trim)> {
    let tx = connection.transaction()?;
    let mut ids = Vec::new();
    let mut appender = results::Appender::new(&tx, heads)?;
    // The last state of each check in the batch is all that needs writing (and where
    // in the batch it is).
    let mut states: HashMap<&str, (usize, &PersistedState)> = HashMap::with_capacity(batch.len());
    // Checks whose state something besides a result set in this batch.
    let mut changed: HashSet<&str> = HashSet::new();
    for (index, op) in batch.iter().enumerate() {
        if !matches!(op, WriteOp::Result { .. }) {
            if let Some(check) = op.state_of() {
                changed.insert(check);
            }
        }
        match op {
            WriteOp::Result { result, state } => {
                appender.append(result)?;
                states.insert(state.check_id.as_str(), (index, state));
            }
            WriteOp::State(state) => {
                states.insert(state.check_id.as_str(), (index, state));
            }
            WriteOp::StateChange { at, from, to, reason, state } => {
                check_state::record_change(&tx, &state.check_id, *at, (*from, *to), reason.as_deref())?;
                states.insert(state.check_id.as_str(), (index, state));
            }
            WriteOp::BreakerChange { change, state } => {
                check_state::record_breaker_change(&tx, change)?;
                states.insert(state.check_id.as_str(), (index, state));
            }
            WriteOp::OpenIncident { incident, state } => {
                incidents::open(&tx, incident)?;
                if let Some(evidence) = &incident.evidence {
                    super::evidence::keep(&tx, incident.id, incident.check_id.as_str(), evidence)?;
                }
                states.insert(state.check_id.as_str(), (index, state));
            }
            WriteOp::ResolveIncident { id, at, state, resolution } => {
                incidents::resolve(&tx, *id, *at, *resolution)?;
                states.insert(state.check_id.as_str(), (index, state));
            }
            WriteOp::ActionRun(run, _) => ids.push(action_runs::insert(&tx, run)?),
            WriteOp::FinishActionRun { id, run } => action_runs::finish(&tx, *id, run)?,
            WriteOp::BudgetReset { action_id, at } => recovery::reset_budget(&tx, action_id, *at)?,
            WriteOp::Healing { check_id, healing } => recovery::save_healing(&tx, check_id, healing)?,
            WriteOp::RunUndone { id, at } => action_runs::mark_undone(&tx, *id, *at)?,
            WriteOp::Heartbeat(record) => super::heartbeats::save(&tx, record)?,
            WriteOp::EvidenceLocal { incident, local } => super::evidence::add_local(&tx, *incident, local)?,
            WriteOp::Notification(n) => alerts::insert_notification(&tx, n)?,
            WriteOp::Delivery(d) => alerts::record_delivery(&tx, d)?,
            WriteOp::Silence(s) => alerts::insert_silence(&tx, s)?,
            WriteOp::EndSilence { id, at } => alerts::end_silence(&tx, *id, *at)?,
            WriteOp::Ack { incident, at } => alerts::ack(&tx, *incident, *at)?,
            WriteOp::Note(note) => alerts::add_note(&tx, note)?,
            WriteOp::Flush(_) | WriteOp::Stop => {}
        }
    }
    appender.finish()?;
    let mut moved = Moved::default();
    let mut paused = Vec::new();
    if roll {
        for (check, state) in &held.held {
            if !states.contains_key(check.as_str()) {
                check_state::upsert(&tx, state)?;
            }
        }
    }
    for &(index, state) in states.values() {
        // A paused check's silence is not downtime.
        if state.paused.is_some() {
            paused.push(state.check_id.clone());
        }
        let check = state.check_id.as_str();
        let lasting = state.lasting();
        if !roll && !changed.contains(check) && held.written.get(check) == Some(&lasting) {
            moved.held.push(index);
        } else {
            check_state::upsert(&tx, state)?;
            moved.written.push((state.check_id.clone(), lasting));
        }
    }
    let rolled = if roll {
        let mut additions = Additions::default();
        for op in batch {
            if let WriteOp::Result { result, .. } = op {
                let at = super::to_millis(result.at);
                additions.result(kept, &result.check_id, at, result.status, result.latency_us, result.value);
            }
        }
        for check in &paused {
            additions.forget(check);
        }
        kept.write(&tx, &additions)?;
        rollups::mark(&tx)?;
        Rolled::Written(additions)
    } else {
        Rolled::Held { paused }
    };
    if let Some(horizons) = prune_before {
        let pruned = results::prune(&tx, horizons.results)?;
        let minutes = rollups::prune(&tx, Resolution::Minute, super::to_millis(horizons.minutes))?;
        let hours = rollups::prune(&tx, Resolution::Hour, super::to_millis(horizons.hours))?
            + rollups::prune(&tx, Resolution::Day, super::to_millis(horizons.hours))?;
        if pruned + minutes + hours > 0 {
            tracing::info!(pruned, minutes, hours, "old results and rollups pruned");
        }
    }
    // The cap, measured after this batch's rows (and the retention's pruning).
    let trim = size::trim(&tx, Utc::now().timestamp_millis(), max, threshold)?;
    tx.commit()?;
    Ok((ids, rolled, moved, trim))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CheckId;

    fn state() -> PersistedState {
        PersistedState {
            check_id: CheckId::parse("c").unwrap(),
            status: Status::Down,
            since: Utc::now(),
            reason: None,
            consecutive_failures: 1,
            consecutive_successes: 0,
            last_result_at: None,
            open_incident: None,
            breaker: None,
            paused: None,
            flap: Default::default(),
            cert: Default::default(),
        }
    }

    #[test]
    fn a_failing_batch_sheds_its_oldest_results_and_keeps_the_rest() {
        let result = |n: i64| WriteOp::Result {
            result: ResultRecord {
                check_id: CheckId::parse("c").unwrap(),
                at: Utc::now(),
                status: Status::Down,
                latency_us: Some(n),
                failure_class: None,
                message: String::new(),
                value: None,
            },
            state: state(),
        };
        let change = || WriteOp::StateChange {
            at: Utc::now(),
            from: Status::Up,
            to: Status::Down,
            reason: None,
            state: state(),
        };
        let mut batch: Vec<WriteOp> = vec![change()];
        batch.extend((0..MAX_PENDING as i64 + 10).map(result));
        batch.push(change());
        let figures = OwnFigures::default();
        shed_results(&mut batch, &figures);
        assert_eq!(batch.len(), MAX_PENDING, "the batch is cut back to its bound");
        assert_eq!(OwnFigures::get(&figures.dropped), 12, "what was shed is counted");
        let changes = batch.iter().filter(|op| matches!(op, WriteOp::StateChange { .. })).count();
        assert_eq!(changes, 2, "state changes are never shed");
        let first_kept = batch.iter().find_map(|op| match op {
            WriteOp::Result { result, .. } => result.latency_us,
            _ => None,
        });
        assert_eq!(first_kept, Some(12), "the oldest results go first");
    }
}
