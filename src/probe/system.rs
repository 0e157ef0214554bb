//! `kind = "system"`: this machine's figures through sysinfo (cpu, memory, swap, disk
//! per mount, load); `value` (a percent, or the load) is its value. Also the sampler
//! the `process` kind shares.
//!
//! One sampler is shared by all checks: refreshes are done on a blocking thread and
//! process tables are refreshed at most once per second however many checks ask.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Deserialize;
use sysinfo::{Disks, ProcessRefreshKind, ProcessesToUpdate, System};
use toml::Spanned;

use super::process::ProcessMatch;
use super::{Common, ProbeContext};
use crate::diagnostic::{did_you_mean, Scope};
use crate::model::{FailureClass, Observation, Value};
use crate::units::format_size;

pub const NAME: &str = "system";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "disk"
kind = "system"
metric = "disk"
mount = "/"
expect = ["value < 90"]"#;
pub const FIELDS: &[&str] = &["value"];
/// A failed condition is a `condition` failure, whatever its value.
pub const FAILED: &[(&str, FailureClass)] = &[];

const PROCESS_REFRESH_EVERY: Duration = Duration::from_secs(1);

/// The keys of a system check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// cpu, memory, swap, disk, load1, load5 or load15.
    #[schemars(with = "Option<String>")]
    pub metric: Option<Spanned<String>>,
    /// The mount point for `metric = "disk"` (default `/`).
    pub mount: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub metric: SystemMetric,
    /// Set for the disk metric.
    pub mount: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SystemMetric {
    Cpu,
    Memory,
    Swap,
    Disk,
    Load1,
    Load5,
    Load15,
}

impl SystemMetric {
    const ALL: [SystemMetric; 7] = [
        SystemMetric::Cpu,
        SystemMetric::Memory,
        SystemMetric::Swap,
        SystemMetric::Disk,
        SystemMetric::Load1,
        SystemMetric::Load5,
        SystemMetric::Load15,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SystemMetric::Cpu => "cpu",
            SystemMetric::Memory => "memory",
            SystemMetric::Swap => "swap",
            SystemMetric::Disk => "disk",
            SystemMetric::Load1 => "load1",
            SystemMetric::Load5 => "load5",
            SystemMetric::Load15 => "load15",
        }
    }
}

pub fn compile(keys: Keys, _: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let Some(metric) = keys.metric else {
        scope.needs("metric", "add `metric = \"cpu\"` (cpu, memory, swap, disk, load1, load5, load15)");
        return None;
    };
    let Some(found) = SystemMetric::ALL.into_iter().find(|m| m.as_str() == metric.get_ref()) else {
        let names: Vec<&str> = SystemMetric::ALL.iter().map(|m| m.as_str()).collect();
        let hint = did_you_mean(metric.get_ref(), &names);
        let message = format_args!("unknown metric `{}`", metric.get_ref());
        scope.error(&metric.span(), "metric", message, format!("{hint}the metrics are: {}", names.join(", ")));
        return None;
    };
    if keys.mount.is_some() && found != SystemMetric::Disk {
        scope.error(&metric.span(), "mount", "only applies to metric = \"disk\"", "remove `mount`");
        return None;
    }
    let mount = (found == SystemMetric::Disk).then(|| PathBuf::from(keys.mount.as_deref().unwrap_or("/")));
    Some(Spec { metric: found, mount })
}

pub fn default_expect(spec: &Spec) -> Vec<String> {
    match spec.metric {
        SystemMetric::Cpu | SystemMetric::Memory | SystemMetric::Disk => vec!["value < 90".into()],
        SystemMetric::Swap => vec!["value < 80".into()],
        SystemMetric::Load1 | SystemMetric::Load5 | SystemMetric::Load15 => {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            vec![format!("value < {}", cores * 2)]
        }
    }
}

pub fn target(spec: &Spec) -> String {
    match &spec.mount {
        Some(mount) => format!("{} {}", spec.metric.as_str(), mount.display()),
        None => spec.metric.as_str().to_owned(),
    }
}

pub fn remote(_: &Spec) -> bool {
    false
}

pub async fn probe(spec: &Spec, context: &ProbeContext, _: Duration, _: Duration) -> Observation {
    context.system.probe(spec.metric, spec.mount.as_deref()).await
}

#[derive(Default)]
pub struct Sampler {
    state: Mutex<SamplerState>,
}

#[derive(Default)]
struct SamplerState {
    system: Option<System>,
    cpu_primed: bool,
    processes_at: Option<Instant>,
    /// The last reading for an incident's evidence, and when it was taken.
    local: Option<(Instant, super::local::Reading)>,
}

impl Sampler {
    pub async fn probe(self: &std::sync::Arc<Self>, metric: SystemMetric, mount: Option<&Path>) -> Observation {
        let sampler = self.clone();
        let mount = mount.map(Path::to_owned);
        blocking(move || sampler.sample(metric, mount.as_deref())).await
    }

    pub async fn process(self: &std::sync::Arc<Self>, matcher: &ProcessMatch) -> Observation {
        let sampler = self.clone();
        let matcher = matcher.clone();
        blocking(move || sampler.find(&matcher)).await
    }

    /// Runs `work` on the shared system, with when processes were last refreshed and
    /// the last evidence reading. Blocking: call it off the runtime.
    pub(super) fn with_system<R>(
        &self,
        work: impl FnOnce(&mut System, &mut Option<Instant>, &mut Option<(Instant, super::local::Reading)>) -> R,
    ) -> R {
        let mut state = crate::panics::lock(&self.state);
        let state = &mut *state;
        let system = state.system.get_or_insert_with(System::new);
        work(system, &mut state.processes_at, &mut state.local)
    }

    fn sample(&self, metric: SystemMetric, mount: Option<&Path>) -> Observation {
        let mut state = crate::panics::lock(&self.state);
        let primed = state.cpu_primed;
        let system = state.system.get_or_insert_with(System::new);
        let (value, summary) = match metric {
            SystemMetric::Cpu => {
                system.refresh_cpu_usage();
                if !primed {
                    // CPU usage is a difference between two samples.
                    std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
                    system.refresh_cpu_usage();
                }
                let usage = f64::from(system.global_cpu_usage());
                (usage, format!("cpu {usage:.1}%"))
            }
            SystemMetric::Memory => {
                system.refresh_memory();
                let (used, total) = (system.used_memory(), system.total_memory());
                (percent(used, total), format!("memory {} of {}", format_size(used), format_size(total)))
            }
            SystemMetric::Swap => {
                system.refresh_memory();
                let (used, total) = (system.used_swap(), system.total_swap());
                if total == 0 {
                    (0.0, "no swap configured".to_owned())
                } else {
                    (percent(used, total), format!("swap {} of {}", format_size(used), format_size(total)))
                }
            }
            SystemMetric::Disk => {
                let mount = mount.unwrap_or(Path::new("/"));
                let disks = Disks::new_with_refreshed_list();
                let Some(disk) = disks.list().iter().find(|d| d.mount_point() == mount) else {
                    return Observation::failed(
                        FailureClass::ProbeError,
                        format!("no file system is mounted at {}", mount.display()),
                    );
                };
                let total = disk.total_space();
                let used = total.saturating_sub(disk.available_space());
                (
                    percent(used, total),
                    format!("{} used {} of {}", mount.display(), format_size(used), format_size(total)),
                )
            }
            SystemMetric::Load1 | SystemMetric::Load5 | SystemMetric::Load15 => {
                let load = System::load_average();
                let value = match metric {
                    SystemMetric::Load1 => load.one,
                    SystemMetric::Load5 => load.five,
                    _ => load.fifteen,
                };
                (value, format!("load {value:.2}"))
            }
        };
        if metric == SystemMetric::Cpu {
            state.cpu_primed = true;
        }
        Observation {
            values: vec![("value", Value::Float((value * 10.0).round() / 10.0))],
            summary,
            ..Default::default()
        }
    }

    fn find(&self, matcher: &ProcessMatch) -> Observation {
        let mut state = crate::panics::lock(&self.state);
        let fresh = state.processes_at.is_some_and(|at| at.elapsed() < PROCESS_REFRESH_EVERY);
        if !fresh {
            state.processes_at = Some(Instant::now());
        }
        let system = state.system.get_or_insert_with(System::new);
        if !fresh {
            let refresh =
                ProcessRefreshKind::nothing().with_cpu().with_memory().with_cmd(sysinfo::UpdateKind::OnlyIfNotSet);
            system.refresh_processes_specifics(ProcessesToUpdate::All, true, refresh);
        }
        let pid_from_file = match matcher {
            ProcessMatch::PidFile(path) => match read_pid_file(path) {
                Ok(Some(pid)) => Some(pid),
                Ok(None) => {
                    return Observation {
                        values: vec![("count", Value::Int(0))],
                        summary: format!("no pid file at {}", path.display()),
                        ..Default::default()
                    }
                }
                Err(error) => return Observation::failed(FailureClass::ProbeError, error.to_string()),
            },
            _ => None,
        };
        let own_pid = std::process::id();
        let matches = system.processes().values().filter(|p| is_match(p, matcher, pid_from_file, own_pid));
        let (mut count, mut cpu, mut memory, mut uptime) = (0i64, 0f64, 0u64, 0u64);
        for process in matches {
            count += 1;
            cpu += f64::from(process.cpu_usage());
            memory += process.memory();
            uptime = uptime.max(process.run_time());
        }
        Observation {
            values: vec![
                ("count", Value::Int(count)),
                ("cpu", Value::Float(cpu)),
                ("memory", Value::Bytes(memory)),
                ("uptime", Value::Duration(Duration::from_secs(uptime))),
            ],
            summary: match count {
                0 => "no matching process".to_owned(),
                1 => format!("1 process, {}", format_size(memory)),
                n => format!("{n} processes, {}", format_size(memory)),
            },
            ..Default::default()
        }
    }
}

/// Why processes could not be looked for.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error("no pid file at {}", .0.display())]
    NoPidFile(PathBuf),
    #[error("pid file {} does not hold a pid", .0.display())]
    NotAPid(PathBuf),
    #[error("cannot read pid file {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("check {0} is not linked to its processes")]
    Unlinked(String),
    #[error("the process lookup failed: {0}")]
    Lookup(String),
}

/// The pid a pid file names; `None` when there is no such file.
fn read_pid_file(path: &Path) -> Result<Option<u32>, FindError> {
    match std::fs::read_to_string(path) {
        Ok(text) => match text.trim().parse::<u32>() {
            Ok(pid) => Ok(Some(pid)),
            Err(_) => Err(FindError::NotAPid(path.to_owned())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FindError::Unreadable { path: path.to_owned(), source }),
    }
}

/// Whether a process is one a matcher finds: threads and this process never are.
fn is_match(process: &sysinfo::Process, matcher: &ProcessMatch, pid_from_file: Option<u32>, own_pid: u32) -> bool {
    // Threads are listed as processes on Linux; count each process once.
    if process.thread_kind().is_some() || process.pid().as_u32() == own_pid {
        return false;
    }
    match matcher {
        ProcessMatch::Name(name) => process.name() == name.as_str(),
        ProcessMatch::Cmdline(re) => {
            let cmdline = process.cmd().iter().map(|part| part.to_string_lossy()).collect::<Vec<_>>().join(" ");
            re.is_match(&cmdline)
        }
        ProcessMatch::PidFile(_) => Some(process.pid().as_u32()) == pid_from_file,
    }
}

/// A process a matcher found now: its pid and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub pid: u32,
    pub name: String,
}

/// [`find_now`], off the runtime.
pub async fn find(matcher: ProcessMatch) -> Result<Vec<Found>, FindError> {
    tokio::task::spawn_blocking(move || find_now(&matcher))
        .await
        .unwrap_or_else(|e| Err(FindError::Lookup(e.to_string())))
}

/// The processes a matcher finds now, read afresh (for acting on them, not sampling),
/// lowest pid first. Blocking: call it off the runtime.
pub fn find_now(matcher: &ProcessMatch) -> Result<Vec<Found>, FindError> {
    let pid_from_file = match matcher {
        ProcessMatch::PidFile(path) => match read_pid_file(path)? {
            Some(pid) => Some(pid),
            None => return Err(FindError::NoPidFile(path.clone())),
        },
        _ => None,
    };
    let mut system = System::new();
    let refresh = ProcessRefreshKind::nothing().with_cmd(sysinfo::UpdateKind::OnlyIfNotSet);
    system.refresh_processes_specifics(ProcessesToUpdate::All, true, refresh);
    let own_pid = std::process::id();
    let mut found: Vec<Found> = system
        .processes()
        .values()
        .filter(|p| is_match(p, matcher, pid_from_file, own_pid))
        .map(|p| Found { pid: p.pid().as_u32(), name: p.name().to_string_lossy().into_owned() })
        .collect();
    found.sort_by_key(|f| f.pid);
    Ok(found)
}

fn percent(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 * 100.0 / total as f64
    }
}

async fn blocking(work: impl FnOnce() -> Observation + Send + 'static) -> Observation {
    match tokio::task::spawn_blocking(work).await {
        Ok(observation) => observation,
        Err(e) => Observation::failed(FailureClass::ProbeError, format!("the system probe failed: {e}")),
    }
}
