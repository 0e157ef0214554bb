//! `kind = "restart"`: a systemd unit over systemd's D-Bus API (`unit`, `scope`), a
//! container over the Docker Engine API (`container`, and `socket`; Podman's socket
//! serves the same API), or a process a process check finds, by its start command
//! (`check` and `command`): the running processes get TERM (KILL after half the
//! timeout), then the command starts it again in a session of its own, and the run
//! waits for the check's process to appear.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{listing, processes, several, Context, Preview, Ran};
use crate::diagnostic::Scope;
use crate::docker::Docker;
use crate::exec::{self, CommandSpec};
use crate::model::RunStatus;
use crate::probe::process::ProcessMatch;
use crate::probe::system::{FindError, Found};
use crate::systemd::{self, Scope as SystemdScope};

pub const NAME: &str = "restart";

/// The keys of a restart action.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// A container, by name or id: restarted through the Docker Engine API.
    #[schemars(with = "Option<String>")]
    pub container: Option<Spanned<String>>,
    /// The engine's socket (default `$DOCKER_HOST`, `/var/run/docker.sock`, then
    /// Podman's rootful and rootless sockets).
    pub socket: Option<String>,
    /// A process check, by id: its processes are stopped and `command` starts it again.
    #[schemars(with = "Option<String>")]
    pub check: Option<Spanned<String>>,
    /// The start command of the `check`'s process, as an argv (run in a session of its
    /// own, so it outlives the run; its output goes to `logs/` in the data dir).
    #[schemars(with = "Option<Vec<String>>")]
    pub command: Option<Spanned<Vec<String>>>,
    /// Stop every process the check finds, when there are several (default false).
    pub all: Option<bool>,
    /// A systemd unit, e.g. `nginx.service`: restarted through systemd's D-Bus API.
    #[schemars(with = "Option<String>")]
    pub unit: Option<Spanned<String>>,
    /// Whose unit: `user` (your session's manager, the default) or `system` (allow it
    /// with a polkit rule; docs/actions.md has one).
    #[schemars(with = "Option<String>")]
    pub scope: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub enum Spec {
    Unit { name: String, scope: SystemdScope },
    Container { name: String, socket: Option<PathBuf> },
    Process(ProcessRestart),
}

#[derive(Debug, Clone)]
pub struct ProcessRestart {
    pub check: String,
    pub span: std::ops::Range<usize>,
    /// Filled in by config once the checks are known.
    pub matcher: Option<ProcessMatch>,
    pub start: CommandSpec,
    pub all: bool,
}

pub fn compile(keys: Keys, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    if let Some(unit) = keys.unit {
        let systemd_scope = match keys.scope.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
            None | Some(("user", _)) => SystemdScope::User,
            Some(("system", _)) => SystemdScope::System,
            Some((other, span)) => {
                scope.error(&span, "scope", format_args!("`{other}` is not a scope"), "use `user` or `system`");
                return None;
            }
        };
        if keys.container.is_some() || keys.check.is_some() || keys.command.is_some() {
            let message = "a unit restart takes no `container`, `check` or `command`";
            scope.error(&unit.span(), "", message, "keep `unit` (and `scope`), or make it another action");
            return None;
        }
        let name = unit.get_ref().trim();
        if name.is_empty() || name.contains('/') || name.chars().any(char::is_whitespace) {
            let message = format_args!("`{}` is not a unit name", unit.get_ref());
            scope.error(&unit.span(), "unit", message, "e.g. `nginx.service`");
            return None;
        }
        // `nginx` means `nginx.service`, as systemctl reads it.
        let name = if name.contains('.') { name.to_owned() } else { format!("{name}.service") };
        return Some(Spec::Unit { name, scope: systemd_scope });
    }
    if let Some(given) = &keys.scope {
        scope.error(&given.span(), "scope", "applies to `unit` only", "remove `scope`");
    }
    match (keys.container, keys.check) {
        (Some(container), None) => {
            if keys.command.is_some() {
                scope.error(&scope.anchor(), "command", "a container restart takes no `command`", "remove `command`");
            }
            let name = container.into_inner();
            if name.trim().is_empty() {
                scope.error(&scope.anchor(), "container", "is empty", "name the container, e.g. `container = \"web\"`");
                return None;
            }
            Some(Spec::Container { name, socket: keys.socket.map(PathBuf::from) })
        }
        (None, Some(check)) => {
            let Some(command) = keys.command else {
                scope.needs("command", "add the start command, e.g. `command = [\"/opt/app/bin/app\", \"serve\"]`");
                return None;
            };
            let start = CommandSpec::compile(Some(command), None, None, scope)?;
            let span = check.span();
            Some(Spec::Process(ProcessRestart {
                check: check.into_inner(),
                span,
                matcher: None,
                start,
                all: keys.all.unwrap_or(false),
            }))
        }
        (Some(_), Some(_)) => {
            scope.error(&scope.anchor(), "", "give `container` or `check`, not both", "keep the one to restart");
            None
        }
        (None, None) => {
            scope.needs(
                "container` or `check",
                "add `container = \"web\"`, or `check = \"ID\"` with its start `command`",
            );
            None
        }
    }
}

/// What it does, in one line.
pub fn describe(spec: &Spec) -> String {
    match spec {
        Spec::Unit { name, scope } => format!("restarts {} unit {name}", scope.as_str()),
        Spec::Container { name, .. } => format!("restarts container {name}"),
        Spec::Process(process) => {
            format!("restarts the process of check {} with {}", process.check, process.start.argv.join(" "))
        }
    }
}

/// What a dry run shows: the engine and container, or the processes and the command.
pub async fn preview(spec: &Spec, timeout: Duration, _: &Context) -> Preview {
    match spec {
        Spec::Unit { name, scope } => format!(
            "would restart {} unit {name} (RestartUnit \"replace\" on systemd's D-Bus API), waiting up to {} for its job",
            scope.as_str(),
            crate::units::format_duration(timeout)
        )
        .into(),
        Spec::Container { name, socket } => match Docker::connect(socket.as_deref()) {
            Ok(docker) => {
                let state = match docker.state(name, timeout.min(Duration::from_secs(5))).await {
                    Ok(state) => format!("it is {}", state.status),
                    Err(e) => format!("but: {e}"),
                };
                format!("would restart container {name} through {}; {state}", docker.socket().display()).into()
            }
            Err(e) => format!("would restart container {name}, but: {e}").into(),
        },
        Spec::Process(process) => {
            let found = processes(&process.check, process.matcher.as_ref()).await;
            let stop = listing(&found, process.all, "stop");
            format!("would stop:{stop}\nthen start: {}", process.start.argv.join(" ")).into()
        }
    }
}

pub async fn run(spec: &Spec, timeout: Duration, on_output: Option<exec::OutputSink>, context: &Context) -> Ran {
    let started = Instant::now();
    let (status, output) = match spec {
        Spec::Unit { name, scope } => restart_unit(name, *scope, timeout).await,
        Spec::Container { name, socket } => restart_container(name, socket.as_deref(), timeout).await,
        Spec::Process(process) => restart_process(process, timeout, context).await,
    };
    if let Some(sink) = on_output {
        sink(output.as_bytes());
    }
    Ran::of(status, None, output, started.elapsed())
}

async fn restart_unit(name: &str, scope: SystemdScope, timeout: Duration) -> (RunStatus, String) {
    match systemd::restart_unit(scope, name, timeout).await {
        Ok(job) => (RunStatus::Ok, format!("restarted {} unit {name} (job {job} done)", scope.as_str())),
        Err(e @ systemd::SystemdError::Timeout { .. }) => (RunStatus::Timeout, format!("[{e}]\n[{}]", e.resolution())),
        Err(e @ systemd::SystemdError::NoBus { .. }) => (RunStatus::Error, format!("[{e}]\n[{}]", e.resolution())),
        Err(e) => (RunStatus::Failed, format!("[{e}]\n[{}]", e.resolution())),
    }
}

async fn restart_container(name: &str, socket: Option<&std::path::Path>, timeout: Duration) -> (RunStatus, String) {
    let docker = match Docker::connect(socket) {
        Ok(docker) => docker,
        Err(e) => return (RunStatus::Error, format!("[{e}]\n[{}]", e.resolution())),
    };
    // The container gets most of the timeout to stop; the engine answers after it restarted.
    let stop = timeout.saturating_sub(Duration::from_secs(2)).max(Duration::from_secs(1)) / 2;
    match docker.restart(name, stop, timeout).await {
        Ok(()) => {
            let state =
                docker.state(name, Duration::from_secs(5)).await.map(|s| s.status).unwrap_or_else(|e| e.to_string());
            (RunStatus::Ok, format!("restarted container {name} through {}; it is {state}", docker.socket().display()))
        }
        Err(e @ crate::docker::DockerError::Timeout(_)) => (RunStatus::Timeout, format!("[{e}]\n[{}]", e.resolution())),
        Err(e) => (RunStatus::Failed, format!("[{e}]\n[{}]", e.resolution())),
    }
}

async fn restart_process(process: &ProcessRestart, timeout: Duration, context: &Context) -> (RunStatus, String) {
    let deadline = Instant::now() + timeout;
    let found = match processes(&process.check, process.matcher.as_ref()).await {
        Ok(found) => found,
        Err(e @ FindError::Lookup(_)) => return (RunStatus::Error, format!("[{e}]")),
        Err(e) => return (RunStatus::Failed, format!("[{e}]")),
    };
    if found.len() > 1 && !process.all {
        return (RunStatus::Failed, format!("[{}]", several(found.len(), "stop")));
    }
    let mut lines = Vec::new();
    if found.is_empty() {
        lines.push("no process was running".to_owned());
    }
    for p in &found {
        lines.push(stop(p, timeout / 2).await);
    }
    // Started in a session of its own (`setsid -f`): it outlives this run, and the
    // run's timeout never kills it.
    let log = context.data_dir.as_ref().map(|dir| dir.join("logs").join(format!("restart-{}.log", context.action)));
    let mut command = std::process::Command::new("setsid");
    command.arg("-f").args(&process.start.argv).stdin(std::process::Stdio::null());
    match log.as_ref().and_then(|path| {
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::OpenOptions::new().create(true).append(true).open(path).ok()
    }) {
        Some(file) => {
            let copy = file.try_clone().ok();
            command.stdout(file);
            command.stderr(copy.map_or(std::process::Stdio::null(), std::process::Stdio::from));
        }
        None => {
            command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        }
    }
    match tokio::process::Command::from(command).status().await {
        Ok(status) if status.success() => {}
        Ok(status) => {
            return (
                RunStatus::Failed,
                format!("{}\n[could not start {}: {status}]", lines.join("\n"), process.start.argv.join(" ")),
            )
        }
        Err(e) => {
            return (
                RunStatus::Error,
                format!("{}\n[could not start {}: {e}]", lines.join("\n"), process.start.argv.join(" ")),
            )
        }
    }
    lines.push(format!("started: {}", process.start.argv.join(" ")));
    // Until the check's process shows (or the timeout).
    let old: Vec<u32> = found.iter().map(|p| p.pid).collect();
    loop {
        if let Ok(now) = processes(&process.check, process.matcher.as_ref()).await {
            if let Some(new) = now.iter().find(|p| !old.contains(&p.pid)) {
                lines.push(format!("running: {} ({})", new.pid, new.name));
                return (RunStatus::Ok, lines.join("\n"));
            }
        }
        if Instant::now() >= deadline {
            let where_ = log.map(|l| format!("; its output is in {}", l.display())).unwrap_or_default();
            lines
                .push(format!("[no new process matching check {} appeared within the timeout{where_}]", process.check));
            return (RunStatus::Timeout, lines.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// TERM, then KILL if it is still there after `grace`.
async fn stop(process: &Found, grace: Duration) -> String {
    let Ok(pid) = libc::pid_t::try_from(process.pid) else { return format!("[pid {} is out of range]", process.pid) };
    // SAFETY: kill(2) with a positive pid touches no memory.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        return format!("[could not stop {} ({}): {}]", process.pid, process.name, std::io::Error::last_os_error());
    }
    let until = Instant::now() + grace;
    while Instant::now() < until {
        // SAFETY: as above; signal 0 only checks that the process exists.
        if unsafe { libc::kill(pid, 0) } != 0 || is_zombie(process.pid) {
            return format!("stopped {} ({})", process.pid, process.name);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    format!("killed {} ({}): it outlived TERM by {}", process.pid, process.name, crate::units::format_duration(grace))
}

/// A process that exited but was not reaped yet by its parent.
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}
