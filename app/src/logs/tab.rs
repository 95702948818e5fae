//! The Logs tab's page: controls, status and the log view. The view's lines
//! are not Leptos views: the browser side (`live`) draws them by hand, in
//! batches, so a container writing thousands of lines a second cannot freeze
//! the page. Only the few numbers and words around the view are signals.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::format;

/// Where the stream stands, in the order one overrides another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogState {
    /// The container was removed: the log ends.
    Ended,
    /// The stream could not be opened (and is not retried).
    Error,
    /// The server says the log cannot be read now; it resumes by itself.
    Problem,
    Connecting,
    Reconnecting,
    /// The user scrolled up: new lines are kept but the view stays.
    Paused,
    Following,
}

impl LogState {
    pub fn as_str(self) -> &'static str {
        match self {
            LogState::Ended => "ended",
            LogState::Error => "error",
            LogState::Problem => "problem",
            LogState::Connecting => "connecting",
            LogState::Reconnecting => "reconnecting",
            LogState::Paused => "paused",
            LogState::Following => "following",
        }
    }
}

/// What the words around the view show; the browser side sets it at most
/// once per drawn frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsUi {
    /// A `hello` came on this stream.
    pub connected: bool,
    pub reconnecting: bool,
    pub ended: bool,
    pub failure: Option<String>,
    pub problem: Option<String>,
    pub paused: bool,
    /// Lines that came since following paused.
    pub new_since_pause: u64,
    /// Lines held, and shown by the filter.
    pub lines: usize,
    pub shown: usize,
    pub filtered: bool,
    pub dropped: u64,
    pub running: Option<bool>,
    /// From `hello`: the container's name and full id.
    pub name: Option<String>,
    pub full_id: Option<String>,
}

impl LogsUi {
    pub fn state(&self) -> LogState {
        if self.ended {
            LogState::Ended
        } else if self.failure.is_some() {
            LogState::Error
        } else if self.problem.is_some() {
            LogState::Problem
        } else if !self.connected {
            LogState::Connecting
        } else if self.reconnecting {
            LogState::Reconnecting
        } else if self.paused {
            LogState::Paused
        } else {
            LogState::Following
        }
    }

    pub fn status_text(&self) -> String {
        match self.state() {
            LogState::Ended => "Container removed; the log ends here.".into(),
            LogState::Error => self.failure.clone().unwrap_or_default(),
            LogState::Problem => self.problem.clone().unwrap_or_default(),
            LogState::Connecting => "Connecting…".into(),
            LogState::Reconnecting => "Connection lost; reconnecting…".into(),
            LogState::Paused => match self.new_since_pause {
                0 => "Paused: scroll to the bottom to follow again".into(),
                1 => "Paused — 1 new line".into(),
                n => format!("Paused — {n} new lines"),
            },
            LogState::Following if self.running == Some(false) => {
                "Not running: new lines show when it starts again".into()
            }
            LogState::Following => "Following new lines".into(),
        }
    }
}

/// The controls above the view.
#[derive(Clone, Copy)]
pub struct Controls {
    pub text: RwSignal<String>,
    pub regex: RwSignal<bool>,
    pub match_case: RwSignal<bool>,
    pub wrap: RwSignal<bool>,
    pub utc: RwSignal<bool>,
}

/// Where the UTC choice is remembered.
#[cfg(feature = "hydrate")]
pub const UTC_KEY: &str = "binnacle.logs.utc";

/// The stored UTC choice (the browser only; the server renders local time's
/// box unticked).
fn stored_utc() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window()
            .local_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(UTC_KEY).ok().flatten())
            .is_some_and(|v| v == "true")
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

#[component]
pub fn LogsTab() -> impl IntoView {
    let params = use_params_map();
    let host = Memo::new(move |_| params.read().get("host").unwrap_or_default());
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let controls = Controls {
        text: RwSignal::new(String::new()),
        regex: RwSignal::new(false),
        match_case: RwSignal::new(false),
        wrap: RwSignal::new(true),
        utc: RwSignal::new(stored_utc()),
    };
    let ui = RwSignal::new(LogsUi::default());
    let filter_error = RwSignal::new(None::<String>);
    let view_ref = NodeRef::<leptos::html::Div>::new();

    #[cfg(feature = "hydrate")]
    let live = super::live::start(host, id, controls, ui, filter_error, view_ref);
    // Each handler below is a no-op on the server, which never calls it.
    macro_rules! browser {
        ($body:expr) => {{
            #[cfg(feature = "hydrate")]
            $body;
        }};
    }

    let state = Memo::new(move |_| ui.with(|u| u.state()));
    let status = Memo::new(move |_| ui.with(|u| u.status_text()));
    let count = Memo::new(move |_| ui.with(|u| format::count_text(u.shown, u.lines, u.filtered)));
    let dropped = Memo::new(move |_| ui.with(|u| (u.dropped > 0).then_some(u.lines)));
    let paused = Memo::new(move |_| state.get() == LogState::Paused);
    let full_id = Memo::new(move |_| ui.with(|u| u.full_id.clone()));
    let download_href = move || {
        let id = full_id.get().unwrap_or_else(|| id.get());
        format::download_url(crate::base::base_path(), &host.get(), &id)
    };

    view! {
        <section class="logs" data-testid="logs">
            <div class="logs-bar">
                <label class="log-filter">
                    <span class="label">"Filter"</span>
                    <input type="text" data-testid="log-filter" placeholder="Text in the line" autocomplete="off"
                        spellcheck="false"
                        aria-invalid=move || filter_error.with(|e| e.is_some()).then_some("true")
                        aria-describedby="log-filter-error"
                        on:input=move |ev| controls.text.set(event_target_value(&ev))/>
                </label>
                <label><input type="checkbox" data-testid="log-regex"
                    on:change=move |ev| controls.regex.set(event_target_checked(&ev))/>" Regex"</label>
                <label><input type="checkbox" data-testid="log-case"
                    on:change=move |ev| controls.match_case.set(event_target_checked(&ev))/>" Match case"</label>
                <label><input type="checkbox" data-testid="log-wrap" checked=true
                    on:change=move |ev| controls.wrap.set(event_target_checked(&ev))/>" Wrap lines"</label>
                <label><input type="checkbox" data-testid="log-utc"
                    prop:checked=move || controls.utc.get()
                    on:change=move |ev| controls.utc.set(event_target_checked(&ev))/>" UTC"</label>
                <div class="downloads">
                    <button type="button" class="link" data-testid="download-visible"
                        on:click=move |_| browser!(live.download_visible())>"Download visible lines"</button>
                    <a class="download" data-testid="download-whole" download="" href=download_href>"Download whole log"</a>
                </div>
            </div>
            <p class="log-filter-error" id="log-filter-error" data-testid="log-filter-error" role="alert"
                hidden=move || filter_error.with(|e| e.is_none())>
                {move || filter_error.get().map(|e| format!("Invalid regular expression: {e}. Showing every line."))}
            </p>
            <div class="log-statusbar">
                <span class="log-status" data-testid="log-status" data-state=move || state.get().as_str()>
                    {move || status.get()}
                </span>
                <span class="log-count muted" data-testid="log-count">{move || count.get()}</span>
            </div>
            {move || dropped.get().map(|n| view! {
                <p class="log-dropped muted" data-testid="log-dropped">
                    {format!("Older lines dropped: showing the last {n} (the most this page keeps).")}
                </p>
            })}
            <div class="log-wrap">
                <div class="log-view" class:nowrap=move || !controls.wrap.get() node_ref=view_ref
                    data-testid="log-view" role="log" aria-live="off" aria-label="Container log" tabindex="0"
                    data-lines="0" data-shown="0"
                    on:scroll=move |_| browser!(live.on_scroll())
                    on:wheel=move |ev: leptos::ev::WheelEvent| {
                        #[cfg(feature = "hydrate")]
                        live.on_wheel(ev.delta_y());
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        #[cfg(feature = "hydrate")]
                        live.on_key(&ev.key());
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    }
                    on:mousedown=move |_| browser!(live.intent())
                    on:touchstart=move |_| browser!(live.intent())>
                </div>
                <Show when=move || paused.get()>
                    <button type="button" class="action jump" data-testid="jump-newest"
                        on:click=move |_| browser!(live.jump())>"Jump to newest ↓"</button>
                </Show>
            </div>
            <p class="hint">"Times are your browser's time zone unless UTC is ticked. Colours from the program are shown; other control characters appear as symbols such as ␇. "
                "The filter matches the text as shown; scroll up to pause, or press End in the log to follow again."</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_says_the_most_important_thing_first() {
        let mut u = LogsUi::default();
        assert_eq!((u.state(), u.status_text().as_str()), (LogState::Connecting, "Connecting…"));
        u.connected = true;
        assert_eq!(u.state(), LogState::Following);
        u.paused = true;
        u.new_since_pause = 12;
        assert_eq!((u.state(), u.status_text().as_str()), (LogState::Paused, "Paused — 12 new lines"));
        u.reconnecting = true;
        assert_eq!(u.state(), LogState::Reconnecting);
        u.problem = Some("The Docker engine is not answering.".into());
        assert_eq!(u.status_text(), "The Docker engine is not answering.");
        u.ended = true;
        assert_eq!((u.state().as_str(), u.status_text().as_str()), ("ended", "Container removed; the log ends here."));
    }

    #[test]
    fn a_stopped_container_is_said_to_be_waiting() {
        let u = LogsUi { connected: true, running: Some(false), ..LogsUi::default() };
        assert_eq!(u.state(), LogState::Following);
        assert_eq!(u.status_text(), "Not running: new lines show when it starts again");
    }
}
