//! Urgent notifications: a critical failure stays on screen until it is dismissed and
//! is marked urgent. The Desktop Notifications API says so with the `urgency` hint 2
//! (critical) and an expiry of 0 (never); the notification plugin sets neither, so
//! these go over D-Bus here, with their buttons, and the buttons pressed come back from
//! the server's `ActionInvoked` signals on the same connection (some servers, dunst
//! among them, signal only the connection that sent a notification).

use std::collections::HashMap;

use futures_util::StreamExt as _;
use zbus::zvariant::Value;

const DESTINATION: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";
const INTERFACE: &str = "org.freedesktop.Notifications";

/// `urgency` 2: critical. Servers keep such a notification until it is dismissed.
const CRITICAL: u8 = 2;

/// A session bus connection to the notification server.
#[derive(Clone)]
pub struct Urgent {
    connection: zbus::Connection,
}

impl Urgent {
    /// On the session bus.
    pub async fn session() -> zbus::Result<Urgent> {
        Ok(Urgent { connection: zbus::Connection::session().await? })
    }

    /// On a given connection (a private bus in tests).
    pub fn on(connection: zbus::Connection) -> Urgent {
        Urgent { connection }
    }

    /// Shows a notification that stays until dismissed, marked critical, with these
    /// buttons (`(key, label)`; a click on the notification itself is `default`).
    /// Returns the server's id for it.
    pub async fn show(&self, title: &str, body: &str, buttons: &[(&str, &str)]) -> zbus::Result<u32> {
        let mut actions: Vec<&str> = vec!["default", ""];
        for (key, label) in buttons {
            actions.push(key);
            actions.push(label);
        }
        let hints: HashMap<&str, Value<'_>> = HashMap::from([("urgency", Value::U8(CRITICAL))]);
        let reply = self
            .connection
            .call_method(
                Some(DESTINATION),
                PATH,
                Some(INTERFACE),
                "Notify",
                &("Watchkeeper", 0u32, "", title, body, actions, hints, 0i32),
            )
            .await?;
        reply.body().deserialize()
    }

    /// Takes a notification off the screen (`CloseNotification`): an urgent one whose
    /// failure has recovered.
    pub async fn close(&self, id: u32) -> zbus::Result<()> {
        self.connection.call_method(Some(DESTINATION), PATH, Some(INTERFACE), "CloseNotification", &(id,)).await?;
        Ok(())
    }

    /// Calls `pressed(id, key)` for each button pressed on one of this connection's
    /// notifications, until the connection closes. Subscribed when it returns.
    pub async fn on_buttons(&self, pressed: impl Fn(u32, String) + Send + 'static) -> zbus::Result<()> {
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(INTERFACE)?
            .member("ActionInvoked")?
            .build();
        let mut signals = zbus::MessageStream::for_match_rule(rule, &self.connection, None).await?;
        tokio::spawn(async move {
            while let Some(Ok(signal)) = signals.next().await {
                if let Ok((id, key)) = signal.body().deserialize::<(u32, String)>() {
                    pressed(id, key);
                }
            }
        });
        Ok(())
    }
}
