//! Criterion benches for the metrics engine's hot paths: ring push and
//! read_since, the formulas, encoding a full page, and one sample read
//! from cgroup v1 files (a tree written like the kernel's).

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

/// One container's cgroup v1 files, as the kernel writes them, and
/// `/proc/<pid>/net/dev`; the sample is read from them as in Binnacle.
fn cgroup_read(c: &mut Criterion) {
    use engine::cgroup::{CgroupFs, CgroupVersion, ContainerCgroup};
    let root = std::env::temp_dir().join(format!("binnacle-bench-cgroup-{}", std::process::id()));
    let id = wire::ContainerId::parse(&format!("{:064x}", 1)).unwrap();
    let dir = |controller: &str| root.join(controller).join("docker").join(id.as_str());
    let write = |controller: &str, file: &str, text: &str| {
        std::fs::create_dir_all(dir(controller)).unwrap();
        std::fs::write(dir(controller).join(file), text).unwrap();
    };
    write("cpuacct", "cpuacct.usage", "123456789012\n");
    write("cpu", "cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
    write("memory", "memory.usage_in_bytes", "104857600\n");
    write("memory", "memory.limit_in_bytes", "9223372036854771712\n");
    let stat: String = ["cache", "rss", "rss_huge", "shmem", "mapped_file", "dirty", "writeback", "pgpgin", "pgpgout"]
        .iter()
        .chain(["pgfault", "pgmajfault", "inactive_anon", "active_anon", "inactive_file", "active_file"].iter())
        .chain(["unevictable", "hierarchical_memory_limit"].iter())
        .flat_map(|k| [format!("{k} 4096\n"), format!("total_{k} 4096\n")])
        .collect();
    write("memory", "memory.stat", &stat);
    write("blkio", "blkio.io_service_bytes_recursive", "Total 0\n");
    write(
        "blkio",
        "blkio.throttle.io_service_bytes_recursive",
        "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n",
    );
    write("pids", "pids.current", "3\n");
    let proc_dir = root.join("proc").join("42");
    std::fs::create_dir_all(proc_dir.join("net")).unwrap();
    std::fs::write(proc_dir.join("cgroup"), format!("4:memory:/docker/{id}\n3:cpuacct:/docker/{id}\n")).unwrap();
    std::fs::write(
        proc_dir.join("net/dev"),
        "Inter-|   Receive                                                |  Transmit\n \
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
         lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n  \
         eth0:    1006      13    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n",
    )
    .unwrap();
    let fs = CgroupFs { root: root.clone(), version: CgroupVersion::V1, proc_root: Some(root.join("proc")) };
    let cg = ContainerCgroup {
        version: CgroupVersion::V1,
        cpu: dir("cpuacct"),
        cfs: dir("cpu"),
        memory: dir("memory"),
        io: dir("blkio"),
        pids: dir("pids"),
        net_proc: Some(proc_dir),
    };
    assert!(fs.read(&cg, &id).is_ok(), "{:?}", fs.read(&cg, &id));
    c.bench_function("cgroup v1: one sample from the files", |b| b.iter(|| black_box(fs.read(&cg, &id))));
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, ring, formulas, page, cgroup_read);
criterion_main!(benches);
