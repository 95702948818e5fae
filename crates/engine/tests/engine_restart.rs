//! Kills and restarts `dockerd` under a watched container. It disrupts every
//! container on the machine, so it runs only when the test run owns the
//! engine: `make test` sets BINNACLE_TEST_RESTART_DOCKERD=1 when it started
//! dockerd itself.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::{BollardEngine, ContainerStatsManager, Hosts, MetricsConfig};
use wire::{ContainerId, HostName};

fn docker_ok() -> bool {
    Command::new("docker").args(["info"]).output().map(|o| o.status.success()).unwrap_or(false)
}

fn sh(script: &str) {
    let status = Command::new("sh").args(["-c", script]).status().expect("sh");
    assert!(status.success(), "{script}");
}

#[tokio::test]
async fn collection_resumes_after_dockerd_restarts_with_exactly_one_collector() {
    if std::env::var("BINNACLE_TEST_RESTART_DOCKERD").as_deref() != Ok("1") {
        eprintln!("skipped: set BINNACLE_TEST_RESTART_DOCKERD=1 when this run owns dockerd");
        return;
    }
    let image = std::env::var("BINNACLE_TEST_IMAGE").unwrap_or_else(|_| "binnacle-busybox:latest".into());
    let out = Command::new("docker")
        .args(["run", "-d", "--restart", "always", "--label", "binnacle.test=restart", &image, "sh", "-c", "while true; do sleep 1; done"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let local = HostName::parse("local").unwrap();
    let engine = BollardEngine::connect(local.clone(), "unix:///var/run/docker.sock").unwrap();
    let hosts = Hosts::builder().host(local.clone(), Arc::new(engine)).build();
    let m = ContainerStatsManager::new(hosts, MetricsConfig::default());
    let (_stop, rx) = tokio::sync::watch::channel(false);
    m.spawn_background(rx);
    let cid = ContainerId::parse(&id).unwrap();

    let mut before = m.metrics(&local, &cid, None).await.unwrap();
    let t0 = Instant::now();
    while before.points.len() < 2 && t0.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        before = m.metrics(&local, &cid, None).await.unwrap();
    }
    assert!(before.points.len() >= 2, "points before the restart");

    sh("pkill -KILL -x dockerd");
    let t_down = Instant::now();
    while docker_ok() && t_down.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    sh("nohup dockerd >>/var/log/binnacle-dockerd.log 2>&1 &");
    let t_up = Instant::now();
    while !docker_ok() && t_up.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(docker_ok(), "dockerd came back");
    let back = Instant::now();

    let mut resumed = false;
    while back.elapsed() < Duration::from_secs(30) {
        let page = m.metrics(&local, &cid, Some(before.next_cursor)).await.unwrap();
        if page.points.len() >= 2 {
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let _ = Command::new("docker").args(["rm", "-f", &id]).output();
    assert!(resumed, "collection resumed within 30 s of the engine's return");
    let stats = m.stats();
    assert_eq!((stats.watched, stats.collectors_started, stats.collectors_running), (1, 1, 1), "{stats:?}");
    eprintln!("collection resumed {:?} after dockerd answered again", back.elapsed());
}
