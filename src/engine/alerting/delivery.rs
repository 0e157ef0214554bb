//! Delivery: one task per channel the shell does not show, each taking its jobs from a
//! bounded queue one at a time, trying a failed one again after a growing wait
//! (`channel::backoff`, up to `channel::MAX_ATTEMPTS`), and recording how each attempt
//! went. Nothing waits on a receiver: a full queue gives the job up at once. A channel
//! that wants it (an Alertmanager) is also sent the incidents still open that were told
//! on it, every `resend`. A failing channel is `channel ID: why` in `/healthz` until a
//! delivery succeeds.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::alert::channel::{self, ChannelConfig, Context, DeliveryError, Firing, Payload, PayloadCheck};
use crate::engine::Engine;
use crate::model::Status;
use crate::store::{Delivery, WriteOp};

/// Deliveries waiting per channel; past it a notification is given up at once (a dead
/// receiver must not grow memory without bound).
const CHANNEL_QUEUE: usize = 1024;

/// One delivery to make.
pub(super) struct Job {
    pub id: i64,
    pub payload: Payload,
    pub attempts: u32,
}

impl Engine {
    /// Starts the delivery task of every channel the shell does not show.
    pub(super) fn start_deliveries(&self, workers: &mut tokio::task::JoinSet<()>, cancel: &CancellationToken) {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(3)).build();
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                self.note_degraded(&format!("notifications: cannot make an HTTP client: {e}"));
                return;
            }
        };
        for channel in self.config().channels.iter().filter(|c| !c.spec.shown_by_shell()) {
            let (sender, receiver) = mpsc::channel(CHANNEL_QUEUE);
            self.inner.alerting.with(|state| state.queues.insert(channel.id.clone(), sender));
            let context = Context { client: client.clone(), timeout: channel.timeout };
            workers.spawn(self.clone().deliveries(channel.clone(), context, receiver, cancel.clone()));
        }
    }

    /// Hands a job to its channel's task; a full queue gives it up, recorded.
    pub(super) async fn enqueue(&self, channel: &str, job: Job) {
        let queue = self.inner.alerting.with(|state| state.queues.get(channel).cloned());
        let Some(queue) = queue else { return };
        let id = job.id;
        if let Err(mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) = queue.try_send(job)
        {
            let error =
                format!("the channel's queue is full ({CHANNEL_QUEUE} waiting): its receiver is not keeping up");
            self.channel_failed(channel, &error);
            let delivery =
                Delivery { id, delivered: Some(false), attempts: job.attempts, error: Some(error), at: self.now() };
            self.record(WriteOp::Delivery(Box::new(delivery))).await;
        }
    }

    /// One channel's deliveries, one at a time, failed ones tried again after a
    /// growing wait.
    async fn deliveries(
        self,
        channel: ChannelConfig,
        context: Context,
        mut jobs: mpsc::Receiver<Job>,
        cancel: CancellationToken,
    ) {
        let mut retries: Vec<(Instant, Job)> = Vec::new();
        let resend = channel.spec.resend();
        let mut next_resend = resend.map(|r| crate::clock::instant_after(Instant::now(), r));
        loop {
            let next = retries.iter().map(|(at, _)| *at).min();
            let job = tokio::select! {
                _ = cancel.cancelled() => return,
                _ = sleep_until(next_resend) => {
                    next_resend = resend.map(|r| crate::clock::instant_after(Instant::now(), r));
                    self.refresh(&channel, &context).await;
                    continue;
                }
                job = jobs.recv() => match job {
                    Some(job) => job,
                    None => return,
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
            let outcome = tokio::select! {
                _ = cancel.cancelled() => return,
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

    fn channel_failed(&self, channel: &str, error: &str) {
        self.inner.alerting.with(|state| state.failing.insert(channel.to_owned(), error.to_owned()));
    }
}

/// Sleeps until `at`; never, without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
