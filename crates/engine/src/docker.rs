//! `ContainerEngine` over bollard: the only place that touches Docker's API
//! types. Every optional field is mapped once, here, into our plain types.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use bollard::query_parameters::{
    EventsOptions, InspectContainerOptions, ListContainersOptionsBuilder, LogsOptionsBuilder, RestartContainerOptions,
    StartContainerOptions, StatsOptionsBuilder, StopContainerOptions,
};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::RwLock;

use wire::{
    ContainerAction, ContainerDetails, ContainerId, ContainerState, ContainerSummary, HealthCheckRun, HealthReport,
    HostName, MountSummary, NetworkAttachment, PortBinding, ResourceLimits,
};

use crate::endpoint::Endpoint;
use crate::metrics::formulas::{RawStats, parse_rfc3339_ms};
use crate::port::{
    ContainerEngine, EngineError, EngineEvent, EngineVersion, HostInfo, LogChunk, LogsRequest, Product, Unreachable,
};

/// Agreeing on an API version is a nicety: never wait long for it.
const NEGOTIATE_TIMEOUT: Duration = Duration::from_secs(5);
/// bollard's own per-request limit, above every limit callers set.
const CLIENT_TIMEOUT_SECS: u64 = 120;

pub struct BollardEngine {
    host: HostName,
    endpoint: Endpoint,
    /// None until the first successful connect.
    docker: RwLock<Option<Docker>>,
    negotiated: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// For ssh hosts: ssh's last complaint, which says why a connection failed.
    ssh_last_error: Option<crate::ssh::LastSshError>,
    /// Podman's API answered (learnt from its version): its stats differ.
    podman: std::sync::atomic::AtomicBool,
}

impl BollardEngine {
    /// Checks the address only: the connection is made on first use, so an
    /// engine that is down (or whose socket is missing) at start-up does not
    /// stop Binnacle from serving.
    pub fn new(host: HostName, endpoint: Endpoint) -> Self {
        let ssh_last_error = matches!(endpoint, Endpoint::Ssh { .. }).then(crate::ssh::LastSshError::default);
        BollardEngine {
            host,
            endpoint,
            docker: RwLock::new(None),
            negotiated: Default::default(),
            ssh_last_error,
            podman: Default::default(),
        }
    }

    /// [`BollardEngine::new`] from an address: `unix:///path`, `tcp://host:port`
    /// (plain), `ssh://[user@]host[:port]`.
    pub fn connect(host: HostName, docker_host: &str) -> Result<Self, String> {
        Ok(Self::new(host, Endpoint::parse(docker_host)?))
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    async fn client(&self) -> Result<Docker, EngineError> {
        if let Some(docker) = self.docker.read().await.as_ref() {
            return Ok(docker.clone());
        }
        let mut slot = self.docker.write().await;
        if let Some(docker) = slot.as_ref() {
            return Ok(docker.clone());
        }
        let docker = self.open()?;
        *slot = Some(docker.clone());
        Ok(docker)
    }

    /// The bollard client for this endpoint (no connection is made yet).
    fn open(&self) -> Result<Docker, EngineError> {
        let version = bollard::API_DEFAULT_VERSION;
        let refused = |e: bollard::errors::Error| {
            let detail = e.to_string();
            EngineError::Unavailable(Unreachable::Connect { reason: why_unreachable(&e), detail })
        };
        match &self.endpoint {
            Endpoint::Unix { path } => {
                Docker::connect_with_unix(&path.to_string_lossy(), CLIENT_TIMEOUT_SECS, version).map_err(refused)
            }
            Endpoint::Tcp { host, port, tls: None } => {
                Docker::connect_with_http(&format!("http://{}", host_port(host, *port)), CLIENT_TIMEOUT_SECS, version)
                    .map_err(refused)
            }
            Endpoint::Tcp { host, port, tls: Some(files) } => Docker::connect_with_ssl(
                &host_port(host, *port),
                &files.key,
                &files.cert,
                &files.ca,
                CLIENT_TIMEOUT_SECS,
                version,
            )
            .map_err(|e| {
                let detail = e.to_string();
                let reason = match &e {
                    bollard::errors::Error::CertPathError { .. } => "TLS: cannot read the certificate files".into(),
                    bollard::errors::Error::CertParseError { .. } | bollard::errors::Error::CertMultipleKeys { .. } => {
                        "TLS: the certificate files are not valid".into()
                    }
                    other => why_unreachable(other),
                };
                EngineError::Unavailable(Unreachable::Connect { reason, detail })
            }),
            Endpoint::Ssh { user, host, port, identity, known_hosts } => {
                let target = crate::ssh::SshTarget {
                    user: user.clone(),
                    host: host.clone(),
                    port: *port,
                    identity: identity.clone(),
                    known_hosts: known_hosts.clone(),
                };
                crate::ssh::connect(&target, CLIENT_TIMEOUT_SECS, self.ssh_last_error.clone()).map_err(|detail| {
                    EngineError::Unavailable(Unreachable::Connect { reason: format!("ssh: {detail}"), detail })
                })
            }
        }
    }

    /// Sorts an error of this engine's, with ssh's own words for ssh hosts.
    /// One stats frame: `one_shot` answers at the daemon's next round;
    /// otherwise the daemon waits a second round and sends the first as
    /// `precpu_stats`.
    async fn stats_single(&self, id: &ContainerId, one_shot: bool) -> Result<RawStats, EngineError> {
        let client = self.client().await?;
        let options = StatsOptionsBuilder::default().stream(false).one_shot(one_shot).build();
        let mut stream = client.stats(id.as_str(), Some(options));
        // No time limit here: the collector applies BINNACLE_METRICS_REQUEST_TIMEOUT.
        match stream.next().await {
            Some(Ok(frame)) => {
                let mut raw = raw_stats_from_api(frame);
                if self.podman.load(std::sync::atomic::Ordering::Relaxed) {
                    podman_stats(&mut raw);
                }
                Ok(raw)
            }
            Some(Err(e)) => Err(self.fail(e)),
            None => Err(EngineError::Unavailable(Unreachable::Connect {
                reason: "the connection was closed".into(),
                detail: "stats stream ended without a sample".into(),
            })),
        }
    }

    fn fail(&self, err: bollard::errors::Error) -> EngineError {
        match map_error(err) {
            EngineError::Unavailable(Unreachable::Connect { reason, detail }) => {
                let ssh_says = self.ssh_last_error.as_ref().and_then(|l| l.lock().ok().and_then(|l| l.clone()));
                let reason = match ssh_says {
                    Some(line) => {
                        let line = line.trim_end_matches('.').trim_end_matches('\r');
                        if line.starts_with("ssh:") { line.to_string() } else { format!("ssh: {line}") }
                    }
                    None => reason,
                };
                EngineError::Unavailable(Unreachable::Connect { reason, detail })
            }
            other => other,
        }
    }

    /// Agrees on an API version with the engine once it first answers, in
    /// the background: the check that saw it answer does not wait for it.
    /// (bollard's clones share the version, so the stored client gets it.)
    fn negotiate_once(&self, client: Docker) {
        use std::sync::atomic::Ordering;
        if self.negotiated.swap(true, Ordering::AcqRel) {
            return;
        }
        let negotiated = self.negotiated.clone();
        tokio::spawn(async move {
            if !matches!(tokio::time::timeout(NEGOTIATE_TIMEOUT, client.negotiate_version()).await, Ok(Ok(_))) {
                negotiated.store(false, Ordering::Release); // try again after the next answer
            }
        });
    }
}

/// Sorts Docker's errors into the few kinds the app treats differently.
pub(crate) fn map_error(err: bollard::errors::Error) -> EngineError {
    use bollard::errors::Error as E;
    match err {
        E::DockerResponseServerError { status_code: 404, .. } => EngineError::NotFound,
        E::DockerResponseServerError { status_code: 409, message } => EngineError::Conflict(message),
        E::DockerResponseServerError { status_code, message } => {
            EngineError::Other(format!("HTTP {status_code}: {message}"))
        }
        E::JsonDataError { .. } | E::JsonSerdeError { .. } => EngineError::Other(err.to_string()),
        E::RequestTimeoutError => EngineError::Unavailable(Unreachable::Timeout),
        other => {
            let reason = why_unreachable(&other);
            EngineError::Unavailable(Unreachable::Connect { reason, detail: other.to_string() })
        }
    }
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

/// Why an engine could not be reached, in words a user can act on: the
/// error's chain is searched for the I/O or TLS failure underneath.
fn why_unreachable(err: &(dyn std::error::Error + 'static)) -> String {
    use std::io::ErrorKind as K;
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut io_kind = None;
    while let Some(e) = next {
        if let Some(bollard::errors::Error::SocketNotFoundError(_)) = e.downcast_ref::<bollard::errors::Error>() {
            return "no socket at that path".into();
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return tls_reason(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                return tls_reason(tls);
            }
            io_kind = io_kind.or(Some(io.kind()));
            if let Some(inner) = io.get_ref() {
                next = Some(inner);
                continue;
            }
        }
        let text = e.to_string();
        if text.contains("dns error") || text.contains("failed to lookup address") {
            return "host name not found".into();
        }
        next = e.source();
    }
    match io_kind {
        Some(K::ConnectionRefused) => "connection refused".into(),
        Some(K::PermissionDenied) => "permission denied on the socket".into(),
        Some(K::NotFound) => "no socket at that path".into(),
        Some(K::TimedOut) => "connection timed out".into(),
        Some(K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof) => {
            "the connection was closed".into()
        }
        Some(K::HostUnreachable | K::NetworkUnreachable) => "host unreachable".into(),
        _ => "cannot connect".into(),
    }
}

fn tls_reason(err: &rustls::Error) -> String {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match err {
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => "TLS: unknown certificate authority".into(),
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => "TLS: the engine's certificate expired".into(),
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "TLS: the engine's certificate is not for this host name".into()
        }
        E::InvalidCertificate(_) => "TLS: the engine's certificate is not valid".into(),
        E::AlertReceived(A::CertificateExpired) => "TLS: the engine refused our client certificate (expired)".into(),
        E::AlertReceived(A::CertificateRequired | A::HandshakeFailure) => {
            "TLS: the engine wants a client certificate".into()
        }
        E::AlertReceived(A::BadCertificate | A::UnknownCA | A::CertificateUnknown | A::DecryptError) => {
            "TLS: the engine refused our client certificate".into()
        }
        other => format!("TLS: {other}"),
    }
}

/// An action on a container already in the wanted state answers 304: that is success.
fn action_result(result: Result<(), bollard::errors::Error>) -> Result<(), bollard::errors::Error> {
    match result {
        Err(bollard::errors::Error::DockerResponseServerError { status_code: 304, .. }) => Ok(()),
        other => other,
    }
}

#[async_trait]
impl ContainerEngine for BollardEngine {
    async fn version(&self) -> Result<EngineVersion, EngineError> {
        let client = self.client().await?;
        let v = client.version().await.map_err(|e| self.fail(e))?;
        self.negotiate_once(client);
        // Podman's Docker-compatible API names itself among the components.
        let podman = v.components.iter().flatten().any(|c| c.name.to_ascii_lowercase().contains("podman"));
        self.podman.store(podman, std::sync::atomic::Ordering::Relaxed);
        Ok(EngineVersion {
            version: v.version.unwrap_or_else(|| "unknown".into()),
            api_version: v.api_version.unwrap_or_else(|| "unknown".into()),
            product: if podman { Product::Podman } else { Product::Docker },
        })
    }

    async fn host_info(&self) -> Result<HostInfo, EngineError> {
        let client = self.client().await?;
        let info = client.info().await.map_err(|e| self.fail(e))?;
        Ok(HostInfo {
            cpus: info.ncpu.filter(|n| *n > 0).map(|n| n as u32),
            memory: info.mem_total.filter(|m| *m > 0).map(|m| m as u64),
            cgroup_driver: info.cgroup_driver.map(|d| d.to_string()).filter(|d| !d.is_empty()),
        })
    }

    async fn cgroup_hint(&self, id: &ContainerId) -> Result<Option<crate::cgroup::CgroupHint>, EngineError> {
        let client = self.client().await?;
        let raw =
            client.inspect_container(id.as_str(), None::<InspectContainerOptions>).await.map_err(|e| self.fail(e))?;
        let state = raw.state.unwrap_or_default();
        if state.running != Some(true) {
            return Ok(None);
        }
        let host_config = raw.host_config.unwrap_or_default();
        Ok(Some(crate::cgroup::CgroupHint {
            pid: state.pid.filter(|p| *p > 0).and_then(|p| u32::try_from(p).ok()),
            driver: None,
            parent: host_config.cgroup_parent.filter(|p| !p.is_empty()),
            network_mode: host_config.network_mode,
        }))
    }

    async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
        let client = self.client().await?;
        let options = ListContainersOptionsBuilder::default().all(true).build();
        let raw = client.list_containers(Some(options)).await.map_err(|e| self.fail(e))?;
        Ok(raw.into_iter().filter_map(|c| summary_from_api(&self.host, c)).collect())
    }

    async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerDetails, EngineError> {
        let client = self.client().await?;
        let raw =
            client.inspect_container(id.as_str(), None::<InspectContainerOptions>).await.map_err(|e| self.fail(e))?;
        details_from_api(&self.host, raw).ok_or_else(|| EngineError::Other("inspect without id".into()))
    }

    async fn act(&self, id: &ContainerId, action: ContainerAction) -> Result<(), EngineError> {
        let client = self.client().await?;
        let result = match action {
            ContainerAction::Start => client.start_container(id.as_str(), None::<StartContainerOptions>).await,
            ContainerAction::Stop => client.stop_container(id.as_str(), None::<StopContainerOptions>).await,
            ContainerAction::Restart => client.restart_container(id.as_str(), None::<RestartContainerOptions>).await,
            ContainerAction::Pause => client.pause_container(id.as_str()).await,
            ContainerAction::Unpause => client.unpause_container(id.as_str()).await,
        };
        action_result(result).map_err(|e| self.fail(e))
    }

    async fn remove(&self, id: &ContainerId, force: bool, volumes: bool) -> Result<(), EngineError> {
        let client = self.client().await?;
        let options = bollard::query_parameters::RemoveContainerOptionsBuilder::new().force(force).v(volumes).build();
        client.remove_container(id.as_str(), Some(options)).await.map_err(|e| self.fail(e))
    }

    async fn image_repo_digests(&self, image_id: &str) -> Result<Vec<String>, EngineError> {
        let client = self.client().await?;
        let image = client.inspect_image(image_id).await.map_err(|e| self.fail(e))?;
        Ok(image.repo_digests.unwrap_or_default())
    }

    async fn stats_once(&self, id: &ContainerId) -> Result<RawStats, EngineError> {
        self.stats_single(id, true).await
    }

    async fn stats_primed(&self, id: &ContainerId) -> Result<RawStats, EngineError> {
        self.stats_single(id, false).await
    }

    fn logs(&self, id: &ContainerId, request: LogsRequest) -> BoxStream<'static, Result<LogChunk, EngineError>> {
        let docker = self.docker.try_read().ok().and_then(|d| d.clone());
        let docker = match docker.map(Ok).unwrap_or_else(|| self.open()) {
            Ok(d) => d,
            Err(e) => return futures::stream::once(async move { Err(e) }).boxed(),
        };
        let tail = request.tail.map(|n| n.to_string()).unwrap_or_else(|| "all".into());
        let options = LogsOptionsBuilder::new()
            .follow(request.follow)
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .since(request.since_secs.clamp(0, i32::MAX as i64) as i32)
            .tail(&tail)
            .build();
        docker
            .logs(id.as_str(), Some(options))
            .filter_map(|item| async move {
                use bollard::container::LogOutput;
                match item {
                    Ok(LogOutput::StdOut { message }) => {
                        Some(Ok(LogChunk { stream: wire::LogStream::Stdout, bytes: message.to_vec() }))
                    }
                    Ok(LogOutput::StdErr { message }) => {
                        Some(Ok(LogChunk { stream: wire::LogStream::Stderr, bytes: message.to_vec() }))
                    }
                    Ok(LogOutput::Console { message }) => {
                        Some(Ok(LogChunk { stream: wire::LogStream::Tty, bytes: message.to_vec() }))
                    }
                    Ok(LogOutput::StdIn { .. }) => None,
                    Err(e) => Some(Err(map_error(e))),
                }
            })
            .boxed()
    }

    fn events(&self, since_secs: Option<i64>) -> BoxStream<'static, Result<EngineEvent, EngineError>> {
        let docker = self.docker.try_read().ok().and_then(|d| d.clone());
        let options = EventsOptions {
            since: since_secs.map(|s| s.to_string()),
            until: None,
            filters: Some(HashMap::from([("type".to_string(), vec!["container".to_string()])])),
        };
        let docker = match docker.map(Ok).unwrap_or_else(|| self.open()) {
            Ok(d) => d,
            Err(e) => return futures::stream::once(async move { Err(e) }).boxed(),
        };
        docker
            .events(Some(options))
            .filter_map(|item| async move {
                match item {
                    Ok(msg) => event_from_api(msg).map(Ok),
                    Err(e) => Some(Err(map_error(e))),
                }
            })
            .boxed()
    }
}

pub fn event_from_api(msg: bollard::models::EventMessage) -> Option<EngineEvent> {
    let actor = msg.actor?;
    let id = actor.id?;
    let action = msg.action?;
    // Docker says `exitCode`; Podman also `containerExitCode` (on every event, 0 when it means nothing).
    let exit_code = actor
        .attributes
        .as_ref()
        .and_then(|a| a.get("exitCode").or_else(|| a.get("containerExitCode").filter(|_| action.starts_with("die"))))
        .and_then(|c| c.parse().ok());
    let time_nanos = msg.time_nano.or(msg.time.map(|t| t.saturating_mul(1_000_000_000))).unwrap_or_default();
    Some(EngineEvent { id, action, exit_code, time_nanos })
}

/// Maps Docker's stats frame (all fields optional, cgroup v1 or v2) into ours.
pub fn raw_stats_from_api(s: bollard::models::ContainerStatsResponse) -> RawStats {
    let cpu = s.cpu_stats.unwrap_or_default();
    let usage = cpu.cpu_usage.unwrap_or_default();
    let online_cpus = cpu
        .online_cpus
        .filter(|n| *n > 0)
        .or_else(|| usage.percpu_usage.as_ref().map(|v| v.len() as u32).filter(|n| *n > 0));
    let mem = s.memory_stats.unwrap_or_default();
    // cgroup v1 reports both the cgroup's own `inactive_file` and the
    // hierarchy's `total_inactive_file`; the docker CLI subtracts the latter
    // there. cgroup v2 has only `inactive_file`.
    let mem_inactive_file =
        mem.stats.as_ref().and_then(|st| st.get("total_inactive_file").or_else(|| st.get("inactive_file")).copied());
    let mut net_interfaces: Vec<crate::metrics::formulas::NetInterface> = s
        .networks
        .iter()
        .flatten()
        .map(|(name, n)| crate::metrics::formulas::NetInterface {
            name: name.clone(),
            rx_bytes: n.rx_bytes.unwrap_or_default(),
            tx_bytes: n.tx_bytes.unwrap_or_default(),
        })
        .collect();
    net_interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    let throttling = cpu.throttling_data.clone().unwrap_or_default();
    let (net_rx_bytes, net_tx_bytes) = match &s.networks {
        Some(nets) if !nets.is_empty() => {
            (Some(nets.values().filter_map(|n| n.rx_bytes).sum()), Some(nets.values().filter_map(|n| n.tx_bytes).sum()))
        }
        _ => (None, None),
    };
    let (blk_read_bytes, blk_write_bytes) = match s.blkio_stats.and_then(|b| b.io_service_bytes_recursive) {
        Some(entries) => {
            let sum = |op: &str| {
                entries
                    .iter()
                    .filter(|e| e.op.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(op)))
                    .filter_map(|e| e.value)
                    .sum::<u64>()
            };
            (Some(sum("read")), Some(sum("write")))
        }
        None => (None, None),
    };
    RawStats {
        memory_includes_cache: mem.usage.is_some() && mem_inactive_file.is_none(),
        read_ms: s.read.as_deref().and_then(parse_rfc3339_ms),
        cpu_total_ns: usage.total_usage,
        system_cpu_ns: cpu.system_cpu_usage,
        online_cpus,
        mem_usage: mem.usage,
        mem_inactive_file,
        mem_limit: mem.limit.filter(|l| *l > 0),
        net_rx_bytes,
        net_tx_bytes,
        blk_read_bytes,
        blk_write_bytes,
        pids: s.pids_stats.and_then(|p| p.current),
        pre_cpu: pre_cpu(s.precpu_stats, s.preread.as_deref()),
        net_rate_bps: None,
        net_interfaces,
        cpu_periods: throttling.periods,
        cpu_throttled_periods: throttling.throttled_periods,
        cpu_throttled_ns: throttling.throttled_time,
    }
}

/// `precpu_stats` when it holds a real earlier reading (Docker sends zeros
/// and year 1 for a one-shot request).
fn pre_cpu(
    pre: Option<bollard::models::ContainerCpuStats>,
    preread: Option<&str>,
) -> Option<crate::metrics::formulas::PreCpu> {
    let pre = pre?;
    let read_ms = preread.and_then(parse_rfc3339_ms)?;
    let cpu_total_ns = pre.cpu_usage.and_then(|u| u.total_usage).filter(|n| *n > 0)?;
    Some(crate::metrics::formulas::PreCpu {
        read_ms,
        cpu_total_ns,
        system_cpu_ns: pre.system_cpu_usage.filter(|n| *n > 0),
    })
}

/// Podman's one-shot answer puts something other than the host's CPU time
/// in `system_cpu_usage` (about one CPU's worth of wall-clock time): CPU is
/// then taken against the wall clock between samples instead.
pub fn podman_stats(raw: &mut RawStats) {
    raw.system_cpu_ns = None;
    if let Some(pre) = raw.pre_cpu.as_mut() {
        pre.system_cpu_ns = None;
    }
}

pub fn summary_from_api(host: &HostName, c: bollard::models::ContainerSummary) -> Option<ContainerSummary> {
    let id = ContainerId::parse(c.id.as_deref()?).ok()?;
    let name = c
        .names
        .unwrap_or_default()
        .into_iter()
        .next()
        .map(|n| n.trim_start_matches('/').to_string())
        .unwrap_or_else(|| id.short().to_string());
    let state = c.state.map(|s| ContainerState::parse(s.as_ref())).unwrap_or(ContainerState::Unknown);
    let project = c.labels.as_ref().and_then(|l| l.get("com.docker.compose.project")).cloned();
    let mut labels: Vec<(String, String)> = c.labels.unwrap_or_default().into_iter().collect();
    labels.sort();
    Some(ContainerSummary {
        host: host.clone(),
        id,
        name,
        image: c.image.unwrap_or_default(),
        state,
        status: c.status.unwrap_or_default(),
        created: c.created.unwrap_or_default(),
        fleet: None,
        fleet_missing: None,
        project,
        labels: labels.into(),
    })
}

/// Docker writes `0001-01-01T00:00:00Z` for "never": that is not a time.
fn real_time(raw: Option<String>) -> Option<String> {
    raw.filter(|t| !t.is_empty() && !t.starts_with("0001-01-01"))
}

pub fn details_from_api(host: &HostName, raw: bollard::models::ContainerInspectResponse) -> Option<ContainerDetails> {
    let id = ContainerId::parse(raw.id.as_deref()?).ok()?;
    let config = raw.config.unwrap_or_default();
    let state = raw.state.unwrap_or_default();
    let host_config = raw.host_config.unwrap_or_default();

    let mut labels: Vec<(String, String)> = config.labels.unwrap_or_default().into_iter().collect();
    labels.sort();
    let mut env_names: Vec<String> = config
        .env
        .unwrap_or_default()
        .into_iter()
        .map(|kv| kv.split_once('=').map(|(k, _)| k.to_string()).unwrap_or(kv))
        .collect();
    env_names.sort();
    env_names.dedup();

    let network_settings = raw.network_settings.unwrap_or_default();
    // A stopped container has no live bindings: show the configured ones.
    let ports = match network_settings.ports.filter(|p| !p.is_empty()) {
        Some(live) => ports_from_api(live),
        None => ports_from_api(host_config.port_bindings.clone().unwrap_or_default()),
    };
    let networks = networks_from_api(network_settings.networks.unwrap_or_default());
    let mounts = raw
        .mounts
        .unwrap_or_default()
        .into_iter()
        .map(|m| MountSummary {
            kind: m.typ.map(|t| t.to_string()).unwrap_or_else(|| "unknown".into()),
            source: m.source.or(m.name).unwrap_or_default(),
            destination: m.destination.unwrap_or_default(),
            read_only: !m.rw.unwrap_or(true),
        })
        .collect();
    let memory_limit = positive(host_config.memory);
    let limits = ResourceLimits {
        nano_cpus: positive(host_config.nano_cpus),
        cpu_quota: positive(host_config.cpu_quota),
        cpu_period: positive(host_config.cpu_period),
        cpu_shares: positive(host_config.cpu_shares),
        cpuset: host_config.cpuset_cpus.filter(|c| !c.is_empty()),
        memory_reservation: positive(host_config.memory_reservation),
        // -1 is unlimited swap: worth saying; 0 is "not set".
        memory_swap: host_config.memory_swap.filter(|s| *s != 0),
        pids: positive(host_config.pids_limit),
    };
    let restart_policy = match host_config.restart_policy {
        Some(p) => {
            let name = p.name.map(|n| n.to_string()).filter(|n| !n.is_empty()).unwrap_or_else(|| "no".into());
            match p.maximum_retry_count {
                Some(n) if n > 0 && name == "on-failure" => format!("{name} (max {n} retries)"),
                _ => name,
            }
        }
        None => "no".into(),
    };
    let status = state.status.map(|s| ContainerState::parse(s.as_ref())).unwrap_or(ContainerState::Unknown);
    let finished_at = real_time(state.finished_at);
    let health = state.health.and_then(health_from_api);
    let tty = config.tty.unwrap_or(false);
    Some(ContainerDetails {
        host: host.clone(),
        id,
        name: raw.name.unwrap_or_default().trim_start_matches('/').to_string(),
        image: config.image.unwrap_or_default(),
        state: status,
        exit_code: if finished_at.is_some() { state.exit_code } else { None },
        oom_killed: state.oom_killed.unwrap_or(false),
        started_at: real_time(state.started_at),
        finished_at,
        created: real_time(raw.created.map(|c| c.to_string())),
        command: config.cmd.unwrap_or_default(),
        entrypoint: config.entrypoint.unwrap_or_default(),
        ports,
        mounts,
        restart_policy,
        memory_limit,
        labels,
        env_names,
        read_only: false,
        tty,
        image_id: raw.image.unwrap_or_default(),
        repo_digests: Vec::new(),
        user: config.user.unwrap_or_default(),
        working_dir: config.working_dir.unwrap_or_default(),
        restart_count: raw.restart_count.unwrap_or_default().max(0) as u64,
        networks,
        health,
        limits,
    })
}

/// Docker says 0 (and sometimes -1) for "no limit".
fn positive(n: Option<i64>) -> Option<u64> {
    n.filter(|n| *n > 0).map(|n| n as u64)
}

/// Each attached network by name, with an address only where it has one
/// (a stopped container keeps its networks but not their addresses).
fn networks_from_api(networks: HashMap<String, bollard::models::EndpointSettings>) -> Vec<NetworkAttachment> {
    let address = |ip: Option<String>, prefix: Option<i64>| {
        ip.filter(|ip| !ip.is_empty()).map(|ip| match prefix {
            Some(p) if p > 0 => format!("{ip}/{p}"),
            _ => ip,
        })
    };
    let mut out: Vec<NetworkAttachment> = networks
        .into_iter()
        .map(|(name, e)| NetworkAttachment {
            name,
            ipv4: address(e.ip_address, e.ip_prefix_len),
            ipv6: address(e.global_ipv6_address, e.global_ipv6_prefix_len),
            gateway: e.gateway.filter(|g| !g.is_empty()),
            mac: e.mac_address.filter(|m| !m.is_empty()),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The last few checks kept, newest first. Docker's status is `none` or
/// empty when the container has no health check.
fn health_from_api(health: bollard::models::Health) -> Option<HealthReport> {
    let status = health.status.map(|s| s.to_string()).filter(|s| !s.is_empty() && s != "none")?;
    let mut checks: Vec<HealthCheckRun> = health
        .log
        .unwrap_or_default()
        .into_iter()
        .map(|r| HealthCheckRun {
            start: real_time(r.start.map(|t| t.to_string())),
            exit_code: r.exit_code,
            output: r.output.unwrap_or_default(),
        })
        .collect();
    checks.reverse();
    checks.truncate(HEALTH_CHECKS_SHOWN);
    Some(HealthReport { status, failing_streak: health.failing_streak.unwrap_or_default().max(0) as u64, checks })
}

/// Docker keeps the last five checks; all are worth seeing.
const HEALTH_CHECKS_SHOWN: usize = 5;

fn ports_from_api(ports: HashMap<String, Option<Vec<bollard::models::PortBinding>>>) -> Vec<PortBinding> {
    let mut out = Vec::new();
    for (container_port, bindings) in ports {
        match bindings {
            Some(list) if !list.is_empty() => {
                for b in list {
                    let ip = b.host_ip.unwrap_or_default();
                    let port = b.host_port.unwrap_or_default();
                    let host_binding = match ip.as_str() {
                        "" => port,
                        v6 if v6.contains(':') => format!("[{v6}]:{port}"),
                        v4 => format!("{v4}:{port}"),
                    };
                    out.push(PortBinding { container_port: container_port.clone(), host_binding: Some(host_binding) });
                }
            }
            _ => out.push(PortBinding { container_port, host_binding: None }),
        }
    }
    out.sort_by(|a, b| (&a.container_port, &a.host_binding).cmp(&(&b.container_port, &b.host_binding)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_404_is_not_found_and_409_a_conflict() {
        let e = bollard::errors::Error::DockerResponseServerError { status_code: 404, message: "x".into() };
        assert_eq!(map_error(e), EngineError::NotFound);
        let e = bollard::errors::Error::DockerResponseServerError { status_code: 409, message: "busy".into() };
        assert_eq!(map_error(e), EngineError::Conflict("busy".into()));
    }

    #[test]
    fn an_action_already_done_is_a_success() {
        let e = bollard::errors::Error::DockerResponseServerError { status_code: 304, message: String::new() };
        assert!(action_result(Err(e)).is_ok());
        let e = bollard::errors::Error::DockerResponseServerError { status_code: 500, message: "x".into() };
        assert!(matches!(action_result(Err(e)).map_err(map_error), Err(EngineError::Other(_))));
    }

    #[test]
    fn environment_values_never_leave_the_server() {
        let raw = bollard::models::ContainerInspectResponse {
            id: Some("abc123".into()),
            config: Some(bollard::models::ContainerConfig {
                env: Some(vec!["PASSWORD=hunter2".into(), "PATH=/bin".into(), "EMPTY".into()]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let d = details_from_api(&HostName::parse("local").unwrap(), raw).unwrap();
        assert_eq!(d.env_names, vec!["EMPTY", "PASSWORD", "PATH"]);
        assert!(!format!("{d:?}").contains("hunter2"));
    }

    /// What `docker inspect` says of a container run with `--network`,
    /// a health check, `--cpus 1.5 --memory 64m`, `--user` and `--workdir`.
    fn inspected(json: serde_json::Value) -> ContainerDetails {
        let raw: bollard::models::ContainerInspectResponse = serde_json::from_value(json).unwrap();
        details_from_api(&HostName::parse("local").unwrap(), raw).unwrap()
    }

    #[test]
    fn networks_health_limits_and_identity_are_mapped() {
        let d = inspected(serde_json::json!({
            "Id": "abc123",
            "Image": "sha256:8135583d97feb82398909c9c97607159e6db2c4ca2c885c0b8f590ee0f9fe90d",
            "RestartCount": 2,
            "Config": {"User": "1000", "WorkingDir": "/tmp", "Entrypoint": ["/init"], "Cmd": ["sh", "-c", "sleep 1"]},
            "State": {"Status": "running", "Health": {"Status": "healthy", "FailingStreak": 0, "Log": [
                {"Start": "2026-11-29T10:00:01.5Z", "End": "2026-11-29T10:00:01.6Z", "ExitCode": 0, "Output": "first\n"},
                {"Start": "2026-11-29T10:00:02.5Z", "End": "2026-11-29T10:00:02.6Z", "ExitCode": 1, "Output": "<b>second</b>"}
            ]}},
            "HostConfig": {"NanoCpus": 1_500_000_000i64, "Memory": 67_108_864, "MemoryReservation": 33_554_432,
                "MemorySwap": -1, "PidsLimit": 100, "CpuShares": 0, "CpuQuota": 0, "CpuPeriod": 0, "CpusetCpus": ""},
            "NetworkSettings": {"Networks": {
                "zeta": {"IPAddress": "", "Gateway": "", "MacAddress": ""},
                "app-net": {"IPAddress": "172.28.0.2", "IPPrefixLen": 16, "Gateway": "172.28.0.1",
                    "GlobalIPv6Address": "fd00::2", "GlobalIPv6PrefixLen": 64, "MacAddress": "02:42:ac:1c:00:02"}
            }}
        }));
        assert_eq!(d.image_id, "sha256:8135583d97feb82398909c9c97607159e6db2c4ca2c885c0b8f590ee0f9fe90d");
        assert_eq!((d.user.as_str(), d.working_dir.as_str(), d.restart_count), ("1000", "/tmp", 2));
        assert_eq!(
            (d.entrypoint, d.command),
            (vec!["/init".to_string()], vec!["sh".into(), "-c".into(), "sleep 1".into()])
        );
        assert_eq!(
            d.networks,
            vec![
                NetworkAttachment {
                    name: "app-net".into(),
                    ipv4: Some("172.28.0.2/16".into()),
                    ipv6: Some("fd00::2/64".into()),
                    gateway: Some("172.28.0.1".into()),
                    mac: Some("02:42:ac:1c:00:02".into()),
                },
                // Attached but stopped: no addresses.
                NetworkAttachment { name: "zeta".into(), ipv4: None, ipv6: None, gateway: None, mac: None },
            ]
        );
        let health = d.health.unwrap();
        assert_eq!((health.status.as_str(), health.failing_streak), ("healthy", 0));
        // Newest first, the output kept as Docker gave it (the page shows it as text).
        assert_eq!(health.checks[0].output, "<b>second</b>");
        assert_eq!(health.checks[0].exit_code, Some(1));
        assert_eq!(health.checks[1].start.as_deref(), Some("2026-11-29T10:00:01.5Z"));
        assert_eq!(
            d.limits,
            ResourceLimits {
                nano_cpus: Some(1_500_000_000),
                memory_reservation: Some(33_554_432),
                memory_swap: Some(-1),
                pids: Some(100),
                ..Default::default()
            }
        );
        assert_eq!(d.limits.cpus(), Some(1.5));
        assert_eq!(d.memory_limit, Some(64 << 20));
    }

    #[test]
    fn no_health_check_and_no_limits_are_none() {
        let d = inspected(serde_json::json!({
            "Id": "abc123",
            "State": {"Status": "exited", "Health": {"Status": "none"}},
            "HostConfig": {"NanoCpus": 0, "Memory": 0, "PidsLimit": -1, "CpuQuota": -1, "MemorySwap": 0},
        }));
        assert_eq!(d.health, None);
        assert_eq!(d.limits, ResourceLimits::default());
        assert_eq!((d.memory_limit, d.networks.len(), d.user.as_str()), (None, 0, ""));
        // Without any health at all, too.
        assert_eq!(inspected(serde_json::json!({"Id": "abc123"})).health, None);
    }

    #[test]
    fn cpu_quota_without_cpus_is_a_limit_too() {
        let d = inspected(
            serde_json::json!({"Id": "abc123", "HostConfig": {"CpuQuota": 50_000, "CpuPeriod": 100_000, "CpuShares": 512}}),
        );
        assert_eq!(d.limits.cpus(), Some(0.5));
        assert_eq!(d.limits.cpu_shares, Some(512));
    }

    #[test]
    fn ports_read_as_addresses_and_a_stopped_container_shows_its_configured_ones() {
        let running = inspected(serde_json::json!({"Id": "abc123", "NetworkSettings": {"Ports": {
            "80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}, {"HostIp": "::", "HostPort": "8080"}],
            "53/udp": null
        }}}));
        let bindings: Vec<_> =
            running.ports.iter().map(|p| (p.container_port.as_str(), p.host_binding.as_deref())).collect();
        assert_eq!(bindings, vec![("53/udp", None), ("80/tcp", Some("0.0.0.0:8080")), ("80/tcp", Some("[::]:8080"))]);
        let stopped = inspected(serde_json::json!({"Id": "abc123",
            "NetworkSettings": {"Ports": {}},
            "HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}}}));
        assert_eq!(
            stopped.ports,
            vec![PortBinding { container_port: "80/tcp".into(), host_binding: Some("8080".into()) }]
        );
    }

    #[test]
    fn year_one_is_never() {
        assert_eq!(real_time(Some("0001-01-01T00:00:00Z".into())), None);
        assert!(real_time(Some("2026-01-01T00:00:00Z".into())).is_some());
    }

    #[tokio::test]
    async fn an_engine_that_is_not_there_is_described_in_words() {
        let gone =
            BollardEngine::connect(HostName::parse("gone").unwrap(), "unix:///tmp/binnacle-no-such.sock").unwrap();
        let err = gone.version().await.unwrap_err();
        assert_eq!(err.public_reason(), "no socket at that path");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let refused =
            BollardEngine::connect(HostName::parse("off").unwrap(), &format!("tcp://127.0.0.1:{port}")).unwrap();
        assert_eq!(refused.version().await.unwrap_err().public_reason(), "connection refused");
    }

    #[test]
    fn precpu_counts_only_when_it_is_a_real_reading() {
        let frame = |pre: serde_json::Value, preread: &str| {
            let v = serde_json::json!({
                "read": "2026-11-29T10:00:02Z", "preread": preread,
                "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000_000u64}, "system_cpu_usage": 20_000_000_000u64, "online_cpus": 2},
                "precpu_stats": pre,
            });
            raw_stats_from_api(serde_json::from_value(v).unwrap())
        };
        // One-shot: Docker sends zeros and year 1.
        let one_shot = frame(serde_json::json!({"cpu_usage": {"total_usage": 0}}), "0001-01-01T00:00:00Z");
        assert_eq!(one_shot.pre_cpu, None);
        let primed = frame(
            serde_json::json!({"cpu_usage": {"total_usage": 2_000_000_000u64}, "system_cpu_usage": 18_000_000_000u64}),
            "2026-11-29T10:00:01Z",
        );
        let pre = primed.pre_cpu.unwrap();
        assert_eq!((pre.cpu_total_ns, pre.system_cpu_ns), (2_000_000_000, Some(18_000_000_000)));
        assert_eq!(primed.read_ms.unwrap() - pre.read_ms, 1000);
    }

    #[test]
    fn unsupported_docker_host_is_refused_with_a_reason() {
        let err = BollardEngine::connect(HostName::parse("local").unwrap(), "ftp://x").err().unwrap();
        assert!(err.contains("unsupported"));
    }
}
