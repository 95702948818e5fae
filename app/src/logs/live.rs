//! The browser side of the Logs tab: the `EventSource`, the bounded buffer,
//! and the log view's DOM, drawn by hand.
//!
//! Events only change the buffer (bounded, so a hidden tab that draws
//! nothing still holds at most `max_lines`). At most once per animation
//! frame, and at most every [`FLUSH_EVERY_MS`] unless the user changed
//! something, the new entries are appended in one go and the ones the
//! buffer dropped are removed from the top; the view groups them in chunks
//! (see `chunks`) so only what is near the screen is laid out. A filter or
//! time-zone change redraws the view from the buffer. Log text only ever
//! goes into text nodes.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::time::Duration;

use leptos::prelude::*;
use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::{JsCast, JsValue};
use leptos::web_sys::{self, Document, Element, HtmlElement, js_sys};
use serde::de::DeserializeOwned;
use wasm_bindgen_futures::JsFuture;

use super::ansi::Styled;
use super::buffer::{Divider, Entry, Line, LogBuffer, stream_name};
use super::chunks::Chunks;
use super::filter::{FilterSpec, Matcher};
use super::format;
use super::tab::{Controls, LogsUi, UTC_KEY};
use crate::pages::describe;
use wire::{ApiError, ErrorKind, LogLine, LogsExit, LogsHello, LogsStart};

/// Appends are batched: at most this often under a flood.
const FLUSH_EVERY_MS: f64 = 100.0;
/// Within this many px of the bottom counts as at the bottom.
const BOTTOM_SLACK_PX: i32 = 8;
/// A scroll away from the bottom this soon after the user touched the view
/// is theirs (pause); later, it is the layout's (stick to the bottom again).
const INTENT_MS: f64 = 1000.0;

fn now() -> f64 {
    window().performance().map(|p| p.now()).unwrap_or_else(js_sys::Date::now)
}

/// An open stream and the handlers it calls (dropped with it).
struct Connection {
    es: web_sys::EventSource,
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.es.close();
    }
}

struct Tab {
    buffer: LogBuffer,
    matcher: Matcher,
    /// The sequence number of each child of the view, in order, and
    /// whether it is a line (not a divider).
    on_screen: VecDeque<(u64, bool)>,
    /// How the view's entries are grouped in `div.log-chunk`s.
    chunks: Chunks,
    /// Lines among `on_screen`.
    shown: usize,
    /// Entries from here on are not on screen yet.
    next_to_draw: u64,
    redraw: bool,
    zone: Zone,
    ui: LogsUi,
    ui_signal: RwSignal<LogsUi>,
    view: Option<HtmlElement>,
    conn: Option<Connection>,
    /// Bumped by every new connection: events of an older one are ignored.
    generation: u64,
    /// What is connected (host, id), and the stream's URL.
    key: Option<(String, String)>,
    url: String,
    retry_ms: u32,
    flush_scheduled: bool,
    urgent: bool,
    last_flush: f64,
    intent_at: f64,
}

type Shared = Rc<RefCell<Tab>>;

/// Times in UTC or the browser's zone.
struct Zone {
    utc: bool,
    /// The local offset (minutes east of UTC) of one hour, cached.
    cache: Option<(i64, i32)>,
}

impl Zone {
    /// Minutes east of UTC at `ms` (0 in UTC mode).
    fn offset(&mut self, ms: i64) -> i32 {
        if self.utc {
            return 0;
        }
        let hour = ms.div_euclid(3_600_000);
        match self.cache {
            Some((h, off)) if h == hour => off,
            _ => {
                let off = -(js_sys::Date::new(&JsValue::from_f64(ms as f64)).get_timezone_offset() as i32);
                self.cache = Some((hour, off));
                off
            }
        }
    }
}

/// The tab's handle for the page's event handlers.
#[derive(Clone, Copy)]
pub struct LiveTab {
    tab: StoredValue<Shared, LocalStorage>,
}

pub fn start(
    host: Memo<String>,
    id: Memo<String>,
    controls: Controls,
    ui: RwSignal<LogsUi>,
    filter_error: RwSignal<Option<String>>,
    view_ref: NodeRef<leptos::html::Div>,
) -> LiveTab {
    let shared: Shared = Rc::new(RefCell::new(Tab {
        buffer: LogBuffer::default(),
        matcher: Matcher::All,
        on_screen: VecDeque::new(),
        chunks: Chunks::default(),
        shown: 0,
        next_to_draw: 0,
        redraw: false,
        zone: Zone { utc: controls.utc.get_untracked(), cache: None },
        ui: LogsUi::default(),
        ui_signal: ui,
        view: None,
        conn: None,
        generation: 0,
        key: None,
        url: String::new(),
        retry_ms: 3000,
        flush_scheduled: false,
        urgent: false,
        last_flush: 0.0,
        intent_at: f64::NEG_INFINITY,
    }));
    let live = LiveTab { tab: StoredValue::new_local(shared.clone()) };

    // Connect once the container is known to exist (an unknown one shows
    // the page's "Container not found", and no stream is opened for it).
    let details = use_context::<crate::pages::container::Details>();
    {
        let shared = shared.clone();
        Effect::new(move |_| {
            let key = (host.get(), id.get());
            let gate = details.map(|d| d.0.get());
            // After a client-side navigation the view may be built after
            // this first runs: wait for it.
            let Some(el) = view_ref.get() else { return };
            if shared.borrow().key.as_ref() == Some(&key) {
                return;
            }
            match gate {
                Some(None) => return, // still loading
                Some(Some(Err(e))) if e.is_not_found() => {
                    let mut t = shared.borrow_mut();
                    t.ui.failure = Some(format!("No log: {}", describe(&e)));
                    drop(t);
                    schedule(&shared, true);
                    return;
                }
                _ => {}
            }
            shared.borrow_mut().view = Some(el.unchecked_into());
            connect(&shared, key);
        });
    }

    {
        let shared = shared.clone();
        Effect::new(move |_| {
            let spec = FilterSpec {
                text: controls.text.get(),
                regex: controls.regex.get(),
                match_case: controls.match_case.get(),
            };
            let (matcher, error) = Matcher::new(&spec);
            filter_error.set(error);
            let mut t = shared.borrow_mut();
            t.ui.filtered = !matcher.is_all();
            t.matcher = matcher;
            t.redraw = true;
            drop(t);
            schedule(&shared, true);
        });
    }

    {
        let shared = shared.clone();
        Effect::new(move |prev: Option<bool>| {
            let utc = controls.utc.get();
            if prev.is_some_and(|p| p != utc) {
                if let Ok(Some(storage)) = window().local_storage() {
                    let _ = storage.set_item(UTC_KEY, if utc { "true" } else { "false" });
                }
                let mut t = shared.borrow_mut();
                t.zone.utc = utc;
                t.redraw = true;
                drop(t);
                schedule(&shared, true);
            }
            utc
        });
    }

    {
        // Wrapping changes every line's height: stay at the bottom if following.
        let shared = shared.clone();
        Effect::new(move |_| {
            controls.wrap.track();
            schedule(&shared, true);
        });
    }

    on_cleanup(move || {
        if let Some(shared) = live.tab.try_get_value() {
            let mut t = shared.borrow_mut();
            t.generation += 1;
            t.conn = None;
            t.view = None;
        }
    });
    live
}

fn connect(shared: &Shared, key: (String, String)) {
    let url = format::stream_url(crate::base::base_path(), &key.0, &key.1);
    {
        let mut t = shared.borrow_mut();
        t.generation += 1;
        t.conn = None;
        t.key = Some(key);
        t.url = url.clone();
        t.buffer = LogBuffer::default();
        t.ui = LogsUi { filtered: t.ui.filtered, ..LogsUi::default() };
        t.redraw = true;
    }
    open(shared);
    schedule(shared, true);
}

/// Opens the stream at the tab's URL.
fn open(shared: &Shared) {
    let (url, generation) = {
        let mut t = shared.borrow_mut();
        t.generation += 1;
        t.conn = None;
        (t.url.clone(), t.generation)
    };
    let es = match web_sys::EventSource::new(&url) {
        Ok(es) => es,
        Err(_) => {
            shared.borrow_mut().ui.failure = Some("Could not open the log: this browser refused the stream.".into());
            return;
        }
    };
    let mut handlers = Vec::new();
    for name in [
        wire::EVENT_HELLO,
        wire::EVENT_LINES,
        wire::EVENT_EXIT,
        wire::EVENT_START,
        wire::EVENT_PROBLEM,
        wire::EVENT_RESUMED,
        wire::EVENT_GONE,
        "error",
    ] {
        let weak = Rc::downgrade(shared);
        let handler = Closure::<dyn FnMut(web_sys::Event)>::new(move |ev: web_sys::Event| {
            let Some(shared) = weak.upgrade() else { return };
            let data = ev.dyn_ref::<web_sys::MessageEvent>().and_then(|m| m.data().as_string());
            on_event(&shared, generation, name, data);
        });
        let _ = es.add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
        handlers.push(handler);
    }
    shared.borrow_mut().conn = Some(Connection { es, _handlers: handlers });
}

fn parse<T: DeserializeOwned>(data: Option<String>) -> Option<T> {
    serde_json::from_str(data.as_deref()?).ok()
}

fn on_event(shared: &Shared, generation: u64, name: &'static str, data: Option<String>) {
    let mut t = shared.borrow_mut();
    if t.generation != generation {
        return;
    }
    let mut urgent = false;
    match name {
        wire::EVENT_HELLO => {
            let Some(h) = parse::<LogsHello>(data) else { return };
            t.on_hello(h);
            urgent = true;
        }
        wire::EVENT_LINES => {
            let Some(lines) = parse::<Vec<LogLine>>(data) else { return };
            t.on_lines(&lines);
        }
        wire::EVENT_EXIT => {
            let Some(e) = parse::<LogsExit>(data) else { return };
            t.buffer.push_divider(Divider::Exit(e));
            t.ui.running = Some(false);
        }
        wire::EVENT_START => {
            let Some(s) = parse::<LogsStart>(data) else { return };
            t.buffer.push_divider(Divider::Start(s));
            t.ui.running = Some(true);
            t.ui.problem = None;
        }
        wire::EVENT_PROBLEM => {
            let e = parse::<ApiError>(data)
                .unwrap_or_else(|| ApiError::new(ErrorKind::Unknown, "the log cannot be read right now"));
            t.ui.problem = Some(describe(&e));
            urgent = true;
        }
        wire::EVENT_RESUMED => {
            t.ui.problem = None;
            urgent = true;
        }
        wire::EVENT_GONE => {
            // The end: no reconnection.
            if let Some(c) = &t.conn {
                c.es.close();
            }
            t.ui.ended = true;
            t.ui.reconnecting = false;
            t.buffer.push_divider(Divider::Gone);
            urgent = true;
        }
        _ => {
            // "error": the browser reconnects by itself (CONNECTING), or
            // gave up because the answer was not a stream (CLOSED).
            if t.ui.ended {
                return;
            }
            let state = t.conn.as_ref().map(|c| c.es.ready_state());
            urgent = true;
            if state == Some(web_sys::EventSource::CLOSED) {
                let url = t.url.clone();
                drop(t);
                let weak = Rc::downgrade(shared);
                leptos::task::spawn_local(async move {
                    let failure = why_not(&url).await;
                    if let Some(shared) = weak.upgrade() {
                        gave_up(&shared, generation, failure);
                    }
                });
                return;
            }
            if t.ui.connected {
                t.ui.reconnecting = true;
            }
        }
    }
    drop(t);
    schedule(shared, urgent);
}

/// The browser gave up on the stream: say why the server refused it, or
/// (it answered after all) open it again a little later.
fn gave_up(shared: &Shared, generation: u64, failure: Option<String>) {
    let mut t = shared.borrow_mut();
    if t.generation != generation {
        return;
    }
    match failure {
        Some(reason) => {
            t.ui.failure = Some(format!("Could not open the log: {reason}"));
            t.conn = None;
            drop(t);
        }
        None => {
            let delay = t.retry_ms;
            t.retry_ms = (t.retry_ms * 2).min(30_000);
            if t.ui.connected {
                t.ui.reconnecting = true;
            }
            drop(t);
            let weak = Rc::downgrade(shared);
            set_timeout(
                move || {
                    if let Some(shared) = weak.upgrade()
                        && shared.borrow().generation == generation
                    {
                        open(&shared);
                    }
                },
                Duration::from_millis(delay as u64),
            );
        }
    }
    schedule(shared, true);
}

/// Asks the stream's URL once more to read the error the server answered
/// (an `ApiError`), or None when it answers a stream now.
async fn why_not(url: &str) -> Option<String> {
    let controller = web_sys::AbortController::new().ok();
    let init = web_sys::RequestInit::new();
    if let Some(c) = &controller {
        init.set_signal(Some(&c.signal()));
    }
    let answer = JsFuture::from(window().fetch_with_str_and_init(url, &init)).await;
    let response: web_sys::Response = match answer.ok().and_then(|r| r.dyn_into().ok()) {
        Some(r) => r,
        None => return Some("Binnacle could not be reached.".into()),
    };
    if response.ok() {
        if let Some(c) = controller {
            c.abort();
        }
        return None;
    }
    let status = response.status();
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    let error = serde_json::from_str::<ApiError>(&text)
        .unwrap_or_else(|_| ApiError::new(ErrorKind::from_status(status), format!("the server answered {status}")));
    Some(describe(&error))
}

fn schedule(shared: &Shared, urgent: bool) {
    let mut t = shared.borrow_mut();
    t.urgent |= urgent;
    if t.flush_scheduled {
        return;
    }
    t.flush_scheduled = true;
    drop(t);
    let weak = Rc::downgrade(shared);
    request_animation_frame(move || frame(weak));
}

fn frame(weak: Weak<RefCell<Tab>>) {
    let Some(shared) = weak.upgrade() else { return };
    let at = now();
    let mut t = shared.borrow_mut();
    if !t.urgent && at - t.last_flush < FLUSH_EVERY_MS {
        drop(t);
        request_animation_frame(move || frame(weak));
        return;
    }
    t.flush_scheduled = false;
    t.urgent = false;
    t.last_flush = at;
    t.flush();
    // How long drawing took, for tests and the curious.
    if let Some(v) = &t.view {
        let _ = v.set_attribute("data-flush-ms", &format!("{:.1}", now() - at));
    }
    let (ui, signal) = (t.ui.clone(), t.ui_signal);
    drop(t);
    if signal.try_with_untracked(|u| *u != ui).unwrap_or(false) {
        signal.try_set(ui);
    }
}

impl Tab {
    fn on_hello(&mut self, h: LogsHello) {
        if !h.resumed && self.buffer.next_seq() > self.buffer.first_seq() {
            // A fresh stream sends its tail again: start over, no duplicates.
            self.buffer.clear();
            self.redraw = true;
        }
        self.buffer.set_max(h.max_lines as usize);
        self.retry_ms = 3000;
        let ui = &mut self.ui;
        ui.connected = true;
        ui.reconnecting = false;
        ui.problem = None;
        ui.failure = None;
        ui.running = Some(h.running);
        ui.name = Some(h.name);
        ui.full_id = Some(h.id);
    }

    fn on_lines(&mut self, lines: &[LogLine]) {
        for l in lines {
            self.buffer.push_line(l);
        }
        if self.ui.paused {
            self.ui.new_since_pause += lines.len() as u64;
        }
        self.ui.problem = None;
        self.ui.reconnecting = false;
    }

    /// Brings the view up to the buffer.
    fn flush(&mut self) {
        let Some(view) = self.view.clone() else { return };
        let doc = document();
        let first = self.buffer.first_seq();
        let from = if self.redraw {
            self.on_screen.clear();
            self.chunks.clear();
            self.shown = 0;
            view.replace_children_with_node_0();
            first
        } else {
            // What the buffer dropped leaves the top of the view.
            let stale = self.on_screen.iter().take_while(|(s, _)| *s < first).count();
            self.remove_first(&view, stale);
            self.next_to_draw.max(first)
        };
        let mut nodes = Vec::new();
        let mut new = Vec::new();
        for (seq, entry) in self.buffer.since(from) {
            let node = match entry {
                Entry::Line(l) if !self.matcher.matches(&l.styled.text) => continue,
                Entry::Line(l) => render_line(&doc, l, self.zone.offset(l.time_ms), self.zone.utc),
                Entry::Divider(d) => {
                    let at = match d {
                        Divider::Exit(e) => e.at_ms,
                        Divider::Start(s) => s.at_ms,
                        Divider::Gone => 0,
                    };
                    render_divider(&doc, d, self.zone.offset(at))
                }
            };
            if let Some(node) = node {
                nodes.push(node);
                new.push((seq, matches!(entry, Entry::Line(_))));
            }
        }
        // The last chunk's room first, then new chunks, each added whole.
        let placement = self.chunks.append(nodes.len());
        let mut nodes = nodes.into_iter();
        if placement.into_last > 0 {
            let fragment = doc.create_document_fragment();
            for node in nodes.by_ref().take(placement.into_last) {
                let _ = fragment.append_child(&node);
            }
            if let Some(last) = view.last_element_child() {
                let _ = last.append_child(&fragment);
            }
        }
        let chunks_fragment = doc.create_document_fragment();
        for size in placement.new_chunks {
            let Some(chunk) = element(&doc, "div", "log-chunk") else { continue };
            for node in nodes.by_ref().take(size) {
                let _ = chunk.append_child(&node);
            }
            let _ = chunks_fragment.append_child(&chunk);
        }
        let _ = view.append_child(&chunks_fragment);
        self.shown += new.iter().filter(|(_, line)| *line).count();
        self.on_screen.extend(new);
        self.redraw = false;
        self.next_to_draw = self.buffer.next_seq();
        let _ = view.set_attribute("data-lines", &self.buffer.lines().to_string());
        let _ = view.set_attribute("data-shown", &self.shown.to_string());
        let _ = view.set_attribute("data-max-lines", &self.buffer.max().to_string());
        self.ui.lines = self.buffer.lines();
        self.ui.shown = self.shown;
        self.ui.dropped = self.buffer.dropped();
        if !self.ui.paused {
            view.set_scroll_top(view.scroll_height());
        }
    }

    /// Takes the first `n` entries off the view: whole chunks, then the
    /// first entries of the next.
    fn remove_first(&mut self, view: &HtmlElement, n: usize) {
        if n > 0 && n == self.on_screen.len() {
            view.replace_children_with_node_0();
            self.chunks.clear();
            self.on_screen.clear();
            self.shown = 0;
            return;
        }
        for _ in 0..n {
            if let Some((_, true)) = self.on_screen.pop_front() {
                self.shown -= 1;
            }
        }
        let removal = self.chunks.remove_front(n);
        remove_first_children(view, removal.chunks);
        if removal.entries > 0
            && let Some(chunk) = view.first_element_child()
        {
            remove_first_children(&chunk, removal.entries);
        }
    }

    fn at_bottom(&self) -> bool {
        self.view.as_ref().is_some_and(|v| v.scroll_height() - v.scroll_top() - v.client_height() <= BOTTOM_SLACK_PX)
    }

    fn scrollable(&self) -> bool {
        self.view.as_ref().is_some_and(|v| v.scroll_height() > v.client_height())
    }

    fn pause(&mut self) {
        if !self.ui.paused {
            self.ui.paused = true;
            self.ui.new_since_pause = 0;
        }
    }

    fn follow(&mut self) {
        self.ui.paused = false;
        self.ui.new_since_pause = 0;
        if let Some(v) = &self.view {
            v.set_scroll_top(v.scroll_height());
        }
    }

    /// The lines shown, as a download writes them.
    fn visible_text(&self) -> String {
        let mut out = String::new();
        for (seq, is_line) in &self.on_screen {
            if let (true, Some(Entry::Line(l))) = (*is_line, self.buffer.get(*seq)) {
                out.push_str(&format::download_line(l));
                out.push('\n');
            }
        }
        out
    }
}

impl LiveTab {
    fn with(self, f: impl FnOnce(&Shared)) {
        if let Some(shared) = self.tab.try_get_value() {
            f(&shared);
        }
    }

    /// The user is about to move the view (pointer or touch on it).
    pub fn intent(self) {
        self.with(|s| s.borrow_mut().intent_at = now());
    }

    pub fn on_wheel(self, delta_y: f64) {
        self.with(|s| {
            let mut t = s.borrow_mut();
            t.intent_at = now();
            if delta_y < 0.0 && t.scrollable() {
                t.pause();
                drop(t);
                schedule(s, true);
            }
        });
    }

    pub fn on_key(self, key: &str) {
        self.with(|s| {
            let mut t = s.borrow_mut();
            t.intent_at = now();
            match key {
                "PageUp" | "ArrowUp" | "Home" if t.scrollable() => t.pause(),
                "End" => t.follow(),
                _ => return,
            }
            drop(t);
            schedule(s, true);
        });
    }

    pub fn on_scroll(self) {
        self.with(|s| {
            let mut t = s.borrow_mut();
            let at_bottom = t.at_bottom();
            if t.ui.paused {
                if at_bottom {
                    t.follow();
                    drop(t);
                    schedule(s, true);
                }
            } else if !at_bottom {
                if now() - t.intent_at < INTENT_MS {
                    t.pause();
                    drop(t);
                    schedule(s, true);
                } else {
                    // The layout moved (a resize, wrapping): stay at the bottom.
                    t.follow();
                }
            }
        });
    }

    pub fn jump(self) {
        self.with(|s| {
            s.borrow_mut().follow();
            schedule(s, true);
        });
    }

    /// Saves the lines the filter shows as a text file (times in UTC, text
    /// as shown).
    pub fn download_visible(self) {
        self.with(|s| {
            let t = s.borrow();
            let text = t.visible_text();
            let name = t.ui.name.clone().or_else(|| t.key.as_ref().map(|k| k.1.clone())).unwrap_or_default();
            drop(t);
            let _ = save_text(&text, &format::file_name(&name));
        });
    }
}

fn save_text(text: &str, file: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = document().create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(file);
    a.click();
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        Duration::from_secs(60),
    );
    Ok(())
}

/// Removes the first `n` children of `parent` at once (one Range, not `n` removals).
fn remove_first_children(parent: &Element, n: usize) {
    if n == 0 {
        return;
    }
    let children = parent.children();
    let (Some(first), Some(last)) = (children.item(0), children.item(n as u32 - 1)) else { return };
    let Ok(range) = document().create_range() else { return };
    if range.set_start_before(&first).is_ok() && range.set_end_after(&last).is_ok() {
        let _ = range.delete_contents();
    }
}

fn element(doc: &Document, tag: &str, class: &str) -> Option<Element> {
    let el = doc.create_element(tag).ok()?;
    el.set_class_name(class);
    Some(el)
}

/// `<div class="log-line" data-stream><span class="log-time"/><span class="log-text">…</span></div>`.
fn render_line(doc: &Document, l: &Line, offset: i32, utc: bool) -> Option<Element> {
    let stream = stream_name(l.stream);
    let div = element(doc, "div", if stream == "stderr" { "log-line stderr" } else { "log-line" })?;
    let _ = div.set_attribute("data-stream", stream);
    let time = element(doc, "span", "log-time")?;
    time.set_text_content(Some(&format::clock_ms(l.time_ms, offset)));
    let _ = time.set_attribute("title", &format::date_time(l.time_ms, offset, utc));
    let text = element(doc, "span", "log-text")?;
    render_text(doc, &text, &l.styled);
    let _ = div.append_with_node_2(&time, &text);
    Some(div)
}

/// The text as text nodes, and a span per styled run.
fn render_text(doc: &Document, into: &Element, styled: &Styled) {
    if styled.runs.is_empty() {
        into.set_text_content(Some(&styled.text));
        return;
    }
    for (piece, style) in styled.pieces() {
        if style.is_plain() {
            let _ = into.append_with_str_1(piece);
            continue;
        }
        let Some(span) = element(doc, "span", &style.classes()) else { continue };
        span.set_text_content(Some(piece));
        let (fg, bg) = style.inline_colors();
        if fg.is_some() || bg.is_some() {
            let css = span.unchecked_ref::<HtmlElement>().style();
            if let Some(fg) = fg {
                let _ = css.set_property("color", &fg);
            }
            if let Some(bg) = bg {
                let _ = css.set_property("background-color", &bg);
            }
        }
        let _ = into.append_child(&span);
    }
}

fn render_divider(doc: &Document, d: &Divider, offset: i32) -> Option<Element> {
    let div = element(doc, "div", "log-divider")?;
    let _ = div.set_attribute("data-kind", d.kind());
    let _ = div.set_attribute("role", "separator");
    div.set_text_content(Some(&format::divider_text(d, offset)));
    Some(div)
}
