//! What the router tests share: a Binnacle started from settings, as `main` does.
#![allow(dead_code)] // each test binary uses its own part

use leptos::config::LeptosOptions;
use server::Binnacle;
use server::settings::Settings;

/// Starts Binnacle with these flags (after the program name), over the real
/// bollard engine. Its background work stops when it is dropped.
pub fn start(args: &[&str]) -> Binnacle {
    let settings = Settings::from_args(std::iter::once("binnacle").chain(args.iter().copied())).unwrap();
    Binnacle::start(&settings, LeptosOptions::builder().output_name("binnacle").build()).unwrap()
}

/// The engine the tests use: `DOCKER_HOST`, else the default socket.
pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// `none` auth on loopback, the local engine at `docker_host`.
pub fn start_open(docker_host: &str, read_only: bool) -> Binnacle {
    start(&["--auth", "none", "--docker-host", docker_host, "--read-only", if read_only { "true" } else { "false" }])
}

/// The test image (`make test-image`).
pub fn image() -> String {
    std::env::var("BINNACLE_TEST_IMAGE").unwrap_or_else(|_| "binnacle-busybox:latest".into())
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// (status, body) of a request made with curl.
pub fn curl(args: &[&str]) -> (u16, String) {
    let out = std::process::Command::new("curl").args(["-s", "-w", "\n%{http_code}"]).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}
