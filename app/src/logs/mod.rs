//! The Logs tab: a container's log, followed live over server-sent events
//! (`GET /api/logs`, see `wire::logs`). `ansi`, `buffer`, `chunks`, `filter`
//! and `format` are pure and tested natively; `live` (the stream and the view's
//! DOM) runs only in the browser.

pub mod ansi;
pub mod buffer;
pub mod chunks;
pub mod filter;
pub mod format;
#[cfg(feature = "hydrate")]
mod live;
mod tab;

pub use tab::LogsTab;
