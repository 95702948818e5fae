//! Draws a container's series on a `<canvas>` with plotters: CPU, memory,
//! network and block I/O panels sharing one time axis. Colours come from the
//! page's CSS custom properties at every draw, so a theme switch or a user
//! stylesheet recolours the chart on the next draw.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::HtmlCanvasElement;
use plotters::coord::ranged1d::Ranged;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

use super::axis::{Quantity, ValueTicks};
use super::downsample::min_max_per_column;
use super::format;
use super::history::{Bucket, Window};
use super::markers::{group, marker_label};
use super::series::{ClientPoint, ClientSeries};

#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub bg: RGBColor,
    pub grid: RGBColor,
    pub text: RGBColor,
    pub cpu: RGBColor,
    pub mem: RGBColor,
    pub net_rx: RGBColor,
    pub net_tx: RGBColor,
    pub io_read: RGBColor,
    pub io_write: RGBColor,
    pub marker: RGBColor,
    pub limit: RGBColor,
    pub pids: RGBColor,
}

/// Parses `#rgb`, `#rrggbb` and `rgb(r, g, b)` / `rgba(...)`.
pub fn parse_color(raw: &str) -> Option<RGBColor> {
    let s = raw.trim();
    if let Some(hex) = s.strip_prefix('#') {
        let hex: String = match hex.len() {
            3 => hex.chars().flat_map(|c| [c, c]).collect(),
            6 => hex.to_string(),
            _ => return None,
        };
        let v = u32::from_str_radix(&hex, 16).ok()?;
        return Some(RGBColor((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    let inner = s.strip_prefix("rgba(").or_else(|| s.strip_prefix("rgb("))?.strip_suffix(')')?;
    let mut parts = inner.split([',', ' ', '/']).filter(|p| !p.is_empty());
    let mut next = || parts.next()?.trim().parse::<f64>().ok().map(|v| v.clamp(0.0, 255.0) as u8);
    Some(RGBColor(next()?, next()?, next()?))
}

/// Reads the chart colours from the CSS custom properties in effect now.
pub fn palette_from_css() -> Palette {
    let style = document().document_element().and_then(|root| window().get_computed_style(&root).ok().flatten());
    let read = |name: &str, fallback: RGBColor| {
        style.as_ref().and_then(|s| s.get_property_value(name).ok()).and_then(|v| parse_color(&v)).unwrap_or(fallback)
    };
    Palette {
        bg: read("--chart-bg", WHITE),
        grid: read("--chart-grid", RGBColor(220, 220, 220)),
        text: read("--chart-text", BLACK),
        cpu: read("--chart-cpu", BLUE),
        mem: read("--chart-mem", MAGENTA),
        net_rx: read("--chart-net-rx", GREEN),
        net_tx: read("--chart-net-tx", RED),
        io_read: read("--chart-io-read", RGBColor(110, 76, 65)),
        io_write: read("--chart-io-write", RGBColor(192, 202, 51)),
        marker: read("--chart-marker", RGBColor(95, 99, 104)),
        limit: read("--chart-limit", RGBColor(201, 106, 0)),
        pids: read("--chart-pids", RGBColor(173, 20, 87)),
    }
}

/// Sizes the backing store to the canvas's CSS size times devicePixelRatio,
/// so lines and text are sharp on HiDPI screens. Returns the ratio.
pub fn fit_backing_store(canvas: &HtmlCanvasElement) -> f64 {
    let dpr = window().device_pixel_ratio().max(1.0);
    let css_w = canvas.client_width().max(300) as f64;
    let css_h = canvas.client_height().max(200) as f64;
    let (w, h) = ((css_w * dpr).round() as u32, (css_h * dpr).round() as u32);
    if canvas.width() != w {
        canvas.set_width(w);
    }
    if canvas.height() != h {
        canvas.set_height(h);
    }
    dpr
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

fn local(t_ms: i64) -> leptos::web_sys::js_sys::Date {
    leptos::web_sys::js_sys::Date::new(&(t_ms as f64).into())
}

fn clock(d: &leptos::web_sys::js_sys::Date, seconds: bool) -> String {
    if seconds {
        format!("{:02}:{:02}:{:02}", d.get_hours(), d.get_minutes(), d.get_seconds())
    } else {
        format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
    }
}

/// An x axis label, as precise as an axis of `span_ms` needs (local time).
fn axis_label(t_ms: i64, span_ms: i64) -> String {
    let d = local(t_ms);
    const H: i64 = 3_600_000;
    let midnight = d.get_hours() == 0 && d.get_minutes() == 0;
    if span_ms <= 5 * 60_000 {
        clock(&d, true)
    } else if span_ms <= 25 * H {
        clock(&d, false)
    } else if span_ms <= 8 * 24 * H && !midnight {
        format!("{} {}", DAYS[d.get_day() as usize % 7], clock(&d, false))
    } else if span_ms <= 8 * 24 * H {
        format!("{} {}", DAYS[d.get_day() as usize % 7], d.get_date())
    } else {
        format!("{} {}", MONTHS[d.get_month() as usize % 12], d.get_date())
    }
}

/// "12:03", local time.
pub fn clock_hm(t_ms: i64) -> String {
    clock(&local(t_ms), false)
}

/// The hover readout's time: a point's, or a bucket's span (local time).
pub fn hover_time(t_ms: i64, bucket_ms: Option<i64>) -> String {
    let d = local(t_ms);
    match bucket_ms {
        None => clock(&d, true),
        Some(len) => {
            let end = local(t_ms + len);
            let day =
                format!("{} {} {}", DAYS[d.get_day() as usize % 7], MONTHS[d.get_month() as usize % 12], d.get_date());
            format!("{day}, {} – {} ({})", clock(&d, true), clock(&end, true), format::span(len))
        }
    }
}

/// The time axis: linear like plotters' own, with its grid and labels at
/// round local times (plotters' would fall on round numbers of ms).
#[derive(Clone, Copy)]
struct TimeAxis {
    t0: i64,
    t1: i64,
    offset_ms: i64,
}

impl TimeAxis {
    fn new(t0: i64, t1: i64) -> TimeAxis {
        // JavaScript's offset is UTC minus local time, in minutes.
        let offset_ms = -(local(t1).get_timezone_offset() * 60_000.0) as i64;
        TimeAxis { t0, t1, offset_ms }
    }
}

impl Ranged for TimeAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = i64;

    fn map(&self, v: &i64, limit: (i32, i32)) -> i32 {
        let f = (*v - self.t0) as f64 / (self.t1 - self.t0).max(1) as f64;
        limit.0 + ((limit.1 - limit.0) as f64 * f + 1e-3).floor() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<i64> {
        super::axis::ticks(self.t0, self.t1, self.offset_ms, hint.max_num_points())
    }

    fn range(&self) -> std::ops::Range<i64> {
        self.t0..self.t1
    }
}

/// Where the last draw put the plot: the axis span and the plot's left and
/// right edges in CSS pixels from the canvas's left edge (the same for every panel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    pub window: Window,
    pub t0: i64,
    pub t1: i64,
    pub left_css: f64,
    pub right_css: f64,
}

impl Layout {
    /// The time under a CSS x offset on the canvas.
    pub fn time_at(&self, x_css: f64) -> i64 {
        let f = ((x_css - self.left_css) / (self.right_css - self.left_css).max(1.0)).clamp(0.0, 1.0);
        self.t0 + (f * (self.t1 - self.t0) as f64).round() as i64
    }

    /// The CSS x offset of a time.
    pub fn x_of(&self, t_ms: i64) -> f64 {
        let f = (t_ms - self.t0) as f64 / (self.t1 - self.t0).max(1) as f64;
        self.left_css + f * (self.right_css - self.left_css)
    }

    /// How many ms one CSS pixel spans.
    pub fn ms_per_px(&self) -> f64 {
        (self.t1 - self.t0) as f64 / (self.right_css - self.left_css).max(1.0)
    }
}

/// Connected (time, value) points; one alone is drawn as a dot.
type Run = Vec<(i64, f64)>;
/// Connected (time, (low, high)) points of a band; one alone is a bar.
type BandRun = Vec<(i64, (f64, f64))>;

struct Panel {
    /// For the `data-panels` test hook.
    key: &'static str,
    title: String,
    /// Lines: a series key, its colour and its runs.
    lines: Vec<(&'static str, RGBColor, Vec<Run>)>,
    /// A translucent band (low, high) under the lines: an aggregated
    /// range's minimum to maximum.
    band: Option<(&'static str, RGBColor, Vec<BandRun>)>,
    quantity: Quantity,
    floor_max: f64,
    limit: Option<f64>,
}

/// A live series' runs of one value in the window: a segment break or an
/// unavailable value ends a run.
fn live_runs(series: &ClientSeries, w: &Window, value: impl Fn(&ClientPoint) -> Option<f64>) -> Vec<Run> {
    let visible = series.visible(w);
    let mut out = Vec::new();
    for seg in series.segments() {
        let (lo, hi) = (seg.start.max(visible.start), seg.end.min(visible.end));
        let mut run = Vec::new();
        for p in series.points.range(lo..hi.max(lo)) {
            match value(p) {
                Some(y) => run.push((p.t_ms, y)),
                None if !run.is_empty() => out.push(std::mem::take(&mut run)),
                None => {}
            }
        }
        if !run.is_empty() {
            out.push(run);
        }
    }
    out
}

fn as_f64<T: Into<f64>>(v: Option<T>) -> Option<f64> {
    v.map(Into::into)
}

/// A value axis from 0 with ticks at a step nice in the unit shown.
struct ValueAxis(ValueTicks);

impl Ranged for ValueAxis {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = *v / self.0.max.max(f64::MIN_POSITIVE);
        limit.0 + ((limit.1 - limit.0) as f64 * f + 1e-3).floor() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.0.ticks()
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.0.max
    }
}

/// Markers whose lines lie within a few px of each other, for the hover
/// readout: where they are (CSS px) and each one's time and words.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerHit {
    pub x_first_css: f64,
    pub x_last_css: f64,
    pub events: Vec<(i64, String)>,
}

/// What a draw put on the canvas, beyond the pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    pub layout: Layout,
    /// The marker labels drawn, left to right.
    pub marker_labels: Vec<String>,
    /// Where each marker label's group of lines starts, CSS px.
    pub marker_xs: Vec<f64>,
    pub marker_hits: Vec<MarkerHit>,
    /// The time axis labels drawn.
    pub x_labels: Vec<String>,
    /// The panels drawn, top to bottom.
    pub panels: Vec<&'static str>,
}

/// Draws the window `w` of the series (nothing but the background without
/// one), leaving out the `hidden` series; returns what it drew, or an error
/// message for the page when plotters fails.
pub fn draw(
    canvas: &HtmlCanvasElement,
    series: &ClientSeries,
    w: Option<Window>,
    palette: &Palette,
    hidden: &[&str],
    now_ms: i64,
) -> Result<Option<Drawn>, String> {
    let dpr = fit_backing_store(canvas);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("this browser has no 2D canvas")?;
    let root = backend.into_drawing_area();
    root.fill(&palette.bg).map_err(|e| e.to_string())?;
    let Some(w) = w else { return Ok(None) };
    let (t0, t1) = series.axis_span(&w, now_ms);
    let columns = canvas.width() as usize;
    let live = series.range.live();

    let cores = series.online_cpus.map(|n| format!(", {n} cores")).unwrap_or_default();
    let limit = series.memory_limit.map(|l| l as f64);
    let h = &series.history;
    let (cpu, mem, net, blk, cpu_band, mem_band) = if live {
        let rate = |f: fn(&ClientPoint) -> Option<f64>| live_runs(series, &w, f);
        (
            live_runs(series, &w, |p| as_f64(p.cpu)),
            live_runs(series, &w, |p| p.mem_bytes.map(|b| b as f64)),
            [rate(|p| p.net_rx), rate(|p| p.net_tx)],
            [rate(|p| p.blk_read), rate(|p| p.blk_write)],
            None,
            None,
        )
    } else {
        let kib = |v: Option<u32>| v.map(|k| k as f64 * 1024.0);
        let rate = |f: fn(&Bucket) -> Option<u64>| h.runs(&w, move |b| f(b).map(|v| v as f64));
        (
            h.runs(&w, |b| as_f64(b.cpu_avg)),
            h.runs(&w, |b| kib(b.mem_avg_kib)),
            [rate(|b| b.net_rx), rate(|b| b.net_tx)],
            [rate(|b| b.blk_read), rate(|b| b.blk_write)],
            Some(h.runs(&w, |b| Some((as_f64(b.cpu_min)?, as_f64(b.cpu_max)?)))),
            Some(h.runs(&w, |b| Some((kib(b.mem_min_kib)?, kib(b.mem_max_kib)?)))),
        )
    };
    let averaged = if live { String::new() } else { format!(", {} averages", format::span(h.resolution_ms)) };
    let band_words = if live { "" } else { "; band: min to max" };
    let [rx, tx] = net;
    let [rd, wr] = blk;
    let mut panels = vec![
        Panel {
            key: "cpu",
            title: format!("CPU (% of one core{cores}{averaged}{band_words})"),
            lines: vec![("cpu", palette.cpu, cpu)],
            band: cpu_band.map(|b| ("cpu", palette.cpu, b)),
            quantity: Quantity::Percent,
            floor_max: 10.0,
            limit: None,
        },
        Panel {
            key: "mem",
            title: match series.memory_limit {
                Some(l) => format!("Memory (limit {}{averaged}{band_words})", format::bytes(l as f64)),
                None => format!("Memory (no limit{averaged}{band_words})"),
            },
            lines: vec![("mem", palette.mem, mem)],
            band: mem_band.map(|b| ("mem", palette.mem, b)),
            quantity: Quantity::Bytes,
            floor_max: 1024.0 * 1024.0,
            limit,
        },
        Panel {
            key: "net",
            title: format!("Network (received, sent{averaged})"),
            lines: vec![("net-rx", palette.net_rx, rx), ("net-tx", palette.net_tx, tx)],
            band: None,
            quantity: Quantity::Rate,
            floor_max: 1024.0,
            limit: None,
        },
        Panel {
            key: "io",
            title: format!("Block I/O (read, written{averaged})"),
            lines: vec![("io-read", palette.io_read, rd), ("io-write", palette.io_write, wr)],
            band: None,
            quantity: Quantity::Rate,
            floor_max: 1024.0,
            limit: None,
        },
    ];
    // PIDs are in the live points only (the long history does not keep them).
    if live {
        panels.push(Panel {
            key: "pids",
            title: "PIDs (processes and threads)".into(),
            lines: vec![("pids", palette.pids, live_runs(series, &w, |p| p.pids.map(f64::from)))],
            band: None,
            quantity: Quantity::Count,
            floor_max: 4.0,
            limit: None,
        });
    }
    let markers: Vec<&wire::Marker> = if live { series.markers.iter().collect() } else { h.markers.iter().collect() };
    // A marker after the axis's end (a stop after the newest point) is drawn at the right edge.
    let mut markers: Vec<(i64, &wire::Marker)> =
        markers.into_iter().filter(|m| m.t_ms >= t0).map(|m| (m.t_ms.min(t1), m)).collect();
    markers.sort_by_key(|(t, _)| *t);

    let areas = root.split_evenly((panels.len(), 1));
    let font_px = (12.0 * dpr).round();
    let label_font = ("sans-serif", font_px).into_font().color(&palette.text);
    let title_font = ("sans-serif", font_px).into_font().color(&palette.text);
    let line_width = (1.5 * dpr).round().max(1.0) as u32;
    let span = t1 - t0;
    let time_axis = TimeAxis::new(t0, t1);
    let x_labels: Vec<String> =
        super::axis::ticks(t0, t1, time_axis.offset_ms, X_LABELS).into_iter().map(|t| axis_label(t, span)).collect();
    let mut layout = None;
    let mut groups = Vec::new();
    let mut marker_xs_px: Vec<f64> = Vec::new();

    for (n, (area, panel)) in areas.iter().zip(panels.iter()).enumerate() {
        let shown = |key: &str| !hidden.contains(&key);
        let line_max = panel
            .lines
            .iter()
            .filter(|(k, _, _)| shown(k))
            .flat_map(|(_, _, runs)| runs.iter().flatten().map(|(_, y)| *y));
        let band_max = panel
            .band
            .iter()
            .filter(|(k, _, _)| shown(k))
            .flat_map(|(_, _, runs)| runs.iter().flatten().map(|(_, (_, hi))| *hi));
        let data_max = line_max.chain(band_max).fold(0.0f64, f64::max);
        let mut y_top = (data_max * 1.1).max(panel.floor_max);
        // Draw the limit when it is within sight of the data; else it is in the title.
        let limit_line = panel.limit.filter(|l| *l <= data_max * 4.0);
        if let Some(l) = limit_line {
            y_top = y_top.max(l * 1.05);
        }
        let y_axis = ValueTicks::choose(panel.quantity, y_top, 4);
        let y_max = y_axis.max;
        let mut chart = ChartBuilder::on(area)
            .margin_top((6.0 * dpr) as u32)
            .margin_right((14.0 * dpr) as u32)
            .margin_left((6.0 * dpr) as u32)
            .caption(&panel.title, title_font.clone())
            .x_label_area_size((20.0 * dpr) as u32)
            .y_label_area_size((72.0 * dpr) as u32)
            .build_cartesian_2d(time_axis, ValueAxis(y_axis))
            .map_err(|e| e.to_string())?;
        let (px, py) = chart.plotting_area().get_pixel_range();
        if layout.is_none() {
            layout =
                Some(Layout { window: w, t0, t1, left_css: px.start as f64 / dpr, right_css: px.end as f64 / dpr });
        }
        chart
            .configure_mesh()
            .bold_line_style(palette.grid)
            .light_line_style(palette.grid.mix(0.35))
            .axis_style(palette.text)
            .x_labels(X_LABELS)
            .y_labels(6)
            .x_label_formatter(&|t: &i64| axis_label(*t, span))
            .y_label_formatter(&|v: &f64| y_axis.label(*v))
            .label_style(label_font.clone())
            .draw()
            .map_err(|e| e.to_string())?;
        let plot_columns = columns.saturating_sub((92.0 * dpr) as usize).max(50);
        if let Some((_, color, runs)) = panel.band.as_ref().filter(|(k, _, _)| shown(k)) {
            for run in runs {
                if let [(x, (lo, hi))] = run.as_slice() {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(*x, *lo), (*x, *hi)],
                            color.mix(0.35).stroke_width(line_width * 2),
                        )))
                        .map_err(|e| e.to_string())?;
                    continue;
                }
                let outline: Vec<(i64, f64)> = run
                    .iter()
                    .map(|(x, (_, hi))| (*x, *hi))
                    .chain(run.iter().rev().map(|(x, (lo, _))| (*x, *lo)))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(outline, color.mix(0.22).filled())))
                    .map_err(|e| e.to_string())?;
            }
        }
        for (_, color, runs) in panel.lines.iter().filter(|(k, _, _)| shown(k)) {
            let style = color.stroke_width(line_width);
            for run in runs {
                if let [(x, y)] = run.as_slice() {
                    chart
                        .draw_series(std::iter::once(Circle::new((*x, *y), line_width as i32 + 1, color.filled())))
                        .map_err(|e| e.to_string())?;
                    continue;
                }
                let points: Vec<(f64, f64)> = run.iter().map(|(x, y)| (*x as f64, *y)).collect();
                let reduced = min_max_per_column(&points, t0 as f64, t1 as f64, plot_columns);
                chart
                    .draw_series(LineSeries::new(reduced.into_iter().map(|(x, y)| (x as i64, y)), style))
                    .map_err(|e| e.to_string())?;
            }
        }
        if let Some(l) = limit_line {
            let dash = (6.0 * dpr) as u32;
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(t0, l), (t1, l)],
                    dash,
                    dash / 2,
                    palette.limit.stroke_width(line_width),
                )))
                .map_err(|e| e.to_string())?;
        }
        for (t, _) in &markers {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(*t, 0.0), (*t, y_max)],
                    palette.marker.stroke_width(line_width.max(1)),
                )))
                .map_err(|e| e.to_string())?;
        }
        if n == 0 && !markers.is_empty() {
            let placed: Vec<(f64, &wire::Marker)> =
                markers.iter().map(|(t, m)| (chart.backend_coord(&(*t, 0.0)).0 as f64, *m)).collect();
            let width = |s: &str| root.estimate_text_size(s, &label_font).map(|(w, _)| w as f64).unwrap_or(0.0);
            let gap = 4.0 * dpr;
            // Labels start a little right of their line (and end inside the plot).
            let inner = (px.start as f64 + gap, px.end as f64 - gap);
            let shifted: Vec<(f64, &wire::Marker)> = placed.iter().map(|(x, m)| (x + gap, *m)).collect();
            groups = group(&shifted, width, inner.0, inner.1, gap);
            for g in &groups {
                root.draw(&Text::new(
                    g.label.clone(),
                    (g.label_x.round() as i32, py.start + (3.0 * dpr) as i32),
                    label_font.clone().color(&palette.marker),
                ))
                .map_err(|e| e.to_string())?;
            }
            marker_xs_px = placed.iter().map(|(x, _)| *x).collect();
        }
    }
    root.present().map_err(|e| e.to_string())?;
    let Some(layout) = layout else { return Ok(None) };
    let marker_hits = groups
        .iter()
        .map(|g| MarkerHit {
            x_first_css: marker_xs_px[g.members[0]] / dpr,
            x_last_css: marker_xs_px[*g.members.last().unwrap_or(&g.members[0])] / dpr,
            events: g.members.iter().map(|i| (markers[*i].1.t_ms, marker_label(markers[*i].1))).collect(),
        })
        .collect::<Vec<_>>();
    Ok(Some(Drawn {
        layout,
        marker_labels: groups.iter().map(|g| g.label.clone()).collect(),
        marker_xs: marker_hits.iter().map(|h| h.x_first_css).collect(),
        marker_hits,
        x_labels,
        panels: panels.iter().map(|p| p.key).collect(),
    }))
}

/// At most this many time axis labels.
const X_LABELS: usize = 8;

/// Draws, and says how long it took (ms, `performance.now`).
pub fn timed_draw(
    canvas: &HtmlCanvasElement,
    series: &ClientSeries,
    w: Option<Window>,
    palette: &Palette,
    hidden: &[&str],
) -> (Result<Option<Drawn>, String>, f64) {
    let perf = window().performance();
    let now = || perf.as_ref().map(|p| p.now()).unwrap_or_default();
    let start = now();
    let result = draw(canvas, series, w, palette, hidden, leptos::web_sys::js_sys::Date::now() as i64);
    (result, now() - start)
}

/// Draws a synthetic history of `points` points on a detached canvas of
/// 1200 x 720 CSS pixels, `runs` times; returns each draw's duration in ms.
/// For `make bench-ui`: `(await import('/pkg/binnacle.js')).binnacle_bench_chart(3600, 30)`.
#[leptos::wasm_bindgen::prelude::wasm_bindgen]
pub fn binnacle_bench_chart(points: u32, runs: u32) -> Vec<f64> {
    let canvas: HtmlCanvasElement = document().create_element("canvas").unwrap().unchecked_into();
    let style = leptos::web_sys::HtmlElement::style(&canvas);
    for (k, v) in [("width", "1200px"), ("height", "720px"), ("position", "absolute"), ("left", "-9999px")] {
        let _ = style.set_property(k, v);
    }
    if let Some(body) = document().body() {
        let _ = body.append_child(&canvas);
    }
    let mut series = ClientSeries::new("local", "bench");
    // Ending now: a live range's axis ends now.
    let first_ms = leptos::web_sys::js_sys::Date::now() as i64 - points as i64 * 1000;
    for i in 0..points as u64 {
        series.points.push_back(ClientPoint {
            seq: i,
            t_ms: first_ms + i as i64 * 1000,
            cpu: Some(50.0 + ((i * 37) % 100) as f32),
            mem_bytes: Some((200 << 20) + ((i * 7919) % (64 << 20))),
            net_rx: None,
            net_tx: None,
            blk_read: None,
            blk_write: None,
            pids: Some(1),
            gap_before: false,
        });
    }
    let palette = palette_from_css();
    let w = series.window(0);
    let times = (0..runs).map(|_| timed_draw(&canvas, &series, w, &palette, &[]).1).collect();
    canvas.remove();
    times
}
