//! Faults the daemon must survive and tell: bugs that panic, damaged and read-only
//! history files, files that are not UTF-8. Each is told with its fix, and nothing the
//! user had is lost.

use watchkeeper::engine::Engine;
use watchkeeper::store::Store;

/// A panic anywhere in the process (here, a thread of this test's) is counted by the
/// hook the daemon installs, and `/healthz` turns degraded and says it: a bug that was
/// survived is still a bug to report.
#[tokio::test]
async fn a_caught_panic_turns_healthz_degraded_and_says_so() {
    watchkeeper::panics::install();
    let dir = tempfile::tempdir().unwrap();
    let config = "[[check]]\nid = \"db\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = 1\ninterval = \"1h\"\n";
    let config = watchkeeper::config::compile(config, "test.toml").unwrap().config;
    let (store, _) = Store::open(dir.path()).unwrap();
    let running = Engine::start(config, store, crate::support::engine_options()).unwrap();
    let joined = std::thread::spawn(|| panic!("a bug in a worker")).join();
    assert!(joined.is_err());
    let health = watchkeeper::api::health(&running.engine);
    assert_eq!(health.status, watchkeeper::api::dto::HealthStatusDto::Degraded);
    let said = health.degraded.iter().find(|d| d.starts_with("internal error:")).expect("healthz tells the panic");
    assert!(said.contains("caught and survived") && said.contains("report it with the log"), "{said}");
    assert!(said.contains("(at tests/it/faults.rs:"), "where it was: {said}");
    running.shutdown().await;
}
