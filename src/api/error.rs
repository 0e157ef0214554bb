//! API errors: a stable code, a message and a resolution. The code is for programs to
//! branch on; the message and resolution are for people.

use chrono::{DateTime, Utc};

use crate::engine::{Refused, RunError, UndoRefused};
use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub resolution: String,
    /// When asking again may succeed (a spent action budget).
    pub retry_at: Option<DateTime<Utc>>,
    /// Each problem in the config file, for `config_invalid`.
    pub errors: Vec<crate::config::Diagnostic>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>, resolution: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            resolution: resolution.into(),
            retry_at: None,
            errors: Vec::new(),
        }
    }

    /// A run the engine refused, or could not record.
    pub fn run<'a>(error: RunError, id: &str, known: impl Iterator<Item = &'a str>) -> ApiError {
        match error {
            RunError::Refused(Refused::UnknownAction) => ApiError::unknown_action(id, known),
            RunError::Refused(Refused::Running) => ApiError::new(
                409,
                "action_running",
                format!("action `{id}` is running already"),
                "wait for the run under way to end (the dashboard's Action runs page shows it), then run it again if needed",
            ),
            RunError::Refused(Refused::Exhausted { retry_at, budget }) => ApiError {
                retry_at: Some(retry_at),
                ..ApiError::new(
                    429,
                    "action_budget_exhausted",
                    format!(
                        "action `{id}` has run {} times in the last {}, its budget; the next run is allowed at {}",
                        budget.max_runs,
                        crate::units::format_duration(budget.per),
                        super::dto::rfc3339(&retry_at)
                    ),
                    format!(
                        "find out why it keeps being needed; or reset its budget (`watchkeeper action reset {id}`, \
                         or Reset budget on the dashboard) to run it now"
                    ),
                )
            },
            RunError::Store(error) => ApiError::store(error),
        }
    }

    pub fn unknown_check(id: &str) -> ApiError {
        ApiError::new(
            404,
            "unknown_check",
            format!("no check has the id `{id}`"),
            "`watchkeeper status` and the dashboard list the checks",
        )
    }

    pub fn unknown_action<'a>(id: &str, known: impl Iterator<Item = &'a str>) -> ApiError {
        let known: Vec<&str> = known.collect();
        let resolution = if known.is_empty() {
            "no actions are configured; declare one in an [[action]] table".to_owned()
        } else {
            format!("the configured actions are: {}", known.join(", "))
        };
        ApiError::new(404, "unknown_action", format!("no action has the id `{id}`"), resolution)
    }

    pub fn store(error: StoreError) -> ApiError {
        ApiError::new(500, "store_error", error.to_string(), error.resolution())
    }

    /// An undo the engine refused.
    pub fn undo(error: UndoRefused) -> ApiError {
        use crate::action::cleanup::quarantine::UndoError;
        let message = error.to_string();
        match error {
            UndoRefused::UnknownRun(_) => {
                ApiError::new(404, "unknown_run", message, "the dashboard's Action runs page lists the runs")
            }
            UndoRefused::NotUndoable(_) => ApiError::new(409, "not_undoable", message, "nothing to put back"),
            UndoRefused::Undo(UndoError::Purged) => ApiError::new(
                409,
                "quarantine_purged",
                message,
                "the files were kept for the action's `quarantine` time; raise it to keep them longer",
            ),
            UndoRefused::Undo(UndoError::AlreadyUndone(_)) => {
                ApiError::new(409, "already_undone", message, "the files are back already")
            }
            UndoRefused::Undo(UndoError::Taken(_)) => ApiError::new(
                409,
                "path_taken",
                message,
                "move the new files away (or keep them); undo never overwrites, then try again",
            ),
            UndoRefused::Undo(_) => ApiError::new(
                500,
                "undo_failed",
                message,
                "check the folder's permissions and the disk, then try again",
            ),
            UndoRefused::Store(error) => ApiError::store(error),
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            401,
            "unauthorized",
            "missing or wrong bearer token",
            "send `Authorization: Bearer <token>` with the token from api.json in the data dir; a dashboard opened before `watchkeeper token rotate` needs the link the daemon printed",
        )
    }

    /// A new API token could not be written to the data dir: the old one stays.
    pub fn token_not_kept(why: &str) -> ApiError {
        ApiError::new(
            500,
            "token_not_kept",
            format!("the new token could not be kept, so the old one stays in force: {why}"),
            "make the data dir writable (or free disk space), then run `watchkeeper token rotate` again",
        )
    }

    pub fn foreign_host(host: &str) -> ApiError {
        ApiError::new(
            403,
            "foreign_host",
            format!("requests for host `{host}` are refused: the API serves loopback only"),
            "connect to 127.0.0.1, [::1] or localhost",
        )
    }

    pub fn foreign_origin(origin: &str) -> ApiError {
        ApiError::new(
            403,
            "foreign_origin",
            format!("requests from origin `{origin}` are refused"),
            "use the dashboard served by watchkeeper itself",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(
            400,
            "bad_request",
            message,
            "send JSON as documented in docs/API.md, with `Content-Type: application/json`",
        )
    }

    /// A config file (or a change to it) that does not compile: nothing changed.
    pub fn config_invalid(errors: Vec<crate::config::Diagnostic>) -> ApiError {
        let n = errors.len();
        let first =
            errors.first().map_or_else(String::new, |d| format!(": {}:{}:{}: {}", d.file, d.line, d.column, d.message));
        ApiError {
            errors,
            ..ApiError::new(
                400,
                "config_invalid",
                format!("the config has {n} error{}{first}", if n == 1 { "" } else { "s" }),
                "fix each error listed in `errors` (file, line, key, resolution); the running config stays until then",
            )
        }
    }

    /// An edit of the config file that was not made.
    pub fn edit(refused: crate::engine::EditRefused) -> ApiError {
        use crate::engine::EditRefused;
        match refused {
            EditRefused::Changed { expected, found } => ApiError::new(
                409,
                "config_changed",
                format!(
                    "the config file changed since it was read (version {expected}, now {found}); nothing was written"
                ),
                "read the file again (on the dashboard: \"Read the file again\"), then make the change again",
            ),
            EditRefused::Invalid(errors) => ApiError::config_invalid(errors),
            EditRefused::UnknownCheck(id) => ApiError::new(
                404,
                "unknown_check",
                format!("no [[check]] table of the config file has the id `{id}`"),
                "`watchkeeper status` lists the checks; a check written some other way is edited in the file itself",
            ),
            EditRefused::NoFile => ApiError::new(
                409,
                "no_config_file",
                "this Watchkeeper was started without a config file: there is no file to edit",
                "start it with `--config FILE`",
            ),
            EditRefused::Io(error) => ApiError::new(
                500,
                "config_io",
                format!("the config file could not be read or written: {error}"),
                crate::config::read_help(&error),
            ),
        }
    }

    pub fn not_found(path: &str) -> ApiError {
        ApiError::new(404, "not_found", format!("no route for `{path}`"), "see docs/API.md for the routes")
    }
}

impl ApiError {
    /// As the wire carries it.
    pub fn to_dto(&self) -> super::dto::ErrorDto {
        super::dto::ErrorDto {
            code: self.code.to_owned(),
            message: self.message.clone(),
            resolution: self.resolution.clone(),
            retry_at: self.retry_at.as_ref().map(super::dto::rfc3339),
            errors: self.errors.iter().map(super::dto::ConfigErrorDto::from).collect(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.message, self.code, self.resolution)
    }
}

impl std::error::Error for ApiError {}
