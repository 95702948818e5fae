//! The login rate limit under concurrency, and what it costs: attempts are
//! reserved before the (19 MiB, tens of ms) argon2 check, and the process
//! checks at most as many passwords at once as it has cores. Its own test
//! binary with one test, so the memory it measures is its own.

mod support;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use server::Binnacle;
use tower::ServiceExt;

fn start() -> Binnacle {
    support::start(&["--auth", "password", "--password", "right", "--listen", "0.0.0.0:3000"])
}

fn login(password: &str, next: &str) -> Request<Body> {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("password={password}&next={next}")))
        .unwrap()
}

async fn send_from(app: &axum::Router, peer: &str, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap) {
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    let res = app.clone().layer(MockConnectInfo(peer)).oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let _ = res.into_body().collect().await;
    (status, headers)
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_rate_limit_holds_under_concurrency_and_memory_stays_bounded() {
    let b = start();
    let app = b.router();
    let before = rss_mib();

    // 40 wrong passwords at once from one address: at most 5 are checked.
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { send_from(&app, "192.0.2.10", login("wrong", "/")).await.0 })
        })
        .collect();
    let statuses: Vec<StatusCode> = futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(checked <= server::auth::MAX_FAILURES, "{checked} wrong passwords were checked");
    assert_eq!(checked + limited, 40, "{statuses:?}");
    assert_eq!(b.state.auth.passwords_verified(), checked as u64);

    // 200 at once from 50 addresses: memory grows by at most 64 MiB
    // (counted from before the first login: the hash buffers included).
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move { send_from(&app, &format!("198.51.100.{}", i % 50), login("wrong", "/")).await.0 })
        })
        .collect();
    let statuses: Vec<StatusCode> = futures::future::join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
    let grew = rss_mib() - before;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS));
    assert!(statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count() <= 50 * server::auth::MAX_FAILURES);
    assert!(grew <= 64.0, "RSS grew by {grew:.1} MiB");
    eprintln!("200 concurrent logins from 50 addresses: RSS grew by {grew:.1} MiB");
}
