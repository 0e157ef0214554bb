//! Desktop notifications: the core decides what to say and when
//! (`watchkeeper::desktop::notifications`, with burst grouping); this module shows them
//! through tauri-plugin-notification with two buttons, "Pause 1 h" (stops probing the
//! checks for an hour) and "Open" (on Linux as D-Bus notification actions; a server
//! without actions shows the plain text).

use std::collections::HashMap;
use std::sync::Mutex;

use tauri::{AppHandle, Manager as _};
use tauri_plugin_notification::{Action, ActionType, NotificationExt as _};
use watchkeeper::action::{Requester, RunStatus};
use watchkeeper::api::{self, dto};
use watchkeeper::desktop::{self, Notification, NotificationOp};
use watchkeeper::engine::Engine;

use crate::{window, Shell};

const ALERT_ACTIONS: &str = "alert";
/// Notifications whose buttons still work; older ones have long left the screen.
const REMEMBERED: usize = 64;

/// The checks each shown notification is about, by its id, for its buttons.
#[derive(Default)]
pub struct Shown {
    checks: Mutex<HashMap<i32, Vec<String>>>,
}

/// Registers the buttons and shows the engine's notifications until it stops.
pub fn start(app: &AppHandle, engine: Engine) {
    let notification = app.notification();
    let buttons = ActionType::builder(ALERT_ACTIONS)
        .actions(vec![Action::builder("pause", "Pause 1 h").build(), Action::builder("open", "Open").build()])
        .build();
    if let Err(e) = notification.register_action_types(vec![buttons]) {
        tracing::warn!(error = %e, "notification buttons unavailable");
    }
    let handle = app.clone();
    let _ = notification.on_action(move |performed| {
        let Some(id) = performed.notification().map(|n| n.id()) else { return };
        on_button(&handle, id, performed.action_id());
    });
    let app = app.clone();
    tauri::async_runtime::spawn(desktop::notifications(engine, move |op| match op {
        NotificationOp::Show(notification) => show(&app, &notification),
        NotificationOp::Withdraw(key) => {
            if let Some(shell) = app.try_state::<Shell>() {
                if let Ok(mut checks) = shell.notifications.checks.lock() {
                    checks.remove(&(key as i32));
                }
            }
            let _ = app.notification().remove_active(vec![key as i32]);
        }
    }));
}

fn show(app: &AppHandle, notification: &Notification) {
    if let Some(shell) = app.try_state::<Shell>() {
        if let Ok(mut checks) = shell.notifications.checks.lock() {
            checks.insert(notification.key as i32, notification.checks.clone());
            // Keys grow: the smallest is the oldest.
            while checks.len() > REMEMBERED {
                let Some(oldest) = checks.keys().min().copied() else { break };
                checks.remove(&oldest);
            }
        }
    }
    tracing::info!(title = %notification.title, "notification");
    let shown = app
        .notification()
        .builder()
        .id(notification.key as i32)
        .title(&notification.title)
        .body(&notification.body)
        .action_type_id(ALERT_ACTIONS)
        .show();
    if let Err(e) = shown {
        tracing::warn!(error = %e, title = %notification.title, "cannot show a notification");
    }
}

fn on_button(app: &AppHandle, id: i32, action: &str) {
    let Some(shell) = app.try_state::<Shell>() else { return };
    let checks = shell.notifications.checks.lock().ok().and_then(|c| c.get(&id).cloned()).unwrap_or_default();
    tracing::info!(action, ?checks, "notification button");
    match action {
        "pause" => {
            let engine = shell.engine.clone();
            let until = chrono::Utc::now() + chrono::Duration::hours(1);
            tauri::async_runtime::spawn(async move {
                for check in checks {
                    engine.pause(Some(&check), Some(until)).await;
                }
            });
        }
        // "tap" is a click on the notification itself.
        "open" | "tap" => {
            let route = match checks.as_slice() {
                [one] => format!("#/check/{one}"),
                _ => "#/".to_owned(),
            };
            window::open(app, Some(&route));
        }
        _ => {}
    }
}

/// Runs an action from the tray and says how it went in a notification.
pub fn run_action(app: &AppHandle, action: String) {
    let Some(shell) = app.try_state::<Shell>() else { return };
    let engine = shell.engine.clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let args = dto::RunActionArgs { id: action.clone(), dry_run: false, r#ref: None };
        let (title, body) = match api::run_action(&engine, args, Requester::Desktop).await {
            Ok(run) => {
                let verified = match run.verified {
                    Some(true) => ", verified: the check is back up",
                    Some(false) => ", but the check is still failing",
                    None => "",
                };
                let exit = run.exit_code.map(|c| format!(" (exit {c})")).unwrap_or_default();
                (
                    format!("{action}: {}{exit}{verified}", RunStatus::from(run.status)),
                    run.output.lines().last().unwrap_or("").to_owned(),
                )
            }
            Err(e) => (format!("{action} could not run"), format!("{}\n{}", e.message, e.resolution)),
        };
        let _ = app.notification().builder().title(title).body(body).show();
    });
}
