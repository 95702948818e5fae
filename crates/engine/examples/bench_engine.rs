//! Measures what watching N containers costs: our process CPU per
//! container-sample and RSS, and the Docker daemon's CPU (dockerd +
//! containerd + shims), with samples from cgroup files and from the Engine
//! API, next to the same figures while `docker stats` streams the same
//! containers, and the daemon's CPU with nothing watching (so each row's
//! cost to the daemon is its CPU above that). Run by `make bench-engine`,
//! which starts the labelled containers and passes their ids.
//!
//! usage: bench_engine <seconds> <id>...

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::path::Path;

use engine::cgroup::{CgroupEngine, CgroupFs};
use engine::port::ContainerEngine;
use engine::{BollardEngine, ContainerStatsManager, Hosts, MetricsConfig};
use wire::{ContainerId, HostName};

fn clock_ticks() -> f64 {
    100.0 // USER_HZ on Linux
}

/// utime + stime of a process, seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ut: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let st: f64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    (ut + st) / clock_ticks()
}

fn status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Pids of dockerd, containerd and the containerd shims.
fn daemon_pids() -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let comm = comm.trim();
        if comm == "dockerd" || comm == "containerd" || comm.starts_with("containerd-shim") {
            pids.push(pid);
        }
    }
    pids
}

fn daemon_cpu(pids: &[u32]) -> f64 {
    pids.iter().map(|p| cpu_seconds(*p)).sum()
}

struct Figures {
    label: String,
    samples: u64,
    client_cpu_s: f64,
    daemon_cpu_s: f64,
    rss_kib: u64,
    seconds: f64,
}

async fn ours(ids: &[ContainerId], seconds: u64, cgroup: bool) -> Figures {
    let local = HostName::parse("local").unwrap();
    let api: Arc<dyn ContainerEngine> =
        Arc::new(BollardEngine::connect(local.clone(), "unix:///var/run/docker.sock").unwrap());
    let engine = if cgroup {
        let fs = CgroupFs::detect(Path::new("/sys/fs/cgroup"), Some(Path::new("/proc"))).expect("a cgroup tree");
        Arc::new(CgroupEngine::new(api, fs, Duration::from_secs(10))) as Arc<dyn ContainerEngine>
    } else {
        api
    };
    let hosts = Hosts::builder().host(local.clone(), engine).build();
    let (_stop, rx) = tokio::sync::watch::channel(false);
    hosts.spawn_supervisors(Duration::from_secs(5), rx.clone());
    let m = ContainerStatsManager::new(hosts, MetricsConfig::default());
    m.spawn_background(rx);
    let me = std::process::id();
    let pids = daemon_pids();
    let (c0, d0, t0) = (cpu_seconds(me), daemon_cpu(&pids), Instant::now());
    let mut first = Vec::new();
    for id in ids {
        first.push(m.metrics(&local, id, None).await.unwrap().next_cursor);
    }
    // One viewer per container, reading every second like the Stats tab.
    let mut last = first.clone();
    while t0.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for (i, id) in ids.iter().enumerate() {
            last[i] = m.metrics(&local, id, Some(last[i])).await.unwrap().next_cursor;
        }
    }
    let samples = m.stats().collectors_started; // one collector each
    assert_eq!(samples as usize, ids.len());
    let points: u64 = last.iter().zip(&first).map(|(l, f)| l.seq - f.seq).sum();
    // Each point is one sample; each container also took one baseline sample.
    let samples = points + ids.len() as u64;
    Figures {
        label: if cgroup { "Binnacle, cgroup files (1 s)" } else { "Binnacle, Engine API one-shot (1 s)" }.into(),
        samples,
        client_cpu_s: cpu_seconds(me) - c0,
        daemon_cpu_s: daemon_cpu(&pids) - d0,
        rss_kib: status_kib(me, "VmHWM:"),
        seconds: t0.elapsed().as_secs_f64(),
    }
}

fn docker_stats(ids: &[ContainerId], seconds: u64) -> Figures {
    let pids = daemon_pids();
    let mut child = Command::new("docker")
        .arg("stats")
        .args(["--format", "{{.ID}} {{.CPUPerc}} {{.MemUsage}}"])
        .args(ids.iter().map(|i| i.as_str()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("docker stats");
    let d0 = daemon_cpu(&pids);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let client_cpu_s = cpu_seconds(child.id());
    let rss_kib = status_kib(child.id(), "VmHWM:");
    let daemon_cpu_s = daemon_cpu(&pids) - d0;
    let _ = child.kill();
    let _ = child.wait();
    Figures {
        label: "`docker stats` (stream)".into(),
        samples: ids.len() as u64 * seconds, // the daemon streams 1 frame/s per container
        client_cpu_s,
        daemon_cpu_s,
        rss_kib,
        seconds: t0.elapsed().as_secs_f64(),
    }
}

fn row(f: &Figures, n: usize) -> String {
    format!(
        "| {n} | {} | {} | {:.3} | {:.1} | {:.2} | {:.1} | {:.1} |",
        f.label,
        f.samples,
        f.client_cpu_s,
        f.client_cpu_s * 1e6 / f.samples.max(1) as f64,
        f.daemon_cpu_s,
        f.daemon_cpu_s * 1e3 / f.samples.max(1) as f64,
        f.rss_kib as f64 / 1024.0,
    ) + &format!(" {:.0} s |", f.seconds)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).expect("usage: bench_engine <seconds> <id>...");
    let ids: Vec<ContainerId> = args.map(|a| ContainerId::parse(&a).unwrap()).collect();
    let n = ids.len();
    // The daemon with nothing watching, for what each row adds to it.
    let pids = daemon_pids();
    let d0 = daemon_cpu(&pids);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let idle = (daemon_cpu(&pids) - d0) / seconds as f64;
    let c = ours(&ids, seconds, true).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let a = ours(&ids, seconds, false).await;
    // Let our collectors wind down before measuring the CLI.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ids2 = ids.clone();
    let b = tokio::task::spawn_blocking(move || docker_stats(&ids2, seconds)).await.unwrap();
    println!("{}", row(&c, n));
    println!("{}", row(&a, n));
    println!("{}", row(&b, n));
    let caused = |f: &Figures| (f.daemon_cpu_s - idle * f.seconds).max(0.0);
    let per_sample = |f: &Figures| f.client_cpu_s / f.samples.max(1) as f64;
    eprintln!(
        "{n} containers: daemon idle {:.2} % of a core; caused by cgroup files {:.2} s, by the Engine API {:.2} s, by docker stats {:.2} s \
         (cgroup files: {:.1} % of docker stats); our CPU per sample, cgroup files: {:.2}x the docker CLI's, Engine API: {:.2}x",
        idle * 100.0,
        caused(&c),
        caused(&a),
        caused(&b),
        caused(&c) / caused(&b).max(1e-9) * 100.0,
        per_sample(&c) / per_sample(&b),
        per_sample(&a) / per_sample(&b),
    );
}
