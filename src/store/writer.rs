//! The one writer: a thread that drains a bounded queue and commits each batch in one
//! transaction. When the queue was idle, it gathers for `BATCH_WINDOW` before
//! committing, so a steady trickle of results costs a few commits a second, not one
//! each; a backlog, an incident opening or resolving, a flush, a stop or an action run
//! (someone waits for its id) is committed at once. A `kill -9` loses at most the batch being gathered: the last
//! `BATCH_WINDOW` of results (at most `MAX_BATCH` operations); committed batches
//! survive (WAL, `synchronous=NORMAL`).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::{action_runs, check_state, incidents, results, IncidentRecord, NewActionRun, PersistedState, ResultRecord};
use crate::figures::OwnFigures;

/// The write queue's bound. Results beyond it are dropped (and counted); state,
/// incidents and action runs wait for room instead.
pub const QUEUE_CAPACITY: usize = 16_384;
const MAX_BATCH: usize = 8192;
/// How long an idle writer gathers before committing.
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub enum WriteOp {
    /// A result and the check state after it.
    Result {
        result: ResultRecord,
        state: PersistedState,
    },
    /// A status change (and the state after it).
    StateChange {
        at: DateTime<Utc>,
        from: String,
        to: String,
        reason: Option<String>,
        state: PersistedState,
    },
    /// An incident opened, committed in one transaction with the state naming it.
    OpenIncident {
        incident: IncidentRecord,
        state: PersistedState,
    },
    /// An incident resolved, with the state no longer naming it.
    ResolveIncident {
        id: i64,
        at: DateTime<Utc>,
        state: PersistedState,
    },
    ActionRun(NewActionRun, oneshot::Sender<Result<i64, String>>),
    /// Answers once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
    /// Commits what came before and stops the thread.
    Stop,
}

/// The sending side; cheap to clone.
#[derive(Clone)]
pub struct WriterHandle {
    sender: mpsc::Sender<WriteOp>,
    figures: Arc<OwnFigures>,
}

impl WriterHandle {
    /// Queues a result; when the queue is full the result is dropped and counted, so
    /// a stuck disk never stalls probing.
    pub fn result(&self, result: ResultRecord, state: PersistedState) {
        if self.sender.try_send(WriteOp::Result { result, state }).is_err() {
            self.figures.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Queues an operation that must not be lost, waiting for room.
    pub async fn send(&self, op: WriteOp) -> Result<(), super::StoreError> {
        self.sender.send(op).await.map_err(|_| super::StoreError::WriterGone)
    }

    /// Waits until everything queued so far is committed.
    pub async fn flush(&self) -> Result<(), super::StoreError> {
        let (tx, rx) = oneshot::channel();
        self.send(WriteOp::Flush(tx)).await?;
        rx.await.map_err(|_| super::StoreError::WriterGone)
    }

    pub async fn record_action_run(&self, run: NewActionRun) -> Result<i64, super::StoreError> {
        let (tx, rx) = oneshot::channel();
        self.send(WriteOp::ActionRun(run, tx)).await?;
        match rx.await {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(message)) => Err(super::StoreError::Join(message)),
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
    pub(super) fn start(connection: Connection, retention: Duration, figures: Arc<OwnFigures>) -> Writer {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let thread_figures = figures.clone();
        let thread = std::thread::Builder::new()
            .name("watchkeeper-writer".into())
            .spawn(move || run(connection, receiver, retention, &thread_figures))
            .ok();
        Writer { handle: WriterHandle { sender, figures }, thread }
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

fn run(mut connection: Connection, mut receiver: mpsc::Receiver<WriteOp>, retention: Duration, figures: &OwnFigures) {
    // `None` prunes on the first batch. (Subtracting an hour from `Instant::now()`
    // would panic on a machine up for less than an hour.)
    let mut last_prune: Option<Instant> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut backlog = false;
    loop {
        let Some(first) = receiver.blocking_recv() else { return };
        let urgent = matches!(
            first,
            WriteOp::Flush(_)
                | WriteOp::Stop
                | WriteOp::ActionRun(..)
                | WriteOp::OpenIncident { .. }
                | WriteOp::ResolveIncident { .. }
        );
        batch.push(first);
        if !backlog && !urgent {
            std::thread::sleep(BATCH_WINDOW);
        }
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let due = last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY);
        let prune_before = due.then(|| Utc::now() - chrono::Duration::from_std(retention).unwrap_or_default());
        if due {
            last_prune = Some(Instant::now());
        }
        let started = Instant::now();
        let stop = commit(&mut connection, &mut batch, prune_before, figures);
        figures.db_commit_us.store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        backlog = !receiver.is_empty();
        figures.queue_depth.store(receiver.len() as u64, Ordering::Relaxed);
        if stop {
            return;
        }
    }
}

/// Writes one batch in one transaction; returns whether a `Stop` was seen.
fn commit(
    connection: &mut Connection,
    batch: &mut Vec<WriteOp>,
    prune_before: Option<DateTime<Utc>>,
    figures: &OwnFigures,
) -> bool {
    let mut stop = false;
    let mut acks = Vec::new();
    let mut run_replies = Vec::new();
    let outcome = (|| -> rusqlite::Result<u64> {
        let tx = connection.transaction()?;
        let mut rows = 0u64;
        // The last state of each check in the batch is all that needs writing.
        let mut states: HashMap<String, PersistedState> = HashMap::new();
        for op in batch.drain(..) {
            match op {
                WriteOp::Result { result, state } => {
                    results::insert(&tx, &result)?;
                    states.insert(state.check_id.clone(), state);
                }
                WriteOp::StateChange { at, from, to, reason, state } => {
                    check_state::record_change(&tx, &state.check_id, at, &from, &to, reason.as_deref())?;
                    states.insert(state.check_id.clone(), state);
                }
                WriteOp::OpenIncident { incident, state } => {
                    incidents::open(&tx, &incident)?;
                    states.insert(state.check_id.clone(), state);
                }
                WriteOp::ResolveIncident { id, at, state } => {
                    incidents::resolve(&tx, id, at)?;
                    states.insert(state.check_id.clone(), state);
                }
                WriteOp::ActionRun(run, reply) => {
                    let id = action_runs::insert(&tx, &run)?;
                    run_replies.push((reply, id));
                }
                WriteOp::Flush(ack) => acks.push(ack),
                WriteOp::Stop => stop = true,
            }
            rows += 1;
        }
        for state in states.values() {
            check_state::upsert(&tx, state)?;
        }
        if let Some(before) = prune_before {
            let pruned = results::prune(&tx, before)?;
            if pruned > 0 {
                tracing::info!(pruned, "old results pruned");
            }
        }
        tx.commit()?;
        Ok(rows)
    })();
    match outcome {
        Ok(rows) => {
            figures.rows_written.fetch_add(rows, Ordering::Relaxed);
            for (reply, id) in run_replies {
                let _ = reply.send(Ok(id));
            }
        }
        Err(e) => {
            figures.write_failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, "history batch failed to commit");
            for (reply, _) in run_replies {
                let _ = reply.send(Err(e.to_string()));
            }
        }
    }
    for ack in acks {
        let _ = ack.send(());
    }
    stop
}
