//! The server's side of Docker: a small port (`ContainerEngine`) with one real
//! implementation over bollard, and the registry of configured hosts. Plain
//! Rust with no Leptos types, so it can be tested and benchmarked alone.

mod bollard_engine;
mod hosts;

pub use bollard_engine::BollardEngine;
pub use hosts::{Hosts, HostsBuilder, Backoff};

use async_trait::async_trait;

use crate::model::{ContainerAction, ContainerDetails, ContainerId, ContainerSummary};

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
}
