//! The command line: config validation and schema, one-shot checks, doctor.

use crate::support::{run_cli, run_cli_with, Behaviour, Target};

fn write(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("wk.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Numbers past what anything takes are located errors naming the limit, in
/// `config validate` and at `run`: they used to panic (exit 101) or to validate and
/// panic later, in the engine.
#[test]
fn numbers_past_their_limit_are_located_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "[[check]]\nid = \"a\"\nkind = \"http\"\nurl = \"http://127.0.0.1:1/\"\ninterval = \"99999999999999999999d\"\nmax_body = \"99999999999999999999TB\"\n\n[[action]]\nid = \"x\"\nkind = \"command\"\ncommand = [\"true\"]\nper = \"106751991167301d\"\n",
    );
    let (code, _, stderr) = run_cli(&["config", "validate", &path]);
    assert_eq!(code, 78, "refused as EX_CONFIG, not a panic:\n{stderr}");
    for expected in [
        format!("{path}:5:12: check \"a\": interval: `99999999999999999999d` is past the limit: a duration is at most 36500d (100 years)"),
        "help: write `interval` as at most `36500d`".to_owned(),
        format!("{path}:6:12: check \"a\": max_body: `99999999999999999999TB` is past the limit: a size is at most 1000000TB (1 EB)"),
        format!("{path}:12:7: action \"x\": per: `106751991167301d` is past the limit"),
    ] {
        assert!(stderr.contains(&expected), "missing {expected:?} in:\n{stderr}");
    }
    let data = dir.path().join("data");
    let (code, _, stderr) = crate::support::run_daemon_expecting_exit(std::path::Path::new(&path), &data);
    assert_eq!(code, 78, "`run` refuses it the same way:\n{stderr}");
    assert!(stderr.contains("is past the limit"), "{stderr}");
}

/// A config in another encoding is a located error at its first bad byte, with the fix,
/// in `config validate`, `run` and `doctor` alike.
#[test]
fn a_config_that_is_not_utf8_is_located_at_its_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wk.toml");
    std::fs::write(
        &path,
        b"[[check]]\nid = \"a\"\nname = \"caf\xe9 \xe9\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let located = format!("{path}:3:12: the file is not valid UTF-8: byte 0xE9 here is in another encoding (Latin-1?)");
    let help = "help: save the file as UTF-8 (your editor's encoding setting)";
    let (code, _, stderr) = run_cli(&["config", "validate", path]);
    assert_eq!(code, 78, "{stderr}");
    assert!(stderr.contains(&located) && stderr.contains(help), "{stderr}");
    let data = dir.path().join("data");
    let (code, _, stderr) = crate::support::run_daemon_expecting_exit(path.as_ref(), &data);
    assert_eq!(code, 78, "{stderr}");
    assert!(stderr.contains(&located) && stderr.contains(help), "{stderr}");
    let (code, stdout, _) = run_cli(&["doctor", "--config", path, "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&located) && stdout.contains(help), "{stdout}");
    let (code, _, stderr) = run_cli(&["config", "validate", dir.path().to_str().unwrap()]);
    assert_eq!(code, 74, "{stderr}");
    assert!(stderr.contains("help: --config names a file, not a directory"), "{stderr}");
}

#[test]
fn config_validate_reports_every_error_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "[[check]]\nid = \"a\"\nkind = \"http\"\nurl = \"http://127.0.0.1:1/\"\ninterval = \"5 parsecs\"\n\n[[check]]\nid = \"a\"\nkind = \"tcp\"\nhots = \"x\"\n",
    );
    let (code, _, stderr) = run_cli(&["config", "validate", &path]);
    assert_eq!(code, 78, "an invalid config exits 78 (EX_CONFIG)");
    assert!(stderr.contains("5 errors"), "all errors are reported at once:\n{stderr}");
    assert!(
        stderr.contains(&format!("{path}:9:8: check \"a\": needs `host`")),
        "the missing field is located:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}:5:12: check \"a\": interval: `5 parsecs` is not a valid duration")),
        "the bad duration is located, with its check and key:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}:8:6: check \"a\": id: duplicate id, first defined on line 2")),
        "the duplicate id is located:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}:10:1: check \"a\": unknown key `hots`")),
        "the unknown key is located:\n{stderr}"
    );
    assert!(stderr.contains("did you mean `host`?"), "a typo gets a suggestion:\n{stderr}");

    let good = write(&dir, "[[check]]\nid = \"a\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\n");
    let (code, stdout, _) = run_cli(&["config", "validate", &good]);
    assert_eq!(code, 0, "a valid config exits 0: {stdout}");
    assert!(stdout.contains("valid (1 checks, 0 actions)"));
}

#[test]
fn config_schema_is_json_schema_with_documented_keys() {
    let (code, stdout, _) = run_cli(&["config", "schema"]);
    assert_eq!(code, 0);
    let schema: serde_json::Value = serde_json::from_str(&stdout).expect("the schema is JSON");
    let text = stdout.to_lowercase();
    assert!(schema["properties"]["check"].is_object(), "the schema describes [[check]]");
    assert!(text.contains("consecutive failures that turn the check down"), "field docs become descriptions");
}

#[test]
fn doctor_reports_each_preflight_check() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("missing.toml");
    let data = dir.path().join("data");
    let (code, stdout, _) =
        run_cli(&["doctor", "--config", config.to_str().unwrap(), "--data-dir", data.to_str().unwrap()]);
    assert_eq!(code, 0, "nothing fails on a fresh set-up:\n{stdout}");
    for name in ["config", "data dir", "disk space", "database", "display", "notifications"] {
        assert!(stdout.contains(name), "doctor reports `{name}`:\n{stdout}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_exits_like_a_monitoring_plugin() {
    let target = Target::start(Behaviour::Ok).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        &dir,
        &format!(
            "[[check]]\nid = \"web\"\nkind = \"http\"\nurl = \"{}\"\nexpect = [\"status == 200\", \"json.status == \\\"UP\\\"\"]\ndegraded_if = [\"latency > 5s\"]\n",
            target.url()
        ),
    );
    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || run_cli(&args.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    let args = |extra: &[&str]| {
        let mut a = vec!["check".to_owned(), "--config".to_owned(), config.clone()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };

    let (code, stdout, _) = run(args(&[])).await.unwrap();
    assert_eq!(code, 0, "all up exits 0:\n{stdout}");
    assert!(stdout.contains("UP") && stdout.contains("web"));

    target.set(Behaviour::Body("{\"status\":\"DOWN\"}".into()));
    let (code, stdout, _) = run(args(&["--json"])).await.unwrap();
    assert_eq!(code, 2, "down exits 2:\n{stdout}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["checks"][0]["failure"]["class"], "condition");
    assert!(report["checks"][0]["message"].as_str().unwrap().contains("expected json.status == \"UP\", got \"DOWN\""));

    let (code, _, stderr) = run(args(&["nope"])).await.unwrap();
    assert_eq!(code, 3, "an unknown check id is an error (unknown):\n{stderr}");
    assert!(stderr.contains("no check has the id `nope`"));
}

#[test]
fn status_without_a_daemon_says_how_to_start_one() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_cli(&["status", "--data-dir", dir.path().to_str().unwrap()]);
    assert_eq!(code, 3);
    assert!(stderr.contains("no running watchkeeper found"), "{stderr}");
    assert!(stderr.contains("watchkeeper run"), "the error says how to start the daemon: {stderr}");
}

#[test]
fn action_run_without_a_daemon_runs_here_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        write(&dir, "[[action]]\nid = \"fix\"\nkind = \"command\"\ncommand = [\"sh\", \"-c\", \"echo repaired\"]\n");
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let (code, stdout, stderr) = run_cli(&["action", "run", "fix", "--config", &config, "--data-dir", data]);
    assert_eq!(code, 0, "the action runs without a daemon: {stderr}");
    assert!(stdout.contains("repaired") && stdout.contains("action `fix`: ok"), "{stdout}");

    let (code, _, stderr) = run_cli(&["action", "run", "nope", "--config", &config, "--data-dir", data]);
    assert_eq!(code, 65, "an unknown action is EX_DATAERR");
    assert!(stderr.contains("no action has the id `nope`") && stderr.contains("fix"), "{stderr}");

    let history = crate::support::daemon::open_history(std::path::Path::new(data));
    let (requested_by, status, output): (String, String, String) = history
        .query_row("SELECT requested_by, status, output FROM action_runs", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!((requested_by.as_str(), status.as_str()), ("cli", "ok"), "the run is audited as the CLI's");
    assert!(output.contains("repaired"));
}

#[test]
fn a_missing_config_gets_the_default_written_out() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nested/watchkeeper.toml");
    let (code, stdout, stderr) = run_cli(&["check", "--json", "--config", config.to_str().unwrap()]);
    assert!(code <= 3, "the default config runs: {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    let ids: Vec<&str> = report["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["cpu", "memory", "disk-root", "swap", "watchkeeper"],
        "the default watches this machine and itself"
    );
    let written = std::fs::read_to_string(&config).expect("the default config is written for the user to edit");
    assert_eq!(written, watchkeeper::config::DEFAULT_CONFIG);
    let (code, _, _) = run_cli(&["config", "validate", config.to_str().unwrap()]);
    assert_eq!(code, 0, "the written default is valid");
}

/// A pipe's write end whose read end is already closed.
fn pipe_with_no_reader() -> std::fs::File {
    use std::os::fd::FromRawFd as _;
    let mut fds = [0; 2];
    // SAFETY: pipe fills the two descriptors; each is owned once, by a File.
    unsafe {
        assert_eq!(libc::pipe(fds.as_mut_ptr()), 0, "a pipe");
        drop(std::fs::File::from_raw_fd(fds[0]));
        std::fs::File::from_raw_fd(fds[1])
    }
}

/// `watchkeeper … | head`: the reader goes away and the command neither panics nor
/// reports an error; it ends with the code it would have had.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(&dir, "[[check]]\nid = \"a\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\n");
    let data = dir.path().join("data");
    let commands: [&[&str]; 4] = [
        &["config", "schema"],
        &["completions", "bash"],
        &["config", "validate", &config],
        &["doctor", "--config", &config, "--data-dir", data.to_str().unwrap()],
    ];
    for args in commands {
        // The read end is closed before the command starts: its first write meets EPIPE.
        let writer = pipe_with_no_reader();
        let output = std::process::Command::new(crate::support::binary())
            .args(args)
            .env_remove("WATCHKEEPER_CONFIG")
            .env_remove("WATCHKEEPER_DATA_DIR")
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?} exits as it would have: {stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}

/// A closed standard error loses the error's words, not the command's exit code.
#[test]
fn a_closed_standard_error_keeps_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(&dir, "[[check]]\nid = \"a\"\nkind = \"tcp\"\n");
    let data = dir.path().to_str().unwrap();
    let exit_code = |args: &[&str]| {
        std::process::Command::new(crate::support::binary())
            .args(args)
            .env_remove("WATCHKEEPER_CONFIG")
            .env_remove("WATCHKEEPER_DATA_DIR")
            .stdout(std::process::Stdio::null())
            .stderr(pipe_with_no_reader())
            .status()
            .unwrap()
            .code()
    };
    let code = exit_code(&["action", "list", "--data-dir", data, "--config", &bad]);
    assert_eq!(code, Some(78), "an invalid config is EX_CONFIG, not a panic (101)");
    let code = exit_code(&["status", "--data-dir", data]);
    assert_eq!(code, Some(3), "status stays a plugin: unknown, not a panic (101)");
}

/// Errors exit with sysexits.h codes, each kind its own; `check` and `status` keep the
/// plugin's 3 (unknown) for them.
#[test]
fn errors_exit_with_sysexits_codes_and_plugins_with_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();

    let (code, _, stderr) = run_cli(&["incidents", "--limit", "many"]);
    assert_eq!(code, 64, "a wrong value is EX_USAGE: {stderr}");
    assert!(stderr.contains("invalid value 'many'"), "{stderr}");
    let (code, _, stderr) = run_cli(&["statsu"]);
    assert_eq!(code, 64, "an unknown command is EX_USAGE: {stderr}");
    let (code, stdout, _) = run_cli(&["--help"]);
    assert_eq!(code, 0, "help is an answer, not an error");
    assert!(stdout.contains("Usage: watchkeeper"), "{stdout}");

    let (code, _, stderr) = run_cli(&["silences", "--data-dir", data]);
    assert_eq!(code, 69, "no daemon is EX_UNAVAILABLE: {stderr}");
    assert!(stderr.contains("watchkeeper run"), "and says how to start one: {stderr}");
    let (code, _, _) = run_cli(&["status", "--data-dir", data]);
    assert_eq!(code, 3, "status stays a plugin: unknown");

    let missing = dir.path().join("nowhere.toml");
    let (code, _, stderr) = run_cli(&["config", "validate", missing.to_str().unwrap()]);
    assert_eq!(code, 66, "a file that is not there is EX_NOINPUT: {stderr}");

    let bad = write(&dir, "[[check]]\nid = \"a\"\nkind = \"tcp\"\n");
    let (code, _, stderr) = run_cli(&["action", "list", "--config", &bad, "--data-dir", data]);
    assert_eq!(code, 78, "a command that needs an invalid config is EX_CONFIG: {stderr}");
    assert!(stderr.contains("needs `host`"), "{stderr}");
    let (code, _, stderr) = run_cli(&["check", "--config", &bad]);
    assert_eq!(code, 3, "check stays a plugin: unknown: {stderr}");

    let (code, _, stderr) = run_cli(&["action", "undo", "first", "--data-dir", data]);
    assert_eq!(code, 64, "a run id that is not a number is EX_USAGE: {stderr}");
}

/// Times are written in local time with the zone's name, so that "until 10:48" is not
/// read as already over an hour later; a spent budget exits EX_TEMPFAIL (75).
#[test]
fn times_are_local_with_their_zone() {
    let dir = tempfile::tempdir().unwrap();
    let config =
        write(&dir, "[[action]]\nid = \"fix\"\nkind = \"command\"\ncommand = [\"true\"]\nmax_runs = 1\nper = \"1h\"\n");
    let data = dir.path().join("data");
    let args = ["action", "run", "fix", "--config", &config, "--data-dir", data.to_str().unwrap()];
    let (code, _, stderr) = run_cli(&args);
    assert_eq!(code, 0, "{stderr}");
    // A POSIX TZ string: no tzdata needed. Central European Time, summer time in summer.
    let (code, _, stderr) = run_cli_with(&args, &[("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")]);
    assert_eq!(code, 75, "the budget is spent: not now: {stderr}");
    let at = regex::Regex::new(r"next run is allowed at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (CES?T) ").unwrap();
    let found = at.captures(&stderr).unwrap_or_else(|| panic!("a local time with its zone: {stderr}"));
    let (local, zone) = (&found[1], &found[2]);
    let (_, _, utc) = run_cli_with(&args, &[("TZ", "UTC0")]);
    let found = regex::Regex::new(r"allowed at (\S+ \S+) UTC ").unwrap().captures(&utc).map(|c| c[1].to_owned());
    let utc = found.unwrap_or_else(|| panic!("in UTC, said so: {utc}"));
    let parse = |text: &str| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap();
    let ahead = (parse(local) - parse(&utc)).num_hours();
    assert_eq!(ahead, if zone == "CEST" { 2 } else { 1 }, "{local} {zone} is {utc} UTC");
}

/// Status words are coloured on a terminal (a pseudo-terminal from util-linux's
/// `script`), never in a pipe, and never when `NO_COLOR` is set.
#[test]
fn status_words_are_coloured_on_a_terminal_unless_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(&dir, "[[check]]\nid = \"closed\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\n");
    let on_a_terminal = |no_color: Option<&str>| {
        let line = format!("{} check --config {config}", crate::support::binary());
        let mut script = std::process::Command::new("script");
        script.args(["-qec", &line, "/dev/null"]).env_remove("NO_COLOR");
        if let Some(value) = no_color {
            script.env("NO_COLOR", value);
        }
        let output = script.output().expect("util-linux's script runs");
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (code, shown) = on_a_terminal(None);
    assert_eq!(code, Some(2), "{shown}");
    assert!(shown.contains("\u{1b}[1;31mDOWN\u{1b}[0m    closed"), "red, and the columns still line up: {shown:?}");
    let (_, shown) = on_a_terminal(Some("1"));
    assert!(!shown.contains('\u{1b}') && shown.contains("DOWN    closed"), "NO_COLOR: {shown:?}");
    let (code, piped, _) = run_cli(&["check", "--config", &config]);
    assert_eq!(code, 2);
    assert!(!piped.contains('\u{1b}') && piped.contains("DOWN"), "a pipe gets no colour: {piped:?}");
}
