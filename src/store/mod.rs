//! History in SQLite: schema migrations, one module per table (its reads and
//! writes), and the batching writer.
//!
//! The only module with SQL. It must not know about probes, the engine or the API's
//! wire shapes. Invariant: every write goes through the writer thread's transactions,
//! except action runs recorded by the one-shot CLI.

mod action_runs;
mod alerts;
pub mod backup;
pub mod check_state;
pub mod evidence;
pub mod export;
mod heartbeats;
mod incidents;
mod recovery;
mod results;
pub mod rollups;
pub mod size;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

use std::collections::HashMap;

use crate::budget::{Budget, Runs};
use crate::healing::Healing;
use crate::model::{ActionId, CheckId, Code};

pub use action_runs::{ActionRunFilter, ActionRunRecord, NewActionRun};
pub use alerts::{Delivery, NoteRecord, NotificationFilter, NotificationRecord, SilenceRecord};
pub use check_state::{BreakerChange, PersistedState};
pub use evidence::Evidence;
pub use heartbeats::HeartbeatRecord;
pub use incidents::{IncidentFilter, IncidentRecord};
pub use results::ResultRecord;
pub use writer::{WriteOp, Writer, WriterHandle, QUEUE_CAPACITY};

/// Schema versions, each a migration embedded in the binary.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_pause.sql")),
    (3, include_str!("migrations/0003_failure_class.sql")),
    (4, include_str!("migrations/0004_recovery.sql")),
    (5, include_str!("migrations/0005_quarantine.sql")),
    (6, include_str!("migrations/0006_breakers.sql")),
    (7, include_str!("migrations/0007_alerts.sql")),
    (8, include_str!("migrations/0008_flap.sql")),
    (9, include_str!("migrations/0009_no_desktop.sql")),
    (10, include_str!("migrations/0010_result_value.sql")),
    (11, include_str!("migrations/0011_heartbeats.sql")),
    (12, include_str!("migrations/0012_cert_watch.sql")),
    (13, include_str!("migrations/0013_evidence.sql")),
    (14, include_str!("migrations/0014_rollups.sql")),
    (15, include_str!("migrations/0015_rollup_mark.sql")),
    (16, include_str!("migrations/0016_result_chains.sql")),
    (17, include_str!("migrations/0017_incident_resolution.sql")),
];

/// How long per-minute rollups are kept, at least (and at least as long as results,
/// at most as long as the hourly ones): a month of charts at minute resolution.
pub const MINUTE_ROLLUPS_KEPT: Duration = Duration::from_secs(35 * 86_400);

/// How long the history keeps each kind of row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Raw results (`[settings] retention`).
    pub results: Duration,
    /// Per-minute rollups: `MINUTE_ROLLUPS_KEPT`, or the results' retention when
    /// longer, never past the hourly ones'.
    pub minutes: Duration,
    /// Per-hour rollups (`[settings] rollup_retention`).
    pub hours: Duration,
    /// The most bytes the history may use (`[settings] max_db_size`): past it the
    /// oldest rows are pruned before their time (`size`).
    pub max_bytes: Option<u64>,
}

impl Retention {
    pub fn new(results: Duration, rollups: Duration) -> Retention {
        Retention { results, minutes: results.max(MINUTE_ROLLUPS_KEPT).min(rollups), hours: rollups, max_bytes: None }
    }

    /// The same, capped at `max_bytes`.
    pub fn capped(self, max_bytes: Option<u64>) -> Retention {
        Retention { max_bytes, ..self }
    }

    /// The oldest time each kind of row is kept for, at `now`.
    pub fn horizons(&self, now: DateTime<Utc>) -> Horizons {
        Horizons {
            results: crate::clock::earlier(now, self.results),
            minutes: crate::clock::earlier(now, self.minutes),
            hours: crate::clock::earlier(now, self.hours),
        }
    }
}

/// Times before which rows are pruned.
#[derive(Debug, Clone, Copy)]
pub struct Horizons {
    pub results: DateTime<Utc>,
    pub minutes: DateTime<Utc>,
    pub hours: DateTime<Utc>,
}

pub const DB_FILE: &str = "history.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("history database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("history database: {0}")]
    BadValue(BadValue),
    #[error("{path} was written by a newer watchkeeper (schema {found}); this one reads up to schema {supported}")]
    TooNew { path: PathBuf, found: u32, supported: u32 },
    #[error("{path} is damaged: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    /// The file or its directory may not be written (permissions, a read-only mount).
    #[error("cannot write {path}: {detail}")]
    ReadOnly { path: PathBuf, detail: String },
    #[error("the history writer has stopped")]
    WriterGone,
    #[error("history query failed: {0}")]
    Join(String),
    #[error("the action run could not be recorded: {0}")]
    NotRecorded(String),
    #[error("the change is made but not saved in the history yet: {0}")]
    NotCommitted(String),
}

impl StoreError {
    /// A refusal to write (permissions, a read-only mount) said of the file, not as
    /// SQLite's "attempt to write a readonly database".
    fn located(self, data_dir: &Path) -> StoreError {
        use rusqlite::ErrorCode::{CannotOpen, PermissionDenied, ReadOnly};
        match &self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, message))
                if matches!(e.code, ReadOnly | PermissionDenied | CannotOpen) =>
            {
                let detail = message.clone().unwrap_or_else(|| e.to_string());
                StoreError::ReadOnly { path: data_dir.join(DB_FILE), detail }
            }
            _ => self,
        }
    }

    pub fn resolution(&self) -> &'static str {
        match self {
            StoreError::Sqlite(_) => "check that the data dir is writable and the disk is not full",
            StoreError::BadValue(_) => {
                "the history holds a value this watchkeeper does not know (written by a newer version, or edited by hand): upgrade watchkeeper, or move history.db aside to start a new one"
            }
            StoreError::TooNew { .. } => "upgrade watchkeeper, or point --data-dir at another directory",
            StoreError::ReadOnly { .. } => {
                "make history.db and the data dir writable by the user running watchkeeper (`chmod u+w`, or `chown` them to that user), or pass another --data-dir"
            }
            StoreError::Corrupt { .. } => {
                "watchkeeper moves a damaged database aside at start and restores the newest backup that reads (`watchkeeper db check` says which)"
            }
            StoreError::WriterGone | StoreError::Join(_) => "restart watchkeeper; the logs in the data dir say why",
            StoreError::NotRecorded(_) | StoreError::NotCommitted(_) => {
                "it is kept and recorded once the disk takes writes again; the logs in the data dir say why"
            }
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        match error {
            rusqlite::Error::FromSqlConversionFailure(index, kind, source) => match source.downcast::<BadValue>() {
                Ok(bad) => StoreError::BadValue(*bad),
                Err(source) => StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(index, kind, source)),
            },
            other => StoreError::Sqlite(other),
        }
    }
}

/// A stored value this version cannot read, with the row and column that hold it:
/// never read as a plausible value instead.
#[derive(Debug, thiserror::Error)]
#[error("{table} row {row}: {column} holds `{value}`, which is not a {what} this version knows")]
pub struct BadValue {
    pub table: &'static str,
    /// The row's key: its id, or its check's id.
    pub row: String,
    pub column: String,
    pub value: String,
    pub what: &'static str,
}

/// Reads a text column through `parse`; a value it refuses is a [`BadValue`] naming
/// `table`, the row's `key` and the column.
pub(crate) fn parsed<T>(
    row: &rusqlite::Row<'_>,
    index: usize,
    (table, key): (&'static str, &dyn std::fmt::Display),
    what: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    parse(&text).ok_or_else(|| {
        let column = row.as_ref().column_name(index).unwrap_or("?").to_owned();
        let bad = BadValue { table, row: key.to_string(), column, value: text, what };
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(bad))
    })
}

/// Check ids as a JSON array, for `check_id IN (SELECT value FROM json_each(?))`.
pub(crate) fn id_list(ids: Option<&Vec<CheckId>>) -> Option<String> {
    ids.map(|ids| serde_json::Value::Array(ids.iter().map(|id| id.as_str().into()).collect()).to_string())
}

/// Reads a coded column (a [`Code`] enum) as [`parsed`] does.
pub(crate) fn coded<T: Code>(
    row: &rusqlite::Row<'_>,
    index: usize,
    at: (&'static str, &dyn std::fmt::Display),
) -> rusqlite::Result<T> {
    parsed(row, index, at, T::WHAT, T::from_code)
}

/// Reads a nullable text column as [`parsed`] does.
pub(crate) fn parsed_or_null<T>(
    row: &rusqlite::Row<'_>,
    index: usize,
    at: (&'static str, &dyn std::fmt::Display),
    what: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    match row.get_ref(index)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => parsed(row, index, at, what, parse).map(Some),
    }
}

/// Reads a nullable coded column.
pub(crate) fn coded_or_null<T: Code>(
    row: &rusqlite::Row<'_>,
    index: usize,
    at: (&'static str, &dyn std::fmt::Display),
) -> rusqlite::Result<Option<T>> {
    parsed_or_null(row, index, at, T::WHAT, T::from_code)
}

/// A read handle on the history; cheap to clone. Reads run on a blocking thread.
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    reader: Arc<Mutex<Connection>>,
    /// Since when raw results can be read over a time range (`results::chained_since`).
    chained_since: DateTime<Utc>,
}

/// What opening the database found.
#[derive(Debug, Default)]
pub struct OpenReport {
    /// A damaged database moved aside, and where to.
    pub moved_aside: Option<PathBuf>,
    /// The backup put in its place (none: a new history was started).
    pub restored_from: Option<PathBuf>,
}

impl Store {
    /// Opens (creating and migrating) `history.db` in `data_dir`. A database that fails
    /// its integrity check is moved aside and a new one started: history is degraded,
    /// never lost and never a reason not to start.
    pub fn open(data_dir: &Path) -> Result<(Store, OpenReport), StoreError> {
        Store::open_in(data_dir).map_err(|e| e.located(data_dir))
    }

    fn open_in(data_dir: &Path) -> Result<(Store, OpenReport), StoreError> {
        let path = data_dir.join(DB_FILE);
        let mut report = OpenReport::default();
        let connection = match open_connection(&path).and_then(|c| migrate(&path, c)).and_then(|c| whole(&path, c)) {
            Ok(connection) => connection,
            // Damaged as `inspect` judges it: a file that cannot be read (permissions)
            // is not, and is never moved aside.
            Err(StoreError::Corrupt { .. }) | Err(StoreError::Sqlite(_))
                if matches!(inspect(data_dir), Inspection::Damaged { .. }) =>
            {
                // A name of its own: one damaged twice in a second keeps both.
                let stamp = Utc::now().format("%Y%m%dT%H%M%S");
                let aside = (0..u32::MAX)
                    .map(|n| match n {
                        0 => path.with_extension(format!("db.corrupt-{stamp}")),
                        n => path.with_extension(format!("db.corrupt-{stamp}-{n}")),
                    })
                    .find(|p| !p.exists())
                    .unwrap_or_else(|| path.with_extension(format!("db.corrupt-{stamp}-last")));
                std::fs::rename(&path, &aside).map_err(|e| StoreError::Corrupt {
                    path: path.clone(),
                    detail: format!("cannot move it aside: {e}"),
                })?;
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                tracing::warn!(path = %path.display(), aside = %aside.display(), "history database damaged, moved aside");
                report.moved_aside = Some(aside);
                report.restored_from = backup::restore_newest(data_dir, &path);
                migrate(&path, open_connection(&path)?)?
            }
            Err(e) => return Err(e),
        };
        // A file that reads but may not be written (permissions, a read-only mount)
        // is refused here, named, not at the first commit.
        let version: u32 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        connection.pragma_update(None, "user_version", version)?;
        // A database kept before incremental vacuum gets it (when small), once whole
        // and known to be writable.
        size::convert_to_give_back(&connection)?;
        drop(connection);
        let reader = open_connection(&path)?;
        let chained_since = from_millis(results::chained_since(&reader)?);
        Ok((Store { path, reader: Arc::new(Mutex::new(reader)), chained_since }, report))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts the writer thread on its own connection, its page cache sized for
    /// `checks`.
    pub fn writer(
        &self,
        retention: Retention,
        checks: usize,
        figures: Arc<crate::figures::OwnFigures>,
    ) -> Result<Writer, StoreError> {
        let mut connection = open_connection(&self.path)?;
        // The results the last writer committed but had not rolled up yet (it was
        // killed) are rolled up by the next, before it holds any: only the process that
        // writes may, or a CLI opening the history beside a running daemon would count
        // again what that daemon holds.
        rollups::catch_up(&mut connection)?;
        // It mostly appends: the pages it comes back to are the trees' right edges and
        // each check's leaf of the results' index and of its minute, hour and day
        // rollups. While it drains a backlog, 8 KiB a check keeps most of them (at 1,000
        // checks the writer's rate was 78,000 results/s with half a KiB, 116,000 with 8:
        // `cargo xtask bench history`); at a steady pace (a batch holds a result or two
        // a check) the least does, and costs no memory: `writer::Cache`.
        let cache = writer::Cache {
            small_kb: WRITER_CACHE_KB.0,
            large_kb: (checks as i64 * 8).clamp(WRITER_CACHE_KB.0, WRITER_CACHE_KB.1),
        };
        connection.pragma_update(None, "cache_size", -cache.small_kb)?;
        // A checkpoint copies each page written since the last one back into the
        // database, once, however often it was written: at a steady pace the writer
        // rewrites the same few hundred leaves every second, so checkpointing every
        // 4,000 pages (16 MiB of WAL) rather than SQLite's 1,000 copies them a quarter
        // as often. The WAL is cut back to that size after one grew past it.
        connection.pragma_update(None, "wal_autocheckpoint", WAL_PAGES)?;
        connection.pragma_update(None, "journal_size_limit", WAL_PAGES * 4096)?;
        // Every statement of a batch and of a rollup write is kept prepared (some 16;
        // rusqlite keeps 16 by default, and one more prepares one again every batch).
        connection.set_prepared_statement_cache_capacity(WRITER_STATEMENTS);
        Ok(Writer::start(connection, retention, cache, figures))
    }

    /// Runs a read on a blocking thread.
    pub async fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    ) -> Result<T, StoreError> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let connection = crate::panics::lock(&reader);
            query(&connection).map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Join(e.to_string()))?
    }

    /// Runs a read on the calling thread (for start-up and the CLI).
    pub fn read_now<T>(&self, query: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>) -> Result<T, StoreError> {
        let connection = crate::panics::lock(&self.reader);
        query(&connection).map_err(StoreError::from)
    }

    /// Every check's persisted state; a row that cannot be read is its own error
    /// (naming the row), so one bad row costs one check its history, not the start.
    pub fn load_states(&self) -> Result<Vec<Result<PersistedState, StoreError>>, StoreError> {
        let rows = self.read_now(check_state::load_all)?;
        Ok(rows.into_iter().map(|row| row.map_err(StoreError::from)).collect())
    }

    /// A check's last recorded result, read at once (at start).
    pub fn last_result_now(&self, check_id: &CheckId) -> Result<Option<ResultRecord>, StoreError> {
        Ok(self.read_now(|c| results::recent(c, check_id, 1))?.into_iter().next())
    }

    /// When an incident started (at start, for the incidents still open).
    pub fn incident_started_now(&self, id: i64) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read_now(|c| incidents::started_at(c, id))
    }

    pub fn max_incident_id(&self) -> Result<i64, StoreError> {
        self.read_now(incidents::max_id)
    }

    pub fn max_notification_id(&self) -> Result<i64, StoreError> {
        self.read_now(alerts::max_notification_id)
    }

    pub fn max_silence_id(&self) -> Result<i64, StoreError> {
        self.read_now(alerts::max_silence_id)
    }

    /// Notification decisions, newest first.
    pub async fn notifications(&self, filter: NotificationFilter) -> Result<Vec<NotificationRecord>, StoreError> {
        self.read(move |c| alerts::notifications(c, &filter)).await
    }

    /// Sent notifications whose delivery had not ended (at start).
    pub fn pending_notifications_now(&self) -> Result<Vec<NotificationRecord>, StoreError> {
        self.read_now(alerts::pending)
    }

    /// Silences muting now or later (or all of them), newest first.
    pub async fn silences(&self, now: DateTime<Utc>, all: bool) -> Result<Vec<SilenceRecord>, StoreError> {
        self.read(move |c| alerts::silences(c, now, all)).await
    }

    pub async fn silence(&self, id: i64) -> Result<Option<SilenceRecord>, StoreError> {
        self.read(move |c| alerts::silence(c, id)).await
    }

    pub fn silences_now(&self, now: DateTime<Utc>) -> Result<Vec<SilenceRecord>, StoreError> {
        self.read_now(|c| alerts::silences(c, now, false))
    }

    pub async fn incident_exists(&self, incident: i64) -> Result<bool, StoreError> {
        self.read(move |c| alerts::incident_exists(c, incident)).await
    }

    pub async fn notes(&self, incident: i64) -> Result<Vec<NoteRecord>, StoreError> {
        self.read(move |c| alerts::notes(c, incident)).await
    }

    /// An incident's acknowledgement time and the notifications sent about it.
    pub async fn incident_alerting(&self, incident: i64) -> Result<(Option<DateTime<Utc>>, u32), StoreError> {
        self.read(move |c| alerts::incident_alerting(c, incident)).await
    }

    pub fn incident_alerting_now(&self, incident: i64) -> Result<(Option<DateTime<Utc>>, u32), StoreError> {
        self.read_now(|c| alerts::incident_alerting(c, incident))
    }

    pub async fn incidents(&self, filter: IncidentFilter) -> Result<Vec<IncidentRecord>, StoreError> {
        self.read(move |c| incidents::list(c, &filter)).await
    }

    /// Incident `id`'s evidence, when it keeps some.
    pub async fn evidence(&self, incident: i64) -> Result<Option<Evidence>, StoreError> {
        self.read(move |c| evidence::read(c, incident)).await
    }

    /// A check's breaker changes, newest first.
    pub async fn breaker_changes(&self, check_id: CheckId, limit: usize) -> Result<Vec<BreakerChange>, StoreError> {
        self.read(move |c| check_state::breaker_changes(c, &check_id, limit)).await
    }

    /// The history's horizons for a chart: raw results kept from before the chains
    /// existed (an older schema's) are read as rollups (`results::chained_since`).
    pub fn chart_horizons(&self, retention: &Retention, now: DateTime<Utc>) -> Horizons {
        let mut horizons = retention.horizons(now);
        horizons.results = horizons.results.max(self.chained_since);
        horizons
    }

    pub async fn results(&self, check_id: CheckId, limit: u32) -> Result<Vec<ResultRecord>, StoreError> {
        self.read(move |c| results::recent(c, &check_id, limit)).await
    }

    /// A check's history over `[from, to)` in points of `bucket_ms` from `from`, read
    /// from `source`; empty points left out.
    pub async fn history(
        &self,
        check_id: CheckId,
        source: rollups::Source,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        bucket_ms: i64,
    ) -> Result<Vec<(DateTime<Utc>, rollups::Rollup)>, StoreError> {
        let (from, to) = (to_millis(from), to_millis(to));
        let points = self.read(move |c| rollups::points(c, &check_id, source, from, to, bucket_ms)).await?;
        Ok(points.into_iter().map(|(t, rollup)| (from_millis(t), rollup)).collect())
    }

    /// A check's uptime over each window ending at `now` (`UPTIME_WINDOWS`), and its
    /// incidents in the longest.
    pub async fn uptime(&self, check_id: CheckId, now: DateTime<Utc>) -> Result<Uptime, StoreError> {
        self.read(move |c| uptime(c, &check_id, now)).await
    }

    /// These checks' latest `limit` results (newest first) and totals over the `window`
    /// ending at `now`, in their order, in one read.
    pub async fn strips(
        &self,
        checks: Vec<CheckId>,
        now: DateTime<Utc>,
        window: Duration,
        limit: u32,
    ) -> Result<Vec<(Vec<ResultRecord>, rollups::Rollup)>, StoreError> {
        let from = to_millis(crate::clock::earlier(now, window));
        self.read(move |c| {
            let strip = |check: &CheckId| -> rusqlite::Result<_> {
                let recent = if limit == 0 { Vec::new() } else { results::recent(c, check, limit)? };
                Ok((recent, rollups::totals(c, check, from, to_millis(now))?))
            };
            checks.iter().map(strip).collect()
        })
        .await
    }

    /// An export's next page: up to `limit` rows with an id over `after`.
    pub async fn export_page(
        &self,
        table: export::Table,
        filter: export::Filter,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Vec<export::Cell>)>, StoreError> {
        self.read(move |c| export::page(c, table, &filter, after, limit)).await
    }

    /// These checks' totals over the `window` ending at `now`, in their order.
    pub async fn uptime_of(
        &self,
        checks: Vec<CheckId>,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Result<Vec<rollups::Rollup>, StoreError> {
        let from = to_millis(crate::clock::earlier(now, window));
        self.read(move |c| checks.iter().map(|check| rollups::totals(c, check, from, to_millis(now))).collect()).await
    }

    pub async fn action_runs(&self, filter: ActionRunFilter) -> Result<Vec<ActionRunRecord>, StoreError> {
        self.read(move |c| action_runs::list(c, &filter)).await
    }

    /// Records an action run directly (the one-shot CLI has no writer).
    pub fn record_action_run_now(&self, run: &NewActionRun) -> Result<i64, StoreError> {
        let connection = open_connection(&self.path)?;
        action_runs::insert(&connection, run).map_err(StoreError::from)
    }

    /// The runs filed on these incidents (at most 1,000 incidents), oldest first.
    pub async fn runs_on_incidents(&self, incidents: Vec<i64>) -> Result<Vec<ActionRunRecord>, StoreError> {
        self.read(move |c| action_runs::on_incidents(c, &incidents[..incidents.len().min(1000)])).await
    }

    /// One run by id.
    pub async fn action_run(&self, id: i64) -> Result<Option<ActionRunRecord>, StoreError> {
        self.read(move |c| action_runs::by_id(c, id)).await
    }

    /// Marks runs left `running` by a process that stopped `interrupted` (at start,
    /// before the writer runs); returns how many.
    pub fn interrupt_running(&self) -> Result<usize, StoreError> {
        let connection = open_connection(&self.path)?;
        action_runs::interrupt_running(&connection).map_err(StoreError::from)
    }

    /// An action's budget window as the audit has it at `now`: its counted runs still in
    /// the window, after its last reset (`reset_at`).
    pub fn budget_window(
        &self,
        action_id: &ActionId,
        budget: Budget,
        reset_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Runs, StoreError> {
        let since = crate::clock::earlier(now, budget.per);
        let starts = self.read_now(|c| action_runs::starts_since(c, action_id, since))?;
        Ok(Runs::restore(budget, starts, reset_at, now))
    }

    /// When each action's budget was last reset.
    pub fn budget_resets(&self) -> Result<HashMap<ActionId, DateTime<Utc>>, StoreError> {
        self.read_now(recovery::budget_resets)
    }

    /// Notes directly that a cleanup run was undone (the one-shot CLI has no writer).
    pub fn mark_undone_now(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        let connection = open_connection(&self.path)?;
        action_runs::mark_undone(&connection, id, at).map_err(StoreError::from)
    }

    /// Resets an action's budget directly (the one-shot CLI has no writer).
    pub fn reset_budget_now(&self, action_id: &ActionId, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut connection = open_connection(&self.path)?;
        let tx = connection.transaction()?;
        recovery::reset_budget(&tx, action_id, at)?;
        tx.commit().map_err(StoreError::from)
    }

    /// Every heartbeat check's token and last ping (at start).
    pub fn heartbeats_now(&self) -> Result<Vec<HeartbeatRecord>, StoreError> {
        self.read_now(heartbeats::load_all)
    }

    /// Saves a heartbeat's token (at start, before the writer runs).
    pub fn save_heartbeat_now(&self, record: &HeartbeatRecord) -> Result<(), StoreError> {
        let connection = open_connection(&self.path)?;
        heartbeats::save(&connection, record).map_err(StoreError::from)
    }

    /// Every check's self-healing state.
    pub fn load_healing(&self) -> Result<HashMap<CheckId, Healing>, StoreError> {
        self.read_now(recovery::load_healing)
    }

    /// `PRAGMA quick_check`, for doctor.
    pub fn quick_check(&self) -> Result<String, StoreError> {
        self.read_now(|c| c.query_row("PRAGMA quick_check", [], |row| row.get::<_, String>(0)))
    }
}

/// The WAL's pages between two checkpoints.
const WAL_PAGES: i64 = 4000;

/// Statements the writer keeps prepared.
const WRITER_STATEMENTS: usize = 48;

/// The writer's page cache, least and most, in KiB (the readers' is 1 MiB).
const WRITER_CACHE_KB: (i64, i64) = (256, 16384);

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let new = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    let connection = Connection::open(path)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    // Freed pages go back to the disk (`size`): set in a new database before WAL and its
    // first table (asked of an existing one it would write its header, even a damaged
    // one's); one kept before is converted by `migrate`.
    if new {
        connection.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")?;
    }
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -1024;",
    )?;
    Ok(connection)
}

/// What the history file is, read without changing anything: `watchkeeper doctor`
/// and the daemon's pre-flight check.
#[derive(Debug)]
pub enum Inspection {
    Missing,
    Healthy {
        version: u32,
    },
    /// Written by an older version: migrated at the next start.
    Older {
        found: u32,
        supported: u32,
    },
    /// Not a database, or it fails its quick check: moved aside at the next start.
    Damaged {
        detail: String,
    },
    /// What the next start refuses, as it will say it: written by a newer version
    /// (`TooNew`), or it reads but this user may not write it or its directory
    /// (`ReadOnly`).
    Refused(StoreError),
    /// It cannot be read at all.
    Unreadable {
        detail: String,
    },
}

/// The whole database checked read-only (`PRAGMA integrity_check`): what is wrong, or
/// nothing when it is whole.
pub fn integrity(data_dir: &Path) -> Result<Vec<String>, StoreError> {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    let path = data_dir.join(DB_FILE);
    let read = || -> rusqlite::Result<Vec<String>> {
        let connection = Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        let mut statement = connection.prepare("PRAGMA integrity_check(100)")?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        rows.collect()
    };
    match read() {
        Ok(lines) if lines == ["ok"] => Ok(Vec::new()),
        Ok(lines) => Ok(lines),
        Err(e) if matches!(e.sqlite_error_code(), Some(DatabaseCorrupt | NotADatabase)) => Ok(vec![e.to_string()]),
        Err(e) => Err(e.into()),
    }
}

/// A database file read-only: what `PRAGMA quick_check` answers (`ok` when whole) and
/// its schema version.
fn quick_check(path: &Path) -> rusqlite::Result<(String, u32)> {
    let connection = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let answer = connection.query_row("PRAGMA quick_check", [], |row| row.get::<_, String>(0))?;
    let version = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok((answer, version))
}

/// Inspects `history.db` in `data_dir` read-only: no migration, nothing moved.
pub fn inspect(data_dir: &Path) -> Inspection {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    let path = data_dir.join(DB_FILE);
    if !path.exists() {
        return Inspection::Missing;
    }
    let damaged = |e: &rusqlite::Error| matches!(e.sqlite_error_code(), Some(DatabaseCorrupt | NotADatabase));
    let supported = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    match quick_check(&path) {
        Err(e) if damaged(&e) => Inspection::Damaged { detail: e.to_string() },
        Err(e) => Inspection::Unreadable { detail: e.to_string() },
        Ok((answer, _)) if answer != "ok" => Inspection::Damaged { detail: answer },
        Ok((_, found)) if found > supported => Inspection::Refused(StoreError::TooNew { path, found, supported }),
        Ok((_, found)) => match writable(&path).and_then(|()| writable(data_dir)) {
            Err((at, e)) => {
                let detail = format!("{}: {e}", at.display());
                Inspection::Refused(StoreError::ReadOnly { path: path.clone(), detail })
            }
            Ok(()) if found < supported => Inspection::Older { found, supported },
            Ok(()) => Inspection::Healthy { version: found },
        },
    }
}

/// Whether this user may write `path` (asked of the system, nothing written); the
/// path and why not when not.
fn writable(path: &Path) -> Result<(), (&Path, std::io::Error)> {
    rustix::fs::access(path, rustix::fs::Access::WRITE_OK).map_err(|e| (path, std::io::Error::from(e)))
}

/// The connection, once `PRAGMA quick_check` finds its database whole: pages damaged
/// past the first (which opening and migrating never read) are found at start, not by
/// the first query that reads them.
fn whole(path: &Path, connection: Connection) -> Result<Connection, StoreError> {
    let answer: String = connection.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if answer != "ok" {
        return Err(StoreError::Corrupt { path: path.to_owned(), detail: answer });
    }
    Ok(connection)
}

fn migrate(path: &Path, mut connection: Connection) -> Result<Connection, StoreError> {
    let supported = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    let found: u32 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > supported {
        return Err(StoreError::TooNew { path: path.to_owned(), found, supported });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        let tx = connection.transaction()?;
        tx.execute_batch(sql)?;
        if *version == 16 {
            results::chain_kept(&tx)?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "history schema migrated");
    }
    // The results kept before rollups existed are rolled up once (and an interrupted
    // build goes on).
    rollups::build(&mut connection)?;
    Ok(connection)
}

/// The windows uptime is told over, by name.
pub const UPTIME_WINDOWS: [(&str, Duration); 4] = [
    ("24h", Duration::from_secs(86_400)),
    ("7d", Duration::from_secs(7 * 86_400)),
    ("30d", Duration::from_secs(30 * 86_400)),
    ("90d", Duration::from_secs(90 * 86_400)),
];

/// A check's uptime: each window's totals, and its incidents over the longest with the
/// mean times to recover and between failures.
#[derive(Debug, Clone)]
pub struct Uptime {
    /// `UPTIME_WINDOWS`' totals, in their order.
    pub windows: Vec<rollups::Rollup>,
    /// Mean time to recover: the mean length of the incidents resolved in the longest
    /// window; `None` when none was.
    pub mttr: Option<Duration>,
    /// Mean time between failures: the time up in the longest window (from the oldest
    /// rollup when later), per incident started in it; `None` when none started.
    pub mtbf: Option<Duration>,
    /// The incidents open at some time in the longest window, newest first (at most
    /// `UPTIME_INCIDENTS`).
    pub incidents: Vec<IncidentRecord>,
}

/// The most incidents an uptime report lists.
pub const UPTIME_INCIDENTS: u32 = 100;

fn uptime(connection: &Connection, check: &CheckId, now: DateTime<Utc>) -> rusqlite::Result<Uptime> {
    let now_ms = to_millis(now);
    let mut windows = Vec::with_capacity(UPTIME_WINDOWS.len());
    for (_, window) in UPTIME_WINDOWS {
        let from = to_millis(crate::clock::earlier(now, window));
        windows.push(rollups::totals(connection, check, from, now_ms)?);
    }
    let longest = crate::clock::earlier(now, UPTIME_WINDOWS[UPTIME_WINDOWS.len() - 1].1);
    let filter =
        IncidentFilter { check_id: Some(check.clone()), from: Some(longest), limit: u32::MAX, ..Default::default() };
    let incidents = incidents::list(connection, &filter)?;
    let repairs: Vec<i64> =
        incidents.iter().filter_map(|i| Some((i.resolved_at? - i.started_at).num_milliseconds().max(0))).collect();
    let mttr = (!repairs.is_empty())
        .then(|| Duration::from_millis((repairs.iter().sum::<i64>() / repairs.len() as i64) as u64));
    let started = incidents.iter().filter(|i| i.started_at >= longest).count() as i64;
    let watched_from = rollups::oldest(connection, check)?.map_or(now_ms, |t| t.max(to_millis(longest)));
    let downtime = windows.last().map_or(0, |w| w.downtime_ms);
    let up_ms = (now_ms - watched_from - downtime).max(0);
    let mtbf = (started > 0).then(|| Duration::from_millis((up_ms / started) as u64));
    let mut incidents = incidents;
    incidents.truncate(UPTIME_INCIDENTS as usize);
    Ok(Uptime { windows, mttr, mtbf, incidents })
}

pub fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn from_millis(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis).single().unwrap_or_default()
}
