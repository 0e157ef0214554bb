//! Start-up checks of the desktop itself: a display, a tray host and a notification
//! service. Without a display the app runs headless; without the others it keeps
//! running and says so ("degraded: ...") in the dashboard and /healthz.

/// Why there is no display to open windows on, or `None` when there is one.
pub fn no_display() -> Option<String> {
    if cfg!(target_os = "linux") {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
            return Some("no display (DISPLAY and WAYLAND_DISPLAY are unset)".to_owned());
        }
    }
    None
}

/// The desktop features that cannot work here, each with its reason and resolution.
pub fn desktop() -> Vec<String> {
    #[allow(unused_mut)]
    let mut degraded = Vec::new();
    #[cfg(target_os = "linux")]
    {
        match session_names() {
            Err(e) => degraded.push(format!(
                "desktop: no D-Bus session bus ({e}); no tray icon and no notifications: start the app inside your desktop session"
            )),
            Ok(names) => {
                if !names.iter().any(|n| n == "org.kde.StatusNotifierWatcher") {
                    degraded.push(
                        "tray: no tray host on this desktop (no StatusNotifierWatcher): the tray icon is not shown; \
                         install a tray (on GNOME the AppIndicator extension) or open the window by starting the app again"
                            .to_owned(),
                    );
                }
                if !names.iter().any(|n| n == "org.freedesktop.Notifications") {
                    degraded.push(
                        "notifications: no notification service on the session bus: alerts show only in the tray and \
                         the dashboard; install one (e.g. dunst, or your desktop's)"
                            .to_owned(),
                    );
                }
            }
        }
    }
    for reason in &degraded {
        tracing::warn!("pre-flight: degraded: {reason}");
    }
    degraded
}

/// Names on the session bus, owned now or started on demand.
#[cfg(target_os = "linux")]
fn session_names() -> zbus::Result<Vec<String>> {
    let connection = zbus::blocking::Connection::session()?;
    let bus = zbus::blocking::fdo::DBusProxy::new(&connection)?;
    let mut names: Vec<String> = bus.list_names()?.into_iter().map(|n| n.to_string()).collect();
    names.extend(bus.list_activatable_names()?.into_iter().map(|n| n.to_string()));
    Ok(names)
}
