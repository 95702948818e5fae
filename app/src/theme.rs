//! Light and dark themes: CSS custom properties in `style/main.css`, chosen by
//! `prefers-color-scheme` unless the user picked one with the toggle, which is
//! remembered in localStorage and applied as `<html data-theme=...>`.

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
        let callback = Closure::<dyn FnMut()>::new(announce_theme_change);
        let _ = query.add_event_listener_with_callback("change", callback.as_ref().unchecked_ref());
        callback.forget(); // lives as long as the page
    }
}

/// Runs in `<head>` before first paint.
pub const EARLY_THEME_SCRIPT: &str = "try{var t=localStorage.getItem('binnacle-theme');if(t==='light'||t==='dark'){document.documentElement.dataset.theme=t}}catch(e){}";

/// The theme in effect now: the stored choice, else the OS preference.
#[cfg(feature = "hydrate")]
fn effective_theme() -> &'static str {
    let stored = document().document_element().and_then(|el| el.get_attribute("data-theme"));
    match stored.as_deref() {
        Some("dark") => "dark",
        Some("light") => "light",
        _ => {
            let prefers_dark = window()
                .match_media("(prefers-color-scheme: dark)")
                .ok()
                .flatten()
                .is_some_and(|m| m.matches());
            if prefers_dark { "dark" } else { "light" }
        }
    }
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    let toggle = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let next = if effective_theme() == "dark" { "light" } else { "dark" };
            if let Some(root) = document().document_element() {
                let _ = root.set_attribute("data-theme", next);
            }
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
