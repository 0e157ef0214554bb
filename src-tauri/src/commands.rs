//! The window's commands: one per operation of ui/src/client.ts, each taking one `args`
//! object and calling the same `watchkeeper::api` function the HTTP route calls. Errors
//! reach the window as `{code, message, resolution}`, as they do over HTTP.

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter as _, State};
use watchkeeper::action::Requester;
use watchkeeper::api::{self, dto, ApiError};

use crate::Shell;

/// The event the window listens to for live updates.
pub const UPDATE_EVENT: &str = "watchkeeper://update";

#[derive(Debug, Serialize)]
pub struct CommandError {
    code: String,
    message: String,
    resolution: String,
}

impl From<ApiError> for CommandError {
    fn from(e: ApiError) -> CommandError {
        CommandError { code: e.code.to_owned(), message: e.message, resolution: e.resolution }
    }
}

type Answer<T> = Result<T, CommandError>;

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
pub struct RunActionArgs {
    id: String,
    #[serde(default)]
    dry_run: bool,
    #[serde(rename = "ref")]
    reference: Option<String>,
}

#[tauri::command]
pub fn status(shell: State<'_, Shell>, args: NoArgs) -> dto::StatusDto {
    let NoArgs {} = args;
    api::status(&shell.engine)
}

#[tauri::command]
pub fn health(shell: State<'_, Shell>, args: NoArgs) -> dto::HealthDto {
    let NoArgs {} = args;
    api::health(&shell.engine)
}

#[tauri::command]
pub fn check(shell: State<'_, Shell>, args: IdArgs) -> Answer<dto::CheckDetailDto> {
    Ok(api::check(&shell.engine, &args.id)?)
}

#[tauri::command]
pub async fn results(shell: State<'_, Shell>, args: ResultsArgs) -> Answer<dto::ResultsDto> {
    Ok(api::results(&shell.engine, &args.id, dto::ResultsQuery { limit: args.limit }).await?)
}

#[tauri::command]
pub async fn history(shell: State<'_, Shell>, args: HistoryArgs) -> Answer<dto::HistoryDto> {
    let query = dto::HistoryQuery { range: args.range, to: args.to, points: args.points };
    Ok(api::history(&shell.engine, &args.id, query).await?)
}

#[tauri::command]
pub async fn incidents(shell: State<'_, Shell>, args: dto::IncidentQuery) -> Answer<dto::IncidentsDto> {
    Ok(api::incidents(&shell.engine, args).await?)
}

#[tauri::command]
pub async fn action_runs(shell: State<'_, Shell>, args: dto::ActionRunsQuery) -> Answer<dto::ActionRunsDto> {
    Ok(api::action_runs(&shell.engine, args).await?)
}

#[tauri::command]
pub async fn run_action(shell: State<'_, Shell>, args: RunActionArgs) -> Answer<dto::ActionRunDto> {
    let request = dto::RunActionRequest { dry_run: args.dry_run, reference: args.reference };
    Ok(api::run_action(&shell.engine, &args.id, request, Requester::Desktop).await?)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseArgs {
    id: String,
    #[serde(rename = "for")]
    duration: Option<String>,
}

#[tauri::command]
pub async fn pause(shell: State<'_, Shell>, args: PauseArgs) -> Answer<dto::PauseDto> {
    Ok(api::pause(&shell.engine, Some(&args.id), dto::PauseRequest { duration: args.duration }).await?)
}

#[tauri::command]
pub async fn resume(shell: State<'_, Shell>, args: IdArgs) -> Answer<dto::PauseDto> {
    Ok(api::resume(&shell.engine, Some(&args.id)).await?)
}

#[derive(Debug, Clone, Serialize)]
struct UpdatePayload {
    name: &'static str,
    data: String,
}

/// Starts sending live updates to the window (`hello` first), replacing any earlier
/// stream: a reloaded page asks again and must not get everything twice. Async, so it
/// runs on the core's runtime (the stream's task is spawned there).
#[tauri::command]
pub async fn subscribe(app: AppHandle, shell: State<'_, Shell>, args: NoArgs) -> Answer<()> {
    let NoArgs {} = args;
    let mut updates = api::live::updates(shell.engine.clone());
    let forwarder = tauri::async_runtime::spawn(async move {
        while let Some(update) = updates.next().await {
            let payload = UpdatePayload { name: update.name, data: update.data };
            if app.emit_to(crate::window::LABEL, UPDATE_EVENT, payload).is_err() {
                return;
            }
        }
    });
    if let Ok(mut slot) = shell.forwarder.lock() {
        if let Some(previous) = slot.replace(forwarder) {
            previous.abort();
        }
    }
    Ok(())
}
