//! The formulas on real frames: cgroup v1 frames captured from this
//! machine's engine (Docker 20.10), cgroup v2 frames written from the
//! documented shape (Docker 25+).

use engine::metrics::formulas::{Outcome, RawStats, compute, memory_used};
use engine::raw_stats_from_api;

fn frame(name: &str) -> RawStats {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    raw_stats_from_api(serde_json::from_str(&text).unwrap())
}

#[test]
fn cgroup_v1_frames_from_this_engine_map_completely() {
    let a = frame("v1_oneshot_a.json");
    assert!(a.read_ms.is_some());
    assert_eq!(a.online_cpus, Some(2));
    assert_eq!(a.mem_limit, Some(67_108_864));
    assert_eq!(a.mem_inactive_file, Some(0), "v1 total_inactive_file");
    assert_eq!(a.net_rx_bytes, Some(736));
    assert_eq!(a.blk_read_bytes, Some(0), "an empty list is zero bytes, not unknown");
    assert_eq!(a.pids, Some(1));
}

#[test]
fn cgroup_v1_cpu_of_a_busy_loop_is_about_one_core() {
    let (a, b) = (frame("v1_oneshot_a.json"), frame("v1_oneshot_b.json"));
    let Outcome::Point { point: p, .. } = compute(Some(&a), &b) else { panic!("expected a point") };
    assert!((80.0..=110.0).contains(&p.cpu_pct), "cpu {}", p.cpu_pct);
    assert!(p.mem_bytes().unwrap() > 8_000_000, "the loop holds 8 MiB");
}

#[test]
fn a_stopped_container_frame_from_this_engine_is_not_data() {
    let stopped = frame("v1_stopped.json");
    assert_eq!(stopped.read_ms, None);
    assert_eq!(compute(Some(&frame("v1_oneshot_a.json")), &stopped), Outcome::NotData);
}

#[test]
fn cgroup_v2_frames_give_cpu_memory_and_rates() {
    let (a, b) = (frame("v2_a.json"), frame("v2_b.json"));
    assert_eq!(b.online_cpus, Some(8));
    assert_eq!(memory_used(&b), Some(210 << 20), "usage minus inactive_file");
    let Outcome::Point { point: p, .. } = compute(Some(&a), &b) else { panic!("expected a point") };
    assert!((p.cpu_pct - 150.0).abs() < 0.01, "{}", p.cpu_pct);
    assert_eq!(p.net_rx_bps, 10_000.0, "20000 bytes over 2 s, both interfaces summed");
    assert_eq!(p.net_tx_bps, 2_000.0);
    assert_eq!(p.blk_read_bps, 2048.0);
    assert_eq!(p.blk_write_bps, 524_288.0);
    assert_eq!(p.pids(), Some(13));
}

#[test]
fn cgroup_v2_frames_without_networks_or_memory_accounting_are_unavailable() {
    let mut json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/tests/fixtures/v2_b.json", env!("CARGO_MANIFEST_DIR"))).unwrap(),
    )
    .unwrap();
    json.as_object_mut().unwrap().remove("networks");
    json["memory_stats"] = serde_json::json!({});
    let b = raw_stats_from_api(serde_json::from_value(json).unwrap());
    let Outcome::Point { point: p, .. } = compute(Some(&frame("v2_a.json")), &b) else { panic!() };
    assert!(p.net_rx_bps.is_nan() && p.net_tx_bps.is_nan());
    assert_eq!(p.mem_bytes(), None);
}

#[test]
fn a_restart_between_frames_is_a_new_baseline() {
    let (a, b) = (frame("v2_b.json"), frame("v2_a.json"));
    // b is older with lower counters: as after a restart, counters went down.
    let mut later = b.clone();
    later.read_ms = a.read_ms.map(|t| t + 1000);
    assert!(matches!(compute(Some(&a), &later), Outcome::Point { baseline: true, .. }));
}

#[test]
fn cgroup_v1_memory_subtracts_the_hierarchys_inactive_file_as_the_docker_cli_does() {
    // v1_hierarchy.json is the captured v1_oneshot_b.json with page cache
    // written in: 20 MiB used, its own inactive_file 1 MiB, the hierarchy's
    // total_inactive_file 6 MiB. The CLI shows 20 - 6 = 14 MiB.
    let s = frame("v1_hierarchy.json");
    assert_eq!(s.mem_inactive_file, Some(6 << 20));
    assert_eq!(memory_used(&s), Some(14 << 20));
    // cgroup v2 has only inactive_file, which is used there.
    assert_eq!(frame("v2_a.json").mem_inactive_file, Some(100 << 20));
}

// Podman 4.3 (Debian's), captured on this machine: `podman system service`
// with a busy loop holding 5 MB (`tests/fixtures/podman/`).

fn podman(name: &str) -> RawStats {
    let mut raw = frame(&format!("podman/{name}"));
    engine::docker::podman_stats(&mut raw);
    raw
}

#[test]
fn podman_cpu_of_a_busy_loop_is_one_core_by_the_wall_clock() {
    let (a, b) = (podman("stats_a.json"), podman("stats_b.json"));
    let Outcome::Point { point: p, .. } = compute(Some(&a), &b) else { panic!("expected a point") };
    assert!((95.0..=105.0).contains(&p.cpu_pct), "cpu {}", p.cpu_pct);
    // Taken at face value, Podman's system_cpu_usage doubles it on 2 CPUs.
    let (raw_a, raw_b) = (frame("podman/stats_a.json"), frame("podman/stats_b.json"));
    let Outcome::Point { point: naive, .. } = compute(Some(&raw_a), &raw_b) else { panic!() };
    assert!(naive.cpu_pct > 180.0, "{}", naive.cpu_pct);
}

#[test]
fn podman_memory_is_usage_with_the_cache_included_and_said_so() {
    let b = podman("stats_b.json");
    assert_eq!(b.mem_inactive_file, None);
    assert!(b.memory_includes_cache);
    assert_eq!(memory_used(&b), b.mem_usage);
    assert!(!frame("v1_oneshot_a.json").memory_includes_cache, "docker subtracts the inactive page cache");
    // The synthetic `network` entry is the container's traffic.
    assert_eq!(b.net_rx_bytes, Some(516));
}

#[test]
fn podman_lists_inspects_and_events_map_completely() {
    let text = |name: &str| {
        std::fs::read_to_string(format!("{}/tests/fixtures/podman/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    let version: bollard::models::SystemVersion = serde_json::from_str(&text("version.json")).unwrap();
    assert!(version.components.unwrap().iter().any(|c| c.name == "Podman Engine"));
    let host = wire::HostName::parse("podman").unwrap();
    let list: Vec<bollard::models::ContainerSummary> = serde_json::from_str(&text("list.json")).unwrap();
    let rows: Vec<_> = list.into_iter().filter_map(|c| engine::docker::summary_from_api(&host, c)).collect();
    assert_eq!((rows[0].name.as_str(), rows[0].state), ("pod-busy", wire::ContainerState::Running));
    let inspect: bollard::models::ContainerInspectResponse = serde_json::from_str(&text("inspect.json")).unwrap();
    let details = engine::docker::details_from_api(&host, inspect).unwrap();
    assert_eq!(details.name, "pod-busy");
    assert_eq!(details.state, wire::ContainerState::Running);
    let events: Vec<engine::EngineEvent> = text("events.jsonl")
        .lines()
        .filter_map(|l| engine::docker::event_from_api(serde_json::from_str(l).unwrap()))
        .collect();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"remove") && actions.contains(&"die") && !actions.contains(&"stop"), "{actions:?}");
    let die = events.iter().find(|e| e.action == "die").unwrap();
    assert_eq!(die.exit_code, Some(137));
    // `cleanup` carries a meaningless containerExitCode 0: not taken as an exit code.
    assert!(events.iter().filter(|e| e.action == "cleanup").all(|e| e.exit_code.is_none()));
}
