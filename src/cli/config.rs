//! `watchkeeper config validate [PATH]` and `config schema`, and loading the config for
//! the commands that run checks or actions here.

use std::path::Path;

use anyhow::Context as _;
use watchkeeper::config;

/// The compiled config, its warnings printed to stderr.
pub fn load(config_path: &Path) -> anyhow::Result<config::Config> {
    let (compiled, _) = config::load(config_path).map_err(|e| anyhow::anyhow!("{e}"))?;
    for warning in &compiled.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(compiled.config)
}

/// Every error at once with its line and column; exit 1 when there is one.
pub fn validate(path: &Path) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    match config::compile(&text, &path.display().to_string()) {
        Ok(compiled) => {
            for warning in &compiled.warnings {
                println!("warning: {warning}");
            }
            println!(
                "{}: valid ({} checks, {} actions)",
                path.display(),
                compiled.config.checks.len(),
                compiled.config.actions.len()
            );
            Ok(0)
        }
        Err(errors) => {
            eprint!("{errors}");
            Ok(1)
        }
    }
}

pub fn schema() -> anyhow::Result<u8> {
    println!("{}", serde_json::to_string_pretty(&config::schema())?);
    Ok(0)
}
