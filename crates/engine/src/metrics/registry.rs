//! The watched set: series by (host, full id), the names and short ids
//! already resolved to a full id, and why recently dropped histories went.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use wire::{ContainerId, HistoryLoss, HostName};

use super::series::{Key, Series};

/// Remembered reasons for dropped histories, oldest forgotten first.
const MAX_LOSSES: usize = 4096;

#[derive(Default)]
pub(crate) struct Registry {
    pub series: HashMap<Key, Arc<Series>>,
    /// Names and short ids resolved to a full id. A name can move to another
    /// container: a removed one's is resolved again (`manager::metrics`), a
    /// renamed one's is forgotten (`events`).
    pub aliases: HashMap<(HostName, String), ContainerId>,
    losses: HashMap<Key, HistoryLoss>,
    loss_order: VecDeque<Key>,
}

impl Registry {
    /// The series `id` (a full id, or an alias already resolved) names.
    pub fn find(&self, host: &HostName, id: &ContainerId) -> Option<Arc<Series>> {
        let full = if id.is_full() { id } else { self.aliases.get(&(host.clone(), id.as_str().to_string()))? };
        self.series.get(&(host.clone(), full.clone())).cloned()
    }

    /// Why the history of `key` was dropped last, if it was; forgets it.
    pub fn take_loss(&mut self, key: &Key) -> Option<HistoryLoss> {
        self.losses.remove(key)
    }

    fn remember_loss(&mut self, key: Key, why: HistoryLoss) {
        if self.losses.insert(key.clone(), why).is_none() {
            self.loss_order.push_back(key);
            if self.loss_order.len() > MAX_LOSSES
                && let Some(old) = self.loss_order.pop_front()
            {
                self.losses.remove(&old);
            }
        }
    }

    /// Stops the collector, frees the history and remembers why.
    pub fn drop_series(&mut self, key: &Key, why: HistoryLoss) {
        if let Some(series) = self.series.remove(key) {
            series.stop();
            self.forget_aliases_of(&key.0, &key.1);
            self.remember_loss(key.clone(), why);
        }
    }

    /// The names and short ids that pointed at this container no longer do.
    pub fn forget_aliases_of(&mut self, host: &HostName, full: &ContainerId) {
        self.aliases.retain(|(h, _), id| !(h == host && id == full));
    }
}
