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

pub fn schema() -> anyhow::Result<u8> {
    say!("{}", serde_json::to_string_pretty(&config::schema())?);
    Ok(0)
}
