//! 31 days of synthetic 1 s samples through the tiers, checked against the
//! exact values computed alongside.

use std::collections::HashMap;

use wire::{ContainerId, HistoryRange, HostName, MarkerKind};

use super::tier::Agg;
use super::*;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
/// 2026-11-01 00:00:00 UTC.
const START: i64 = 1_793_491_200_000;
const END: i64 = START + 31 * DAY;
/// No samples for two hours, ending two hours before the end (all tiers hold it).
const GAP: (i64, i64) = (END - 4 * HOUR, END - 2 * HOUR);
/// The CPU counter starts over (a restart) on day 3.
const RESET: i64 = START + 3 * DAY + 12 * HOUR;

fn host() -> HostName {
    HostName::parse("local").unwrap()
}

fn id(c: char) -> ContainerId {
    ContainerId::parse(&c.to_string().repeat(64)).unwrap()
}

/// CPU over the second ending at `t`: a sine between 10 and 90 % with a
/// 390 % spike at 03:00:07 every day.
fn cpu_at(t: i64) -> f64 {
    if t.rem_euclid(DAY) == 3 * HOUR + 7_000 {
        return 390.0;
    }
    50.0 + 40.0 * (2.0 * std::f64::consts::PI * (t - START) as f64 / (6 * HOUR) as f64).sin()
}

/// Memory steps every 6 hours: 100 MiB plus 0-4 times 50 MiB.
fn mem_kib_at(t: i64) -> u64 {
    100 * 1024 + ((t - START) / (6 * HOUR)) as u64 % 5 * 50 * 1024
}

fn rx_rate_at(t: i64) -> u64 {
    1000 + (t / 1000 % 7) as u64 * 100
}

#[derive(Default, Clone, Copy)]
struct Exact {
    cpu_sum: f64,
    cpu_n: u32,
    cpu_max: f64,
    mem_sum: f64,
    mem_n: u32,
    rx_sum: f64,
}

/// Feeds the synthetic month; returns the exact per-bucket values of each tier.
fn feed(h: &History) -> Vec<HashMap<i64, Exact>> {
    let (host, id) = (host(), id('a'));
    let mut exact: Vec<HashMap<i64, Exact>> = vec![HashMap::new(); 4];
    let (mut cpu_ns, mut sys_ns, mut rx) = (0u64, 0u64, 0u64);
    let mut prev_t = None;
    let mut t = START;
    while t < END {
        t += 1000;
        if (GAP.0..GAP.1).contains(&t) {
            continue;
        }
        if t == RESET {
            cpu_ns = 0;
        }
        let cpu = cpu_at(t);
        cpu_ns += (cpu / 100.0 * 1e9).round() as u64;
        sys_ns += 4_000_000_000;
        rx += rx_rate_at(t);
        let raw = RawStats {
            read_ms: Some(t),
            cpu_total_ns: Some(cpu_ns),
            system_cpu_ns: Some(sys_ns),
            online_cpus: Some(4),
            mem_usage: Some(mem_kib_at(t) * 1024),
            net_rx_bytes: Some(rx),
            net_tx_bytes: Some(0),
            ..Default::default()
        };
        h.ingest(&host, &id, &raw, t);
        // The interval (t - 1 s, t] counts when the sample before it was
        // taken and the counter did not start over.
        let counted = prev_t == Some(t - 1000) && t != RESET;
        for (i, (res, _)) in TIERS.iter().enumerate() {
            let e = exact[i].entry(t.div_euclid(*res)).or_default();
            e.mem_sum += mem_kib_at(t) as f64;
            e.mem_n += 1;
            if counted {
                let e = exact[i].entry((t - 1).div_euclid(*res)).or_default();
                e.cpu_sum += cpu;
                e.cpu_n += 1;
                e.cpu_max = e.cpu_max.max(cpu);
                e.rx_sum += rx_rate_at(t) as f64;
            }
        }
        prev_t = Some(t);
    }
    exact
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= b.abs() * rel + 1e-6
}

#[test]
fn a_month_of_one_second_samples_keeps_averages_spikes_gaps_and_retention_per_tier() {
    let h = History::new(HistoryConfig::default());
    let exact = feed(&h);
    let inner = h.lock();
    let c = inner.containers.values().next().unwrap();
    for (i, (res, len)) in TIERS.iter().enumerate() {
        let tier = &c.tiers[i];
        let newest = END.div_euclid(*res);
        assert_eq!(tier.newest(), Some(newest), "tier {i}");
        let (mut checked, mut gaps) = (0, 0);
        for b in newest - *len as i64 + 1..=newest {
            let got = tier.get(b).unwrap_or_else(|| panic!("tier {i} bucket {b} not held"));
            let start = b * res;
            let in_gap = start >= GAP.0 && start + res <= GAP.1;
            if in_gap {
                assert!(!got.present(), "tier {i}: bucket at {start} is in the gap");
                gaps += 1;
                continue;
            }
            let e = exact[i][&b];
            assert!(got.present(), "tier {i} bucket {b}");
            let mem = e.mem_sum / e.mem_n as f64;
            assert!(
                close(got.mem_kib(1).unwrap(), mem, 0.001),
                "tier {i} bucket {b}: memory {:?} vs {mem}",
                got.mem_kib(1)
            );
            if e.cpu_n > 0 {
                let cpu = e.cpu_sum / e.cpu_n as f64;
                let avg = got.cpu(1).unwrap();
                assert!(close(avg, cpu, 0.001), "tier {i} bucket {b}: CPU {avg} vs {cpu}");
                assert!(close(got.cpu(2).unwrap(), e.cpu_max, 0.001), "tier {i} bucket {b}: max");
                let rx = e.rx_sum / e.cpu_n as f64;
                assert!(close(got.rate(0).unwrap(), rx, 0.001), "tier {i} bucket {b}: rx");
            }
            checked += 1;
        }
        // Every bucket either matched or was a gap, except those the gap cuts.
        assert!(checked + gaps + 2 >= *len, "tier {i}: {checked} buckets checked, {gaps} gaps");
        assert_eq!(gaps as i64, (GAP.1 - GAP.0) / res - 1 + (GAP.0 % res == 0 && GAP.1 % res == 0) as i64);
        // Older buckets are gone.
        assert_eq!(tier.get(newest - *len as i64), None, "tier {i} keeps only its retention");
    }
    // The daily spike survives in the maximum of every tier that holds a 03:00.
    let spike = END - DAY + 3 * HOUR + 7_000;
    for (i, (res, _)) in TIERS.iter().enumerate() {
        let b = (spike - 1).div_euclid(*res);
        if let Some(a) = c.tiers[i].get(b) {
            assert!(close(a.cpu(2).unwrap(), 390.0, 0.001), "tier {i}: spike {:?}", a.cpu(2));
        }
    }
    // The counter reset on day 3 leaves no spike and no negative value in T4.
    let a: Agg = c.tiers[3].get((RESET - 1).div_euclid(HOUR)).unwrap();
    assert!(a.cpu(2).unwrap() <= 90.5 && a.cpu(0).unwrap() >= 9.5, "{:?}", (a.cpu(0), a.cpu(2)));
}

#[test]
fn reads_follow_the_range_window_and_the_cursor() {
    let h = History::new(HistoryConfig::default());
    let (host, id) = (host(), id('b'));
    let now = START + HOUR;
    for s in 0..=360 {
        let t = now - 3_600_000 + s * 10_000;
        let raw = RawStats { read_ms: Some(t), mem_usage: Some(1 << 20), ..Default::default() };
        h.ingest(&host, &id, &raw, t);
    }
    let page = h.read(&host, &id, HistoryRange::H6, None, now).unwrap();
    assert_eq!(page.len(), 2160);
    assert_eq!(page.resolution_ms, 10_000);
    assert_eq!(page.start_ms(page.len() - 1), now.div_euclid(10_000) * 10_000);
    assert_eq!(page.mem_avg_kib.iter().filter(|m| m.is_some()).count(), 361);
    let more = h.read(&host, &id, HistoryRange::H6, Some(page.next_cursor), now + 25_000).unwrap();
    assert_eq!(more.first_bucket, page.next_cursor);
    assert_eq!(more.len(), 3);
    assert!(h.read(&host, &id, HistoryRange::H1, None, now).is_none(), "a live range has no tier");
    assert!(h.read(&host, &self::id('z'), HistoryRange::H6, None, now).is_none());
}

#[test]
fn a_recreated_container_continues_its_history_with_a_marker() {
    let h = History::new(HistoryConfig::default());
    let host = host();
    let labels = vec![
        ("com.docker.compose.project".to_string(), "shop".to_string()),
        ("com.docker.compose.service".to_string(), "web".to_string()),
        ("com.docker.compose.container-number".to_string(), "1".to_string()),
    ];
    let raw = |t| RawStats { read_ms: Some(t), mem_usage: Some(1 << 20), ..Default::default() };
    h.learn(&host, &id('a'), "shop-web-1", &labels, START);
    h.ingest(&host, &id('a'), &raw(START), START);
    // While the holder runs, another container with the same identity takes nothing.
    h.learn(&host, &id('c'), "shop-web-1-new", &labels, START + 30_000);
    h.ingest(&host, &id('c'), &raw(START + 30_000), START + 30_000);
    assert!(h.read(&host, &id('a'), HistoryRange::H6, None, START + 31_000).unwrap().markers.is_empty());
    // Once it stopped, the new one continues its history.
    h.on_event(&host, &id('a'), "die", (START + 50_000) * 1_000_000, Some(0), START + 50_000);
    h.learn(&host, &id('c'), "shop-web-1", &labels, START + 60_000);
    h.ingest(&host, &id('c'), &raw(START + 60_000), START + 60_000);
    assert_eq!(h.len(), 1);
    let page = h.read(&host, &id('c'), HistoryRange::H6, None, START + 70_000).unwrap();
    assert_eq!(page.mem_avg_kib.iter().filter(|m| m.is_some()).count(), 2);
    assert!(page.markers.iter().any(|m| m.kind == MarkerKind::Recreated));
    assert_eq!(page.events.len(), 2, "the stop and the re-creation");
    // `compose run` containers are told apart by name.
    let oneoff = [labels.clone(), vec![("com.docker.compose.oneoff".to_string(), "True".to_string())]].concat();
    assert_eq!(identity_of("shop-web-run-1a2b", &oneoff), "name:shop-web-run-1a2b");
    // Samples that came before the name was known join the name's history.
    h.ingest(&host, &id('d'), &raw(START), START);
    h.learn(&host, &id('d'), "db", &[], START + 1000);
    assert_eq!(h.len(), 2);
    assert!(h.read(&host, &id('d'), HistoryRange::H6, None, START + 10_000).is_some());
}

#[test]
fn the_cap_drops_the_container_seen_longest_ago_and_unseen_ones_expire() {
    let h = History::new(HistoryConfig { max_containers: 2, ..Default::default() });
    let host = host();
    let raw = |t| RawStats { read_ms: Some(t), mem_usage: Some(1 << 20), ..Default::default() };
    h.ingest(&host, &id('a'), &raw(START), START);
    h.ingest(&host, &id('b'), &raw(START + 1000), START + 1000);
    h.ingest(&host, &id('a'), &raw(START + 2000), START + 2000);
    h.ingest(&host, &id('c'), &raw(START + 3000), START + 3000);
    assert_eq!(h.len(), 2);
    assert!(h.read(&host, &id('b'), HistoryRange::H6, None, START + 4000).is_none());
    assert_eq!(h.expire(START + 3000 + 35 * DAY), 1, "a, unseen for over 35 days, goes");
    assert!(h.read(&host, &id('c'), HistoryRange::H6, None, START + 4000).is_some());
}

#[test]
fn events_flag_their_bucket_and_keep_details() {
    let h = History::new(HistoryConfig::default());
    let (host, id) = (host(), id('e'));
    let raw = |t| RawStats { read_ms: Some(t), mem_usage: Some(1 << 20), ..Default::default() };
    h.ingest(&host, &id, &raw(START), START);
    h.on_event(&host, &id, "die", (START + 15_000) * 1_000_000, Some(137), START + 15_000);
    h.on_event(&host, &id, "die", (START + 15_000) * 1_000_000, Some(137), START + 16_000); // replayed
    h.ingest(&host, &id, &raw(START + 30_000), START + 30_000);
    let page = h.read(&host, &id, HistoryRange::H6, None, START + 40_000).unwrap();
    let at = (START + 15_000).div_euclid(10_000) - page.first_bucket;
    assert_eq!(page.events, vec![at as u32]);
    assert_eq!(page.markers.len(), 1);
    assert_eq!((page.markers[0].kind, page.markers[0].exit_code), (MarkerKind::Stop, Some(137)));
}

#[test]
fn the_file_round_trips_and_bad_files_are_refused() {
    let h = History::new(HistoryConfig::default());
    let (host, id) = (host(), id('f'));
    let mut cpu = 0;
    for s in 0..600 {
        let t = START + s * 1000;
        cpu += 500_000_000;
        let raw = RawStats {
            read_ms: Some(t),
            cpu_total_ns: Some(cpu),
            system_cpu_ns: Some(s as u64 * 4_000_000_000),
            online_cpus: Some(4),
            mem_usage: Some(1 << 20),
            ..Default::default()
        };
        h.ingest(&host, &id, &raw, t);
    }
    h.on_event(&host, &id, "oom", (START + 5000) * 1_000_000, None, START + 5000);
    let bytes = h.encode(START + 600_000);
    let g = History::new(HistoryConfig::default());
    assert_eq!(g.decode(&bytes).unwrap(), 1);
    for r in [HistoryRange::H6, HistoryRange::H24, HistoryRange::D7, HistoryRange::D30] {
        // The same buckets (the cursor differs: nothing fills after a load).
        let read =
            |x: &History| x.read(&host, &id, r, None, START + 600_000).map(|c| HistoryColumns { next_cursor: 0, ..c });
        assert!(read(&g) == read(&h), "{r:?}");
    }
    let page = g.read(&host, &id, HistoryRange::H6, None, START + 600_000).unwrap();
    assert!(page.cpu_avg.iter().flatten().all(|c| (*c - 50.0).abs() < 0.1), "{:?}", page.cpu_avg);
    // Truncated, flipped, newer, not ours: refused, and nothing changes.
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 1;
    let mut newer = bytes.clone();
    newer[8] = 9;
    for (bad, what) in [
        (&bytes[..bytes.len() - 1], "truncated"),
        (&bytes[..10], "truncated"),
        (&flipped[..], "checksum"),
        (&newer[..], "newer"),
        (&b"hello world, not a history file"[..], "not a Binnacle"),
    ] {
        let err = g.decode(bad).unwrap_err().to_string();
        assert!(err.contains(what), "{what}: {err}");
    }
    assert_eq!(g.len(), 1);
}

#[test]
fn a_bad_file_is_moved_aside_and_history_starts_empty() {
    let dir = std::env::temp_dir().join(format!("binnacle-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let h = History::new(HistoryConfig::default());
    assert!(matches!(h.load(&dir, START), persist::Loaded::Nothing));
    std::fs::write(dir.join(persist::FILE_NAME), b"BNCLHIST\x01\0\0\0garbage").unwrap();
    match h.load(&dir, START) {
        persist::Loaded::MovedAside { moved_to: Some(p), .. } => assert!(p.exists()),
        other => panic!("{other:?}"),
    }
    assert!(!dir.join(persist::FILE_NAME).exists());
    // A good one comes back with a restart marker.
    let raw = RawStats { read_ms: Some(START), mem_usage: Some(1 << 20), ..Default::default() };
    h.ingest(&host(), &id('g'), &raw, START);
    h.save(&dir, START).unwrap();
    let g = History::new(HistoryConfig::default());
    assert!(matches!(g.load(&dir, START + 1000), persist::Loaded::Containers(1)));
    let page = g.read(&host(), &id('g'), HistoryRange::H6, None, START + 2000).unwrap();
    assert!(page.markers.iter().any(|m| m.kind == MarkerKind::ServerRestart));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Run by `kill_9_during_a_write_leaves_the_previous_file_whole` in a child
/// process: writes snapshots in a loop until killed.
#[test]
fn write_snapshots_until_killed() {
    let Some(dir) = std::env::var_os("BINNACLE_HISTORY_WRITER_DIR") else { return };
    let h = History::new(HistoryConfig::default());
    for i in 0..200u8 {
        let raw = RawStats { read_ms: Some(START), mem_usage: Some(1 << 20), ..Default::default() };
        h.ingest(&host(), &ContainerId::parse(&format!("{i:064x}")).unwrap(), &raw, START);
    }
    let mut n = 0;
    loop {
        h.save(std::path::Path::new(&dir), START + n).unwrap();
        n += 1;
    }
}

#[test]
fn kill_9_during_a_write_leaves_the_previous_file_whole() {
    let dir = std::env::temp_dir().join(format!("binnacle-kill9-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for round in 0..5u64 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["history::tests::write_snapshots_until_killed", "--exact", "--nocapture"])
            .env("BINNACLE_HISTORY_WRITER_DIR", &dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the first file, then kill at an arbitrary point of a later write.
        let t0 = std::time::Instant::now();
        while !dir.join(persist::FILE_NAME).exists() && t0.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(37 * round + 11));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let h = History::new(HistoryConfig::default());
        let bytes = std::fs::read(dir.join(persist::FILE_NAME)).unwrap();
        assert_eq!(h.decode(&bytes).unwrap(), 200, "round {round}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_remote_engine_with_a_skewed_clock_files_samples_by_arrival() {
    let h = History::new(HistoryConfig::default());
    let (host, id) = (host(), id('k'));
    // The engine's clock is two hours ahead; its samples arrive every 10 s.
    for s in 0..30 {
        let arrived = START + s * 10_000;
        let raw = RawStats {
            read_ms: Some(arrived + 2 * HOUR),
            cpu_total_ns: Some(s as u64 * 2_500_000_000),
            system_cpu_ns: Some(s as u64 * 40_000_000_000),
            online_cpus: Some(4),
            mem_usage: Some(1 << 20),
            ..Default::default()
        };
        h.ingest(&host, &id, &raw, arrived);
    }
    let page = h.read(&host, &id, HistoryRange::H6, None, START + 300_000).unwrap();
    let newest = page.len() - 1;
    assert_eq!(page.mem_avg_kib[newest - 1], Some(1024), "the bucket before now holds a reading");
    let cpu: Vec<f32> = page.cpu_avg.iter().flatten().copied().collect();
    assert!(cpu.len() >= 28 && cpu.iter().all(|c| (c - 25.0).abs() < 0.1), "{cpu:?}");
    // A sample from before the previous one (the engine's clock went back) is not data.
    let back = RawStats { read_ms: Some(START), mem_usage: Some(9 << 20), ..Default::default() };
    h.ingest(&host, &id, &back, START + 300_000);
    let page = h.read(&host, &id, HistoryRange::H6, None, START + 300_000).unwrap();
    assert!(page.mem_max_kib.iter().flatten().all(|m| *m == 1024));
}

#[test]
fn a_file_with_impossible_tiers_is_refused() {
    let h = History::new(HistoryConfig::default());
    let raw = RawStats { read_ms: Some(START), mem_usage: Some(1 << 20), ..Default::default() };
    h.ingest(&host(), &id('m'), &raw, START);
    let good = h.encode(START);
    // Re-checksummed edits: the first tier's length, then its newest bucket.
    let body_at = 20;
    let tier_at = body_at + 12 + (2 + 5) + (2 + 67) + (2 + 64) + 8 + 8; // host, "id:<id>", id, times
    let resign = |mut b: Vec<u8>| {
        let n = b.len();
        let crc = crc32fast::hash(&b[20..n - 4]);
        b[n - 4..].copy_from_slice(&crc.to_le_bytes());
        b
    };
    assert_eq!(i64::from_le_bytes(good[tier_at..tier_at + 8].try_into().unwrap()), 10_000, "T1's bucket is here");
    let mut len = good.clone();
    len[tier_at + 8..tier_at + 12].copy_from_slice(&7u32.to_le_bytes());
    assert!(h.decode(&resign(len)).unwrap_err().to_string().contains("length"));
    let mut newest = good.clone();
    newest[tier_at + 12..tier_at + 20].copy_from_slice(&(i64::MIN + 1).to_le_bytes());
    assert!(h.decode(&resign(newest)).unwrap_err().to_string().contains("newest"));
    assert_eq!(h.decode(&good).unwrap(), 1);
}
