//! Configuration: the TOML file, compiled in one pass into a [`Config`] that can only
//! hold valid values, plus warnings; or every error at once, each with file, line,
//! column and a resolution.
//!
//! Owns parsing, validation, defaults and the JSON Schema. It must not start anything:
//! no probes, no I/O beyond reading `${file:...}` secrets.

mod action;
mod alerts;
mod breaker;
pub mod bulk;
mod check;
mod compile;
mod document;
pub mod edit;
mod ids;
mod maintenance;
pub mod raw;
mod settings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::action::ActionSpec;
use crate::alert::channel::ChannelConfig;
use crate::alert::{AlertSettings, CheckAlert};
use crate::breaker::BreakerConfig;
use crate::budget::Budget;
use crate::condition::Condition;
use crate::model::{ActionId, CheckId};
use crate::probe::ProbeSpec;

use crate::diagnostic::table_schema;
pub use crate::diagnostic::{ConfigErrors, Diagnostic};
use crate::healing::AutoAction;
pub use compile::compile;

/// The config used when the user has none: this machine and Watchkeeper itself.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// A compiled, valid configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// Shared with the engine's runtime of each check: one copy of each.
    pub checks: Vec<std::sync::Arc<CheckConfig>>,
    pub actions: Vec<ActionConfig>,
    /// `[alerts]`: the alert policy's settings.
    pub alerts: AlertSettings,
    /// The `[[channel]]`s, `desktop` among them.
    pub channels: Vec<ChannelConfig>,
    /// The `[[maintenance]]` windows.
    pub maintenance: Vec<crate::maintenance::MaintenanceWindow>,
}

impl Config {
    pub fn check(&self, id: &str) -> Option<&CheckConfig> {
        self.checks.iter().find(|c| c.id.as_str() == id).map(|c| &**c)
    }

    pub fn action(&self, id: &str) -> Option<&ActionConfig> {
        self.actions.iter().find(|a| a.id.as_str() == id)
    }

    pub fn channel(&self, id: &str) -> Option<&ChannelConfig> {
        self.channels.iter().find(|c| c.id == id)
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub max_in_flight: usize,
    /// How long results and their rollups are kept (`retention`, `rollup_retention`).
    pub retention: crate::store::Retention,
    /// The connectivity sentinel (`None`: off).
    pub connectivity: Option<Connectivity>,
    /// Online backups of the history (`None`: off).
    pub backup: Option<BackupSettings>,
}

/// `[settings] backup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupSettings {
    pub every: Duration,
    pub keep: u32,
}

/// `[settings] connectivity`.
#[derive(Debug, Clone, PartialEq)]
pub struct Connectivity {
    /// Empty: a default route exists and the resolver answers.
    pub targets: Vec<SentinelTarget>,
    pub interval: Duration,
}

/// What the sentinel asks.
#[derive(Debug, Clone, PartialEq)]
pub enum SentinelTarget {
    Tcp { host: String, port: u16 },
    Http(reqwest::Url),
}

impl std::fmt::Display for SentinelTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SentinelTarget::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            SentinelTarget::Http(url) => write!(f, "{url}"),
        }
    }
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
    pub actions: Vec<ActionId>,
    /// Present for remote checks whose breaker is enabled.
    pub breaker: Option<BreakerConfig>,
    /// Self-healing: the action run by itself (also among `actions`).
    pub auto_action: Option<AutoAction>,
    /// How its incidents are told.
    pub alert: CheckAlert,
    /// Its target is off this machine, or it says `network = true` (worked out once:
    /// asked for every result).
    pub remote: bool,
}

impl CheckConfig {
    pub fn kind(&self) -> &'static str {
        self.probe.kind()
    }

    /// Its target is off this machine (or it says `network = true`): the connectivity
    /// sentinel and "every remote check failed" are about it.
    pub fn remote(&self) -> bool {
        self.remote
    }
}

#[derive(Debug, Clone)]
pub struct ActionConfig {
    pub id: ActionId,
    pub name: String,
    /// What it does, by kind.
    pub spec: ActionSpec,
    pub timeout: Duration,
    pub confirm: bool,
    pub verify: bool,
    /// Most runs in a window: every run counts.
    pub budget: Budget,
}

/// A valid config and what deserves a second look.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub config: Config,
    pub warnings: Vec<Diagnostic>,
    /// The version of the text it was compiled from ([`version_of`]).
    pub version: String,
}

/// A config file's version: a hash of its bytes (64-bit FNV-1a, in hex), to tell
/// whether the file changed since it was read. Not a defence against anyone: only
/// equal bytes are meant to give equal versions.
pub fn version_of(bytes: &[u8]) -> String {
    let hash =
        bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    format!("{hash:016x}")
}

impl CheckConfig {
    /// What the check is, whole, as one number: two checks with the same are the same
    /// check to a reload (which keeps its runtime). Secrets count by their values.
    pub fn fingerprint(&self) -> u64 {
        let text = crate::secret::revealed(|| format!("{self:?}"));
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut hasher);
        hasher.finish()
    }
}

/// Where the config came from, for messages and `doctor`.
#[derive(Debug)]
pub enum Origin {
    File(PathBuf),
    /// No file existed; the embedded default was used and written to this path
    /// (or could not be written, with the reason).
    Default {
        written_to: Result<PathBuf, std::io::Error>,
    },
}

/// Reads and compiles the config at `path`. A missing file means the embedded default,
/// written out for the user to edit.
pub fn load(path: &Path) -> Result<(Compiled, Origin), LoadError> {
    match read(path) {
        Ok(text) => {
            let compiled = compile(&text, &path.display().to_string()).map_err(LoadError::Invalid)?;
            Ok((compiled, Origin::File(path.to_owned())))
        }
        Err(LoadError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            let compiled = compile(DEFAULT_CONFIG, "<default config>").map_err(LoadError::Invalid)?;
            let written_to = write_default(path).map(|()| path.to_owned());
            Ok((compiled, Origin::Default { written_to }))
        }
        Err(e) => Err(e),
    }
}

/// The text of the config at `path`. A file that is not UTF-8 is a located error at
/// its first bad byte, as any other error in the file.
pub fn read(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
    decode(path, bytes)
}

/// The config file's bytes as text: bytes not UTF-8 are a located error at the first
/// bad one, as any other error in the file.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, LoadError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // Valid up to here, so this reads as text: its lines and the last one's length.
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
        let byte = e.as_bytes().get(valid.len()).copied().unwrap_or_default();
        LoadError::Invalid(ConfigErrors(vec![Diagnostic {
            file: path.display().to_string(),
            line,
            column,
            table: None,
            key: None,
            message: format!("the file is not valid UTF-8: byte 0x{byte:02X} here is in another encoding (Latin-1?)"),
            resolution: "save the file as UTF-8 (your editor's encoding setting), or retype the character here"
                .to_owned(),
        }]))
    })
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
    #[error("cannot read config file {path}: {source}\n  help: {}", read_help(source))]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Invalid(ConfigErrors),
}

/// What to do about a config file that cannot be read.
pub fn read_help(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::NotFound => "create it (`watchkeeper run` writes a default one), or pass another --config",
        std::io::ErrorKind::PermissionDenied => "make it readable by this user (`chmod u+r`), or pass another --config",
        std::io::ErrorKind::IsADirectory => "--config names a file, not a directory",
        _ => "pass another --config, or check the disk the file is on",
    }
}

/// The JSON Schema of the config file, for editors: a check's, an action's and a
/// channel's own keys and every kind's, each kind's described as such ("http: the URL to request").
pub fn schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(raw::RawConfig)).unwrap_or_default();
    let checks: Vec<(&str, serde_json::Value)> =
        crate::probe::kinds().into_iter().map(|k| (k.name, (k.keys)())).collect();
    // Each kind's own keys apart too (which it requires, their help): a form per kind.
    let kinds: serde_json::Map<String, serde_json::Value> = checks
        .iter()
        .map(|(name, keys)| {
            let mut keys = keys.clone();
            keys["required"] = required_keys(name).into();
            ((*name).to_owned(), keys)
        })
        .collect();
    if let Some(defs) = schema.get_mut("$defs").and_then(|d| d.as_object_mut()) {
        defs.insert("kinds".to_owned(), serde_json::Value::Object(kinds));
        // The keys every check has, apart from any kind's.
        defs.insert("check".to_owned(), table_schema::<raw::RawCheck>());
    }
    merge_kinds(&mut schema, "/$defs/RawCheck/properties", checks);
    let actions = crate::action::kinds().into_iter().map(|k| (k.name, (k.keys)())).collect();
    merge_kinds(&mut schema, "/$defs/RawAction/properties", actions);
    let channels = crate::alert::channel::kinds().into_iter().map(|k| (k.name, (k.keys)())).collect();
    merge_kinds(&mut schema, "/$defs/RawChannel/properties", channels);
    schema
}

/// The keys a check of `kind` cannot do without, as the compiler says of a check that
/// has none of its keys (one key for a choice of several: `process` for a process
/// check, which may instead have `cmdline` or `pid_file`).
fn required_keys(kind: &str) -> Vec<String> {
    let text = format!("[[check]]\nid = \"x\"\nkind = \"{kind}\"\n");
    let errors = compile(&text, "").err().map(|e| e.0).unwrap_or_default();
    errors.into_iter().filter(|e| e.message.contains(": needs `")).filter_map(|e| e.key).collect()
}

/// Adds each kind's keys to a table's properties, each said to be that kind's (or those
/// kinds', when several have it).
fn merge_kinds(schema: &mut serde_json::Value, pointer: &str, kinds: Vec<(&str, serde_json::Value)>) {
    let mut owners: Vec<(String, Vec<&str>, serde_json::Value)> = Vec::new();
    for (kind, keys) in &kinds {
        for (key, property) in keys["properties"].as_object().into_iter().flatten() {
            match owners.iter_mut().find(|(name, ..)| name == key) {
                Some((_, kinds, _)) => kinds.push(kind),
                None => owners.push((key.clone(), vec![kind], property.clone())),
            }
        }
    }
    if let Some(properties) = schema.pointer_mut(pointer).and_then(|p| p.as_object_mut()) {
        for (key, kinds, mut property) in owners {
            let about = property["description"].as_str().unwrap_or("").to_owned();
            property["description"] = format!("{}: {about}", kinds.join(", ")).into();
            properties.insert(key, property);
        }
    }
}

/// The config reference in Markdown, generated from the doc comments of the config's
/// keys (`raw.rs` and each kind's `Keys`): `docs/config.md`, kept fresh by a test.
pub fn reference() -> String {
    let mut out = String::from(
        "# Config reference\n\nGenerated by `UPDATE_EXPECT=1 cargo test --test it tidy`; edit the doc comments in\n`src/config/raw.rs` and in each kind's `Keys` (`src/probe/*.rs`, `src/action/*.rs`,\n`src/alert/channel/*.rs`), not this file.\nDurations are written `500ms`, `10s`, `5m`, `7d`; sizes `64KB`, `10MB`. `watchkeeper config\nschema` prints the JSON Schema for editors.\n",
    );
    let section = |out: &mut String, title: &str, about: &str, schema: serde_json::Value| {
        out.push_str(&format!("\n## {title}\n\n"));
        if !about.is_empty() {
            out.push_str(&format!("{about}\n\n"));
        }
        out.push_str(&key_table(&schema));
    };
    section(&mut out, "`[settings]`", "Engine-wide settings.", table_schema::<raw::RawSettings>());
    section(
        &mut out,
        "`[[check]]`",
        "A thing to watch. These keys apply to every kind; each kind adds its own (below).",
        table_schema::<raw::RawCheck>(),
    );
    for kind in crate::probe::kinds() {
        let values = kind.fields.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
        let mut about = format!("Conditions of these checks can use {values}.");
        if !kind.example.is_empty() {
            about.push_str(&format!("\n\n```toml\n{}\n```", kind.example));
        }
        section(&mut out, &format!("`[[check]]` `kind = \"{}\"`", kind.name), &about, (kind.keys)());
    }
    section(
        &mut out,
        "`breaker`",
        "The `breaker` table of a remote check: `breaker = { failure_threshold = 5 }`.",
        table_schema::<raw::RawBreaker>(),
    );
    section(
        &mut out,
        "`[[action]]`",
        "A recovery action, run by id from the CLI, the API or the dashboard. These keys apply to every kind; each kind adds its own (below).",
        table_schema::<raw::RawAction>(),
    );
    for kind in crate::action::kinds() {
        section(&mut out, &format!("`[[action]]` `kind = \"{}\"`", kind.name), "", (kind.keys)());
    }
    section(
        &mut out,
        "`[alerts]`",
        "One policy for every notification on every channel (docs/alerts.md).",
        table_schema::<raw::RawAlerts>(),
    );
    section(&mut out, "`quiet_hours`", "`[alerts] quiet_hours`, in local time.", table_schema::<raw::RawQuietHours>());
    section(
        &mut out,
        "`[[channel]]`",
        "Where notifications go; `desktop` is always there unless a channel has that id. These keys apply to every kind; each kind adds its own (below).",
        table_schema::<raw::RawChannel>(),
    );
    for kind in crate::alert::channel::kinds() {
        section(&mut out, &format!("`[[channel]]` `kind = \"{}\"`", kind.name), "", (kind.keys)());
    }
    section(
        &mut out,
        "`alert`",
        "A check's `alert` table: `alert = { severity = \"critical\" }`.",
        table_schema::<raw::RawCheckAlert>(),
    );
    section(
        &mut out,
        "`[[maintenance]]`",
        "A maintenance window: either `schedule` + `duration` (recurring, local time) or `start` + `end` (once). Inside it the checks show `maintenance`, are still probed and recorded, open no incident and notify nobody; a check still down when it ends opens its incident then. Self-healing waits for its end too.",
        table_schema::<raw::RawMaintenance>(),
    );
    out
}

/// A table's keys as a Markdown table, or a line saying it has none.
fn key_table(schema: &serde_json::Value) -> String {
    let keys = schema["properties"].as_object().filter(|keys| !keys.is_empty());
    let Some(keys) = keys else { return "No keys of its own.\n".to_owned() };
    let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(|r| r.as_str()).collect();
    let mut out = String::from("| key | type | required | meaning |\n| --- | --- | --- | --- |\n");
    for (key, property) in keys {
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
    out
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
