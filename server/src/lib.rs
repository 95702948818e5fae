//! Binnacle's server: settings, the axum router around the Leptos app, health
//! checks and graceful shutdown. `main.rs` only wires these together.

pub mod auth;
pub mod guard;
pub mod settings;

use std::sync::Arc;

use app::engine::{ContainerStatsManager, Hosts};
use app::{App, shell};
use axum::extract::{FromRef, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Serialize;

/// Everything a request handler may need.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub hosts: Arc<Hosts>,
    pub metrics: Arc<ContainerStatsManager>,
    /// `BINNACLE_READ_ONLY`.
    pub read_only: bool,
    pub auth: Arc<auth::Auth>,
}

/// The whole HTTP surface: pages, server functions under `/api`, static
/// assets, and `/healthz`.
pub fn router(state: AppState) -> Router {
    let base = app::base::base_path();
    let routes = generate_route_list(App);
    let hosts = state.hosts.clone();
    let metrics = state.metrics.clone();
    let read_only = app::api::ssr::ReadOnly(state.read_only);
    let options = state.leptos_options.clone();
    let auth = state.auth.clone();
    let app = Router::new()
        .route(&format!("{base}/healthz"), get(healthz))
        .route(&format!("{base}/login"), get(auth::login_form).post(auth::login))
        .route(&format!("{base}/logout"), axum::routing::post(auth::logout))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(hosts.clone());
                provide_context(metrics.clone());
                provide_context(read_only);
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(guard::server_fn_guard))
        .layer(axum::middleware::from_fn_with_state(auth, auth::require_auth))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(guard::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(guard::security_headers))
        // Metrics pages and the wasm shrink 4-5x on the wire.
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
        .with_state(state);
    if base.is_empty() {
        return app;
    }
    // Under a base path, pages are routed with it (the Leptos router knows
    // the base); server functions and assets have fixed paths, so the base
    // is taken off those before routing.
    Router::new().fallback_service(app).layer(axum::middleware::from_fn(strip_base_path))
}

async fn strip_base_path(mut req: axum::http::Request<axum::body::Body>, next: axum::middleware::Next) -> axum::response::Response {
    let base = app::base::base_path();
    let path = req.uri().path();
    // Nothing of Binnacle lives outside its base path.
    let rest = match path.strip_prefix(base) {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
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

#[derive(Serialize)]
struct Health {
    /// "ok" when every host answers, "degraded" otherwise. Binnacle itself serves either way.
    status: &'static str,
    hosts: Vec<app::model::HostStatus>,
    /// Watched containers and running collectors (never more than one each).
    metrics: app::engine::stats::ManagerStats,
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let hosts = state.hosts.check_all().await;
    let status = if hosts.iter().all(|h| h.reachable) { "ok" } else { "degraded" };
    Json(Health { status, hosts, metrics: state.metrics.stats() })
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
