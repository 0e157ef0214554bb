//! Where config and data live by default: the platform's config and data dirs
//! (`$XDG_CONFIG_HOME/watchkeeper`, `$XDG_DATA_HOME/watchkeeper` on Linux).

use std::path::PathBuf;

pub const CONFIG_FILE: &str = "watchkeeper.toml";
pub const API_FILE: &str = "api.json";

/// The API token, kept across restarts (0600): `watchkeeper token rotate` replaces it.
pub const TOKEN_FILE: &str = "token";

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."))
}

fn xdg(variable: &str, fallback: &str) -> PathBuf {
    match std::env::var_os(variable).map(PathBuf::from) {
        Some(path) if path.is_absolute() => path,
        _ => home().join(fallback),
    }
}

pub fn default_config() -> PathBuf {
    if cfg!(target_os = "macos") {
        return home().join("Library/Application Support/watchkeeper").join(CONFIG_FILE);
    }
    xdg("XDG_CONFIG_HOME", ".config").join("watchkeeper").join(CONFIG_FILE)
}

/// Where the user's systemd units live: `$XDG_CONFIG_HOME/systemd/user`.
pub fn user_units() -> PathBuf {
    xdg("XDG_CONFIG_HOME", ".config").join("systemd/user")
}

pub fn default_data_dir() -> PathBuf {
    if cfg!(target_os = "macos") {
        return home().join("Library/Application Support/watchkeeper");
    }
    xdg("XDG_DATA_HOME", ".local/share").join("watchkeeper")
}
