//! Opening the dashboard from the tray process: the window lives in a process of its
//! own (`watchkeeper-desktop --window`, see `dashboard`), started on demand and gone
//! when the window closes, so the tray never loads a web page and an idle app costs
//! no WebKit memory at all.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tauri::{AppHandle, Manager as _};

use crate::Shell;

/// The window process, while it runs: its pid, and whether it still runs (a thread
/// waits for it, so it never lingers as a zombie).
#[derive(Default)]
pub struct WindowProcess {
    running: Mutex<Option<(u32, Arc<AtomicBool>)>>,
}

impl WindowProcess {
    fn alive(&self) -> bool {
        self.running.lock().ok().and_then(|r| r.as_ref().map(|(_, alive)| alive.load(Ordering::SeqCst))) == Some(true)
    }

    fn started(&self, mut child: Child) {
        let alive = Arc::new(AtomicBool::new(true));
        if let Ok(mut running) = self.running.lock() {
            *running = Some((child.id(), alive.clone()));
        }
        std::thread::spawn(move || {
            let _ = child.wait();
            alive.store(false, Ordering::SeqCst);
        });
    }

    /// Ends the window with the app.
    pub fn stop(&self) {
        if let Some((pid, alive)) = self.running.lock().ok().and_then(|mut r| r.take()) {
            if alive.load(Ordering::SeqCst) {
                // SAFETY: kill(2) on our own child, not yet reaped (so the pid is still its).
                unsafe { libc::kill(pid as i32, libc::SIGTERM) };
            }
        }
    }
}

/// Shows the dashboard (on `route`, `#/check/ID`, when given): starts the window
/// process, or, when it runs, asks it to show `route` by starting another, which hands
/// over to it (the window process is a single instance of its own).
pub fn open(app: &AppHandle, route: Option<&str>) {
    let Some(shell) = app.try_state::<Shell>() else { return };
    if shell.window.alive() {
        focus(&shell.data_dir, route);
        return;
    }
    match spawn(&shell.data_dir, route) {
        Ok(child) => shell.window.started(child),
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
