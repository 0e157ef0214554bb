//! "Start at login", by the XDG autostart rules: an entry named `Watchkeeper.desktop` in
//! the user's autostart dir (`$XDG_CONFIG_HOME/autostart`) overrides one of the same name
//! in a system dir (`$XDG_CONFIG_DIRS`, each `/autostart`), which is where the `.deb`
//! installs one; an entry with `Hidden=true` turns the name off.
//!
//! So the tray's check box says what the session will do at the next login, whoever
//! wrote the entry: turning it off with the package's entry present writes a hidden user
//! entry (removing the user's own would change nothing), and turning it on writes an
//! entry that starts this binary minimized.

use std::path::{Path, PathBuf};

/// The entry's file name, the same in every dir (the package ships this name).
pub const ENTRY: &str = "Watchkeeper.desktop";

/// Where autostart entries are looked for.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// The user's autostart dir, the one written to.
    pub user: PathBuf,
    /// The system's, most important first.
    pub system: Vec<PathBuf>,
}

impl Dirs {
    /// This session's dirs, from the XDG base directory variables and their defaults.
    pub fn from_env() -> Option<Dirs> {
        let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let config_home = match non_empty("XDG_CONFIG_HOME") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(non_empty("HOME")?).join(".config"),
        };
        let config_dirs = non_empty("XDG_CONFIG_DIRS").unwrap_or_else(|| "/etc/xdg".into());
        let system = std::env::split_paths(&config_dirs)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join("autostart"))
            .collect();
        Some(Dirs { user: config_home.join("autostart"), system })
    }

    fn user_entry(&self) -> PathBuf {
        self.user.join(ENTRY)
    }

    /// The entry that counts: the user's, else the first system dir's.
    fn effective(&self) -> Option<PathBuf> {
        std::iter::once(&self.user).chain(&self.system).map(|dir| dir.join(ENTRY)).find(|path| path.is_file())
    }

    fn system_entry(&self) -> Option<PathBuf> {
        self.system.iter().map(|dir| dir.join(ENTRY)).find(|path| path.is_file())
    }

    /// Whether the session starts Watchkeeper at login.
    pub fn is_enabled(&self) -> bool {
        self.effective().and_then(|path| std::fs::read_to_string(path).ok()).is_some_and(|text| starts(&text))
    }

    /// Starts `exe --minimized` at login.
    pub fn enable(&self, exe: &Path) -> std::io::Result<()> {
        self.write_user(&entry(exe, false))
    }

    /// Starts nothing at login: hides the system's entry, or removes the user's.
    pub fn disable(&self, exe: &Path) -> std::io::Result<()> {
        if self.system_entry().is_some() {
            return self.write_user(&entry(exe, true));
        }
        match std::fs::remove_file(self.user_entry()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Turns it over; returns whether it now starts at login.
    pub fn toggle(&self, exe: &Path) -> std::io::Result<bool> {
        if self.is_enabled() {
            self.disable(exe).map(|()| false)
        } else {
            self.enable(exe).map(|()| true)
        }
    }

    fn write_user(&self, text: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.user)?;
        let path = self.user_entry();
        let partial = path.with_extension("desktop.partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &path)
    }
}

/// Whether an entry's text starts the app: not `Hidden`, not turned off for GNOME.
fn starts(text: &str) -> bool {
    let mut in_entry = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_entry = line == "[Desktop Entry]";
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let (key, value) = (key.trim(), value.trim());
        if in_entry
            && ((key == "Hidden" && value == "true") || (key == "X-GNOME-Autostart-enabled" && value == "false"))
        {
            return false;
        }
    }
    true
}

/// An autostart entry for `exe`, hidden or not.
fn entry(exe: &Path, hidden: bool) -> String {
    let exec = exec_argument(&exe.to_string_lossy());
    let hidden = if hidden { "Hidden=true\n" } else { "" };
    format!(
        "[Desktop Entry]\nType=Application\nName=Watchkeeper\nComment=Watchkeeper in the tray: health, alerts and recovery\nExec={exec} --minimized\nIcon=watchkeeper-desktop\nTerminal=false\nStartupNotify=false\n{hidden}"
    )
}

/// One argument of an `Exec` key, by the Desktop Entry spec: `%` doubled; quoted when
/// it holds a reserved character, with `"`, `` ` ``, `$` and `\` escaped inside the
/// quotes; and then escaped as a string value is (a backslash doubled again, a
/// newline `\n`).
fn exec_argument(arg: &str) -> String {
    const RESERVED: &str = " \t\n\"'\\><~|&;$*?#()`";
    let arg = arg.replace('%', "%%");
    if !arg.chars().any(|c| RESERVED.contains(c)) {
        return arg;
    }
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        match c {
            '"' | '`' | '$' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '\\' => quoted.push_str("\\\\\\\\"),
            '\n' => quoted.push_str("\\n"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// This program's path, as a login should start it: the AppImage itself rather than
/// its temporary mount, and not the ` (deleted)` Linux shows for a file replaced by an
/// upgrade while it ran.
pub fn own_path() -> std::io::Result<PathBuf> {
    if let Some(image) = std::env::var_os("APPIMAGE").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(image));
    }
    let exe = std::env::current_exe()?;
    let text = exe.to_string_lossy();
    Ok(match text.strip_suffix(" (deleted)") {
        Some(path) => PathBuf::from(path),
        None => exe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(root: &Path) -> Dirs {
        Dirs {
            user: root.join("home/autostart"),
            system: vec![root.join("etc1/autostart"), root.join("etc2/autostart")],
        }
    }

    #[test]
    fn the_users_entry_alone_turns_it_on_and_off() {
        let root = tempfile::tempdir().unwrap();
        let dirs = dirs(root.path());
        let exe = Path::new("/opt/watch keeper/watchkeeper-desktop");
        assert!(!dirs.is_enabled());
        assert!(dirs.toggle(exe).unwrap());
        let text = std::fs::read_to_string(dirs.user.join(ENTRY)).unwrap();
        assert!(text.contains("\nExec=\"/opt/watch keeper/watchkeeper-desktop\" --minimized\n"), "{text}");
        assert!(dirs.is_enabled());
        assert!(!dirs.toggle(exe).unwrap());
        assert!(!dirs.user.join(ENTRY).exists(), "no system entry: the user's goes");
        assert!(!dirs.is_enabled());
        dirs.disable(exe).unwrap();
    }

    #[test]
    fn a_system_entry_is_on_until_the_user_hides_it() {
        let root = tempfile::tempdir().unwrap();
        let dirs = dirs(root.path());
        let exe = Path::new("/usr/bin/watchkeeper-desktop");
        std::fs::create_dir_all(&dirs.system[1]).unwrap();
        std::fs::write(dirs.system[1].join(ENTRY), entry(exe, false)).unwrap();
        assert!(dirs.is_enabled(), "the package's entry starts it");
        assert!(!dirs.toggle(exe).unwrap());
        let text = std::fs::read_to_string(dirs.user.join(ENTRY)).unwrap();
        assert!(text.contains("\nHidden=true\n"), "{text}");
        assert!(!dirs.is_enabled());
        assert!(dirs.toggle(exe).unwrap());
        assert!(dirs.is_enabled());
        assert!(!std::fs::read_to_string(dirs.user.join(ENTRY)).unwrap().contains("Hidden"));
    }

    #[test]
    fn exec_arguments_are_quoted_and_escaped_as_the_spec_says() {
        assert_eq!(exec_argument("/usr/bin/watchkeeper-desktop"), "/usr/bin/watchkeeper-desktop");
        assert_eq!(exec_argument("/opt/100%/wk"), "/opt/100%%/wk");
        assert_eq!(exec_argument(r#"/a b/"q"/$x/`y`"#), r#""/a b/\"q\"/\$x/\`y\`""#);
        // A backslash: escaped in the quotes, then again as a string value.
        assert_eq!(exec_argument(r"/a\b"), r#""/a\\\\b""#);
        assert_eq!(exec_argument("/a;b"), "\"/a;b\"");
    }

    #[test]
    fn the_first_system_dir_wins_and_gnome_s_switch_counts() {
        let root = tempfile::tempdir().unwrap();
        let dirs = dirs(root.path());
        for (dir, text) in [
            (&dirs.system[0], "[Desktop Entry]\nX-GNOME-Autostart-enabled=false\n"),
            (&dirs.system[1], "[Desktop Entry]\n"),
        ] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join(ENTRY), text).unwrap();
        }
        assert!(!dirs.is_enabled());
        assert!(starts("[Desktop Entry]\nExec=x\n[Desktop Action hide]\nHidden=true\n"), "only the main group counts");
    }
}
