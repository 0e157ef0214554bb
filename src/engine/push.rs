//! Heartbeats: each heartbeat check's token set up at start (from config, else the one
//! the history keeps, else a new one, kept), and the pings jobs push, which are checked,
//! kept in the history and judged at once.

use chrono::Utc;

use super::Engine;
use crate::config::CheckConfig;
use crate::model::CheckId;
use crate::probe::heartbeat::{self, Beat, Beats, PingError};
use crate::probe::ProbeSpec;
use crate::store::{HeartbeatRecord, Store, StoreError, WriteOp};

/// Fills `beats` with every heartbeat check's token and last ping; a token made here is
/// saved before the engine serves anyone, so the URL shown never changes by a restart.
pub(super) fn set_up<'c>(
    store: &Store,
    checks: impl IntoIterator<Item = &'c CheckConfig>,
    beats: &Beats,
) -> Result<(), StoreError> {
    let kept = store.heartbeats_now()?;
    for check in checks {
        let ProbeSpec::Heartbeat(spec) = &check.probe else { continue };
        let before = kept.iter().find(|record| record.check_id == check.id);
        let token = match (&spec.token, before) {
            (Some(token), _) => token.expose().to_owned(),
            (None, Some(record)) => record.token.clone(),
            (None, None) => heartbeat::new_token(),
        };
        if before.is_none_or(|record| record.token != token) {
            let mut record = before.cloned().unwrap_or_else(|| HeartbeatRecord {
                check_id: check.id.clone(),
                token: String::new(),
                last_ping_at: None,
                failed: false,
                message: None,
            });
            record.token.clone_from(&token);
            store.save_heartbeat_now(&record)?;
        }
        let (last, failed, message) =
            before.map_or((None, false, None), |r| (r.last_ping_at, r.failed, r.message.clone()));
        beats.insert(check.id.to_string(), Beat::new(token, last, failed, message));
    }
    Ok(())
}

impl Engine {
    /// A job's ping to heartbeat check `id` with the URL's `token`: kept in the history
    /// (committed before this returns), then the check is probed at once so its status
    /// shows the ping.
    pub async fn push(&self, id: &str, token: &str, failed: bool, message: Option<String>) -> Result<(), PushError> {
        let beats = &self.inner.checks.probes.beats;
        let beat = beats.ping(id, token, failed, message, self.now())?;
        let record = HeartbeatRecord {
            check_id: CheckId::parse(id).ok_or(PingError::Unknown)?,
            token: beat.token,
            last_ping_at: beat.last.map(|ping| ping.at),
            failed: beat.failed,
            message: beat.message,
        };
        self.record(WriteOp::Heartbeat(Box::new(record))).await;
        self.writer().flush().await?;
        tracing::debug!(check = id, failed, "heartbeat ping at {}", Utc::now());
        let _ = self.probe_now(id).await;
        Ok(())
    }

    /// A heartbeat check's push URL, with its token, for its page (`None` for other
    /// checks): whole once the daemon has said where it listens, else the path.
    pub fn push_url(&self, id: &str) -> Option<String> {
        let token = self.inner.checks.probes.beats.get(id)?.token;
        let base = self.inner.url.get().map_or("", String::as_str);
        Some(format!("{base}/push/{id}/{token}"))
    }

    /// Where the API listens, once the daemon has said.
    pub fn url(&self) -> Option<String> {
        self.inner.url.get().cloned()
    }

    /// Says where the API listens, once (the daemon, when it is listening).
    pub fn set_url(&self, url: &str) {
        let _ = self.inner.url.set(url.trim_end_matches('/').to_owned());
    }
}

/// Why a ping was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Ping(#[from] PingError),
    #[error("the ping could not be kept: {0}")]
    Store(#[from] StoreError),
}
