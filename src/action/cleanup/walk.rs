//! The walk: every file under the root, reached through directory handles opened one
//! component at a time with `O_NOFOLLOW`, so a symlink is never followed (a symlink is
//! a file here, at most removed itself), and never past the root's filesystem (a
//! directory on another device is not entered). Then the choice of what goes.

use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::glob::Glob;

/// Directories deeper than this are not entered (a bound, not a limit anyone meets).
const MAX_DEPTH: usize = 64;
/// Files looked at, at most: a walk is bounded in time and memory.
pub const MAX_FILES: usize = 2_000_000;

/// A file found under the root.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Its path below the root, component by component (bytes: any name a file system
    /// allows, newlines and invalid UTF-8 included).
    pub components: Vec<Vec<u8>>,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
    pub mode: u32,
    pub dev: u64,
    pub ino: u64,
    pub symlink: bool,
}

impl Found {
    /// Its path below the root, as bytes: `a/b.log`.
    pub fn relative(&self) -> Vec<u8> {
        self.components.join(&b'/')
    }

    /// Its path below the root, for people (invalid UTF-8 replaced).
    pub fn display(&self) -> String {
        String::from_utf8_lossy(&self.relative()).into_owned()
    }
}

/// What the walk saw besides the files.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<Found>,
    /// Directories on another file system, not entered.
    pub other_filesystems: Vec<String>,
    /// Entries that vanished or could not be read during the walk, with why.
    pub skipped: Vec<String>,
    /// The walk stopped at [`MAX_FILES`].
    pub truncated: bool,
}

/// Opens the root itself: a directory, not a symlink.
pub fn open_root(root: &Path) -> Result<OwnedFd, Errno> {
    rustix::fs::open(root, OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty())
}

/// Opens a directory below `parent` by name, never through a symlink.
pub fn open_dir(parent: impl AsFd, name: &CStr) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens the directory holding `components`' last one, from the root, one directory
/// at a time (none a symlink).
pub fn open_parent(root: &OwnedFd, components: &[Vec<u8>]) -> Result<OwnedFd, Errno> {
    let mut dir = rustix::io::dup(root)?;
    for name in &components[..components.len().saturating_sub(1)] {
        dir = open_dir(&dir, &c_name(name)?)?;
    }
    Ok(dir)
}

pub fn c_name(name: &[u8]) -> Result<CString, Errno> {
    CString::new(name).map_err(|_| Errno::INVAL)
}

/// Every file under the root whose path matches `glob`.
pub fn walk(root: &OwnedFd, glob: &Glob) -> Result<Walked, Errno> {
    let root_dev = rustix::fs::fstat(root)?.st_dev;
    let mut walked = Walked::default();
    let mut stack: Vec<(OwnedFd, Vec<Vec<u8>>)> = vec![(rustix::io::dup(root)?, Vec::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let mut entries = match rustix::fs::Dir::read_from(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                walked.skipped.push(format!("{}: cannot list: {e}", shown(&prefix)));
                continue;
            }
        };
        while let Some(entry) = entries.read() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    walked.skipped.push(format!("{}: cannot list: {e}", shown(&prefix)));
                    break;
                }
            };
            let name = entry.file_name();
            let bytes = name.to_bytes();
            if bytes == b"." || bytes == b".." {
                continue;
            }
            let mut components = prefix.clone();
            components.push(bytes.to_vec());
            // lstat: a symlink is looked at, not through.
            let stat = match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => stat,
                Err(e) => {
                    // Vanished since it was listed, most likely.
                    walked.skipped.push(format!("{}: {e}", shown(&components)));
                    continue;
                }
            };
            match FileType::from_raw_mode(stat.st_mode) {
                FileType::Directory => {
                    if stat.st_dev != root_dev {
                        walked.other_filesystems.push(shown(&components));
                        continue;
                    }
                    if components.len() >= MAX_DEPTH {
                        walked.skipped.push(format!("{}: deeper than {MAX_DEPTH} levels", shown(&components)));
                        continue;
                    }
                    match open_dir(&dir, name) {
                        Ok(child) => stack.push((child, components)),
                        Err(e) => walked.skipped.push(format!("{}: cannot open: {e}", shown(&components))),
                    }
                }
                kind @ (FileType::RegularFile | FileType::Symlink) => {
                    if !glob.matches(&components) {
                        continue;
                    }
                    if walked.files.len() >= MAX_FILES {
                        walked.truncated = true;
                        return Ok(walked);
                    }
                    walked.files.push(Found {
                        components,
                        size: stat.st_size as u64,
                        mtime_ns: i128::from(stat.st_mtime) * 1_000_000_000 + i128::from(stat.st_mtime_nsec),
                        mode: stat.st_mode,
                        dev: stat.st_dev,
                        ino: stat.st_ino,
                        symlink: kind == FileType::Symlink,
                    });
                }
                // Sockets, fifos, devices: never touched.
                _ => {}
            }
        }
    }
    Ok(walked)
}

fn shown(components: &[Vec<u8>]) -> String {
    if components.is_empty() {
        return ".".to_owned();
    }
    String::from_utf8_lossy(&components.join(&b'/')).into_owned()
}

/// What goes, from what was found, newest kept first: never the `keep_newest` newest;
/// of the rest, those older than `older_than` (ns before `now_ns`), and then, oldest
/// first, as many as bring the total under `max_total_size`. With neither of those,
/// `keep_newest` is rotation: all but the newest go.
pub fn choose(
    mut files: Vec<Found>,
    keep_newest: usize,
    older_than_ns: Option<i128>,
    max_total_size: Option<u64>,
    now_ns: i128,
) -> (Vec<Found>, Vec<Found>) {
    // Newest first; ties by path, so a plan reads the same twice.
    files.sort_by(|a, b| b.mtime_ns.cmp(&a.mtime_ns).then_with(|| a.components.cmp(&b.components)));
    let mut total: u64 = files.iter().map(|f| f.size).sum();
    let mut going = vec![false; files.len()];
    let by_count = older_than_ns.is_none() && max_total_size.is_none();
    for (i, file) in files.iter().enumerate().skip(keep_newest) {
        if by_count || older_than_ns.is_some_and(|age| now_ns.saturating_sub(file.mtime_ns) > age) {
            going[i] = true;
            total -= file.size;
        }
    }
    if let Some(cap) = max_total_size {
        for i in (keep_newest..files.len()).rev() {
            if total <= cap {
                break;
            }
            if !going[i] {
                going[i] = true;
                total -= files[i].size;
            }
        }
    }
    let (mut gone, mut kept) = (Vec::new(), Vec::new());
    for (file, goes) in files.into_iter().zip(going) {
        if goes {
            gone.push(file);
        } else {
            kept.push(file);
        }
    }
    // Oldest first: the order they are moved in.
    gone.reverse();
    (gone, kept)
}

/// A name as an `OsStr`, for paths.
pub fn os(name: &[u8]) -> &OsStr {
    OsStr::from_bytes(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, size: u64, age_s: i128) -> Found {
        Found {
            components: vec![name.as_bytes().to_vec()],
            size,
            mtime_ns: (1_000 - age_s) * 1_000_000_000,
            mode: 0o100644,
            dev: 1,
            ino: 1,
            symlink: false,
        }
    }

    fn names(files: &[Found]) -> Vec<String> {
        files.iter().map(Found::display).collect()
    }

    const NOW: i128 = 1_000 * 1_000_000_000;

    #[test]
    fn older_than_keeps_the_newest_and_goes_oldest_first() {
        let files = vec![file("a", 1, 10), file("b", 1, 500), file("c", 1, 300), file("d", 1, 900)];
        let (gone, kept) = choose(files.clone(), 0, Some(200 * 1_000_000_000), None, NOW);
        assert_eq!(names(&gone), ["d", "b", "c"], "oldest first");
        assert_eq!(names(&kept), ["a"]);
        let (gone, _) = choose(files, 3, Some(200 * 1_000_000_000), None, NOW);
        assert_eq!(names(&gone), ["d"], "the three newest are kept whatever their age");
    }

    #[test]
    fn a_size_cap_removes_the_oldest_until_the_total_is_under_it() {
        let files = vec![file("new", 40, 1), file("mid", 30, 50), file("old", 20, 100), file("oldest", 10, 200)];
        let (gone, kept) = choose(files.clone(), 0, None, Some(70), NOW);
        assert_eq!(names(&gone), ["oldest", "old"], "100 bytes to 70: the two oldest go");
        assert_eq!(names(&kept), ["new", "mid"]);
        let (gone, _) = choose(files.clone(), 3, None, Some(10), NOW);
        assert_eq!(names(&gone), ["oldest"], "keep_newest wins over the cap");
        let (gone, _) = choose(files, 0, None, Some(1000), NOW);
        assert!(gone.is_empty(), "under the cap already");
    }

    /// `keep_newest` alone is rotation, as logrotate's `rotate N`: all but the newest go.
    #[test]
    fn keep_newest_alone_keeps_that_many_and_removes_the_rest() {
        let files = vec![file("new", 40, 1), file("mid", 30, 50), file("old", 20, 100), file("oldest", 10, 200)];
        let (gone, kept) = choose(files.clone(), 2, None, None, NOW);
        assert_eq!(names(&gone), ["oldest", "old"]);
        assert_eq!(names(&kept), ["new", "mid"]);
        let (gone, _) = choose(files, 5, None, None, NOW);
        assert!(gone.is_empty(), "fewer files than it keeps");
    }
}
