//! The Stats tab. Opening it asks for the whole history, then polls with the
//! cursor at the pace the server gives, one request at a time, only while
//! the tab is open and the browser tab visible. Answers for another
//! container or an old history are dropped.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::format;
use super::series::ClientSeries;
use wire::RunState;

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
    pub summary: String,
    pub points: usize,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub epoch: Option<u64>,
    pub segments: usize,
}

/// The text readouts for the newest values, and the state in words.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn view_of(series: &ClientSeries, now_ms: i64) -> StatsView {
    let latest = |f: &dyn Fn(&super::series::ClientPoint) -> bool| series.points.iter().rev().find(|p| f(p)).copied();
    let cpu_point = latest(&|p| p.cpu.is_some());
    let mem_point = latest(&|p| p.mem_bytes.is_some());
    let last = series.points.back();
    let unavailable = || "unavailable".to_string();
    let cpu_value = cpu_point.and_then(|p| p.cpu);
    let cpu = cpu_value.map(|v| format::cpu(v, series.online_cpus)).unwrap_or_else(unavailable);
    let cache = if series.memory_includes_cache { ", cache included" } else { "" };
    let mem = match mem_point.and_then(|p| p.mem_bytes) {
        Some(b) => match series.memory_limit {
            Some(l) if l > 0 => format!(
                "{} of {} ({:.0} %{cache})",
                format::bytes(b as f64),
                format::bytes(l as f64),
                b as f64 / l as f64 * 100.0
            ),
            _ => format!("{} (no limit{cache})", format::bytes(b as f64)),
        },
        None => unavailable(),
    };
    let pair = |a: Option<f64>, b: Option<f64>, la: &str, lb: &str| match (a, b) {
        (None, None) => unavailable(),
        (a, b) => format!(
            "{la} {}, {lb} {}",
            a.map(format::rate).unwrap_or_else(unavailable),
            b.map(format::rate).unwrap_or_else(unavailable)
        ),
    };
    let net = last.map(|p| pair(p.net_rx, p.net_tx, "received", "sent")).unwrap_or_else(unavailable);
    let blk = last.map(|p| pair(p.blk_read, p.blk_write, "read", "written")).unwrap_or_else(unavailable);
    let pids = last.and_then(|p| p.pids).map(|n| n.to_string()).unwrap_or_else(unavailable);
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
    let summary = format!(
        "Container metrics. CPU {cpu}. Memory {mem}. Network {net}. Block I/O {blk}. PIDs {pids}.{}",
        status.as_deref().map(|s| format!(" {s}.")).unwrap_or_default()
    );
    StatsView {
        loaded: series.epoch.is_some(),
        status,
        status_kind,
        error: None,
        cpu,
        cpu_value,
        mem,
        net,
        blk,
        pids,
        summary,
        points: series.points.len(),
        first_seq: series.points.front().map(|p| p.seq),
        last_seq: series.points.back().map(|p| p.seq),
        epoch: series.epoch,
        segments: series.segments().len(),
    }
}

#[component]
pub fn StatsTab() -> impl IntoView {
    let params = use_params_map();
    let host = Memo::new(move |_| params.read().get("host").unwrap_or_default());
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let view_state = RwSignal::new(StatsView::default());
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();

    #[cfg(feature = "hydrate")]
    browser::start(host, id, view_state, canvas_ref);
    #[cfg(not(feature = "hydrate"))]
    let _ = (host, id);

    let v = move || view_state.get();
    view! {
        <section class="stats" data-testid="stats">
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
            <div class="readouts" aria-live="polite">
                <div class="readout"><span class="label">"CPU"</span>
                    <span data-testid="cpu-readout" data-value=move || v().cpu_value.map(|c| c.to_string()).unwrap_or_default()>{move || v().cpu}</span></div>
                <div class="readout"><span class="label">"Memory"</span><span data-testid="mem-readout">{move || v().mem}</span></div>
                <div class="readout"><span class="label">"Network"</span><span data-testid="net-readout">{move || v().net}</span></div>
                <div class="readout"><span class="label">"Block I/O"</span><span data-testid="blk-readout">{move || v().blk}</span></div>
                <div class="readout"><span class="label">"PIDs"</span><span data-testid="pids-readout">{move || v().pids}</span></div>
            </div>
            <canvas class="chart" node_ref=canvas_ref role="img"
                aria-label=move || v().summary
                data-points=move || v().points.to_string()
                data-first-seq=move || v().first_seq.map(|s| s.to_string()).unwrap_or_default()
                data-last-seq=move || v().last_seq.map(|s| s.to_string()).unwrap_or_default()
                data-epoch=move || v().epoch.map(|s| s.to_string()).unwrap_or_default()
                data-segments=move || v().segments.to_string()>
            </canvas>
            <p class="hint">"CPU is % of one core: 250 % means 2.5 cores busy. Memory excludes the reclaimable page cache, like docker stats."</p>
        </section>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use leptos::prelude::*;
    use leptos::web_sys::{self, VisibilityState};

    use super::{StatsView, view_of};
    use crate::api::container_metrics;
    use crate::stats::chart;
    use crate::stats::series::{Applied, ClientSeries};
    use wire::ErrorKind;

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

    fn redraw(series: StoredValue<ClientSeries>, canvas_ref: NodeRef<leptos::html::Canvas>) -> Option<String> {
        let canvas = canvas_ref.get_untracked()?;
        let palette = chart::palette_from_css();
        let (result, took) = series.with_value(|s| chart::timed_draw(&canvas, s, &palette));
        let _ = canvas.set_attribute("data-draw-ms", &format!("{took:.2}"));
        result.err()
    }

    pub fn start(
        host: Memo<String>,
        id: Memo<String>,
        view_state: RwSignal<StatsView>,
        canvas_ref: NodeRef<leptos::html::Canvas>,
    ) {
        let series = StoredValue::new(ClientSeries::new("", ""));
        let current: StoredValue<Option<Arc<AtomicBool>>> = StoredValue::new(None);

        // One polling loop per (host, id); a new one replaces the old.
        Effect::new(move |_| {
            let (h, i) = (host.get(), id.get());
            let alive = Arc::new(AtomicBool::new(true));
            if let Some(old) = current.get_value() {
                old.store(false, Ordering::SeqCst);
            }
            current.set_value(Some(alive.clone()));
            series.set_value(ClientSeries::new(&h, &i));
            view_state.set(StatsView::default());
            leptos::task::spawn_local(poll(h, i, alive, series, view_state, canvas_ref));
        });
        on_cleanup(move || {
            if let Some(alive) = current.try_get_value().flatten() {
                alive.store(false, Ordering::SeqCst);
            }
        });

        // Redraw at once when the window resizes or the theme changes.
        let on_resize = window_event_listener(leptos::ev::resize, move |_| {
            redraw(series, canvas_ref);
        });
        let on_theme = window_event_listener_untyped(crate::theme::THEME_EVENT, move |_| {
            redraw(series, canvas_ref);
        });
        on_cleanup(move || {
            on_resize.remove();
            on_theme.remove();
        });
    }

    async fn poll(
        host: String,
        id: String,
        alive: Arc<AtomicBool>,
        series: StoredValue<ClientSeries>,
        view_state: RwSignal<StatsView>,
        canvas_ref: NodeRef<leptos::html::Canvas>,
    ) {
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
            let cursor = series.with_value(|s| s.cursor());
            let answer = container_metrics(host.clone(), id.clone(), cursor).await;
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
                    let draw_error = redraw(series, canvas_ref);
                    let mut v = series.with_value(|s| view_of(s, now_ms()));
                    v.error = draw_error.map(|e| format!("The chart could not be drawn: {e}"));
                    view_state.set(v);
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
                    view_state.update(|v| v.error = Some(text));
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
}
