//! Live reload: the config file read and compiled whole, then only what changed
//! applied to the running engine.
//!
//! A file that does not compile changes nothing running; its errors are kept (and
//! said in `/healthz`, the dashboard and the tray) until a good file is loaded. A good
//! one is applied by check: an unchanged check (same fingerprint) keeps its runtime
//! (state, breaker, open incident, flap history, schedule); a changed one starts a new
//! task carrying its state over, as a restart of the daemon would; a removed one stops,
//! its open incident resolved "removed from config"; an added one starts as at start
//! (its saved state, if it had one under that id). Actions, `[alerts]` and maintenance
//! windows take effect at once; what only a start sets up (`[settings]`, channels) is
//! listed as waiting for the next start.
//!
//! Reloads run one at a time (a storm of SIGHUPs is a queue of whole reloads, never
//! two interleaved). What triggered each, its time, result and changes are kept for
//! `GET /api/v1/config`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{restore, CheckRuntime, Engine, Event, IncidentResolved, Live, Table};
use crate::config::{CheckConfig, Config, Diagnostic, LoadError};
use crate::model::CheckId;
use crate::store::WriteOp;

crate::model::codes! {
    /// What asked for a reload.
    pub enum Trigger("reload trigger") {
        /// The file watcher saw the file saved.
        Watch = "watch",
        /// SIGHUP.
        Signal = "signal",
        /// `POST /api/v1/config/reload`, or an edit through the API.
        Api = "api",
        /// `watchkeeper config reload`.
        Cli = "cli",
    }
}

/// The checks a reload added, changed, removed and left alone, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub added: Vec<CheckId>,
    pub changed: Vec<CheckId>,
    pub removed: Vec<CheckId>,
    pub unchanged: Vec<CheckId>,
    /// The channels added, changed or removed (their delivery tasks set anew).
    pub channels: Vec<String>,
}

/// One reload, as it went.
#[derive(Debug, Clone)]
pub struct Reload {
    pub at: DateTime<Utc>,
    pub trigger: Trigger,
    /// The file compiled and was applied.
    pub ok: bool,
    /// Why it was not (the running config stays).
    pub errors: Vec<Diagnostic>,
    /// What deserves a second look in a file that compiled.
    pub warnings: Vec<Diagnostic>,
    pub changes: Changes,
    /// Changes that take effect only at the next start, each in words.
    pub pending: Vec<String>,
    /// The version of the file read (`None`: it could not be read).
    pub version: Option<String>,
    /// From reading the file to the last check's task started.
    pub took: Duration,
}

/// The config file as the engine knows it.
#[derive(Debug, Clone)]
pub struct ConfigState {
    /// The file (`None`: the engine was given a config without one).
    pub path: Option<PathBuf>,
    /// The version of the file the running config was compiled from.
    pub version: String,
    /// When the running config was loaded.
    pub loaded_at: DateTime<Utc>,
    pub last_reload: Option<Reload>,
}

/// The engine's reload part.
#[derive(Default)]
pub(super) struct Reloads {
    state: std::sync::Mutex<Option<ConfigState>>,
    /// Held for a whole reload: reloads never interleave.
    pub(super) serial: tokio::sync::Mutex<()>,
    /// Each running check's fingerprint, by id, as of the last load.
    fingerprints: std::sync::Mutex<HashMap<CheckId, u64>>,
}

impl Engine {
    /// Names the file the running config was compiled from (`version` its bytes'),
    /// which reloads read again.
    pub fn set_config_file(&self, path: &Path, version: &str) {
        let now = self.now();
        let state =
            ConfigState { path: Some(path.to_owned()), version: version.to_owned(), loaded_at: now, last_reload: None };
        *crate::panics::lock(&self.inner.reloads.state) = Some(state);
    }

    /// The config file, its version and its last reload.
    pub fn config_state(&self) -> ConfigState {
        let state = crate::panics::lock(&self.inner.reloads.state).clone();
        state.unwrap_or_else(|| ConfigState {
            path: None,
            version: String::new(),
            loaded_at: self.started_at(),
            last_reload: None,
        })
    }

    /// The errors of the last reload, while it failed: what `/healthz`, the dashboard
    /// and the tray say until a good file is loaded.
    pub fn config_failing(&self) -> Option<Vec<Diagnostic>> {
        let state = crate::panics::lock(&self.inner.reloads.state);
        state.as_ref()?.last_reload.as_ref().filter(|r| !r.ok).map(|r| r.errors.clone())
    }

    /// Reads the config file again and applies what changed (see the module); done
    /// and recorded even when the file is unchanged.
    pub async fn reload(&self, trigger: Trigger) -> Reload {
        let _serial = self.inner.reloads.serial.lock().await;
        self.reload_from_file(trigger).await
    }

    /// The watcher's reload: skipped (`None`) when the file's bytes are those running
    /// and the last reload went well.
    pub async fn reload_if_changed(&self) -> Option<Reload> {
        let _serial = self.inner.reloads.serial.lock().await;
        let state = self.config_state();
        let bytes = state.path.as_deref().and_then(|path| std::fs::read(path).ok());
        let same = bytes.is_some_and(|b| crate::config::version_of(&b) == state.version);
        if same && self.config_failing().is_none() {
            return None;
        }
        Some(self.reload_from_file(Trigger::Watch).await)
    }

    /// A reload, under the serial lock.
    pub(super) async fn reload_from_file(&self, trigger: Trigger) -> Reload {
        let started = std::time::Instant::now();
        let at = self.now();
        let state = self.config_state();
        let failed = |errors: Vec<Diagnostic>, version: Option<String>| Reload {
            at,
            trigger,
            ok: false,
            errors,
            warnings: Vec::new(),
            changes: Changes::default(),
            pending: Vec::new(),
            version,
            took: started.elapsed(),
        };
        let reload = match &state.path {
            None => failed(
                vec![Diagnostic::of_file(
                    "<config>",
                    "this engine was started without a config file: there is nothing to read again",
                    "start it with `--config FILE`",
                )],
                None,
            ),
            Some(path) => match read(path) {
                Err(errors) => failed(errors, None),
                Ok(bytes) => {
                    let version = crate::config::version_of(&bytes);
                    let compiled = crate::config::decode(path, bytes)
                        .map_err(|e| diagnostics(path, e))
                        .and_then(|text| crate::config::compile(&text, &path.display().to_string()).map_err(|e| e.0));
                    match compiled {
                        Err(errors) => failed(errors, Some(version)),
                        Ok(compiled) => {
                            let (changes, pending) = self.apply_config(compiled.config).await;
                            Reload {
                                at,
                                trigger,
                                ok: true,
                                errors: Vec::new(),
                                warnings: compiled.warnings,
                                changes,
                                pending,
                                version: Some(version),
                                took: started.elapsed(),
                            }
                        }
                    }
                }
            },
        };
        self.note_reload(&reload);
        let _ = self.inner.events.send(Event::ConfigReloaded);
        reload
    }

    /// Keeps a reload as the last, logged.
    fn note_reload(&self, reload: &Reload) {
        let c = &reload.changes;
        if reload.ok {
            tracing::info!(
                trigger = reload.trigger.as_str(),
                added = ?c.added.iter().map(CheckId::as_str).collect::<Vec<_>>(),
                changed = ?c.changed.iter().map(CheckId::as_str).collect::<Vec<_>>(),
                removed = ?c.removed.iter().map(CheckId::as_str).collect::<Vec<_>>(),
                unchanged = c.unchanged.len(),
                took_ms = reload.took.as_secs_f64() * 1000.0,
                "config reloaded"
            );
            for pending in &reload.pending {
                tracing::warn!("config: {pending}");
            }
            for warning in &reload.warnings {
                tracing::warn!("config: {warning}");
            }
        } else {
            for error in &reload.errors {
                tracing::error!(
                    trigger = reload.trigger.as_str(),
                    "config not reloaded, the running one stays: {error}"
                );
            }
        }
        let mut state = crate::panics::lock(&self.inner.reloads.state);
        let state = state.get_or_insert_with(|| ConfigState {
            path: None,
            version: String::new(),
            loaded_at: reload.at,
            last_reload: None,
        });
        if let (true, Some(version)) = (reload.ok, &reload.version) {
            state.version.clone_from(version);
            state.loaded_at = reload.at;
        }
        state.last_reload = Some(reload.clone());
    }

    /// Puts `config` in place of the running one, check by check; gives what changed
    /// and what waits for the next start.
    async fn apply_config(&self, mut config: Config) -> (Changes, Vec<String>) {
        let now = self.now();
        let old_config = self.config();
        let old = self.table();
        let pending = pending(&old_config, &config);
        let mut changes = Changes::default();
        let mut fingerprints = {
            let known = crate::panics::lock(&self.inner.reloads.fingerprints);
            if known.len() == old.all.len() {
                known.clone()
            } else {
                old.all.iter().map(|c| (c.config.id.clone(), c.config.fingerprint())).collect()
            }
        };
        let mut saved = None;
        let mut all = Vec::with_capacity(config.checks.len());
        let mut start = Vec::new();
        for check in &mut config.checks {
            let fingerprint = check.fingerprint();
            let before = old.get(check.id.as_str());
            match before {
                Some(runtime) if fingerprints.get(&check.id) == Some(&fingerprint) => {
                    // The same check: it keeps its runtime, and the config shares it.
                    *check = runtime.config.clone();
                    all.push(runtime.clone());
                    changes.unchanged.push(check.id.clone());
                }
                Some(runtime) => {
                    runtime.stop.cancel();
                    let live = carried(&runtime.live, check, now);
                    let (new, receiver) = CheckRuntime::new(check.clone(), live, &self.inner.stopping);
                    all.push(new.clone());
                    start.push((new, receiver));
                    changes.changed.push(check.id.clone());
                }
                None => {
                    let saved = saved.get_or_insert_with(|| restore::saved_states(&self.inner.store));
                    let live = restore::load_one(&self.inner.store, check, saved.get(&check.id), now);
                    let (new, receiver) = CheckRuntime::new(check.clone(), live, &self.inner.stopping);
                    all.push(new.clone());
                    start.push((new, receiver));
                    changes.added.push(check.id.clone());
                }
            }
            fingerprints.insert(check.id.clone(), fingerprint);
        }
        let kept: HashSet<&CheckId> = config.checks.iter().map(|c| &c.id).collect();
        let removed: Vec<Arc<CheckRuntime>> =
            old.all.iter().filter(|c| !kept.contains(&c.config.id)).cloned().collect();
        fingerprints.retain(|id, _| kept.contains(id));
        changes.removed = removed.iter().map(|c| c.config.id.clone()).collect();
        for runtime in &removed {
            runtime.stop.cancel();
            // A removed heartbeat check's URL takes no more pings.
            self.inner.checks.probes.beats.remove(runtime.config.id.as_str());
        }
        // What new checks need before their first probe.
        let fresh: Vec<&CheckConfig> = start.iter().map(|(c, _)| &*c.config).collect();
        self.inner.checks.probes.prepare(fresh.iter().map(|c| &c.probe));
        if let Err(error) =
            super::push::set_up(&self.inner.store, fresh.iter().copied(), &self.inner.checks.probes.beats)
        {
            tracing::warn!(%error, "heartbeat tokens could not be set up for the new checks");
        }
        let remote = config.checks.iter().filter(|c| c.remote()).count();
        let alerts = config.alerts.clone();
        *crate::panics::write(&self.inner.config) = Arc::new(config);
        *crate::panics::write(&self.inner.checks.table) = Arc::new(Table::new(all));
        *crate::panics::lock(&self.inner.reloads.fingerprints) = fingerprints;
        // A new channel's task first, so the policy never routes to a channel without
        // one (a removed channel's notifications are given up, `enqueue` says).
        changes.channels = self.reconfigure_channels();
        self.inner.alerting.reconfigure(alerts, remote);
        let config = self.config();
        let gone: Vec<String> =
            old_config.channels.iter().filter(|c| config.channel(&c.id).is_none()).map(|c| c.id.clone()).collect();
        self.inner.alerting.forget_channels(&gone);
        for (runtime, receiver) in start {
            self.spawn_check(runtime, receiver);
        }
        for runtime in removed {
            self.end_removed(&runtime, now).await;
        }
        // Windows and pauses of the new checks are taken at the next sweep, now.
        self.inner.checks.sweep_now.notify_one();
        self.inner.alerting.wake.notify_one();
        (changes, pending)
    }

    /// A removed check's open incident is resolved, keeping its cause, "removed from
    /// config"; its saved state no longer names it (an id added again starts clean).
    async fn end_removed(&self, runtime: &CheckRuntime, now: DateTime<Utc>) {
        let (op, resolved) = {
            let mut live = crate::panics::lock(&runtime.live);
            let Some(id) = live.tracked.state.open_incident.take() else { return };
            let started_at = live.incident_started_at.take();
            let state = restore::persist(&runtime.config.id, &live);
            let op =
                WriteOp::ResolveIncident { id, at: now, state, resolution: Some(crate::words::REMOVED_FROM_CONFIG) };
            (op, IncidentResolved { id, check_id: runtime.config.id.clone(), started_at, at: now })
        };
        tracing::info!(check = %runtime.config.id, incident = resolved.id, "incident resolved: its check was removed from config");
        self.record(op).await;
        // Its reminders stop; nothing is told of a check that is gone.
        self.inner.alerting.forget(resolved.id);
        let _ = self.inner.events.send(Event::IncidentResolved(Box::new(resolved)));
    }
}

/// A save settles for this long (no event for the file) before the file is read: an
/// editor's write, a rename over it, a `cp` in several writes are one change, and a
/// half-written file is not read.
pub const SETTLE: Duration = Duration::from_millis(300);

impl Engine {
    /// Watches the config file (through its directory, so a save by rename is seen)
    /// until the engine stops: each save, once settled, reloads it when its bytes
    /// changed. A file that cannot be watched is said in `/healthz`; SIGHUP and the
    /// API still reload it.
    pub fn watch_config(&self) {
        let Some(path) = self.config_state().path else { return };
        let engine = self.clone();
        self.inner.checks.tasks.spawn(async move { engine.watch(path).await });
    }

    async fn watch(self, path: PathBuf) {
        use notify::Watcher as _;
        let (saved, mut saves) = tokio::sync::mpsc::channel::<()>(1);
        let name = path.file_name().map(std::ffi::OsStr::to_owned);
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            // Reads (ours included) change nothing.
            let read = matches!(
                event.kind,
                notify::EventKind::Access(
                    notify::event::AccessKind::Open(_)
                        | notify::event::AccessKind::Read
                        | notify::event::AccessKind::Close(notify::event::AccessMode::Read)
                )
            );
            if !read && event.paths.iter().any(|p| p.file_name() == name.as_deref()) {
                let _ = saved.try_send(());
            }
        });
        let watched = watcher.and_then(|mut w| w.watch(&dir, notify::RecursiveMode::NonRecursive).map(|()| w));
        let _watcher = match watched {
            Ok(watcher) => watcher,
            Err(error) => {
                self.note_degraded(&crate::words::config_unwatched(&path, &error.to_string()));
                return;
            }
        };
        tracing::info!(path = %path.display(), "watching the config file");
        let stopping = self.stopping();
        tokio::pin!(stopping);
        loop {
            tokio::select! {
                _ = &mut stopping => return,
                heard = saves.recv() => if heard.is_none() { return },
            }
            // Until the file has been quiet for `SETTLE`.
            loop {
                tokio::select! {
                    _ = &mut stopping => return,
                    _ = tokio::time::sleep(SETTLE) => break,
                    heard = saves.recv() => if heard.is_none() { return },
                }
            }
            self.reload_if_changed().await;
        }
    }
}

/// The file's bytes, or why they cannot be read, as diagnostics.
fn read(path: &Path) -> Result<Vec<u8>, Vec<Diagnostic>> {
    std::fs::read(path).map_err(|source| diagnostics(path, LoadError::Read { path: path.to_owned(), source }))
}

/// A load error as the diagnostics a reload (or an edit) answers with.
pub(super) fn diagnostics(path: &Path, error: LoadError) -> Vec<Diagnostic> {
    match error {
        LoadError::Invalid(errors) => errors.0,
        LoadError::Read { source, .. } => vec![Diagnostic::of_file(
            &path.display().to_string(),
            format!("cannot read the config file: {source}; the running config stays"),
            crate::config::read_help(&source),
        )],
    }
}

/// A changed check's state carried over from its old runtime, as a restart of the
/// daemon would restore it: status, streaks, open incident, pause, flap history; its
/// breaker when the new one is of the same form; its last result and self-healing.
fn carried(old: &std::sync::Mutex<Live>, check: &CheckConfig, now: DateTime<Utc>) -> Live {
    let old = crate::panics::lock(old);
    let saved = restore::persist(&check.id, &old);
    let mut live = restore::restore(check, Some(&saved), now);
    live.last.clone_from(&old.last);
    live.health.clone_from(&old.health);
    live.service_breakers.clone_from(&old.service_breakers);
    live.incident_started_at = old.incident_started_at;
    live.last_good.clone_from(&old.last_good);
    if check.auto_action.is_some() {
        live.healing = old.healing.clone();
    }
    live
}

/// What changed that only a start sets up, each in words.
fn pending(old: &Config, new: &Config) -> Vec<String> {
    let changed = format!("{:?}", old.settings) != format!("{:?}", new.settings);
    changed.then(|| crate::words::PENDING_SETTINGS.to_owned()).into_iter().collect()
}
