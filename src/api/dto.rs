//! Wire shapes: what the API sends and receives. Timestamps are RFC 3339 UTC.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{CheckConfig, ProbeSpec, ProcessMatch};
use crate::engine::CheckSnapshot;
use crate::model::Verdict;
use crate::store::{ActionRunRecord, Bucket, IncidentRecord, ResultRecord};

/// RFC 3339 UTC with milliseconds: every timestamp on the wire.
pub(crate) fn rfc3339(at: &DateTime<Utc>) -> String {
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

/// One check with what it probes and how it is judged: the check page's header.
#[derive(Debug, Serialize)]
pub struct CheckDetailDto {
    #[serde(flatten)]
    pub check: CheckDto,
    /// What is probed, for people: `GET https://…`, `db:5432`, `disk /`; passwords in
    /// URLs are shown as `••••`.
    pub target: String,
    pub timeout_ms: u64,
    pub expect: Vec<String>,
    pub degraded_if: Vec<String>,
    pub failure_threshold: u32,
    pub success_threshold: u32,
}

impl CheckDetailDto {
    pub fn new(check: CheckDto, config: &CheckConfig) -> CheckDetailDto {
        CheckDetailDto {
            check,
            target: describe_target(&config.probe),
            timeout_ms: config.timeout.as_millis() as u64,
            expect: config.expect.iter().map(|c| c.source.clone()).collect(),
            degraded_if: config.degraded_if.iter().map(|c| c.source.clone()).collect(),
            failure_threshold: config.failure_threshold,
            success_threshold: config.success_threshold,
        }
    }
}

fn describe_target(probe: &ProbeSpec) -> String {
    match probe {
        ProbeSpec::Http(http) => {
            let mut url = http.url.clone();
            if url.password().is_some() {
                let _ = url.set_password(Some("••••"));
            }
            format!("{} {url}", http.method)
        }
        ProbeSpec::Tcp { host, port } => format!("{host}:{port}"),
        ProbeSpec::System { metric, mount } => match mount {
            Some(mount) => format!("{} {}", metric.as_str(), mount.display()),
            None => metric.as_str().to_owned(),
        },
        ProbeSpec::Process(ProcessMatch::Name(name)) => format!("process named {name}"),
        ProbeSpec::Process(ProcessMatch::Cmdline(regex)) => format!("process whose command line matches {regex}"),
        ProbeSpec::Process(ProcessMatch::PidFile(path)) => format!("process in {}", path.display()),
        ProbeSpec::Command(command) => command.argv.join(" "),
        ProbeSpec::Itself => "watchkeeper itself".to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsQuery {
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct ResultsDto {
    pub check: String,
    pub results: Vec<ResultDto>,
}

#[derive(Debug, Serialize)]
pub struct ResultDto {
    pub at: String,
    pub status: String,
    pub latency_ms: Option<f64>,
    pub class: Option<String>,
    pub message: String,
}

impl From<&ResultRecord> for ResultDto {
    fn from(result: &ResultRecord) -> ResultDto {
        ResultDto {
            at: rfc3339(&result.at),
            status: result.status.clone(),
            latency_ms: result.latency_us.map(|us| us as f64 / 1000.0),
            class: result.class.clone(),
            message: result.message.clone(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// How far back: a duration (`1h`, `24h`, `7d`); default `1h`.
    pub range: Option<String>,
    /// The window's end, RFC 3339; default now.
    pub to: Option<String>,
    /// At most this many buckets; default 360.
    pub points: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct HistoryDto {
    pub check: String,
    pub from: String,
    pub to: String,
    pub bucket_ms: i64,
    pub summary: HistorySummaryDto,
    pub points: Vec<BucketDto>,
}

#[derive(Debug, Default, Serialize)]
pub struct HistorySummaryDto {
    pub count: u64,
    pub up: u64,
    pub degraded: u64,
    pub down: u64,
    pub unknown: u64,
    /// Share of known results that were up or degraded, in percent; null with no data.
    pub uptime_pct: Option<f64>,
    pub latency_avg_ms: Option<f64>,
    pub latency_max_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct BucketDto {
    pub at: String,
    pub count: u32,
    pub up: u32,
    pub degraded: u32,
    pub down: u32,
    pub unknown: u32,
    pub latency_avg_ms: Option<f64>,
    pub latency_max_ms: Option<f64>,
}

impl From<&Bucket> for BucketDto {
    fn from(bucket: &Bucket) -> BucketDto {
        BucketDto {
            at: rfc3339(&bucket.at),
            count: bucket.count,
            up: bucket.up,
            degraded: bucket.degraded,
            down: bucket.down,
            unknown: bucket.unknown,
            latency_avg_ms: bucket.latency_avg_us.map(|us| (us / 10.0).round() / 100.0),
            latency_max_ms: bucket.latency_max_us.map(|us| us as f64 / 1000.0),
        }
    }
}

impl HistorySummaryDto {
    pub fn of(buckets: &[Bucket]) -> HistorySummaryDto {
        let mut summary = HistorySummaryDto::default();
        let (mut latency_sum, mut latency_count, mut latency_max) = (0.0, 0u64, None::<i64>);
        for bucket in buckets {
            summary.count += u64::from(bucket.count);
            summary.up += u64::from(bucket.up);
            summary.degraded += u64::from(bucket.degraded);
            summary.down += u64::from(bucket.down);
            summary.unknown += u64::from(bucket.unknown);
            if let Some(avg) = bucket.latency_avg_us {
                // Weighted by the bucket's results: close enough where most have a latency.
                latency_sum += avg * f64::from(bucket.count);
                latency_count += u64::from(bucket.count);
            }
            latency_max = latency_max.max(bucket.latency_max_us);
        }
        let known = summary.up + summary.degraded + summary.down;
        if known > 0 {
            let pct = (summary.up + summary.degraded) as f64 * 100.0 / known as f64;
            summary.uptime_pct = Some((pct * 1000.0).round() / 1000.0);
        }
        if latency_count > 0 {
            summary.latency_avg_ms = Some((latency_sum / latency_count as f64 / 10.0).round() / 100.0);
        }
        summary.latency_max_ms = latency_max.map(|us| us as f64 / 1000.0);
        summary
    }
}

/// `POST /checks/{id}/pause` and `POST /pause`: for how long (`"1h"`); without it, until
/// resumed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PauseRequest {
    #[serde(default, rename = "for")]
    pub duration: Option<String>,
}

/// What a pause or resume changed.
#[derive(Debug, Serialize)]
pub struct PauseDto {
    /// Checks whose shown status changed (already paused or running ones are not counted).
    pub changed: usize,
    /// When the pause ends; null for a resume or a pause until resumed.
    pub until: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunActionRequest {
    #[serde(default)]
    pub dry_run: bool,
    /// A name for this run chosen by the caller (letters, digits, `-`, `_`; at most 64):
    /// its live output is published as `action_output` events carrying it.
    #[serde(default, rename = "ref")]
    pub reference: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRunsQuery {
    pub action: Option<String>,
    pub check: Option<String>,
    pub incident: Option<i64>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
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
