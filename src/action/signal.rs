//! `kind = "signal"`: a signal (`HUP` to reload, `USR1` to reopen logs, `TERM`, ...)
//! to the processes a process check finds (`check`), or to the one a pid file names.
//! The processes are found afresh when it runs; when there are several it refuses,
//! unless `all = true`: a reload meant for one daemon must not reach its neighbours.

use std::ops::Range;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{listing, processes, several, Context, Preview, Ran};
use crate::diagnostic::Scope;
use crate::exec;
use crate::model::RunStatus;
use crate::probe::process::ProcessMatch;
use crate::probe::system::{FindError, Found};

pub const NAME: &str = "signal";

/// The signals an action may send, by name.
const SIGNALS: &[(&str, libc::c_int)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("TERM", libc::SIGTERM),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("USR2", libc::SIGUSR2),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("WINCH", libc::SIGWINCH),
];

/// The keys of a signal action.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The signal: HUP, INT, QUIT, TERM, KILL, USR1, USR2, CONT, STOP or WINCH (`SIG`
    /// may lead).
    #[schemars(with = "Option<String>")]
    pub signal: Option<Spanned<String>>,
    /// A process check, by id: the signal goes to the processes it finds.
    #[schemars(with = "Option<String>")]
    pub check: Option<Spanned<String>>,
    /// Or a pid file: the signal goes to the process it names.
    #[schemars(with = "Option<String>")]
    pub pid_file: Option<Spanned<String>>,
    /// Send it to every process found, when there are several (default false: refuse).
    pub all: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub signal: (&'static str, libc::c_int),
    pub target: Target,
    pub all: bool,
}

#[derive(Debug, Clone)]
pub enum Target {
    /// A process check's processes; its matcher is filled in once the checks are known
    /// (config links it).
    Check {
        id: String,
        span: Range<usize>,
        matcher: Option<ProcessMatch>,
    },
    PidFile(PathBuf),
}

pub fn compile(keys: Keys, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let signal = match &keys.signal {
        None => {
            scope.needs("signal", "add `signal = \"HUP\"`");
            None
        }
        Some(name) => {
            let wanted = name.get_ref().trim().to_ascii_uppercase();
            let wanted = wanted.strip_prefix("SIG").unwrap_or(&wanted);
            let found = SIGNALS.iter().find(|(known, _)| *known == wanted).copied();
            if found.is_none() {
                let names: Vec<&str> = SIGNALS.iter().map(|(n, _)| *n).collect();
                let message = format_args!("`{}` is not a signal an action may send", name.get_ref());
                scope.error(&name.span(), "signal", message, format!("use one of: {}", names.join(", ")));
            }
            found
        }
    };
    let target = match (keys.check, keys.pid_file) {
        (Some(check), None) => {
            let span = check.span();
            Some(Target::Check { id: check.into_inner(), span, matcher: None })
        }
        (None, Some(path)) if PathBuf::from(path.get_ref()).is_absolute() => {
            Some(Target::PidFile(PathBuf::from(path.into_inner())))
        }
        (None, Some(path)) => {
            let message = format_args!("`{}` is not an absolute path", path.get_ref());
            scope.error(&path.span(), "pid_file", message, "write the pid file's full path, e.g. `/run/nginx.pid`");
            None
        }
        (Some(_), Some(_)) => {
            let message = "give `check` or `pid_file`, not both";
            scope.error(&scope.anchor(), "", message, "keep the one that finds the process");
            None
        }
        (None, None) => {
            scope.needs("check` or `pid_file", "add `check = \"ID\"` (a process check) or `pid_file = \"/run/x.pid\"`");
            None
        }
    };
    Some(Spec { signal: signal?, target: target?, all: keys.all.unwrap_or(false) })
}

/// What it does, in one line: `sends HUP to the processes of check nginx`.
pub fn describe(spec: &Spec) -> String {
    let to = match &spec.target {
        Target::Check { id, .. } => format!("the processes of check {id}"),
        Target::PidFile(path) => format!("the process in {}", path.display()),
    };
    let all = if spec.all { " (all of them)" } else { "" };
    format!("sends {} to {to}{all}", spec.signal.0)
}

/// What a dry run shows: the signal and the processes it would reach now.
pub async fn preview(spec: &Spec, _: Duration, _: &Context) -> Preview {
    let found = targets(spec).await;
    format!("would send {} to:{}", spec.signal.0, listing(&found, spec.all, "signal")).into()
}

pub async fn run(spec: &Spec, _: Duration, on_output: Option<exec::OutputSink>, _: &Context) -> Ran {
    let started = Instant::now();
    let (status, output) = match targets(spec).await {
        Err(e @ FindError::Lookup(_)) => (RunStatus::Error, format!("[{e}]")),
        Err(e) => (RunStatus::Failed, format!("[{e}]")),
        Ok(found) if found.is_empty() => (RunStatus::Failed, "[no process found: nothing to signal]".to_owned()),
        Ok(found) if found.len() > 1 && !spec.all => {
            (RunStatus::Failed, format!("[{}]", several(found.len(), "signal")))
        }
        Ok(found) => send(spec.signal, &found),
    };
    if let Some(sink) = on_output {
        sink(output.as_bytes());
    }
    Ran::of(status, None, output, started.elapsed())
}

async fn targets(spec: &Spec) -> Result<Vec<Found>, FindError> {
    match &spec.target {
        Target::Check { id, matcher, .. } => processes(id, matcher.as_ref()).await,
        Target::PidFile(path) => crate::probe::system::find(ProcessMatch::PidFile(path.clone())).await,
    }
}

/// Sends the signal to each process; `ok` when every one got it.
fn send((name, number): (&str, libc::c_int), found: &[Found]) -> (RunStatus, String) {
    let mut lines = Vec::new();
    let mut all_sent = true;
    for process in found {
        let Ok(pid) = libc::pid_t::try_from(process.pid) else { continue };
        // SAFETY: kill(2) with a pid > 0 and a valid signal number touches no memory.
        let sent = unsafe { libc::kill(pid, number) } == 0;
        if sent {
            lines.push(format!("sent {name} to {} ({})", process.pid, process.name));
        } else {
            all_sent = false;
            let error = std::io::Error::last_os_error();
            lines.push(format!("[could not send {name} to {} ({}): {error}]", process.pid, process.name));
        }
    }
    (if all_sent { RunStatus::Ok } else { RunStatus::Failed }, lines.join("\n"))
}
