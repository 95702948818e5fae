//! What `container_metrics` answers: a page of points since a cursor, as
//! columns, plus everything the browser needs to trust it (which container,
//! which history, what it missed). Integers are fixed-width; seqs and epochs
//! stay below 2^53 so JavaScript reads them exactly.

use serde::{Deserialize, Serialize};

use super::formulas::{Point, UNAVAILABLE_U32, finite};
use crate::model::{ContainerId, HostName};

/// Where a reader is: "I have everything of history `epoch` before `seq`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsCursor {
    pub epoch: u64,
    pub seq: u64,
}

/// Largest epoch or seq accepted: JavaScript numbers are exact up to 2^53.
pub const MAX_SAFE: u64 = (1 << 53) - 1;

/// The container's state as the metrics engine knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RunState {
    Running,
    Paused,
    Restarting,
    Created,
    Exited {
        exit_code: Option<i64>,
        /// ms since the epoch, when known.
        at_ms: Option<i64>,
        oom_killed: bool,
    },
    /// Removed from Docker; the history stays readable until idle expiry.
    Removed,
}

impl RunState {
    pub fn is_running(&self) -> bool {
        matches!(self, RunState::Running | RunState::Paused | RunState::Restarting)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkerKind {
    Start,
    Stop,
    Restart,
    Oom,
    Pause,
    Unpause,
    Removed,
}

/// A lifecycle event placed on the series: it happened before the point
/// with seq `before_seq` (and after the one before it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub kind: MarkerKind,
    pub t_ms: i64,
    pub before_seq: u64,
    /// For `stop`: the exit code Docker reported.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exit_code: Option<i64>,
}

/// Why a container's earlier history is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryLoss {
    /// More containers were watched than `BINNACLE_METRICS_MAX_CONTAINERS`;
    /// this one was the least recently read.
    Evicted,
    /// Nobody read it for `BINNACLE_METRICS_IDLE_TIMEOUT`.
    IdleExpired,
}

/// Points as columns, compact in JSON: times are `t0_ms` plus deltas in ms
/// (the first delta is 0), CPU has one decimal, memory is KiB, rates are
/// whole bytes per second, and PIDs, which rarely change, are listed only
/// where they change, as `[index, value]` pairs. `null` means unavailable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Columns {
    pub t0_ms: i64,
    pub dt_ms: Vec<u32>,
    pub cpu_pct: Vec<Option<f32>>,
    pub mem_kib: Vec<Option<u32>>,
    pub net_rx_bps: Vec<Option<u64>>,
    pub net_tx_bps: Vec<Option<u64>>,
    pub blk_read_bps: Vec<Option<u64>>,
    pub blk_write_bps: Vec<Option<u64>>,
    /// `(index, pids)` at the first point and wherever the count changes.
    pub pids_changes: Vec<(u32, Option<u32>)>,
}

impl Columns {
    pub fn len(&self) -> usize {
        self.dt_ms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dt_ms.is_empty()
    }

    pub fn from_points<'a>(points: impl IntoIterator<Item = &'a Point>) -> Columns {
        let mut c = Columns::default();
        let mut last = None;
        for p in points {
            let prev = *last.get_or_insert(p.t_ms);
            if c.dt_ms.is_empty() {
                c.t0_ms = p.t_ms;
            }
            c.dt_ms.push((p.t_ms - prev).clamp(0, u32::MAX as i64) as u32);
            last = Some(p.t_ms);
            c.cpu_pct.push(finite(p.cpu_pct).map(|v| (v * 10.0).round() / 10.0));
            c.mem_kib.push((p.mem_kib != UNAVAILABLE_U32).then_some(p.mem_kib));
            let rate = |v: f32| finite(v).map(|v| v.max(0.0).round() as u64);
            c.net_rx_bps.push(rate(p.net_rx_bps));
            c.net_tx_bps.push(rate(p.net_tx_bps));
            c.blk_read_bps.push(rate(p.blk_read_bps));
            c.blk_write_bps.push(rate(p.blk_write_bps));
            let pids = p.pids();
            if c.pids_changes.last().is_none_or(|(_, last)| *last != pids) {
                c.pids_changes.push((c.dt_ms.len() as u32 - 1, pids));
            }
        }
        c
    }

    /// PIDs for every point, expanded from the change list.
    pub fn pids(&self) -> Vec<Option<u32>> {
        let mut out = Vec::with_capacity(self.len());
        let mut changes = self.pids_changes.iter().peekable();
        let mut current = None;
        for i in 0..self.len() as u32 {
            while let Some((at, v)) = changes.peek() {
                if *at > i {
                    break;
                }
                current = *v;
                changes.next();
            }
            out.push(current);
        }
        out
    }

    /// Absolute times, ms since the epoch.
    pub fn times_ms(&self) -> Vec<i64> {
        let mut t = self.t0_ms;
        self.dt_ms
            .iter()
            .map(|d| {
                t += *d as i64;
                t
            })
            .collect()
    }
}

/// One answer of `container_metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsPage {
    pub host: HostName,
    /// The full container id this history belongs to.
    pub id: ContainerId,
    /// Changes whenever this container's history was recreated (server
    /// restart, eviction, idle expiry): a cursor of another epoch is stale.
    pub epoch: u64,
    /// Seq of the first point in `points`.
    pub first_seq: u64,
    /// The cursor to send next time.
    pub next_cursor: MetricsCursor,
    /// Points between the cursor and `first_seq` were overwritten.
    pub gap: bool,
    /// The cursor did not belong to this history (other epoch, or beyond the
    /// newest seq): this page holds all history; start over from it.
    pub reset: bool,
    pub points: Columns,
    /// Lifecycle markers among the points returned.
    pub markers: Vec<Marker>,
    pub state: RunState,
    /// How often the server samples, ms: the browser paces itself by it.
    pub interval_ms: u32,
    /// How often the browser should ask again, ms (`BINNACLE_CLIENT_POLL_INTERVAL`,
    /// else the collection interval).
    pub poll_interval_ms: u32,
    /// How many points the server keeps for a container.
    pub history_capacity: u32,
    /// How many points a browser should keep (`BINNACLE_CLIENT_BUFFER`, else `history_capacity`).
    pub client_buffer: u32,
    /// The container's own memory limit, bytes; None when unlimited.
    pub memory_limit: Option<u64>,
    /// The host's memory, which Docker reports as the limit of an unlimited container.
    pub host_memory: Option<u64>,
    pub online_cpus: Option<u32>,
    /// Set when this history started because an earlier one was dropped.
    pub history_loss: Option<HistoryLoss>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_of(points: &[Point]) -> MetricsPage {
        MetricsPage {
            host: HostName::parse("local").unwrap(),
            id: ContainerId::parse(&"a".repeat(64)).unwrap(),
            epoch: MAX_SAFE - 1,
            first_seq: 123_456,
            next_cursor: MetricsCursor { epoch: MAX_SAFE - 1, seq: 127_056 },
            gap: false,
            reset: false,
            points: Columns::from_points(points.iter()),
            markers: (0..20)
                .map(|i| Marker { kind: MarkerKind::Stop, t_ms: 1_795_000_000_000 + i, before_seq: 124_000 + i as u64, exit_code: Some(137) })
                .collect(),
            state: RunState::Running,
            interval_ms: 1000,
            poll_interval_ms: 1000,
            history_capacity: 3600,
            client_buffer: 3600,
            memory_limit: Some(1 << 30),
            host_memory: Some(16 << 30),
            online_cpus: Some(8),
            history_loss: None,
        }
    }

    /// A cheap deterministic jitter.
    fn noise(i: u64, m: u64) -> u64 {
        (i.wrapping_mul(2_654_435_761) >> 7) % m
    }

    #[test]
    fn a_full_page_of_a_busy_cpu_container_stays_under_100_kb() {
        // One core busy with noise, 300-400 MiB of memory moving, light
        // network traffic, no disk I/O, a handful of processes; the sample
        // times jitter by a few ms as the daemon's do.
        let mut t = 1_795_000_000_000i64;
        let points: Vec<Point> = (0..3600u64)
            .map(|i| {
                t += 995 + noise(i, 12) as i64;
                Point {
                    t_ms: t,
                    cpu_pct: 95.0 + noise(i, 1000) as f32 / 97.0,
                    mem_kib: 307_200 + noise(i, 102_400) as u32,
                    net_rx_bps: noise(i, 3) as f32 * 120.0,
                    net_tx_bps: 0.0,
                    blk_read_bps: 0.0,
                    blk_write_bps: 0.0,
                    pids: 4,
                }
            })
            .collect();
        let json = serde_json::to_vec(&page_of(&points)).unwrap();
        assert!(json.len() < 100_000, "{} bytes", json.len());
        eprintln!("full page of a busy CPU container: {} bytes", json.len());
    }

    #[test]
    fn columns_round_trip_times_and_unavailable_values() {
        let p = |t, cpu: f32| Point {
            t_ms: t,
            cpu_pct: cpu,
            mem_kib: UNAVAILABLE_U32,
            net_rx_bps: f32::NAN,
            net_tx_bps: 1.4,
            blk_read_bps: 0.0,
            blk_write_bps: 0.0,
            pids: 2,
        };
        let c = Columns::from_points([p(1000, 12.34), p(2010, f32::NAN)].iter());
        assert_eq!(c.times_ms(), vec![1000, 2010]);
        assert_eq!(c.cpu_pct, vec![Some(12.3), None]);
        assert_eq!(c.mem_kib, vec![None, None]);
        assert_eq!(c.net_rx_bps, vec![None, None]);
        assert_eq!(c.net_tx_bps, vec![Some(1), Some(1)]);
        assert_eq!(c.pids_changes, vec![(0, Some(2))]);
        assert_eq!(c.pids(), vec![Some(2), Some(2)]);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"cpu_pct\":[12.3,null]"), "{json}");
    }
}
