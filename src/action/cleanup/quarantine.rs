//! The quarantine: a cleanup moves what it removes into a folder of its own under the
//! data dir (`quarantine/<when>-<action>/`: the files, numbered, and `manifest.json`
//! with each one's path, size, mtime and mode), purged once it expires. Undo puts them
//! back where they were, with their mtimes, and never over a path that is taken.
//!
//! Every file is reached again from the root through directory handles (no symlink
//! followed) and must still be the one the walk saw (same device and inode).

use std::io::{Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RenameFlags, Timespec, Timestamps};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};

use super::walk::{c_name, open_dir, open_parent, open_root, Found};

/// The folder under the data dir.
pub const DIR: &str = "quarantine";
const MANIFEST: &str = "manifest.json";
const FILES: &str = "files";

/// A quarantine folder's manifest: what to put back where.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub action: String,
    pub root: PathBuf,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub files: Vec<Entry>,
    pub undone_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Below the root, for people.
    pub path: String,
    /// Below the root, exactly: the bytes as hex (names may hold any byte but `/`).
    pub raw: String,
    pub size: u64,
    pub mtime_s: i64,
    pub mtime_ns: u32,
    pub mode: u32,
    /// Its name in the folder's `files/`.
    pub stored: String,
}

/// Why a file was not moved (it is left where it is).
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error("it vanished since the walk")]
    Vanished,
    #[error("it was replaced or changed since the walk")]
    Replaced,
    #[error("{0}")]
    Io(#[from] Errno),
    #[error("{0}")]
    Copy(#[from] std::io::Error),
}

/// Why an undo did nothing (or stopped).
#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    #[error("this run's quarantine is gone (purged after its time, or deleted)")]
    Purged,
    #[error("this run was undone already, at {0}")]
    AlreadyUndone(DateTime<Utc>),
    #[error("{} path(s) are taken by new files, so nothing was put back: {}", .0.len(), .0.join(", "))]
    Taken(Vec<String>),
    #[error("{path}: {error}")]
    Failed { path: String, error: String },
    #[error("cannot read the quarantine's manifest: {0}")]
    Manifest(String),
}

/// A quarantine folder being filled.
pub struct Folder {
    pub name: String,
    path: PathBuf,
    files: OwnedFd,
    manifest: Manifest,
}

impl Folder {
    /// Creates `quarantine/<name>/files` under the data dir.
    pub fn create(data_dir: &Path, name: String, manifest: Manifest) -> std::io::Result<Folder> {
        let path = data_dir.join(DIR).join(&name);
        std::fs::create_dir_all(path.join(FILES))?;
        let files = rustix::fs::open(
            path.join(FILES),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Folder { name, path, files, manifest })
    }

    /// Moves one found file in (renamed when on the same file system, else copied then
    /// removed), and notes it in the manifest.
    pub fn take(&mut self, root: &OwnedFd, found: &Found) -> Result<(), MoveError> {
        let (parent, name) = reach(root, found)?;
        let stored = self.manifest.files.len().to_string();
        match rustix::fs::renameat(&parent, &name, &self.files, stored.as_str()) {
            Ok(()) => {}
            Err(Errno::XDEV) => {
                copy(&parent, &name, &self.files, &stored, found)?;
                rustix::fs::unlinkat(&parent, &name, AtFlags::empty())?;
            }
            Err(e) => return Err(e.into()),
        }
        let (mtime_s, mtime_ns) = split_ns(found.mtime_ns);
        self.manifest.files.push(Entry {
            path: found.display(),
            raw: hex(&found.relative()),
            size: found.size,
            mtime_s,
            mtime_ns,
            mode: found.mode,
            stored,
        });
        Ok(())
    }

    /// Writes the manifest; a folder that holds nothing is removed.
    pub fn finish(self) -> std::io::Result<Option<String>> {
        if self.manifest.files.is_empty() {
            std::fs::remove_dir_all(&self.path)?;
            return Ok(None);
        }
        write_manifest(&self.path, &self.manifest)?;
        Ok(Some(self.name))
    }
}

/// Deletes one found file at once (`quarantine = "0s"`).
pub fn delete(root: &OwnedFd, found: &Found) -> Result<(), MoveError> {
    let (parent, name) = reach(root, found)?;
    rustix::fs::unlinkat(&parent, &name, AtFlags::empty())?;
    Ok(())
}

/// The found file's directory and name, checked to be the file the walk saw.
fn reach(root: &OwnedFd, found: &Found) -> Result<(OwnedFd, std::ffi::CString), MoveError> {
    let parent = match open_parent(root, &found.components) {
        Ok(parent) => parent,
        Err(Errno::NOENT) => return Err(MoveError::Vanished),
        Err(e) => return Err(e.into()),
    };
    let name = c_name(found.components.last().map(Vec::as_slice).unwrap_or_default())?;
    let stat = match rustix::fs::statat(&parent, &name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => stat,
        Err(Errno::NOENT) => return Err(MoveError::Vanished),
        Err(e) => return Err(e.into()),
    };
    // The same file, unchanged: a file system may give a new file the inode of one just
    // deleted (a rotated log), and a file written to since may no longer match the rule.
    let mtime_ns = i128::from(stat.st_mtime) * 1_000_000_000 + i128::from(stat.st_mtime_nsec);
    let size = u64::try_from(stat.st_size).unwrap_or(u64::MAX);
    if stat.st_dev != found.dev || stat.st_ino != found.ino || mtime_ns != found.mtime_ns || size != found.size {
        return Err(MoveError::Replaced);
    }
    Ok((parent, name))
}

/// Copies a file (or a symlink, as a symlink) into `to_dir`, never over anything, with
/// its mode and mtime.
fn copy(from_dir: &OwnedFd, name: &std::ffi::CStr, to_dir: &OwnedFd, to: &str, found: &Found) -> Result<(), MoveError> {
    if found.symlink {
        let target = rustix::fs::readlinkat(from_dir, name, Vec::new())?;
        rustix::fs::symlinkat(target.as_c_str(), to_dir, to)?;
        return Ok(());
    }
    let source =
        rustix::fs::openat(from_dir, name, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())?;
    let dest = rustix::fs::openat(
        to_dir,
        to,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    let (mut source, mut dest) = (std::fs::File::from(source), std::fs::File::from(dest));
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = source.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        dest.write_all(&buffer[..n])?;
    }
    dest.sync_all()?;
    rustix::fs::fchmod(&dest, Mode::from_raw_mode(found.mode & 0o7777))?;
    rustix::fs::futimens(&dest, &times(found.mtime_ns))?;
    Ok(())
}

fn times(mtime_ns: i128) -> Timestamps {
    let (tv_sec, tv_nsec) = split_ns(mtime_ns);
    let mtime = Timespec { tv_sec, tv_nsec: tv_nsec.into() };
    Timestamps { last_access: mtime, last_modification: mtime }
}

fn split_ns(ns: i128) -> (i64, u32) {
    (ns.div_euclid(1_000_000_000) as i64, ns.rem_euclid(1_000_000_000) as u32)
}

fn write_manifest(folder: &Path, manifest: &Manifest) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?;
    let temp = folder.join(format!("{MANIFEST}.tmp"));
    std::fs::write(&temp, text)?;
    std::fs::rename(temp, folder.join(MANIFEST))
}

pub fn read_manifest(folder: &Path) -> Result<Manifest, UndoError> {
    let text = match std::fs::read(folder.join(MANIFEST)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(UndoError::Purged),
        Err(e) => return Err(UndoError::Manifest(e.to_string())),
    };
    serde_json::from_slice(&text).map_err(|e| UndoError::Manifest(e.to_string()))
}

/// Puts a quarantine folder's files back under their root: all of them, or none when
/// any of their paths is taken (never overwritten). Returns how many.
pub fn undo(data_dir: &Path, name: &str, now: DateTime<Utc>) -> Result<usize, UndoError> {
    let folder = data_dir.join(DIR).join(name);
    let mut manifest = read_manifest(&folder)?;
    if let Some(at) = manifest.undone_at {
        return Err(UndoError::AlreadyUndone(at));
    }
    let failed =
        |path: &str, error: &dyn std::fmt::Display| UndoError::Failed { path: path.into(), error: error.to_string() };
    let root = open_root(&manifest.root).map_err(|e| failed(&manifest.root.display().to_string(), &e))?;
    let entries: Vec<(Vec<Vec<u8>>, &Entry)> = manifest
        .files
        .iter()
        .map(|entry| (unhex(&entry.raw).split(|b| *b == b'/').map(<[u8]>::to_vec).collect(), entry))
        .collect();
    // First every path, so nothing is put back when one is taken.
    let taken: Vec<String> =
        entries.iter().filter(|(components, _)| is_taken(&root, components)).map(|(_, e)| e.path.clone()).collect();
    if !taken.is_empty() {
        return Err(UndoError::Taken(taken));
    }
    let files = open_dir(
        rustix::fs::open(
            &folder,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| failed(FILES, &e))?,
        c"files",
    )
    .map_err(|e| failed(FILES, &e))?;
    let mut restored = 0;
    for (components, entry) in &entries {
        let parent = make_parents(&root, components).map_err(|e| failed(&entry.path, &e))?;
        let name =
            c_name(components.last().map(Vec::as_slice).unwrap_or_default()).map_err(|e| failed(&entry.path, &e))?;
        match rustix::fs::renameat_with(&files, entry.stored.as_str(), &parent, &name, RenameFlags::NOREPLACE) {
            Ok(()) => {}
            Err(Errno::EXIST) => return Err(UndoError::Taken(vec![entry.path.clone()])),
            Err(Errno::XDEV) => {
                let found = Found {
                    components: vec![entry.stored.as_bytes().to_vec()],
                    size: entry.size,
                    mtime_ns: i128::from(entry.mtime_s) * 1_000_000_000 + i128::from(entry.mtime_ns),
                    mode: entry.mode,
                    dev: 0,
                    ino: 0,
                    symlink: FileType::from_raw_mode(entry.mode) == FileType::Symlink,
                };
                let stored = c_name(entry.stored.as_bytes()).map_err(|e| failed(&entry.path, &e))?;
                let to = String::from_utf8_lossy(components.last().map(Vec::as_slice).unwrap_or_default()).into_owned();
                // A non-UTF-8 name cannot cross file systems here: say so, never guess.
                if to.as_bytes() != components.last().map(Vec::as_slice).unwrap_or_default() {
                    return Err(failed(
                        &entry.path,
                        &"a name that is not UTF-8 cannot be copied back across file systems",
                    ));
                }
                copy(&files, &stored, &parent, &to, &found).map_err(|e| failed(&entry.path, &e))?;
                rustix::fs::unlinkat(&files, &stored, AtFlags::empty()).map_err(|e| failed(&entry.path, &e))?;
            }
            Err(e) => return Err(failed(&entry.path, &e)),
        }
        // A rename keeps the mtime; set it anyway, as the manifest has it.
        if FileType::from_raw_mode(entry.mode) != FileType::Symlink {
            let mtime = i128::from(entry.mtime_s) * 1_000_000_000 + i128::from(entry.mtime_ns);
            let _ = rustix::fs::utimensat(&parent, &name, &times(mtime), AtFlags::SYMLINK_NOFOLLOW);
        }
        restored += 1;
    }
    manifest.undone_at = Some(now);
    write_manifest(&folder, &manifest).map_err(|e| UndoError::Manifest(e.to_string()))?;
    Ok(restored)
}

fn is_taken(root: &OwnedFd, components: &[Vec<u8>]) -> bool {
    let Ok(parent) = open_parent(root, components) else { return false };
    let Ok(name) = c_name(components.last().map(Vec::as_slice).unwrap_or_default()) else { return false };
    rustix::fs::statat(&parent, &name, AtFlags::SYMLINK_NOFOLLOW).is_ok()
}

/// The directory for `components`' last one, made where missing (never through a symlink).
fn make_parents(root: &OwnedFd, components: &[Vec<u8>]) -> Result<OwnedFd, Errno> {
    let mut dir = rustix::io::dup(root)?;
    for name in &components[..components.len().saturating_sub(1)] {
        let name = c_name(name)?;
        dir = match open_dir(&dir, &name) {
            Ok(next) => next,
            Err(Errno::NOENT) => {
                rustix::fs::mkdirat(&dir, &name, Mode::from_raw_mode(0o755))?;
                open_dir(&dir, &name)?
            }
            Err(e) => return Err(e),
        };
    }
    Ok(dir)
}

/// Removes quarantine folders whose time is up; returns their names.
pub fn purge(data_dir: &Path, now: DateTime<Utc>) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir.join(DIR)) else { return Vec::new() };
    let mut purged = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let expired = match read_manifest(&path) {
            Ok(manifest) => manifest.expires_at <= now || manifest.undone_at.is_some(),
            // A folder a crash left without its manifest: kept a day, then removed.
            Err(UndoError::Purged) => entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| DateTime::<Utc>::from(at) + chrono::Duration::days(1) <= now),
            Err(_) => false,
        };
        // `remove_dir_all` does not follow symlinks.
        if expired && std::fs::remove_dir_all(&path).is_ok() {
            purged.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    purged
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len() / 2).filter_map(|i| u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(data: &Path, name: &str, expires_at: DateTime<Utc>) {
        let manifest = Manifest {
            action: "t".into(),
            root: PathBuf::from("/nowhere"),
            created_at: expires_at,
            expires_at,
            files: Vec::new(),
            undone_at: None,
        };
        std::fs::create_dir_all(data.join(DIR).join(name).join(FILES)).unwrap();
        write_manifest(&data.join(DIR).join(name), &manifest).unwrap();
    }

    #[test]
    fn the_purge_removes_only_what_expired_and_undo_then_says_purged() {
        let data = tempfile::tempdir().unwrap();
        let now = Utc::now();
        folder(data.path(), "old", now - chrono::Duration::seconds(1));
        folder(data.path(), "young", now + chrono::Duration::hours(1));
        assert_eq!(purge(data.path(), now), ["old"]);
        assert!(data.path().join(DIR).join("young").exists(), "not yet");
        assert!(matches!(undo(data.path(), "old", now), Err(UndoError::Purged)));
        assert!(purge(data.path(), now).is_empty(), "once");
    }
}
