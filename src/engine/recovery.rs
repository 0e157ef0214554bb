//! Recovery bookkeeping: each action's budget and whether it is running (one lock),
//! and each check's self-healing, stepped after each of its results.
//!
//! Lock order: a check's `live` lock may be held while `recovery` is taken, never the
//! other way round.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{CheckRuntime, Engine, Event, Live};
use crate::budget::{Budget, Exhausted, Runs};
use crate::config::{ActionConfig, Config};
use crate::healing::{Healing, HealingState, Hold, Situation, Step};
use crate::model::{ActionId, CheckId, Requester, Status};
use crate::store::{Store, StoreError, WriteOp};

/// Every action's budget window, and the actions running now.
#[derive(Default)]
pub(super) struct Recovery {
    windows: HashMap<ActionId, Runs>,
    running: HashSet<ActionId>,
}

/// Why a run did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    UnknownAction,
    /// A run of the action is under way; two at once could fight (two restarts).
    Running,
    /// Its budget is spent until `retry_at`.
    Exhausted {
        retry_at: DateTime<Utc>,
        budget: Budget,
    },
}

/// An action's budget as it stands.
#[derive(Debug, Clone)]
pub struct BudgetSnapshot {
    pub budget: Budget,
    pub runs_in_window: u32,
    pub blocked_until: Option<DateTime<Utc>>,
    pub running: bool,
}

/// A check's self-healing as it stands.
#[derive(Debug, Clone)]
pub struct HealingSnapshot {
    pub action: ActionId,
    pub shown: HealingState,
    /// Automatic runs since the check was last stable.
    pub attempts: u32,
}

/// A run's place: while it lives, its action counts as running.
pub(super) struct Slot {
    engine: Engine,
    action: ActionId,
}

impl Drop for Slot {
    fn drop(&mut self) {
        {
            let mut recovery = crate::panics::lock(&self.engine.inner.recovery);
            recovery.running.remove(&self.action);
        }
    }
}

/// The budgets as the audit left them: every counted run still in its window, after
/// the action's last reset; and runs a stopped process left `running`, marked
/// interrupted (they still count).
pub(super) fn restore(store: &Store, config: &Config, now: DateTime<Utc>) -> Result<Recovery, StoreError> {
    let interrupted = store.interrupt_running()?;
    if interrupted > 0 {
        tracing::warn!(interrupted, "action runs were cut short by the last stop; marked interrupted");
    }
    let resets = store.budget_resets()?;
    let mut windows = HashMap::new();
    for action in &config.actions {
        let window = store.budget_window(&action.id, action.budget, resets.get(&action.id).copied(), now)?;
        windows.insert(action.id.clone(), window);
    }
    Ok(Recovery { windows, running: HashSet::new() })
}

impl Recovery {
    /// Admits a run of `action` at `now`: not running, within its budget. The run is
    /// counted and marked running.
    fn admit(&mut self, action: &ActionConfig, now: DateTime<Utc>) -> Result<(), Refused> {
        if self.running.contains(&action.id) {
            return Err(Refused::Running);
        }
        let window = self.windows.entry(action.id.clone()).or_default();
        window
            .admit(action.budget, now)
            .map_err(|Exhausted { retry_at }| Refused::Exhausted { retry_at, budget: action.budget })?;
        self.running.insert(action.id.clone());
        Ok(())
    }
}

impl Engine {
    /// Admits a run by hand: the action is not running and its budget has room.
    pub(super) fn admit(&self, action: &ActionConfig) -> Result<Slot, Refused> {
        let now = self.now();
        let mut recovery = crate::panics::lock(&self.inner.recovery);
        recovery.admit(action, now)?;
        Ok(Slot { engine: self.clone(), action: action.id.clone() })
    }

    /// An action's budget now; `None` when no action has that id.
    pub fn budget(&self, id: &str) -> Option<BudgetSnapshot> {
        let config = self.config();
        let action = config.action(id)?;
        let now = self.now();
        let mut recovery = crate::panics::lock(&self.inner.recovery);
        let running = recovery.running.contains(&action.id);
        let window = recovery.windows.entry(action.id.clone()).or_default();
        Some(BudgetSnapshot {
            budget: action.budget,
            runs_in_window: window.runs(action.budget, now),
            blocked_until: window.blocked_until(action.budget, now),
            running,
        })
    }

    /// Forgets an action's counted runs (recorded, so a restart keeps the reset), and
    /// starts self-healing over for the checks that heal with it. `None` when no
    /// action has that id.
    pub async fn reset_budget(&self, id: &str, requester: Requester) -> Option<BudgetSnapshot> {
        let action = self.config().action(id)?.id.clone();
        let now = self.now();
        {
            let mut recovery = crate::panics::lock(&self.inner.recovery);
            recovery.windows.entry(action.clone()).or_default().reset();
        }
        tracing::info!(action = %action, %requester, "action budget reset");
        self.record(WriteOp::BudgetReset { action_id: action.clone(), at: now }).await;
        for runtime in &self.table().all {
            if runtime.config.auto_action.as_ref().is_none_or(|auto| auto.action != action) {
                continue;
            }
            let healing = {
                let mut live = crate::panics::lock(&runtime.live);
                live.healing = Healing::default();
                live.healing.clone()
            };
            self.record(WriteOp::Healing { check_id: runtime.config.id.clone(), healing }).await;
            self.publish(runtime);
        }
        self.budget(id)
    }

    /// A check's self-healing as shown; `None` for a check without `auto_action`.
    pub(super) fn healing_of(
        &self,
        runtime: &CheckRuntime,
        healing: &Healing,
        failures: u32,
        held: Option<Hold>,
    ) -> Option<HealingSnapshot> {
        let auto = runtime.config.auto_action.as_ref()?;
        let config = self.config();
        let action = config.action(auto.action.as_str())?;
        let now = self.now();
        let (running, blocked_until) = {
            let mut recovery = crate::panics::lock(&self.inner.recovery);
            let running = recovery.running.contains(&action.id);
            let window = recovery.windows.entry(action.id.clone()).or_default();
            (running, window.blocked_until(action.budget, now))
        };
        let failing = failures >= auto.after.max(1);
        Some(HealingSnapshot {
            action: auto.action.clone(),
            shown: healing.shown(auto, failing, running, held, blocked_until, now),
            attempts: healing.attempts,
        })
    }

    /// Steps the check's self-healing after a result: runs its action, gives up (telling
    /// once), or settles, as [`Healing::step`] says.
    pub(super) async fn heal(&self, runtime: &Arc<CheckRuntime>) {
        let Some(auto) = runtime.config.auto_action.as_ref() else { return };
        let config = self.config();
        let Some(action) = config.action(auto.action.as_str()) else { return };
        let now = self.now();
        let (step, changed) = {
            let mut live = crate::panics::lock(&runtime.live);
            let mut recovery = crate::panics::lock(&self.inner.recovery);
            let state = &live.tracked.state;
            let situation = Situation {
                failures: state.consecutive_failures,
                held: hold(&live, now),
                up_since: (state.status == Status::Up).then_some(state.since),
                running: recovery.running.contains(&action.id),
            };
            let before = live.healing.clone();
            let step = live.healing.step(auto, situation, now, || match recovery.admit(action, now) {
                Ok(()) => Ok(()),
                Err(Refused::Exhausted { retry_at, .. }) => Err(Exhausted { retry_at }),
                // `situation.running` said no run was under way, under the same lock.
                Err(_) => Err(Exhausted { retry_at: now }),
            });
            if step == Step::Settle {
                recovery.windows.entry(action.id.clone()).or_default().reset();
            }
            (step, (live.healing != before).then(|| live.healing.clone()))
        };
        if let Some(healing) = changed {
            self.record(WriteOp::Healing { check_id: runtime.config.id.clone(), healing }).await;
        }
        match step {
            Step::Run => {
                let slot = Slot { engine: self.clone(), action: action.id.clone() };
                tracing::info!(check = %runtime.config.id, action = %action.id, "self-healing: running the auto action");
                let engine = self.clone();
                let action = action.clone();
                let check = runtime.config.id.clone();
                let stopping = self.inner.stopping.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = stopping.cancelled() => {}
                        _ = engine.execute(&action, false, Requester::Auto, None, Some(slot), Some(&check)) => {}
                    }
                });
            }
            Step::GiveUp { retry_at, notify: true } => {
                tracing::warn!(check = %runtime.config.id, action = %action.id, %retry_at, "self-healing gave up: the action's budget is spent");
                let event = RestartLoop {
                    check_id: runtime.config.id.clone(),
                    check_name: runtime.config.name.clone(),
                    action: action.id.clone(),
                    budget: action.budget,
                    retry_at,
                };
                self.emit(Event::RestartLoop(Box::new(event)));
            }
            Step::Settle => {
                tracing::info!(check = %runtime.config.id, action = %action.id, "self-healing settled: the check is stable; budget reset");
                self.record(WriteOp::BudgetReset { action_id: action.id.clone(), at: now }).await;
            }
            Step::GiveUp { .. } | Step::Wait { .. } | Step::Nothing => {}
        }
        if step != Step::Nothing {
            self.publish(runtime);
        }
    }

    /// The checks offering `action`, for publishing their changed healing or runs.
    pub(super) fn publish_offering(&self, action: &ActionId) {
        for runtime in &self.table().all {
            if runtime.config.actions.contains(action) {
                self.publish(runtime);
            }
        }
    }
}

/// Self-healing gave up on a check: its action's budget is spent.
#[derive(Debug, Clone)]
pub struct RestartLoop {
    pub check_id: CheckId,
    pub check_name: String,
    pub action: ActionId,
    pub budget: Budget,
    pub retry_at: DateTime<Utc>,
}

/// What holds a check's self-healing at `now`, if anything.
pub(super) fn hold(live: &Live, now: DateTime<Utc>) -> Option<Hold> {
    let state = &live.tracked.state;
    if live.tracked.paused(now) {
        Some(Hold::Paused)
    } else if live.tracked.maintenance.is_some() {
        Some(Hold::Maintenance)
    } else if state.status == Status::Unknown && state.parent_down.is_some() {
        Some(Hold::ParentDown)
    } else if state.status == Status::Unknown && state.no_network {
        Some(Hold::NoNetwork)
    } else {
        None
    }
}
