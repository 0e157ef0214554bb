//! The API layer: the operations the HTTP server, the CLI and (next) the Tauri
//! commands call, and the only place that knows wire shapes.
//!
//! Domain types go in, DTOs come out. It must not know about HTTP routing or Tauri.

pub mod dto;
mod error;
pub mod live;

pub use error::ApiError;

use crate::action::Requester;
use crate::engine::Engine;
use crate::model::Status;
use crate::store::{ActionRunFilter, IncidentFilter};

/// The longest history window one query may ask for.
const MAX_RANGE: std::time::Duration = std::time::Duration::from_secs(31 * 86_400);

/// A 404 `unknown_check` unless the config has a check with this id.
fn known_check(engine: &Engine, id: &str) -> Result<(), ApiError> {
    match engine.config().check(id) {
        Some(_) => Ok(()),
        None => Err(ApiError::unknown_check(id)),
    }
}

pub fn status(engine: &Engine) -> dto::StatusDto {
    let snapshot = engine.snapshot();
    let overall = Status::worst(snapshot.iter().map(|c| c.status));
    let groups = engine.groups(&snapshot);
    dto::StatusDto {
        overall: if snapshot.is_empty() { Status::Up.as_str() } else { overall.as_str() },
        checks: snapshot.iter().map(dto::CheckDto::from).collect(),
        groups: groups.into_iter().map(|(id, level)| dto::GroupDto { id, level: level.as_str() }).collect(),
    }
}

pub fn check(engine: &Engine, id: &str) -> Result<dto::CheckDetailDto, ApiError> {
    let snapshot = engine.check(id).ok_or_else(|| ApiError::unknown_check(id))?;
    Ok(dto::CheckDetailDto::new(dto::CheckDto::from(&snapshot), &snapshot.config))
}

/// A check's most recent results, newest first.
pub async fn results(engine: &Engine, id: &str, query: dto::ResultsQuery) -> Result<dto::ResultsDto, ApiError> {
    known_check(engine, id)?;
    let limit = query.limit.unwrap_or(50).clamp(1, 1000);
    let records = engine.store().results(id.to_owned(), limit).await.map_err(ApiError::store)?;
    Ok(dto::ResultsDto { check: id.to_owned(), results: records.iter().map(dto::ResultDto::from).collect() })
}

/// A check's results over a window, in buckets: the latency chart and uptime figures.
pub async fn history(engine: &Engine, id: &str, query: dto::HistoryQuery) -> Result<dto::HistoryDto, ApiError> {
    known_check(engine, id)?;
    let range = match query.range.as_deref() {
        None => std::time::Duration::from_secs(3600),
        Some(text) => crate::config::units::parse_duration(text)
            .map_err(|e| ApiError::bad_request(format!("invalid range `{text}`: {e}")))?,
    };
    if range.is_zero() || range > MAX_RANGE {
        return Err(ApiError::new(
            400,
            "bad_request",
            format!("range must be between 1s and 31d, got `{}`", query.range.unwrap_or_default()),
            "ask for 1h, 24h or 7d",
        ));
    }
    let to = match query.to.as_deref() {
        None => chrono::Utc::now(),
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| ApiError::bad_request(format!("invalid `to` `{text}`: {e}; use RFC 3339")))?,
    };
    let points = query.points.unwrap_or(360).clamp(10, 2000);
    let range_ms = range.as_millis() as u64;
    // Whole seconds, so buckets line up however the window is cut.
    let bucket_ms = (range_ms.div_ceil(u64::from(points))).max(1000).div_ceil(1000) as i64 * 1000;
    let range_ms = range_ms as i64;
    let from = to - chrono::Duration::milliseconds(range_ms);
    let buckets = engine.store().buckets(id.to_owned(), from, to, bucket_ms).await.map_err(ApiError::store)?;
    Ok(dto::HistoryDto {
        check: id.to_owned(),
        from: dto::rfc3339(&from),
        to: dto::rfc3339(&to),
        bucket_ms,
        summary: dto::HistorySummaryDto::of(&buckets),
        points: buckets.iter().map(dto::BucketDto::from).collect(),
    })
}

pub async fn incidents(engine: &Engine, query: dto::IncidentQuery) -> Result<dto::IncidentsDto, ApiError> {
    if let Some(check) = &query.check {
        known_check(engine, check)?;
    }
    let filter = IncidentFilter {
        check_id: query.check,
        open_only: query.open.unwrap_or(false),
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
    };
    let records = engine.store().incidents(filter).await.map_err(ApiError::store)?;
    Ok(dto::IncidentsDto { incidents: records.iter().map(dto::IncidentDto::from).collect() })
}

pub async fn run_action(
    engine: &Engine,
    id: &str,
    request: dto::RunActionRequest,
    requester: Requester,
) -> Result<dto::ActionRunDto, ApiError> {
    if let Some(reference) = &request.reference {
        let valid = !reference.is_empty()
            && reference.len() <= 64
            && reference.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(ApiError::new(
                400,
                "bad_request",
                format!("invalid ref `{reference}`"),
                "a ref is 1 to 64 letters, digits, `-` or `_`",
            ));
        }
    }
    match engine.run_action(id, request.dry_run, requester, request.reference.as_deref()).await {
        None => Err(ApiError::unknown_action(id, engine.config().actions.iter().map(|a| a.id.as_str()))),
        Some(Err(e)) => Err(ApiError::store(e)),
        Some(Ok(run)) => Ok(dto::ActionRunDto::from(&run)),
    }
}

/// Pauses one check (`Some(id)`) or all of them: not probed, shown `paused`, no alerts.
pub async fn pause(engine: &Engine, id: Option<&str>, request: dto::PauseRequest) -> Result<dto::PauseDto, ApiError> {
    if let Some(id) = id {
        known_check(engine, id)?;
    }
    let until = match request.duration.as_deref() {
        None => None,
        Some(text) => {
            let duration = crate::config::units::parse_duration(text)
                .map_err(|e| ApiError::bad_request(format!("invalid pause `{text}`: {e}")))?;
            if duration.is_zero() || duration > MAX_RANGE {
                return Err(ApiError::new(
                    400,
                    "bad_request",
                    format!("a pause must last between 1s and 31d, got `{text}`"),
                    "ask for 15m, 1h or 4h, or leave `for` out to pause until resumed",
                ));
            }
            Some(chrono::Utc::now() + chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX))
        }
    };
    let changed = engine.pause(id, until).await.ok_or_else(|| ApiError::unknown_check(id.unwrap_or_default()))?;
    Ok(dto::PauseDto { changed, until: until.as_ref().map(dto::rfc3339) })
}

/// Ends the pause of one check (`Some(id)`) or of all of them.
pub async fn resume(engine: &Engine, id: Option<&str>) -> Result<dto::PauseDto, ApiError> {
    if let Some(id) = id {
        known_check(engine, id)?;
    }
    let changed = engine.resume(id).await.ok_or_else(|| ApiError::unknown_check(id.unwrap_or_default()))?;
    Ok(dto::PauseDto { changed, until: None })
}

pub async fn action_runs(engine: &Engine, query: dto::ActionRunsQuery) -> Result<dto::ActionRunsDto, ApiError> {
    if let Some(check) = &query.check {
        known_check(engine, check)?;
    }
    if let Some(action) = &query.action {
        if engine.config().action(action).is_none() {
            return Err(ApiError::unknown_action(action, engine.config().actions.iter().map(|a| a.id.as_str())));
        }
    }
    let filter = ActionRunFilter {
        action_id: query.action,
        check_id: query.check,
        incident_id: query.incident,
        limit: query.limit.unwrap_or(50).clamp(1, 500),
    };
    let records = engine.store().action_runs(filter).await.map_err(ApiError::store)?;
    Ok(dto::ActionRunsDto { runs: records.iter().map(dto::ActionRunDto::from).collect() })
}

pub fn health(engine: &Engine) -> dto::HealthDto {
    let mut degraded = engine.degraded();
    let figures = engine.figures();
    let failures = crate::figures::OwnFigures::get(&figures.write_failures);
    if failures > 0 {
        degraded.push(format!(
            "history: {failures} batches failed to commit (disk full or read-only?); see the log in the data dir"
        ));
    }
    let dropped = crate::figures::OwnFigures::get(&figures.dropped);
    if dropped > 0 {
        degraded.push(format!("history: {dropped} results dropped because the write queue was full"));
    }
    dto::HealthDto {
        status: if degraded.is_empty() { "ok" } else { "degraded" },
        degraded,
        version: env!("CARGO_PKG_VERSION"),
        started_at: engine.started_at(),
        checks: engine.config().checks.len(),
    }
}
