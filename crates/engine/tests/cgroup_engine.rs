//! The cgroup source against the real engine: its numbers next to the
//! Engine API's for the same containers at the same moments, and its
//! fallback when a container stops or goes. Labelled busybox containers
//! (`binnacle.test=cgroup`); tests take turns so CPU figures do not compete.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use engine::BollardEngine;
use engine::cgroup::{CgroupEngine, CgroupFs};
use engine::metrics::formulas::{Outcome, RawStats, compute, memory_used};
use engine::port::{ContainerEngine, EngineError};
use wire::HostName;

use support::{TestContainer, docker};

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The system's engine through the API, and the same with cgroup files.
fn sources() -> Option<(Arc<dyn ContainerEngine>, Arc<CgroupEngine>)> {
    let docker_host = std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let api: Arc<dyn ContainerEngine> =
        Arc::new(BollardEngine::connect(HostName::parse("local").unwrap(), &docker_host).unwrap());
    let Some(fs) = CgroupFs::detect(Path::new("/sys/fs/cgroup"), Some(Path::new("/proc"))) else {
        eprintln!("no cgroup tree here: skipped");
        return None;
    };
    Some((api.clone(), Arc::new(CgroupEngine::new(api, fs, Duration::from_secs(10)))))
}

fn cpu(a: &RawStats, b: &RawStats) -> f64 {
    match compute(Some(a), b) {
        Outcome::Point { point, baseline: false } => point.cpu_pct as f64,
        other => panic!("no CPU from two samples: {other:?}"),
    }
}

const BURN: &str = "trap 'exit 0' TERM; while true; do :; done";
const IDLE: &str = "trap 'exit 0' TERM; while true; do sleep 1; done";
/// Idle without a `sleep` coming and going each second (its few KiB and
/// one PID would differ between two reads a moment apart).
const STILL: &str = "trap 'exit 0' TERM; sleep 3600 & wait";
/// Grows by about 4 MB every 4 s, to about 60 MB.
const GROW: &str = "trap 'exit 0' TERM; x=''; i=0; while true; do \
    if [ $i -lt 15 ]; then x=\"$x$(head -c 4000000 /dev/zero | tr '\\0' x)\"; i=$((i+1)); fi; sleep 4; done";

#[tokio::test]
async fn cgroup_files_agree_with_the_engine_api() {
    let _turn = TURN.lock().await;
    let Some((api, files)) = sources() else { return };
    let busy = TestContainer::run("cgroup", "busy", BURN);
    let growing = TestContainer::run("cgroup", "grow", GROW);
    let idle = TestContainer::run("cgroup", "idle", STILL);
    tokio::time::sleep(Duration::from_secs(6)).await;
    for (label, c) in [("busy", &busy), ("growing", &growing), ("idle", &idle)] {
        // The same window for both: an API sample (stamped when the daemon
        // read it), then the files at once; again five seconds later.
        let a0 = api.stats_once(&c.id()).await.unwrap();
        let f0 = files.stats_once(&c.id()).await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let a1 = api.stats_once(&c.id()).await.unwrap();
        let f1 = files.stats_once(&c.id()).await.unwrap();
        let (cpu_api, cpu_files) = (cpu(&a0, &a1), cpu(&f0, &f1));
        let (mem_api, mem_files) = (memory_used(&a1).unwrap() as f64, memory_used(&f1).unwrap() as f64);
        let mem_diff = (mem_api - mem_files).abs() / mem_api;
        eprintln!(
            "{label}: CPU {cpu_api:.2} % (API) vs {cpu_files:.2} % (files); memory {mem_api} vs {mem_files} ({:.2} %); \
             net {:?}/{:?} vs {:?}/{:?}",
            mem_diff * 100.0,
            a1.net_rx_bytes,
            a1.net_tx_bytes,
            f1.net_rx_bytes,
            f1.net_tx_bytes
        );
        assert!((cpu_api - cpu_files).abs() <= 2.0, "{label}: CPU {cpu_api} (API) vs {cpu_files} (files)");
        assert!(mem_diff <= 0.02, "{label}: memory {mem_api} (API) vs {mem_files} (files)");
        assert_eq!(a1.online_cpus, f1.online_cpus, "{label}: CPUs");
        assert_eq!(a1.mem_limit, f1.mem_limit, "{label}: memory limit");
        assert_eq!(a1.pids, f1.pids, "{label}: pids");
        // Network: the same interfaces (idle containers send nothing, so the counters match).
        if label == "idle" {
            assert_eq!((a1.net_rx_bytes, a1.net_tx_bytes), (f1.net_rx_bytes, f1.net_tx_bytes), "{label}: network");
        }
        if label == "busy" {
            assert!(cpu_files > 80.0, "a busy loop is about one core: {cpu_files}");
        }
    }
    assert!(files.stats.reads.load(Ordering::Relaxed) >= 6, "the files were read");
    assert_eq!(files.stats.fallbacks.load(Ordering::Relaxed), 0);
    assert!(files.stats_source().unwrap().contains("cgroup"));
}

#[tokio::test]
async fn a_stopped_or_removed_container_falls_back_to_the_api() {
    let _turn = TURN.lock().await;
    let Some((_, files)) = sources() else { return };
    let c = TestContainer::run("cgroup", "stop", IDLE);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let running = files.stats_once(&c.id()).await.unwrap();
    assert!(running.read_ms.is_some() && running.mem_usage.is_some());
    assert_eq!(files.stats.reads.load(Ordering::Relaxed), 1);
    docker(&["stop", &c.0]);
    // Its files are gone: the API's stopped-container frame, never zeros.
    let stopped = files.stats_once(&c.id()).await.unwrap();
    assert_eq!(stopped.read_ms, None, "a stopped container's frame is not data");
    assert_eq!(stopped.cpu_total_ns.filter(|n| *n > 0), None);
    assert_eq!(files.stats.fallbacks.load(Ordering::Relaxed), 1);
    // Started again: found again (new cgroup, new pid).
    docker(&["start", &c.0]);
    let again = files.stats_once(&c.id()).await.unwrap();
    assert!(again.read_ms.is_some());
    assert_eq!(files.stats.reads.load(Ordering::Relaxed), 2, "read from the files again after the start");
    docker(&["rm", "-f", &c.0]);
    assert!(matches!(files.stats_once(&c.id()).await, Err(EngineError::NotFound)));
}
