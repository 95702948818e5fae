//! `make bench-history`: the long history of 200 containers with every
//! tier full: memory, the file written (atomically, fsynced) and read back,
//! and the cost of one sample through the tiers. Prints Markdown.
//!
//! usage: bench_history [containers] [dir]

use std::time::Instant;

use engine::history::{History, HistoryConfig};
use engine::metrics::formulas::RawStats;
use wire::{ContainerId, HostName};

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn stats(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    (ms[0], ms[ms.len() / 2], ms[ms.len() - 1])
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| std::env::temp_dir().display().to_string()))
        .join(format!("binnacle-bench-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let now = engine::history::now_ms();

    let before = rss_kib();
    let t = Instant::now();
    let h = engine::history::synthetic(n, now);
    let fill_s = t.elapsed().as_secs_f64();
    let grown = rss_kib().saturating_sub(before);

    let mut writes = vec![];
    let mut bytes = 0;
    for _ in 0..15 {
        let t = Instant::now();
        bytes = h.save(&dir, now).unwrap();
        writes.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut encodes = vec![];
    for _ in 0..15 {
        let t = Instant::now();
        std::hint::black_box(h.encode(now));
        encodes.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut loads = vec![];
    for _ in 0..15 {
        let g = History::new(HistoryConfig { max_containers: n, ..Default::default() });
        let t = Instant::now();
        let loaded = g.load(&dir, now);
        loads.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(matches!(loaded, engine::history::persist::Loaded::Containers(c) if c == n), "{loaded:?}");
    }

    // One sample through the four tiers (steady state: 1 s samples of 200 containers).
    let host = HostName::parse("local").unwrap();
    let ids: Vec<ContainerId> = (0..n).map(|i| ContainerId::parse(&format!("{i:064x}")).unwrap()).collect();
    let rounds = 300;
    let t = Instant::now();
    for r in 0..rounds {
        let ts = now + 1000 * (r + 1) as i64;
        for (i, id) in ids.iter().enumerate() {
            let raw = RawStats {
                read_ms: Some(ts),
                cpu_total_ns: Some((r as u64 + 1) * 300_000_000 + i as u64),
                system_cpu_ns: Some(ts as u64 * 4_000_000),
                online_cpus: Some(4),
                mem_usage: Some(64 << 20),
                net_rx_bytes: Some(r as u64 * 1000),
                net_tx_bytes: Some(r as u64 * 10),
                ..Default::default()
            };
            h.ingest(&host, id, &raw, ts);
        }
    }
    let per_sample_us = t.elapsed().as_secs_f64() * 1e6 / (rounds * n) as f64;

    let (wmin, wmed, wmax) = stats(writes);
    let (emin, emed, _) = stats(encodes);
    let (lmin, lmed, lmax) = stats(loads);
    println!("| what | figure | goal |");
    println!("|---|---|---|");
    println!("| containers, every bucket of T1-T4 full | {n} | |");
    println!("| bytes per bucket (`size_of`) | 20 | at most 20 |");
    println!(
        "| file size | {:.1} MiB ({:.0} KiB per container) | |",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1024.0 / n as f64
    );
    println!("| RSS growth with the {n} histories | {:.1} MiB | at most 25 MiB |", grown as f64 / 1024.0);
    println!(
        "| snapshot written (encode, write, fsync, rename; 15 runs) | min {wmin:.0} ms, median {wmed:.0} ms, max {wmax:.0} ms | at most 200 ms |"
    );
    println!(
        "| of which encoding | min {emin:.1} ms, median {emed:.1} ms (the history's lock held per container: {:.0} µs on average) | |",
        emed * 1000.0 / n as f64
    );
    println!("| file read and loaded at start (15 runs) | min {lmin:.0} ms, median {lmed:.0} ms, max {lmax:.0} ms | |");
    println!("| one sample through the four tiers | {per_sample_us:.2} µs | |");
    println!("| filling the synthetic month ({} samples) | {fill_s:.1} s | |", n * 5328);
    let _ = std::fs::remove_dir_all(&dir);
}
