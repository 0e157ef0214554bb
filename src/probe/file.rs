//! `kind = "file"`: a file or a directory on this machine. `exists`, `age` (since it was
//! last modified) and `size` are its values; a directory's are its entries': `count`
//! (those matching `glob`, if given), the newest one's `age` and their total `size`.
//! Symbolic links are not followed unless `follow_symlinks = true`. A directory is
//! read to at most [`MAX_ENTRIES`] entries, so a huge one cannot hold a probe.

use std::fs::Metadata;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use super::{Common, ProbeContext};
use crate::diagnostic::Scope;
use crate::glob::Glob;
use crate::model::{FailureClass, Observation, Value};
use crate::units::{format_duration, format_size};

pub const NAME: &str = "file";
/// A check of this kind, as docs/config.md shows it.
pub const EXAMPLE: &str = r#"[[check]]
id = "nightly-backup"
name = "Nightly backup"
kind = "file"
path = "/var/backups/db"
glob = "*.tar.gz"
interval = "5m"
# last night's backup is there, and the directory is not filling up
expect = ["age < 26h", "count >= 1"]
degraded_if = ["size > 50GB"]"#;
pub const FIELDS: &[&str] = &["exists", "age", "size", "count", "latency"];
/// `exists` failing is `not_found`; the others are plain `condition` failures.
pub const FAILED: &[(&str, FailureClass)] = &[("exists", FailureClass::NotFound)];

/// Entries of a directory read at most, per probe.
pub const MAX_ENTRIES: usize = 100_000;

/// The keys of a file check.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The file or directory to watch: an absolute path.
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
    /// For a directory: only entries whose name matches count (`*.tar.gz`,
    /// `backup-[0-9]*`); `*` and `?` match within a name, `[a-z]` one of those bytes.
    #[schemars(with = "Option<String>")]
    pub glob: Option<Spanned<String>>,
    /// Follow symbolic links (default false: a link is watched as itself, so a link to a
    /// missing file still exists).
    pub follow_symlinks: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub path: PathBuf,
    pub glob: Option<(String, Glob)>,
    pub follow_symlinks: bool,
    /// A condition reads `exists`: a missing path is a value for it to judge, not a
    /// `not_found` failure.
    pub absence_judged: bool,
}

pub fn compile(keys: Keys, common: Common<'_>, scope: &mut Scope<'_, '_>) -> Option<Spec> {
    let Some(path) = keys.path else {
        scope.needs("path", "add `path = \"/var/backups/db.dump\"`");
        return None;
    };
    if !Path::new(path.get_ref()).is_absolute() {
        scope.error(
            &path.span(),
            "path",
            format_args!("must be an absolute path, got `{}`", path.get_ref()),
            "write the whole path from `/`: the daemon's working directory is not yours",
        );
        return None;
    }
    let glob = match keys.glob {
        None => None,
        Some(pattern) => match Glob::parse(pattern.get_ref()) {
            Ok(glob) if glob.is_by_name() => Some((pattern.get_ref().clone(), glob)),
            Ok(_) => {
                scope.error(
                    &pattern.span(),
                    "glob",
                    format_args!("`{}` has a `/`; it matches names in the directory only", pattern.get_ref()),
                    "point `path` at the directory that holds the files and keep only the name pattern in `glob`",
                );
                return None;
            }
            Err(e) => {
                scope.error(&pattern.span(), "glob", e, "write a name pattern such as `*.tar.gz`");
                return None;
            }
        },
    };
    Some(Spec {
        path: PathBuf::from(path.into_inner()),
        glob,
        follow_symlinks: keys.follow_symlinks.unwrap_or(false),
        absence_judged: common.reads("exists"),
    })
}

pub fn default_expect(_: &Spec) -> Vec<String> {
    vec!["exists == true".into()]
}

pub fn target(spec: &Spec) -> String {
    match &spec.glob {
        Some((pattern, _)) => format!("{}/{pattern}", spec.path.display().to_string().trim_end_matches('/')),
        None => spec.path.display().to_string(),
    }
}

pub fn remote(_: &Spec) -> bool {
    false
}

pub async fn probe(spec: &Spec, _: &ProbeContext, _: Duration, _: Duration) -> Observation {
    let spec = spec.clone();
    let started = std::time::Instant::now();
    let observed = tokio::task::spawn_blocking(move || look(&spec, SystemTime::now())).await;
    match observed {
        Ok(mut observation) => {
            observation.latency = Some(started.elapsed());
            observation
        }
        Err(e) => Observation::failed(FailureClass::ProbeError, format!("the file probe failed: {e}")),
    }
}

/// What the path holds at `now`. Blocking.
pub fn look(spec: &Spec, now: SystemTime) -> Observation {
    let path = &spec.path;
    let found = if spec.follow_symlinks { std::fs::metadata(path) } else { std::fs::symlink_metadata(path) };
    let metadata = match found {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return missing(spec),
        Err(e) => return unreadable(path, &e),
    };
    if !metadata.is_dir() {
        let (age, size) = (age_of(&metadata, now), metadata.len());
        let what = if metadata.is_symlink() { "link" } else { "file" };
        return Observation {
            values: vec![("exists", Value::Bool(true)), ("age", Value::Duration(age)), ("size", Value::Bytes(size))],
            summary: format!("{what} of {}, modified {} ago", format_size(size), format_duration(age)),
            ..Default::default()
        };
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => return unreadable(path, &e),
    };
    let (mut count, mut size, mut newest, mut read) = (0i64, 0u64, None::<SystemTime>, 0usize);
    for entry in entries {
        read += 1;
        if read > MAX_ENTRIES {
            break;
        }
        let Ok(entry) = entry else { continue };
        if let Some((_, glob)) = &spec.glob {
            if !glob.matches_name(std::os::unix::ffi::OsStrExt::as_bytes(entry.file_name().as_os_str())) {
                continue;
            }
        }
        let metadata = if spec.follow_symlinks { std::fs::metadata(entry.path()) } else { entry.metadata() };
        // An entry removed between the listing and its stat is not there.
        let Ok(metadata) = metadata else { continue };
        count += 1;
        if metadata.is_file() {
            size = size.saturating_add(metadata.len());
        }
        if let Ok(modified) = metadata.modified() {
            newest = Some(newest.map_or(modified, |n: SystemTime| n.max(modified)));
        }
    }
    let more = if read > MAX_ENTRIES { "at least " } else { "" };
    let matching = spec.glob.as_ref().map(|(pattern, _)| format!(" matching `{pattern}`")).unwrap_or_default();
    let mut values = vec![("exists", Value::Bool(true)), ("count", Value::Int(count)), ("size", Value::Bytes(size))];
    let summary = match newest {
        Some(newest) => {
            let age = now.duration_since(newest).unwrap_or_default();
            values.push(("age", Value::Duration(age)));
            format!(
                "{more}{count} {}{matching}, {}, newest modified {} ago",
                if count == 1 { "entry" } else { "entries" },
                format_size(size),
                format_duration(age)
            )
        }
        None => format!("no entries{matching}"),
    };
    Observation { values, summary, ..Default::default() }
}

/// Since it was last modified; a time in the future (a clock set back) is no age.
fn age_of(metadata: &Metadata, now: SystemTime) -> Duration {
    metadata.modified().ok().and_then(|modified| now.duration_since(modified).ok()).unwrap_or_default()
}

fn missing(spec: &Spec) -> Observation {
    let message = format!("`{}` does not exist", spec.path.display());
    if spec.absence_judged {
        return Observation { values: vec![("exists", Value::Bool(false))], summary: message, ..Default::default() };
    }
    let mut observation = Observation::failed(FailureClass::NotFound, message);
    observation.values.push(("exists", Value::Bool(false)));
    observation
}

fn unreadable(path: &Path, error: &std::io::Error) -> Observation {
    let class = match error.kind() {
        ErrorKind::PermissionDenied => FailureClass::Permission,
        // A file on the way is not a directory: nothing is at that path.
        ErrorKind::NotADirectory => FailureClass::NotFound,
        _ => FailureClass::ProbeError,
    };
    Observation::failed(class, format!("cannot read `{}`: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(path: &Path, glob: Option<&str>) -> Spec {
        Spec {
            path: path.to_owned(),
            glob: glob.map(|g| (g.to_owned(), Glob::parse(g).unwrap())),
            follow_symlinks: false,
            absence_judged: false,
        }
    }

    fn value<'a>(observation: &'a Observation, name: &str) -> Option<&'a Value> {
        observation.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    #[test]
    fn a_file_has_its_size_and_age() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.dump");
        std::fs::write(&path, vec![0u8; 2048]).unwrap();
        let later = SystemTime::now() + Duration::from_secs(3600);
        let seen = look(&spec(&path, None), later);
        assert_eq!(value(&seen, "exists"), Some(&Value::Bool(true)));
        assert_eq!(value(&seen, "size"), Some(&Value::Bytes(2048)));
        let Some(Value::Duration(age)) = value(&seen, "age") else { panic!("{seen:?}") };
        assert!((3590..=3610).contains(&age.as_secs()), "{age:?}");
        assert!(seen.summary.starts_with("file of 2"), "{}", seen.summary);
        let past = look(&spec(&path, None), SystemTime::UNIX_EPOCH);
        assert_eq!(value(&past, "age"), Some(&Value::Duration(Duration::ZERO)), "a clock set back is no age");
    }

    #[test]
    fn a_missing_path_is_not_found_unless_a_condition_judges_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(&dir.path().join("gone"), None);
        let seen = look(&spec, SystemTime::now());
        assert_eq!(seen.failure.as_ref().map(|f| f.class), Some(FailureClass::NotFound), "{seen:?}");
        spec.absence_judged = true;
        let seen = look(&spec, SystemTime::now());
        assert!(seen.failure.is_none());
        assert_eq!(value(&seen, "exists"), Some(&Value::Bool(false)));
        let through_a_file = look(&super::tests::spec(&dir.path().join("gone/x"), None), SystemTime::now());
        assert_eq!(through_a_file.failure.map(|f| f.class), Some(FailureClass::NotFound));
    }

    #[test]
    fn a_directory_counts_its_matching_entries() {
        let dir = tempfile::tempdir().unwrap();
        for (name, size) in [("a.tar.gz", 100), ("b.tar.gz", 50), ("notes.txt", 7)] {
            std::fs::write(dir.path().join(name), vec![1u8; size]).unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let all = look(&spec(dir.path(), None), SystemTime::now());
        assert_eq!(value(&all, "count"), Some(&Value::Int(4)), "{all:?}");
        assert_eq!(value(&all, "size"), Some(&Value::Bytes(157)), "files only, not the directory's own size");
        let backups = look(&spec(dir.path(), Some("*.tar.gz")), SystemTime::now() + Duration::from_secs(60));
        assert_eq!(value(&backups, "count"), Some(&Value::Int(2)));
        assert_eq!(value(&backups, "size"), Some(&Value::Bytes(150)));
        assert!(backups.summary.starts_with("2 entries matching `*.tar.gz`"), "{}", backups.summary);
        let none = look(&spec(dir.path(), Some("*.sql")), SystemTime::now());
        assert_eq!(value(&none, "count"), Some(&Value::Int(0)));
        assert_eq!(value(&none, "age"), None, "no entry, no age");
    }

    #[test]
    fn links_are_not_followed_unless_asked() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("current");
        std::os::unix::fs::symlink(dir.path().join("missing"), &link).unwrap();
        let mut spec = spec(&link, None);
        let seen = look(&spec, SystemTime::now());
        assert_eq!(value(&seen, "exists"), Some(&Value::Bool(true)), "the link itself exists");
        assert!(seen.summary.starts_with("link"), "{}", seen.summary);
        spec.follow_symlinks = true;
        let followed = look(&spec, SystemTime::now());
        assert_eq!(followed.failure.map(|f| f.class), Some(FailureClass::NotFound), "a dangling link followed");
    }
}
