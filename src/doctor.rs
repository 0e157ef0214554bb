//! Pre-flight checks: what `watchkeeper doctor` prints and the daemon runs at start.
//! Each finding has a level, a message and a resolution.

use std::path::Path;

use crate::config;
use crate::store::Store;

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

/// Free space below which history writes are at risk.
const LOW_DISK: u64 = 200 * 1024 * 1024;

pub fn run(config_path: &Path, data_dir: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.push(match std::fs::read_to_string(config_path) {
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
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => finding(
            "config",
            Level::Info,
            format!(
                "{} does not exist: the default config (this machine) will be used and written there",
                config_path.display()
            ),
            "",
        ),
        Err(e) => finding(
            "config",
            Level::Fail,
            format!("cannot read {}: {e}", config_path.display()),
            "fix the file's permissions",
        ),
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

fn data_dir_writable(data_dir: &Path) -> Finding {
    if let Err(e) = std::fs::create_dir_all(data_dir) {
        return finding(
            "data dir",
            Level::Fail,
            format!("cannot create {}: {e}", data_dir.display()),
            "choose another --data-dir or fix permissions",
        );
    }
    let probe = data_dir.join(format!(".doctor-{}", std::process::id()));
    match std::fs::write(&probe, b"ok") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            finding("data dir", Level::Ok, format!("{} is writable", data_dir.display()), "")
        }
        Err(e) => finding(
            "data dir",
            Level::Fail,
            format!("{} is not writable: {e}", data_dir.display()),
            "fix its permissions or pass another --data-dir",
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
    let path = data_dir.join(crate::store::DB_FILE);
    if !path.exists() {
        return finding("database", Level::Info, format!("{} will be created", path.display()), "");
    }
    match Store::open(data_dir) {
        Ok((store, report)) => match (report.moved_aside, store.quick_check()) {
            (Some(aside), _) => finding(
                "database",
                Level::Warn,
                format!("the database was damaged and moved to {}; a new one was started", aside.display()),
                "restore a backup if you need the old history",
            ),
            (None, Ok(answer)) if answer == "ok" => {
                finding("database", Level::Ok, format!("{} passes its integrity check", path.display()), "")
            }
            (None, Ok(answer)) => finding(
                "database",
                Level::Fail,
                format!("integrity check: {answer}"),
                "stop watchkeeper and move the database aside",
            ),
            (None, Err(e)) => finding("database", Level::Fail, e.to_string(), e.resolution()),
        },
        Err(e) => finding("database", Level::Fail, e.to_string(), e.resolution()),
    }
}
