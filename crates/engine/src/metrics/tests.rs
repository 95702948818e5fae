//! The manager's lifecycle with a fake engine and a paused clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use wire::{
    ContainerAction, ContainerDetails, ContainerId, ContainerState, ContainerSummary, HistoryLoss, HostName,
    MarkerKind, MetricsCursor, MetricsPage, RunState,
};

use super::formulas::RawStats;
use super::{ContainerStatsManager, MetricsConfig};
use crate::error::Error;
use crate::hosts::Hosts;
use crate::port::{ContainerEngine, EngineError, EngineEvent, EngineVersion, Product, Unreachable};

const FULL_ID: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// A fake engine: containers whose ids start with 'a'..'f' exist and
/// burn exactly one core; anything else is not found, unless `names` maps it
/// to an id. The first `fail_first` stats calls fail; while `down`, every
/// call fails as an engine that is not there; while `hung`, stats never answer.
#[derive(Default)]
struct FakeStats {
    stats_calls: AtomicU32,
    inspect_calls: AtomicU32,
    fail_first: u32,
    stopped: AtomicBool,
    down: AtomicBool,
    hung: AtomicBool,
    /// Details say the container exited (while stats may say otherwise).
    exited: AtomicBool,
    /// How long reading the details takes, ms.
    inspect_ms: std::sync::atomic::AtomicU64,
    names: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl FakeStats {
    fn name(&self, name: &str, full: &str) {
        self.names.lock().unwrap().insert(name.into(), full.into());
    }
    fn unname(&self, name: &str) {
        self.names.lock().unwrap().remove(name);
    }
}

fn full_id(id: &ContainerId) -> String {
    let c = id.as_str().chars().next().unwrap();
    std::iter::repeat_n(c, 64).collect()
}

#[async_trait]
impl ContainerEngine for FakeStats {
    async fn version(&self) -> Result<EngineVersion, EngineError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(EngineError::Unavailable(Unreachable::Connect {
                reason: "connection refused".into(),
                detail: "fake".into(),
            }));
        }
        Ok(EngineVersion { version: "fake".into(), api_version: "1.41".into(), product: Product::Docker })
    }
    async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
        Ok(vec![])
    }
    async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerDetails, EngineError> {
        self.inspect_calls.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        let delay = self.inspect_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(EngineError::Unavailable(Unreachable::Connect {
                reason: "connection refused".into(),
                detail: "fake".into(),
            }));
        }
        let named = self.names.lock().unwrap().get(id.as_str()).cloned();
        let full = match named {
            Some(full) => full,
            None if id.as_str().starts_with(['a', 'b', 'c', 'd', 'e', 'f']) => full_id(id),
            None => return Err(EngineError::NotFound),
        };
        Ok(ContainerDetails {
            host: HostName::parse("local").unwrap(),
            id: ContainerId::parse(&full).unwrap(),
            name: "fake".into(),
            image: "img".into(),
            state: if self.exited.load(Ordering::SeqCst) { ContainerState::Exited } else { ContainerState::Running },
            exit_code: self.exited.load(Ordering::SeqCst).then_some(2),
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
            labels: Default::default(),
            env_names: vec![],
            read_only: false,
            tty: false,
            image_id: String::new(),
            repo_digests: vec![],
            user: String::new(),
            working_dir: String::new(),
            restart_count: 0,
            networks: vec![],
            health: None,
            limits: Default::default(),
        })
    }
    async fn act(&self, _: &ContainerId, _: ContainerAction) -> Result<(), EngineError> {
        Ok(())
    }
    async fn stats_once(&self, _id: &ContainerId) -> Result<RawStats, EngineError> {
        let n = self.stats_calls.fetch_add(1, Ordering::SeqCst);
        if self.hung.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if n < self.fail_first || self.down.load(Ordering::SeqCst) {
            return Err(EngineError::Unavailable(Unreachable::Connect {
                reason: "connection reset".into(),
                detail: "fake".into(),
            }));
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
    // The first sample is a baseline: memory, but no CPU yet.
    assert_eq!(page.points.cpu_pct[0], None);
    assert_eq!(page.points.mem_kib[0], Some(4096));
    // 1 s of container CPU per 2 s of system time on 2 CPUs = 100 % of one core.
    assert_eq!(page.points.cpu_pct[1], Some(100.0));
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
    m.on_event(
        &local(),
        &EngineEvent { id: FULL_ID.into(), action: "die".into(), exit_code: Some(137), time_nanos: 5 },
    );
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
    assert!(matches!(m.metrics(&local(), &c, Some(absurd)).await, Err(Error::Invalid(_))));
}

fn event(id: &str, action: &str, time_nanos: i64) -> EngineEvent {
    EngineEvent { id: id.into(), action: action.into(), exit_code: None, time_nanos }
}

#[tokio::test(start_paused = true)]
async fn a_name_means_the_container_that_has_it_now() {
    let engine = Arc::new(FakeStats::default());
    let (old, new) = ("b".repeat(64), "c".repeat(64));
    engine.name("web", &old);
    let m = manager_with(engine.clone(), fast());
    let first = m.metrics(&local(), &id("web"), None).await.unwrap();
    assert_eq!(first.id.as_str(), old);

    // docker rm -f web; docker run --name web ...
    m.on_event(&local(), &event(&old, "destroy", 10));
    engine.name("web", &new);
    let now = m.metrics(&local(), &id("web"), None).await.unwrap();
    assert_eq!(now.id.as_str(), new, "the name follows the container that has it");
    assert_eq!(now.state, RunState::Running);
    assert_ne!(now.epoch, first.epoch);
    // The removed one stays readable by its full id.
    let gone = m.metrics(&local(), &id(&old), None).await.unwrap();
    assert_eq!(gone.state, RunState::Removed);
    assert_eq!(gone.epoch, first.epoch);
}

#[tokio::test(start_paused = true)]
async fn a_removed_containers_name_that_nobody_took_still_shows_its_history() {
    let engine = Arc::new(FakeStats::default());
    let old = "b".repeat(64);
    engine.name("web", &old);
    let m = manager_with(engine.clone(), fast());
    let first = wait_for_points(&m, &id("web"), 2).await;
    m.on_event(&local(), &event(&old, "destroy", 10));
    engine.unname("web");
    let page = m.metrics(&local(), &id("web"), None).await.unwrap();
    assert_eq!((page.id.as_str(), page.state.clone()), (old.as_str(), RunState::Removed));
    assert!(page.points.len() >= first.points.len());
}

#[tokio::test(start_paused = true)]
async fn a_renamed_container_no_longer_answers_to_its_old_name() {
    let engine = Arc::new(FakeStats::default());
    let (old, other) = ("b".repeat(64), "c".repeat(64));
    engine.name("web", &old);
    let m = manager_with(engine.clone(), fast());
    assert_eq!(m.metrics(&local(), &id("web"), None).await.unwrap().id.as_str(), old);
    // docker rename web web-old; docker run --name web ...
    m.on_event(&local(), &event(&old, "rename", 10));
    engine.name("web", &other);
    assert_eq!(m.metrics(&local(), &id("web"), None).await.unwrap().id.as_str(), other);
}

#[tokio::test(start_paused = true)]
async fn collection_resumes_as_soon_as_the_engine_is_back_not_after_its_backoff() {
    let engine = Arc::new(FakeStats::default());
    let hosts = Hosts::builder().host(local(), engine.clone()).build();
    let (_stop, rx) = tokio::sync::watch::channel(false);
    hosts.spawn_supervisors(Duration::from_secs(5), rx);
    let m = ContainerStatsManager::new(hosts, fast());
    let c = id(FULL_ID);
    let before = wait_for_points(&m, &c, 2).await;

    // The engine goes away for 45 s: the collector backs off towards 30 s
    // (its next try would come 17 s after the engine is back).
    engine.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(45)).await;
    let during = m.metrics(&local(), &c, None).await.unwrap();
    engine.down.store(false, Ordering::SeqCst);
    let back = tokio::time::Instant::now();
    let resumed = wait_for_points(&m, &c, during.points.len() + 1).await;
    assert!(resumed.points.len() > before.points.len());
    assert!(back.elapsed() <= Duration::from_secs(3), "resumed {:?} after the engine was back", back.elapsed());
    assert_eq!(m.stats().collectors_started, 1);
}

#[tokio::test(start_paused = true)]
async fn a_stats_request_is_limited_by_the_request_timeout_setting_alone() {
    let engine = Arc::new(FakeStats::default());
    engine.hung.store(true, Ordering::SeqCst);
    let config = MetricsConfig { request_timeout: Duration::from_secs(12), ..fast() };
    let m = manager_with(engine.clone(), config);
    m.metrics(&local(), &id(FULL_ID), None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(11_900)).await;
    assert_eq!(engine.stats_calls.load(Ordering::SeqCst), 1, "the first request is still waiting");
    // Cut at 12 s, then retried after the backoff (one interval).
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(engine.stats_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_run_of_one_sample_leaves_a_point() {
    let engine = Arc::new(FakeStats::default());
    engine.stopped.store(true, Ordering::SeqCst);
    let m = manager_with(engine.clone(), fast());
    let c = id(FULL_ID);
    m.on_event(&local(), &EngineEvent { id: FULL_ID.into(), action: "die".into(), exit_code: Some(0), time_nanos: 1 });
    m.metrics(&local(), &c, None).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // A short run: started, sampled once, died.
    engine.stopped.store(false, Ordering::SeqCst);
    m.on_event(&local(), &event(FULL_ID, "start", 2));
    tokio::time::sleep(Duration::from_millis(10)).await;
    m.on_event(&local(), &EngineEvent { id: FULL_ID.into(), action: "die".into(), exit_code: Some(0), time_nanos: 3 });
    let page = m.metrics(&local(), &c, None).await.unwrap();
    assert_eq!(page.points.len(), 1, "one sample gave one point");
    assert_eq!(page.points.mem_kib[0], Some(4096));
    assert_eq!(page.points.cpu_pct[0], None, "CPU needs two samples");
}

#[tokio::test(start_paused = true)]
async fn an_event_that_comes_while_the_state_is_read_is_not_lost() {
    let engine = Arc::new(FakeStats::default());
    engine.inspect_ms.store(500, Ordering::SeqCst);
    let m = manager_with(engine.clone(), fast());
    let first = tokio::spawn({
        let m = m.clone();
        async move { m.metrics(&local(), &id(FULL_ID), None).await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // It dies while Binnacle reads its details (which still say running).
    m.on_event(&local(), &EngineEvent { id: FULL_ID.into(), action: "die".into(), exit_code: Some(3), time_nanos: 7 });
    first.await.unwrap();
    let page = m.metrics(&local(), &id(FULL_ID), None).await.unwrap();
    assert!(matches!(page.state, RunState::Exited { exit_code: Some(3), .. }), "{:?}", page.state);
}

#[tokio::test(start_paused = true)]
async fn nothing_is_asked_of_an_engine_known_to_be_down() {
    let engine = Arc::new(FakeStats::default());
    let hosts = Hosts::builder().host(local(), engine.clone()).build();
    let (_stop, rx) = tokio::sync::watch::channel(false);
    hosts.spawn_supervisors(Duration::from_secs(5), rx);
    let m = ContainerStatsManager::new(hosts, fast());
    wait_for_points(&m, &id(FULL_ID), 2).await;
    engine.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(10)).await; // the monitor notices within seconds
    let calls = engine.stats_calls.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(engine.stats_calls.load(Ordering::SeqCst), calls, "no stats requests while it is known down");
}

#[tokio::test(start_paused = true)]
async fn a_missed_stop_is_found_from_the_empty_frames() {
    let engine = Arc::new(FakeStats::default());
    let m = manager_with(engine.clone(), fast());
    wait_for_points(&m, &id(FULL_ID), 2).await;
    // It stopped, and the event never came.
    engine.stopped.store(true, Ordering::SeqCst);
    engine.exited.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let page = m.metrics(&local(), &id(FULL_ID), None).await.unwrap();
    assert!(matches!(page.state, RunState::Exited { exit_code: Some(2), .. }), "{:?}", page.state);
    assert!(page.markers.iter().any(|mk| mk.kind == MarkerKind::Stop));
}
