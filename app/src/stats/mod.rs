//! The Stats tab: a bounded client buffer fed by `container_metrics`, and a
//! canvas chart. `series` and `downsample` are pure and tested natively;
//! `chart` and the polling loop run only in the browser.

pub mod downsample;
pub mod series;
pub mod format;
#[cfg(feature = "hydrate")]
pub mod chart;
mod tab;

pub use tab::StatsTab;
