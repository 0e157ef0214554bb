//! The embedded dashboard (ui/dist, built by `cargo xtask ui`). A release build always
//! has it (build.rs); a debug build may not, and then `/` says how to build it.

use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/ui_assets.rs"));

/// The dashboard's policy: its own scripts, styles and API only, as the desktop window's
/// (`src-tauri/tauri.conf.json`); the views set styles through the CSSOM.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Watchkeeper</title>
<body style=\"font-family:system-ui;max-width:40em;margin:3em auto\"><h1>Watchkeeper is running</h1>
<p>The dashboard was not built into this binary. Build it with <code>cargo xtask ui</code> and rebuild,
or use the API: <code>GET /api/v1/status</code> with the token from <code>api.json</code>.</p>";

/// Whether this binary has the dashboard in it.
pub fn built() -> bool {
    ASSETS.iter().any(|(name, _)| *name == "index.html")
}

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    if let Some((_, bytes)) = ASSETS.iter().find(|(name, _)| *name == path) {
        let cache = if path == "index.html" { "no-cache" } else { "public, max-age=31536000, immutable" };
        return (
            [
                (header::CONTENT_TYPE, mime(path)),
                (header::CACHE_CONTROL, cache),
                (header::CONTENT_SECURITY_POLICY, POLICY),
            ],
            *bytes,
        )
            .into_response();
    }
    if path == "index.html" {
        return Html(NOT_BUILT).into_response();
    }
    (StatusCode::NOT_FOUND, "not found").into_response()
}

fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}
