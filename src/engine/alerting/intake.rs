//! What the policy hears: the engine's events that may be told, worded for people; the
//! open incidents taken back at start with what was told of them; and, after missed
//! events, the open incidents taken again from the checks.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::delivery::Job;
use crate::alert::{Happening, OpenIncident, Subject};
use crate::engine::{Engine, Event};
use crate::model::{NotifyEvent, Status, Suppressed};
use crate::store::NotificationFilter;

impl Engine {
    /// An engine event as the policy hears it.
    pub(super) fn offer(&self, event: Event) {
        let now = self.now();
        let (check_id, happening) = match event {
            Event::IncidentOpened(incident) => {
                let hint = incident.failure_class.resolution().to_owned();
                let evidence = incident.evidence.as_deref().and_then(crate::engine::evidence::headline);
                let happening =
                    Happening::Opened { incident: incident.id, cause: incident.cause.clone(), hint, evidence };
                (incident.check_id.clone(), happening)
            }
            Event::IncidentResolved(resolved) => {
                (resolved.check_id, Happening::Resolved { incident: resolved.id, started_at: None })
            }
            Event::RestartLoop(event) => {
                let config = self.config();
                let action = config.action(event.action.as_str()).map_or(event.action.as_str(), |a| a.name.as_str());
                let (title, body) = crate::words::restart_loop(
                    &event.check_name,
                    action,
                    &event.budget,
                    event.retry_at,
                    self.inner.zone.as_ref(),
                );
                (event.check_id.clone(), Happening::Notice { event: NotifyEvent::RestartLoop, title, body })
            }
            Event::ServiceBreakerOpened(event) => {
                let (title, body) = crate::words::service_breaker_opened(&event.check_name, &event.breaker);
                (event.check_id.clone(), Happening::Notice { event: NotifyEvent::ServiceBreaker, title, body })
            }
            Event::CertExpiring(event) => {
                let (title, body) = crate::words::cert_expiring(&event.check_name, event.days, event.threshold);
                (event.check_id.clone(), Happening::Notice { event: NotifyEvent::CertExpiry, title, body })
            }
            Event::Network(change) => {
                let Some(why) = &change.down else { return };
                let body = format!("{why}\nremote checks are unknown until it is back");
                // The checks first: their locks come before the policy's.
                let snapshot = self.snapshot();
                self.inner.alerting.with(|state| {
                    for check in snapshot.iter().filter(|c| c.config.remote() && c.status != Status::Paused) {
                        let title = "no network".to_owned();
                        let happening = Happening::Notice { event: NotifyEvent::NoNetwork, title, body: body.clone() };
                        state.policy.offer(subject_of(&check.config), happening, now);
                    }
                });
                return;
            }
            Event::Degraded(change) => {
                let (title, body) =
                    crate::words::degraded(&change.check_name, change.started, &change.reason, change.lasted);
                let event = if change.started { NotifyEvent::Degraded } else { NotifyEvent::Restored };
                (change.check_id.clone(), Happening::Notice { event, title, body })
            }
            Event::Flapping(event) => {
                let (title, body) =
                    crate::words::flapping(&event.check_name, event.started, event.percent, event.window, event.status);
                (event.check_id.clone(), Happening::Notice { event: NotifyEvent::Flapping, title, body })
            }
            _ => return,
        };
        let Some(check) = self.check(check_id.as_str()) else { return };
        // A paused check raises nothing (its incidents resolve as the pause begins).
        if check.status == Status::Paused && !matches!(happening, Happening::Resolved { .. }) {
            return;
        }
        let subject = subject_of(&check.config);
        self.inner.alerting.with(|state| state.policy.offer(subject, happening, now));
    }

    /// After missed events: incidents the checks no longer have open are forgotten (their
    /// resolutions were missed), and those they have that the policy does not know are
    /// told.
    pub(super) fn resync_incidents(&self) {
        let now = self.now();
        let snapshot = self.snapshot();
        self.inner.alerting.with(|state| {
            let known: Vec<i64> = state.policy.open_incidents().keys().copied().collect();
            for incident in known {
                if !snapshot.iter().any(|c| c.open_incident == Some(incident)) {
                    state.policy.forget(incident);
                }
            }
            for check in snapshot.iter().filter(|c| c.status != Status::Paused) {
                let Some(incident) = check.open_incident else { continue };
                let cause = check.last.as_ref().map(|l| l.message.clone()).unwrap_or_default();
                let happening = Happening::Opened { incident, cause, hint: String::new(), evidence: None };
                // Known ones are ignored by the policy.
                state.policy.offer(subject_of(&check.config), happening, now);
            }
        });
    }

    /// Takes back what was open or pending before the last stop.
    pub(super) async fn restore_alerts(&self) {
        let now = self.now();
        let store = self.store().clone();
        if let Ok(silences) = store.silences_now(now) {
            self.add_silences(silences);
        }
        for check in self.snapshot() {
            let Some(incident) = check.open_incident else { continue };
            let filter = NotificationFilter { incident: Some(incident), limit: 1000, ..NotificationFilter::default() };
            let told = store.notifications(filter).await.unwrap_or_default();
            let acked = store.incident_alerting(incident).await.ok().and_then(|(acked_at, _)| acked_at).is_some();
            let subject = subject_of(&check.config);
            self.inner.alerting.with(|state| {
                if told.is_empty() {
                    // Decided on nothing before the stop: told now.
                    let cause = check.reason.clone().unwrap_or_else(|| "down".to_owned());
                    let happening = Happening::Opened { incident, cause, hint: String::new(), evidence: None };
                    state.policy.offer(subject, happening, now);
                    return;
                }
                let sent = |event: NotifyEvent| told.iter().filter(move |n| n.event == event && n.suppressed.is_none());
                let channels: BTreeSet<String> = sent(NotifyEvent::Opened).map(|n| n.channel.clone()).collect();
                // Reminders count as the policy counted them: sent or held (by a silence,
                // quiet hours), but not the one an acknowledgement held back.
                let reminders = told
                    .iter()
                    .filter(|n| n.event == NotifyEvent::Reminder && n.suppressed != Some(Suppressed::Acked))
                    .map(|n| n.at)
                    .collect::<BTreeSet<_>>();
                let last = sent(NotifyEvent::Opened).map(|n| n.at).chain(reminders.iter().copied()).max();
                let opened_at = told.iter().map(|n| n.at).min().unwrap_or(now);
                let held = told
                    .iter()
                    .find(|n| n.event == NotifyEvent::Opened && n.suppressed.is_some())
                    .and_then(|n| n.suppressed);
                let max = state.policy.settings().max_reminders;
                let repeat = subject.alert.repeat;
                let open = OpenIncident {
                    cause: check.last.as_ref().map(|l| l.message.clone()).unwrap_or_default(),
                    opened_at,
                    held: if channels.is_empty() { held } else { None },
                    reminders: reminders.len() as u32,
                    next_reminder: match (repeat, last) {
                        (Some(repeat), Some(last)) if (reminders.len() as u32) < max && !channels.is_empty() => {
                            Some(crate::clock::later(last, repeat))
                        }
                        _ => None,
                    },
                    told: channels.into_iter().collect(),
                    acked,
                    deferred: false,
                    subject,
                };
                state.policy.restore(incident, open);
            });
        }
        for record in store.pending_notifications_now().unwrap_or_default() {
            match self.config().channel(&record.channel) {
                Some(channel) if !channel.spec.shown_by_shell() => {
                    let job = Job { id: record.id, payload: self.payload(&record), attempts: record.attempts };
                    self.enqueue(&record.channel, job).await;
                }
                _ => {}
            }
        }
    }
}

/// The policy's view of a check.
pub(super) fn subject_of(config: &Arc<crate::config::CheckConfig>) -> Subject {
    Subject {
        check: config.id.clone(),
        name: config.name.clone(),
        group: config.group.clone(),
        remote: config.remote(),
        alert: config.alert.clone(),
    }
}
