//! The server's side of Docker: a small port (`ContainerEngine`) with one real
//! implementation over bollard, and the registry of configured hosts. Plain
//! Rust with no Leptos types, so it can be tested and benchmarked alone.

mod bollard_engine;
mod hosts;
pub mod stats;

pub use bollard_engine::{BollardEngine, raw_stats_from_api};
pub use hosts::{Backoff, Hosts, HostsBuilder};
pub use stats::{ContainerStatsManager, MetricsConfig};

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::metrics::formulas::RawStats;
use crate::model::{ContainerAction, ContainerDetails, ContainerId, ContainerSummary};

/// A container lifecycle event from the engine's event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    /// Full container id.
    pub id: String,
    /// Docker's action: `start`, `die`, `stop`, `oom`, `pause`, `destroy`, ...
    /// (`health_status: healthy` and the like keep their suffix).
    pub action: String,
    /// From `die` events.
    pub exit_code: Option<i64>,
    /// Nanoseconds since the epoch.
    pub time_nanos: i64,
}

/// What an engine says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineVersion {
    pub version: String,
    pub api_version: String,
}

/// Why an engine call failed, in the terms the rest of the app cares about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("no such container")]
    NotFound,
    /// The engine could not be reached (socket missing, refused, timed out).
    #[error("engine unreachable: {0}")]
    Unavailable(String),
    /// The engine understood and refused, e.g. 409 for a container being removed.
    #[error("{0}")]
    Conflict(String),
    /// Anything else; logged, not shown.
    #[error("engine error: {0}")]
    Other(String),
}

/// The engine's port to Docker. Every call addresses one container of the
/// host this engine belongs to; ids are validated before they get here.
#[async_trait]
pub trait ContainerEngine: Send + Sync + 'static {
    async fn version(&self) -> Result<EngineVersion, EngineError>;
    async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError>;
    async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerDetails, EngineError>;
    async fn act(&self, id: &ContainerId, action: ContainerAction) -> Result<(), EngineError>;
    /// One stats sample (`stream=false&one-shot=true`): cheap for the daemon,
    /// so the caller keeps the previous sample to compute CPU.
    async fn stats_once(&self, id: &ContainerId) -> Result<RawStats, EngineError>;
    /// Container events, replaying from `since_secs` when given. The stream
    /// ends (or yields an error) when the engine goes away.
    fn events(&self, since_secs: Option<i64>) -> BoxStream<'static, Result<EngineEvent, EngineError>>;
}
