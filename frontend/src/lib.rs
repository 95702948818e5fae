//! The browser entry point: hydrate the server-rendered page, nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Behind a sub-path, server functions live under it too.
    let base = app::base::base_path();
    if !base.is_empty() {
        let _ = leptos::server_fn::client::try_set_server_url(base);
    }
    leptos::mount::hydrate_body(app::App);
}
