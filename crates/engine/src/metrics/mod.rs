//! Container metrics: one collector per watched container, shared by every
//! viewer, sampling Docker into a bounded ring; lifecycle from Docker events.
//!
//! - `ring` holds points under absolute sequence numbers;
//! - `formulas` turns two Docker samples into a point the way the docker CLI does;
//! - `columns` encodes points as the wire's columns;
//! - `series` is one container's history; `lifecycle` its state machine;
//! - `registry` and `policy` are the watched set, its idle expiry and cap;
//! - `collector` samples one container; `events` follows a host's events;
//! - `manager` is the `ContainerStatsManager` that ties them together.

mod collector;
pub mod columns;
mod config;
mod events;
pub mod export;
pub mod fleet;
#[cfg(test)]
mod fleet_tests;
pub mod formulas;
mod lifecycle;
mod manager;
mod pacer;
mod policy;
mod registry;
pub mod ring;
mod series;
#[cfg(test)]
mod tests;

pub use series::now_ms;

pub use config::MetricsConfig;
pub use fleet::{FleetConfig, Pacing};
pub use manager::{ContainerStatsManager, ManagerStats};
