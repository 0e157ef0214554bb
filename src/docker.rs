//! A client of the Docker Engine API over its unix socket (Podman serves the same API
//! on its own socket): restart a container, read its state. Shared by the `restart`
//! action and the `docker` probe.
//!
//! The socket is `socket` when given, else `$DOCKER_HOST` (a `unix://` one), else the
//! first that exists of `/var/run/docker.sock`, Podman's rootful
//! `/run/podman/podman.sock` and rootless `$XDG_RUNTIME_DIR/podman/podman.sock`.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The API version asked for: Docker 20.10 and Podman 3 serve it.
const API: &str = "v1.41";

/// Why a call to the engine failed, each with what to do.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("no Docker or Podman socket found (tried {})", list(.tried))]
    NoSocket { tried: Vec<PathBuf> },
    #[error("cannot reach the container engine at {}: {error}", .socket.display())]
    Unreachable { socket: PathBuf, error: String },
    #[error("this user may not use the container engine's socket {}", .0.display())]
    Forbidden(PathBuf),
    #[error("{} does not speak the Docker Engine API: {why}", .socket.display())]
    NotDocker { socket: PathBuf, why: String },
    #[error("no container named `{0}`")]
    NoSuchContainer(String),
    #[error("the container engine refused: {status} {message}")]
    Refused { status: u16, message: String },
    #[error("the container engine did not answer within {}", crate::units::format_duration(*.0))]
    Timeout(Duration),
}

impl DockerError {
    /// What the operator can do about it.
    pub fn resolution(&self) -> String {
        match self {
            DockerError::NoSocket { .. } => {
                "start Docker (or `podman system service`), or set `socket` to the engine's socket".into()
            }
            DockerError::Unreachable { .. } => {
                "is the engine running, and may this user use its socket (the `docker` group, or rootless Podman)?"
                    .into()
            }
            DockerError::Forbidden(_) => {
                "add the user Watchkeeper runs as to the `docker` group (then log in again), or point `socket` at rootless Podman's".into()
            }
            DockerError::NotDocker { .. } => {
                "point `socket` at Docker's socket (`/var/run/docker.sock`) or Podman's (`podman system service`)".into()
            }
            DockerError::NoSuchContainer(name) => format!("check the name: `docker ps -a` lists them (not `{name}`)"),
            DockerError::Refused { .. } => "read the engine's message; `docker logs` tells more".into(),
            DockerError::Timeout(_) => "raise the action's `timeout`: a container can take a while to stop".into(),
        }
    }
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// The sockets to try, in order.
pub fn socket_candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
    if let Some(socket) = explicit {
        return vec![socket.to_owned()];
    }
    let mut candidates = Vec::new();
    if let Some(host) = std::env::var_os("DOCKER_HOST") {
        if let Some(path) = host.to_str().and_then(|h| h.strip_prefix("unix://")) {
            candidates.push(PathBuf::from(path));
        }
    }
    candidates.push(PathBuf::from("/var/run/docker.sock"));
    candidates.push(PathBuf::from("/run/podman/podman.sock"));
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
        candidates.push(PathBuf::from(runtime).join("podman/podman.sock"));
    }
    candidates
}

/// A connection to one engine.
#[derive(Debug, Clone)]
pub struct Docker {
    socket: PathBuf,
    http: reqwest::Client,
}

impl Docker {
    /// The engine on the first candidate socket that exists.
    pub fn connect(explicit: Option<&Path>) -> Result<Docker, DockerError> {
        let tried = socket_candidates(explicit);
        let Some(socket) = tried.iter().find(|path| path.exists()).cloned() else {
            return Err(DockerError::NoSocket { tried });
        };
        let http = reqwest::Client::builder()
            .unix_socket(socket.clone())
            .build()
            .map_err(|e| DockerError::Unreachable { socket: socket.clone(), error: e.to_string() })?;
        Ok(Docker { socket, http })
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Restarts a container, giving it `stop_timeout` to stop before it is killed;
    /// waits for the engine's answer up to `limit`.
    pub async fn restart(&self, container: &str, stop_timeout: Duration, limit: Duration) -> Result<(), DockerError> {
        let path = format!("/containers/{}/restart?t={}", encode(container), stop_timeout.as_secs());
        let request = self.http.post(self.url(&path));
        self.send(request, container, limit).await.map(|_| ())
    }

    /// A container's state: `running`, `exited`, ... and its health when it has a check.
    pub async fn state(&self, container: &str, limit: Duration) -> Result<ContainerState, DockerError> {
        let body = self
            .send(self.http.get(self.url(&format!("/containers/{}/json", encode(container)))), container, limit)
            .await?;
        let not_docker = |why: String| DockerError::NotDocker { socket: self.socket.clone(), why };
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| not_docker(format!("an answer that is not JSON: {e}")))?;
        let state = &value["State"];
        let Some(status) = state["Status"].as_str() else {
            return Err(not_docker("the container's answer has no `State.Status`".into()));
        };
        Ok(ContainerState {
            status: status.to_owned(),
            health: state["Health"]["Status"].as_str().map(str::to_owned),
            restarts: value["RestartCount"].as_u64().unwrap_or(0),
        })
    }

    /// The running containers: each one's first name (without its `/`) and image.
    pub async fn running(&self, limit: Duration) -> Result<Vec<(String, String)>, DockerError> {
        let body = self.send(self.http.get(self.url("/containers/json")), "", limit).await?;
        let not_docker = |why: String| DockerError::NotDocker { socket: self.socket.clone(), why };
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| not_docker(format!("an answer that is not JSON: {e}")))?;
        let list = value.as_array().ok_or_else(|| not_docker("the container list is not a list".into()))?;
        Ok(list
            .iter()
            .filter_map(|c| {
                let name = c["Names"].as_array()?.first()?.as_str()?.trim_start_matches('/').to_owned();
                Some((name, c["Image"].as_str().unwrap_or_default().to_owned()))
            })
            .collect())
    }

    /// A failed exchange: no permission on the socket, nothing listening, or a peer
    /// that does not speak HTTP.
    fn unreachable(&self, error: reqwest::Error) -> DockerError {
        let mut source: Option<&dyn std::error::Error> = Some(&error);
        while let Some(cause) = source {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::PermissionDenied {
                    return DockerError::Forbidden(self.socket.clone());
                }
            }
            source = cause.source();
        }
        if error.is_connect() {
            DockerError::Unreachable { socket: self.socket.clone(), error: error.to_string() }
        } else {
            let why = std::iter::successors(Some(&error as &dyn std::error::Error), |e| e.source())
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(": ");
            DockerError::NotDocker { socket: self.socket.clone(), why }
        }
    }

    fn url(&self, path: &str) -> String {
        // The host is not used over a unix socket; the engine wants one all the same.
        format!("http://localhost/{API}{path}")
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        container: &str,
        limit: Duration,
    ) -> Result<Vec<u8>, DockerError> {
        let unreachable = |error: reqwest::Error| self.unreachable(error);
        let answer = async {
            let response = request.send().await.map_err(unreachable)?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(unreachable)?.to_vec();
            Ok::<_, DockerError>((status, body))
        };
        let (status, body) = tokio::time::timeout(limit, answer).await.map_err(|_| DockerError::Timeout(limit))??;
        match status {
            200..=299 => Ok(body),
            status => {
                // The engine's errors are JSON with a `message`; anything else is not it.
                let message = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(str::to_owned));
                match (status, message) {
                    (404, Some(_)) => Err(DockerError::NoSuchContainer(container.to_owned())),
                    (_, Some(message)) => Err(DockerError::Refused { status, message }),
                    (_, None) => Err(DockerError::NotDocker {
                        socket: self.socket.clone(),
                        why: format!(
                            "it answered {status} {}",
                            String::from_utf8_lossy(&body).chars().take(120).collect::<String>()
                        ),
                    }),
                }
            }
        }
    }
}

/// What the engine says of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerState {
    pub status: String,
    pub health: Option<String>,
    pub restarts: u64,
}

/// A container name or id in a path: every byte but `[A-Za-z0-9_.-]` percent-encoded.
fn encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"_.-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
