//! The tray: icon by the worst state, the summary as title, tooltip and first menu
//! entry (Linux trays show no tooltip and send no clicks, so everything is in the
//! menu), and a menu of the failing checks with their actions. What it shows comes from
//! `watchkeeper::desktop::tray_view`; this module only draws it, and only what changed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, IsMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager as _, Wry};

use watchkeeper::action::Requester;
use watchkeeper::api::dto;
use watchkeeper::api::operation::{self, perform};
use watchkeeper::desktop::{self, tray_view, TrayLevel, TrayView};
use watchkeeper::engine::{Engine, Event};

use crate::{autostart, window, Shell};

const TRAY_ID: &str = "watchkeeper";

/// Icon changes drawn since start (logged at exit: the icon-file test reads it).
static ICON_CHANGES: AtomicU64 = AtomicU64::new(0);

pub fn icon_changes() -> u64 {
    ICON_CHANGES.load(Ordering::Relaxed)
}
/// Changes are drawn at most this often: a burst of results is one redraw.
const REDRAW_EVERY: Duration = Duration::from_millis(250);

fn icon(level: TrayLevel) -> Image<'static> {
    let bytes: &'static [u8] = match level {
        TrayLevel::Ok => include_bytes!("../../icons/tray-ok@2x.png"),
        TrayLevel::Degraded => include_bytes!("../../icons/tray-degraded@2x.png"),
        TrayLevel::Down => include_bytes!("../../icons/tray-down@2x.png"),
        TrayLevel::Unknown => include_bytes!("../../icons/tray-unknown@2x.png"),
    };
    Image::from_bytes(bytes).expect("the tray icons in icons/ are valid PNG (a test checks them)")
}

/// Where the tray writes its icon files on Linux (the tray host reads icons from files):
/// a directory of our own, emptied at start, so a crash leaves nothing that piles up.
fn icon_dir() -> std::path::PathBuf {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(std::env::temp_dir);
    // SAFETY: getuid cannot fail and touches no memory.
    let uid = unsafe { libc::getuid() };
    base.join(format!("watchkeeper-tray-{uid}"))
}

/// Empties the icon directory: at start (a crash may have left files) and at exit.
pub fn remove_icon_files() {
    if let Ok(entries) = std::fs::read_dir(icon_dir()) {
        for entry in entries.flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Creates the tray and keeps it in step with the engine until the app ends.
pub fn start(app: &AppHandle, engine: Engine) {
    let view = tray_view(&engine);
    let dir = icon_dir();
    remove_icon_files();
    let built = menu(app, &view).and_then(|menu| {
        TrayIconBuilder::with_id(TRAY_ID)
            .icon(icon(view.level))
            .title(&view.summary)
            .tooltip(&view.summary)
            .menu(&menu)
            .show_menu_on_left_click(true)
            .temp_dir_path(&dir)
            .on_menu_event(on_menu)
            .build(app)
    });
    let tray = match built {
        Ok(tray) => tray,
        Err(e) => {
            tracing::warn!(error = %e, "no tray icon");
            return;
        }
    };
    let app = app.clone();
    tauri::async_runtime::spawn(follow(app, engine, tray, view));
}

/// Redraws on change, at most every [`REDRAW_EVERY`]: a change after a quiet spell is
/// drawn at once (no timer: an idle app wakes only for the result itself); one soon
/// after a redraw waits out the rest of the period, gathering everything that arrives
/// meanwhile into one view. Only the parts that differ are set.
async fn follow(app: AppHandle, engine: Engine, tray: TrayIcon, mut shown: TrayView) {
    use tokio::sync::broadcast::error::RecvError;
    let mut events = engine.subscribe();
    let stopping = engine.stopping();
    tokio::pin!(stopping);
    let mut drawn_at: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = &mut stopping => break,
            event = events.recv() => match event {
                Ok(Event::Check(_) | Event::ConfigReloaded) | Err(RecvError::Lagged(_)) => {}
                Ok(_) => continue,
                Err(RecvError::Closed) => break,
            },
        }
        if let Some(rest) = drawn_at.and_then(|at| REDRAW_EVERY.checked_sub(at.elapsed())) {
            tokio::time::sleep(rest).await;
        }
        // Everything that arrived meanwhile is in this one view.
        while let Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) = events.try_recv() {}
        let view = tray_view(&engine);
        if view == shown {
            continue;
        }
        if view.level != shown.level {
            let icon_changes = ICON_CHANGES.fetch_add(1, Ordering::Relaxed) + 1;
            if let Err(e) = tray.set_icon(Some(icon(view.level))) {
                tracing::warn!(error = %e, "cannot set the tray icon");
            }
            tracing::debug!(level = view.level.as_str(), icon_changes, "tray icon changed");
        }
        if view.summary != shown.summary {
            let _ = tray.set_title(Some(&view.summary));
            let _ = tray.set_tooltip(Some(&view.summary));
        }
        match menu(&app, &view) {
            Ok(menu) => {
                let _ = tray.set_menu(Some(menu));
            }
            Err(e) => tracing::warn!(error = %e, "cannot rebuild the tray menu"),
        }
        shown = view;
        drawn_at = Some(tokio::time::Instant::now());
    }
}

/// Menu ids: `open`, `own:N` (Watchkeeper's own trouble: opens the dashboard), `pause_all`, `resume_all`, `autostart`, `quit`, and per failing
/// check `show:ID`, `snooze:ID:15m|1h|4h|tomorrow`, `ack:ID:INCIDENT`, `pause:ID`, `run:ID:ACTION`,
/// `breaker:ID:open|reset` (ids are letters, digits, `-`, `_`).
fn menu(app: &AppHandle, view: &TrayView) -> tauri::Result<Menu<Wry>> {
    let mut items: Vec<Box<dyn IsMenuItem<Wry>>> = Vec::new();
    items.push(Box::new(MenuItem::with_id(app, "summary", &view.summary, false, None::<&str>)?));
    for (n, line) in view.own.iter().enumerate() {
        items.push(Box::new(MenuItem::with_id(app, format!("own:{n}"), line, true, None::<&str>)?));
    }
    items.push(Box::new(PredefinedMenuItem::separator(app)?));
    for check in &view.failing {
        let mut entries: Vec<Box<dyn IsMenuItem<Wry>>> = Vec::new();
        for action in &check.actions {
            // An action that asks for confirmation is confirmed in the dashboard.
            let label = if action.confirm { format!("{}…", action.name) } else { action.name.clone() };
            entries.push(Box::new(MenuItem::with_id(
                app,
                format!("run:{}:{}", check.id, action.id),
                label,
                true,
                None::<&str>,
            )?));
        }
        // Snooze: a silence of its notifications (probing goes on); pause stops probing.
        let mut snoozes: Vec<Box<dyn IsMenuItem<Wry>>> = Vec::new();
        for (code, label) in watchkeeper::words::SNOOZES {
            snoozes.push(Box::new(MenuItem::with_id(
                app,
                format!("snooze:{}:{code}", check.id),
                *label,
                true,
                None::<&str>,
            )?));
        }
        let snooze_refs: Vec<&dyn IsMenuItem<Wry>> = snoozes.iter().map(|e| e.as_ref()).collect();
        entries.push(Box::new(Submenu::with_id_and_items(
            app,
            format!("snooze:{}", check.id),
            watchkeeper::words::SILENCE_MENU,
            true,
            &snooze_refs,
        )?));
        if let Some(incident) = check.unacked {
            entries.push(Box::new(MenuItem::with_id(
                app,
                format!("ack:{}:{incident}", check.id),
                watchkeeper::words::ACKNOWLEDGE,
                true,
                None::<&str>,
            )?));
        }
        entries.push(Box::new(MenuItem::with_id(
            app,
            format!("pause:{}", check.id),
            watchkeeper::words::QUICK_PAUSE.1,
            true,
            None::<&str>,
        )?));
        if let Some(steer) = check.breaker {
            let id = format!("breaker:{}:{}", check.id, steer.code());
            entries.push(Box::new(MenuItem::with_id(app, id, watchkeeper::words::steer(steer), true, None::<&str>)?));
        }
        entries.push(Box::new(MenuItem::with_id(app, format!("show:{}", check.id), "Show", true, None::<&str>)?));
        let refs: Vec<&dyn IsMenuItem<Wry>> = entries.iter().map(|e| e.as_ref()).collect();
        let title = format!("{} — {}", check.name, check.text);
        items.push(Box::new(Submenu::with_id_and_items(app, format!("check:{}", check.id), title, true, &refs)?));
    }
    if view.more > 0 {
        let label = format!("{} more failing…", view.more);
        items.push(Box::new(MenuItem::with_id(app, "open", label, true, None::<&str>)?));
    }
    if !view.failing.is_empty() {
        items.push(Box::new(PredefinedMenuItem::separator(app)?));
    }
    items.push(Box::new(MenuItem::with_id(app, "open", "Open dashboard", true, None::<&str>)?));
    items.push(Box::new(MenuItem::with_id(app, "add_check", "Add check…", true, None::<&str>)?));
    items.push(Box::new(if view.all_paused {
        MenuItem::with_id(app, "resume_all", "Resume all", true, None::<&str>)?
    } else {
        MenuItem::with_id(app, "pause_all", "Pause all", true, None::<&str>)?
    }));
    let autostart = autostart::Dirs::from_env().is_some_and(|dirs| dirs.is_enabled());
    items.push(Box::new(CheckMenuItem::with_id(app, "autostart", "Start at login", true, autostart, None::<&str>)?));
    items.push(Box::new(PredefinedMenuItem::separator(app)?));
    items.push(Box::new(MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?));
    let refs: Vec<&dyn IsMenuItem<Wry>> = items.iter().map(|i| i.as_ref()).collect();
    Menu::with_items(app, &refs)
}

/// Who the tray's operations are done for.
const DESKTOP: Requester = Requester::Desktop;

/// An operation the menu asked for that was refused, in the log (the menu has no
/// place to say it; the dashboard shows the state it left).
fn log<T>(outcome: Result<T, watchkeeper::api::ApiError>) {
    if let Err(e) = outcome {
        tracing::warn!(code = e.code, error = %e.message, resolution = %e.resolution, "tray menu");
    }
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref().to_owned();
    let Some(shell) = app.try_state::<Shell>() else { return };
    let engine = shell.engine.clone();
    tracing::info!(item = %id, "tray menu");
    let mut parts = id.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("open"), None, None) | (Some("own"), Some(_), None) => window::open(app, None),
        (Some("quit"), None, None) => app.exit(0),
        (Some("add_check"), None, None) => window::open(app, Some(watchkeeper::desktop::ADD_CHECK_ROUTE)),
        (Some("pause_all"), None, None) => {
            let args = dto::PauseAllArgs::default();
            tauri::async_runtime::spawn(
                async move { log(perform::<operation::PauseAll>(&engine, args, DESKTOP).await) },
            );
        }
        (Some("resume_all"), None, None) => {
            let args = dto::NoArgs {};
            tauri::async_runtime::spawn(
                async move { log(perform::<operation::ResumeAll>(&engine, args, DESKTOP).await) },
            );
        }
        (Some("autostart"), None, None) => {
            let outcome = match (autostart::Dirs::from_env(), autostart::own_path()) {
                (Some(dirs), Ok(exe)) => dirs.toggle(&exe).map(|on| tracing::info!(on, "start at login")),
                (None, _) => Err(std::io::Error::other("neither XDG_CONFIG_HOME nor HOME is set")),
                (_, Err(e)) => Err(e),
            };
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "cannot change start at login");
            }
        }
        (Some("show"), Some(check), None) => window::open(app, Some(&format!("#/check/{check}"))),
        (Some("snooze"), Some(check), Some(code)) => {
            if let Some(args) = desktop::snooze(check, code) {
                tauri::async_runtime::spawn(async move {
                    log(perform::<operation::CreateSilence>(&engine, args, DESKTOP).await)
                });
            }
        }
        (Some("ack"), Some(_), Some(incident)) => {
            let args = dto::AckArgs { id: incident.to_owned(), note: None };
            tauri::async_runtime::spawn(async move { log(perform::<operation::Ack>(&engine, args, DESKTOP).await) });
        }
        (Some("pause"), Some(check), None) => {
            let args = desktop::pause(check);
            tauri::async_runtime::spawn(async move { log(perform::<operation::Pause>(&engine, args, DESKTOP).await) });
        }
        (Some("breaker"), Some(check), Some(code)) => {
            if let Some(args) = desktop::steer(check, code) {
                tauri::async_runtime::spawn(async move {
                    log(perform::<operation::SteerBreaker>(&engine, args, DESKTOP).await)
                });
            }
        }
        (Some("run"), Some(check), Some(action)) => {
            let confirm = engine.config().action(action).is_some_and(|a| a.confirm);
            if confirm {
                // The dashboard opens the action's dialog (its dry run, then the run).
                window::open(app, Some(&format!("#/check/{check}?run={action}")));
            } else {
                crate::notifications::run_action(app, action.to_owned());
            }
        }
        _ => {}
    }
}
