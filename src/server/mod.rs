//! The loopback HTTP server: the route table's operations (`api::operation`), the
//! guard, server-sent events, `/metrics` and the embedded dashboard.
//!
//! It must not hold logic of its own: a route reads its arguments and calls `api`.

pub mod assets;
mod guard;
mod metrics;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts as _, RawPathParams, Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use futures_util::{Stream, StreamExt as _};
use serde::de::DeserializeOwned;
use tokio::net::TcpListener;

use crate::action::Requester;
use crate::api::operation::{self, Method, Operation, Visitor};
use crate::api::{self, ApiError};
use crate::engine::Engine;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub token: Arc<Token>,
}

/// The API's bearer token: the one in force, and how a new one is kept before it
/// replaces it (`watchkeeper token rotate`).
pub struct Token {
    current: std::sync::RwLock<Arc<str>>,
    keep: Box<Keep>,
}

/// Writes a new token where it must survive, before it is used.
type Keep = dyn Fn(&str) -> anyhow::Result<()> + Send + Sync;

impl Token {
    /// `token` in force; `keep` writes a new one where it must survive (before it is used).
    pub fn new(token: &str, keep: impl Fn(&str) -> anyhow::Result<()> + Send + Sync + 'static) -> Arc<Token> {
        Arc::new(Token { current: std::sync::RwLock::new(Arc::from(token)), keep: Box::new(keep) })
    }

    pub fn current(&self) -> Arc<str> {
        self.current.read().map_or_else(|poisoned| poisoned.into_inner().clone(), |t| t.clone())
    }

    /// A new token, kept, then in force: the old one is refused from now on.
    pub fn rotate(&self) -> anyhow::Result<()> {
        let token = crate::secret::random_token()?;
        (self.keep)(&token)?;
        match self.current.write() {
            Ok(mut current) => *current = Arc::from(token.as_str()),
            Err(poisoned) => *poisoned.into_inner() = Arc::from(token.as_str()),
        }
        tracing::info!("the API token was replaced");
        Ok(())
    }
}

/// The whole application: the operations of the route table (those under `/api/` behind
/// the token), the event stream, metrics, and the dashboard.
pub fn app(engine: Engine, token: Arc<Token>) -> Router {
    let state = AppState { engine, token };
    let mut routes = Routes { api: Router::new(), root: Router::new() };
    operation::visit_all(&mut routes);
    let api = routes
        .api
        .route("/events", get(events))
        .route("/export", get(export))
        .route("/token/rotate", post(rotate_token))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::require_token));
    routes
        .root
        .nest("/api/v1", api)
        .route("/metrics", get(metrics::metrics))
        .route("/push/{check}/{token}", get(push).post(push))
        .fallback(outside_the_table)
        .layer(axum::middleware::from_fn(guard::loopback_only))
        .layer(axum::middleware::from_fn(answer_a_panic))
        .with_state(state)
}

/// An export, streamed a page of rows at a time: the history is read in pages, never
/// held whole, and the answer starts before the last page is read. A read that fails
/// midway ends the file with its error (CSV) or leaves the JSON unclosed, so a cut
/// export never passes for a whole one.
async fn export(State(state): State<AppState>, axum::extract::RawQuery(query): axum::extract::RawQuery) -> Response {
    let args = match serde_urlencoded::from_str::<crate::api::dto::ExportArgs>(query.as_deref().unwrap_or("")) {
        Ok(args) => args,
        Err(e) => {
            let message = format!("the query is not an export's: {e}");
            let resolution = "ask for `?what=results&format=csv`, with `check`, `from` and `to` if you want";
            return ApiError::new(400, "bad_export", message, resolution).into_response();
        }
    };
    let export = match api::export(&state.engine, args) {
        Ok(export) => Arc::new(export),
        Err(e) => return e.into_response(),
    };
    let (name, content_type) = (export.file_name(state.engine.now()), export.content_type());
    let head = futures_util::stream::once(std::future::ready(Ok::<_, Infallible>(export.head())));
    let store = state.engine.store().clone();
    let rows = futures_util::stream::unfold(Some(0i64), move |after| {
        let (store, export) = (store.clone(), export.clone());
        async move {
            let after = after?;
            match store.export_page(export.table, export.filter.clone(), after, api::EXPORT_PAGE).await {
                Ok(page) if page.is_empty() => Some((Ok(export.tail().to_owned()), None)),
                Ok(page) => {
                    let last = page.last().map_or(after, |(id, _)| *id);
                    let chunk: String =
                        page.iter().map(|(id, cells)| export.row(cells, after == 0 && *id == page[0].0)).collect();
                    Some((Ok(chunk), Some(last)))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "an export stopped: the history could not be read");
                    let said = if export.json { String::new() } else { format!("# export cut short: {e}\r\n") };
                    Some((Ok(said), None))
                }
            }
        }
    });
    let body = axum::body::Body::from_stream(head.chain(rows));
    let disposition = format!("attachment; filename=\"{name}\"");
    Response::builder()
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .header(axum::http::header::CONTENT_DISPOSITION, disposition)
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The largest body a heartbeat ping may carry (its message is kept shorter still).
const PUSH_MAX_BODY: usize = 16 * 1024;

/// A job's heartbeat ping: no bearer token (the URL's token is the secret), GET or POST.
async fn push(
    State(state): State<AppState>,
    axum::extract::Path((check, token)): axum::extract::Path<(String, String)>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    body: axum::body::Body,
) -> Response {
    let Ok(query) = serde_urlencoded::from_str::<crate::api::dto::PushArgs>(query.as_deref().unwrap_or("")) else {
        return ApiError::new(
            400,
            "bad_query",
            "the query is not `status=…&msg=…`",
            "send `?status=fail&msg=…`, or nothing",
        )
        .into_response();
    };
    let Ok(body) = axum::body::to_bytes(body, PUSH_MAX_BODY).await else {
        return ApiError::new(
            413,
            "body_too_large",
            "a ping's body is larger than 16 KB",
            "send a short message: it is kept as the check's message, cut at 1 KB",
        )
        .into_response();
    };
    match crate::api::push(&state.engine, &check, &token, query.status.as_deref(), query.msg, &body).await {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A path in no route: under `/api/` (`/api/v1/` itself, an older version) an API error
/// as JSON; anywhere else the dashboard's files.
async fn outside_the_table(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") || uri.path() == "/api" {
        return ApiError::not_found(uri.path()).into_response();
    }
    assets::serve(uri).await
}

/// A handler that panics answers 500 `internal_error` as JSON (the hook has logged and
/// counted it for `/healthz`), never a dropped connection.
async fn answer_a_panic(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use futures_util::FutureExt as _;
    let path = request.uri().path().to_owned();
    match std::panic::AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let said = crate::panics::message(panic.as_ref());
            tracing::error!(path = %path, "a request panicked: {said}");
            ApiError::new(
                500,
                "internal_error",
                format!("{path} failed on an internal error: {said}"),
                "this is a bug: please report it with the log in the data dir; the daemon goes on",
            )
            .into_response()
        }
    }
}

/// The routes of the route table: under `/api/v1` (with the token) or at the root.
struct Routes {
    api: Router<AppState>,
    root: Router<AppState>,
}

impl Visitor for Routes {
    fn visit<O: Operation>(&mut self) {
        let route = match O::METHOD {
            Method::Get => get(handle::<O>),
            Method::Post => post(handle::<O>),
            Method::Put => put(handle::<O>),
            Method::Delete => delete(handle::<O>),
        };
        match O::PATH.strip_prefix("/api/v1") {
            Some(path) => self.api = std::mem::take(&mut self.api).route(path, route),
            None => self.root = std::mem::take(&mut self.root).route(O::PATH, route),
        }
    }
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
        (status, Json(self.to_dto())).into_response()
    }
}

/// Any operation: its request read (the same code for all), its arguments made its
/// own type, then the operation called for whoever asks.
async fn handle<O: Operation>(State(state): State<AppState>, request: Request) -> Response {
    let incoming = match Incoming::read(request, O::METHOD).await {
        Ok(incoming) => incoming,
        Err(e) => return e.into_response(),
    };
    let requester = incoming.requester;
    let args = match incoming.args::<O::Args>() {
        Ok(args) => args,
        Err(e) => return e.into_response(),
    };
    match operation::perform::<O>(&state.engine, args, requester).await {
        Ok(output) if O::CREATED => (StatusCode::CREATED, Json(output)).into_response(),
        Ok(output) => Json(output).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The largest request body read (an operation's arguments are small).
const MAX_BODY: usize = 64 * 1024;

/// What an operation's request says: its arguments, and who asks.
struct Incoming {
    args: Args,
    requester: Requester,
}

/// The arguments as they came: a query string (GET) or a JSON object (POST), with the
/// path's `id` among them.
enum Args {
    Query(String),
    Body(serde_json::Value),
}

impl Incoming {
    async fn read(request: Request, method: Method) -> Result<Incoming, ApiError> {
        let (mut parts, body) = request.into_parts();
        // The desktop app and the CLI say so; any other caller is the API (`auto` is the
        // engine's own and cannot be claimed).
        let requester = match parts.headers.get("x-watchkeeper-client").and_then(|v| v.to_str().ok()) {
            Some(caller) => match Requester::parse(caller) {
                Some(requester @ (Requester::Desktop | Requester::Cli)) => requester,
                _ => Requester::Api,
            },
            None => Requester::Api,
        };
        let params = RawPathParams::from_request_parts(&mut parts, &())
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid path: {}", e.body_text())))?;
        let id = params.iter().find(|(name, _)| *name == "id").map(|(_, value)| value.to_owned());
        // `If-Match: VERSION` (an edit of the config file) is the `if_match` argument.
        let if_match = parts.headers.get(axum::http::header::IF_MATCH).and_then(|v| v.to_str().ok());
        let if_match = if_match.map(|v| v.trim().trim_start_matches("W/").trim_matches('"').to_owned());
        let args = match method {
            Method::Get | Method::Delete => {
                let mut query = query_with_id(parts.uri.query().unwrap_or(""), id);
                if let Some(version) = if_match {
                    let pair = serde_urlencoded::to_string([("if_match", version)]).unwrap_or_default();
                    query = if query.is_empty() { pair } else { format!("{query}&{pair}") };
                }
                Args::Query(query)
            }
            Method::Post | Method::Put => {
                let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
                    ApiError::bad_request(format!("invalid request body: larger than {MAX_BODY} bytes"))
                })?;
                let mut body = body_with_id(&body, id)?;
                if let (Some(version), Some(fields)) = (if_match, body.as_object_mut()) {
                    fields.insert("if_match".to_owned(), version.into());
                }
                Args::Body(body)
            }
        };
        Ok(Incoming { args, requester })
    }

    fn args<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        match self.args {
            Args::Query(query) => serde_urlencoded::from_str(&query)
                .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}"))),
            Args::Body(body) => {
                serde_json::from_value(body).map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
            }
        }
    }
}

/// A query string with the path's `id` added.
fn query_with_id(query: &str, id: Option<String>) -> String {
    let Some(id) = id else { return query.to_owned() };
    let id = serde_urlencoded::to_string([("id", id)]).unwrap_or_default();
    if query.is_empty() {
        id
    } else {
        format!("{query}&{id}")
    }
}

/// A JSON object body (none when it is empty) with the path's `id` added.
fn body_with_id(body: &[u8], id: Option<String>) -> Result<serde_json::Value, ApiError> {
    let mut value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?
    };
    let Some(fields) = value.as_object_mut() else {
        return Err(ApiError::bad_request("invalid request body: a JSON object is expected"));
    };
    if let Some(id) = id {
        if fields.contains_key("id") {
            return Err(ApiError::bad_request("invalid request body: unknown field `id` (the id is in the path)"));
        }
        fields.insert("id".to_owned(), id.into());
    }
    Ok(value)
}

async fn api_not_found(uri: Uri) -> ApiError {
    ApiError::not_found(uri.path())
}

/// A route asked with a method it does not take: JSON like every other error.
async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::new(
        405,
        "method_not_allowed",
        format!("{} does not take {method}", uri.path()),
        "reads are GET and changes POST, PUT or DELETE: docs/API.md gives each route's method",
    )
}

/// Replaces the API token: the new one is written to the data dir and `api.json`
/// before it answers; the one this request came with is refused from then on.
async fn rotate_token(State(state): State<AppState>) -> Response {
    match state.token.rotate() {
        Ok(()) => Json(serde_json::json!({ "rotated_at": api::dto::rfc3339(&state.engine.now()) })).into_response(),
        Err(error) => ApiError::token_not_kept(&format!("{error:#}")).into_response(),
    }
}

/// Live updates (see `api::live`), as server-sent events. The stream ends when the
/// engine stops, so shutdown never waits on an open dashboard.
async fn events(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let updates = api::live::updates(state.engine.clone())
        .map(|update| Ok(SseEvent::default().event(update.name).data(update.data)));
    Sse::new(updates).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handler that panics answers 500 with the error's code, message and
    /// resolution, and the server goes on answering.
    #[tokio::test]
    async fn a_panicking_handler_answers_500_as_json() {
        let app: Router = Router::new()
            .route("/boom", get(|| async { panic!("a bug in a handler") as &'static str }))
            .route("/fine", get(|| async { "fine" }))
            .layer(axum::middleware::from_fn(answer_a_panic));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(serve(listener, app, std::future::pending()));
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let response = http.get(format!("{url}/boom")).send().await.expect("an answer, not a dropped connection");
        assert_eq!(response.status(), 500);
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["code"], "internal_error");
        assert_eq!(error["message"], "/boom failed on an internal error: a bug in a handler");
        assert!(error["resolution"].as_str().unwrap().contains("report it"));
        assert_eq!(http.get(format!("{url}/fine")).send().await.unwrap().text().await.unwrap(), "fine");
    }
}
