//! The port every Docker access goes through: one trait, addressed per
//! container of one host. The bollard implementation is in `docker`; tests
//! use fakes of it for pure logic (the collector lifecycle, say).

use async_trait::async_trait;
use futures::stream::BoxStream;
use wire::{ContainerAction, ContainerDetails, ContainerId, ContainerSummary};

use crate::metrics::formulas::RawStats;

/// A container lifecycle event from the engine's event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    /// Full container id.
    pub id: String,
    /// Docker's action: `start`, `die`, `stop`, `oom`, `pause`, `destroy`,
    /// `rename`, ... (`health_status: healthy` and the like keep their suffix).
    pub action: String,
    /// From `die` events.
    pub exit_code: Option<i64>,
    /// Nanoseconds since the epoch.
    pub time_nanos: i64,
}

/// What to read of a container's log. Lines always carry Docker's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogsRequest {
    /// Keep the stream open and send lines as they come (until the run ends).
    pub follow: bool,
    /// Only the last this many lines (None: all).
    pub tail: Option<u32>,
    /// Only lines from this second on (0: from the start).
    pub since_secs: i64,
}

/// A piece of a container's log as the engine sent it: one or more lines,
/// or part of one, each starting with its RFC 3339 timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChunk {
    pub stream: wire::LogStream,
    pub bytes: Vec<u8>,
}

/// What an engine says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineVersion {
    pub version: String,
    pub api_version: String,
    pub product: Product,
}

/// What an engine is: Docker's or Podman's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Product {
    #[default]
    Docker,
    Podman,
}

impl std::fmt::Display for Product {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Product::Docker => "Docker",
            Product::Podman => "Podman",
        })
    }
}

/// The machine an engine runs on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostInfo {
    pub cpus: Option<u32>,
    pub memory: Option<u64>,
    /// `cgroupfs` or `systemd`: where the engine puts containers' cgroups.
    pub cgroup_driver: Option<String>,
}

/// Why an engine could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreachable {
    /// It accepted the connection but did not answer in time (hung or starting).
    Timeout,
    /// The connection failed: `reason` in words safe to show ("connection
    /// refused", "TLS: unknown certificate authority", "ssh: Permission
    /// denied (publickey)"), `detail` for the log.
    Connect { reason: String, detail: String },
}

/// Why an engine call failed, in the terms the rest of the engine cares about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("no such container")]
    NotFound,
    #[error("engine unreachable: {}", match .0 { Unreachable::Timeout => "no answer in time", Unreachable::Connect { detail, .. } => detail })]
    Unavailable(Unreachable),
    /// The engine understood and refused, e.g. 409 for a container being removed.
    #[error("{0}")]
    Conflict(String),
    /// Anything else; logged, not shown.
    #[error("engine error: {0}")]
    Other(String),
}

impl EngineError {
    /// A reason safe to show in a page: the kind of failure, not socket
    /// paths or engine internals (those go to the log).
    pub fn public_reason(&self) -> String {
        match self {
            EngineError::Unavailable(Unreachable::Timeout) => "no answer in time".into(),
            EngineError::Unavailable(Unreachable::Connect { reason, .. }) => reason.clone(),
            EngineError::NotFound => "not found".into(),
            EngineError::Conflict(_) | EngineError::Other(_) => "unexpected answer".into(),
        }
    }
}

/// The engine's port to Docker. Every call addresses one container of the
/// host this engine belongs to; ids are validated before they get here.
/// Calls carry no time limit of their own: callers decide how long to wait.
#[async_trait]
pub trait ContainerEngine: Send + Sync + 'static {
    async fn version(&self) -> Result<EngineVersion, EngineError>;
    /// The machine's CPUs and memory (`docker info`); read once per host.
    async fn host_info(&self) -> Result<HostInfo, EngineError> {
        Ok(HostInfo::default())
    }
    async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError>;
    async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerDetails, EngineError>;
    async fn act(&self, id: &ContainerId, action: ContainerAction) -> Result<(), EngineError>;
    /// Removes a container: `force` kills a running one first (without it
    /// the engine refuses a running container), `volumes` removes its
    /// anonymous volumes too.
    async fn remove(&self, id: &ContainerId, force: bool, volumes: bool) -> Result<(), EngineError> {
        let _ = (id, force, volumes);
        Err(EngineError::Other("this engine cannot remove containers".into()))
    }
    /// `name@sha256:...` for each registry the image was pulled from
    /// (empty for an image built here).
    async fn image_repo_digests(&self, image_id: &str) -> Result<Vec<String>, EngineError> {
        let _ = image_id;
        Ok(Vec::new())
    }
    /// A container's log (stdout and stderr, or the TTY's one stream). The
    /// stream ends when the run ends (following) or the log does.
    fn logs(&self, id: &ContainerId, request: LogsRequest) -> BoxStream<'static, Result<LogChunk, EngineError>> {
        let _ = (id, request);
        Box::pin(futures::stream::once(async { Err(EngineError::Other("this engine cannot read logs".into())) }))
    }
    /// One stats sample (`stream=false&one-shot=true`): cheap for the daemon,
    /// so the caller keeps the previous sample to compute CPU.
    async fn stats_once(&self, id: &ContainerId) -> Result<RawStats, EngineError>;
    /// One sample with the engine's previous CPU reading (`stream=false`
    /// without one-shot: the daemon takes two rounds), for a first CPU
    /// value from a single request.
    async fn stats_primed(&self, id: &ContainerId) -> Result<RawStats, EngineError> {
        self.stats_once(id).await
    }
    /// Where a running container's cgroup is, as far as the engine says
    /// (its init pid, cgroup parent, network mode); None when it is not
    /// running or the engine cannot say.
    async fn cgroup_hint(&self, _id: &ContainerId) -> Result<Option<crate::cgroup::CgroupHint>, EngineError> {
        Ok(None)
    }
    /// Where samples come from, in words, when not from the Engine API.
    fn stats_source(&self) -> Option<String> {
        None
    }
    /// Container events, replaying from `since_secs` when given. The stream
    /// ends (or yields an error) when the engine goes away.
    fn events(&self, since_secs: Option<i64>) -> BoxStream<'static, Result<EngineEvent, EngineError>>;
}
