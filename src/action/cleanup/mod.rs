//! `kind = "cleanup"`, built in: files under an absolute `path` matching `pattern`,
//! older than `older_than`, the `keep_newest` newest always kept, and as many of the
//! oldest as bring the total under `max_total_size`. They go to a quarantine folder in
//! the data dir (undo puts them back) that is purged after `quarantine`; `0s` deletes
//! at once. The walk never follows a symlink nor leaves the root's file system
//! (`walk`); a root that would be a disaster is refused by config.

pub mod quarantine;
pub mod walk;

use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Context, Preview, Ran};
use crate::diagnostic::Scope;
use crate::exec;
use crate::glob::Glob;
use crate::model::{Plan, PlanFile, Quarantined, RunStatus};
use crate::units::{format_duration, format_size};
use walk::Found;

pub const NAME: &str = "cleanup";

/// Files listed by name in a run's output (all are in the plan and the manifest).
const LISTED: usize = 200;

/// Roots refused whatever the pattern: the file system's top and the system's own.
const DISASTERS: &[&str] = &[
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/media", "/mnt", "/opt", "/proc",
    "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/log", "/var/tmp",
];

/// The keys of a cleanup action.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The folder to clean, absolute, e.g. `/var/log/myapp`. Never `/`, a system
    /// folder, your home folder itself or the data dir.
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
    /// Which files: `*.log` (a name, at any depth), `old/*.gz` (a path below `path`),
    /// `**/*.tmp`.
    #[schemars(with = "Option<String>")]
    pub pattern: Option<Spanned<String>>,
    /// Only files last modified longer ago than this, e.g. `7d`.
    #[schemars(with = "Option<String>")]
    pub older_than: Option<Spanned<String>>,
    /// The newest matching files always kept, however old (default 0). Alone (no
    /// `older_than`, no `max_total_size`) it is rotation: all but these go.
    #[schemars(with = "Option<u32>")]
    pub keep_newest: Option<Spanned<i64>>,
    /// Remove the oldest matching files until they total at most this, e.g. `500MB`.
    #[schemars(with = "Option<String>")]
    pub max_total_size: Option<Spanned<String>>,
    /// How long removed files are kept for undo, e.g. `24h` (default 24h); `0s`
    /// deletes them at once.
    #[schemars(with = "Option<String>")]
    pub quarantine: Option<Spanned<String>>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub root: PathBuf,
    pub pattern: String,
    pub glob: Glob,
    pub older_than: Option<Duration>,
    pub keep_newest: usize,
    pub max_total_size: Option<u64>,
    pub quarantine: Duration,
}

pub fn compile(keys: Keys, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let root = match &keys.path {
        None => {
            scope.needs("path", "add `path = \"/var/log/myapp\"`");
            None
        }
        Some(path) => match refused_root(Path::new(path.get_ref())) {
            Some(why) => {
                let message = format_args!("`{}` {why}", path.get_ref());
                scope.error(
                    &path.span(),
                    "path",
                    message,
                    "name the one folder whose files may go, e.g. `/var/log/myapp`",
                );
                None
            }
            None => Some(PathBuf::from(path.get_ref())),
        },
    };
    let glob = match &keys.pattern {
        None => {
            scope.needs("pattern", "add `pattern = \"*.log\"`");
            None
        }
        Some(pattern) => match Glob::parse(pattern.get_ref()) {
            Ok(glob) => Some((pattern.get_ref().clone(), glob)),
            Err(e) => {
                scope.error(
                    &pattern.span(),
                    "pattern",
                    format_args!("`{}`: {e}", pattern.get_ref()),
                    "e.g. `*.log` or `old/*.gz`",
                );
                None
            }
        },
    };
    let older_than = keys.older_than.as_ref().and_then(|d| scope.duration("older_than", d));
    let max_total_size = keys.max_total_size.as_ref().and_then(|s| scope.size("max_total_size", s));
    let quarantine = keys.quarantine.as_ref().and_then(|d| scope.duration("quarantine", d));
    let keep_newest = match &keys.keep_newest {
        Some(n) => match usize::try_from(*n.get_ref()) {
            Ok(n) => n,
            Err(_) => {
                scope.error(&n.span(), "keep_newest", format_args!("must be 0 or more, got {}", n.get_ref()), "");
                0
            }
        },
        None => 0,
    };
    if keys.older_than.is_none() && keys.max_total_size.is_none() {
        match &keys.keep_newest {
            None => {
                let message = "says nothing of which files may go: every matching file would";
                let resolution = "add `older_than = \"7d\"`, `keep_newest = 5` or `max_total_size = \"500MB\"`";
                scope.error(&scope.anchor(), "", message, resolution);
                return None;
            }
            // Alone, it is rotation (all but the newest go): 0 would be every file.
            Some(n) if keep_newest == 0 => {
                let message = "keep_newest = 0 with no other limit removes every matching file";
                let resolution = "keep 1 or more, or add `older_than = \"7d\"` or `max_total_size = \"500MB\"`";
                scope.error(&n.span(), "keep_newest", message, resolution);
                return None;
            }
            Some(_) => {}
        }
    }
    let (pattern, glob) = glob?;
    Some(Spec {
        root: root?,
        pattern,
        glob,
        older_than,
        keep_newest,
        max_total_size,
        quarantine: quarantine.unwrap_or(Duration::from_secs(24 * 3600)),
    })
}

/// Why a root is refused; `None` when it is one a cleanup may work in.
fn refused_root(root: &Path) -> Option<String> {
    if !root.is_absolute() {
        return Some("is not an absolute path".into());
    }
    if root.components().any(|c| matches!(c, Component::ParentDir | Component::CurDir)) {
        return Some("has `.` or `..` in it".into());
    }
    let normal: PathBuf = root.components().collect();
    if DISASTERS.iter().any(|d| Path::new(d) == normal) {
        return Some("is a system folder: cleaning it could break the machine".into());
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if home.is_some_and(|home| home == normal) {
        return Some("is your home folder itself".into());
    }
    if normal.starts_with("/proc") || normal.starts_with("/sys") || normal.starts_with("/dev") {
        return Some("is in a kernel file system".into());
    }
    None
}

/// Why nothing can be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{} holds or is inside the data dir {}: its history and quarantine are not for cleaning", .root.display(), .data.display())]
    HoldsDataDir { root: PathBuf, data: PathBuf },
    #[error("{} is a symlink or not a folder: name the folder itself", .0.display())]
    NotAFolder(PathBuf),
    #[error("cannot open {}: {error}", .root.display())]
    Open { root: PathBuf, error: rustix::io::Errno },
    #[error("cannot walk {}: {error}", .root.display())]
    Walk { root: PathBuf, error: rustix::io::Errno },
    #[error("the walk failed: {0}")]
    Join(String),
}

/// A root that holds the data dir or is inside it is refused.
fn refused_with(root: &Path, data_dir: &Path) -> Option<PlanError> {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
    let (root, data) = (canonical(root), canonical(data_dir));
    (data.starts_with(&root) || root.starts_with(&data)).then_some(PlanError::HoldsDataDir { root, data })
}

/// What it does, in one line.
pub fn describe(spec: &Spec) -> String {
    let mut which = Vec::new();
    if let Some(age) = spec.older_than {
        which.push(format!("older than {}", format_duration(age)));
    }
    if let Some(cap) = spec.max_total_size {
        which.push(format!("beyond {} in all", format_size(cap)));
    }
    if spec.older_than.is_none() && spec.max_total_size.is_none() {
        let (pattern, root, kept) = (&spec.pattern, spec.root.display(), spec.keep_newest);
        return format!("removes all but the {kept} newest of {pattern} under {root}");
    }
    if spec.keep_newest > 0 {
        which.push(format!("keeping the {} newest", spec.keep_newest));
    }
    format!("removes {} under {} {}", spec.pattern, spec.root.display(), which.join(", "))
}

/// The walk and the choice, off the runtime: what would go now.
async fn plan(spec: &Spec, context: &Context) -> Result<(Vec<Found>, usize, walk::Walked), PlanError> {
    if let Some(why) = context.data_dir.as_deref().and_then(|data| refused_with(&spec.root, data)) {
        return Err(why);
    }
    let spec = spec.clone();
    let now = context.now;
    let walked = tokio::task::spawn_blocking(move || {
        let root = walk::open_root(&spec.root).map_err(|error| match error {
            rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR => PlanError::NotAFolder(spec.root.clone()),
            error => PlanError::Open { root: spec.root.clone(), error },
        })?;
        let mut walked =
            walk::walk(&root, &spec.glob).map_err(|error| PlanError::Walk { root: spec.root.clone(), error })?;
        let now_ns = i128::from(now.timestamp_nanos_opt().unwrap_or(i64::MAX));
        let older = spec.older_than.map(|d| d.as_nanos() as i128);
        let files = std::mem::take(&mut walked.files);
        let (gone, kept) = walk::choose(files, spec.keep_newest, older, spec.max_total_size, now_ns);
        Ok((gone, kept.len(), walked))
    })
    .await
    .map_err(|e| PlanError::Join(e.to_string()))?;
    walked
}

fn plan_of(spec: &Spec, gone: &[Found]) -> Plan {
    let files: Vec<PlanFile> = gone
        .iter()
        .map(|f| PlanFile {
            path: spec.root.join(walk::os(&f.relative())).to_string_lossy().into_owned(),
            size: f.size,
            modified: DateTime::from_timestamp_nanos(f.mtime_ns.clamp(0, i128::from(i64::MAX)) as i64),
        })
        .collect();
    Plan { count: files.len() as u64, bytes: files.iter().map(|f| f.size).sum(), files }
}

/// What a dry run shows: exactly the files that would go, and the bytes.
pub async fn preview(spec: &Spec, _: Duration, context: &Context) -> Preview {
    match plan(spec, context).await {
        Err(why) => Preview { text: format!("nothing would go: {why}"), plan: None },
        Ok((gone, kept, walked)) => {
            let plan = plan_of(spec, &gone);
            let mut text = format!(
                "would remove {} files ({}) under {}, keeping {kept}",
                plan.count,
                format_size(plan.bytes),
                spec.root.display()
            );
            if spec.quarantine.is_zero() {
                text.push_str("; they would be deleted at once (quarantine = 0s): no undo");
            } else {
                text.push_str(&format!("; they would be kept {} for undo", format_duration(spec.quarantine)));
            }
            text.push_str(&listing(&plan));
            text.push_str(&notes(&walked));
            Preview { text, plan: Some(plan) }
        }
    }
}

fn listing(plan: &Plan) -> String {
    let mut text = String::new();
    for file in plan.files.iter().take(LISTED) {
        text.push_str(&format!("\n  {} ({})", file.path.escape_debug(), format_size(file.size)));
    }
    if plan.files.len() > LISTED {
        text.push_str(&format!("\n  … and {} more", plan.files.len() - LISTED));
    }
    text
}

fn notes(walked: &walk::Walked) -> String {
    let mut text = String::new();
    for other in &walked.other_filesystems {
        text.push_str(&format!("\nnot entered (another file system): {other}"));
    }
    for skipped in walked.skipped.iter().take(20) {
        text.push_str(&format!("\nskipped: {skipped}"));
    }
    if walked.truncated {
        text.push_str(&format!("\nthe walk stopped at {} files", walk::MAX_FILES));
    }
    text
}

pub async fn run(spec: &Spec, _: Duration, on_output: Option<exec::OutputSink>, context: &Context) -> Ran {
    let started = Instant::now();
    let ran = |status, output: String, quarantine| Ran {
        status,
        exit_code: None,
        output,
        duration: started.elapsed(),
        plan: None,
        quarantine,
    };
    let (gone, kept, walked) = match plan(spec, context).await {
        Ok(planned) => planned,
        Err(why) => return ran(RunStatus::Failed, format!("[{why}]"), None),
    };
    let Some(data_dir) = context.data_dir.clone() else {
        return ran(RunStatus::Error, "[no data dir to keep a quarantine in]".into(), None);
    };
    let spec_moved = spec.clone();
    let action = context.action.clone();
    let now = context.now;
    let moved = tokio::task::spawn_blocking(move || remove(&spec_moved, &gone, &data_dir, &action, now)).await;
    let (status, mut output, quarantine) = match moved {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => (RunStatus::Error, format!("[cannot set up the quarantine: {e}]"), None),
        Err(e) => (RunStatus::Error, format!("[the cleanup failed: {e}]"), None),
    };
    output.push_str(&format!("\nkept {kept} matching files"));
    output.push_str(&notes(&walked));
    if let Some(sink) = on_output {
        sink(output.as_bytes());
    }
    ran(status, output, quarantine)
}

/// Moves (or deletes) each chosen file; one that vanished or changed since the walk is
/// left and said.
fn remove(
    spec: &Spec,
    gone: &[Found],
    data_dir: &Path,
    action: &str,
    now: DateTime<Utc>,
) -> std::io::Result<(RunStatus, String, Option<Quarantined>)> {
    let root = walk::open_root(&spec.root)?;
    let expires_at = crate::clock::later(now, spec.quarantine);
    let mut folder = if spec.quarantine.is_zero() {
        None
    } else {
        let name = format!("{}-{action}-{:06x}", now.format("%Y%m%dT%H%M%S"), rand_suffix());
        let manifest = quarantine::Manifest {
            action: action.to_owned(),
            root: spec.root.clone(),
            created_at: now,
            expires_at,
            files: Vec::new(),
            undone_at: None,
        };
        Some(quarantine::Folder::create(data_dir, name, manifest)?)
    };
    let (mut count, mut bytes, mut lines, mut failures) = (0u64, 0u64, Vec::new(), 0);
    for file in gone {
        let done = match &mut folder {
            Some(folder) => folder.take(&root, file),
            None => quarantine::delete(&root, file),
        };
        match done {
            Ok(()) => {
                count += 1;
                bytes += file.size;
                if lines.len() < LISTED {
                    lines.push(format!("  {}", file.display().escape_debug()));
                }
            }
            Err(quarantine::MoveError::Vanished) => {
                lines.push(format!("  {}: vanished since the walk, nothing to do", file.display().escape_debug()))
            }
            Err(e) => {
                failures += 1;
                lines.push(format!("  [{}: not removed: {e}]", file.display().escape_debug()));
            }
        }
    }
    let dir = match folder {
        Some(folder) => folder.finish()?,
        None => None,
    };
    let how = match &dir {
        Some(dir) => format!("moved to the quarantine {dir} until {}", expires_at.format("%Y-%m-%d %H:%M UTC")),
        None if spec.quarantine.is_zero() => "deleted".to_owned(),
        None => "nothing moved".to_owned(),
    };
    let mut output = format!("removed {count} files ({}) under {}: {how}", format_size(bytes), spec.root.display());
    for line in lines {
        output.push('\n');
        output.push_str(&line);
    }
    let status = if failures == 0 { RunStatus::Ok } else { RunStatus::Failed };
    let quarantined = Quarantined { dir, count, bytes, expires_at: (!spec.quarantine.is_zero()).then_some(expires_at) };
    Ok((status, output, Some(quarantined)))
}

fn rand_suffix() -> u32 {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    u32::from_le_bytes(bytes) & 0xff_ffff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(root: &Path, quarantine: Duration) -> Spec {
        Spec {
            root: root.to_owned(),
            pattern: "*".into(),
            glob: Glob::parse("*").unwrap(),
            older_than: None,
            keep_newest: 0,
            max_total_size: Some(0),
            quarantine,
        }
    }

    #[test]
    fn files_that_vanish_or_are_replaced_after_the_walk_are_left_and_said() {
        let dir = tempfile::tempdir().unwrap();
        let (root, data) = (dir.path().join("root"), dir.path().join("data"));
        std::fs::create_dir_all(&root).unwrap();
        for name in ["stays", "vanishes", "replaced"] {
            std::fs::write(root.join(name), name).unwrap();
        }
        let spec = spec(&root, Duration::from_secs(3600));
        let handle = walk::open_root(&root).unwrap();
        let found = walk::walk(&handle, &spec.glob).unwrap().files;
        assert_eq!(found.len(), 3);
        // Between the walk and the move: one goes, one is replaced by another file.
        std::fs::remove_file(root.join("vanishes")).unwrap();
        std::fs::remove_file(root.join("replaced")).unwrap();
        std::fs::write(root.join("replaced"), "someone else's").unwrap();
        let (status, output, quarantined) = remove(&spec, &found, &data, "t", Utc::now()).unwrap();
        assert_eq!(status, RunStatus::Failed, "a file not removed fails the run: {output}");
        assert!(output.contains("vanishes: vanished since the walk, nothing to do"), "{output}");
        assert!(output.contains("[replaced: not removed: it was replaced or changed since the walk]"), "{output}");
        assert_eq!(std::fs::read_to_string(root.join("replaced")).unwrap(), "someone else's", "the new file is left");
        assert!(!root.join("stays").exists(), "the unchanged file went");
        assert_eq!(quarantined.map(|q| q.count), Some(1));
    }

    #[test]
    fn a_root_that_is_a_symlink_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
        // O_NOFOLLOW with O_DIRECTORY on a symlink: ENOTDIR (ELOOP on some kernels).
        let refused = walk::open_root(&dir.path().join("link")).err();
        assert!(matches!(refused, Some(rustix::io::Errno::NOTDIR | rustix::io::Errno::LOOP)), "{refused:?}");
    }
}
