//! `BINNACLE_BASE_PATH`: pages are routed with the base (the Leptos router
//! knows it); server functions and assets have fixed paths, so the base is
//! taken off those before routing. Nothing answers outside the base.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn strip_base_path(mut req: Request<Body>, next: Next) -> Response {
    let base = app::base::base_path();
    let path = req.uri().path();
    let rest = match path.strip_prefix(base) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    // The router's root under a base is the base itself: `/binnacle/` is it too.
    let routed_path = if rest == "/" {
        Some(base.to_string())
    } else if rest.starts_with("/api/") || rest.starts_with("/pkg/") {
        Some(rest.to_string())
    } else {
        None
    };
    if let Some(path) = routed_path {
        let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
        if let Ok(uri) = format!("{path}{query}").parse() {
            *req.uri_mut() = uri;
        }
    }
    next.run(req).await
}
