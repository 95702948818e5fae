pub mod config;
pub mod container;
pub mod help;
pub mod hosts;
pub mod list;
pub mod not_found;
mod sparkline;
mod widgets;

#[cfg(feature = "hydrate")]
pub use widgets::describe;
