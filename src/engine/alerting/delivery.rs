//! Delivery: one task per channel the shell does not show, each taking its jobs from a
//! bounded queue one at a time, trying a failed one again after a growing wait
//! (`channel::backoff`, up to `channel::MAX_ATTEMPTS`), and recording how each attempt
//! went. Nothing waits on a receiver: a full queue gives the job up at once. A channel
//! that wants it (an Alertmanager) is also sent the incidents still open that were told
//! on it, every `resend`. A failing channel is `channel ID: why` in `/healthz` until a
//! delivery succeeds.
//!
//! A reload changes the tasks in place (`reconfigure_channels`): a changed channel's
//! task takes its new form between two attempts, keeping its queue and its retries; a
//! new channel gets a task; a removed one's task ends, giving up what it still held as
//! "removed from config".

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::alert::channel::{self, ChannelConfig, Context, DeliveryError, Firing, Payload, PayloadCheck};
use crate::engine::Engine;
use crate::model::Status;
use crate::store::{Delivery, WriteOp};

/// Deliveries waiting per channel; past it a notification is given up at once (a dead
/// receiver must not grow memory without bound).
const CHANNEL_QUEUE: usize = 1024;

/// A channel's delivery task, as the alerting state keeps it.
pub(super) struct Worker {
    /// The channel as the config has it now; the task reads it before each attempt.
    config: watch::Sender<ChannelConfig>,
    /// The channel's form (secrets by value), to tell a changed one.
    fingerprint: String,
    /// Ends the task: the engine's stop, or the channel's removal.
    stop: CancellationToken,
}

/// A channel's form, secrets by value.
fn fingerprint(channel: &ChannelConfig) -> String {
    crate::secret::revealed(|| format!("{channel:?}"))
}

/// One delivery to make.
pub(super) struct Job {
    pub id: i64,
    pub payload: Payload,
    pub attempts: u32,
}

impl Engine {
    /// Starts the delivery task of every channel the shell does not show.
    pub(super) fn start_deliveries(&self) {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(3)).build();
        match client {
            Ok(client) => self.inner.alerting.with(|state| state.client = Some(client)),
            Err(e) => {
                self.note_degraded(&format!("notifications: cannot make an HTTP client: {e}"));
                return;
            }
        }
        self.reconfigure_channels();
    }

    /// Brings the delivery tasks in line with the running config's channels: a new one
    /// gets a task, a changed one is handed its new form, a removed one's task ends.
    /// Gives the ids of the channels started, changed and ended. Before the tasks are
    /// first started (no HTTP client yet) there is nothing to do.
    pub(in crate::engine) fn reconfigure_channels(&self) -> Vec<String> {
        let config = self.config();
        let wanted: Vec<&ChannelConfig> = config.channels.iter().filter(|c| !c.spec.shown_by_shell()).collect();
        let mut touched = Vec::new();
        let mut start = Vec::new();
        let client = self.inner.alerting.with(|state| {
            let client = state.client.clone()?;
            let super::State { workers, queues, failing, .. } = state;
            workers.retain(|id, worker| {
                let kept = wanted.iter().any(|c| &c.id == id);
                if !kept {
                    worker.stop.cancel();
                    queues.remove(id);
                    failing.remove(id);
                    touched.push(id.clone());
                }
                kept
            });
            for channel in &wanted {
                let form = fingerprint(channel);
                match workers.get_mut(&channel.id) {
                    Some(worker) if worker.fingerprint == form => {}
                    Some(worker) => {
                        worker.fingerprint = form;
                        worker.config.send_replace((*channel).clone());
                        failing.remove(&channel.id);
                        touched.push(channel.id.clone());
                    }
                    None => {
                        let (sender, jobs) = mpsc::channel(CHANNEL_QUEUE);
                        queues.insert(channel.id.clone(), sender);
                        let (config, form_now) = watch::channel((*channel).clone());
                        let stop = self.inner.stopping.child_token();
                        workers.insert(channel.id.clone(), Worker { config, fingerprint: form, stop: stop.clone() });
                        start.push((form_now, jobs, stop));
                        touched.push(channel.id.clone());
                    }
                }
            }
            Some(client)
        });
        if let Some(client) = client {
            let mut tasks = crate::panics::lock(&self.inner.alerting.deliveries);
            // The tasks of channels removed earlier are done: let them go.
            while tasks.try_join_next().is_some() {}
            for (channel, jobs, stop) in start {
                tasks.spawn(self.clone().deliveries(channel, client.clone(), jobs, stop));
            }
        }
        touched
    }

    /// Hands a job to its channel's task; a full queue gives it up, recorded.
    pub(super) async fn enqueue(&self, channel: &str, job: Job) {
        let queue = self.inner.alerting.with(|state| state.queues.get(channel).cloned());
        let id = job.id;
        // No queue, or a closed one: a reload removed its channel (or made it the
        // shell's) as this was decided. Given up, as its task gives up what it held.
        let removed = || crate::words::REMOVED_FROM_CONFIG.to_owned();
        let (job, error) = match queue {
            // Without an HTTP client no channel has a queue: left for the next start.
            None if self.config().channel(channel).is_some_and(|c| !c.spec.shown_by_shell()) => return,
            None => (job, removed()),
            Some(queue) => match queue.try_send(job) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(job)) => {
                    let error = format!(
                        "the channel's queue is full ({CHANNEL_QUEUE} waiting): its receiver is not keeping up"
                    );
                    self.channel_failed(channel, &error);
                    (job, error)
                }
                Err(mpsc::error::TrySendError::Closed(job)) => (job, removed()),
            },
        };
        let delivery =
            Delivery { id, delivered: Some(false), attempts: job.attempts, error: Some(error), at: self.now() };
        self.record(WriteOp::Delivery(Box::new(delivery))).await;
    }

    /// One channel's deliveries, one at a time, failed ones tried again after a
    /// growing wait.
    async fn deliveries(
        self,
        mut form: watch::Receiver<ChannelConfig>,
        client: reqwest::Client,
        mut jobs: mpsc::Receiver<Job>,
        cancel: CancellationToken,
    ) {
        let mut channel = form.borrow_and_update().clone();
        let mut context = Context { client, timeout: channel.timeout };
        let mut retries: Vec<(Instant, Job)> = Vec::new();
        let mut resend = channel.spec.resend();
        let mut next_resend = resend.map(|r| crate::clock::instant_after(Instant::now(), r));
        loop {
            let next = retries.iter().map(|(at, _)| *at).min();
            let job = tokio::select! {
                _ = cancel.cancelled() => return self.give_up(&channel.id, jobs, retries).await,
                Ok(()) = form.changed() => {
                    channel = form.borrow_and_update().clone();
                    context.timeout = channel.timeout;
                    if channel.spec.resend() != resend {
                        resend = channel.spec.resend();
                        next_resend = resend.map(|r| crate::clock::instant_after(Instant::now(), r));
                    }
                    tracing::info!(channel = %channel.id, "channel reconfigured");
                    continue;
                }
                _ = sleep_until(next_resend) => {
                    next_resend = resend.map(|r| crate::clock::instant_after(Instant::now(), r));
                    self.refresh(&channel, &context).await;
                    continue;
                }
                job = jobs.recv() => match job {
                    Some(job) => job,
                    // Its queue goes with its channel's removal.
                    None => return self.give_up(&channel.id, jobs, retries).await,
                },
                _ = sleep_until(next) => {
                    let now = Instant::now();
                    let Some(i) = retries.iter().position(|(at, _)| *at <= now) else { continue };
                    retries.swap_remove(i).1
                }
            };
            let mut job = job;
            job.attempts += 1;
            // The channel's own timeout bounds an attempt; this is a backstop.
            let attempt = tokio::time::timeout(
                channel.timeout + Duration::from_secs(1),
                channel.spec.deliver(&context, &job.payload),
            );
            // An attempt under way ends before a removal is heeded (the receiver may
            // have it already); the engine's stop does not wait for it.
            let outcome = tokio::select! {
                _ = self.inner.stopping.cancelled() => return,
                outcome = attempt => outcome.unwrap_or_else(|_| Err(DeliveryError("timed out".into()))),
            };
            let now = self.now();
            let delivery = match outcome {
                Ok(()) => {
                    self.inner.alerting.with(|state| state.failing.remove(&channel.id));
                    Delivery { id: job.id, delivered: Some(true), attempts: job.attempts, error: None, at: now }
                }
                Err(error) => {
                    self.channel_failed(&channel.id, &error.0);
                    let gave_up = job.attempts >= channel::MAX_ATTEMPTS;
                    tracing::warn!(channel = %channel.id, id = job.id, attempts = job.attempts, gave_up, error = %error.0, "delivery failed");
                    let delivery = Delivery {
                        id: job.id,
                        delivered: gave_up.then_some(false),
                        attempts: job.attempts,
                        error: Some(error.0),
                        at: now,
                    };
                    if !gave_up {
                        retries.push((Instant::now() + channel::backoff(job.attempts), job));
                    }
                    delivery
                }
            };
            self.record(WriteOp::Delivery(Box::new(delivery))).await;
        }
    }

    /// A task's end. At the engine's stop what it held stays pending, for the next
    /// start to take up; at its channel's removal each is given up, recorded.
    async fn give_up(&self, channel: &str, mut jobs: mpsc::Receiver<Job>, retries: Vec<(Instant, Job)>) {
        if self.inner.stopping.is_cancelled() {
            return;
        }
        jobs.close();
        let mut held: Vec<Job> = retries.into_iter().map(|(_, job)| job).collect();
        while let Ok(job) = jobs.try_recv() {
            held.push(job);
        }
        tracing::info!(channel, given_up = held.len(), "channel removed from the config");
        for job in held {
            let error = Some(crate::words::REMOVED_FROM_CONFIG.to_owned());
            let delivery =
                Delivery { id: job.id, delivered: Some(false), attempts: job.attempts, error, at: self.now() };
            self.record(WriteOp::Delivery(Box::new(delivery))).await;
        }
    }

    /// Sends a channel the incidents still open that were told on it.
    async fn refresh(&self, channel: &ChannelConfig, context: &Context) {
        let now = self.now();
        let firing: Vec<Firing> = self.inner.alerting.with(|state| {
            let open = state.policy.open_incidents().values().filter(|o| o.told.contains(&channel.id));
            open.map(|o| Firing {
                check: PayloadCheck {
                    id: o.subject.check.to_string(),
                    name: o.subject.name.clone(),
                    group: o.subject.group.clone(),
                    status: Status::Down.as_str().to_owned(),
                    severity: o.subject.alert.severity.as_str().to_owned(),
                },
                title: format!("{} down", o.subject.name),
                cause: o.cause.clone(),
                since: o.opened_at,
            })
            .collect()
        });
        match channel.spec.refresh(context, &firing, now).await {
            Ok(()) if !firing.is_empty() => {
                self.inner.alerting.with(|state| state.failing.remove(&channel.id));
            }
            Ok(()) => {}
            Err(error) => {
                tracing::warn!(channel = %channel.id, error = %error.0, "re-sending open alerts failed");
                self.channel_failed(&channel.id, &error.0);
            }
        }
    }

    /// Says a channel failing in `/healthz`, unless a reload has removed it meanwhile.
    fn channel_failed(&self, channel: &str, error: &str) {
        self.inner.alerting.with(|state| {
            if state.workers.contains_key(channel) {
                state.failing.insert(channel.to_owned(), error.to_owned());
            }
        });
    }
}

/// Sleeps until `at`; never, without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
