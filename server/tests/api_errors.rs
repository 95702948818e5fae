//! Every bad input gets its documented answer: a table of malformed bodies
//! sent to every `/api/*` endpoint (4xx, the JSON error body, no Docker
//! call, no collector), and one table of every error status the API
//! answers, all in the same JSON shape.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use engine::metrics::formulas::RawStats;
use engine::{BollardEngine, ContainerEngine, EngineError, EngineEvent, EngineVersion, Hosts};
use futures::stream::BoxStream;
use http_body_util::BodyExt;
use server::Binnacle;
use tower::ServiceExt;
use wire::{ApiError, ContainerAction, ContainerDetails, ContainerId, ContainerSummary, ErrorKind, HostName};

/// The real engine, counting the container calls that reach it (the host
/// monitor's version checks are not counted).
struct Counting {
    real: BollardEngine,
    calls: AtomicUsize,
}

#[async_trait]
impl ContainerEngine for Counting {
    async fn version(&self) -> Result<EngineVersion, EngineError> {
        self.real.version().await
    }
    async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.real.list_containers().await
    }
    async fn inspect_container(&self, id: &ContainerId) -> Result<ContainerDetails, EngineError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.real.inspect_container(id).await
    }
    async fn act(&self, id: &ContainerId, action: ContainerAction) -> Result<(), EngineError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.real.act(id, action).await
    }
    async fn stats_once(&self, id: &ContainerId) -> Result<RawStats, EngineError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.real.stats_once(id).await
    }
    fn events(&self, since_secs: Option<i64>) -> BoxStream<'static, Result<EngineEvent, EngineError>> {
        self.real.events(since_secs)
    }
}

fn counted(args: &[&str]) -> (Binnacle, Arc<Counting>) {
    let local = HostName::parse("local").unwrap();
    let engine = Arc::new(Counting {
        real: BollardEngine::connect(local.clone(), &support::docker_host()).unwrap(),
        calls: AtomicUsize::new(0),
    });
    let hosts = Hosts::builder().host(local, engine.clone()).build();
    let settings =
        server::settings::Settings::from_args(std::iter::once("binnacle").chain(args.iter().copied())).unwrap();
    let options = leptos::config::LeptosOptions::builder().output_name("binnacle").build();
    (Binnacle::start_with_hosts(&settings, options, hosts).unwrap(), engine)
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

async fn send(b: &Binnacle, req: Request<Body>) -> Answer {
    let res = b.router().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer { status, headers, body }
}

fn post(path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path).header(header::CONTENT_TYPE, "application/json").body(body.into()).unwrap()
}

/// The one error shape: JSON, decodes as `ApiError`, kind matching status.
fn assert_error_shape(a: &Answer, context: &str) -> ApiError {
    let ct = a.headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(ct.starts_with("application/json"), "{context}: content-type {ct:?}");
    let error: ApiError = serde_json::from_slice(&a.body)
        .unwrap_or_else(|e| panic!("{context}: not the error JSON ({e}): {}", String::from_utf8_lossy(&a.body)));
    assert_eq!(error.status(), a.status.as_u16(), "{context}: kind {:?} vs status {}", error.kind, a.status);
    assert!(!error.message.is_empty(), "{context}");
    error
}

/// Bodies no endpoint accepts.
fn malformed_for_all() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = [
        "",
        " ",
        "\n",
        "null",
        "true",
        "false",
        "0",
        "-1",
        "1e400",
        "\"text\"",
        "[]",
        "[\"local\", \"abc\"]",
        "{",
        "}",
        "{\"host\":",
        "{\"host\": \"local\"",
        "{} x",
        "{}{}",
        "{},",
        "{'host': 'local'}",
        "{host: \"local\"}",
        "{\"unknown\": 1}",
        "{\"\": 1}",
        "\u{feff}{}",
        "{\"host\": \"local\", \"id\": \"abc\"} trailing",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    out.push(vec![b'{', 0xff, 0xfe, b'}']); // not UTF-8
    out.push(format!("{}{}", "[".repeat(200), "]".repeat(200)).into_bytes()); // too deep
    out.push(format!("{{\"host\": \"{}\"}}", "a".repeat(60_000)).into_bytes()); // big but under the limit
    out
}

/// Bodies refused by the endpoints that name a container.
fn malformed_for_container(extra_ok: &str) -> Vec<String> {
    let ok_id = "binnacle-no-such-container";
    let with = |fields: &str| format!("{{{fields}{extra_ok}}}");
    vec![
        with(&format!("\"id\": \"{ok_id}\"")), // host missing
        with("\"host\": \"local\""),           // id missing
        with(&format!("\"host\": null, \"id\": \"{ok_id}\"")),
        with("\"host\": \"local\", \"id\": null"),
        with(&format!("\"host\": 1, \"id\": \"{ok_id}\"")),
        with("\"host\": \"local\", \"id\": 12345"),
        with(&format!("\"host\": [\"local\"], \"id\": \"{ok_id}\"")),
        with("\"host\": \"local\", \"id\": {\"id\": \"x\"}"),
        with(&format!("\"host\": \"\", \"id\": \"{ok_id}\"")),
        with("\"host\": \"local\", \"id\": \"\""),
        with(&format!("\"host\": \"Local\", \"id\": \"{ok_id}\"")),
        with(&format!("\"host\": \"{}\", \"id\": \"{ok_id}\"", "h".repeat(33))),
        with("\"host\": \"local\", \"id\": \"../../etc/passwd\""),
        with("\"host\": \"local\", \"id\": \"a b\""),
        with("\"host\": \"local\", \"id\": \"a/b\""),
        with("\"host\": \"local\", \"id\": \"%2e%2e\""),
        with(&format!("\"host\": \"local\", \"id\": \"{}\"", "x".repeat(129))),
        with(&format!("\"host\": \"local\", \"host\": \"local\", \"id\": \"{ok_id}\"")),
        with(&format!("\"host\": \"local\", \"id\": \"{ok_id}\", \"id\": \"{ok_id}\"")),
        with(&format!("\"host\": \"local\", \"id\": \"{ok_id}\", \"extra\": true")),
        with(&format!("\"HOST\": \"local\", \"id\": \"{ok_id}\"")),
    ]
}

fn malformed_cursors() -> Vec<String> {
    let body = |cursor: &str| format!("{{\"host\": \"local\", \"id\": \"abc\", \"cursor\": {cursor}}}");
    [
        "{\"epoch\": -1, \"seq\": 0}",
        "{\"epoch\": 1, \"seq\": -1}",
        "{\"epoch\": 1.5, \"seq\": 0}",
        "{\"epoch\": 1, \"seq\": 0.5}",
        "{\"epoch\": \"1\", \"seq\": 0}",
        "{\"epoch\": true, \"seq\": 0}",
        "{\"epoch\": 1e400, \"seq\": 0}",
        "{\"epoch\": 18446744073709551616, \"seq\": 0}",
        "{\"epoch\": 9007199254740992, \"seq\": 0}",
        "{\"epoch\": 1, \"seq\": 9007199254740992}",
        "{\"epoch\": 1, \"seq\": 18446744073709551615}",
        "{\"epoch\": null, \"seq\": 0}",
        "{\"epoch\": 1}",
        "{\"seq\": 1}",
        "{}",
        "[1, 2]",
        "\"1:2\"",
        "7",
        "{\"epoch\": 1, \"seq\": 2, \"gen\": 3}",
        "{\"epoch\": 1, \"epoch\": 2, \"seq\": 3}",
    ]
    .iter()
    .map(|c| body(c))
    .collect()
}

fn malformed_actions() -> Vec<String> {
    let body = |action: &str| format!("{{\"host\": \"local\", \"id\": \"abc\", \"action\": {action}}}");
    let mut out: Vec<String> = [
        "\"kill\"",
        "\"\"",
        "\"START\"",
        "\"Start\"",
        "\"start \"",
        "1",
        "null",
        "true",
        "[\"start\"]",
        "{\"start\": 1}",
        "\"remove\"",
    ]
    .iter()
    .map(|a| body(a))
    .collect();
    out.push("{\"host\": \"local\", \"id\": \"abc\"}".into()); // action missing
    out
}

#[tokio::test]
async fn malformed_bodies_are_400_with_the_json_error_and_reach_nothing() {
    let (b, engine) = counted(&["--auth", "none", "--docker-host", &support::docker_host()]);
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    for endpoint in
        ["list_containers", "container_details", "container_action", "container_metrics", "container_remove"]
    {
        for body in malformed_for_all() {
            cases.push((endpoint, body));
        }
    }
    for body in malformed_for_container("") {
        cases.push(("container_remove", body.clone().into_bytes()));
        cases.push(("container_details", body.clone().into_bytes()));
        cases.push(("container_metrics", body.into_bytes()));
    }
    for body in malformed_for_container(", \"action\": \"stop\"") {
        cases.push(("container_action", body.into_bytes()));
    }
    for body in malformed_cursors() {
        cases.push(("container_metrics", body.into_bytes()));
    }
    for body in malformed_actions() {
        cases.push(("container_action", body.into_bytes()));
    }
    // Its optional arguments: wrong types, out of range, unknown fields.
    for body in [
        r#"{"host": 5}"#,
        r#"{"host": "bad host/"}"#,
        r#"{"host": ""}"#,
        r#"{"sort": 3}"#,
        r#"{"sort": "size"}"#,
        r#"{"sort": "CPU"}"#,
        r#"{"page": 0}"#,
        r#"{"page": -1}"#,
        r#"{"page": "2"}"#,
        r#"{"page": 1.5}"#,
        r#"{"page": 1e10}"#,
        r#"{"per_page": 4}"#,
        r#"{"per_page": 501}"#,
        r#"{"per_page": 4294967296}"#,
        r#"{"id": "abc"}"#,
        r#"{"cursor": null}"#,
        r#"{"all": true}"#,
        r#"{"filters": {}}"#,
        r#"{"limit": 10}"#,
        r#"{"__proto__": {}}"#,
        r#"{"constructor": 1}"#,
        r#"{" ": 1}"#,
        r#"{"0": 0}"#,
        r#"{"page": 1, "page": 1}"#,
        r#"{"a": [1, 2, 3]}"#,
        r#"{"nested": {"deeper": {}}}"#,
        r#"{"x": "y"} "#,
    ] {
        cases.push(("list_containers", body.as_bytes().to_vec()));
    }
    for body in [r#"{"host": "local", "id": "abc", "force": "yes"}"#, r#"{"host": "local", "id": "abc", "volumes": 1}"#]
    {
        cases.push(("container_remove", body.as_bytes().to_vec()));
    }
    let per_endpoint = |name: &str| cases.iter().filter(|(e, _)| *e == name).count();
    for endpoint in
        ["list_containers", "container_details", "container_action", "container_metrics", "container_remove"]
    {
        assert!(per_endpoint(endpoint) >= 40, "{endpoint}: {} cases", per_endpoint(endpoint));
    }

    for (endpoint, body) in &cases {
        let context = format!("{endpoint} {:?}", String::from_utf8_lossy(&body[..body.len().min(80)]));
        let a = send(&b, post(&format!("/api/{endpoint}"), body.clone())).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{context}: {}", String::from_utf8_lossy(&a.body));
        let error = assert_error_shape(&a, &context);
        assert_eq!(error.kind, ErrorKind::Invalid, "{context}");
    }
    assert_eq!(engine.calls.load(Ordering::SeqCst), 0, "no malformed request reached Docker");
    assert_eq!(b.state.metrics.stats().collectors_started, 0, "no collector was started");
    eprintln!("{} malformed bodies answered 400", cases.len());
}

#[tokio::test]
async fn a_well_formed_body_still_works_after_all_that() {
    let (b, engine) = counted(&["--auth", "none", "--docker-host", &support::docker_host()]);
    let a = send(&b, post("/api/list_containers", "{}")).await;
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(engine.calls.load(Ordering::SeqCst), 1);
    let a =
        send(&b, post("/api/list_containers", r#"{"host": "local", "sort": "cpu", "page": 1, "per_page": 5}"#)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    let a =
        send(&b, post("/api/list_containers", r#"{"host": null, "sort": null, "page": null, "per_page": null}"#)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", String::from_utf8_lossy(&a.body));
    // Optional arguments may be left out or be null.
    let body = r#"{"host": "local", "id": "binnacle-no-such-container", "cursor": null}"#;
    let a = send(&b, post("/api/container_metrics", body)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(b.state.metrics.stats().collectors_started, 0);
}

/// A body of `n` bytes sent in chunks, without a Content-Length.
fn chunked(n: usize) -> Body {
    let chunks = (0..n.div_ceil(4096)).map(move |i| Ok::<_, std::io::Error>(vec![b' '; 4096.min(n - i * 4096)]));
    Body::from_stream(futures::stream::iter(chunks))
}

#[tokio::test]
async fn every_error_status_has_the_same_json_shape() {
    let missing = format!("unix:///tmp/binnacle-missing-{}.sock", std::process::id());
    let open = support::start_open(&support::docker_host(), false);
    let read_only = support::start_open(&support::docker_host(), true);
    let down = support::start_open(&missing, false);
    let password = support::start(&["--auth", "password", "--password", "pw", "--listen", "0.0.0.0:3000"]);

    let mut seen = Vec::new();
    let mut check = |a: Answer, expected: StatusCode, what: &str| {
        assert_eq!(a.status, expected, "{what}: {}", String::from_utf8_lossy(&a.body));
        seen.push((expected.as_u16(), assert_error_shape(&a, what).kind));
    };

    check(
        send(&open, post("/api/container_metrics", "{\"host\": 1}")).await,
        StatusCode::BAD_REQUEST,
        "malformed body",
    );
    check(send(&password, post("/api/list_containers", "{}")).await, StatusCode::UNAUTHORIZED, "no session");
    let cross = Request::post("/api/list_containers")
        .header(header::CONTENT_TYPE, "application/json")
        .header("sec-fetch-site", "cross-site")
        .body(Body::from("{}"))
        .unwrap();
    check(send(&open, cross).await, StatusCode::FORBIDDEN, "cross-site");
    let act = r#"{"host": "local", "id": "abc", "action": "stop"}"#;
    check(send(&read_only, post("/api/container_action", act)).await, StatusCode::FORBIDDEN, "read-only");
    let remove = r#"{"host": "local", "id": "abc", "force": true}"#;
    check(send(&read_only, post("/api/container_remove", remove)).await, StatusCode::FORBIDDEN, "read-only remove");
    let remove_unknown = r#"{"host": "local", "id": "binnacle-no-such-container", "force": true}"#;
    check(send(&open, post("/api/container_remove", remove_unknown)).await, StatusCode::NOT_FOUND, "remove unknown");
    let unknown = r#"{"host": "local", "id": "binnacle-no-such-container"}"#;
    check(send(&open, post("/api/container_details", unknown)).await, StatusCode::NOT_FOUND, "unknown container");
    let elsewhere = r#"{"host": "elsewhere", "id": "abc"}"#;
    check(send(&open, post("/api/container_details", elsewhere)).await, StatusCode::NOT_FOUND, "unknown host");
    check(send(&open, post("/api/no_such_endpoint", "{}")).await, StatusCode::NOT_FOUND, "unknown endpoint");
    let get = Request::get("/api/list_containers").body(Body::empty()).unwrap();
    check(send(&open, get).await, StatusCode::METHOD_NOT_ALLOWED, "GET on a POST endpoint");
    let big = format!("{{\"host\": \"{}\"}}", "a".repeat(70_000));
    check(send(&open, post("/api/list_containers", big)).await, StatusCode::PAYLOAD_TOO_LARGE, "over the limit");
    let req = Request::post("/api/list_containers")
        .header(header::CONTENT_TYPE, "application/json")
        .body(chunked(200_000))
        .unwrap();
    check(send(&open, req).await, StatusCode::PAYLOAD_TOO_LARGE, "over the limit, chunked");
    let text = Request::post("/api/list_containers")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    check(send(&open, text).await, StatusCode::UNSUPPORTED_MEDIA_TYPE, "text/plain");
    let rebinding = Request::post("/api/list_containers")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "evil.example")
        .body(Body::from("{}"))
        .unwrap();
    check(send(&open, rebinding).await, StatusCode::MISDIRECTED_REQUEST, "another Host in none mode");
    let details = r#"{"host": "local", "id": "abc"}"#;
    check(send(&down, post("/api/container_details", details)).await, StatusCode::SERVICE_UNAVAILABLE, "engine down");
    for _ in 0..server::auth::MAX_FAILURES {
        let _ = send(&password, json_login("wrong")).await;
    }
    let limited = send(&password, json_login("wrong")).await;
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    check(limited, StatusCode::TOO_MANY_REQUESTS, "login rate limit");

    let statuses: std::collections::BTreeSet<u16> = seen.iter().map(|(s, _)| *s).collect();
    for required in [400, 401, 403, 404, 405, 413, 415, 421, 429, 503] {
        assert!(statuses.contains(&required), "status {required} not covered");
    }
}

fn json_login(password: &str) -> Request<Body> {
    Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(format!("password={password}")))
        .unwrap()
}
