//! Desktop notifications: the core's alert policy decides what to say and when (the
//! desktop channel, `watchkeeper::desktop::notifications`); this module shows them
//! through tauri-plugin-notification with the buttons "Snooze 1 h" (a silence of the
//! checks for an hour: probing goes on), "Acknowledge" (their open incidents: no more
//! reminders), "Open", and for one check down whose first action needs no
//! confirmation, "Run <action>" (on Linux as D-Bus notification actions; a server
//! without actions shows the plain text). A critical failure (`urgent`) stays until it
//! is dismissed and is marked urgent: on Linux it goes over D-Bus directly
//! (`watchkeeper::desktop::Urgent`), as the plugin cannot say so.

use std::collections::HashMap;
use std::sync::Mutex;

use tauri::{AppHandle, Manager as _};
use tauri_plugin_notification::{Action, ActionType, NotificationExt as _};
use watchkeeper::action::{Requester, RunStatus};
use watchkeeper::api::dto;
use watchkeeper::api::operation::{self, perform};
use watchkeeper::desktop::{self, Notification};
use watchkeeper::engine::Engine;

use crate::{window, Shell};

const ALERT_ACTIONS: &str = "alert";
/// The buttons of a notification with nothing to acknowledge (a recovery).
const PLAIN_ACTIONS: &str = "alert-plain";
/// The buttons of a notification that can run `ACTION`: `alert-run:ACTION`.
const RUN_ACTIONS: &str = "alert-run:";
/// Notifications whose buttons still work; older ones have long left the screen.
const REMEMBERED: usize = 64;

/// The id a notification is shown with. On Linux it is the D-Bus `replaces_id`: a
/// server replaces the notification that has it, whoever showed that one, and numbers
/// its own from 1. Ours start far from there (and from another run's), so one of ours
/// never replaces another's.
fn wire_id(id: i64) -> i32 {
    static BASE: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let base = *BASE.get_or_init(|| 1_000_000_000 + i64::from(std::process::id() % 1000) * 1_000_000);
    (base + id.rem_euclid(1_000_000)) as i32
}

/// What each shown notification's buttons act on, by its id: its checks, and the
/// action its "Run" button runs.
#[derive(Default)]
pub struct Shown {
    checks: Mutex<HashMap<i32, Targets>>,
    /// Urgent ones, by the notification server's id.
    urgent: Mutex<HashMap<u32, Targets>>,
    /// The D-Bus connection urgent ones are shown on, once connected.
    bus: Mutex<Option<desktop::Urgent>>,
}

/// What one notification's buttons act on.
#[derive(Clone, Default)]
struct Targets {
    checks: Vec<String>,
    /// The action of its "Run" button.
    run: Option<String>,
}

/// Registers the buttons and shows the engine's notifications until it stops.
pub fn start(app: &AppHandle, engine: Engine) {
    let notification = app.notification();
    let buttons = |ack: bool| {
        let mut buttons = vec![Action::builder("snooze", "Snooze 1 h").build()];
        if ack {
            buttons.push(Action::builder("ack", "Acknowledge").build());
        }
        buttons.push(Action::builder("open", "Open").build());
        buttons
    };
    let mut types = vec![
        ActionType::builder(ALERT_ACTIONS).actions(buttons(true)).build(),
        ActionType::builder(PLAIN_ACTIONS).actions(buttons(false)).build(),
    ];
    // One set of buttons per action that runs without confirmation: its name is on its button.
    for action in engine.config().actions.iter().filter(|a| !a.confirm) {
        let mut actions = buttons(true);
        actions.push(Action::builder("run", format!("Run {}", action.name)).build());
        types.push(ActionType::builder(format!("{RUN_ACTIONS}{}", action.id)).actions(actions).build());
    }
    if let Err(e) = notification.register_action_types(types) {
        tracing::warn!(error = %e, "notification buttons unavailable");
    }
    let handle = app.clone();
    let _ = notification.on_action(move |performed| {
        let Some(id) = performed.notification().map(|n| n.id()) else { return };
        on_button(&handle, id, performed.action_id());
    });
    connect_urgent(app);
    let app = app.clone();
    tauri::async_runtime::spawn(desktop::notifications(engine, move |notification| show(&app, &notification)));
}

/// Connects to the session bus for urgent notifications; their buttons come back on it.
fn connect_urgent(app: &AppHandle) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let urgent = match desktop::Urgent::session().await {
            Ok(urgent) => urgent,
            Err(e) => {
                tracing::warn!(error = %e, "urgent notifications are shown as ordinary ones: no session bus");
                return;
            }
        };
        let handle = app.clone();
        let pressed = urgent
            .on_buttons(move |id, key| {
                let Some(shell) = handle.try_state::<Shell>() else { return };
                let targets = shell.notifications.urgent.lock().ok().and_then(|u| u.get(&id).cloned());
                if let Some(targets) = targets {
                    act(&handle, targets, &key);
                }
            })
            .await;
        if let Err(e) = pressed {
            tracing::warn!(error = %e, "the buttons of urgent notifications will not answer");
        }
        if let Some(shell) = app.try_state::<Shell>() {
            if let Ok(mut bus) = shell.notifications.bus.lock() {
                *bus = Some(urgent);
            }
        }
    });
}

/// Shows an urgent notification over D-Bus; `false` when there is no bus for it.
fn show_urgent(app: &AppHandle, notification: &Notification) -> bool {
    let Some(shell) = app.try_state::<Shell>() else { return false };
    let Some(urgent) = shell.notifications.bus.lock().ok().and_then(|b| b.clone()) else { return false };
    let targets = Targets { checks: notification.checks.clone(), run: notification.run.as_ref().map(|a| a.id.clone()) };
    let mut buttons = vec![("snooze".to_owned(), "Snooze 1 h".to_owned())];
    if notification.acknowledge {
        buttons.push(("ack".into(), "Acknowledge".into()));
    }
    buttons.push(("open".into(), "Open".into()));
    if let Some(action) = &notification.run {
        buttons.push(("run".into(), format!("Run {}", action.name)));
    }
    let notification = notification.clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let buttons: Vec<(&str, &str)> = buttons.iter().map(|(k, l)| (k.as_str(), l.as_str())).collect();
        let title = &notification.title;
        match urgent.show(title, &notification.body, &buttons).await {
            Ok(id) => {
                let Some(shell) = app.try_state::<Shell>() else { return };
                if let Ok(mut urgent) = shell.notifications.urgent.lock() {
                    urgent.insert(id, targets);
                    while urgent.len() > REMEMBERED {
                        let Some(oldest) = urgent.keys().min().copied() else { break };
                        urgent.remove(&oldest);
                    }
                };
            }
            Err(e) => {
                tracing::warn!(error = %e, %title, "cannot show an urgent notification: shown as an ordinary one");
                show_plain(&app, &notification);
            }
        }
    });
    true
}

fn show(app: &AppHandle, notification: &Notification) {
    if !notification.failure {
        close_settled(app);
    }
    if notification.urgent && show_urgent(app, notification) {
        tracing::info!(title = %notification.title, "urgent notification");
        return;
    }
    show_plain(app, notification);
}

/// Takes off the screen the urgent notifications whose checks have no incident open
/// any more (`desktop::settled`): a recovery was just told.
fn close_settled(app: &AppHandle) {
    let Some(shell) = app.try_state::<Shell>() else { return };
    let Some(urgent) = shell.notifications.bus.lock().ok().and_then(|b| b.clone()) else { return };
    let settled: Vec<u32> = match shell.notifications.urgent.lock() {
        Ok(mut shown) => {
            let ids: Vec<u32> =
                shown.iter().filter(|(_, t)| desktop::settled(&shell.engine, &t.checks)).map(|(id, _)| *id).collect();
            ids.iter().for_each(|id| {
                shown.remove(id);
            });
            ids
        }
        Err(_) => return,
    };
    for id in settled {
        let urgent = urgent.clone();
        tauri::async_runtime::spawn(async move {
            match urgent.close(id).await {
                Ok(()) => tracing::info!(id, "urgent notification closed: its failure recovered"),
                Err(e) => tracing::warn!(id, error = %e, "cannot close a recovered urgent notification"),
            }
        });
    }
}

/// Shows a notification through the plugin.
fn show_plain(app: &AppHandle, notification: &Notification) {
    if let Some(shell) = app.try_state::<Shell>() {
        if let Ok(mut checks) = shell.notifications.checks.lock() {
            let run = notification.run.as_ref().map(|a| a.id.clone());
            checks.insert(wire_id(notification.id), Targets { checks: notification.checks.clone(), run });
            // Keys grow: the smallest is the oldest.
            while checks.len() > REMEMBERED {
                let Some(oldest) = checks.keys().min().copied() else { break };
                checks.remove(&oldest);
            }
        }
    }
    tracing::info!(title = %notification.title, run = ?notification.run.as_ref().map(|a| &a.id), "notification");
    let buttons = match (&notification.run, notification.acknowledge) {
        (Some(action), _) => format!("{RUN_ACTIONS}{}", action.id),
        (None, true) => ALERT_ACTIONS.to_owned(),
        (None, false) => PLAIN_ACTIONS.to_owned(),
    };
    let shown = app
        .notification()
        .builder()
        .id(wire_id(notification.id))
        .title(&notification.title)
        .body(&notification.body)
        .action_type_id(buttons)
        .show();
    if let Err(e) = shown {
        tracing::warn!(error = %e, title = %notification.title, "cannot show a notification");
    }
}

fn on_button(app: &AppHandle, id: i32, action: &str) {
    let Some(shell) = app.try_state::<Shell>() else { return };
    let targets = shell.notifications.checks.lock().ok().and_then(|c| c.get(&id).cloned()).unwrap_or_default();
    act(app, targets, action);
}

/// What a notification's button does for its checks.
fn act(app: &AppHandle, Targets { checks, run }: Targets, action: &str) {
    let Some(shell) = app.try_state::<Shell>() else { return };
    tracing::info!(action, ?checks, "notification button");
    match action {
        "snooze" => {
            let engine = shell.engine.clone();
            tauri::async_runtime::spawn(async move {
                let args = dto::SilenceArgs {
                    checks: Some(checks.clone()),
                    snooze: Some("1h".into()),
                    reason: "snoozed from a notification".into(),
                    ..Default::default()
                };
                if let Err(e) = perform::<operation::CreateSilence>(&engine, args, Requester::Desktop).await {
                    tracing::warn!(error = %e.message, "cannot snooze");
                }
            });
        }
        "ack" => {
            let engine = shell.engine.clone();
            tauri::async_runtime::spawn(async move {
                for check in checks {
                    let Some(incident) = engine.check(&check).and_then(|c| c.open_incident) else { continue };
                    let args = dto::AckArgs { id: incident.to_string(), note: None };
                    if let Err(e) = perform::<operation::Ack>(&engine, args, Requester::Desktop).await {
                        tracing::warn!(incident, error = %e.message, "cannot acknowledge");
                    }
                }
            });
        }
        // "tap" (the plugin) and "default" (D-Bus) are a click on the notification itself.
        "open" | "tap" | "default" => {
            let route = match checks.as_slice() {
                [one] => format!("#/check/{one}"),
                _ => "#/".to_owned(),
            };
            window::open(app, Some(&route));
        }
        "run" => {
            if let Some(action) = run {
                run_action(app, action);
            }
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
        let (title, body) = match perform::<operation::RunAction>(&engine, args, Requester::Desktop).await {
            Ok(run) => (
                format!("{action}: {} · {}", RunStatus::from(run.status), run.details),
                run.output.lines().last().unwrap_or("").to_owned(),
            ),
            Err(e) => (format!("{action} could not run"), format!("{}\n{}", e.message, e.resolution)),
        };
        let _ = app.notification().builder().title(title).body(body).show();
    });
}
