//! Runs a program from an argv, never through a shell: in its own process group,
//! stdin closed, stdout and stderr captured together up to a cap, and the whole
//! group killed when the timeout passes.
//!
//! Shared by the command probe and command actions, with the keys they both take
//! (`command`, `env`, `cwd`). It must not interpret the outcome: exit codes mean what
//! the caller says they mean.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// A program to run: its argv (the program first), extra environment, working directory.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
}

impl CommandSpec {
    /// The `command`, `env` and `cwd` keys of a check or an action, compiled.
    pub fn compile(
        command: Option<toml::Spanned<Vec<String>>>,
        env: Option<BTreeMap<String, String>>,
        cwd: Option<String>,
        scope: &mut crate::diagnostic::Scope<'_, '_>,
    ) -> Option<CommandSpec> {
        let Some(command) = command else {
            scope.needs("command", "add `command = [\"program\", \"arg\"]` (run without a shell)");
            return None;
        };
        if command.get_ref().first().is_none_or(|program| program.trim().is_empty()) {
            scope.error(&command.span(), "command", "is empty", "name the program first, then its arguments");
            return None;
        }
        Some(CommandSpec {
            argv: command.into_inner(),
            env: env.unwrap_or_default().into_iter().collect(),
            cwd: cwd.map(PathBuf::from),
        })
    }

    /// A run of this command, bounded by `timeout` and `max_output`.
    pub fn request(&self, timeout: Duration, max_output: usize, on_output: Option<OutputSink>) -> Request<'_> {
        Request {
            argv: &self.argv,
            env: &self.env,
            cwd: self.cwd.as_deref(),
            timeout,
            max_output,
            on_output,
            stdin: None,
        }
    }
}

/// How long output is still read after the program exits, when a child it left
/// behind holds the pipes open.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(300);

pub struct Request<'a> {
    pub argv: &'a [String],
    pub env: &'a [(String, String)],
    pub cwd: Option<&'a Path>,
    pub timeout: Duration,
    pub max_output: usize,
    /// Called with each chunk of output as it arrives (within the cap), for live views.
    pub on_output: Option<OutputSink>,
    /// Written to the program's standard input, which is then closed (else it reads
    /// nothing: /dev/null).
    pub stdin: Option<Vec<u8>>,
}

/// Receives output chunks while a program runs.
pub type OutputSink = Arc<dyn Fn(&[u8]) + Send + Sync>;

#[derive(Debug, Clone)]
pub struct Outcome {
    /// The exit code; `None` when a signal ended the program.
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// Standard output and error in arrival order, capped.
    pub output: String,
    pub truncated: bool,
    pub duration: Duration,
}

impl Outcome {
    /// "exit 0", "killed by signal 9", "timed out after 5s".
    pub fn describe(&self) -> String {
        if self.timed_out {
            return format!("timed out after {}", crate::units::format_duration(self.duration));
        }
        match (self.exit_code, self.signal) {
            (Some(code), _) => format!("exit {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            (None, None) => "ended".to_owned(),
        }
    }
}

/// The program could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start `{program}`: {source}")]
pub struct SpawnError {
    pub program: String,
    pub source: std::io::Error,
}

pub async fn run(request: Request<'_>) -> Result<Outcome, SpawnError> {
    let started = Instant::now();
    let program = request.argv.first().cloned().unwrap_or_default();
    let mut command = Command::new(&program);
    command
        .args(&request.argv[1.min(request.argv.len())..])
        .envs(request.env.iter().map(|(k, v)| (k, v)))
        .stdin(if request.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    if let Some(cwd) = request.cwd {
        command.current_dir(cwd);
    }
    let mut child = command.spawn().map_err(|source| SpawnError { program: program.clone(), source })?;
    let pgid = child.id().map(|pid| pid as i32);
    // If this future is dropped before the program ends (shutdown, an outer timeout),
    // the whole group goes with it.
    let mut group = GroupGuard(pgid);
    if let (Some(mut pipe), Some(input)) = (child.stdin.take(), request.stdin) {
        // A program that does not read its input gets a closed pipe, never a stall.
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = pipe.write_all(&input).await;
        });
    }

    let sink = Arc::new(Mutex::new(Capture {
        text: Vec::new(),
        max: request.max_output,
        truncated: false,
        live: request.on_output.clone(),
    }));
    let stdout = child.stdout.take().map(|s| tokio::spawn(pump(s, sink.clone())));
    let stderr = child.stderr.take().map(|s| tokio::spawn(pump(s, sink.clone())));

    let (status, timed_out) = match tokio::time::timeout(request.timeout, child.wait()).await {
        Ok(status) => (status.ok(), false),
        Err(_) => {
            kill_group(pgid);
            (child.wait().await.ok(), true)
        }
    };
    // Output left in the pipes is read for a short while; a grandchild that keeps them
    // open does not hold us (it is killed only when we timed out).
    for pump in [stdout, stderr].into_iter().flatten() {
        if tokio::time::timeout(DRAIN_AFTER_EXIT, pump).await.is_err() && timed_out {
            kill_group(pgid);
        }
    }
    group.disarm();
    let (output, truncated) = {
        let capture = crate::panics::lock(&sink);
        (String::from_utf8_lossy(&capture.text).into_owned(), capture.truncated)
    };
    use std::os::unix::process::ExitStatusExt;
    Ok(Outcome {
        exit_code: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        timed_out,
        output,
        truncated,
        duration: started.elapsed(),
    })
}

/// Kills the process group when dropped, unless disarmed once the program has ended.
struct GroupGuard(Option<i32>);

impl GroupGuard {
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

fn kill_group(pgid: Option<i32>) {
    if let Some(pgid) = pgid.filter(|p| *p > 0) {
        // SAFETY: kill(2) with a negative pid signals the process group we created with
        // process_group(0); it touches no memory of ours.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
}

struct Capture {
    text: Vec<u8>,
    max: usize,
    truncated: bool,
    live: Option<OutputSink>,
}

/// Reads a pipe to its end, keeping at most the cap; the rest is drained and dropped so
/// the program never blocks on a full pipe.
async fn pump(mut pipe: impl AsyncRead + Unpin, sink: Arc<Mutex<Capture>>) {
    let mut buffer = [0u8; 8192];
    loop {
        match pipe.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut capture = crate::panics::lock(&sink);
                let room = capture.max.saturating_sub(capture.text.len());
                if n > room {
                    capture.truncated = true;
                }
                let keep = n.min(room);
                capture.text.extend_from_slice(&buffer[..keep]);
                if let (Some(live), true) = (&capture.live, keep > 0) {
                    live(&buffer[..keep]);
                }
            }
        }
    }
}
