//! Opening the dashboard from the tray process: the window lives in a process of its
//! own (`watchkeeper-desktop --window`, see `dashboard`), started on demand and gone
//! when the window closes, so the tray never loads a web page and an idle app costs
//! no WebKit memory at all.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::Mutex;

use tauri::{AppHandle, Manager as _};

use crate::Shell;

/// The window process, while it runs.
#[derive(Default)]
pub struct WindowProcess {
    child: Mutex<Option<Child>>,
}

impl WindowProcess {
    /// Ends the window with the app.
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().ok().and_then(|mut c| c.take()) {
            // SAFETY: kill(2) on our own child's pid.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
        }
    }
}

/// Shows the dashboard (on `route`, `#/check/ID`, when given): starts the window
/// process, or, when it runs, asks it to show `route` by starting another, which hands
/// over to it (the window process is a single instance of its own).
pub fn open(app: &AppHandle, route: Option<&str>) {
    let Some(shell) = app.try_state::<Shell>() else { return };
    let Ok(mut slot) = shell.window.child.lock() else { return };
    if let Some(child) = slot.as_mut() {
        if matches!(child.try_wait(), Ok(None)) {
            focus(&shell.data_dir, route);
            return;
        }
    }
    match spawn(&shell.data_dir, route) {
        Ok(child) => *slot = Some(child),
        Err(e) => tracing::warn!(error = %e, "cannot open the dashboard window"),
    }
}

fn command(data_dir: &PathBuf, route: Option<&str>) -> std::io::Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command.arg("--window").arg("--data-dir").arg(data_dir);
    if let Some(route) = route {
        command.arg("--route").arg(route);
    }
    Ok(command)
}

fn spawn(data_dir: &PathBuf, route: Option<&str>) -> std::io::Result<Child> {
    command(data_dir, route)?.spawn()
}

/// The running window takes `route` from a second `--window` launch and comes forward.
fn focus(data_dir: &PathBuf, route: Option<&str>) {
    if let Ok(mut command) = command(data_dir, route) {
        // It exits at once; reaped on a thread so it leaves no zombie.
        if let Ok(mut child) = command.spawn() {
            std::thread::spawn(move || child.wait());
        }
    }
}
