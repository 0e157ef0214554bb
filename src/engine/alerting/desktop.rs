//! The desktop channel: its notifications go to the desktop shell as
//! [`Event::Notification`], recorded as delivered. A headless daemon has no shell and
//! records them as not delivered; in the tray app (`Options::desktop`) those decided
//! before its shell attaches wait for it (at most [`WAITING`]) and are shown then.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::Sent;
use crate::alert::Decision;
use crate::engine::{Engine, Event};
use crate::model::Suppressed;
use crate::store::{Delivery, NotificationRecord, WriteOp};

/// Desktop notifications kept for a shell that has not attached yet.
const WAITING: usize = 64;

/// The desktop shell's side of alerting.
pub(in crate::engine) struct Desktop {
    /// A shell is subscribed and shows the desktop channel.
    attached: AtomicBool,
    /// The tray app: a shell will attach.
    expected: bool,
    /// What was decided before it attached.
    waiting: Mutex<Vec<Sent>>,
}

impl Desktop {
    pub(super) fn new(expected: bool) -> Desktop {
        Desktop { attached: AtomicBool::new(false), expected, waiting: Mutex::new(Vec::new()) }
    }
}

impl Engine {
    /// A decision for the desktop channel, about to be recorded: shown now if a shell
    /// is attached, failed as headless when none will come, or returned to wait for the
    /// tray app's shell once its row is recorded.
    pub(super) fn show_on_desktop(
        &self,
        record: &mut NotificationRecord,
        decision: &Decision,
        now: DateTime<Utc>,
    ) -> Option<Sent> {
        let sent = Sent {
            id: record.id,
            event: decision.event,
            checks: decision.checks.clone(),
            incident: decision.incident,
            severity: decision.severity,
            title: decision.title.clone(),
            body: decision.body.clone(),
        };
        let desktop = &self.inner.alerting.desktop;
        let attached = self.inner.events.receiver_count() > 0 && desktop.attached.load(Ordering::Relaxed);
        if attached {
            record.attempts = 1;
            record.delivered = Some(true);
            record.delivered_at = Some(now);
            let _ = self.inner.events.send(Event::Notification(Box::new(sent)));
            None
        } else if desktop.expected {
            // The tray app's shell is coming: its row first, then it waits.
            Some(sent)
        } else {
            // A headless daemon: nowhere to show it, which is no failure of delivery.
            record.suppressed = Some(Suppressed::NoDesktop);
            None
        }
    }

    /// The desktop shell is subscribed and shows the desktop channel: what was decided
    /// before it attached is shown now, and recorded as delivered.
    pub fn attach_desktop(&self) {
        let desktop = &self.inner.alerting.desktop;
        let waiting = {
            let mut waiting = crate::panics::lock(&desktop.waiting);
            // Under the lock `desktop_later` takes: nothing slips between the two.
            desktop.attached.store(true, Ordering::Relaxed);
            std::mem::take(&mut *waiting)
        };
        if waiting.is_empty() {
            return;
        }
        let now = self.now();
        let ids: Vec<i64> = waiting.iter().map(|s| s.id).collect();
        for sent in waiting {
            let _ = self.inner.events.send(Event::Notification(Box::new(sent)));
        }
        let engine = self.clone();
        tokio::spawn(async move {
            for id in ids {
                let delivery = Delivery { id, delivered: Some(true), attempts: 1, error: None, at: now };
                engine.record(WriteOp::Delivery(Box::new(delivery))).await;
            }
        });
    }

    /// A desktop notification whose row is recorded, for the tray app's shell: shown
    /// now if it attached meanwhile, else kept for it (at most [`WAITING`]).
    pub(super) async fn desktop_later(&self, sent: Sent) {
        let id = sent.id;
        let desktop = &self.inner.alerting.desktop;
        let shown_now = {
            let mut waiting = crate::panics::lock(&desktop.waiting);
            if desktop.attached.load(Ordering::Relaxed) {
                let _ = self.inner.events.send(Event::Notification(Box::new(sent)));
                Some(true)
            } else if waiting.len() < WAITING {
                waiting.push(sent);
                None
            } else {
                Some(false)
            }
        };
        let Some(delivered) = shown_now else { return };
        let error = (!delivered).then(|| format!("{WAITING} notifications already wait for the desktop app"));
        let delivery = Delivery { id, delivered: Some(delivered), attempts: 1, error, at: self.now() };
        self.record(WriteOp::Delivery(Box::new(delivery))).await;
    }
}
