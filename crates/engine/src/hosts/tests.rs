//! Hosts with a fake engine and a paused clock.

use super::*;
use crate::metrics::formulas::RawStats;
use crate::port::{EngineEvent, Product};
use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use wire::{ContainerState, ContainerSummary};

/// A fake engine that counts calls; `down` refuses, `hung` never answers.
#[derive(Default)]
struct FakeEngine {
    calls: AtomicUsize,
    down: AtomicBool,
    hung: AtomicBool,
}

impl FakeEngine {
    async fn gate(&self) -> Result<(), EngineError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.hung.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if self.down.load(Ordering::SeqCst) {
            return Err(EngineError::Unavailable(Unreachable::Connect {
                reason: "connection refused".into(),
                detail: "fake".into(),
            }));
        }
        Ok(())
    }
}

#[async_trait]
impl ContainerEngine for FakeEngine {
    async fn version(&self) -> Result<EngineVersion, EngineError> {
        self.gate().await?;
        Ok(EngineVersion { version: "99.0".into(), api_version: "1.99".into(), product: Product::Docker })
    }
    async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
        self.gate().await?;
        let host = HostName::parse("local").unwrap();
        let row = |id: &str, state, created| ContainerSummary {
            host: host.clone(),
            id: ContainerId::parse(id).unwrap(),
            name: id.into(),
            image: "img".into(),
            state,
            status: String::new(),
            created,
            fleet: None,
            fleet_missing: None,
            project: None,
            labels: Default::default(),
        };
        Ok(vec![
            row("old-exited", ContainerState::Exited, 1),
            row("new-exited", ContainerState::Exited, 5),
            row("running", ContainerState::Running, 0),
        ])
    }
    async fn inspect_container(&self, _id: &ContainerId) -> Result<ContainerDetails, EngineError> {
        self.gate().await?;
        Err(EngineError::NotFound)
    }
    async fn act(&self, _id: &ContainerId, _a: ContainerAction) -> Result<(), EngineError> {
        self.gate().await?;
        Ok(())
    }
    async fn stats_once(&self, _id: &ContainerId) -> Result<RawStats, EngineError> {
        Err(EngineError::NotFound)
    }
    fn events(&self, _since: Option<i64>) -> futures::stream::BoxStream<'static, Result<EngineEvent, EngineError>> {
        Box::pin(futures::stream::empty())
    }
}

fn local() -> HostName {
    HostName::parse("local").unwrap()
}

fn hosts_with(engine: Arc<FakeEngine>) -> Arc<Hosts> {
    Hosts::builder().host(local(), engine).build()
}

/// Hosts with their supervisors running (until the test ends).
fn supervised(engine: Arc<FakeEngine>) -> Arc<Hosts> {
    let hosts = hosts_with(engine);
    let (stop, rx) = watch::channel(false);
    std::mem::forget(stop);
    hosts.spawn_supervisors(Duration::from_secs(5), rx);
    hosts
}

#[tokio::test]
async fn running_containers_are_listed_first_then_newest() {
    let hosts = supervised(Arc::new(FakeEngine::default()));
    let list = hosts.list_all().await;
    let names: Vec<_> = list.containers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["running", "new-exited", "old-exited"]);
    assert!(list.hosts[0].reachable);
}

#[tokio::test]
async fn an_unreachable_engine_is_reported_not_fatal_and_then_not_asked() {
    let engine = Arc::new(FakeEngine::default());
    engine.down.store(true, Ordering::SeqCst);
    let hosts = supervised(engine.clone());
    let list = hosts.list_all().await;
    assert!(list.containers.is_empty());
    assert!(!list.hosts[0].reachable);
    assert_eq!(list.hosts[0].error.as_deref(), Some("connection refused"));
    let calls = engine.calls.load(Ordering::SeqCst);
    let id = ContainerId::parse("abc").unwrap();
    let err = hosts.act(&local(), &id, ContainerAction::Stop).await.unwrap_err();
    assert_eq!(err, Error::Unavailable(local()));
    assert_eq!(engine.calls.load(Ordering::SeqCst), calls, "an engine known down is not asked");
}

#[tokio::test(start_paused = true)]
async fn a_hung_engine_costs_a_read_at_most_the_read_timeout_then_nothing() {
    let engine = Arc::new(FakeEngine::default());
    let hosts = hosts_with(engine.clone());
    let (_stop, rx) = watch::channel(false);
    hosts.spawn_supervisors(Duration::from_secs(60), rx);
    tokio::time::sleep(Duration::from_millis(10)).await;
    engine.hung.store(true, Ordering::SeqCst);
    let start = tokio::time::Instant::now();
    let err = hosts.details(&local(), &ContainerId::parse("abc").unwrap()).await.unwrap_err();
    assert!(start.elapsed() <= Timeouts::default().read + Duration::from_millis(1));
    assert_eq!(err, Error::Unavailable(local()));
    // The slow read asked the monitor to check: its check gets no answer
    // either, and from then on nothing waits for this engine.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(hosts.statuses()[0].error.as_deref(), Some("no answer in time"));
    let start = tokio::time::Instant::now();
    let err = hosts.details(&local(), &ContainerId::parse("abc").unwrap()).await.unwrap_err();
    assert_eq!(err, Error::Unavailable(local()));
    assert_eq!(start.elapsed(), Duration::ZERO, "known down: answered at once");
}

#[tokio::test(start_paused = true)]
async fn an_action_docker_takes_long_over_is_a_timeout_not_an_engine_down() {
    let engine = Arc::new(FakeEngine::default());
    let hosts = hosts_with(engine.clone());
    engine.hung.store(true, Ordering::SeqCst);
    let err = hosts.act(&local(), &ContainerId::parse("abc").unwrap(), ContainerAction::Stop).await.unwrap_err();
    assert_eq!(err, Error::TimedOut(local()));
    assert!(!hosts.is_down(&local()));
}

#[tokio::test(start_paused = true)]
async fn the_monitor_announces_the_engine_coming_back() {
    let engine = Arc::new(FakeEngine::default());
    engine.down.store(true, Ordering::SeqCst);
    let hosts = hosts_with(engine.clone());
    let mut back = hosts.subscribe_back(&local()).unwrap();
    let (_stop, rx) = watch::channel(false);
    hosts.spawn_supervisors(Duration::from_secs(5), rx);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!hosts.statuses()[0].reachable);
    let before = *back.borrow_and_update();
    engine.down.store(false, Ordering::SeqCst);
    let start = tokio::time::Instant::now();
    back.changed().await.unwrap();
    assert!(start.elapsed() <= Duration::from_secs(1), "noticed within the down retry");
    assert_eq!(*back.borrow(), before + 1);
    assert!(hosts.statuses()[0].reachable);
    assert_eq!(hosts.statuses()[0].version.as_deref(), Some("99.0"));
}

#[tokio::test(start_paused = true)]
async fn an_engine_a_call_found_down_is_checked_again_within_seconds_not_the_healthy_interval() {
    let engine = Arc::new(FakeEngine::default());
    let hosts = hosts_with(engine.clone());
    let (_stop, rx) = watch::channel(false);
    hosts.spawn_supervisors(Duration::from_secs(60), rx);
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(hosts.statuses()[0].reachable);
    // One read runs out of time: the monitor checks at once, not 60 s later...
    engine.hung.store(true, Ordering::SeqCst);
    let _ = hosts.details(&local(), &ContainerId::parse("abc").unwrap()).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(!hosts.statuses()[0].reachable);
    // ...and sees it back within seconds when it answers again.
    engine.hung.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(hosts.statuses()[0].reachable);
}

#[tokio::test]
async fn an_unknown_host_is_not_found_without_any_docker_call() {
    let engine = Arc::new(FakeEngine::default());
    let hosts = hosts_with(engine.clone());
    let id = ContainerId::parse("abc").unwrap();
    let err = hosts.details(&HostName::parse("elsewhere").unwrap(), &id).await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(engine.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_missing_container_is_not_found_and_the_engine_is_up() {
    let hosts = hosts_with(Arc::new(FakeEngine::default()));
    let id = ContainerId::parse("nope").unwrap();
    let err = hosts.details(&local(), &id).await.unwrap_err();
    assert_eq!(err, Error::NotFound { host: local(), id });
    assert!(hosts.statuses()[0].reachable);
}

fn named(name: &str) -> HostName {
    HostName::parse(name).unwrap()
}

#[tokio::test(start_paused = true)]
async fn the_list_never_waits_for_a_host_that_hangs_after_its_first_list() {
    let good = Arc::new(FakeEngine::default());
    let bad = Arc::new(FakeEngine::default());
    let hosts = Hosts::builder().host(named("good"), good.clone()).host(named("bad"), bad.clone()).build();
    let (_stop, rx) = watch::channel(false);
    hosts.spawn_supervisors(Duration::from_secs(5), rx);
    assert_eq!(hosts.list_all().await.containers.len(), 6);
    // `bad` accepts connections and never answers from now on.
    bad.hung.store(true, Ordering::SeqCst);
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let start = tokio::time::Instant::now();
        let list = hosts.list_all().await;
        assert_eq!(start.elapsed(), Duration::ZERO, "answered from the hosts' last lists");
        assert_eq!(list.containers.len(), 6, "bad's last known containers are kept");
    }
    let bad_status = hosts.statuses().into_iter().find(|h| h.name == named("bad")).unwrap();
    assert!(!bad_status.reachable);
    assert!(bad_status.since_ms.is_some());
    let good_status = hosts.statuses().into_iter().find(|h| h.name == named("good")).unwrap();
    assert!(good_status.reachable);
}

#[tokio::test(start_paused = true)]
async fn a_hosts_first_list_is_waited_for_at_most_the_read_timeout() {
    let bad = Arc::new(FakeEngine::default());
    bad.hung.store(true, Ordering::SeqCst);
    let hosts = supervised(bad);
    let start = tokio::time::Instant::now();
    let list = hosts.list_all().await;
    assert!(start.elapsed() <= Timeouts::default().read + Duration::from_millis(200), "{:?}", start.elapsed());
    assert!(list.containers.is_empty());
}

#[tokio::test]
async fn a_read_only_host_refuses_actions_without_asking_docker() {
    let engine = Arc::new(FakeEngine::default());
    let hosts = Hosts::builder()
        .add(local(), engine.clone(), HostOptions { transport: "unix".into(), read_only: true })
        .build();
    let err = hosts.act(&local(), &ContainerId::parse("abc").unwrap(), ContainerAction::Stop).await.unwrap_err();
    assert_eq!(err, Error::ReadOnly(local()));
    assert_eq!(engine.calls.load(Ordering::SeqCst), 0);
    assert!(hosts.statuses()[0].read_only);
}
