//! `cargo xtask`: the project's two commands and their helpers, in Rust instead of
//! shell scripts.
//!
//! - `cargo xtask run [--dev] [ARGS]`: set up what is missing, build, run Watchkeeper:
//!   the tray app where there is a display, else the headless daemon (`--dev`: a
//!   debug build, quicker to compile).
//! - `cargo xtask test`: set up, then format check, clippy and every test.
//! - `cargo xtask bench [ARGS]`: set up, then the daemon load benchmark;
//!   `cargo xtask bench recovery`: the cleanup rate on 100,000 files and the time to a
//!   verified self-heal;
//!   `cargo xtask bench kinds`: the CPU of one probe of each kind, beside http's;
//!   `cargo xtask bench alerts`: a storm of 50 failures' notifications per channel, and
//!   the time from a failure to its webhook delivery (p50, p99);
//!   `cargo xtask bench dashboard`: the dashboard with 1,000 checks in Chromium;
//!   `cargo xtask bench desktop`: the tray app's idle footprint (PSS and CPU of its
//!   process tree, window closed) and its failure-to-notification time.
//! - `cargo xtask bundle [--debug] [deb] [appimage]`: the tray app's packages, by
//!   Tauri's bundler, under `target/package/release/bundle/` (`--debug`: from the
//!   debug build, under `target/package/debug/`).
//! - `cargo xtask ui`: build the dashboard only.
//! - `cargo xtask icons`: draw the app and tray icons into `icons/`.
//! - `cargo xtask hot-code`: watch the release daemon under callgrind and write
//!   `src/hot-code.ld`, the functions it runs, laid together by the linker.
//!
//! Set-up is a table of requirements, each with how to detect it and the Debian
//! packages that provide it: add a row when the project needs something new.
//! Dependencies: std only, so this builds in seconds.

mod hot_code;
mod icons;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::SystemTime;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((task, rest)) => (task.as_str(), rest),
        None => ("help", &[][..]),
    };
    let outcome = match task {
        "run" => run(rest),
        "test" => test(),
        "bench" => bench(rest),
        "fuzz" => fuzz(rest),
        "hot-code" => hot_code(),
        "bundle" => bundle(rest),
        "ui" => setup(Purpose::Ui).and_then(|()| build_ui()),
        "icons" => icons::write_all(&root().join("icons"))
            .map(|names| println!("wrote {} icons to icons/: {}", names.len(), names.join(", ")))
            .map_err(|e| format!("cannot write the icons: {e}")),
        "help" | "--help" | "-h" => {
            println!("usage: cargo xtask <run [ARGS]|test|bench [--vs monit|desktop|dashboard|alerts|kinds|recovery]|fuzz [--cases N]|bundle [--debug] [deb] [appimage]|ui|icons|hot-code>");
            Ok(())
        }
        other => {
            Err(format!("unknown task `{other}`; the tasks are run, test, bench, fuzz, bundle, ui, icons and hot-code"))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Where cargo builds: `CARGO_TARGET_DIR` when set, else `target/`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let (dev, args) = match args.split_first() {
        Some((first, rest)) if first == "--dev" => (true, rest),
        _ => (false, args),
    };
    // `cargo xtask run -- --config C`: the separator is cargo's habit, not an argument.
    let args = args.strip_prefix(&["--".to_owned()]).unwrap_or(args);
    // The one place that picks what `run` starts: the tray app when there is a display
    // to show it on, else the headless daemon (which prints where its dashboard is).
    let desktop = has_display();
    setup(if desktop { Purpose::Desktop } else { Purpose::Run })?;
    build_ui()?;
    let what =
        if desktop { "run the tray app (a display is available)" } else { "run the headless daemon (no display)" };
    if dev {
        // The debug build `cargo xtask test` makes, with the same features (a package
        // built alone resolves its dependencies' features otherwise, and would rebuild
        // some 120 crates and replace the binary the tests use).
        step("build (debug, as the tests do)", "cargo", DEV_BUILD)?;
        let binary = target_dir().join("debug").join(if desktop { "watchkeeper-desktop" } else { "watchkeeper" });
        let mut command = Command::new(binary);
        if !desktop {
            command.arg("run");
        }
        command.args(args).current_dir(root());
        return run_command(what, command);
    }
    let mut command = vec!["run", "--locked"];
    // The tray app builds for size (see `[profile.desktop]`), the daemon for speed.
    command.extend(if desktop { ["--profile", "desktop"] } else { ["--profile", "release"] });
    if desktop {
        command.extend(["-p", "watchkeeper-desktop", "--"]);
    } else {
        command.extend(["--bin", "watchkeeper", "--", "run"]);
    }
    command.extend(args.iter().map(String::as_str));
    step(what, "cargo", &command)
}

/// The debug build of every binary and test: the features `cargo test --workspace`
/// resolves, so it reuses this build, and these binaries are the ones the end-to-end
/// tests and `run --dev` start.
const DEV_BUILD: &[&str] = &["build", "--locked", "--workspace", "--exclude", "xtask", "--bins", "--tests"];

/// A display to open windows on: X11 or Wayland.
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

fn test() -> Result<(), String> {
    setup(Purpose::Test)?;
    build_ui()?;
    step("format", "cargo", &["fmt", "--all", "--", "--check"])
        .map_err(|e| format!("{e}\n  fix: run `cargo fmt --all`"))?;
    step("clippy", "cargo", &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])?;
    // The end-to-end tests start the binaries; `cargo test` builds only the desktop
    // app's test harness.
    step("build the binaries", "cargo", DEV_BUILD)?;
    let mut total = Tally::default();
    let mut failures = Vec::new();
    // The .deb the package test installs: made from these binaries, as `bundle` makes
    // it. Should the bundler fail, the other tests still run (the package test then
    // skips, saying why) and the run fails.
    let deb = make_bundle(Profile::Debug, "deb").map_err(|e| failures.push(e)).ok();
    // Ignored tests carry their reason; they still run here, where they can.
    let mut rust = Command::new("cargo");
    rust.args(["test", "--workspace", "--locked", "--", "--include-ignored"]).current_dir(root());
    // The UI's unit tests (Vitest), then end to end: the dashboard in Chromium against
    // the daemon, and the desktop app under Xvfb, both as `cargo test` built them.
    let mut unit = Command::new("npm");
    unit.args(["test", "--silent"]).current_dir(root().join("ui"));
    let mut browser = Command::new("npm");
    browser
        .args(["run", "--silent", "e2e"])
        .current_dir(root().join("ui"))
        .env("WATCHKEEPER_BIN", target_dir().join("debug/watchkeeper"))
        .env("WATCHKEEPER_DESKTOP_BIN", target_dir().join("debug/watchkeeper-desktop"));
    if let Some(deb) = deb {
        browser.env("WATCHKEEPER_DEB", deb);
    }
    let runners: [(&str, Command, Counter); 3] = [
        ("rust tests", rust, tally),
        ("ui unit tests", unit, tally_vitest),
        ("browser end-to-end", browser, tally_node),
    ];
    for (name, command, count) in runners {
        let (tally, outcome) = run_counting(name, command, count);
        println!("{name}: {} passed, {} failed", tally.passed, tally.failed);
        total.passed += tally.passed;
        total.failed += tally.failed;
        if let Err(e) = outcome {
            failures.push(e);
        } else if tally.passed == 0 {
            failures.push(format!("{name}: no test ran"));
        }
    }
    // One closing line for every runner above: CI reads it.
    println!("\ntests: {} passed, {} failed", total.passed, total.failed);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// The formats `bundle` makes, as Tauri's bundler names them.
const BUNDLES: &[&str] = &["deb", "appimage"];

#[derive(Clone, Copy)]
enum Profile {
    Debug,
    Release,
}

/// `cargo xtask bundle [--debug] [deb] [appimage]`: the tray app's packages, made by
/// Tauri's bundler (tauri.conf.json's `bundle`) from the release build, or with
/// `--debug` from the debug build the tests use. Each format is made on its own, so one
/// that cannot be made does not cost the others.
fn bundle(args: &[String]) -> Result<(), String> {
    let mut profile = Profile::Release;
    let mut formats = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--debug" => profile = Profile::Debug,
            format if BUNDLES.contains(&format) => formats.push(format),
            other => {
                return Err(format!(
                    "unknown argument `{other}`\n  usage: cargo xtask bundle [--debug] [{}]",
                    BUNDLES.join("] [")
                ))
            }
        }
    }
    if formats.is_empty() {
        formats = BUNDLES.to_vec();
    }
    setup(Purpose::Bundle)?;
    build_ui()?;
    match profile {
        Profile::Debug => step("build (debug, as the tests do)", "cargo", DEV_BUILD)?,
        // Each as `run` builds it: the daemon alone, so its features are its own.
        Profile::Release => {
            step("build the CLI and daemon", "cargo", &["build", "--release", "--locked", "--bin", "watchkeeper"])?;
            step("build the tray app", "cargo", &["build", "--release", "--locked", "-p", "watchkeeper-desktop"])?;
        }
    }
    let mut made = Vec::new();
    let mut failed = Vec::new();
    for format in formats {
        match make_bundle(profile, format) {
            Ok(path) => made.push(path),
            Err(e) => failed.push(e),
        }
    }
    for path in &made {
        println!("made {}", path.display());
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("\n"))
    }
}

/// One package, by Tauri's bundler from the binaries already built: its path.
fn make_bundle(profile: Profile, format: &str) -> Result<PathBuf, String> {
    // The debug build's keep their symbols (a backtrace stays readable); the release
    // package's are stripped as Debian's are.
    let (dir, flag, strip) = match profile {
        Profile::Debug => ("debug", Some("--debug"), "--strip-debug"),
        Profile::Release => ("release", None, "--strip-unneeded"),
    };
    // The bundler takes the binaries from a target dir of their own: stripped copies,
    // so the build's stay whole (`hot-code` and debuggers read them) and the package is
    // a fraction of their size.
    let staging = target_dir().join("package");
    let staged = staging.join(dir);
    std::fs::create_dir_all(&staged).map_err(|e| format!("cannot make {}: {e}", staged.display()))?;
    for name in ["watchkeeper", "watchkeeper-desktop"] {
        let (from, to) = (target_dir().join(dir).join(name), staged.join(name));
        let (from, to) = (from.to_string_lossy(), to.to_string_lossy());
        step(&format!("strip a copy of {name}"), "strip", &[strip, "-o", &to, &from])?;
    }
    // The `watchkeeper` CLI goes on the PATH beside the tray app: a file of each package
    // (merged into tauri.conf.json's `bundle`).
    let cli = json_string(&staged.join("watchkeeper").to_string_lossy());
    let extra = format!(
        r#"{{"bundle":{{"linux":{{"deb":{{"files":{{"/usr/bin/watchkeeper":{cli}}}}},"appimage":{{"files":{{"/usr/bin/watchkeeper":{cli}}}}}}}}}}}"#
    );
    let mut command = Command::new(root().join("ui/node_modules/.bin/tauri"));
    command
        .args(["bundle", "--ci", "--bundles", format, "--config", &extra])
        .args(flag)
        .current_dir(root())
        .env("CARGO_TARGET_DIR", &staging);
    let out = staged.join("bundle").join(format);
    let extension = if format == "appimage" { "AppImage" } else { format };
    let started = SystemTime::now();
    run_command(&format!("bundle the {format}"), command).map_err(|e| match format {
        "appimage" => format!(
            "{e}\n  why: Tauri's AppImage bundler fetches its tools (AppRun, linuxdeploy and its GTK plugin) from github.com on first use, into ~/.cache/tauri\n  fix: run it where github.com is reachable once, set TAURI_BUNDLER_TOOLS_GITHUB_MIRROR to a mirror of it, or copy ~/.cache/tauri from a machine that has them"
        ),
        _ => e,
    })?;
    let newest = std::fs::read_dir(&out)
        .map_err(|e| format!("the bundler wrote no {}: {e}", out.display()))?
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(&format!(".{extension}")))
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .filter(|(modified, _)| *modified >= started)
        .max();
    newest.map(|(_, path)| path).ok_or_else(|| format!("the bundler wrote no .{extension} into {}", out.display()))
}

/// `text` as a JSON string.
fn json_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if (c as u32) < 0x20 => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Writes `src/hot-code.ld` from the release daemon watched under callgrind.
fn hot_code() -> Result<(), String> {
    setup(Purpose::HotCode)?;
    build_ui()?;
    step("build the daemon", "cargo", &["build", "--release", "--locked", "--bin", "watchkeeper"])?;
    let written = hot_code::write(&root(), &target_dir().join("release/watchkeeper"))?;
    println!("\n{written}\nbuild again (`cargo build --release`) to lay them together");
    Ok(())
}

/// The property tests (tests/it/props.rs) run far longer than the suite runs them:
/// `--cases N` each (20,000 by default), optimised. A failing case is shrunk and kept
/// in tests/it/props.txt, which every later run (the suite's too) replays first.
fn fuzz(args: &[String]) -> Result<(), String> {
    let cases = match args {
        [] => 20_000,
        [flag, n] if flag == "--cases" => n.parse().map_err(|_| format!("--cases takes a number, not `{n}`"))?,
        _ => return Err("usage: cargo xtask fuzz [--cases N]".to_owned()),
    };
    let mut command = Command::new("cargo");
    command
        .args(["test", "--release", "--locked", "--test", "it", "props::", "--", "--test-threads", "2"])
        .current_dir(root())
        .env("PROPTEST_CASES", cases.to_string());
    let outcome = run_command("property tests, long", command);
    let kept = root().join("tests/it/props.txt");
    match outcome {
        Ok(()) => {
            println!("fuzz: {cases} cases of each property, none failed");
            Ok(())
        }
        Err(e) if kept.exists() => Err(format!(
            "{e}\n  the failing case is kept in {}: commit it with the fix, every run replays it",
            kept.display()
        )),
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, PartialEq)]
struct Tally {
    passed: u64,
    failed: u64,
}

/// Adds up `test result: ok. N passed; M failed; ...` lines.
fn tally(output: &str) -> Tally {
    let mut tally = Tally::default();
    for line in output.lines().filter(|l| l.starts_with("test result:")) {
        line.split(['.', ';']).for_each(|part| tally.add(part));
    }
    tally
}

impl Tally {
    /// Counts a `N passed` or `N failed` phrase.
    fn add(&mut self, phrase: &str) {
        let mut words = phrase.split_whitespace();
        match (words.next().and_then(|n| n.parse::<u64>().ok()), words.next()) {
            (Some(n), Some("passed")) => self.passed += n,
            (Some(n), Some("failed")) => self.failed += n,
            _ => {}
        }
    }
}

/// Drops terminal colour codes (`ESC [ ... m` and other CSI sequences): runners colour
/// their summaries when they think a person reads them (vitest does under `CI=true`).
fn without_colours(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        if chars.clone().next() == Some('[') {
            chars.next();
            // Parameters and intermediates, then one final byte in @..=~.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

/// Reads a runner's output for its pass and fail counts.
type Counter = fn(&str) -> Tally;

/// Vitest's `Tests  2 failed | 31 passed (33)` line.
fn tally_vitest(output: &str) -> Tally {
    let mut tally = Tally::default();
    for line in output.lines().map(str::trim).filter(|l| l.starts_with("Tests ")) {
        line["Tests ".len()..].split('|').for_each(|part| tally.add(part));
    }
    tally
}

/// `node --test`'s closing `# pass N` and `# fail N` lines.
fn tally_node(output: &str) -> Tally {
    let mut tally = Tally::default();
    for line in output.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next().and_then(|n| n.parse::<u64>().ok())) {
            (Some("#") | Some("ℹ"), Some("pass"), Some(n)) => tally.passed += n,
            (Some("#") | Some("ℹ"), Some("fail"), Some(n)) => tally.failed += n,
            _ => {}
        }
    }
    tally
}

/// Runs a test command, echoing its output as it comes, and tallies its results.
fn run_counting(name: &str, mut command: Command, count: Counter) -> (Tally, Result<(), String>) {
    use std::io::{BufRead as _, BufReader};
    println!("\n== {name}\n$ {}", shown(&command));
    let mut child = match command.stdout(std::process::Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => return (Tally::default(), Err(format!("step `{name}` could not start: {e}"))),
    };
    let mut seen = String::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            seen.push_str(&line);
            seen.push('\n');
        }
    }
    let counted = count(&without_colours(&seen));
    match child.wait() {
        Ok(status) if status.success() => (counted, Ok(())),
        Ok(status) => (counted, Err(format!("step `{name}` failed ({status})"))),
        Err(e) => (counted, Err(format!("step `{name}`: {e}"))),
    }
}

fn shown(command: &Command) -> String {
    std::iter::once(command.get_program().to_string_lossy().into_owned())
        .chain(command.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn bench(args: &[String]) -> Result<(), String> {
    setup(Purpose::Bench)?;
    build_ui()?;
    if args.first().map(String::as_str) == Some("desktop") {
        // The tray app's idle footprint and its failure-to-notification time, as
        // `cargo xtask run` builds it.
        step(
            "build the desktop app",
            "cargo",
            &["build", "--profile", "desktop", "--locked", "-p", "watchkeeper-desktop"],
        )?;
        let mut command = Command::new("node");
        command
            .arg("e2e/bench-desktop.mjs")
            .current_dir(root().join("ui"))
            .env("WATCHKEEPER_DESKTOP_BIN", target_dir().join("desktop/watchkeeper-desktop"));
        return run_command("desktop benchmark", command);
    }
    if args.first().map(String::as_str) == Some("dashboard") {
        // The dashboard with 1,000 checks in Chromium, against a release daemon.
        step("build the daemon", "cargo", &["build", "--release", "--locked", "--bin", "watchkeeper"])?;
        let mut command = Command::new("node");
        command
            .arg("e2e/bench-dashboard.mjs")
            .current_dir(root().join("ui"))
            .env("WATCHKEEPER_BIN", target_dir().join("release/watchkeeper"));
        return run_command("dashboard benchmark", command);
    }
    if args.first().map(String::as_str) == Some("--vs") {
        // The same HTTP checks in Watchkeeper and in Debian's Monit, one at a time.
        return match args.get(1).map(String::as_str) {
            Some("monit") => step("Monit comparison", "cargo", &["bench", "--locked", "--bench", "vs_monit"]),
            other => Err(format!("`bench --vs` compares with `monit`, not {other:?}")),
        };
    }
    if args.first().map(String::as_str) == Some("alerts") {
        // A storm's notifications per channel, and the failure-to-webhook time.
        return step("alerts benchmark", "cargo", &["bench", "--locked", "--bench", "alerts"]);
    }
    if args.first().map(String::as_str) == Some("kinds") {
        // The CPU of one probe of each kind against a loopback target, beside http's.
        return step("probe kinds benchmark", "cargo", &["bench", "--locked", "--bench", "kinds"]);
    }
    if args.first().map(String::as_str) == Some("history") {
        // The writer's rate with rollups, a 30-day chart, 1,000 checks' 90-day uptime,
        // and a simulated year's growth.
        return step("history benchmark", "cargo", &["bench", "--locked", "--bench", "history"]);
    }
    if args.first().map(String::as_str) == Some("recovery") {
        // Cleanup rate on 100,000 files and the time to a verified self-heal.
        return step("recovery benchmark", "cargo", &["bench", "--locked", "--bench", "recovery"]);
    }
    let mut command = vec!["bench", "--locked", "--bench", "daemon_load"];
    if !args.is_empty() {
        command.push("--");
        command.extend(args.iter().map(String::as_str));
    }
    step("benchmark", "cargo", &command)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Run,
    /// `run` with a display: the tray app.
    Desktop,
    Test,
    Bench,
    Ui,
    /// `hot-code`: the daemon under callgrind.
    HotCode,
    /// `bundle`: the .deb and the AppImage.
    Bundle,
}

/// Something the project needs, how to tell it is there, and what provides it.
struct Requirement {
    name: &'static str,
    present: fn() -> Result<(), String>,
    debian: &'static [&'static str],
    /// A command that installs it when it is not a Debian package.
    other: Option<&'static [&'static str]>,
    purposes: &'static [Purpose],
}

const ALL: &[Purpose] =
    &[Purpose::Run, Purpose::Desktop, Purpose::Test, Purpose::Bench, Purpose::Ui, Purpose::HotCode, Purpose::Bundle];
const BUILD: &[Purpose] =
    &[Purpose::Run, Purpose::Desktop, Purpose::Test, Purpose::Bench, Purpose::HotCode, Purpose::Bundle];

/// Vite 6 runs on Node 18, the version Debian 12 ships (`apt-get install nodejs npm`).
const MIN_NODE: (u32, u32) = (18, 0);

const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        name: "a C compiler (for the bundled SQLite)",
        present: || found("cc", &["--version"]),
        debian: &["gcc", "libc6-dev"],
        other: None,
        purposes: BUILD,
    },
    Requirement {
        name: "Node.js 18 or newer (for the dashboard)",
        present: node_recent_enough,
        debian: &["nodejs"],
        other: None,
        purposes: ALL,
    },
    Requirement { name: "npm", present: || found("npm", &["--version"]), debian: &["npm"], other: None, purposes: ALL },
    Requirement {
        name: "Chromium (for the dashboard's end-to-end tests)",
        present: || {
            let path = std::env::var("WATCHKEEPER_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
            found(&path, &["--version"])
        },
        debian: &["chromium"],
        other: None,
        purposes: &[Purpose::Test, Purpose::Bench],
    },
    Requirement {
        name: "the desktop app's libraries (WebKitGTK 4.1, Ayatana AppIndicator, librsvg, libsoup 3, libxdo)",
        present: || debian_installed(DESKTOP_LIBRARIES),
        debian: DESKTOP_LIBRARIES,
        other: None,
        purposes: &[Purpose::Desktop, Purpose::Test, Purpose::Bench, Purpose::Bundle],
    },
    Requirement {
        name:
            "a virtual desktop for the desktop tests (Xvfb, D-Bus, dunst, xwd, WebKitWebDriver, python3 dbus/gi/xlib)",
        present: || debian_installed(DESKTOP_TEST_TOOLS),
        debian: DESKTOP_TEST_TOOLS,
        other: None,
        purposes: &[Purpose::Test, Purpose::Bench],
    },
    Requirement {
        name: "systemd-analyze (verifies the unit `watchkeeper install-service` writes)",
        present: || found("systemd-analyze", &["--version"]),
        debian: &["systemd"],
        other: None,
        purposes: &[Purpose::Test],
    },
    Requirement {
        name: "strip (binutils: the packages' binaries)",
        present: || found("strip", &["--version"]),
        debian: &["binutils"],
        other: None,
        purposes: &[Purpose::Test, Purpose::Bundle],
    },
    Requirement {
        name: "desktop-file-validate (checks the .deb's desktop and autostart entries)",
        present: || found("desktop-file-validate", &["--help"]),
        debian: &["desktop-file-utils"],
        other: None,
        purposes: &[Purpose::Test],
    },
    Requirement {
        name: "Valgrind (for `cargo xtask hot-code`)",
        present: || found("callgrind_control", &["--version"]),
        debian: &["valgrind"],
        other: None,
        purposes: &[Purpose::HotCode],
    },
    Requirement {
        name: "Monit (for `cargo xtask bench --vs monit`)",
        present: || found("monit", &["-V"]),
        debian: &["monit"],
        other: None,
        purposes: &[Purpose::Bench],
    },
    Requirement {
        name: "nginx (the burst's target in `cargo xtask bench --vs monit`)",
        present: || found("nginx", &["-v"]),
        debian: &["nginx"],
        other: None,
        purposes: &[Purpose::Bench],
    },
    Requirement {
        name: "Prometheus Alertmanager (the alertmanager channel's and probe's tests)",
        present: || {
            let path = std::env::var("WATCHKEEPER_ALERTMANAGER")
                .unwrap_or_else(|_| "/usr/bin/prometheus-alertmanager".to_owned());
            found(&path, &["--version"])
        },
        debian: &["prometheus-alertmanager"],
        other: None,
        purposes: &[Purpose::Test, Purpose::Bench],
    },
    Requirement {
        name: "Prometheus (for the prometheus probe's tests)",
        present: || {
            let path = std::env::var("WATCHKEEPER_PROMETHEUS").unwrap_or_else(|_| "/usr/bin/prometheus".to_owned());
            found(&path, &["--version"])
        },
        debian: &["prometheus"],
        other: None,
        purposes: &[Purpose::Test, Purpose::Bench],
    },
    Requirement {
        name: "tauri-driver (WebDriver for the desktop window)",
        present: || found("tauri-driver", &["--help"]),
        debian: &[],
        other: Some(&["cargo", "install", "tauri-driver", "--version", "^2", "--locked"]),
        purposes: &[Purpose::Test],
    },
    Requirement {
        name: "rustfmt and clippy",
        present: || found("cargo", &["fmt", "--version"]).and_then(|()| found("cargo", &["clippy", "--version"])),
        debian: &[],
        other: Some(&["rustup", "component", "add", "rustfmt", "clippy"]),
        purposes: &[Purpose::Test],
    },
];

const DESKTOP_LIBRARIES: &[&str] =
    &["libwebkit2gtk-4.1-dev", "libayatana-appindicator3-dev", "librsvg2-dev", "libsoup-3.0-dev", "libxdo-dev"];
const DESKTOP_TEST_TOOLS: &[&str] = &[
    "xvfb",
    "dbus-daemon",
    "dbus-bin",
    "dbus-x11",
    "dunst",
    "x11-apps",
    "x11-utils",
    "webkit2gtk-driver",
    "python3-dbus",
    "python3-gi",
    "python3-xlib",
];

/// Debian packages, all installed.
fn debian_installed(packages: &[&str]) -> Result<(), String> {
    let output = Command::new("dpkg-query")
        .args(["-W", "-f", "${Package} ${db:Status-Status}\n"])
        .args(packages)
        .output()
        .map_err(|_| format!("cannot ask dpkg whether {} are installed", packages.join(", ")))?;
    let listed = String::from_utf8_lossy(&output.stdout);
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !listed.lines().any(|l| l.split_once(' ') == Some((*p, "installed"))))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("not installed: {}", missing.join(", ")))
    }
}

fn found(program: &str, args: &[&str]) -> Result<(), String> {
    match Command::new(program).args(args).output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!("`{program}` failed: {}", String::from_utf8_lossy(&output.stderr).trim())),
        Err(_) => Err(format!("`{program}` is not installed")),
    }
}

fn node_recent_enough() -> Result<(), String> {
    let output = Command::new("node").arg("--version").output().map_err(|_| "`node` is not installed".to_owned())?;
    let text = String::from_utf8_lossy(&output.stdout);
    match parse_version(&text) {
        Some(version) if version >= MIN_NODE => Ok(()),
        Some((major, minor)) => {
            Err(format!("Node.js {major}.{minor} is too old; {}.{} or newer is needed", MIN_NODE.0, MIN_NODE.1))
        }
        None => Err(format!("cannot read the Node.js version from `{}`", text.trim())),
    }
}

/// `v20.19.2` → (20, 19).
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().trim_start_matches('v').split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// Checks every requirement of `purpose` and installs what is missing, or stops with
/// the exact command to run.
fn setup(purpose: Purpose) -> Result<(), String> {
    let missing: Vec<(&Requirement, String)> = REQUIREMENTS
        .iter()
        .filter(|r| r.purposes.contains(&purpose))
        .filter_map(|r| (r.present)().err().map(|why| (r, why)))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    for (requirement, why) in &missing {
        println!("xtask: missing {}: {why}", requirement.name);
    }
    let packages: Vec<&str> = missing.iter().flat_map(|(r, _)| r.debian.iter().copied()).collect();
    if !packages.is_empty() {
        install_debian(&packages)?;
    }
    for (requirement, _) in &missing {
        if let Some(command) = requirement.other {
            step(&format!("install {}", requirement.name), command[0], &command[1..])
                .map_err(|e| format!("{e}\n  fix: run `{}`", command.join(" ")))?;
        }
    }
    for (requirement, _) in &missing {
        (requirement.present)()
            .map_err(|why| format!("{} is still missing after installing it: {why}", requirement.name))?;
    }
    Ok(())
}

fn install_debian(packages: &[&str]) -> Result<(), String> {
    let install = format!("apt-get update && apt-get install -y --no-install-recommends {}", packages.join(" "));
    let on_debian = Path::new("/etc/debian_version").exists() && found("apt-get", &["--version"]).is_ok();
    if !on_debian {
        return Err(format!(
            "install these with your system's package manager, then run xtask again: {}",
            packages.join(", ")
        ));
    }
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let sudo = if is_root {
        None
    } else if found("sudo", &["--version"]).is_ok() && std::io::stdin().is_terminal() {
        Some("sudo")
    } else {
        return Err(format!(
            "some packages are missing; install them as root, then run xtask again:\n  sudo sh -c '{install}'"
        ));
    };
    let with_sudo = |args: &[&str]| -> (String, Vec<String>) {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match sudo {
            Some(sudo) => (sudo.to_owned(), all),
            None => {
                let program = all.remove(0);
                (program, all)
            }
        }
    };
    let (program, args) = with_sudo(&["apt-get", "update"]);
    step("apt-get update", &program, &args.iter().map(String::as_str).collect::<Vec<_>>())?;
    let mut install_args = vec!["apt-get", "install", "-y", "--no-install-recommends"];
    install_args.extend(packages);
    let (program, args) = with_sudo(&install_args);
    let mut command = Command::new(&program);
    command.args(&args).env("DEBIAN_FRONTEND", "noninteractive");
    run_command(&format!("install {}", packages.join(" ")), command)
        .map_err(|e| format!("{e}\n  fix: run `sudo sh -c '{install}'`"))
}

/// Builds ui/dist when it is missing or older than its sources; installs the npm
/// packages from the lockfile when they are missing or stale.
fn build_ui() -> Result<(), String> {
    let ui = root().join("ui");
    let lock = ui.join("package-lock.json");
    let installed = ui.join("node_modules/.package-lock.json");
    if is_stale(&installed, std::slice::from_ref(&lock)) {
        let mut command = Command::new("npm");
        command.args(["ci", "--no-audit", "--no-fund"]).current_dir(&ui);
        run_command("npm ci (ui)", command)?;
    }
    let sources = ["src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"]
        .iter()
        .map(|name| ui.join(name))
        .collect::<Vec<_>>();
    if is_stale(&ui.join("dist/index.html"), &sources) {
        let mut command = Command::new("npm");
        command.args(["run", "build"]).current_dir(&ui);
        run_command("build the dashboard", command)?;
    }
    Ok(())
}

/// `output` is stale when missing or older than any file under `inputs`.
fn is_stale(output: &Path, inputs: &[PathBuf]) -> bool {
    let Some(built) = modified(output) else { return true };
    inputs.iter().filter_map(|input| newest(input)).any(|source| source > built)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn newest(path: &Path) -> Option<SystemTime> {
    if path.is_dir() {
        std::fs::read_dir(path).ok()?.flatten().filter_map(|entry| newest(&entry.path())).max()
    } else {
        modified(path)
    }
}

fn step(name: &str, program: &str, args: &[&str]) -> Result<(), String> {
    let mut command = Command::new(program);
    command.args(args).current_dir(root());
    run_command(name, command)
}

fn run_command(name: &str, mut command: Command) -> Result<(), String> {
    let shown = shown(&command);
    println!("\n== {name}\n$ {shown}");
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("step `{name}` failed ({status}): {shown}")),
        Err(e) => Err(format!("step `{name}` could not start `{shown}`: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_becomes_a_json_string() {
        assert_eq!(json_string(r#"/a "b"\c"#), r#""/a \"b\"\\c""#);
        assert_eq!(json_string("tab\t"), r#""tab\u0009""#);
    }

    #[test]
    fn node_versions() {
        assert_eq!(parse_version("v20.19.2\n"), Some((20, 19)));
        assert_eq!(parse_version("18.20.4"), Some((18, 20)));
        assert_eq!(parse_version("node"), None);
        assert!(parse_version("v18.20.4").unwrap() >= MIN_NODE);
        assert!(parse_version("v16.20.0").unwrap() < MIN_NODE);
    }

    #[test]
    fn tallies_vitest_and_node_results() {
        let vitest = " Test Files  1 failed | 2 passed (3)\n      Tests  2 failed | 31 passed (33)\n";
        assert_eq!(tally_vitest(vitest), Tally { passed: 31, failed: 2 });
        assert_eq!(tally_vitest("      Tests  23 passed (23)\n"), Tally { passed: 23, failed: 0 });
        let node = "ok 1 - a\n# tests 4\n# pass 3\n# fail 1\n# cancelled 0\n";
        assert_eq!(tally_node(node), Tally { passed: 3, failed: 1 });
        assert_eq!(tally_node("ℹ tests 2\nℹ pass 2\nℹ fail 0\n"), Tally { passed: 2, failed: 0 });
    }

    #[test]
    fn tallies_coloured_output() {
        // Vitest's summary as CI (CI=true) printed it.
        let ci = "\x1b[2m      Tests \x1b[22m \x1b[1m\x1b[32m23 passed\x1b[39m\x1b[22m\x1b[90m (23)\x1b[39m\n";
        assert_eq!(tally_vitest(ci), Tally::default(), "raw colour codes hide the count");
        assert_eq!(tally_vitest(&without_colours(ci)), Tally { passed: 23, failed: 0 });
        assert_eq!(without_colours("a\x1b[1;32mb\x1b[0m c"), "ab c");
    }

    #[test]
    fn tallies_test_results() {
        let output = "test result: ok. 19 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.12s\n\
                      noise 3 passed\n\
                      test result: FAILED. 36 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 6.9s\n\
                      test result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
        assert_eq!(tally(output), Tally { passed: 55, failed: 2 });
    }

    #[test]
    fn staleness() {
        let dir = std::env::temp_dir().join(format!("xtask-stale-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        let output = dir.join("out");
        assert!(is_stale(&output, &[dir.join("src")]), "a missing output is stale");
        std::fs::write(dir.join("src/a.ts"), "a").unwrap();
        std::fs::write(&output, "built").unwrap();
        let past = SystemTime::now() - std::time::Duration::from_secs(60);
        std::fs::File::options().write(true).open(dir.join("src/a.ts")).unwrap().set_modified(past).unwrap();
        assert!(!is_stale(&output, &[dir.join("src")]), "an output newer than its sources is fresh");
        std::fs::write(dir.join("src/b.ts"), "b").unwrap();
        let future = SystemTime::now() + std::time::Duration::from_secs(60);
        std::fs::File::options().write(true).open(dir.join("src/b.ts")).unwrap().set_modified(future).unwrap();
        assert!(is_stale(&output, &[dir.join("src")]), "a newer source makes it stale");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
