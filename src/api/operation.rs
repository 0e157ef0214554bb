//! The route table: every operation of the API once, each with its name (the
//! dashboard's and the desktop window's), method, path, arguments and answer. The
//! server's routes (`server`), the typed client (`client`) and the dashboard's
//! `ui/src/api/types.ts` (`typescript`) are all made from [`visit_all`].
//!
//! An operation's arguments are one struct: `{id}` in its path is its `id` field; the
//! other fields travel as the query string (GET) or the JSON body (POST).
//!
//! Every front door runs an operation through [`perform`], never `Operation::call`
//! itself: an operation that changes something answers once its change is committed
//! in the history (one rule for all of them, checked by `tidy`).

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;
use ts_rs::TS;

use super::{dto, ApiError};
use crate::action::Requester;
use crate::engine::Engine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// Whether its arguments travel in the query string (else in a JSON body).
    pub fn in_query(self) -> bool {
        !matches!(self, Method::Post | Method::Put)
    }
}

/// One operation of the API.
pub trait Operation: 'static {
    /// Its name, as the dashboard and the desktop window call it: `run_action`.
    const NAME: &'static str;
    const METHOD: Method;
    /// Its path; `{id}` stands for the `id` argument.
    const PATH: &'static str;
    type Args: Serialize + DeserializeOwned + TS + Send + Sync + 'static;
    type Output: Serialize + DeserializeOwned + TS + Send + 'static;
    /// The HTTP status of a success: 201 for what it creates.
    const CREATED: bool = false;

    /// Runs it on the engine, for `requester`.
    fn call(
        engine: &Engine,
        args: Self::Args,
        requester: Requester,
    ) -> impl Future<Output = Result<Self::Output, ApiError>> + Send;
}

/// Runs an operation for `requester`: what the server's routes and the desktop shell
/// call. An operation that is not a GET answers only once what it changed is committed
/// in the history, so whoever reads it next (a test, the CLI, another window) sees it;
/// a commit that fails is the caller's error, never ignored.
pub async fn perform<O: Operation>(
    engine: &Engine,
    args: O::Args,
    requester: Requester,
) -> Result<O::Output, ApiError> {
    let outcome = O::call(engine, args, requester).await;
    if O::METHOD != Method::Get {
        // Also after a refusal: an operation may have recorded something before it.
        let committed = engine.writer().flush().await;
        if outcome.is_ok() {
            committed.map_err(ApiError::store)?;
        }
    }
    outcome
}

/// Something done for every operation.
pub trait Visitor {
    fn visit<O: Operation>(&mut self);
}

/// Visits every operation, in the order the dashboard's table lists them. Adding an
/// operation is adding its line here.
pub fn visit_all(visitor: &mut impl Visitor) {
    visitor.visit::<Status>();
    visitor.visit::<Health>();
    visitor.visit::<Check>();
    visitor.visit::<Results>();
    visitor.visit::<History>();
    visitor.visit::<Uptime>();
    visitor.visit::<Strips>();
    visitor.visit::<Incidents>();
    visitor.visit::<Incident>();
    visitor.visit::<Ack>();
    visitor.visit::<AddNote>();
    visitor.visit::<Notifications>();
    visitor.visit::<Silences>();
    visitor.visit::<CreateSilence>();
    visitor.visit::<EndSilence>();
    visitor.visit::<Maintenance>();
    visitor.visit::<Actions>();
    visitor.visit::<ActionRuns>();
    visitor.visit::<RunAction>();
    visitor.visit::<ResetAction>();
    visitor.visit::<Undo>();
    visitor.visit::<SteerBreaker>();
    visitor.visit::<Pause>();
    visitor.visit::<Resume>();
    visitor.visit::<PauseAll>();
    visitor.visit::<ResumeAll>();
    visitor.visit::<ConfigFile>();
    visitor.visit::<ReloadConfig>();
    visitor.visit::<ConfigSchema>();
    visitor.visit::<CheckKeys>();
    visitor.visit::<AddCheck>();
    visitor.visit::<ReplaceCheck>();
    visitor.visit::<RemoveCheck>();
    visitor.visit::<TestCheck>();
    visitor.visit::<PreviewBulk>();
    visitor.visit::<AddChecks>();
    visitor.visit::<Suggestions>();
    visitor.visit::<PreviewImport>();
}

pub struct PreviewImport;

impl Operation for PreviewImport {
    const NAME: &'static str = "preview_import";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/import/preview";
    type Args = dto::ImportArgs;
    type Output = dto::ImportPreviewDto;

    async fn call(engine: &Engine, args: dto::ImportArgs, _: Requester) -> Result<Self::Output, ApiError> {
        use crate::imports::{read, Format};
        let format = match args.format.as_deref() {
            None | Some("") => None,
            Some(name) => Some(Format::parse(name).ok_or_else(|| {
                ApiError::new(
                    400,
                    "bad_import",
                    format!("`{name}` is not a format read here"),
                    format!("send one of: {}, or none to have it told by the file's look", Format::NAMES.join(", ")),
                )
            })?),
        };
        let taken: Vec<String> = engine.config().checks.iter().map(|c| c.id.to_string()).collect();
        let (format, imported) = read(&args.text, format, &taken)
            .map_err(|e| ApiError::new(400, "bad_import", e.to_string(), e.resolution()))?;
        Ok(dto::ImportPreviewDto::of(format, imported))
    }
}

pub struct Suggestions;

impl Operation for Suggestions {
    const NAME: &'static str = "suggestions";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/suggestions";
    type Args = dto::NoArgs;
    type Output = dto::SuggestionsDto;

    async fn call(engine: &Engine, _: dto::NoArgs, _: Requester) -> Result<Self::Output, ApiError> {
        let own = engine.url().and_then(|url| reqwest::Url::parse(&url).ok()).and_then(|url| url.port());
        let found = crate::suggest::suggestions(&engine.config(), own).await;
        Ok(dto::SuggestionsDto { suggestions: found.into_iter().map(dto::SuggestionDto::from).collect() })
    }
}

pub struct PreviewBulk;

impl Operation for PreviewBulk {
    const NAME: &'static str = "preview_bulk";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/checks/bulk/preview";
    type Args = dto::BulkArgs;
    type Output = dto::BulkPreviewDto;

    async fn call(engine: &Engine, args: dto::BulkArgs, _: Requester) -> Result<Self::Output, ApiError> {
        use crate::config::bulk::{propose, BulkKind};
        let kind = args.kind.as_deref().unwrap_or("auto");
        let Some(kind) = BulkKind::parse(kind) else {
            return Err(ApiError::new(
                400,
                "bad_bulk_kind",
                format!("`{kind}` is not a kind a bulk add makes"),
                format!("send one of: {}", BulkKind::NAMES.join(", ")),
            ));
        };
        let taken: Vec<String> = engine.config().checks.iter().map(|c| c.id.to_string()).collect();
        let proposals = propose(&args.lines, kind, &args.defaults.0, &taken);
        Ok(dto::BulkPreviewDto { proposals: proposals.into_iter().map(dto::ProposalDto::from).collect() })
    }
}

pub struct AddChecks;

impl Operation for AddChecks {
    const NAME: &'static str = "add_checks";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/checks/bulk";
    type Args = dto::AddChecksArgs;
    type Output = dto::ReloadDto;
    const CREATED: bool = true;

    async fn call(engine: &Engine, args: dto::AddChecksArgs, _: Requester) -> Result<Self::Output, ApiError> {
        let checks = args.checks.into_iter().map(|c| c.0).collect();
        super::edited(engine.edit_config(crate::engine::Edit::AddAll(checks), args.if_match.as_deref()).await)
    }
}

pub struct ConfigSchema;

impl Operation for ConfigSchema {
    const NAME: &'static str = "config_schema";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/config/schema";
    type Args = dto::NoArgs;
    type Output = dto::SchemaDto;

    async fn call(engine: &Engine, _: dto::NoArgs, _: Requester) -> Result<Self::Output, ApiError> {
        let _ = engine;
        Ok(dto::SchemaDto(crate::config::schema()))
    }
}

pub struct CheckKeys;

impl Operation for CheckKeys {
    const NAME: &'static str = "check_keys";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/checks/{id}/config";
    type Args = dto::IdArgs;
    type Output = dto::CheckKeysDto;

    async fn call(engine: &Engine, args: dto::IdArgs, _: Requester) -> Result<Self::Output, ApiError> {
        let (keys, version) = engine.check_keys(&args.id).map_err(ApiError::edit)?;
        Ok(dto::CheckKeysDto { keys: dto::KeysDto(keys), version })
    }
}

pub struct AddCheck;

impl Operation for AddCheck {
    const NAME: &'static str = "add_check";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/checks";
    type Args = dto::KeysDto;
    type Output = dto::ReloadDto;
    const CREATED: bool = true;

    async fn call(engine: &Engine, args: dto::KeysDto, _: Requester) -> Result<Self::Output, ApiError> {
        let (keys, if_match) = args.edit_parts();
        super::edited(engine.edit_config(crate::engine::Edit::Add(keys), if_match.as_deref()).await)
    }
}

pub struct ReplaceCheck;

impl Operation for ReplaceCheck {
    const NAME: &'static str = "replace_check";
    const METHOD: Method = Method::Put;
    const PATH: &'static str = "/api/v1/checks/{id}";
    type Args = dto::KeysDto;
    type Output = dto::ReloadDto;

    async fn call(engine: &Engine, args: dto::KeysDto, _: Requester) -> Result<Self::Output, ApiError> {
        let (mut keys, if_match) = args.edit_parts();
        let id = match keys.remove("id") {
            Some(serde_json::Value::String(id)) => id,
            _ => return Err(ApiError::bad_request("invalid request: the path names no check")),
        };
        let edit = crate::engine::Edit::Replace(id, keys);
        super::edited(engine.edit_config(edit, if_match.as_deref()).await)
    }
}

pub struct RemoveCheck;

impl Operation for RemoveCheck {
    const NAME: &'static str = "remove_check";
    const METHOD: Method = Method::Delete;
    const PATH: &'static str = "/api/v1/checks/{id}";
    type Args = dto::RemoveCheckArgs;
    type Output = dto::ReloadDto;

    async fn call(engine: &Engine, args: dto::RemoveCheckArgs, _: Requester) -> Result<Self::Output, ApiError> {
        let edit = crate::engine::Edit::Remove(args.id);
        super::edited(engine.edit_config(edit, args.if_match.as_deref()).await)
    }
}

pub struct TestCheck;

impl Operation for TestCheck {
    const NAME: &'static str = "test_check";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/checks/test";
    type Args = dto::KeysDto;
    type Output = dto::TrialDto;

    async fn call(engine: &Engine, args: dto::KeysDto, _: Requester) -> Result<Self::Output, ApiError> {
        let (mut keys, _) = args.edit_parts();
        // A form may test before it has an id.
        keys.entry("id").or_insert_with(|| crate::words::TRIAL_ID.into());
        let config = engine.compile_trial(&keys).map_err(ApiError::edit)?;
        let id = keys.get("id").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
        let results = crate::engine::check_once(&config, std::slice::from_ref(&id)).await;
        let Some((_, result)) = results.first() else { return Err(ApiError::unknown_check(&id)) };
        Ok(dto::TrialDto::from(result))
    }
}

pub struct ConfigFile;

impl Operation for ConfigFile {
    const NAME: &'static str = "config";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/config";
    type Args = dto::NoArgs;
    type Output = dto::ConfigDto;

    async fn call(engine: &Engine, _: dto::NoArgs, _: Requester) -> Result<Self::Output, ApiError> {
        Ok(dto::ConfigDto::from(&engine.config_state()))
    }
}

pub struct ReloadConfig;

impl Operation for ReloadConfig {
    const NAME: &'static str = "reload_config";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/config/reload";
    type Args = dto::NoArgs;
    type Output = dto::ReloadDto;

    async fn call(engine: &Engine, _: dto::NoArgs, requester: Requester) -> Result<Self::Output, ApiError> {
        super::reload(engine, requester).await
    }
}

pub struct Status;

impl Operation for Status {
    const NAME: &'static str = "status";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/status";
    type Args = dto::NoArgs;
    type Output = dto::StatusReportDto;

    async fn call(engine: &Engine, _: dto::NoArgs, _: Requester) -> Result<Self::Output, ApiError> {
        Ok(super::status(engine))
    }
}

pub struct Health;

impl Operation for Health {
    const NAME: &'static str = "health";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/healthz";
    type Args = dto::NoArgs;
    type Output = dto::HealthDto;

    async fn call(engine: &Engine, _: dto::NoArgs, _: Requester) -> Result<Self::Output, ApiError> {
        Ok(super::health(engine))
    }
}

pub struct Check;

impl Operation for Check {
    const NAME: &'static str = "check";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/checks/{id}";
    type Args = dto::IdArgs;
    type Output = dto::CheckDetailDto;

    async fn call(engine: &Engine, args: dto::IdArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::check(engine, &args.id).await
    }
}

pub struct Results;

impl Operation for Results {
    const NAME: &'static str = "results";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/checks/{id}/results";
    type Args = dto::ResultsArgs;
    type Output = dto::ResultsDto;

    async fn call(engine: &Engine, args: dto::ResultsArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::results(engine, args).await
    }
}

pub struct History;

impl Operation for History {
    const NAME: &'static str = "history";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/checks/{id}/history";
    type Args = dto::HistoryArgs;
    type Output = dto::HistoryDto;

    async fn call(engine: &Engine, args: dto::HistoryArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::history(engine, args).await
    }
}

pub struct Strips;

impl Operation for Strips {
    const NAME: &'static str = "strips";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/strips";
    type Args = dto::StripsArgs;
    type Output = dto::StripsDto;

    async fn call(engine: &Engine, args: dto::StripsArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::strips(engine, args).await
    }
}

pub struct Uptime;

impl Operation for Uptime {
    const NAME: &'static str = "uptime";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/checks/{id}/uptime";
    type Args = dto::IdArgs;
    type Output = dto::UptimeDto;

    async fn call(engine: &Engine, args: dto::IdArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::uptime(engine, args).await
    }
}

pub struct Incidents;

impl Operation for Incidents {
    const NAME: &'static str = "incidents";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/incidents";
    type Args = dto::IncidentsArgs;
    type Output = dto::IncidentsDto;

    async fn call(engine: &Engine, args: dto::IncidentsArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::incidents(engine, args).await
    }
}

pub struct Incident;

impl Operation for Incident {
    const NAME: &'static str = "incident";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/incidents/{id}";
    type Args = dto::IdArgs;
    type Output = dto::IncidentDto;

    async fn call(engine: &Engine, args: dto::IdArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::incident_with_evidence(engine, &args.id).await
    }
}

pub struct Actions;

impl Operation for Actions {
    const NAME: &'static str = "actions";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/actions";
    type Args = dto::NoArgs;
    type Output = Vec<dto::ActionDto>;

    async fn call(engine: &Engine, _: dto::NoArgs, _: Requester) -> Result<Self::Output, ApiError> {
        Ok(super::actions(engine))
    }
}

pub struct ResetAction;

impl Operation for ResetAction {
    const NAME: &'static str = "reset_action";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/actions/{id}/reset";
    type Args = dto::IdArgs;
    type Output = dto::ActionDto;

    async fn call(engine: &Engine, args: dto::IdArgs, requester: Requester) -> Result<Self::Output, ApiError> {
        super::reset_action(engine, &args.id, requester).await
    }
}

pub struct Undo;

impl Operation for Undo {
    const NAME: &'static str = "undo";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/action-runs/{id}/undo";
    type Args = dto::IdArgs;
    type Output = dto::UndoneDto;

    async fn call(engine: &Engine, args: dto::IdArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::undo(engine, &args.id).await
    }
}

pub struct ActionRuns;

impl Operation for ActionRuns {
    const NAME: &'static str = "action_runs";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/action-runs";
    type Args = dto::ActionRunsArgs;
    type Output = dto::ActionRunsDto;

    async fn call(engine: &Engine, args: dto::ActionRunsArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::action_runs(engine, args).await
    }
}

pub struct RunAction;

impl Operation for RunAction {
    const NAME: &'static str = "run_action";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/actions/{id}/run";
    type Args = dto::RunActionArgs;
    type Output = dto::ActionRunDto;

    async fn call(engine: &Engine, args: dto::RunActionArgs, requester: Requester) -> Result<Self::Output, ApiError> {
        super::run_action(engine, args, requester).await
    }
}

pub struct SteerBreaker;

impl Operation for SteerBreaker {
    const NAME: &'static str = "steer_breaker";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/checks/{id}/breaker";
    type Args = dto::BreakerArgs;
    type Output = dto::BreakerDto;

    async fn call(engine: &Engine, args: dto::BreakerArgs, requester: Requester) -> Result<Self::Output, ApiError> {
        super::steer_breaker(engine, &args.id, args.state, requester).await
    }
}

pub struct Pause;

impl Operation for Pause {
    const NAME: &'static str = "pause";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/checks/{id}/pause";
    type Args = dto::PauseArgs;
    type Output = dto::PauseResultDto;

    async fn call(engine: &Engine, args: dto::PauseArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::pause(engine, Some(&args.id), args.duration.as_deref()).await
    }
}

pub struct Resume;

impl Operation for Resume {
    const NAME: &'static str = "resume";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/checks/{id}/resume";
    type Args = dto::IdArgs;
    type Output = dto::PauseResultDto;

    async fn call(engine: &Engine, args: dto::IdArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::resume(engine, Some(&args.id)).await
    }
}

pub struct PauseAll;

impl Operation for PauseAll {
    const NAME: &'static str = "pause_all";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/pause";
    type Args = dto::PauseAllArgs;
    type Output = dto::PauseResultDto;

    async fn call(engine: &Engine, args: dto::PauseAllArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::pause(engine, None, args.duration.as_deref()).await
    }
}

pub struct ResumeAll;

impl Operation for ResumeAll {
    const NAME: &'static str = "resume_all";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/resume";
    type Args = dto::NoArgs;
    type Output = dto::PauseResultDto;

    async fn call(engine: &Engine, _: dto::NoArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::resume(engine, None).await
    }
}

/// Every operation's name, method and path, in table order.
pub fn table() -> Vec<(&'static str, Method, &'static str)> {
    struct Table(Vec<(&'static str, Method, &'static str)>);
    impl Visitor for Table {
        fn visit<O: Operation>(&mut self) {
            self.0.push((O::NAME, O::METHOD, O::PATH));
        }
    }
    let mut table = Table(Vec::new());
    visit_all(&mut table);
    table.0
}

pub struct Ack;

impl Operation for Ack {
    const NAME: &'static str = "ack";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/incidents/{id}/ack";
    type Args = dto::AckArgs;
    type Output = dto::IncidentDto;

    async fn call(engine: &Engine, args: dto::AckArgs, requester: Requester) -> Result<Self::Output, ApiError> {
        super::ack(engine, args, requester).await
    }
}

pub struct AddNote;

impl Operation for AddNote {
    const NAME: &'static str = "add_note";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/incidents/{id}/notes";
    type Args = dto::NoteArgs;
    type Output = dto::IncidentDto;

    async fn call(engine: &Engine, args: dto::NoteArgs, requester: Requester) -> Result<Self::Output, ApiError> {
        super::add_note(engine, args, requester).await
    }
}

pub struct Notifications;

impl Operation for Notifications {
    const NAME: &'static str = "notifications";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/notifications";
    type Args = dto::NotificationsArgs;
    type Output = dto::NotificationsDto;

    async fn call(engine: &Engine, args: dto::NotificationsArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::notifications(engine, args).await
    }
}

pub struct Silences;

impl Operation for Silences {
    const NAME: &'static str = "silences";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/silences";
    type Args = dto::SilencesArgs;
    type Output = dto::SilencesDto;

    async fn call(engine: &Engine, args: dto::SilencesArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::silences(engine, args).await
    }
}

pub struct Maintenance;

impl Operation for Maintenance {
    const NAME: &'static str = "maintenance";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/api/v1/maintenance";
    type Args = dto::NoArgs;
    type Output = dto::MaintenanceDto;

    async fn call(engine: &Engine, _: dto::NoArgs, _: Requester) -> Result<Self::Output, ApiError> {
        let (config, now, zone) = (engine.config(), engine.now(), engine.zone().as_ref());
        Ok(dto::MaintenanceDto {
            windows: config.maintenance.iter().map(|w| dto::WindowDto::of(w, &config, now, zone)).collect(),
        })
    }
}

pub struct CreateSilence;

impl Operation for CreateSilence {
    const NAME: &'static str = "create_silence";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/api/v1/silences";
    type Args = dto::SilenceArgs;
    type Output = dto::SilenceDto;
    const CREATED: bool = true;

    async fn call(engine: &Engine, args: dto::SilenceArgs, requester: Requester) -> Result<Self::Output, ApiError> {
        super::create_silence(engine, args, requester).await
    }
}

pub struct EndSilence;

impl Operation for EndSilence {
    const NAME: &'static str = "end_silence";
    const METHOD: Method = Method::Delete;
    const PATH: &'static str = "/api/v1/silences/{id}";
    type Args = dto::IdArgs;
    type Output = dto::SilenceDto;

    async fn call(engine: &Engine, args: dto::IdArgs, _: Requester) -> Result<Self::Output, ApiError> {
        super::end_silence(engine, &args.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_own_name_and_route() {
        let table = table();
        for (i, (name, method, path)) in table.iter().enumerate() {
            assert!(
                !table[..i].iter().any(|(n, m, p)| n == name || (m == method && p == path)),
                "{name} ({} {path}) is listed once",
                method.as_str()
            );
            assert!(path.starts_with('/'), "{name}: a path starts with /");
            assert!(!path.contains('{') || path.contains("{id}"), "{name}: `{{id}}` is the only parameter");
        }
    }
}
