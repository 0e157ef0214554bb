//! Watchkeeper's core: config, probes, engine, history, actions and the loopback API.
//!
//! This crate never depends on Tauri and builds and tests without a display.

pub mod action;
pub mod alert;
pub mod api;
pub mod breaker;
pub mod budget;
pub mod clock;
pub mod condition;
pub mod config;
pub mod daemon;
pub mod desktop;
pub mod diagnostic;
pub mod docker;
pub mod doctor;
pub mod engine;
pub mod exec;
pub mod figures;
pub mod glob;
pub mod healing;
pub mod imports;
pub mod maintenance;
pub mod model;

pub mod panics;
pub mod paths;
pub mod probe;
pub mod resident;
pub mod secret;
pub mod server;
pub mod state;
pub mod store;
pub mod suggest;
pub mod systemd;
pub mod telemetry;
pub mod units;
pub mod words;
