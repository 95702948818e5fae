//! Each host's background work: the monitor, the one events subscription
//! (fanned out to listeners, and refreshing the container list) and the list
//! refresher. All stop when `shutdown` fires.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::watch;
use wire::HostName;

use super::Hosts;
use super::repeats::{REPEAT_WINDOW_NANOS, RepeatFilter};
use crate::backoff::Backoff;
use crate::port::EngineEvent;

/// What a host's events subscription tells its listeners.
#[derive(Debug, Clone)]
pub enum HostEvent {
    Container(EngineEvent),
    /// The subscription was made again after it dropped: events may have
    /// been missed meanwhile (re-read what matters).
    Resubscribed,
}

/// Bursts of events (a compose up) are read as one list.
const LIST_DEBOUNCE: Duration = Duration::from_millis(150);

fn now_secs() -> i64 {
    now_nanos() / 1_000_000_000
}

fn now_nanos() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or_default()
}

impl Hosts {
    /// Starts each host's monitor, events subscription and list refresher.
    pub fn spawn_supervisors(self: &Arc<Self>, healthy_every: Duration, shutdown: watch::Receiver<bool>) {
        for name in self.names() {
            tokio::spawn(monitor(self.clone(), name.clone(), healthy_every, shutdown.clone()));
            tokio::spawn(follow_events(self.clone(), name.clone(), shutdown.clone()));
            tokio::spawn(refresh_lists(self.clone(), name.clone(), shutdown.clone()));
        }
    }
}

/// Checks the engine every `healthy_every` while it answers, every
/// `retry_down` while it does not, and soon after a call found it silent.
async fn monitor(hosts: Arc<Hosts>, name: HostName, healthy_every: Duration, mut shutdown: watch::Receiver<bool>) {
    let Some(entry) = hosts.entries.get(&name) else { return };
    loop {
        let Ok(status) = hosts.check(&name).await else { return };
        let delay = if status.reachable { healthy_every } else { hosts.timeouts.retry_down };
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            // A call saw it stop answering: the next check is a second away.
            _ = entry.recheck.notified() => tokio::time::sleep(hosts.timeouts.retry_down).await,
            _ = shutdown.changed() => return,
        }
    }
}

/// One subscription to the host's container events, replaying from just
/// before it; reconnects with backoff (1 s doubling to 30 s), or at once
/// when the engine answers again. Each event goes to the listeners and
/// asks for a new container list, unless it repeats one of the last second
/// (see [`RepeatFilter`]): one OOM kill is one `oom` event for everyone.
async fn follow_events(hosts: Arc<Hosts>, name: HostName, mut shutdown: watch::Receiver<bool>) {
    let (Ok(engine), Ok(mut back), Some(entry)) =
        (hosts.engine(&name), hosts.subscribe_back(&name), hosts.entries.get(&name))
    else {
        return;
    };
    let mut backoff = Backoff::default();
    let mut since_secs = now_secs() - 1;
    let mut subscribed_before = false;
    // Kept across subscriptions, so a replayed burst is merged too.
    let mut repeats = RepeatFilter::new(REPEAT_WINDOW_NANOS);
    loop {
        // Seen before subscribing, so a return announced meanwhile is not missed.
        back.borrow_and_update();
        if !hosts.is_down(&name) {
            let mut stream = engine.events(Some(since_secs));
            if subscribed_before {
                hosts.publish(&name, HostEvent::Resubscribed);
                entry.refresh.notify_one();
            }
            subscribed_before = true;
            loop {
                let item = tokio::select! {
                    item = stream.next() => item,
                    _ = shutdown.changed() => return,
                };
                match item {
                    Some(Ok(event)) => {
                        backoff.reset();
                        since_secs = since_secs.max(event.time_nanos / 1_000_000_000);
                        if !repeats.pass(&event, now_nanos()) {
                            tracing::trace!(host = %name, id = %event.id, action = %event.action, "repeated event merged");
                            continue;
                        }
                        hosts.publish(&name, HostEvent::Container(event));
                        entry.refresh.notify_one();
                    }
                    Some(Err(e)) => {
                        tracing::debug!(host = %name, error = %e, "events stream failed");
                        break;
                    }
                    None => break,
                }
            }
            tracing::info!(host = %name, "events stream ended; subscribing again");
        }
        let delay = backoff.next_delay();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = back.changed() => backoff.reset(),
            _ = shutdown.changed() => return,
        }
    }
}

/// Reads the container list when asked (events, a request finding it stale,
/// the engine coming back), a burst at a time.
async fn refresh_lists(hosts: Arc<Hosts>, name: HostName, mut shutdown: watch::Receiver<bool>) {
    let Some(entry) = hosts.entries.get(&name) else { return };
    loop {
        tokio::select! {
            _ = entry.refresh.notified() => {}
            _ = shutdown.changed() => return,
        }
        tokio::time::sleep(LIST_DEBOUNCE).await;
        hosts.refresh_list(&name).await;
    }
}
