//! One probe's way through the engine: the breaker's permit, the guarded probe, the
//! verdict on what it observed, the check's state machine, then the writer and the
//! subscribers. `check_once` is the same judging without a store (`watchkeeper check`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::evidence::{self, LastGood};
use super::{
    record, restore, CertExpiring, CheckRuntime, DegradedChange, Engine, Event, Flapping, IncidentResolved, Live,
    ServiceBreakerOpened,
};
use crate::breaker::{Breaker, Call, Permit};
use crate::condition::JsonCache;
use crate::config::{CheckConfig, Config};
use crate::model::{
    BreakerState, Failure, FailureClass, HealthWord, Observation, ProbeResult, ServiceBreaker, ServiceBreakers,
    ServiceHealth, Status, Verdict,
};
use crate::probe::{self, ProbeContext};
use crate::state::{Blame, Change, Flap, Thresholds};
use crate::store::{BreakerChange, IncidentRecord, PersistedState, ResultRecord, WriteOp};

/// What applying one result changed, to be written and published.
struct Applied {
    /// Incidents opened or resolved, and status changes: written before the result.
    ops: Vec<WriteOp>,
    /// The check's state after the result, written with it.
    state: PersistedState,
    /// The service's own breakers that turned OPEN with this result.
    breakers_opened: Vec<ServiceBreaker>,
    /// The check started or stopped flapping with this result.
    flapped: Option<Flapping>,
    /// When the incident this result resolved started.
    resolved_started_at: Option<DateTime<Utc>>,
    /// The check turned degraded, or up from degraded, with this result.
    degraded: Option<DegradedChange>,
    /// Its certificate's days left crossed one of `alert.cert_days`: (that threshold,
    /// the days left).
    cert_crossed: Option<(u16, i64)>,
    /// An incident opened on a target on this machine: the port it reaches, if any
    /// (this machine's figures are added to its evidence once read).
    local: Option<Option<(u16, probe::local::Transport)>>,
}

impl Applied {
    /// The incident this result opened, if it did.
    fn opened(&self) -> Option<i64> {
        self.ops.iter().find_map(|op| match op {
            WriteOp::OpenIncident { incident, .. } => Some(incident.id),
            _ => None,
        })
    }
}

/// What the service said about itself with a result.
struct Told {
    health: Option<ServiceHealth>,
    service_breakers: Option<ServiceBreakers>,
    /// The days left on the certificate it read (tls, https).
    cert_days: Option<i64>,
}

/// How long this machine's figures are waited for, for an incident's evidence.
const LOCAL_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

impl Engine {
    /// Probes once (through the breaker), applies the result and publishes it. A probe
    /// the breaker refuses records nothing: the check keeps its last real result (its
    /// cause), and only the breaker's own changes are written.
    pub(super) async fn run_once(&self, runtime: &Arc<CheckRuntime>, forced: bool) -> ProbeResult {
        let check = &runtime.config;
        let now = self.now();
        let (permit, before) = self.permit(runtime, forced, now);
        let result = match permit {
            Permit::Deny { until } => breaker_open(now, until),
            Permit::Allow => {
                let mut observation =
                    probe::guarded(&self.inner.checks.probes, &check.probe, check.timeout, check.interval).await;
                let mut json = JsonCache::default();
                let (result, failed) = judge(check, &observation, &mut json, self.now());
                if let Some(mut applied) = self.apply(runtime, &result, failed, before, &mut observation, &mut json) {
                    let local = applied.local.take().zip(applied.opened());
                    // Incidents and state changes (rare) wait for room in the writer's
                    // queue in a boxed future: every run would hold room for it.
                    let ops = std::mem::take(&mut applied.ops);
                    let events = match ops.is_empty() {
                        true => Vec::new(),
                        false => Box::pin(self.record_ops(runtime, ops, applied.resolved_started_at)).await,
                    };
                    self.persist_and_publish(runtime, &result, applied, events);
                    if let Some((port, incident)) = local {
                        // Boxed, like `heal`: rare, and each run would hold room for them.
                        let gathering = Box::pin(probe::local::gather(&self.inner.checks.probes.system, port));
                        if let Ok(Some(local)) = tokio::time::timeout(LOCAL_WAIT, gathering).await {
                            self.record(WriteOp::EvidenceLocal { incident, local: Box::new(local) }).await;
                        }
                    }
                }
                result
            }
        };
        if check.auto_action.is_some() {
            Box::pin(self.heal(runtime)).await;
        }
        result
    }

    /// Whether the breaker lets a probe through at `now`, and its state before it was
    /// asked (an open breaker whose wait is over turns half-open here). An explicit
    /// probe (a verification) of an open breaker is a trial.
    fn permit(&self, runtime: &CheckRuntime, forced: bool, now: DateTime<Utc>) -> (Permit, BreakerState) {
        let mut live = crate::panics::lock(&runtime.live);
        let before = live.breaker.state;
        if forced {
            live.breaker.trial_now();
        }
        (live.breaker.permit(now), before)
    }

    /// Feeds a result to the check's breaker and state machine; `None` when its state
    /// is poisoned (a bug elsewhere panicked holding it). What the service said about
    /// itself is taken from `observation`; what it showed is kept as the check's last
    /// good result, or as the evidence of the incident it opens.
    fn apply(
        &self,
        runtime: &CheckRuntime,
        result: &ProbeResult,
        failed: Vec<String>,
        breaker_before: BreakerState,
        observation: &mut Observation,
        json: &mut JsonCache,
    ) -> Option<Applied> {
        let check = &runtime.config;
        // Every good result leaves one: built before the lock is taken, unless it looks
        // like the last one (most do), which is then taken again.
        let fingerprint = result.ok().then(|| evidence::fingerprint(observation));
        let same = |live: &Live| live.last_good.as_ref().is_some_and(|good| Some(good.fingerprint) == fingerprint);
        let again = fingerprint.is_some() && same(&crate::panics::lock(&runtime.live));
        let good =
            (fingerprint.is_some() && !again).then(|| Box::new(LastGood::of(check, observation, json, result.at)));
        // Read before this check's own lock is taken: two locks are never held at once.
        let parent_down = check.depends_on.iter().find(|parent| {
            self.runtime(parent.as_str())
                .map(|p| crate::panics::lock(&p.live).tracked.state.status == Status::Down)
                .unwrap_or(false)
        });
        let mut live = crate::panics::lock(&runtime.live);
        // A probe that could not run (unknown) is no call of the target's.
        if !matches!(result.verdict, Verdict::Unknown(_)) {
            let slow = check.breaker.is_some_and(|b| result.latency.is_some_and(|l| l > b.slow_call));
            live.breaker.record(Call { failed: !result.ok(), slow }, result.at);
        }
        let thresholds = thresholds(check, live.breaker.state, &result.verdict);
        let breaker_changes = breaker_changes(check, &live.breaker, breaker_before, result.at);
        if check.remote() && matches!(result.verdict, Verdict::Down(_)) {
            self.remote_failed();
        }
        let blame = match parent_down {
            Some(parent) => Some(Blame::ParentDown(parent.as_str())),
            None if check.remote() && self.offline() => Some(Blame::NoNetwork),
            None => None,
        };
        let since_before = live.tracked.state.since;
        let transition = live.tracked.apply(result, thresholds, blame);
        let degraded = match transition.status {
            Some((from, Status::Degraded)) if from != Status::Degraded => Some((true, chrono::TimeDelta::zero())),
            Some((Status::Degraded, Status::Up)) => Some((false, result.at - since_before)),
            _ => None,
        }
        .map(|(started, lasted)| DegradedChange {
            check_id: check.id.clone(),
            check_name: check.name.clone(),
            started,
            reason: live.tracked.state.reason.clone().unwrap_or_else(|| result.message.clone()),
            lasted,
        });
        // The check's own changes only: not a failure blamed on its parent or the
        // network, not a probe that could not run, not a result in a maintenance window.
        let own =
            blame.is_none() && live.tracked.maintenance.is_none() && !matches!(result.verdict, Verdict::Unknown(_));
        let flap_config = self.config().alerts.flap.filter(|_| own);
        let flapped = flap_config.and_then(|config| {
            let flap = live.flap.record(result.verdict.status(), &config)?;
            let (started, percent) = match flap {
                Flap::Started { percent } => (true, percent),
                Flap::Stopped { percent } => (false, percent),
            };
            tracing::info!(check = %check.id, started, percent, "flapping");
            Some(Flapping {
                check_id: check.id.clone(),
                check_name: check.name.clone(),
                started,
                percent,
                window: config.window,
                status: result.verdict.status(),
            })
        });
        let resolved_started_at = match transition.resolved {
            Some(_) => live.incident_started_at.take(),
            None => None,
        };
        let opened = transition.open.map(|cause| {
            let mut incident = self.new_incident(check, cause, failed, result.at);
            let observed = evidence::observed(check, observation, json, true);
            let failed = observation.failure.is_some();
            incident.evidence =
                Some(Box::new(evidence::evidence(result.at, observed, live.last_good.as_deref(), failed)));
            live.tracked.state.open_incident = Some(incident.id);
            live.incident_started_at = Some(incident.started_at);
            incident
        });
        live.last = Some(result.clone());
        match (good, &mut live.last_good) {
            (Some(good), _) => live.last_good = Some(good),
            (None, Some(last)) if fingerprint == Some(last.fingerprint) => last.again(observation, result.at),
            _ => {}
        }
        let cert_days = match observation.value("cert_days").as_deref() {
            Some(crate::model::Value::Int(days)) => Some(*days),
            _ => None,
        };
        let told = Told {
            health: observation.health.take(),
            service_breakers: observation.service_breakers.take(),
            cert_days,
        };
        let local = opened.is_some() && check.probe.on_this_machine();
        // What the service said about itself with it (kept when it says nothing now only
        // if the probe could not run).
        let probed = !matches!(result.verdict, Verdict::Unknown(_));
        if told.health.is_some() || probed {
            live.health = told.health;
        }
        // The service's breakers that turned OPEN since the last read (none on the
        // first read after a start: what was open then was already there).
        let mut breakers_opened = Vec::new();
        if let (Some(now), Some(before)) = (&told.service_breakers, &live.service_breakers) {
            let was_open = |name: &str| before.breakers.iter().any(|b| b.name == name && b.is_open());
            breakers_opened = now.breakers.iter().filter(|b| b.is_open() && !was_open(&b.name)).cloned().collect();
        }
        if told.service_breakers.is_some() || probed {
            live.service_breakers = told.service_breakers;
        }
        let cert_crossed = told.cert_days.and_then(|days| {
            let threshold = live.cert.see(days, &check.alert.cert_days)?;
            tracing::info!(check = %check.id, days, threshold, "certificate nears its expiry");
            Some((threshold, days))
        });
        // Every op carries the check's state after this result, so an incident and the
        // state naming it commit together: a crash cannot split them.
        let state = restore::persist(&check.id, &live);
        let mut ops: Vec<WriteOp> = breaker_changes
            .into_iter()
            .map(|change| {
                tracing::info!(check = %check.id, from = %change.from, to = %change.to, reason = %change.reason, "breaker");
                WriteOp::BreakerChange { change, state: state.clone() }
            })
            .collect();
        if let Some(incident) = opened {
            ops.push(WriteOp::OpenIncident { incident: Box::new(incident), state: state.clone() });
        }
        if let Some(id) = transition.resolved {
            ops.push(WriteOp::ResolveIncident { id, at: result.at, state: state.clone(), resolution: None });
        }
        if let Some((from, to)) = transition.status {
            if from == Status::Unknown {
                // It can turn stale now, and the sweep may be sleeping past that moment.
                self.inner.checks.sweep_now.notify_one();
            }
            let reason = live.tracked.state.reason.clone();
            tracing::info!(check = %check.id, %from, %to, reason = reason.as_deref().unwrap_or(""), "status changed");
            ops.push(record::state_change(result.at, Change { from, to, reason }, state.clone()));
        }
        let local = local.then(|| check.probe.port());
        Some(Applied { ops, state, breakers_opened, flapped, resolved_started_at, degraded, cert_crossed, local })
    }

    /// A new incident of `check`, with the next id.
    pub(super) fn new_incident(
        &self,
        check: &CheckConfig,
        cause: Failure,
        failed: Vec<String>,
        at: DateTime<Utc>,
    ) -> IncidentRecord {
        IncidentRecord {
            id: self.inner.checks.next_incident.fetch_add(1, Ordering::SeqCst) + 1,
            check_id: check.id.clone(),
            started_at: at,
            resolved_at: None,
            failure_class: cause.class,
            cause: cause.message,
            failed_conditions: failed,
            acked: false,
            acked_at: None,
            note: None,
            evidence: None,
            resolution: None,
        }
    }

    /// Records a result's incidents and state changes, and gives the events they make.
    /// They go to the writer before the result (the state queued with the result may
    /// name an incident, and the database holds it to that).
    async fn record_ops(
        &self,
        runtime: &CheckRuntime,
        ops: Vec<WriteOp>,
        resolved_started_at: Option<DateTime<Utc>>,
    ) -> Vec<Event> {
        let check_id = &runtime.config.id;
        let mut events = Vec::new();
        for op in ops {
            match &op {
                WriteOp::OpenIncident { incident, .. } => {
                    events.push(Event::IncidentOpened(incident.clone()));
                }
                WriteOp::ResolveIncident { id, at, .. } => {
                    let started_at = resolved_started_at;
                    let resolved = IncidentResolved { id: *id, check_id: check_id.clone(), started_at, at: *at };
                    events.push(Event::IncidentResolved(Box::new(resolved)));
                }
                _ => {}
            }
            self.record(op).await;
        }
        events
    }

    /// Queues the result (after `record_ops`), publishes the check, then tells `events`
    /// and what else the result did: subscribers see the check's new state before the
    /// incident it opened.
    fn persist_and_publish(
        &self,
        runtime: &CheckRuntime,
        result: &ProbeResult,
        applied: Applied,
        mut events: Vec<Event>,
    ) {
        let check_id = &runtime.config.id;
        self.record_result(result_record(check_id, result), applied.state);
        self.publish(runtime);
        for breaker in applied.breakers_opened {
            tracing::warn!(check = %check_id, breaker = %breaker.name, "a service breaker opened");
            events.push(Event::ServiceBreakerOpened(Box::new(ServiceBreakerOpened {
                check_id: check_id.clone(),
                check_name: runtime.config.name.clone(),
                breaker,
            })));
        }
        if let Some(flapped) = applied.flapped {
            events.push(Event::Flapping(Box::new(flapped)));
        }
        if let Some((threshold, days)) = applied.cert_crossed {
            events.push(Event::CertExpiring(Box::new(CertExpiring {
                check_id: check_id.clone(),
                check_name: runtime.config.name.clone(),
                threshold,
                days,
            })));
        }
        if let Some(degraded) = applied.degraded {
            events.push(Event::Degraded(Box::new(degraded)));
        }
        for event in events {
            self.emit(event);
        }
    }
}

/// The check's thresholds for this result, as its breaker bends them: a breaker that
/// opens (or opens again) on a failure turns the check down at once (it is not probed again to count up
/// to `failure_threshold`), and successes resolve nothing until the breaker has closed,
/// so its trials make one incident, told once.
fn thresholds(check: &CheckConfig, breaker: BreakerState, verdict: &Verdict) -> Thresholds {
    let mut thresholds = Thresholds::new(check.failure_threshold, check.success_threshold);
    if breaker.spares_target() && matches!(verdict, Verdict::Down(_)) {
        thresholds.failure = 1;
    }
    thresholds.may_recover = !matches!(breaker, BreakerState::HalfOpen | BreakerState::Open | BreakerState::ForcedOpen);
    thresholds
}

/// What a breaker did between `before` and now: a half-open step for the trial (the
/// permit's), then what the result did.
fn breaker_changes(
    check: &CheckConfig,
    breaker: &Breaker,
    before: BreakerState,
    at: DateTime<Utc>,
) -> Vec<BreakerChange> {
    if check.breaker.is_none() || breaker.state == before && before != BreakerState::HalfOpen {
        return Vec::new();
    }
    let change = |from: BreakerState, to: BreakerState, reason: String| BreakerChange {
        check_id: check.id.clone(),
        at,
        from,
        to,
        reason,
        by: None,
    };
    let mut changes = Vec::new();
    let mut from = before;
    if before == BreakerState::Open {
        // Its wait was over (or a probe was asked for): the trial.
        let reason = breaker.reason(BreakerState::Open, BreakerState::HalfOpen, at);
        changes.push(change(BreakerState::Open, BreakerState::HalfOpen, reason));
        from = BreakerState::HalfOpen;
    }
    if breaker.state != from {
        changes.push(change(from, breaker.state, breaker.reason(from, breaker.state, at)));
    }
    changes
}

/// What a probe the breaker refused answers (an explicit probe of a breaker forced
/// open): the target was not contacted, and nothing is recorded.
fn breaker_open(now: DateTime<Utc>, until: Option<DateTime<Utc>>) -> ProbeResult {
    let message = match until {
        Some(until) => format!("breaker open: not probed until {}", until.format("%H:%M:%S UTC")),
        None => "breaker forced open: not probed until it is reset".to_owned(),
    };
    let failure = Failure::new(FailureClass::BreakerOpen, message.clone());
    ProbeResult { at: now, latency: None, verdict: Verdict::Down(failure), message, value: None }
}

/// Applies `expect` and `degraded_if` to an observation. Returns the verdict and the
/// failed conditions ("expected X, got Y").
pub fn evaluate(check: &CheckConfig, observation: &Observation) -> (Verdict, Vec<String>) {
    evaluate_in(check, observation, &mut JsonCache::default())
}

/// [`evaluate`], with the body parsed at most once into `json` (kept for the evidence).
fn evaluate_in(check: &CheckConfig, observation: &Observation, json: &mut JsonCache) -> (Verdict, Vec<String>) {
    if let Some(failure) = &observation.failure {
        if failure.class == FailureClass::ProbeError {
            return (Verdict::Unknown(failure.message.clone()), Vec::new());
        }
        return (Verdict::Down(failure.clone()), Vec::new());
    }
    let mut failed = Vec::new();
    let mut class = None;
    for condition in &check.expect {
        if let Err(mismatch) = condition.evaluate(observation, json) {
            class = class.or_else(|| check.probe.failure_class_of(condition.subject.root()));
            failed.push(mismatch.to_string());
        }
    }
    let health = observation.health.as_ref();
    if !failed.is_empty() {
        // A service that names its components down: they are the cause.
        let failure = match health.and_then(|h| components_in(check, h, HealthWord::Down)) {
            Some(cause) => Failure::new(check.probe.parts().down, format!("{cause} ({})", failed.join("; "))),
            None => Failure::new(class.unwrap_or(FailureClass::Condition), failed.join("; ")),
        };
        return (Verdict::Down(failure), failed);
    }
    // The conditions hold; the service's own word: down is down, warn is degraded, and
    // a component down under an overall up (a custom aggregation) degrades it.
    if let Some(health) = health {
        match health.overall() {
            HealthWord::Down => {
                let cause = components_in(check, health, HealthWord::Down)
                    .unwrap_or_else(|| format!("the service says it is {}", health.status));
                return (Verdict::Down(Failure::new(check.probe.parts().down, cause)), Vec::new());
            }
            _ => {
                let failing = components_in(check, health, HealthWord::Down)
                    .or_else(|| components_in(check, health, HealthWord::Warn));
                if let Some(cause) = failing.or_else(|| {
                    (health.overall() == HealthWord::Warn).then(|| format!("the service says {}", health.status))
                }) {
                    return (Verdict::Degraded(cause), Vec::new());
                }
            }
        }
    }
    // A breaker of the service's own open: it fails its calls to a dependency fast.
    if let Some(open) = observation.service_breakers.as_ref().and_then(|b| b.breakers.iter().find(|b| b.is_open())) {
        return (Verdict::Degraded(crate::words::service_breaker(open)), Vec::new());
    }
    for condition in &check.degraded_if {
        let (holds, got) = condition.test(observation, json);
        if holds {
            return (Verdict::Degraded(format!("{} (got {got})", condition.source)), Vec::new());
        }
    }
    (Verdict::Up, Vec::new())
}

/// The components in `status`, named as the check's kind calls them, with their
/// detail: `component db.replica is DOWN: Connection refused`, `alert DiskFull (db-1) is
/// critical: …`; `None` when there are none.
fn components_in(check: &CheckConfig, health: &ServiceHealth, status: HealthWord) -> Option<String> {
    let parts = check.probe.parts();
    let found = health.in_state(status);
    match found.as_slice() {
        [] => None,
        [one] => Some(match &one.detail {
            Some(detail) => format!("{} {} is {}: {detail}", parts.one, one.name, one.status),
            None => format!("{} {} is {}", parts.one, one.name, one.status),
        }),
        several => {
            let names: Vec<&str> = several.iter().map(|c| c.name.as_str()).collect();
            Some(format!("{} {} are {}", parts.several, names.join(", "), several[0].status))
        }
    }
}

/// The result of an observation, with its one-line message, and the failed conditions.
fn judge(
    check: &CheckConfig,
    observation: &Observation,
    json: &mut JsonCache,
    at: DateTime<Utc>,
) -> (ProbeResult, Vec<String>) {
    let (verdict, failed) = evaluate_in(check, observation, json);
    let message = match &verdict {
        Verdict::Down(failure) => failure.message.clone(),
        Verdict::Unknown(why) => why.clone(),
        Verdict::Degraded(why) => format!("{}; degraded: {why}", observation.summary),
        Verdict::Up => observation.summary.clone(),
    };
    let value = check.probe.measure().and_then(|m| m.of(observation));
    (ProbeResult { at, latency: observation.latency, verdict, message, value }, failed)
}

fn result_record(check_id: &crate::model::CheckId, result: &ProbeResult) -> ResultRecord {
    ResultRecord {
        check_id: check_id.clone(),
        at: result.at,
        status: result.verdict.status(),
        latency_us: result.latency.map(|l| l.as_micros() as i64),
        failure_class: result.verdict.failure_class(),
        message: result.message.clone(),
        value: result.value,
    }
}

/// Runs every check once, concurrently within the in-flight bound, without a store:
/// `watchkeeper check`.
pub async fn check_once(config: &Config, ids: &[String]) -> Vec<(Arc<CheckConfig>, ProbeResult)> {
    let context = ProbeContext::default();
    context.prepare(config.checks.iter().map(|c| &c.probe));
    let semaphore = Arc::new(Semaphore::new(config.settings.max_in_flight));
    let mut tasks = JoinSet::new();
    for (position, check) in config.checks.iter().enumerate() {
        if !ids.is_empty() && !ids.iter().any(|id| id == check.id.as_str()) {
            continue;
        }
        let check = check.clone();
        let context = context.clone();
        let semaphore = semaphore.clone();
        tasks.spawn(async move {
            let _permit = semaphore.acquire_owned().await;
            let observation = probe::guarded(&context, &check.probe, check.timeout, check.interval).await;
            let (result, _) = judge(&check, &observation, &mut JsonCache::default(), Utc::now());
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
