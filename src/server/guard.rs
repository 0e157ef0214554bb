//! The guard: loopback peers and loopback `Host` only (no DNS rebinding), a loopback
//! or app `Origin` when one is sent (no cross-site requests), and the bearer token on
//! `/api/`.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::api::ApiError;

pub async fn loopback_only(request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        if !peer.ip().is_loopback() {
            return ApiError::foreign_host(&peer.ip().to_string()).into_response();
        }
    }
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !is_loopback_host(host) {
        return ApiError::foreign_host(host).into_response();
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !is_allowed_origin(origin) {
            return ApiError::foreign_origin(origin).into_response();
        }
    }
    next.run(request).await
}

pub async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if !constant_time_eq(presented.as_bytes(), state.token.current().as_bytes()) {
        return ApiError::unauthorized().into_response();
    }
    next.run(request).await
}

/// `127.0.0.1`, any `127.x`, `[::1]` or `localhost`, with or without a port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inner, port)) if port.is_empty() || port.starts_with(':') => inner,
            _ => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_allowed_origin(origin: &str) -> bool {
    if matches!(origin, "tauri://localhost" | "http://tauri.localhost" | "https://tauri.localhost") {
        return true;
    }
    origin.strip_prefix("http://").is_some_and(is_loopback_host)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in ["127.0.0.1", "127.0.0.1:8080", "127.1.2.3:1", "localhost", "LOCALHOST:99", "[::1]", "[::1]:8080"] {
            assert!(is_loopback_host(host), "{host} is loopback");
        }
        for host in ["", "example.com", "10.0.0.1:80", "127.0.0.1.nip.io", "[::2]:80", "[::1]x", "localhost.evil.com"] {
            assert!(!is_loopback_host(host), "{host} must be refused");
        }
        assert!(is_allowed_origin("http://127.0.0.1:4000"));
        assert!(!is_allowed_origin("https://evil.example"));
        assert!(!is_allowed_origin("null"));
    }
}
