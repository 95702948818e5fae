//! What the router tests share: an `AppState` over the real bollard engine.
#![allow(dead_code)] // each test binary uses its own part

use std::sync::Arc;
use std::time::Duration;

use app::engine::{BollardEngine, ContainerStatsManager, Hosts, MetricsConfig};
use app::model::HostName;
use leptos::config::LeptosOptions;
use server::AppState;
use server::auth::{Auth, AuthConfig, AuthMode};

/// `none` on loopback, at the root: override what a test is about.
pub fn auth_config() -> AuthConfig {
    AuthConfig {
        mode: AuthMode::None,
        password_hash: None,
        password: None,
        session_ttl: Duration::from_secs(3600),
        forward_header: "Remote-User".into(),
        trusted_proxies: vec![],
        listen: "127.0.0.1:3000".parse().unwrap(),
        base_path: String::new(),
    }
}

/// The state `router()` serves, with the host `local` at `docker_host`.
pub fn app_state(docker_host: &str, read_only: bool, auth: AuthConfig) -> AppState {
    let local = HostName::parse("local").unwrap();
    let engine = BollardEngine::connect(local.clone(), docker_host).unwrap();
    let hosts = Hosts::builder().host(local, Arc::new(engine)).build();
    AppState {
        leptos_options: LeptosOptions::builder().output_name("binnacle").build(),
        metrics: ContainerStatsManager::new(hosts.clone(), MetricsConfig::default()),
        hosts,
        read_only,
        auth: Auth::from_config(auth).unwrap(),
    }
}
