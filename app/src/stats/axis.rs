//! Time axis ticks at round local times: every 10 s, 5 min, 1 h, a day...
//! whichever step gives at most the number of ticks asked for.

const S: i64 = 1000;
/// The steps, in seconds.
const STEPS: [i64; 21] = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 432_000,
    604_800,
];

/// Ticks between `t0` and `t1` (ms since the epoch), at most `max` of them,
/// at multiples of a round step in local time (`offset_ms`: local time minus UTC).
pub fn ticks(t0: i64, t1: i64, offset_ms: i64, max: usize) -> Vec<i64> {
    if t1 <= t0 || max == 0 {
        return vec![];
    }
    let span = t1 - t0;
    let step = STEPS.into_iter().map(|s| s * S).find(|s| span / s < max as i64).unwrap_or(STEPS[STEPS.len() - 1] * S);
    let first = (t0 + offset_ms).div_euclid(step) * step - offset_ms;
    let first = if first < t0 { first + step } else { first };
    (0..).map(|k| first + k * step).take_while(|t| *t <= t1).take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60 * S;
    const H: i64 = 60 * M;
    const D: i64 = 24 * H;

    #[test]
    fn ticks_fall_on_round_local_times() {
        // 6 h ending at 21:07:33.777 UTC, at most 7 ticks: whole hours.
        let t1 = 1_795_986_453_777;
        let t = ticks(t1 - 6 * H, t1, 0, 7);
        assert_eq!(t.len(), 6);
        assert!(t.iter().all(|t| t % H == 0));
        // UTC+1: whole local hours are whole UTC hours too, local midnights are not.
        let days = ticks(t1 - 7 * D, t1, H, 8);
        assert_eq!(days.len(), 7);
        assert!(days.iter().all(|t| (t + H) % D == 0));
        // Minutes for 15 minutes; never more than asked.
        let m = ticks(t1 - 15 * M, t1, 0, 6);
        assert!(m.len() <= 6 && m.iter().all(|t| t % (5 * M) == 0), "{m:?}");
        assert!(ticks(t1, t1, 0, 6).is_empty());
    }
}

/// What a value axis measures, which decides its steps and its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// Bytes, in binary units: steps are powers of two or 1, 2, 5 × 10ⁿ of the unit shown.
    Bytes,
    /// Bytes per second, in binary units: steps are 1, 2, 5 × 10ⁿ of the unit shown.
    Rate,
    /// Percent of one core: 1, 2, 5 × 10ⁿ.
    Percent,
    /// A count (PIDs): whole 1, 2, 5 × 10ⁿ.
    Count,
}

const BINARY_UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
/// Steps within one binary unit, below the next unit (1024 of this one).
const BYTE_STEPS: [f64; 19] =
    [1., 2., 4., 5., 8., 10., 16., 20., 25., 32., 50., 64., 100., 128., 200., 250., 256., 500., 512.];
const DECIMAL_STEPS: [f64; 10] = [1., 2., 5., 10., 20., 50., 100., 200., 250., 500.];

/// A value axis from 0 to `max` with a tick every `step`; `unit` is the
/// divisor of the unit every label is written in (1024ⁿ for bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueTicks {
    pub quantity: Quantity,
    pub step: f64,
    pub max: f64,
    unit: usize,
}

impl ValueTicks {
    /// The nice axis over 0..`top`: the smallest step that needs at most
    /// `max_steps` steps, the axis rounded up to the next tick.
    pub fn choose(quantity: Quantity, top: f64, max_steps: usize) -> ValueTicks {
        let top = if top.is_finite() && top > 0.0 { top } else { 1.0 };
        let max_steps = max_steps.max(1) as f64;
        let fits = |step: f64| (top / step).ceil() <= max_steps;
        let (step, unit) = match quantity {
            Quantity::Bytes | Quantity::Rate => {
                let steps: &[f64] = if quantity == Quantity::Bytes { &BYTE_STEPS } else { &DECIMAL_STEPS };
                (0..BINARY_UNITS.len())
                    .flat_map(|u| steps.iter().map(move |s| (s * 1024f64.powi(u as i32), u)))
                    .find(|(s, _)| fits(*s))
                    .unwrap_or((top, BINARY_UNITS.len() - 1))
            }
            Quantity::Percent | Quantity::Count => {
                let mut decade = 1.0;
                loop {
                    if let Some(s) = [1., 2., 5.].into_iter().map(|m| m * decade).find(|s| fits(*s)) {
                        break (s, 0);
                    }
                    decade *= 10.0;
                }
            }
        };
        ValueTicks { quantity, step, max: (top / step).ceil() * step, unit }
    }

    /// The ticks, from 0 to the top of the axis.
    pub fn ticks(&self) -> Vec<f64> {
        let n = (self.max / self.step).round() as usize;
        (0..=n).map(|k| k as f64 * self.step).collect()
    }

    /// A tick's words: whole numbers in the axis's one unit.
    pub fn label(&self, v: f64) -> String {
        match self.quantity {
            Quantity::Bytes | Quantity::Rate => {
                let n = v / 1024f64.powi(self.unit as i32);
                let per_s = if self.quantity == Quantity::Rate { "/s" } else { "" };
                format!("{n:.0} {}{per_s}", BINARY_UNITS[self.unit])
            }
            Quantity::Percent => format!("{v:.0} %"),
            Quantity::Count => format!("{v:.0}"),
        }
    }
}

#[cfg(test)]
mod value_tests {
    use super::*;

    const MIB: f64 = 1024.0 * 1024.0;

    fn labels(t: &ValueTicks) -> Vec<String> {
        t.ticks().iter().map(|v| t.label(*v)).collect()
    }

    #[test]
    fn two_hundred_mib_ticks_at_round_mib_without_decimals() {
        let t = ValueTicks::choose(Quantity::Bytes, 200.0 * MIB, 4);
        let step_mib = t.step / MIB;
        assert!(step_mib == 64.0 || step_mib == 50.0 || step_mib == 32.0, "{step_mib}");
        assert!(t.max >= 200.0 * MIB && t.ticks().len() <= 5);
        let l = labels(&t);
        assert!(l.iter().all(|l| !l.contains('.')), "{l:?}");
        assert_eq!(l, ["0 MiB", "50 MiB", "100 MiB", "150 MiB", "200 MiB"]);
        // With the chart's headroom above 200 MiB: powers of two.
        let t = ValueTicks::choose(Quantity::Bytes, 220.0 * MIB, 4);
        assert_eq!(labels(&t), ["0 MiB", "64 MiB", "128 MiB", "192 MiB", "256 MiB"]);
    }

    #[test]
    fn memory_steps_stay_in_one_unit_and_move_up_a_unit_when_large() {
        let t = ValueTicks::choose(Quantity::Bytes, 1.7 * MIB, 4);
        assert_eq!(labels(&t), ["0 KiB", "500 KiB", "1000 KiB", "1500 KiB", "2000 KiB"]);
        let t = ValueTicks::choose(Quantity::Bytes, 3.5 * 1024.0 * MIB, 4);
        assert_eq!(labels(&t), ["0 GiB", "1 GiB", "2 GiB", "3 GiB", "4 GiB"]);
        let t = ValueTicks::choose(Quantity::Bytes, 900.0, 4);
        assert_eq!(labels(&t), ["0 B", "250 B", "500 B", "750 B", "1000 B"]);
    }

    #[test]
    fn rates_step_by_one_two_five_in_the_unit_shown() {
        let t = ValueTicks::choose(Quantity::Rate, 1024.0, 4);
        assert_eq!(labels(&t), ["0 B/s", "500 B/s", "1000 B/s", "1500 B/s"]);
        let t = ValueTicks::choose(Quantity::Rate, 7.3 * MIB, 4);
        assert_eq!(labels(&t), ["0 MiB/s", "2 MiB/s", "4 MiB/s", "6 MiB/s", "8 MiB/s"]);
        let t = ValueTicks::choose(Quantity::Rate, 300.0 * 1024.0, 4);
        assert_eq!(t.step, 100.0 * 1024.0);
    }

    #[test]
    fn percent_and_counts_step_by_one_two_five() {
        let t = ValueTicks::choose(Quantity::Percent, 11.5, 4);
        assert_eq!(labels(&t), ["0 %", "5 %", "10 %", "15 %"]);
        let t = ValueTicks::choose(Quantity::Percent, 230.0, 4);
        assert_eq!(labels(&t), ["0 %", "100 %", "200 %", "300 %"]);
        let t = ValueTicks::choose(Quantity::Count, 3.0, 4);
        assert_eq!(labels(&t), ["0", "1", "2", "3"]);
        // Nothing to show still gives an axis.
        assert_eq!(ValueTicks::choose(Quantity::Percent, 0.0, 4).ticks().len(), 2);
    }
}
