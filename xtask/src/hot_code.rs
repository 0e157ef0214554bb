//! `cargo xtask hot-code`: finds the functions the running daemon executes and writes
//! them into `src/hot-code.ld`, the linker script that lays them together at the front
//! of the release binary's code (`build.rs` passes it to the linker).
//!
//! Why: the daemon pays for its code in memory. A touched code page is mapped with up
//! to 64 KB of its neighbours (the kernel's fault-around), and the functions a steady
//! daemon runs (about 1.7 MB of them) lie spread over most of the 10 MB of text: some
//! 5 MB of code resident at 500 checks. Laid together they cost little more than their
//! size (2.5 MB resident).
//!
//! How: the release daemon runs a mixed load (http, tcp, command, system, process, file
//! and self checks; some failing; the API read by the CLI) under Valgrind's callgrind,
//! instrumented only once it has settled, so start-up and shutdown are left out. Every
//! function of the binary that ran in the window is written as a section pattern whose
//! build hashes are wildcards: the hashes move with the build (a crate's features, its
//! path, `cargo bench` rather than `cargo build`), the names do not. The names are Rust's
//! v0 mangling (`.cargo/config.toml`), which spells out a generic function's type
//! arguments, so a pattern names one instance; a legacy name would name them all. A
//! pattern that matches nothing costs nothing, so the script stays valid as the code
//! changes; run this again when the hot paths have.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the settled daemon is watched.
const WINDOW: Duration = Duration::from_secs(60);

/// Where the script is, from the project's root.
pub const SCRIPT: &str = "src/hot-code.ld";

/// Builds the daemon, watches it, writes the script; returns what it wrote.
pub fn write(root: &Path, binary: &Path) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("watchkeeper-hot-code-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let target = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot bind a loopback target: {e}"))?;
    let address = target.local_addr().map_err(|e| e.to_string())?;
    std::thread::spawn(move || serve(target));
    let closed = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?;
    let loads = [
        ("every local kind, some failing", mixed(address, closed, &dir), "info"),
        // As the comparison with Monit runs it: many http checks, quiet.
        ("500 http checks", http(address, 500), "error,watchkeeper::daemon=info"),
    ];
    let mut names = std::collections::BTreeSet::new();
    for (i, (name, config, log)) in loads.iter().enumerate() {
        println!("\n== load {}: {name}", i + 1);
        let run = dir.join(format!("load-{i}"));
        let ran = std::fs::create_dir_all(&run)
            .map_err(|e| format!("cannot create {}: {e}", run.display()))
            .and_then(|()| watch(binary, &run, config, log));
        match ran {
            Ok(ran) => names.extend(ran),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let names: Vec<String> = names.into_iter().collect();
    let script = script(&names);
    let path = root.join(SCRIPT);
    std::fs::write(&path, &script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(format!("{} functions ran; {} patterns written to {SCRIPT}", names.len(), patterns(&names).len()))
}

/// The names of the binary's functions that ran while the settled daemon was watched,
/// running `config` and logging at `filter`.
fn watch(binary: &Path, dir: &Path, config: &str, filter: &str) -> Result<Vec<String>, String> {
    let config_path = dir.join("watchkeeper.toml");
    std::fs::write(&config_path, config).map_err(|e| format!("cannot write the config: {e}"))?;
    let config = config_path;
    let log = dir.join("daemon.log");
    let out = dir.join("callgrind.out");
    let data = dir.join("data");
    let mut daemon = Command::new("valgrind")
        // Names in full on every line: a dump's compressed names can refer to ones an
        // earlier dump defined.
        .args(["--tool=callgrind", "--demangle=no", "--compress-strings=no", "--instr-atstart=no"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(binary)
        .args(["run", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .env("WATCHKEEPER_LOG", filter)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    let outcome = watch_running(&mut daemon, binary, &config, &data, &log, &out);
    let _ = daemon.kill();
    let _ = daemon.wait();
    outcome
}

fn watch_running(
    daemon: &mut Child,
    binary: &Path,
    config: &Path,
    data: &Path,
    log: &Path,
    out: &Path,
) -> Result<Vec<String>, String> {
    println!("waiting for the daemon to settle under callgrind (a minute or two)");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if std::fs::read_to_string(log).is_ok_and(|text| text.contains("memory settled")) {
            break;
        }
        if let Ok(Some(status)) = daemon.try_wait() {
            return Err(format!("the daemon stopped ({status}) before it settled; its log: {}", tail(log)));
        }
        if Instant::now() > deadline {
            return Err(format!("the daemon did not settle within 5 minutes; its log: {}", tail(log)));
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let pid = daemon.id().to_string();
    callgrind_control(&["-i", "on", &pid])?;
    println!("watching the settled daemon for {} s", WINDOW.as_secs());
    let started = Instant::now();
    let mut reads = 0;
    while started.elapsed() < WINDOW {
        std::thread::sleep(Duration::from_secs(5));
        // What the tray and the dashboard ask, through the CLI's client.
        for args in [&["status"][..], &["history", "http-0"][..]] {
            let read = Command::new(binary)
                .args(args)
                .arg("--config")
                .arg(config)
                .arg("--data-dir")
                .arg(data)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            reads += usize::from(read.is_ok_and(|s| s.success()));
        }
    }
    if reads == 0 {
        return Err("no read of the daemon's API succeeded: the window left the API out".to_owned());
    }
    callgrind_control(&["-d", &pid])?;
    let dump = PathBuf::from(format!("{}.1", out.display()));
    // Written when its size holds for a second.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut size = None;
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(1));
        let now = std::fs::metadata(&dump).ok().map(|m| m.len()).filter(|&len| len > 0);
        if now.is_some() && now == size {
            break;
        }
        size = now;
    }
    let text = std::fs::read_to_string(&dump).map_err(|e| format!("no callgrind dump at {}: {e}", dump.display()))?;
    let object = binary.file_name().and_then(|n| n.to_str()).unwrap_or("watchkeeper");
    let names = ran(&text, object);
    if names.len() < 200 {
        return Err(format!(
            "only {} functions ran in the window ({} bytes of dump): the load did not run; the daemon's log: {}",
            names.len(),
            text.len(),
            tail(log)
        ));
    }
    Ok(names)
}

fn callgrind_control(args: &[&str]) -> Result<(), String> {
    let status = Command::new("callgrind_control").args(args).stdout(Stdio::null()).status();
    match status {
        Ok(status) if status.success() => Ok(()),
        other => Err(format!("`callgrind_control {}` failed: {other:?}", args.join(" "))),
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n")
}

/// `n` http checks of `target`, each every second.
fn http(target: std::net::SocketAddr, n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "[[check]]\nid = \"http-{i}\"\nkind = \"http\"\nurl = \"http://{target}/health/{i}\"\ninterval = \"1s\"\nexpect = [\"status == 200\"]\n\n"
            )
        })
        .collect()
}

/// Every local kind, a few failing, at a daemon's usual pace.
fn mixed(target: std::net::SocketAddr, closed: std::net::SocketAddr, dir: &Path) -> String {
    let mut config = http(target, 40);
    for i in 0..8 {
        config.push_str(&format!(
            "[[check]]\nid = \"tcp-{i}\"\nkind = \"tcp\"\nhost = \"{}\"\nport = {}\ninterval = \"1s\"\n\n",
            target.ip(),
            target.port()
        ));
    }
    for i in 0..2 {
        config.push_str(&format!(
            "[[check]]\nid = \"down-{i}\"\nkind = \"tcp\"\nhost = \"{}\"\nport = {}\ninterval = \"2s\"\n\n",
            closed.ip(),
            closed.port()
        ));
    }
    for i in 0..4 {
        config.push_str(&format!(
            "[[check]]\nid = \"command-{i}\"\nkind = \"command\"\ncommand = [\"true\"]\ninterval = \"2s\"\n\n"
        ));
    }
    for metric in ["cpu", "memory", "disk", "load1"] {
        config.push_str(&format!(
            "[[check]]\nid = \"system-{metric}\"\nkind = \"system\"\nmetric = \"{metric}\"\ninterval = \"5s\"\n\n"
        ));
    }
    config.push_str("[[check]]\nid = \"init\"\nkind = \"process\"\ncmdline = \"valgrind\"\ninterval = \"5s\"\n\n");
    config.push_str(&format!(
        "[[check]]\nid = \"work-dir\"\nkind = \"file\"\npath = \"{}\"\ninterval = \"5s\"\n\n",
        dir.display()
    ));
    config.push_str("[[check]]\nid = \"itself\"\nkind = \"self\"\ninterval = \"5s\"\n");
    config
}

/// A keep-alive HTTP target: every request gets a small health body.
fn serve(listener: TcpListener) {
    for stream in listener.incoming().flatten() {
        std::thread::spawn(move || answer(stream));
    }
}

fn answer(stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        // The request's head, to its empty line; the checks send no body.
        let mut seen = false;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" || line == "\n" => break,
                Ok(_) => seen = true,
            }
        }
        if !seen {
            continue;
        }
        let body = "{\"status\":\"UP\"}";
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len());
        if writer.write_all(head.as_bytes()).and_then(|()| writer.write_all(body.as_bytes())).is_err() {
            return;
        }
    }
}

/// The functions of `object` with a cost in a callgrind dump (`--demangle=no`): its
/// `fn=` entries while `ob=` names that object (names in full, or given once and then
/// by number).
pub fn ran(dump: &str, object: &str) -> Vec<String> {
    let mut objects = std::collections::HashMap::new();
    let mut functions = std::collections::HashMap::new();
    let mut current = false;
    let mut names = std::collections::BTreeSet::new();
    for line in dump.lines() {
        if let Some(rest) = line.strip_prefix("ob=") {
            let name = named(rest, &mut objects);
            current = name.is_some_and(|n| Path::new(&n).file_name().and_then(|f| f.to_str()) == Some(object));
        } else if let Some(rest) = line.strip_prefix("cob=") {
            named(rest, &mut objects);
        } else if let Some(rest) = line.strip_prefix("cfn=") {
            named(rest, &mut functions);
        } else if let Some(rest) = line.strip_prefix("fn=") {
            if let Some(name) = named(rest, &mut functions) {
                if current {
                    names.insert(name);
                }
            }
        }
    }
    names.into_iter().collect()
}

/// `(12) name` defines name 12; `(12)` refers to it; a bare name is itself.
fn named(text: &str, table: &mut std::collections::HashMap<String, String>) -> Option<String> {
    let Some(rest) = text.strip_prefix('(') else { return Some(text.to_owned()) };
    let (id, name) = rest.split_once(')')?;
    let name = name.trim_start();
    if name.is_empty() {
        table.get(id).cloned()
    } else {
        table.insert(id.to_owned(), name.to_owned());
        Some(name.to_owned())
    }
}

/// A function's section pattern: its build hashes made wildcards (`17h<16 hex>E` of
/// the legacy mangling, `Cs<base 62>_` crate disambiguators of v0), the suffixes that
/// compilers and callgrind add (`.llvm.N`, `.constprop.N`, `'2`) a trailing wildcard.
/// None for what is not a plain symbol name.
pub fn pattern(name: &str) -> Option<String> {
    let name = match name.rsplit_once('\'') {
        Some((base, n)) if n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => name,
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_$.".contains(&b)) {
        return None;
    }
    // `foo.llvm.123`, `foo.constprop.0`, `foo.part.1`, `foo.1741`: the name is `foo`
    // (a legacy name holds `..` of its own: it ends at its hash).
    let end = if name.starts_with("_ZN") { legacy_end(name) } else { name.find('.').filter(|&at| at > 0) };
    let (base, suffixed) = match end {
        Some(end) if end < name.len() => (&name[..end], true),
        _ => (name, false),
    };
    // A legacy hash ends the name: the build's; the path before it names the function.
    let (stem, hashed) = match base.len().checked_sub(20) {
        Some(at) if is_legacy_hash(&base.as_bytes()[at..]) => (&base[..at], true),
        _ => (base, false),
    };
    let mut out = if stem.starts_with("_R") { without_disambiguators(stem) } else { stem.to_owned() };
    if hashed {
        out.push_str("17h*E");
    }
    if suffixed {
        out.push('*');
    }
    Some(format!(".text.{out}"))
}

/// A v0 name with each crate disambiguator (`Cs`, base 62, `_`) a wildcard.
fn without_disambiguators(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find("Cs") {
        let after = &rest[at + 2..];
        match after.find('_') {
            Some(len) if len > 0 && after[..len].bytes().all(|b| b.is_ascii_alphanumeric()) => {
                out.push_str(&rest[..at]);
                out.push_str("Cs*_");
                rest = &after[len + 1..];
            }
            _ => {
                out.push_str(&rest[..at + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where a legacy name's last `17h<16 hex>E` ends.
fn legacy_end(name: &str) -> Option<usize> {
    let bytes = name.as_bytes();
    (20..=bytes.len()).rev().find(|&end| is_legacy_hash(&bytes[end - 20..end]))
}

/// Whether 20 bytes are a legacy hash, `17h<16 hex>E`.
fn is_legacy_hash(bytes: &[u8]) -> bool {
    bytes.len() == 20
        && bytes.starts_with(b"17h")
        && bytes[19] == b'E'
        && bytes[3..19].iter().all(u8::is_ascii_hexdigit)
}

/// The patterns of `names`, sorted, each once.
fn patterns(names: &[String]) -> Vec<String> {
    let set: std::collections::BTreeSet<String> = names.iter().filter_map(|n| pattern(n)).collect();
    set.into_iter().collect()
}

/// The linker script for `names`.
pub fn script(names: &[String]) -> String {
    let mut out = String::from(
        "/* The functions the settled daemon runs, laid together at the front of its code:\n   \
         `cargo xtask hot-code` writes this file (see xtask/src/hot_code.rs); build.rs\n   \
         gives it to the linker for the release `watchkeeper` binary. Do not edit. */\n\
         SECTIONS\n{\n  .text :\n  {\n",
    );
    for pattern in patterns(names) {
        out.push_str(&format!("    *({pattern})\n"));
    }
    // Then the rest as the default layouts put it; one `.text` still, as tools that read
    // the binary (Valgrind among them) expect.
    out.push_str(
        "    *(.text.unlikely .text.*_unlikely .text.unlikely.*)\n    *(.text.exit .text.exit.*)\n    \
         *(.text.startup .text.startup.*)\n    *(.text.hot .text.hot.*)\n    *(.text .stub .text.*)\n  }\n}\n\
         INSERT BEFORE .init;\n",
    );
    out
}

/// The patterns of a written script (its `*(…)` lines), for checks of its form.
#[cfg(test)]
fn read_patterns(script: &str) -> Vec<&str> {
    script.lines().filter_map(|l| l.trim().strip_prefix("*(")?.strip_suffix(')')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_become_wildcards_and_names_stay() {
        assert_eq!(
            pattern("_ZN11watchkeeper5clock10read_clock17hb6af0a030d6c5ed1E").as_deref(),
            Some(".text._ZN11watchkeeper5clock10read_clock17h*E")
        );
        assert_eq!(
            pattern("_RNvMs5_NtNtCsjrHSEGnQ3l9_3std2io5errorNtB5_5Error4kind.1741").as_deref(),
            Some(".text._RNvMs5_NtNtCs*_3std2io5errorNtB5_5Error4kind*")
        );
        assert_eq!(pattern("sqlite3VdbeExec").as_deref(), Some(".text.sqlite3VdbeExec"));
        assert_eq!(pattern("yy_reduce.constprop.0'2").as_deref(), Some(".text.yy_reduce*"));
        assert_eq!(
            pattern("_ZN4core3fmt5write17h0123456789abcdefE.llvm.42").as_deref(),
            Some(".text._ZN4core3fmt5write17h*E*")
        );
        assert_eq!(
            pattern("_ZN5hyper5proto2h14conn13Conn$LT$I$C$B$GT$4poll17h0123456789abcdefE").as_deref(),
            Some(".text._ZN5hyper5proto2h14conn13Conn$LT$I$C$B$GT$4poll17h*E")
        );
        // Not a symbol: nothing a linker script could misread.
        assert_eq!(pattern("0x000000000c9b30 (in /x)"), None);
        assert_eq!(pattern("foo(bar)"), None);
    }

    #[test]
    fn a_dump_gives_the_functions_of_one_object() {
        let dump =
            "ob=(1) /tmp/w/watchkeeper\nfn=(1) alpha\n0 3\ncob=(2) /lib/libc.so.6\ncfn=(2) memcpy\ncalls=1 0\n0 1\n\
                    ob=(2)\nfn=(2)\n0 5\nob=(1)\nfn=(3) beta\n0 1\nfn=(1)\n0 2\n";
        assert_eq!(ran(dump, "watchkeeper"), ["alpha", "beta"]);
    }

    /// The committed script is what the generator writes: patterns it could have made,
    /// sorted and unique, then the catch-all, so that a hand edit or a broken generator
    /// cannot reach the linker.
    #[test]
    fn the_committed_script_is_well_formed() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(SCRIPT);
        let script = std::fs::read_to_string(&path).expect("src/hot-code.ld is committed");
        let patterns = read_patterns(&script);
        let (hot, rest) = patterns.split_at(patterns.len() - 5);
        assert!(hot.len() > 500, "only {} hot patterns", hot.len());
        assert!(hot.windows(2).all(|w| w[0] < w[1]), "patterns sorted and unique");
        for pattern in hot {
            let name = pattern.strip_prefix(".text.").expect("a function's section");
            assert!(
                name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_$.*".contains(&b)),
                "not a section pattern: {pattern}"
            );
        }
        assert_eq!(rest.last(), Some(&".text .stub .text.*"));
        assert!(script.contains("SECTIONS\n{\n  .text :\n"));
        assert!(script.ends_with("INSERT BEFORE .init;\n"));
    }

    #[test]
    fn the_script_lists_each_pattern_once() {
        let names = ["a17h0123456789abcdefE", "a17hfedcba9876543210E", "b"].map(str::to_owned);
        let script = script(&names);
        let patterns = read_patterns(&script);
        assert_eq!(patterns[..2], [".text.a17h*E", ".text.b"]);
        assert_eq!(patterns.last(), Some(&".text .stub .text.*"));
        assert!(script.ends_with("INSERT BEFORE .init;\n"));
    }
}
