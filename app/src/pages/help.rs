//! Every keyboard shortcut, listed: `?` (or the "Keys" button in the top
//! bar) opens the list, `?` or Esc closes it.

use leptos::prelude::*;

/// (keys, what they do), per page.
pub const SHORTCUTS: &[(&str, &[(&str, &str)])] = &[
    ("Anywhere", &[("?", "show or hide this list"), ("Esc", "close this list; on a container page, back to the list")]),
    (
        "Container list",
        &[
            ("j / ↓", "next container"),
            ("k / ↑", "previous container"),
            ("Enter", "open the selected container"),
            ("h", "the next host alone (after the last, every host)"),
            ("/", "search (Esc clears it)"),
        ],
    ),
    (
        "Container page",
        &[
            ("c", "Config tab"),
            ("s", "Stats tab"),
            ("l", "Logs tab"),
            ("Shift+S", "start"),
            ("Shift+X", "stop"),
            ("Shift+R", "restart"),
            ("Shift+P", "pause, or unpause a paused container"),
            ("Shift+D", "remove… (asks first)"),
        ],
    ),
    (
        "Stats chart (focused)",
        &[
            ("← / →", "move the readout one point (Shift: ten)"),
            ("Home / End", "the first or last point"),
            ("Esc", "hide the readout"),
        ],
    ),
    ("Logs tab", &[("End", "jump to the newest line and follow again")]),
];

/// Whether the list is open (the container page's Esc leaves it alone then).
#[cfg(feature = "hydrate")]
pub fn is_open() -> bool {
    document().query_selector("[data-testid=keys-help]").ok().flatten().is_some()
}

#[component]
pub fn KeyboardHelp() -> impl IntoView {
    let open = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || crate::poll::focus_is_in_a_text_field() {
                return;
            }
            match ev.key().as_str() {
                "?" => {
                    ev.prevent_default();
                    open.update(|o| *o = !*o);
                }
                "Escape" if open.get_untracked() => {
                    ev.prevent_default();
                    open.set(false);
                }
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }
    view! {
        <button type="button" class="theme-toggle" aria-keyshortcuts="?" title="Keyboard shortcuts (?)"
            aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>
            "Keys"
        </button>
        <Show when=move || open.get()>
            <div class="keys-help" role="dialog" aria-label="Keyboard shortcuts" data-testid="keys-help">
                <h2>"Keyboard shortcuts"</h2>
                {SHORTCUTS
                    .iter()
                    .map(|(page, keys)| {
                        view! {
                            <h3>{*page}</h3>
                            <dl>
                                {keys
                                    .iter()
                                    .map(|(k, what)| view! { <dt><kbd>{*k}</kbd></dt><dd>{*what}</dd> })
                                    .collect_view()}
                            </dl>
                        }
                    })
                    .collect_view()}
                <p class="muted">"Letters do nothing while you type in a field. " <kbd>"?"</kbd> " or " <kbd>"Esc"</kbd> " closes this list."</p>
                <button type="button" class="action" on:click=move |_| open.set(false)>"Close"</button>
            </div>
        </Show>
    }
}
