//! Server functions: thin wrappers that parse input, call the engine and map
//! errors. All take and return JSON, at stable paths under `/api`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::metrics::wire::{MetricsCursor, MetricsPage};
use crate::model::{ContainerAction, ContainerDetails, ContainerList};
#[cfg(feature = "ssr")]
use crate::model::{ContainerId, HostName};

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use leptos::prelude::use_context;

    use crate::engine::{ContainerStatsManager, Hosts};
    use crate::error::AppError;

    /// The host registry, provided as context by the server for every request.
    pub fn hosts() -> Result<Arc<Hosts>, AppError> {
        use_context::<Arc<Hosts>>().ok_or_else(|| {
            tracing::error!("Hosts missing from the server function context");
            AppError::Internal
        })
    }

    /// `BINNACLE_READ_ONLY`: actions are refused, even when called directly.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct ReadOnly(pub bool);

    /// Gives an error answer the HTTP status that fits its kind, so scripts
    /// and proxies see 404 for "not found" rather than a blanket 500.
    pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        use axum::http::StatusCode;
        // Only for calls over HTTP: during server rendering the same function
        // runs inside a page, whose status is the page's business.
        let over_http = use_context::<axum::http::request::Parts>()
            .is_some_and(|parts| parts.uri.path().starts_with("/api/"));
        if let Err(e) = &result
            && over_http
            && let Some(resp) = use_context::<leptos_axum::ResponseOptions>()
        {
            resp.set_status(match e {
                AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
                AppError::NotFound { .. } => StatusCode::NOT_FOUND,
                AppError::EngineUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::ReadOnly => StatusCode::FORBIDDEN,
                AppError::Internal | AppError::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
            });
        }
        result
    }

    pub fn read_only() -> bool {
        use_context::<ReadOnly>().unwrap_or_default().0
    }

    /// The metrics engine, provided as context by the server for every request.
    pub fn metrics() -> Result<Arc<ContainerStatsManager>, AppError> {
        use_context::<Arc<ContainerStatsManager>>().ok_or_else(|| {
            tracing::error!("ContainerStatsManager missing from the server function context");
            AppError::Internal
        })
    }
}

/// Every container of every host, and whether each host answers.
#[server(prefix = "/api", endpoint = "list_containers", input = Json)]
pub async fn list_containers() -> Result<ContainerList, AppError> {
    let hosts = ssr::with_status(ssr::hosts())?;
    Ok(hosts.list_all().await)
}

/// One container's identity, state and configuration summary.
#[server(prefix = "/api", endpoint = "container_details", input = Json)]
pub async fn get_container_details(host: String, id: String) -> Result<ContainerDetails, AppError> {
    ssr::with_status(async {
        let host = HostName::parse(&host)?;
        let id = ContainerId::parse(&id)?;
        let mut details = ssr::hosts()?.details(&host, &id).await?;
        details.read_only = ssr::read_only();
        Ok(details)
    }.await)
}

/// Start, stop or restart a container.
#[server(prefix = "/api", endpoint = "container_action", input = Json)]
pub async fn act_on_container(host: String, id: String, action: ContainerAction) -> Result<(), AppError> {
    ssr::with_status(act(host, id, action).await)
}

#[cfg(feature = "ssr")]
async fn act(host: String, id: String, action: ContainerAction) -> Result<(), AppError> {
    let host = HostName::parse(&host)?;
    let id = ContainerId::parse(&id)?;
    if ssr::read_only() {
        tracing::info!(%host, %id, ?action, "container action refused: read-only mode");
        return Err(AppError::ReadOnly);
    }
    let hosts = ssr::hosts()?;
    let result = hosts.act(&host, &id, action).await;
    match &result {
        Ok(()) => tracing::info!(%host, %id, ?action, "container action done"),
        Err(e) => tracing::info!(%host, %id, ?action, error = %e, "container action refused"),
    }
    result
}

/// Points since `cursor` (all held history without one) for one container,
/// with its state and lifecycle markers. The first call for a running
/// container starts its collector; an unknown container starts nothing.
#[server(prefix = "/api", endpoint = "container_metrics", input = Json)]
pub async fn container_metrics(
    host: String,
    id: String,
    #[server(default)] cursor: Option<MetricsCursor>,
) -> Result<MetricsPage, AppError> {
    ssr::with_status(async {
        let host = HostName::parse(&host)?;
        let id = ContainerId::parse(&id)?;
        ssr::metrics()?.metrics(&host, &id, cursor).await
    }.await)
}
