//! The policy stepped: the decisions due by now, each given its id and recorded in
//! `notifications` before it goes on, to the desktop shell or to its channel's
//! delivery task. The policy asks about the live checks through `EngineWorld`, read
//! once per step before its lock is taken.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::delivery::Job;
use crate::alert::channel::{Payload, PayloadCheck};
use crate::alert::{Decision, World};
use crate::engine::Engine;
use crate::model::{CheckId, Status, Suppressed};
use crate::store::{NotificationRecord, WriteOp};

impl Engine {
    /// Applies the policy: records each decision due and hands the sent ones on.
    pub(super) async fn step_alerts(&self) {
        let now = self.now();
        // The checks first: their locks come before the policy's, never after.
        let world = EngineWorld::of(self);
        let zone = self.inner.zone.clone();
        let decisions = self.inner.alerting.with(|state| {
            let decisions = state.policy.step(now, &world, zone.as_ref());
            let first = state.last_id;
            state.last_id += decisions.len() as i64;
            decisions.into_iter().zip(first + 1..).collect::<Vec<_>>()
        });
        for (decision, id) in decisions {
            self.hand_on(id, decision, now).await;
        }
    }

    /// Records a decision, then hands it on if it is to be sent.
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
        let job = match (&decision.suppressed, channel) {
            (Some(_), _) => None,
            (None, None) => {
                // Its channel is gone: a reload removed it as this was decided.
                record.delivered = Some(false);
                record.error = Some(crate::words::REMOVED_FROM_CONFIG.to_owned());
                None
            }
            (None, Some(channel)) if channel.spec.shown_by_shell() => {
                waiting = self.show_on_desktop(&mut record, &decision, now);
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

    /// What a webhook and a command receive.
    pub(super) fn payload(&self, record: &NotificationRecord) -> Payload {
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
                    status: Status::Unknown.as_str().to_owned(),
                    severity: crate::model::Severity::Warning.as_str().to_owned(),
                },
            })
            .collect();
        Payload {
            version: 1,
            id: record.id,
            event: record.event,
            at: record.at,
            local_time: self.inner.zone.offset_at(record.at).format("%Y-%m-%d %H:%M:%S %:z").to_string(),
            severity: record.severity.as_str().to_owned(),
            title: record.title.clone(),
            body: record.body.clone(),
            incident: record.incident,
            checks,
            channel: record.channel.clone(),
        }
    }
}

/// The live checks the policy may ask about (those of its bursts and open incidents,
/// and their parents), read once per step before the policy's lock is taken: a step
/// costs what it is about, not the number of checks.
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
        let concerned = engine.inner.alerting.with(|state| state.policy.concerned());
        let offline = engine.offline();
        let back_at = engine.network_back_at();
        let now = engine.now();
        let facts_of = |runtime: &crate::engine::CheckRuntime| {
            let facts = crate::engine::alert_facts_of(engine, runtime, now);
            // Until it has been probed again since the network came back, a remote
            // check's failure may be the network's still.
            let unprobed = back_at.is_some_and(|back| facts.last_at.is_none_or(|at| at < back));
            Facts {
                status: facts.status,
                flapping: facts.flapping,
                no_network: runtime.config.remote() && (offline || unprobed),
                depends_on: runtime.config.depends_on.clone(),
            }
        };
        let mut checks: HashMap<CheckId, Facts> = HashMap::new();
        for id in concerned {
            if let Some(runtime) = engine.runtime(id.as_str()) {
                checks.insert(id, facts_of(&runtime));
            }
        }
        // `parent_down` asks about the parents' status too.
        let parents: Vec<CheckId> = checks.values().flat_map(|f| f.depends_on.iter()).cloned().collect();
        for id in parents {
            if let (std::collections::hash_map::Entry::Vacant(entry), Some(runtime)) =
                (checks.entry(id.clone()), engine.runtime(id.as_str()))
            {
                entry.insert(facts_of(&runtime));
            }
        }
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
