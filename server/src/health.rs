//! `GET /healthz`: Binnacle's own view of its hosts and collectors, from
//! what the host monitors last saw, so it answers at once whatever the
//! engines do. Always 200 while Binnacle runs.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::AppState;

#[derive(Serialize)]
struct Health {
    /// "ok" when every host answers, "degraded" otherwise. Binnacle itself serves either way.
    status: &'static str,
    hosts: Vec<wire::HostStatus>,
    /// Watched containers and running collectors (never more than one each).
    metrics: engine::ManagerStats,
}

pub(crate) async fn healthz(State(state): State<AppState>) -> Json<impl Serialize> {
    let hosts = state.hosts.statuses();
    let status = if hosts.iter().all(|h| h.reachable) { "ok" } else { "degraded" };
    Json(Health { status, hosts, metrics: state.metrics.stats() })
}
