//! Watchkeeper's core: config, probes, engine, history, actions and the loopback API.
//!
//! This crate never depends on Tauri and builds and tests without a display.

pub mod action;
pub mod api;
pub mod breaker;
pub mod client;
pub mod condition;
pub mod config;
pub mod daemon;
pub mod desktop;
pub mod doctor;
pub mod engine;
pub mod exec;
pub mod figures;
pub mod model;
pub mod paths;
pub mod probe;
pub mod server;
pub mod state;
pub mod store;
pub mod telemetry;
