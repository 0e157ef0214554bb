//! The dashboard window: created on demand and destroyed when closed (a hidden WebKit
//! view keeps costing memory and CPU); the tray and notifications open it again.

use tauri::{AppHandle, Manager as _, WebviewUrl, WebviewWindowBuilder};

use crate::Shell;

pub const LABEL: &str = "main";

/// Shows the window (creating it when closed), on `route` (`#/check/ID`) when given.
pub fn open(app: &AppHandle, route: Option<&str>) {
    if let Some(window) = app.get_webview_window(LABEL) {
        if let Some(route) = route {
            let _ = window.eval(format!("location.hash = {}", json_string(route)));
        }
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let mut builder = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title("Watchkeeper")
        .inner_size(1100.0, 760.0)
        .min_inner_size(480.0, 360.0);
    if let Some(route) = route {
        // Before the page's own scripts, on the first load only.
        builder = builder.initialization_script(format!("if (!location.hash) location.hash = {};", json_string(route)));
    }
    if let Err(e) = builder.build() {
        tracing::warn!(error = %e, "cannot open the dashboard window");
    }
}

/// The window is gone: its live updates stop, and the memory its page used goes back
/// to the system rather than staying in malloc's free lists.
pub fn destroyed(app: &AppHandle) {
    if let Some(shell) = app.try_state::<Shell>() {
        if let Some(forwarder) = shell.forwarder.lock().ok().and_then(|mut f| f.take()) {
            forwarder.abort();
        }
    }
    #[cfg(target_env = "gnu")]
    {
        let app = app.clone();
        // Once WebKit has let go of the page (it does so on the main loop after this).
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            let _ = app.run_on_main_thread(|| {
                // SAFETY: malloc_trim only returns free memory to the system.
                unsafe { libc::malloc_trim(0) };
            });
        });
    }
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}
