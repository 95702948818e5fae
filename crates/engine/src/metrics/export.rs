//! What the Prometheus export encodes: per host, its status and each
//! running container's latest sample, from what the tiers already hold
//! (never a request to an engine). Samples older than three fleet
//! intervals are left out.

use std::collections::HashMap;

use wire::{ContainerSummary, HostStatus};

use super::fleet::ExportSample;
use super::manager::{ContainerStatsManager, ManagerStats};
use super::series::{lock, now_ms};

pub struct ExportSnapshot {
    pub hosts: Vec<ExportHost>,
    pub stats: ManagerStats,
}

pub struct ExportHost {
    pub status: HostStatus,
    /// Podman's answers have no real CFS counters.
    pub podman: bool,
    pub containers: Vec<(ContainerSummary, ExportSample)>,
}

impl ContainerStatsManager {
    /// A snapshot for one scrape.
    pub fn export(&self) -> ExportSnapshot {
        let now = now_ms();
        let statuses = self.hosts.statuses();
        let interval = self.fleet.config.interval;
        // Three of the host's intervals (stretched by the rate cap).
        let max_age: HashMap<_, _> = lock(&self.fleet.pace)
            .iter()
            .map(|(host, p)| (host.clone(), (p.0.max(interval) * 3).as_millis() as i64))
            .collect();
        let default_age = (interval * 3).as_millis() as i64;
        let mut samples: HashMap<_, _> =
            self.fleet.export(now, |host| max_age.get(host).copied().unwrap_or(default_age)).into_iter().collect();
        let hosts = statuses
            .into_iter()
            .map(|status| {
                let containers = self
                    .hosts
                    .cached_containers(&status.name)
                    .iter()
                    .filter_map(|c| {
                        let sample = samples.remove(&(c.host.clone(), c.id.clone()))?;
                        Some((c.clone(), sample))
                    })
                    .collect();
                let podman = status.engine.as_deref() == Some("Podman");
                ExportHost { status, podman, containers }
            })
            .collect();
        ExportSnapshot { hosts, stats: self.stats() }
    }
}
