//! The API layer: the operations the HTTP server, the CLI and the desktop app call,
//! and the only place that knows wire shapes.
//!
//! - the functions below are the operations on a running [`Engine`];
//! - `operation`: the route table, every operation once (name, method, path, arguments,
//!   answer), from which the server's routes, the typed `client` and the dashboard's
//!   types (`typescript`) are made;
//! - `dto`: the wire shapes; `error`: `ApiError` (`code`, `message`, `resolution`);
//! - `live`: the one stream of dashboard updates.
//!
//! Domain types go in, DTOs come out. It must not know about HTTP routing or Tauri.
//! What changes something is private here: a front door reaches it only through
//! `operation::perform`, which answers once the change is committed.

pub mod client;
pub mod dto;
mod error;
pub mod live;
pub mod operation;
pub mod typescript;

pub use error::ApiError;

use crate::action::Requester;
use crate::breaker::Steer;
use crate::engine::Engine;
use crate::model::{is_valid_id, ActionId, BreakerState, CheckId, Status};
use crate::store::{ActionRunFilter, IncidentFilter};

/// The longest pause.
const MAX_RANGE: std::time::Duration = std::time::Duration::from_secs(31 * 86_400);

/// The check with this id, or a 404 `unknown_check`.
fn known_check(engine: &Engine, id: &str) -> Result<CheckId, ApiError> {
    match engine.config().check(id) {
        Some(check) => Ok(check.id.clone()),
        None => Err(ApiError::unknown_check(id)),
    }
}

/// The checks of a configured group, or a 404 `unknown_group`.
fn group_checks(engine: &Engine, group: &str) -> Result<Vec<CheckId>, ApiError> {
    let checks: Vec<CheckId> =
        engine.config().checks.iter().filter(|c| c.group.as_deref() == Some(group)).map(|c| c.id.clone()).collect();
    if checks.is_empty() {
        return Err(ApiError::new(
            404,
            "unknown_group",
            format!("no check is in group `{group}`"),
            "name a `group` of the config, as the dashboard's overview lists them",
        ));
    }
    Ok(checks)
}

/// The action with this id, or a 404 `unknown_action`.
fn known_action(engine: &Engine, id: &str) -> Result<ActionId, ApiError> {
    match engine.config().action(id) {
        Some(action) => Ok(action.id.clone()),
        None => Err(ApiError::unknown_action(id, engine.config().actions.iter().map(|a| a.id.as_str()))),
    }
}

pub fn status(engine: &Engine) -> dto::StatusReportDto {
    let snapshot = engine.snapshot();
    let (now, zone) = (engine.now(), engine.zone().as_ref());
    dto::StatusReportDto {
        overview: overview(engine, &snapshot),
        checks: snapshot.iter().map(|c| dto::CheckDto::of(c, now, zone)).collect(),
    }
}

/// The overview of these checks, with the network as the sentinel tells it: down, or
/// not answering yet while checks are unknown for it.
fn overview(engine: &Engine, snapshot: &[crate::engine::CheckSnapshot]) -> dto::OverviewDto {
    let blamed = snapshot.iter().filter(|c| c.no_network).count();
    let network_down = engine.network_down().or_else(|| engine.network_blamed().filter(|_| blamed > 0));
    dto::OverviewDto::of(&crate::engine::overview(snapshot), network_down, blamed)
}

pub async fn check(engine: &Engine, id: &str) -> Result<dto::CheckDetailDto, ApiError> {
    let snapshot = engine.check(id).ok_or_else(|| ApiError::unknown_check(id))?;
    let changes = match snapshot.config.breaker {
        Some(_) => engine.store().breaker_changes(snapshot.config.id.clone(), 20).await.map_err(ApiError::store)?,
        None => Vec::new(),
    };
    let check = dto::CheckDto::of(&snapshot, engine.now(), engine.zone().as_ref());
    let mut detail = dto::CheckDetailDto::new(check, &snapshot.config);
    detail.breaker_changes = changes.iter().map(dto::BreakerChangeDto::from).collect();
    detail.push = engine.push_url(id).map(dto::PushDto::of);
    Ok(detail)
}

/// A job's heartbeat ping to check `id` through the URL's `token`: `status` is `ok` (the
/// default) or `fail`; the message is `msg`, else the body's text (capped). Answers the
/// check as it stands after the ping. A wrong token and a check that is no heartbeat get
/// the same 404, so a guess learns nothing.
pub async fn push(
    engine: &Engine,
    id: &str,
    token: &str,
    status: Option<&str>,
    msg: Option<String>,
    body: &[u8],
) -> Result<dto::PushedDto, ApiError> {
    let failed = match status.map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "ok" | "success" | "up") => false,
        Some("fail" | "failure" | "failed" | "error" | "down") => true,
        Some(other) => {
            return Err(ApiError::new(
                400,
                "bad_status",
                format!("`status={other}` is neither `ok` nor `fail`"),
                "leave `status` out for a success, or send `status=fail` with a `msg`",
            ))
        }
    };
    let text = String::from_utf8_lossy(body);
    let message = msg.or_else(|| (!text.trim().is_empty()).then(|| text.into_owned()));
    match engine.push(id, token, failed, message).await {
        Ok(()) => {}
        Err(crate::engine::PushError::Ping(crate::probe::heartbeat::PingError::Unknown)) => {
            return Err(ApiError::new(
                404,
                "no_heartbeat",
                "no heartbeat at this URL",
                "copy the URL from the check's page in the dashboard",
            ))
        }
        Err(crate::engine::PushError::Ping(e @ crate::probe::heartbeat::PingError::TooMany { .. })) => {
            return Err(ApiError::new(
                429,
                "too_many_pings",
                e.to_string(),
                "ping once when the job ends, not in a loop",
            ))
        }
        Err(crate::engine::PushError::Store(e)) => return Err(ApiError::store(e)),
    }
    let snapshot = engine.check(id).ok_or_else(|| ApiError::unknown_check(id))?;
    let check = dto::CheckDto::of(&snapshot, engine.now(), engine.zone().as_ref());
    Ok(dto::PushedDto { status: check.status, message: check.message })
}

/// A check's most recent results, newest first.
pub async fn results(engine: &Engine, args: dto::ResultsArgs) -> Result<dto::ResultsDto, ApiError> {
    let check = known_check(engine, &args.id)?;
    let limit = args.limit.unwrap_or(50).clamp(1, 1000);
    let measure = engine.config().check(&args.id).and_then(|c| c.probe.measure());
    let records = engine.store().results(check, limit).await.map_err(ApiError::store)?;
    Ok(dto::ResultsDto {
        check: args.id,
        measure: measure.map(Into::into),
        results: records.iter().map(|r| dto::ProbeResultDto::of(r, measure)).collect(),
    })
}

/// The longest window a history query may span: ten years.
const MAX_HISTORY: std::time::Duration = std::time::Duration::from_secs(3650 * 86_400);

/// A 400 for a history query's parameter.
fn bad_history(message: String) -> ApiError {
    let resolution = "give `from` and `to` as RFC 3339 times (or `range` as a duration such as `24h` or `90d`), `from` before `to`, at most 3650d apart, and `points` from 1 to 2000";
    ApiError::new(400, "bad_history_query", message, resolution)
}

fn parse_time(name: &str, text: &str, bad: fn(String) -> ApiError) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| bad(format!("`{name}={text}` is not an RFC 3339 time ({e})")))
}

/// The times `from`, `range` (back from `to`) and `to` a chart, a list or an export give,
/// each optional: `from` and `range` not both, `from` before `to`.
type Window = (Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>);

fn window(
    engine: &Engine,
    [from, range, to]: [&Option<String>; 3],
    bad: fn(String) -> ApiError,
) -> Result<Window, ApiError> {
    let to = to.as_deref().map(|text| parse_time("to", text, bad)).transpose()?;
    let from = match (from.as_deref(), range.as_deref()) {
        (Some(_), Some(_)) => return Err(bad("give `from` or `range`, not both".into())),
        (Some(text), None) => Some(parse_time("from", text, bad)?),
        (None, Some(text)) => {
            let range = crate::units::parse_duration(text)
                .map_err(|e| bad(format!("`range={text}` is not a duration: {e}")))?;
            if range.is_zero() || range > MAX_HISTORY {
                return Err(bad(format!("`range={text}` is not between 1s and 3650d")));
            }
            Some(crate::clock::earlier(to.unwrap_or_else(|| engine.now()), range))
        }
        (None, None) => None,
    };
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            return Err(bad(format!("`from` ({}) is not before `to` ({})", dto::rfc3339(&from), dto::rfc3339(&to))));
        }
    }
    Ok((from, to))
}

/// A 400 for an export's parameter.
fn bad_export(message: String) -> ApiError {
    let resolution = "ask for `what=results|incidents|notifications|actions`, `format=csv|json`, a configured `check` or `group`, `class` (results and incidents) as one of the failure classes in docs/API.md, and `from`/`to` as RFC 3339 times or `range` as a duration such as `7d`";
    ApiError::new(400, "bad_export", message, resolution)
}

/// A 400 for an incident list's parameter.
fn bad_incidents(message: String) -> ApiError {
    let resolution = "give `from` and `to` as RFC 3339 times or `range` as a duration such as `24h` or `90d` (not with `from`), `from` before `to`, and `class` as one of the failure classes in docs/API.md";
    ApiError::new(400, "bad_incidents_query", message, resolution)
}

/// A check's history over a window in points: the latency chart. Read from the
/// finest source that has the window (`store::rollups::plan`).
pub async fn history(engine: &Engine, args: dto::HistoryArgs) -> Result<dto::HistoryDto, ApiError> {
    let check = known_check(engine, &args.id)?;
    // With neither `from` nor `range`, the last hour.
    let range = match (&args.from, &args.range) {
        (None, None) => Some("1h".to_owned()),
        (_, range) => range.clone(),
    };
    let (from, to) = window(engine, [&args.from, &range, &args.to], bad_history)?;
    let to = to.unwrap_or_else(|| engine.now());
    let from = from.unwrap_or(to);
    if from >= to {
        return Err(bad_history(format!(
            "`from` ({}) is not before `to` ({})",
            dto::rfc3339(&from),
            dto::rfc3339(&to)
        )));
    }
    if (to - from).to_std().unwrap_or(std::time::Duration::MAX) > MAX_HISTORY {
        return Err(bad_history("`from` and `to` are more than 3650d apart".into()));
    }
    let points = match args.points {
        None => 360,
        Some(n @ 1..=2000) => n,
        Some(n) => return Err(bad_history(format!("`points={n}` is not 1 to 2000"))),
    };
    let horizons = engine.store().chart_horizons(&engine.config().settings.retention, engine.now());
    let plan =
        crate::store::rollups::plan(&horizons, crate::store::to_millis(from), crate::store::to_millis(to), points);
    let from = crate::store::from_millis(plan.from_ms);
    if plan.source != crate::store::rollups::Source::Results {
        rollups_written(engine).await;
    }
    let rows = engine.store().history(check, plan.source, (from, to), plan.bucket_ms).await.map_err(ApiError::store)?;
    let mut total = crate::store::rollups::Rollup::default();
    rows.iter().for_each(|(_, rollup)| total.merge(rollup));
    let measure = engine.config().check(&args.id).and_then(|c| c.probe.measure());
    Ok(dto::HistoryDto {
        check: args.id,
        from: dto::rfc3339(&from),
        to: dto::rfc3339(&to),
        bucket_ms: plan.bucket_ms,
        source: plan.source.into(),
        measure: measure.map(Into::into),
        summary: dto::HistoryPointDto::of(&from, &total),
        uptime_text: crate::words::uptime(total.uptime_pct()),
        points: rows.iter().map(|(t, rollup)| dto::HistoryPointDto::of(t, rollup)).collect(),
    })
}

/// An export, checked and ready to stream: what, how, which rows, and the secrets its
/// texts must not show.
pub struct Export {
    pub table: crate::store::export::Table,
    pub json: bool,
    pub filter: crate::store::export::Filter,
    secrets: Vec<String>,
}

/// Rows read from the history a page at a time while an export streams.
pub const EXPORT_PAGE: u32 = 2000;

/// Checks an export's parameters: a 400 `bad_export` with the fix for any that is wrong.
pub fn export(engine: &Engine, args: dto::ExportArgs) -> Result<Export, ApiError> {
    use crate::store::export::Table;
    let bad = bad_export;
    let table =
        Table::parse(&args.what).ok_or_else(|| bad(format!("`what={}` is not something to export", args.what)))?;
    let json = match args.format.as_deref() {
        None | Some("csv") => false,
        Some("json") => true,
        Some(other) => return Err(bad(format!("`format={other}` is neither csv nor json"))),
    };
    let checks = match (args.check.as_deref(), args.group.as_deref()) {
        (Some(_), Some(_)) => return Err(bad("give `check` or `group`, not both".into())),
        (Some(id), None) => Some(vec![known_check(engine, id)?]),
        (None, Some(group)) => Some(group_checks(engine, group)?),
        (None, None) => None,
    };
    if args.class.is_some() && !table.has_class() {
        return Err(bad(format!("`class` filters results and incidents, not {}", args.what)));
    }
    let (from, to) = window(engine, [&args.from, &args.range, &args.to], bad)?;
    let (from_ms, to_ms) = (from.map(crate::store::to_millis), to.map(crate::store::to_millis));
    let config = engine.config();
    let mut secrets: Vec<String> =
        config.checks.iter().flat_map(|c| c.probe.secrets().into_iter().map(str::to_owned)).collect();
    secrets.sort();
    secrets.dedup();
    Ok(Export {
        table,
        json,
        filter: crate::store::export::Filter { checks, class: args.class.map(Into::into), from_ms, to_ms },
        secrets,
    })
}

impl Export {
    pub fn content_type(&self) -> &'static str {
        if self.json {
            "application/json"
        } else {
            "text/csv; charset=utf-8"
        }
    }

    /// `watchkeeper-results-20261207T101500Z.csv`.
    pub fn file_name(&self, now: chrono::DateTime<chrono::Utc>) -> String {
        let what = crate::store::export::Table::ALL.iter().find(|(t, _)| *t == self.table).map_or("export", |(_, n)| n);
        format!("watchkeeper-{what}-{}.{}", now.format("%Y%m%dT%H%M%SZ"), if self.json { "json" } else { "csv" })
    }

    /// What comes before the first row: the CSV header, or the JSON array's start.
    pub fn head(&self) -> String {
        if self.json {
            "[".to_owned()
        } else {
            let mut line = self.table.columns().join(",");
            line.push_str("\r\n");
            line
        }
    }

    /// What comes after the last.
    pub fn tail(&self) -> &'static str {
        if self.json {
            "\n]\n"
        } else {
            ""
        }
    }

    /// A row, its texts masked: a CSV line, or a JSON object (after a comma unless it
    /// is the first).
    pub fn row(&self, cells: &[crate::store::export::Cell], first: bool) -> String {
        use crate::store::export::Cell;
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        let text = |cell: &Cell| -> Option<String> {
            Some(match cell {
                Cell::Null => return None,
                Cell::Int(n) => n.to_string(),
                Cell::Real(x) => x.to_string(),
                Cell::Bool(b) => b.to_string(),
                Cell::Time(ms) => dto::rfc3339(&crate::store::from_millis(*ms)),
                Cell::Text(t) => crate::engine::evidence::redact_text(t, &secrets),
            })
        };
        if self.json {
            let object: serde_json::Map<String, serde_json::Value> = self
                .table
                .columns()
                .into_iter()
                .zip(cells)
                .map(|(name, cell)| {
                    let value = match cell {
                        Cell::Null => serde_json::Value::Null,
                        Cell::Int(n) => (*n).into(),
                        Cell::Real(x) => serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, Into::into),
                        Cell::Bool(b) => (*b).into(),
                        other => text(other).into(),
                    };
                    (name.to_owned(), value)
                })
                .collect();
            let object = serde_json::Value::Object(object).to_string();
            format!("{}\n{object}", if first { "" } else { "," })
        } else {
            let mut line =
                cells.iter().map(|cell| csv_field(text(cell).as_deref().unwrap_or(""))).collect::<Vec<_>>().join(",");
            line.push_str("\r\n");
            line
        }
    }
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, its
/// quotes doubled; a field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) is
/// prefixed with `'`.
fn csv_field(text: &str) -> String {
    let text = match text.chars().next() {
        Some('=' | '+' | '@') => format!("'{text}"),
        Some('-') if text.parse::<f64>().is_err() => format!("'{text}"),
        _ => text.to_owned(),
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The writer writes its rollups every few seconds (`store::rollups::WRITE_EVERY`): a
/// read of them first has it write what it holds, so a chart or an uptime counts every
/// result committed. A writer that cannot commit leaves them as they are, and the read
/// still answers with what is written.
async fn rollups_written(engine: &Engine) {
    if let Err(e) = engine.writer().flush().await {
        tracing::debug!(error = %e, "rollups read before the writer could write those it holds");
    }
}

/// How many results a strip shows by default, and at most.
const STRIP: (u32, u32) = (30, 100);

/// Every check's latest results and 24 h uptime: the overview's strips.
pub async fn strips(engine: &Engine, args: dto::StripsArgs) -> Result<dto::StripsDto, ApiError> {
    let length = match args.results {
        None => STRIP.0,
        Some(n) if n <= STRIP.1 => n,
        Some(n) => {
            let message = format!("`results={n}` is more than {}", STRIP.1);
            return Err(ApiError::new(400, "bad_request", message, "ask for 0 to 100 results a check (default 30)"));
        }
    };
    let checks: Vec<CheckId> = engine.config().checks.iter().map(|c| c.id.clone()).collect();
    let (name, window) = crate::store::UPTIME_WINDOWS[0];
    rollups_written(engine).await;
    let strips = engine.store().strips(checks.clone(), engine.now(), window, length).await.map_err(ApiError::store)?;
    Ok(dto::StripsDto {
        length,
        window: name.to_owned(),
        checks: checks
            .iter()
            .zip(strips)
            .map(|(check, (results, total))| dto::StripDto {
                check: check.to_string(),
                results: results.iter().rev().map(dto::TickDto::from).collect(),
                uptime: total.uptime_pct().map(|p| (p * 1000.0).round() / 1000.0),
                uptime_text: crate::words::uptime(total.uptime_pct()),
            })
            .collect(),
    })
}

/// A check's uptime over 24 h, 7, 30 and 90 days, MTTR and MTBF, and its incidents.
pub async fn uptime(engine: &Engine, args: dto::IdArgs) -> Result<dto::UptimeDto, ApiError> {
    let check = known_check(engine, &args.id)?;
    let now = engine.now();
    rollups_written(engine).await;
    let uptime = engine.store().uptime(check, now).await.map_err(ApiError::store)?;
    let window = |i: usize| dto::UptimeWindowDto::of(crate::store::UPTIME_WINDOWS[i].0, &uptime.windows[i]);
    Ok(dto::UptimeDto {
        check: args.id,
        at: dto::rfc3339(&now),
        windows: dto::UptimeWindowsDto { day: window(0), week: window(1), month: window(2), quarter: window(3) },
        mttr_s: uptime.mttr.map(|d| d.as_secs_f64()),
        mttr_text: uptime.mttr.map(crate::words::duration),
        mtbf_s: uptime.mtbf.map(|d| d.as_secs_f64()),
        mtbf_text: uptime.mtbf.map(crate::words::duration),
        incidents: uptime.incidents.iter().map(|i| dto::IncidentSpanDto::of(i, now)).collect(),
    })
}

pub async fn incidents(engine: &Engine, args: dto::IncidentsArgs) -> Result<dto::IncidentsDto, ApiError> {
    let check_id = args.check.as_deref().map(|check| known_check(engine, check)).transpose()?;
    let checks = args.group.as_deref().map(|group| group_checks(engine, group)).transpose()?;
    let (from, to) = window(engine, [&args.from, &args.range, &args.to], bad_incidents)?;
    let filter = IncidentFilter {
        check_id,
        checks,
        class: args.class.map(Into::into),
        open_only: args.open.unwrap_or(false),
        from,
        to,
        limit: args.limit.unwrap_or(100).clamp(1, 1000),
        ..IncidentFilter::default()
    };
    let records = engine.store().incidents(filter).await.map_err(ApiError::store)?;
    let runs =
        engine.store().runs_on_incidents(records.iter().map(|i| i.id).collect()).await.map_err(ApiError::store)?;
    let mut incidents = Vec::new();
    for record in &records {
        let mut incident = dto::IncidentDto::from(record);
        let on_it = runs.iter().filter(|run| run.run.incident_id == Some(record.id));
        incident.actions = on_it.map(dto::IncidentRunDto::from).collect();
        incidents.push(with_alerting(engine, incident).await?);
    }
    Ok(dto::IncidentsDto { incidents })
}

/// An incident with its notes and how many notifications were sent about it.
async fn with_alerting(engine: &Engine, mut incident: dto::IncidentDto) -> Result<dto::IncidentDto, ApiError> {
    let (_, sent) = engine.store().incident_alerting(incident.id).await.map_err(ApiError::store)?;
    incident.notifications = sent;
    incident.notes = engine.store().notes(incident.id).await.map_err(ApiError::store)?.iter().map(Into::into).collect();
    Ok(incident)
}

/// One incident, as `GET /api/v1/incidents` shows it.
async fn incident(engine: &Engine, id: i64) -> Result<dto::IncidentDto, ApiError> {
    let filter = IncidentFilter { id: Some(id), limit: 1, ..IncidentFilter::default() };
    let record = engine.store().incidents(filter).await.map_err(ApiError::store)?.into_iter().next();
    let record = record.ok_or_else(|| unknown_incident(id))?;
    let runs = engine.store().runs_on_incidents(vec![id]).await.map_err(ApiError::store)?;
    let mut found = dto::IncidentDto::from(&record);
    found.actions = runs.iter().map(dto::IncidentRunDto::from).collect();
    with_alerting(engine, found).await
}

/// `GET /api/v1/incidents/{id}`: one incident with its evidence.
async fn incident_with_evidence(engine: &Engine, id: &str) -> Result<dto::IncidentDto, ApiError> {
    let id = incident_id(id)?;
    let mut found = incident(engine, id).await?;
    found.evidence = engine.store().evidence(id).await.map_err(ApiError::store)?.as_ref().map(|e| Box::new(e.into()));
    Ok(found)
}

fn unknown_incident(id: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        404,
        "unknown_incident",
        format!("no incident has id `{id}`"),
        "`watchkeeper incidents` and the dashboard's Incidents page list them",
    )
}

fn incident_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| unknown_incident(text))
}

/// `POST /api/v1/incidents/{id}/ack`: its reminders stop; it ends with the incident.
async fn ack(engine: &Engine, args: dto::AckArgs, requester: Requester) -> Result<dto::IncidentDto, ApiError> {
    let id = incident_id(&args.id)?;
    if let Some(note) = &args.note {
        note_text(note)?;
    }
    match engine.ack(id, args.note, requester).await {
        Ok(()) => {}
        Err(crate::engine::AlertRefused::Resolved) => {
            return Err(ApiError::new(
                409,
                "incident_resolved",
                format!("incident {id} is resolved: there is nothing left to acknowledge"),
                "acknowledge an open incident; a resolved one can still take a note (its row on the dashboard's Incidents page)",
            ))
        }
        Err(crate::engine::AlertRefused::Store(error)) => return Err(ApiError::store(error)),
        Err(_) => return Err(unknown_incident(id)),
    }
    // Its answer is read from the history: the acknowledgement and note in it.
    engine.writer().flush().await.map_err(ApiError::store)?;
    incident(engine, id).await
}

fn note_text(text: &str) -> Result<&str, ApiError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(ApiError::new(
            400,
            "bad_request",
            "a note must have 1 to 2000 characters",
            "write what was found or done, e.g. \"disk cleaned, restarted the worker\"",
        ));
    }
    Ok(text)
}

/// `POST /api/v1/incidents/{id}/notes`.
async fn add_note(engine: &Engine, args: dto::NoteArgs, requester: Requester) -> Result<dto::IncidentDto, ApiError> {
    let id = incident_id(&args.id)?;
    let text = note_text(&args.text)?.to_owned();
    if !engine.store().incident_exists(id).await.map_err(ApiError::store)? {
        return Err(unknown_incident(id));
    }
    engine.add_note(id, text, requester).await;
    // Its answer is read from the history: the note in it.
    engine.writer().flush().await.map_err(ApiError::store)?;
    incident(engine, id).await
}

/// `GET /api/v1/notifications`: every decision, newest first.
pub async fn notifications(engine: &Engine, args: dto::NotificationsArgs) -> Result<dto::NotificationsDto, ApiError> {
    let check_id = args.check.as_deref().map(|check| known_check(engine, check)).transpose()?;
    if let Some(channel) = args.channel.as_deref() {
        if engine.config().channel(channel).is_none() {
            let config = engine.config();
            let known: Vec<&str> = config.channels.iter().map(|c| c.id.as_str()).collect();
            return Err(ApiError::new(
                404,
                "unknown_channel",
                format!("no channel has the id `{channel}`"),
                format!("the configured channels are: {}", known.join(", ")),
            ));
        }
    }
    let filter = crate::store::NotificationFilter {
        check_id,
        incident: args.incident,
        channel: args.channel,
        event: args.event.map(Into::into),
        outcome: args.outcome.map(Into::into),
        limit: args.limit.unwrap_or(100).clamp(1, 1000),
    };
    let records = engine.store().notifications(filter).await.map_err(ApiError::store)?;
    Ok(dto::NotificationsDto { notifications: records.iter().map(Into::into).collect() })
}

/// `POST /api/v1/silences`: a silence of checks and groups, for a while or until a time.
async fn create_silence(
    engine: &Engine,
    args: dto::SilenceArgs,
    requester: Requester,
) -> Result<dto::SilenceDto, ApiError> {
    let now = engine.now();
    let bad = |message: String, resolution: &str| ApiError::new(400, "bad_request", message, resolution);
    let (ids, groups) = (args.checks.unwrap_or_default(), args.groups.unwrap_or_default());
    if ids.is_empty() && groups.is_empty() {
        return Err(bad(
            "a silence needs a target".into(),
            "name `checks` (ids) or `groups`, e.g. {\"checks\": [\"api\"], \"for\": \"1h\", \"reason\": \"deploy\"}",
        ));
    }
    let mut checks = Vec::new();
    for id in &ids {
        checks.push(known_check(engine, id)?);
    }
    for group in &groups {
        group_checks(engine, group)?;
    }
    let reason = args.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(bad("a silence needs a reason of 1 to 500 characters".into(), "say why, e.g. \"deploying v2\""));
    }
    let snoozes = || crate::words::SNOOZES.iter().map(|(code, _)| format!("`{code}`")).collect::<Vec<_>>().join(", ");
    let ends_at = match (&args.r#for, &args.until, &args.snooze) {
        (Some(_), _, Some(code)) | (_, Some(_), Some(code)) => {
            return Err(bad(format!("give `snooze` (`{code}`) or `for` or `until`, not two"), "keep one of them"))
        }
        (None, None, Some(code)) => crate::alert::snooze_until(code, now, engine.zone().as_ref())
            .ok_or_else(|| bad(format!("`snooze` `{code}` is not a snooze"), &format!("use one of {}", snoozes())))?,
        (Some(_), Some(_), None) => return Err(bad("give `for` or `until`, not both".into(), "keep one of them")),
        (None, None, None) => {
            return Err(bad(
                "a silence needs an end".into(),
                "add `for` (e.g. \"1h\"), `until` (RFC 3339) or `snooze` (e.g. \"tomorrow\")",
            ))
        }
        (Some(span), None, None) => {
            let span = crate::units::parse_duration(span)
                .map_err(|e| bad(format!("`for`: {e}"), "write a duration, e.g. \"30m\", \"1h\", \"2d\""))?;
            if span.is_zero() || span > std::time::Duration::from_secs(366 * 86_400) {
                return Err(bad("`for` must be more than 0 and at most a year".into(), "e.g. \"1h\""));
            }
            crate::clock::later(now, span)
        }
        (None, Some(until), None) => {
            let until = chrono::DateTime::parse_from_rfc3339(until)
                .map_err(|e| bad(format!("`until` is not an RFC 3339 time: {e}"), "e.g. \"2026-12-24T18:00:00Z\""))?
                .with_timezone(&chrono::Utc);
            if until <= now {
                return Err(bad(
                    format!("`until` ({}) is in the past", dto::rfc3339(&until)),
                    "give a time to come, or use `for`",
                ));
            }
            if until > now + chrono::Duration::days(366) {
                return Err(bad("`until` must be within a year".into(), "silence for less; end it early with DELETE"));
            }
            until
        }
    };
    let record = crate::store::SilenceRecord {
        id: 0,
        checks,
        groups,
        starts_at: now,
        ends_at,
        reason: reason.to_owned(),
        created_by: requester.as_str().to_owned(),
        ended_at: None,
    };
    let created = engine.silence(record).await;
    Ok(dto::SilenceDto::of(&created, now))
}

/// `GET /api/v1/silences`: those muting now or later, or `all`.
pub async fn silences(engine: &Engine, args: dto::SilencesArgs) -> Result<dto::SilencesDto, ApiError> {
    let now = engine.now();
    let records = engine.store().silences(now, args.all.unwrap_or(false)).await.map_err(ApiError::store)?;
    Ok(dto::SilencesDto { silences: records.iter().map(|s| dto::SilenceDto::of(s, now)).collect() })
}

/// `DELETE /api/v1/silences/{id}`: ends it now.
async fn end_silence(engine: &Engine, id: &str) -> Result<dto::SilenceDto, ApiError> {
    let unknown = || {
        ApiError::new(
            404,
            "unknown_silence",
            format!("no silence has id `{id}`"),
            "`watchkeeper silences --all` and the dashboard's Alerts page list them",
        )
    };
    let parsed = id.parse::<i64>().map_err(|_| unknown())?;
    let ended = match engine.end_silence(parsed).await {
        Ok(ended) => ended,
        Err(crate::engine::AlertRefused::Store(error)) => return Err(ApiError::store(error)),
        Err(_) => return Err(unknown()),
    };
    Ok(dto::SilenceDto::of(&ended, engine.now()))
}

async fn run_action(
    engine: &Engine,
    args: dto::RunActionArgs,
    requester: Requester,
) -> Result<dto::ActionRunDto, ApiError> {
    // A ref is spelt as an id is.
    if let Some(r#ref) = args.r#ref.as_deref().filter(|r#ref| !is_valid_id(r#ref)) {
        return Err(ApiError::new(
            400,
            "bad_request",
            format!("invalid ref `{ref}`"),
            "a ref is 1 to 64 letters, digits, `-` or `_`",
        ));
    }
    match engine.run_action(&args.id, args.dry_run, requester, args.r#ref.as_deref()).await {
        Err(e) => Err(ApiError::run(e, &args.id, engine.config().actions.iter().map(|a| a.id.as_str()))),
        Ok(run) => Ok(dto::ActionRunDto::from(&run)),
    }
}

/// Puts a cleanup run's quarantined files back.
async fn undo(engine: &Engine, id: &str) -> Result<dto::UndoneDto, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::bad_request(format!("`{id}` is not a run id (a number)")))?;
    let (record, restored) = engine.undo(id).await.map_err(ApiError::undo)?;
    Ok(dto::UndoneDto { run: dto::ActionRunDto::from(&record), restored: restored as u64 })
}

/// Every configured action with its budget as it stands.
pub fn actions(engine: &Engine) -> Vec<dto::ActionDto> {
    let config = engine.config();
    config
        .actions
        .iter()
        .filter_map(|action| {
            let budget = engine.budget(action.id.as_str())?;
            Some(dto::ActionDto::new(action, &config.checks, &budget, engine.now()))
        })
        .collect()
}

/// Resets an action's budget: its counted runs are forgotten, and the checks that heal
/// with it start over.
async fn reset_action(engine: &Engine, id: &str, requester: Requester) -> Result<dto::ActionDto, ApiError> {
    let config = engine.config();
    let unknown = || ApiError::unknown_action(id, config.actions.iter().map(|a| a.id.as_str()));
    let action = config.action(id).ok_or_else(unknown)?;
    let budget = engine.reset_budget(id, requester).await.ok_or_else(unknown)?;
    Ok(dto::ActionDto::new(action, &config.checks, &budget, engine.now()))
}

/// Steers a check's breaker: `forced_open`, `disabled`, or `closed` (a reset).
async fn steer_breaker(
    engine: &Engine,
    id: &str,
    state: dto::BreakerStateDto,
    requester: Requester,
) -> Result<dto::BreakerDto, ApiError> {
    known_check(engine, id)?;
    let wanted = BreakerState::from(state);
    let Some(steer) = Steer::toward(wanted) else {
        return Err(ApiError::new(
            400,
            "bad_request",
            format!("a breaker cannot be set {wanted}: it opens and half-opens by itself"),
            "ask for `forced_open`, `disabled` or `closed` (a reset)",
        ));
    };
    let config = engine.config();
    let breaker = config.check(id).and_then(|c| c.breaker);
    match (engine.steer_breaker(id, steer, requester).await, breaker) {
        (Some(Some(view)), Some(config)) => {
            Ok(dto::BreakerDto::of(&view, &config, engine.now(), engine.zone().as_ref()))
        }
        (None, _) => Err(ApiError::unknown_check(id)),
        _ => Err(ApiError::new(
            409,
            "no_breaker",
            format!("check `{id}` has no breaker"),
            "only checks of a remote target (http, tcp, dns, prometheus) have one, unless their config says `breaker = { enabled = false }`",
        )),
    }
}

/// Pauses one check (`Some(id)`) or all of them for `duration` (until resumed when
/// `None`): not probed, shown `paused`, no alerts.
async fn pause(engine: &Engine, id: Option<&str>, duration: Option<&str>) -> Result<dto::PauseResultDto, ApiError> {
    if let Some(id) = id {
        known_check(engine, id)?;
    }
    let until = match duration {
        None => None,
        Some(text) => {
            let duration = crate::units::parse_duration(text)
                .map_err(|e| ApiError::bad_request(format!("invalid pause `{text}`: {e}")))?;
            if duration.is_zero() || duration > MAX_RANGE {
                return Err(ApiError::new(
                    400,
                    "bad_request",
                    format!("a pause must last between 1s and 31d, got `{text}`"),
                    "ask for 15m, 1h or 4h, or leave `for` out to pause until resumed",
                ));
            }
            Some(crate::clock::later(engine.now(), duration))
        }
    };
    let changed = engine.pause(id, until).await.ok_or_else(|| ApiError::unknown_check(id.unwrap_or_default()))?;
    Ok(dto::PauseResultDto { changed, until: until.as_ref().map(dto::rfc3339) })
}

/// Ends the pause of one check (`Some(id)`) or of all of them.
async fn resume(engine: &Engine, id: Option<&str>) -> Result<dto::PauseResultDto, ApiError> {
    if let Some(id) = id {
        known_check(engine, id)?;
    }
    let changed = engine.resume(id).await.ok_or_else(|| ApiError::unknown_check(id.unwrap_or_default()))?;
    Ok(dto::PauseResultDto { changed, until: None })
}

pub async fn action_runs(engine: &Engine, args: dto::ActionRunsArgs) -> Result<dto::ActionRunsDto, ApiError> {
    let check_id = args.check.as_deref().map(|check| known_check(engine, check)).transpose()?;
    let action_id = args.action.as_deref().map(|action| known_action(engine, action)).transpose()?;
    let filter = ActionRunFilter {
        action_id,
        check_id,
        incident_id: args.incident,
        limit: args.limit.unwrap_or(50).clamp(1, 500),
    };
    let records = engine.store().action_runs(filter).await.map_err(ApiError::store)?;
    Ok(dto::ActionRunsDto { runs: records.iter().map(dto::ActionRunDto::from).collect() })
}

/// An edit's answer: the reload it made, or why nothing changed.
fn edited(
    outcome: Result<crate::engine::reload::Reload, crate::engine::EditRefused>,
) -> Result<dto::ReloadDto, ApiError> {
    let reload = outcome.map_err(ApiError::edit)?;
    if reload.ok {
        Ok(dto::ReloadDto::from(&reload))
    } else {
        // Compiled before it was written; a file that fails now changed meanwhile.
        Err(ApiError::config_invalid(reload.errors))
    }
}

/// Reads the config file again and applies it (`POST /api/v1/config/reload`): what
/// changed, or 400 `config_invalid` with every error (the running config stays).
pub async fn reload(engine: &Engine, requester: Requester) -> Result<dto::ReloadDto, ApiError> {
    let trigger = match requester {
        Requester::Cli => crate::engine::reload::Trigger::Cli,
        _ => crate::engine::reload::Trigger::Api,
    };
    let reload = engine.reload(trigger).await;
    if reload.ok {
        Ok(dto::ReloadDto::from(&reload))
    } else {
        Err(ApiError::config_invalid(reload.errors))
    }
}

pub fn health(engine: &Engine) -> dto::HealthDto {
    use crate::figures::OwnFigures;
    let mut degraded = engine.degraded();
    let figures = engine.figures();
    // Read now: a disk that filled up or was freed since the start says so.
    let data_dir = engine.store().path().parent().unwrap_or(std::path::Path::new("."));
    let free = crate::doctor::free_space(data_dir);
    let failing = OwnFigures::get(&figures.write_failing) > 0;
    // While commits fail (kept in memory and retried, nothing lost yet), not after.
    if failing {
        let fault = crate::figures::WriteFault::from_figure(OwnFigures::get(&figures.write_fault));
        degraded.push(crate::words::history_failing(fault, free, data_dir, OwnFigures::get(&figures.queue_depth)));
    }
    if let Some(free) = free.filter(|free| *free < crate::doctor::LOW_DISK && !failing) {
        degraded.push(format!(
            "history: only {} free on the disk of {}; writes may fail: free some space",
            crate::units::format_size(free),
            data_dir.display()
        ));
    }
    if let Some(max) =
        engine.config().settings.retention.max_bytes.filter(|_| OwnFigures::get(&figures.size_at_floor) > 0)
    {
        degraded.push(crate::words::over_size_cap(OwnFigures::get(&figures.db_bytes), max));
    }
    let dropped = OwnFigures::get(&figures.dropped);
    if dropped > 0 {
        degraded.push(crate::words::results_dropped(dropped));
    }
    degraded.extend(engine.failing_channels());
    if let Some(errors) = engine.config_failing() {
        degraded.push(crate::words::config_failing(&errors));
    }
    if let Some(seen) = crate::panics::seen() {
        degraded.push(crate::words::panics_seen(seen.count, &seen.last));
    }
    dto::HealthDto {
        status: if degraded.is_empty() { dto::HealthStatusDto::Ok } else { dto::HealthStatusDto::Degraded },
        degraded,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: engine.started_at(),
        checks: engine.config().checks.len(),
    }
}

/// `watchkeeper check`: every check (or those named) probed once, without a daemon.
pub async fn check_once(config: &crate::config::Config, ids: &[String]) -> dto::CheckRunDto {
    let results = crate::engine::check_once(config, ids).await;
    let overall = Status::worst(results.iter().map(|(_, r)| r.verdict.status()));
    let checks = results
        .iter()
        .map(|(check, result)| dto::CheckOnceDto {
            id: check.id.to_string(),
            name: check.name.clone(),
            kind: check.kind().to_owned(),
            status: result.verdict.status().into(),
            latency_ms: result.latency.map(|l| l.as_secs_f64() * 1000.0),
            message: result.message.clone(),
            failure: result.failure().map(|f| dto::FailureDto::from(f.class)),
        })
        .collect();
    dto::CheckRunDto { overall: overall.into(), checks }
}
