//! The engine's one front of the history writer: what it queues, how a state change is
//! built (one function for every caller), and the one place that reacts when the
//! writer has stopped.

use chrono::{DateTime, Utc};

use super::Engine;
use crate::state::Change;
use crate::store::{PersistedState, ResultRecord, WriteOp};

/// What history says when the writer is gone.
const WRITER_STOPPED: &str = "history: the writer stopped; results are not being recorded";

/// A change of what a check shows, with its state after it.
pub(super) fn state_change(at: DateTime<Utc>, change: Change, state: PersistedState) -> WriteOp {
    WriteOp::StateChange { at, from: change.from, to: change.to, reason: change.reason, state }
}

/// A check's state alone: it changed without a change of status.
pub(super) fn state(state: PersistedState) -> WriteOp {
    WriteOp::State(state)
}

impl Engine {
    /// Queues an operation that must not be lost, waiting for room. A stopped writer
    /// marks history degraded.
    pub(super) async fn record(&self, op: WriteOp) {
        if self.inner.writer.send(op).await.is_err() {
            self.note_degraded(WRITER_STOPPED);
        }
    }

    /// Queues a result; past the queue's bound it is dropped and counted (so a stuck
    /// disk never stalls probing), which `/healthz` reports.
    pub(super) fn record_result(&self, result: ResultRecord, state: PersistedState) {
        self.inner.writer.result(result, state);
    }
}
