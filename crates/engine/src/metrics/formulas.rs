//! From Docker's stats samples to points, following the docker CLI: CPU as %
//! of one core from two samples, memory without the inactive page cache,
//! rates over the samples' own `read` interval. Counter resets start a new
//! baseline; stopped-container frames are not data; anything Docker left out
//! is "unavailable", never zero.

/// One stats sample, mapped once from Docker's all-optional shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawStats {
    /// The sample's own time (`read`), ms since the Unix epoch; None for the
    /// year-1 stamp of a stopped container's frame.
    pub read_ms: Option<i64>,
    /// Container CPU time, ns, cumulative.
    pub cpu_total_ns: Option<u64>,
    /// Host CPU time, ns, cumulative (all CPUs).
    pub system_cpu_ns: Option<u64>,
    /// `online_cpus`, else the length of `percpu_usage`.
    pub online_cpus: Option<u32>,
    pub mem_usage: Option<u64>,
    /// `inactive_file` (cgroup v2) or `total_inactive_file` (cgroup v1).
    pub mem_inactive_file: Option<u64>,
    pub mem_limit: Option<u64>,
    /// Summed over interfaces; None when the container has no networks.
    pub net_rx_bytes: Option<u64>,
    pub net_tx_bytes: Option<u64>,
    pub blk_read_bytes: Option<u64>,
    pub blk_write_bytes: Option<u64>,
    pub pids: Option<u64>,
    /// Memory includes the page cache: the engine reported no inactive file
    /// count to subtract (Podman).
    pub memory_includes_cache: bool,
    /// The engine's previous CPU reading (`precpu_stats`, about a second
    /// earlier), when it sent one: a first CPU value from one request.
    pub pre_cpu: Option<PreCpu>,
    /// A network rate (received, sent, bytes/s) measured elsewhere, for a
    /// sample without counters (cgroup files without a visible `/proc`).
    pub net_rate_bps: Option<(f32, f32)>,
    /// The network counters per interface, when the source lists them (for export).
    pub net_interfaces: Vec<NetInterface>,
    /// CFS bandwidth control: periods, throttled periods and throttled time
    /// (cumulative; meaningful only where a CPU limit exists).
    pub cpu_periods: Option<u64>,
    pub cpu_throttled_periods: Option<u64>,
    pub cpu_throttled_ns: Option<u64>,
}

/// One network interface's cumulative counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetInterface {
    pub name: String,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// The CPU counters of `precpu_stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PreCpu {
    pub read_ms: i64,
    pub cpu_total_ns: u64,
    pub system_cpu_ns: Option<u64>,
}

impl RawStats {
    /// The sample `precpu_stats` describes (CPU only), to compute a first
    /// CPU value against.
    pub fn previous(&self) -> Option<RawStats> {
        let pre = self.pre_cpu?;
        Some(RawStats {
            read_ms: Some(pre.read_ms),
            cpu_total_ns: Some(pre.cpu_total_ns),
            system_cpu_ns: pre.system_cpu_ns,
            online_cpus: self.online_cpus,
            ..RawStats::default()
        })
    }
}

/// One point of the series: 40 bytes, of which the core (time, CPU,
/// memory) is the first 16. `repr(C)` keeps that layout.
/// Unavailable values are NaN (floats) or `u32::MAX` (integers).
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct Point {
    pub t_ms: i64,
    /// % of one core: 250 means 2.5 cores busy.
    pub cpu_pct: f32,
    /// Memory used, KiB.
    pub mem_kib: u32,
    pub net_rx_bps: f32,
    pub net_tx_bps: f32,
    pub blk_read_bps: f32,
    pub blk_write_bps: f32,
    pub pids: u32,
}

pub const UNAVAILABLE_U32: u32 = u32::MAX;

impl Point {
    pub fn cpu(&self) -> Option<f32> {
        finite(self.cpu_pct)
    }
    pub fn mem_bytes(&self) -> Option<u64> {
        (self.mem_kib != UNAVAILABLE_U32).then(|| self.mem_kib as u64 * 1024)
    }
    pub fn pids(&self) -> Option<u32> {
        (self.pids != UNAVAILABLE_U32).then_some(self.pids)
    }
}

pub fn finite(v: f32) -> Option<f32> {
    v.is_finite().then_some(v)
}

/// What a new sample means, given the previous one kept for this container.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A stopped container's empty frame: record nothing, keep no baseline.
    NotData,
    /// Not newer than the kept sample (the daemon answered the same round
    /// again): nothing new, keep the previous sample.
    Stale,
    /// A point to record, and the sample to keep. `baseline` marks the first
    /// sample after a (re)start or a counter reset: it carries memory and
    /// PIDs, which one sample gives, while CPU and rates, which need two,
    /// are unavailable. So a run as short as one sample still leaves a point.
    Point { point: Point, baseline: bool },
}

impl Outcome {
    /// The point, for tests and benches that expect one.
    pub fn point(&self) -> Option<&Point> {
        match self {
            Outcome::Point { point, .. } => Some(point),
            _ => None,
        }
    }
}

/// CPU % of one core, the docker CLI way (the container's share of the
/// host's CPU time, times the CPUs); None when it cannot be known. Without
/// the host's CPU time (Podman reports something else there), the share of
/// wall-clock time between the samples' own `read` times.
pub fn cpu_percent(prev: &RawStats, cur: &RawStats) -> Option<f64> {
    let (pc, cc) = (prev.cpu_total_ns?, cur.cpu_total_ns?);
    if cc < pc {
        return None;
    }
    let cpu_delta = (cc - pc) as f64;
    match (prev.system_cpu_ns, cur.system_cpu_ns) {
        (Some(ps), Some(cs)) => {
            if cs < ps {
                return None;
            }
            let online = cur.online_cpus.filter(|n| *n > 0)? as f64;
            let system_delta = (cs - ps) as f64;
            if cpu_delta > 0.0 && system_delta > 0.0 {
                Some(cpu_delta / system_delta * online * 100.0)
            } else {
                Some(0.0)
            }
        }
        _ => {
            let wall_ns = (cur.read_ms? - prev.read_ms?) as f64 * 1_000_000.0;
            (wall_ns > 0.0).then(|| cpu_delta / wall_ns * 100.0)
        }
    }
}

/// Memory in use: usage minus the inactive page cache, when that is smaller.
/// None when memory accounting is off (usage absent or 0).
pub fn memory_used(s: &RawStats) -> Option<u64> {
    let usage = s.mem_usage.filter(|u| *u > 0)?;
    match s.mem_inactive_file {
        Some(inactive) if inactive < usage => Some(usage - inactive),
        _ => Some(usage),
    }
}

/// Bytes per second between two readings of a cumulative counter; None when
/// either is missing or the counter went down.
fn rate(prev: Option<u64>, cur: Option<u64>, seconds: f64) -> Option<f64> {
    let (p, c) = (prev?, cur?);
    (c >= p).then(|| (c - p) as f64 / seconds)
}

fn counters_went_down(prev: &RawStats, cur: &RawStats) -> bool {
    let down = |p: Option<u64>, c: Option<u64>| matches!((p, c), (Some(p), Some(c)) if c < p);
    down(prev.cpu_total_ns, cur.cpu_total_ns) || down(prev.system_cpu_ns, cur.system_cpu_ns)
}

/// Turns the newest sample into a point, given the previous kept sample.
pub fn compute(prev: Option<&RawStats>, cur: &RawStats) -> Outcome {
    let Some(t_ms) = cur.read_ms else { return Outcome::NotData };
    let mem_kib =
        memory_used(cur).map(|b| (b.div_ceil(1024)).min(UNAVAILABLE_U32 as u64 - 1) as u32).unwrap_or(UNAVAILABLE_U32);
    let pids = cur.pids.map(|p| p.min(UNAVAILABLE_U32 as u64 - 1) as u32).unwrap_or(UNAVAILABLE_U32);
    let baseline = Outcome::Point {
        point: Point {
            t_ms,
            cpu_pct: f32::NAN,
            mem_kib,
            net_rx_bps: f32::NAN,
            net_tx_bps: f32::NAN,
            blk_read_bps: f32::NAN,
            blk_write_bps: f32::NAN,
            pids,
        },
        baseline: true,
    };
    let Some(prev) = prev else { return baseline };
    let Some(prev_ms) = prev.read_ms else { return baseline };
    if t_ms <= prev_ms {
        return Outcome::Stale;
    }
    if counters_went_down(prev, cur) {
        return baseline;
    }
    let seconds = (t_ms - prev_ms) as f64 / 1000.0;
    let f = |v: Option<f64>| v.map(|v| v as f32).unwrap_or(f32::NAN);
    Outcome::Point {
        point: Point {
            t_ms,
            cpu_pct: f(cpu_percent(prev, cur)),
            mem_kib,
            net_rx_bps: f(rate(prev.net_rx_bytes, cur.net_rx_bytes, seconds).or(cur.net_rate_bps.map(|r| r.0 as f64))),
            net_tx_bps: f(rate(prev.net_tx_bytes, cur.net_tx_bytes, seconds).or(cur.net_rate_bps.map(|r| r.1 as f64))),
            blk_read_bps: f(rate(prev.blk_read_bytes, cur.blk_read_bytes, seconds)),
            blk_write_bps: f(rate(prev.blk_write_bytes, cur.blk_write_bytes, seconds)),
            pids,
        },
        baseline: false,
    }
}

/// Parses Docker's RFC 3339 times (`2026-11-23T23:00:32.296147467Z`, or with
/// an offset) to ms since the epoch. Year 1 (Docker's "never") gives None.
pub fn parse_rfc3339_ms(raw: &str) -> Option<i64> {
    let b = raw.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { raw.get(r)?.parse::<i64>().ok() };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if year <= 1 {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &raw[start..i];
        let ms_digits: String = frac.chars().chain(std::iter::repeat('0')).take(3).collect();
        millis = ms_digits.parse().ok()?;
    }
    let offset_min = match b.get(i) {
        Some(b'Z') | Some(b'z') => 0,
        Some(sign @ (b'+' | b'-')) => {
            let h = num(i + 1..i + 3)?;
            let m = num(i + 4..i + 6)?;
            let total = h * 60 + m;
            if *sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month as u32, day as u32);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_min * 60;
    Some(secs * 1000 + millis)
}

/// Howard Hinnant's civil-to-days algorithm.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(t_ms: i64, cpu: u64, sys: u64) -> RawStats {
        RawStats {
            read_ms: Some(t_ms),
            cpu_total_ns: Some(cpu),
            system_cpu_ns: Some(sys),
            online_cpus: Some(4),
            mem_usage: Some(10 << 20),
            mem_inactive_file: Some(2 << 20),
            mem_limit: Some(1 << 30),
            net_rx_bytes: Some(1000),
            net_tx_bytes: Some(0),
            blk_read_bytes: Some(0),
            blk_write_bytes: Some(0),
            pids: Some(3),
            memory_includes_cache: false,
            ..RawStats::default()
        }
    }

    #[test]
    fn cpu_is_percent_of_one_core() {
        // 1 s of wall time on 4 CPUs = 4e9 ns of system time; the container used 2.5 cores.
        let a = sample(0, 0, 0);
        let b = sample(1000, 2_500_000_000, 4_000_000_000);
        let Outcome::Point { point: p, .. } = compute(Some(&a), &b) else { panic!() };
        assert!((p.cpu_pct - 250.0).abs() < 0.01, "{}", p.cpu_pct);
    }

    #[test]
    fn the_first_sample_is_a_baseline_with_memory_but_no_cpu() {
        let Outcome::Point { point, baseline: true } = compute(None, &sample(0, 5, 5)) else { panic!() };
        assert_eq!(point.cpu(), None);
        assert!(point.net_rx_bps.is_nan());
        assert_eq!(point.mem_bytes(), Some(8 << 20));
        assert_eq!(point.pids(), Some(3));
    }

    #[test]
    fn a_counter_reset_starts_a_new_baseline_never_a_spike() {
        let before = sample(0, 9_000_000_000, 50_000_000_000);
        let after_restart = sample(1000, 1_000_000, 51_000_000_000);
        let Outcome::Point { point, baseline: true } = compute(Some(&before), &after_restart) else { panic!() };
        assert_eq!(point.cpu(), None);
    }

    #[test]
    fn the_same_round_answered_twice_is_stale_not_a_point() {
        let a = sample(1000, 5, 5);
        assert_eq!(compute(Some(&a), &sample(1000, 6, 6)), Outcome::Stale);
    }

    #[test]
    fn a_stopped_container_frame_is_not_data() {
        let stopped = RawStats { read_ms: parse_rfc3339_ms("0001-01-01T00:00:00Z"), ..Default::default() };
        assert_eq!(compute(Some(&sample(0, 1, 1)), &stopped), Outcome::NotData);
    }

    #[test]
    fn memory_excludes_the_inactive_page_cache() {
        assert_eq!(memory_used(&sample(0, 0, 0)), Some(8 << 20));
    }

    #[test]
    fn inactive_file_larger_than_usage_is_ignored() {
        let s = RawStats { mem_usage: Some(100), mem_inactive_file: Some(500), ..Default::default() };
        assert_eq!(memory_used(&s), Some(100));
    }

    #[test]
    fn memory_without_accounting_is_unavailable_not_zero() {
        let mut b = sample(1000, 1, 1);
        b.mem_usage = Some(0);
        let Outcome::Point { point: p, .. } = compute(Some(&sample(0, 0, 0)), &b) else { panic!() };
        assert_eq!(p.mem_bytes(), None);
        b.mem_usage = None;
        let Outcome::Point { point: p, .. } = compute(Some(&sample(0, 0, 0)), &b) else { panic!() };
        assert_eq!(p.mem_bytes(), None);
    }

    #[test]
    fn absent_networks_are_unavailable_not_zero() {
        let mut a = sample(0, 0, 0);
        let mut b = sample(2000, 0, 0);
        a.net_rx_bytes = None;
        b.net_rx_bytes = None;
        let Outcome::Point { point: p, .. } = compute(Some(&a), &b) else { panic!() };
        assert!(p.net_rx_bps.is_nan());
        assert_eq!(p.net_tx_bps, 0.0);
    }

    #[test]
    fn rates_use_the_samples_own_interval() {
        let a = sample(0, 0, 0);
        let mut b = sample(2000, 0, 0);
        b.net_rx_bytes = Some(1000 + 4096);
        let Outcome::Point { point: p, .. } = compute(Some(&a), &b) else { panic!() };
        assert_eq!(p.net_rx_bps, 2048.0);
    }

    #[test]
    fn idle_cpu_is_zero_but_unknown_online_cpus_is_unavailable() {
        let a = sample(0, 100, 1000);
        let b = sample(1000, 100, 2000);
        let Outcome::Point { point: p, .. } = compute(Some(&a), &b) else { panic!() };
        assert_eq!(p.cpu(), Some(0.0));
        let mut c = sample(1000, 200, 2000);
        c.online_cpus = None;
        let Outcome::Point { point: p, .. } = compute(Some(&a), &c) else { panic!() };
        assert_eq!(p.cpu(), None);
    }

    #[test]
    fn without_the_hosts_cpu_time_cpu_is_measured_against_the_wall_clock() {
        // 1.5 s of CPU over 2 s of wall clock = 75 % of one core.
        let mut a = sample(0, 0, 0);
        let mut b = sample(2000, 1_500_000_000, 0);
        a.system_cpu_ns = None;
        b.system_cpu_ns = None;
        let Outcome::Point { point: p, .. } = compute(Some(&a), &b) else { panic!() };
        assert!((p.cpu_pct - 75.0).abs() < 0.01, "{}", p.cpu_pct);
    }

    #[test]
    fn a_stored_point_is_compact() {
        assert_eq!(std::mem::size_of::<Point>(), 40);
        // The core series (time, CPU, memory) is the first 16 bytes.
        let p = Point {
            t_ms: 0,
            cpu_pct: 0.0,
            mem_kib: 0,
            net_rx_bps: 0.0,
            net_tx_bps: 0.0,
            blk_read_bps: 0.0,
            blk_write_bps: 0.0,
            pids: 0,
        };
        let base = &p as *const Point as usize;
        assert_eq!(&p.mem_kib as *const u32 as usize - base + 4, 16);
    }

    #[test]
    fn docker_times_parse_to_milliseconds() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_rfc3339_ms("2026-11-23T23:00:32.296147467Z"), Some(1_795_474_832_296));
        assert_eq!(parse_rfc3339_ms("2026-11-23T23:00:32Z"), Some(1_795_474_832_000));
        assert_eq!(parse_rfc3339_ms("2026-11-24T00:00:32+01:00"), Some(1_795_474_832_000));
        assert_eq!(parse_rfc3339_ms("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_ms("garbage"), None);
    }
}
