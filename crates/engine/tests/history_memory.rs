//! 200 containers with every tier full: the resident memory grows by at
//! most 25 MiB (the buckets alone are 20 bytes x 5328 per container).
//! Alone in its test binary, so no other test's allocations count.

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn two_hundred_containers_with_full_tiers_take_at_most_25_mib() {
    let now = 1_796_000_000_000;
    let before = rss_kib();
    let h = engine::history::synthetic(200, now);
    let grown = rss_kib().saturating_sub(before);
    assert_eq!(h.len(), 200);
    let page = h
        .read(
            &wire::HostName::parse("local").unwrap(),
            &wire::ContainerId::parse(&format!("{:064x}", 7)).unwrap(),
            wire::HistoryRange::D30,
            None,
            now,
        )
        .unwrap();
    let full = page.mem_avg_kib.iter().filter(|m| m.is_some()).count();
    assert!(full >= 719, "the 30 d tier is full: {full} of 720");
    eprintln!("RSS growth with 200 full histories: {} KiB", grown);
    assert!(grown <= 25 * 1024, "RSS grew by {grown} KiB");
}
