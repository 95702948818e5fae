//! The configured Docker hosts, each with its engine and last known status.
//!
//! A monitor per host checks its engine (every `healthy_every` while it
//! answers, every second while it does not), logs each transition once, and
//! announces the engine's return so collectors and event watchers resume at
//! once instead of waiting out their own backoff.
//!
//! Requests never wait on an engine known to be down: they fail at once with
//! [`Error::Unavailable`], and reads give an engine that is up at most
//! [`Timeouts::read`] before the page says it is not answering. A page or
//! `/healthz` therefore answers within a second whatever the engine does.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::watch;
use wire::{ContainerAction, ContainerDetails, ContainerId, ContainerList, HostName, HostStatus};

use crate::error::Error;
use crate::port::{ContainerEngine, EngineError, Unreachable};

/// How long each kind of call may take before the engine counts as not answering.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// List and inspect, which pages wait for.
    pub read: Duration,
    /// Start, stop, restart: Docker waits for the container's own stop timeout (10 s by default).
    pub action: Duration,
    /// The monitor's check.
    pub check: Duration,
    /// Between checks while the engine does not answer.
    pub retry_down: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            read: Duration::from_millis(700),
            action: Duration::from_secs(75),
            check: Duration::from_secs(2),
            retry_down: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Liveness {
    /// Not checked yet: calls go through.
    Unknown,
    Up,
    Down,
}

struct HostEntry {
    engine: Arc<dyn ContainerEngine>,
    status: RwLock<(Liveness, HostStatus)>,
    /// Counts the times the engine was found answering after it was not
    /// (or had not been checked yet); collectors and event watchers wait on it.
    back: watch::Sender<u64>,
    /// A call found the engine not answering: the monitor checks again soon
    /// instead of waiting out its healthy interval.
    recheck: tokio::sync::Notify,
}

/// Every configured host. Shared by all requests behind an `Arc`.
pub struct Hosts {
    entries: BTreeMap<HostName, HostEntry>,
    timeouts: Timeouts,
}

#[derive(Default)]
pub struct HostsBuilder {
    entries: BTreeMap<HostName, HostEntry>,
    timeouts: Timeouts,
}

impl HostsBuilder {
    pub fn host(mut self, name: HostName, engine: Arc<dyn ContainerEngine>) -> Self {
        let status = HostStatus {
            name: name.clone(),
            reachable: false,
            version: None,
            api_version: None,
            error: Some("not checked yet".into()),
        };
        let (back, _) = watch::channel(0);
        let entry = HostEntry {
            engine,
            status: RwLock::new((Liveness::Unknown, status)),
            back,
            recheck: tokio::sync::Notify::new(),
        };
        self.entries.insert(name, entry);
        self
    }

    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    pub fn build(self) -> Arc<Hosts> {
        Arc::new(Hosts { entries: self.entries, timeouts: self.timeouts })
    }
}

/// Runs `fut` for at most `limit`; running out counts as the engine not answering.
async fn within<T>(
    limit: Duration,
    fut: impl std::future::Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    tokio::time::timeout(limit, fut).await.unwrap_or(Err(EngineError::Unavailable(Unreachable::Timeout)))
}

impl Hosts {
    pub fn builder() -> HostsBuilder {
        HostsBuilder::default()
    }

    pub fn names(&self) -> impl Iterator<Item = &HostName> {
        self.entries.keys()
    }

    fn entry(&self, host: &HostName) -> Result<&HostEntry, Error> {
        self.entries.get(host).ok_or_else(|| Error::UnknownHost(host.clone()))
    }

    pub fn engine(&self, host: &HostName) -> Result<Arc<dyn ContainerEngine>, Error> {
        Ok(self.entry(host)?.engine.clone())
    }

    /// Fires each time the host's engine answers again after it did not.
    pub fn subscribe_back(&self, host: &HostName) -> Result<watch::Receiver<u64>, Error> {
        Ok(self.entry(host)?.back.subscribe())
    }

    /// Last known status of each host (from its monitor and from calls): never waits.
    pub fn statuses(&self) -> Vec<HostStatus> {
        self.entries.values().map(|e| read(&e.status).1).collect()
    }

    /// An engine known to be down is not asked: the caller hears so at once.
    fn usable(&self, host: &HostName) -> Result<&HostEntry, Error> {
        let entry = self.entry(host)?;
        if liveness(entry) == Liveness::Down {
            return Err(Error::Unavailable(host.clone()));
        }
        Ok(entry)
    }

    /// Whether the host's engine is known not to answer (its monitor or a
    /// failed connection said so); then nothing is asked of it.
    pub fn is_down(&self, host: &HostName) -> bool {
        self.entries.get(host).is_some_and(|e| liveness(e) == Liveness::Down)
    }

    /// Records what a call or a check learned about the host's engine. A
    /// refused or failed connection, or a check without an answer, means
    /// down; a single call that ran out of time only asks the monitor to
    /// check soon (a busy engine is not a dead one).
    fn record(&self, host: &HostName, outcome: Result<(), &EngineError>, from_check: bool) {
        let Some(entry) = self.entries.get(host) else { return };
        let mut guard = entry.status.write().unwrap_or_else(|p| p.into_inner());
        let (liveness, status) = &mut *guard;
        match outcome {
            Err(EngineError::Unavailable(Unreachable::Timeout)) if !from_check => entry.recheck.notify_one(),
            Err(e @ EngineError::Unavailable(_)) => {
                if *liveness != Liveness::Down {
                    tracing::warn!(%host, reason = %e, "docker engine not answering; checking again every second");
                    entry.recheck.notify_one();
                }
                *liveness = Liveness::Down;
                status.reachable = false;
                status.error = Some(e.public_reason().to_string());
            }
            // Any answer, even "no such container", means the engine is there.
            _ => {
                let was = *liveness;
                *liveness = Liveness::Up;
                status.reachable = true;
                status.error = None;
                if was != Liveness::Up {
                    tracing::info!(%host, version = ?status.version, "docker engine answers");
                    entry.back.send_modify(|n| *n += 1);
                }
            }
        }
    }

    fn to_result<T>(
        &self,
        host: &HostName,
        id: Option<&ContainerId>,
        result: Result<T, EngineError>,
    ) -> Result<T, Error> {
        self.record(host, result.as_ref().map(|_| ()), false);
        result.map_err(|e| match e {
            EngineError::NotFound => match id {
                Some(id) => Error::NotFound { host: host.clone(), id: id.clone() },
                None => Error::Internal("not found without a container".into()),
            },
            EngineError::Conflict(msg) => Error::Refused(msg),
            EngineError::Unavailable(_) => Error::Unavailable(host.clone()),
            EngineError::Other(msg) => {
                tracing::warn!(%host, error = %msg, "docker call failed");
                Error::Internal(msg)
            }
        })
    }

    /// Asks the engine for its version now and records the answer.
    pub async fn check(&self, host: &HostName) -> Result<HostStatus, Error> {
        let entry = self.entry(host)?;
        match within(self.timeouts.check, entry.engine.version()).await {
            Ok(v) => {
                {
                    let mut guard = entry.status.write().unwrap_or_else(|p| p.into_inner());
                    guard.1.version = Some(v.version);
                    guard.1.api_version = Some(v.api_version);
                }
                self.record(host, Ok(()), true);
            }
            Err(e) => {
                tracing::debug!(%host, error = %e, "engine check failed");
                self.record(host, Err(&e), true);
            }
        }
        Ok(read(&entry.status).1)
    }

    /// Every container of every host, running first, newest first within a
    /// state. Hosts are asked at once, each for at most the read timeout; a
    /// host that does not answer is reported in `hosts` and the others list.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_all(&self) -> ContainerList {
        let asks = self.entries.keys().map(|name| async move {
            let Ok(entry) = self.usable(name) else { return Vec::new() };
            let result = within(self.timeouts.read, entry.engine.list_containers()).await;
            self.to_result(name, None, result).unwrap_or_default()
        });
        let mut containers: Vec<_> = futures::future::join_all(asks).await.into_iter().flatten().collect();
        containers.sort_by(|a, b| {
            (a.state.rank(), std::cmp::Reverse(a.created), &a.name).cmp(&(
                b.state.rank(),
                std::cmp::Reverse(b.created),
                &b.name,
            ))
        });
        ContainerList { hosts: self.statuses(), containers }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(%host, %id))]
    pub async fn details(&self, host: &HostName, id: &ContainerId) -> Result<ContainerDetails, Error> {
        let entry = self.usable(host)?;
        let result = within(self.timeouts.read, entry.engine.inspect_container(id)).await;
        self.to_result(host, Some(id), result)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(%host, %id, ?action))]
    pub async fn act(&self, host: &HostName, id: &ContainerId, action: ContainerAction) -> Result<(), Error> {
        let entry = self.usable(host)?;
        match tokio::time::timeout(self.timeouts.action, entry.engine.act(id, action)).await {
            Ok(result) => self.to_result(host, Some(id), result),
            // Docker is still at it (a long stop timeout): not an engine that is down.
            Err(_) => Err(Error::TimedOut(host.clone())),
        }
    }

    /// Starts one monitor task per host; they end when `shutdown` fires.
    pub fn spawn_monitors(self: &Arc<Self>, healthy_every: Duration, shutdown: watch::Receiver<bool>) {
        for name in self.entries.keys() {
            let name = name.clone();
            let hosts = Arc::clone(self);
            let mut shutdown = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    let Ok(status) = hosts.check(&name).await else { return };
                    let delay = if status.reachable { healthy_every } else { hosts.timeouts.retry_down };
                    let Some(entry) = hosts.entries.get(&name) else { return };
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        // A call saw it stop answering: the next check is a second away.
                        _ = entry.recheck.notified() => tokio::time::sleep(hosts.timeouts.retry_down).await,
                        _ = shutdown.changed() => break,
                    }
                }
            });
        }
    }
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|p| p.into_inner()).clone()
}

fn liveness(entry: &HostEntry) -> Liveness {
    entry.status.read().unwrap_or_else(|p| p.into_inner()).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::formulas::RawStats;
    use crate::port::{EngineEvent, EngineVersion};
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
                return Err(EngineError::Unavailable(Unreachable::Connect("connection refused".into())));
            }
            Ok(())
        }
    }

    #[async_trait]
    impl ContainerEngine for FakeEngine {
        async fn version(&self) -> Result<EngineVersion, EngineError> {
            self.gate().await?;
            Ok(EngineVersion { version: "99.0".into(), api_version: "1.99".into() })
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

    #[tokio::test]
    async fn running_containers_are_listed_first_then_newest() {
        let hosts = hosts_with(Arc::new(FakeEngine::default()));
        let list = hosts.list_all().await;
        let names: Vec<_> = list.containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["running", "new-exited", "old-exited"]);
        assert!(list.hosts[0].reachable);
    }

    #[tokio::test]
    async fn an_unreachable_engine_is_reported_not_fatal_and_then_not_asked() {
        let engine = Arc::new(FakeEngine::default());
        engine.down.store(true, Ordering::SeqCst);
        let hosts = hosts_with(engine.clone());
        let list = hosts.list_all().await;
        assert!(list.containers.is_empty());
        assert!(!list.hosts[0].reachable);
        assert_eq!(list.hosts[0].error.as_deref(), Some("cannot connect"));
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
        hosts.spawn_monitors(Duration::from_secs(60), rx);
        tokio::time::sleep(Duration::from_millis(10)).await;
        engine.hung.store(true, Ordering::SeqCst);
        let start = tokio::time::Instant::now();
        let list = hosts.list_all().await;
        assert!(start.elapsed() <= Timeouts::default().read + Duration::from_millis(1));
        assert!(list.containers.is_empty());
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
        hosts.spawn_monitors(Duration::from_secs(5), rx);
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
        hosts.spawn_monitors(Duration::from_secs(60), rx);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(hosts.statuses()[0].reachable);
        // One read runs out of time: the monitor checks at once, not 60 s later...
        engine.hung.store(true, Ordering::SeqCst);
        hosts.list_all().await;
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
}
