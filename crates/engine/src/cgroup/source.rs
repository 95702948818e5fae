//! The local host's engine with its stats read from cgroup files: every
//! call goes to the Engine API as before, except samples of containers
//! whose cgroup is found, which are read from the kernel. A container not
//! found (or whose files vanish or cannot be read) is sampled through the
//! API; a start, die or destroy event makes it looked for again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::time::Instant;
use wire::{ContainerAction, ContainerDetails, ContainerId, ContainerSummary};

use super::{CgroupFs, CgroupHint, ContainerCgroup};
use crate::metrics::formulas::{NetInterface, PreCpu, RawStats};
use crate::port::{ContainerEngine, EngineError, EngineEvent, EngineVersion, HostInfo};

/// A container not found is looked for again after this long (or at its next start).
const RELOCATE_AFTER: Duration = Duration::from_secs(600);
/// Running containers not found, none found: this tree is not the engine's
/// (Binnacle in a container without the host's cgroup tree mounted, or a
/// socket forwarded from another machine); stop looking.
const GIVE_UP_AFTER: u64 = 3;

/// What the cgroup source did, for `/healthz` and the benchmarks.
#[derive(Debug, Default)]
pub struct CgroupStats {
    /// Samples read from cgroup files.
    pub reads: AtomicU64,
    /// Samples that went to the Engine API (not found, vanished, unreadable).
    pub fallbacks: AtomicU64,
    /// Engine API samples taken for network counters only (no visible `/proc`).
    pub net_asks: AtomicU64,
    /// Running containers whose cgroup was found, and not found.
    pub found: AtomicU64,
    pub not_found: AtomicU64,
}

impl CgroupStats {
    /// Nothing of this engine's is in the tree.
    fn given_up(&self) -> bool {
        self.found.load(Ordering::Relaxed) == 0 && self.not_found.load(Ordering::Relaxed) >= GIVE_UP_AFTER
    }
}

#[derive(Clone)]
struct Located {
    found: Option<ContainerCgroup>,
    /// The container has a network of its own but its `/proc` is not
    /// visible: its network rate comes from the Engine API.
    net_from_api: bool,
    at: Instant,
}

/// The network rate of a container whose `/proc` is not visible, from
/// Engine API samples at the fleet's pace.
#[derive(Default)]
pub(super) struct NetFromApi {
    last: Option<(i64, u64, u64)>,
    rate: Option<(f32, f32)>,
    /// The API's per-interface counters of that last answer (for export).
    interfaces: Vec<NetInterface>,
    pub(super) asked: Option<Instant>,
}

type Shared<T> = Arc<Mutex<HashMap<ContainerId, T>>>;

pub struct CgroupEngine {
    inner: Arc<dyn ContainerEngine>,
    fs: CgroupFs,
    info: tokio::sync::OnceCell<HostInfo>,
    located: Shared<Located>,
    pub(super) net: Shared<NetFromApi>,
    /// How often the network-only API samples are taken.
    net_every: Duration,
    pub stats: Arc<CgroupStats>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl CgroupEngine {
    pub fn new(inner: Arc<dyn ContainerEngine>, fs: CgroupFs, net_every: Duration) -> CgroupEngine {
        CgroupEngine {
            inner,
            fs,
            info: tokio::sync::OnceCell::new(),
            located: Default::default(),
            net: Default::default(),
            net_every,
            stats: Default::default(),
        }
    }

    /// The engine's host facts (cgroup driver, CPUs, memory), asked once.
    async fn info(&self) -> Option<&HostInfo> {
        self.info.get_or_try_init(|| self.inner.host_info()).await.ok()
    }

    /// Where the container's cgroup is, from the cache or the engine.
    async fn locate(&self, id: &ContainerId) -> Option<Located> {
        if self.stats.given_up() {
            return None;
        }
        if let Some(l) = lock(&self.located).get(id).cloned()
            && (l.found.is_some() || l.at.elapsed() < RELOCATE_AFTER)
        {
            return Some(l);
        }
        let hint = match self.inner.cgroup_hint(id).await {
            Ok(Some(hint)) => hint,
            // Not running, gone, or an engine that cannot say: the API answers.
            _ => return None,
        };
        let driver = self.info().await.and_then(|i| i.cgroup_driver.clone());
        let hint = CgroupHint { driver: hint.driver.or(driver), ..hint };
        let found = self.fs.locate(id, &hint);
        let net_from_api = found.as_ref().is_some_and(|f| f.net_proc.is_none()) && hint.own_network();
        match &found {
            Some(f) => {
                self.stats.found.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%id, cpu = %f.cpu.display(), net_from_proc = f.net_proc.is_some(), "cgroup found");
            }
            None => {
                self.stats.not_found.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%id, ?hint, "cgroup not found: the Engine API samples it");
                if self.stats.given_up() {
                    tracing::info!(
                        root = %self.fs.root.display(),
                        "no container of this engine has its cgroup under this tree: samples come from the Engine API"
                    );
                }
            }
        }
        let l = Located { found, net_from_api, at: Instant::now() };
        lock(&self.located).insert(id.clone(), l.clone());
        Some(l)
    }

    pub(super) fn forget(&self, id: &ContainerId) {
        lock(&self.located).remove(id);
        lock(&self.net).remove(id);
    }

    /// One sample from the files, finished like the engine's: host CPUs,
    /// the host's memory as the limit of an unlimited container, and the
    /// network rate from the API when `/proc` is not visible.
    async fn read(&self, id: &ContainerId, located: &Located) -> Option<RawStats> {
        let cg = located.found.as_ref()?;
        match self.fs.read(cg, id) {
            Ok(mut raw) => {
                self.stats.reads.fetch_add(1, Ordering::Relaxed);
                if let Some(info) = self.info().await {
                    raw.online_cpus = info.cpus;
                    if let Some(total) = info.memory {
                        raw.mem_limit = Some(raw.mem_limit.map_or(total, |l| l.min(total)));
                    }
                }
                if located.net_from_api {
                    (raw.net_rate_bps, raw.net_interfaces) = self.net_rate(id);
                }
                Some(raw)
            }
            Err(e) => {
                tracing::debug!(%id, error = %e, "cgroup read failed: the Engine API samples it");
                self.forget(id);
                None
            }
        }
    }

    /// The last network rate from the API, with its per-interface
    /// counters, asking again (in the background) when the last ask is
    /// older than `net_every`.
    fn net_rate(&self, id: &ContainerId) -> (Option<(f32, f32)>, Vec<NetInterface>) {
        let mut all = lock(&self.net);
        let entry = all.entry(id.clone()).or_default();
        if entry.asked.is_none_or(|t| t.elapsed() >= self.net_every) {
            entry.asked = Some(Instant::now());
            self.stats.net_asks.fetch_add(1, Ordering::Relaxed);
            let (inner, net, id) = (self.inner.clone(), self.net.clone(), id.clone());
            tokio::spawn(async move {
                let Ok(Ok(raw)) = tokio::time::timeout(Duration::from_secs(10), inner.stats_once(&id)).await else {
                    return;
                };
                let (Some(t), Some(rx), Some(tx)) = (raw.read_ms, raw.net_rx_bytes, raw.net_tx_bytes) else { return };
                let mut all = lock(&net);
                let Some(e) = all.get_mut(&id) else { return };
                if let Some((t0, rx0, tx0)) = e.last
                    && t > t0
                {
                    let s = (t - t0) as f64 / 1000.0;
                    e.rate = (rx >= rx0 && tx >= tx0)
                        .then(|| (((rx - rx0) as f64 / s) as f32, ((tx - tx0) as f64 / s) as f32));
                }
                e.last = Some((t, rx, tx));
                e.interfaces = raw.net_interfaces;
            });
        }
        (entry.rate, entry.interfaces.clone())
    }
}

#[async_trait]
impl ContainerEngine for CgroupEngine {
    async fn version(&self) -> Result<EngineVersion, EngineError> {
        self.inner.version().await
    }
    async fn host_info(&self) -> Result<HostInfo, EngineError> {
        self.inner.host_info().await
    }
    async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
        self.inner.list_containers().await
    }
    async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerDetails, EngineError> {
        self.inner.inspect_container(id).await
    }
    async fn act(&self, id: &ContainerId, action: ContainerAction) -> Result<(), EngineError> {
        let result = self.inner.act(id, action).await;
        self.forget(id);
        result
    }
    async fn remove(&self, id: &ContainerId, force: bool, volumes: bool) -> Result<(), EngineError> {
        let result = self.inner.remove(id, force, volumes).await;
        self.forget(id);
        result
    }
    async fn cgroup_hint(&self, id: &ContainerId) -> Result<Option<CgroupHint>, EngineError> {
        self.inner.cgroup_hint(id).await
    }
    async fn image_repo_digests(&self, image_id: &str) -> Result<Vec<String>, EngineError> {
        self.inner.image_repo_digests(image_id).await
    }

    async fn stats_once(&self, id: &ContainerId) -> Result<RawStats, EngineError> {
        if let Some(l) = self.locate(id).await
            && let Some(raw) = self.read(id, &l).await
        {
            return Ok(raw);
        }
        self.stats.fallbacks.fetch_add(1, Ordering::Relaxed);
        self.inner.stats_once(id).await
    }

    /// From the files: two reads a second apart (the first as the previous
    /// reading), as the engine does without one-shot.
    async fn stats_primed(&self, id: &ContainerId) -> Result<RawStats, EngineError> {
        if let Some(l) = self.locate(id).await
            && let Some(first) = self.read(id, &l).await
        {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if let Some(mut raw) = self.read(id, &l).await {
                raw.pre_cpu = match (first.read_ms, first.cpu_total_ns) {
                    (Some(read_ms), Some(cpu_total_ns)) => Some(PreCpu { read_ms, cpu_total_ns, system_cpu_ns: None }),
                    _ => None,
                };
                return Ok(raw);
            }
        }
        self.stats.fallbacks.fetch_add(1, Ordering::Relaxed);
        self.inner.stats_primed(id).await
    }

    fn stats_source(&self) -> Option<String> {
        if self.stats.given_up() {
            return Some(format!("Engine API (no container's cgroup under {})", self.fs.root.display()));
        }
        let net = if self.fs.proc_root.is_some() { "network from /proc" } else { "network from the Engine API" };
        Some(format!("{} files ({net})", self.fs.version.as_str()))
    }

    /// The engine's events, also telling the cache when a container's
    /// cgroup may have moved (started, stopped, removed).
    fn logs(
        &self,
        id: &ContainerId,
        request: crate::port::LogsRequest,
    ) -> BoxStream<'static, Result<crate::port::LogChunk, EngineError>> {
        self.inner.logs(id, request)
    }
    fn events(&self, since_secs: Option<i64>) -> BoxStream<'static, Result<EngineEvent, EngineError>> {
        let (located, net) = (self.located.clone(), self.net.clone());
        self.inner
            .events(since_secs)
            .inspect(move |e| {
                if let Ok(e) = e
                    && matches!(e.action.as_str(), "start" | "die" | "destroy" | "restart")
                    && let Ok(id) = ContainerId::parse(&e.id)
                {
                    lock(&located).remove(&id);
                    lock(&net).remove(&id);
                }
            })
            .boxed()
    }
}
