//! Action kinds against the real things they drive: an admin endpoint on a loopback
//! HTTP server, run through the CLI as an operator would.

use crate::support::{assert_config_refused, run_cli, Behaviour, Target};

/// Runs `watchkeeper ARGS --config C --data-dir D` off the runtime (the target answers
/// on it meanwhile).
async fn cli(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let config = dir.join("wk.toml").to_str().unwrap().to_owned();
    let data = dir.join("data").to_str().unwrap().to_owned();
    let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    args.extend(["--config".into(), config, "--data-dir".into(), data]);
    tokio::task::spawn_blocking(move || run_cli(&args.iter().map(String::as_str).collect::<Vec<_>>()))
        .await
        .expect("the CLI ran")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_action_sends_its_request_with_secret_headers_and_is_judged_by_expect() {
    let mut target = Target::start(Behaviour::Ok).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "Bearer s3cret").unwrap();
    let url = format!("http://{}/admin/cache/flush", target.addr);
    std::fs::write(
        dir.path().join("wk.toml"),
        format!(
            r#"
[[action]]
id = "flush"
kind = "http"
url = "{url}"
headers = {{ Authorization = "${{file:{token}}}" }}
body = '{{"scope": "all"}}'
expect = ["status == 200", "json.status == \"UP\""]
timeout = "2s"
max_runs = 10
"#,
            token = token.display()
        ),
    )
    .unwrap();

    let (code, stdout, stderr) = cli(dir.path(), &["action", "run", "flush", "--dry-run"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(target.hits(), 0, "a dry run sends nothing");
    assert!(stdout.contains(&format!("would send: POST {url}")), "{stdout}");
    assert!(
        stdout.contains("with header: Authorization") && !stdout.contains("s3cret"),
        "the secret stays hidden: {stdout}"
    );
    assert!(stdout.contains("ok when: status == 200 · json.status == \"UP\""), "{stdout}");

    let (code, stdout, stderr) = cli(dir.path(), &["action", "run", "flush"]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("action `flush`: ok"), "{stdout}");
    assert!(stdout.contains("{\"status\":\"UP\"}"), "the answer's body is in the output: {stdout}");
    let seen = target.last_request().expect("the endpoint was called");
    assert_eq!((seen.method.as_str(), seen.path.as_str()), ("POST", "/admin/cache/flush"), "POST by default");
    assert_eq!(seen.header("authorization"), Some("Bearer s3cret"), "the secret header is sent");
    assert_eq!(seen.body, r#"{"scope": "all"}"#);

    // An answer that fails `expect` fails the run, saying which condition.
    target.set(Behaviour::Status(503));
    let (code, stdout, _) = cli(dir.path(), &["action", "run", "flush"]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("expected status == 200, got 503"), "{stdout}");
    assert!(stdout.contains("action `flush`: failed"), "{stdout}");

    // Nothing listening: failed, classified.
    target.close().await;
    let (code, stdout, _) = cli(dir.path(), &["action", "run", "flush"]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("refused"), "{stdout}");

    let history = crate::support::daemon::open_history(&dir.path().join("data"));
    let statuses: Vec<String> = history
        .prepare("SELECT status FROM action_runs ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(statuses, ["dry_run", "ok", "failed", "failed"], "every run is recorded");
}

#[test]
fn http_action_keys_are_checked_where_they_are_written() {
    assert_config_refused(
        "[[action]]\nid = \"flush\"\nkind = \"http\"\nurl = \"ftp://x/\"\nexpect = [\"stdout == 1\", \"status ==\"]\nheaders = { Authorization = \"${env:WK_SURELY_UNSET_VAR}\" }\n",
        &[
            "wk.toml:4:7: action \"flush\": url: `ftp://x/` is not an http or https URL",
            "action \"flush\": expect: `stdout` is not a value of an http answer",
            "action \"flush\": expect: in condition `status ==`",
        ],
    );
    assert_config_refused(
        "[[action]]\nid = \"flush\"\nkind = \"http\"\nurl = \"http://127.0.0.1:1/\"\nheaders = { Authorization = \"${env:WK_SURELY_UNSET_VAR}\" }\n",
        &["action \"flush\": headers: header `Authorization`:", "WK_SURELY_UNSET_VAR"],
    );
}

/// A shell that writes a line to `out` on each SIGHUP, with `marker` on its command line.
/// A child process killed when dropped: a failing test leaves none behind (one would
/// hold the test runner's output open).
struct Killed(std::process::Child);

impl std::ops::Deref for Killed {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Killed {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A shell that writes a line to `out` on each HUP, returned once its trap is set (a
/// HUP before that would end it: the signal's default).
fn hup_counter(marker: &str, out: &std::path::Path) -> Killed {
    let ready = out.with_extension(format!("ready-{}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)));
    let script =
        format!("trap 'echo hup >> {}' HUP; : > {}; while :; do sleep 0.05; done", out.display(), ready.display());
    let mut command = std::process::Command::new("sh");
    command.args(["-c", &script, marker]);
    // A shell cannot trap a signal that was ignored when it started (POSIX), and a run
    // under `nohup` ignores HUP: the child starts with HUP's default disposition.
    use std::os::unix::process::CommandExt as _;
    // SAFETY: signal(2) is async-signal-safe, the one call made between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_DFL);
            Ok(())
        });
    }
    let child = command.spawn().expect("spawn sh");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !ready.exists() {
        assert!(std::time::Instant::now() < deadline, "the shell set its trap");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Killed(child)
}

fn lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

async fn wait_lines(path: &std::path::Path, n: usize) {
    crate::support::eventually(
        std::time::Duration::from_secs(10),
        &format!("{n} lines in {}", path.display()),
        || async { (lines(path) == n).then_some(()) },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_reaches_the_process_a_check_finds_and_never_several_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let marker =
        format!("wk-signal-test-{}-{}", std::process::id(), chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0));
    let (out, pid_file) = (dir.path().join("hups"), dir.path().join("svc.pid"));
    std::fs::write(
        dir.path().join("wk.toml"),
        format!(
            r#"
[[check]]
id = "svc"
kind = "process"
cmdline = "{marker}"

[[action]]
id = "reload"
kind = "signal"
check = "svc"
signal = "HUP"
max_runs = 10

[[action]]
id = "reload-all"
kind = "signal"
check = "svc"
signal = "SIGHUP"
all = true
max_runs = 10

[[action]]
id = "stop"
kind = "signal"
pid_file = "{pid_file}"
signal = "TERM"
"#,
            pid_file = pid_file.display()
        ),
    )
    .unwrap();
    let mut first = hup_counter(&marker, &out);

    let (code, stdout, stderr) = cli(dir.path(), &["action", "run", "reload", "--dry-run"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("would send HUP to:\n  {} (sh)", first.id())), "{stdout}");
    assert_eq!(lines(&out), 0, "a dry run sends nothing");

    let (code, stdout, stderr) = cli(dir.path(), &["action", "run", "reload"]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(&format!("sent HUP to {} (sh)", first.id())), "{stdout}");
    wait_lines(&out, 1).await;

    // Two match: refused, nobody signalled.
    let mut second = hup_counter(&marker, &out);
    let (code, stdout, _) = cli(dir.path(), &["action", "run", "reload"]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("2 processes match: refusing to signal them all; set `all = true`"), "{stdout}");
    // Refused before any signal is sent: the answer came after the decision.
    assert_eq!(lines(&out), 1, "neither got it");
    // `all = true`: both.
    let (code, stdout, stderr) = cli(dir.path(), &["action", "run", "reload-all"]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(&format!("sent HUP to {} (sh)", second.id())), "{stdout}");
    wait_lines(&out, 3).await;

    // A pid file names one process: TERM ends it.
    let (code, stdout, _) = cli(dir.path(), &["action", "run", "stop"]).await;
    assert_eq!(code, 1, "no pid file yet: {stdout}");
    assert!(stdout.contains("no pid file at"), "{stdout}");
    std::fs::write(&pid_file, format!("{}\n", second.id())).unwrap();
    let (code, stdout, stderr) = cli(dir.path(), &["action", "run", "stop"]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    let status = tokio::task::block_in_place(|| second.wait().expect("wait"));
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(status.signal(), Some(libc::SIGTERM), "TERM reached the process in the pid file");
    first.kill().unwrap();
    first.wait().unwrap();
}

#[test]
fn signal_action_keys_are_checked_where_they_are_written() {
    assert_config_refused(
        r#"[[check]]
id = "web"
kind = "http"
url = "http://127.0.0.1:1/"

[[action]]
id = "a"
kind = "signal"
check = "web"
signal = "HUP"

[[action]]
id = "b"
kind = "signal"
check = "webb"
signal = "HUP"

[[action]]
id = "c"
kind = "signal"
pid_file = "run/x.pid"

[[action]]
id = "d"
kind = "signal"
pid_file = "/run/x.pid"
signal = "BOOM"
"#,
        &[
            "wk.toml:9:9: action \"a\": check: check `web` is a http check, not a process check",
            "wk.toml:27:10: action \"d\": signal: `BOOM` is not a signal an action may send",
            "help: use one of: HUP, INT, QUIT, TERM, KILL, USR1, USR2, CONT, STOP, WINCH",
            "wk.toml:15:9: action \"b\": check: unknown check `webb`",
            "help: did you mean `web`?",
            "action \"c\": needs `signal`",
            "wk.toml:21:12: action \"c\": pid_file: `run/x.pid` is not an absolute path",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_restart_goes_through_the_engine_api_on_its_socket() {
    let dir = tempfile::tempdir().unwrap();
    let engine = crate::support::docker::FakeDocker::start(dir.path());
    let missing = dir.path().join("nothing.sock");
    std::fs::write(
        dir.path().join("wk.toml"),
        format!(
            r#"
[[action]]
id = "web"
kind = "restart"
container = "web"
socket = "{socket}"
timeout = "10s"
max_runs = 10

[[action]]
id = "nope"
kind = "restart"
container = "nope"
socket = "{socket}"

[[action]]
id = "nosocket"
kind = "restart"
container = "web"
socket = "{missing}"

[[action]]
id = "slow"
kind = "restart"
container = "web"
socket = "{socket}"
timeout = "1s"
"#,
            socket = engine.socket.display(),
            missing = missing.display()
        ),
    )
    .unwrap();

    let (code, stdout, stderr) = cli(dir.path(), &["action", "run", "web", "--dry-run"]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("would restart container web through {}; it is running", engine.socket.display())),
        "{stdout}"
    );
    assert!(engine.restarts().is_empty(), "a dry run restarts nothing");

    let (code, stdout, stderr) = cli(dir.path(), &["action", "run", "web"]).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("restarted container web through") && stdout.contains("it is running"), "{stdout}");
    assert_eq!(
        engine.restarts(),
        [("web".to_owned(), Some("4".to_owned()))],
        "POST /containers/web/restart?t=(10s - 2s) / 2"
    );

    let (code, stdout, _) = cli(dir.path(), &["action", "run", "nope"]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("[no container named `nope`]") && stdout.contains("docker ps -a"), "{stdout}");

    let (code, stdout, _) = cli(dir.path(), &["action", "run", "nosocket"]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains(&format!("no Docker or Podman socket found (tried {})", missing.display())), "{stdout}");
    assert!(stdout.contains("action `nosocket`: error"), "{stdout}");

    engine.hang();
    let (code, stdout, _) = cli(dir.path(), &["action", "run", "slow"]).await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("the container engine did not answer within 1s") && stdout.contains("action `slow`: timeout"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_restart_stops_the_old_process_and_starts_a_new_one_that_outlives_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let marker =
        format!("wk-restart-test-{}-{}", std::process::id(), chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0));
    let script = "while :; do sleep 0.1; done";
    std::fs::write(
        dir.path().join("wk.toml"),
        format!(
            r#"
[[check]]
id = "svc"
kind = "process"
cmdline = "{marker}"

[[action]]
id = "restart-svc"
kind = "restart"
check = "svc"
command = ["sh", "-c", "{script}", "{marker}"]
timeout = "10s"
"#
        ),
    )
    .unwrap();
    let mut old = std::process::Command::new("sh").args(["-c", script, &marker]).spawn().unwrap();
    let (code, stdout, stderr) = cli(dir.path(), &["action", "run", "restart-svc"]).await;
    let new_pid: Option<u32> =
        stdout.lines().find_map(|l| l.strip_prefix("running: ")?.split_whitespace().next()?.parse().ok());
    // The CLI has exited: the new process runs on without it.
    let outlived = new_pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
    if let Some(pid) = new_pid {
        // SAFETY: kill(2) on the process this test had started.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    }
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(outlived, "the started process outlives the run: {stdout}");
    assert!(stdout.contains(&format!("stopped {} (sh)", old.id())), "{stdout}");
    assert!(stdout.contains("started: sh -c"), "{stdout}");
    let new_pid = new_pid.unwrap_or_else(|| panic!("a new pid: {stdout}"));
    assert_ne!(new_pid, old.id(), "a new process");
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(old.wait().unwrap().signal(), Some(libc::SIGTERM), "the old one got TERM");
    assert!(dir.path().join("data/logs/restart-restart-svc.log").exists(), "its output goes to a log in the data dir");
}

#[test]
fn restart_action_keys_are_checked_where_they_are_written() {
    assert_config_refused(
        r#"[[check]]
id = "svc"
kind = "process"
process = "svc"

[[action]]
id = "a"
kind = "restart"
unit = "nginx.service"
scope = "machine"

[[action]]
id = "b"
kind = "restart"
container = "web"
check = "svc"

[[action]]
id = "c"
kind = "restart"
check = "svc"

[[action]]
id = "d"
kind = "restart"
"#,
        &[
            "wk.toml:10:9: action \"a\": scope: `machine` is not a scope",
            "help: use `user` or `system`",
            "action \"b\": give `container` or `check`, not both",
            "action \"c\": needs `command`",
            "action \"d\": needs `container` or `check`",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_restart_goes_through_systemds_dbus_api_and_waits_for_its_job() {
    use crate::support::systemd::{FakeSystemd, PrivateBus};
    let dir = tempfile::tempdir().unwrap();
    let bus = PrivateBus::start(dir.path()).await;
    let systemd = FakeSystemd::default();
    let _serving = systemd.serve(&bus).await;
    let mut config = String::new();
    for (id, unit, timeout) in [
        ("web", "web", "5s"),
        ("missing", "missing.service", "5s"),
        ("locked", "locked.service", "5s"),
        ("broken", "broken.service", "5s"),
        ("slow", "slow.service", "1s"),
    ] {
        config.push_str(&format!(
            "[[action]]\nid = \"{id}\"\nkind = \"restart\"\nunit = \"{unit}\"\nscope = \"user\"\ntimeout = \"{timeout}\"\n\n"
        ));
    }
    std::fs::write(dir.path().join("wk.toml"), config).unwrap();
    let address = bus.address.clone();
    let run = |id: &'static str| {
        let (dir, address) = (dir.path().to_owned(), address.clone());
        async move {
            let (config, data) = (dir.join("wk.toml"), dir.join("data"));
            tokio::task::spawn_blocking(move || {
                crate::support::run_cli_with(
                    &["action", "run", id, "--config", config.to_str().unwrap(), "--data-dir", data.to_str().unwrap()],
                    &[("DBUS_SESSION_BUS_ADDRESS", &address)],
                )
            })
            .await
            .unwrap()
        }
    };

    let (code, stdout, stderr) = run("web").await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("restarted user unit web.service (job /org/freedesktop/systemd1/job/1 done)"), "{stdout}");
    assert_eq!(
        systemd.restarts(),
        [("web.service".to_owned(), "replace".to_owned())],
        "`web` means web.service, mode replace"
    );

    let (code, stdout, _) = run("missing").await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("[no unit named missing.service]") && stdout.contains("systemctl --user list-units --all"),
        "{stdout}"
    );

    let (code, stdout, _) = run("locked").await;
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("not allowed to restart locked.service: Interactive authentication required."), "{stdout}");
    assert!(stdout.contains("polkit rule for org.freedesktop.systemd1.manage-units on locked.service"), "{stdout}");

    let (code, stdout, _) = run("broken").await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("[the restart of broken.service ended `failed`]")
            && stdout.contains("journalctl --user -u broken.service"),
        "{stdout}"
    );

    let (code, stdout, _) = run("slow").await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("systemd did not finish restarting slow.service within 1s")
            && stdout.contains("action `slow`: timeout"),
        "{stdout}"
    );

    // No bus at all: an error that says where to run.
    let (config, data) = (dir.path().join("wk.toml"), dir.path().join("data"));
    let (code, stdout, _) = tokio::task::spawn_blocking(move || {
        crate::support::run_cli_with(
            &["action", "run", "web", "--config", config.to_str().unwrap(), "--data-dir", data.to_str().unwrap()],
            &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("cannot connect to the session bus") && stdout.contains("action `web`: error"), "{stdout}");
}
