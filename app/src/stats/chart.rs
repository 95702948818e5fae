//! Draws a container's series on a `<canvas>` with plotters: CPU, memory,
//! network and block I/O panels sharing one time axis. Colours come from the
//! page's CSS custom properties at every draw, so a theme switch or a user
//! stylesheet recolours the chart on the next draw.

use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::HtmlCanvasElement;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;

use super::downsample::min_max_per_column;
use super::format;
use super::series::{ClientPoint, ClientSeries};
use wire::MarkerKind;

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
        marker: read("--chart-marker", RED),
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

fn clock_label(t_ms: i64) -> String {
    let d = leptos::web_sys::js_sys::Date::new(&(t_ms as f64).into());
    format!("{:02}:{:02}:{:02}", d.get_hours(), d.get_minutes(), d.get_seconds())
}

/// Reads one series' value from a point (None: a gap).
type Value<'a> = &'a dyn Fn(&ClientPoint) -> Option<f64>;

struct Panel<'a> {
    title: String,
    lines: Vec<(RGBColor, Value<'a>)>,
    y_label: &'a dyn Fn(f64) -> String,
    floor_max: f64,
    limit: Option<f64>,
}

/// Draws everything; returns an error message for the page when plotters fails.
pub fn draw(canvas: &HtmlCanvasElement, series: &ClientSeries, palette: &Palette) -> Result<(), String> {
    let dpr = fit_backing_store(canvas);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("this browser has no 2D canvas")?;
    let root = backend.into_drawing_area();
    root.fill(&palette.bg).map_err(|e| e.to_string())?;
    if series.points.is_empty() {
        return Ok(());
    }
    let t0 = series.points.front().map(|p| p.t_ms).unwrap_or(0);
    let t1 = series.points.back().map(|p| p.t_ms).unwrap_or(0).max(t0 + 1000);
    let segments = series.segments();
    let columns = canvas.width() as usize;

    let cpu = |p: &ClientPoint| p.cpu.map(|v| v as f64);
    let mem = |p: &ClientPoint| p.mem_bytes.map(|v| v as f64);
    let rx = |p: &ClientPoint| p.net_rx;
    let tx = |p: &ClientPoint| p.net_tx;
    let rd = |p: &ClientPoint| p.blk_read;
    let wr = |p: &ClientPoint| p.blk_write;
    let pct = |v: f64| format!("{v:.0} %");
    let size = |v: f64| format::bytes(v);
    let per_s = |v: f64| format::rate(v);
    let cores = series.online_cpus.map(|n| format!(", {n} cores")).unwrap_or_default();
    let limit = series.memory_limit.map(|l| l as f64);
    let panels = [
        Panel {
            title: format!("CPU (% of one core{cores})"),
            lines: vec![(palette.cpu, &cpu)],
            y_label: &pct,
            floor_max: 10.0,
            limit: None,
        },
        Panel {
            title: match series.memory_limit {
                Some(l) => format!("Memory (limit {})", format::bytes(l as f64)),
                None => "Memory (no limit)".into(),
            },
            lines: vec![(palette.mem, &mem)],
            y_label: &size,
            floor_max: 1024.0 * 1024.0,
            limit,
        },
        Panel {
            title: "Network (received, sent)".into(),
            lines: vec![(palette.net_rx, &rx), (palette.net_tx, &tx)],
            y_label: &per_s,
            floor_max: 1024.0,
            limit: None,
        },
        Panel {
            title: "Block I/O (read, written)".into(),
            lines: vec![(palette.io_read, &rd), (palette.io_write, &wr)],
            y_label: &per_s,
            floor_max: 1024.0,
            limit: None,
        },
    ];

    let areas = root.split_evenly((panels.len(), 1));
    let font_px = (12.0 * dpr).round();
    let label_font = ("sans-serif", font_px).into_font().color(&palette.text);
    let title_font = ("sans-serif", font_px).into_font().color(&palette.text);
    let line_width = (1.5 * dpr).round().max(1.0) as u32;

    for (area, panel) in areas.iter().zip(panels.iter()) {
        let data_max =
            series.points.iter().flat_map(|p| panel.lines.iter().filter_map(move |(_, f)| f(p))).fold(0.0f64, f64::max);
        let mut y_max = (data_max * 1.15).max(panel.floor_max);
        // Draw the limit when it is within sight of the data; else it is in the title.
        let limit_line = panel.limit.filter(|l| *l <= data_max * 4.0);
        if let Some(l) = limit_line {
            y_max = y_max.max(l * 1.05);
        }
        let mut chart = ChartBuilder::on(area)
            .margin_top((6.0 * dpr) as u32)
            .margin_right((14.0 * dpr) as u32)
            .margin_left((6.0 * dpr) as u32)
            .caption(&panel.title, title_font.clone())
            .x_label_area_size((20.0 * dpr) as u32)
            .y_label_area_size((72.0 * dpr) as u32)
            .build_cartesian_2d(t0..t1, 0f64..y_max)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .bold_line_style(palette.grid)
            .light_line_style(palette.grid.mix(0.35))
            .axis_style(palette.text)
            .x_labels(6)
            .y_labels(4)
            .x_label_formatter(&|t: &i64| clock_label(*t))
            .y_label_formatter(&|v: &f64| (panel.y_label)(*v))
            .label_style(label_font.clone())
            .draw()
            .map_err(|e| e.to_string())?;
        let plot_columns = columns.saturating_sub((92.0 * dpr) as usize).max(50);
        for (color, value) in &panel.lines {
            let style = color.stroke_width(line_width);
            for seg in &segments {
                // Within a segment, an unavailable value also breaks the line.
                let mut run: Vec<(f64, f64)> = Vec::new();
                let flush = |run: &mut Vec<(f64, f64)>, chart: &mut ChartContext<'_, _, _>| -> Result<(), String> {
                    if run.is_empty() {
                        return Ok(());
                    }
                    let reduced = min_max_per_column(run, t0 as f64, t1 as f64, plot_columns);
                    chart
                        .draw_series(LineSeries::new(reduced.into_iter().map(|(x, y)| (x as i64, y)), style))
                        .map_err(|e| e.to_string())?;
                    run.clear();
                    Ok(())
                };
                for p in series.points.range(seg.clone()) {
                    match value(p) {
                        Some(y) => run.push((p.t_ms as f64, y)),
                        None => flush(&mut run, &mut chart)?,
                    }
                }
                flush(&mut run, &mut chart)?;
            }
        }
        if let Some(l) = limit_line {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(t0, l), (t1, l)],
                    palette.marker.mix(0.7).stroke_width(line_width),
                )))
                .map_err(|e| e.to_string())?;
        }
        for m in &series.markers {
            if m.t_ms < t0 || m.t_ms > t1 {
                continue;
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(m.t_ms, 0.0), (m.t_ms, y_max)],
                    palette.marker.stroke_width(line_width.max(1)),
                )))
                .map_err(|e| e.to_string())?;
            if std::ptr::eq(panel, &panels[0]) {
                chart
                    .draw_series(std::iter::once(Text::new(
                        marker_label(m),
                        (m.t_ms, y_max * 0.93),
                        label_font.clone().color(&palette.marker),
                    )))
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

/// Draws, and says how long it took (ms, `performance.now`).
pub fn timed_draw(canvas: &HtmlCanvasElement, series: &ClientSeries, palette: &Palette) -> (Result<(), String>, f64) {
    let perf = window().performance();
    let now = || perf.as_ref().map(|p| p.now()).unwrap_or_default();
    let start = now();
    let result = draw(canvas, series, palette);
    (result, now() - start)
}

pub fn marker_label(m: &wire::Marker) -> String {
    match m.kind {
        MarkerKind::Start => " start".into(),
        MarkerKind::Stop => match m.exit_code {
            Some(c) => format!(" stop ({c})"),
            None => " stop".into(),
        },
        MarkerKind::Restart => " restart".into(),
        MarkerKind::Oom => " OOM kill".into(),
        MarkerKind::Pause => " pause".into(),
        MarkerKind::Unpause => " unpause".into(),
        MarkerKind::Removed => " removed".into(),
    }
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
    for i in 0..points as u64 {
        series.points.push_back(ClientPoint {
            seq: i,
            t_ms: 1_795_000_000_000 + i as i64 * 1000,
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
    let times = (0..runs).map(|_| timed_draw(&canvas, &series, &palette).1).collect();
    canvas.remove();
    times
}
