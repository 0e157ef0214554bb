//! `kind = "desktop"`: the tray app's notifications. The engine hands them to the
//! desktop shell (`engine::Event::Notification`), which shows them with their buttons;
//! a headless daemon has no desktop and records them as not delivered. Every config
//! has this channel, with the id `desktop`, unless it declares its own.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Context, Delivery, DeliveryError, Payload};
use crate::diagnostic::Scope;

pub const NAME: &str = "desktop";

/// The keys of a desktop channel: none of its own.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keys {}

#[derive(Debug, Clone)]
pub struct Spec;

pub fn compile(_: Keys, _: &mut Scope<'_, '_>) -> Option<Spec> {
    Some(Spec)
}

impl Delivery for Spec {
    /// Never called: the shell shows the desktop's notifications.
    async fn deliver(&self, _: &Context, _: &Payload) -> Result<(), DeliveryError> {
        Ok(())
    }

    fn shown_by_shell(&self) -> bool {
        true
    }
}
