//! Why a command could not do what was asked, and the exit code that says so.
//!
//! Errors exit with the codes of sysexits.h (64 and up), so a script can tell a wrong
//! argument from a daemon that is not running; `check` and `status` answer 3 (unknown)
//! for any of them instead, as a monitoring plugin must. A command's own answer keeps
//! its code (0 ok, 1 an action that failed, 0–3 for what a check is).

use std::fmt;

use watchkeeper::api::client::ClientError;

/// The sysexits.h codes the command line uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// A wrong flag, argument or value on the command line.
    Usage = 64,
    /// An argument names nothing (an unknown id) or is refused as it is.
    Data = 65,
    /// A file named on the command line does not exist.
    NoInput = 66,
    /// The running daemon is needed and none answers.
    Unavailable = 69,
    /// A fault of Watchkeeper's own.
    Software = 70,
    /// A file or the history could not be read or written.
    Io = 74,
    /// Not now: asking again later may succeed (a run under way, a spent budget).
    TempFail = 75,
    /// The daemon's answer was not Watchkeeper's.
    Protocol = 76,
    /// The daemon refused the caller.
    NoPerm = 77,
    /// The config file is not valid.
    Config = 78,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// An error with its exit code: the message as the user reads it (with its code and a
/// `help:` line where there is a fix).
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    text: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Failure {}

/// An error that exits with `exit`.
pub fn fail(exit: Exit, text: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure { exit, text: text.into() })
}

/// A client error as the command line says it: the message with its code, how to fix
/// it, and the exit code for its kind.
pub fn client_error(error: ClientError) -> anyhow::Error {
    let exit = match &error {
        ClientError::NotRunning { .. } | ClientError::Unreachable { .. } => Exit::Unavailable,
        ClientError::BadResponse(_) => Exit::Protocol,
        ClientError::Api { status, error } => match status {
            401 | 403 => Exit::NoPerm,
            429 | 503 => Exit::TempFail,
            _ if error.retry_at.is_some() || error.code == "action_running" => Exit::TempFail,
            500 => Exit::Io,
            400..=499 => Exit::Data,
            _ => Exit::Unavailable,
        },
        ClientError::UnknownOperation(_) | ClientError::BadArgs(_) | ClientError::Setup(_) => Exit::Software,
    };
    fail(exit, format!("{error} [{}]\n  help: {}", error.code(), error.resolution()))
}

/// The exit code for an error that ended a command: its `Failure`'s, the daemon's
/// refusal to start by kind, 74 for a file that could not be read or written, else 70
/// (a fault of ours).
pub fn exit_of(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            return failure.exit;
        }
        if let Some(refused) = cause.downcast_ref::<watchkeeper::daemon::StartError>() {
            use watchkeeper::config::LoadError;
            use watchkeeper::daemon::StartError;
            return match refused {
                StartError::Busy { .. } => Exit::TempFail,
                StartError::Config(LoadError::Invalid(_)) => Exit::Config,
                StartError::Config(LoadError::Read { .. })
                | StartError::Store(_)
                | StartError::Token(_)
                | StartError::DataDir { .. } => Exit::Io,
            };
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return Exit::Io;
        }
    }
    Exit::Software
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_exits_with_its_failure_s_code_through_any_context() {
        use anyhow::Context as _;
        let error = Err::<(), _>(fail(Exit::Data, "no check has the id `x`")).context("while asking").unwrap_err();
        assert_eq!(exit_of(&error), Exit::Data);
        let io = anyhow::Error::new(std::io::Error::other("disk full")).context("while writing");
        assert_eq!(exit_of(&io), Exit::Io);
        assert_eq!(exit_of(&anyhow::anyhow!("a bug")), Exit::Software);
    }

    #[test]
    fn the_daemon_s_refusals_map_to_their_kind() {
        let refused = |status, code: &str| ClientError::Api {
            status,
            error: watchkeeper::api::dto::ErrorDto {
                code: code.into(),
                message: "m".into(),
                resolution: "r".into(),
                retry_at: None,
                errors: Vec::new(),
            },
        };
        let api = |status| refused(status, "x");
        let exit = |error| exit_of(&client_error(error));
        assert_eq!(exit(api(404)), Exit::Data);
        assert_eq!(exit(api(422)), Exit::Data);
        assert_eq!(exit(api(401)), Exit::NoPerm);
        assert_eq!(exit(api(429)), Exit::TempFail);
        assert_eq!(exit(api(409)), Exit::Data, "a conflict with the config stays one");
        assert_eq!(exit(refused(409, "action_running")), Exit::TempFail, "a run under way ends");
        assert_eq!(exit(api(500)), Exit::Io);
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(exit(ClientError::NotRunning { dir: "/nowhere".into(), source: missing }), Exit::Unavailable);
    }
}
