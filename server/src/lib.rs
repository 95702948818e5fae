//! Binnacle's server: settings, authentication, the HTTP layers around the
//! Leptos app, health checks and graceful shutdown. [`Binnacle::start`]
//! builds everything from the settings, for `main` and for the tests alike.

pub mod auth;
pub mod export;
mod health;
pub mod hosts_config;
pub mod http;
mod launch;
pub mod logs;
pub mod prometheus;
pub mod settings;

pub use launch::{AppState, Binnacle, router, shutdown_signal};
