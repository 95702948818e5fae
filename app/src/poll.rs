//! Periodic refresh for pages that follow Docker's state. The tick advances
//! only while the browser tab is visible; on return one catch-up tick fires
//! at once. On the server it never advances.

use std::time::Duration;

use leptos::prelude::*;

/// A counter that advances every `period` while the page is visible.
pub fn use_visible_tick(period: Duration) -> ReadSignal<u64> {
    let (tick, set_tick) = signal(0u64);
    #[cfg(feature = "hydrate")]
    {
        use leptos::web_sys::VisibilityState;
        let visible = || document().visibility_state() == VisibilityState::Visible;
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if visible() {
                    set_tick.update(|t| *t += 1);
                }
            },
            period,
        ) {
            on_cleanup(move || handle.clear());
        }
        let listener = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if visible() {
                set_tick.update(|t| *t += 1);
            }
        });
        on_cleanup(move || listener.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (period, set_tick);
    }
    tick
}

/// True when the user is typing: letter keys belong to the focused field.
#[cfg(feature = "hydrate")]
pub fn focus_is_in_a_text_field() -> bool {
    document()
        .active_element()
        .map(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
        .unwrap_or(false)
}

/// True when a key press should be left to the focused control.
#[cfg(feature = "hydrate")]
pub fn focus_is_in_a_control() -> bool {
    document()
        .active_element()
        .map(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT" | "BUTTON" | "A"))
        .unwrap_or(false)
}
