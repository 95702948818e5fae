//! `make bench-prometheus`: the time and allocations of one `/metrics`
//! scrape with N containers (made up, each with an interface, a CPU limit
//! and a whitelisted label), as Binnacle encodes it: from the snapshot to
//! the text. Prints a markdown table row.
//!
//! usage: bench_scrape <containers> <scrapes>

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::time::Instant;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let scrapes: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let labels =
        vec![("com.docker.compose.service".to_string(), "container_label_com_docker_compose_service".to_string())];
    let name = |i: usize| format!("shop-web-{i}");
    let mut times = Vec::with_capacity(scrapes);
    let (mut allocs, mut bytes, mut size, mut series) = (0, 0, 0, 0);
    for _ in 0..scrapes {
        // Building the snapshot (made up here; in Binnacle copied from the
        // engine under its locks) and encoding it both count.
        let (region, t0) = (Region::new(GLOBAL), Instant::now());
        let snapshot = server::prometheus::synthetic_snapshot(n, &name);
        let text = server::prometheus::render(snapshot, &labels, 20_000, 0);
        times.push(t0.elapsed().as_secs_f64() * 1e3);
        let change = region.change();
        allocs = change.allocations + change.reallocations;
        bytes = change.bytes_allocated;
        size = text.len();
        series = series_in(&text);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    println!(
        "| {n} | {} | {median:.2} ms | {p99:.2} ms | {allocs} | {:.0} KiB | {:.0} KiB |",
        series,
        bytes as f64 / 1024.0,
        size as f64 / 1024.0
    );
}

/// The series count the scrape reports of itself.
fn series_in(text: &str) -> usize {
    text.lines()
        .find_map(|l| l.strip_prefix("binnacle_prometheus_series "))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_default() as usize
}
