//! Two hosts at once (`make bench-engine`, second part): N idle containers
//! on the system's Docker (`local`) and N on a second engine (Docker 26 from
//! ../shared/tools/second-engine.sh), all watched at 1 s. Reports, per host,
//! the samples taken and the CPU its daemon (dockerd + containerd + shims)
//! spent on them, and Binnacle's own CPU per sample; then hangs the second
//! engine (SIGSTOP) and measures how long the container list takes while
//! the local host's collection goes on.
//!
//! usage: bench_hosts <seconds> <second socket> <local ids,> <second ids,>

use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::{BollardEngine, ContainerStatsManager, Hosts, MetricsConfig};
use wire::{ContainerId, HostName, MetricsCursor};

fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// The daemon processes of one engine: those whose command line names `marker`
/// (the second engine's paths contain `docker26`), or the rest.
fn daemon_pids(second: bool) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let comm = comm.trim();
        if !(comm == "dockerd" || comm == "containerd" || comm.starts_with("containerd-shim")) {
            continue;
        }
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if cmdline.contains("docker26") == second {
            pids.push(pid);
        }
    }
    pids
}

fn cpu_of(pids: &[u32]) -> f64 {
    pids.iter().map(|p| cpu_seconds(*p)).sum()
}

fn ids(list: &str) -> Vec<ContainerId> {
    list.split(',').filter(|s| !s.is_empty()).map(|s| ContainerId::parse(s).unwrap()).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_hosts <seconds> <second socket> <local ids,> <second ids,>";
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).expect(usage);
    let socket = args.next().expect(usage);
    let (local_ids, second_ids) = (ids(&args.next().expect(usage)), ids(&args.next().expect(usage)));
    let (local, second) = (HostName::parse("local").unwrap(), HostName::parse("second").unwrap());
    let hosts = Hosts::builder()
        .host(local.clone(), Arc::new(BollardEngine::connect(local.clone(), "unix:///var/run/docker.sock").unwrap()))
        .host(second.clone(), Arc::new(BollardEngine::connect(second.clone(), &format!("unix://{socket}")).unwrap()))
        .build();
    let (_stop, rx) = tokio::sync::watch::channel(false);
    hosts.spawn_supervisors(Duration::from_secs(5), rx.clone());
    let m = ContainerStatsManager::new(hosts.clone(), MetricsConfig::default());
    m.spawn_background(rx);
    let watched: Vec<(HostName, ContainerId)> = local_ids
        .iter()
        .map(|i| (local.clone(), i.clone()))
        .chain(second_ids.iter().map(|i| (second.clone(), i.clone())))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await; // the hosts' first checks

    // 1. Both hosts watched: samples and daemon CPU per host.
    let me = std::process::id();
    let (lp, sp) = (daemon_pids(false), daemon_pids(true));
    let (c0, l0, s0, t0) = (cpu_seconds(me), cpu_of(&lp), cpu_of(&sp), Instant::now());
    let mut cursors: Vec<MetricsCursor> = Vec::new();
    for (h, id) in &watched {
        cursors.push(m.metrics(h, id, None).await.unwrap().next_cursor);
    }
    let first = cursors.clone();
    while t0.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for (i, (h, id)) in watched.iter().enumerate() {
            cursors[i] = m.metrics(h, id, Some(cursors[i])).await.unwrap().next_cursor;
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let (client, local_cpu, second_cpu) = (cpu_seconds(me) - c0, cpu_of(&lp) - l0, cpu_of(&sp) - s0);
    let samples = |host: &HostName| -> u64 {
        watched
            .iter()
            .zip(cursors.iter().zip(&first))
            .filter(|((h, _), _)| h == host)
            .map(|(_, (l, f))| l.seq - f.seq + 1)
            .sum()
    };
    let (ls, ss) = (samples(&local), samples(&second));
    let version =
        |h: &HostName| hosts.statuses().into_iter().find(|s| &s.name == h).and_then(|s| s.version).unwrap_or_default();
    println!(
        "| host | engine | containers | samples in {elapsed:.0} s | daemon CPU (s) | daemon CPU per sample (ms) |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| local | Docker {} | {} | {ls} | {local_cpu:.2} | {:.2} |",
        version(&local),
        local_ids.len(),
        local_cpu * 1e3 / ls.max(1) as f64
    );
    println!(
        "| second | Docker {} | {} | {ss} | {second_cpu:.2} | {:.2} |",
        version(&second),
        second_ids.len(),
        second_cpu * 1e3 / ss.max(1) as f64
    );
    println!();
    println!(
        "Binnacle's own CPU: {client:.3} s for {} samples, {:.0} µs per sample.",
        ls + ss,
        client * 1e6 / (ls + ss).max(1) as f64
    );
    println!();

    // 2. The second engine hangs: the list's latency, and the local host's collection.
    let pid = std::fs::read_to_string("/run/docker26/dockerd.pid").expect("the second engine's pid").trim().to_string();
    let local_before: Vec<MetricsCursor> = cursors[..local_ids.len()].to_vec();
    let _ = std::process::Command::new("kill").args(["-STOP", &pid]).status();
    let hung = Instant::now();
    let mut took = Vec::new();
    while hung.elapsed() < Duration::from_secs(15) {
        let t = Instant::now();
        let _ = hosts.list_all().await;
        took.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut unreachable_after = None;
    for s in hosts.statuses() {
        if s.name == second && !s.reachable {
            unreachable_after = Some(());
        }
    }
    let mut local_points = 0;
    for (i, (h, id)) in watched.iter().enumerate().take(local_ids.len()) {
        let page = m.metrics(h, id, Some(local_before[i])).await.unwrap();
        local_points += page.points.len();
    }
    let _ = std::process::Command::new("kill").args(["-CONT", &pid]).status();
    took.sort();
    println!("| second engine hung (SIGSTOP) for 15 s | value |");
    println!("|---|---|");
    println!("| list answers | {} |", took.len());
    println!("| list latency p50 | {:.2} ms |", percentile(&took, 0.5).as_secs_f64() * 1e3);
    println!("| list latency p99 | {:.2} ms |", percentile(&took, 0.99).as_secs_f64() * 1e3);
    println!("| list latency max | {:.2} ms |", took.last().unwrap().as_secs_f64() * 1e3);
    println!("| second shown unreachable | {} |", if unreachable_after.is_some() { "yes" } else { "no" });
    println!(
        "| local points meanwhile ({} containers, 15 s) | {local_points} ({:.2} per container-second) |",
        local_ids.len(),
        local_points as f64 / local_ids.len().max(1) as f64 / 15.0
    );
}
