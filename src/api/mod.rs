//! The API layer: the operations the HTTP server, the CLI and (next) the Tauri
//! commands call, and the only place that knows wire shapes.
//!
//! Domain types go in, DTOs come out. It must not know about HTTP routing or Tauri.

pub mod dto;
mod error;

pub use error::ApiError;

use crate::action::Requester;
use crate::engine::Engine;
use crate::model::Status;
use crate::store::IncidentFilter;

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

pub fn check(engine: &Engine, id: &str) -> Result<dto::CheckDto, ApiError> {
    engine.check(id).map(|c| dto::CheckDto::from(&c)).ok_or_else(|| ApiError::unknown_check(id))
}

pub async fn incidents(engine: &Engine, query: dto::IncidentQuery) -> Result<dto::IncidentsDto, ApiError> {
    if let Some(check) = &query.check {
        if engine.config().check(check).is_none() {
            return Err(ApiError::unknown_check(check));
        }
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
    match engine.run_action(id, request.dry_run, requester).await {
        None => Err(ApiError::unknown_action(id, engine.config().actions.iter().map(|a| a.id.as_str()))),
        Some(Err(e)) => Err(ApiError::store(e)),
        Some(Ok(run)) => Ok(dto::ActionRunDto::from(&run)),
    }
}

pub async fn action_runs(engine: &Engine, limit: Option<u32>) -> Result<dto::ActionRunsDto, ApiError> {
    let records = engine.store().action_runs(limit.unwrap_or(50).clamp(1, 500)).await.map_err(ApiError::store)?;
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
