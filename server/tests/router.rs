//! The HTTP surface without a socket (`oneshot`), with the real bollard
//! engine pointed at a socket path that may or may not lead to a real engine.

use std::sync::Arc;

use app::engine::{BollardEngine, ContainerStatsManager, Hosts, MetricsConfig};
use app::model::HostName;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use server::{AppState, router};
use tower::ServiceExt;

fn state_for(docker_host: &str) -> AppState {
    let local = HostName::parse("local").unwrap();
    let engine = BollardEngine::connect(local.clone(), docker_host).unwrap();
    let hosts = Hosts::builder().host(local, Arc::new(engine)).build();
    AppState {
        leptos_options: LeptosOptions::builder().output_name("binnacle").build(),
        metrics: ContainerStatsManager::new(hosts.clone(), MetricsConfig::default()),
        hosts,
    }
}

fn missing_socket() -> String {
    format!("/tmp/binnacle-test-{}-{}.sock", std::process::id(), rand_suffix())
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

async fn body_text(res: axum::response::Response) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

async fn get(state: &AppState, uri: &str) -> (StatusCode, String) {
    let res = router(state.clone()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    (status, body_text(res).await)
}

async fn post_json(state: &AppState, uri: &str, json: &str) -> (StatusCode, String) {
    let req = Request::post(uri).header("content-type", "application/json").body(Body::from(json.to_string())).unwrap();
    let res = router(state.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    (status, body_text(res).await)
}

#[tokio::test]
async fn healthz_reports_an_unreachable_engine_and_still_answers() {
    let state = state_for(&format!("unix://{}", missing_socket()));
    let (status, body) = get(&state, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "degraded");
    assert_eq!(json["hosts"][0]["name"], "local");
    assert_eq!(json["hosts"][0]["reachable"], false);
    assert!(!body.contains("/tmp/"), "socket paths stay in the log: {body}");
}

#[tokio::test]
async fn pages_say_plainly_that_docker_is_unreachable() {
    let state = state_for(&format!("unix://{}", missing_socket()));
    let (status, html) = get(&state, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Docker unreachable"), "{html}");

    let (_, html) = get(&state, "/containers/local/abc").await;
    assert!(html.contains("is not answering"), "{html}");
}

#[tokio::test]
async fn binnacle_picks_the_engine_up_when_it_comes_back() {
    let socket = missing_socket();
    let state = state_for(&format!("unix://{socket}"));
    let (_, body) = post_json(&state, "/api/list_containers", "{}").await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["hosts"][0]["reachable"], false);

    // The engine "comes back": the configured socket path now leads to it.
    let real = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".into());
    std::os::unix::fs::symlink(&real, &socket).unwrap();
    let (_, body) = post_json(&state, "/api/list_containers", "{}").await;
    let _ = std::fs::remove_file(&socket);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["hosts"][0]["reachable"], true, "{body}");
    assert!(json["containers"].is_array());
}

#[tokio::test]
async fn a_malformed_id_is_a_validation_error_as_json() {
    let state = state_for("unix:///var/run/docker.sock");
    let (status, body) =
        post_json(&state, "/api/container_details", r#"{"host":"local","id":"../../etc"}"#).await;
    assert!(status.is_client_error() || status.is_server_error(), "{status}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["kind"], "invalid", "{body}");
}

#[tokio::test]
async fn an_unknown_container_is_not_found_as_json() {
    let state = state_for("unix:///var/run/docker.sock");
    let (_, body) =
        post_json(&state, "/api/container_details", r#"{"host":"local","id":"binnacle-nope"}"#).await;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["kind"], "not_found", "{body}");
}

#[tokio::test]
async fn an_unknown_path_is_404() {
    let state = state_for("unix:///var/run/docker.sock");
    let (status, html) = get(&state, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
}
