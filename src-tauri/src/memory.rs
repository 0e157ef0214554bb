//! Memory the process gives back once it has started.
//!
//! The tray process is the window's binary, so it links WebKitGTK and the ~190
//! libraries that come with it (the speech synthesiser flite among them), though it
//! never shows a page. The dynamic loader reads each library's relocation table once,
//! at load, to patch its pointers, and never again; those pages stay mapped all the
//! same: about 16 MB, 7 MB of it WebKit's own. They are clean pages of the library
//! files, so [`release_relocation_tables`] can drop them from this process with
//! `madvise(MADV_DONTNEED)`: the kernel keeps them in the page cache (shared, and
//! reclaimable), and a page touched again is read back from the file. It does what the
//! kernel does to those pages under memory pressure, at a time we know they are dead.
//!
//! Only ranges that cannot hold a private change are dropped: a relocation table
//! inside a read-only loaded segment, outside the RELRO region (relocated pointers
//! made read-only afterwards), of an object without text relocations. The PLT's table
//! (`DT_JMPREL`) is kept: lazy binding reads it for as long as the process runs.

/// Drops the relocation tables of every object loaded so far; returns the bytes
/// released (whole pages inside the tables).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
pub fn release_relocation_tables() -> usize {
    let mut visit = Visit { release: true, ..Visit::default() };
    // SAFETY: `collect` only reads the headers the loader hands it, for the duration of
    // the call, and writes to `visit` through the pointer we pass.
    unsafe { libc::dl_iterate_phdr(Some(collect), (&mut visit as *mut Visit).cast()) };
    visit.released
}

/// What a walk over the loaded objects found, and released when asked to.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
#[derive(Default)]
struct Visit {
    release: bool,
    tables: Vec<Range>,
    released: usize,
}

/// Drops whole pages of `range` from this process; returns the bytes dropped.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn release(range: Range) -> usize {
    // SAFETY: sysconf has no memory effects.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let Some((start, len)) = range.whole_pages(page) else { return 0 };
    // SAFETY: the range is whole pages of a read-only, never-written file mapping (see
    // `dead_tables`), still mapped (the loader's lock is held, so nothing is unloaded):
    // dropping them loses nothing, a later read re-faults them from the file.
    if unsafe { libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED) } == 0 {
        len
    } else {
        0
    }
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
pub fn release_relocation_tables() -> usize {
    0
}

/// An address range, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    start: usize,
    end: usize,
}

impl Range {
    fn contains(&self, other: &Range) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    fn overlaps(&self, other: &Range) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The whole pages inside, as (start, length).
    fn whole_pages(&self, page: usize) -> Option<(usize, usize)> {
        let start = self.start.checked_add(page - 1)? / page * page;
        let end = self.end / page * page;
        (end > start).then(|| (start, end - start))
    }
}

/// A loaded segment, as its program header gives it (addresses already biased).
#[derive(Debug, Clone, Copy)]
struct Segment {
    kind: u32,
    writable: bool,
    range: Range,
}

const DT_NULL: i64 = 0;
const DT_RELA: i64 = 7;
const DT_RELASZ: i64 = 8;
const DT_REL: i64 = 17;
const DT_RELSZ: i64 = 18;
const DT_TEXTREL: i64 = 22;
const DT_FLAGS: i64 = 30;
const DT_RELRSZ: i64 = 35;
const DT_RELR: i64 = 36;
const DF_TEXTREL: u64 = 0x4;

/// The relocation tables of one object that are safe to drop: each inside a
/// read-only `PT_LOAD` segment and clear of `PT_GNU_RELRO`; none when the object has
/// text relocations (its read-only segments were written to).
///
/// `dynamic` is the object's dynamic section as (tag, value). The loader may have
/// biased pointer values in place (glibc does, where the section is writable) or not:
/// a value below a non-zero `base` is taken as unbiased.
fn dead_tables(base: usize, segments: &[Segment], dynamic: &[(i64, u64)]) -> Vec<Range> {
    let mut tables: [(Option<u64>, Option<u64>); 3] = [(None, None); 3];
    for &(tag, value) in dynamic {
        match tag {
            DT_NULL => break,
            DT_TEXTREL => return Vec::new(),
            DT_FLAGS if value & DF_TEXTREL != 0 => return Vec::new(),
            DT_RELA => tables[0].0 = Some(value),
            DT_RELASZ => tables[0].1 = Some(value),
            DT_REL => tables[1].0 = Some(value),
            DT_RELSZ => tables[1].1 = Some(value),
            DT_RELR => tables[2].0 = Some(value),
            DT_RELRSZ => tables[2].1 = Some(value),
            _ => {}
        }
    }
    let read_only: Vec<Range> =
        segments.iter().filter(|s| s.kind == libc::PT_LOAD && !s.writable).map(|s| s.range).collect();
    let relro: Vec<Range> = segments.iter().filter(|s| s.kind == libc::PT_GNU_RELRO).map(|s| s.range).collect();
    tables
        .iter()
        .filter_map(|&(address, size)| {
            let (address, size) = (usize::try_from(address?).ok()?, usize::try_from(size?).ok()?);
            let start = if base != 0 && address < base { base.checked_add(address)? } else { address };
            let range = Range { start, end: start.checked_add(size)? };
            let safe = size > 0
                && read_only.iter().any(|segment| segment.contains(&range))
                && !relro.iter().any(|r| r.overlaps(&range));
            safe.then_some(range)
        })
        .collect()
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
unsafe extern "C" fn collect(info: *mut libc::dl_phdr_info, _size: usize, visit: *mut libc::c_void) -> libc::c_int {
    // SAFETY (whole function): the loader passes a valid `dl_phdr_info` whose program
    // headers and dynamic section are mapped for as long as the object is loaded, and
    // it holds the loader's lock during the callback, so none is unloaded meanwhile
    // (which is why the pages are released here, not after the walk).
    let info = unsafe { &*info };
    let visit = unsafe { &mut *visit.cast::<Visit>() };
    if info.dlpi_phdr.is_null() || info.dlpi_phnum == 0 {
        return 0;
    }
    let base = info.dlpi_addr as usize;
    let headers = unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) };
    let segments: Vec<Segment> = headers
        .iter()
        .map(|h| {
            let start = base.wrapping_add(h.p_vaddr as usize);
            Segment {
                kind: h.p_type,
                writable: h.p_flags & libc::PF_W != 0,
                range: Range { start, end: start.wrapping_add(h.p_memsz as usize) },
            }
        })
        .collect();
    let Some(dynamic) = segments.iter().find(|s| s.kind == libc::PT_DYNAMIC) else { return 0 };
    let count = (dynamic.range.end - dynamic.range.start) / std::mem::size_of::<[u64; 2]>();
    if dynamic.range.start == 0 || count == 0 {
        return 0;
    }
    // Elf64_Dyn: a signed tag and a value, each 8 bytes.
    let entries = unsafe { std::slice::from_raw_parts(dynamic.range.start as *const [u64; 2], count) };
    let dynamic: Vec<(i64, u64)> = entries.iter().map(|&[tag, value]| (tag as i64, value)).collect();
    for table in dead_tables(base, &segments, &dynamic) {
        if visit.release {
            visit.released += release(table);
        }
        visit.tables.push(table);
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: usize = 0x7f00_0000_0000;

    fn segment(kind: u32, writable: bool, start: usize, end: usize) -> Segment {
        Segment { kind, writable, range: Range { start: BASE + start, end: BASE + end } }
    }

    fn layout() -> Vec<Segment> {
        vec![
            segment(libc::PT_LOAD, false, 0, 0x80_000), // headers, symbols, relocations
            segment(libc::PT_LOAD, false, 0x80_000, 0x200_000), // code (read, execute)
            segment(libc::PT_LOAD, true, 0x200_000, 0x260_000), // data
            segment(libc::PT_GNU_RELRO, false, 0x200_000, 0x240_000),
        ]
    }

    #[test]
    fn a_table_in_a_read_only_segment_is_dead_biased_or_not() {
        let unbiased = dead_tables(BASE, &layout(), &[(DT_RELA, 0x1000), (DT_RELASZ, 0x30_000), (DT_NULL, 0)]);
        let biased =
            dead_tables(BASE, &layout(), &[(DT_RELA, (BASE + 0x1000) as u64), (DT_RELASZ, 0x30_000), (DT_NULL, 0)]);
        let expected = vec![Range { start: BASE + 0x1000, end: BASE + 0x31_000 }];
        assert_eq!(unbiased, expected);
        assert_eq!(biased, expected);
    }

    #[test]
    fn tables_in_writable_or_relro_memory_or_with_text_relocations_are_kept() {
        // In the writable data segment.
        assert!(dead_tables(BASE, &layout(), &[(DT_RELA, 0x250_000), (DT_RELASZ, 0x1000)]).is_empty());
        // Read-only, but RELRO: pointers relocated, then protected.
        let relro =
            vec![segment(libc::PT_LOAD, false, 0, 0x80_000), segment(libc::PT_GNU_RELRO, false, 0x40_000, 0x50_000)];
        assert!(dead_tables(BASE, &relro, &[(DT_RELA, 0x3f_000), (DT_RELASZ, 0x2000)]).is_empty());
        // Running past the segment's end.
        assert!(dead_tables(BASE, &layout(), &[(DT_RELA, 0x7f_000), (DT_RELASZ, 0x2000)]).is_empty());
        // Text relocations, either way of saying it: read-only segments were written.
        let table = [(DT_RELA, 0x1000), (DT_RELASZ, 0x1000)];
        assert!(dead_tables(BASE, &layout(), &[table[0], table[1], (DT_TEXTREL, 0)]).is_empty());
        assert!(dead_tables(BASE, &layout(), &[(DT_FLAGS, DF_TEXTREL), table[0], table[1]]).is_empty());
        // No size, or an empty table.
        assert!(dead_tables(BASE, &layout(), &[(DT_RELA, 0x1000)]).is_empty());
        assert!(dead_tables(BASE, &layout(), &[(DT_RELA, 0x1000), (DT_RELASZ, 0)]).is_empty());
    }

    #[test]
    fn all_three_table_kinds_and_nothing_after_the_end_marker() {
        let dynamic = [
            (DT_REL, 0x1000),
            (DT_RELSZ, 0x100),
            (DT_RELR, 0x2000),
            (DT_RELRSZ, 0x100),
            (DT_NULL, 0),
            (DT_RELA, 0x3000),
            (DT_RELASZ, 0x100),
        ];
        let tables = dead_tables(BASE, &layout(), &dynamic);
        assert_eq!(
            tables,
            vec![
                Range { start: BASE + 0x1000, end: BASE + 0x1100 },
                Range { start: BASE + 0x2000, end: BASE + 0x2100 }
            ]
        );
    }

    #[test]
    fn only_whole_pages_inside_a_range_are_released() {
        assert_eq!(Range { start: 0x1800, end: 0x5800 }.whole_pages(0x1000), Some((0x2000, 0x3000)));
        assert_eq!(Range { start: 0x1800, end: 0x2800 }.whole_pages(0x1000), None);
        assert_eq!(Range { start: 0x1000, end: 0x2000 }.whole_pages(0x1000), Some((0x1000, 0x1000)));
    }

    /// Resident bytes of this process's file-backed mappings that hold relocation
    /// tables, read from /proc/self/smaps.
    #[cfg(target_os = "linux")]
    fn resident_in(ranges: &[Range]) -> usize {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut total = 0;
        let mut current: Option<Range> = None;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if let Some((start, end)) = first.split_once('-').filter(|_| !line.ends_with(" kB")) {
                if let (Ok(start), Ok(end)) = (usize::from_str_radix(start, 16), usize::from_str_radix(end, 16)) {
                    current = Some(Range { start, end });
                    continue;
                }
            }
            if let (Some(mapping), Some(kb)) = (current, line.strip_prefix("Rss:")) {
                if ranges.iter().any(|r| mapping.overlaps(r)) {
                    total += kb.trim().trim_end_matches("kB").trim().parse::<usize>().unwrap_or(0) * 1024;
                }
            }
        }
        total
    }

    /// In this test process, with WebKitGTK loaded as the app has it (the test binary
    /// itself, without the app's `main`, links few libraries): the tables are found,
    /// released, and the libraries keep working.
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    #[test]
    fn the_loaded_libraries_tables_are_released_and_the_libraries_still_work() {
        // SAFETY: loading a system library runs its initialisers, as linking it does.
        let webkit = unsafe { libc::dlopen(c"libwebkit2gtk-4.1.so.0".as_ptr(), libc::RTLD_NOW) };
        assert!(!webkit.is_null(), "WebKitGTK 4.1 is not installed (cargo xtask installs it)");
        let mut visit = Visit::default();
        // SAFETY: as in `release_relocation_tables`.
        unsafe { libc::dl_iterate_phdr(Some(collect), (&mut visit as *mut Visit).cast()) };
        let tables = visit.tables;
        let listed: usize = tables.iter().map(|r| r.end - r.start).sum();
        assert!(listed > 1 << 20, "expected megabytes of relocation tables, found {listed} bytes");
        // Fault every page back in first, so the drop is seen whatever the kernel did.
        for range in &tables {
            for address in (range.start..range.end).step_by(4096) {
                // SAFETY: inside a mapped, readable segment (checked by `dead_tables`).
                unsafe { std::ptr::read_volatile(address as *const u8) };
            }
        }
        let before = resident_in(&tables);
        let released = release_relocation_tables();
        let after = resident_in(&tables);
        assert!(released > listed / 2, "released {released} of {listed} bytes");
        assert!(
            before.saturating_sub(after) >= released / 2,
            "resident before {before}, after {after}, released {released}"
        );
        // Libraries whose tables were dropped still work: GLib's allocator and strings,
        // and the pages read back from the files hold what they held.
        // SAFETY: g_strdup returns a NUL-terminated copy that g_free releases.
        let copy = unsafe { glib_sys_strdup(c"still here".as_ptr()) };
        assert_eq!(unsafe { std::ffi::CStr::from_ptr(copy) }.to_str(), Ok("still here"));
        unsafe { glib_sys_free(copy.cast()) };
        // And WebKit's: its version, through a symbol the loader resolves now.
        // SAFETY: a symbol of the library loaded above, with its C signature.
        let version = unsafe { libc::dlsym(webkit, c"webkit_get_major_version".as_ptr()) };
        assert!(!version.is_null());
        let version: extern "C" fn() -> u32 = unsafe { std::mem::transmute(version) };
        assert_eq!(version(), 2);
        for range in &tables {
            // SAFETY: as above.
            unsafe { std::ptr::read_volatile(range.start as *const u8) };
        }
    }

    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    unsafe extern "C" {
        #[link_name = "g_strdup"]
        fn glib_sys_strdup(text: *const libc::c_char) -> *mut libc::c_char;
        #[link_name = "g_free"]
        fn glib_sys_free(memory: *mut libc::c_void);
    }
}
