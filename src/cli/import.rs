//! `watchkeeper import FILE [--format F] [--write]`: the checks another monitor's config
//! expresses, as TOML to review (stdout), each item it cannot with why (stderr); with
//! `--write` appended to the config: through the running daemon (one write, one reload)
//! or, with none running, into the file here (compiled whole first).

use std::path::Path;

use watchkeeper::api::client::{Client, ClientError};
use watchkeeper::config;
use watchkeeper::imports::{self, Format};

use super::{client_error, fail, Exit};

pub async fn run(
    config_path: &Path,
    data_dir: &Path,
    file: &Path,
    format: Option<String>,
    write: bool,
) -> anyhow::Result<u8> {
    let format = match format.as_deref() {
        None => None,
        Some(name) => Some(Format::parse(name).ok_or_else(|| {
            fail(
                Exit::Usage,
                format!("`{name}` is not a format read here\n  help: pass one of: {}", Format::NAMES.join(", ")),
            )
        })?),
    };
    let bytes = std::fs::read(file).map_err(|e| {
        let exit = if e.kind() == std::io::ErrorKind::NotFound { Exit::NoInput } else { Exit::Io };
        fail(exit, format!("cannot read {}: {e}", file.display()))
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        fail(
            Exit::Data,
            format!("{} is not text (UTF-8)\n  help: {}", file.display(), imports::ImportError::Unknown.resolution()),
        )
    })?;
    let taken: Vec<String> = match config::load(config_path) {
        Ok((compiled, _)) => compiled.config.checks.iter().map(|c| c.id.to_string()).collect(),
        Err(_) => Vec::new(),
    };
    let (format, imported) = imports::read(&text, format, &taken)
        .map_err(|e| fail(Exit::Data, format!("{}: {e}\n  help: {}", file.display(), e.resolution())))?;
    for (item, why) in &imported.skipped {
        complain!("skipped {item}: {why}");
    }
    for (check, note) in &imported.notes {
        complain!("note: {check}: {note}");
    }
    let mut toml = String::new();
    for check in &imported.checks {
        toml = config::edit::add_check(&toml, check).map_err(|e| fail(Exit::Software, e.to_string()))?;
    }
    complain!(
        "{} check{} from {} ({}), {} item{} skipped",
        imported.checks.len(),
        if imported.checks.len() == 1 { "" } else { "s" },
        file.display(),
        format.name(),
        imported.skipped.len(),
        if imported.skipped.len() == 1 { "" } else { "s" }
    );
    if !write {
        say!("{}", toml.trim_end());
        return Ok(0);
    }
    if imported.checks.is_empty() {
        return Ok(0);
    }
    match Client::discover(data_dir) {
        Ok(client) => {
            let args = watchkeeper::api::dto::AddChecksArgs {
                checks: imported.checks.iter().cloned().map(watchkeeper::api::dto::KeysDto).collect(),
                if_match: None,
            };
            match client.as_cli().call::<watchkeeper::api::operation::AddChecks>(&args).await {
                Ok(reload) => {
                    say!(
                        "added {} checks to the running config ({} ms)",
                        reload.changes.added.len(),
                        reload.took_ms.round()
                    );
                    Ok(0)
                }
                Err(ClientError::Api { error, .. }) if error.code == "config_invalid" => {
                    super::config::complain_each(&error.errors);
                    Ok(Exit::Config.code())
                }
                Err(error) => Err(client_error(error)),
            }
        }
        Err(ClientError::NotRunning { .. }) => write_here(config_path, &imported.checks),
        Err(error) => Err(client_error(error)),
    }
}

/// Appends the checks to the config file with no daemon running: the whole new file
/// compiled first, written atomically.
fn write_here(config_path: &Path, checks: &[serde_json::Map<String, serde_json::Value>]) -> anyhow::Result<u8> {
    let text = config::read(config_path).map_err(|e| fail(Exit::Io, e.to_string()))?;
    let mut changed = text;
    for check in checks {
        changed = config::edit::add_check(&changed, check).map_err(|e| fail(Exit::Software, e.to_string()))?;
    }
    if let Err(errors) = config::compile(&changed, &config_path.display().to_string()) {
        complain!("{}", errors.to_string().trim_end());
        complain!("  help: nothing was written; the imported checks clash with the file (a duplicate id?)");
        return Ok(Exit::Config.code());
    }
    let temporary = config_path.with_extension("toml.wk-import");
    std::fs::write(&temporary, changed.as_bytes()).and_then(|()| std::fs::rename(&temporary, config_path)).map_err(
        |e| {
            let _ = std::fs::remove_file(&temporary);
            fail(Exit::Io, format!("cannot write {}: {e}", config_path.display()))
        },
    )?;
    say!(
        "added {} checks to {} (no daemon is running: it loads them at its start)",
        checks.len(),
        config_path.display()
    );
    Ok(0)
}
