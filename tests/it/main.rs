//! All integration tests in one binary, against real things: loopback HTTP and TCP,
//! real child processes, real SQLite files, the daemon as a process.

mod support;

mod actions;
mod alerts;
mod backup;
mod breakers;
mod chains;
mod cleanup;
mod cli;
mod daemon;
mod evidence;
mod export;
mod faults;
mod health;
mod incidents;
mod kinds;
mod live;
mod pages;
mod pause;
mod probes;
mod props;
mod recovery;
mod reload;
mod restart;
mod rollups;
mod store;
mod tidy;
mod urgent;
