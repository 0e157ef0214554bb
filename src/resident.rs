//! Memory given back once the daemon runs. Starting touches much that running never
//! does again: the config compiler, the migrations, the command line, the first probe
//! of each kind. Their code stays mapped (and counted in the resident set) and their
//! heap stays in malloc's free lists. [`settle`] drops both: the pages of the
//! executable and its libraries that are the file's own (read-only, never copied on
//! write) are paged out, and whatever running still uses is read back at its next
//! touch, a page at a time; then the heap's free pages go back to the system. A
//! library page another process maps too (libc's, mostly) stays: the kernel pages out
//! only what this process alone holds.
//!
//! A leaf: it knows the process's own maps and malloc, nothing of checks.

/// What [`settle`] gave back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    /// Resident bytes of the read-only file mappings asked to be dropped (shared pages
    /// among them stay).
    pub code: u64,
    /// Resident bytes before and after (0 where they cannot be read).
    pub before: u64,
    pub after: u64,
}

/// Drops the resident pages of the file-backed, read-only mappings (the executable's
/// and its libraries') that hold no private copy (so that each page comes back from
/// the file exactly as it was), then trims malloc's free memory. Does nothing where
/// the maps cannot be read.
pub fn settle() -> Settled {
    let before = own_rss().unwrap_or(0);
    let mut code = 0;
    if let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") {
        for mapping in mappings(&smaps).filter(Mapping::droppable) {
            // SAFETY: the range is a whole mapping of a file (our executable or a
            // library) that cannot be written (no `w`) and holds no anonymous page:
            // MADV_PAGEOUT and MADV_DONTNEED only unmap its pages, and each touch maps
            // the file's unchanged page again.
            // MADV_RANDOM first: a touch then reads the page it needs, no read-ahead.
            // MADV_PAGEOUT unmaps each page and drops it from the page cache at once,
            // so that no other thread's touch meanwhile maps it again with the 64 KB
            // around it (fault-around maps what is cached); MADV_DONTNEED where the
            // kernel has no MADV_PAGEOUT (before Linux 5.4).
            let done = unsafe {
                let (start, len) = (mapping.start as *mut libc::c_void, mapping.len());
                libc::madvise(start, len, libc::MADV_RANDOM);
                libc::madvise(start, len, libc::MADV_PAGEOUT) == 0
                    || libc::madvise(start, len, libc::MADV_DONTNEED) == 0
            };
            if done {
                code += mapping.rss;
            }
        }
    }
    #[cfg(target_env = "gnu")]
    // SAFETY: malloc_trim only returns free heap memory to the system.
    unsafe {
        libc::malloc_trim(0);
    }
    Settled { code, before, after: own_rss().unwrap_or(0) }
}

/// This process's resident set size, from /proc on Linux.
pub fn own_rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page_size).ok()?)
}

/// One mapping of `/proc/self/smaps`.
#[derive(Debug, PartialEq, Eq)]
struct Mapping<'a> {
    start: usize,
    end: usize,
    perms: &'a str,
    path: &'a str,
    /// Resident and anonymous (private copies) bytes.
    rss: u64,
    anonymous: u64,
}

impl Mapping<'_> {
    fn len(&self) -> usize {
        self.end - self.start
    }

    /// A file's mapping that is never written and never was: its pages are the file's.
    fn droppable(&self) -> bool {
        self.path.starts_with('/')
            && !self.path.ends_with(" (deleted)")
            && !self.perms.contains('w')
            && self.perms.ends_with('p')
            && self.anonymous == 0
            && self.rss > 0
    }
}

/// The mappings of an smaps text; a line it does not understand ends nothing.
fn mappings(smaps: &str) -> impl Iterator<Item = Mapping<'_>> {
    let mut lines = smaps.lines().peekable();
    std::iter::from_fn(move || loop {
        let header = lines.next()?;
        let Some(mut mapping) = header_of(header) else { continue };
        while let Some(line) = lines.peek() {
            if header_of(line).is_some() {
                break;
            }
            let kb =
                |rest: &str| rest.split_whitespace().next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0) * 1024;
            if let Some(rest) = line.strip_prefix("Rss:") {
                mapping.rss = kb(rest);
            } else if let Some(rest) = line.strip_prefix("Anonymous:") {
                mapping.anonymous = kb(rest);
            }
            lines.next();
        }
        return Some(mapping);
    })
}

/// `start-end perms offset dev inode [path]`, or `None` for any other line.
fn header_of(line: &str) -> Option<Mapping<'_>> {
    let mut fields = line.splitn(6, ' ');
    let (start, end) = fields.next()?.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    let perms = fields.next()?;
    if perms.len() != 4 || end < start {
        return None;
    }
    let (_offset, _device, _inode) = (fields.next()?, fields.next()?, fields.next()?);
    let path = fields.next().unwrap_or("").trim_start();
    Some(Mapping { start, end, perms, path, rss: 0, anonymous: 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0a0000000-55d0a0400000 r--p 00000000 fe:01 1234                       /usr/bin/watchkeeper
Size:               4096 kB
Rss:                1024 kB
Anonymous:             0 kB
55d0a0400000-55d0a1000000 r-xp 00400000 fe:01 1234                       /usr/bin/watchkeeper
Size:              12288 kB
Rss:                8192 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me dw
55d0a1000000-55d0a1100000 r--p 01000000 fe:01 1234                       /usr/bin/watchkeeper
Rss:                 512 kB
Anonymous:           512 kB
55d0a1100000-55d0a1200000 rw-p 01100000 fe:01 1234                       /usr/bin/watchkeeper
Rss:                  64 kB
Anonymous:            64 kB
7f0000000000-7f0000100000 r-xp 00000000 fe:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 900 kB
Anonymous:             0 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]
Rss:                  40 kB
Anonymous:            40 kB
";

    #[test]
    fn only_files_own_read_only_pages_are_dropped() {
        let exe = "/usr/bin/watchkeeper";
        let all: Vec<_> = mappings(SMAPS).collect();
        assert_eq!(all.len(), 6);
        assert_eq!(all[1].rss, 8192 * 1024);
        assert_eq!(all[1].len(), 0xc00000);
        let dropped: Vec<_> = all.iter().filter(|m| m.droppable()).map(|m| (m.perms, m.path)).collect();
        // Not: the relocated read-only data (private copies), the writable data, the
        // stack.
        assert_eq!(dropped, [("r--p", exe), ("r-xp", exe), ("r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6")]);
        assert!(all[2].path == exe && !all[2].droppable(), "copied on write: kept");
    }

    #[test]
    fn lines_it_does_not_know_end_nothing() {
        let text = "garbage\n\n0-zz r-xp 0 0 0 /x\n10-20 r-xp 0 0:0 1 /x\nRss: 8 kB\nnot a field\nAnonymous: 0 kB\n";
        let all: Vec<_> = mappings(text).collect();
        assert_eq!(all, [Mapping { start: 16, end: 32, perms: "r-xp", path: "/x", rss: 8192, anonymous: 0 }]);
    }

    /// On this very process: the test binary's code pages leave the resident set, and
    /// the code runs on (every page it touches comes back).
    #[test]
    fn settling_this_process_drops_its_code_and_runs_on() {
        let settled = settle();
        assert!(settled.code > 0, "some of this binary's pages were resident: {settled:?}");
        assert!(settled.before > 0 && settled.after > 0, "{settled:?}");
        // Code from all over the binary runs after it: formatting, hashing, threads.
        let joined = std::thread::spawn(|| format!("{:?}", std::collections::HashMap::from([(1, "one")]))).join();
        assert_eq!(joined.unwrap(), "{1: \"one\"}");
    }
}
