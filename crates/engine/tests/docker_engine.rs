//! The Docker adapter against the real engine. Needs a running engine and the
//! test image (`make test-image`); containers made here carry the label
//! `binnacle.test=engine` and are removed by the test that made them.

use std::process::Command;

use engine::{BollardEngine, ContainerEngine, EngineError};
use wire::{ContainerAction, ContainerId, ContainerState, HostName};

const LABEL: &str = "binnacle.test=engine";

fn image() -> String {
    std::env::var("BINNACLE_TEST_IMAGE").unwrap_or_else(|_| "binnacle-busybox:latest".into())
}

fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

fn engine() -> BollardEngine {
    BollardEngine::connect(HostName::parse("local").unwrap(), &docker_host()).expect("connect")
}

/// A labelled busybox container, removed (forcefully) when dropped.
struct TestContainer {
    id: String,
    name: String,
}

impl TestContainer {
    fn start(tag: &str) -> TestContainer {
        let name = format!("binnacle-engine-{tag}-{}", std::process::id());
        let out = Command::new("docker")
            .args(["run", "-d", "--label", LABEL, "--name", &name, "--stop-timeout", "2", &image()])
            .args(["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"])
            .output()
            .expect("docker CLI");
        assert!(out.status.success(), "docker run failed: {}", String::from_utf8_lossy(&out.stderr));
        let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
        TestContainer { id, name }
    }

    fn id(&self) -> ContainerId {
        ContainerId::parse(&self.id).unwrap()
    }
}

impl Drop for TestContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.id]).output();
    }
}

fn docker_state(id: &str) -> String {
    let out = Command::new("docker").args(["inspect", "-f", "{{.State.Status}}", id]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn the_engine_reports_its_version() {
    let v = engine().version().await.expect("engine answers");
    assert!(!v.version.is_empty() && v.api_version.starts_with("1."), "{v:?}");
}

#[tokio::test]
async fn a_started_container_is_listed_with_its_name_image_and_state() {
    let c = TestContainer::start("list");
    let list = engine().list_containers().await.unwrap();
    let row = list.iter().find(|r| r.id.as_str() == c.id).expect("listed");
    assert_eq!(row.name, c.name);
    assert_eq!(row.image, image());
    assert_eq!(row.state, ContainerState::Running);
    assert!(row.status.starts_with("Up"), "{}", row.status);
    assert!(row.created > 1_600_000_000);
}

#[tokio::test]
async fn inspect_summarises_the_config_without_environment_values() {
    let c = TestContainer::start("inspect");
    let d = engine().inspect_container(&c.id()).await.unwrap();
    assert_eq!(d.name, c.name);
    assert_eq!(d.state, ContainerState::Running);
    assert!(d.labels.contains(&("binnacle.test".to_string(), "engine".to_string())));
    assert_eq!(d.command.first().map(String::as_str), Some("sh"));
    assert_eq!(d.restart_policy, "no");
    assert!(d.env_names.iter().all(|n| !n.contains('=')));
}

#[tokio::test]
async fn inspect_reads_networks_health_limits_user_and_image_as_docker_reports_them() {
    let docker = |args: &[&str]| {
        let out = Command::new("docker").args(args).output().expect("docker CLI");
        assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    /// Removed when dropped, after the container (declared later, dropped first).
    struct Network(String);
    impl Drop for Network {
        fn drop(&mut self) {
            let _ = Command::new("docker").args(["network", "rm", &self.0]).output();
        }
    }
    let net = format!("binnacle-engine-net-{}", std::process::id());
    docker(&["network", "create", "--label", LABEL, &net]);
    let _net = Network(net.clone());
    let name = format!("binnacle-engine-config-{}", std::process::id());
    let c = TestContainer {
        id: docker(&[
            "run",
            "-d",
            "--label",
            LABEL,
            "--name",
            &name,
            "--stop-timeout",
            "2",
            "--network",
            &net,
            "--health-cmd",
            "echo healthy-output; exit 0",
            "--health-interval",
            "1s",
            "--cpus",
            "1.5",
            "--memory",
            "64m",
            "--user",
            "1000",
            "--workdir",
            "/tmp",
            &image(),
            "sh",
            "-c",
            "trap 'exit 0' TERM; while true; do sleep 1; done",
        ]),
        name,
    };
    let engine = engine();
    let mut d = engine.inspect_container(&c.id()).await.unwrap();
    for _ in 0..50 {
        if d.health.as_ref().is_some_and(|h| h.status == "healthy") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        d = engine.inspect_container(&c.id()).await.unwrap();
    }
    let ip =
        docker(&["inspect", "-f", &format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}"), &c.id]);

    let attached = d.networks.iter().find(|n| n.name == net).expect("the network");
    assert_eq!(attached.ipv4.as_deref().and_then(|a| a.split('/').next()), Some(ip.as_str()));
    assert!(attached.gateway.is_some());
    let health = d.health.expect("a health check");
    assert_eq!(health.status, "healthy");
    assert_eq!(health.checks.first().map(|c| (c.output.as_str(), c.exit_code)), Some(("healthy-output\n", Some(0))));
    assert_eq!(d.limits.cpus(), Some(1.5));
    assert_eq!(d.memory_limit, Some(64 << 20));
    assert_eq!((d.user.as_str(), d.working_dir.as_str(), d.restart_count), ("1000", "/tmp", 0));
    assert!(d.image_id.starts_with("sha256:"), "{}", d.image_id);
}

#[tokio::test]
async fn stop_start_and_restart_change_the_state_docker_reports() {
    let c = TestContainer::start("actions");
    let engine = engine();
    engine.act(&c.id(), ContainerAction::Stop).await.unwrap();
    assert_eq!(docker_state(&c.id), "exited");
    let d = engine.inspect_container(&c.id()).await.unwrap();
    assert_eq!(d.state, ContainerState::Exited);
    assert_eq!(d.exit_code, Some(0));

    engine.act(&c.id(), ContainerAction::Start).await.unwrap();
    assert_eq!(docker_state(&c.id), "running");
    let before = engine.inspect_container(&c.id()).await.unwrap().started_at;

    engine.act(&c.id(), ContainerAction::Restart).await.unwrap();
    let after = engine.inspect_container(&c.id()).await.unwrap();
    assert_eq!(after.state, ContainerState::Running);
    assert_ne!(after.started_at, before, "restart gives a new start time");
}

#[tokio::test]
async fn pause_and_unpause_change_the_state_docker_reports() {
    let c = TestContainer::start("pause");
    let engine = engine();
    engine.act(&c.id(), ContainerAction::Pause).await.unwrap();
    assert_eq!(docker_state(&c.id), "paused");
    assert_eq!(engine.inspect_container(&c.id()).await.unwrap().state, ContainerState::Paused);
    engine.act(&c.id(), ContainerAction::Unpause).await.unwrap();
    assert_eq!(docker_state(&c.id), "running");
}

#[tokio::test]
async fn remove_refuses_a_running_container_unless_forced() {
    let c = TestContainer::start("remove");
    let engine = engine();
    let err = engine.remove(&c.id(), false, false).await.unwrap_err();
    assert!(matches!(err, EngineError::Conflict(_)), "{err:?}");
    assert_eq!(docker_state(&c.id), "running");
    engine.remove(&c.id(), true, true).await.unwrap();
    assert!(matches!(engine.inspect_container(&c.id()).await, Err(EngineError::NotFound)));
    assert!(matches!(engine.remove(&c.id(), true, false).await, Err(EngineError::NotFound)));
}

#[tokio::test]
async fn starting_a_running_container_is_not_an_error() {
    let c = TestContainer::start("idempotent");
    engine().act(&c.id(), ContainerAction::Start).await.unwrap();
}

#[tokio::test]
async fn an_unknown_container_is_not_found() {
    let id = ContainerId::parse("binnacle-no-such-container").unwrap();
    assert_eq!(engine().inspect_container(&id).await.unwrap_err(), EngineError::NotFound);
    assert_eq!(engine().act(&id, ContainerAction::Stop).await.unwrap_err(), EngineError::NotFound);
}

#[tokio::test]
async fn an_engine_that_is_not_there_is_unavailable_not_a_panic() {
    let engine = BollardEngine::connect(HostName::parse("gone").unwrap(), "unix:///tmp/binnacle-no-such.sock").unwrap();
    assert!(matches!(engine.version().await, Err(EngineError::Unavailable(_))));
    assert!(matches!(engine.list_containers().await, Err(EngineError::Unavailable(_))));
}

/// A socket that accepts connections, reads what is sent and never answers:
/// an engine that hangs (or one that is starting).
fn hung_socket() -> (String, tokio::task::JoinHandle<()>, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::AsyncReadExt;
    let path = format!("/tmp/binnacle-hung-{}-{}.sock", std::process::id(), rand_suffix());
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let received = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = received.clone();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut stream, _)) = listener.accept().await {
            let seen = seen.clone();
            held.push(tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    seen.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
                }
            }));
        }
    });
    (path, task, received)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

#[tokio::test(start_paused = true)]
async fn a_stats_request_has_no_time_limit_of_its_own() {
    // BINNACLE_METRICS_REQUEST_TIMEOUT is the only limit of a stats request:
    // the engine must not cut it earlier (it once did, at 10 s).
    let (path, server, received) = hung_socket();
    let engine = BollardEngine::connect(HostName::parse("hung").unwrap(), &format!("unix://{path}")).unwrap();
    let id = ContainerId::parse("abc").unwrap();
    let limit = std::time::Duration::from_secs(60);
    let outcome = tokio::time::timeout(limit, engine.stats_once(&id)).await;
    assert!(received.load(std::sync::atomic::Ordering::SeqCst) > 0, "the request reached the socket");
    assert!(outcome.is_err(), "still waiting after {limit:?}: {outcome:?}");
    server.abort();
    let _ = std::fs::remove_file(&path);
}
