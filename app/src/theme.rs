//! Light and dark themes: CSS custom properties in `style/main.css`, applied
//! as `<html data-theme="light|dark">`: the user's pick (the toggle, kept in
//! localStorage), else the OS's `prefers-color-scheme`, followed live.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
pub const STORAGE_KEY: &str = "binnacle-theme";

/// Dispatched on `window` whenever the theme in effect may have changed
/// (the toggle, or the OS setting), so canvases can redraw in new colours.
#[cfg(feature = "hydrate")]
pub const THEME_EVENT: &str = "binnacle-theme-change";

#[cfg(feature = "hydrate")]
fn announce_theme_change() {
    if let Ok(event) = leptos::web_sys::Event::new(THEME_EVENT) {
        let _ = window().dispatch_event(&event);
    }
}

/// Forwards OS colour-scheme changes as `THEME_EVENT`. Installed once.
#[cfg(feature = "hydrate")]
pub fn watch_os_theme() {
    use leptos::wasm_bindgen::JsCast;
    use leptos::wasm_bindgen::prelude::Closure;
    if let Ok(Some(query)) = window().match_media("(prefers-color-scheme: dark)") {
        let callback = Closure::<dyn FnMut()>::new(|| {
            // The OS setting rules unless the user picked a theme.
            if stored_theme().is_none() {
                apply_theme(os_theme());
            }
            announce_theme_change();
        });
        let _ = query.add_event_listener_with_callback("change", callback.as_ref().unchecked_ref());
        callback.forget(); // lives as long as the page
    }
}

/// Runs in `<head>` before first paint.
pub const EARLY_THEME_SCRIPT: &str = "(function(){var t=null;try{t=localStorage.getItem('binnacle-theme')}catch(e){}\
if(t!=='light'&&t!=='dark'){t=window.matchMedia&&matchMedia('(prefers-color-scheme: dark)').matches?'dark':'light'}\
document.documentElement.dataset.theme=t})()";

#[cfg(feature = "hydrate")]
fn os_theme() -> &'static str {
    let dark = window().match_media("(prefers-color-scheme: dark)").ok().flatten().is_some_and(|m| m.matches());
    if dark { "dark" } else { "light" }
}

#[cfg(feature = "hydrate")]
fn stored_theme() -> Option<String> {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .filter(|t| t == "light" || t == "dark")
}

/// The theme in effect now.
#[cfg(feature = "hydrate")]
fn effective_theme() -> String {
    document()
        .document_element()
        .and_then(|el| el.get_attribute("data-theme"))
        .unwrap_or_else(|| os_theme().to_string())
}

#[cfg(feature = "hydrate")]
fn apply_theme(theme: &str) {
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-theme", theme);
    }
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    let toggle = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let next = if effective_theme() == "dark" { "light" } else { "dark" };
            apply_theme(next);
            if let Ok(Some(storage)) = window().local_storage() {
                let _ = storage.set_item(STORAGE_KEY, next);
            }
            announce_theme_change();
        }
    };
    view! {
        <button class="theme-toggle" type="button" title="Switch between light and dark theme"
            aria-label="Toggle light/dark theme" on:click=toggle>
            <span class="theme-icon" aria-hidden="true"></span>
            " Theme"
        </button>
    }
}
