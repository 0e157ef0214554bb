//! Configuration: the TOML file, compiled in one pass into a [`Config`] that can only
//! hold valid values, plus warnings; or every error at once, each with file, line,
//! column and a resolution.
//!
//! Owns parsing, validation, defaults and the JSON Schema. It must not start anything:
//! no probes, no I/O beyond reading `${file:...}` secrets.

mod compile;
pub mod raw;
pub mod units;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::condition::Condition;
use crate::model::CheckId;

pub use compile::compile;

/// The config used when the user has none: this machine and Watchkeeper itself.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// A compiled, valid configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub checks: Vec<CheckConfig>,
    pub actions: Vec<ActionConfig>,
}

impl Config {
    pub fn check(&self, id: &str) -> Option<&CheckConfig> {
        self.checks.iter().find(|c| c.id.as_str() == id)
    }

    pub fn action(&self, id: &str) -> Option<&ActionConfig> {
        self.actions.iter().find(|a| a.id == id)
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub max_in_flight: usize,
    pub retention: Duration,
}

#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub id: CheckId,
    pub name: String,
    pub probe: ProbeSpec,
    pub interval: Duration,
    pub timeout: Duration,
    pub expect: Vec<Condition>,
    pub degraded_if: Vec<Condition>,
    pub failure_threshold: u32,
    pub success_threshold: u32,
    pub group: Option<String>,
    pub critical: bool,
    pub depends_on: Vec<CheckId>,
    pub actions: Vec<String>,
    /// Present for remote checks whose breaker is enabled.
    pub breaker: Option<BreakerConfig>,
}

impl CheckConfig {
    pub fn kind(&self) -> &'static str {
        self.probe.kind()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    pub failure_threshold: u32,
    pub open_for: Duration,
}

/// What to probe and how: one variant per probe kind.
#[derive(Debug, Clone)]
pub enum ProbeSpec {
    Http(HttpSpec),
    Tcp {
        host: String,
        port: u16,
    },
    /// `mount` is set for the disk metric.
    System {
        metric: SystemMetric,
        mount: Option<PathBuf>,
    },
    Process(ProcessMatch),
    Command(CommandSpec),
    /// Watchkeeper itself: scheduler lag, write queue, its own memory.
    Itself,
}

impl ProbeSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            ProbeSpec::Http(_) => "http",
            ProbeSpec::Tcp { .. } => "tcp",
            ProbeSpec::System { .. } => "system",
            ProbeSpec::Process(_) => "process",
            ProbeSpec::Command(_) => "command",
            ProbeSpec::Itself => "self",
        }
    }

    /// Remote checks go through a circuit breaker.
    pub fn is_remote(&self) -> bool {
        matches!(self, ProbeSpec::Http(_) | ProbeSpec::Tcp { .. })
    }
}

#[derive(Debug, Clone)]
pub struct HttpSpec {
    /// Parsed once here, not on every request.
    pub url: reqwest::Url,
    pub method: String,
    pub headers: Vec<(String, Secret)>,
    pub body: Option<String>,
    pub verify_tls: bool,
    pub max_redirects: u32,
    pub max_body: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SystemMetric {
    Cpu,
    Memory,
    Swap,
    Disk,
    Load1,
    Load5,
    Load15,
}

/// How a process check finds its processes.
#[derive(Debug, Clone)]
pub enum ProcessMatch {
    Name(String),
    Cmdline(regex::Regex),
    PidFile(PathBuf),
}

#[derive(Debug, Clone)]
pub struct CommandSpec {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
}

impl SystemMetric {
    pub fn as_str(self) -> &'static str {
        match self {
            SystemMetric::Cpu => "cpu",
            SystemMetric::Memory => "memory",
            SystemMetric::Swap => "swap",
            SystemMetric::Disk => "disk",
            SystemMetric::Load1 => "load1",
            SystemMetric::Load5 => "load5",
            SystemMetric::Load15 => "load15",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ActionConfig {
    pub id: String,
    pub name: String,
    pub command: CommandSpec,
    pub timeout: Duration,
    pub confirm: bool,
    pub verify: bool,
}

/// A value from `${env:...}` or `${file:...}`: never printed, logged or stored.
#[derive(Clone, PartialEq)]
pub struct Secret {
    value: String,
    pub is_reference: bool,
}

impl Secret {
    pub fn plain(value: String) -> Secret {
        Secret { value, is_reference: false }
    }

    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_reference {
            f.write_str("\"••••\"")
        } else {
            write!(f, "{:?}", self.value)
        }
    }
}

/// One problem in a config file, located and with a resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub resolution: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)?;
        if !self.resolution.is_empty() {
            write!(f, "\n  help: {}", self.resolution)?;
        }
        Ok(())
    }
}

/// Every error found in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<Diagnostic>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(f, "{n} error{} in config", if n == 1 { "" } else { "s" })?;
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A valid config and what deserves a second look.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub config: Config,
    pub warnings: Vec<Diagnostic>,
}

/// Where the config came from, for messages and `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    /// No file existed; the embedded default was used and written to this path
    /// (or could not be written, with the reason).
    Default {
        written_to: Result<PathBuf, String>,
    },
}

/// Reads and compiles the config at `path`. A missing file means the embedded default,
/// written out for the user to edit.
pub fn load(path: &Path) -> Result<(Compiled, Origin), LoadError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let compiled = compile(&text, &path.display().to_string()).map_err(LoadError::Invalid)?;
            Ok((compiled, Origin::File(path.to_owned())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let compiled = compile(DEFAULT_CONFIG, "<default config>").map_err(LoadError::Invalid)?;
            let written_to = write_default(path).map(|()| path.to_owned()).map_err(|e| e.to_string());
            Ok((compiled, Origin::Default { written_to }))
        }
        Err(source) => Err(LoadError::Read { path: path.to_owned(), source }),
    }
}

fn write_default(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // `create_new` so a file that appeared meanwhile is never overwritten.
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(DEFAULT_CONFIG.as_bytes())
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Invalid(ConfigErrors),
}

/// The JSON Schema of the config file, for editors.
pub fn schema() -> serde_json::Value {
    let schema = schemars::schema_for!(raw::RawConfig);
    serde_json::to_value(schema).unwrap_or_default()
}

/// The config reference in Markdown, generated from the schema (the doc comments in
/// `raw.rs`): `docs/config.md`, kept fresh by a test.
pub fn reference() -> String {
    let sections: [(&str, &str, serde_json::Value); 4] = [
        ("[settings]", "Engine-wide settings.", table_schema::<raw::RawSettings>()),
        (
            "[[check]]",
            "A thing to watch. Keys marked with a kind apply to that kind only.",
            table_schema::<raw::RawCheck>(),
        ),
        (
            "breaker",
            "The `breaker` table of a remote check: `breaker = { failure_threshold = 5 }`.",
            table_schema::<raw::RawBreaker>(),
        ),
        (
            "[[action]]",
            "A recovery action, run by id from the CLI, the API or the dashboard.",
            table_schema::<raw::RawAction>(),
        ),
    ];
    let mut out = String::from(
        "# Config reference\n\nGenerated from the config schema by `UPDATE_EXPECT=1 cargo test`; edit the doc comments in\n`src/config/raw.rs`, not this file. Durations are written `500ms`, `10s`, `5m`, `7d`; sizes\n`64KB`, `10MB`. `watchkeeper config schema` prints the JSON Schema for editors.\n",
    );
    for (title, about, schema) in sections {
        out.push_str(&format!(
            "\n## `{title}`\n\n{about}\n\n| key | type | required | meaning |\n| --- | --- | --- | --- |\n"
        ));
        let required: Vec<&str> =
            schema["required"].as_array().into_iter().flatten().filter_map(|r| r.as_str()).collect();
        for (key, property) in schema["properties"].as_object().into_iter().flatten() {
            let kind = match &property["type"] {
                serde_json::Value::String(t) => t.clone(),
                serde_json::Value::Array(types) => {
                    types.iter().filter_map(|t| t.as_str()).filter(|t| *t != "null").collect::<Vec<_>>().join(" or ")
                }
                _ if property.get("$ref").is_some() || property.get("anyOf").is_some() => "table".to_owned(),
                _ => "any".to_owned(),
            };
            let meaning = property["description"].as_str().unwrap_or("").replace('\n', " ");
            let required = if required.contains(&key.as_str()) { "yes" } else { "" };
            out.push_str(&format!("| `{key}` | {kind} | {required} | {meaning} |\n"));
        }
    }
    out
}

fn table_schema<T: schemars::JsonSchema>() -> serde_json::Value {
    serde_json::to_value(schemars::SchemaGenerator::default().into_root_schema_for::<T>()).unwrap_or_default()
}

/// Groups from checks, in first-seen order, with their components.
pub fn groups(config: &Config) -> BTreeMap<String, Vec<CheckId>> {
    let mut groups: BTreeMap<String, Vec<CheckId>> = BTreeMap::new();
    for check in &config.checks {
        if let Some(group) = &check.group {
            groups.entry(group.clone()).or_default().push(check.id.clone());
        }
    }
    groups
}
