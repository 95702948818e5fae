//! `ContainerStatsManager`: one collector per watched container, shared by
//! every viewer. Collection belongs to the server, never to a browser
//! session: a viewer leaving stops nothing; nobody reading for the idle
//! timeout does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;
use wire::{ContainerId, HistoryRange, HostName, InvalidInput, MAX_SAFE, MetricsCursor, MetricsPage};

use super::collector::{CollectorContext, CollectorGuard, collect};
use super::config::MetricsConfig;
use super::events::{RECENT_EVENTS, RecentEvents, listen};
use super::fleet::Fleet;
use super::lifecycle::{events_known_until, run_state_from};
use super::registry::Registry;
use super::series::{Series, SeriesData, lock};
use super::{columns, policy};
use crate::error::Error;
use crate::hosts::Hosts;

/// Counters for health checks and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ManagerStats {
    pub watched: usize,
    pub collectors_running: usize,
    pub collectors_started: u64,
    /// Stats requests made for the list's numbers (the fleet tier).
    pub fleet_requests: u64,
    /// Whether the fleet tier samples now (someone looked at the list lately).
    pub fleet_active: bool,
}

pub struct ContainerStatsManager {
    pub(crate) hosts: Arc<Hosts>,
    config: MetricsConfig,
    pub(crate) registry: Mutex<Registry>,
    /// The latest events of every host, to replay to a container watched meanwhile.
    pub(crate) recent: Mutex<RecentEvents>,
    pub(crate) permits: HashMap<HostName, Arc<Semaphore>>,
    /// The list's live numbers (the fleet tier).
    pub(crate) fleet: Arc<Fleet>,
    next_epoch: AtomicU64,
    collectors_running: Arc<AtomicUsize>,
    collectors_started: AtomicU64,
}

impl ContainerStatsManager {
    pub fn new(hosts: Arc<Hosts>, config: MetricsConfig) -> Arc<Self> {
        let permits =
            hosts.names().map(|h| (h.clone(), Arc::new(Semaphore::new(config.max_in_flight.max(1))))).collect();
        let fleet = Arc::new(Fleet::with_history(config.fleet.clone(), config.history_tiers.clone()));
        Arc::new(ContainerStatsManager {
            fleet,
            hosts,
            config,
            registry: Mutex::new(Registry::default()),
            recent: Mutex::new(RecentEvents::with_capacity(RECENT_EVENTS)),
            permits,
            next_epoch: AtomicU64::new(random_epoch_base()),
            collectors_running: Arc::new(AtomicUsize::new(0)),
            collectors_started: AtomicU64::new(0),
        })
    }

    pub fn config(&self) -> &MetricsConfig {
        &self.config
    }

    pub fn hosts(&self) -> &Arc<Hosts> {
        &self.hosts
    }

    /// The long history every sample feeds.
    pub fn history(&self) -> &Arc<crate::history::History> {
        &self.fleet.history
    }

    pub fn stats(&self) -> ManagerStats {
        ManagerStats {
            watched: lock(&self.registry).series.len(),
            collectors_running: self.collectors_running.load(Ordering::SeqCst),
            collectors_started: self.collectors_started.load(Ordering::SeqCst),
            fleet_requests: self.fleet.requests.load(Ordering::Relaxed),
            fleet_active: self.fleet.active(),
        }
    }

    /// Points since `cursor` for one container, starting its collector on
    /// the first call. An unknown container is an error and starts nothing.
    ///
    /// A name means the container that has it now: when the container a
    /// name was resolved to has been removed, the name is resolved again
    /// (the removed one stays readable by its full id until it expires).
    #[tracing::instrument(level = "debug", skip_all, fields(%host, %id))]
    pub async fn metrics(
        &self,
        host: &HostName,
        id: &ContainerId,
        cursor: Option<MetricsCursor>,
    ) -> Result<MetricsPage, Error> {
        if let Some(c) = cursor
            && (c.epoch > MAX_SAFE || c.seq > MAX_SAFE)
        {
            return Err(InvalidInput::new("cursor", "epoch and seq must be below 2^53").into());
        }
        let found = lock(&self.registry).find(host, id);
        let series = match found {
            Some(series) if id.is_full() || !series.removed() => series,
            Some(last_holder) => match self.watch(host, id).await {
                Ok(series) => series,
                // Nobody has the name now: show its last holder's history.
                Err(Error::NotFound { .. }) => last_holder,
                Err(e) => return Err(e),
            },
            None => self.watch(host, id).await?,
        };
        Ok(self.page(&series, cursor))
    }

    /// Resolves the container with Docker, then registers it once.
    async fn watch(&self, host: &HostName, id: &ContainerId) -> Result<Arc<Series>, Error> {
        let details = self.hosts.details(host, id).await?;
        let key = (host.clone(), details.id.clone());
        let engine = self.hosts.engine(host)?;
        let host_back = self.hosts.subscribe_back(host)?;
        let mut reg = lock(&self.registry);
        if id != &details.id {
            reg.aliases.insert((host.clone(), id.as_str().to_string()), details.id.clone());
        }
        if let Some(existing) = reg.series.get(&key) {
            return Ok(existing.clone()); // a concurrent first call won the race
        }
        policy::make_room(&mut reg, self.config.max_containers);
        let history_loss = reg.take_loss(&key);
        let series = Arc::new(Series {
            key: key.clone(),
            epoch: self.next_epoch.fetch_add(1, Ordering::SeqCst) & MAX_SAFE,
            data: Mutex::new(SeriesData::new(
                self.config.history,
                run_state_from(&details),
                details.memory_limit,
                history_loss,
                events_known_until(&details),
            )),
            wake: tokio::sync::Notify::new(),
            collector: Mutex::new(None),
        });
        let permits = self.permits.get(host).cloned().unwrap_or_else(|| Arc::new(Semaphore::new(1)));
        let cx = CollectorContext {
            hosts: self.hosts.clone(),
            fleet: self.fleet.clone(),
            engine,
            permits,
            config: self.config.clone(),
            host_back,
            _guard: CollectorGuard::new(self.collectors_running.clone()),
        };
        self.fleet.history.learn(host, &details.id, &details.name, &details.labels, super::now_ms());
        let task = tokio::spawn(collect(series.clone(), cx));
        *lock(&series.collector) = Some(task.abort_handle());
        self.collectors_started.fetch_add(1, Ordering::SeqCst);
        reg.series.insert(key, series.clone());
        drop(reg);
        // Events that came while the details were read.
        self.replay_recent(&series);
        tracing::debug!(host = %host, id = %details.id, "metrics: collector started");
        Ok(series)
    }

    fn page(&self, series: &Series, cursor: Option<MetricsCursor>) -> MetricsPage {
        let mut d = series.data();
        let was_watched = d.watched();
        d.last_read = Instant::now();
        if !was_watched {
            // Read again after a quiet time: back to 1 s collection now.
            series.wake.notify_one();
        }
        let (from, stale) = match cursor {
            None => (0, false),
            Some(c) if c.epoch != series.epoch => (0, true),
            Some(c) => (c.seq, false),
        };
        let read = d.points.read_since_with(from, |p| *p);
        let reset = stale || read.reset;
        let gap = read.gap && cursor.is_some() && !reset;
        let markers = d.markers.iter().filter(|m| m.before_seq >= read.first_seq).cloned().collect();
        MetricsPage {
            host: series.key.0.clone(),
            id: series.key.1.clone(),
            epoch: series.epoch,
            first_seq: read.first_seq,
            next_cursor: MetricsCursor { epoch: series.epoch, seq: read.next_cursor },
            gap,
            reset,
            points: columns::from_points(read.items.iter()),
            markers,
            state: d.state.clone(),
            interval_ms: self.config.interval_ms(),
            poll_interval_ms: self.config.poll_interval_ms(),
            client_buffer: self.config.client_buffer(),
            history_capacity: d.points.capacity() as u32,
            memory_limit: d.memory_limit,
            host_memory: d.host_memory,
            online_cpus: d.online_cpus,
            memory_includes_cache: d.memory_includes_cache,
            history_loss: d.history_loss,
            range: HistoryRange::H1,
            history: None,
        }
    }

    /// One container's aggregated history over `range` (6 h and longer),
    /// from `cursor` (a bucket index) when given. Reading it starts no
    /// collector; it keeps the fleet sampling (which feeds the tiers). A
    /// removed container's history stays readable by its full id.
    #[tracing::instrument(level = "debug", skip_all, fields(%host, %id))]
    pub async fn history_page(
        &self,
        host: &HostName,
        id: &ContainerId,
        range: HistoryRange,
        cursor: Option<i64>,
    ) -> Result<MetricsPage, Error> {
        if range.live() {
            return self.metrics(host, id, None).await;
        }
        if let Some(c) = cursor
            && !(0..=MAX_SAFE as i64).contains(&c)
        {
            return Err(InvalidInput::new("history_cursor", "must be a bucket index from 0 to 2^53").into());
        }
        self.fleet.touch();
        let now = super::now_ms();
        let history = &self.fleet.history;
        let found = lock(&self.registry).find(host, id);
        let includes_cache = found.as_ref().is_some_and(|s| s.data().memory_includes_cache);
        let (full, state, limit, host_memory, cpus) = match (found, self.hosts.details(host, id).await) {
            (_, Ok(details)) => {
                history.learn(host, &details.id, &details.name, &details.labels, now);
                (details.id.clone(), run_state_from(&details), details.memory_limit, None, None)
            }
            // Removed, or its engine away: what the watched series knows.
            (Some(series), Err(_)) => {
                let d = series.data();
                (series.key.1.clone(), d.state.clone(), d.memory_limit, d.host_memory, d.online_cpus)
            }
            (None, Err(Error::NotFound { .. }))
                if id.is_full() && history.read(host, id, range, None, now).is_some() =>
            {
                (id.clone(), wire::RunState::Removed, None, None, None)
            }
            (_, Err(e)) => return Err(e),
        };
        let columns = history
            .read(host, &full, range, cursor, now)
            .or_else(|| crate::history::History::empty(range, cursor, now))
            .unwrap_or_default();
        let host_status = self.hosts.statuses().into_iter().find(|s| &s.name == host);
        Ok(MetricsPage {
            host: host.clone(),
            id: full,
            epoch: 0,
            first_seq: 0,
            next_cursor: MetricsCursor { epoch: 0, seq: 0 },
            gap: false,
            reset: cursor.is_none(),
            points: Default::default(),
            markers: vec![],
            state,
            interval_ms: columns.resolution_ms,
            poll_interval_ms: columns.resolution_ms,
            history_capacity: columns.len() as u32,
            client_buffer: columns.len() as u32,
            memory_limit: limit,
            host_memory: host_memory.or(host_status.as_ref().and_then(|s| s.memory)),
            online_cpus: cpus.or(host_status.as_ref().and_then(|s| s.cpus)),
            memory_includes_cache: includes_cache,
            history_loss: None,
            range,
            history: Some(columns),
        })
    }

    /// The 1 s points of a watched container between `from_ms` and `to_ms`
    /// (for export): None when it is not watched. Starts nothing.
    pub fn live_window(
        &self,
        host: &HostName,
        id: &ContainerId,
        from_ms: i64,
        to_ms: i64,
    ) -> Option<(ContainerId, wire::Columns)> {
        let series = lock(&self.registry).find(host, id)?;
        let d = series.data();
        let points = d.points.iter().map(|(_, p)| p).filter(|p| (from_ms..=to_ms).contains(&p.t_ms));
        Some((series.key.1.clone(), columns::from_points(points)))
    }

    /// Drops every history nobody read for the idle timeout.
    pub fn expire_idle(&self) -> usize {
        policy::expire_idle(&mut lock(&self.registry), self.config.idle_timeout)
    }

    /// Background work: the idle sweeper, and per host an events listener
    /// and the fleet pacer (the hosts' supervisors must run for events and
    /// container lists to come).
    pub fn spawn_background(self: &Arc<Self>, shutdown: tokio::sync::watch::Receiver<bool>) {
        let sweep_every = (self.config.idle_timeout / 4).clamp(Duration::from_millis(200), Duration::from_secs(30));
        let manager = Arc::downgrade(self);
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(sweep_every) => {}
                    _ = stop.changed() => break,
                }
                match manager.upgrade() {
                    Some(m) => {
                        m.expire_idle();
                        m.fleet.history.expire(super::now_ms());
                    }
                    None => break,
                }
            }
        });
        for host in self.hosts.names().cloned().collect::<Vec<_>>() {
            tokio::spawn(listen(Arc::downgrade(self), host.clone(), shutdown.clone()));
            tokio::spawn(super::pacer::pace(Arc::downgrade(self), host, shutdown.clone()));
        }
    }

    /// Stops every collector (at shutdown).
    pub fn stop_all(&self) {
        for s in lock(&self.registry).series.values() {
            s.stop();
        }
    }
}

/// A random start for epochs, so a restarted server never reuses one.
fn random_epoch_base() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    // Leave room below 2^53 for many increments.
    (h.finish() & (MAX_SAFE >> 1)).max(1)
}
