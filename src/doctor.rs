//! Pre-flight checks: what `watchkeeper doctor` prints and the daemon runs at start.
//! Each finding has a level, a message and a resolution.

use std::path::Path;

use crate::config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Info,
    Warn,
    Fail,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub name: &'static str,
    pub level: Level,
    pub message: String,
    pub resolution: String,
}

fn finding(name: &'static str, level: Level, message: impl Into<String>, resolution: impl Into<String>) -> Finding {
    Finding { name, level, message: message.into(), resolution: resolution.into() }
}

/// Free space below which history writes are at risk (`/healthz` says so while it is).
pub const LOW_DISK: u64 = 200 * 1024 * 1024;

pub fn run(config_path: &Path, data_dir: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.push(match config::read(config_path) {
        Ok(text) => match config::compile(&text, &config_path.display().to_string()) {
            Ok(compiled) => finding(
                "config",
                if compiled.warnings.is_empty() { Level::Ok } else { Level::Warn },
                format!(
                    "{}: {} checks, {} actions, {} warnings",
                    config_path.display(),
                    compiled.config.checks.len(),
                    compiled.config.actions.len(),
                    compiled.warnings.len()
                ),
                if compiled.warnings.is_empty() { "" } else { "run `watchkeeper config validate` to see them" },
            ),
            Err(errors) => finding(
                "config",
                Level::Fail,
                format!("{}: {} errors", config_path.display(), errors.0.len()),
                "run `watchkeeper config validate` for each error and its fix",
            ),
        },
        Err(config::LoadError::Invalid(errors)) => {
            let first = errors.0.first();
            let message = first.map(|d| format!("{}:{}:{}: {}", d.file, d.line, d.column, d.message));
            finding(
                "config",
                Level::Fail,
                message.unwrap_or_default(),
                first.map(|d| d.resolution.clone()).unwrap_or_default(),
            )
        }
        Err(config::LoadError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => finding(
            "config",
            Level::Info,
            format!(
                "{} does not exist: the default config (this machine) will be used and written there",
                config_path.display()
            ),
            "",
        ),
        Err(e @ config::LoadError::Read { .. }) => {
            let said = e.to_string();
            let (message, help) = said.split_once("\n  help: ").unwrap_or((&said, ""));
            finding("config", Level::Fail, message, help)
        }
    });
    findings.push(data_dir_writable(data_dir));
    findings.push(disk_space(data_dir));
    findings.push(database(data_dir));
    findings.push(match (std::env::var_os("DISPLAY"), std::env::var_os("WAYLAND_DISPLAY")) {
        (None, None) => finding("display", Level::Info, "no display: run the headless daemon (`watchkeeper run`)", ""),
        _ => finding("display", Level::Ok, "a display is available for the desktop app", ""),
    });
    findings.push(match std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
        Some(_) => {
            finding("notifications", Level::Ok, "a D-Bus session bus is available for desktop notifications", "")
        }
        None => finding(
            "notifications",
            Level::Info,
            "no D-Bus session bus: desktop notifications are off (the daemon and its API are unaffected)",
            "run inside a desktop session to get notifications",
        ),
    });
    findings
}

/// Whether the data dir can be written, asked of the system (`access`): nothing is
/// created or written. A dir that does not exist yet is judged by the nearest parent
/// that does, where it would be created.
fn data_dir_writable(data_dir: &Path) -> Finding {
    let existing = data_dir
        .ancestors()
        .map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p })
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    let writable = rustix::fs::access(existing, rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK);
    match (writable, existing == data_dir) {
        (Ok(()), true) => finding("data dir", Level::Ok, format!("{} is writable", data_dir.display()), ""),
        (Ok(()), false) => finding(
            "data dir",
            Level::Info,
            format!("{} does not exist yet: it is created at the next start", data_dir.display()),
            "",
        ),
        (Err(e), _) => finding(
            "data dir",
            Level::Fail,
            format!("{} is not writable: {}", existing.display(), std::io::Error::from(e)),
            "fix its permissions (`chmod u+w`) or pass another --data-dir",
        ),
    }
}

/// Bytes available to us on the file system holding `path`.
pub fn free_space(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt as _;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is a valid NUL-terminated string and stat a valid out-pointer.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    (rc == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

fn disk_space(data_dir: &Path) -> Finding {
    match free_space(data_dir) {
        Some(free) if free < LOW_DISK => finding(
            "disk space",
            Level::Warn,
            format!("only {} free for the history", crate::units::format_size(free)),
            "free some space; watchkeeper keeps running but history writes may fail",
        ),
        Some(free) => finding("disk space", Level::Ok, format!("{} free", crate::units::format_size(free)), ""),
        None => finding("disk space", Level::Warn, "cannot read free space", ""),
    }
}

fn database(data_dir: &Path) -> Finding {
    use crate::store::Inspection;
    let path = data_dir.join(crate::store::DB_FILE);
    let shown = path.display();
    match crate::store::inspect(data_dir) {
        Inspection::Missing => finding("database", Level::Info, format!("{shown} will be created"), ""),
        Inspection::Healthy { .. } => {
            finding("database", Level::Ok, format!("{shown} passes its integrity check"), "")
        }
        Inspection::Older { found, supported } => finding(
            "database",
            Level::Info,
            format!("{shown} has schema {found}: it is migrated to {supported} at the next start"),
            "",
        ),

        Inspection::Damaged { detail } => finding(
            "database",
            Level::Warn,
            format!(
                "{shown} is damaged ({detail}): the next start moves it aside to {}.corrupt-<time>, kept, and restores the newest backup that reads (or begins a new history)",
                crate::store::DB_FILE
            ),
            "restore it from a backup if you need the old history; doctor changed nothing",
        ),
        Inspection::Refused(e) => {
            let message = match &e {
                crate::store::StoreError::ReadOnly { detail, .. } => {
                    format!("{shown} reads, but may not be written: {detail}")
                }
                other => other.to_string(),
            };
            finding("database", Level::Fail, message, e.resolution())
        }
        Inspection::Unreadable { detail } => finding(
            "database",
            Level::Fail,
            format!("cannot read {shown}: {detail}"),
            "make it readable by the user running watchkeeper, or pass another --data-dir",
        ),
    }
}
