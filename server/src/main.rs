use std::process::ExitCode;
use std::sync::Arc;

use app::engine::{BollardEngine, ContainerStatsManager, Hosts};
use app::model::HostName;
use leptos::config::get_configuration;
use server::settings::Settings;
use server::{AppState, router, shutdown_signal};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(line) => {
            eprintln!("{line}");
            return ExitCode::from(2);
        }
    };
    let filter = match EnvFilter::try_new(&settings.log) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: invalid value for BINNACLE_LOG: {e}");
            return ExitCode::from(2);
        }
    };
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();

    if let Some(server::settings::Command::HashPassword) = settings.command {
        return hash_password_from_stdin();
    }
    // Before any route list is made: pages, assets and server functions live under it.
    app::base::set_base_path(settings.base_path.clone());
    let auth = match server::auth::Auth::from_config(settings.auth_config()) {
        Ok(a) => a,
        Err(line) => {
            eprintln!("{line}");
            return ExitCode::from(2);
        }
    };

    let local = HostName::parse("local").expect("static host name");
    let engine = match BollardEngine::connect(local.clone(), &settings.docker_host) {
        Ok(e) => e,
        Err(reason) => {
            eprintln!("error: invalid value for DOCKER_HOST: {reason}");
            return ExitCode::from(2);
        }
    };
    let hosts: Arc<Hosts> = Hosts::builder().host(local, Arc::new(engine)).build();

    let conf = match get_configuration(None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot read the site configuration (LEPTOS_* variables): {e}");
            return ExitCode::from(2);
        }
    };
    let mut leptos_options = conf.leptos_options;
    leptos_options.site_addr = settings.listen;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    hosts.spawn_monitors(settings.engine_check_interval, stop_rx.clone());
    let metrics = ContainerStatsManager::new(hosts.clone(), settings.metrics_config());
    metrics.spawn_background(stop_rx);

    if settings.read_only {
        tracing::info!("read-only mode: container actions are refused");
    }
    let app = router(AppState { leptos_options, hosts, metrics: metrics.clone(), read_only: settings.read_only, auth });
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on BINNACLE_LISTEN={}: {e}", settings.listen);
            return ExitCode::from(2);
        }
    };
    tracing::info!(address = %settings.listen, docker_host = %settings.docker_host, "binnacle listening on http://{}", settings.listen);
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    let _ = stop_tx.send(true);
    metrics.stop_all();
    match served {
        Ok(()) => {
            tracing::info!("binnacle stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}

/// `binnacle hash-password`: one line on stdin, its argon2 PHC string on stdout.
fn hash_password_from_stdin() -> ExitCode {
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        eprintln!("error: could not read a password from standard input");
        return ExitCode::from(2);
    }
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        eprintln!("error: the password is empty");
        return ExitCode::from(2);
    }
    match server::auth::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
