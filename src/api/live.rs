//! Live updates for dashboards, shared by the event stream and the desktop window: one
//! [`dto::LiveUpdate`] each, sent as its name and its JSON.
//!
//! Check results are coalesced: a check that produced several results within
//! [`COALESCE`] is sent once, and checks are sent together as one `checks` update, so a
//! thousand checks every ten seconds cost a dashboard a few messages a second, not a
//! hundred. An `overview` update follows when the overview (level, summary, a group,
//! the network) changed. Everything else goes out at once, after any checks held before
//! it (so an incident never arrives ahead of the state that opened it). The stream ends
//! when the engine stops or the reader goes away.

use std::time::Duration;

use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::dto::{self, LiveUpdate};
use crate::engine::{Engine, Event};

/// How long check results are gathered before they are sent.
pub const COALESCE: Duration = Duration::from_millis(250);
/// Updates buffered for a slow reader before the stream waits on it.
const BUFFER: usize = 64;

/// One update as it travels: its name (the event's) and its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub name: &'static str,
    pub data: String,
}

impl Update {
    pub fn of(update: &LiveUpdate) -> Update {
        Update { name: update.name(), data: serde_json::to_string(update).unwrap_or_else(|_| "null".into()) }
    }
}

/// `hello` first (and again after falling behind: the reader refetches), then the
/// updates as they come.
pub fn updates(engine: Engine) -> impl Stream<Item = Update> + Send + 'static {
    let (sender, receiver) = mpsc::channel(BUFFER);
    let events = engine.subscribe();
    tokio::spawn(forward(engine, events, sender));
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

async fn forward(engine: Engine, mut events: tokio::sync::broadcast::Receiver<Event>, sender: mpsc::Sender<Update>) {
    let stopping = engine.stopping();
    tokio::pin!(stopping);
    if sender.send(Update::of(&LiveUpdate::Hello { missed: None })).await.is_err() {
        return;
    }
    // The overview as the reader has it: from `status` after a `hello`.
    let mut pending = Pending { overview_sent: Some(overview(&engine)), ..Pending::default() };
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
            Some(Ok(Event::ConfigReloaded)) => {
                // Checks may have come and gone: the reader reads them whole again.
                flush_at = None;
                pending.clear();
                pending.overview_sent = None;
                out.push(LiveUpdate::Hello { missed: None });
            }
            Some(Ok(event)) => {
                flush_at = None;
                out.extend(pending.take(&engine));
                out.extend(update_of(&event));
                if matches!(event, Event::Network(_)) {
                    out.extend(pending.overview(&engine));
                }
            }
            Some(Err(RecvError::Lagged(missed))) => {
                flush_at = None;
                pending.clear();
                pending.overview_sent = None;
                out.push(LiveUpdate::Hello { missed: Some(missed) });
            }
            Some(Err(RecvError::Closed)) => return,
        }
        for update in out {
            if sender.send(Update::of(&update)).await.is_err() {
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

/// The overview as the API says it now.
fn overview(engine: &Engine) -> dto::OverviewDto {
    super::overview(engine, &engine.snapshot())
}

/// Checks with results not yet sent, in arrival order, each once; and the overview as
/// last sent.
#[derive(Default)]
struct Pending {
    order: Vec<usize>,
    seen: Vec<bool>,
    overview_sent: Option<dto::OverviewDto>,
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
    /// then an `overview` update when it changed.
    fn take(&mut self, engine: &Engine) -> Vec<LiveUpdate> {
        if self.order.is_empty() {
            return Vec::new();
        }
        let (now, zone) = (engine.now(), engine.zone().clone());
        let checks: Vec<dto::CheckDto> = self
            .order
            .iter()
            .filter_map(|&p| engine.check_at(p))
            .map(|c| dto::CheckDto::of(&c, now, zone.as_ref()))
            .collect();
        self.clear();
        let mut updates = vec![LiveUpdate::Checks { checks }];
        updates.extend(self.overview(engine));
        updates
    }

    /// An `overview` update, when it is not what was last sent.
    fn overview(&mut self, engine: &Engine) -> Option<LiveUpdate> {
        let overview = overview(engine);
        if self.overview_sent.as_ref() == Some(&overview) {
            return None;
        }
        self.overview_sent = Some(overview.clone());
        Some(LiveUpdate::Overview { overview })
    }
}

/// The update for an event other than a check result (those are coalesced).
fn update_of(event: &Event) -> Option<LiveUpdate> {
    Some(match event {
        Event::Check(_) => return None,
        Event::IncidentOpened(incident) => LiveUpdate::Incident { incident: dto::IncidentDto::from(&**incident) },
        Event::IncidentResolved(resolved) => LiveUpdate::IncidentResolved {
            resolved: dto::IncidentResolvedDto {
                id: resolved.id,
                check: resolved.check_id.to_string(),
                resolved_at: dto::rfc3339(&resolved.at),
                duration_ms: resolved.started_at.map(|start| (resolved.at - start).num_milliseconds()),
            },
        },
        Event::ActionOutput(output) => LiveUpdate::ActionOutput {
            output: dto::ActionOutputDto {
                r#ref: output.r#ref.to_string(),
                action: output.action.to_string(),
                text: output.text.clone(),
            },
        },
        Event::ActionRun(run) => LiveUpdate::ActionRun { run: dto::ActionRunDto::from(run.as_ref()) },
        Event::RestartLoop(event) => {
            LiveUpdate::RestartLoop { restart_loop: dto::RestartLoopDto::from(event.as_ref()) }
        }
        // Shown by the `checks` update of its result.
        Event::ServiceBreakerOpened(_) | Event::CertExpiring(_) | Event::Flapping(_) | Event::Degraded(_) => {
            return None
        }
        // Shown by the checks' own updates (unknown: no network) and the `overview`.
        Event::Network(_) => return None,
        // For the desktop shell; the log is read from `notifications`.
        Event::Notification(_) | Event::ConfigReloaded => return None,
    })
}
