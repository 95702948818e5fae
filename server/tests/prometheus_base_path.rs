//! `/metrics` under a base path, on the main listener and on its own
//! (a test binary of its own: the base path is process-wide).

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

const TOKEN: &str = "prometheus-test-token-0123456789";

fn start(extra: &[&str]) -> server::Binnacle {
    let host = support::docker_host();
    let mut args = vec!["--auth", "none", "--docker-host", &host, "--fleet-interval", "2s"];
    args.extend_from_slice(extra);
    support::start(&args)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn status(app: &axum::Router, path: &str, token: Option<&str>) -> StatusCode {
    let mut req = Request::get(path);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap().status()
}

/// The status line and headers of a raw HTTP/1.0 GET on loopback.
async fn head_of(port: u16, path: &str, headers: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n{headers}\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).to_string();
    text.split_once("\r\n\r\n").map(|(h, _)| h.to_lowercase()).unwrap_or(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn its_own_listener_under_the_base_path_gzips_when_asked() {
    let own = free_port();
    let own_address = format!("127.0.0.1:{own}");
    let b = start(&[
        "--prometheus",
        "on",
        "--prometheus-token",
        TOKEN,
        "--prometheus-listen",
        &own_address,
        "--base-path",
        "/binnacle",
    ]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let main = listener.local_addr().unwrap().port();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(b.serve(listener, async move {
        let _ = stop_rx.await;
    }));
    let auth = format!("Authorization: Bearer {TOKEN}\r\n");
    let mut head = String::new();
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", own)).await.is_ok() {
            head = head_of(own, "/metrics", &format!("{auth}Accept-Encoding: gzip\r\n")).await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(head.starts_with("http/1.0 200") || head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("content-type: text/plain; version=0.0.4"), "{head}");
    let head = head_of(own, "/metrics", "").await;
    assert!(head.contains(" 401 "), "no token: {head}");
    // Not on the main listener then, with or without the base path.
    for path in ["/binnacle/metrics", "/metrics"] {
        let head = head_of(main, path, &auth).await;
        assert!(!head.contains(" 200 "), "{path}: {head}");
    }
    // Stopping Binnacle stops its own listener too.
    let _ = stop_tx.send(());
    tokio::time::timeout(Duration::from_secs(10), served).await.expect("stopped").unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", own)).await.is_err(), "its own listener is closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_the_main_listener_it_lives_under_the_base_path() {
    let b = start(&["--prometheus", "on", "--prometheus-token", TOKEN, "--base-path", "/binnacle"]);
    let app = b.router();
    assert_eq!(status(&app, "/binnacle/metrics", Some(TOKEN)).await, StatusCode::OK);
    assert_eq!(status(&app, "/binnacle/metrics", None).await, StatusCode::UNAUTHORIZED);
}
