//! The window process (`watchkeeper-desktop --window`): the dashboard in a Tauri window,
//! and nothing else. Two commands: `call` passes any operation of the route table on to
//! the core of the tray process, through the typed client over its loopback API (found,
//! with its token, in `api.json`); `subscribe` forwards the core's event stream as the
//! `watchkeeper://update` window event. The process ends when its window closes.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Emitter as _, Manager as _, State, WebviewUrl, WebviewWindowBuilder};
use watchkeeper::api::client::{Client, ClientError};
use watchkeeper::api::dto::{ErrorDto, ExportArgs, NoArgs, SavedExportDto};

/// The window's label, as capabilities/main.json names it.
pub const LABEL: &str = "main";
/// The event the window listens to for live updates.
pub const UPDATE_EVENT: &str = "watchkeeper://update";

/// The core's client, and the live-update forwarder.
pub struct Core {
    client: Client,
    forwarder: std::sync::Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

/// Runs the window until it closes.
pub fn run(data_dir: PathBuf, route: Option<String>) -> anyhow::Result<()> {
    let client = match Client::discover(&data_dir) {
        Ok(client) => client.as_desktop(),
        Err(ClientError::NotRunning { source, .. }) => anyhow::bail!(
            "no running Watchkeeper for {} ({source})\n  help: start watchkeeper-desktop (or `watchkeeper run`) with this --data-dir first",
            data_dir.display()
        ),
        Err(other) => return Err(other.into()),
    };
    let core = Core { client, forwarder: std::sync::Mutex::new(None) };
    tauri::Builder::default()
        // One window: a second `--window` launch hands its route over and ends.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id("dev.watchkeeper.desktop.window")
                .callback(|app, argv, _cwd| show(app, route_of(&argv).as_deref()))
                .build(),
        )
        .manage(core)
        .invoke_handler(tauri::generate_handler![call, subscribe, export])
        .setup(move |app| {
            let mut builder = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
                .title("Watchkeeper")
                .inner_size(1100.0, 760.0)
                .min_inner_size(480.0, 360.0);
            if let Some(route) = &route {
                // Before the page's own scripts, on the first load only.
                builder = builder.initialization_script(format!("if (!location.hash) location.hash = {};", js(route)));
            }
            builder.build()?;
            crate::memory::release_relocation_tables();
            Ok(())
        })
        .run(tauri::generate_context!())
        .context("cannot show the dashboard window")
}

/// `--route R` from a second launch's arguments.
fn route_of(argv: &[String]) -> Option<String> {
    argv.iter().position(|a| a == "--route").and_then(|i| argv.get(i + 1)).cloned()
}

fn show(app: &AppHandle, route: Option<&str>) {
    if let Some(window) = app.get_webview_window(LABEL) {
        if let Some(route) = route {
            let _ = window.eval(format!("location.hash = {}", js(route)));
        }
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn js(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// Any operation of the route table (`watchkeeper::api::operation`), by name: the
/// dashboard's calls, passed on to the core through the typed client, which reads the
/// arguments into the operation's own type first.
#[tauri::command]
async fn call(core: State<'_, Core>, op: String, args: Value) -> Result<Value, ErrorDto> {
    core.client.call_named(&op, args).await.map_err(|e| error_of(&core.client, e))
}

/// Saves an export, streamed from the core, into the user's downloads (the XDG
/// download dir, else `~/Downloads`, else the data dir), under the name the core gave it
/// (` (2)` and on when one is there already); where it went.
#[tauri::command]
async fn export(app: AppHandle, core: State<'_, Core>, args: ExportArgs) -> Result<SavedExportDto, ErrorDto> {
    let stream = core.client.export(&args).await.map_err(|e| error_of(&core.client, e))?;
    let name = stream.file_name.clone().unwrap_or_else(|| "watchkeeper-export".to_owned());
    let dir = downloads(&app);
    let path = unused(&dir, &name);
    let failed = |message: String| ErrorDto {
        code: "export_not_saved".into(),
        message,
        resolution: format!("make {} writable, or export with `watchkeeper export -o FILE`", dir.display()),
        retry_at: None,
        errors: Vec::new(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
    let (lines, bytes) = stream.save(&path, |_, _| {}).await.map_err(|e| failed(e.to_string()))?;
    Ok(SavedExportDto { path: path.display().to_string(), lines, bytes })
}

fn downloads(app: &AppHandle) -> PathBuf {
    if let Ok(dir) = app.path().download_dir() {
        return dir;
    }
    match app.path().home_dir() {
        Ok(home) => home.join("Downloads"),
        Err(_) => app.path().app_data_dir().unwrap_or_else(|_| PathBuf::from(".")),
    }
}

/// `NAME` in `dir`, or `NAME (2)`, `NAME (3)`, ... (before its extension) when taken.
fn unused(dir: &std::path::Path, name: &str) -> PathBuf {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, format!(".{extension}")),
        _ => (name, String::new()),
    };
    (1..1000u32)
        .map(|n| match n {
            1 => dir.join(name),
            n => dir.join(format!("{stem} ({n}){extension}")),
        })
        .find(|path| !path.exists())
        .unwrap_or_else(|| dir.join(format!("{stem} ({}){extension}", std::process::id())))
}

/// An error as the window shows it: as the core said it, or why the core did not answer.
fn error_of(client: &Client, error: ClientError) -> ErrorDto {
    match error {
        ClientError::Api { error, .. } => error,
        ClientError::Unreachable { source, .. } => ErrorDto {
            code: "unreachable".into(),
            message: format!("cannot reach the Watchkeeper core at {}: {source}", client.api().url),
            resolution: "is the tray app still running? Start it again; the window retries by itself".into(),
            retry_at: None,
            errors: Vec::new(),
        },
        other => ErrorDto {
            code: other.code().into(),
            message: other.to_string(),
            resolution: other.resolution(),
            retry_at: None,
            errors: Vec::new(),
        },
    }
}

#[derive(Debug, Clone, Serialize)]
struct UpdatePayload {
    name: String,
    data: String,
}

/// Starts forwarding the core's event stream to the window (`hello` first), replacing
/// any earlier forwarder: a reloaded page asks again and must not get everything twice.
/// A dropped stream is opened again each second; its `hello` makes the page refetch.
#[tauri::command]
async fn subscribe(app: AppHandle, core: State<'_, Core>, args: NoArgs) -> Result<(), ErrorDto> {
    let NoArgs {} = args;
    let client = core.client.clone();
    let forwarder = tauri::async_runtime::spawn(async move {
        loop {
            if let Ok(mut response) = client.events().await {
                let mut pending = String::new();
                while let Ok(Some(chunk)) = response.chunk().await {
                    pending.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = pending.find("\n\n") {
                        let event: String = pending.drain(..end + 2).collect();
                        if let Some(payload) = parse_event(&event) {
                            if app.emit_to(LABEL, UPDATE_EVENT, payload).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    if let Ok(mut slot) = core.forwarder.lock() {
        if let Some(previous) = slot.replace(forwarder) {
            previous.abort();
        }
    }
    Ok(())
}

/// One server-sent event (`event:` and `data:` lines) as the window's update; comments
/// and keep-alives are none.
fn parse_event(event: &str) -> Option<UpdatePayload> {
    let mut name = None;
    let mut data: Vec<&str> = Vec::new();
    for line in event.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            name = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    Some(UpdatePayload { name: name?, data: data.join("\n") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(unused(dir.path(), "a.csv"), dir.path().join("a.csv"));
        std::fs::write(dir.path().join("a.csv"), "").unwrap();
        std::fs::write(dir.path().join("a (2).csv"), "").unwrap();
        assert_eq!(unused(dir.path(), "a.csv"), dir.path().join("a (3).csv"));
        std::fs::write(dir.path().join("plain"), "").unwrap();
        assert_eq!(unused(dir.path(), "plain"), dir.path().join("plain (2)"));
    }

    #[test]
    fn server_sent_events_become_window_updates() {
        let update = parse_event("event: checks\ndata: {\"a\":1}\n\n").unwrap();
        assert_eq!((update.name.as_str(), update.data.as_str()), ("checks", "{\"a\":1}"));
        let multi = parse_event("event: action_output\ndata: line one\ndata: line two\n").unwrap();
        assert_eq!(multi.data, "line one\nline two");
        assert!(parse_event(": keep-alive\n\n").is_none(), "a comment is no update");
    }
}
