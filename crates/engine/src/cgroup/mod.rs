//! The local host's numbers straight from the kernel: a container's cgroup
//! files (cgroup v1 or v2) and its init process's `/proc/<pid>/net/dev`,
//! read by Binnacle instead of asking the daemon to read them, build a JSON
//! document and send it. The values are the Engine API's, by the same
//! formulas (see `metrics::formulas`): CPU from the cumulative usage against
//! the wall clock, memory as usage minus the inactive page cache.
//!
//! Where the files are comes from the engine: the container's init pid
//! (its `/proc/<pid>/cgroup` when the host's `/proc` is visible), else the
//! engine's cgroup driver and the container's cgroup parent. A directory
//! is used only when its path names the container's full id. Anything
//! missing or unreadable is an error here, and the caller asks the Engine
//! API instead: never a zero.

mod source;

use std::path::{Path, PathBuf};

pub use source::{CgroupEngine, CgroupStats};

use crate::metrics::formulas::{NetInterface, RawStats};
use wire::ContainerId;

/// Which cgroup hierarchy the host mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    V1,
    V2,
}

impl CgroupVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CgroupVersion::V1 => "cgroup v1",
            CgroupVersion::V2 => "cgroup v2",
        }
    }
}

/// What the engine says about where a container's cgroup is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CgroupHint {
    /// The container's init process (0 or None when it is not running).
    pub pid: Option<u32>,
    /// `cgroupfs` or `systemd` (`docker info`).
    pub driver: Option<String>,
    /// `HostConfig.CgroupParent`, empty for the engine's default.
    pub parent: Option<String>,
    /// `HostConfig.NetworkMode`: `host`, `none` and `container:…` have no
    /// network counters of their own (the engine reports none either).
    pub network_mode: Option<String>,
}

impl CgroupHint {
    fn own_network(&self) -> bool {
        let mode = self.network_mode.as_deref().unwrap_or("default");
        !(mode == "host" || mode == "none" || mode.starts_with("container:"))
    }
}

/// A container's cgroup directories, found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerCgroup {
    pub version: CgroupVersion,
    /// v1: the cpuacct, memory, blkio and pids directories; v2: the one directory (four times).
    pub cpu: PathBuf,
    /// v1: the cpu controller's directory (CFS counters in `cpu.stat`).
    pub cfs: PathBuf,
    pub memory: PathBuf,
    pub io: PathBuf,
    pub pids: PathBuf,
    /// `<proc>/<pid>` of the container's init process, when visible and the
    /// container has a network of its own: the network counters come from
    /// its `net/dev`.
    pub net_proc: Option<PathBuf>,
}

/// The host's cgroup tree (and `/proc`, when it is the host's).
#[derive(Debug, Clone)]
pub struct CgroupFs {
    pub root: PathBuf,
    pub version: CgroupVersion,
    pub proc_root: Option<PathBuf>,
}

/// Why a read failed: the caller falls back to the Engine API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("{0}: {1}")]
    Io(String, String),
    #[error("{0}: unexpected content")]
    Parse(String),
    #[error("the process is no longer the container's")]
    PidMoved,
}

impl CgroupFs {
    /// The tree at `root` when it is a cgroup mount Binnacle can read:
    /// v2 has `cgroup.controllers` at its root; v1 has a `memory` and a
    /// `cpuacct` hierarchy.
    pub fn detect(root: &Path, proc_root: Option<&Path>) -> Option<CgroupFs> {
        let version = if root.join("cgroup.controllers").is_file() {
            CgroupVersion::V2
        } else if root.join("memory").is_dir() && root.join("cpuacct").is_dir() {
            CgroupVersion::V1
        } else {
            return None;
        };
        let proc_root = proc_root.filter(|p| p.join("self").exists()).map(Path::to_path_buf);
        Some(CgroupFs { root: root.to_path_buf(), version, proc_root })
    }

    /// Finds the container's cgroup from what the engine said, or None.
    pub fn locate(&self, id: &ContainerId, hint: &CgroupHint) -> Option<ContainerCgroup> {
        let pid = hint.pid.filter(|p| *p > 0);
        let proc_dir = match (&self.proc_root, pid) {
            (Some(proc), Some(pid)) => Some(proc.join(pid.to_string())),
            _ => None,
        };
        // The process's own view first (authoritative), then the driver's rule.
        let from_proc = proc_dir.as_ref().and_then(|d| std::fs::read_to_string(d.join("cgroup")).ok());
        let found = from_proc
            .and_then(|text| self.locate_by_process(&text, id))
            .or_else(|| self.locate_by_driver(id, hint.driver.as_deref(), hint.parent.as_deref()))?;
        // Network from the process only when it is indeed in that cgroup.
        let net_proc = proc_dir.filter(|d| {
            hint.own_network()
                && std::fs::read_to_string(d.join("cgroup")).is_ok_and(|t| t.contains(id.as_str()))
                && std::fs::read_to_string(d.join("net/dev")).is_ok()
        });
        Some(ContainerCgroup { net_proc, ..found })
    }

    /// From `/proc/<pid>/cgroup`: `hierarchy:controllers:path` lines (v1)
    /// or the `0::path` line (v2).
    fn locate_by_process(&self, text: &str, id: &ContainerId) -> Option<ContainerCgroup> {
        let mut v2 = None;
        let mut v1: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else { continue };
            if controllers.is_empty() {
                v2 = Some(path);
            } else {
                for c in controllers.split(',') {
                    v1.insert(c, path);
                }
            }
        }
        match self.version {
            CgroupVersion::V2 => self.v2_dir(v2?, id),
            CgroupVersion::V1 => {
                let dir = |controller: &str| -> Option<PathBuf> {
                    let rel = v1.get(controller)?;
                    Some(self.root.join(controller).join(rel.trim_start_matches('/')))
                };
                let cpuacct = dir("cpuacct")?;
                let cfs = dir("cpu").unwrap_or_else(|| cpuacct.clone());
                self.v1_dirs([cpuacct, cfs, dir("memory")?, dir("blkio")?, dir("pids")?], id)
            }
        }
    }

    /// From the engine's cgroup driver and the container's cgroup parent,
    /// as Docker names them: cgroupfs `<parent or /docker>/<id>`, systemd
    /// `<parent slice or system.slice>/docker-<id>.scope`.
    fn locate_by_driver(
        &self,
        id: &ContainerId,
        driver: Option<&str>,
        parent: Option<&str>,
    ) -> Option<ContainerCgroup> {
        let parent = parent.filter(|p| !p.is_empty());
        let rel = match driver? {
            "cgroupfs" => format!("{}/{}", parent.unwrap_or("/docker").trim_matches('/'), id.as_str()),
            "systemd" => {
                let slice = parent.unwrap_or("system.slice");
                // "slice:prefix:name" parents are left to the Engine API.
                if slice.contains(':') || !slice.ends_with(".slice") {
                    return None;
                }
                format!("{}/docker-{}.scope", expand_slice(slice)?, id.as_str())
            }
            _ => return None,
        };
        match self.version {
            CgroupVersion::V2 => self.v2_dir(&rel, id),
            CgroupVersion::V1 => {
                let dir = |c: &str| self.root.join(c).join(&rel);
                self.v1_dirs([dir("cpuacct"), dir("cpu"), dir("memory"), dir("blkio"), dir("pids")], id)
            }
        }
    }

    fn v2_dir(&self, rel: &str, id: &ContainerId) -> Option<ContainerCgroup> {
        let dir = self.root.join(rel.trim_start_matches('/'));
        let ok = names_container(&dir, id) && dir.join("cpu.stat").is_file() && dir.join("memory.current").is_file();
        ok.then(|| ContainerCgroup {
            version: CgroupVersion::V2,
            cpu: dir.clone(),
            cfs: dir.clone(),
            memory: dir.clone(),
            io: dir.clone(),
            pids: dir,
            net_proc: None,
        })
    }
    fn v1_dirs(&self, [cpu, cfs, memory, io, pids]: [PathBuf; 5], id: &ContainerId) -> Option<ContainerCgroup> {
        let ok = names_container(&cpu, id)
            && names_container(&memory, id)
            && cpu.join("cpuacct.usage").is_file()
            && memory.join("memory.usage_in_bytes").is_file();
        ok.then_some(ContainerCgroup { version: CgroupVersion::V1, cpu, cfs, memory, io, pids, net_proc: None })
    }

    /// One sample, stamped with the wall clock.
    pub fn read(&self, cg: &ContainerCgroup, id: &ContainerId) -> Result<RawStats, ReadError> {
        let read_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        let mut raw = match cg.version {
            CgroupVersion::V1 => read_v1(cg)?,
            CgroupVersion::V2 => read_v2(cg)?,
        };
        raw.read_ms = Some(read_ms);
        if let Some(proc_dir) = &cg.net_proc {
            // A pid can be reused once the container is gone: check it is still the container's.
            let own = std::fs::read_to_string(proc_dir.join("cgroup")).map_err(|e| io_error(proc_dir, e))?;
            if !own.contains(id.as_str()) {
                return Err(ReadError::PidMoved);
            }
            let path = proc_dir.join("net/dev");
            let interfaces =
                parse_net_dev(&read_file(&path)?).ok_or_else(|| ReadError::Parse(path.display().to_string()))?;
            if !interfaces.is_empty() {
                raw.net_rx_bytes = Some(interfaces.iter().map(|i| i.rx_bytes).sum());
                raw.net_tx_bytes = Some(interfaces.iter().map(|i| i.tx_bytes).sum());
            }
            raw.net_interfaces = interfaces;
        }
        Ok(raw)
    }
}

/// Whether a cgroup directory's own name carries the container's full id.
fn names_container(dir: &Path, id: &ContainerId) -> bool {
    dir.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(id.as_str()))
}

/// systemd's slice nesting: `a-b.slice` lives in `a.slice/a-b.slice`.
fn expand_slice(slice: &str) -> Option<String> {
    if slice == "-.slice" {
        return Some(String::new());
    }
    let name = slice.strip_suffix(".slice")?;
    if name.is_empty() || name.starts_with('-') || name.ends_with('-') || name.contains("--") || name.contains('/') {
        return None;
    }
    let mut path = Vec::new();
    let mut prefix = String::new();
    for part in name.split('-') {
        if !prefix.is_empty() {
            prefix.push('-');
        }
        prefix.push_str(part);
        path.push(format!("{prefix}.slice"));
    }
    Some(path.join("/"))
}

fn io_error(path: &Path, e: std::io::Error) -> ReadError {
    ReadError::Io(path.display().to_string(), e.kind().to_string())
}

fn read_file(path: &Path) -> Result<String, ReadError> {
    std::fs::read_to_string(path).map_err(|e| io_error(path, e))
}

/// A file holding one number.
fn read_u64(path: &Path) -> Result<u64, ReadError> {
    read_file(path)?.trim().parse().map_err(|_| ReadError::Parse(path.display().to_string()))
}

/// A limit: a number, or `max` (v2) for none.
fn read_limit(path: &Path) -> Result<Option<u64>, ReadError> {
    let text = read_file(path)?;
    match text.trim() {
        "max" => Ok(None),
        n => n.parse().map(Some).map_err(|_| ReadError::Parse(path.display().to_string())),
    }
}

/// `key value` lines (`memory.stat`, `cpu.stat`).
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// An optional file: absent (controller not enabled) is None, not an error.
fn optional<T>(r: Result<T, ReadError>) -> Result<Option<T>, ReadError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ReadError::Io(_, kind)) if kind == std::io::ErrorKind::NotFound.to_string() => Ok(None),
        Err(e) => Err(e),
    }
}

fn read_v1(cg: &ContainerCgroup) -> Result<RawStats, ReadError> {
    let stat_path = cg.memory.join("memory.stat");
    let stat = read_file(&stat_path)?;
    let limit = read_u64(&cg.memory.join("memory.limit_in_bytes"))?;
    // CFQ's recursive counters when they have entries, else the throttle
    // policy's, as the engine does.
    let cfq = optional(read_file(&cg.io.join("blkio.io_service_bytes_recursive")))?;
    let blk = match cfq.and_then(|t| parse_blkio_v1(&t)) {
        Some(v) => Some(v),
        None => optional(read_file(&cg.io.join("blkio.throttle.io_service_bytes_recursive")))?
            .map(|t| parse_blkio_v1(&t).unwrap_or((0, 0))),
    };
    let (cpu_periods, cpu_throttled_periods, cpu_throttled_ns) =
        optional(read_file(&cg.cfs.join("cpu.stat")))?.map(|t| parse_cfs(&t)).unwrap_or_default();
    Ok(RawStats {
        cpu_periods,
        cpu_throttled_periods,
        cpu_throttled_ns,
        cpu_total_ns: Some(read_u64(&cg.cpu.join("cpuacct.usage"))?),
        mem_usage: Some(read_u64(&cg.memory.join("memory.usage_in_bytes"))?),
        mem_inactive_file: keyed(&stat, "total_inactive_file").or_else(|| keyed(&stat, "inactive_file")),
        // An unlimited v1 cgroup says 2^63 rounded to pages: no limit of its own.
        mem_limit: Some(limit).filter(|l| *l < (1 << 62)),
        blk_read_bytes: blk.map(|b| b.0),
        blk_write_bytes: blk.map(|b| b.1),
        pids: optional(read_u64(&cg.pids.join("pids.current")))?,
        ..RawStats::default()
    })
}

fn read_v2(cg: &ContainerCgroup) -> Result<RawStats, ReadError> {
    let cpu_path = cg.cpu.join("cpu.stat");
    let cpu_stat = read_file(&cpu_path)?;
    let usage_usec = keyed(&cpu_stat, "usage_usec").ok_or_else(|| ReadError::Parse(cpu_path.display().to_string()))?;
    let (cpu_periods, cpu_throttled_periods, cpu_throttled_ns) = parse_cfs(&cpu_stat);
    let stat = read_file(&cg.memory.join("memory.stat"))?;
    let io = optional(read_file(&cg.io.join("io.stat")))?.map(|t| parse_io_stat_v2(&t));
    Ok(RawStats {
        cpu_periods,
        cpu_throttled_periods,
        cpu_throttled_ns,
        cpu_total_ns: Some(usage_usec * 1000),
        mem_usage: Some(read_u64(&cg.memory.join("memory.current"))?),
        mem_inactive_file: keyed(&stat, "inactive_file"),
        mem_limit: optional(read_limit(&cg.memory.join("memory.max")))?.flatten(),
        blk_read_bytes: io.map(|b| b.0),
        blk_write_bytes: io.map(|b| b.1),
        pids: optional(read_u64(&cg.pids.join("pids.current")))?,
        ..RawStats::default()
    })
}

/// v1 `blkio.*io_service_bytes_recursive`: `8:0 Read 4096` lines and a
/// `Total` line; the reads and writes summed over devices. None when it
/// lists no device.
fn parse_blkio_v1(text: &str) -> Option<(u64, u64)> {
    let (mut read, mut write, mut any) = (0u64, 0u64, false);
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(_dev), Some(op), Some(v)) = (f.next(), f.next(), f.next()) else { continue };
        let Ok(v) = v.parse::<u64>() else { continue };
        any = true;
        match op {
            "Read" => read += v,
            "Write" => write += v,
            _ => {}
        }
    }
    any.then_some((read, write))
}

/// v2 `io.stat`: `8:0 rbytes=1 wbytes=2 rios=3 ...` per device.
fn parse_io_stat_v2(text: &str) -> (u64, u64) {
    let (mut read, mut write) = (0u64, 0u64);
    for field in text.split_whitespace() {
        if let Some(v) = field.strip_prefix("rbytes=") {
            read += v.parse::<u64>().unwrap_or(0);
        } else if let Some(v) = field.strip_prefix("wbytes=") {
            write += v.parse::<u64>().unwrap_or(0);
        }
    }
    (read, write)
}

/// `/proc/<pid>/net/dev`: each interface but loopback with the bytes it
/// received and sent (as the engine counts them), by name. Malformed: None.
fn parse_net_dev(text: &str) -> Option<Vec<NetInterface>> {
    let mut out = Vec::new();
    let mut header = 0;
    for line in text.lines() {
        let Some((name, counters)) = line.split_once(':') else {
            header += 1;
            continue;
        };
        let name = name.trim();
        if name == "lo" {
            continue;
        }
        let f: Vec<u64> = counters.split_whitespace().filter_map(|v| v.parse().ok()).collect();
        if f.len() < 16 {
            return None;
        }
        out.push(NetInterface { name: name.to_string(), rx_bytes: f[0], tx_bytes: f[8] });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    (header == 2).then_some(out)
}

/// CFS counters of `cpu.stat`: v1 `nr_periods`, `nr_throttled`,
/// `throttled_time` (ns); v2 the same with `throttled_usec`.
fn parse_cfs(text: &str) -> (Option<u64>, Option<u64>, Option<u64>) {
    let throttled_ns = keyed(text, "throttled_time").or_else(|| keyed(text, "throttled_usec").map(|us| us * 1000));
    (keyed(text, "nr_periods"), keyed(text, "nr_throttled"), throttled_ns)
}

#[cfg(test)]
mod tests;
