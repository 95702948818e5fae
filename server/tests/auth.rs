//! Authentication through the whole router: deny by default, password
//! login with sessions, the login rate limit, forward-proxy trust.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use server::Binnacle;
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";

fn state(mode: &str, ttl: &str, trusted: &str) -> Binnacle {
    let docker_host = support::docker_host();
    support::start(&[
        "--auth",
        mode,
        "--password",
        PASSWORD,
        "--session-ttl",
        ttl,
        "--trusted-proxies",
        trusted,
        "--listen",
        "0.0.0.0:3000",
        "--docker-host",
        &docker_host,
    ])
}

fn password_state() -> Binnacle {
    state("password", "1h", "")
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn send(state: &Binnacle, peer: &str, req: Request<Body>) -> Answer {
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    let res = state.router().layer(MockConnectInfo(peer)).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    Answer { status, headers, body }
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut r = Request::get(uri);
    if let Some(c) = cookie {
        r = r.header(header::COOKIE, c);
    }
    r.body(Body::empty()).unwrap()
}

fn login_request(password: &str) -> Request<Body> {
    let body = format!("password={}&next=%2Fcontainers%2Flocal%2Fx", password.replace(' ', "+"));
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

/// Logs in and returns the `name=value` session cookie.
async fn log_in(state: &Binnacle, peer: &str) -> String {
    let a = send(state, peer, login_request(PASSWORD)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let set = a.headers[header::SET_COOKIE].to_str().unwrap().to_string();
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn nothing_but_login_assets_and_healthz_answers_without_a_session() {
    let s = password_state();
    let a = send(&s, "192.0.2.1", get("/", None)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.headers[header::LOCATION], "/login?next=%2F");
    // An unknown path is not revealed as 404 before authentication.
    assert_eq!(send(&s, "192.0.2.1", get("/no/such/page", None)).await.status, StatusCode::SEE_OTHER);
    assert_eq!(send(&s, "192.0.2.1", get("/pkg/binnacle.wasm", None)).await.status, StatusCode::UNAUTHORIZED);
    let api = Request::post("/api/list_containers")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(send(&s, "192.0.2.1", api).await.status, StatusCode::UNAUTHORIZED);
    // Logs can hold secrets: the stream, the download and the export need a session too.
    for path in ["/api/logs?host=local&id=x", "/api/logs/download?host=local&id=x", "/api/export?host=local&id=x"] {
        assert_eq!(send(&s, "192.0.2.1", get(path, None)).await.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    assert_eq!(send(&s, "192.0.2.1", get("/healthz", None)).await.status, StatusCode::OK);
    let login = send(&s, "192.0.2.1", get("/login", None)).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains("type=\"password\""));
}

#[tokio::test]
async fn login_works_with_a_strict_http_only_cookie_and_returns_to_the_page() {
    let s = password_state();
    let a = send(&s, "192.0.2.1", login_request(PASSWORD)).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(a.headers[header::LOCATION], "/containers/local/x");
    let cookie = a.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");
    let session = cookie.split(';').next().unwrap();
    assert_eq!(send(&s, "192.0.2.1", get("/healthz", Some(session))).await.status, StatusCode::OK);
    assert_eq!(send(&s, "192.0.2.1", get("/no/such/page", Some(session))).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_wrong_password_fails_without_a_session() {
    let s = password_state();
    let a = send(&s, "192.0.2.1", login_request("nope")).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.headers.get(header::SET_COOKIE).is_none());
    assert!(a.body.contains("Wrong password"));
}

#[tokio::test]
async fn repeated_failures_trigger_the_rate_limit_even_for_the_right_password() {
    let s = password_state();
    for _ in 0..server::auth::MAX_FAILURES {
        assert_eq!(send(&s, "192.0.2.7", login_request("nope")).await.status, StatusCode::UNAUTHORIZED);
    }
    let a = send(&s, "192.0.2.7", login_request(PASSWORD)).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.headers.contains_key(header::RETRY_AFTER));
    // Another address is not affected.
    assert_eq!(send(&s, "192.0.2.8", login_request(PASSWORD)).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_expired_session_is_sent_to_the_login_page() {
    let s = state("password", "300ms", "");
    let session = log_in(&s, "192.0.2.1").await;
    assert_eq!(send(&s, "192.0.2.1", get("/", Some(&session))).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let a = send(&s, "192.0.2.1", get("/", Some(&session))).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.headers[header::LOCATION].to_str().unwrap().starts_with("/login"));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let s = password_state();
    let session = log_in(&s, "192.0.2.1").await;
    let out = Request::post("/logout").header(header::COOKIE, &session).body(Body::empty()).unwrap();
    let a = send(&s, "192.0.2.1", out).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(a.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!(send(&s, "192.0.2.1", get("/", Some(&session))).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_cross_site_form_post_with_a_valid_session_is_refused() {
    let s = password_state();
    let session = log_in(&s, "192.0.2.1").await;
    let forged = Request::post("/api/container_action")
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from("host=local&id=x&action=stop"))
        .unwrap();
    assert_eq!(send(&s, "192.0.2.1", forged).await.status, StatusCode::FORBIDDEN);
    let forged_plain = Request::post("/api/container_action")
        .header(header::COOKIE, &session)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"host":"local","id":"x","action":"stop"}"#))
        .unwrap();
    assert_eq!(send(&s, "192.0.2.1", forged_plain).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn the_forward_auth_header_counts_only_from_trusted_proxies() {
    let s = state("forward-proxy", "60s", "10.0.0.0/8");
    let with_user = |uri: &str| Request::get(uri).header("Remote-User", "alice").body(Body::empty()).unwrap();
    assert_eq!(send(&s, "10.1.2.3", with_user("/")).await.status, StatusCode::OK);
    assert_eq!(send(&s, "192.0.2.1", with_user("/")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(send(&s, "10.1.2.3", get("/", None)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn behind_a_trusted_https_proxy_the_cookie_is_secure_and_the_client_address_is_forwarded() {
    let s = state("password", "60s", "10.0.0.1");
    let req = |password: &str, xff: &str| {
        let mut r = login_request(password);
        r.headers_mut().insert("x-forwarded-proto", "https".parse().unwrap());
        r.headers_mut().insert("x-forwarded-for", xff.parse().unwrap());
        r
    };
    let a = send(&s, "10.0.0.1", req(PASSWORD, "198.51.100.9")).await;
    assert!(a.headers[header::SET_COOKIE].to_str().unwrap().contains("Secure"));
    // Failures count against the forwarded client, not the proxy.
    for _ in 0..server::auth::MAX_FAILURES {
        send(&s, "10.0.0.1", req("nope", "198.51.100.10")).await;
    }
    assert_eq!(send(&s, "10.0.0.1", req(PASSWORD, "198.51.100.10")).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(send(&s, "10.0.0.1", req(PASSWORD, "198.51.100.11")).await.status, StatusCode::SEE_OTHER);
    // From an untrusted peer, X-Forwarded-Proto is ignored.
    let a = send(&s, "192.0.2.1", req(PASSWORD, "198.51.100.12")).await;
    assert!(!a.headers[header::SET_COOKIE].to_str().unwrap().contains("Secure"));
}

fn login_with_next(password: &str, next: &str) -> Request<Body> {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    let body = format!("password={}&next={next}", password.replace(' ', "+"));
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_next_with_control_characters_logs_in_and_goes_home() {
    let s = password_state();
    for next in ["/x\r\nSet-Cookie: evil=1", "/\t/evil.example", "/a\nb"] {
        let a = send(&s, "192.0.2.20", login_with_next(PASSWORD, next)).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{next:?}: {}", a.body);
        assert_eq!(a.headers[header::LOCATION], "/", "{next:?}");
        let cookie = a.headers[header::SET_COOKIE].to_str().unwrap();
        assert!(cookie.starts_with("binnacle_session=") && !cookie.contains("evil"), "{cookie}");
    }
}

#[tokio::test]
async fn a_next_that_leaves_the_site_is_not_followed_after_login() {
    let s = password_state();
    for next in ["//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)"] {
        let a = send(&s, "192.0.2.21", login_with_next(PASSWORD, next)).await;
        assert_eq!(a.headers[header::LOCATION], "/", "{next:?}");
    }
    // The login page carries only a safe next in its form.
    let page = send(&s, "192.0.2.21", get("/login?next=%2F%09%2Fevil.example", None)).await;
    assert!(page.body.contains(r#"name="next" value="/""#), "{}", page.body);
}

#[tokio::test]
async fn healthz_tells_a_stranger_only_the_status() {
    let s = password_state();
    let stranger = send(&s, "192.0.2.30", get("/healthz", None)).await;
    assert_eq!(stranger.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&stranger.body).unwrap();
    assert!(json["status"].is_string());
    assert!(json.get("hosts").is_none() && json.get("metrics").is_none(), "{json}");
    let session = log_in(&s, "192.0.2.30").await;
    let member = send(&s, "192.0.2.30", get("/healthz", Some(&session))).await;
    let json: serde_json::Value = serde_json::from_str(&member.body).unwrap();
    assert_eq!(json["hosts"][0]["name"], "local");
    assert!(json["metrics"]["watched"].is_number());
}
