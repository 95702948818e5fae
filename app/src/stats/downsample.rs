//! At most about one point per device pixel, keeping spikes: for each pixel
//! column the minimum and the maximum are kept, in the order they occur.

/// `points` are (x, y) sorted by x. Returns at most 2 points per column of
/// `columns` between `x0` and `x1` (plus the first and last point).
pub fn min_max_per_column(points: &[(f64, f64)], x0: f64, x1: f64, columns: usize) -> Vec<(f64, f64)> {
    if points.len() <= columns.saturating_mul(2) || columns == 0 || x1 <= x0 {
        return points.to_vec();
    }
    let width = (x1 - x0) / columns as f64;
    let column_of = |x: f64| (((x - x0) / width).floor().max(0.0) as usize).min(columns - 1);
    let mut out = Vec::with_capacity(columns * 2 + 2);
    let mut i = 0;
    while i < points.len() {
        let col = column_of(points[i].0);
        let (mut lo, mut hi) = (i, i);
        let mut j = i + 1;
        while j < points.len() && column_of(points[j].0) == col {
            if points[j].1 < points[lo].1 {
                lo = j;
            }
            if points[j].1 > points[hi].1 {
                hi = j;
            }
            j += 1;
        }
        let first = i;
        let last = j - 1;
        let mut keep = [first, lo, hi, last];
        keep.sort_unstable();
        let mut prev = usize::MAX;
        for k in keep {
            if k != prev {
                out.push(points[k]);
                prev = k;
            }
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_points_are_kept_as_they_are() {
        let pts = vec![(0.0, 1.0), (1.0, 2.0)];
        assert_eq!(min_max_per_column(&pts, 0.0, 1.0, 100), pts);
    }

    #[test]
    fn many_points_shrink_to_a_few_per_column_and_keep_the_spike() {
        let mut pts: Vec<(f64, f64)> = (0..3600).map(|i| (i as f64, 10.0)).collect();
        pts[1777].1 = 500.0;
        pts[2222].1 = -3.0;
        let out = min_max_per_column(&pts, 0.0, 3599.0, 400);
        assert!(out.len() <= 4 * 400, "{}", out.len());
        assert!(out.iter().any(|p| p.1 == 500.0), "the spike survives");
        assert!(out.iter().any(|p| p.1 == -3.0), "the dip survives");
        assert!(out.windows(2).all(|w| w[0].0 <= w[1].0), "still in time order");
        assert_eq!(out.first(), pts.first());
        assert_eq!(out.last(), pts.last());
    }
}
