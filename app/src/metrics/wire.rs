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

/// Points as columns, compact in JSON: times are `t0_ms` plus deltas in ms,
/// CPU has one decimal, memory is KiB, rates are whole bytes per second;
/// `null` means unavailable.
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
    pub pids: Vec<Option<u32>>,
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
            c.pids.push(p.pids());
        }
        c
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
    /// How many points the server keeps for a container.
    pub history_capacity: u32,
    /// The container's own memory limit, bytes; None when unlimited.
    pub memory_limit: Option<u64>,
    /// The host's memory, which Docker reports as the limit of an unlimited container.
    pub host_memory: Option<u64>,
    pub online_cpus: Option<u32>,
    /// Set when this history started because an earlier one was dropped.
    pub history_loss: Option<HistoryLoss>,
}
