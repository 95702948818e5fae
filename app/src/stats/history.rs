//! An aggregated range's buckets as the browser keeps them: one contiguous
//! run of bucket indices (a bucket nothing was sampled in is a gap), the
//! newest one still filling, trimmed to the range's window.

use std::collections::VecDeque;

use wire::{HistoryColumns, HistoryRange, Marker};

/// One bucket: CPU (% of one core) and memory (KiB) as min, average and
/// max; rates (bytes per second) as averages. All None: nothing sampled.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bucket {
    pub cpu_min: Option<f32>,
    pub cpu_avg: Option<f32>,
    pub cpu_max: Option<f32>,
    pub mem_min_kib: Option<u32>,
    pub mem_avg_kib: Option<u32>,
    pub mem_max_kib: Option<u32>,
    pub net_rx: Option<u64>,
    pub net_tx: Option<u64>,
    pub blk_read: Option<u64>,
    pub blk_write: Option<u64>,
    /// A lifecycle event happened in it.
    pub event: bool,
}

impl Bucket {
    /// Shown on the chart and a row of the export: something was sampled
    /// in it (CPU or memory), or an event happened in it.
    pub fn present(&self) -> bool {
        self.cpu_avg.is_some() || self.mem_avg_kib.is_some() || self.event
    }
}

/// The x window a chart draws (and an export asks for), ms since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Window {
    pub fn contains(&self, t_ms: i64) -> bool {
        (self.from_ms..=self.to_ms).contains(&t_ms)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryBuffer {
    /// ms; 0 before the first answer.
    pub resolution_ms: i64,
    /// Index of `buckets[0]`.
    pub first: i64,
    pub buckets: VecDeque<Bucket>,
    /// Lifecycle markers within the held buckets (`before_seq`: bucket index).
    pub markers: Vec<Marker>,
    /// The newest bucket the server has (the one filling); None before the first answer.
    pub newest: Option<i64>,
}

impl HistoryBuffer {
    pub fn clear(&mut self) {
        *self = HistoryBuffer::default();
    }

    pub fn loaded(&self) -> bool {
        self.newest.is_some()
    }

    /// The `history_cursor` to send: the bucket before the newest, so the
    /// last samples of the bucket that was filling at the previous answer
    /// (an interval is spread over the buckets it overlaps, and the sample
    /// closing it can come after the boundary) are read again too.
    pub fn cursor(&self) -> Option<i64> {
        self.newest.map(|n| (n - 1).max(self.first).max(0))
    }

    /// Bucket `index` if held.
    pub fn get(&self, index: i64) -> Option<&Bucket> {
        usize::try_from(index - self.first).ok().and_then(|i| self.buckets.get(i))
    }

    pub fn start_ms(&self, index: i64) -> i64 {
        index * self.resolution_ms
    }

    /// Merges an answer: it starts at `first_bucket` and replaces every held
    /// bucket from there on; buckets and markers older than `range`'s window
    /// ending at the answer's newest bucket are dropped. Returns how many
    /// buckets the answer held.
    pub fn merge(&mut self, cols: &HistoryColumns, range: HistoryRange) -> usize {
        let res = cols.resolution_ms as i64;
        if res <= 0 {
            return 0;
        }
        if res != self.resolution_ms {
            self.clear();
            self.resolution_ms = res;
        }
        let window_len = (range.span_ms() / res).max(1);
        let f = cols.first_bucket;
        let end = self.first + self.buckets.len() as i64;
        if self.buckets.is_empty() || f < self.first || f - end > window_len {
            self.buckets.clear();
            self.first = f;
        } else if f < end {
            self.buckets.truncate((f - self.first) as usize);
        } else {
            // Buckets between what is held and the answer: nothing known, gaps.
            for _ in end..f {
                self.buckets.push_back(Bucket::default());
            }
        }
        let n = cols.len();
        let at = |v: &Vec<Option<f32>>, i: usize| v.get(i).copied().flatten();
        for i in 0..n {
            let kib = |v: &Vec<Option<u32>>| v.get(i).copied().flatten();
            let rate = |v: &Vec<Option<u64>>| v.get(i).copied().flatten();
            self.buckets.push_back(Bucket {
                cpu_min: at(&cols.cpu_min, i),
                cpu_avg: at(&cols.cpu_avg, i),
                cpu_max: at(&cols.cpu_max, i),
                mem_min_kib: kib(&cols.mem_min_kib),
                mem_avg_kib: kib(&cols.mem_avg_kib),
                mem_max_kib: kib(&cols.mem_max_kib),
                net_rx: rate(&cols.net_rx_bps),
                net_tx: rate(&cols.net_tx_bps),
                blk_read: rate(&cols.blk_read_bps),
                blk_write: rate(&cols.blk_write_bps),
                event: cols.events.contains(&(i as u32)),
            });
        }
        self.markers.retain(|m| (m.before_seq as i64) < f);
        self.markers.extend(cols.markers.iter().cloned());
        let newest = if n > 0 { f + n as i64 - 1 } else { cols.next_cursor };
        self.newest = Some(self.newest.map_or(newest, |old| old.max(newest)));
        self.trim(window_len);
        n
    }

    /// Drops what is older than the window of `window_len` buckets ending at the newest.
    fn trim(&mut self, window_len: i64) {
        let Some(newest) = self.newest else { return };
        let first = newest - window_len + 1;
        while self.first < first && !self.buckets.is_empty() {
            self.buckets.pop_front();
            self.first += 1;
        }
        if self.buckets.is_empty() {
            self.first = self.first.max(first);
        }
        // Nothing newer than the newest bucket is kept either.
        let keep = (newest - self.first + 1).max(0) as usize;
        self.buckets.truncate(keep);
        self.markers.retain(|m| (m.before_seq as i64) >= first);
    }

    /// The window drawn: from the start of the oldest bucket of `range`'s
    /// window (the server answers no older one) to now, within the newest
    /// bucket. It is at most the range's span, and an export of it gives
    /// exactly these buckets.
    pub fn window(&self, now_ms: i64, range: HistoryRange) -> Option<Window> {
        let newest = self.newest?;
        let res = self.resolution_ms;
        let len = (range.span_ms() / res).max(1);
        let from_ms = (newest - len + 1) * res;
        let to_ms = now_ms.clamp(newest * res, (newest + 1) * res - 1);
        Some(Window { from_ms, to_ms })
    }

    /// Indices of the held buckets whose start lies in the window's buckets.
    fn indices(&self, w: &Window) -> std::ops::Range<i64> {
        if self.resolution_ms <= 0 {
            return 0..0;
        }
        let lo = w.from_ms.div_euclid(self.resolution_ms).max(self.first);
        let end = (w.to_ms.div_euclid(self.resolution_ms) + 1).min(self.first + self.buckets.len() as i64);
        lo..end.max(lo)
    }

    /// The buckets drawn in the window that hold something (the rows an export gives).
    pub fn drawn(&self, w: &Window) -> usize {
        self.indices(w).filter(|&i| self.get(i).is_some_and(Bucket::present)).count()
    }

    /// The buckets drawn in the window whose CPU or memory band has a height
    /// (its maximum above its minimum).
    pub fn banded(&self, w: &Window) -> usize {
        let open = |lo: Option<f64>, hi: Option<f64>| matches!((lo, hi), (Some(l), Some(h)) if h > l);
        self.indices(w)
            .filter_map(|i| self.get(i))
            .filter(|b| {
                open(b.cpu_min.map(f64::from), b.cpu_max.map(f64::from))
                    || open(b.mem_min_kib.map(f64::from), b.mem_max_kib.map(f64::from))
            })
            .count()
    }

    /// Start of the newest bucket drawn in the window that holds something.
    pub fn last_present(&self, w: &Window) -> Option<i64> {
        self.indices(w).rev().find(|&i| self.get(i).is_some_and(Bucket::present)).map(|i| self.start_ms(i))
    }

    /// Where a bucket's value is drawn: its middle, within the window.
    pub fn x_of(&self, index: i64, w: &Window) -> i64 {
        (self.start_ms(index) + self.resolution_ms / 2).clamp(w.from_ms, w.to_ms)
    }

    /// Runs of consecutive buckets where `value` has something, as (x, value):
    /// a bucket without one (a gap) ends a run.
    pub fn runs<T>(&self, w: &Window, value: impl Fn(&Bucket) -> Option<T>) -> Vec<Vec<(i64, T)>> {
        let mut out = Vec::new();
        let mut run = Vec::new();
        for i in self.indices(w) {
            match self.get(i).and_then(&value) {
                Some(v) => run.push((self.x_of(i, w), v)),
                None if !run.is_empty() => out.push(std::mem::take(&mut run)),
                None => {}
            }
        }
        if !run.is_empty() {
            out.push(run);
        }
        out
    }

    /// The bucket holding something nearest to `t_ms`, within `tolerance_ms`
    /// of its drawn middle (the bucket under `t_ms` itself always counts).
    pub fn nearest(&self, t_ms: i64, tolerance_ms: i64, w: &Window) -> Option<i64> {
        if self.resolution_ms <= 0 {
            return None;
        }
        let under = t_ms.div_euclid(self.resolution_ms);
        let reach = tolerance_ms / self.resolution_ms + 1;
        let range = self.indices(w);
        (under - reach..=under + reach)
            .filter(|i| range.contains(i) && self.get(*i).is_some_and(Bucket::present))
            .map(|i| (i, (self.x_of(i, w) - t_ms).abs()))
            .filter(|(i, d)| *i == under || *d <= tolerance_ms)
            .min_by_key(|(_, d)| *d)
            .map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::MarkerKind;

    const RES: u32 = 10_000;

    /// An answer of `n` buckets from `first`, bucket k holding CPU `k` (None where `gaps` says).
    fn answer(first: i64, n: usize, gaps: &[usize]) -> HistoryColumns {
        let f = |i: usize, v: f32| (!gaps.contains(&i)).then_some(v);
        let k = |i: usize, v: u32| (!gaps.contains(&i)).then_some(v);
        let r = |i: usize| (!gaps.contains(&i)).then_some(0u64);
        HistoryColumns {
            resolution_ms: RES,
            first_bucket: first,
            next_cursor: first + n as i64 - 1,
            cpu_min: (0..n).map(|i| f(i, (first + i as i64) as f32 - 0.5)).collect(),
            cpu_avg: (0..n).map(|i| f(i, (first + i as i64) as f32)).collect(),
            cpu_max: (0..n).map(|i| f(i, (first + i as i64) as f32 + 0.5)).collect(),
            mem_min_kib: (0..n).map(|i| k(i, 100)).collect(),
            mem_avg_kib: (0..n).map(|i| k(i, 200)).collect(),
            mem_max_kib: (0..n).map(|i| k(i, 300)).collect(),
            net_rx_bps: (0..n).map(r).collect(),
            net_tx_bps: (0..n).map(r).collect(),
            blk_read_bps: (0..n).map(r).collect(),
            blk_write_bps: (0..n).map(r).collect(),
            events: vec![],
            markers: vec![],
        }
    }

    fn cpus(h: &HistoryBuffer) -> Vec<Option<f32>> {
        h.buckets.iter().map(|b| b.cpu_avg).collect()
    }

    #[test]
    fn an_answer_replaces_the_buckets_from_its_first_on_and_appends_the_rest() {
        let mut h = HistoryBuffer::default();
        assert_eq!(h.merge(&answer(100, 5, &[4]), HistoryRange::H6), 5);
        assert_eq!((h.first, h.newest), (100, Some(104)));
        assert_eq!(h.get(104).unwrap().cpu_avg, None, "the newest was empty");
        // The next answer starts at the bucket before the newest: 103 and 104 are replaced.
        assert_eq!(h.cursor(), Some(103));
        h.merge(&answer(103, 3, &[]), HistoryRange::H6);
        assert_eq!(cpus(&h), vec![Some(100.0), Some(101.0), Some(102.0), Some(103.0), Some(104.0), Some(105.0)]);
        assert_eq!(h.newest, Some(105));
        assert_eq!(h.get(105).unwrap().cpu_max, Some(105.5));
    }

    #[test]
    fn buckets_older_than_the_window_are_dropped_and_a_hole_is_a_gap() {
        let mut h = HistoryBuffer::default();
        let len = HistoryRange::H6.span_ms() / RES as i64; // 2160
        h.merge(&answer(1000, 10, &[]), HistoryRange::H6);
        // Much later (the tab was hidden): the answer starts further on.
        h.merge(&answer(1000 + len + 5, 2, &[]), HistoryRange::H6);
        let newest = 1000 + len + 6;
        assert_eq!(h.newest, Some(newest));
        assert_eq!(h.first, newest - len + 1);
        assert_eq!(h.buckets.len() as i64, len);
        // Held buckets 1007..=1009 survive; between them and the answer, gaps.
        assert_eq!(h.get(1009).unwrap().cpu_avg, Some(1009.0));
        assert_eq!(h.get(1010).unwrap().cpu_avg, None);
        assert!(h.get(1006).is_none());
        // Beyond the window entirely: start over from the answer.
        h.merge(&answer(newest + 3 * len, 1, &[]), HistoryRange::H6);
        assert_eq!((h.first, h.buckets.len()), (newest + 3 * len, 1));
    }

    #[test]
    fn markers_are_replaced_from_the_answers_first_bucket_and_trimmed_with_the_window() {
        let mut h = HistoryBuffer::default();
        let mut a = answer(10, 3, &[]);
        a.events = vec![1];
        a.markers = vec![Marker { kind: MarkerKind::Stop, t_ms: 110_000, before_seq: 11, exit_code: Some(0) }];
        h.merge(&a, HistoryRange::H6);
        assert!(h.get(11).unwrap().event);
        let mut b = answer(11, 2, &[]);
        b.events = vec![0];
        b.markers = a.markers.clone();
        h.merge(&b, HistoryRange::H6);
        assert_eq!(h.markers.len(), 1, "sent again, not doubled");
        h.merge(&answer(11 + 2160, 1, &[]), HistoryRange::H6);
        assert!(h.markers.is_empty(), "bucket 11 left the window");
    }

    #[test]
    fn the_window_is_the_ranges_span_of_buckets_ending_now_and_counts_what_an_export_gives() {
        let mut h = HistoryBuffer::default();
        let newest = 200_000i64;
        h.merge(&answer(newest - 3, 4, &[1]), HistoryRange::H6);
        let now = newest * RES as i64 + 4_321;
        let w = h.window(now, HistoryRange::H6).unwrap();
        assert_eq!(w.to_ms, now);
        assert_eq!(w.from_ms, (newest - 2159) * RES as i64);
        assert!(w.to_ms - w.from_ms <= HistoryRange::H6.span_ms());
        // A client clock ahead or behind stays within the newest bucket.
        assert_eq!(h.window(now + 60_000, HistoryRange::H6).unwrap().to_ms, (newest + 1) * RES as i64 - 1);
        assert_eq!(h.window(0, HistoryRange::H6).unwrap().to_ms, newest * RES as i64);
        assert_eq!(h.drawn(&w), 3, "the gap is not drawn");
        assert_eq!(h.last_present(&w), Some(newest * RES as i64));
        let runs = h.runs(&w, |b| b.cpu_avg);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0], vec![((newest - 3) * RES as i64 + 5_000, (newest - 3) as f32)]);
        // The newest bucket's middle is after now: drawn at now.
        assert_eq!(runs[1].last().unwrap().0, now);
    }

    #[test]
    fn hover_finds_the_bucket_under_the_pointer_or_the_nearest_within_reach() {
        let mut h = HistoryBuffer::default();
        h.merge(&answer(100, 6, &[2, 3]), HistoryRange::H6);
        let w = h.window(105 * 10_000 + 9_999, HistoryRange::H6).unwrap();
        assert_eq!(h.nearest(101 * 10_000 + 100, 0, &w), Some(101));
        // Over a gap: the nearest bucket within reach, else none.
        assert_eq!(h.nearest(102 * 10_000 + 2_000, 8_000, &w), Some(101));
        assert_eq!(h.nearest(103 * 10_000 + 8_000, 8_000, &w), Some(104));
        assert_eq!(h.nearest(103 * 10_000, 1_000, &w), None);
    }
}
