//! The Stats tab: a bounded client buffer fed by `container_metrics`, and a
//! canvas chart. `series`, `history` and `downsample` are pure and tested
//! natively; `chart` and the polling loop run only in the browser.

pub mod axis;
#[cfg(feature = "hydrate")]
pub mod chart;
pub mod downsample;
pub mod export;
pub mod format;
pub mod history;
pub mod hover;
pub mod legend;
pub mod markers;
pub mod series;
mod tab;

pub use tab::StatsTab;
