//! Criterion benches for the metrics engine's hot paths: ring push and
//! read_since, the formulas, and encoding a full page.

use criterion::{BatchSize, Criterion, black_box, criterion_group, criterion_main};
use engine::metrics::columns;
use engine::metrics::formulas::{Point, RawStats, compute};
use engine::metrics::ring::RingBuffer;

fn point(i: u64) -> Point {
    Point {
        t_ms: 1_795_000_000_000 + i as i64 * 1000,
        cpu_pct: 100.0 + (i % 7) as f32,
        mem_kib: 51_200 + (i % 13) as u32,
        net_rx_bps: 0.0,
        net_tx_bps: 0.0,
        blk_read_bps: 0.0,
        blk_write_bps: 0.0,
        pids: 1,
    }
}

fn full_ring() -> RingBuffer<Point> {
    let mut r = RingBuffer::new(3600);
    for i in 0..3600 {
        r.push(point(i));
    }
    r
}

fn ring(c: &mut Criterion) {
    c.bench_function("ring push (full, 3600)", |b| {
        let mut r = full_ring();
        let mut i = 3600;
        b.iter(|| {
            i += 1;
            r.push(black_box(point(i)))
        })
    });
    let r = full_ring();
    c.bench_function("ring read_since newest 1 of 3600", |b| b.iter(|| r.read_since(black_box(3599))));
    c.bench_function("ring read_since all 3600", |b| b.iter(|| r.read_since(black_box(0))));
}

fn formulas(c: &mut Criterion) {
    let a = RawStats {
        read_ms: Some(1_000),
        cpu_total_ns: Some(1_000_000_000),
        system_cpu_ns: Some(10_000_000_000),
        online_cpus: Some(4),
        mem_usage: Some(100 << 20),
        mem_inactive_file: Some(10 << 20),
        mem_limit: Some(1 << 30),
        net_rx_bytes: Some(1000),
        net_tx_bytes: Some(1000),
        blk_read_bytes: Some(0),
        blk_write_bytes: Some(0),
        pids: Some(3),
        memory_includes_cache: false,
        ..RawStats::default()
    };
    let mut b2 = a.clone();
    b2.read_ms = Some(2_000);
    b2.cpu_total_ns = Some(2_000_000_000);
    b2.system_cpu_ns = Some(14_000_000_000);
    c.bench_function("formulas compute one point", |b| b.iter(|| compute(black_box(Some(&a)), black_box(&b2))));
}

fn page(c: &mut Criterion) {
    let r = full_ring();
    c.bench_function("encode full page (3600 points) to JSON", |b| {
        b.iter_batched(
            || r.read_since(0).items,
            |items| serde_json::to_vec(&columns::from_points(items.iter())).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, ring, formulas, page);
criterion_main!(benches);
