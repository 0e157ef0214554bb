//! Checks added, replaced and removed from the dashboard and the API: the config file
//! stays the one source of truth. An edit reads the file, refuses when it changed since
//! it was loaded (or differs from the version the caller saw: `If-Match`), makes the
//! change in its text (`config::edit`, every other byte kept), compiles the whole new
//! text (any error: the file is untouched), writes it atomically and reloads it, all
//! under the reload lock, so an edit and a reload never interleave.

use std::path::Path;

use serde_json::{Map, Value};

use super::reload::{diagnostics, Reload, Trigger};
use super::Engine;
use crate::config::edit::{self, EditError};
use crate::config::Diagnostic;

/// A change to the checks of the config file.
#[derive(Debug, Clone)]
pub enum Edit {
    /// A new check, as its keys.
    Add(Map<String, Value>),
    /// New checks (a bulk add), written and reloaded at once.
    AddAll(Vec<Map<String, Value>>),
    /// The check with this id, given these keys (no `id` among them: no renames).
    Replace(String, Map<String, Value>),
    Remove(String),
}

/// Why an edit was not made; the file is untouched.
#[derive(Debug)]
pub enum EditRefused {
    /// The file is not the one the caller saw (`expected`), or changed on disk since
    /// it was loaded: `found` is its version now.
    Changed { expected: String, found: String },
    /// The change, or the file with it, does not compile: every error.
    Invalid(Vec<Diagnostic>),
    /// No check of the file has this id.
    UnknownCheck(String),
    /// The engine has no config file to edit.
    NoFile,
    /// The file could not be read or written.
    Io(std::io::Error),
}

impl Engine {
    /// Makes `edit` to the config file and reloads it (see the module); `if_match` is
    /// the version the caller saw.
    pub async fn edit_config(&self, edit: Edit, if_match: Option<&str>) -> Result<Reload, EditRefused> {
        let _serial = self.inner.reloads.serial.lock().await;
        let ConfigFile { path, text, version: found } = self.config_file()?;
        if let Some(expected) = if_match.filter(|expected| *expected != found) {
            return Err(EditRefused::Changed { expected: expected.to_owned(), found });
        }
        let running = self.config_state().version;
        if found != running {
            return Err(EditRefused::Changed { expected: running, found });
        }
        let file = path.display().to_string();
        let changed = match &edit {
            Edit::Add(keys) => edit::add_check(&text, keys),
            Edit::AddAll(all) => all.iter().try_fold(text.clone(), |text, keys| edit::add_check(&text, keys)),
            Edit::Replace(id, keys) => edit::replace_check(&text, id, keys),
            Edit::Remove(id) => edit::remove_check(&text, id),
        }
        .map_err(|e| refused(&file, e))?;
        crate::config::compile(&changed, &file).map_err(|e| EditRefused::Invalid(e.0))?;
        write_atomically(&path, changed.as_bytes(), &found).map_err(|e| match e {
            WriteError::Changed(now) => EditRefused::Changed { expected: found.clone(), found: now },
            WriteError::Io(e) => EditRefused::Io(e),
        })?;
        tracing::info!(path = %path.display(), edit = ?kind_of(&edit), "config file edited");
        Ok(self.reload_from_file(Trigger::Api).await)
    }

    /// The check `id`'s keys as the config file has them, and the file's version: what
    /// an edit form starts from.
    pub fn check_keys(&self, id: &str) -> Result<(Map<String, Value>, String), EditRefused> {
        let ConfigFile { path, text, version } = self.config_file()?;
        let keys = edit::check_keys(&text, id).map_err(|e| refused(&path.display().to_string(), e))?;
        Ok((keys, version))
    }

    /// The running config's file with `keys` as one check added (or, when its id is
    /// there, in place of that one), compiled: what "test now" probes, unsaved.
    pub fn compile_trial(&self, keys: &Map<String, Value>) -> Result<crate::config::Config, EditRefused> {
        let ConfigFile { path, text, .. } = self.config_file()?;
        let file = path.display().to_string();
        let id = keys.get("id").and_then(Value::as_str).unwrap_or_default();
        let trial = match edit::replace_check(&text, id, keys) {
            Err(EditError::UnknownCheck(_)) => edit::add_check(&text, keys),
            other => other,
        }
        .map_err(|e| refused(&file, e))?;
        crate::config::compile(&trial, &file).map(|c| c.config).map_err(|e| EditRefused::Invalid(e.0))
    }

    /// The config file as it is on disk now: its text and version.
    fn config_file(&self) -> Result<ConfigFile, EditRefused> {
        let path = self.config_state().path.ok_or(EditRefused::NoFile)?;
        let bytes = std::fs::read(&path).map_err(EditRefused::Io)?;
        let version = crate::config::version_of(&bytes);
        let text = crate::config::decode(&path, bytes).map_err(|e| EditRefused::Invalid(diagnostics(&path, e)))?;
        Ok(ConfigFile { path, text, version })
    }
}

/// The config file read: where it is, its text and its version.
struct ConfigFile {
    path: std::path::PathBuf,
    text: String,
    version: String,
}

fn kind_of(edit: &Edit) -> String {
    match edit {
        Edit::Add(keys) => format!("add {}", keys.get("id").and_then(Value::as_str).unwrap_or("?")),
        Edit::AddAll(all) => format!("add {} checks", all.len()),
        Edit::Replace(id, _) => format!("replace {id}"),
        Edit::Remove(id) => format!("remove {id}"),
    }
}

fn refused(file: &str, error: EditError) -> EditRefused {
    match error {
        EditError::UnknownCheck(id) => EditRefused::UnknownCheck(id),
        EditError::Unparsable(why) => EditRefused::Invalid(vec![Diagnostic::of_file(
            file,
            format!("the config file is not valid TOML ({why})"),
            "fix the file in an editor (`watchkeeper config validate` shows where), then try again",
        )]),
        EditError::BadValue { key, message } => EditRefused::Invalid(vec![Diagnostic {
            key: Some(key.clone()),
            ..Diagnostic::of_file(
                file,
                format!("{key}: {message}"),
                "send the key with a string, number, boolean, list or table, or leave it out",
            )
        }]),
    }
}

enum WriteError {
    /// The file changed meanwhile: its version now.
    Changed(String),
    Io(std::io::Error),
}

/// Writes `bytes` as `path` through a temporary file renamed over it (never seen
/// half-written, with the file's own permissions), unless the file no longer has
/// version `expected`.
fn write_atomically(path: &Path, bytes: &[u8], expected: &str) -> Result<(), WriteError> {
    use std::io::Write as _;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = dir.join(format!(".{name}.wk-edit.{}", std::process::id()));
    let permissions = std::fs::metadata(path).map_err(WriteError::Io)?.permissions();
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::set_permissions(&temporary, permissions)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(WriteError::Io(e));
    }
    // The last look before the rename: an editor's save just now is not overwritten.
    let now = std::fs::read(path).map(|b| crate::config::version_of(&b)).map_err(WriteError::Io)?;
    if now != expected {
        let _ = std::fs::remove_file(&temporary);
        return Err(WriteError::Changed(now));
    }
    std::fs::rename(&temporary, path).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        WriteError::Io(e)
    })
}
