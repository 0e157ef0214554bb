//! `watchkeeper config validate [PATH]` and `config schema`, and loading the config for
//! the commands that run checks or actions here.

use std::path::Path;

use watchkeeper::config;

use super::{fail, Exit};

/// The compiled config, its warnings printed to stderr.
pub fn load(config_path: &Path) -> anyhow::Result<config::Config> {
    let (compiled, _) = config::load(config_path).map_err(|e| match e {
        config::LoadError::Read { .. } => fail(Exit::Io, e.to_string()),
        config::LoadError::Invalid(_) => {
            fail(Exit::Config, format!("{}\n  help: fix the config and run again", e.to_string().trim_end()))
        }
    })?;
    for warning in &compiled.warnings {
        complain!("warning: {warning}");
    }
    Ok(compiled.config)
}

/// Every error at once with its line and column; exit 78 (EX_CONFIG) when there is one.
pub fn validate(path: &Path) -> anyhow::Result<u8> {
    let text = match config::read(path) {
        Ok(text) => text,
        Err(config::LoadError::Invalid(errors)) => {
            complain!("{}", errors.to_string().trim_end());
            return Ok(Exit::Config.code());
        }
        Err(e @ config::LoadError::Read { .. }) => {
            let missing =
                matches!(&e, config::LoadError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound);
            return Err(fail(if missing { Exit::NoInput } else { Exit::Io }, e.to_string()));
        }
    };
    match config::compile(&text, &path.display().to_string()) {
        Ok(compiled) => {
            for warning in &compiled.warnings {
                say!("warning: {warning}");
            }
            say!(
                "{}: valid ({} checks, {} actions)",
                path.display(),
                compiled.config.checks.len(),
                compiled.config.actions.len()
            );
            Ok(0)
        }
        Err(errors) => {
            complain!("{}", errors.to_string().trim_end());
            Ok(Exit::Config.code())
        }
    }
}

/// `watchkeeper config reload`: the running daemon reads its file again. What changed,
/// or every error (exit 78) with the running config left as it was.
pub async fn reload(data_dir: &Path, json: bool) -> anyhow::Result<u8> {
    use watchkeeper::api::client::{Client, ClientError};
    let client = Client::discover(data_dir).map_err(super::client_error)?;
    let answer = client.as_cli().call::<watchkeeper::api::operation::ReloadConfig>(&Default::default()).await;
    let reload = match answer {
        Ok(reload) => reload,
        Err(ClientError::Api { error, .. }) if error.code == "config_invalid" => {
            if json {
                super::print_json(&error)?;
            } else {
                let n = error.errors.len();
                complain!("config not reloaded: {n} error{} (the running config stays)", if n == 1 { "" } else { "s" });
                complain_each(&error.errors);
            }
            return Ok(Exit::Config.code());
        }
        Err(error) => return Err(super::client_error(error)),
    };
    if json {
        super::print_json(&reload)?;
        return Ok(0);
    }
    let c = &reload.changes;
    let list = |what: &str, ids: &[String]| match ids.len() {
        0 => None,
        n if n <= 5 => Some(format!("{n} {what} ({})", ids.join(", "))),
        n => Some(format!("{n} {what} ({}, …)", ids[..5].join(", "))),
    };
    let parts: Vec<String> = [list("added", &c.added), list("changed", &c.changed), list("removed", &c.removed)]
        .into_iter()
        .flatten()
        .chain((!c.unchanged.is_empty()).then(|| format!("{} unchanged", c.unchanged.len())))
        .chain(list("channels set anew", &c.channels))
        .collect();
    let parts = if parts.is_empty() { "no checks".to_owned() } else { parts.join(", ") };
    say!("config reloaded in {:.0} ms: {parts}", reload.took_ms);
    for warning in &reload.warnings {
        say!(
            "warning: {}:{}:{}: {}\n  help: {}",
            warning.file,
            warning.line,
            warning.column,
            warning.message,
            warning.resolution
        );
    }
    for pending in &reload.pending {
        say!("not yet applied: {pending}");
    }
    Ok(0)
}

/// `watchkeeper suggest`: what this machine runs that the config does not watch, each
/// with the TOML of a check to add. Read here, against the config file (the running
/// daemon's own port, when one runs, is left out).
pub async fn suggest(config_path: &Path, data_dir: &Path, json: bool) -> anyhow::Result<u8> {
    let config = load(config_path)?;
    let own = watchkeeper::api::client::read_api_file(data_dir)
        .ok()
        .and_then(|api| reqwest::Url::parse(&api.url).ok())
        .and_then(|url| url.port());
    let found = watchkeeper::suggest::suggestions(&config, own).await;
    if json {
        let dto = watchkeeper::api::dto::SuggestionsDto {
            suggestions: found.into_iter().map(watchkeeper::api::dto::SuggestionDto::from).collect(),
        };
        super::print_json(&dto)?;
        return Ok(0);
    }
    if found.is_empty() {
        say!("nothing to suggest: looked for {}, and a check watches each found", watchkeeper::suggest::SOURCES);
        return Ok(0);
    }
    for suggestion in &found {
        let toml =
            config::edit::add_check("", &suggestion.check).map_err(|e| super::fail(Exit::Software, e.to_string()))?;
        say!("# {} — {}\n{}", suggestion.title, suggestion.why, toml);
    }
    say!("# add one with the dashboard's Suggestions page, or paste it into {}", config_path.display());
    Ok(0)
}

/// Each error the daemon found in the config, located, with its fix (stderr).
pub fn complain_each(errors: &[watchkeeper::api::dto::ConfigErrorDto]) {
    for e in errors {
        complain!("{}:{}:{}: {}\n  help: {}", e.file, e.line, e.column, e.message, e.resolution);
    }
}

pub fn schema() -> anyhow::Result<u8> {
    say!("{}", serde_json::to_string_pretty(&config::schema())?);
    Ok(0)
}
