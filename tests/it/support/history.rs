//! What the history tests share: a database at an older schema, and the records the
//! writer takes.

use chrono::{DateTime, Utc};
use watchkeeper::model::{CheckId, Status};
use watchkeeper::store::{PersistedState, ResultRecord};

/// The schema's migrations, in order (`store::MIGRATIONS`).
const MIGRATIONS: [&str; 16] = [
    include_str!("../../../src/store/migrations/0001_init.sql"),
    include_str!("../../../src/store/migrations/0002_pause.sql"),
    include_str!("../../../src/store/migrations/0003_failure_class.sql"),
    include_str!("../../../src/store/migrations/0004_recovery.sql"),
    include_str!("../../../src/store/migrations/0005_quarantine.sql"),
    include_str!("../../../src/store/migrations/0006_breakers.sql"),
    include_str!("../../../src/store/migrations/0007_alerts.sql"),
    include_str!("../../../src/store/migrations/0008_flap.sql"),
    include_str!("../../../src/store/migrations/0009_no_desktop.sql"),
    include_str!("../../../src/store/migrations/0010_result_value.sql"),
    include_str!("../../../src/store/migrations/0011_heartbeats.sql"),
    include_str!("../../../src/store/migrations/0012_cert_watch.sql"),
    include_str!("../../../src/store/migrations/0013_evidence.sql"),
    include_str!("../../../src/store/migrations/0014_rollups.sql"),
    include_str!("../../../src/store/migrations/0015_rollup_mark.sql"),
    include_str!("../../../src/store/migrations/0016_result_chains.sql"),
];

/// A history database at schema `version`, as that version made it.
pub fn at_schema(path: &std::path::Path, version: usize) -> rusqlite::Connection {
    let old = rusqlite::Connection::open(path).unwrap();
    for (n, sql) in MIGRATIONS[..version].iter().enumerate() {
        old.execute_batch(sql).unwrap_or_else(|e| panic!("migration {}: {e}", n + 1));
    }
    old.pragma_update(None, "user_version", version).unwrap();
    old
}

pub fn id(check: &str) -> CheckId {
    CheckId::parse(check).expect("a valid check id")
}

/// A check's state, up since now, paused since now or not.
pub fn state(check: &str, paused: bool) -> PersistedState {
    PersistedState {
        check_id: id(check),
        status: Status::Up,
        since: Utc::now(),
        reason: None,
        consecutive_failures: 0,
        consecutive_successes: 0,
        last_result_at: None,
        open_incident: None,
        breaker: None,
        paused: paused.then(|| (Utc::now(), None)),
        flap: Default::default(),
        cert: Default::default(),
    }
}

/// A result of `check` at `at_ms`.
pub fn result(check: &str, at_ms: i64, status: Status, latency_us: Option<i64>) -> ResultRecord {
    ResultRecord {
        check_id: id(check),
        at: DateTime::from_timestamp_millis(at_ms).unwrap(),
        status,
        latency_us,
        failure_class: None,
        message: String::new(),
        value: None,
    }
}
