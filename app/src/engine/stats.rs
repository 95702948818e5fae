//! `ContainerStatsManager`: one collector per watched container, shared by
//! every viewer, sampling Docker into a bounded ring. Collection belongs to
//! the server, never to a browser session: a viewer leaving stops nothing;
//! nobody reading for the idle timeout does.
//!
//! Locking: one std `Mutex` for the registry and one per series; neither is
//! ever held across an `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use futures::StreamExt;
use tokio::sync::{Notify, Semaphore};

use super::{Backoff, ContainerEngine, EngineError, EngineEvent, Hosts};
use crate::error::AppError;
use crate::metrics::formulas::{Outcome, Point, RawStats, compute};
use crate::metrics::ring::RingBuffer;
use crate::metrics::wire::{
    Columns, HistoryLoss, MAX_SAFE, Marker, MarkerKind, MetricsCursor, MetricsPage, RunState,
};
use crate::model::{ContainerDetails, ContainerId, ContainerState, HostName};

/// The engine's settings (see the README's table).
#[derive(Debug, Clone)]
pub struct MetricsConfig {
    pub interval: Duration,
    pub history: usize,
    pub idle_timeout: Duration,
    pub max_containers: usize,
    /// Stats requests in flight at once, per host.
    pub max_in_flight: usize,
    pub request_timeout: Duration,
    /// Overrides the pace browsers poll at (default: `interval`).
    pub client_poll_interval: Option<Duration>,
    /// Points a browser keeps (default: `history`).
    pub client_buffer: Option<usize>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            interval: Duration::from_secs(1),
            history: 3600,
            idle_timeout: Duration::from_secs(30 * 60),
            max_containers: 200,
            max_in_flight: 64,
            request_timeout: Duration::from_secs(5),
            client_poll_interval: None,
            client_buffer: None,
        }
    }
}

/// Markers kept per container, oldest dropped first.
const MAX_MARKERS: usize = 512;
/// Remembered reasons for dropped histories, oldest forgotten first.
const MAX_LOSSES: usize = 4096;

type Key = (HostName, ContainerId);

/// A full 64-hex-digit id: the form Docker's events use.
fn is_full_id(id: &ContainerId) -> bool {
    id.as_str().len() == 64 && id.as_str().bytes().all(|b| b.is_ascii_hexdigit())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct SeriesData {
    points: RingBuffer<Point>,
    markers: VecDeque<Marker>,
    state: RunState,
    prev: Option<RawStats>,
    last_read: Instant,
    memory_limit: Option<u64>,
    host_memory: Option<u64>,
    online_cpus: Option<u32>,
    history_loss: Option<HistoryLoss>,
    /// Newest event applied, to ignore replays after a reconnect.
    last_event_nanos: i64,
    oom_pending: bool,
}

impl SeriesData {
    fn mark(&mut self, kind: MarkerKind, t_ms: i64, exit_code: Option<i64>) {
        if self.markers.len() == MAX_MARKERS {
            self.markers.pop_front();
        }
        let before_seq = self.points.next_seq();
        self.markers.push_back(Marker { kind, t_ms, before_seq, exit_code });
    }
}

/// One watched container: its history and the handle of its collector.
struct Series {
    key: Key,
    epoch: u64,
    data: Mutex<SeriesData>,
    wake: Notify,
    collector: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Series {
    fn collecting(&self) -> bool {
        lock(&self.data).state.is_running()
    }

    fn removed(&self) -> bool {
        lock(&self.data).state == RunState::Removed
    }

    fn ingest(&self, raw: RawStats) {
        let mut d = lock(&self.data);
        if !d.state.is_running() {
            return; // a sample that raced a stop: not data
        }
        if let Some(cpus) = raw.online_cpus {
            d.online_cpus = Some(cpus);
        }
        if raw.mem_limit.is_some() && d.memory_limit.is_none() {
            d.host_memory = raw.mem_limit;
        }
        match compute(d.prev.as_ref(), &raw) {
            Outcome::NotData => d.prev = None,
            Outcome::Baseline => d.prev = Some(raw),
            Outcome::Point(p) => {
                d.points.push(p);
                d.prev = Some(raw);
            }
        }
    }

    fn stop(&self) {
        if let Some(handle) = lock(&self.collector).take() {
            handle.abort();
        }
    }
}

fn run_state_from(details: &ContainerDetails) -> RunState {
    match details.state {
        ContainerState::Running => RunState::Running,
        ContainerState::Paused => RunState::Paused,
        ContainerState::Restarting => RunState::Restarting,
        ContainerState::Created => RunState::Created,
        _ => RunState::Exited {
            exit_code: details.exit_code,
            at_ms: details.finished_at.as_deref().and_then(crate::metrics::formulas::parse_rfc3339_ms),
            oom_killed: details.oom_killed,
        },
    }
}

#[derive(Default)]
struct Registry {
    series: HashMap<Key, Arc<Series>>,
    /// Names and short ids already resolved to a full id.
    aliases: HashMap<(HostName, String), ContainerId>,
    losses: HashMap<Key, HistoryLoss>,
    loss_order: VecDeque<Key>,
}

impl Registry {
    fn remember_loss(&mut self, key: Key, why: HistoryLoss) {
        if self.losses.insert(key.clone(), why).is_none() {
            self.loss_order.push_back(key);
            if self.loss_order.len() > MAX_LOSSES
                && let Some(old) = self.loss_order.pop_front()
            {
                self.losses.remove(&old);
            }
        }
    }

    fn drop_series(&mut self, key: &Key, why: HistoryLoss) {
        if let Some(series) = self.series.remove(key) {
            series.stop();
            self.aliases.retain(|_, full| !(full == &key.1));
            self.remember_loss(key.clone(), why);
        }
    }
}

/// Counters for health checks and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ManagerStats {
    pub watched: usize,
    pub collectors_running: usize,
    pub collectors_started: u64,
}

pub struct ContainerStatsManager {
    hosts: Arc<Hosts>,
    config: MetricsConfig,
    registry: Mutex<Registry>,
    permits: HashMap<HostName, Arc<Semaphore>>,
    next_epoch: AtomicU64,
    collectors_running: Arc<AtomicUsize>,
    collectors_started: AtomicU64,
}

impl ContainerStatsManager {
    pub fn new(hosts: Arc<Hosts>, config: MetricsConfig) -> Arc<Self> {
        let permits = hosts
            .names()
            .map(|h| (h.clone(), Arc::new(Semaphore::new(config.max_in_flight.max(1)))))
            .collect();
        Arc::new(ContainerStatsManager {
            hosts,
            config,
            registry: Mutex::new(Registry::default()),
            permits,
            next_epoch: AtomicU64::new(random_epoch_base()),
            collectors_running: Arc::new(AtomicUsize::new(0)),
            collectors_started: AtomicU64::new(0),
        })
    }

    pub fn config(&self) -> &MetricsConfig {
        &self.config
    }

    pub fn stats(&self) -> ManagerStats {
        ManagerStats {
            watched: lock(&self.registry).series.len(),
            collectors_running: self.collectors_running.load(Ordering::SeqCst),
            collectors_started: self.collectors_started.load(Ordering::SeqCst),
        }
    }

    fn find(&self, host: &HostName, id: &ContainerId) -> Option<Arc<Series>> {
        let reg = lock(&self.registry);
        let full = if is_full_id(id) {
            id.clone()
        } else {
            reg.aliases.get(&(host.clone(), id.as_str().to_string()))?.clone()
        };
        reg.series.get(&(host.clone(), full)).cloned()
    }

    /// Points since `cursor` for one container, starting its collector on
    /// the first call. An unknown container is an error and starts nothing.
    pub async fn metrics(
        &self,
        host: &HostName,
        id: &ContainerId,
        cursor: Option<MetricsCursor>,
    ) -> Result<MetricsPage, AppError> {
        if let Some(c) = cursor
            && (c.epoch > MAX_SAFE || c.seq > MAX_SAFE)
        {
            return Err(AppError::invalid("cursor", "epoch and seq must be below 2^53"));
        }
        let series = match self.find(host, id) {
            Some(series) => series,
            None => self.watch(host, id).await?,
        };
        Ok(self.page(&series, cursor))
    }

    /// Resolves the container with Docker, then registers it once.
    async fn watch(&self, host: &HostName, id: &ContainerId) -> Result<Arc<Series>, AppError> {
        let details = self.hosts.details(host, id).await?;
        let key = (host.clone(), details.id.clone());
        let engine = self.hosts.engine(host)?;
        let mut reg = lock(&self.registry);
        if id != &details.id {
            reg.aliases.insert((host.clone(), id.as_str().to_string()), details.id.clone());
        }
        if let Some(existing) = reg.series.get(&key) {
            return Ok(existing.clone()); // a concurrent first call won the race
        }
        while reg.series.len() >= self.config.max_containers.max(1) {
            let Some(oldest) = reg
                .series
                .values()
                .min_by_key(|s| lock(&s.data).last_read)
                .map(|s| s.key.clone())
            else {
                break;
            };
            tracing::info!(host = %oldest.0, id = %oldest.1, "metrics: evicting the least recently read container");
            reg.drop_series(&oldest, HistoryLoss::Evicted);
        }
        let history_loss = reg.losses.remove(&key);
        let series = Arc::new(Series {
            key: key.clone(),
            epoch: self.next_epoch.fetch_add(1, Ordering::SeqCst) & MAX_SAFE,
            data: Mutex::new(SeriesData {
                points: RingBuffer::new(self.config.history.max(1)),
                markers: VecDeque::new(),
                state: run_state_from(&details),
                prev: None,
                last_read: Instant::now(),
                memory_limit: details.memory_limit,
                host_memory: None,
                online_cpus: None,
                history_loss,
                last_event_nanos: 0,
                oom_pending: false,
            }),
            wake: Notify::new(),
            collector: Mutex::new(None),
        });
        let permits = self.permits.get(host).cloned().unwrap_or_else(|| Arc::new(Semaphore::new(1)));
        let task = tokio::spawn(collect(
            series.clone(),
            engine,
            permits,
            self.config.clone(),
            CollectorGuard::new(self.collectors_running.clone()),
        ));
        *lock(&series.collector) = Some(task.abort_handle());
        self.collectors_started.fetch_add(1, Ordering::SeqCst);
        reg.series.insert(key, series.clone());
        tracing::debug!(host = %host, id = %details.id, "metrics: collector started");
        Ok(series)
    }

    fn page(&self, series: &Series, cursor: Option<MetricsCursor>) -> MetricsPage {
        let mut d = lock(&series.data);
        d.last_read = Instant::now();
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
            points: Columns::from_points(read.items.iter()),
            markers,
            state: d.state.clone(),
            interval_ms: self.config.interval.as_millis().min(u32::MAX as u128) as u32,
            poll_interval_ms: self
                .config
                .client_poll_interval
                .unwrap_or(self.config.interval)
                .as_millis()
                .clamp(100, u32::MAX as u128) as u32,
            client_buffer: self.config.client_buffer.unwrap_or(self.config.history).min(u32::MAX as usize) as u32,
            history_capacity: d.points.capacity() as u32,
            memory_limit: d.memory_limit,
            host_memory: d.host_memory,
            online_cpus: d.online_cpus,
            history_loss: d.history_loss,
        }
    }

    /// Applies one Docker event to the container it names, if watched.
    pub fn on_event(&self, host: &HostName, event: &EngineEvent) {
        let Ok(id) = ContainerId::parse(&event.id) else { return };
        let Some(series) = lock(&self.registry).series.get(&(host.clone(), id)).cloned() else {
            return;
        };
        let t_ms = event.time_nanos / 1_000_000;
        let mut d = lock(&series.data);
        if event.time_nanos != 0 && event.time_nanos <= d.last_event_nanos {
            return; // replayed after a reconnect: already applied
        }
        d.last_event_nanos = d.last_event_nanos.max(event.time_nanos);
        let action = event.action.split(':').next().unwrap_or_default().trim();
        let mut wake = false;
        match action {
            "start" => {
                d.state = RunState::Running;
                d.prev = None;
                d.oom_pending = false;
                d.mark(MarkerKind::Start, t_ms, None);
                wake = true;
            }
            "restart" => {
                d.state = RunState::Running;
                d.prev = None;
                d.mark(MarkerKind::Restart, t_ms, None);
                wake = true;
            }
            "die" => {
                let oom_killed = std::mem::take(&mut d.oom_pending);
                d.state = RunState::Exited { exit_code: event.exit_code, at_ms: Some(t_ms), oom_killed };
                d.prev = None;
                d.mark(MarkerKind::Stop, t_ms, event.exit_code);
            }
            "stop" if d.state.is_running() => {
                d.state = RunState::Exited { exit_code: None, at_ms: Some(t_ms), oom_killed: false };
                d.prev = None;
            }
            "oom" => {
                d.oom_pending = true;
                d.mark(MarkerKind::Oom, t_ms, None);
            }
            "pause" => {
                d.state = RunState::Paused;
                d.mark(MarkerKind::Pause, t_ms, None);
            }
            "unpause" => {
                d.state = RunState::Running;
                d.mark(MarkerKind::Unpause, t_ms, None);
                wake = true;
            }
            "destroy" => {
                d.state = RunState::Removed;
                d.prev = None;
                d.mark(MarkerKind::Removed, t_ms, None);
                wake = true; // let the collector see it and end
            }
            _ => {}
        }
        drop(d);
        if wake {
            series.wake.notify_one();
        }
    }

    /// Re-reads the state of every watched container of `host` (after the
    /// event stream reconnected, events may have been missed).
    pub async fn reconcile(&self, host: &HostName) {
        let watched: Vec<Arc<Series>> =
            lock(&self.registry).series.values().filter(|s| &s.key.0 == host).cloned().collect();
        for series in watched {
            if series.removed() {
                continue;
            }
            let state = match self.hosts.details(host, &series.key.1).await {
                Ok(details) => run_state_from(&details),
                Err(AppError::NotFound { .. }) => RunState::Removed,
                Err(_) => continue,
            };
            let mut d = lock(&series.data);
            if d.state == state {
                continue;
            }
            let now = now_ms();
            match &state {
                RunState::Running if !d.state.is_running() => {
                    d.mark(MarkerKind::Start, now, None);
                    d.prev = None;
                }
                RunState::Exited { exit_code, at_ms, .. } if d.state.is_running() => {
                    d.mark(MarkerKind::Stop, at_ms.unwrap_or(now), *exit_code);
                    d.prev = None;
                }
                RunState::Removed => d.mark(MarkerKind::Removed, now, None),
                _ => {}
            }
            d.state = state;
            drop(d);
            series.wake.notify_one();
        }
    }

    /// Drops every history nobody read for the idle timeout.
    pub fn expire_idle(&self) -> usize {
        let mut reg = lock(&self.registry);
        let idle: Vec<Key> = reg
            .series
            .values()
            .filter(|s| lock(&s.data).last_read.elapsed() >= self.config.idle_timeout)
            .map(|s| s.key.clone())
            .collect();
        for key in &idle {
            tracing::debug!(host = %key.0, id = %key.1, "metrics: idle, collector stopped and history freed");
            reg.drop_series(key, HistoryLoss::IdleExpired);
        }
        idle.len()
    }

    /// Background work: the idle sweeper and one events watcher per host.
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
                    }
                    None => break,
                }
            }
        });
        for host in self.hosts.names().cloned().collect::<Vec<_>>() {
            let manager = Arc::downgrade(self);
            let stop = shutdown.clone();
            tokio::spawn(watch_events(manager, host, stop));
        }
    }

    /// Stops every collector (at shutdown).
    pub fn stop_all(&self) {
        let reg = lock(&self.registry);
        for s in reg.series.values() {
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

/// Counts running collectors; decremented when a collector task ends or is aborted.
struct CollectorGuard(Arc<AtomicUsize>);

impl CollectorGuard {
    fn new(counter: Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        CollectorGuard(counter)
    }
}

impl Drop for CollectorGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One container's collector: samples while it runs, sleeps while it does
/// not, backs off on errors (never stops on them), ends when it is removed.
async fn collect(
    series: Arc<Series>,
    engine: Arc<dyn ContainerEngine>,
    permits: Arc<Semaphore>,
    config: MetricsConfig,
    _guard: CollectorGuard,
) {
    let id = series.key.1.clone();
    let mut backoff = Backoff::new(config.interval.max(Duration::from_millis(100)), Duration::from_secs(30));
    let mut next = tokio::time::Instant::now();
    loop {
        if series.removed() {
            return;
        }
        if !series.collecting() {
            series.wake.notified().await;
            next = tokio::time::Instant::now();
            continue;
        }
        // A lifecycle event (stop, removal) wakes the collector early.
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = series.wake.notified() => continue,
        }
        next += config.interval;
        let now = tokio::time::Instant::now();
        if next < now {
            next = now;
        }
        let result = {
            let Ok(_permit) = permits.acquire().await else { return };
            tokio::time::timeout(config.request_timeout, engine.stats_once(&id)).await
        };
        match result {
            Ok(Ok(raw)) => {
                backoff.reset();
                series.ingest(raw);
            }
            Ok(Err(EngineError::NotFound)) => {
                let mut d = lock(&series.data);
                if d.state != RunState::Removed {
                    d.state = RunState::Removed;
                    d.mark(MarkerKind::Removed, now_ms(), None);
                }
                return;
            }
            failed => {
                let error = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".to_string(),
                };
                let delay = backoff.next_delay();
                tracing::debug!(id = %id, %error, retry_in = ?delay, "metrics: stats sample failed");
                tokio::time::sleep(delay).await;
                next = tokio::time::Instant::now();
            }
        }
    }
}

/// One events subscription per host. Subscribes (replaying from just before),
/// then re-reads watched containers, then follows events; reconnects with
/// backoff (1 s doubling to 30 s) when the stream ends or fails.
async fn watch_events(
    manager: std::sync::Weak<ContainerStatsManager>,
    host: HostName,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut backoff = Backoff::default();
    let mut since_secs = now_ms() / 1000 - 1;
    let mut connected_before = false;
    loop {
        let Some(m) = manager.upgrade() else { return };
        let Ok(engine) = m.hosts.engine(&host) else { return };
        drop(m);
        let mut stream = engine.events(Some(since_secs));
        let mut reconciled = false;
        loop {
            // Catch up on what was missed while the stream was away, once the
            // subscription is in place (events from `since_secs` replay).
            if !reconciled {
                reconciled = true;
                if connected_before && let Some(m) = manager.upgrade() {
                    m.reconcile(&host).await;
                }
            }
            let item = tokio::select! {
                item = stream.next() => item,
                _ = shutdown.changed() => return,
            };
            match item {
                Some(Ok(event)) => {
                    backoff.reset();
                    since_secs = since_secs.max(event.time_nanos / 1_000_000_000);
                    match manager.upgrade() {
                        Some(m) => m.on_event(&host, &event),
                        None => return,
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(%host, error = %e, "metrics: events stream failed");
                    break;
                }
                None => break,
            }
        }
        connected_before = true;
        let delay = backoff.next_delay();
        tracing::info!(%host, retry_in = ?delay, "metrics: events stream ended; reconnecting");
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineVersion;
    use crate::model::{ContainerAction, ContainerSummary};
    use async_trait::async_trait;
    use futures::stream::BoxStream;
    use std::sync::atomic::AtomicU32;

    const FULL_ID: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    /// A fake engine: containers whose ids start with 'a'..'f' exist and
    /// burn exactly one core; anything else is not found. The first
    /// `fail_first` stats calls fail.
    #[derive(Default)]
    struct FakeStats {
        stats_calls: AtomicU32,
        inspect_calls: AtomicU32,
        fail_first: u32,
        stopped: std::sync::atomic::AtomicBool,
    }

    fn full_id(id: &ContainerId) -> String {
        let c = id.as_str().chars().next().unwrap();
        std::iter::repeat_n(c, 64).collect()
    }

    #[async_trait]
    impl ContainerEngine for FakeStats {
        async fn version(&self) -> Result<EngineVersion, EngineError> {
            Ok(EngineVersion { version: "fake".into(), api_version: "1.41".into() })
        }
        async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
            Ok(vec![])
        }
        async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerDetails, EngineError> {
            self.inspect_calls.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            if !id.as_str().starts_with(['a', 'b', 'c', 'd', 'e', 'f']) {
                return Err(EngineError::NotFound);
            }
            Ok(ContainerDetails {
                host: HostName::parse("local").unwrap(),
                id: ContainerId::parse(&full_id(id)).unwrap(),
                name: "fake".into(),
                image: "img".into(),
                state: ContainerState::Running,
                exit_code: None,
                oom_killed: false,
                started_at: None,
                finished_at: None,
                created: None,
                command: vec![],
                entrypoint: vec![],
                ports: vec![],
                mounts: vec![],
                restart_policy: "no".into(),
                memory_limit: Some(1 << 30),
                labels: vec![],
                env_names: vec![],
                read_only: false,
            })
        }
        async fn act(&self, _: &ContainerId, _: ContainerAction) -> Result<(), EngineError> {
            Ok(())
        }
        async fn stats_once(&self, _id: &ContainerId) -> Result<RawStats, EngineError> {
            let n = self.stats_calls.fetch_add(1, Ordering::SeqCst);
            if n < self.fail_first {
                return Err(EngineError::Unavailable("connection reset".into()));
            }
            if self.stopped.load(Ordering::SeqCst) {
                return Ok(RawStats::default()); // year-1 frame of a stopped container
            }
            let t = n as i64 * 1000 + 1_000_000;
            Ok(RawStats {
                read_ms: Some(t),
                cpu_total_ns: Some(n as u64 * 1_000_000_000),
                system_cpu_ns: Some(n as u64 * 2_000_000_000),
                online_cpus: Some(2),
                mem_usage: Some(4 << 20),
                mem_inactive_file: Some(0),
                mem_limit: Some(1 << 30),
                pids: Some(1),
                ..Default::default()
            })
        }
        fn events(&self, _since: Option<i64>) -> BoxStream<'static, Result<EngineEvent, EngineError>> {
            Box::pin(futures::stream::pending())
        }
    }

    fn local() -> HostName {
        HostName::parse("local").unwrap()
    }

    fn id(s: &str) -> ContainerId {
        ContainerId::parse(s).unwrap()
    }

    fn manager_with(engine: Arc<FakeStats>, config: MetricsConfig) -> Arc<ContainerStatsManager> {
        let hosts = Hosts::builder().host(local(), engine).build();
        ContainerStatsManager::new(hosts, config)
    }

    fn fast() -> MetricsConfig {
        MetricsConfig { interval: Duration::from_secs(1), history: 100, ..Default::default() }
    }

    async fn wait_for_points(m: &ContainerStatsManager, c: &ContainerId, n: usize) -> MetricsPage {
        for _ in 0..1500 {
            let page = m.metrics(&local(), c, None).await.unwrap();
            if page.points.len() >= n {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {n} points in time");
    }

    #[tokio::test(start_paused = true)]
    async fn a_running_container_gets_points_of_the_right_cpu() {
        let m = manager_with(Arc::default(), fast());
        let page = wait_for_points(&m, &id(FULL_ID), 3).await;
        // 1 s of container CPU per 2 s of system time on 2 CPUs = 100 % of one core.
        assert_eq!(page.points.cpu_pct[0], Some(100.0));
        assert_eq!(page.points.mem_kib[0], Some(4096));
        assert_eq!(page.memory_limit, Some(1 << 30));
        assert_eq!(page.online_cpus, Some(2));
        assert_eq!(page.id.as_str(), FULL_ID);
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_container_is_not_found_and_starts_no_collector() {
        let m = manager_with(Arc::default(), fast());
        let err = m.metrics(&local(), &id("zzz"), None).await.unwrap_err();
        assert!(err.is_not_found());
        assert_eq!(m.stats().collectors_started, 0);
        assert_eq!(m.stats().watched, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn two_viewers_share_one_collector() {
        let m = manager_with(Arc::default(), fast());
        let a = wait_for_points(&m, &id(FULL_ID), 2).await;
        let b = m.metrics(&local(), &id(FULL_ID), None).await.unwrap();
        assert_eq!(a.epoch, b.epoch);
        assert_eq!(m.stats().collectors_started, 1);
        assert_eq!(m.stats().collectors_running, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_first_calls_start_one_collector() {
        let m = manager_with(Arc::default(), fast());
        let calls = (0..20).map(|_| {
            let m = m.clone();
            tokio::spawn(async move { m.metrics(&local(), &id(FULL_ID), None).await.unwrap().epoch })
        });
        let epochs: Vec<u64> = futures::future::join_all(calls).await.into_iter().map(|r| r.unwrap()).collect();
        assert!(epochs.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(m.stats().collectors_started, 1);
        assert_eq!(m.stats().collectors_running, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_name_or_short_id_resolves_once_to_the_same_history() {
        let engine = Arc::new(FakeStats::default());
        let m = manager_with(engine.clone(), fast());
        let a = m.metrics(&local(), &id("aaaa"), None).await.unwrap();
        let b = m.metrics(&local(), &id("aaaa"), None).await.unwrap();
        let c = m.metrics(&local(), &id(FULL_ID), None).await.unwrap();
        assert_eq!((a.epoch, a.id.as_str()), (c.epoch, FULL_ID));
        assert_eq!(b.epoch, a.epoch);
        assert_eq!(engine.inspect_calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_errors_does_not_freeze_the_collector() {
        let engine = Arc::new(FakeStats { fail_first: 6, ..Default::default() });
        let m = manager_with(engine.clone(), fast());
        let page = wait_for_points(&m, &id(FULL_ID), 2).await;
        assert!(page.points.len() >= 2);
        assert!(engine.stats_calls.load(Ordering::SeqCst) > 6);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_expiry_stops_the_collector_and_frees_the_history() {
        let config = MetricsConfig { idle_timeout: Duration::from_secs(60), ..fast() };
        let engine = Arc::new(FakeStats::default());
        let m = manager_with(engine.clone(), config);
        let first = wait_for_points(&m, &id(FULL_ID), 2).await;
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(m.expire_idle(), 1);
        assert_eq!(m.stats().watched, 0);
        tokio::task::yield_now().await;
        assert_eq!(m.stats().collectors_running, 0);
        let calls = engine.stats_calls.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert_eq!(engine.stats_calls.load(Ordering::SeqCst), calls, "no sampling after expiry");

        // Reading again recreates it: new epoch, told why, old cursor reset.
        let again = m.metrics(&local(), &id(FULL_ID), Some(first.next_cursor)).await.unwrap();
        assert_ne!(again.epoch, first.epoch);
        assert!(again.reset);
        assert_eq!(again.history_loss, Some(HistoryLoss::IdleExpired));
    }

    #[tokio::test(start_paused = true)]
    async fn beyond_the_cap_the_least_recently_read_is_evicted_and_told() {
        let config = MetricsConfig { max_containers: 2, ..fast() };
        let m = manager_with(Arc::default(), config);
        let a = m.metrics(&local(), &id("aaaa"), None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        m.metrics(&local(), &id("bbbb"), None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        m.metrics(&local(), &id("cccc"), None).await.unwrap();
        assert_eq!(m.stats().watched, 2);
        tokio::task::yield_now().await;
        assert_eq!(m.stats().collectors_running, 2);
        let a2 = m.metrics(&local(), &id("aaaa"), None).await.unwrap();
        assert_eq!(a2.history_loss, Some(HistoryLoss::Evicted));
        assert_ne!(a2.epoch, a.epoch);
    }

    #[tokio::test(start_paused = true)]
    async fn stop_pauses_collection_with_a_marker_and_start_resumes_it() {
        let engine = Arc::new(FakeStats::default());
        let m = manager_with(engine.clone(), fast());
        let c = id(FULL_ID);
        let before = wait_for_points(&m, &c, 3).await;
        m.on_event(&local(), &EngineEvent { id: FULL_ID.into(), action: "die".into(), exit_code: Some(137), time_nanos: 5 });
        let stopped = m.metrics(&local(), &c, None).await.unwrap();
        assert!(matches!(stopped.state, RunState::Exited { exit_code: Some(137), .. }));
        let calls = engine.stats_calls.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(5)).await;
        let later = m.metrics(&local(), &c, None).await.unwrap();
        assert_eq!(later.points.len(), stopped.points.len(), "no new points while stopped");
        assert!(engine.stats_calls.load(Ordering::SeqCst) <= calls + 1);
        let stop = later.markers.iter().find(|mk| mk.kind == MarkerKind::Stop).unwrap();
        assert_eq!(stop.exit_code, Some(137));

        m.on_event(&local(), &EngineEvent { id: FULL_ID.into(), action: "start".into(), exit_code: None, time_nanos: 6 });
        let resumed = wait_for_points(&m, &c, later.points.len() + 2).await;
        assert_eq!(resumed.state, RunState::Running);
        let start = resumed.markers.iter().find(|mk| mk.kind == MarkerKind::Start).unwrap();
        assert!(start.before_seq >= before.next_cursor.seq);
        // A replayed event (same time) is ignored.
        m.on_event(&local(), &EngineEvent { id: FULL_ID.into(), action: "start".into(), exit_code: None, time_nanos: 6 });
        let again = m.metrics(&local(), &c, None).await.unwrap();
        assert_eq!(again.markers.iter().filter(|mk| mk.kind == MarkerKind::Start).count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn stopped_container_frames_are_never_recorded() {
        let engine = Arc::new(FakeStats::default());
        engine.stopped.store(true, Ordering::SeqCst);
        let m = manager_with(engine.clone(), fast());
        m.metrics(&local(), &id(FULL_ID), None).await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let page = m.metrics(&local(), &id(FULL_ID), None).await.unwrap();
        assert!(page.points.is_empty());
        assert!(engine.stats_calls.load(Ordering::SeqCst) >= 3);
    }

    #[tokio::test(start_paused = true)]
    async fn destroy_ends_the_collector_and_keeps_the_history_readable() {
        let m = manager_with(Arc::default(), fast());
        let c = id(FULL_ID);
        let before = wait_for_points(&m, &c, 2).await;
        m.on_event(&local(), &EngineEvent { id: FULL_ID.into(), action: "destroy".into(), exit_code: None, time_nanos: 9 });
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(m.stats().collectors_running, 0);
        let after = m.metrics(&local(), &c, None).await.unwrap();
        assert_eq!(after.state, RunState::Removed);
        assert!(after.points.len() >= before.points.len());
    }

    #[tokio::test(start_paused = true)]
    async fn cursors_read_only_what_is_new_and_absurd_ones_are_refused() {
        let m = manager_with(Arc::default(), fast());
        let c = id(FULL_ID);
        let page = wait_for_points(&m, &c, 2).await;
        let next = m.metrics(&local(), &c, Some(page.next_cursor)).await.unwrap();
        assert!(!next.reset && !next.gap);
        assert_eq!(next.first_seq, page.next_cursor.seq);
        let future = MetricsCursor { epoch: page.epoch, seq: page.next_cursor.seq + 1000 };
        let reset = m.metrics(&local(), &c, Some(future)).await.unwrap();
        assert!(reset.reset);
        assert_eq!(reset.first_seq, 0);
        let absurd = MetricsCursor { epoch: page.epoch, seq: u64::MAX };
        assert!(matches!(m.metrics(&local(), &c, Some(absurd)).await, Err(AppError::Invalid { .. })));
    }
}
