//! Wire shapes: what the API sends and receives, and nothing else does. Each derives
//! `Serialize` and `Deserialize` (the server writes them, the Rust client reads them)
//! and `TS`: `ui/src/api/types.ts` is generated from them (`api::typescript`), so the
//! dashboard's types cannot drift from these. Timestamps are RFC 3339 UTC.
//!
//! Domain types come in through `From`; the code enums of `model` have wire twins here
//! (`StatusDto`, ...), checked against their codes by a test.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::breaker::{BreakerConfig, BreakerView, Call, Trip, Window};
use crate::clock::Zone;
use crate::config::{ActionConfig, CheckConfig};
use crate::engine::reload::{ConfigState, Reload, Trigger};
use crate::engine::{BudgetSnapshot, CheckSnapshot, GroupSnapshot, HealingSnapshot, Overview, RestartLoop};
use crate::healing::HealingState;
use crate::model::{
    BreakerState, FailureClass, GroupLevel, NotifyEvent, Plan, Requester, RunStatus, ServiceBreaker, Severity, Status,
    Suppressed,
};
use crate::store::rollups::{Resolution, Rollup, Source};
use crate::store::{
    ActionRunRecord, BreakerChange, IncidentRecord, NoteRecord, NotificationRecord, ResultRecord, SilenceRecord,
};
use crate::words::{self, Outcome, Phrase};

/// RFC 3339 UTC with milliseconds: every timestamp on the wire.
pub(crate) fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Declares the wire twin of a `model` code enum: the same variants, spelt as their
/// codes (`snake_case`), with `From` both ways.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident($ts:literal) <=> $model:ident { $($variant:ident,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
        #[serde(rename_all = "snake_case")]
        #[ts(rename = $ts)]
        pub enum $name {
            $($variant,)*
        }

        impl From<$model> for $name {
            fn from(value: $model) -> $name {
                match value {
                    $($model::$variant => $name::$variant,)*
                }
            }
        }

        impl From<$name> for $model {
            fn from(value: $name) -> $model {
                match value {
                    $($name::$variant => $model::$variant,)*
                }
            }
        }
    };
}

wire_enum! {
    /// A check's status.
    StatusDto("Status") <=> Status { Up, Degraded, Down, Unknown, Paused, Maintenance, }
}

wire_enum! {
    /// A group's level.
    GroupLevelDto("GroupLevel") <=> GroupLevel { Operational, Degraded, PartialOutage, MajorOutage, }
}

wire_enum! {
    /// A circuit breaker's state.
    BreakerStateDto("BreakerState") <=> BreakerState { Closed, Open, HalfOpen, Disabled, ForcedOpen, }
}

wire_enum! {
    /// Why a result is not up.
    FailureClassDto("FailureClass") <=> FailureClass {
        Refused, Timeout, Dns, Tls, HttpStatus, Condition, BodyTooLarge, Connection, Component, HealthBody, BreakerOpen,
        NotFound, Permission, Nxdomain, Servfail, DnsRefused, CertExpiry, CertName, CertSelfSigned, CertUntrusted,
        ContainerEngine, QueryError, UnexpectedAnswer, MissedHeartbeat, JobFailed, AlertFiring,
        ProbeError,
    }
}

wire_enum! {
    /// How an action run ended.
    RunStatusDto("RunStatus") <=> RunStatus { Ok, Failed, Timeout, Error, DryRun, Running, Interrupted, }
}

wire_enum! {
    /// What asked for a config reload.
    ReloadTriggerDto("ReloadTrigger") <=> Trigger { Watch, Signal, Api, Cli, }
}

wire_enum! {
    /// Who asked for an action run.
    RequesterDto("Requester") <=> Requester { Cli, Api, Auto, Desktop, }
}

/// An error: a stable `code` for programs, a `message` and a `resolution` for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "ApiError")]
pub struct ErrorDto {
    pub code: String,
    pub message: String,
    pub resolution: String,
    /// When asking again may succeed (`action_budget_exhausted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub retry_at: Option<String>,
    /// Each problem in the config file (`config_invalid`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<ConfigErrorDto>>", optional)]
    pub errors: Vec<ConfigErrorDto>,
}

/// A check as its TOML keys in JSON (`{"id": "api", "kind": "http", "url": "…"}`): what
/// `POST /api/v1/checks`, `PUT /api/v1/checks/{id}` and `POST /api/v1/checks/test`
/// take. `if_match` among them is the file version the caller saw (as the `If-Match`
/// header says it), not a key of the check.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(rename = "CheckKeys")]
pub struct KeysDto(#[ts(type = "Record<string, unknown>")] pub serde_json::Map<String, serde_json::Value>);

impl KeysDto {
    /// The check's keys, and the version the caller saw.
    pub fn edit_parts(self) -> (serde_json::Map<String, serde_json::Value>, Option<String>) {
        let mut keys = self.0;
        let if_match = keys.remove("if_match").and_then(|v| v.as_str().map(str::to_owned));
        (keys, if_match)
    }
}

/// `POST /api/v1/checks/bulk/preview`: pasted lines (URLs, `host:port`, host names),
/// what they are to become (`auto`, `http`, `tcp`, `dns`, `tls`), and keys every one
/// gets (`{"interval": "30s"}`).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "BulkArgs")]
pub struct BulkArgs {
    pub lines: String,
    #[serde(default)]
    #[ts(optional)]
    pub kind: Option<String>,
    #[serde(default)]
    #[ts(as = "Option<KeysDto>", optional)]
    pub defaults: KeysDto,
}

/// Each line as the check it makes, or why it makes none: to review before adding.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "BulkPreview")]
pub struct BulkPreviewDto {
    pub proposals: Vec<ProposalDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Proposal")]
pub struct ProposalDto {
    /// Its line number, from 1, and its text.
    pub line: usize,
    pub text: String,
    pub check: Option<KeysDto>,
    pub error: Option<String>,
}

impl From<crate::config::bulk::Proposal> for ProposalDto {
    fn from(p: crate::config::bulk::Proposal) -> ProposalDto {
        let (check, error) = match p.outcome {
            Ok(keys) => (Some(KeysDto(keys)), None),
            Err(error) => (None, Some(error.to_string())),
        };
        ProposalDto { line: p.line, text: p.text, check, error }
    }
}

/// `POST /api/v1/checks/bulk`: checks added at once (one write, one reload).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "AddChecksArgs")]
pub struct AddChecksArgs {
    pub checks: Vec<KeysDto>,
    #[serde(default)]
    #[ts(optional)]
    pub if_match: Option<String>,
}

/// `GET /api/v1/suggestions`: what this machine runs that no check watches.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Suggestions")]
pub struct SuggestionsDto {
    pub suggestions: Vec<SuggestionDto>,
}

/// A check to add in one click, and why.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Suggestion")]
pub struct SuggestionDto {
    pub id: String,
    /// What it is: `port`, `http`, `container`, `mount`, `unit`.
    pub kind: String,
    pub title: String,
    pub why: String,
    /// The check, as `POST /api/v1/checks` takes it.
    pub check: KeysDto,
}

impl From<crate::suggest::Suggestion> for SuggestionDto {
    fn from(s: crate::suggest::Suggestion) -> SuggestionDto {
        SuggestionDto { id: s.id, kind: s.kind.to_owned(), title: s.title, why: s.why, check: KeysDto(s.check) }
    }
}

/// `POST /api/v1/import/preview`: another monitor's config, as text, and its format
/// (`uptime-kuma`, `gatus`, `monit`; told by its look when left out).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "ImportArgs")]
pub struct ImportArgs {
    pub text: String,
    #[serde(default)]
    #[ts(optional)]
    pub format: Option<String>,
}

/// The checks a file expresses (to add with `POST /api/v1/checks/bulk`), each item it
/// could not with why, and parts of checks left out.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ImportPreview")]
pub struct ImportPreviewDto {
    pub format: String,
    pub checks: Vec<KeysDto>,
    pub skipped: Vec<ImportNoteDto>,
    pub notes: Vec<ImportNoteDto>,
}

/// An item (`monitor "Home"`) or a check, and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ImportNote")]
pub struct ImportNoteDto {
    pub item: String,
    pub why: String,
}

impl ImportPreviewDto {
    pub fn of(format: crate::imports::Format, imported: crate::imports::Imported) -> ImportPreviewDto {
        let notes =
            |list: Vec<(String, String)>| list.into_iter().map(|(item, why)| ImportNoteDto { item, why }).collect();
        ImportPreviewDto {
            format: format.name().to_owned(),
            checks: imported.checks.into_iter().map(KeysDto).collect(),
            skipped: notes(imported.skipped),
            notes: notes(imported.notes),
        }
    }
}

/// `GET /api/v1/checks/{id}/config`: the check's keys as the file has them, and the
/// file's version (an edit sends it back as `If-Match`).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "CheckConfigKeys")]
pub struct CheckKeysDto {
    pub keys: KeysDto,
    pub version: String,
}

/// `DELETE /api/v1/checks/{id}?if_match=VERSION`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "RemoveCheckArgs")]
pub struct RemoveCheckArgs {
    pub id: String,
    #[serde(default)]
    #[ts(optional)]
    pub if_match: Option<String>,
}

/// `GET /api/v1/config/schema`: the JSON Schema of the config file, each kind's keys
/// also apart under `$defs.kinds` (required keys, defaults, help): what the forms are
/// built from.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ConfigSchema")]
pub struct SchemaDto(#[ts(type = "Record<string, unknown>")] pub serde_json::Value);

/// `POST /api/v1/checks/test`: a check probed once, unsaved.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Trial")]
pub struct TrialDto {
    pub status: StatusDto,
    pub latency_ms: Option<f64>,
    pub message: String,
    /// Why it is not up, when it is not.
    pub class: Option<FailureClassDto>,
}

impl From<&crate::model::ProbeResult> for TrialDto {
    fn from(result: &crate::model::ProbeResult) -> TrialDto {
        TrialDto {
            status: result.verdict.status().into(),
            latency_ms: result.latency.map(|l| l.as_secs_f64() * 1000.0),
            message: result.message.clone(),
            class: result.verdict.failure_class().map(Into::into),
        }
    }
}

/// A problem in the config file, located, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "ConfigError")]
pub struct ConfigErrorDto {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The table it is about, as messages name it: `check "api"`.
    pub table: Option<String>,
    /// The key of that table it is about.
    pub key: Option<String>,
    pub message: String,
    pub resolution: String,
}

impl From<&crate::config::Diagnostic> for ConfigErrorDto {
    fn from(d: &crate::config::Diagnostic) -> ConfigErrorDto {
        ConfigErrorDto {
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            table: d.table.clone(),
            key: d.key.clone(),
            message: d.message.clone(),
            resolution: d.resolution.clone(),
        }
    }
}

/// The checks a reload added, changed, removed and left alone, by id, and the channels
/// it added, changed or removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "ConfigChanges")]
pub struct ConfigChangesDto {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: Vec<String>,
    pub channels: Vec<String>,
}

/// One reload of the config file, as it went.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Reload")]
pub struct ReloadDto {
    pub at: String,
    pub trigger: ReloadTriggerDto,
    /// The file compiled and was applied; else the running config stays.
    pub ok: bool,
    pub errors: Vec<ConfigErrorDto>,
    pub warnings: Vec<ConfigErrorDto>,
    pub changes: ConfigChangesDto,
    /// Changes that take effect only at the next start, in words.
    pub pending: Vec<String>,
    /// The version of the file read (null: it could not be read).
    pub version: Option<String>,
    /// From reading the file to every changed check started.
    pub took_ms: f64,
}

impl From<&Reload> for ReloadDto {
    fn from(r: &Reload) -> ReloadDto {
        let ids = |ids: &[crate::model::CheckId]| ids.iter().map(|id| id.to_string()).collect();
        ReloadDto {
            at: rfc3339(&r.at),
            trigger: r.trigger.into(),
            ok: r.ok,
            errors: r.errors.iter().map(ConfigErrorDto::from).collect(),
            warnings: r.warnings.iter().map(ConfigErrorDto::from).collect(),
            changes: ConfigChangesDto {
                added: ids(&r.changes.added),
                changed: ids(&r.changes.changed),
                removed: ids(&r.changes.removed),
                unchanged: ids(&r.changes.unchanged),
                channels: r.changes.channels.clone(),
            },
            pending: r.pending.clone(),
            version: r.version.clone(),
            took_ms: r.took.as_secs_f64() * 1000.0,
        }
    }
}

/// `GET /api/v1/config`: the config file, the version running, and the last reload.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ConfigFile")]
pub struct ConfigDto {
    /// The file (null: started without one).
    pub path: Option<String>,
    /// A hash of the bytes of the file the running config was compiled from.
    pub version: String,
    pub loaded_at: String,
    pub last_reload: Option<ReloadDto>,
    /// While the file does not compile: what the dashboard's banner and the tray say
    /// (the running config stays).
    pub failing: Option<String>,
}

impl From<&ConfigState> for ConfigDto {
    fn from(state: &ConfigState) -> ConfigDto {
        let failing = state.last_reload.as_ref().filter(|r| !r.ok).map(|r| words::config_failing(&r.errors));
        ConfigDto {
            path: state.path.as_ref().map(|p| p.display().to_string()),
            version: state.version.clone(),
            loaded_at: rfc3339(&state.loaded_at),
            last_reload: state.last_reload.as_ref().map(ReloadDto::from),
            failing,
        }
    }
}

/// Words as the core said them when it answered, and, when they count down, how the
/// dashboard goes on saying them: `countdown.ticking` with the time left at `{}` (as
/// `DURATION_EXAMPLES` write it) until `countdown.at`, then `countdown.due`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(rename = "Phrase")]
pub struct PhraseDto {
    pub text: String,
    pub countdown: Option<CountdownDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(rename = "Countdown")]
pub struct CountdownDto {
    pub at: String,
    pub ticking: String,
    pub due: String,
}

impl From<&Phrase> for PhraseDto {
    fn from(phrase: &Phrase) -> PhraseDto {
        PhraseDto {
            text: phrase.text.clone(),
            countdown: phrase.countdown.as_ref().map(|c| CountdownDto {
                at: rfc3339(&c.at),
                ticking: c.ticking.clone(),
                due: c.due.clone(),
            }),
        }
    }
}

/// The arguments of an operation that takes none.
#[derive(Debug, Default, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "NoArgs")]
pub struct NoArgs {}

/// An operation on one check or action: its id.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "IdArgs")]
pub struct IdArgs {
    pub id: String,
}

/// `POST /api/v1/checks/{id}/breaker`: steer a check's breaker to `forced_open` (no
/// probe reaches the target until reset), `disabled` (probes go on, it never opens) or
/// `closed` (a reset: a fresh window).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "BreakerArgs")]
pub struct BreakerArgs {
    pub id: String,
    pub state: BreakerStateDto,
}

/// `GET /api/v1/status`: the overview and every check.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "StatusReport")]
pub struct StatusReportDto {
    #[serde(flatten)]
    pub overview: OverviewDto,
    pub checks: Vec<CheckDto>,
}

/// What every view of the checks is headed with (the live `overview` update, whenever
/// it changes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(rename = "Overview")]
pub struct OverviewDto {
    /// The worst status of all checks (`up` with none).
    pub overall: StatusDto,
    /// The worst a person is shown: a failing component at most its group's level;
    /// `unknown` with no checks. The tray's icon.
    pub level: StatusDto,
    /// `all 12 up`, `3 down: a, b, c`, or the worst group's headline.
    pub summary: String,
    pub groups: Vec<GroupDto>,
    /// The connectivity sentinel fails: since when and why (remote checks are
    /// `unknown`, "no network"); `null` while the network answers.
    pub network_down: Option<NetworkDownDto>,
}

impl OverviewDto {
    /// The overview, with the network as the sentinel tells it and how many remote
    /// checks it leaves unknown.
    pub fn of(
        overview: &Overview,
        network_down: Option<(DateTime<Utc>, String)>,
        remote_unknown: usize,
    ) -> OverviewDto {
        OverviewDto {
            overall: overview.overall.into(),
            level: overview.level.into(),
            summary: overview.summary.clone(),
            groups: overview.groups.iter().map(GroupDto::from).collect(),
            network_down: network_down.map(|(since, why)| NetworkDownDto {
                since: rfc3339(&since),
                why,
                text: words::network_down(remote_unknown),
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(rename = "NetworkDown")]
pub struct NetworkDownDto {
    pub since: String,
    pub why: String,
    /// The banner: what it means for the checks.
    pub text: String,
}

/// A group (a service made of checks): its level, the components that cause it, and
/// every component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(rename = "Group")]
pub struct GroupDto {
    pub id: String,
    /// Its name (today its id).
    pub name: String,
    pub level: GroupLevelDto,
    /// What causes the level, in words (`Search down, Cart down`); null when operational.
    pub cause: Option<String>,
    /// `shop: partial outage (Search down)`.
    pub headline: String,
    pub components: Vec<ComponentDto>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(rename = "Component")]
pub struct ComponentDto {
    pub check: String,
    pub name: String,
    pub critical: bool,
    pub status: StatusDto,
}

impl From<&GroupSnapshot> for GroupDto {
    fn from(group: &GroupSnapshot) -> GroupDto {
        GroupDto {
            id: group.id.clone(),
            name: group.id.clone(),
            level: group.level.into(),
            cause: group.cause.clone(),
            headline: words::group_headline(group),
            components: group
                .components
                .iter()
                .map(|c| ComponentDto {
                    check: c.check.to_string(),
                    name: c.name.clone(),
                    critical: c.critical,
                    status: c.status.into(),
                })
                .collect(),
        }
    }
}

/// A check as `/status` and the live `checks` update show it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Check")]
pub struct CheckDto {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub group: Option<String>,
    pub critical: bool,
    pub status: StatusDto,
    pub since: String,
    /// Why the status is what it is, when that is not obvious.
    pub reason: Option<String>,
    /// What it shows beside its status: its reason, else its last result's message.
    pub message: String,
    /// What to do about it (a failure's resolution); null while up.
    pub hint: Option<String>,
    pub interval_ms: u64,
    pub actions: Vec<String>,
    pub depends_on: Vec<String>,
    pub open_incident: Option<i64>,
    pub breaker: Option<BreakerDto>,
    pub last: Option<LastResultDto>,
    /// What the service says about its components (an http check whose body is Spring
    /// Boot Actuator health or `application/health+json`); empty otherwise.
    pub components: Vec<ServiceComponentDto>,
    /// The service's own circuit breakers (an http check with `breakers_url`); empty
    /// otherwise.
    pub service_breakers: Vec<ServiceBreakerDto>,
    /// Why the service's breakers could not be read, when they could not.
    pub service_breakers_error: Option<String>,
    /// Self-healing, for a check with `auto_action`.
    pub healing: Option<HealingDto>,
    /// Changing state too often (flap detection, `[alerts] flap`): it told so once and
    /// tells nothing else until it settles.
    pub flapping: bool,
    /// The silence that mutes its notifications now, if one does.
    pub silenced: Option<SilencedDto>,
    /// Its open incident is acknowledged.
    pub acked: bool,
    /// Paused by the user until then (null with status `paused`: until resumed).
    pub paused_until: Option<String>,
    /// What lies over its status, in words: silenced, acknowledged, optional, behind an
    /// open breaker.
    pub marks: Vec<MarkDto>,
    /// Its state in one line, as the tray and `watchkeeper status` show it:
    /// `Down, acknowledged: connection refused`.
    pub text: String,
}

/// A silence as a check shows it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Silenced")]
pub struct SilencedDto {
    pub id: i64,
    pub until: String,
    pub reason: String,
    pub by: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "MarkKind")]
pub enum MarkKindDto {
    Silenced,
    Acknowledged,
    Optional,
    BreakerOpen,
}

/// Something that lies over a check's status, in words.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Mark")]
pub struct MarkDto {
    pub kind: MarkKindDto,
    pub text: String,
}

impl From<words::Mark> for MarkDto {
    fn from(mark: words::Mark) -> MarkDto {
        let kind = match mark.kind {
            words::MarkKind::Silenced => MarkKindDto::Silenced,
            words::MarkKind::Acknowledged => MarkKindDto::Acknowledged,
            words::MarkKind::Optional => MarkKindDto::Optional,
            words::MarkKind::BreakerOpen => MarkKindDto::BreakerOpen,
        };
        MarkDto { kind, text: mark.text }
    }
}

/// What a check's self-healing is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "HealingState")]
pub enum HealingStateDto {
    /// Nothing to heal (the check is up, or has not failed `after` times yet).
    Idle,
    /// In backoff: the next run is at `next_at`.
    Waiting,
    Running,
    /// The action's budget is spent: no run until `retry_at`, or a reset.
    GaveUp,
    /// It waits, whatever its check says: the check is paused, in a maintenance window,
    /// or unknown because a parent or the network is down (its phrase says which).
    Held,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Healing")]
pub struct HealingDto {
    pub state: HealingStateDto,
    /// The auto action.
    pub action: String,
    /// Automatic runs since the check was last stable.
    pub attempts: u32,
    /// When a run is next allowed by the backoff (`waiting`).
    pub next_at: Option<String>,
    /// When the budget allows a run again (`gave_up`).
    pub retry_at: Option<String>,
    /// What it is doing, in a sentence; null when idle.
    pub phrase: Option<PhraseDto>,
}

impl HealingDto {
    pub fn of(healing: &HealingSnapshot, now: DateTime<Utc>) -> HealingDto {
        let (state, next_at, retry_at) = match healing.shown {
            HealingState::Idle => (HealingStateDto::Idle, None, None),
            HealingState::Waiting { next_at } => (HealingStateDto::Waiting, Some(rfc3339(&next_at)), None),
            HealingState::Running => (HealingStateDto::Running, None, None),
            HealingState::GaveUp { retry_at } => (HealingStateDto::GaveUp, None, Some(rfc3339(&retry_at))),
            HealingState::Held(_) => (HealingStateDto::Held, None, None),
        };
        HealingDto {
            state,
            action: healing.action.to_string(),
            attempts: healing.attempts,
            next_at,
            retry_at,
            phrase: words::healing(healing, now).as_ref().map(PhraseDto::from),
        }
    }
}

/// A check's breaker: its state, its window's rates and calls, when it opened and may
/// next try, and the rule it follows, with what the core says of each.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Breaker")]
pub struct BreakerDto {
    pub state: BreakerStateDto,
    /// Percent of the window's calls that failed; null below `min_calls`.
    pub failure_rate: Option<f64>,
    /// Percent of the window's calls that were slow; null below `min_calls`.
    pub slow_rate: Option<f64>,
    /// The calls in the window (in half-open: the trials so far).
    pub calls: u32,
    pub failed_calls: u32,
    pub slow_calls: u32,
    /// The window's last calls, oldest first.
    pub recent: Vec<BreakerCallDto>,
    pub consecutive_failures: u32,
    pub opened_at: Option<String>,
    pub next_trial_at: Option<String>,
    /// Trials that failed in a row: each doubled the wait.
    pub failed_trials: u32,
    pub rule: BreakerRuleDto,
    /// In one phrase, as the overview and `watchkeeper status` say it: `open, trial in 12 s`.
    pub phrase: PhraseDto,
    /// What it is doing now, in a sentence.
    pub doing: PhraseDto,
    /// Its rates against their thresholds: failed calls, then slow ones.
    pub rates: Vec<BreakerRateDto>,
}

/// How one call in a breaker's window went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "BreakerCall")]
pub enum BreakerCallDto {
    Ok,
    Slow,
    Failed,
    FailedSlow,
}

impl From<Call> for BreakerCallDto {
    fn from(call: Call) -> BreakerCallDto {
        match (call.failed, call.slow) {
            (false, false) => BreakerCallDto::Ok,
            (false, true) => BreakerCallDto::Slow,
            (true, false) => BreakerCallDto::Failed,
            (true, true) => BreakerCallDto::FailedSlow,
        }
    }
}

/// One of a breaker's rates: how far it is, where it opens, and in words.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "BreakerRate")]
pub struct BreakerRateDto {
    /// `failed` or `slow`.
    pub name: String,
    /// In percent; null below the calls it needs.
    pub rate: Option<f64>,
    /// Where it opens, in percent; null for the first form.
    pub threshold: Option<f64>,
    /// `60% (6 of 10) · opens at 50%`.
    pub text: String,
}

/// What opens a breaker and how it tries again.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "BreakerRule")]
pub struct BreakerRuleDto {
    pub trip: BreakerTripDto,
    pub slow_call_ms: u64,
    pub half_open_calls: u32,
    pub open_for_ms: u64,
    pub max_open_for_ms: u64,
    /// In words: `50% of the last 20 calls fail, or all are slow (over 1 s), once 10
    /// calls are in`.
    pub text: String,
}

/// What trips a breaker: failures in a row (the first form), or rates over a window.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "BreakerTrip")]
pub enum BreakerTripDto {
    Consecutive { failures: u32 },
    Rates { window: BreakerWindowDto, failure_rate: f64, slow_rate: f64, min_calls: u32 },
}

/// A breaker's sliding window: its last calls, or the calls of its last period.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "BreakerWindow")]
pub enum BreakerWindowDto {
    Calls { calls: u32 },
    Period { period_ms: u64 },
}

impl BreakerDto {
    pub fn of(view: &BreakerView, config: &BreakerConfig, now: DateTime<Utc>, zone: &dyn Zone) -> BreakerDto {
        let ms = |d: std::time::Duration| d.as_millis() as u64;
        let round = |r: Option<f64>| r.map(|r| (r * 10.0).round() / 10.0);
        let (trip, thresholds) = match config.trip {
            Trip::Consecutive(failures) => (BreakerTripDto::Consecutive { failures }, (None, None)),
            Trip::Rates { window, failure_rate, slow_rate, min_calls } => {
                let window = match window {
                    Window::Count(calls) => BreakerWindowDto::Calls { calls },
                    Window::Time(period) => BreakerWindowDto::Period { period_ms: ms(period) },
                };
                (
                    BreakerTripDto::Rates { window, failure_rate, slow_rate, min_calls },
                    (Some(failure_rate), Some(slow_rate)),
                )
            }
        };
        let rate = |name: &str, rate: Option<f64>, part: u32, threshold: Option<f64>| BreakerRateDto {
            name: name.to_owned(),
            rate: round(rate),
            threshold,
            text: words::breaker_rate(view, config, rate, part, threshold),
        };
        BreakerDto {
            state: view.state.into(),
            failure_rate: round(view.failure_rate),
            slow_rate: round(view.slow_rate),
            calls: view.counts.calls,
            failed_calls: view.counts.failed,
            slow_calls: view.counts.slow,
            recent: view.recent.iter().map(|c| BreakerCallDto::from(*c)).collect(),
            consecutive_failures: view.consecutive_failures,
            opened_at: view.opened_at.as_ref().map(rfc3339),
            next_trial_at: view.next_trial_at.as_ref().map(rfc3339),
            failed_trials: view.failed_trials,
            rule: BreakerRuleDto {
                trip,
                slow_call_ms: ms(config.slow_call),
                half_open_calls: config.half_open_calls,
                open_for_ms: ms(config.open_for),
                max_open_for_ms: ms(config.max_open_for),
                text: words::breaker_rule(config),
            },
            phrase: PhraseDto::from(&words::breaker(view, config, now)),
            doing: PhraseDto::from(&words::breaker_now(view, config, now, zone)),
            rates: vec![
                rate("failed", view.failure_rate, view.counts.failed, thresholds.0),
                rate("slow", view.slow_rate, view.counts.slow, thresholds.1),
            ],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "LastResult")]
pub struct LastResultDto {
    pub at: String,
    /// The result's own status (the check's may differ while a failure is confirmed).
    pub status: StatusDto,
    pub ok: bool,
    pub latency_ms: Option<f64>,
    pub message: String,
    pub failure: Option<FailureDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Failure")]
pub struct FailureDto {
    pub class: FailureClassDto,
    /// What the operator can do about it.
    pub resolution: String,
}

impl From<FailureClass> for FailureDto {
    fn from(class: FailureClass) -> FailureDto {
        FailureDto { class: class.into(), resolution: class.resolution().to_owned() }
    }
}

impl CheckDto {
    /// A check as the API shows it at `now`, its times said in `zone`.
    pub fn of(check: &CheckSnapshot, now: DateTime<Utc>, zone: &dyn Zone) -> CheckDto {
        let config = &check.config;
        let (message, hint) = words::explain(check, now, zone);
        let marks = words::marks(check, now, zone);
        let text = words::state(check, &message, &marks);
        CheckDto {
            id: config.id.to_string(),
            name: config.name.clone(),
            kind: config.kind().to_owned(),
            group: config.group.clone(),
            critical: config.critical,
            status: check.status.into(),
            since: rfc3339(&check.since),
            reason: check.reason.clone(),
            message,
            hint,
            interval_ms: config.interval.as_millis() as u64,
            actions: config.actions.iter().map(ToString::to_string).collect(),
            depends_on: config.depends_on.iter().map(ToString::to_string).collect(),
            open_incident: check.open_incident,
            breaker: check
                .breaker
                .as_ref()
                .zip(config.breaker.as_ref())
                .map(|(view, config)| BreakerDto::of(view, config, now, zone)),
            last: check.last.as_ref().map(|r| LastResultDto {
                at: rfc3339(&r.at),
                status: r.verdict.status().into(),
                ok: r.ok(),
                latency_ms: r.latency.map(|l| (l.as_secs_f64() * 1e5).round() / 100.0),
                message: r.message.clone(),
                failure: r.verdict.failure_class().map(FailureDto::from),
            }),
            healing: check.healing.as_ref().map(|h| HealingDto::of(h, now)),
            flapping: check.flapping,
            silenced: check.over.silenced.as_ref().map(|s| SilencedDto {
                id: s.id,
                until: rfc3339(&s.until),
                reason: s.reason.clone(),
                by: s.by.clone(),
            }),
            acked: check.over.acked,
            paused_until: check.over.paused.flatten().as_ref().map(rfc3339),
            marks: marks.into_iter().map(MarkDto::from).collect(),
            text,
            components: check
                .health
                .as_ref()
                .map(|h| {
                    h.components
                        .iter()
                        .map(|c| ServiceComponentDto {
                            name: c.name.clone(),
                            status: c.status.clone(),
                            level: c.level().into(),
                            detail: c.detail.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            service_breakers: check
                .service_breakers
                .as_ref()
                .map(|b| b.breakers.iter().map(ServiceBreakerDto::from).collect())
                .unwrap_or_default(),
            service_breakers_error: check.service_breakers.as_ref().and_then(|b| b.error.clone()),
        }
    }
}

/// A component of a service, as its health body says: `db` (`db.primary` nested), its
/// status as written (`UP`, `DOWN`, `pass`, `warn`, ...), and its error or values.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ServiceComponent")]
pub struct ServiceComponentDto {
    pub name: String,
    pub status: String,
    /// What its word means, as a status: `UP`/`pass` up, `warn` degraded, `DOWN`/`fail`
    /// down, any other unknown.
    pub level: StatusDto,
    pub detail: Option<String>,
}

/// One of a service's own circuit breakers, as its resilience4j endpoint reports it:
/// `state` as written (`CLOSED`, `OPEN`, `HALF_OPEN`, ...), rates in percent (null while
/// resilience4j has too few calls), and its calls.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ServiceBreaker")]
pub struct ServiceBreakerDto {
    pub name: String,
    pub state: String,
    /// What its state means, as a status: `CLOSED` up, `HALF_OPEN` degraded, `OPEN` and
    /// `FORCED_OPEN` down, any other unknown.
    pub level: StatusDto,
    pub failure_rate: Option<f64>,
    pub slow_call_rate: Option<f64>,
    pub failure_rate_threshold: Option<f64>,
    pub slow_call_rate_threshold: Option<f64>,
    pub buffered_calls: Option<u64>,
    pub failed_calls: Option<u64>,
    pub slow_calls: Option<u64>,
    pub not_permitted_calls: Option<u64>,
    /// Its failure rate against its threshold: `60% (opens at 50%)`, or `—`.
    pub failure_text: String,
    /// Its slow-call rate against its threshold.
    pub slow_text: String,
}

impl From<&ServiceBreaker> for ServiceBreakerDto {
    fn from(b: &ServiceBreaker) -> ServiceBreakerDto {
        ServiceBreakerDto {
            name: b.name.clone(),
            state: b.state.clone(),
            level: b.level().into(),
            failure_rate: b.failure_rate,
            slow_call_rate: b.slow_call_rate,
            failure_rate_threshold: b.failure_rate_threshold,
            slow_call_rate_threshold: b.slow_call_rate_threshold,
            buffered_calls: b.buffered_calls,
            failed_calls: b.failed_calls,
            slow_calls: b.slow_calls,
            not_permitted_calls: b.not_permitted_calls,
            failure_text: words::service_rate(b.failure_rate, b.failure_rate_threshold),
            slow_text: words::service_rate(b.slow_call_rate, b.slow_call_rate_threshold),
        }
    }
}

/// `GET /api/v1/checks/{id}`: one check with what it probes and how it is judged (the
/// check page's header).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "CheckDetail")]
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
    /// The breaker's last changes, newest first (at most 20).
    pub breaker_changes: Vec<BreakerChangeDto>,
    /// For a heartbeat check: where its job pings, and how.
    pub push: Option<PushDto>,
}

/// A heartbeat check's push URL (its token in it: the URL is the secret) and the lines
/// a job ends with to ping it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Push")]
pub struct PushDto {
    pub url: String,
    /// `curl -fsS -m 10 -X POST URL`: the job succeeded.
    pub curl: String,
    /// The same, reporting a failure with a message.
    pub curl_fail: String,
}

/// A heartbeat ping's query: `?status=fail&msg=…`.
#[derive(Debug, Clone, Deserialize)]
pub struct PushArgs {
    pub status: Option<String>,
    pub msg: Option<String>,
}

/// The answer to a heartbeat ping: the check's status after it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Pushed")]
pub struct PushedDto {
    pub status: StatusDto,
    pub message: String,
}

impl PushDto {
    pub fn of(url: String) -> PushDto {
        PushDto {
            curl: format!("curl -fsS -m 10 -X POST {url}"),
            curl_fail: format!("curl -fsS -m 10 -X POST '{url}?status=fail&msg=what+failed'"),
            url,
        }
    }
}

/// A change of a breaker's state, and who made it: `breaker` (itself), `api`, `cli` or
/// `desktop`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "BreakerChange")]
pub struct BreakerChangeDto {
    pub at: String,
    pub from: BreakerStateDto,
    pub to: BreakerStateDto,
    pub reason: String,
    pub by: String,
    /// `open → forced open by the command line`.
    pub text: String,
}

impl From<&BreakerChange> for BreakerChangeDto {
    fn from(change: &BreakerChange) -> BreakerChangeDto {
        BreakerChangeDto {
            at: rfc3339(&change.at),
            from: change.from.into(),
            to: change.to.into(),
            reason: change.reason.clone(),
            by: change.by.map_or("breaker", Requester::as_str).to_owned(),
            text: words::breaker_change(change.from, change.to, change.by),
        }
    }
}

impl CheckDetailDto {
    pub fn new(check: CheckDto, config: &CheckConfig) -> CheckDetailDto {
        CheckDetailDto {
            check,
            target: config.probe.target(),
            timeout_ms: config.timeout.as_millis() as u64,
            expect: config.expect.iter().map(|c| c.source.clone()).collect(),
            degraded_if: config.degraded_if.iter().map(|c| c.source.clone()).collect(),
            failure_threshold: config.failure_threshold,
            success_threshold: config.success_threshold,
            breaker_changes: Vec::new(),
            push: None,
        }
    }
}

/// `GET /api/v1/checks/{id}/results?limit=N`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "ResultsArgs")]
pub struct ResultsArgs {
    pub id: String,
    /// Most results (default 50, at most 1000).
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Results")]
pub struct ResultsDto {
    pub check: String,
    /// What the check measures besides latency, when it measures something.
    pub measure: Option<MeasureDto>,
    pub results: Vec<ProbeResultDto>,
}

/// What a check measures besides latency (a system metric, a process's CPU, the number
/// a command prints): what it is called and its unit (`%`; empty for a plain number).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Measure")]
pub struct MeasureDto {
    pub label: String,
    pub unit: String,
}

impl From<crate::probe::Measure> for MeasureDto {
    fn from(measure: crate::probe::Measure) -> MeasureDto {
        MeasureDto { label: measure.label.to_owned(), unit: measure.unit.to_owned() }
    }
}

/// One probe run, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ProbeResult")]
pub struct ProbeResultDto {
    pub at: String,
    pub status: StatusDto,
    pub latency_ms: Option<f64>,
    pub class: Option<FailureClassDto>,
    pub message: String,
    /// What the check measured (see `measure`), when it measures something.
    pub value: Option<f64>,
    /// Its unit (`%`; empty for a plain number); null with no value.
    pub unit: Option<String>,
}

impl ProbeResultDto {
    /// A recorded result of a check that measures `measure`.
    pub fn of(result: &ResultRecord, measure: Option<crate::probe::Measure>) -> ProbeResultDto {
        ProbeResultDto {
            at: rfc3339(&result.at),
            status: result.status.into(),
            latency_ms: result.latency_us.map(|us| us as f64 / 1000.0),
            class: result.failure_class.map(FailureClassDto::from),
            message: result.message.clone(),
            value: result.value,
            unit: result.value.and(measure).map(|m| m.unit.to_owned()),
        }
    }
}

/// `GET /api/v1/checks/{id}/history?from=T&to=T&points=N` (or `range=7d` for `from`).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "HistoryArgs")]
pub struct HistoryArgs {
    pub id: String,
    /// The window's start, RFC 3339; or give `range`.
    #[ts(optional)]
    pub from: Option<String>,
    /// How far back from `to`: a duration (`1h`, `24h`, `90d`); default `1h` when
    /// `from` is not given either.
    #[ts(optional)]
    pub range: Option<String>,
    /// The window's end, RFC 3339; default now.
    #[ts(optional)]
    pub to: Option<String>,
    /// At most this many points, 1 to 2000; default 360.
    #[ts(optional)]
    pub points: Option<u32>,
}

/// Where a chart's points come from: raw results, or rollups per minute, hour or UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "HistorySource")]
pub enum HistorySourceDto {
    Results,
    Minute,
    Hour,
    Day,
}

impl From<Source> for HistorySourceDto {
    fn from(source: Source) -> HistorySourceDto {
        match source {
            Source::Results => HistorySourceDto::Results,
            Source::Rollups(Resolution::Minute) => HistorySourceDto::Minute,
            Source::Rollups(Resolution::Hour) => HistorySourceDto::Hour,
            Source::Rollups(Resolution::Day) => HistorySourceDto::Day,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "History")]
pub struct HistoryDto {
    pub check: String,
    /// The first point's start (the window's start, aligned to the source's minute or
    /// hour).
    pub from: String,
    pub to: String,
    /// Each point's span.
    pub bucket_ms: i64,
    /// What answered: results for short ranges, then the rollups per minute, per hour.
    pub source: HistorySourceDto,
    /// What the check measures besides latency: its points carry the value's mean and
    /// highest, and the chart draws them.
    pub measure: Option<MeasureDto>,
    pub summary: HistoryPointDto,
    /// The summary's uptime for people: `99.95%`, or `no results`.
    pub uptime_text: String,
    /// Oldest first; a span with no result has no point.
    pub points: Vec<HistoryPointDto>,
}

/// A span of a check's history. Latencies are in ms; `p50` and `p95` are within 1% of
/// the exact quantile (a sketch), `max` and `avg` are exact.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[ts(rename = "HistoryPoint")]
pub struct HistoryPointDto {
    /// The span's start.
    pub t: String,
    pub count: u64,
    pub up: u64,
    pub degraded: u64,
    pub down: u64,
    pub unknown: u64,
    /// Results that failed (`down`).
    pub failures: u64,
    /// Share of known results that were up or degraded, in percent.
    pub uptime: Option<f64>,
    pub avg: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
    /// The measured value's mean and highest (see `measure`).
    pub value_avg: Option<f64>,
    pub value_max: Option<f64>,
}

/// µs as ms with two decimals.
fn us_to_ms(us: f64) -> f64 {
    (us / 10.0).round() / 100.0
}

impl HistoryPointDto {
    pub fn of(t: &DateTime<Utc>, rollup: &Rollup) -> HistoryPointDto {
        HistoryPointDto {
            t: rfc3339(t),
            count: rollup.count,
            up: rollup.up,
            degraded: rollup.degraded,
            down: rollup.down,
            unknown: rollup.unknown,
            failures: rollup.failures(),
            uptime: rollup.uptime_pct().map(|p| (p * 1000.0).round() / 1000.0),
            avg: rollup.latency_avg_us().map(us_to_ms),
            p50: rollup.latency_quantile(0.5).map(us_to_ms),
            p95: rollup.latency_quantile(0.95).map(us_to_ms),
            max: rollup.latency_max_us.map(|us| us_to_ms(us as f64)),
            value_avg: rollup.value_avg().map(|v| (v * 100.0).round() / 100.0),
            value_max: rollup.value_max,
        }
    }
}

/// `GET /api/v1/export?what=results&format=csv&check=ID&from=T&to=T`: streamed, not
/// JSON-wrapped (the answer is the file).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "ExportArgs")]
pub struct ExportArgs {
    /// `results`, `incidents`, `notifications` or `actions` (action runs).
    pub what: String,
    /// `csv` (default) or `json`.
    #[ts(optional)]
    pub format: Option<String>,
    /// Only this check's rows.
    #[ts(optional)]
    pub check: Option<String>,
    /// Only the rows of this group's checks.
    #[ts(optional)]
    pub group: Option<String>,
    /// Only results or incidents of this class of failure.
    #[ts(optional)]
    pub class: Option<FailureClassDto>,
    /// Only rows at or after this time (RFC 3339); incidents open at some time after
    /// it. Or give `range`.
    #[ts(optional)]
    pub from: Option<String>,
    /// Only rows within this long before `to` (a duration: `24h`, `7d`).
    #[ts(optional)]
    pub range: Option<String>,
    /// Only rows before this time (RFC 3339); incidents started before it.
    #[ts(optional)]
    pub to: Option<String>,
}

/// An export the desktop window saved: where, and how much (its lines, the CSV's header
/// among them, and bytes).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "SavedExport")]
pub struct SavedExportDto {
    pub path: String,
    pub lines: u64,
    pub bytes: u64,
}

/// `GET /api/v1/strips?results=N`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "StripsArgs")]
pub struct StripsArgs {
    /// Each check's latest results, 0 to 100 (default 30): 0 for the uptime alone.
    #[ts(optional)]
    pub results: Option<u32>,
}

/// Every check's latest results and its uptime over the last 24 h: the overview's
/// results strips, which then grow from the live stream (each check's `last`).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Strips")]
pub struct StripsDto {
    /// How many results a strip shows.
    pub length: u32,
    /// The uptime's window: `24h`.
    pub window: String,
    pub checks: Vec<StripDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Strip")]
pub struct StripDto {
    pub check: String,
    /// Oldest first.
    pub results: Vec<TickDto>,
    pub uptime: Option<f64>,
    /// `99.95%`, or `no results`.
    pub uptime_text: String,
}

/// One result in a strip.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Tick")]
pub struct TickDto {
    pub at: String,
    pub status: StatusDto,
    pub latency_ms: Option<f64>,
}

impl From<&ResultRecord> for TickDto {
    fn from(result: &ResultRecord) -> TickDto {
        TickDto {
            at: rfc3339(&result.at),
            status: result.status.into(),
            latency_ms: result.latency_us.map(|us| (us as f64 / 10.0).round() / 100.0),
        }
    }
}

/// `GET /api/v1/checks/{id}/uptime`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Uptime")]
pub struct UptimeDto {
    pub check: String,
    /// When it was computed: each window ends here.
    pub at: String,
    pub windows: UptimeWindowsDto,
    /// Mean time to recover over 90 days: the mean length of its resolved incidents.
    pub mttr_s: Option<f64>,
    pub mttr_text: Option<String>,
    /// Mean time between failures over 90 days: time up per incident started.
    pub mtbf_s: Option<f64>,
    pub mtbf_text: Option<String>,
    /// The incidents of the last 90 days, newest first (at most 100).
    pub incidents: Vec<IncidentSpanDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "UptimeWindows")]
pub struct UptimeWindowsDto {
    #[serde(rename = "24h")]
    pub day: UptimeWindowDto,
    #[serde(rename = "7d")]
    pub week: UptimeWindowDto,
    #[serde(rename = "30d")]
    pub month: UptimeWindowDto,
    #[serde(rename = "90d")]
    pub quarter: UptimeWindowDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "UptimeWindow")]
pub struct UptimeWindowDto {
    /// The window's name: `24h`, `7d`, `30d`, `90d`.
    pub name: String,
    /// Share of known results that were up or degraded, in percent; null with none.
    pub uptime: Option<f64>,
    /// `99.95%`, or `no results`.
    pub text: String,
    pub results: u64,
    pub failures: u64,
    /// How long the check was down: from each failed result to the next result.
    pub downtime_s: f64,
    pub downtime_text: String,
}

impl UptimeWindowDto {
    pub fn of(name: &str, rollup: &Rollup) -> UptimeWindowDto {
        let uptime = rollup.uptime_pct();
        let downtime = std::time::Duration::from_millis(rollup.downtime_ms.max(0) as u64);
        UptimeWindowDto {
            name: name.to_owned(),
            uptime: uptime.map(|p| (p * 1000.0).round() / 1000.0),
            text: crate::words::uptime(uptime),
            results: rollup.count,
            failures: rollup.failures(),
            downtime_s: downtime.as_secs_f64(),
            downtime_text: if downtime.is_zero() { "none".to_owned() } else { crate::words::duration(downtime) },
        }
    }
}

/// An incident on a timeline.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "IncidentSpan")]
pub struct IncidentSpanDto {
    pub id: i64,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub cause: String,
    pub cause_class: FailureClassDto,
    /// How long it lasted, or has so far: `12 min`.
    pub duration_text: String,
}

impl IncidentSpanDto {
    pub fn of(record: &IncidentRecord, now: DateTime<Utc>) -> IncidentSpanDto {
        let end = record.resolved_at.unwrap_or(now);
        let length = (end - record.started_at).to_std().unwrap_or_default();
        IncidentSpanDto {
            id: record.id,
            started_at: rfc3339(&record.started_at),
            resolved_at: record.resolved_at.as_ref().map(rfc3339),
            cause: record.cause.clone(),
            cause_class: record.failure_class.into(),
            duration_text: crate::words::duration(length),
        }
    }
}

/// `GET /api/v1/incidents?check=ID&group=G&class=C&from=T&to=T&range=D&open=true&limit=N`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "IncidentsArgs")]
pub struct IncidentsArgs {
    /// Only this check's.
    #[ts(optional)]
    pub check: Option<String>,
    /// Only those of this group's checks.
    #[ts(optional)]
    pub group: Option<String>,
    /// Only those of this class of failure (`timeout`, `refused`, ...).
    #[ts(optional)]
    pub class: Option<FailureClassDto>,
    /// Only those open at some time at or after this (RFC 3339); or give `range`.
    #[ts(optional)]
    pub from: Option<String>,
    /// Only those open within this long before `to` (a duration: `24h`, `7d`).
    #[ts(optional)]
    pub range: Option<String>,
    /// Only those started before this (RFC 3339); default now.
    #[ts(optional)]
    pub to: Option<String>,
    /// Only open ones.
    #[ts(optional)]
    pub open: Option<bool>,
    /// Most incidents (default 100, at most 1000).
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Incidents")]
pub struct IncidentsDto {
    pub incidents: Vec<IncidentDto>,
}

/// A span of not-up.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Incident")]
pub struct IncidentDto {
    pub id: i64,
    pub check: String,
    pub started_at: String,
    pub resolved_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub cause: String,
    pub cause_class: FailureClassDto,
    /// What to do about its cause.
    #[serde(default)]
    pub resolution: String,
    pub failed_conditions: Vec<String>,
    pub acked: bool,
    /// When it was acknowledged.
    #[serde(default)]
    pub acked_at: Option<String>,
    pub note: Option<String>,
    /// How it ended when not by its check recovering: `removed from config`.
    #[serde(default)]
    pub resolved_as: Option<String>,
    /// Its notes, oldest first.
    #[serde(default)]
    pub notes: Vec<NoteDto>,
    /// Notifications sent about it (not counting suppressed ones).
    #[serde(default)]
    pub notifications: u32,
    /// The recovery actions run on it, oldest first, with who asked.
    #[serde(default)]
    pub actions: Vec<IncidentRunDto>,
    /// What the probe saw when it opened, what changed against the last good result,
    /// and this machine at that moment: only `GET /api/v1/incidents/{id}` has it (null
    /// when it keeps none: an older incident of a check with many).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub evidence: Option<Box<EvidenceDto>>,
}

/// An incident's evidence; secrets shown as `••••`, each part bounded.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Evidence")]
pub struct EvidenceDto {
    pub at: String,
    /// Its first line, as the notification carried it: the first change
    /// (`status: 200 → 503`); null when nothing was compared.
    pub headline: Option<String>,
    pub observed: ObservedDto,
    /// When the good result compared with was seen; null when none was seen since
    /// Watchkeeper started (and `changes` is empty).
    pub last_good_at: Option<String>,
    pub changes: Vec<ChangeDto>,
    /// This machine at that moment, for a target on it.
    pub local: Option<LocalDto>,
}

/// What the probe saw; each part is there when its kind has it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Observed")]
pub struct ObservedDto {
    /// The probe's one line (`HTTP 503`, `connection refused (…)`).
    pub summary: String,
    pub status: Option<i64>,
    /// Response headers, names lowercased, in the order received.
    pub headers: Vec<NamedTextDto>,
    /// The body's start (2 KB at most), secrets masked.
    pub body_excerpt: Option<String>,
    /// The values conditions read, as "got" shows them (`json.db.status`: `"DOWN"`).
    pub values: Vec<NamedTextDto>,
    pub cert: Option<CertDto>,
    pub answers: Option<Vec<String>>,
    pub exit: Option<i64>,
    /// A command's output (its last 2 KB).
    pub output: Option<String>,
    pub latency_ms: Option<f64>,
}

/// A name and the text of its value.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "NamedText")]
pub struct NamedTextDto {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Cert")]
pub struct CertDto {
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    pub days_left: Option<i64>,
    /// `12 days left, CN=api by R3`.
    pub text: String,
}

/// One thing that differs from the last good result; `text` says it in one line.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Change")]
pub struct ChangeDto {
    pub what: String,
    pub before: String,
    pub after: String,
    pub text: String,
}

/// This machine when the incident opened.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Local")]
pub struct LocalDto {
    /// The port the check reaches, when it reaches one.
    pub port: Option<u16>,
    /// Who listens on it: null when nobody does (or there is no port).
    pub port_owner: Option<PortOwnerDto>,
    /// How `port_owner` reads: `postgres (pid 812) listens on 5432`, `nobody listens
    /// on 8080`.
    pub port_text: Option<String>,
    /// The busiest processes by CPU, then the largest by memory.
    pub top: Vec<TopProcessDto>,
    /// File systems, fullest first.
    pub disk: Vec<DiskUseDto>,
    pub memory: Option<MemoryUseDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "PortOwner")]
pub struct PortOwnerDto {
    /// Null when its process cannot be seen (another user's).
    pub pid: Option<u32>,
    pub process: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "TopProcess")]
pub struct TopProcessDto {
    pub pid: u32,
    pub process: String,
    /// Percent of one core.
    pub cpu: f64,
    /// Resident bytes.
    pub memory: u64,
    /// `12.5%`.
    pub cpu_text: String,
    /// `1.2 GB`.
    pub memory_text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "DiskUse")]
pub struct DiskUseDto {
    pub mount: String,
    pub used_percent: f64,
    /// Bytes available.
    pub available: u64,
    /// `/var 97% used, 1.2 GB available`.
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "MemoryUse")]
pub struct MemoryUseDto {
    pub used_percent: f64,
    /// Bytes available.
    pub available: u64,
    /// Bytes in all.
    pub total: u64,
    /// `memory 45% used, 12 GB available of 24 GB`.
    pub text: String,
}

impl From<&crate::store::Evidence> for EvidenceDto {
    fn from(evidence: &crate::store::Evidence) -> EvidenceDto {
        let named = |pairs: &[(String, String)]| {
            pairs.iter().map(|(name, value)| NamedTextDto { name: name.clone(), value: value.clone() }).collect()
        };
        let observed = &evidence.observed;
        EvidenceDto {
            at: rfc3339(&evidence.at),
            headline: crate::engine::evidence::headline(evidence),
            observed: ObservedDto {
                summary: observed.summary.clone(),
                status: observed.status,
                headers: named(&observed.headers),
                body_excerpt: observed.body_excerpt.clone(),
                values: named(&observed.values),
                cert: observed.cert.as_ref().map(|cert| CertDto {
                    subject: cert.subject.clone(),
                    issuer: cert.issuer.clone(),
                    sans: cert.sans.clone(),
                    days_left: cert.days_left,
                    text: crate::words::cert(cert),
                }),
                answers: observed.answers.clone(),
                exit: observed.exit,
                output: observed.output.clone(),
                latency_ms: observed.latency_ms,
            },
            last_good_at: evidence.last_good_at.as_ref().map(rfc3339),
            changes: evidence
                .changes
                .iter()
                .map(|change| ChangeDto {
                    what: change.what.clone(),
                    before: change.before.clone(),
                    after: change.after.clone(),
                    text: crate::words::change(change),
                })
                .collect(),
            local: evidence.local.as_ref().map(|local| LocalDto {
                port: local.port,
                port_owner: local
                    .port_owner
                    .as_ref()
                    .map(|owner| PortOwnerDto { pid: owner.pid, process: owner.process.clone() }),
                port_text: local.port.map(|port| crate::words::port_owner(port, local.port_owner.as_ref())),
                top: local
                    .top
                    .iter()
                    .map(|p| TopProcessDto {
                        pid: p.pid,
                        process: p.process.clone(),
                        cpu: p.cpu,
                        memory: p.memory,
                        cpu_text: format!("{:.1}%", p.cpu),
                        memory_text: crate::units::format_size(p.memory),
                    })
                    .collect(),
                disk: local
                    .disk
                    .iter()
                    .map(|d| DiskUseDto {
                        mount: d.mount.clone(),
                        used_percent: d.used_percent,
                        available: d.available,
                        text: crate::words::disk_use(d),
                    })
                    .collect(),
                memory: local.memory.as_ref().map(|m| MemoryUseDto {
                    used_percent: m.used_percent,
                    available: m.available,
                    total: m.total,
                    text: crate::words::memory_use(m),
                }),
            }),
        }
    }
}

/// An action run on an incident's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "IncidentRun")]
pub struct IncidentRunDto {
    pub id: i64,
    pub action: String,
    pub requested_by: RequesterDto,
    pub status: RunStatusDto,
    pub verified: Option<bool>,
    pub started_at: String,
}

impl From<&ActionRunRecord> for IncidentRunDto {
    fn from(record: &ActionRunRecord) -> IncidentRunDto {
        let run = &record.run;
        IncidentRunDto {
            id: record.id,
            action: run.action_id.to_string(),
            requested_by: run.requested_by.into(),
            status: run.status.into(),
            verified: run.verified,
            started_at: rfc3339(&run.started_at),
        }
    }
}

impl From<&IncidentRecord> for IncidentDto {
    fn from(incident: &IncidentRecord) -> IncidentDto {
        IncidentDto {
            id: incident.id,
            check: incident.check_id.to_string(),
            started_at: rfc3339(&incident.started_at),
            resolved_at: incident.resolved_at.as_ref().map(rfc3339),
            duration_ms: incident.resolved_at.map(|end| (end - incident.started_at).num_milliseconds()),
            cause: incident.cause.clone(),
            cause_class: incident.failure_class.into(),
            resolution: incident.failure_class.resolution().to_owned(),
            failed_conditions: incident.failed_conditions.clone(),
            acked: incident.acked,
            acked_at: incident.acked_at.as_ref().map(rfc3339),
            note: incident.note.clone(),
            resolved_as: incident.resolution.clone(),
            notes: Vec::new(),
            notifications: 0,
            actions: Vec::new(),
            evidence: None,
        }
    }
}

/// The live `incident_resolved` update.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "IncidentResolved")]
pub struct IncidentResolvedDto {
    pub id: i64,
    pub check: String,
    pub resolved_at: String,
    /// How long it lasted (null when its start was lost).
    pub duration_ms: Option<i64>,
}

/// `POST /api/v1/checks/{id}/pause`: for how long (`"1h"`); without it, until resumed.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "PauseArgs")]
pub struct PauseArgs {
    pub id: String,
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub duration: Option<String>,
}

/// `POST /api/v1/pause`: every check, for how long (`"1h"`); without it, until resumed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "PauseAllArgs")]
pub struct PauseAllArgs {
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub duration: Option<String>,
}

/// What a pause or resume changed.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "PauseResult")]
pub struct PauseResultDto {
    /// Checks whose shown status changed (already paused or running ones are not counted).
    pub changed: usize,
    /// When the pause ends; null for a resume or a pause until resumed.
    pub until: Option<String>,
}

/// `POST /api/v1/actions/{id}/run`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "RunActionArgs")]
pub struct RunActionArgs {
    pub id: String,
    #[serde(default)]
    #[ts(as = "Option<bool>", optional)]
    pub dry_run: bool,
    /// The caller's name for this run (letters, digits, `-`, `_`; at most 64): its live
    /// output is published as `action_output` updates carrying it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub r#ref: Option<String>,
}

/// An action's budget: `max_runs` per `per`, and how it stands.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Budget")]
pub struct BudgetDto {
    pub max_runs: u32,
    /// The window, as config writes it: `10m`.
    pub per: String,
    pub per_ms: u64,
    /// Runs that count now (every run but dry ones, since the last reset).
    pub runs_in_window: u32,
    /// Until when no run is allowed; null while one is.
    pub blocked_until: Option<String>,
    /// `2 of 3 runs in 10m`, and when spent, how long until the next is allowed.
    pub phrase: PhraseDto,
}

impl BudgetDto {
    pub fn of(budget: &BudgetSnapshot, now: DateTime<Utc>) -> BudgetDto {
        BudgetDto {
            max_runs: budget.budget.max_runs,
            per: crate::units::format_duration(budget.budget.per),
            per_ms: budget.budget.per.as_millis() as u64,
            runs_in_window: budget.runs_in_window,
            blocked_until: budget.blocked_until.as_ref().map(rfc3339),
            phrase: PhraseDto::from(&words::budget(budget, now)),
        }
    }
}

/// One configured action, as `GET /api/v1/actions` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Action")]
pub struct ActionDto {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// What it does, in one line: `runs systemctl --user restart api`.
    pub description: String,
    /// Whether to ask before running it.
    pub confirm: bool,
    pub verify: bool,
    pub timeout_ms: u64,
    /// The checks that offer it.
    pub checks: Vec<String>,
    /// The checks that run it by themselves (`auto_action`).
    pub auto_for: Vec<String>,
    pub budget: BudgetDto,
    /// A run is under way.
    pub running: bool,
}

impl ActionDto {
    pub fn new(
        action: &ActionConfig,
        checks: &[std::sync::Arc<CheckConfig>],
        budget: &BudgetSnapshot,
        now: DateTime<Utc>,
    ) -> ActionDto {
        let offering = checks.iter().filter(|c| c.actions.contains(&action.id));
        let healing = checks.iter().filter(|c| c.auto_action.as_ref().is_some_and(|a| a.action == action.id));
        ActionDto {
            id: action.id.to_string(),
            name: action.name.clone(),
            kind: action.spec.kind().to_owned(),
            description: action.spec.describe(),
            confirm: action.confirm,
            verify: action.verify,
            timeout_ms: action.timeout.as_millis() as u64,
            checks: offering.map(|c| c.id.to_string()).collect(),
            auto_for: healing.map(|c| c.id.to_string()).collect(),
            budget: BudgetDto::of(budget, now),
            running: budget.running,
        }
    }
}

/// The live `restart_loop` update: self-healing gave up on a check, its action's
/// budget spent. Told once until the check is stable again.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "RestartLoop")]
pub struct RestartLoopDto {
    pub check: String,
    pub name: String,
    pub action: String,
    pub max_runs: u32,
    pub per: String,
    /// When the budget allows a run again.
    pub retry_at: String,
}

impl From<&RestartLoop> for RestartLoopDto {
    fn from(event: &RestartLoop) -> RestartLoopDto {
        RestartLoopDto {
            check: event.check_id.to_string(),
            name: event.check_name.clone(),
            action: event.action.to_string(),
            max_runs: event.budget.max_runs,
            per: crate::units::format_duration(event.budget.per),
            retry_at: rfc3339(&event.retry_at),
        }
    }
}

/// `GET /api/v1/action-runs?check=ID&action=ID&incident=N&limit=N`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "ActionRunsArgs")]
pub struct ActionRunsArgs {
    #[ts(optional)]
    pub action: Option<String>,
    #[ts(optional)]
    pub check: Option<String>,
    #[ts(optional)]
    pub incident: Option<i64>,
    #[ts(optional)]
    pub limit: Option<u32>,
}

/// One action run, as recorded.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ActionRun")]
pub struct ActionRunDto {
    pub id: i64,
    pub action: String,
    pub check: Option<String>,
    pub incident: Option<i64>,
    pub requested_by: RequesterDto,
    pub dry_run: bool,
    pub status: RunStatusDto,
    pub exit_code: Option<i32>,
    pub output: String,
    pub started_at: String,
    pub duration_ms: i64,
    pub verified: Option<bool>,
    /// A cleanup's quarantine: what it moved away, until when undo can put it back.
    pub quarantine: Option<QuarantineDto>,
    /// A dry run's plan, for a cleanup: exactly the files that would go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub plan: Option<PlanDto>,
    /// How it went, beside its status: `exit 0 · 2 s · verified: the check is up again`.
    pub details: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Quarantine")]
pub struct QuarantineDto {
    /// Its folder under the data dir's `quarantine/`; null when the files were deleted
    /// at once (`quarantine = "0s"`).
    pub dir: Option<String>,
    pub count: u64,
    pub bytes: u64,
    /// When it is purged (undo is possible until then).
    pub expires_at: Option<String>,
    pub undone_at: Option<String>,
    /// What it holds: `3 files (1.5MB)`.
    pub what: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Plan")]
pub struct PlanDto {
    pub files: Vec<PlanFileDto>,
    pub count: u64,
    /// The bytes that would come back.
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "PlanFile")]
pub struct PlanFileDto {
    pub path: String,
    pub size: u64,
    pub modified: String,
}

impl From<&Plan> for PlanDto {
    fn from(plan: &Plan) -> PlanDto {
        PlanDto {
            files: plan
                .files
                .iter()
                .map(|f| PlanFileDto { path: f.path.clone(), size: f.size, modified: rfc3339(&f.modified) })
                .collect(),
            count: plan.count,
            bytes: plan.bytes,
        }
    }
}

/// `POST /api/v1/action-runs/{id}/undo`: the run as it now stands, and how many files
/// came back.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Undone")]
pub struct UndoneDto {
    pub run: ActionRunDto,
    pub restored: u64,
}

impl From<&ActionRunRecord> for ActionRunDto {
    fn from(record: &ActionRunRecord) -> ActionRunDto {
        let run = &record.run;
        ActionRunDto {
            id: record.id,
            action: run.action_id.to_string(),
            check: run.check_id.as_ref().map(ToString::to_string),
            incident: run.incident_id,
            requested_by: run.requested_by.into(),
            dry_run: run.dry_run,
            status: run.status.into(),
            exit_code: run.exit_code,
            output: run.output.clone(),
            started_at: rfc3339(&run.started_at),
            duration_ms: run.duration_ms,
            verified: run.verified,
            quarantine: run.quarantine.as_ref().map(|q| QuarantineDto {
                dir: q.dir.clone(),
                count: q.count,
                bytes: q.bytes,
                expires_at: q.expires_at.as_ref().map(rfc3339),
                undone_at: run.undone_at.as_ref().map(rfc3339),
                what: words::files(q.count, q.bytes),
            }),
            plan: record.plan.as_ref().map(PlanDto::from),
            details: words::run_details(
                run.exit_code,
                std::time::Duration::from_millis(u64::try_from(run.duration_ms).unwrap_or(0)),
                run.verified,
            ),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ActionRuns")]
pub struct ActionRunsDto {
    pub runs: Vec<ActionRunDto>,
}

/// The live `action_output` update: output of a run started with a `ref`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ActionOutput")]
pub struct ActionOutputDto {
    pub r#ref: String,
    pub action: String,
    pub text: String,
}

/// One live update, as the event stream and the desktop window carry it: tagged by its
/// name (`update`, which is the server-sent event's name too). Every update the core
/// sends is a variant here, so the dashboard's type of it is generated whole.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "update", rename_all = "snake_case")]
#[ts(rename = "LiveUpdate")]
pub enum LiveUpdate {
    /// On connect, and after falling behind (`missed` updates): the reader refetches.
    Hello {
        missed: Option<u64>,
    },
    /// Checks with a new result or state, each as it is now.
    Checks {
        checks: Vec<CheckDto>,
    },
    /// The overview changed: a level, the summary, a group, the network.
    Overview {
        overview: OverviewDto,
    },
    /// An incident opened.
    Incident {
        incident: IncidentDto,
    },
    IncidentResolved {
        resolved: IncidentResolvedDto,
    },
    /// Output of a running action, as it arrives.
    ActionOutput {
        output: ActionOutputDto,
    },
    /// An action run ended and was recorded.
    ActionRun {
        run: ActionRunDto,
    },
    /// Self-healing gave up on a check.
    RestartLoop {
        restart_loop: RestartLoopDto,
    },
}

impl LiveUpdate {
    /// Every update's name, as `update` says it.
    pub const NAMES: &'static [&'static str] = &[
        "hello",
        "checks",
        "overview",
        "incident",
        "incident_resolved",
        "action_output",
        "action_run",
        "restart_loop",
    ];

    /// Its name, as `update` says it.
    pub fn name(&self) -> &'static str {
        match self {
            LiveUpdate::Hello { .. } => "hello",
            LiveUpdate::Checks { .. } => "checks",
            LiveUpdate::Overview { .. } => "overview",
            LiveUpdate::Incident { .. } => "incident",
            LiveUpdate::IncidentResolved { .. } => "incident_resolved",
            LiveUpdate::ActionOutput { .. } => "action_output",
            LiveUpdate::ActionRun { .. } => "action_run",
            LiveUpdate::RestartLoop { .. } => "restart_loop",
        }
    }
}

/// `GET /healthz`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Health")]
pub struct HealthDto {
    pub status: HealthStatusDto,
    pub degraded: Vec<String>,
    pub version: String,
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    pub checks: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "HealthStatus")]
pub enum HealthStatusDto {
    Ok,
    Degraded,
}

/// What `watchkeeper check --json` prints: each check probed once.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "CheckRun")]
pub struct CheckRunDto {
    pub overall: StatusDto,
    pub checks: Vec<CheckOnceDto>,
}

/// One check probed once, without a daemon.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "CheckOnce")]
pub struct CheckOnceDto {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub status: StatusDto,
    pub latency_ms: Option<f64>,
    pub message: String,
    pub failure: Option<FailureDto>,
}

/// `api.json` in the data dir: how clients find and authenticate to the running core.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "ApiFile")]
pub struct ApiFile {
    pub url: String,
    pub token: String,
    pub pid: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Code;

    fn spelt_as_codes<M: Code + std::fmt::Debug, W: From<M> + Serialize>() {
        for &value in M::ALL {
            let wire = serde_json::to_value(W::from(value)).unwrap();
            assert_eq!(wire, value.code(), "{} {value:?} goes on the wire as its code", M::WHAT);
        }
    }

    #[test]
    fn a_live_updates_name_is_its_tag() {
        let updates = [
            LiveUpdate::Hello { missed: None },
            LiveUpdate::Checks { checks: Vec::new() },
            LiveUpdate::Overview {
                overview: OverviewDto {
                    overall: StatusDto::Up,
                    level: StatusDto::Up,
                    summary: String::new(),
                    groups: Vec::new(),
                    network_down: None,
                },
            },
            LiveUpdate::IncidentResolved {
                resolved: IncidentResolvedDto {
                    id: 1,
                    check: "a".into(),
                    resolved_at: String::new(),
                    duration_ms: Some(1),
                },
            },
            LiveUpdate::ActionOutput {
                output: ActionOutputDto { r#ref: "r".into(), action: "a".into(), text: String::new() },
            },
            LiveUpdate::RestartLoop {
                restart_loop: RestartLoopDto {
                    check: "a".into(),
                    name: "a".into(),
                    action: "b".into(),
                    max_runs: 1,
                    per: "1m".into(),
                    retry_at: String::new(),
                },
            },
        ];
        for update in updates {
            let tag = serde_json::to_value(&update).unwrap()["update"].clone();
            assert_eq!(tag, update.name(), "{update:?}");
            assert!(LiveUpdate::NAMES.contains(&update.name()), "{} is listed", update.name());
        }
        assert_eq!(LiveUpdate::NAMES.len(), 8, "every variant is listed once");
    }

    #[test]
    fn wire_enums_are_spelt_as_the_model_codes() {
        spelt_as_codes::<Status, StatusDto>();
        spelt_as_codes::<GroupLevel, GroupLevelDto>();
        spelt_as_codes::<BreakerState, BreakerStateDto>();
        spelt_as_codes::<FailureClass, FailureClassDto>();
        spelt_as_codes::<RunStatus, RunStatusDto>();
        spelt_as_codes::<Requester, RequesterDto>();
    }
}

wire_enum! {
    /// How loud a check's failure is.
    SeverityDto("Severity") <=> Severity { Warning, Critical, }
}

wire_enum! {
    /// What a notification is about.
    NotifyEventDto("NotifyEvent") <=> NotifyEvent {
        Opened, Resolved, Reminder, Flapping, NoNetwork, RestartLoop, CertExpiry, ServiceBreaker, Degraded,
        Restored,
    }
}

wire_enum! {
    /// Why a notification was not sent.
    SuppressedDto("Suppressed") <=> Suppressed {
        Silenced, Maintenance, Acked, QuietHours, Flapping, ParentDown, NoNetwork, NoDesktop,
    }
}

/// `GET /api/v1/notifications?check=ID&channel=ID&event=E&outcome=O&incident=N&limit=N`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "NotificationsArgs")]
pub struct NotificationsArgs {
    /// Only those about this check.
    #[ts(optional)]
    pub check: Option<String>,
    /// Only those about this incident.
    #[ts(optional)]
    pub incident: Option<i64>,
    /// Only those for this channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub channel: Option<String>,
    /// Only those about this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub event: Option<NotifyEventDto>,
    /// Only those that stand so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub outcome: Option<OutcomeStateDto>,
    /// Most decisions (default 100, at most 1000).
    #[ts(optional)]
    pub limit: Option<u32>,
}

/// One notification decision of the alert policy, for one channel: sent (then
/// `delivered`, or not yet, with the last `error`) or `suppressed`, and why.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Notification")]
pub struct NotificationDto {
    pub id: i64,
    pub at: String,
    pub event: NotifyEventDto,
    /// What it is about, in words: `down`, `recovered`, `restart loop`.
    pub event_text: String,
    /// The checks it is about: a burst names them all.
    pub checks: Vec<String>,
    pub incident: Option<i64>,
    pub channel: String,
    pub severity: SeverityDto,
    pub title: String,
    pub body: String,
    /// `null` while a delivery is still being tried (or it was suppressed).
    pub delivered: Option<bool>,
    pub attempts: u32,
    pub error: Option<String>,
    pub suppressed: Option<SuppressedDto>,
    /// Where it stands, in words: `delivered`, `not sent: silenced`, `retrying (3
    /// tries): …`.
    pub outcome: OutcomeDto,
}

/// Where a notification stands.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Outcome")]
pub struct OutcomeDto {
    pub state: OutcomeStateDto,
    pub text: String,
}

wire_enum! {
    /// Where a notification stands.
    OutcomeStateDto("OutcomeState") <=> Outcome { Delivered, Held, Failed, Retrying, Sending, }
}

impl From<&NotificationRecord> for NotificationDto {
    fn from(n: &NotificationRecord) -> NotificationDto {
        NotificationDto {
            id: n.id,
            at: rfc3339(&n.at),
            event: n.event.into(),
            event_text: words::notify_event(n.event).to_owned(),
            checks: n.checks.iter().map(|c| c.to_string()).collect(),
            incident: n.incident,
            channel: n.channel.clone(),
            severity: n.severity.into(),
            title: n.title.clone(),
            body: n.body.clone(),
            delivered: n.delivered,
            attempts: n.attempts,
            error: n.error.clone(),
            suppressed: n.suppressed.map(Into::into),
            outcome: {
                let (state, text) = words::outcome(n.suppressed, n.delivered, n.attempts, n.error.as_deref());
                OutcomeDto { state: state.into(), text }
            },
        }
    }
}

/// The notification log, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Notifications")]
pub struct NotificationsDto {
    pub notifications: Vec<NotificationDto>,
}

/// Silences, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Silences")]
pub struct SilencesDto {
    pub silences: Vec<SilenceDto>,
}

/// `POST /api/v1/silences`: mute the notifications of checks and groups `for` a while
/// (`"1h"`) or `until` a time (RFC 3339). Probes, incidents and history go on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "SilenceArgs")]
pub struct SilenceArgs {
    /// Check ids.
    #[serde(default)]
    #[ts(optional)]
    pub checks: Option<Vec<String>>,
    /// Group names.
    #[serde(default)]
    #[ts(optional)]
    pub groups: Option<Vec<String>>,
    /// How long, e.g. `"1h"`.
    #[serde(default)]
    #[ts(optional)]
    pub r#for: Option<String>,
    /// Until when, RFC 3339.
    #[serde(default)]
    #[ts(optional)]
    pub until: Option<String>,
    /// A snooze (`SNOOZES`: `15m`, `1h`, `4h`, `tomorrow`), instead of `for` or
    /// `until`: the core works out its end, in its local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub snooze: Option<String>,
    pub reason: String,
}

/// `GET /api/v1/silences?all=true`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "SilencesArgs")]
pub struct SilencesArgs {
    /// Ended and expired ones too.
    #[ts(optional)]
    pub all: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Silence")]
pub struct SilenceDto {
    pub id: i64,
    pub checks: Vec<String>,
    pub groups: Vec<String>,
    pub starts_at: String,
    pub ends_at: String,
    /// When it was ended early.
    pub ended_at: Option<String>,
    /// Whether it mutes now.
    pub active: bool,
    pub reason: String,
    pub created_by: String,
    /// What it mutes: `checks api, db; groups shop`.
    pub targets: String,
}

impl SilenceDto {
    pub fn of(s: &SilenceRecord, now: DateTime<Utc>) -> SilenceDto {
        SilenceDto {
            id: s.id,
            checks: s.checks.iter().map(|c| c.to_string()).collect(),
            groups: s.groups.clone(),
            starts_at: rfc3339(&s.starts_at),
            ends_at: rfc3339(&s.ends_at),
            ended_at: s.ended_at.as_ref().map(rfc3339),
            active: s.starts_at <= now && now < s.until(),
            reason: s.reason.clone(),
            created_by: s.created_by.clone(),
            targets: words::silence_targets(&s.checks.iter().map(|c| c.to_string()).collect::<Vec<_>>(), &s.groups),
        }
    }
}

/// The maintenance windows, in config order.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "MaintenanceWindows")]
pub struct MaintenanceDto {
    pub windows: Vec<WindowDto>,
}

/// A `[[maintenance]]` window: inside it its checks show `maintenance`, open no
/// incident and notify nobody.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "MaintenanceWindow")]
pub struct WindowDto {
    pub id: String,
    pub checks: Vec<String>,
    pub groups: Vec<String>,
    /// A recurring window: its cron schedule (local time) and how long each lasts.
    pub schedule: Option<String>,
    pub duration: Option<String>,
    pub reason: Option<String>,
    /// Whether it is on now.
    pub active: bool,
    /// The span now, when active; else the next one (`null` when none is to come).
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// The start of the span after the one now (for an active recurring window).
    pub next_start: Option<String>,
    /// Every check it covers (its groups' too), by id.
    pub covers: Vec<String>,
    /// Their names, in the same order.
    pub covers_names: Vec<String>,
    /// When it comes: `0 2 * * sun for 2h`, or `once`.
    pub when: String,
    /// What it is doing: `on until 04:00; next …`, `next … to …`, or `over`.
    pub now: String,
}

impl WindowDto {
    pub fn of(
        window: &crate::maintenance::MaintenanceWindow,
        config: &crate::config::Config,
        now: DateTime<Utc>,
        zone: &dyn crate::clock::Zone,
    ) -> WindowDto {
        use crate::maintenance::When;
        let active = window.active(now, zone);
        let next = window.next(now, zone);
        let shown = active.or(next);
        let (schedule, duration) = match &window.when {
            When::Recurring { cron, duration } => {
                (Some(cron.source().to_owned()), Some(crate::units::format_duration(*duration)))
            }
            When::Fixed { .. } => (None, None),
        };
        let (covers, covers_names) = config
            .checks
            .iter()
            .filter(|c| window.covers(&c.id, c.group.as_deref()))
            .map(|c| (c.id.to_string(), c.name.clone()))
            .unzip();
        WindowDto {
            id: window.id.clone(),
            checks: window.checks.iter().map(|c| c.to_string()).collect(),
            groups: window.groups.clone(),
            schedule,
            duration,
            reason: window.reason.clone(),
            active: active.is_some(),
            starts_at: shown.map(|s| rfc3339(&s.start)),
            ends_at: shown.map(|s| rfc3339(&s.end)),
            next_start: active.and(next).map(|s| rfc3339(&s.start)),
            covers,
            covers_names,
            when: words::window_when(window),
            now: words::window_now(active.map(|s| (s.start, s.end)), next.map(|s| (s.start, s.end)), now, zone),
        }
    }
}

/// `POST /api/v1/incidents/{id}/ack`, with an optional note.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "AckArgs")]
pub struct AckArgs {
    pub id: String,
    #[serde(default)]
    #[ts(optional)]
    pub note: Option<String>,
}

/// `POST /api/v1/incidents/{id}/notes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "NoteArgs")]
pub struct NoteArgs {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(rename = "Note")]
pub struct NoteDto {
    pub at: String,
    pub text: String,
    pub author: String,
}

impl From<&NoteRecord> for NoteDto {
    fn from(n: &NoteRecord) -> NoteDto {
        NoteDto { at: rfc3339(&n.at), text: n.text.clone(), author: n.author.clone() }
    }
}
