//! Long history: every sample any tier takes (the fleet's, or a watched
//! container's 1 s ones) also feeds four aggregated tiers per container,
//! sized for what a chart about 1200 px wide can show:
//!
//! | tier | bucket | kept | buckets |
//! |---|---|---|---|
//! | T1 | 10 s | 6 h | 2160 |
//! | T2 | 1 min | 24 h | 1440 |
//! | T3 | 10 min | 7 d | 1008 |
//! | T4 | 1 h | 30 d | 720 |
//!
//! (T0, the 1 s points, is the watched container's own ring.) Each sample
//! feeds every tier's filling bucket directly from the exact sums, so a
//! month-old average is as exact as a minute-old one. A container keeps
//! its history across a re-creation under the same compose project and
//! service, or the same name; `BINNACLE_HISTORY_MAX_CONTAINERS` caps how
//! many have one (the one seen longest ago goes), and one unseen for 35
//! days expires. [`persist`] writes it all to one file.

pub mod persist;
#[cfg(test)]
mod tests;
pub(crate) mod tier;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use wire::{ContainerId, HistoryColumns, HistoryRange, HostName, Marker, MarkerKind};

use crate::metrics::formulas::{Outcome, RawStats, compute, finite, memory_used};
pub use crate::metrics::now_ms;
use tier::{Interval, Tier};

/// The tiers: bucket (ms) and how many are kept.
pub const TIERS: [(i64, usize); 4] = [(10_000, 2160), (60_000, 1440), (600_000, 1008), (3_600_000, 720)];

/// Two samples further apart than this are not averaged over: the time
/// between them is a gap (the collection stopped, or Binnacle did).
const MAX_SPAN_MS: i64 = 120_000;

/// Lifecycle events kept per container, oldest dropped first.
pub(crate) const MAX_MARKERS: usize = 256;

/// A new container takes over an identity (compose service or name) only
/// from a holder that stopped, or that was not sampled for this long: two
/// running containers never trade one history back and forth.
const TAKEOVER_AFTER_MS: i64 = 120_000;

/// An event time further than this from Binnacle's clock (a skewed remote
/// engine) is placed at the time it arrived.
const MAX_EVENT_SKEW_MS: i64 = 600_000;

#[derive(Debug, Clone)]
pub struct HistoryConfig {
    /// Containers with a long history, at most (the one seen longest ago goes).
    pub max_containers: usize,
    /// A container not seen for this long loses its history.
    pub expire_after: Duration,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig { max_containers: 500, expire_after: Duration::from_secs(35 * 24 * 3600) }
    }
}

/// One container's long history (kept under its identity).
pub(crate) struct Container {
    pub host: HostName,
    pub identity: String,
    /// The container that has the identity now.
    pub id: ContainerId,
    pub last_seen_ms: i64,
    prev: Option<RawStats>,
    pub tiers: [Tier; 4],
    pub markers: VecDeque<Marker>,
    last_event_nanos: i64,
    /// The holder runs (sampled since it last stopped).
    running: bool,
}

impl Container {
    pub(crate) fn new(host: HostName, identity: String, id: ContainerId, now_ms: i64) -> Container {
        Container {
            host,
            identity,
            id,
            last_seen_ms: now_ms,
            prev: None,
            tiers: TIERS.map(|(res, len)| Tier::new(res, len)),
            markers: VecDeque::new(),
            last_event_nanos: 0,
            running: false,
        }
    }

    pub(crate) fn mark(&mut self, kind: MarkerKind, t_ms: i64, exit_code: Option<i64>) {
        for t in &mut self.tiers {
            t.flag_event(t_ms);
        }
        while self.markers.len() >= MAX_MARKERS {
            self.markers.pop_front();
        }
        self.markers.push_back(Marker { kind, t_ms, before_seq: 0, exit_code });
    }

    /// Takes one sample. Its place in time is when it arrived (`now_ms`,
    /// Binnacle's clock, which the charts use too); the engine's own times
    /// only measure the interval since the previous sample, so a remote
    /// engine with a skewed clock files its samples in the right buckets.
    fn ingest(&mut self, raw: &RawStats, now_ms: i64) {
        let Some(t_ms) = raw.read_ms else {
            self.prev = None; // a stopped container's frame
            return;
        };
        self.running = true;
        let prev_t = self.prev.as_ref().and_then(|p| p.read_ms);
        if let Some(p) = prev_t
            && t_ms <= p
        {
            if p - t_ms > MAX_SPAN_MS {
                self.prev = None; // the engine's clock went back: start over
            }
            return; // a late answer: nothing new
        }
        let span = prev_t.map(|p| t_ms - p).filter(|d| *d <= MAX_SPAN_MS);
        let prev = self.prev.take().filter(|_| span.is_some());
        if let Some(span) = span
            && let Outcome::Point { point, baseline: false } = compute(prev.as_ref(), raw)
        {
            let rate = |v: f32| finite(v).map(f64::from);
            let iv = Interval {
                from_ms: now_ms - span,
                to_ms: now_ms,
                cpu_pct: rate(point.cpu_pct),
                rates: [
                    rate(point.net_rx_bps),
                    rate(point.net_tx_bps),
                    rate(point.blk_read_bps),
                    rate(point.blk_write_bps),
                ],
            };
            for t in &mut self.tiers {
                t.add_interval(&iv);
            }
        }
        if let Some(bytes) = memory_used(raw) {
            // Weighted by the time it stands for, so minutes sampled every
            // second count no more than minutes sampled every 10 s.
            let weight = span.unwrap_or(1000).max(1) as f64;
            for t in &mut self.tiers {
                t.add_memory(now_ms, bytes as f64 / 1024.0, weight);
            }
        }
        let mut keep = raw.clone();
        keep.net_interfaces = Vec::new();
        self.prev = Some(keep);
    }
}

#[derive(Default)]
pub(crate) struct Inner {
    pub containers: HashMap<(HostName, String), Container>,
    /// Which identity each container id has (learned from the list and
    /// from a container's details).
    pub ids: HashMap<(HostName, ContainerId), String>,
}

/// Every container's long history.
pub struct History {
    config: HistoryConfig,
    pub(crate) inner: Mutex<Inner>,
}

/// What a container is across re-creations: its compose project, service
/// and number when it has them, else its name.
pub fn identity_of(name: &str, labels: &[(String, String)]) -> String {
    let label = |k: &str| labels.iter().find(|(l, _)| l == k).map(|(_, v)| v.as_str());
    let oneoff = label("com.docker.compose.oneoff").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    match (
        label("com.docker.compose.project"),
        label("com.docker.compose.service"),
        label("com.docker.compose.container-number"),
    ) {
        (Some(p), Some(s), Some(n)) if !oneoff => format!("compose:{p}/{s}/{n}"),
        // `compose run` containers, and anything else: by name.
        _ => format!("name:{}", name.trim_start_matches('/')),
    }
}

fn fallback_identity(id: &ContainerId) -> String {
    format!("id:{id}")
}

impl History {
    pub fn new(config: HistoryConfig) -> History {
        History { config, inner: Mutex::new(Inner::default()) }
    }

    pub fn config(&self) -> &HistoryConfig {
        &self.config
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Containers with a long history.
    pub fn len(&self) -> usize {
        self.lock().containers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Tells which identity container `id` has. A new container taking an
    /// identity whose history belongs to another one, which stopped or was
    /// not sampled for 2 minutes, continues that history, with a
    /// `recreated` marker.
    pub fn learn(&self, host: &HostName, id: &ContainerId, name: &str, labels: &[(String, String)], now_ms: i64) {
        let identity = identity_of(name, labels);
        let mut inner = self.lock();
        let key = (host.clone(), id.clone());
        let slot = (host.clone(), identity.clone());
        let holder = inner.containers.get(&slot).map(|c| (&c.id == id, c.running, c.last_seen_ms));
        if inner.ids.get(&key) == Some(&identity) && holder.is_none_or(|(own, _, _)| own) {
            return;
        }
        let free = holder.is_none_or(|(own, running, seen)| own || !running || now_ms - seen > TAKEOVER_AFTER_MS);
        if !free {
            // The identity's holder still runs: this one waits (its samples are not kept).
            inner.ids.insert(key, identity);
            return;
        }
        // A history kept under the id alone (samples came first) moves to the identity.
        let orphan = inner.containers.remove(&(host.clone(), fallback_identity(id)));
        inner.ids.insert(key, identity.clone());
        match inner.containers.get_mut(&slot) {
            Some(c) if &c.id != id => {
                c.id = id.clone();
                c.prev = None;
                c.running = false;
                c.last_seen_ms = now_ms;
                c.mark(MarkerKind::Recreated, now_ms, None);
            }
            Some(_) => {}
            None => {
                if let Some(mut c) = orphan {
                    c.identity = identity.clone();
                    inner.containers.insert((host.clone(), identity), c);
                }
            }
        }
    }

    fn identity(inner: &Inner, host: &HostName, id: &ContainerId) -> String {
        inner.ids.get(&(host.clone(), id.clone())).cloned().unwrap_or_else(|| fallback_identity(id))
    }

    /// One sample of a container, as read.
    pub fn ingest(&self, host: &HostName, id: &ContainerId, raw: &RawStats, now_ms: i64) {
        let mut inner = self.lock();
        let identity = Self::identity(&inner, host, id);
        let key = (host.clone(), identity);
        if !inner.containers.contains_key(&key) {
            if raw.read_ms.is_none() {
                return;
            }
            self.make_room(&mut inner);
            let c = Container::new(host.clone(), key.1.clone(), id.clone(), now_ms);
            inner.containers.insert(key.clone(), c);
        }
        let Some(c) = inner.containers.get_mut(&key) else { return };
        if &c.id != id {
            // Two containers share an identity (a name reused while the
            // old one still runs): the current holder's history only.
            return;
        }
        c.last_seen_ms = now_ms;
        c.ingest(raw, now_ms);
    }

    /// A lifecycle event of a container that has a history.
    pub fn on_event(
        &self,
        host: &HostName,
        id: &ContainerId,
        action: &str,
        time_nanos: i64,
        exit_code: Option<i64>,
        now_ms: i64,
    ) {
        let kind = match action {
            "start" => MarkerKind::Start,
            "die" => MarkerKind::Stop,
            "oom" => MarkerKind::Oom,
            "pause" => MarkerKind::Pause,
            "unpause" => MarkerKind::Unpause,
            "destroy" => MarkerKind::Removed,
            _ => return,
        };
        let mut inner = self.lock();
        let identity = Self::identity(&inner, host, id);
        let Some(c) = inner.containers.get_mut(&(host.clone(), identity)) else { return };
        if &c.id != id || (time_nanos != 0 && time_nanos <= c.last_event_nanos) {
            return;
        }
        c.last_event_nanos = c.last_event_nanos.max(time_nanos);
        if matches!(kind, MarkerKind::Stop | MarkerKind::Start) {
            c.prev = None;
        }
        if matches!(kind, MarkerKind::Stop | MarkerKind::Removed) {
            c.running = false;
        }
        let t_ms = match time_nanos / 1_000_000 {
            t if t > 0 && (t - now_ms).abs() <= MAX_EVENT_SKEW_MS => t,
            _ => now_ms,
        };
        c.mark(kind, t_ms, if kind == MarkerKind::Stop { exit_code } else { None });
    }

    /// Makes room for one more container.
    fn make_room(&self, inner: &mut Inner) {
        while inner.containers.len() >= self.config.max_containers.max(1) {
            let Some(oldest) = inner.containers.iter().min_by_key(|(_, c)| c.last_seen_ms).map(|(k, _)| k.clone())
            else {
                break;
            };
            inner.containers.remove(&oldest);
        }
    }

    /// Drops the histories of containers unseen for `expire_after`, and
    /// the identities nobody holds any more. Returns how many went.
    pub fn expire(&self, now_ms: i64) -> usize {
        let cutoff = now_ms - self.config.expire_after.as_millis() as i64;
        let mut inner = self.lock();
        let before = inner.containers.len();
        inner.containers.retain(|_, c| c.last_seen_ms >= cutoff);
        let Inner { containers, ids } = &mut *inner;
        ids.retain(|(h, id), identity| {
            containers.get(&(h.clone(), identity.clone())).is_some_and(|c| &c.id == id)
                || containers.contains_key(&(h.clone(), fallback_identity(id)))
        });
        before - inner.containers.len()
    }

    /// Marks every history with a `server_restart` at `t_ms` (after loading).
    pub fn mark_restart(&self, t_ms: i64) {
        for c in self.lock().containers.values_mut() {
            c.prev = None;
            c.mark(MarkerKind::ServerRestart, t_ms, None);
        }
    }

    /// The buckets of `range`'s tier for the window ending at `now_ms`,
    /// from `cursor` (a bucket index) when given; None for a live range or
    /// a container without a long history.
    pub fn read(
        &self,
        host: &HostName,
        id: &ContainerId,
        range: HistoryRange,
        cursor: Option<i64>,
        now_ms: i64,
    ) -> Option<HistoryColumns> {
        let (first, newest) = window(range, cursor, now_ms)?;
        self.buckets(host, id, range, first, newest)
    }

    /// What [`History::read`] gives a container nothing was kept of yet:
    /// the same window, every bucket a gap. None for a live range.
    pub fn empty(range: HistoryRange, cursor: Option<i64>, now_ms: i64) -> Option<HistoryColumns> {
        let (first, last) = window(range, cursor, now_ms)?;
        let res = range.resolution_ms()?;
        let n = (last - first + 1) as usize;
        Some(HistoryColumns {
            resolution_ms: res,
            first_bucket: first,
            next_cursor: last,
            cpu_min: vec![None; n],
            cpu_avg: vec![None; n],
            cpu_max: vec![None; n],
            mem_min_kib: vec![None; n],
            mem_avg_kib: vec![None; n],
            mem_max_kib: vec![None; n],
            net_rx_bps: vec![None; n],
            net_tx_bps: vec![None; n],
            blk_read_bps: vec![None; n],
            blk_write_bps: vec![None; n],
            events: vec![],
            markers: vec![],
        })
    }

    /// The buckets of `range` between `from_ms` and `to_ms` (for export).
    pub fn read_window(
        &self,
        host: &HostName,
        id: &ContainerId,
        range: HistoryRange,
        from_ms: i64,
        to_ms: i64,
    ) -> Option<HistoryColumns> {
        let res = range.resolution_ms()? as i64;
        let (first, last) = (from_ms.div_euclid(res), to_ms.div_euclid(res));
        // At most the tier's length, the newest buckets first.
        let first = first.max(last - range.span_ms() / res + 1);
        self.buckets(host, id, range, first, last)
    }

    /// Buckets `first..=last` of `range`'s tier for a container.
    fn buckets(
        &self,
        host: &HostName,
        id: &ContainerId,
        range: HistoryRange,
        first: i64,
        last: i64,
    ) -> Option<HistoryColumns> {
        let res = range.resolution_ms()? as i64;
        let tier = TIERS.iter().position(|(r, _)| *r == res)?;
        let inner = self.lock();
        let identity = Self::identity(&inner, host, id);
        let c = inner.containers.get(&(host.clone(), identity))?;
        Some(columns(&c.tiers[tier], c, first, last))
    }
}

/// The buckets `range` shows at `now_ms`, from `cursor` when given (kept
/// within the window): first and last bucket index.
fn window(range: HistoryRange, cursor: Option<i64>, now_ms: i64) -> Option<(i64, i64)> {
    let res = range.resolution_ms()? as i64;
    let newest = now_ms.div_euclid(res);
    let window_first = newest - range.span_ms() / res + 1;
    Some((cursor.map_or(window_first, |cur| cur.clamp(window_first, newest)), newest))
}

fn columns(t: &Tier, c: &Container, first: i64, last: i64) -> HistoryColumns {
    let res = t.resolution_ms;
    // The next read starts at the bucket still filling (a sample that
    // closes an interval after a boundary adds to the bucket before it).
    let next_cursor = t.filling().map_or(last, |f| f.clamp(first, last));
    let mut out = HistoryColumns { resolution_ms: res as u32, first_bucket: first, next_cursor, ..Default::default() };
    let round1 = |v: f64| ((v * 10.0).round() / 10.0) as f32;
    for b in first..=last {
        let a = t.get(b).unwrap_or_default();
        for (i, col) in [&mut out.cpu_min, &mut out.cpu_avg, &mut out.cpu_max].into_iter().enumerate() {
            col.push(a.cpu(i).map(round1));
        }
        for (i, col) in [&mut out.mem_min_kib, &mut out.mem_avg_kib, &mut out.mem_max_kib].into_iter().enumerate() {
            col.push(a.mem_kib(i).map(|v| v.round().min(u32::MAX as f64) as u32));
        }
        for (i, col) in [&mut out.net_rx_bps, &mut out.net_tx_bps, &mut out.blk_read_bps, &mut out.blk_write_bps]
            .into_iter()
            .enumerate()
        {
            col.push(a.rate(i).map(|v| v.round() as u64));
        }
        if a.has_event() {
            out.events.push((b - first) as u32);
        }
    }
    let (from_ms, to_ms) = (first * res, (last + 1) * res);
    out.markers = c
        .markers
        .iter()
        .filter(|m| (from_ms..to_ms).contains(&m.t_ms))
        .map(|m| Marker { before_seq: m.t_ms.div_euclid(res).max(0) as u64, ..m.clone() })
        .collect();
    out
}

/// A history of `containers` containers on host `local` with every bucket
/// of every tier filled, ending at `now_ms` (for the memory test and the
/// benchmark): samples every hour for 30 days, then every 10 minutes,
/// every minute and every 10 seconds as the tiers get finer.
#[doc(hidden)]
pub fn synthetic(containers: usize, now_ms: i64) -> History {
    let h = History::new(HistoryConfig { max_containers: containers.max(1), ..Default::default() });
    let host = HostName::parse("local").unwrap_or_else(|_| unreachable!());
    const MIN: i64 = 60_000;
    let steps =
        [(30 * 24 * 60 * MIN, 60 * MIN), (7 * 24 * 60 * MIN, 10 * MIN), (24 * 60 * MIN, MIN), (6 * 60 * MIN, 10_000)];
    for n in 0..containers {
        let Ok(id) = ContainerId::parse(&format!("{n:064x}")) else { continue };
        h.learn(&host, &id, &format!("synthetic-{n}"), &[], now_ms - 30 * 24 * 60 * MIN);
        let (mut cpu, mut net) = (0u64, 0u64);
        for (i, (back, step)) in steps.iter().enumerate() {
            let until = steps.get(i + 1).map_or(now_ms, |(b, _)| now_ms - b);
            let mut t = (now_ms - back).div_euclid(*step) * step;
            while t < until {
                cpu += (*step as u64) * 300_000; // 30 % of a core
                net += (*step as u64) * 2;
                let raw = RawStats {
                    read_ms: Some(t),
                    cpu_total_ns: Some(cpu),
                    system_cpu_ns: Some(t as u64 * 4_000_000),
                    online_cpus: Some(4),
                    mem_usage: Some((64 << 20) + ((t / *step) as u64 % 97) * 4096),
                    net_rx_bytes: Some(net),
                    net_tx_bytes: Some(net / 3),
                    blk_read_bytes: Some(0),
                    blk_write_bytes: Some(net / 5),
                    ..Default::default()
                };
                h.ingest(&host, &id, &raw, t);
                t += step;
            }
        }
    }
    h
}
