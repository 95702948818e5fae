//! The configured Docker hosts, each with its engine and last known status.
//! A monitor per host pings its engine with backoff, so an engine that goes
//! away is noticed, logged once, and picked up again when it is back.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::{ContainerEngine, EngineError};
use crate::error::AppError;
use crate::model::{
    ContainerAction, ContainerDetails, ContainerId, ContainerList, HostName, HostStatus,
};

/// 1 s doubling to 30 s, reset on success.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(30))
    }
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff { next: min, min, max }
    }

    /// The wait before the next attempt; each call doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let current = self.next;
        self.next = (self.next * 2).min(self.max);
        current
    }

    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

struct HostEntry {
    engine: Arc<dyn ContainerEngine>,
    status: RwLock<HostStatus>,
}

/// Every configured host. Cheap to clone behind an `Arc`; shared by all requests.
pub struct Hosts {
    entries: BTreeMap<HostName, HostEntry>,
}

#[derive(Default)]
pub struct HostsBuilder {
    entries: BTreeMap<HostName, HostEntry>,
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
        self.entries.insert(name, HostEntry { engine, status: RwLock::new(status) });
        self
    }

    pub fn build(self) -> Arc<Hosts> {
        Arc::new(Hosts { entries: self.entries })
    }
}

impl Hosts {
    pub fn builder() -> HostsBuilder {
        HostsBuilder::default()
    }

    pub fn names(&self) -> impl Iterator<Item = &HostName> {
        self.entries.keys()
    }

    fn entry(&self, host: &HostName) -> Result<&HostEntry, AppError> {
        self.entries.get(host).ok_or_else(|| AppError::not_found(format!("host \"{host}\"")))
    }

    pub fn engine(&self, host: &HostName) -> Result<Arc<dyn ContainerEngine>, AppError> {
        Ok(self.entry(host)?.engine.clone())
    }

    /// Last status recorded for each host (by the monitor or by a failed call).
    pub fn statuses(&self) -> Vec<HostStatus> {
        self.entries.values().map(|e| read_status(&e.status)).collect()
    }

    /// Asks every engine now for its version and records the answer.
    pub async fn check_all(&self) -> Vec<HostStatus> {
        let mut out = Vec::with_capacity(self.entries.len());
        for name in self.entries.keys() {
            out.push(self.check(name).await);
        }
        out
    }

    async fn check(&self, name: &HostName) -> HostStatus {
        let entry = &self.entries[name];
        let status = match entry.engine.version().await {
            Ok(v) => HostStatus {
                name: name.clone(),
                reachable: true,
                version: Some(v.version),
                api_version: Some(v.api_version),
                error: None,
            },
            Err(e) => {
                tracing::debug!(host = %name, error = %e, "engine check failed");
                HostStatus {
                name: name.clone(),
                reachable: false,
                version: None,
                api_version: None,
                error: Some(public_reason(&e)),
            }
            }
        };
        *entry.status.write().unwrap_or_else(|p| p.into_inner()) = status.clone();
        status
    }

    /// Every container of every host, running first, newest first within a state.
    /// A host that does not answer is reported in `hosts`; the others still list.
    pub async fn list_all(&self) -> ContainerList {
        let mut containers = Vec::new();
        for (name, entry) in &self.entries {
            match entry.engine.list_containers().await {
                Ok(list) => {
                    self.mark_reachable(name);
                    containers.extend(list);
                }
                Err(e) => self.mark_unreachable(name, &e),
            }
        }
        containers.sort_by(|a, b| {
            (a.state.rank(), std::cmp::Reverse(a.created), &a.name)
                .cmp(&(b.state.rank(), std::cmp::Reverse(b.created), &b.name))
        });
        ContainerList { hosts: self.statuses(), containers }
    }

    pub async fn details(&self, host: &HostName, id: &ContainerId) -> Result<ContainerDetails, AppError> {
        let engine = self.engine(host)?;
        let result = engine.inspect_container(id).await;
        self.to_app_result(host, result, || format!("container \"{id}\" on host \"{host}\""))
    }

    pub async fn act(&self, host: &HostName, id: &ContainerId, action: ContainerAction) -> Result<(), AppError> {
        let engine = self.engine(host)?;
        let result = engine.act(id, action).await;
        self.to_app_result(host, result, || format!("container \"{id}\" on host \"{host}\""))
    }

    fn to_app_result<T>(
        &self,
        host: &HostName,
        result: Result<T, EngineError>,
        what: impl FnOnce() -> String,
    ) -> Result<T, AppError> {
        match result {
            Ok(v) => {
                self.mark_reachable(host);
                Ok(v)
            }
            Err(EngineError::NotFound) => {
                self.mark_reachable(host);
                Err(AppError::not_found(what()))
            }
            Err(EngineError::Conflict(msg)) => Err(AppError::Conflict(msg)),
            Err(e @ EngineError::Unavailable(_)) => {
                self.mark_unreachable(host, &e);
                Err(AppError::EngineUnavailable { host: host.to_string() })
            }
            Err(EngineError::Other(msg)) => {
                tracing::warn!(%host, error = %msg, "docker call failed");
                Err(AppError::Internal)
            }
        }
    }

    fn mark_reachable(&self, host: &HostName) {
        if let Some(entry) = self.entries.get(host) {
            let mut status = entry.status.write().unwrap_or_else(|p| p.into_inner());
            if !status.reachable {
                status.reachable = true;
                status.error = None;
            }
        }
    }

    fn mark_unreachable(&self, host: &HostName, err: &EngineError) {
        if let Some(entry) = self.entries.get(host) {
            let mut status = entry.status.write().unwrap_or_else(|p| p.into_inner());
            status.reachable = false;
            status.error = Some(public_reason(err));
        }
    }

    /// Starts one monitor task per host. Each pings every `healthy_every` while
    /// the engine answers, and backs off 1 s doubling to 30 s while it does not.
    /// Transitions are logged once each. Tasks end when `shutdown` fires.
    pub fn spawn_monitors(self: &Arc<Self>, healthy_every: Duration, shutdown: tokio::sync::watch::Receiver<bool>) {
        for name in self.entries.keys().cloned() {
            let hosts = Arc::clone(self);
            let mut shutdown = shutdown.clone();
            tokio::spawn(async move {
                let mut backoff = Backoff::default();
                let mut was_up: Option<bool> = None;
                loop {
                    let status = hosts.check(&name).await;
                    let delay = if status.reachable {
                        if was_up != Some(true) {
                            tracing::info!(host = %name, version = ?status.version, "docker engine answers");
                        }
                        backoff.reset();
                        healthy_every
                    } else {
                        let delay = backoff.next_delay();
                        if was_up != Some(false) {
                            tracing::warn!(host = %name, reason = ?status.error, "docker engine unreachable; retrying with backoff");
                        }
                        delay
                    };
                    was_up = Some(status.reachable);
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = shutdown.changed() => break,
                    }
                }
            });
        }
    }
}

/// A reason safe to show in a page: the kind of failure, not socket paths or
/// engine internals (those go to the log).
fn public_reason(err: &EngineError) -> String {
    match err {
        EngineError::Unavailable(msg) if msg.contains("no answer within") => "no answer in time".into(),
        EngineError::Unavailable(_) => "cannot connect".into(),
        EngineError::NotFound => "not found".into(),
        EngineError::Conflict(_) | EngineError::Other(_) => "unexpected answer".into(),
    }
}

fn read_status(lock: &RwLock<HostStatus>) -> HostStatus {
    lock.read().unwrap_or_else(|p| p.into_inner()).clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineVersion;
    use crate::model::{ContainerState, ContainerSummary};
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fake engine that counts calls and answers from a script.
    #[derive(Default)]
    struct FakeEngine {
        calls: AtomicUsize,
        down: bool,
    }

    #[async_trait]
    impl ContainerEngine for FakeEngine {
        async fn version(&self) -> Result<EngineVersion, EngineError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.down {
                return Err(EngineError::Unavailable("connection refused".into()));
            }
            Ok(EngineVersion { version: "99.0".into(), api_version: "1.99".into() })
        }
        async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.down {
                return Err(EngineError::Unavailable("connection refused".into()));
            }
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
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err(EngineError::NotFound)
        }
        async fn act(&self, _id: &ContainerId, _a: ContainerAction) -> Result<(), EngineError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Err(EngineError::Unavailable("gone".into()))
        }
        async fn stats_once(&self, _id: &ContainerId) -> Result<crate::metrics::formulas::RawStats, EngineError> {
            Err(EngineError::NotFound)
        }
        fn events(&self, _since: Option<i64>) -> futures::stream::BoxStream<'static, Result<crate::engine::EngineEvent, EngineError>> {
            Box::pin(futures::stream::empty())
        }
    }

    fn hosts_with(engine: Arc<FakeEngine>) -> Arc<Hosts> {
        Hosts::builder().host(HostName::parse("local").unwrap(), engine).build()
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_thirty() {
        let mut b = Backoff::default();
        let secs: Vec<u64> = (0..7).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30]);
        b.reset();
        assert_eq!(b.next_delay().as_secs(), 1);
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
    async fn an_unreachable_engine_is_reported_not_fatal() {
        let hosts = hosts_with(Arc::new(FakeEngine { down: true, ..Default::default() }));
        let list = hosts.list_all().await;
        assert!(list.containers.is_empty());
        assert!(!list.hosts[0].reachable);
        assert_eq!(list.hosts[0].error.as_deref(), Some("cannot connect"));
        let id = ContainerId::parse("abc").unwrap();
        let err = hosts.act(&HostName::parse("local").unwrap(), &id, ContainerAction::Stop).await.unwrap_err();
        assert_eq!(err, AppError::EngineUnavailable { host: "local".into() });
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
    async fn a_missing_container_is_not_found() {
        let hosts = hosts_with(Arc::new(FakeEngine::default()));
        let id = ContainerId::parse("nope").unwrap();
        let err = hosts.details(&HostName::parse("local").unwrap(), &id).await.unwrap_err();
        assert!(err.is_not_found());
    }
}
