//! Scheduled backups of the history (`[settings] backup`): the first once the newest
//! backup is `every` old (or a minute after start when there is none, so a start is
//! never slowed by one), then every `every`; each off the runtime, never holding the
//! writer (`store::backup`).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Engine;

/// The wait before the first backup when there is none yet.
const FIRST_AFTER: Duration = Duration::from_secs(60);

impl Engine {
    pub(super) async fn back_up(self, cancel: CancellationToken) {
        let Some(settings) = self.config().settings.backup else { return };
        let Some(data_dir) = self.inner.store.path().parent().map(std::path::Path::to_owned) else { return };
        let newest = crate::store::backup::list(&data_dir).first().map(|(_, at)| *at);
        let mut wait = match newest {
            Some(at) => {
                let age = (self.now() - at).to_std().unwrap_or_default();
                settings.every.saturating_sub(age)
            }
            None => settings.every.min(FIRST_AFTER),
        };
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            let (dir, now) = (data_dir.clone(), self.now());
            match tokio::task::spawn_blocking(move || crate::store::backup::take(&dir, settings.keep, now)).await {
                Ok(Ok(taken)) => {
                    tracing::info!(path = %taken.path.display(), bytes = taken.bytes, removed = taken.removed.len(), "history backed up");
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, resolution = error.resolution(), "the history backup failed; the next is tried on schedule");
                }
                Err(error) => tracing::warn!(%error, "the history backup failed"),
            }
            wait = settings.every;
        }
    }
}
