//! What crosses the wire between Binnacle's server and the browser: names of
//! hosts and containers, container state and details, metrics pages and the
//! one error type every API answer uses. Plain serde types that compile for
//! the server and for wasm; no tokio, no Docker client, no Leptos (except the
//! `server_fn` feature, which lets [`ApiError`] be a server function's error).
//!
//! Integers that cross the wire are fixed-width (never `usize`), and seqs and
//! epochs stay below 2^53 so JavaScript reads them exactly.

mod container;
mod error;
mod ids;
mod list;
mod logs;
mod metrics;

pub use container::{
    ContainerAction, ContainerDetails, ContainerList, ContainerState, ContainerSummary, FleetStats, HealthCheckRun,
    HealthReport, HostFleet, HostStatus, MountSummary, NetworkAttachment, PortBinding, ResourceLimits, format_iso_ms,
    format_unix_utc,
};
pub use error::{ApiError, ErrorKind};
pub use ids::{ContainerId, HostName, InvalidInput};
pub use list::{
    DEFAULT_PER_PAGE, HostCount, ListPage, ListQuery, ListSort, MAX_SEARCH_LEN, PER_PAGE_RANGE, StateFilter,
};
pub use logs::{
    EVENT_EXIT, EVENT_GONE, EVENT_HELLO, EVENT_LINES, EVENT_PROBLEM, EVENT_RESUMED, EVENT_START, LogLine, LogStream,
    LogsExit, LogsHello, LogsStart, MAX_TAIL,
};
pub use metrics::{
    Columns, HistoryColumns, HistoryLoss, HistoryRange, MAX_SAFE, Marker, MarkerKind, MetricsCursor, MetricsPage,
    RunState,
};
