//! Wire shapes: what the API sends and receives. Timestamps are RFC 3339 UTC.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::{CheckSnapshot, Event};
use crate::model::Verdict;
use crate::store::{ActionRunRecord, IncidentRecord};

fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(Debug, Serialize)]
pub struct StatusDto {
    pub overall: &'static str,
    pub checks: Vec<CheckDto>,
    pub groups: Vec<GroupDto>,
}

#[derive(Debug, Serialize)]
pub struct GroupDto {
    pub id: String,
    pub level: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckDto {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub group: Option<String>,
    pub critical: bool,
    pub status: &'static str,
    pub since: String,
    pub reason: Option<String>,
    pub interval_ms: u64,
    pub actions: Vec<String>,
    pub depends_on: Vec<String>,
    pub open_incident: Option<i64>,
    pub breaker: Option<BreakerDto>,
    pub last: Option<LastResultDto>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BreakerDto {
    pub state: &'static str,
    pub consecutive_failures: u32,
    pub next_trial_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LastResultDto {
    pub at: String,
    pub ok: bool,
    pub latency_ms: Option<f64>,
    pub message: String,
    pub failure: Option<FailureDto>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailureDto {
    pub class: &'static str,
    pub resolution: &'static str,
}

impl From<&CheckSnapshot> for CheckDto {
    fn from(check: &CheckSnapshot) -> CheckDto {
        let config = &check.config;
        CheckDto {
            id: config.id.as_str().to_owned(),
            name: config.name.clone(),
            kind: config.kind(),
            group: config.group.clone(),
            critical: config.critical,
            status: check.status.as_str(),
            since: rfc3339(&check.since),
            reason: check.reason.clone(),
            interval_ms: config.interval.as_millis() as u64,
            actions: config.actions.clone(),
            depends_on: config.depends_on.iter().map(|d| d.as_str().to_owned()).collect(),
            open_incident: check.open_incident,
            breaker: check.breaker.as_ref().map(|b| BreakerDto {
                state: b.state.as_str(),
                consecutive_failures: b.consecutive_failures,
                next_trial_at: b.next_trial_at.as_ref().map(rfc3339),
            }),
            last: check.last.as_ref().map(|r| LastResultDto {
                at: rfc3339(&r.at),
                ok: r.ok(),
                latency_ms: r.latency.map(|l| (l.as_secs_f64() * 1e5).round() / 100.0),
                message: r.message.clone(),
                failure: match &r.verdict {
                    Verdict::Down(failure) => {
                        Some(FailureDto { class: failure.class.as_str(), resolution: failure.class.resolution() })
                    }
                    Verdict::Unknown(_) => Some(FailureDto {
                        class: crate::model::FailureClass::ProbeError.as_str(),
                        resolution: crate::model::FailureClass::ProbeError.resolution(),
                    }),
                    _ => None,
                },
            }),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct IncidentQuery {
    pub check: Option<String>,
    pub open: Option<bool>,
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct IncidentsDto {
    pub incidents: Vec<IncidentDto>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentDto {
    pub id: i64,
    pub check: String,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub cause: String,
    pub cause_class: String,
    pub failed_conditions: Vec<String>,
    pub acked: bool,
    pub note: Option<String>,
}

impl From<&IncidentRecord> for IncidentDto {
    fn from(incident: &IncidentRecord) -> IncidentDto {
        IncidentDto {
            id: incident.id,
            check: incident.check_id.clone(),
            started_at: rfc3339(&incident.started_at),
            resolved_at: incident.resolved_at.as_ref().map(rfc3339),
            duration_ms: incident.resolved_at.map(|end| (end - incident.started_at).num_milliseconds()),
            cause: incident.cause.clone(),
            cause_class: incident.cause_class.clone(),
            failed_conditions: incident.failed_conditions.clone(),
            acked: incident.acked,
            note: incident.note.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunActionRequest {
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
pub struct ActionRunDto {
    pub id: i64,
    pub action: String,
    pub check: Option<String>,
    pub incident: Option<i64>,
    pub requested_by: String,
    pub dry_run: bool,
    pub status: String,
    pub exit_code: Option<i32>,
    pub output: String,
    pub started_at: String,
    pub duration_ms: i64,
    pub verified: Option<bool>,
}

impl From<&ActionRunRecord> for ActionRunDto {
    fn from(record: &ActionRunRecord) -> ActionRunDto {
        let run = &record.run;
        ActionRunDto {
            id: record.id,
            action: run.action_id.clone(),
            check: run.check_id.clone(),
            incident: run.incident_id,
            requested_by: run.requested_by.clone(),
            dry_run: run.dry_run,
            status: run.status.clone(),
            exit_code: run.exit_code,
            output: run.output.clone(),
            started_at: rfc3339(&run.started_at),
            duration_ms: run.duration_ms,
            verified: run.verified,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ActionRunsDto {
    pub runs: Vec<ActionRunDto>,
}

#[derive(Debug, Serialize)]
pub struct HealthDto {
    pub status: &'static str,
    pub degraded: Vec<String>,
    pub version: &'static str,
    pub started_at: DateTime<Utc>,
    pub checks: usize,
}

/// One server-sent event: its name and JSON data.
pub fn event(event: &Event) -> (&'static str, String) {
    match event {
        Event::Check(check) => ("check", serde_json::to_string(&CheckDto::from(check.as_ref())).unwrap_or_default()),
        Event::IncidentOpened(incident) => {
            ("incident", serde_json::to_string(&IncidentDto::from(incident)).unwrap_or_default())
        }
        Event::IncidentResolved { id, check_id, at } => (
            "incident_resolved",
            serde_json::json!({"id": id, "check": check_id, "resolved_at": rfc3339(at)}).to_string(),
        ),
    }
}
