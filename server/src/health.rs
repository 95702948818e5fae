//! `GET /healthz`: Binnacle's own view of its hosts and collectors, from
//! what the host monitors last saw, so it answers at once whatever the
//! engines do. Always 200 while Binnacle runs. Without a session it says
//! only `status` (a probe needs no more; engine versions are not for everyone).

use axum::extract::State;
use axum::{Extension, Json};
use serde::Serialize;

use crate::AppState;
use crate::auth::Authenticated;

#[derive(Serialize)]
struct Health {
    /// "ok" when every host answers, "degraded" otherwise. Binnacle itself serves either way.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hosts: Option<Vec<wire::HostStatus>>,
    /// Watched containers and running collectors (never more than one each).
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<engine::ManagerStats>,
}

pub(crate) async fn healthz(
    State(state): State<AppState>,
    Extension(Authenticated(authenticated)): Extension<Authenticated>,
) -> Json<impl Serialize> {
    let hosts = state.hosts.statuses();
    let status = if hosts.iter().all(|h| h.reachable) { "ok" } else { "degraded" };
    let detail = authenticated.then_some(());
    Json(Health { status, hosts: detail.map(|_| hosts), metrics: detail.map(|_| state.metrics.stats()) })
}
