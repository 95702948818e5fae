//! What `container_metrics` answers: a page of points since a cursor, as
//! columns, plus everything the browser needs to trust it (which container,
//! which history, what it missed). Integers are fixed-width; seqs and epochs
//! stay below 2^53 so JavaScript reads them exactly.

use serde::{Deserialize, Serialize};

use crate::ids::{ContainerId, HostName};

/// Where a reader is: "I have everything of history `epoch` before `seq`".
/// Read only from a JSON object (never positionally from an array).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CursorObject")]
pub struct MetricsCursor {
    pub epoch: u64,
    pub seq: u64,
}

/// `{"epoch": E, "seq": S}` and nothing else.
struct CursorObject {
    epoch: u64,
    seq: u64,
}

impl TryFrom<CursorObject> for MetricsCursor {
    type Error = &'static str;
    fn try_from(c: CursorObject) -> Result<Self, Self::Error> {
        if c.epoch > MAX_SAFE || c.seq > MAX_SAFE {
            return Err("cursor epoch and seq must be below 2^53");
        }
        Ok(MetricsCursor { epoch: c.epoch, seq: c.seq })
    }
}

impl<'de> Deserialize<'de> for CursorObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = CursorObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object {\"epoch\": E, \"seq\": S}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<CursorObject, A::Error> {
                use serde::de::Error;
                let (mut epoch, mut seq) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "epoch" => &mut epoch,
                        "seq" => &mut seq,
                        other => return Err(A::Error::unknown_field(other, &["epoch", "seq"])),
                    };
                    if slot.is_some() {
                        return Err(A::Error::custom(format!("duplicate field `{key}`")));
                    }
                    *slot = Some(map.next_value::<u64>()?);
                }
                Ok(CursorObject {
                    epoch: epoch.ok_or_else(|| A::Error::missing_field("epoch"))?,
                    seq: seq.ok_or_else(|| A::Error::missing_field("seq"))?,
                })
            }
        }
        d.deserialize_map(Fields)
    }
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
    /// The container has a process (running, paused or restarting): its
    /// collector samples it. (`ContainerState::is_running` leaves paused out.)
    pub fn has_process(&self) -> bool {
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
    /// A new container took this one's place (same compose project and
    /// service, or the same name): the history goes on.
    Recreated,
    /// Binnacle itself restarted: samples before it came from the data directory.
    ServerRestart,
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

/// The time span a Stats tab shows. 15 minutes and 1 hour are live (the
/// 1 s points, polled with a cursor); the others read an aggregated tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum HistoryRange {
    #[serde(rename = "15m")]
    M15,
    #[default]
    #[serde(rename = "1h")]
    H1,
    #[serde(rename = "6h")]
    H6,
    #[serde(rename = "24h")]
    H24,
    #[serde(rename = "7d")]
    D7,
    #[serde(rename = "30d")]
    D30,
}

impl HistoryRange {
    pub const ALL: [HistoryRange; 6] =
        [HistoryRange::M15, HistoryRange::H1, HistoryRange::H6, HistoryRange::H24, HistoryRange::D7, HistoryRange::D30];

    pub fn as_str(self) -> &'static str {
        match self {
            HistoryRange::M15 => "15m",
            HistoryRange::H1 => "1h",
            HistoryRange::H6 => "6h",
            HistoryRange::H24 => "24h",
            HistoryRange::D7 => "7d",
            HistoryRange::D30 => "30d",
        }
    }

    /// "15m", "1h", "6h", "24h", "7d" or "30d".
    pub fn parse(s: &str) -> Result<HistoryRange, crate::InvalidInput> {
        HistoryRange::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| crate::InvalidInput::new("range", "must be one of 15m, 1h, 6h, 24h, 7d, 30d"))
    }

    /// How far back the chart goes, ms.
    pub fn span_ms(self) -> i64 {
        const MIN: i64 = 60_000;
        match self {
            HistoryRange::M15 => 15 * MIN,
            HistoryRange::H1 => 60 * MIN,
            HistoryRange::H6 => 6 * 60 * MIN,
            HistoryRange::H24 => 24 * 60 * MIN,
            HistoryRange::D7 => 7 * 24 * 60 * MIN,
            HistoryRange::D30 => 30 * 24 * 60 * MIN,
        }
    }

    /// The aggregated tier's bucket, ms; None for the live ranges.
    pub fn resolution_ms(self) -> Option<u32> {
        match self {
            HistoryRange::M15 | HistoryRange::H1 => None,
            HistoryRange::H6 => Some(10_000),
            HistoryRange::H24 => Some(60_000),
            HistoryRange::D7 => Some(600_000),
            HistoryRange::D30 => Some(3_600_000),
        }
    }

    pub fn live(self) -> bool {
        self.resolution_ms().is_none()
    }
}

/// An aggregated tier's buckets as columns: column i is the bucket that
/// starts at `(first_bucket + i) * resolution_ms` (ms since the epoch).
/// A bucket nothing was sampled in is `null` in every column (a gap). CPU
/// is % of one core (its average from the counters over the bucket), memory
/// KiB, rates bytes per second averaged over the bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryColumns {
    pub resolution_ms: u32,
    pub first_bucket: i64,
    /// Send as `history_cursor` next time: the answer starts at this bucket
    /// (the newest, still filling), which replaces the one held.
    pub next_cursor: i64,
    pub cpu_min: Vec<Option<f32>>,
    pub cpu_avg: Vec<Option<f32>>,
    pub cpu_max: Vec<Option<f32>>,
    pub mem_min_kib: Vec<Option<u32>>,
    pub mem_avg_kib: Vec<Option<u32>>,
    pub mem_max_kib: Vec<Option<u32>>,
    pub net_rx_bps: Vec<Option<u64>>,
    pub net_tx_bps: Vec<Option<u64>>,
    pub blk_read_bps: Vec<Option<u64>>,
    pub blk_write_bps: Vec<Option<u64>>,
    /// Indices of the buckets a lifecycle event happened in (see `markers`).
    pub events: Vec<u32>,
    /// The events themselves; `before_seq` is the bucket index they fall in.
    pub markers: Vec<Marker>,
}

impl HistoryColumns {
    pub fn len(&self) -> usize {
        self.cpu_avg.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cpu_avg.is_empty()
    }

    /// Start of bucket `i` of these columns, ms since the epoch.
    pub fn start_ms(&self, i: usize) -> i64 {
        (self.first_bucket + i as i64) * self.resolution_ms as i64
    }
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
    /// Memory includes the page cache (Podman gives nothing to subtract):
    /// shown as "cache included", never silently different.
    #[serde(default)]
    pub memory_includes_cache: bool,
    /// Set when this history started because an earlier one was dropped.
    pub history_loss: Option<HistoryLoss>,
    /// The range asked for.
    #[serde(default)]
    pub range: HistoryRange,
    /// For an aggregated range: its tier's buckets (`points` is then empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryColumns>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_expand_from_their_change_list_and_times_from_deltas() {
        let c = Columns {
            t0_ms: 1000,
            dt_ms: vec![0, 1000, 1010],
            cpu_pct: vec![Some(1.0), None, Some(2.5)],
            mem_kib: vec![Some(1), Some(2), None],
            net_rx_bps: vec![None; 3],
            net_tx_bps: vec![None; 3],
            blk_read_bps: vec![None; 3],
            blk_write_bps: vec![None; 3],
            pids_changes: vec![(0, Some(2)), (2, None)],
        };
        assert_eq!(c.times_ms(), vec![1000, 2000, 3010]);
        assert_eq!(c.pids(), vec![Some(2), Some(2), None]);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"cpu_pct\":[1.0,null,2.5]"), "{json}");
        assert_eq!(serde_json::from_str::<Columns>(&json).unwrap(), c);
    }

    #[test]
    fn a_cursor_is_an_object_of_two_whole_numbers_and_nothing_else() {
        let ok: MetricsCursor = serde_json::from_str(r#"{"seq": 2, "epoch": 1}"#).unwrap();
        assert_eq!(ok, MetricsCursor { epoch: 1, seq: 2 });
        for bad in [
            "[1, 2]",
            r#"{"epoch": 1}"#,
            r#"{"epoch": 1, "seq": 2, "x": 3}"#,
            r#"{"epoch": 1, "epoch": 1, "seq": 2}"#,
            r#"{"epoch": -1, "seq": 2}"#,
            r#"{"epoch": 1.5, "seq": 2}"#,
            "null",
            r#""1:2""#,
        ] {
            assert!(serde_json::from_str::<MetricsCursor>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_parse_from_their_url_names_only() {
        for r in HistoryRange::ALL {
            assert_eq!(HistoryRange::parse(r.as_str()).unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.as_str()));
        }
        assert!(HistoryRange::parse("2h").is_err());
        assert!(HistoryRange::H1.live() && !HistoryRange::H6.live());
        assert_eq!(HistoryRange::D30.span_ms() / HistoryRange::D30.resolution_ms().unwrap() as i64, 720);
    }

    #[test]
    fn run_states_cross_the_wire_tagged() {
        let s = RunState::Exited { exit_code: Some(137), at_ms: Some(5), oom_killed: true };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"state":"exited","exit_code":137,"at_ms":5,"oom_killed":true}"#);
        assert!(RunState::Paused.has_process());
        assert!(!RunState::Removed.has_process());
    }
}
