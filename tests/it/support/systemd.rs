//! systemd cannot run as the service manager on these machines (PID 1 is not systemd,
//! and `systemd --user` exits at once), so the `restart` action's D-Bus client is
//! tested against this: a small `org.freedesktop.systemd1` service with the Manager's
//! real method and signal signatures (`RestartUnit(ss) -> o`, `Subscribe()`,
//! `JobRemoved(uoss)`, `ListUnitsFiltered(as) -> a(ssssssouso)`), on a private
//! `dbus-daemon` the test starts. Real D-Bus; only
//! the manager behind it is ours.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zbus::object_server::SignalEmitter;
use zbus::zvariant::{ObjectPath, OwnedObjectPath};

/// A private bus: `dbus-daemon` on a socket in a temp dir.
pub struct PrivateBus {
    pub address: String,
    daemon: Child,
}

impl PrivateBus {
    pub async fn start(dir: &Path) -> PrivateBus {
        let socket = dir.join("bus");
        let address = format!("unix:path={}", socket.display());
        let daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--address", &address])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon runs (Debian's dbus-daemon; `cargo xtask test` installs it)");
        super::eventually(Duration::from_secs(10), "the private bus listens", || async {
            socket.exists().then_some(())
        })
        .await;
        PrivateBus { address, daemon }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Why the fake manager refuses, named as systemd and D-Bus name them.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.freedesktop")]
enum Refusal {
    #[zbus(error)]
    ZBus(zbus::Error),
    #[zbus(name = "systemd1.NoSuchUnit")]
    NoSuchUnit(String),
    #[zbus(name = "DBus.Error.InteractiveAuthorizationRequired")]
    NotAuthorized(String),
}

/// The fake manager: `missing.service` does not exist, `locked.service` needs polkit,
/// `broken.service`'s job fails, `slow.service`'s job never ends; any other unit
/// restarts fine.
#[derive(Clone, Default)]
pub struct FakeSystemd {
    restarts: Arc<Mutex<Vec<(String, String)>>>,
    jobs: Arc<AtomicU32>,
    /// Failed units: (name, description).
    failed: Arc<Mutex<Vec<(String, String)>>>,
}

/// A row of `ListUnits`: name, description, load, active and sub state, following, the
/// unit's path, job id, type and path.
type UnitRow = (String, String, String, String, String, String, OwnedObjectPath, u32, String, OwnedObjectPath);

impl FakeSystemd {
    /// Serves as `org.freedesktop.systemd1` on the bus; keep the connection alive.
    pub async fn serve(&self, bus: &PrivateBus) -> zbus::Connection {
        zbus::connection::Builder::address(bus.address.as_str())
            .expect("a bus address")
            .name("org.freedesktop.systemd1")
            .expect("a well-known name")
            .serve_at("/org/freedesktop/systemd1", self.clone())
            .expect("the manager's path")
            .build()
            .await
            .expect("the fake manager connects")
    }

    /// Marks a unit failed, as `ListUnitsFiltered(["failed"])` will list it.
    pub fn fail(&self, name: &str, description: &str) {
        self.failed.lock().unwrap().push((name.to_owned(), description.to_owned()));
    }

    /// Each `RestartUnit` call: (unit, mode).
    pub fn restarts(&self) -> Vec<(String, String)> {
        self.restarts.lock().unwrap().clone()
    }
}

#[zbus::interface(name = "org.freedesktop.systemd1.Manager")]
impl FakeSystemd {
    async fn subscribe(&self) {}

    async fn list_units_filtered(&self, states: Vec<String>) -> Vec<UnitRow> {
        let failed = self.failed.lock().unwrap().clone();
        let path = |text: String| OwnedObjectPath::try_from(text).expect("an object path");
        failed
            .into_iter()
            .enumerate()
            .filter(|_| states.iter().any(|s| s == "failed"))
            .map(|(i, (name, description))| {
                let unit = path(format!("/org/freedesktop/systemd1/unit/u{i}"));
                (
                    name,
                    description,
                    "loaded".into(),
                    "failed".into(),
                    "failed".into(),
                    String::new(),
                    unit,
                    0,
                    String::new(),
                    path("/".into()),
                )
            })
            .collect()
    }

    async fn restart_unit(
        &self,
        name: String,
        mode: String,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> Result<OwnedObjectPath, Refusal> {
        match name.as_str() {
            "missing.service" => return Err(Refusal::NoSuchUnit(format!("Unit {name} not found."))),
            "locked.service" => return Err(Refusal::NotAuthorized("Interactive authentication required.".into())),
            _ => {}
        }
        self.restarts.lock().unwrap().push((name.clone(), mode));
        let id = self.jobs.fetch_add(1, Ordering::SeqCst) + 1;
        let path = OwnedObjectPath::try_from(format!("/org/freedesktop/systemd1/job/{id}")).expect("a job path");
        if name != "slow.service" {
            let result = if name == "broken.service" { "failed" } else { "done" };
            let connection = zbus::blocking::Connection::from(emitter.connection().clone());
            let job = path.clone();
            // The job ends a little after the call returns, as a real restart does.
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                let body = (id, job, name, result);
                let _ = connection.emit_signal(
                    None::<()>,
                    "/org/freedesktop/systemd1",
                    "org.freedesktop.systemd1.Manager",
                    "JobRemoved",
                    &body,
                );
            });
        }
        Ok(path)
    }

    /// Declared for introspection (its real signature); sent from the thread above.
    #[zbus(signal)]
    async fn job_removed(
        emitter: &SignalEmitter<'_>,
        id: u32,
        job: ObjectPath<'_>,
        unit: &str,
        result: &str,
    ) -> zbus::Result<()>;
}
