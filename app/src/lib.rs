//! Binnacle's application: routes, pages, server functions and the chart.
//! Feature `ssr` builds the server side, `hydrate` the browser side; never both.
//! What crosses the wire is in the `wire` crate; Docker is the `engine` crate's.

pub mod api;
pub mod base;
pub mod codec;
pub mod logs;
mod pages;
mod poll;
pub mod stats;
pub mod theme;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use pages::config::ConfigTab;
use pages::container::ContainerPage;
use pages::hosts::HostsPage;
use pages::list::ContainerListPage;
use pages::not_found::NotFound;

/// The HTML document around the app. The inline script applies the stored
/// theme before first paint, so a dark-mode user never sees a white flash.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    #[cfg(feature = "ssr")]
    if let (Some(n), Some(resp)) = (&nonce, use_context::<leptos_axum::ResponseOptions>()) {
        // Scripts run only with this response's nonce (and what they load);
        // everything else comes from this origin.
        let policy = format!(
            "default-src 'self'; script-src 'nonce-{n}' 'strict-dynamic' 'wasm-unsafe-eval'; \
             style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
             frame-ancestors 'none'; \
             base-uri 'self'; object-src 'none'; form-action 'self'"
        );
        if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
            resp.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <meta name="binnacle-base" content=base::base_path()/>
                <script nonce=nonce>{theme::EARLY_THEME_SCRIPT}</script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options root=base::base_path().to_string()/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Tests wait for this marker: clicks before hydration would be lost.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
        #[cfg(feature = "hydrate")]
        theme::watch_os_theme();
    });

    view! {
        <Stylesheet id="leptos" href=base::href("/pkg/binnacle.css")/>
        <Title text="Binnacle"/>
        <Router base=base::base_path()>
            <header class="topbar">
                <a class="brand" href=base::href("/")>"Binnacle"</a>
                <span class="tagline">"Docker containers at a glance"</span>
                <pages::help::KeyboardHelp/>
                <theme::ThemeToggle/>
                <form method="post" action=base::href("/logout") class="logout">
                    <button type="submit" class="theme-toggle">"Log out"</button>
                </form>
            </header>
            <main>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=ContainerListPage/>
                    <Route path=path!("/hosts") view=HostsPage/>
                    <ParentRoute path=path!("/containers/:host/:id") view=ContainerPage>
                        <Route path=path!("") view=ConfigTab/>
                        <Route path=path!("config") view=ConfigTab/>
                        <Route path=path!("stats") view=stats::StatsTab/>
                        <Route path=path!("logs") view=logs::LogsTab/>
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}
