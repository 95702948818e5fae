//! One container's collector: samples while it runs, sleeps while it does
//! not, backs off on errors (never stops on them) but resumes at once when
//! its host's engine answers again, and ends when the container is removed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};

use super::config::MetricsConfig;
use super::fleet::Fleet;
use super::lifecycle::{Transition, refresh_state};
use super::series::{Ingested, Series, now_ms};
use crate::backoff::Backoff;
use crate::hosts::Hosts;
use crate::port::{ContainerEngine, EngineError};

/// Frames of a stopped container in a row, while the state says it runs,
/// before the state is read again (an event may have been missed).
const EMPTY_FRAMES_BEFORE_REREAD: u32 = 3;

/// Counts running collectors; decremented when a collector task ends or is aborted.
pub(crate) struct CollectorGuard(Arc<AtomicUsize>);

impl CollectorGuard {
    pub fn new(counter: Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        CollectorGuard(counter)
    }
}

impl Drop for CollectorGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a collector needs besides its series.
pub(crate) struct CollectorContext {
    pub hosts: Arc<Hosts>,
    /// Its samples feed the list's numbers too.
    pub fleet: Arc<Fleet>,
    pub engine: Arc<dyn ContainerEngine>,
    /// Stats requests in flight on this host.
    pub permits: Arc<Semaphore>,
    pub config: MetricsConfig,
    /// Changes when the host's engine answers again after it did not.
    pub host_back: watch::Receiver<u64>,
    pub _guard: CollectorGuard,
}

pub(crate) async fn collect(series: Arc<Series>, mut cx: CollectorContext) {
    let (host, id) = series.key.clone();
    let interval = cx.config.interval;
    let mut backoff = Backoff::new(interval.max(Duration::from_millis(100)), Duration::from_secs(30));
    let mut next = tokio::time::Instant::now();
    let mut empty_frames = 0;
    loop {
        if series.removed() {
            return;
        }
        // Not running, or nobody reads it now: nothing to sample every
        // second (the fleet tier may sample it); a start or a read wakes it.
        if !series.watched() {
            series.wake.notified().await;
            next = tokio::time::Instant::now();
            continue;
        }
        // A lifecycle event (start, stop, removal) wakes the collector early.
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = series.wake.notified() => continue,
        }
        next += interval;
        let now = tokio::time::Instant::now();
        if next < now {
            next = now;
        }
        // Seen before asking, so a return announced while asking is not missed.
        cx.host_back.borrow_and_update();
        if cx.hosts.is_down(&host) {
            // Nothing is asked of an engine known to be down; its return wakes us.
            tokio::select! {
                _ = cx.host_back.changed() => backoff.reset(),
                _ = series.wake.notified() => {}
            }
            next = tokio::time::Instant::now();
            continue;
        }
        let result = {
            let Ok(_permit) = cx.permits.acquire().await else { return };
            tokio::time::timeout(cx.config.request_timeout, cx.engine.stats_once(&id)).await
        };
        match result {
            Ok(Ok(raw)) => {
                backoff.reset();
                let (ingested, limit) = {
                    let mut d = series.data();
                    (d.ingest(raw.clone()), d.memory_limit)
                };
                let point = match ingested {
                    Ingested::Point(p) => Some(p),
                    _ => None,
                };
                cx.fleet.ingest(&series.key, &raw, point.as_ref(), limit);
                let not_data = ingested == Ingested::NotData;
                empty_frames = if not_data { empty_frames + 1 } else { 0 };
                if empty_frames >= EMPTY_FRAMES_BEFORE_REREAD {
                    empty_frames = 0;
                    let _ = refresh_state(&cx.hosts, &series).await;
                }
            }
            Ok(Err(EngineError::NotFound)) => {
                series.data().apply(Transition::Remove, now_ms());
                return;
            }
            failed => {
                let error = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("no answer within {:?}", cx.config.request_timeout),
                };
                let delay = backoff.next_delay();
                tracing::debug!(%host, %id, %error, retry_in = ?delay, "metrics: stats sample failed");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    // The engine is back: no reason to wait out the backoff.
                    _ = cx.host_back.changed() => backoff.reset(),
                    _ = series.wake.notified() => {}
                }
                next = tokio::time::Instant::now();
            }
        }
    }
}
