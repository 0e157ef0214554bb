//! Live updates for dashboards, shared by the event stream and the desktop window.
//!
//! Check results are coalesced: a check that produced several results within
//! [`COALESCE`] is sent once, and checks are sent together as one `checks` update, so a
//! thousand checks every ten seconds cost a dashboard a few messages a second, not a
//! hundred. Everything else goes out at once, after any checks held before it (so an
//! incident never arrives ahead of the state that opened it). The stream ends when the
//! engine stops or the reader goes away.

use std::time::Duration;

use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::dto;
use crate::engine::{groups_of, CheckSnapshot, Engine, Event};

/// How long check results are gathered before they are sent.
pub const COALESCE: Duration = Duration::from_millis(250);
/// Updates buffered for a slow reader before the stream waits on it.
const BUFFER: usize = 64;

/// One update: its event name and JSON data.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub name: &'static str,
    pub data: String,
}

impl Update {
    fn new(name: &'static str, data: impl serde::Serialize) -> Update {
        Update { name, data: serde_json::to_string(&data).unwrap_or_else(|_| "null".into()) }
    }
}

/// `hello` first (and again after falling behind: the reader refetches), then `checks`
/// (with `groups` after them when a group changed), `incident`, `incident_resolved`,
/// `action_output`, `action_run` and `restart_loop`.
pub fn updates(engine: Engine) -> impl Stream<Item = Update> + Send + 'static {
    let (sender, receiver) = mpsc::channel(BUFFER);
    let events = engine.subscribe();
    tokio::spawn(forward(engine, events, sender));
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

async fn forward(engine: Engine, mut events: tokio::sync::broadcast::Receiver<Event>, sender: mpsc::Sender<Update>) {
    let stopping = engine.stopping();
    tokio::pin!(stopping);
    if sender.send(Update::new("hello", dto::HelloDto::default())).await.is_err() {
        return;
    }
    let mut pending = Pending::default();
    let mut flush_at: Option<Instant> = None;
    loop {
        let next = tokio::select! {
            _ = &mut stopping => return,
            _ = sender.closed() => return,
            _ = sleep_until(flush_at) => None,
            event = events.recv() => Some(event),
        };
        let mut out = Vec::new();
        match next {
            None => {
                flush_at = None;
                out.extend(pending.take(&engine));
            }
            Some(Ok(Event::Check(position))) => {
                pending.add(position);
                flush_at.get_or_insert_with(|| Instant::now() + COALESCE);
            }
            Some(Ok(event)) => {
                flush_at = None;
                out.extend(pending.take(&engine));
                out.extend(update_of(&event));
            }
            Some(Err(RecvError::Lagged(missed))) => {
                flush_at = None;
                pending.clear();
                pending.groups_sent = None;
                out.push(Update::new("hello", dto::HelloDto { missed: Some(missed) }));
            }
            Some(Err(RecvError::Closed)) => return,
        }
        for update in out {
            if sender.send(update).await.is_err() {
                return;
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Checks with results not yet sent, in arrival order, each once; and the groups as
/// last sent.
#[derive(Default)]
struct Pending {
    order: Vec<usize>,
    seen: Vec<bool>,
    /// The `groups` update last sent (its JSON), to send one only when a level, cause
    /// or component changed.
    groups_sent: Option<String>,
}

impl Pending {
    fn add(&mut self, position: usize) {
        if self.seen.len() <= position {
            self.seen.resize(position + 1, false);
        }
        if !self.seen[position] {
            self.seen[position] = true;
            self.order.push(position);
        }
    }

    fn clear(&mut self) {
        for position in self.order.drain(..) {
            self.seen[position] = false;
        }
    }

    /// The held checks as one `checks` update, read now (so each is its latest state),
    /// then a `groups` update when one of them is in a group whose level, cause or
    /// components changed.
    fn take(&mut self, engine: &Engine) -> Vec<Update> {
        if self.order.is_empty() {
            return Vec::new();
        }
        let checks: Vec<CheckSnapshot> = self.order.iter().filter_map(|&p| engine.check_at(p)).collect();
        self.clear();
        let mut updates = vec![Update::new("checks", checks.iter().map(dto::CheckDto::from).collect::<Vec<_>>())];
        if checks.iter().any(|c| c.config.group.is_some()) {
            updates.extend(self.groups(engine));
        }
        updates
    }

    fn groups(&mut self, engine: &Engine) -> Option<Update> {
        let grouped: Vec<CheckSnapshot> = (0..engine.config().checks.len())
            .filter(|&p| engine.config().checks[p].group.is_some())
            .filter_map(|p| engine.check_at(p))
            .collect();
        let groups: Vec<dto::GroupDto> = groups_of(&grouped).iter().map(dto::GroupDto::from).collect();
        let update = Update::new("groups", groups);
        if self.groups_sent.as_deref() == Some(update.data.as_str()) {
            return None;
        }
        self.groups_sent = Some(update.data.clone());
        Some(update)
    }
}

/// The update for an event other than a check result (those are coalesced).
fn update_of(event: &Event) -> Option<Update> {
    Some(match event {
        Event::Check(_) => return None,
        Event::IncidentOpened(incident) => Update::new("incident", dto::IncidentDto::from(&**incident)),
        Event::IncidentResolved { id, check_id, at } => Update::new(
            "incident_resolved",
            dto::IncidentResolvedDto { id: *id, check: check_id.to_string(), resolved_at: dto::rfc3339(at) },
        ),
        Event::ActionOutput { r#ref, action, text } => Update::new(
            "action_output",
            dto::ActionOutputDto { r#ref: r#ref.to_string(), action: action.to_string(), text: text.clone() },
        ),
        Event::ActionRun(run) => Update::new("action_run", dto::ActionRunDto::from(run.as_ref())),
        Event::RestartLoop(event) => Update::new("restart_loop", dto::RestartLoopDto::from(event.as_ref())),
        // Shown by the `checks` update of its result.
        Event::ServiceBreakerOpened(_) | Event::Flapping(_) => return None,
        // Shown by the checks' own updates (unknown: no network) and `/api/v1/status`.
        Event::Network(_) => return None,
        // For the desktop shell; the log is read from `notifications`.
        Event::Notification(_) => return None,
    })
}
