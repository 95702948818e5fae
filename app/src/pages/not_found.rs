use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
            resp.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <section class="not-found" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p><a href=crate::base::href("/")>"Back to all containers"</a></p>
        </section>
    }
}
