//! Urgent desktop notifications over real D-Bus: a private `dbus-daemon`, a small
//! notification server with the Desktop Notifications API's real signatures
//! (`Notify(susssasa{sv}i) -> u`, `ActionInvoked(us)`), and the core's client. The
//! desktop end-to-end test shows them under dunst too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zbus::object_server::SignalEmitter;
use zbus::zvariant::OwnedValue;

use crate::support::eventually;
use crate::support::systemd::PrivateBus;
use watchkeeper::desktop::Urgent;

type Shown = (String, u32, String, String, Vec<String>, HashMap<String, OwnedValue>, i32);

#[derive(Clone, Default)]
struct Server {
    shown: Arc<Mutex<Vec<Shown>>>,
    closed: Arc<Mutex<Vec<u32>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedValue>,
        expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        shown.push((app_name, replaces_id, summary, body, actions, hints, expire_timeout));
        40 + shown.len() as u32
    }

    async fn close_notification(&self, id: u32) {
        self.closed.lock().unwrap().push(id);
    }

    #[zbus(signal)]
    async fn action_invoked(emitter: &SignalEmitter<'_>, id: u32, action_key: &str) -> zbus::Result<()>;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urgent_notification_is_critical_stays_and_its_buttons_come_back() {
    let dir = tempfile::tempdir().unwrap();
    let bus = PrivateBus::start(dir.path()).await;
    let server = Server::default();
    let served = zbus::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .name("org.freedesktop.Notifications")
        .unwrap()
        .serve_at("/org/freedesktop/Notifications", server.clone())
        .unwrap()
        .build()
        .await
        .expect("the notification server connects");
    let client = zbus::connection::Builder::address(bus.address.as_str()).unwrap().build().await.unwrap();
    let urgent = Urgent::on(client);
    let pressed = Arc::new(Mutex::new(Vec::new()));
    let seen = pressed.clone();
    urgent.on_buttons(move |id, key| seen.lock().unwrap().push((id, key))).await.unwrap();

    let buttons = [("snooze", "Snooze 1 h"), ("ack", "Acknowledge"), ("open", "Open")];
    let id = urgent.show("payments down", "connection refused (since 14:02)", &buttons).await.unwrap();
    assert_eq!(id, 41, "the server's id comes back");
    let (app, replaces, summary, body, actions, hints, expire) = server.shown.lock().unwrap()[0].clone();
    assert_eq!((app.as_str(), replaces, summary.as_str()), ("Watchkeeper", 0, "payments down"));
    assert_eq!(body, "connection refused (since 14:02)");
    assert_eq!(expire, 0, "it never expires by itself");
    assert_eq!(u8::try_from(&hints["urgency"]).unwrap(), 2, "critical urgency");
    assert_eq!(actions, ["default", "", "snooze", "Snooze 1 h", "ack", "Acknowledge", "open", "Open"]);

    let emitter = SignalEmitter::new(&served, "/org/freedesktop/Notifications").unwrap();
    Server::action_invoked(&emitter, id, "ack").await.unwrap();
    let got = eventually(Duration::from_secs(10), "the button comes back", || async {
        pressed.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(got, (41, "ack".to_owned()));

    urgent.close(id).await.expect("CloseNotification is answered");
    assert_eq!(*server.closed.lock().unwrap(), [41], "the recovered one is taken off the screen");
}

/// An urgent notification is settled (the shell closes it as a recovery is shown) once
/// none of its checks has an incident open, and not before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_urgent_notification_is_settled_once_its_incidents_are_resolved() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = format!(
        "[[check]]\nid = \"db\"\nkind = \"tcp\"\nhost = \"127.0.0.1\"\nport = {port}\ninterval = \"200ms\"\ntimeout = \"150ms\"\nfailure_threshold = 1\nbreaker = {{ enabled = false }}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = watchkeeper::config::compile(&config, "test.toml").unwrap().config;
    let (store, _) = watchkeeper::store::Store::open(dir.path()).unwrap();
    let running = watchkeeper::engine::Engine::start(config, store, crate::support::engine_options()).unwrap();
    let engine = running.engine.clone();
    let checks = ["db".to_owned()];
    eventually(Duration::from_secs(10), "db is down with an incident", || async {
        engine.check("db").and_then(|c| c.open_incident)
    })
    .await;
    assert!(!watchkeeper::desktop::settled(&engine, &checks), "its incident is open");
    let back = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    eventually(Duration::from_secs(10), "db recovers", || async {
        engine.check("db").is_some_and(|c| c.open_incident.is_none()).then_some(())
    })
    .await;
    assert!(watchkeeper::desktop::settled(&engine, &checks), "resolved: it goes");
    drop(back);
    running.shutdown().await;
}
