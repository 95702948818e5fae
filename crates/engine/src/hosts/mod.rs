//! The configured Docker hosts, each on its own: its engine, last known
//! status, container list and events. Nothing one host does (down, hung,
//! slow) delays another host or any request.
//!
//! Each host has a supervisor (`supervisor`): a monitor that checks the
//! engine (every `healthy_every` while it answers, every second while it
//! does not), logs each transition once and announces the engine's return;
//! one events subscription, fanned out to whoever listens (the metrics
//! manager) and refreshing the container list, with Docker's repeats
//! merged (`repeats`); and the list refresher.
//!
//! Requests never wait on an engine known to be down: they fail at once
//! with [`Error::Unavailable`]. The list answers from each host's last list
//! (refreshed in the background when older than 2 s), waiting only for a
//! host's first list, and at most [`Timeouts::read`]. A page or `/healthz`
//! therefore answers within a second whatever the engines do.

mod repeats;
mod supervisor;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use tokio::sync::{Notify, broadcast, watch};
use wire::{ContainerAction, ContainerDetails, ContainerId, ContainerList, ContainerSummary, HostName, HostStatus};

use crate::error::Error;
use crate::port::{ContainerEngine, EngineError, EngineVersion, Unreachable};

pub use supervisor::HostEvent;

/// How long each kind of call may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Inspect, which pages wait for, and a host's first list.
    pub read: Duration,
    /// Start, stop, restart: Docker waits for the container's own stop timeout (10 s by default).
    pub action: Duration,
    /// The monitor's check.
    pub check: Duration,
    /// Between checks while the engine does not answer.
    pub retry_down: Duration,
    /// A list read in the background.
    pub list: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            read: Duration::from_millis(700),
            action: Duration::from_secs(75),
            check: Duration::from_secs(2),
            retry_down: Duration::from_secs(1),
            list: Duration::from_secs(10),
        }
    }
}

/// A list older than this is read again (in the background) when asked for.
const LIST_FRESH: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Liveness {
    /// Not checked yet: calls go through.
    Unknown,
    Up,
    Down,
}

/// How a host is configured, besides its engine.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    /// `unix`, `tcp`, `tcp+tls`, `ssh` (shown in the host's status).
    pub transport: String,
    /// Actions are refused on this host.
    pub read_only: bool,
}

/// The last container list of a host, kept while it is unreachable.
#[derive(Clone)]
struct Listed {
    at: Instant,
    containers: Arc<Vec<ContainerSummary>>,
}

struct HostEntry {
    engine: Arc<dyn ContainerEngine>,
    read_only: bool,
    status: RwLock<(Liveness, HostStatus)>,
    /// Counts the times the engine was found answering after it was not
    /// (or had not been checked yet); collectors and event watchers wait on it.
    back: watch::Sender<u64>,
    /// A call found the engine not answering: the monitor checks again soon
    /// instead of waiting out its healthy interval.
    recheck: Notify,
    list: RwLock<Option<Listed>>,
    /// Counts completed list reads (a first list is waited for).
    listed: watch::Sender<u64>,
    /// Asks the refresher for a new list.
    refresh: Notify,
    events: broadcast::Sender<HostEvent>,
}

/// Every configured host. Shared by all requests behind an `Arc`.
pub struct Hosts {
    entries: BTreeMap<HostName, HostEntry>,
    /// The hosts in the order they were configured (`local` first).
    order: Vec<HostName>,
    timeouts: Timeouts,
    /// Repo digests per (host, image id): an image id names fixed content,
    /// so the container page's refresh need not inspect it every time.
    image_digests: std::sync::Mutex<BTreeMap<(HostName, String), Vec<String>>>,
}

/// Image ids whose digests are remembered, at most (then forgotten at once).
const IMAGE_DIGESTS_HELD: usize = 256;

#[derive(Default)]
pub struct HostsBuilder {
    entries: BTreeMap<HostName, HostEntry>,
    order: Vec<HostName>,
    timeouts: Timeouts,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

impl HostsBuilder {
    /// A host reached over a unix socket, not read-only (tests use this).
    pub fn host(self, name: HostName, engine: Arc<dyn ContainerEngine>) -> Self {
        self.add(name, engine, HostOptions { transport: "unix".into(), read_only: false })
    }

    pub fn add(mut self, name: HostName, engine: Arc<dyn ContainerEngine>, options: HostOptions) -> Self {
        let status = HostStatus {
            name: name.clone(),
            reachable: false,
            version: None,
            api_version: None,
            error: Some("not checked yet".into()),
            since_ms: None,
            transport: options.transport,
            engine: None,
            read_only: options.read_only,
            listed_at_ms: None,
            cpus: None,
            memory: None,
            stats_source: None,
        };
        let entry = HostEntry {
            engine,
            read_only: options.read_only,
            status: RwLock::new((Liveness::Unknown, status)),
            back: watch::channel(0).0,
            recheck: Notify::new(),
            list: RwLock::new(None),
            listed: watch::channel(0).0,
            refresh: Notify::new(),
            events: broadcast::channel(1024).0,
        };
        if self.entries.insert(name.clone(), entry).is_none() {
            self.order.push(name);
        }
        self
    }

    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    pub fn build(self) -> Arc<Hosts> {
        Arc::new(Hosts {
            entries: self.entries,
            order: self.order,
            timeouts: self.timeouts,
            image_digests: Default::default(),
        })
    }
}

/// Runs `fut` for at most `limit`; running out is "no answer in time".
pub(crate) async fn within<T>(
    limit: Duration,
    fut: impl std::future::Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    tokio::time::timeout(limit, fut).await.unwrap_or(Err(EngineError::Unavailable(Unreachable::Timeout)))
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read().unwrap_or_else(|p| p.into_inner()).clone()
}

fn liveness(entry: &HostEntry) -> Liveness {
    entry.status.read().unwrap_or_else(|p| p.into_inner()).0
}

impl Hosts {
    pub fn builder() -> HostsBuilder {
        HostsBuilder::default()
    }

    /// The host names, in the order they were configured.
    pub fn names(&self) -> impl Iterator<Item = &HostName> {
        self.order.iter()
    }

    fn in_order(&self) -> impl Iterator<Item = &HostEntry> {
        self.order.iter().filter_map(|name| self.entries.get(name))
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

    /// The host's container events (and word of each resubscription, after
    /// which some may have been missed). Needs the supervisors running.
    pub fn subscribe_events(&self, host: &HostName) -> Result<broadcast::Receiver<HostEvent>, Error> {
        Ok(self.entry(host)?.events.subscribe())
    }

    /// A container's log from its engine (refused at once when the engine
    /// is known to be down). Errors inside the stream are the engine's; see
    /// [`Hosts::classify`].
    pub fn logs(
        &self,
        host: &HostName,
        id: &ContainerId,
        request: crate::port::LogsRequest,
    ) -> Result<futures::stream::BoxStream<'static, Result<crate::port::LogChunk, EngineError>>, Error> {
        Ok(self.usable(host)?.engine.logs(id, request))
    }

    /// An engine error met outside a call of ours (in a stream), recorded
    /// and sorted like a call's.
    pub fn classify(&self, host: &HostName, id: &ContainerId, error: EngineError) -> Error {
        match self.to_result::<()>(host, Some(id), Err(error)) {
            Err(e) => e,
            Ok(()) => Error::Internal("no error".into()),
        }
    }

    /// Whether actions are refused on `host`.
    pub fn read_only(&self, host: &HostName) -> bool {
        self.entries.get(host).is_none_or(|e| e.read_only)
    }

    /// Last known status of each host: never waits.
    pub fn statuses(&self) -> Vec<HostStatus> {
        self.in_order()
            .map(|e| HostStatus {
                stats_source: Some(e.engine.stats_source().unwrap_or_else(|| "Engine API".into())),
                ..read(&e.status).1
            })
            .collect()
    }

    /// Whether the host's engine is known not to answer (its monitor or a
    /// failed connection said so); then nothing is asked of it.
    pub fn is_down(&self, host: &HostName) -> bool {
        self.entries.get(host).is_some_and(|e| liveness(e) == Liveness::Down)
    }

    /// An engine known to be down is not asked: the caller hears so at once.
    fn usable(&self, host: &HostName) -> Result<&HostEntry, Error> {
        let entry = self.entry(host)?;
        if liveness(entry) == Liveness::Down {
            return Err(Error::Unavailable(host.clone()));
        }
        Ok(entry)
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
                    let reason = e.public_reason();
                    tracing::warn!(%host, %reason, detail = %e, "docker engine not answering; checking again every second");
                    entry.recheck.notify_one();
                    status.since_ms = Some(now_ms());
                }
                *liveness = Liveness::Down;
                status.reachable = false;
                status.error = Some(e.public_reason());
            }
            // Any answer, even "no such container", means the engine is there.
            _ => {
                let was = *liveness;
                *liveness = Liveness::Up;
                status.reachable = true;
                status.error = None;
                if was != Liveness::Up {
                    status.since_ms = Some(now_ms());
                    tracing::info!(%host, engine = ?status.engine, version = ?status.version, "docker engine answers");
                    entry.back.send_modify(|n| *n += 1);
                    entry.refresh.notify_one();
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

    /// Asks the engine for its version now and records the answer (and,
    /// the first time, the machine's CPUs and memory).
    pub async fn check(&self, host: &HostName) -> Result<HostStatus, Error> {
        let entry = self.entry(host)?;
        match within(self.timeouts.check, entry.engine.version()).await {
            Ok(EngineVersion { version, api_version, product }) => {
                let known = read(&entry.status).1.cpus.is_some();
                let info = if known { None } else { within(self.timeouts.check, entry.engine.host_info()).await.ok() };
                {
                    let mut guard = entry.status.write().unwrap_or_else(|p| p.into_inner());
                    guard.1.version = Some(version);
                    guard.1.api_version = Some(api_version);
                    guard.1.engine = Some(product.to_string());
                    if let Some(info) = info {
                        guard.1.cpus = info.cpus;
                        guard.1.memory = info.memory;
                    }
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
    /// state (hosts in their configured order), from each host's last list: a host that does not answer keeps
    /// its last known containers (its status says it is unreachable). Only a
    /// host's first list is waited for, at most the read timeout.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn list_all(&self) -> ContainerList {
        let lists = self.in_order().map(|entry| async move {
            let cached = read(&entry.list);
            match cached {
                Some(listed) => {
                    if listed.at.elapsed() > LIST_FRESH {
                        entry.refresh.notify_one();
                    }
                    listed.containers
                }
                None => {
                    let mut listed = entry.listed.subscribe();
                    entry.refresh.notify_one();
                    if liveness(entry) != Liveness::Down {
                        let _ = tokio::time::timeout(self.timeouts.read, listed.changed()).await;
                    }
                    read(&entry.list).map(|l| l.containers).unwrap_or_default()
                }
            }
        });
        let mut containers: Vec<ContainerSummary> =
            futures::future::join_all(lists).await.iter().flat_map(|l| l.iter().cloned()).collect();
        containers.sort_by(|a, b| {
            (a.state.rank(), std::cmp::Reverse(a.created), &a.host, &a.name).cmp(&(
                b.state.rank(),
                std::cmp::Reverse(b.created),
                &b.host,
                &b.name,
            ))
        });
        ContainerList { hosts: self.statuses(), containers, fleet: Vec::new(), counts: Vec::new(), page: None }
    }

    /// The host's last container list (never waits; empty before the first).
    pub fn cached_containers(&self, host: &HostName) -> Arc<Vec<ContainerSummary>> {
        self.entries.get(host).and_then(|e| read(&e.list)).map(|l| l.containers).unwrap_or_default()
    }

    /// Reads the host's list now (the refresher does this) and keeps it.
    pub(crate) async fn refresh_list(&self, host: &HostName) {
        let Ok(entry) = self.usable(host) else { return };
        let result = within(self.timeouts.list, entry.engine.list_containers()).await;
        if let Ok(containers) = self.to_result(host, None, result) {
            let at_ms = now_ms();
            *entry.list.write().unwrap_or_else(|p| p.into_inner()) =
                Some(Listed { at: Instant::now(), containers: Arc::new(containers) });
            entry.status.write().unwrap_or_else(|p| p.into_inner()).1.listed_at_ms = Some(at_ms);
        }
        entry.listed.send_modify(|n| *n += 1);
    }

    #[tracing::instrument(level = "debug", skip_all, fields(%host, %id))]
    pub async fn details(&self, host: &HostName, id: &ContainerId) -> Result<ContainerDetails, Error> {
        let entry = self.usable(host)?;
        let result = within(self.timeouts.read, entry.engine.inspect_container(id)).await;
        let mut details = self.to_result(host, Some(id), result)?;
        details.read_only = entry.read_only;
        Ok(details)
    }

    /// [`Hosts::details`] with the image's repo digests, for the container
    /// page, within the same time limit. An image that cannot be read
    /// (removed since, or the engine slow) leaves the digests out, not the page.
    #[tracing::instrument(level = "debug", skip_all, fields(%host, %id))]
    pub async fn details_with_image(&self, host: &HostName, id: &ContainerId) -> Result<ContainerDetails, Error> {
        let deadline = Instant::now() + self.timeouts.read;
        let mut details = self.details(host, id).await?;
        if details.image_id.is_empty() {
            return Ok(details);
        }
        let key = (host.clone(), details.image_id.clone());
        let held = self.image_digests.lock().unwrap_or_else(|p| p.into_inner()).get(&key).cloned();
        if let Some(digests) = held {
            details.repo_digests = digests;
        } else if let Ok(entry) = self.usable(host)
            && let Ok(Ok(digests)) =
                tokio::time::timeout_at(deadline, entry.engine.image_repo_digests(&details.image_id)).await
        {
            let mut held = self.image_digests.lock().unwrap_or_else(|p| p.into_inner());
            if held.len() >= IMAGE_DIGESTS_HELD {
                held.clear();
            }
            held.insert(key, digests.clone());
            details.repo_digests = digests;
        }
        Ok(details)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(%host, %id, ?action))]
    pub async fn act(&self, host: &HostName, id: &ContainerId, action: ContainerAction) -> Result<(), Error> {
        self.change(host, id, |engine| async move { engine.act(id, action).await }).await
    }

    /// Removes a container (refused on a read-only host; the engine refuses
    /// a running one unless `force`).
    #[tracing::instrument(level = "debug", skip_all, fields(%host, %id, force, volumes))]
    pub async fn remove(&self, host: &HostName, id: &ContainerId, force: bool, volumes: bool) -> Result<(), Error> {
        self.change(host, id, |engine| async move { engine.remove(id, force, volumes).await }).await
    }

    /// One change to a container: refused on a read-only host, limited to
    /// the action timeout, and the host's list refreshed after it.
    async fn change<'a, F, Fut>(&'a self, host: &HostName, id: &'a ContainerId, call: F) -> Result<(), Error>
    where
        F: FnOnce(Arc<dyn ContainerEngine>) -> Fut,
        Fut: std::future::Future<Output = Result<(), EngineError>> + 'a,
    {
        if self.entry(host)?.read_only {
            return Err(Error::ReadOnly(host.clone()));
        }
        let entry = self.usable(host)?;
        match tokio::time::timeout(self.timeouts.action, call(entry.engine.clone())).await {
            Ok(result) => {
                let result = self.to_result(host, Some(id), result);
                if result.is_ok() {
                    entry.refresh.notify_one();
                }
                result
            }
            // Docker is still at it (a long stop timeout): not an engine that is down.
            Err(_) => Err(Error::TimedOut(host.clone())),
        }
    }

    pub(crate) fn publish(&self, host: &HostName, event: HostEvent) {
        if let Some(entry) = self.entries.get(host) {
            let _ = entry.events.send(event);
        }
    }
}
