//! A loopback HTTP target whose behaviour a test switches at will, counting hits.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200 with a small JSON body `{"status":"UP"}`.
    Ok,
    /// This status with a short body.
    Status(u16),
    /// 200 with this body.
    Body(String),
    /// Never answers.
    Hang,
    /// Answers 200 after this long.
    Slow(Duration),
    /// 200 with a body of this many bytes.
    Huge(usize),
    /// This status, content type and body.
    Typed(u16, &'static str, String),
    /// 200 and 503 by turns: a flapping service.
    Alternate,
    /// 200, then its body a byte at a time, 200 ms apart, never ending.
    Trickle,
    /// 200, then 64 KiB chunks as fast as they are read, never ending.
    Endless,
}

#[derive(Clone)]
struct Shared {
    behaviour: Arc<Mutex<Behaviour>>,
    hits: Arc<AtomicU64>,
    last: Arc<Mutex<Option<Request>>>,
    /// Every request with a body (a webhook's deliveries), in order.
    posted: Arc<Mutex<Vec<Request>>>,
}

/// A request as the target saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct Target {
    pub addr: SocketAddr,
    shared: Shared,
    server: Option<JoinHandle<()>>,
}

impl Target {
    pub async fn start(behaviour: Behaviour) -> Target {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let shared = Shared {
            behaviour: Arc::new(Mutex::new(behaviour)),
            hits: Arc::new(AtomicU64::new(0)),
            last: Arc::new(Mutex::new(None)),
            posted: Arc::new(Mutex::new(Vec::new())),
        };
        let server = Some(spawn(listener, shared.clone()));
        Target { addr, shared, server }
    }

    pub fn url(&self) -> String {
        format!("http://{}/health", self.addr)
    }

    pub fn set(&self, behaviour: Behaviour) {
        *self.shared.behaviour.lock().expect("behaviour lock") = behaviour;
    }

    pub fn hits(&self) -> u64 {
        self.shared.hits.load(Ordering::SeqCst)
    }

    /// The last request it answered.
    pub fn last_request(&self) -> Option<Request> {
        self.shared.last.lock().expect("last lock").clone()
    }

    /// Every request with a body it saw, in order.
    pub fn posted(&self) -> Vec<Request> {
        self.shared.posted.lock().expect("posted lock").clone()
    }

    /// Stops listening: connections are refused until `reopen`.
    pub async fn close(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }

    /// Listens again on the same port.
    pub async fn reopen(&mut self) {
        let listener = TcpListener::bind(self.addr).await.expect("rebind the target's port");
        self.server = Some(spawn(listener, self.shared.clone()));
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

fn spawn(listener: TcpListener, shared: Shared) -> JoinHandle<()> {
    let app = Router::new().fallback(respond).with_state(shared);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}

async fn respond(State(shared): State<Shared>, request: axum::extract::Request) -> Response {
    let hit = shared.hits.fetch_add(1, Ordering::SeqCst);
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let seen = Request {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    if !seen.body.is_empty() {
        shared.posted.lock().expect("posted lock").push(seen.clone());
    }
    *shared.last.lock().expect("last lock") = Some(seen);
    let behaviour = shared.behaviour.lock().expect("behaviour lock").clone();
    match behaviour {
        Behaviour::Ok => ([("content-type", "application/json")], "{\"status\":\"UP\"}").into_response(),
        Behaviour::Status(code) => (StatusCode::from_u16(code).expect("valid status"), "failing").into_response(),
        Behaviour::Alternate if hit % 2 == 0 => "ok".into_response(),
        Behaviour::Alternate => (StatusCode::SERVICE_UNAVAILABLE, "failing").into_response(),
        Behaviour::Body(body) => body.into_response(),
        Behaviour::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        Behaviour::Slow(delay) => {
            tokio::time::sleep(delay).await;
            "slow but fine".into_response()
        }
        Behaviour::Huge(size) => "x".repeat(size).into_response(),
        Behaviour::Trickle => {
            let bytes = futures_util::stream::unfold((), |()| async {
                tokio::time::sleep(Duration::from_millis(200)).await;
                Some((Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"x")), ()))
            });
            axum::body::Body::from_stream(bytes).into_response()
        }
        Behaviour::Endless => {
            let chunk = axum::body::Bytes::from(vec![b'x'; 64 * 1024]);
            let bytes = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
            axum::body::Body::from_stream(bytes).into_response()
        }
        Behaviour::Typed(code, content_type, body) => {
            (StatusCode::from_u16(code).expect("valid status"), [("content-type", content_type)], body).into_response()
        }
    }
}
