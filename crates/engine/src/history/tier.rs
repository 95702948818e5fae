//! One aggregated tier: a ring of fixed-size buckets addressed by time
//! (slot i holds bucket `floor(t / resolution)` with `bucket % len == i`),
//! and the accumulator of the bucket still filling.
//!
//! A bucket is 20 bytes: min, average and maximum of CPU and memory, and
//! the averages of four rates, each a 15-bit float ([`encode`]). The two
//! spare top bits say whether anything was sampled in the bucket and
//! whether a lifecycle event happened in it. An all-zero bucket is a gap.

/// Marks "nothing known" in a 15-bit value.
pub(crate) const UNAVAILABLE: u16 = 0x7FFF;
const VALUE: u16 = 0x7FFF;
const FLAG: u16 = 0x8000;
const MAX_CODE: u16 = 0x7FFE;

/// A non-negative number as a 15-bit float: whole numbers up to 1023
/// exactly, above that 11 significant bits (rounding error under 0.05 %),
/// up to about 2.2e12; NaN becomes [`UNAVAILABLE`], negatives 0.
pub(crate) fn encode(v: f64) -> u16 {
    if v.is_nan() {
        return UNAVAILABLE;
    }
    let v = v.max(0.0);
    if v < 1023.5 {
        return v.round() as u16;
    }
    let mut e = 1u32;
    let mut scaled = v;
    while scaled >= 2047.5 && e < 40 {
        scaled /= 2.0;
        e += 1;
    }
    let mut mant = scaled.round() as u32;
    if mant >= 2048 {
        mant = 1024;
        e += 1;
    }
    if e > 31 {
        return MAX_CODE;
    }
    (((e << 10) | (mant - 1024)) as u16).min(MAX_CODE)
}

/// The value of a 15-bit float (its top bit ignored).
pub(crate) fn decode(code: u16) -> Option<f64> {
    let c = code & VALUE;
    if c == UNAVAILABLE {
        return None;
    }
    let (e, m) = ((c >> 10) as i32, (c & 1023) as f64);
    Some(if e == 0 { m } else { (1024.0 + m) * 2f64.powi(e - 1) })
}

/// CPU is stored in thousandths of a percent of one core.
pub(crate) const CPU_SCALE: f64 = 1000.0;

/// One bucket: `[min, avg, max]` of CPU (thousandths of % of one core) and
/// memory (KiB), and the averages of received, sent, read, written (B/s).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Agg {
    pub cpu: [u16; 3],
    pub mem: [u16; 3],
    pub rates: [u16; 4],
}

impl Agg {
    pub fn present(&self) -> bool {
        self.cpu[0] & FLAG != 0
    }

    pub fn has_event(&self) -> bool {
        self.cpu[1] & FLAG != 0
    }

    pub fn set_event(&mut self) {
        self.cpu[1] |= FLAG;
    }

    pub fn cpu(&self, i: usize) -> Option<f64> {
        self.present().then(|| decode(self.cpu[i]).map(|v| v / CPU_SCALE)).flatten()
    }

    pub fn mem_kib(&self, i: usize) -> Option<f64> {
        self.present().then(|| decode(self.mem[i])).flatten()
    }

    pub fn rate(&self, i: usize) -> Option<f64> {
        self.present().then(|| decode(self.rates[i])).flatten()
    }

    pub fn to_bytes(self) -> [u8; 20] {
        let mut out = [0u8; 20];
        for (i, v) in self.cpu.iter().chain(&self.mem).chain(&self.rates).enumerate() {
            out[i * 2..i * 2 + 2].copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Agg {
        let w = |i: usize| u16::from_le_bytes([b[i * 2], b[i * 2 + 1]]);
        Agg { cpu: [w(0), w(1), w(2)], mem: [w(3), w(4), w(5)], rates: [w(6), w(7), w(8), w(9)] }
    }
}

/// The bucket still filling: exact sums, turned into an [`Agg`] when it closes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Acc {
    pub bucket: i64,
    /// CPU % x ms over the covered time, and that time.
    cpu_weighted: f64,
    cpu_ms: f64,
    cpu_min: f64,
    cpu_max: f64,
    /// Memory KiB x the ms each reading stands for, and those ms.
    mem_weighted: f64,
    mem_ms: f64,
    mem_n: u32,
    mem_min: f64,
    mem_max: f64,
    rate_weighted: [f64; 4],
    rate_ms: [f64; 4],
    events: bool,
}

impl Acc {
    fn new(bucket: i64) -> Acc {
        Acc {
            bucket,
            cpu_weighted: 0.0,
            cpu_ms: 0.0,
            cpu_min: f64::INFINITY,
            cpu_max: f64::NEG_INFINITY,
            mem_weighted: 0.0,
            mem_ms: 0.0,
            mem_n: 0,
            mem_min: f64::INFINITY,
            mem_max: f64::NEG_INFINITY,
            rate_weighted: [0.0; 4],
            rate_ms: [0.0; 4],
            events: false,
        }
    }

    fn sampled(&self) -> bool {
        self.cpu_ms > 0.0 || self.mem_n > 0 || self.rate_ms.iter().any(|m| *m > 0.0)
    }

    fn to_agg(self) -> Agg {
        let mut a = Agg::default();
        if self.sampled() {
            let cpu = |v: f64| encode(v * CPU_SCALE);
            a.cpu = if self.cpu_ms > 0.0 {
                [cpu(self.cpu_min), cpu(self.cpu_weighted / self.cpu_ms), cpu(self.cpu_max)]
            } else {
                [UNAVAILABLE; 3]
            };
            a.mem = if self.mem_n > 0 {
                [encode(self.mem_min), encode(self.mem_weighted / self.mem_ms), encode(self.mem_max)]
            } else {
                [UNAVAILABLE; 3]
            };
            for i in 0..4 {
                a.rates[i] =
                    if self.rate_ms[i] > 0.0 { encode(self.rate_weighted[i] / self.rate_ms[i]) } else { UNAVAILABLE };
            }
            a.cpu[0] |= FLAG;
        }
        if self.events {
            a.set_event();
        }
        a
    }
}

/// Two aggregates of one bucket as one (see [`Tier::flush`]).
fn merge(a: Agg, b: Agg) -> Agg {
    let events = a.has_event() || b.has_event();
    let (a, b) = match (a.present(), b.present()) {
        (false, _) => (b, b),
        (_, false) => (a, a),
        _ => (a, b),
    };
    type Combine = fn(f64, f64) -> f64;
    let pick = |x: u16, y: u16, f: Combine| match (decode(x), decode(y)) {
        (Some(x), Some(y)) => encode(f(x, y)),
        (Some(v), None) | (None, Some(v)) => encode(v),
        (None, None) => UNAVAILABLE,
    };
    let (min, max): (Combine, Combine) = (f64::min, f64::max);
    let mean: Combine = |x, y| (x + y) / 2.0;
    let mut out = Agg {
        cpu: [pick(a.cpu[0], b.cpu[0], min), pick(a.cpu[1], b.cpu[1], mean), pick(a.cpu[2], b.cpu[2], max)],
        mem: [pick(a.mem[0], b.mem[0], min), pick(a.mem[1], b.mem[1], mean), pick(a.mem[2], b.mem[2], max)],
        rates: std::array::from_fn(|i| pick(a.rates[i], b.rates[i], mean)),
    };
    if a.present() {
        out.cpu[0] |= FLAG;
    }
    if events {
        out.set_event();
    }
    out
}

/// What one interval between two samples measured (per second or % of a
/// core, averaged over the interval).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interval {
    pub from_ms: i64,
    pub to_ms: i64,
    pub cpu_pct: Option<f64>,
    pub rates: [Option<f64>; 4],
}

pub(crate) struct Tier {
    pub resolution_ms: i64,
    /// Newest bucket written to `slots` (`i64::MIN` before the first).
    newest: i64,
    slots: Box<[Agg]>,
    acc: Option<Acc>,
}

impl Tier {
    pub fn new(resolution_ms: i64, len: usize) -> Tier {
        Tier { resolution_ms, newest: i64::MIN, slots: vec![Agg::default(); len].into_boxed_slice(), acc: None }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn bucket_of(&self, t_ms: i64) -> i64 {
        t_ms.div_euclid(self.resolution_ms)
    }

    fn slot(&self, bucket: i64) -> usize {
        bucket.rem_euclid(self.slots.len() as i64) as usize
    }

    /// Whether `bucket` is one the written ring holds (or would hold, as a gap).
    fn held(&self, bucket: i64) -> bool {
        self.newest != i64::MIN && bucket <= self.newest && bucket > self.newest - self.slots.len() as i64
    }

    /// Whether `bucket` is within the ring's reach, counting the filling bucket.
    fn within(&self, bucket: i64) -> bool {
        self.newest().is_some_and(|top| bucket <= top && bucket > top - self.slots.len() as i64)
    }

    fn write(&mut self, bucket: i64, agg: Agg) {
        if self.newest == i64::MIN || bucket > self.newest {
            // The buckets in between saw nothing: gaps.
            let from = if self.newest == i64::MIN { bucket } else { self.newest + 1 };
            let n = (bucket - from).clamp(0, self.slots.len() as i64);
            for b in bucket - n..bucket {
                let s = self.slot(b);
                self.slots[s] = Agg::default();
            }
            self.newest = bucket;
        } else if !self.held(bucket) {
            return; // older than the ring
        }
        let s = self.slot(bucket);
        self.slots[s] = agg;
    }

    /// Closes the bucket that was filling. A bucket already written (it
    /// was loaded from the file, and Binnacle restarted within it) is
    /// merged with, not overwritten: minimum of the minimums, maximum of
    /// the maximums, the mean of the two averages, both flags.
    pub fn flush(&mut self) {
        if let Some(acc) = self.acc.take()
            && (acc.sampled() || acc.events)
        {
            let mut agg = acc.to_agg();
            if self.held(acc.bucket) {
                let old = self.slots[self.slot(acc.bucket)];
                agg = merge(old, agg);
            }
            self.write(acc.bucket, agg);
        }
    }

    /// The accumulator of `bucket`, closing an older one; None for a bucket
    /// older than the one filling (a late sample, ignored).
    fn acc(&mut self, bucket: i64) -> Option<&mut Acc> {
        match self.acc {
            Some(a) if a.bucket == bucket => {}
            Some(a) if a.bucket > bucket => return None,
            _ => {
                self.flush();
                self.acc = Some(Acc::new(bucket));
            }
        }
        self.acc.as_mut()
    }

    /// Spreads an interval's values over the buckets it overlaps.
    pub fn add_interval(&mut self, iv: &Interval) {
        if iv.to_ms <= iv.from_ms {
            return;
        }
        let res = self.resolution_ms;
        for b in self.bucket_of(iv.from_ms)..=self.bucket_of(iv.to_ms - 1) {
            let overlap = (iv.to_ms.min((b + 1) * res) - iv.from_ms.max(b * res)) as f64;
            let Some(a) = self.acc(b) else { continue };
            if let Some(c) = iv.cpu_pct {
                a.cpu_weighted += c * overlap;
                a.cpu_ms += overlap;
                a.cpu_min = a.cpu_min.min(c);
                a.cpu_max = a.cpu_max.max(c);
            }
            for (i, r) in iv.rates.iter().enumerate() {
                if let Some(r) = r {
                    a.rate_weighted[i] += r * overlap;
                    a.rate_ms[i] += overlap;
                }
            }
        }
    }

    /// A memory reading at `t_ms`, standing for `weight_ms` of time.
    pub fn add_memory(&mut self, t_ms: i64, kib: f64, weight_ms: f64) {
        let b = self.bucket_of(t_ms);
        if let Some(a) = self.acc(b) {
            a.mem_weighted += kib * weight_ms;
            a.mem_ms += weight_ms;
            a.mem_n += 1;
            a.mem_min = a.mem_min.min(kib);
            a.mem_max = a.mem_max.max(kib);
        }
    }

    /// Flags the bucket `t_ms` falls in as holding a lifecycle event.
    pub fn flag_event(&mut self, t_ms: i64) {
        let b = self.bucket_of(t_ms);
        if self.acc.is_some_and(|a| a.bucket > b) || (self.acc.is_none() && self.newest != i64::MIN && b <= self.newest)
        {
            if self.held(b) {
                let s = self.slot(b);
                self.slots[s].set_event();
            }
        } else if let Some(a) = self.acc(b) {
            a.events = true;
        }
    }

    /// Bucket `bucket` as known now (the one filling included), if held.
    pub fn get(&self, bucket: i64) -> Option<Agg> {
        match self.acc {
            Some(a) if a.bucket == bucket => Some(a.to_agg()),
            _ if !self.within(bucket) => None,
            _ if self.held(bucket) => Some(self.slots[self.slot(bucket)]),
            // Between the last written bucket and the filling one: a gap.
            _ => Some(Agg::default()),
        }
    }

    /// The bucket still filling, if any: it and later ones may still change.
    pub fn filling(&self) -> Option<i64> {
        self.acc.map(|a| a.bucket)
    }

    /// The newest bucket with anything in it (the filling one included).
    pub fn newest(&self) -> Option<i64> {
        let filling = self.acc.map(|a| a.bucket);
        let written = (self.newest != i64::MIN).then_some(self.newest);
        filling.max(written)
    }

    /// The ring for a snapshot: the newest bucket and every slot in bucket
    /// order (oldest first), the filling bucket included as if closed.
    pub fn snapshot(&self) -> Option<(i64, Vec<Agg>)> {
        let newest = self.newest()?;
        let n = self.slots.len() as i64;
        Some((newest, (newest - n + 1..=newest).map(|b| self.get(b).unwrap_or_default()).collect()))
    }

    /// Restores a ring from [`Tier::snapshot`]'s output.
    pub fn restore(&mut self, newest: i64, aggs: &[Agg]) {
        self.acc = None;
        self.newest = i64::MIN;
        let first = newest - aggs.len() as i64 + 1;
        for (i, a) in aggs.iter().enumerate() {
            if *a != Agg::default() || i + 1 == aggs.len() {
                self.write(first + i as i64, *a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_is_20_bytes() {
        assert_eq!(std::mem::size_of::<Agg>(), 20);
        let a = Agg { cpu: [1, 2, 3], mem: [4, 5, 6], rates: [7, 8, 9, 0x8000] };
        assert_eq!(Agg::from_bytes(&a.to_bytes()), a);
    }

    #[test]
    fn fifteen_bit_floats_round_within_half_a_thousandth() {
        for v in [0.0, 1.0, 1023.0, 1024.0, 2047.0, 2048.0, 12_345.0, 5.0e6, 1.0e9, 3.3e11, 2.0e12] {
            let back = decode(encode(v)).unwrap();
            assert!((back - v).abs() <= v * 0.0005 + 0.5, "{v} came back as {back}");
            assert_eq!(encode(v) & FLAG, 0);
        }
        let mut x = 1.0f64;
        while x < 2.0e12 {
            let back = decode(encode(x)).unwrap();
            assert!((back - x).abs() <= x * 0.0005 + 0.5, "{x} came back as {back}");
            x *= 1.013;
        }
        assert_eq!(decode(encode(f64::NAN)), None);
        assert_eq!(decode(encode(-3.0)), Some(0.0));
        assert_eq!(decode(encode(1e30)), decode(MAX_CODE));
    }

    #[test]
    fn buckets_land_in_their_slots_and_skipped_ones_are_gaps() {
        let mut t = Tier::new(10, 5);
        t.add_memory(5, 100.0, 1.0);
        t.add_memory(15, 200.0, 1.0);
        t.add_memory(45, 300.0, 1.0); // bucket 4: buckets 2 and 3 saw nothing
        assert_eq!(t.get(0).unwrap().mem_kib(1), Some(100.0));
        assert_eq!(t.get(1).unwrap().mem_kib(1), Some(200.0));
        assert!(!t.get(2).unwrap().present() && !t.get(3).unwrap().present());
        assert_eq!(t.get(4).unwrap().mem_kib(1), Some(300.0));
        t.add_memory(75, 400.0, 1.0); // bucket 7: 0..=2 leave the ring
        assert_eq!(t.get(2), None);
        assert!(!t.get(3).unwrap().present());
        assert_eq!(t.get(4).unwrap().mem_kib(1), Some(300.0));
        assert!(!t.get(5).unwrap().present());
        let (newest, aggs) = t.snapshot().unwrap();
        let mut u = Tier::new(10, 5);
        u.restore(newest, &aggs);
        for b in 2..=8 {
            assert_eq!(u.get(b), t.get(b), "bucket {b}");
        }
        // Binnacle restarted within bucket 7: the next readings merge with the loaded one.
        u.flag_event(76);
        u.add_memory(77, 600.0, 1.0);
        u.add_memory(85, 50.0, 1.0); // closes bucket 7
        let b7 = u.get(7).unwrap();
        assert!(b7.has_event() && b7.present());
        assert_eq!((b7.mem_kib(0), b7.mem_kib(1), b7.mem_kib(2)), (Some(400.0), Some(500.0), Some(600.0)));
    }

    #[test]
    fn an_interval_is_spread_over_the_buckets_it_overlaps() {
        let mut t = Tier::new(10, 8);
        t.add_interval(&Interval {
            from_ms: 5,
            to_ms: 25,
            cpu_pct: Some(50.0),
            rates: [Some(100.0), None, None, None],
        });
        t.add_interval(&Interval { from_ms: 25, to_ms: 30, cpu_pct: Some(150.0), rates: [None; 4] });
        let b2 = t.get(2).unwrap();
        let near = |v: Option<f64>, x: f64| (v.unwrap() - x).abs() <= x * 0.0005;
        assert!(near(b2.cpu(1), 100.0)); // 5 ms at 50 and 5 ms at 150
        assert!(near(b2.cpu(0), 50.0) && near(b2.cpu(2), 150.0));
        assert_eq!(b2.rate(0), Some(100.0));
        assert!(near(t.get(0).unwrap().cpu(1), 50.0));
        t.flag_event(12);
        assert!(t.get(1).unwrap().has_event() && !t.get(2).unwrap().has_event());
        t.flag_event(95); // a later bucket: the filling one closes
        assert!(t.get(9).unwrap().has_event() && !t.get(9).unwrap().present());
        assert!(near(t.get(2).unwrap().cpu(1), 100.0));
    }
}
