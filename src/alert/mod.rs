//! Alerting: what is told, to whom, and how it gets there.
//!
//! - `policy`: the alert policy as a pure rule taking `now` (grouping, dependency
//!   suppression, silences, reminders, quiet hours, maintenance, flapping, the
//!   network): what happened goes in, decisions come out, each sent or held and why;
//! - `channel`: the channel kinds (`desktop`, `webhook`, `command`, `alertmanager`),
//!   one module each with its keys, how they compile and its delivery, listed once in
//!   `channel::kinds!` as probe and action kinds are.
//!
//! The engine wires them: it offers what happens, records every decision, and runs
//! the deliveries (`engine::alerting`). Nothing here touches the store or the checks.

pub mod channel;
mod policy;

pub use policy::*;
