//! `GET /metrics` against the real engine, checked by Prometheus's own
//! tools: `promtool check metrics` on a real scrape, and a real
//! `prometheus` scraping Binnacle every second, asked in PromQL. Runs when
//! Debian's `prometheus` package is installed (`make test` installs it).

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

const TOKEN: &str = "prometheus-test-token-0123456789";

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("docker CLI");
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

struct TestContainer(String);

impl TestContainer {
    fn run(tag: &str, script: &str) -> TestContainer {
        TestContainer::run_with(tag, &[], script)
    }

    fn run_with(tag: &str, extra: &[&str], script: &str) -> TestContainer {
        let image = std::env::var("BINNACLE_TEST_IMAGE").unwrap_or_else(|_| "binnacle-busybox:latest".into());
        let name = format!("binnacle-prom-{tag}-{}", std::process::id());
        let label = "com.docker.compose.service=web\"\\\nx";
        let mut args = vec!["run", "-d"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "--label",
            "binnacle.test=prometheus",
            "--label",
            label,
            "--stop-timeout",
            "1",
            "--name",
            &name,
            &image,
            "sh",
            "-c",
            script,
        ]);
        TestContainer(docker(&args))
    }
}

impl Drop for TestContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

fn installed(tool: &str) -> bool {
    Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

async fn get(app: &axum::Router, path: &str, token: Option<&str>) -> (StatusCode, String, String) {
    get_as(app, path, token, "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5").await
}

async fn get_as(app: &axum::Router, path: &str, token: Option<&str>, accept: &str) -> (StatusCode, String, String) {
    let mut req = Request::get(path).header(header::ACCEPT, accept);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = app.clone().oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let kind = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let body = String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (status, kind, body)
}

fn start(extra: &[&str]) -> server::Binnacle {
    let host = support::docker_host();
    let mut args = vec!["--auth", "none", "--docker-host", &host, "--fleet-interval", "2s"];
    args.extend_from_slice(extra);
    support::start(&args)
}

#[tokio::test]
async fn off_by_default_and_a_token_is_needed() {
    let off = start(&[]);
    let (status, _, _) = get(&off.router(), "/metrics", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no endpoint unless BINNACLE_PROMETHEUS=on");

    let on = start(&["--prometheus", "on", "--prometheus-token", TOKEN]);
    let app = on.router();
    assert_eq!(get(&app, "/metrics", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app, "/metrics", Some("wrong-token-wrong-token")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app, "/metrics", Some(&TOKEN[..TOKEN.len() - 1])).await.0, StatusCode::UNAUTHORIZED);
    // A session cookie is no way in.
    let req = Request::get("/metrics").header(header::COOKIE, "binnacle_session=anything").body(Body::empty()).unwrap();
    assert_eq!(app.clone().oneshot(req).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // The scheme is case-insensitive.
    let req =
        Request::get("/metrics").header(header::AUTHORIZATION, format!("bearer {TOKEN}")).body(Body::empty()).unwrap();
    assert_eq!(app.clone().oneshot(req).await.unwrap().status(), StatusCode::OK);
    let (status, kind, body) = get(&app, "/metrics", Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    assert!(body.ends_with("# EOF\n"));
    // Without OpenMetrics in Accept (curl, promtool): the classic format.
    let (status, kind, body) = get_as(&app, "/metrics", Some(TOKEN), "*/*").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    assert!(body.contains("# TYPE binnacle_http_requests_total counter"), "{body}");
    // The host shows as up once its monitor has checked it.
    let since = Instant::now();
    let mut body = String::new();
    while since.elapsed() < Duration::from_secs(10) && !body.contains("binnacle_host_up{host=\"local\"} 1") {
        tokio::time::sleep(Duration::from_millis(200)).await;
        body = get(&app, "/metrics", Some(TOKEN)).await.2;
    }
    assert!(body.contains("binnacle_host_up{host=\"local\"} 1"), "{body}");
}

#[test]
fn without_a_token_it_refuses_to_start_unless_none_on_loopback() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _guard = rt.enter();
    let settings = |args: &[&str]| {
        server::settings::Settings::from_args(std::iter::once("binnacle").chain(args.iter().copied())).unwrap()
    };
    let m = support::start(&["--auth", "none"]).state.metrics.clone();
    let password = settings(&["--prometheus", "on", "--password", "x"]);
    let err = server::prometheus::Prometheus::from_settings(&password, m.clone()).err().unwrap();
    assert!(err.contains("BINNACLE_PROMETHEUS_TOKEN"), "{err}");
    let open = settings(&["--prometheus", "on", "--auth", "none"]);
    assert!(server::prometheus::Prometheus::from_settings(&open, m.clone()).unwrap().is_some());
    let exposed = settings(&["--prometheus", "on", "--auth", "none", "--prometheus-listen", "0.0.0.0:9323"]);
    let err = server::prometheus::Prometheus::from_settings(&exposed, m.clone()).err().unwrap();
    assert!(err.contains("BINNACLE_PROMETHEUS_TOKEN"), "open off loopback: {err}");
    let clash = settings(&["--prometheus", "on", "--auth", "none", "--prometheus-labels", "a.b,a-b"]);
    assert!(server::prometheus::Prometheus::from_settings(&clash, m.clone()).is_err());
    let short = settings(&["--prometheus", "on", "--prometheus-token", "short"]);
    assert!(server::prometheus::Prometheus::from_settings(&short, m.clone()).is_err());
    let missing = settings(&["--prometheus", "on", "--prometheus-token-file", "/nonexistent/token"]);
    let err = server::prometheus::Prometheus::from_settings(&missing, m.clone()).err().unwrap();
    assert!(err.contains("BINNACLE_PROMETHEUS_TOKEN_FILE"), "{err}");
    let file = std::env::temp_dir().join(format!("binnacle-token-{}", std::process::id()));
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let from_file =
        settings(&["--prometheus", "on", "--prometheus-token-file", file.to_str().unwrap(), "--password", "x"]);
    assert!(server::prometheus::Prometheus::from_settings(&from_file, m).unwrap().is_some());
}

/// A plain HTTP GET to Prometheus's API on loopback.
async fn http_get(port: u16, path_and_query: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    s.write_all(format!("GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default()
}

async fn promql(port: u16, query: &str) -> Option<f64> {
    let q: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let body = http_get(port, &format!("/api/v1/query?query={q}")).await;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn parse_size(s: &str) -> f64 {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let n: f64 = num.trim().parse().unwrap();
    n * match unit {
        "B" => 1.0,
        "KiB" | "kB" => 1024.0,
        "MiB" | "MB" => 1024.0 * 1024.0,
        "GiB" | "GB" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("unit {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_it_and_promql_agrees_with_docker_stats() {
    if !installed("prometheus") || !installed("promtool") {
        // `make test` installs the package and asks for this test.
        assert!(std::env::var_os("BINNACLE_TEST_PROMETHEUS").is_none(), "prometheus and promtool are not installed");
        eprintln!("skipped: Debian's prometheus package is not installed (make test installs it)");
        return;
    }
    let busy = TestContainer::run("busy", "trap 'exit 0' TERM; while true; do :; done");
    let heavy = TestContainer::run(
        "heavy",
        "trap 'exit 0' TERM; x=$(head -c 40000000 /dev/zero | tr '\\0' x); while true; do sleep 1; done",
    );
    // A child of this one is killed for memory while the container runs on.
    let oom = TestContainer::run_with(
        "oom",
        &["--memory", "16m", "--memory-swap", "16m"],
        "trap 'exit 0' TERM; sleep 3; (x=$(head -c 64000000 /dev/zero | tr '\\0' x)); while true; do sleep 1; done",
    );
    let b = start(&[
        "--prometheus",
        "on",
        "--prometheus-token",
        TOKEN,
        "--prometheus-labels",
        "com.docker.compose.service",
    ]);
    let app = b.router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(b.serve(listener, std::future::pending()));

    // promtool on a real scrape, once the fleet has sampled both.
    let start_at = Instant::now();
    let mut body = String::new();
    while start_at.elapsed() < Duration::from_secs(20) {
        body = get(&app, "/metrics", Some(TOKEN)).await.2;
        if body.contains(&busy.0) && body.contains(&heavy.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(body.contains(&format!("id=\"{}\"", busy.0)), "{body}");
    // The hostile label value is escaped.
    assert!(body.contains(r#"container_label_com_docker_compose_service="web\"\\\nx""#), "{body}");
    // promtool reads (and lints) the classic format: what a scrape without
    // OpenMetrics in Accept gets.
    let body = get_as(&app, "/metrics", Some(TOKEN), "*/*").await.2;
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        check.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    }
    let out = check.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "promtool check metrics: {said}");

    // A real Prometheus, scraping every second for 30 s.
    let dir = std::env::temp_dir().join(format!("binnacle-prometheus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: binnacle\n    \
         authorization:\n      type: Bearer\n      credentials: {TOKEN}\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
    );
    std::fs::write(dir.join("prometheus.yml"), config).unwrap();
    let prom_port = free_port();
    let prom = Command::new("prometheus")
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _prom = Kill(prom);
    tokio::time::sleep(Duration::from_secs(30)).await;

    let up = promql(prom_port, "up{job=\"binnacle\"}").await;
    assert_eq!(up, Some(1.0), "Prometheus scraped Binnacle");
    let cpu = promql(prom_port, &format!("rate(container_cpu_usage_seconds_total{{id=\"{}\"}}[15s]) * 100", busy.0))
        .await
        .expect("a CPU rate for the busy container");
    let ws = promql(prom_port, &format!("container_memory_working_set_bytes{{id=\"{}\"}}", heavy.0))
        .await
        .expect("a working set for the heavy container");
    let theirs_cpu: f64 =
        docker(&["stats", "--no-stream", "--format", "{{.CPUPerc}}", &busy.0]).trim_end_matches('%').parse().unwrap();
    let theirs_mem =
        parse_size(docker(&["stats", "--no-stream", "--format", "{{.MemUsage}}", &heavy.0]).split('/').next().unwrap());
    eprintln!("PromQL: CPU {cpu:.1} % vs docker stats {theirs_cpu:.1} %; working set {ws} vs {theirs_mem}");
    assert!((cpu - theirs_cpu).abs() <= theirs_cpu * 0.10, "CPU {cpu} vs docker stats {theirs_cpu}");
    assert!((ws - theirs_mem).abs() <= theirs_mem * 0.05, "working set {ws} vs docker stats {theirs_mem}");
    // The OOM kill, from the engine's events, with the limit it hit.
    let ooms = promql(prom_port, &format!("container_oom_events_total{{id=\"{}\"}}", oom.0)).await;
    assert!(ooms.is_some_and(|n| n >= 1.0), "OOM kills: {ooms:?}");
    let limit = promql(prom_port, &format!("container_spec_memory_limit_bytes{{id=\"{}\"}}", oom.0)).await;
    assert_eq!(limit, Some(16.0 * 1024.0 * 1024.0));
    assert_eq!(promql(prom_port, &format!("container_spec_memory_limit_bytes{{id=\"{}\"}}", busy.0)).await, None);

    // A restart: the counter starts over, the start time says why, and
    // Prometheus's increase() over the restart is never negative.
    let started_before = promql(prom_port, &format!("container_start_time_seconds{{id=\"{}\"}}", busy.0)).await;
    docker(&["restart", "-t", "1", &busy.0]);
    tokio::time::sleep(Duration::from_secs(8)).await;
    let started_after = promql(prom_port, &format!("container_start_time_seconds{{id=\"{}\"}}", busy.0)).await;
    assert!(started_after > started_before, "start time {started_before:?} -> {started_after:?}");
    let increase = promql(prom_port, &format!("increase(container_cpu_usage_seconds_total{{id=\"{}\"}}[30s])", busy.0))
        .await
        .expect("an increase over the restart");
    assert!((0.0..=40.0).contains(&increase), "increase over the restart: {increase}");
    let resets =
        promql(prom_port, &format!("resets(container_cpu_usage_seconds_total{{id=\"{}\"}}[30s])", busy.0)).await;
    assert_eq!(resets, Some(1.0), "one counter reset, seen as such");
    let _ = std::fs::remove_dir_all(&dir);
}
