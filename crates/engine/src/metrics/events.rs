//! One Docker events subscription per host: lifecycle for every watched
//! container of that host, and a re-read of their states whenever the
//! stream had to reconnect (events may have been missed meanwhile).

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::watch;
use wire::{ContainerId, HostName};

use super::lifecycle::{Transition, refresh_state};
use super::manager::ContainerStatsManager;
use super::series::{Series, lock, now_ms};
use crate::backoff::Backoff;
use crate::error::Error;
use crate::port::EngineEvent;

/// Events kept to replay to a container whose watch began while they came.
pub(crate) const RECENT_EVENTS: usize = 256;

/// The latest events of every host, newest last.
pub(crate) type RecentEvents = VecDeque<(HostName, EngineEvent)>;

/// Applies `event` to `series` unless its state already reflects it.
fn apply_event(series: &Series, event: &EngineEvent) {
    let action = event.action.split(':').next().unwrap_or_default().trim();
    let mut d = series.data();
    if event.time_nanos != 0 && event.time_nanos <= d.last_event_nanos {
        return; // replayed, or older than the state read from the engine
    }
    d.last_event_nanos = d.last_event_nanos.max(event.time_nanos);
    let Some(transition) = Transition::from_action(action, event.exit_code) else { return };
    let wake = d.apply(transition, event.time_nanos / 1_000_000);
    drop(d);
    if wake {
        series.wake.notify_one();
    }
}

impl ContainerStatsManager {
    /// Applies one Docker event to the container it names, if watched.
    pub fn on_event(&self, host: &HostName, event: &EngineEvent) {
        let Ok(id) = ContainerId::parse(&event.id) else { return };
        let series = {
            let mut reg = lock(&self.registry);
            if event.action == "rename" {
                // The old name no longer means this container.
                reg.forget_aliases_of(host, &id);
            }
            let mut recent = lock(&self.recent);
            if recent.len() == RECENT_EVENTS {
                recent.pop_front();
            }
            recent.push_back((host.clone(), event.clone()));
            reg.series.get(&(host.clone(), id)).cloned()
        };
        if let Some(series) = series {
            apply_event(&series, event);
        }
    }

    /// Replays to a newly watched container the events that came while its
    /// state was being read (those already reflected are skipped).
    pub(crate) fn replay_recent(&self, series: &Series) {
        let (host, id) = &series.key;
        let mine: Vec<EngineEvent> = lock(&self.recent)
            .iter()
            .filter(|(h, e)| h == host && e.id == id.as_str())
            .map(|(_, e)| e.clone())
            .collect();
        for event in &mine {
            apply_event(series, event);
        }
    }

    /// Re-reads the state of every watched container of `host`; false when
    /// some could not be read (the engine did not answer).
    pub async fn reconcile(&self, host: &HostName) -> bool {
        let watched: Vec<Arc<Series>> =
            lock(&self.registry).series.values().filter(|s| &s.key.0 == host && !s.removed()).cloned().collect();
        let mut complete = true;
        for series in watched {
            if let Err(Error::Unavailable(_) | Error::TimedOut(_) | Error::Internal(_)) =
                refresh_state(&self.hosts, &series).await
            {
                complete = false;
            }
        }
        complete
    }
}

/// Re-reads the watched containers of `host` once its engine answers,
/// retrying every second for a minute while it does not.
fn reconcile_soon(manager: Weak<ContainerStatsManager>, host: HostName) {
    tokio::spawn(async move {
        for _ in 0..60 {
            let Some(m) = manager.upgrade() else { return };
            if !m.hosts.is_down(&host) && m.reconcile(&host).await {
                return;
            }
            drop(m);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        tracing::warn!(%host, "metrics: could not re-read the watched containers' states for a minute");
    });
}

/// Follows `host`'s events, replaying from just before the subscription;
/// after a reconnect, re-reads the watched containers. Reconnects with
/// backoff (1 s doubling to 30 s), or at once when the engine answers again.
pub(crate) async fn watch_events(
    manager: Weak<ContainerStatsManager>,
    host: HostName,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::default();
    let mut since_secs = now_ms() / 1000 - 1;
    let mut connected_before = false;
    let Some((engine, mut host_back)) = manager.upgrade().and_then(|m| {
        let engine = m.hosts.engine(&host).ok()?;
        let back = m.hosts.subscribe_back(&host).ok()?;
        Some((engine, back))
    }) else {
        return;
    };
    loop {
        // Seen before subscribing, so a return announced meanwhile is not missed.
        host_back.borrow_and_update();
        let mut stream = engine.events(Some(since_secs));
        if connected_before {
            // Events may have been missed while the stream was away.
            reconcile_soon(manager.clone(), host.clone());
        }
        loop {
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
            _ = host_back.changed() => backoff.reset(),
            _ = shutdown.changed() => return,
        }
    }
}
