//! The loopback HTTP server: routes onto the API layer, the guard, server-sent
//! events, `/metrics` and the embedded dashboard.
//!
//! It must not hold logic of its own: every route is a thin call into `api`.

mod assets;
mod guard;
mod metrics;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{Stream, StreamExt as _};
use tokio::net::TcpListener;

use crate::action::Requester;
use crate::api::{self, dto, ApiError};
use crate::engine::Engine;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub token: Arc<str>,
}

/// The whole application: API, metrics, health and the dashboard.
pub fn app(engine: Engine, token: &str) -> Router {
    let state = AppState { engine, token: Arc::from(token) };
    let api = Router::new()
        .route("/status", get(status))
        .route("/checks/{id}", get(check))
        .route("/checks/{id}/results", get(results))
        .route("/checks/{id}/history", get(history))
        .route("/checks/{id}/pause", post(pause_check))
        .route("/checks/{id}/resume", post(resume_check))
        .route("/pause", post(pause_all))
        .route("/resume", post(resume_all))
        .route("/incidents", get(incidents))
        .route("/actions/{id}/run", post(run_action))
        .route("/action-runs", get(action_runs))
        .route("/events", get(events))
        .fallback(api_not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::require_token));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .fallback(assets::serve)
        .layer(axum::middleware::from_fn(guard::loopback_only))
        .with_state(state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({"code": self.code, "message": self.message, "resolution": self.resolution});
        (status, Json(body)).into_response()
    }
}

async fn healthz(State(state): State<AppState>) -> Json<dto::HealthDto> {
    Json(api::health(&state.engine))
}

async fn status(State(state): State<AppState>) -> Json<dto::StatusDto> {
    Json(api::status(&state.engine))
}

async fn check(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<dto::CheckDetailDto>, ApiError> {
    api::check(&state.engine, &id).map(Json)
}

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

fn query<T>(query: QueryResult<T>) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|e| ApiError::bad_request(e.body_text()))
}

async fn results(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: QueryResult<dto::ResultsQuery>,
) -> Result<Json<dto::ResultsDto>, ApiError> {
    api::results(&state.engine, &id, query(q)?).await.map(Json)
}

async fn history(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: QueryResult<dto::HistoryQuery>,
) -> Result<Json<dto::HistoryDto>, ApiError> {
    api::history(&state.engine, &id, query(q)?).await.map(Json)
}

async fn incidents(
    State(state): State<AppState>,
    q: QueryResult<dto::IncidentQuery>,
) -> Result<Json<dto::IncidentsDto>, ApiError> {
    api::incidents(&state.engine, query(q)?).await.map(Json)
}

/// A JSON body, or the defaults when it is empty.
fn body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
    }
}

async fn run_action(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Json<dto::ActionRunDto>, ApiError> {
    // The desktop app's window says so; any other caller is the API.
    let requester = match headers.get("x-watchkeeper-client").and_then(|v| v.to_str().ok()) {
        Some("desktop") => Requester::Desktop,
        _ => Requester::Api,
    };
    api::run_action(&state.engine, &id, body(&bytes)?, requester).await.map(Json)
}

async fn pause_check(
    State(state): State<AppState>,
    Path(id): Path<String>,
    bytes: axum::body::Bytes,
) -> Result<Json<dto::PauseDto>, ApiError> {
    api::pause(&state.engine, Some(&id), body(&bytes)?).await.map(Json)
}

async fn resume_check(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<dto::PauseDto>, ApiError> {
    api::resume(&state.engine, Some(&id)).await.map(Json)
}

async fn pause_all(State(state): State<AppState>, bytes: axum::body::Bytes) -> Result<Json<dto::PauseDto>, ApiError> {
    api::pause(&state.engine, None, body(&bytes)?).await.map(Json)
}

async fn resume_all(State(state): State<AppState>) -> Result<Json<dto::PauseDto>, ApiError> {
    api::resume(&state.engine, None).await.map(Json)
}

async fn action_runs(
    State(state): State<AppState>,
    q: QueryResult<dto::ActionRunsQuery>,
) -> Result<Json<dto::ActionRunsDto>, ApiError> {
    api::action_runs(&state.engine, query(q)?).await.map(Json)
}

async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::not_found(uri.path())
}

/// Live updates (see `api::live`), as server-sent events. The stream ends when the
/// engine stops, so shutdown never waits on an open dashboard.
async fn events(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let updates = api::live::updates(state.engine.clone())
        .map(|update| Ok(SseEvent::default().event(update.name).data(update.data)));
    Sse::new(updates).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
