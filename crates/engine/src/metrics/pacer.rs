//! One fleet pacer per host: while anyone has the list open, samples every
//! running container of the host once per (effective) interval, as a burst
//! or spread over the interval (see `fleet`). Containers whose Stats tab is
//! open are left to their own 1 s collector, which feeds the fleet.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;
use wire::{ContainerId, ContainerState, HostName};

use super::fleet::Pacing;
use super::manager::ContainerStatsManager;
use super::series::lock;
use crate::port::EngineError;

pub(crate) async fn pace(manager: Weak<ContainerStatsManager>, host: HostName, mut shutdown: watch::Receiver<bool>) {
    loop {
        let Some(m) = manager.upgrade() else { return };
        // Nobody looks: no requests at all until someone does.
        let fleet = m.fleet.clone();
        let viewed = fleet.viewed.notified();
        tokio::pin!(viewed);
        viewed.as_mut().enable();
        if !m.fleet.active() {
            drop(m);
            tokio::select! {
                _ = viewed => {}
                _ = shutdown.changed() => return,
            }
            continue;
        }
        if m.hosts.is_down(&host) {
            drop(m);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = shutdown.changed() => return,
            }
            continue;
        }
        let listed = m.hosts.cached_containers(&host);
        let now = super::series::now_ms();
        for c in listed.iter().filter(|c| c.state == ContainerState::Running) {
            m.fleet.history.learn(&host, &c.id, &c.name, &c.labels, now);
        }
        let running: Vec<ContainerId> =
            listed.iter().filter(|c| c.state == ContainerState::Running).map(|c| c.id.clone()).collect();
        let existing: HashSet<ContainerId> = listed.iter().map(|c| c.id.clone()).collect();
        m.fleet.retain(&host, &existing, &running.iter().cloned().collect::<HashSet<_>>());
        let targets: Vec<ContainerId> = running.into_iter().filter(|id| !m.watched(&host, id)).collect();
        let interval = m.fleet.config.effective_interval(targets.len());
        let status = m.hosts.statuses().into_iter().find(|s| s.name == host);
        let podman = status.as_ref().and_then(|s| s.engine.as_deref()) == Some("Podman");
        let pacing = Pacing::for_engine(podman, status.as_ref().and_then(|s| s.version.as_deref()));
        lock(&m.fleet.pace).insert(host.clone(), (interval, pacing));
        let round = tokio::time::Instant::now();
        // Nothing to sample (or the list not read yet): look again soon,
        // which costs no request.
        let next = if targets.is_empty() { interval.min(Duration::from_secs(1)) } else { interval };
        let n = targets.len().max(1) as u32;
        let mut asks = tokio::task::JoinSet::new();
        for (i, id) in targets.into_iter().enumerate() {
            if pacing == Pacing::Spread {
                tokio::select! {
                    _ = tokio::time::sleep_until(round + interval * i as u32 / n) => {}
                    _ = shutdown.changed() => return,
                }
            }
            let m = m.clone();
            let host = host.clone();
            asks.spawn(async move { m.sample_for_fleet(&host, &id).await });
        }
        drop(m);
        while asks.join_next().await.is_some() {}
        tokio::select! {
            _ = tokio::time::sleep_until(round + next) => {}
            _ = shutdown.changed() => return,
        }
    }
}

impl ContainerStatsManager {
    /// Whether the container's Stats tab is being read (its own collector samples it).
    pub(crate) fn watched(&self, host: &HostName, id: &ContainerId) -> bool {
        let series = lock(&self.registry).series.get(&(host.clone(), id.clone())).cloned();
        series.is_some_and(|s| s.watched())
    }

    /// One fleet sample: into the fleet, and into the container's history
    /// when it has one (at the fleet's pace while nobody reads it).
    async fn sample_for_fleet(self: &Arc<Self>, host: &HostName, id: &ContainerId) {
        let (Ok(engine), Some(permits)) = (self.hosts.engine(host), self.permits.get(host).cloned()) else { return };
        let Ok(_permit) = permits.acquire().await else { return };
        let key = (host.clone(), id.clone());
        self.fleet.requests.fetch_add(1, Ordering::Relaxed);
        // A container the fleet has no reading of yet gets the engine's
        // previous reading too, so its CPU shows from this one request.
        let ask = if self.fleet.has_base(&key) { engine.stats_once(id) } else { engine.stats_primed(id) };
        match tokio::time::timeout(self.config().request_timeout, ask).await {
            Ok(Ok(raw)) => {
                let series = lock(&self.registry).series.get(&key).cloned();
                let limit = series.as_ref().and_then(|s| {
                    let mut d = s.data();
                    d.ingest(raw.clone());
                    d.memory_limit
                });
                let limit = limit.or_else(|| own_limit(&raw, self.hosts.statuses().iter().find(|s| &s.name == host)));
                self.fleet.ingest(&key, &raw, None, limit);
                // The export says when each container started: once per container
                // started before Binnacle (later starts come with their event).
                if self.fleet.config.always_on && raw.read_ms.is_some() && !self.fleet.knows_start(&key) {
                    let timeout = self.config().request_timeout;
                    if let Ok(Ok(details)) = tokio::time::timeout(timeout, engine.inspect_container(id)).await
                        && let Some(ms) = details.started_at.as_deref().and_then(super::formulas::parse_rfc3339_ms)
                    {
                        self.fleet.set_started_at(&key, ms as f64 / 1000.0);
                    }
                }
            }
            Ok(Err(EngineError::NotFound)) => self.fleet.forget(&key),
            Ok(Err(e)) => tracing::debug!(%host, %id, error = %e, "fleet: stats sample failed"),
            Err(_) => tracing::debug!(%host, %id, "fleet: stats sample timed out"),
        }
    }
}

/// The container's own memory limit: Docker reports the host's memory as
/// the limit of an unlimited container.
fn own_limit(raw: &super::formulas::RawStats, host: Option<&wire::HostStatus>) -> Option<u64> {
    let limit = raw.mem_limit?;
    match host.and_then(|h| h.memory) {
        Some(total) if limit >= total => None,
        _ => Some(limit),
    }
}

impl ContainerStatsManager {
    /// The container list with each running container's live numbers and
    /// each host's fleet pace; also marks the list as looked at, which keeps
    /// (or starts) the fleet tier.
    pub async fn list(&self) -> wire::ContainerList {
        self.fleet.touch();
        let mut list = self.hosts.list_all().await;
        let now = super::series::now_ms();
        let down: HashSet<HostName> = list.hosts.iter().filter(|h| !h.reachable).map(|h| h.name.clone()).collect();
        for c in &mut list.containers {
            if c.state != ContainerState::Running {
                c.fleet_missing = Some("not running".into());
                continue;
            }
            match self.fleet.stats(&(c.host.clone(), c.id.clone()), now) {
                Some(stats) => c.fleet = Some(stats),
                None if down.contains(&c.host) => c.fleet_missing = Some("its host does not answer".into()),
                None => c.fleet_missing = Some("first sample pending".into()),
            }
        }
        let pace = lock(&self.fleet.pace).clone();
        let config = &self.fleet.config;
        list.fleet = list
            .hosts
            .iter()
            .map(|h| {
                let (effective, pacing) = pace.get(&h.name).copied().unwrap_or((config.interval, Pacing::Spread));
                let mine = list.containers.iter().filter(|c| c.host == h.name).filter_map(|c| c.fleet.as_ref());
                let (mut cpu, mut mem, mut any_cpu, mut any_mem) = (0.0f32, 0u64, false, false);
                for f in mine {
                    if let Some(v) = f.cpu_pct {
                        cpu += v;
                        any_cpu = true;
                    }
                    if let Some(v) = f.mem_bytes {
                        mem += v;
                        any_mem = true;
                    }
                }
                wire::HostFleet {
                    host: h.name.clone(),
                    interval_ms: config.interval.as_millis() as u32,
                    effective_interval_ms: effective.as_millis() as u32,
                    mode: pacing.as_str().into(),
                    cpu_pct_sum: any_cpu.then_some(cpu),
                    mem_bytes_sum: any_mem.then_some(mem),
                    host_cpus: h.cpus,
                    host_memory: h.memory,
                }
            })
            .collect();
        list
    }
}
