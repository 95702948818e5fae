//! What the manager keeps: nobody reading a history for the idle timeout
//! frees it; beyond the container cap the least recently read one goes.

use std::time::Duration;

use wire::HistoryLoss;

use super::registry::Registry;
use super::series::Key;

/// Drops every history nobody read for `idle_timeout`; returns how many.
pub(crate) fn expire_idle(reg: &mut Registry, idle_timeout: Duration) -> usize {
    let idle: Vec<Key> =
        reg.series.values().filter(|s| s.data().last_read.elapsed() >= idle_timeout).map(|s| s.key.clone()).collect();
    for key in &idle {
        tracing::debug!(host = %key.0, id = %key.1, "metrics: idle, collector stopped and history freed");
        reg.drop_series(key, HistoryLoss::IdleExpired);
    }
    idle.len()
}

/// Makes room for one more: evicts the least recently read until fewer than `max` remain.
pub(crate) fn make_room(reg: &mut Registry, max: usize) {
    while reg.series.len() >= max.max(1) {
        let Some(oldest) = reg.series.values().min_by_key(|s| s.data().last_read).map(|s| s.key.clone()) else {
            break;
        };
        tracing::info!(host = %oldest.0, id = %oldest.1, "metrics: evicting the least recently read container");
        reg.drop_series(&oldest, HistoryLoss::Evicted);
    }
}
