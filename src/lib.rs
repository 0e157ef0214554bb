//! Watchkeeper's core: config, probes, engine, history, actions and the loopback API.
//!
//! This crate never depends on Tauri and builds and tests without a display.

pub mod breaker;
pub mod condition;
pub mod config;
pub mod exec;
pub mod model;
pub mod probe;
pub mod state;
