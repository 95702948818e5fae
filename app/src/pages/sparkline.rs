//! Inline SVG sparklines for the list: a path over the buckets, broken
//! where a bucket has no value. Rendered on the server and again in the
//! browser as the list refreshes (no canvas, no script of its own).

use leptos::prelude::*;

const WIDTH: f32 = 80.0;
const HEIGHT: f32 = 18.0;

/// The SVG path of `values` scaled to `0..=top` (gaps start a new segment).
pub fn path(values: &[Option<f32>], top: f32) -> String {
    let n = values.len().max(2) as f32;
    let top = top.max(f32::MIN_POSITIVE);
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let x = i as f32 * WIDTH / (n - 1.0);
                let y = HEIGHT - (v / top).clamp(0.0, 1.0) * (HEIGHT - 2.0) - 1.0;
                d.push_str(&format!("{}{x:.1} {y:.1} ", if pen_down { "L" } else { "M" }));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d.trim_end().to_string()
}

#[component]
pub fn Sparkline(values: Vec<Option<f32>>, top: f32, class: &'static str) -> impl IntoView {
    let d = path(&values, top);
    let points = values.iter().flatten().count();
    view! {
        <svg class=format!("spark {class}") width=WIDTH height=HEIGHT viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            aria-hidden="true" data-points=points>
            <path d=d/>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_break_the_line_and_values_scale_to_the_top() {
        let d = path(&[Some(0.0), Some(100.0), None, Some(50.0), Some(50.0)], 100.0);
        assert_eq!(d, "M0.0 17.0 L20.0 1.0 M60.0 9.0 L80.0 9.0");
        assert_eq!(path(&[None, None], 1.0), "");
    }
}
