//! cgroup v1 and v2 trees written from the kernel's documented formats
//! (this machine runs v1 only; v2 is tested here alone), and the source's
//! fallback to the Engine API.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use wire::{ContainerAction, ContainerDetails, ContainerId, ContainerSummary};

use super::*;
use crate::port::{ContainerEngine, EngineError, EngineEvent, EngineVersion, HostInfo, Product};

fn id() -> ContainerId {
    ContainerId::parse(&"c0ffee".repeat(10).chars().chain("abcd".chars()).collect::<String>()).unwrap()
}

/// A fresh directory under the system's temp dir.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "binnacle-cgroup-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A v1 tree with the container under `rel` in each controller.
fn v1_tree(root: &Path, rel: &str, usage_ns: u64) {
    for c in ["memory", "cpuacct", "blkio", "pids", "cpu"] {
        std::fs::create_dir_all(root.join(c)).unwrap();
    }
    write(&root.join("cpuacct").join(rel).join("cpuacct.usage"), &format!("{usage_ns}\n"));
    let mem = root.join("memory").join(rel);
    write(&mem.join("memory.usage_in_bytes"), "104857600\n");
    write(&mem.join("memory.limit_in_bytes"), "9223372036854771712\n");
    write(
        &mem.join("memory.stat"),
        "cache 20971520\nrss 83886080\ninactive_file 1048576\ntotal_cache 20971520\ntotal_inactive_file 10485760\n",
    );
    write(
        &root.join("blkio").join(rel).join("blkio.throttle.io_service_bytes_recursive"),
        "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\n8:16 Read 1\n8:16 Write 2\nTotal 12291\n",
    );
    write(&root.join("pids").join(rel).join("pids.current"), "3\n");
}

/// A v2 tree with the container's directory at `rel`.
fn v2_tree(root: &Path, rel: &str, usage_usec: u64, max: &str) {
    write(&root.join("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
    let dir = root.join(rel);
    write(&dir.join("cpu.stat"), &format!("usage_usec {usage_usec}\nuser_usec 1\nsystem_usec 2\nnr_periods 0\n"));
    write(&dir.join("memory.current"), "52428800\n");
    write(&dir.join("memory.max"), &format!("{max}\n"));
    write(&dir.join("memory.stat"), "anon 41943040\nfile 10485760\nactive_file 5242880\ninactive_file 2097152\n");
    write(
        &dir.join("io.stat"),
        "8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n",
    );
    write(&dir.join("pids.current"), "7\n");
}

/// A `/proc` with `self` and the container's init process.
fn proc_tree(root: &Path, pid: u32, cgroup: &str, net_dev: &str) {
    std::fs::create_dir_all(root.join("self")).unwrap();
    write(&root.join(pid.to_string()).join("cgroup"), cgroup);
    write(&root.join(pid.to_string()).join("net/dev"), net_dev);
}

const NET_DEV: &str = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  999999       9    0    0    0     0          0         0   999999       9    0    0    0     0       0          0
  eth0:    1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
  eth1:     500       5    0    0    0     0          0         0      250       2    0    0    0     0       0          0
";

fn cgroupfs(parent: Option<&str>) -> CgroupHint {
    CgroupHint { pid: None, driver: Some("cgroupfs".into()), parent: parent.map(Into::into), network_mode: None }
}

#[test]
fn v1_cgroupfs_from_the_driver_reads_the_engines_numbers() {
    let root = scratch("v1");
    let rel = format!("docker/{}", id());
    v1_tree(&root, &rel, 5_000_000_000);
    let fs = CgroupFs::detect(&root, None).unwrap();
    assert_eq!(fs.version, CgroupVersion::V1);
    let cg = fs.locate(&id(), &cgroupfs(None)).expect("found under /docker");
    let raw = fs.read(&cg, &id()).unwrap();
    assert_eq!(raw.cpu_total_ns, Some(5_000_000_000));
    assert_eq!(raw.mem_usage, Some(100 << 20));
    // The hierarchy's total_inactive_file, as the docker CLI subtracts on v1.
    assert_eq!(raw.mem_inactive_file, Some(10 << 20));
    assert_eq!(crate::metrics::formulas::memory_used(&raw), Some(90 << 20));
    assert_eq!(raw.mem_limit, None, "2^63 rounded down is no limit");
    assert_eq!((raw.blk_read_bytes, raw.blk_write_bytes), (Some(4097), Some(8194)));
    assert_eq!(raw.pids, Some(3));
    assert_eq!(raw.net_rx_bytes, None, "no /proc: no network counters");
    assert!(raw.read_ms.is_some());
    // A custom parent is followed; a wrong one finds nothing.
    assert!(fs.locate(&id(), &cgroupfs(Some("/elsewhere"))).is_none());
    let custom = format!("my-apps/{}", id());
    v1_tree(&root, &custom, 1);
    assert_eq!(fs.locate(&id(), &cgroupfs(Some("/my-apps"))).unwrap().cpu, root.join("cpuacct").join(&custom));
}

#[test]
fn v2_systemd_scopes_under_nested_slices() {
    let root = scratch("v2");
    let rel = format!("system.slice/docker-{}.scope", id());
    v2_tree(&root, &rel, 2_500_000, "max");
    let fs = CgroupFs::detect(&root, None).unwrap();
    assert_eq!(fs.version, CgroupVersion::V2);
    let systemd = |parent: Option<&str>| CgroupHint {
        pid: None,
        driver: Some("systemd".into()),
        parent: parent.map(Into::into),
        network_mode: None,
    };
    let cg = fs.locate(&id(), &systemd(None)).expect("system.slice by default");
    let raw = fs.read(&cg, &id()).unwrap();
    assert_eq!(raw.cpu_total_ns, Some(2_500_000_000), "usage_usec in ns");
    assert_eq!(raw.mem_usage, Some(50 << 20));
    assert_eq!(raw.mem_inactive_file, Some(2 << 20));
    assert_eq!(raw.mem_limit, None, "max is no limit");
    assert_eq!((raw.blk_read_bytes, raw.blk_write_bytes), (Some(1001), Some(2002)));
    assert_eq!(raw.pids, Some(7));
    // A parent slice `apps-web.slice` lives in `apps.slice/apps-web.slice`.
    let nested = format!("apps.slice/apps-web.slice/docker-{}.scope", id());
    v2_tree(&root, &nested, 1, "268435456");
    let cg = fs.locate(&id(), &systemd(Some("apps-web.slice"))).unwrap();
    assert_eq!(cg.cpu, root.join(&nested));
    assert_eq!(fs.read(&cg, &id()).unwrap().mem_limit, Some(256 << 20));
    // Forms Docker allows but that are not plain slices go to the API.
    assert!(fs.locate(&id(), &systemd(Some("apps.slice:docker:x"))).is_none());
    assert!(fs.locate(&id(), &systemd(Some("-bad-.slice"))).is_none());
    // cgroupfs on v2: /sys/fs/cgroup/docker/<id>.
    v2_tree(&root, &format!("docker/{}", id()), 1, "max");
    assert!(fs.locate(&id(), &cgroupfs(None)).is_some());
    assert_eq!(expand_slice("a-b-c.slice").as_deref(), Some("a.slice/a-b.slice/a-b-c.slice"));
    assert_eq!(expand_slice("-.slice").as_deref(), Some(""));
}

#[test]
fn v2_missing_controllers_leave_their_numbers_out_not_zero() {
    let root = scratch("v2-missing");
    let rel = format!("docker/{}", id());
    v2_tree(&root, &rel, 1, "max");
    std::fs::remove_file(root.join(&rel).join("io.stat")).unwrap();
    std::fs::remove_file(root.join(&rel).join("pids.current")).unwrap();
    let fs = CgroupFs::detect(&root, None).unwrap();
    let cg = fs.locate(&id(), &cgroupfs(None)).unwrap();
    let raw = fs.read(&cg, &id()).unwrap();
    assert_eq!((raw.blk_read_bytes, raw.pids), (None, None));
    assert_eq!(raw.mem_usage, Some(50 << 20));
    // Without cpu.stat or memory.current the cgroup is not used at all.
    std::fs::remove_file(root.join(&rel).join("memory.current")).unwrap();
    assert!(fs.locate(&id(), &cgroupfs(None)).is_none());
}

#[test]
fn the_process_says_where_its_cgroup_is_and_gives_the_network() {
    let root = scratch("v1-proc");
    let proc = scratch("proc");
    // The engine's rule would say /docker, but the process is elsewhere: it wins.
    let rel = format!("custom/{}", id());
    v1_tree(&root, &rel, 7);
    let lines = ["cpu", "cpuacct", "memory", "blkio", "pids"]
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{}:{c}:/{rel}", i + 1))
        .collect::<Vec<_>>()
        .join("\n");
    proc_tree(&proc, 4242, &format!("{lines}\n0::/{rel}\n"), NET_DEV);
    let fs = CgroupFs::detect(&root, Some(&proc)).unwrap();
    let hint = CgroupHint { pid: Some(4242), ..cgroupfs(None) };
    let cg = fs.locate(&id(), &hint).unwrap();
    assert_eq!(cg.cpu, root.join("cpuacct").join(&rel));
    let raw = fs.read(&cg, &id()).unwrap();
    assert_eq!((raw.net_rx_bytes, raw.net_tx_bytes), (Some(1500), Some(2250)), "eth0 + eth1, not lo");
    // Host networking has no counters of its own (the engine reports none).
    let host_net = CgroupHint { network_mode: Some("host".into()), ..hint.clone() };
    assert_eq!(fs.locate(&id(), &host_net).unwrap().net_proc, None);
    // The pid now belongs to something else: the read fails (the caller asks the API).
    write(&proc.join("4242/cgroup"), "0::/user.slice\n");
    assert_eq!(fs.read(&cg, &id()), Err(ReadError::PidMoved));
}

#[test]
fn a_directory_that_does_not_name_the_container_is_never_used() {
    let root = scratch("v1-other");
    v1_tree(&root, "docker/someone-else", 1);
    let proc = scratch("proc-other");
    proc_tree(&proc, 7, "4:memory:/docker/someone-else\n2:cpuacct:/docker/someone-else\n", NET_DEV);
    let fs = CgroupFs::detect(&root, Some(&proc)).unwrap();
    assert!(fs.locate(&id(), &CgroupHint { pid: Some(7), ..cgroupfs(None) }).is_none());
    assert!(CgroupFs::detect(&scratch("empty"), None).is_none(), "not a cgroup mount");
}

#[test]
fn parsers_follow_the_kernel_formats() {
    let ifaces = parse_net_dev(NET_DEV).unwrap();
    let named: Vec<_> = ifaces.iter().map(|i| (i.name.as_str(), i.rx_bytes, i.tx_bytes)).collect();
    assert_eq!(named, [("eth0", 1000, 2000), ("eth1", 500, 250)]);
    let only_lo = NET_DEV.lines().take(3).collect::<Vec<_>>().join("\n");
    assert_eq!(parse_net_dev(&only_lo), Some(vec![]), "no interface but lo");
    assert_eq!(parse_cfs("nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n"), (Some(10), Some(2), Some(5000)));
    assert_eq!(
        parse_cfs("usage_usec 1\nnr_periods 4\nnr_throttled 1\nthrottled_usec 7\n"),
        (Some(4), Some(1), Some(7000))
    );
    assert_eq!(parse_net_dev("garbage"), None);
    assert_eq!(parse_blkio_v1("Total 0\n"), None, "no device listed");
    assert_eq!(parse_io_stat_v2(""), (0, 0));
    assert_eq!(keyed("usage_usec 12\nuser_usec 3", "usage_usec"), Some(12));
}

// ---------------------------------------------------------------- the source

/// The Engine API side: answers every sample with a recognisable frame.
struct Api {
    hint: CgroupHint,
    stats_calls: AtomicU64,
}

#[async_trait]
impl ContainerEngine for Api {
    async fn version(&self) -> Result<EngineVersion, EngineError> {
        Ok(EngineVersion { version: "20.10.24".into(), api_version: "1.41".into(), product: Product::Docker })
    }
    async fn host_info(&self) -> Result<HostInfo, EngineError> {
        Ok(HostInfo { cpus: Some(4), memory: Some(8 << 30), cgroup_driver: Some("cgroupfs".into()) })
    }
    async fn list_containers(&self) -> Result<Vec<ContainerSummary>, EngineError> {
        Ok(vec![])
    }
    async fn inspect_container(&self, _: &ContainerId) -> Result<ContainerDetails, EngineError> {
        Err(EngineError::NotFound)
    }
    async fn act(&self, _: &ContainerId, _: ContainerAction) -> Result<(), EngineError> {
        Ok(())
    }
    async fn cgroup_hint(&self, _: &ContainerId) -> Result<Option<CgroupHint>, EngineError> {
        Ok(Some(self.hint.clone()))
    }
    async fn stats_once(&self, _: &ContainerId) -> Result<RawStats, EngineError> {
        let n = self.stats_calls.fetch_add(1, Ordering::SeqCst);
        Ok(RawStats {
            read_ms: Some(1_800_000_000_000 + n as i64 * 10_000),
            cpu_total_ns: Some(123),
            net_rx_bytes: Some(n * 10_000),
            net_tx_bytes: Some(n * 5_000),
            ..Default::default()
        })
    }
    fn events(&self, _: Option<i64>) -> BoxStream<'static, Result<EngineEvent, EngineError>> {
        Box::pin(futures::stream::pending())
    }
}

fn source(root: &Path, proc: Option<&Path>, hint: CgroupHint) -> (CgroupEngine, Arc<Api>) {
    let api = Arc::new(Api { hint, stats_calls: AtomicU64::new(0) });
    let fs = CgroupFs::detect(root, proc).unwrap();
    (CgroupEngine::new(api.clone(), fs, Duration::from_secs(10)), api)
}

#[tokio::test]
async fn files_removed_mid_run_fall_back_to_the_api_never_to_zeros() {
    let root = scratch("src-removed");
    let rel = format!("docker/{}", id());
    v1_tree(&root, &rel, 9_000);
    let (src, api) = source(&root, None, cgroupfs(None));
    let raw = src.stats_once(&id()).await.unwrap();
    assert_eq!(raw.cpu_total_ns, Some(9_000));
    assert_eq!(raw.online_cpus, Some(4), "the host's CPUs, as the engine says");
    assert_eq!(raw.mem_limit, Some(8 << 30), "unlimited: the host's memory, as the engine says");
    assert_eq!(api.stats_calls.load(Ordering::SeqCst), 0);
    // The container stops: its files vanish.
    for c in ["cpuacct", "memory", "blkio", "pids"] {
        std::fs::remove_dir_all(root.join(c).join(&rel)).unwrap();
    }
    let raw = src.stats_once(&id()).await.unwrap();
    assert_eq!(raw.cpu_total_ns, Some(123), "the Engine API's answer");
    assert_eq!(src.stats.fallbacks.load(Ordering::SeqCst), 1);
    // An unreadable tree (a file where a number should be is a directory).
    v1_tree(&root, &rel, 1);
    let usage = root.join("cpuacct").join(&rel).join("cpuacct.usage");
    std::fs::remove_file(&usage).unwrap();
    std::fs::create_dir(&usage).unwrap();
    src.forget(&id());
    assert_eq!(src.stats_once(&id()).await.unwrap().cpu_total_ns, Some(123));
    // Garbage in a file: the same.
    std::fs::remove_dir(&usage).unwrap();
    write(&usage, "not a number\n");
    src.forget(&id());
    assert_eq!(src.stats_once(&id()).await.unwrap().cpu_total_ns, Some(123));
    assert_eq!(src.stats.reads.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_primed_sample_reads_twice_a_second_apart() {
    let root = scratch("src-primed");
    v2_tree(&root, &format!("docker/{}", id()), 1_000, "max");
    let (src, _) = source(&root, None, cgroupfs(None));
    let raw = src.stats_primed(&id()).await.unwrap();
    let pre = raw.pre_cpu.unwrap();
    assert!(raw.read_ms.unwrap() - pre.read_ms >= 1000);
    assert_eq!(pre.system_cpu_ns, None, "against the wall clock");
}

#[tokio::test]
async fn without_a_visible_proc_the_network_rate_comes_from_the_api() {
    let root = scratch("src-net");
    v1_tree(&root, &format!("docker/{}", id()), 1);
    let (src, api) = source(&root, None, cgroupfs(None));
    assert_eq!(src.stats_once(&id()).await.unwrap().net_rate_bps, None, "one API sample: no rate yet");
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Two API samples 10 s apart (the fake's clock) with 10 000 and 5 000 bytes more.
    src.net.lock().unwrap().get_mut(&id()).unwrap().asked = None;
    src.stats_once(&id()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let raw = src.stats_once(&id()).await.unwrap();
    assert_eq!(raw.net_rate_bps, Some((1000.0, 500.0)));
    assert_eq!(api.stats_calls.load(Ordering::SeqCst), 2, "at the fleet's pace, not every sample");
    assert!(src.stats_source().unwrap().starts_with("cgroup v1 files"));
}

#[tokio::test]
async fn a_tree_without_this_engines_containers_is_given_up_after_three() {
    // Binnacle in a container without the host's tree: its own view has none of them.
    let root = scratch("src-foreign");
    v1_tree(&root, "docker/someone-else", 1);
    let (src, api) = source(&root, None, cgroupfs(None));
    for _ in 0..5 {
        assert_eq!(src.stats_once(&id()).await.unwrap().cpu_total_ns, Some(123));
        src.forget(&id());
    }
    assert_eq!(src.stats.not_found.load(Ordering::SeqCst), 3, "looked for three times, then no more");
    assert_eq!(api.stats_calls.load(Ordering::SeqCst), 5);
    assert!(src.stats_source().unwrap().starts_with("Engine API (no container's cgroup under"));
}
