//! Server functions: thin wrappers that parse input, call the engine and map
//! errors. All take strict JSON (see `codec`) and answer JSON, at stable
//! paths under `/api`. An error is a `wire::ApiError`; the server gives the
//! answer the status of its kind, in one place, whatever produced it.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use wire::{ApiError, ContainerAction, ContainerDetails, ContainerList, MetricsCursor, MetricsPage};

use crate::codec::StrictJson;

#[cfg(feature = "ssr")]
pub mod ssr {
    use std::sync::Arc;

    use engine::{ContainerStatsManager, Hosts};
    use leptos::prelude::use_context;
    use wire::ApiError;

    /// The host registry, provided as context by the server for every request.
    pub fn hosts() -> Result<Arc<Hosts>, ApiError> {
        use_context::<Arc<Hosts>>().ok_or_else(|| {
            tracing::error!("Hosts missing from the server function context");
            ApiError::internal()
        })
    }

    /// The metrics engine, provided as context by the server for every request.
    pub fn metrics() -> Result<Arc<ContainerStatsManager>, ApiError> {
        use_context::<Arc<ContainerStatsManager>>().ok_or_else(|| {
            tracing::error!("ContainerStatsManager missing from the server function context");
            ApiError::internal()
        })
    }
}

/// The containers of every host (or of `host`), whether each host answers,
/// and the live numbers of running containers (looking keeps the fleet tier
/// sampling): ordered by `sort` (state, name, cpu, mem) within each host and
/// cut into pages of `per_page` rows (5 to 500, default 100); `page` counts
/// from 1, and one past the end gives the last. Only containers matching
/// `q` (name, image, id or compose project, ignoring case) and `state`
/// (running, stopped, paused) are paged; `group: "project"` keeps each
/// compose project's rows together.
#[server(prefix = "/api", endpoint = "list_containers", input = StrictJson, output = Json)]
pub async fn list_containers(
    host: Option<String>,
    sort: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
    #[server(default)] q: Option<String>,
    #[server(default)] state: Option<String>,
    #[server(default)] group: Option<String>,
) -> Result<ContainerList, ApiError> {
    let query = wire::ListQuery::parse(host.as_deref(), sort.as_deref(), page, per_page)?.narrowed(
        q.as_deref(),
        state.as_deref(),
        group.as_deref(),
    )?;
    let list = ssr::metrics()?.list().await;
    if let Some(h) = &query.host
        && !list.hosts.iter().any(|s| &s.name == h)
    {
        return Err(ApiError { host: Some(h.to_string()), ..ApiError::not_found(format!("host \"{h}\"")) });
    }
    Ok(list.arrange(&query))
}

/// One container's identity, state and configuration summary.
#[server(prefix = "/api", endpoint = "container_details", input = StrictJson, output = Json)]
pub async fn get_container_details(host: String, id: String) -> Result<ContainerDetails, ApiError> {
    let host = wire::HostName::parse(&host)?;
    let id = wire::ContainerId::parse(&id)?;
    // `read_only` says whether this host refuses actions (the page hides them).
    Ok(ssr::hosts()?.details_with_image(&host, &id).await?)
}

/// Start, stop or restart a container (refused on a read-only host, even
/// when called directly).
#[server(prefix = "/api", endpoint = "container_action", input = StrictJson, output = Json)]
pub async fn act_on_container(host: String, id: String, action: ContainerAction) -> Result<(), ApiError> {
    let host = wire::HostName::parse(&host)?;
    let id = wire::ContainerId::parse(&id)?;
    let result = ssr::hosts()?.act(&host, &id, action).await;
    match &result {
        Ok(()) => tracing::info!(%host, %id, ?action, "container action done"),
        Err(e) => tracing::info!(%host, %id, ?action, error = %e, "container action refused"),
    }
    Ok(result?)
}

/// Remove a container: `force` kills a running one first (without it a
/// running container is refused with Docker's reason), `volumes` removes
/// its anonymous volumes too. Refused on a read-only host.
#[server(prefix = "/api", endpoint = "container_remove", input = StrictJson, output = Json)]
pub async fn remove_container(
    host: String,
    id: String,
    #[server(default)] force: bool,
    #[server(default)] volumes: bool,
) -> Result<(), ApiError> {
    let host = wire::HostName::parse(&host)?;
    let id = wire::ContainerId::parse(&id)?;
    let result = ssr::hosts()?.remove(&host, &id, force, volumes).await;
    match &result {
        Ok(()) => tracing::info!(%host, %id, force, volumes, "container removed"),
        Err(e) => tracing::info!(%host, %id, force, volumes, error = %e, "container removal refused"),
    }
    Ok(result?)
}

/// Points since `cursor` (all held history without one) for one container,
/// with its state and lifecycle markers. The first call for a running
/// container starts its collector; an unknown container starts nothing.
///
/// `range` (15m, 1h, 6h, 24h, 7d, 30d; default 1h): the live ranges answer
/// the 1 s points as above; the others their tier's buckets in `history`,
/// from `history_cursor` (a bucket index, the `next_cursor` of the last
/// answer) when given, and start no collector.
#[server(prefix = "/api", endpoint = "container_metrics", input = StrictJson, output = Json)]
pub async fn container_metrics(
    host: String,
    id: String,
    #[server(default)] cursor: Option<MetricsCursor>,
    #[server(default)] range: Option<String>,
    #[server(default)] history_cursor: Option<i64>,
) -> Result<MetricsPage, ApiError> {
    let host = wire::HostName::parse(&host)?;
    let id = wire::ContainerId::parse(&id)?;
    let range = range.as_deref().map(wire::HistoryRange::parse).transpose()?.unwrap_or_default();
    let metrics = ssr::metrics()?;
    if range.live() {
        let mut page = metrics.metrics(&host, &id, cursor).await?;
        page.range = range;
        Ok(page)
    } else {
        Ok(metrics.history_page(&host, &id, range, history_cursor).await?)
    }
}
