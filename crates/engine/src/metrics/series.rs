//! One watched container: its ring of points, lifecycle markers, state, and
//! the handle of its collector.
//!
//! Locking: one std `Mutex` per series (and one for the registry); neither is
//! ever held across an `.await`.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::Notify;
use tokio::time::Instant;
use wire::{ContainerId, HistoryLoss, HostName, Marker, MarkerKind, RunState};

use super::formulas::{Outcome, Point, RawStats, compute};
use super::ring::RingBuffer;

/// Markers kept per container, oldest dropped first.
const MAX_MARKERS: usize = 512;

pub(crate) type Key = (HostName, ContainerId);

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}

pub(crate) struct SeriesData {
    pub points: RingBuffer<Point>,
    pub markers: VecDeque<Marker>,
    pub state: RunState,
    /// The previous sample, kept to compute CPU and rates from the next.
    pub prev: Option<RawStats>,
    pub last_read: Instant,
    pub memory_limit: Option<u64>,
    pub host_memory: Option<u64>,
    pub online_cpus: Option<u32>,
    /// The memory series includes the page cache (the engine gives nothing to subtract).
    pub memory_includes_cache: bool,
    pub history_loss: Option<HistoryLoss>,
    /// Newest event applied, to ignore replays after a reconnect.
    pub last_event_nanos: i64,
    /// An `oom` event came; the next `die` was an OOM kill.
    pub oom_pending: bool,
}

impl SeriesData {
    /// `last_event_nanos`: events at or before it are already reflected in
    /// `state` (the engine's own time of the current run's start or end).
    pub fn new(
        capacity: usize,
        state: RunState,
        memory_limit: Option<u64>,
        history_loss: Option<HistoryLoss>,
        last_event_nanos: i64,
    ) -> Self {
        SeriesData {
            points: RingBuffer::new(capacity.max(1)),
            markers: VecDeque::new(),
            state,
            prev: None,
            last_read: Instant::now(),
            memory_limit,
            host_memory: None,
            online_cpus: None,
            memory_includes_cache: false,
            history_loss,
            last_event_nanos,
            oom_pending: false,
        }
    }

    /// Places a marker before the next point.
    pub fn mark(&mut self, kind: MarkerKind, t_ms: i64, exit_code: Option<i64>) {
        if self.markers.len() == MAX_MARKERS {
            self.markers.pop_front();
        }
        let before_seq = self.points.next_seq();
        self.markers.push_back(Marker { kind, t_ms, before_seq, exit_code });
    }

    /// Turns one sample into a point (or nothing), keeping it for the next.
    pub fn ingest(&mut self, raw: RawStats) -> Ingested {
        if !self.state.has_process() {
            return Ingested::Ignored; // a sample that raced a stop: not data
        }
        if let Some(cpus) = raw.online_cpus {
            self.online_cpus = Some(cpus);
        }
        if raw.read_ms.is_some() {
            self.memory_includes_cache = raw.memory_includes_cache;
        }
        if raw.mem_limit.is_some() && self.memory_limit.is_none() {
            self.host_memory = raw.mem_limit;
        }
        match compute(self.prev.as_ref(), &raw) {
            Outcome::NotData => {
                self.prev = None;
                Ingested::NotData
            }
            Outcome::Stale => Ingested::Ignored,
            Outcome::Point { point, .. } => {
                self.points.push(point);
                self.prev = Some(raw);
                Ingested::Point(point)
            }
        }
    }

    /// Read within the watch grace: collected every second.
    pub fn watched(&self) -> bool {
        self.last_read.elapsed() < super::config::WATCH_GRACE
    }
}

/// What a sample became.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Ingested {
    Point(Point),
    /// A stopped container's frame.
    NotData,
    /// Nothing new, or not running.
    Ignored,
}

pub(crate) struct Series {
    pub key: Key,
    /// Changes whenever this container's history is recreated.
    pub epoch: u64,
    pub data: Mutex<SeriesData>,
    /// Wakes the collector early: a start, a stop, a removal.
    pub wake: Notify,
    pub collector: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Series {
    pub fn data(&self) -> MutexGuard<'_, SeriesData> {
        lock(&self.data)
    }

    /// Running and read within the watch grace: its own collector samples it every second.
    pub fn watched(&self) -> bool {
        let d = self.data();
        d.state.has_process() && d.watched()
    }

    pub fn removed(&self) -> bool {
        self.data().state == RunState::Removed
    }

    pub fn stop(&self) {
        if let Some(handle) = lock(&self.collector).take() {
            handle.abort();
        }
    }
}
