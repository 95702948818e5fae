//! One Docker events subscription per host: lifecycle for every watched
//! container of that host, and a re-read of their states whenever the
//! stream had to reconnect (events may have been missed meanwhile).

use std::sync::{Arc, Weak};

use futures::StreamExt;
use tokio::sync::watch;
use wire::{ContainerId, HostName, RunState};

use super::lifecycle::Transition;
use super::manager::{ContainerStatsManager, run_state_from};
use super::series::{Series, lock, now_ms};
use crate::backoff::Backoff;
use crate::error::Error;
use crate::port::EngineEvent;

impl ContainerStatsManager {
    /// Applies one Docker event to the container it names, if watched.
    pub fn on_event(&self, host: &HostName, event: &EngineEvent) {
        let Ok(id) = ContainerId::parse(&event.id) else { return };
        let action = event.action.split(':').next().unwrap_or_default().trim();
        let series = {
            let mut reg = lock(&self.registry);
            if action == "rename" {
                // The old name no longer means this container.
                reg.forget_aliases_of(host, &id);
            }
            reg.series.get(&(host.clone(), id)).cloned()
        };
        let Some(series) = series else { return };
        let mut d = series.data();
        if event.time_nanos != 0 && event.time_nanos <= d.last_event_nanos {
            return; // replayed after a reconnect: already applied
        }
        d.last_event_nanos = d.last_event_nanos.max(event.time_nanos);
        let Some(transition) = Transition::from_action(action, event.exit_code) else { return };
        let wake = d.apply(transition, event.time_nanos / 1_000_000);
        drop(d);
        if wake {
            series.wake.notify_one();
        }
    }

    /// Re-reads the state of every watched container of `host`.
    pub async fn reconcile(&self, host: &HostName) {
        let watched: Vec<Arc<Series>> =
            lock(&self.registry).series.values().filter(|s| &s.key.0 == host).cloned().collect();
        for series in watched {
            if series.removed() {
                continue;
            }
            let observed = match self.hosts.details(host, &series.key.1).await {
                Ok(details) => run_state_from(&details),
                Err(Error::NotFound { .. }) => RunState::Removed,
                Err(_) => continue,
            };
            let mut d = series.data();
            if d.state == observed {
                continue;
            }
            let at = match &observed {
                RunState::Exited { at_ms: Some(at), .. } => *at,
                _ => now_ms(),
            };
            let wake = match Transition::between(&d.state, &observed) {
                Some(transition) => d.apply(transition, at),
                None => false,
            };
            d.state = observed;
            drop(d);
            if wake {
                series.wake.notify_one();
            }
        }
    }
}

/// Subscribes (replaying from just before), re-reads watched containers
/// after a reconnect, then follows events; reconnects with backoff (1 s
/// doubling to 30 s), or at once when the host's engine answers again.
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
        host_back.borrow_and_update();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = host_back.changed() => backoff.reset(),
            _ = shutdown.changed() => return,
        }
    }
}
