use std::process::ExitCode;

use leptos::config::get_configuration;
use server::settings::{Command, Settings};
use server::{Binnacle, shutdown_signal};
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
    let filter = match EnvFilter::try_new(settings.log_filter()) {
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

    if let Some(Command::HashPassword) = settings.command {
        return hash_password_from_stdin();
    }
    let conf = match get_configuration(None) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot read the site configuration (LEPTOS_* variables): {e}");
            return ExitCode::from(2);
        }
    };
    let mut leptos_options = conf.leptos_options;
    leptos_options.site_addr = settings.listen;

    let binnacle = match Binnacle::start(&settings, leptos_options) {
        Ok(b) => b,
        Err(line) => {
            eprintln!("{line}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(settings.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on BINNACLE_LISTEN={}: {e}", settings.listen);
            return ExitCode::from(2);
        }
    };
    let address = listener.local_addr().unwrap_or(settings.listen);
    tracing::info!(%address, docker_host = %settings.docker_host, "binnacle listening on http://{address}");
    match binnacle.serve(listener, shutdown_signal()).await {
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
