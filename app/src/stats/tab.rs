//! The Stats tab. A range picker (in the URL: `?range=6h`) chooses what is
//! shown. A live range (15 min, 1 h) asks for the whole history, then polls
//! with the cursor at the pace the server gives; an aggregated one (6 h to
//! 30 d) asks for its tier's buckets, then polls from the newest at the
//! tier's resolution (10 s to 60 s). One request at a time, only while the
//! tab is open and the browser tab visible. Answers for another container,
//! range or an old history are dropped.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::format;
use super::history::Window;
use super::legend::{SERIES, live_only};
use super::series::ClientSeries;
use wire::{HistoryRange, RunState};

/// The range in the URL's `range`; 1 h when absent or unknown.
pub fn range_from_query(raw: Option<&str>) -> HistoryRange {
    raw.and_then(|r| HistoryRange::parse(r).ok()).unwrap_or_default()
}

/// Everything the tab shows in text; the canvas is drawn from the series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsView {
    pub loaded: bool,
    /// e.g. "Not running (exited 3 min ago, code 137, OOM killed)".
    pub status: Option<String>,
    pub status_kind: &'static str,
    pub error: Option<String>,
    pub cpu: String,
    pub cpu_value: Option<f32>,
    pub mem: String,
    pub net: String,
    pub blk: String,
    pub pids: String,
    /// What the readouts are, for an aggregated range.
    pub note: Option<String>,
    pub summary: String,
    pub points: usize,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub epoch: Option<u64>,
    pub segments: usize,
    /// The range these numbers are for.
    pub range: HistoryRange,
    pub full_id: Option<String>,
    /// The x window drawn, what it shows (as an export counts rows) and
    /// the time of the newest thing drawn.
    pub window: Option<Window>,
    pub drawn: usize,
    /// Aggregated buckets drawn with a band of some height.
    pub banded: usize,
    pub last_drawn_ms: Option<i64>,
    pub resolution_ms: Option<i64>,
    /// The plot's left and right edges, CSS px from the canvas's left edge.
    pub plot: Option<(f64, f64)>,
    /// The container is not running: the readouts are its last values,
    /// from this time.
    pub stale_since_ms: Option<i64>,
    /// "last value, 12:03" (local time, so set in the browser).
    pub stale: Option<String>,
    /// What the last draw labelled: marker labels (and where their lines
    /// start, CSS px) and time axis labels.
    pub marker_labels: Vec<String>,
    pub marker_xs: Vec<f64>,
    pub x_labels: Vec<String>,
    pub panels: Vec<&'static str>,
}

/// The newest values the readouts show.
#[derive(Default)]
struct Latest {
    cpu: Option<f32>,
    mem_bytes: Option<u64>,
    net: (Option<f64>, Option<f64>),
    blk: (Option<f64>, Option<f64>),
    pids: Option<u32>,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn latest(series: &ClientSeries) -> Latest {
    if series.range.live() {
        let newest =
            |f: &dyn Fn(&super::series::ClientPoint) -> bool| series.points.iter().rev().find(|p| f(p)).copied();
        let last = series.points.back();
        Latest {
            cpu: newest(&|p| p.cpu.is_some()).and_then(|p| p.cpu),
            mem_bytes: newest(&|p| p.mem_bytes.is_some()).and_then(|p| p.mem_bytes),
            net: last.map(|p| (p.net_rx, p.net_tx)).unwrap_or_default(),
            blk: last.map(|p| (p.blk_read, p.blk_write)).unwrap_or_default(),
            pids: last.and_then(|p| p.pids),
        }
    } else {
        let buckets = &series.history.buckets;
        let newest = |f: &dyn Fn(&super::history::Bucket) -> bool| buckets.iter().rev().find(|b| f(b)).copied();
        let rate = |v: Option<u64>| v.map(|r| r as f64);
        let net = newest(&|b| b.net_rx.is_some() || b.net_tx.is_some()).unwrap_or_default();
        let blk = newest(&|b| b.blk_read.is_some() || b.blk_write.is_some()).unwrap_or_default();
        Latest {
            cpu: newest(&|b| b.cpu_avg.is_some()).and_then(|b| b.cpu_avg),
            mem_bytes: newest(&|b| b.mem_avg_kib.is_some()).and_then(|b| b.mem_avg_kib).map(|k| k as u64 * 1024),
            net: (rate(net.net_rx), rate(net.net_tx)),
            blk: (rate(blk.blk_read), rate(blk.blk_write)),
            pids: None,
        }
    }
}

/// The text readouts for the newest values, the state in words, and what
/// the chart draws at `now_ms`.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn view_of(series: &ClientSeries, now_ms: i64) -> StatsView {
    let l = latest(series);
    let unavailable = || "unavailable".to_string();
    let cpu = l.cpu.map(|v| format::cpu(v, series.online_cpus)).unwrap_or_else(unavailable);
    let cache = if series.memory_includes_cache { ", cache included" } else { "" };
    let mem = match l.mem_bytes {
        Some(b) => match series.memory_limit {
            Some(lim) if lim > 0 => format!(
                "{} of {} ({:.0} %{cache})",
                format::bytes(b as f64),
                format::bytes(lim as f64),
                b as f64 / lim as f64 * 100.0
            ),
            _ => format!("{} (no limit{cache})", format::bytes(b as f64)),
        },
        None => unavailable(),
    };
    let pair = |(a, b): (Option<f64>, Option<f64>), la: &str, lb: &str| match (a, b) {
        (None, None) => unavailable(),
        (a, b) => format!(
            "{la} {}, {lb} {}",
            a.map(format::rate).unwrap_or_else(unavailable),
            b.map(format::rate).unwrap_or_else(unavailable)
        ),
    };
    let net = pair(l.net, "received", "sent");
    let blk = pair(l.blk, "read", "written");
    let live = series.range.live();
    let pids = match l.pids {
        Some(n) => n.to_string(),
        None if !live => "not kept in long history".into(),
        None => unavailable(),
    };
    let (status, status_kind) = match &series.state {
        Some(RunState::Exited { exit_code, at_ms, oom_killed }) => {
            let mut parts = vec![];
            if let Some(at) = at_ms {
                parts.push(format!("exited {}", format::ago(now_ms - at)));
            } else {
                parts.push("exited".to_string());
            }
            if let Some(code) = exit_code {
                parts.push(format!("code {code}"));
            }
            if *oom_killed {
                parts.push("OOM killed".into());
            }
            (Some(format!("Not running ({})", parts.join(", "))), "stopped")
        }
        Some(RunState::Created) => (Some("Not running (created, never started)".into()), "stopped"),
        Some(RunState::Removed) => (Some("Removed: this container no longer exists. Its history stays until nobody has looked at it for a while.".into()), "removed"),
        Some(RunState::Paused) => (Some("Paused".into()), "paused"),
        Some(RunState::Restarting) => (Some("Restarting".into()), "paused"),
        Some(RunState::Running) | None => (None, ""),
    };
    let resolution_ms = (!live && series.history.resolution_ms > 0).then_some(series.history.resolution_ms);
    let note = resolution_ms.map(|r| format!("Averages over the newest {} with data.", format::span(r)));
    let summary = format!(
        "Container metrics, last {}. CPU {cpu}. Memory {mem}. Network {net}. Block I/O {blk}. PIDs {pids}.{}",
        format::range_label(series.range),
        status.as_deref().map(|s| format!(" {s}.")).unwrap_or_default()
    );
    let window = series.window(now_ms);
    let drawn = window.map(|w| series.drawn(&w)).unwrap_or(0);
    let last_drawn_ms = window.and_then(|w| series.last_drawn_ms(&w));
    let running = !matches!(series.state, Some(RunState::Exited { .. } | RunState::Created | RunState::Removed));
    StatsView {
        loaded: series.loaded(),
        status,
        status_kind,
        error: None,
        cpu_value: l.cpu,
        cpu,
        mem,
        net,
        blk,
        pids,
        note,
        summary,
        points: if live { series.points.len() } else { drawn },
        first_seq: series.points.front().map(|p| p.seq),
        last_seq: series.points.back().map(|p| p.seq),
        epoch: series.epoch,
        segments: match window {
            _ if live => series.segments().len(),
            Some(w) => series.history.runs(&w, |b| b.present().then_some(())).len(),
            None => 0,
        },
        range: series.range,
        full_id: series.full_id.clone(),
        window,
        drawn,
        banded: match window {
            Some(w) if !series.range.live() => series.history.banded(&w),
            _ => 0,
        },
        last_drawn_ms,
        resolution_ms,
        plot: None,
        stale_since_ms: if running { None } else { last_drawn_ms },
        ..StatsView::default()
    }
}

/// What the hover readout shows: where, when, and the values there.
#[derive(Debug, Clone, PartialEq)]
pub struct Hover {
    /// CSS px from the canvas's left edge.
    pub x_css: f64,
    /// Shown to the left of the cursor (right half of the chart).
    pub flip: bool,
    pub time: String,
    pub lines: Vec<super::hover::Line>,
    /// "point", "bucket", or "none" (no data there).
    pub kind: &'static str,
}

#[component]
pub fn StatsTab() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let host = Memo::new(move |_| params.read().get("host").unwrap_or_default());
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let range = Memo::new(move |_| range_from_query(query.read().get("range").as_deref()));
    let view_state = RwSignal::new(StatsView::default());
    let hover = RwSignal::new(None::<Hover>);
    // The series the legend hid; kept while the tab is open, whatever the range.
    let hidden = RwSignal::new(Vec::<&'static str>::new());
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();

    #[cfg(feature = "hydrate")]
    let pointer = browser::start(host, id, range, view_state, hover, hidden, canvas_ref);

    let on_move = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        pointer.at(ev.offset_x() as f64);
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_leave = move |_: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        pointer.leave();
    };
    // The readout by keyboard: arrows move it a point (Shift: ten), Home and
    // End to the ends, Escape hides it.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        #[cfg(feature = "hydrate")]
        {
            let by = if ev.shift_key() { 10 } else { 1 };
            match ev.key().as_str() {
                "ArrowLeft" => pointer.step(-by),
                "ArrowRight" => pointer.step(by),
                "Home" => pointer.step(i64::MIN / 4),
                "End" => pointer.step(i64::MAX / 4),
                "Escape" => pointer.leave(),
                _ => return,
            }
            ev.prevent_default();
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_blur = move |_: leptos::ev::FocusEvent| {
        #[cfg(feature = "hydrate")]
        pointer.leave();
    };

    let v = move || view_state.get();
    let picker = HistoryRange::ALL
        .into_iter()
        .map(|r| {
            let href = move || {
                crate::base::href(&format!("/containers/{}/{}/stats?range={}", host.get(), id.get(), r.as_str()))
            };
            let selected = move || range.get() == r;
            view! {
                <a href=href data-range=r.as_str() class:active=selected
                    aria-current=move || selected().then_some("true")>{format::range_label(r)}</a>
            }
        })
        .collect_view();
    let export = move |fmt: &'static str| {
        move || {
            let s = v();
            s.window.map(|w| {
                let id = s.full_id.clone().unwrap_or_else(|| id.get());
                super::export::href(crate::base::base_path(), &host.get(), &id, s.range, fmt, &w)
            })
        }
    };
    let no_window = move || v().window.is_none().then_some("true");
    let marker_xs = move || v().marker_xs.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(",");
    let hidden_keys = move || {
        let mut keys = hidden.get();
        keys.sort_unstable();
        keys.join(",")
    };
    let legend = SERIES
        .into_iter()
        .map(|(key, words)| {
            let off = move || hidden.with(|h| h.contains(&key));
            let toggle = move |_| {
                hidden.update(|h| {
                    if let Some(i) = h.iter().position(|k| *k == key) {
                        h.remove(i);
                    } else {
                        h.push(key);
                    }
                })
            };
            view! {
                <button type="button" class="legend-item" data-series=key class:off=off
                    hidden=move || live_only(key) && !range.get().live()
                    aria-pressed=move || (!off()).to_string()
                    title=move || if off() { format!("Show {words}") } else { format!("Hide {words}") }
                    on:click=toggle>
                    <span class="legend-swatch" aria-hidden="true"></span>{words}
                </button>
            }
        })
        .collect_view();
    let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    view! {
        <section class="stats" data-testid="stats">
            <div class="stats-bar">
                <nav class="range-picker" data-testid="range-picker" aria-label="Time range">{picker}</nav>
                <div class="downloads">
                    <span class="label">"Download what is shown:"</span>
                    <a class="download" data-testid="export-csv" download="" href=export("csv") aria-disabled=no_window>"CSV"</a>
                    <a class="download" data-testid="export-json" download="" href=export("json") aria-disabled=no_window>"JSON"</a>
                </div>
            </div>
            {move || {
                let s = v();
                if let Some(e) = s.error.clone() {
                    Some(view! { <div class="notice error" role="alert" data-testid="stats-error">{e}</div> }.into_any())
                } else if !s.loaded {
                    Some(view! { <p class="loading" data-testid="stats-loading">"Loading metrics…"</p> }.into_any())
                } else {
                    s.status.clone().map(|text| {
                        view! { <div class=format!("notice state-{}", s.status_kind) data-testid="stats-status">{text}</div> }.into_any()
                    })
                }
            }}
            <div class="readouts" class:stale=move || v().stale.is_some() data-testid="readouts" aria-live="polite">
                {move || v().stale.map(|s| view! { <div class="readout stale-note" data-testid="readouts-stale">{s}</div> })}
                <div class="readout"><span class="label">"CPU"</span>
                    <span data-testid="cpu-readout" data-value=move || v().cpu_value.map(|c| c.to_string()).unwrap_or_default()>{move || v().cpu}</span></div>
                <div class="readout"><span class="label">"Memory"</span><span data-testid="mem-readout">{move || v().mem}</span></div>
                <div class="readout"><span class="label">"Network"</span><span data-testid="net-readout">{move || v().net}</span></div>
                <div class="readout"><span class="label">"Block I/O"</span><span data-testid="blk-readout">{move || v().blk}</span></div>
                <div class="readout"><span class="label">"PIDs"</span><span data-testid="pids-readout">{move || v().pids}</span></div>
                {move || v().note.map(|n| view! { <div class="readout note muted">{n}</div> })}
            </div>
            <div class="chart-legend" data-testid="chart-legend" role="group" aria-label="Series shown">
                {legend}
                <span class="legend-key" data-series="limit" aria-hidden="true"><span class="legend-swatch"></span>"memory limit"</span>
                <span class="legend-key" data-series="marker" aria-hidden="true"><span class="legend-swatch"></span>"events"</span>
            </div>
            <div class="chart-wrap" data-testid="chart"
                data-range=move || v().range.as_str()
                data-window-from=move || num(v().window.map(|w| w.from_ms))
                data-window-to=move || num(v().window.map(|w| w.to_ms))
                data-points=move || v().drawn.to_string()
                data-band-buckets=move || v().banded.to_string()
                data-last-time=move || num(v().last_drawn_ms)
                data-resolution=move || num(v().resolution_ms)
                data-plot-left=move || v().plot.map(|p| p.0.to_string()).unwrap_or_default()
                data-plot-right=move || v().plot.map(|p| p.1.to_string()).unwrap_or_default()>
                <canvas class="chart" node_ref=canvas_ref role="img" tabindex="0"
                    on:mousemove=on_move on:mouseleave=on_leave on:keydown=on_key on:blur=on_blur
                    aria-label=move || v().summary
                    data-points=move || v().points.to_string()
                    data-first-seq=move || v().first_seq.map(|s| s.to_string()).unwrap_or_default()
                    data-last-seq=move || v().last_seq.map(|s| s.to_string()).unwrap_or_default()
                    data-epoch=move || v().epoch.map(|s| s.to_string()).unwrap_or_default()
                    data-segments=move || v().segments.to_string()
                    data-marker-labels=move || v().marker_labels.join("|")
                    data-marker-x=marker_xs
                    data-x-labels=move || v().x_labels.join("|")
                    data-panels=move || v().panels.join(",")
                    data-hidden-series=hidden_keys>
                </canvas>
                {move || hover.get().map(|h| {
                    let left = format!("{:.1}px", h.x_css);
                    let lines = h.lines.into_iter().map(|(label, value)| {
                        view! { <div class="hover-line"><span class="label">{label}</span>" "<span class="value">{value}</span></div> }
                    }).collect_view();
                    view! {
                        <div class="chart-cursor" style:left=left.clone() aria-hidden="true"></div>
                        <div class="chart-hover" class:flip=h.flip style:left=left data-testid="chart-hover" data-kind=h.kind>
                            <div class="hover-time">{h.time}</div>
                            {lines}
                        </div>
                    }
                })}
            </div>
            <p class="hint">"CPU is % of one core: 250 % means 2.5 cores busy. Memory excludes the reclaimable page cache, like docker stats. "
                "From 6 h on, each point is a bucket's average, the band its minimum to maximum; hover for the numbers, "
                "or focus the chart and move along it with the arrow keys (Shift: ten at a time, Home, End, Escape)."</p>
        </section>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use leptos::prelude::*;
    use leptos::web_sys::{self, VisibilityState};

    use super::{Hover, StatsView, view_of};
    use crate::api::container_metrics;
    use crate::stats::chart::{self, Layout, MarkerHit};
    use crate::stats::hover;
    use crate::stats::series::{Applied, ClientSeries};
    use wire::{ErrorKind, HistoryRange};

    async fn sleep_ms(ms: u32) {
        let promise = web_sys::js_sys::Promise::new(&mut |resolve, _| {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }

    fn visible() -> bool {
        document().visibility_state() == VisibilityState::Visible
    }

    fn now_ms() -> i64 {
        web_sys::js_sys::Date::now() as i64
    }

    /// The tab's browser state, shared by the polling loop, the window
    /// listeners and the pointer.
    #[derive(Clone, Copy)]
    pub struct Shared {
        series: StoredValue<ClientSeries>,
        layout: StoredValue<Option<Layout>>,
        pointer_x: StoredValue<Option<f64>>,
        marker_hits: StoredValue<Vec<MarkerHit>>,
        view_state: RwSignal<StatsView>,
        hover: RwSignal<Option<Hover>>,
        hidden: RwSignal<Vec<&'static str>>,
        canvas_ref: NodeRef<leptos::html::Canvas>,
    }

    impl Shared {
        /// Draws the window of now and updates the texts (keeping the last
        /// request's error when `keep_error`) and the hover readout.
        fn refresh(self, keep_error: bool) {
            let now = now_ms();
            let w = self.series.with_value(|s| s.window(now));
            let mut draw_error = None;
            let mut drawn = None;
            if let Some(canvas) = self.canvas_ref.get_untracked() {
                let palette = chart::palette_from_css();
                let hidden = self.hidden.get_untracked();
                let (result, took) = self.series.with_value(|s| chart::timed_draw(&canvas, s, w, &palette, &hidden));
                let _ = canvas.set_attribute("data-draw-ms", &format!("{took:.2}"));
                match result {
                    Ok(d) => drawn = d,
                    Err(e) => draw_error = Some(e),
                }
            }
            let layout = drawn.as_ref().map(|d| d.layout);
            self.layout.set_value(layout);
            let mut v = self.series.with_value(|s| view_of(s, now));
            v.plot = layout.map(|l| (l.left_css, l.right_css));
            v.stale = v.stale_since_ms.map(|t| format!("last value, {}", chart::clock_hm(t)));
            if let Some(d) = drawn {
                v.marker_labels = d.marker_labels;
                v.marker_xs = d.marker_xs;
                v.x_labels = d.x_labels;
                v.panels = d.panels;
                self.marker_hits.set_value(d.marker_hits);
            } else {
                self.marker_hits.set_value(Vec::new());
            }
            v.error = match draw_error {
                Some(e) => Some(format!("The chart could not be drawn: {e}")),
                None if keep_error => self.view_state.with_untracked(|p| p.error.clone()),
                None => None,
            };
            self.view_state.set(v);
            match self.pointer_x.get_value() {
                Some(x) => self.hover_at(x),
                None => self.hover.set(None),
            }
        }

        /// The pointer is over the canvas, `x_css` from its left edge.
        pub fn at(self, x_css: f64) {
            self.pointer_x.set_value(Some(x_css));
            self.hover_at(x_css);
        }

        /// Moves the readout `by` points (live) or buckets along the chart;
        /// from the newest when it is not shown.
        pub fn step(self, by: i64) {
            let Some(layout) = self.layout.get_value() else { return };
            let w = layout.window;
            let current = self.pointer_x.get_value().map(|x| layout.time_at(x));
            let t = self.series.with_value(|s| {
                if s.range.live() {
                    let r = s.visible(&w);
                    let last = r.end.checked_sub(1).filter(|l| *l >= r.start)?;
                    let i = match current.and_then(|t| s.nearest_point(t, i64::MAX / 4, &w)) {
                        Some(i) => (i as i64).saturating_add(by).clamp(r.start as i64, last as i64) as usize,
                        None => last,
                    };
                    Some(s.points[i].t_ms)
                } else {
                    let h = &s.history;
                    let last = h.last_present(&w)?;
                    let res = h.resolution_ms.max(1);
                    let t = match current.and_then(|t| h.nearest(t, res, &w)) {
                        Some(i) => h.x_of(i, &w).saturating_add(by.saturating_mul(res)),
                        None => h.x_of(last / res, &w),
                    };
                    Some(t.clamp(w.from_ms, w.to_ms))
                }
            });
            if let Some(t) = t {
                self.at(layout.x_of(t));
            }
        }

        pub fn leave(self) {
            self.pointer_x.set_value(None);
            self.hover.set(None);
        }

        fn hover_at(self, x_css: f64) {
            let Some(layout) = self.layout.get_value() else {
                self.hover.set(None);
                return;
            };
            let t = layout.time_at(x_css);
            // Within 8 px of the pointer.
            let reach = (8.0 * layout.ms_per_px()) as i64;
            let w = layout.window;
            let found = self.series.with_value(|s| {
                if s.range.live() {
                    let i = s.nearest_point(t, reach.max(s.interval_ms as i64 * 2), &w)?;
                    let p = &s.points[i];
                    Some((p.t_ms, chart::hover_time(p.t_ms, None), hover::point_lines(p, s.online_cpus), "point"))
                } else {
                    let h = &s.history;
                    let i = h.nearest(t, reach, &w)?;
                    let lines = hover::bucket_lines(h.get(i)?);
                    Some((h.x_of(i, &w), chart::hover_time(h.start_ms(i), Some(h.resolution_ms)), lines, "bucket"))
                }
            });
            let (x, time, mut lines, kind) = match found {
                Some((at, time, lines, kind)) => (layout.x_of(at), time, lines, kind),
                None => (x_css, chart::hover_time(t, None), vec![("Data", "none at this time".to_string())], "none"),
            };
            // The events whose marker lines are within reach, one line each.
            self.marker_hits.with_value(|hits| {
                for hit in hits.iter().filter(|h| x_css >= h.x_first_css - 8.0 && x_css <= h.x_last_css + 8.0) {
                    for (t, words) in &hit.events {
                        lines.push(("Event", format!("{words} at {}", chart::hover_time(*t, None))));
                    }
                }
            });
            let flip = x > (layout.left_css + layout.right_css) / 2.0;
            self.hover.set(Some(Hover { x_css: x, flip, time, lines, kind }));
        }
    }

    pub fn start(
        host: Memo<String>,
        id: Memo<String>,
        range: Memo<HistoryRange>,
        view_state: RwSignal<StatsView>,
        hover: RwSignal<Option<Hover>>,
        hidden: RwSignal<Vec<&'static str>>,
        canvas_ref: NodeRef<leptos::html::Canvas>,
    ) -> Shared {
        let shared = Shared {
            series: StoredValue::new(ClientSeries::new("", "")),
            layout: StoredValue::new(None),
            pointer_x: StoredValue::new(None),
            marker_hits: StoredValue::new(Vec::new()),
            view_state,
            hover,
            hidden,
            canvas_ref,
        };
        // Redraw at once when the legend hides or shows a series.
        Effect::new(move |first: Option<()>| {
            hidden.track();
            if first.is_some() {
                shared.refresh(true);
            }
        });
        let current: StoredValue<Option<Arc<AtomicBool>>> = StoredValue::new(None);
        // What the running loop polls: the container, and the aggregated
        // range (None: the live points, which every live range shares).
        let polling: StoredValue<Option<(String, String, Option<HistoryRange>)>> = StoredValue::new(None);

        // One polling loop per (host, id, what is polled); a new one replaces
        // the old. Between live ranges only the window changes: no new loop.
        Effect::new(move |_| {
            let (h, i, r) = (host.get(), id.get(), range.get());
            let key = (h.clone(), i.clone(), (!r.live()).then_some(r));
            if polling.get_value().as_ref() == Some(&key) {
                shared.series.update_value(|s| s.range = r);
                shared.refresh(true);
                return;
            }
            polling.set_value(Some(key));
            let alive = Arc::new(AtomicBool::new(true));
            if let Some(old) = current.get_value() {
                old.store(false, Ordering::SeqCst);
            }
            current.set_value(Some(alive.clone()));
            shared.series.set_value(ClientSeries::new(&h, &i).with_range(r));
            view_state.set(StatsView { range: r, ..StatsView::default() });
            shared.refresh(false);
            leptos::task::spawn_local(poll(h, i, alive, shared));
        });
        on_cleanup(move || {
            if let Some(alive) = current.try_get_value().flatten() {
                alive.store(false, Ordering::SeqCst);
            }
        });

        // Redraw at once when the window resizes or the theme changes.
        let on_resize = window_event_listener(leptos::ev::resize, move |_| shared.refresh(true));
        let on_theme = window_event_listener_untyped(crate::theme::THEME_EVENT, move |_| shared.refresh(true));
        on_cleanup(move || {
            on_resize.remove();
            on_theme.remove();
        });
        shared
    }

    async fn poll(host: String, id: String, alive: Arc<AtomicBool>, shared: Shared) {
        let series = shared.series;
        let mut error_delay = 1000u32;
        loop {
            if !alive.load(Ordering::SeqCst) {
                return;
            }
            // No requests while the browser tab is hidden; one on return.
            while !visible() {
                sleep_ms(250).await;
                if !alive.load(Ordering::SeqCst) {
                    return;
                }
            }
            let (range, cursor, history_cursor) = series.with_value(|s| {
                if s.range.live() { (s.range, s.cursor(), None) } else { (s.range, None, s.history.cursor()) }
            });
            let answer =
                container_metrics(host.clone(), id.clone(), cursor, Some(range.as_str().to_string()), history_cursor)
                    .await;
            if !alive.load(Ordering::SeqCst) {
                return; // the user left: a late answer is dropped
            }
            let delay = match answer {
                Ok(page) => {
                    error_delay = 1000;
                    let applied = series.try_update_value(|s| s.apply(page));
                    if applied == Some(Applied::Dropped) {
                        series.update_value(|s| s.start_over());
                    }
                    shared.refresh(false);
                    series.with_value(|s| s.poll_interval_ms)
                }
                Err(e) => {
                    let text = match e.kind {
                        ErrorKind::EngineUnavailable => {
                            "Docker unreachable: the engine is not answering. Binnacle keeps trying; the chart resumes by itself.".to_string()
                        }
                        ErrorKind::NotFound => "This container does not exist (any more).".to_string(),
                        _ => crate::pages::describe(&e),
                    };
                    shared.view_state.update(|v| v.error = Some(text));
                    let d = error_delay;
                    error_delay = (error_delay * 2).min(30_000);
                    d
                }
            };
            sleep_ms(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::series::ClientPoint;

    #[test]
    fn a_stopped_container_says_when_how_and_why_it_stopped() {
        let mut s = ClientSeries::new("local", "x");
        s.state = Some(RunState::Exited { exit_code: Some(137), at_ms: Some(1_000_000), oom_killed: true });
        let v = view_of(&s, 1_000_000 + 185_000);
        assert_eq!(v.status.as_deref(), Some("Not running (exited 3 min ago, code 137, OOM killed)"));
    }

    #[test]
    fn readouts_show_the_newest_values_and_unavailable_ones_in_words() {
        let mut s = ClientSeries::new("local", "x");
        s.online_cpus = Some(4);
        s.memory_limit = Some(64 << 20);
        s.points.push_back(ClientPoint {
            seq: 0,
            t_ms: 0,
            cpu: Some(150.0),
            mem_bytes: Some(16 << 20),
            net_rx: None,
            net_tx: None,
            blk_read: Some(0.0),
            blk_write: Some(2048.0),
            pids: Some(3),
            gap_before: false,
        });
        let v = view_of(&s, 0);
        assert_eq!(v.cpu, "150.0 % (1.5 of 4 cores)");
        assert_eq!(v.mem, "16.0 MiB of 64.0 MiB (25 %)");
        assert_eq!(v.net, "unavailable");
        assert_eq!(v.blk, "read 0 B/s, written 2.0 KiB/s");
        assert!(v.summary.contains("CPU 150.0 %"));
    }

    #[test]
    fn a_stopped_containers_readouts_are_its_last_values() {
        let mut s = ClientSeries::new("local", "x");
        s.points.push_back(ClientPoint {
            seq: 0,
            t_ms: 60_000,
            cpu: Some(1.0),
            mem_bytes: None,
            net_rx: None,
            net_tx: None,
            blk_read: None,
            blk_write: None,
            pids: None,
            gap_before: false,
        });
        s.epoch = Some(1);
        s.state = Some(RunState::Running);
        assert_eq!(view_of(&s, 61_000).stale_since_ms, None);
        s.state = Some(RunState::Exited { exit_code: Some(0), at_ms: Some(60_500), oom_killed: false });
        assert_eq!(view_of(&s, 61_000).stale_since_ms, Some(60_000));
        s.state = Some(RunState::Paused);
        assert_eq!(view_of(&s, 61_000).stale_since_ms, None, "a paused container's values are its current ones");
    }

    #[test]
    fn the_range_comes_from_the_url_and_an_unknown_one_is_an_hour() {
        assert_eq!(range_from_query(Some("6h")), HistoryRange::H6);
        assert_eq!(range_from_query(Some("30d")), HistoryRange::D30);
        assert_eq!(range_from_query(Some("2h")), HistoryRange::H1);
        assert_eq!(range_from_query(None), HistoryRange::H1);
    }

    #[test]
    fn an_aggregated_range_reads_out_its_newest_bucket_and_says_what_it_draws() {
        let mut s = ClientSeries::new("local", "x").with_range(HistoryRange::H24);
        s.online_cpus = Some(2);
        let cols = wire::HistoryColumns {
            resolution_ms: 60_000,
            first_bucket: 1000,
            next_cursor: 1002,
            cpu_min: vec![Some(1.0), Some(2.0), None],
            cpu_avg: vec![Some(1.5), Some(3.0), None],
            cpu_max: vec![Some(2.0), Some(4.0), None],
            mem_min_kib: vec![Some(1024), Some(2048), None],
            mem_avg_kib: vec![Some(1024), Some(2048), None],
            mem_max_kib: vec![Some(1024), Some(2048), None],
            net_rx_bps: vec![Some(0), Some(2048), None],
            net_tx_bps: vec![Some(0), Some(0), None],
            blk_read_bps: vec![None; 3],
            blk_write_bps: vec![None; 3],
            // The newest bucket holds only an event: the readouts skip it.
            events: vec![2],
            markers: vec![],
        };
        s.history.merge(&cols, HistoryRange::H24);
        let v = view_of(&s, 1002 * 60_000 + 30_000);
        assert!(v.loaded);
        assert_eq!(v.cpu, "3.0 % (0.0 of 2 cores)");
        assert_eq!(v.mem, "2.0 MiB (no limit)");
        assert_eq!(v.net, "received 2.0 KiB/s, sent 0 B/s");
        assert_eq!(v.note.as_deref(), Some("Averages over the newest 1 min with data."));
        assert_eq!(v.window, Some(Window { from_ms: (1002 - 1439) * 60_000, to_ms: 1002 * 60_000 + 30_000 }));
        assert_eq!((v.drawn, v.points, v.segments), (3, 3, 1));
        assert_eq!(v.last_drawn_ms, Some(1002 * 60_000));
        assert_eq!(v.resolution_ms, Some(60_000));
        assert!(v.summary.starts_with("Container metrics, last 24 h."), "{}", v.summary);
    }
}
