//! The fleet tier: live numbers for every running container of a host while
//! anyone has the list open. Each host is sampled by one pacer at
//! `BINNACLE_FLEET_INTERVAL`, stretched so as not to exceed
//! `BINNACLE_FLEET_MAX_RATE` requests a second: on Docker before 25, where
//! a one-shot request waits for the daemon's next collection round anyway,
//! a round goes out as one burst; on Docker 25 and later and on Podman, the
//! requests are spread over the interval. Nobody looking for
//! `BINNACLE_FLEET_IDLE_TIMEOUT` stops it: then no requests at all.
//!
//! A container whose Stats tab is open is sampled every second by its own
//! collector; those samples feed the fleet too, so no container is ever
//! sampled twice. Values are averages over the interval from the counters,
//! and the sparkline keeps the last ten minutes in buckets of the interval
//! (CPU as the bucket's maximum, so a spike shows).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use wire::{ContainerId, FleetStats, HostName};

use super::formulas::{Outcome, Point, RawStats, compute, memory_used};
use super::series::{Key, lock};

/// The fleet's settings (see the README's table).
#[derive(Debug, Clone)]
pub struct FleetConfig {
    pub interval: Duration,
    /// Requests per second per host, at most (the interval stretches).
    pub max_rate: f64,
    pub idle_timeout: Duration,
    /// How far back the sparkline goes.
    pub window: Duration,
    /// Sample even when nobody has the list open (the Prometheus endpoint is on).
    pub always_on: bool,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            interval: Duration::from_secs(10),
            max_rate: 5.0,
            idle_timeout: Duration::from_secs(600),
            window: Duration::from_secs(600),
            always_on: false,
        }
    }
}

impl FleetConfig {
    /// The interval for `containers` containers: stretched so that a round
    /// asks at most `max_rate` requests a second on average.
    pub fn effective_interval(&self, containers: usize) -> Duration {
        let needed = Duration::from_secs_f64(containers as f64 / self.max_rate.max(0.01));
        self.interval.max(needed)
    }
}

/// How a round's requests go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// All at once: the engine answers a one-shot request at its next
    /// collection round (Docker before 25), so one burst costs one round.
    Burst,
    /// Evenly over the interval (Docker 25 and later, Podman).
    Spread,
}

impl Pacing {
    /// From the engine's product and version ("20.10.24+dfsg1", "26.1.5").
    pub fn for_engine(podman: bool, version: Option<&str>) -> Pacing {
        let major = version.and_then(|v| v.split('.').next()).and_then(|m| m.parse::<u32>().ok());
        match (podman, major) {
            (false, Some(m)) if m < 25 => Pacing::Burst,
            _ => Pacing::Spread,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Pacing::Burst => "burst",
            Pacing::Spread => "spread",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    start_ms: i64,
    cpu_max: Option<f32>,
    mem_kib: Option<u32>,
}

#[derive(Default)]
struct Entry {
    /// The sample the current average starts from.
    base: Option<RawStats>,
    latest: Option<FleetStats>,
    buckets: VecDeque<Bucket>,
    mem_limit: Option<u64>,
    /// The latest sample as read, with its cumulative counters (for export).
    raw: Option<RawStats>,
    /// When `raw` arrived, on this machine's clock (a remote engine's
    /// clock may be off).
    received_ms: i64,
    /// OOM kills seen in the events since Binnacle started, and the time
    /// of the last one (an events stream resumed after a drop repeats the
    /// last second).
    oom_events: u64,
    last_oom_nanos: i64,
    /// When the container last started, seconds since the epoch.
    started_at_s: Option<f64>,
}

/// What the Prometheus export shows of one container: its latest sample,
/// its OOM kills and when it started.
#[derive(Debug, Clone)]
pub struct ExportSample {
    pub raw: RawStats,
    pub mem_limit: Option<u64>,
    pub oom_events: u64,
    pub started_at_s: Option<f64>,
}

/// Every host's fleet numbers, and whether anyone looks.
pub struct Fleet {
    pub(crate) config: FleetConfig,
    entries: Mutex<HashMap<Key, Entry>>,
    last_view: Mutex<Option<Instant>>,
    /// A view after a quiet time wakes the pacers.
    pub(crate) viewed: Notify,
    /// Per host: the interval in effect and the pacing, for the list.
    pub(crate) pace: Mutex<HashMap<HostName, (Duration, Pacing)>>,
    /// Stats requests the pacers made (for tests and health).
    pub(crate) requests: std::sync::atomic::AtomicU64,
    /// Every sample also feeds the long history.
    pub history: std::sync::Arc<crate::history::History>,
}

impl Fleet {
    pub fn new(config: FleetConfig) -> Self {
        Self::with_history(config, Default::default())
    }

    pub fn with_history(config: FleetConfig, history: crate::history::HistoryConfig) -> Self {
        Fleet {
            history: std::sync::Arc::new(crate::history::History::new(history)),
            config,
            entries: Mutex::new(HashMap::new()),
            last_view: Mutex::new(None),
            viewed: Notify::new(),
            pace: Mutex::new(HashMap::new()),
            requests: Default::default(),
        }
    }

    /// Someone looks at the list (or another reader needs the numbers).
    pub fn touch(&self) {
        let was_active = self.active();
        *lock(&self.last_view) = Some(Instant::now());
        if !was_active {
            self.viewed.notify_waiters();
        }
    }

    /// Whether anyone looked within the idle timeout (or the export is on).
    pub fn active(&self) -> bool {
        self.config.always_on || lock(&self.last_view).is_some_and(|t| t.elapsed() < self.config.idle_timeout)
    }

    /// Takes one sample of a container: `point` is given when it comes from
    /// the container's own 1 s collector (its CPU feeds the bucket maximum).
    pub fn ingest(&self, key: &Key, raw: &RawStats, point: Option<&Point>, mem_limit: Option<u64>) {
        self.history.ingest(&key.0, &key.1, raw, super::series::now_ms());
        let mut entries = lock(&self.entries);
        let e = entries.entry(key.clone()).or_default();
        if mem_limit.is_some() {
            e.mem_limit = mem_limit;
        }
        let Some(t_ms) = raw.read_ms else {
            // A stopped container's frame: nothing is current any more.
            e.base = None;
            e.latest = None;
            e.raw = None;
            return;
        };
        // A late answer (another reader's request that came back after a
        // newer one) never replaces a newer sample: exported counters only
        // go back when the container restarts.
        if e.raw.as_ref().and_then(|r| r.read_ms).is_none_or(|previous| t_ms >= previous) {
            e.raw = Some(raw.clone());
            e.received_ms = super::series::now_ms();
        }
        let interval_ms = self.config.interval.as_millis() as i64;
        let due = e.base.as_ref().and_then(|b| b.read_ms).is_none_or(|b| t_ms - b >= interval_ms * 19 / 20);
        // CPU of this very sample, for the bucket's maximum.
        let mut spot_cpu = point.and_then(Point::cpu);
        let mut latest = e.latest.clone().unwrap_or_default();
        latest.mem_bytes = memory_used(raw);
        latest.mem_limit = e.mem_limit;
        latest.mem_includes_cache = raw.memory_includes_cache;
        latest.online_cpus = raw.online_cpus.or(latest.online_cpus);
        latest.at_ms = t_ms;
        // No reading to average from yet: the engine's previous one, when
        // it sent it, gives a first value over its last second.
        let first = if e.base.is_none() { raw.previous() } else { None };
        if due {
            match compute(e.base.as_ref().or(first.as_ref()), raw) {
                Outcome::Point { point: avg, baseline: false } => {
                    latest.cpu_pct = avg.cpu();
                    latest.net_rx_bps = super::formulas::finite(avg.net_rx_bps);
                    latest.net_tx_bps = super::formulas::finite(avg.net_tx_bps);
                    if let Some(c) = avg.cpu() {
                        spot_cpu = Some(spot_cpu.map_or(c, |s| s.max(c)));
                    }
                    e.base = Some(raw.clone());
                }
                Outcome::Point { baseline: true, .. } => {
                    // First sample, or the counters started over (a restart): no spike.
                    latest.cpu_pct = None;
                    latest.net_rx_bps = None;
                    latest.net_tx_bps = None;
                    e.base = Some(raw.clone());
                }
                Outcome::Stale | Outcome::NotData => {}
            }
        }
        let bucket_start = t_ms.div_euclid(interval_ms.max(1)) * interval_ms.max(1);
        let mem_kib = latest.mem_bytes.map(|b| b.div_ceil(1024).min(u32::MAX as u64) as u32);
        match e.buckets.back_mut() {
            Some(b) if b.start_ms == bucket_start => {
                b.cpu_max = match (b.cpu_max, spot_cpu) {
                    (Some(a), Some(c)) => Some(a.max(c)),
                    (a, c) => a.or(c),
                };
                b.mem_kib = mem_kib.or(b.mem_kib);
            }
            _ => e.buckets.push_back(Bucket { start_ms: bucket_start, cpu_max: spot_cpu, mem_kib }),
        }
        let window_ms = self.config.window.as_millis() as i64;
        while e.buckets.front().is_some_and(|b| b.start_ms <= t_ms - window_ms) {
            e.buckets.pop_front();
        }
        e.latest = Some(latest);
    }

    /// A lifecycle event: counts OOM kills, notes start times.
    pub fn on_event(&self, key: &Key, action: &str, time_nanos: i64) {
        let mut entries = lock(&self.entries);
        match action {
            "oom" => {
                let e = entries.entry(key.clone()).or_default();
                if time_nanos <= 0 || time_nanos > e.last_oom_nanos {
                    e.oom_events += 1;
                    e.last_oom_nanos = e.last_oom_nanos.max(time_nanos);
                }
            }
            "start" if time_nanos > 0 => {
                entries.entry(key.clone()).or_default().started_at_s = Some(time_nanos as f64 / 1e9);
            }
            _ => {}
        }
    }

    /// Whether the container's start time is known.
    pub fn knows_start(&self, key: &Key) -> bool {
        lock(&self.entries).get(key).is_some_and(|e| e.started_at_s.is_some())
    }

    pub fn set_started_at(&self, key: &Key, started_at_s: f64) {
        lock(&self.entries).entry(key.clone()).or_default().started_at_s = Some(started_at_s);
    }

    /// Every container's latest sample received no longer than its host's
    /// `max_age_ms` before `now_ms` (this machine's clock), for the export
    /// (nothing is asked of any engine).
    pub fn export(&self, now_ms: i64, max_age_ms: impl Fn(&HostName) -> i64) -> Vec<(Key, ExportSample)> {
        lock(&self.entries)
            .iter()
            .filter_map(|(k, e)| {
                let raw = e.raw.as_ref()?;
                (now_ms - e.received_ms <= max_age_ms(&k.0)).then(|| {
                    let sample = ExportSample {
                        raw: raw.clone(),
                        mem_limit: e.mem_limit,
                        oom_events: e.oom_events,
                        started_at_s: e.started_at_s,
                    };
                    (k.clone(), sample)
                })
            })
            .collect()
    }

    /// Whether the fleet has a reading of the container to average from.
    pub fn has_base(&self, key: &Key) -> bool {
        lock(&self.entries).get(key).is_some_and(|e| e.base.is_some())
    }

    /// Forgets a container (removed, or no longer running on its host).
    pub fn forget(&self, key: &Key) {
        lock(&self.entries).remove(key);
    }

    /// Forgets the containers of `host` that are not in `existing`, and the
    /// current numbers of those not `running` (their counts of OOM kills and
    /// start times stay until they are removed).
    pub fn retain(
        &self,
        host: &HostName,
        existing: &std::collections::HashSet<ContainerId>,
        running: &std::collections::HashSet<ContainerId>,
    ) {
        let mut entries = lock(&self.entries);
        entries.retain(|(h, id), _| h != host || existing.contains(id));
        for ((h, id), e) in entries.iter_mut() {
            if h == host && !running.contains(id) {
                e.base = None;
                e.latest = None;
                e.raw = None;
            }
        }
    }

    /// The numbers of one container, with its sparkline over the window
    /// (empty buckets as gaps), as of `now_ms`.
    pub fn stats(&self, key: &Key, now_ms: i64) -> Option<FleetStats> {
        let entries = lock(&self.entries);
        let e = entries.get(key)?;
        let mut stats = e.latest.clone()?;
        let interval_ms = self.config.interval.as_millis().max(1) as i64;
        let slots = (self.config.window.as_millis() as i64 / interval_ms).max(1) as usize;
        let newest = now_ms.div_euclid(interval_ms) * interval_ms;
        let mut cpu = vec![None; slots];
        let mut mem = vec![None; slots];
        for b in &e.buckets {
            let age = (newest - b.start_ms) / interval_ms;
            if (0..slots as i64).contains(&age) {
                let i = slots - 1 - age as usize;
                cpu[i] = b.cpu_max.map(|v| (v * 10.0).round() / 10.0);
                mem[i] = b.mem_kib;
            }
        }
        stats.spark_cpu = cpu;
        stats.spark_mem_kib = mem;
        stats.bucket_ms = interval_ms as u32;
        Some(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::formulas::PreCpu;

    fn key() -> Key {
        (HostName::parse("local").unwrap(), ContainerId::parse(&"a".repeat(64)).unwrap())
    }

    fn sample(t_s: i64, cpu_s: f64, mem_mib: u64) -> RawStats {
        RawStats {
            read_ms: Some(1_800_000_000_000 + t_s * 1000),
            cpu_total_ns: Some((cpu_s * 1e9) as u64),
            system_cpu_ns: Some(t_s as u64 * 2_000_000_000),
            online_cpus: Some(2),
            mem_usage: Some(mem_mib << 20),
            mem_inactive_file: Some(0),
            net_rx_bytes: Some(t_s as u64 * 100),
            ..Default::default()
        }
    }

    fn now(t_s: i64) -> i64 {
        1_800_000_000_000 + t_s * 1000
    }

    #[test]
    fn the_cpu_is_the_average_over_the_interval_from_the_counters() {
        let f = Fleet::new(FleetConfig::default());
        f.ingest(&key(), &sample(0, 0.0, 10), None, None);
        assert_eq!(f.stats(&key(), now(0)).unwrap().cpu_pct, None, "one sample: no CPU yet");
        f.ingest(&key(), &sample(10, 5.0, 12), None, None);
        let s = f.stats(&key(), now(10)).unwrap();
        assert_eq!(s.cpu_pct, Some(50.0), "5 s of CPU in 10 s");
        assert_eq!(s.mem_bytes, Some(12 << 20));
        assert_eq!(s.net_rx_bps, Some(100.0));
    }

    #[test]
    fn the_engines_previous_reading_gives_a_first_value_at_once() {
        let f = Fleet::new(FleetConfig::default());
        let mut first = sample(10, 5.0, 10);
        first.pre_cpu =
            Some(PreCpu { read_ms: now(9), cpu_total_ns: 4_000_000_000, system_cpu_ns: Some(18_000_000_000) });
        f.ingest(&key(), &first, None, None);
        let s = f.stats(&key(), now(10)).unwrap();
        assert_eq!(s.cpu_pct, Some(100.0), "1 s of CPU in its last second");
        assert_eq!(s.net_rx_bps, None, "the previous reading has no network counters");
        // The next value is the average over the interval from this sample.
        f.ingest(&key(), &sample(20, 7.5, 10), None, None);
        assert_eq!(f.stats(&key(), now(20)).unwrap().cpu_pct, Some(25.0));
        // A previous reading above the current one (a restart between them) gives nothing.
        let g = Fleet::new(FleetConfig::default());
        let mut odd = sample(10, 1.0, 10);
        odd.pre_cpu =
            Some(PreCpu { read_ms: now(9), cpu_total_ns: 4_000_000_000, system_cpu_ns: Some(18_000_000_000) });
        g.ingest(&key(), &odd, None, None);
        assert_eq!(g.stats(&key(), now(10)).unwrap().cpu_pct, None);
    }

    #[test]
    fn a_restart_starts_over_without_a_spike() {
        let f = Fleet::new(FleetConfig::default());
        f.ingest(&key(), &sample(0, 100.0, 10), None, None);
        f.ingest(&key(), &sample(10, 105.0, 10), None, None);
        // Restarted: the counters are small again.
        f.ingest(&key(), &sample(20, 1.0, 10), None, None);
        assert_eq!(f.stats(&key(), now(20)).unwrap().cpu_pct, None);
        f.ingest(&key(), &sample(30, 3.0, 10), None, None);
        assert_eq!(f.stats(&key(), now(30)).unwrap().cpu_pct, Some(20.0));
    }

    #[test]
    fn one_second_samples_average_over_the_interval_and_keep_the_spike_in_the_bucket() {
        let f = Fleet::new(FleetConfig::default());
        let mut cpu = 0.0;
        for t in 0..=20 {
            // Idle but for one second at t = 15 (a full core).
            if t == 15 {
                cpu += 1.0;
            }
            let spot = Point {
                t_ms: now(t),
                cpu_pct: if t == 15 { 100.0 } else { 0.0 },
                mem_kib: 0,
                net_rx_bps: 0.0,
                net_tx_bps: 0.0,
                blk_read_bps: 0.0,
                blk_write_bps: 0.0,
                pids: 1,
            };
            f.ingest(&key(), &sample(t, cpu, 10), Some(&spot), None);
        }
        let s = f.stats(&key(), now(20)).unwrap();
        assert_eq!(s.cpu_pct, Some(10.0), "1 s of CPU in the last 10 s");
        let n = s.spark_cpu.len();
        assert_eq!(s.spark_cpu[n - 2], Some(100.0), "the spike stays in its bucket: {:?}", &s.spark_cpu[n - 3..]);
    }

    #[test]
    fn the_sparkline_covers_the_window_with_gaps_where_nothing_was_sampled() {
        let f = Fleet::new(FleetConfig::default());
        for t in [0, 10, 20, 60, 70] {
            f.ingest(&key(), &sample(t, t as f64 / 10.0, 10), None, None);
        }
        let s = f.stats(&key(), now(70)).unwrap();
        assert_eq!(s.spark_cpu.len(), 60);
        assert_eq!(s.bucket_ms, 10_000);
        let tail = &s.spark_cpu[60 - 8..];
        let ten = Some(10.0);
        assert_eq!(
            tail,
            &[None, ten, ten, None, None, None, ten, ten],
            "the first sample is a baseline; 30-50 s unsampled"
        );
    }

    #[test]
    fn a_stopped_container_has_no_current_numbers() {
        let f = Fleet::new(FleetConfig::default());
        f.ingest(&key(), &sample(0, 0.0, 10), None, None);
        f.ingest(&key(), &RawStats::default(), None, None);
        assert!(f.stats(&key(), now(1)).is_none());
    }

    #[test]
    fn the_interval_stretches_to_the_rate_cap() {
        let c = FleetConfig::default();
        assert_eq!(c.effective_interval(50), Duration::from_secs(10));
        assert_eq!(c.effective_interval(200), Duration::from_secs(40));
    }

    #[test]
    fn docker_before_25_gets_bursts_others_spread() {
        assert_eq!(Pacing::for_engine(false, Some("20.10.24+dfsg1")), Pacing::Burst);
        assert_eq!(Pacing::for_engine(false, Some("26.1.5+dfsg1")), Pacing::Spread);
        assert_eq!(Pacing::for_engine(true, Some("4.3.1")), Pacing::Spread);
        assert_eq!(Pacing::for_engine(false, None), Pacing::Spread);
    }
}
