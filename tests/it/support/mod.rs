//! Test support: a scripted loopback HTTP target, the daemon as a real process, temp
//! dirs, and bounded waiting.

#![allow(dead_code)]

pub mod alertmanager;
pub mod daemon;
pub mod dns;
pub mod docker;
pub mod history;
pub mod prometheus;
pub mod systemd;
pub mod target;
pub mod tls;

use std::future::Future;
use std::time::{Duration, Instant};

pub use daemon::Daemon;
pub use target::{Behaviour, Target};

/// Polls `probe` until it returns `Some`, for at most `limit`; panics with `what`
/// (the invariant that did not come true) otherwise.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {limit:?}: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An engine in the machine's time and zone, headless, as the daemon starts one.
pub fn engine_options() -> watchkeeper::engine::Options {
    watchkeeper::engine::Options::new(watchkeeper::clock::Clock::System, watchkeeper::clock::LocalZone::shared())
}

/// The one check of a config holding `[[check]] id = "c"` and `body`, compiled.
pub fn one_check(body: &str) -> watchkeeper::config::CheckConfig {
    let text = format!("[[check]]\nid = \"c\"\n{body}\n");
    let compiled =
        watchkeeper::config::compile(&text, "test.toml").unwrap_or_else(|e| panic!("test config compiles: {e}"));
    (*compiled.config.checks.into_iter().next().expect("one check")).clone()
}

/// Probes `check` once and judges what it saw.
pub async fn verdict(check: &watchkeeper::config::CheckConfig) -> watchkeeper::model::Verdict {
    use watchkeeper::probe::{self, ProbeContext};
    let observation = probe::run(&ProbeContext::default(), &check.probe, check.timeout, check.interval).await;
    watchkeeper::engine::evaluate(check, &observation).0
}

/// The failure class of a verdict that is down.
pub fn class(verdict: &watchkeeper::model::Verdict) -> Option<watchkeeper::model::FailureClass> {
    match verdict {
        watchkeeper::model::Verdict::Down(failure) => Some(failure.class),
        _ => None,
    }
}

/// The `watchkeeper` binary built for these tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_watchkeeper")
}

/// Runs the binary with arguments; returns (exit code, stdout, stderr).
pub fn run_cli(args: &[&str]) -> (i32, String, String) {
    run_cli_with(args, &[])
}

/// [`run_cli`] with extra environment variables.
pub fn run_cli_with(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let output = std::process::Command::new(binary())
        .args(args)
        .env_remove("WATCHKEEPER_CONFIG")
        .env_remove("WATCHKEEPER_DATA_DIR")
        .envs(env.iter().copied())
        .output()
        .expect("the watchkeeper binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Validates `text` as `wk.toml` with `watchkeeper config validate`, which must refuse
/// it and say each of `expected` (with its `wk.toml:LINE:COL` where given).
pub fn assert_config_refused(text: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = dir.path().join("wk.toml");
    std::fs::write(&config, text).expect("write the config");
    let (code, _, stderr) = run_cli(&["config", "validate", config.to_str().expect("a UTF-8 path")]);
    assert_ne!(code, 0, "the config is refused:\n{stderr}");
    for expected in expected {
        assert!(stderr.contains(expected), "missing {expected:?} in:\n{stderr}");
    }
}

/// Runs `watchkeeper run` in the foreground on port 0, for a daemon expected to refuse
/// to start; returns (exit code, stdout, stderr).
pub fn run_daemon_expecting_exit(config: &std::path::Path, data_dir: &std::path::Path) -> (i32, String, String) {
    let (config, data_dir) = (config.to_str().expect("utf-8 path"), data_dir.to_str().expect("utf-8 path"));
    run_cli(&["run", "--listen", "127.0.0.1:0", "--config", config, "--data-dir", data_dir])
}
