//! A client of the running daemon, found through `api.json` in the data dir: what
//! `watchkeeper status`, `incidents` and `action run` use.

use std::path::Path;
use std::time::Duration;

use crate::daemon::ApiFile;

/// A problem the user can act on: a code, a message and a resolution.
#[derive(Debug, Clone)]
pub struct UserError {
    pub code: &'static str,
    pub message: String,
    pub resolution: String,
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]\n  help: {}", self.message, self.code, self.resolution)
    }
}

impl std::error::Error for UserError {}

pub struct Client {
    api: ApiFile,
    http: reqwest::Client,
}

impl Client {
    pub fn discover(data_dir: &Path) -> Result<Client, UserError> {
        let api = ApiFile::read(data_dir).map_err(|e| UserError {
            code: "daemon_not_running",
            message: format!("no running watchkeeper found for {} ({e})", data_dir.display()),
            resolution: "start it with `watchkeeper run` (or `cargo xtask run`), or pass the --data-dir it uses".into(),
        })?;
        let http =
            reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(120)).build().map_err(|e| UserError {
                code: "client_error",
                message: format!("cannot build the HTTP client: {e}"),
                resolution: "report this as a bug".into(),
            })?;
        Ok(Client { api, http })
    }

    pub async fn get(&self, path: &str) -> Result<serde_json::Value, UserError> {
        self.send(self.http.get(format!("{}{path}", self.api.url))).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Result<serde_json::Value, UserError> {
        self.send(self.http.post(format!("{}{path}", self.api.url)).json(&body)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<serde_json::Value, UserError> {
        let response = request.bearer_auth(&self.api.token).send().await.map_err(|e| UserError {
            code: "daemon_unreachable",
            message: format!("the watchkeeper at {} (pid {}) does not answer: {e}", self.api.url, self.api.pid),
            resolution: "it may have crashed: start it again with `watchkeeper run`".into(),
        })?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.map_err(|e| UserError {
            code: "bad_response",
            message: format!("the daemon's answer is not JSON: {e}"),
            resolution: "check that the url in api.json is watchkeeper's".into(),
        })?;
        if status.is_success() {
            return Ok(body);
        }
        let text = |key: &str| body.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned();
        Err(UserError {
            code: "api_error",
            message: format!("{} ({})", text("message"), text("code")),
            resolution: text("resolution"),
        })
    }
}
