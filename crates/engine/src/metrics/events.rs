//! Lifecycle from each host's events (the host's supervisor holds the one
//! subscription): applied to the watched containers of that host, and a
//! re-read of their states whenever the subscription was made again
//! (events may have been missed meanwhile).

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use wire::{ContainerId, HostName};

use super::lifecycle::{Transition, refresh_state};
use super::manager::ContainerStatsManager;
use super::series::{Series, lock};
use crate::error::Error;
use crate::hosts::HostEvent;
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
        let action = event.action.split(':').next().unwrap_or_default().trim();
        let key = (host.clone(), id.clone());
        self.fleet.history.on_event(host, &id, action, event.time_nanos, event.exit_code, super::now_ms());
        match action {
            "destroy" => self.fleet.forget(&key),
            _ => self.fleet.on_event(&key, action, event.time_nanos),
        }
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

/// Applies `host`'s events to the watched containers; re-reads their states
/// when the subscription was made again or events were dropped.
pub(crate) async fn listen(manager: Weak<ContainerStatsManager>, host: HostName, mut shutdown: watch::Receiver<bool>) {
    let Some(mut events) = manager.upgrade().and_then(|m| m.hosts.subscribe_events(&host).ok()) else { return };
    loop {
        let item = tokio::select! {
            item = events.recv() => item,
            _ = shutdown.changed() => return,
        };
        let Some(m) = manager.upgrade() else { return };
        match item {
            Ok(HostEvent::Container(event)) => m.on_event(&host, &event),
            Ok(HostEvent::Resubscribed) | Err(broadcast::error::RecvError::Lagged(_)) => {
                reconcile_soon(manager.clone(), host.clone())
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
