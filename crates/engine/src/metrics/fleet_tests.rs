//! The fleet tier with a fake engine and a paused clock: pacing by engine
//! version, the rate cap, stopping when nobody looks, rows of removed
//! containers, numbers from the counters.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use tokio::time::Instant;
use wire::{ContainerAction, ContainerDetails, ContainerId, ContainerState, ContainerSummary, HostName};

use super::formulas::RawStats;
use super::{ContainerStatsManager, FleetConfig, MetricsConfig};
use crate::hosts::Hosts;
use crate::port::{ContainerEngine, EngineError, EngineEvent, EngineVersion, HostInfo, Product};

/// An engine of `n` running containers, each burning half a core; it
/// records when each stats request came.
struct FakeFleet {
    version: String,
    podman: bool,
    containers: Mutex<Vec<String>>,
    requests: Mutex<Vec<(Instant, String)>>,
    start: Instant,
    reset: AtomicBool,
}

impl FakeFleet {
    fn new(n: usize, version: &str) -> Arc<FakeFleet> {
        Arc::new(FakeFleet {
            version: version.into(),
            podman: false,
            containers: Mutex::new((0..n).map(|i| format!("{i:064x}")).collect()),
            requests: Mutex::new(Vec::new()),
            start: Instant::now(),
            reset: AtomicBool::new(false),
        })
    }

    fn requests_between(&self, from: Duration, to: Duration) -> Vec<Duration> {
        let r = self.requests.lock().unwrap();
        r.iter().map(|(t, _)| t.duration_since(self.start)).filter(|d| *d >= from && *d < to).collect()
    }
}

#[async_trait]
impl ContainerEngine for FakeFleet {
    async fn version(&self) -> Result<EngineVersion, EngineError> {
        let product = if self.podman { Product::Podman } else { Product::Docker };
        Ok(EngineVersion { version: self.version.clone(), api_version: "1.41".into(), product })
    }
    async fn host_info(&self) -> Result<HostInfo, EngineError> {
        Ok(HostInfo { cpus: Some(2), memory: Some(8 << 30), cgroup_driver: None })
    }
    async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
        let host = HostName::parse("local").unwrap();
        Ok(self
            .containers
            .lock()
            .unwrap()
            .iter()
            .map(|id| ContainerSummary {
                host: host.clone(),
                id: ContainerId::parse(id).unwrap(),
                name: id[60..].into(),
                image: "img".into(),
                state: ContainerState::Running,
                status: "Up".into(),
                created: 0,
                fleet: None,
                fleet_missing: None,
                project: None,
                labels: Default::default(),
            })
            .collect())
    }
    async fn inspect_container(&self, _: &ContainerId) -> Result<ContainerDetails, EngineError> {
        Err(EngineError::NotFound)
    }
    async fn act(&self, _: &ContainerId, _: ContainerAction) -> Result<(), EngineError> {
        Ok(())
    }
    async fn stats_once(&self, id: &ContainerId) -> Result<RawStats, EngineError> {
        let now = Instant::now();
        self.requests.lock().unwrap().push((now, id.to_string()));
        if !self.containers.lock().unwrap().iter().any(|c| c == id.as_str()) {
            return Err(EngineError::NotFound);
        }
        let elapsed = now.duration_since(self.start).as_millis() as u64;
        // Half a core since the start, or since a restart at 25 s.
        let since = if self.reset.load(Ordering::SeqCst) { elapsed.saturating_sub(25_000) } else { elapsed };
        Ok(RawStats {
            read_ms: Some(1_800_000_000_000 + elapsed as i64),
            cpu_total_ns: Some(since * 500_000),
            system_cpu_ns: Some(elapsed * 2_000_000),
            online_cpus: Some(2),
            mem_usage: Some(64 << 20),
            mem_inactive_file: Some(0),
            mem_limit: Some(8 << 30),
            ..Default::default()
        })
    }
    fn events(&self, _since: Option<i64>) -> BoxStream<'static, Result<EngineEvent, EngineError>> {
        Box::pin(futures::stream::pending())
    }
}

fn start(engine: Arc<FakeFleet>, fleet: FleetConfig) -> Arc<ContainerStatsManager> {
    let hosts = Hosts::builder().host(HostName::parse("local").unwrap(), engine).build();
    let (stop, rx) = tokio::sync::watch::channel(false);
    std::mem::forget(stop);
    hosts.spawn_supervisors(Duration::from_secs(5), rx.clone());
    let m = ContainerStatsManager::new(hosts, MetricsConfig { fleet, ..Default::default() });
    m.spawn_background(rx);
    m
}

#[tokio::test(start_paused = true)]
async fn on_docker_before_25_a_round_goes_out_as_one_burst() {
    let engine = FakeFleet::new(20, "20.10.24");
    let m = start(engine.clone(), FleetConfig::default());
    m.list().await;
    tokio::time::sleep(Duration::from_secs(35)).await;
    let times = engine.requests_between(Duration::ZERO, Duration::from_secs(35));
    let mut rounds: HashMap<u64, usize> = HashMap::new();
    for t in &times {
        *rounds.entry(t.as_millis() as u64 / 1000).or_default() += 1;
    }
    assert!(rounds.values().all(|n| *n == 20), "each round at one instant: {rounds:?}");
    assert!(rounds.len() >= 3, "a round every 10 s: {rounds:?}");
}

#[tokio::test(start_paused = true)]
async fn on_docker_25_and_later_requests_spread_over_the_interval() {
    let engine = FakeFleet::new(20, "26.1.5");
    let m = start(engine.clone(), FleetConfig::default());
    m.list().await;
    tokio::time::sleep(Duration::from_secs(31)).await;
    let times = engine.requests_between(Duration::from_secs(10), Duration::from_secs(30));
    let per_second: Vec<usize> = (10..30).map(|s| times.iter().filter(|t| t.as_secs() == s).count()).collect();
    assert!(per_second.iter().all(|n| *n <= 3), "no more than a few a second: {per_second:?}");
    assert_eq!(times.len(), 40, "20 containers every 10 s");
}

#[tokio::test(start_paused = true)]
async fn many_containers_stretch_the_interval_to_the_rate_cap_and_the_list_says_so() {
    let engine = FakeFleet::new(200, "26.1.5");
    let m = start(engine.clone(), FleetConfig::default());
    m.list().await;
    tokio::time::sleep(Duration::from_secs(121)).await;
    let times = engine.requests_between(Duration::from_secs(1), Duration::from_secs(121));
    let rate = times.len() as f64 / 120.0;
    assert!(rate <= 5.2, "at most 5 requests a second: {rate}");
    assert!(rate >= 4.5, "but close to it: {rate}");
    let list = m.list().await;
    assert_eq!(list.fleet[0].effective_interval_ms, 40_000);
    assert_eq!(list.fleet[0].interval_ms, 10_000);
    assert_eq!(list.fleet[0].mode, "spread");
}

#[tokio::test(start_paused = true)]
async fn nobody_looking_for_the_idle_timeout_means_no_requests() {
    let engine = FakeFleet::new(10, "20.10.24");
    let idle = Duration::from_secs(600);
    let m = start(engine.clone(), FleetConfig { idle_timeout: idle, ..Default::default() });
    assert!(engine.requests_between(Duration::ZERO, Duration::from_secs(60)).is_empty(), "none before anyone looks");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(engine.requests_between(Duration::ZERO, Duration::from_secs(60)).is_empty(), "none before anyone looks");
    m.list().await; // looked at once, at 60 s
    tokio::time::sleep(Duration::from_secs(900)).await;
    let during = engine.requests_between(Duration::from_secs(60), Duration::from_secs(660));
    let after = engine.requests_between(Duration::from_secs(675), Duration::from_secs(960));
    assert!(during.len() >= 550, "sampled while looked at: {}", during.len());
    assert!(after.is_empty(), "nothing after the idle timeout: {after:?}");
    // Looking again starts it at once.
    m.list().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(engine.requests_between(Duration::from_secs(960), Duration::from_secs(962)).len(), 10);
}

#[tokio::test(start_paused = true)]
async fn numbers_come_from_the_counters_and_a_restart_makes_no_spike() {
    let engine = FakeFleet::new(1, "20.10.24");
    let m = start(engine.clone(), FleetConfig::default());
    m.list().await;
    tokio::time::sleep(Duration::from_secs(21)).await;
    let list = m.list().await;
    let f = list.containers[0].fleet.clone().expect("numbers");
    assert_eq!(f.cpu_pct, Some(50.0), "half a core");
    assert_eq!(f.mem_bytes, Some(64 << 20));
    assert_eq!(f.mem_limit, None, "the host's memory is no limit");
    assert_eq!(list.fleet[0].host_cpus, Some(2));
    // Restarted: the counter starts over.
    engine.reset.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let f = m.list().await.containers[0].fleet.clone().unwrap();
    assert!(f.cpu_pct.is_none_or(|c| c <= 100.0), "no spike: {:?}", f.cpu_pct);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let f = m.list().await.containers[0].fleet.clone().unwrap();
    assert_eq!(f.cpu_pct, Some(50.0));
    assert!(f.spark_cpu.iter().flatten().all(|c| *c <= 100.0), "{:?}", f.spark_cpu);
}

#[tokio::test(start_paused = true)]
async fn a_removed_container_leaves_the_list_and_the_fleet() {
    let engine = FakeFleet::new(3, "20.10.24");
    let m = start(engine.clone(), FleetConfig::default());
    m.list().await;
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(m.list().await.containers.len(), 3);
    let gone = engine.containers.lock().unwrap().remove(0);
    tokio::time::sleep(Duration::from_secs(3)).await; // the list is read again (it was over 2 s old)
    m.list().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let list = m.list().await;
    assert_eq!(list.containers.len(), 2);
    assert!(!list.containers.iter().any(|c| c.id.as_str() == gone));
    tokio::time::sleep(Duration::from_secs(20)).await;
    let asked = engine.requests_between(Duration::from_secs(20), Duration::from_secs(35));
    assert!(!asked.is_empty());
    let r = engine.requests.lock().unwrap();
    assert!(!r.iter().any(|(t, id)| id == &gone && t.duration_since(engine.start) > Duration::from_secs(20)));
}

#[tokio::test(start_paused = true)]
async fn with_the_export_on_every_container_is_sampled_without_anyone_looking() {
    let engine = FakeFleet::new(10, "26.1.5");
    let m = start(engine.clone(), FleetConfig { always_on: true, ..Default::default() });
    // Nobody opens the list: the export alone keeps the numbers fresh.
    tokio::time::sleep(Duration::from_secs(25)).await;
    let n = engine.requests_between(Duration::ZERO, Duration::from_secs(25)).len();
    assert!(n >= 20, "{n} requests in 25 s");
    let snapshot = m.export();
    assert_eq!(snapshot.hosts.len(), 1);
    assert_eq!(snapshot.hosts[0].containers.len(), 10, "every running container, with its sample");
    let (c, sample) = &snapshot.hosts[0].containers[0];
    assert_eq!(sample.raw.mem_usage, Some(64 << 20));
    assert!(sample.raw.cpu_total_ns.is_some());
    assert_eq!(c.state, ContainerState::Running);
    // Past the idle timeout it goes on.
    tokio::time::sleep(Duration::from_secs(900)).await;
    assert!(!engine.requests_between(Duration::from_secs(900), Duration::from_secs(925)).is_empty());
}

#[test]
fn the_export_leaves_out_stale_samples_and_keeps_oom_counts_across_a_stop() {
    use std::collections::HashSet;
    let fleet = super::fleet::Fleet::new(FleetConfig::default());
    let host = HostName::parse("local").unwrap();
    let id = ContainerId::parse(&format!("{:064x}", 7)).unwrap();
    let key = (host.clone(), id.clone());
    // The engine's clock is an hour off: age is by this machine's clock.
    let t0 = super::series::now_ms();
    let raw = RawStats { read_ms: Some(t0 - 3_600_000), cpu_total_ns: Some(5_000_000_000), ..Default::default() };
    fleet.ingest(&key, &raw, None, Some(1 << 30));
    fleet.on_event(&key, "oom", 1_700_000_000_000_000_000);
    fleet.on_event(&key, "oom", 1_700_000_001_000_000_000);
    // An events stream resumed after a drop repeats its last second.
    fleet.on_event(&key, "oom", 1_700_000_001_000_000_000);
    fleet.on_event(&key, "start", 1_700_000_000_500_000_000);
    fleet.on_event(&key, "die", 0);
    let fresh = fleet.export(t0 + 29_000, |_| 30_000);
    assert_eq!(fresh.len(), 1);
    let s = &fresh[0].1;
    assert_eq!((s.oom_events, s.started_at_s, s.mem_limit), (2, Some(1_700_000_000.5), Some(1 << 30)));
    assert!(fleet.export(t0 + 32_000, |_| 30_000).is_empty(), "older than three intervals: left out");
    // A late answer older than the sample held does not replace it.
    let late = RawStats { read_ms: Some(t0 - 3_601_000), cpu_total_ns: Some(4_000_000_000), ..Default::default() };
    fleet.ingest(&key, &late, None, None);
    assert_eq!(fleet.export(t0, |_| 30_000)[0].1.raw.cpu_total_ns, Some(5_000_000_000));
    // Stopped: no current numbers, but the OOM kills are remembered...
    fleet.retain(&host, &HashSet::from([id.clone()]), &HashSet::new());
    assert!(fleet.export(t0, |_| 30_000).is_empty());
    // ...and counted on when it runs again (a restart's counters start over).
    let restarted = RawStats { read_ms: Some(t0 - 3_500_000), cpu_total_ns: Some(1_000), ..Default::default() };
    fleet.ingest(&key, &restarted, None, None);
    fleet.on_event(&key, "oom", 1_700_000_100_000_000_000);
    let again = fleet.export(t0, |_| 30_000);
    assert_eq!((again[0].1.oom_events, again[0].1.raw.cpu_total_ns), (3, Some(1_000)));
    // Removed: forgotten.
    fleet.retain(&host, &HashSet::new(), &HashSet::new());
    assert!(fleet.export(t0, |_| 30_000).is_empty());
}
