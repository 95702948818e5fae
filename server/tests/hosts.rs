//! Several real hosts on one machine (`end2end/hosts/setup.sh`): the system's
//! Docker as `local`, Docker 26 on its unix socket, the same engine over
//! tcp+TLS (and with a wrong CA, an expired client certificate, none) and
//! over ssh. Runs when `make hosts-test` set the environment up.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use server::Binnacle;
use tower::ServiceExt;
use wire::{ContainerId, ContainerList, HostName};

struct Env {
    dir: String,
    socket: String,
    tls_port: String,
    ssh_port: String,
    second_script: String,
}

fn env() -> Option<Env> {
    let var = |k: &str| std::env::var(k).ok();
    Some(Env {
        dir: var("BINNACLE_TEST_HOSTS_DIR")?,
        socket: var("BINNACLE_TEST_SECOND_SOCKET")?,
        tls_port: var("BINNACLE_TEST_TLS_PORT")?,
        ssh_port: var("BINNACLE_TEST_SSH_PORT")?,
        second_script: var("BINNACLE_TEST_SECOND_SCRIPT")?,
    })
}

fn image() -> String {
    std::env::var("BINNACLE_TEST_IMAGE").unwrap_or_else(|_| "binnacle-busybox:latest".into())
}

fn hosts_file(e: &Env) -> String {
    let tls = |name: &str, dir: &str| {
        format!(
            "[[host]]\nname = \"{name}\"\nurl = \"tcp://127.0.0.1:{}\"\ncert_dir = \"{}/pki/{dir}\"\n\n",
            e.tls_port, e.dir
        )
    };
    let mut text = format!("[[host]]\nname = \"second\"\nurl = \"unix://{}\"\n\n", e.socket);
    text += &tls("tls", "good");
    text += &tls("wrong-ca", "wrong-ca");
    text += &tls("expired", "expired");
    text += &tls("no-cert", "no-cert");
    text += &format!(
        "[[host]]\nname = \"ssh\"\nurl = \"ssh://root@127.0.0.1:{}\"\nidentity = \"{}/ssh/id\"\nknown_hosts = \"{}/ssh/known_hosts\"\n",
        e.ssh_port, e.dir, e.dir
    );
    let path = std::env::temp_dir().join(format!("binnacle-hosts-{}.toml", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn start(e: &Env) -> Binnacle {
    let file = hosts_file(e);
    support::start(&["--auth", "none", "--docker-host", &support::docker_host(), "--hosts-file", &file])
}

async fn list(app: &axum::Router) -> (ContainerList, Duration) {
    let t = Instant::now();
    let req = Request::post("/api/list_containers")
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let res = app.clone().oneshot(req).await.unwrap();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (serde_json::from_slice(&body).unwrap(), t.elapsed())
}

fn status<'a>(l: &'a ContainerList, host: &str) -> &'a wire::HostStatus {
    l.hosts.iter().find(|h| h.name.as_str() == host).unwrap_or_else(|| panic!("no host {host}"))
}

fn docker_on(socket: &str, args: &[&str]) -> String {
    let out = Command::new("docker").args(args).env("DOCKER_HOST", format!("unix://{socket}")).output().unwrap();
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Polls the list until `done` holds or `limit` passes; every answer must come within a second.
async fn until(
    app: &axum::Router,
    limit: Duration,
    done: impl Fn(&ContainerList) -> bool,
) -> (ContainerList, Duration) {
    let start = Instant::now();
    loop {
        let (l, took) = list(app).await;
        assert!(took < Duration::from_secs(1), "the list took {took:?}");
        if done(&l) || start.elapsed() > limit {
            return (l, start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_host_answers_or_says_why_and_no_host_stalls_another() {
    let Some(e) = env() else {
        eprintln!("skipped: run by `make hosts-test`, which sets the hosts up");
        return;
    };
    let second_id = docker_on(
        &e.socket,
        &[
            "run",
            "-d",
            "--restart",
            "always",
            "--label",
            "binnacle.test=hosts",
            &image(),
            "sh",
            "-c",
            "echo hello from the second engine; trap 'exit 0' TERM; while true; do sleep 1; done",
        ],
    );
    let local_id = {
        let out = Command::new("docker")
            .args([
                "run",
                "-d",
                "--label",
                "binnacle.test=hosts",
                &image(),
                "sh",
                "-c",
                "trap 'exit 0' TERM; while true; do sleep 1; done",
            ])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let b = start(&e);
    let app = b.router();

    // 1. Each kind of host: reachable, or why not, in words.
    let (l, took) = until(&app, Duration::from_secs(10), |l| {
        ["wrong-ca", "expired", "no-cert"].iter().all(|h| status(l, h).error.is_some())
            && ["local", "second", "tls", "ssh"].iter().all(|h| status(l, h).reachable && status(l, h).engine.is_some())
    })
    .await;
    eprintln!("all hosts known after {took:?}");
    for (host, transport) in [("local", "unix"), ("second", "unix"), ("tls", "tcp+tls"), ("ssh", "ssh")] {
        let s = status(&l, host);
        assert!(s.reachable, "{host}: {s:?}");
        assert_eq!(s.transport, transport);
        assert_eq!(s.engine.as_deref(), Some("Docker"));
        // Unix-socket hosts on this machine read cgroup files; the others ask the Engine API.
        let source = s.stats_source.as_deref().unwrap_or_default();
        assert_eq!(source.starts_with("cgroup v"), transport == "unix", "{host}: {source}");
    }
    assert_eq!(status(&l, "second").version.as_deref().map(|v| v.starts_with("26.")), Some(true));
    assert_eq!(status(&l, "wrong-ca").error.as_deref(), Some("TLS: unknown certificate authority"));
    assert!(
        status(&l, "expired").error.as_deref().unwrap().contains("refused our client certificate"),
        "{:?}",
        status(&l, "expired")
    );
    assert_eq!(status(&l, "no-cert").error.as_deref(), Some("TLS: the engine wants a client certificate"));
    for host in ["second", "tls", "ssh"] {
        assert!(
            l.containers.iter().any(|c| c.host.as_str() == host && c.id.as_str() == second_id),
            "{host} lists the container"
        );
    }

    // The container on the second host, through each way of reaching it, and one here.
    let metrics = b.state.metrics.clone();
    let local = HostName::parse("local").unwrap();
    let local_c = ContainerId::parse(&local_id).unwrap();
    let second_c = ContainerId::parse(&second_id).unwrap();
    for host in ["second", "tls", "ssh"] {
        let page = metrics.metrics(&HostName::parse(host).unwrap(), &second_c, None).await.unwrap();
        assert_eq!(page.id, second_c);
    }
    metrics.metrics(&local, &local_c, None).await.unwrap();
    // Its log, through each way of reaching it (a TTY-less stream over ssh and TLS too).
    for host in ["second", "tls", "ssh"] {
        let details = b.state.hosts.details(&HostName::parse(host).unwrap(), &second_c).await.unwrap();
        let mut rx = engine::logs::follow(b.state.hosts.clone(), &details, engine::logs::Begin::Tail(10));
        let first = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.expect("a log line in time");
        match first {
            Some(engine::logs::LogEvent::Lines { lines, .. }) => {
                assert_eq!(lines[0].text, "hello from the second engine", "{host}");
                assert_eq!(lines[0].stream, wire::LogStream::Stdout, "{host}");
            }
            other => panic!("{host}: {other:?}"),
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let started = metrics.stats().collectors_started;

    // 2. The second engine hangs: the list never waits, its hosts go
    // unreachable within 5 s, and the local collector never misses a beat.
    let pid = std::fs::read_to_string("/run/docker26/dockerd.pid").unwrap().trim().to_string();
    let before = metrics.metrics(&local, &local_c, None).await.unwrap();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    let (l, took) =
        until(&app, Duration::from_secs(8), |l| ["second", "tls", "ssh"].iter().all(|h| !status(l, h).reachable)).await;
    let hung_for = Instant::now();
    assert!(["second", "tls", "ssh"].iter().all(|h| !status(&l, h).reachable), "unreachable within 8 s: {:?}", l.hosts);
    assert!(took <= Duration::from_secs(5), "second unreachable only after {took:?}");
    assert!(l.containers.iter().any(|c| c.host.as_str() == "second"), "its last known containers stay");
    while hung_for.elapsed() < Duration::from_secs(3) {
        let _ = until(&app, Duration::ZERO, |_| true).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let during = metrics.metrics(&local, &local_c, Some(before.next_cursor)).await.unwrap();
    let times = during.points.times_ms();
    let widest = times.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
    assert!(
        times.len() >= 4 && widest < 2_500,
        "local points while second hung: {} points, widest gap {widest} ms",
        times.len()
    );
    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    let (l, took) =
        until(&app, Duration::from_secs(8), |l| ["second", "tls", "ssh"].iter().all(|h| status(l, h).reachable)).await;
    assert!(took <= Duration::from_secs(5), "reachable again only after {took:?}: {:?}", l.hosts);

    // 3. The second engine stops and starts again: back within 5 s of
    // answering, and its container's collector resumes, not duplicated.
    let stop = Command::new(&e.second_script).arg("stop").output().unwrap();
    assert!(stop.status.success(), "{}", String::from_utf8_lossy(&stop.stderr));
    let _ = until(&app, Duration::from_secs(8), |l| !status(l, "second").reachable).await;
    let setup = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end/hosts/setup.sh");
    let up = Command::new(&setup).arg("start").output().unwrap();
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));
    let answered = Instant::now();
    let (l, took) =
        until(&app, Duration::from_secs(8), |l| ["second", "tls", "ssh"].iter().all(|h| status(l, h).reachable)).await;
    assert!(took <= Duration::from_secs(5), "picked up {:?} after it answered: {:?}", answered.elapsed(), l.hosts);
    let second = HostName::parse("second").unwrap();
    let back_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let mut resumed = false;
    while answered.elapsed() < Duration::from_secs(15) {
        let page = metrics.metrics(&second, &second_c, None).await.unwrap();
        if page.points.times_ms().iter().any(|t| *t > back_ms) {
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(resumed, "the second host's collector resumed");
    assert_eq!(metrics.stats().collectors_started, started, "no collector was started again");

    let _ = Command::new("docker").args(["rm", "-f", &local_id]).output();
    let _ = docker_on(&e.socket, &["rm", "-f", &second_id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_podman_host_shows_true_numbers_and_its_lifecycle() {
    let (Some(_), Ok(socket)) = (env(), std::env::var("BINNACLE_TEST_PODMAN_SOCKET")) else {
        eprintln!("skipped: run by `make hosts-test`, which sets the hosts up");
        return;
    };
    let podman = |args: &[&str]| {
        let out = Command::new("podman").args(args).output().unwrap();
        assert!(out.status.success(), "podman {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    // Podman's default limits exceed this machine's.
    let id = podman(&[
        "run",
        "-d",
        "--label",
        "binnacle.test=hosts",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=1024:1024",
        &format!("localhost/{}", image()),
        "sh",
        "-c",
        "trap 'exit 0' TERM; while true; do :; done",
    ]);
    // Podman's own answers (as from a remote Podman): on this machine its
    // containers' cgroup files would be read instead (memory without the cache).
    let b = support::start(&[
        "--auth",
        "none",
        "--docker-host",
        &support::docker_host(),
        "--hosts",
        &format!("podman=unix://{socket}"),
        "--stats-source",
        "api",
    ]);
    let app = b.router();
    let (l, _) = until(&app, Duration::from_secs(10), |l| status(l, "podman").engine.is_some()).await;
    let s = status(&l, "podman");
    assert_eq!(s.engine.as_deref(), Some("Podman"), "{s:?}");
    assert!(l.containers.iter().any(|c| c.host.as_str() == "podman" && c.id.as_str() == id));

    // A busy loop is one core, as `podman stats` says, not two.
    let host = HostName::parse("podman").unwrap();
    let cid = ContainerId::parse(&id).unwrap();
    let metrics = b.state.metrics.clone();
    let start = Instant::now();
    let mut page = metrics.metrics(&host, &cid, None).await.unwrap();
    while page.points.cpu_pct.iter().flatten().count() < 3 && start.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        page = metrics.metrics(&host, &cid, None).await.unwrap();
    }
    let cpus: Vec<f32> = page.points.cpu_pct.iter().flatten().copied().collect();
    let last = *cpus.last().expect("CPU points from podman");
    assert!((85.0..=115.0).contains(&last), "podman cpu {cpus:?}");
    assert!(page.memory_includes_cache, "podman's memory includes the cache, and the page says so");

    // Removed (Podman says `remove`, never `stop`).
    podman(&["rm", "-f", &id]);
    let start = Instant::now();
    while page.state != wire::RunState::Removed && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        page = metrics.metrics(&host, &cid, None).await.unwrap();
    }
    assert_eq!(page.state, wire::RunState::Removed);
    assert!(page.markers.iter().any(|m| m.kind == wire::MarkerKind::Stop), "a stop marker from podman's die");
}
