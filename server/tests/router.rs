//! The HTTP surface without a socket (`oneshot`), with the real bollard
//! engine pointed at a socket path that may or may not lead to a real engine.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use server::Binnacle;
use tower::ServiceExt;

fn state_for(docker_host: &str) -> Binnacle {
    state_with(docker_host, false)
}

fn state_with(docker_host: &str, read_only: bool) -> Binnacle {
    support::start_open(docker_host, read_only)
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

async fn get(state: &Binnacle, uri: &str) -> (StatusCode, String) {
    let res = state.router().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    (status, body_text(res).await)
}

async fn post_json(state: &Binnacle, uri: &str, json: &str) -> (StatusCode, String) {
    let req = Request::post(uri).header("content-type", "application/json").body(Body::from(json.to_string())).unwrap();
    let res = state.router().oneshot(req).await.unwrap();
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
    // The host's monitor re-checks an engine that is down every second.
    let since = std::time::Instant::now();
    let mut json = serde_json::Value::Null;
    while since.elapsed() < std::time::Duration::from_secs(3) {
        let (_, body) = post_json(&state, "/api/list_containers", "{}").await;
        json = serde_json::from_str(&body).unwrap();
        if json["hosts"][0]["reachable"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = std::fs::remove_file(&socket);
    assert_eq!(json["hosts"][0]["reachable"], true, "picked up within 3 s: {json}");
    assert!(json["containers"].is_array());
}

#[tokio::test]
async fn a_malformed_id_is_a_validation_error_as_json() {
    let state = state_for("unix:///var/run/docker.sock");
    let (status, body) = post_json(&state, "/api/container_details", r#"{"host":"local","id":"../../etc"}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["kind"], "invalid", "{body}");
}

#[tokio::test]
async fn an_unknown_container_is_not_found_as_json() {
    let state = state_for("unix:///var/run/docker.sock");
    let (status, body) = post_json(&state, "/api/container_details", r#"{"host":"local","id":"binnacle-nope"}"#).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
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

async fn post_with(state: &Binnacle, uri: &str, headers: &[(&str, &str)], body: &str) -> (StatusCode, String) {
    let mut req = Request::post(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = state.router().oneshot(req.body(Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = res.status();
    (status, body_text(res).await)
}

#[tokio::test]
async fn a_cross_site_post_to_a_server_function_is_refused() {
    let state = state_for("unix:///var/run/docker.sock");
    let json = r#"{"host":"local","id":"x","action":"stop"}"#;
    let (status, _) = post_with(
        &state,
        "/api/container_action",
        &[("content-type", "application/json"), ("sec-fetch-site", "cross-site")],
        json,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_with(
        &state,
        "/api/container_action",
        &[("content-type", "application/json"), ("origin", "https://evil.example"), ("host", "127.0.0.1:3000")],
        json,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn form_and_text_plain_posts_to_server_functions_are_refused() {
    let state = state_for("unix:///var/run/docker.sock");
    for ct in ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"] {
        let (status, _) =
            post_with(&state, "/api/container_action", &[("content-type", ct)], "host=local&id=x&action=stop").await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
    }
}

#[tokio::test]
async fn a_same_origin_browser_post_passes() {
    let state = state_for("unix:///var/run/docker.sock");
    let (status, body) = post_with(
        &state,
        "/api/list_containers",
        &[
            ("content-type", "application/json"),
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ],
        "{}",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let state = state_for("unix:///var/run/docker.sock");
    let big = format!(r#"{{"host":"local","id":"{}"}}"#, "a".repeat(200_000));
    let len = big.len().to_string();
    let (status, _) = post_with(
        &state,
        "/api/container_details",
        &[("content-type", "application/json"), ("content-length", &len)],
        &big,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn answers_carry_security_headers() {
    let state = state_for("unix:///var/run/docker.sock");
    let res = state.router().oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn read_only_mode_refuses_a_stop_called_directly_and_hides_actions() {
    let image = std::env::var("BINNACLE_TEST_IMAGE").unwrap_or_else(|_| "binnacle-busybox:latest".into());
    let out = std::process::Command::new("docker")
        .args([
            "run",
            "-d",
            "--label",
            "binnacle.test=router",
            &image,
            "sh",
            "-c",
            "trap 'exit 0' TERM; while true; do sleep 1; done",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let state = state_with("unix:///var/run/docker.sock", true);
    let (_, body) =
        post_json(&state, "/api/container_action", &format!(r#"{{"host":"local","id":"{id}","action":"stop"}}"#)).await;
    let (_, paused) =
        post_json(&state, "/api/container_action", &format!(r#"{{"host":"local","id":"{id}","action":"pause"}}"#))
            .await;
    let (_, html) = get(&state, &format!("/containers/local/{id}")).await;
    let running =
        std::process::Command::new("docker").args(["inspect", "-f", "{{.State.Status}}", &id]).output().unwrap();
    let _ = std::process::Command::new("docker").args(["rm", "-f", &id]).output();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["kind"], "read_only", "{body}");
    let json: serde_json::Value = serde_json::from_str(&paused).unwrap();
    assert_eq!(json["kind"], "read_only", "{paused}");
    assert_eq!(String::from_utf8_lossy(&running.stdout).trim(), "running", "the container still runs, unpaused");
    assert!(html.contains("Read-only mode"), "{html}");
    assert!(!html.contains("data-action=\"stop\"") && !html.contains("data-action=\"pause\""));
}

#[tokio::test]
async fn pages_allow_only_scripts_carrying_this_responses_nonce() {
    let state = state_for("unix:///var/run/docker.sock");
    let res = state.router().oneshot(Request::get("/").body(Body::empty()).unwrap()).await.unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_string();
    let html = body_text(res).await;
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    // Inline style *attributes* are allowed (the chart library measures text with
    // them); inline scripts and <style> elements are not.
    assert!(!csp.contains("script-src 'unsafe-inline'") && csp.contains("style-src 'self';"), "{csp}");
    let scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!("nonce=\"{nonce}\"")).count();
    assert!(scripts > 0 && with_nonce >= scripts, "{scripts} scripts, {with_nonce} with the nonce");
}

#[tokio::test]
async fn answers_are_gzip_compressed_when_the_client_accepts_it() {
    let state = state_for("unix:///var/run/docker.sock");
    let req = Request::get("/").header("accept-encoding", "gzip").body(Body::empty()).unwrap();
    let res = state.router().oneshot(req).await.unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
}

#[tokio::test]
async fn a_malformed_cursor_is_a_validation_error_before_any_docker_call() {
    // The engine address leads nowhere: reaching Docker would say "engine_unavailable".
    let state = state_for("unix:///tmp/binnacle-no-engine-here.sock");
    for body in [
        r#"{"host":"local","id":"abc","cursor":{"epoch":1,"seq":-5}}"#,
        r#"{"host":"local","id":"abc","cursor":{"epoch":"x","seq":1}}"#,
        r#"{"host":"local","id":"abc","cursor":{"epoch":1,"seq":9007199254740993}}"#,
        r#"{"host":"local","id":"../x"}"#,
    ] {
        let (status, answer) = post_json(&state, "/api/container_metrics", body).await;
        assert!(status.is_client_error() || status.is_server_error(), "{body}: {status}");
        let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
        assert_eq!(json["kind"], "invalid", "{body}: {answer}");
    }
}

async fn get_with_host(state: &Binnacle, uri: &str, host: &str) -> StatusCode {
    let req = Request::get(uri).header("host", host).body(Body::empty()).unwrap();
    state.router().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn without_authentication_only_loopback_names_are_served() {
    let open = state_for(&support::docker_host());
    for host in ["localhost:3000", "127.0.0.1:3000", "[::1]:3000", "localhost"] {
        assert_eq!(get_with_host(&open, "/healthz", host).await, StatusCode::OK, "{host}");
    }
    // A page elsewhere pointing its own name at 127.0.0.1 (DNS rebinding).
    for host in ["evil.example", "evil.example:3000", "192.168.1.20:3000"] {
        assert_eq!(get_with_host(&open, "/healthz", host).await, StatusCode::MISDIRECTED_REQUEST, "{host}");
        assert_eq!(get_with_host(&open, "/", host).await, StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
    let allowed =
        support::start(&["--auth", "none", "--allowed-hosts", "dash.lan", "--docker-host", &support::docker_host()]);
    assert_eq!(get_with_host(&allowed, "/healthz", "dash.lan:3000").await, StatusCode::OK);
    assert_eq!(get_with_host(&allowed, "/healthz", "evil.example").await, StatusCode::MISDIRECTED_REQUEST);
    // With a password, the session cookie (SameSite=Strict, host-bound) is the guard.
    let password = support::start(&["--auth", "password", "--password", "pw", "--listen", "0.0.0.0:3000"]);
    assert_eq!(get_with_host(&password, "/healthz", "dash.example").await, StatusCode::OK);
}

#[tokio::test]
async fn the_stats_source_follows_the_setting() {
    let files = support::start(&["--auth", "none", "--docker-host", &support::docker_host()]);
    let source = files.state.hosts.statuses()[0].stats_source.clone().unwrap();
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
        || std::path::Path::new("/sys/fs/cgroup/memory").is_dir()
    {
        assert!(source.starts_with("cgroup v"), "{source}");
    }
    let api = support::start(&["--auth", "none", "--docker-host", &support::docker_host(), "--stats-source", "api"]);
    assert_eq!(api.state.hosts.statuses()[0].stats_source.as_deref(), Some("Engine API"));
    // A cgroup root that is not one: the Engine API.
    let nowhere = support::start(&["--auth", "none", "--cgroup-root", "/nonexistent"]);
    assert_eq!(nowhere.state.hosts.statuses()[0].stats_source.as_deref(), Some("Engine API"));
}
