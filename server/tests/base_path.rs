//! Behind a reverse proxy at a sub-path (`BINNACLE_BASE_PATH=/binnacle`):
//! pages, server functions, assets, login and health all live under it.
//! Its own test binary: the base path is set once per process.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use server::Binnacle;
use tower::ServiceExt;

fn state(mode: &str) -> Binnacle {
    let docker_host = support::docker_host();
    support::start(&["--auth", mode, "--password", "pw", "--base-path", "/binnacle", "--docker-host", &docker_host])
}

async fn send(s: &Binnacle, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = s.router().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, headers, body)
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn pages_and_their_assets_live_under_the_base_path() {
    let s = state("none");
    let (status, _, html) = send(&s, get("/binnacle/")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(r#"<meta name="binnacle-base" content="/binnacle""#), "{html}");
    assert!(html.contains("/binnacle/pkg/binnacle.js"), "hydration script under the base: {html}");
    assert!(html.contains(r#"href="/binnacle/pkg/binnacle.css""#));
    assert!(html.contains(r#"href="/binnacle/""#), "links carry the base");
    let (status, _, html) = send(&s, get("/binnacle/containers/local/binnacle-no-such")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Container not found"), "deep links render: {html}");
    let (status, _, html) = send(&s, get("/binnacle")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for outside in ["/elsewhere", "/binnaclex", "/pkg/binnacle.css", "/healthz"] {
        assert_eq!(send(&s, get(outside)).await.0, StatusCode::NOT_FOUND, "{outside}");
    }
    let direct = Request::post("/api/list_containers")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(send(&s, direct).await.0, StatusCode::NOT_FOUND, "server functions only under the base");
}

#[tokio::test]
async fn server_functions_and_health_answer_under_the_base_path() {
    let s = state("none");
    let req = Request::post("/binnacle/api/list_containers")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let (status, _, body) = send(&s, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"containers\""));
    let (status, _, body) = send(&s, get("/binnacle/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"hosts\""));
    // The GET endpoints too: an unknown container is their own 404, not the router's.
    for path in ["/api/export", "/api/logs", "/api/logs/download"] {
        let (status, _, body) = send(&s, get(&format!("/binnacle{path}?host=local&id=binnacle-no-such"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(body.contains("binnacle-no-such"), "{path}: {body}");
        assert_eq!(send(&s, get(&format!("{path}?host=local&id=binnacle-no-such"))).await.0, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn login_redirects_and_cookies_stay_under_the_base_path() {
    let s = state("password");
    let (status, headers, _) = send(&s, get("/binnacle/containers/local/x")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/binnacle/login?next=%2Fbinnacle%2Fcontainers%2Flocal%2Fx");
    let (status, _, page) = send(&s, get("/binnacle/login")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"action="/binnacle/login""#) && page.contains("/binnacle/pkg/binnacle.css"));
    let login = Request::post("/binnacle/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("password=pw&next=%2Fbinnacle%2F"))
        .unwrap();
    let (status, headers, _) = send(&s, login).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/binnacle/");
    assert!(headers[header::SET_COOKIE].to_str().unwrap().contains("Path=/binnacle/"));
}
