//! The window process (`watchkeeper-desktop --window`): the dashboard in a Tauri window,
//! and nothing else. Its commands are the operations of ui/src/client.ts, each taking
//! one `args` object; they reach the core of the tray process through its loopback API
//! (found, with its token, in `api.json`), and `subscribe` forwards its event stream as
//! the `watchkeeper://update` window event. The process ends when its window closes.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tauri::{AppHandle, Emitter as _, Manager as _, State, WebviewUrl, WebviewWindowBuilder};
use watchkeeper::daemon::ApiFile;

/// The window's label, as capabilities/main.json names it.
pub const LABEL: &str = "main";
/// The event the window listens to for live updates.
pub const UPDATE_EVENT: &str = "watchkeeper://update";

/// Where the core is, and the live-update forwarder.
pub struct Core {
    api: ApiFile,
    http: reqwest::Client,
    forwarder: std::sync::Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

/// Runs the window until it closes.
pub fn run(data_dir: PathBuf, route: Option<String>) -> Result<(), String> {
    let api = ApiFile::read(&data_dir).map_err(|e| {
        format!(
            "no running Watchkeeper for {} ({e})\n  help: start watchkeeper-desktop (or `watchkeeper run`) with this --data-dir first",
            data_dir.display()
        )
    })?;
    let http =
        reqwest::Client::builder().no_proxy().build().map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let core = Core { api, http, forwarder: std::sync::Mutex::new(None) };
    tauri::Builder::default()
        // One window: a second `--window` launch hands its route over and ends.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id("dev.watchkeeper.desktop.window")
                .callback(|app, argv, _cwd| show(app, route_of(&argv).as_deref()))
                .build(),
        )
        .manage(core)
        .invoke_handler(tauri::generate_handler![
            status,
            health,
            check,
            results,
            history,
            incidents,
            action_runs,
            run_action,
            pause,
            resume,
            subscribe
        ])
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
        .map_err(|e| format!("cannot show the dashboard window: {e}"))
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

/// An error as the window shows it, as over HTTP.
#[derive(Debug, Serialize)]
pub struct CommandError {
    code: String,
    message: String,
    resolution: String,
}

type Answer = Result<Value, CommandError>;

impl Core {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, Option<String>)],
        body: Option<Value>,
    ) -> Answer {
        let query: Vec<(&str, String)> = query.iter().filter_map(|(k, v)| v.clone().map(|v| (*k, v))).collect();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api.url))
            .bearer_auth(&self.api.token)
            // Action runs from here are recorded as the desktop's.
            .header("x-watchkeeper-client", "desktop")
            .query(&query);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let unreachable = |e: reqwest::Error| CommandError {
            code: "unreachable".into(),
            message: format!("cannot reach the Watchkeeper core at {}: {e}", self.api.url),
            resolution: "is the tray app still running? Start it again; the window retries by itself".into(),
        };
        let response = request.send().await.map_err(unreachable)?;
        let ok = response.status().is_success();
        let body: Value = response.json().await.map_err(unreachable)?;
        if ok {
            return Ok(body);
        }
        let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        Err(CommandError { code: text("code"), message: text("message"), resolution: text("resolution") })
    }

    async fn get(&self, path: &str, query: &[(&str, Option<String>)]) -> Answer {
        self.call(reqwest::Method::GET, path, query, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(reqwest::Method::POST, path, &[], Some(body)).await
    }
}

/// A path segment: check and action ids are letters, digits, `-` and `_`; anything
/// else is escaped so it cannot change the path.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn text<T: ToString>(value: Option<T>) -> Option<String> {
    value.map(|v| v.to_string())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdArgs {
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsArgs {
    id: String,
    limit: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryArgs {
    id: String,
    range: Option<String>,
    to: Option<String>,
    points: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentArgs {
    check: Option<String>,
    open: Option<bool>,
    limit: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsArgs {
    check: Option<String>,
    action: Option<String>,
    incident: Option<i64>,
    limit: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunActionArgs {
    id: String,
    #[serde(default)]
    dry_run: bool,
    #[serde(rename = "ref")]
    reference: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseArgs {
    id: String,
    #[serde(rename = "for")]
    duration: Option<String>,
}

#[tauri::command]
async fn status(core: State<'_, Core>, args: NoArgs) -> Answer {
    let NoArgs {} = args;
    core.get("/api/v1/status", &[]).await
}

#[tauri::command]
async fn health(core: State<'_, Core>, args: NoArgs) -> Answer {
    let NoArgs {} = args;
    core.get("/healthz", &[]).await
}

#[tauri::command]
async fn check(core: State<'_, Core>, args: IdArgs) -> Answer {
    core.get(&format!("/api/v1/checks/{}", segment(&args.id)), &[]).await
}

#[tauri::command]
async fn results(core: State<'_, Core>, args: ResultsArgs) -> Answer {
    core.get(&format!("/api/v1/checks/{}/results", segment(&args.id)), &[("limit", text(args.limit))]).await
}

#[tauri::command]
async fn history(core: State<'_, Core>, args: HistoryArgs) -> Answer {
    let query = [("range", args.range), ("to", args.to), ("points", text(args.points))];
    core.get(&format!("/api/v1/checks/{}/history", segment(&args.id)), &query).await
}

#[tauri::command]
async fn incidents(core: State<'_, Core>, args: IncidentArgs) -> Answer {
    let query = [("check", args.check), ("open", text(args.open)), ("limit", text(args.limit))];
    core.get("/api/v1/incidents", &query).await
}

#[tauri::command]
async fn action_runs(core: State<'_, Core>, args: RunsArgs) -> Answer {
    let query = [
        ("check", args.check),
        ("action", args.action),
        ("incident", text(args.incident)),
        ("limit", text(args.limit)),
    ];
    core.get("/api/v1/action-runs", &query).await
}

#[tauri::command]
async fn run_action(core: State<'_, Core>, args: RunActionArgs) -> Answer {
    let body = json!({"dry_run": args.dry_run, "ref": args.reference});
    core.post(&format!("/api/v1/actions/{}/run", segment(&args.id)), body).await
}

#[tauri::command]
async fn pause(core: State<'_, Core>, args: PauseArgs) -> Answer {
    let body = match args.duration {
        Some(duration) => json!({"for": duration}),
        None => json!({}),
    };
    core.post(&format!("/api/v1/checks/{}/pause", segment(&args.id)), body).await
}

#[tauri::command]
async fn resume(core: State<'_, Core>, args: IdArgs) -> Answer {
    core.post(&format!("/api/v1/checks/{}/resume", segment(&args.id)), json!({})).await
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
async fn subscribe(app: AppHandle, core: State<'_, Core>, args: NoArgs) -> Result<(), CommandError> {
    let NoArgs {} = args;
    let (url, token, http) = (format!("{}/api/v1/events", core.api.url), core.api.token.clone(), core.http.clone());
    let forwarder = tauri::async_runtime::spawn(async move {
        loop {
            if let Ok(mut response) = http.get(&url).bearer_auth(&token).send().await {
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
    fn server_sent_events_become_window_updates() {
        let update = parse_event("event: checks\ndata: {\"a\":1}\n\n").unwrap();
        assert_eq!((update.name.as_str(), update.data.as_str()), ("checks", "{\"a\":1}"));
        let multi = parse_event("event: action_output\ndata: line one\ndata: line two\n").unwrap();
        assert_eq!(multi.data, "line one\nline two");
        assert!(parse_event(": keep-alive\n\n").is_none(), "a comment is no update");
    }

    #[test]
    fn ids_cannot_change_the_path() {
        assert_eq!(segment("orders-api_2"), "orders-api_2");
        assert_eq!(segment("../x?y"), "%2E%2E%2Fx%3Fy");
    }
}
