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
