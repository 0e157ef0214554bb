//! `watchkeeper run`: the headless daemon. Locks the data dir, opens the history,
//! starts the engine and the loopback server, writes `api.json` (0600) once listening,
//! and on SIGINT/SIGTERM stops probes, flushes the writer and removes `api.json`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt as _;
use std::os::unix::io::AsRawFd as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::api::client::read_api_file;
use crate::api::dto::ApiFile;

use crate::config::{self, Origin};
use crate::doctor::{self, Level};
use crate::engine::Engine;
use crate::paths::{API_FILE, TOKEN_FILE};
use crate::store::Store;

pub struct Options {
    pub config_path: PathBuf,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// The tray app runs it: the desktop channel's notifications wait for its shell.
    pub desktop: bool,
}

/// Holds an exclusive lock on the data dir for the daemon's lifetime.
pub struct DataDirLock {
    _file: std::fs::File,
}

impl DataDirLock {
    pub fn acquire(data_dir: &Path) -> anyhow::Result<DataDirLock> {
        let path = data_dir.join("watchkeeper.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|error| StartError::DataDir { path: path.clone(), error })?;
        // SAFETY: flock on a file descriptor we own; no memory is shared.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let holder = read_api_file(data_dir).map(|a| format!(" (pid {}, {})", a.pid, a.url)).unwrap_or_default();
            return Err(StartError::Busy { dir: data_dir.to_owned(), holder }.into());
        }
        Ok(DataDirLock { _file: file })
    }
}

/// Why the daemon did not start, by kind (the command line exits with a code for each).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("another watchkeeper is already using {}{holder}\n  help: stop it, or pass another --data-dir", dir.display())]
    Busy { dir: PathBuf, holder: String },
    #[error("{0}")]
    Config(config::LoadError),
    #[error("{0}\n  help: {help}", help = .0.resolution())]
    Store(crate::store::StoreError),
    /// The data dir (or its lock file) cannot be created or written.
    #[error("cannot use the data dir: {}: {error}\n  help: {}", path.display(), data_dir_help(path, error))]
    DataDir { path: PathBuf, error: std::io::Error },
    /// The API token could not be read from, or kept in, the data dir.
    #[error("cannot keep the API token in the data dir: {0}\n  help: make the data dir writable by this user, or pass another --data-dir")]
    Token(std::io::Error),
}

/// Where the running daemon can be reached, for its banner.
#[derive(Debug, Clone)]
pub struct Ready {
    pub api: ApiFile,
    pub api_file: PathBuf,
}

impl Ready {
    pub fn dashboard_url(&self) -> String {
        format!("{}/#token={}", self.api.url, self.api.token)
    }

    /// What `watchkeeper run` prints once it listens: where everything is.
    pub fn banner(&self, config_path: &Path, data_dir: &Path) -> String {
        let dashboard = if crate::server::assets::built() {
            self.dashboard_url()
        } else {
            "not in this build: run `cargo xtask ui`, then build again".to_owned()
        };
        format!(
            "watchkeeper is running\n  dashboard  {dashboard}\n  api        {}/api/v1/status  (token in {})\n  config     {}\n  data       {}\n",
            self.api.url,
            self.api_file.display(),
            config_path.display(),
            data_dir.display()
        )
    }
}

/// Runs until SIGINT or SIGTERM; `on_ready` is called once the API listens.
pub async fn run(options: Options, on_ready: impl FnOnce(&Ready)) -> anyhow::Result<()> {
    let daemon = start(options, Vec::new()).await?;
    on_ready(&daemon.ready);
    wait_for_signal().await;
    daemon.stop().await;
    Ok(())
}

/// The engine and its loopback API, running: what `watchkeeper run` and the desktop app
/// both are underneath.
pub struct Daemon {
    pub engine: Engine,
    pub ready: Ready,
    running: crate::engine::Running,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    shutdown: tokio_util::sync::CancellationToken,
    data_dir: PathBuf,
    _lock: DataDirLock,
}

/// Locks the data dir, runs the pre-flight checks, loads the config, opens the history,
/// starts the engine and the API, and writes `api.json`. `degraded` lists features the
/// caller already knows to be off (the desktop app's tray or notifications).
pub async fn start(options: Options, mut degraded: Vec<String>) -> anyhow::Result<Daemon> {
    crate::panics::install();
    create_private_dir(&options.data_dir)?;
    let lock = DataDirLock::acquire(&options.data_dir)?;
    for finding in doctor::run(&options.config_path, &options.data_dir) {
        match finding.level {
            Level::Fail if finding.name == "config" => {}
            Level::Warn | Level::Fail => {
                tracing::warn!(check = finding.name, resolution = %finding.resolution, "pre-flight: {}", finding.message)
            }
            _ => tracing::info!(check = finding.name, "pre-flight: {}", finding.message),
        }
    }

    let (compiled, origin) = config::load(&options.config_path).map_err(StartError::Config)?;
    for warning in &compiled.warnings {
        tracing::warn!("config: {warning}");
    }
    match &origin {
        Origin::File(path) => tracing::info!(path = %path.display(), "config loaded"),
        Origin::Default { written_to: Ok(path) } => {
            tracing::info!(path = %path.display(), "no config found: watching this machine; the default config was written for you to edit")
        }
        Origin::Default { written_to: Err(e) } => {
            tracing::warn!(error = %e, "no config found: watching this machine; the default config could not be written")
        }
    }

    let (store, report) = Store::open(&options.data_dir).map_err(StartError::Store)?;
    match (report.moved_aside, report.restored_from) {
        (Some(aside), Some(backup)) => degraded.push(format!(
            "history: the database was damaged and moved to {}; it was restored from the backup {} (what came after that backup is only in the damaged file: read what it still holds with `sqlite3 FILE .recover`)",
            aside.display(),
            backup.display()
        )),
        (Some(aside), None) => degraded.push(format!(
            "history: the database was damaged and moved to {}; there was no backup that reads, so a new one was started. The old file is kept as it was: read what it still holds with `sqlite3 FILE .recover`",
            aside.display()
        )),
        _ => {}
    }
    let engine_options = crate::engine::Options {
        desktop: options.desktop,
        degraded,
        ..crate::engine::Options::new(crate::clock::Clock::System, crate::clock::LocalZone::shared())
    };
    // Where one worker is enough, code is a large share of what the daemon holds (half
    // of it at 500 checks) and giving back the start-up code is worth it; past that it
    // is a small share (some 8 of 100 MB at 5,500 checks), and each page read back
    // later would stall a busy worker for nothing much.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let settles = crate::engine::worker_threads(&compiled.config, cores) == 1;
    let version = compiled.version.clone();
    let running = Engine::start(compiled.config, store, engine_options).context("while starting the engine")?;
    running.engine.set_config_file(&options.config_path, &version);
    // From here SIGHUP reloads the config (the handler stays for the process's life, so
    // it never ends it), and so does a save of the file.
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(hangups) => {
            tokio::spawn(reload_on_hangup(running.engine.clone(), hangups));
        }
        Err(error) => tracing::warn!(%error, "SIGHUP cannot be caught: reload with `watchkeeper config reload`"),
    }
    running.engine.watch_config();

    let listener = match tokio::net::TcpListener::bind(options.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            running.shutdown().await;
            return Err(anyhow::anyhow!(e))
                .with_context(|| format!("cannot listen on {}; pass another --listen address", options.listen));
        }
    };
    let address = listener.local_addr()?;
    let token = match load_token(&options.data_dir) {
        Ok(token) => token,
        Err(e) => {
            running.shutdown().await;
            return Err(StartError::Token(e).into());
        }
    };
    let api = ApiFile { url: format!("http://{address}"), token: token.clone(), pid: std::process::id() };
    running.engine.set_url(&api.url);
    write_api_file(&options.data_dir, &api)?;

    let shutdown = tokio_util::sync::CancellationToken::new();
    let server = {
        let (data_dir, url) = (options.data_dir.clone(), api.url.clone());
        let token = crate::server::Token::new(&token, move |new| {
            write_token(&data_dir, new)?;
            write_api_file(&data_dir, &ApiFile { url: url.clone(), token: new.to_owned(), pid: std::process::id() })
        });
        let app = crate::server::app(running.engine.clone(), token);
        let shutdown = shutdown.clone();
        tokio::spawn(
            async move { crate::server::serve(listener, app, async move { shutdown.cancelled().await }).await },
        )
    };
    tracing::info!(url = %api.url, "listening");
    if settles {
        tokio::spawn(settle_later(shutdown.clone()));
    }
    Ok(Daemon {
        engine: running.engine.clone(),
        ready: Ready { api, api_file: options.data_dir.join(API_FILE) },
        running,
        server,
        shutdown,
        data_dir: options.data_dir,
        _lock: lock,
    })
}

/// Each SIGHUP reloads the config, one reload after another (a storm of them is a few
/// whole reloads: signals that arrive during one are heard as one), until the engine
/// stops.
async fn reload_on_hangup(engine: Engine, mut hangups: tokio::signal::unix::Signal) {
    let stopping = engine.stopping();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            _ = &mut stopping => return,
            heard = hangups.recv() => {
                if heard.is_none() {
                    return;
                }
            }
        }
        tracing::info!("SIGHUP: reloading the config");
        engine.reload(crate::engine::reload::Trigger::Signal).await;
    }
}

/// How long after its start the daemon gives back what starting alone used: by then
/// every check has run once (first runs spread over at most a second).
const SETTLE_AFTER: std::time::Duration = std::time::Duration::from_secs(10);

/// Gives back, once, the code pages and heap that starting alone used (`resident`).
async fn settle_later(stopping: tokio_util::sync::CancellationToken) {
    tokio::select! {
        _ = stopping.cancelled() => {}
        _ = tokio::time::sleep(SETTLE_AFTER) => {
            let settled = crate::resident::settle();
            let mb = |bytes: u64| format!("{:.1} MB", bytes as f64 / 1_048_576.0);
            tracing::info!(
                code = %mb(settled.code),
                before = %mb(settled.before),
                after = %mb(settled.after),
                "memory settled: start-up code and free heap given back"
            );
        }
    }
}

impl Daemon {
    /// Stops the API, then probes; flushes the history and removes `api.json`.
    pub async fn stop(self) {
        tracing::info!("shutting down");
        self.shutdown.cancel();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.server).await;
        self.running.shutdown().await;
        let _ = std::fs::remove_file(self.data_dir.join(API_FILE));
        tracing::info!("stopped");
    }
}

/// Resolves on SIGINT or SIGTERM. SIGHUP reloads the config (`start` catches it).
pub async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).ok();
    let terminated = async {
        match terminate.as_mut() {
            Some(s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
    }
}

/// Creates the data dir readable by its owner only.
pub fn create_private_dir(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|error| StartError::DataDir { path: path.to_owned(), error }.into())
}

/// What to do about a data dir (or a file in it) that cannot be created or written.
fn data_dir_help(path: &Path, error: &std::io::Error) -> String {
    let dir = if path.is_dir() { path } else { path.parent().unwrap_or(path) };
    match error.kind() {
        std::io::ErrorKind::ReadOnlyFilesystem => {
            format!(
                "{} is on a read-only file system: remount it read-write, or pass another --data-dir",
                dir.display()
            )
        }
        std::io::ErrorKind::PermissionDenied => format!(
            "make {} writable by this user (`chmod u+w {}`, or `chown` it to them), or pass another --data-dir",
            dir.display(),
            dir.display()
        ),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
            format!("free some space on the disk holding {}, or pass another --data-dir", dir.display())
        }
        _ => "pass another --data-dir, or fix the path (a file where a directory should be?)".to_owned(),
    }
}

/// Written to a temporary file with mode 0600, then renamed: never readable by others,
/// never seen half-written.
fn write_api_file(data_dir: &Path, api: &ApiFile) -> anyhow::Result<()> {
    write_private(data_dir, API_FILE, serde_json::to_string_pretty(api)?.as_bytes())
}

/// `bytes` as `data_dir/name`, mode 0600, through a temporary file renamed over it.
fn write_private(data_dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let target = data_dir.join(name);
    let temporary = data_dir.join(format!(".{name}.{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("while writing {}", temporary.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, &target).with_context(|| format!("while writing {}", target.display()))?;
    Ok(())
}

/// The API token kept in the data dir (`token`, 0600), made the first time. A token
/// file others could read is replaced (it may have leaked), as is one that is not a token.
pub fn load_token(data_dir: &Path) -> std::io::Result<String> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = data_dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let private = std::fs::metadata(&path)?.permissions().mode() & 0o077 == 0;
            let token = text.trim();
            if private && crate::secret::is_token(token) {
                return Ok(token.to_owned());
            }
            tracing::warn!(path = %path.display(), private, "the API token file was readable by others or not a token: a new token replaces it");
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let token = crate::secret::random_token()?;
    write_token(data_dir, &token).map_err(std::io::Error::other)?;
    Ok(token)
}

/// Keeps `token` as the data dir's API token (0600, atomically).
pub fn write_token(data_dir: &Path, token: &str) -> anyhow::Result<()> {
    write_private(data_dir, TOKEN_FILE, format!("{token}\n").as_bytes())
}

/// Replaces the API token of a data dir no daemon is using (`watchkeeper token rotate`
/// with none running): the next start serves with it.
pub fn rotate_token_at_rest(data_dir: &Path) -> anyhow::Result<()> {
    create_private_dir(data_dir)?;
    let _lock = DataDirLock::acquire(data_dir)?;
    let token = crate::secret::random_token().map_err(StartError::Token)?;
    write_token(data_dir, &token)
}
