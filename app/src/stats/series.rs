//! The browser's copy of one container's metrics: bounded, deduplicated by
//! seq, and strict about which answers belong to it. A live range (15 min,
//! 1 h) holds the 1 s points; an aggregated one its tier's buckets.

use std::collections::VecDeque;

use wire::{HistoryRange, Marker, MarkerKind, MetricsCursor, MetricsPage, RunState};

use super::history::{HistoryBuffer, Window};

/// One point as the chart needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClientPoint {
    pub seq: u64,
    pub t_ms: i64,
    pub cpu: Option<f32>,
    pub mem_bytes: Option<u64>,
    pub net_rx: Option<f64>,
    pub net_tx: Option<f64>,
    pub blk_read: Option<f64>,
    pub blk_write: Option<f64>,
    pub pids: Option<u32>,
    /// Points before this one were lost (the reader fell a full ring behind).
    pub gap_before: bool,
}

/// What applying an answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Not for this container or history: ignored.
    Dropped,
    /// The history started over from this answer.
    Reset,
    Appended(usize),
}

const MAX_MARKERS: usize = 512;

#[derive(Debug, Clone)]
pub struct ClientSeries {
    pub host: String,
    /// What the user asked for (id or name); the answer's full id is kept too.
    pub requested_id: String,
    pub full_id: Option<String>,
    pub epoch: Option<u64>,
    next_cursor: Option<MetricsCursor>,
    pub points: VecDeque<ClientPoint>,
    /// 0 until the first answer says how many to keep.
    capacity: usize,
    /// Set by the user's setting before the first answer, if any.
    capacity_override: Option<usize>,
    pub markers: Vec<Marker>,
    pub state: Option<RunState>,
    pub memory_limit: Option<u64>,
    pub host_memory: Option<u64>,
    /// The engine counts the page cache in memory (Podman).
    pub memory_includes_cache: bool,
    pub online_cpus: Option<u32>,
    pub interval_ms: u32,
    pub poll_interval_ms: u32,
    /// The range shown. The live ones share the points (15 min is a
    /// narrower window on them); an aggregated one fills `history`.
    pub range: HistoryRange,
    pub history: HistoryBuffer,
}

/// Aggregated ranges poll at their tier's resolution, but at least once a
/// minute (the newest bucket fills visibly) and at most every 10 s.
pub const HISTORY_POLL_MS: (u32, u32) = (10_000, 60_000);

impl ClientSeries {
    pub fn new(host: &str, id: &str) -> Self {
        ClientSeries {
            host: host.to_string(),
            requested_id: id.to_string(),
            full_id: None,
            epoch: None,
            next_cursor: None,
            points: VecDeque::new(),
            capacity: 0,
            capacity_override: None,
            markers: Vec::new(),
            state: None,
            memory_limit: None,
            host_memory: None,
            memory_includes_cache: false,
            online_cpus: None,
            interval_ms: 1000,
            poll_interval_ms: 1000,
            range: HistoryRange::default(),
            history: HistoryBuffer::default(),
        }
    }

    pub fn with_range(mut self, range: HistoryRange) -> Self {
        self.range = range;
        self
    }

    /// Whether an answer has been applied (points or buckets).
    pub fn loaded(&self) -> bool {
        if self.range.live() { self.epoch.is_some() } else { self.history.loaded() }
    }

    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity_override = Some(capacity.max(1));
        self
    }

    /// The cursor to send: None asks for the whole history.
    pub fn cursor(&self) -> Option<MetricsCursor> {
        self.next_cursor
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forget everything: the next request asks for the whole history.
    pub fn start_over(&mut self) {
        self.epoch = None;
        self.next_cursor = None;
        self.points.clear();
        self.markers.clear();
        self.history.clear();
    }

    pub fn apply(&mut self, page: MetricsPage) -> Applied {
        if page.host.as_str() != self.host {
            return Applied::Dropped;
        }
        if let Some(full) = &self.full_id {
            if page.id.as_str() != full {
                return Applied::Dropped;
            }
        } else if !page.id.as_str().starts_with(&self.requested_id) && page.id.as_str() != self.requested_id {
            // A name resolves to some id; an id must match its own prefix.
            let looks_like_id =
                self.requested_id.len() >= 12 && self.requested_id.bytes().all(|b| b.is_ascii_hexdigit());
            if looks_like_id {
                return Applied::Dropped;
            }
        }
        // Live answers serve every live range; an aggregated one only its own.
        if page.range.live() != self.range.live() || (!self.range.live() && page.range != self.range) {
            return Applied::Dropped;
        }
        if !self.range.live() {
            let Some(cols) = &page.history else { return Applied::Dropped };
            self.take_page_facts(&page);
            self.poll_interval_ms = page.poll_interval_ms.clamp(HISTORY_POLL_MS.0, HISTORY_POLL_MS.1);
            let restart = page.reset || !self.history.loaded();
            if page.reset {
                self.history.clear();
            }
            let added = self.history.merge(cols, self.range);
            return if restart { Applied::Reset } else { Applied::Appended(added) };
        }
        // An answer from another history than the one we hold, that is not
        // itself a full restart, is a late answer: ignore it.
        let other_epoch = self.epoch.is_some_and(|e| e != page.epoch);
        if other_epoch && !page.reset && self.next_cursor.is_some() {
            return Applied::Dropped;
        }
        self.take_page_facts(&page);
        self.capacity = self.capacity_override.unwrap_or(page.client_buffer.max(1) as usize);
        self.poll_interval_ms = page.poll_interval_ms.max(100);

        let restart = page.reset || other_epoch || self.epoch.is_none();
        if restart {
            self.points.clear();
            self.markers.clear();
        }
        self.epoch = Some(page.epoch);
        self.next_cursor = Some(page.next_cursor);

        let times = page.points.times_ms();
        let pids = page.points.pids();
        let last_seq = self.points.back().map(|p| p.seq);
        let mut added = 0;
        for (i, t_ms) in times.into_iter().enumerate() {
            let seq = page.first_seq + i as u64;
            if last_seq.is_some_and(|l| seq <= l) {
                continue; // already held
            }
            let c = &page.points;
            let rate = |v: &Vec<Option<u64>>| v.get(i).copied().flatten().map(|x| x as f64);
            self.points.push_back(ClientPoint {
                seq,
                t_ms,
                cpu: c.cpu_pct.get(i).copied().flatten(),
                mem_bytes: c.mem_kib.get(i).copied().flatten().map(|k| k as u64 * 1024),
                net_rx: rate(&c.net_rx_bps),
                net_tx: rate(&c.net_tx_bps),
                blk_read: rate(&c.blk_read_bps),
                blk_write: rate(&c.blk_write_bps),
                pids: pids.get(i).copied().flatten(),
                gap_before: page.gap && added == 0 && !restart,
            });
            added += 1;
        }
        while self.points.len() > self.capacity {
            self.points.pop_front();
        }
        for m in page.markers {
            if !self.markers.contains(&m) {
                self.markers.push(m);
            }
        }
        let oldest = self.points.front().map(|p| p.seq).unwrap_or(0);
        self.markers.retain(|m| m.before_seq >= oldest);
        if self.markers.len() > MAX_MARKERS {
            let excess = self.markers.len() - MAX_MARKERS;
            self.markers.drain(..excess);
        }
        if restart { Applied::Reset } else { Applied::Appended(added) }
    }

    /// What every answer says about the container, whatever the range.
    fn take_page_facts(&mut self, page: &MetricsPage) {
        self.full_id = Some(page.id.as_str().to_string());
        self.state = Some(page.state.clone());
        self.memory_limit = page.memory_limit;
        self.host_memory = page.host_memory;
        self.memory_includes_cache = page.memory_includes_cache;
        if page.online_cpus.is_some() {
            self.online_cpus = page.online_cpus;
        }
        self.interval_ms = page.interval_ms.max(1);
    }

    /// The x window drawn now, None before there is anything to draw. Live:
    /// the held points up to the newest, at most the range's span of them
    /// (an export of it gives exactly these points). Aggregated: see
    /// [`HistoryBuffer::window`].
    pub fn window(&self, now_ms: i64) -> Option<Window> {
        if self.range.live() {
            let (first, last) = (self.points.front()?.t_ms, self.points.back()?.t_ms);
            Some(Window { from_ms: first.max(last - self.range.span_ms()), to_ms: last })
        } else {
            self.history.window(now_ms, self.range)
        }
    }

    /// The time axis drawn for the window `w`: an aggregated range's window
    /// itself; on a live range the range's whole span ending now (or at the
    /// newest point or marker, if the server's clock is ahead), so a new
    /// container's few points sit at the right edge and a stop after the
    /// newest point is inside it.
    pub fn axis_span(&self, w: &Window, now_ms: i64) -> (i64, i64) {
        if !self.range.live() {
            return (w.from_ms, w.to_ms.max(w.from_ms + 1000));
        }
        let newest_marker = self.markers.iter().map(|m| m.t_ms).max().unwrap_or(i64::MIN);
        let t1 = now_ms.max(w.to_ms).max(newest_marker);
        (t1 - self.range.span_ms(), t1)
    }

    /// Indices of the points within the window.
    pub fn visible(&self, w: &Window) -> std::ops::Range<usize> {
        let start = self.points.partition_point(|p| p.t_ms < w.from_ms);
        let end = self.points.partition_point(|p| p.t_ms <= w.to_ms);
        start..end.max(start)
    }

    /// What the window shows, counted as an export of it counts rows:
    /// points (live) or buckets that hold something (aggregated).
    pub fn drawn(&self, w: &Window) -> usize {
        if self.range.live() { self.visible(w).len() } else { self.history.drawn(w) }
    }

    /// Time of the newest point (or start of the newest bucket) drawn.
    pub fn last_drawn_ms(&self, w: &Window) -> Option<i64> {
        if self.range.live() {
            let r = self.visible(w);
            r.end.checked_sub(1).filter(|i| *i >= r.start).map(|i| self.points[i].t_ms)
        } else {
            self.history.last_present(w)
        }
    }

    /// The visible point nearest to `t_ms`, if within `tolerance_ms`.
    pub fn nearest_point(&self, t_ms: i64, tolerance_ms: i64, w: &Window) -> Option<usize> {
        let r = self.visible(w);
        let at = self.points.partition_point(|p| p.t_ms < t_ms).clamp(r.start, r.end);
        [at.checked_sub(1), Some(at)]
            .into_iter()
            .flatten()
            .filter(|i| r.contains(i))
            .map(|i| (i, (self.points[i].t_ms - t_ms).abs()))
            .filter(|(_, d)| *d <= tolerance_ms)
            .min_by_key(|(_, d)| *d)
            .map(|(i, _)| i)
    }

    /// Index ranges of points to draw as connected lines: a line never
    /// crosses a stop, a lost stretch, or a pause in the data much longer
    /// than the interval.
    pub fn segments(&self) -> Vec<std::ops::Range<usize>> {
        // Seqs before which a lifecycle event happened, in order: one pass
        // over points and markers together (this runs at every poll and draw).
        let mut breaks: Vec<u64> = self
            .markers
            .iter()
            .filter(|m| {
                matches!(m.kind, MarkerKind::Stop | MarkerKind::Removed | MarkerKind::Restart | MarkerKind::Start)
            })
            .map(|m| m.before_seq)
            .collect();
        breaks.sort_unstable();
        let mut next_break = breaks.iter().peekable();
        let mut out = Vec::new();
        let mut start = 0;
        let max_dt = (self.interval_ms as i64 * 5).max(5_000);
        for i in 1..self.points.len() {
            let (a, b) = (&self.points[i - 1], &self.points[i]);
            while next_break.next_if(|s| **s <= a.seq).is_some() {}
            let stopped_between = next_break.peek().is_some_and(|s| **s <= b.seq);
            if b.gap_before || b.seq != a.seq + 1 || b.t_ms - a.t_ms > max_dt || stopped_between {
                out.push(start..i);
                start = i;
            }
        }
        if start < self.points.len() {
            out.push(start..self.points.len());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::{Columns, ContainerId, HostName};

    const ID: &str = "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd";

    fn page(epoch: u64, first_seq: u64, n: usize) -> MetricsPage {
        let points = Columns {
            t0_ms: 1_000_000 + first_seq as i64 * 1000,
            dt_ms: (0..n).map(|i| if i == 0 { 0 } else { 1000 }).collect(),
            cpu_pct: vec![Some(50.0); n],
            mem_kib: vec![Some(1024); n],
            net_rx_bps: vec![Some(0); n],
            net_tx_bps: vec![Some(0); n],
            blk_read_bps: vec![Some(0); n],
            blk_write_bps: vec![Some(0); n],
            pids_changes: if n > 0 { vec![(0, Some(1))] } else { vec![] },
        };
        MetricsPage {
            host: HostName::parse("local").unwrap(),
            id: ContainerId::parse(ID).unwrap(),
            epoch,
            first_seq,
            next_cursor: MetricsCursor { epoch, seq: first_seq + n as u64 },
            gap: false,
            reset: false,
            points,
            markers: vec![],
            state: RunState::Running,
            interval_ms: 1000,
            poll_interval_ms: 1000,
            history_capacity: 3600,
            client_buffer: 5,
            memory_limit: None,
            host_memory: None,
            online_cpus: Some(2),
            memory_includes_cache: false,
            history_loss: None,
            range: HistoryRange::H1,
            history: None,
        }
    }

    fn series() -> ClientSeries {
        ClientSeries::new("local", ID)
    }

    #[test]
    fn the_buffer_is_bounded_by_the_servers_client_buffer() {
        let mut s = series();
        assert_eq!(s.apply(page(1, 0, 8)), Applied::Reset);
        assert_eq!(s.points.len(), 5);
        assert_eq!(s.points.front().unwrap().seq, 3);
        assert_eq!(s.cursor(), Some(MetricsCursor { epoch: 1, seq: 8 }));
    }

    #[test]
    fn points_are_deduplicated_by_seq() {
        let mut s = series().with_capacity(100);
        s.apply(page(1, 0, 4));
        assert_eq!(s.apply(page(1, 2, 4)), Applied::Appended(2));
        let seqs: Vec<u64> = s.points.iter().map(|p| p.seq).collect();
        assert_eq!(seqs, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn an_answer_for_another_container_is_dropped() {
        let mut s = ClientSeries::new("local", "ffffffffffff");
        assert_eq!(s.apply(page(1, 0, 3)), Applied::Dropped);
        let mut s = ClientSeries::new("other-host", ID);
        assert_eq!(s.apply(page(1, 0, 3)), Applied::Dropped);
    }

    #[test]
    fn a_late_answer_of_an_old_epoch_is_dropped_and_a_reset_starts_over() {
        let mut s = series().with_capacity(100);
        s.apply(page(1, 0, 3));
        let mut fresh = page(2, 0, 2);
        fresh.reset = true;
        assert_eq!(s.apply(fresh), Applied::Reset);
        assert_eq!(s.points.len(), 2);
        assert_eq!(s.apply(page(1, 3, 3)), Applied::Dropped);
        assert_eq!(s.epoch, Some(2));
    }

    #[test]
    fn a_gap_is_marked_and_breaks_the_line() {
        let mut s = series().with_capacity(100);
        s.apply(page(1, 0, 3));
        let mut behind = page(1, 10, 2);
        behind.gap = true;
        s.apply(behind);
        assert!(s.points[3].gap_before);
        assert_eq!(s.segments(), vec![0..3, 3..5]);
    }

    #[test]
    fn a_stop_and_start_break_the_line() {
        let mut s = series().with_capacity(100);
        let mut p = page(1, 0, 6);
        p.markers = vec![
            Marker { kind: MarkerKind::Stop, t_ms: 1_003_500, before_seq: 3, exit_code: Some(0) },
            Marker { kind: MarkerKind::Start, t_ms: 1_003_600, before_seq: 3, exit_code: None },
        ];
        s.apply(p);
        assert_eq!(s.segments(), vec![0..3, 3..6]);
        assert_eq!(s.markers.len(), 2);
        // The same markers again are not duplicated.
        let mut again = page(1, 6, 1);
        again.markers = s.markers.clone();
        s.apply(again);
        assert_eq!(s.markers.len(), 2);
    }

    #[test]
    fn fifteen_minutes_is_a_window_on_the_same_points_and_counts_what_it_shows() {
        let mut s = series().with_capacity(10_000).with_range(HistoryRange::M15);
        // 20 minutes of points, one a second.
        s.apply(page(1, 0, 1200));
        let w = s.window(0).unwrap();
        let last = s.points.back().unwrap().t_ms;
        assert_eq!(w, Window { from_ms: last - 15 * 60_000, to_ms: last });
        assert_eq!(s.drawn(&w), 901, "both ends are in the window, as in an export");
        assert_eq!(s.last_drawn_ms(&w), Some(last));
        // An answer asked for as 1 h serves 15 min too.
        let mut next = page(1, 1200, 1);
        next.range = HistoryRange::H1;
        assert_eq!(s.apply(next), Applied::Appended(1));
        s.range = HistoryRange::H1;
        let w = s.window(0).unwrap();
        assert_eq!((w.from_ms, s.drawn(&w)), (s.points.front().unwrap().t_ms, 1201));
        // Hover: the nearest point within reach.
        assert_eq!(s.nearest_point(w.from_ms + 1_400, 1_000, &w), Some(1));
        assert_eq!(s.nearest_point(w.to_ms + 5_000, 1_000, &w), None);
    }

    #[test]
    fn a_live_axis_spans_the_whole_range_ending_now_even_with_three_points() {
        let mut s = series().with_capacity(100).with_range(HistoryRange::M15);
        s.apply(page(1, 0, 3));
        let w = s.window(0).unwrap();
        assert_eq!(w.to_ms - w.from_ms, 2_000, "the window is the points held (what an export gives)");
        let now = w.to_ms + 500;
        assert_eq!(s.axis_span(&w, now), (now - 15 * 60_000, now));
        // A stop after the newest point, by a server clock ahead of ours: still inside.
        s.markers.push(Marker { kind: MarkerKind::Stop, t_ms: now + 700, before_seq: 3, exit_code: Some(0) });
        assert_eq!(s.axis_span(&w, now).1, now + 700);
    }

    #[test]
    fn an_aggregated_range_takes_its_own_answers_only_and_polls_at_most_once_a_minute() {
        let mut s = series().with_range(HistoryRange::D7);
        assert_eq!(s.apply(page(1, 0, 3)), Applied::Dropped, "a live answer");
        let mut p = page(0, 0, 0);
        p.range = HistoryRange::D7;
        p.poll_interval_ms = 600_000;
        p.reset = true;
        p.history = Some(wire::HistoryColumns {
            resolution_ms: 600_000,
            first_bucket: 5,
            next_cursor: 6,
            cpu_min: vec![None, Some(1.0)],
            cpu_avg: vec![None, Some(2.0)],
            cpu_max: vec![None, Some(3.0)],
            mem_min_kib: vec![None, Some(1)],
            mem_avg_kib: vec![None, Some(2)],
            mem_max_kib: vec![None, Some(3)],
            net_rx_bps: vec![None, None],
            net_tx_bps: vec![None, None],
            blk_read_bps: vec![None, None],
            blk_write_bps: vec![None, None],
            events: vec![],
            markers: vec![],
        });
        let mut other = p.clone();
        other.range = HistoryRange::D30;
        assert_eq!(s.apply(other), Applied::Dropped, "another aggregated range");
        assert_eq!(s.apply(p.clone()), Applied::Reset);
        assert!(s.loaded() && s.epoch.is_none());
        assert_eq!(s.poll_interval_ms, 60_000);
        assert_eq!(s.history.cursor(), Some(5));
        let w = s.window(6 * 600_000 + 1).unwrap();
        assert_eq!(s.drawn(&w), 1);
        p.reset = false;
        assert_eq!(s.apply(p), Applied::Appended(2));
        assert_eq!(s.history.buckets.len(), 2);
    }
}
