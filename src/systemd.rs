//! systemd's D-Bus API, as the `restart` action uses it: `RestartUnit(name, "replace")`
//! on `org.freedesktop.systemd1.Manager`, then the job's `JobRemoved` signal says how
//! it ended; all bounded by the action's timeout. The user's manager is on the session
//! bus, the system's on the system bus (where polkit decides who may). Suggestions ask
//! each manager for its failed units (`ListUnitsFiltered(["failed"])`).

use std::time::Duration;

use futures_util::StreamExt as _;
use zbus::zvariant::OwnedObjectPath;

const DESTINATION: &str = "org.freedesktop.systemd1";
const PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";

/// Which manager: the user's or the system's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    User,
    System,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::System => "system",
        }
    }

    /// `systemctl --user` or `systemctl`, for messages.
    fn systemctl(self) -> &'static str {
        match self {
            Scope::User => "systemctl --user",
            Scope::System => "systemctl",
        }
    }
}

/// Why a restart did not happen, each with what to do.
#[derive(Debug, thiserror::Error)]
pub enum SystemdError {
    #[error("cannot connect to the {} bus: {error}", if *.scope == Scope::User { "session" } else { "system" })]
    NoBus { scope: Scope, error: String },
    #[error("no unit named {unit}")]
    NoSuchUnit { scope: Scope, unit: String },
    #[error("not allowed to restart {unit}: {message}")]
    Denied { scope: Scope, unit: String, message: String },
    #[error("{unit} is masked")]
    Masked { scope: Scope, unit: String },
    #[error("systemd refused: {name}: {message}")]
    Refused { name: String, message: String },
    #[error("the restart of {unit} ended `{result}`")]
    JobFailed { scope: Scope, unit: String, result: String },
    #[error("systemd did not finish restarting {unit} within {}", crate::units::format_duration(*.limit))]
    Timeout { unit: String, limit: Duration },
}

impl SystemdError {
    /// What the operator can do about it.
    pub fn resolution(&self) -> String {
        match self {
            SystemdError::NoBus { scope: Scope::User, .. } => {
                "run Watchkeeper inside your login session (DBUS_SESSION_BUS_ADDRESS must be set)".into()
            }
            SystemdError::NoBus { .. } => "is systemd running (PID 1) and the system bus up?".into(),
            SystemdError::NoSuchUnit { scope, unit } => {
                format!("no unit named {unit}: `{} list-units --all` lists them", scope.systemctl())
            }
            SystemdError::Denied { unit, .. } => format!(
                "allow it with a polkit rule for org.freedesktop.systemd1.manage-units on {unit} (docs/actions.md has one)"
            ),
            SystemdError::Masked { scope, unit } => format!("`{} unmask {unit}` first, if it should run", scope.systemctl()),
            SystemdError::Refused { .. } => "read systemd's message".into(),
            SystemdError::JobFailed { scope, unit, .. } => {
                format!("`{} status {unit}` and `journalctl {}-u {unit}` say why", scope.systemctl(), if *scope == Scope::User { "--user " } else { "" })
            }
            SystemdError::Timeout { .. } => "raise the action's `timeout`: the unit may take longer to start".into(),
        }
    }
}

/// Restarts a unit and waits for its job to end, within `limit`. Returns the job's path.
pub async fn restart_unit(scope: Scope, unit: &str, limit: Duration) -> Result<String, SystemdError> {
    let timed_out = || SystemdError::Timeout { unit: unit.to_owned(), limit };
    tokio::time::timeout(limit, restart(scope, unit)).await.map_err(|_| timed_out())?
}

/// The manager's bus.
async fn connect(scope: Scope) -> Result<zbus::Connection, SystemdError> {
    match scope {
        Scope::User => zbus::Connection::session().await,
        Scope::System => zbus::Connection::system().await,
    }
    .map_err(|e| SystemdError::NoBus { scope, error: e.to_string() })
}

/// A unit systemd has marked failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedUnit {
    pub scope: Scope,
    /// `nginx.service`
    pub name: String,
    /// Its `Description=`.
    pub description: String,
}

/// The manager's failed units, within `limit`.
pub async fn failed_units(scope: Scope, limit: Duration) -> Result<Vec<FailedUnit>, SystemdError> {
    let list = async {
        let connection = connect(scope).await?;
        let refused = |e: zbus::Error| classify(e, scope, "");
        let manager = zbus::Proxy::new(&connection, DESTINATION, PATH, MANAGER).await.map_err(refused)?;
        // (name, description, load, active, sub, following, path, job id, job type, job path)
        type Row = (String, String, String, String, String, String, OwnedObjectPath, u32, String, OwnedObjectPath);
        let rows: Vec<Row> = manager.call("ListUnitsFiltered", &(vec!["failed"],)).await.map_err(refused)?;
        Ok(rows
            .into_iter()
            .filter(|row| row.3 == "failed")
            .map(|row| FailedUnit { scope, name: row.0, description: row.1 })
            .collect())
    };
    let late =
        || SystemdError::NoBus { scope, error: format!("no answer within {}", crate::units::format_duration(limit)) };
    tokio::time::timeout(limit, list).await.map_err(|_| late())?
}

async fn restart(scope: Scope, unit: &str) -> Result<String, SystemdError> {
    let connection = connect(scope).await?;
    let refused = |e: zbus::Error| classify(e, scope, unit);
    let manager = zbus::Proxy::new(&connection, DESTINATION, PATH, MANAGER).await.map_err(refused)?;
    // Listening before the call, so the job's end cannot be missed; systemd sends its
    // signals to subscribers.
    let mut removed = manager.receive_signal("JobRemoved").await.map_err(refused)?;
    let _: Result<(), _> = manager.call("Subscribe", &()).await;
    let job: OwnedObjectPath = manager.call("RestartUnit", &(unit, "replace")).await.map_err(refused)?;
    while let Some(signal) = removed.next().await {
        let Ok((_, path, _, result)) = signal.body().deserialize::<(u32, OwnedObjectPath, String, String)>() else {
            continue;
        };
        if path != job {
            continue;
        }
        return match result.as_str() {
            "done" => Ok(job.to_string()),
            _ => Err(SystemdError::JobFailed { scope, unit: unit.to_owned(), result }),
        };
    }
    Err(SystemdError::NoBus { scope, error: "the bus closed before the job ended".into() })
}

fn classify(error: zbus::Error, scope: Scope, unit: &str) -> SystemdError {
    let unit = unit.to_owned();
    match error {
        zbus::Error::MethodError(name, message, _) => {
            let message = message.unwrap_or_default();
            match name.as_str() {
                "org.freedesktop.systemd1.NoSuchUnit" | "org.freedesktop.systemd1.LoadFailed" => {
                    SystemdError::NoSuchUnit { scope, unit }
                }
                "org.freedesktop.systemd1.UnitMasked" => SystemdError::Masked { scope, unit },
                "org.freedesktop.DBus.Error.AccessDenied"
                | "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
                | "org.freedesktop.PolicyKit1.Error.NotAuthorized" => SystemdError::Denied { scope, unit, message },
                "org.freedesktop.DBus.Error.ServiceUnknown" | "org.freedesktop.DBus.Error.NameHasNoOwner" => {
                    SystemdError::NoBus { scope, error: format!("no systemd on this bus: {message}") }
                }
                other => SystemdError::Refused { name: other.to_owned(), message },
            }
        }
        other => SystemdError::NoBus { scope, error: other.to_string() },
    }
}
