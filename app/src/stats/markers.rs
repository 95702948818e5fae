//! Lifecycle markers as the chart labels them: markers closer together than
//! a label is wide share one label with a count ("restart ×2", "3 events"),
//! and no label leaves the plot.

use wire::{Marker, MarkerKind};

/// A marker's own words: "stop (137)", "OOM kill".
pub fn marker_label(m: &Marker) -> String {
    match m.kind {
        MarkerKind::Start => "start".into(),
        MarkerKind::Stop => match m.exit_code {
            Some(c) => format!("stop ({c})"),
            None => "stop".into(),
        },
        MarkerKind::Restart => "restart".into(),
        MarkerKind::Oom => "OOM kill".into(),
        MarkerKind::Pause => "pause".into(),
        MarkerKind::Unpause => "unpause".into(),
        MarkerKind::Removed => "removed".into(),
        MarkerKind::Recreated => "recreated".into(),
        MarkerKind::ServerRestart => "Binnacle restarted".into(),
    }
}

/// Markers sharing one label.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerGroup {
    /// Where the group's first and last marker lines are (px).
    pub x_first: f64,
    pub x_last: f64,
    /// The label and where its left edge goes (px), inside the plot.
    pub label: String,
    pub label_x: f64,
    /// Indices of the markers in the list given to [`group`], in order.
    pub members: Vec<usize>,
}

/// One marker's label, or a count: "restart ×2" when all are of one kind,
/// else "3 events".
fn group_label(markers: &[&Marker]) -> String {
    match markers {
        [m] => marker_label(m),
        [first, rest @ ..] if rest.iter().all(|m| m.kind == first.kind) => {
            let word = marker_label(&Marker { exit_code: None, ..(*first).clone() });
            format!("{word} ×{}", markers.len())
        }
        _ => format!("{} events", markers.len()),
    }
}

/// Groups `placed` (a marker and its x in px, sorted by x) so that no two
/// labels overlap, given how wide a text is (`text_width`, px) and the
/// plot's left and right edges. A gap of `pad` px is kept between labels.
pub fn group(
    placed: &[(f64, &Marker)],
    text_width: impl Fn(&str) -> f64,
    left: f64,
    right: f64,
    pad: f64,
) -> Vec<MarkerGroup> {
    let make = |members: Vec<usize>| {
        let ms: Vec<&Marker> = members.iter().map(|i| placed[*i].1).collect();
        let label = group_label(&ms);
        let width = text_width(&label);
        let x_first = placed[members[0]].0;
        let x_last = placed[*members.last().unwrap_or(&members[0])].0;
        let label_x = x_first.min(right - width).max(left);
        (MarkerGroup { x_first, x_last, label, label_x, members }, width)
    };
    let mut groups: Vec<(MarkerGroup, f64)> = Vec::new();
    for (i, (x, _)) in placed.iter().enumerate() {
        if let Some((last, width)) = groups.last()
            && *x < last.label_x + width + pad
        {
            let mut members = last.members.clone();
            members.push(i);
            groups.pop();
            groups.push(make(members));
        } else {
            groups.push(make(vec![i]));
        }
        // A label pushed left by the right edge can reach its neighbour's.
        while groups.len() >= 2 {
            let n = groups.len();
            let (prev, prev_width) = &groups[n - 2];
            if groups[n - 1].0.label_x >= prev.label_x + prev_width + pad {
                break;
            }
            let (b, _) = groups.pop().unwrap_or_else(|| unreachable!());
            let (a, _) = groups.pop().unwrap_or_else(|| unreachable!());
            groups.push(make([a.members, b.members].concat()));
        }
    }
    groups.into_iter().map(|(g, _)| g).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(kind: MarkerKind, t_ms: i64) -> Marker {
        Marker { kind, t_ms, before_seq: 0, exit_code: (kind == MarkerKind::Stop).then_some(0) }
    }

    /// 7 px per character, as a 12 px sans-serif font about is.
    fn width(s: &str) -> f64 {
        s.chars().count() as f64 * 7.0
    }

    fn labels(g: &[MarkerGroup]) -> Vec<&str> {
        g.iter().map(|g| g.label.as_str()).collect()
    }

    #[test]
    fn a_restart_close_together_is_one_label_with_a_count() {
        let ms = [m(MarkerKind::Stop, 0), m(MarkerKind::Start, 1), m(MarkerKind::Restart, 2)];
        let placed: Vec<(f64, &Marker)> = ms.iter().zip([500.0, 501.0, 501.5]).map(|(m, x)| (x, m)).collect();
        let g = group(&placed, width, 80.0, 1000.0, 4.0);
        assert_eq!(labels(&g), ["3 events"]);
        assert_eq!(g[0].members, [0, 1, 2]);
        assert_eq!((g[0].x_first, g[0].x_last), (500.0, 501.5));

        let ms = [m(MarkerKind::Restart, 0), m(MarkerKind::Restart, 1)];
        let placed: Vec<(f64, &Marker)> = ms.iter().zip([500.0, 530.0]).map(|(m, x)| (x, m)).collect();
        assert_eq!(labels(&group(&placed, width, 80.0, 1000.0, 4.0)), ["restart ×2"]);
    }

    #[test]
    fn markers_far_apart_keep_their_own_labels() {
        let ms = [m(MarkerKind::Stop, 0), m(MarkerKind::Start, 1)];
        let placed: Vec<(f64, &Marker)> = ms.iter().zip([100.0, 400.0]).map(|(m, x)| (x, m)).collect();
        let g = group(&placed, width, 80.0, 1000.0, 4.0);
        assert_eq!(labels(&g), ["stop (0)", "start"]);
        assert_eq!(g[1].label_x, 400.0);
    }

    #[test]
    fn labels_stay_inside_the_plot() {
        let ms = [m(MarkerKind::Stop, 0)];
        let g = group(&[(999.0, &ms[0])], width, 80.0, 1000.0, 4.0);
        assert_eq!(g[0].label_x, 1000.0 - width("stop (0)"));
        assert_eq!(g[0].x_first, 999.0, "the line stays where the event is");
        let g = group(&[(10.0, &ms[0])], width, 80.0, 1000.0, 4.0);
        assert_eq!(g[0].label_x, 80.0);
        // Pushed left by the edge onto its neighbour's label: one label.
        let ms = [m(MarkerKind::Start, 0), m(MarkerKind::Stop, 1)];
        let placed: Vec<(f64, &Marker)> = ms.iter().zip([950.0, 999.0]).map(|(m, x)| (x, m)).collect();
        assert_eq!(labels(&group(&placed, width, 80.0, 1000.0, 4.0)), ["2 events"]);
    }
}
