//! The typed client of a running core, found through `api.json` in its data dir: what
//! the CLI and the desktop window call. It speaks the route table (`operation`): an
//! operation's arguments go out as its path, query or body, its answer comes back as
//! its DTO, so neither caller reads JSON by string keys or re-declares arguments.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use serde_json::Value;

use super::dto::{ApiFile, ErrorDto};
use super::operation::{self, Method, Operation, Visitor};
use crate::model::Requester;
use crate::paths::API_FILE;

/// How long an operation may take (an action run with its verification included).
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a call did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no running watchkeeper found for {} ({source})", dir.display())]
    NotRunning { dir: PathBuf, source: std::io::Error },
    #[error("the watchkeeper at {url} (pid {pid}) does not answer: {source}")]
    Unreachable { url: String, pid: u32, source: reqwest::Error },
    #[error("the daemon's answer is not what was asked for: {0}")]
    BadResponse(reqwest::Error),
    /// The core answered with an error, with this HTTP status.
    #[error("{} ({})", .error.message, .error.code)]
    Api { status: u16, error: ErrorDto },
    #[error("no operation is called `{0}`")]
    UnknownOperation(String),
    #[error("invalid arguments: {0}")]
    BadArgs(serde_json::Error),
    #[error("cannot set up the HTTP client: {0}")]
    Setup(reqwest::Error),
}

impl ClientError {
    /// A stable code for the error (`api_error` for whatever the core answered).
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::NotRunning { .. } => "daemon_not_running",
            ClientError::Unreachable { .. } => "daemon_unreachable",
            ClientError::BadResponse(_) => "bad_response",
            ClientError::Api { .. } => "api_error",
            ClientError::UnknownOperation(_) => "unknown_operation",
            ClientError::BadArgs(_) => "bad_request",
            ClientError::Setup(_) => "client_error",
        }
    }

    pub fn resolution(&self) -> String {
        match self {
            ClientError::NotRunning { .. } => {
                "start it with `watchkeeper run` (or `cargo xtask run`), or pass the --data-dir it uses".into()
            }
            ClientError::Unreachable { .. } => "it may have crashed: start it again with `watchkeeper run`".into(),
            ClientError::BadResponse(_) => "check that the url in api.json is watchkeeper's".into(),
            ClientError::Api { error, .. } => error.resolution.clone(),
            ClientError::UnknownOperation(_) | ClientError::BadArgs(_) => {
                "see ui/src/api/types.ts for the operations and their arguments".into()
            }
            ClientError::Setup(_) => "report this as a bug".into(),
        }
    }
}

/// An export as the core streams it, with the file name it gave.
pub struct ExportStream {
    /// `watchkeeper-incidents-20261207T101500Z.csv`, from `Content-Disposition`.
    pub file_name: Option<String>,
    response: reqwest::Response,
}

/// Why an export was not written whole.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the export was cut short: {0}")]
    Cut(reqwest::Error),
    #[error("cannot write {place}: {source}")]
    Write { place: String, source: std::io::Error },
}

impl ExportStream {
    /// Writes it into `sink` (`place` names it in errors) as it comes, telling
    /// `progress` the lines and bytes so far; the lines and bytes in all.
    pub async fn write_to(
        mut self,
        sink: &mut (impl std::io::Write + ?Sized),
        place: &str,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<(u64, u64), ExportError> {
        let written = |source| ExportError::Write { place: place.to_owned(), source };
        let (mut lines, mut bytes) = (0u64, 0u64);
        while let Some(chunk) = self.response.chunk().await.map_err(ExportError::Cut)? {
            sink.write_all(&chunk).map_err(written)?;
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
            progress(lines, bytes);
        }
        sink.flush().map_err(written)?;
        Ok((lines, bytes))
    }

    /// Saves it as `path`: written beside it (`NAME.part`) and renamed into place once
    /// whole, so a cut export never passes for a whole one.
    pub async fn save(self, path: &Path, progress: impl FnMut(u64, u64)) -> Result<(u64, u64), ExportError> {
        let mut partial = path.as_os_str().to_owned();
        partial.push(".part");
        let partial = PathBuf::from(partial);
        let place = partial.display().to_string();
        let file =
            std::fs::File::create(&partial).map_err(|source| ExportError::Write { place: place.clone(), source })?;
        let mut sink = std::io::BufWriter::new(file);
        let written = self.write_to(&mut sink, &place, progress).await;
        drop(sink);
        let written = match written {
            Ok(written) => written,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, path)
            .map_err(|source| ExportError::Write { place: path.display().to_string(), source })?;
        Ok(written)
    }
}

/// The file name of `attachment; filename="NAME"`, when it is a plain one (no path).
fn file_name_of(disposition: &str) -> Option<String> {
    let name = disposition.split("filename=").nth(1)?.trim().trim_matches('"');
    let plain = !name.is_empty() && !name.contains(['/', '\\']) && !name.starts_with('.');
    plain.then(|| name.to_owned())
}

/// Reads `api.json` in a data dir: where the core listens and its token.
pub fn read_api_file(data_dir: &Path) -> std::io::Result<ApiFile> {
    let text = std::fs::read_to_string(data_dir.join(API_FILE))?;
    serde_json::from_str(&text).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

#[derive(Clone)]
pub struct Client {
    api: ApiFile,
    http: reqwest::Client,
    /// Sent as `x-watchkeeper-client`: who the runs it asks for are recorded as
    /// requested by (`cli`, `desktop`); the API when absent.
    caller: Option<Requester>,
}

impl Client {
    /// The client of the core running on `data_dir`.
    pub fn discover(data_dir: &Path) -> Result<Client, ClientError> {
        let api =
            read_api_file(data_dir).map_err(|source| ClientError::NotRunning { dir: data_dir.to_owned(), source })?;
        Client::new(api)
    }

    pub fn new(api: ApiFile) -> Result<Client, ClientError> {
        // Loopback only: a proxy from the environment must not see the token.
        let http = reqwest::Client::builder().no_proxy().build().map_err(ClientError::Setup)?;
        Ok(Client { api, http, caller: None })
    }

    /// The same client, calling as the desktop app (its action runs are recorded so).
    pub fn as_desktop(self) -> Client {
        Client { caller: Some(Requester::Desktop), ..self }
    }

    /// The same client, calling as the CLI (its action runs are recorded so).
    pub fn as_cli(self) -> Client {
        Client { caller: Some(Requester::Cli), ..self }
    }

    pub fn api(&self) -> &ApiFile {
        &self.api
    }

    /// Calls an operation.
    pub async fn call<O: Operation>(&self, args: &O::Args) -> Result<O::Output, ClientError> {
        let args = serde_json::to_value(args).map_err(ClientError::BadArgs)?;
        let (path, fields) = fill(O::PATH, args)?;
        let url = format!("{}{path}", self.api.url);
        let request = match O::METHOD {
            Method::Get => self.http.get(with_query(url, &fields)),
            Method::Post => self.http.post(url).json(&fields),
            Method::Put => self.http.put(url).json(&fields),
            Method::Delete => self.http.delete(with_query(url, &fields)),
        };
        let response = self.send(request.timeout(CALL_TIMEOUT)).await?;
        response.json().await.map_err(ClientError::BadResponse)
    }

    /// Calls the operation named `name` with its arguments as JSON, and answers JSON:
    /// the desktop window's relay, which passes the dashboard's calls on. The arguments
    /// are read into the operation's own type first, so a bad call fails here.
    pub async fn call_named(&self, name: &str, args: Value) -> Result<Value, ClientError> {
        type Answer<'a> = Pin<Box<dyn Future<Output = Result<Value, ClientError>> + Send + 'a>>;
        struct Named<'a> {
            client: &'a Client,
            name: &'a str,
            args: Option<Value>,
            answer: Option<Answer<'a>>,
        }
        impl<'a> Visitor for Named<'a> {
            fn visit<O: Operation>(&mut self) {
                if O::NAME != self.name || self.answer.is_some() {
                    return;
                }
                let (client, args) = (self.client, self.args.take().unwrap_or(Value::Null));
                self.answer = Some(Box::pin(async move {
                    let args: O::Args = serde_json::from_value(args).map_err(ClientError::BadArgs)?;
                    let output = client.call::<O>(&args).await?;
                    serde_json::to_value(output).map_err(ClientError::BadArgs)
                }));
            }
        }
        let mut named = Named { client: self, name, args: Some(args), answer: None };
        operation::visit_all(&mut named);
        match named.answer {
            Some(answer) => answer.await,
            None => Err(ClientError::UnknownOperation(name.to_owned())),
        }
    }

    /// Replaces the core's API token: the new one is in `api.json` (and the data dir's
    /// `token`) when this answers, and this client's is refused from then on.
    pub async fn rotate_token(&self) -> Result<(), ClientError> {
        self.send(self.http.post(format!("{}/api/v1/token/rotate", self.api.url))).await.map(|_| ())
    }

    /// An export, as the server streams it (a file: CSV or JSON).
    pub async fn export(&self, args: &super::dto::ExportArgs) -> Result<ExportStream, ClientError> {
        let mut fields = match serde_json::to_value(args).map_err(ClientError::BadArgs)? {
            Value::Object(fields) => fields,
            _ => serde_json::Map::new(),
        };
        fields.retain(|_, value| !value.is_null());
        let url = with_query(format!("{}/api/v1/export", self.api.url), &fields);
        let response = self.send(self.http.get(url)).await?;
        let file_name = response
            .headers()
            .get(reqwest::header::CONTENT_DISPOSITION)
            .and_then(|value| value.to_str().ok())
            .and_then(file_name_of);
        Ok(ExportStream { file_name, response })
    }

    /// The live updates, as the server sends them (server-sent events), for as long as
    /// the core serves them.
    pub async fn events(&self) -> Result<reqwest::Response, ClientError> {
        self.send(self.http.get(format!("{}/api/v1/events", self.api.url))).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, ClientError> {
        let mut request = request.bearer_auth(&self.api.token);
        if let Some(caller) = self.caller {
            request = request.header("x-watchkeeper-client", caller.as_str());
        }
        let unreachable = |source| ClientError::Unreachable { url: self.api.url.clone(), pid: self.api.pid, source };
        let response = request.send().await.map_err(unreachable)?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        Err(ClientError::Api { status, error: response.json().await.map_err(ClientError::BadResponse)? })
    }
}

/// Puts the `id` argument into the path (`{id}`); the other arguments that are set are
/// left for the query or the body.
fn fill(path: &str, args: Value) -> Result<(String, serde_json::Map<String, Value>), ClientError> {
    let Value::Object(mut fields) = args else {
        let error = serde::de::Error::custom("the arguments of an operation are an object");
        return Err(ClientError::BadArgs(error));
    };
    let path = if path.contains("{id}") {
        let id = match fields.remove("id") {
            Some(Value::String(id)) => id,
            _ => return Err(ClientError::BadArgs(serde::de::Error::missing_field("id"))),
        };
        path.replace("{id}", &segment(&id))
    } else {
        path.to_owned()
    };
    fields.retain(|_, value| !value.is_null());
    Ok((path, fields))
}

/// The arguments as a query string.
fn with_query(url: String, fields: &serde_json::Map<String, Value>) -> String {
    if fields.is_empty() {
        return url;
    }
    let pairs: Vec<(&str, String)> = fields
        .iter()
        .map(|(key, value)| match value {
            Value::String(text) => (key.as_str(), text.clone()),
            other => (key.as_str(), other.to_string()),
        })
        .collect();
    format!("{url}?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
}

/// A path segment: ids are letters, digits, `-` and `_`; anything else is escaped so
/// it cannot change the path.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_export_keeps_the_plain_file_name_the_core_gave() {
        assert_eq!(
            super::file_name_of("attachment; filename=\"watchkeeper-results-20261207T101500Z.csv\"").as_deref(),
            Some("watchkeeper-results-20261207T101500Z.csv")
        );
        for bad in [
            "attachment",
            "attachment; filename=\"../x.csv\"",
            "attachment; filename=\".hidden\"",
            "attachment; filename=\"\"",
        ] {
            assert_eq!(super::file_name_of(bad), None, "{bad}");
        }
    }

    use super::*;

    #[test]
    fn ids_cannot_change_the_path() {
        assert_eq!(segment("orders-api_2"), "orders-api_2");
        assert_eq!(segment("../x?y"), "%2E%2E%2Fx%3Fy");
    }

    #[test]
    fn arguments_go_to_the_path_and_the_query() {
        let args = serde_json::json!({"id": "a b", "limit": 20, "open": true, "check": null});
        let (path, fields) = fill("/api/v1/checks/{id}/results", args).unwrap();
        assert_eq!(path, "/api/v1/checks/a%20b/results");
        assert_eq!(
            with_query("http://x".into(), &fields),
            "http://x?limit=20&open=true",
            "unset arguments are left out"
        );
        assert!(matches!(fill("/api/v1/checks/{id}", serde_json::json!({})), Err(ClientError::BadArgs(_))));
    }
}
