//! Binnacle's Docker side, in plain Rust (tokio and bollard; no Leptos, no
//! axum), so it can be tested and benchmarked alone with `cargo test -p engine`.
//!
//! - [`port`]: the `ContainerEngine` trait every Docker access goes through,
//!   and [`docker`], its one real implementation over bollard.
//! - [`hosts`]: the configured hosts, each with its engine, last known status
//!   and a monitor that notices when it goes away and comes back.
//! - [`metrics`]: the `ContainerStatsManager`, one collector per watched
//!   container sampling into a bounded ring, lifecycle from Docker events.
//!
//! - [`history`]: the aggregated tiers (10 s to 1 h buckets, a month) and
//!   their file.
//!
//! Errors are this crate's own ([`Error`]); the web layer maps them to HTTP
//! answers in one place.

pub mod backoff;
pub mod cgroup;
pub mod docker;
pub mod endpoint;
mod error;
pub mod history;
pub mod hosts;
pub mod logs;
pub mod metrics;
pub mod port;
mod ssh;

pub use backoff::Backoff;
pub use docker::{BollardEngine, raw_stats_from_api};
pub use error::Error;
pub use hosts::{Hosts, HostsBuilder};
pub use metrics::{ContainerStatsManager, FleetConfig, ManagerStats, MetricsConfig, Pacing};
pub use port::{ContainerEngine, EngineError, EngineEvent, EngineVersion, HostInfo, Product, Unreachable};
