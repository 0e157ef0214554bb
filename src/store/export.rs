//! Exports: a table's rows in id order, a page at a time (so a long export never holds
//! the reader for long), filtered by check (or a group's checks), class of failure and
//! time, as plain cells. The API writes
//! them as CSV or JSON and masks secrets in their texts.

use rusqlite::{params, Connection};

use crate::model::{CheckId, FailureClass};

/// What can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Results,
    Incidents,
    Notifications,
    Actions,
}

/// A cell of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    /// Unix milliseconds: written as an RFC 3339 time.
    Time(i64),
    Bool(bool),
}

/// Which rows: some checks' (or all), of a class of failure (results and incidents),
/// in `[from, to)` of the table's time; incidents open at some time in it, as the
/// incident list counts them.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub checks: Option<Vec<CheckId>>,
    pub class: Option<FailureClass>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// How a column is read: its name, and what its cells are.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Real,
    Text,
    Time,
    Bool,
}

impl Table {
    pub const ALL: [(Table, &'static str); 4] = [
        (Table::Results, "results"),
        (Table::Incidents, "incidents"),
        (Table::Notifications, "notifications"),
        (Table::Actions, "actions"),
    ];

    pub fn parse(text: &str) -> Option<Table> {
        Table::ALL.iter().find(|(_, name)| *name == text).map(|(table, _)| *table)
    }

    /// The SQL reading a page (`?1` the last id, `?2` the checks as a JSON array, `?3`
    /// and `?4` the times, `?5` the page's size, `?6` the class), and its columns after
    /// `id`.
    fn query(self) -> (&'static str, &'static [(&'static str, Kind)]) {
        use Kind::*;
        match self {
            Table::Results => (
                "SELECT id, check_id, at, status, latency_us, failure_class, message, value FROM results
                 WHERE id > ?1 AND (?2 IS NULL OR check_id IN (SELECT value FROM json_each(?2)))
                   AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4) AND (?6 IS NULL OR failure_class = ?6)
                 ORDER BY id LIMIT ?5",
                &[
                    ("check", Text),
                    ("at", Time),
                    ("status", Text),
                    ("latency_us", Int),
                    ("class", Text),
                    ("message", Text),
                    ("value", Real),
                ],
            ),
            Table::Incidents => (
                "SELECT id, check_id, started_at, resolved_at, failure_class, cause, failed_conditions, acked, acked_at, note
                 FROM incidents
                 WHERE id > ?1 AND (?2 IS NULL OR check_id IN (SELECT value FROM json_each(?2)))
                   AND (?3 IS NULL OR resolved_at IS NULL OR resolved_at >= ?3) AND (?4 IS NULL OR started_at < ?4)
                   AND (?6 IS NULL OR failure_class = ?6)
                 ORDER BY id LIMIT ?5",
                &[
                    ("check", Text),
                    ("started_at", Time),
                    ("resolved_at", Time),
                    ("class", Text),
                    ("cause", Text),
                    ("failed_conditions", Text),
                    ("acked", Bool),
                    ("acked_at", Time),
                    ("note", Text),
                ],
            ),
            Table::Notifications => (
                "SELECT n.id, (SELECT group_concat(check_id, ' ') FROM notification_checks WHERE notification_id = n.id),
                        n.at, n.event, n.incident_id, n.channel, n.severity, n.title, n.body, n.suppressed, n.delivered,
                        n.attempts, n.error, n.delivered_at
                 FROM notifications n
                 WHERE n.id > ?1
                   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM notification_checks c
                        WHERE c.notification_id = n.id AND c.check_id IN (SELECT value FROM json_each(?2))))
                   AND (?3 IS NULL OR n.at >= ?3) AND (?4 IS NULL OR n.at < ?4) AND ?6 IS NULL
                 ORDER BY n.id LIMIT ?5",
                &[
                    ("checks", Text),
                    ("at", Time),
                    ("event", Text),
                    ("incident", Int),
                    ("channel", Text),
                    ("severity", Text),
                    ("title", Text),
                    ("body", Text),
                    ("suppressed", Text),
                    ("delivered", Bool),
                    ("attempts", Int),
                    ("error", Text),
                    ("delivered_at", Time),
                ],
            ),
            Table::Actions => (
                "SELECT id, action_id, check_id, incident_id, requested_by, dry_run, started_at, finished_at, status,
                        exit_code, duration_ms, verified, output
                 FROM action_runs
                 WHERE id > ?1 AND (?2 IS NULL OR check_id IN (SELECT value FROM json_each(?2)))
                   AND (?3 IS NULL OR started_at >= ?3) AND (?4 IS NULL OR started_at < ?4) AND ?6 IS NULL
                 ORDER BY id LIMIT ?5",
                &[
                    ("action", Text),
                    ("check", Text),
                    ("incident", Int),
                    ("requested_by", Text),
                    ("dry_run", Bool),
                    ("started_at", Time),
                    ("finished_at", Time),
                    ("status", Text),
                    ("exit_code", Int),
                    ("duration_ms", Int),
                    ("verified", Bool),
                    ("output", Text),
                ],
            ),
        }
    }

    /// Whether its rows have a class of failure to filter by.
    pub fn has_class(self) -> bool {
        matches!(self, Table::Results | Table::Incidents)
    }

    /// The columns of an exported row, `id` first.
    pub fn columns(self) -> Vec<&'static str> {
        std::iter::once("id").chain(self.query().1.iter().map(|(name, _)| *name)).collect()
    }
}

/// The next page: up to `limit` rows with an id over `after`, each its id and cells
/// (the id first).
pub(super) fn page(
    connection: &Connection,
    table: Table,
    filter: &Filter,
    after: i64,
    limit: u32,
) -> rusqlite::Result<Vec<(i64, Vec<Cell>)>> {
    let (sql, columns) = table.query();
    let mut statement = connection.prepare_cached(sql)?;
    let checks = super::id_list(filter.checks.as_ref());
    let class = filter.class.map(|c| c.as_str());
    let mut rows = statement.query(params![after, checks, filter.from_ms, filter.to_ms, limit, class])?;
    let mut page = Vec::new();
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let mut cells = Vec::with_capacity(columns.len() + 1);
        cells.push(Cell::Int(id));
        for (index, (_, kind)) in columns.iter().enumerate() {
            let at = index + 1;
            let cell = match row.get_ref(at)? {
                rusqlite::types::ValueRef::Null => Cell::Null,
                _ => match kind {
                    Kind::Int => Cell::Int(row.get(at)?),
                    Kind::Real => Cell::Real(row.get(at)?),
                    Kind::Time => Cell::Time(row.get(at)?),
                    Kind::Bool => Cell::Bool(row.get::<_, i64>(at)? != 0),
                    // Text as stored; bytes that are not UTF-8 are replaced, not refused.
                    Kind::Text => match row.get_ref(at)? {
                        rusqlite::types::ValueRef::Text(bytes) => {
                            Cell::Text(String::from_utf8_lossy(bytes).into_owned())
                        }
                        other => Cell::Text(format!("{other:?}")),
                    },
                },
            };
            cells.push(cell);
        }
        page.push((id, cells));
    }
    Ok(page)
}
