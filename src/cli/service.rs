//! `watchkeeper install-service`: a systemd user unit for the headless daemon, written
//! where `systemctl --user` finds it, with this binary, config and data dir.

use std::path::Path;

use super::{fail, Exit};

/// The unit's file name: `systemctl --user enable --now watchkeeper`.
pub const UNIT: &str = "watchkeeper.service";

/// The unit that runs `exe run` with this config and data dir; SIGHUP reloads its
/// config (`systemctl --user reload watchkeeper`).
pub fn unit(exe: &Path, config: &Path, data_dir: &Path) -> String {
    format!(
        "[Unit]
Description=Watchkeeper: watches your services (headless daemon)

[Service]
Type=simple
ExecStart={} run --config {} --data-dir {}
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
",
        quoted(exe),
        quoted(config),
        quoted(data_dir)
    )
}

/// A path as systemd's command lines read it: quoted when it has a space, `%` and `$`
/// doubled (they are specifiers and variables there).
fn quoted(path: &Path) -> String {
    let text = path.display().to_string().replace('%', "%%").replace('$', "$$");
    if text.contains([' ', '"', '\\']) {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        text
    }
}

pub fn install(config: &Path, data_dir: &Path, print: bool, force: bool) -> anyhow::Result<u8> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| fail(Exit::Io, format!("cannot tell where this program is: {e}")))?;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let text = unit(&exe, &absolute(config), &absolute(data_dir));
    if print {
        say!("{}", text.trim_end());
        return Ok(0);
    }
    let dir = watchkeeper::paths::user_units();
    let path = dir.join(UNIT);
    match std::fs::read_to_string(&path) {
        Ok(old) if old == text => {
            say!("{} is already installed, as it would be written", path.display());
            return Ok(0);
        }
        Ok(_) if !force => {
            return Err(fail(
                Exit::Data,
                format!(
                    "{} exists and differs\n  help: pass --force to replace it (or --print to see this one)",
                    path.display()
                ),
            ))
        }
        _ => {}
    }
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, &text))
        .map_err(|e| fail(Exit::Io, format!("cannot write {}: {e}", path.display())))?;
    say!(
        "wrote {}\nstart it now and at every login:\n  systemctl --user daemon-reload\n  systemctl --user enable --now watchkeeper\nreload its config: systemctl --user reload watchkeeper (or save the file: it is watched)\nits log: journalctl --user -u watchkeeper",
        path.display()
    );
    Ok(0)
}
