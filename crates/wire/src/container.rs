//! Containers as the list and the container page show them.

use serde::{Deserialize, Serialize};

use crate::ids::{ContainerId, HostName};

/// Docker's container states, plus `Unknown` for anything a newer engine invents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerState {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    Unknown,
}

impl ContainerState {
    pub fn parse(raw: &str) -> Self {
        match raw.to_ascii_lowercase().as_str() {
            "created" => Self::Created,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" => Self::Restarting,
            "removing" => Self::Removing,
            "exited" => Self::Exited,
            "dead" => Self::Dead,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Removing => "removing",
            Self::Exited => "exited",
            Self::Dead => "dead",
            Self::Unknown => "unknown",
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running | Self::Restarting)
    }

    /// Sort key: running first, then paused/restarting, then the rest.
    pub fn rank(&self) -> u8 {
        match self {
            Self::Running => 0,
            Self::Restarting | Self::Paused => 1,
            Self::Created | Self::Removing => 2,
            Self::Exited | Self::Dead | Self::Unknown => 3,
        }
    }
}

/// One row of the container list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerSummary {
    pub host: HostName,
    pub id: ContainerId,
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    /// Docker's human text, e.g. "Up 3 minutes" or "Exited (0) 2 hours ago".
    pub status: String,
    /// Unix seconds.
    pub created: i64,
    /// Live numbers while the list is open (the fleet tier); None for a
    /// container that is not running or not sampled yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<FleetStats>,
    /// Why `fleet` is empty, in words for a tooltip ("not running", "first sample pending").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet_missing: Option<String>,
    /// Compose project (`com.docker.compose.project`), for search and grouping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The container's Docker labels, kept on the server (the Prometheus
    /// export's whitelist picks from them); never sent, and shared so the
    /// list's copies of a summary do not copy them.
    #[serde(skip)]
    pub labels: std::sync::Arc<[(String, String)]>,
}

/// A container's live numbers in the list: averages over the last fleet
/// interval, computed from the counters (never a spot value), and the
/// last ten minutes as sparkline buckets. `None` is unavailable, never 0.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FleetStats {
    /// % of one core, averaged over the interval ending at `at_ms`.
    pub cpu_pct: Option<f32>,
    pub online_cpus: Option<u32>,
    pub mem_bytes: Option<u64>,
    /// The container's memory limit; None when unlimited.
    pub mem_limit: Option<u64>,
    /// Memory includes the page cache (Podman).
    #[serde(default)]
    pub mem_includes_cache: bool,
    pub net_rx_bps: Option<f32>,
    pub net_tx_bps: Option<f32>,
    /// When the latest values were sampled, ms since the epoch.
    pub at_ms: i64,
    /// Sparkline buckets, oldest first, each `bucket_ms` long, ending at the
    /// newest: CPU is the bucket's maximum (spikes show), memory its last value.
    pub spark_cpu: Vec<Option<f32>>,
    pub spark_mem_kib: Vec<Option<u32>>,
    pub bucket_ms: u32,
}

/// One host's fleet tier: how often its containers are sampled now, and
/// totals for the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostFleet {
    pub host: HostName,
    /// The interval asked for (`BINNACLE_FLEET_INTERVAL`), ms.
    pub interval_ms: u32,
    /// The interval in effect, stretched by the rate cap when the host
    /// has many containers, ms.
    pub effective_interval_ms: u32,
    /// `burst` (Docker before 25: a round at once) or `spread` (over the interval).
    pub mode: String,
    /// Sums over the host's running containers with numbers.
    pub cpu_pct_sum: Option<f32>,
    pub mem_bytes_sum: Option<u64>,
    /// The host's own CPUs and memory.
    pub host_cpus: Option<u32>,
    pub host_memory: Option<u64>,
}

/// A host as last seen: whether its engine answers, since when, why not,
/// how it is reached and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostStatus {
    pub name: HostName,
    pub reachable: bool,
    pub version: Option<String>,
    pub api_version: Option<String>,
    /// Why it is unreachable, in words safe to show ("connection refused",
    /// "TLS: unknown certificate authority", "ssh: Permission denied (publickey)").
    pub error: Option<String>,
    /// When it last became reachable or unreachable, ms since the epoch.
    #[serde(default)]
    pub since_ms: Option<i64>,
    /// How Binnacle reaches it: `unix`, `tcp`, `tcp+tls` or `ssh`.
    #[serde(default)]
    pub transport: String,
    /// `Docker` or `Podman`, once it answered.
    #[serde(default)]
    pub engine: Option<String>,
    /// Actions are refused on this host.
    #[serde(default)]
    pub read_only: bool,
    /// When its container list was last read, ms since the epoch.
    #[serde(default)]
    pub listed_at_ms: Option<i64>,
    /// The machine's CPUs and memory, once known.
    #[serde(default)]
    pub cpus: Option<u32>,
    #[serde(default)]
    pub memory: Option<u64>,
    /// Where its containers' samples come from: "Engine API", or "cgroup v1
    /// files (network from /proc)" and the like for the local host.
    #[serde(default)]
    pub stats_source: Option<String>,
}

/// The list page's data: every host's status and the containers found
/// (all of them, or one page: see [`ContainerList::arrange`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerList {
    pub hosts: Vec<HostStatus>,
    pub containers: Vec<ContainerSummary>,
    /// Each host's fleet tier (empty when the engine has none).
    #[serde(default)]
    pub fleet: Vec<HostFleet>,
    /// Each host's containers over all pages (when the list was arranged).
    #[serde(default)]
    pub counts: Vec<crate::list::HostCount>,
    /// Which page `containers` is (when the list was arranged).
    #[serde(default)]
    pub page: Option<crate::list::ListPage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortBinding {
    /// e.g. "80/tcp"
    pub container_port: String,
    /// e.g. "0.0.0.0:8080", or None when the port is only exposed.
    pub host_binding: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountSummary {
    pub kind: String,
    pub source: String,
    pub destination: String,
    pub read_only: bool,
}

/// What the container page shows: identity, state and a summary of its config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerDetails {
    pub host: HostName,
    pub id: ContainerId,
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    /// RFC 3339 as Docker reports it; None when never started/finished.
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub created: Option<String>,
    pub command: Vec<String>,
    pub entrypoint: Vec<String>,
    pub ports: Vec<PortBinding>,
    pub mounts: Vec<MountSummary>,
    pub restart_policy: String,
    /// The container's own memory limit, bytes; None when unlimited.
    pub memory_limit: Option<u64>,
    pub labels: Vec<(String, String)>,
    /// Names only: values can be secrets and are never sent to the browser.
    pub env_names: Vec<String>,
    /// Binnacle runs read-only: the page offers no actions.
    #[serde(default)]
    pub read_only: bool,
    /// Runs with a terminal: its log is one stream, not stdout and stderr.
    #[serde(default)]
    pub tty: bool,
    /// The image the container was created from, `sha256:...`.
    #[serde(default)]
    pub image_id: String,
    /// `name@sha256:...` for an image pulled from a registry; empty for
    /// one built here (or when the image could not be read).
    #[serde(default)]
    pub repo_digests: Vec<String>,
    /// `1000`, `app:app`; empty means the image's user (root by default).
    #[serde(default)]
    pub user: String,
    /// Empty means the image's (`/` by default).
    #[serde(default)]
    pub working_dir: String,
    /// Restarts since the container was created (or the engine started).
    #[serde(default)]
    pub restart_count: u64,
    /// Networks it is attached to, by name.
    #[serde(default)]
    pub networks: Vec<NetworkAttachment>,
    /// None when the container has no health check.
    #[serde(default)]
    pub health: Option<HealthReport>,
    #[serde(default)]
    pub limits: ResourceLimits,
}

/// One network a container is attached to, with its addresses there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAttachment {
    pub name: String,
    /// `172.18.0.2/16`; None while stopped.
    pub ipv4: Option<String>,
    pub ipv6: Option<String>,
    pub gateway: Option<String>,
    pub mac: Option<String>,
}

/// A health check's verdict and its last runs, as Docker keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// `starting`, `healthy` or `unhealthy`.
    pub status: String,
    /// Failed checks in a row.
    pub failing_streak: u64,
    /// The last checks, newest first (Docker keeps five).
    pub checks: Vec<HealthCheckRun>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheckRun {
    /// RFC 3339.
    pub start: Option<String>,
    pub exit_code: Option<i64>,
    /// What the check printed: the container's text, to show as text.
    pub output: String,
}

/// What the container may use; None (or 0 where Docker says 0) is no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceLimits {
    /// `--cpus`, in billionths of a CPU.
    pub nano_cpus: Option<u64>,
    /// `--cpu-quota` over `--cpu-period`, µs.
    pub cpu_quota: Option<u64>,
    pub cpu_period: Option<u64>,
    /// `--cpu-shares`: a relative weight (1024 is the default), not a limit.
    pub cpu_shares: Option<u64>,
    /// `--cpuset-cpus`, e.g. `0-1`.
    pub cpuset: Option<String>,
    /// `--memory-reservation`, bytes (the soft limit).
    pub memory_reservation: Option<u64>,
    /// `--memory-swap`, bytes of memory and swap together; -1 is unlimited swap.
    pub memory_swap: Option<i64>,
    /// `--pids-limit`.
    pub pids: Option<u64>,
}

impl ResourceLimits {
    /// The CPU limit in CPUs (`--cpus 1.5` is 1.5), from `--cpus` or a
    /// quota and period; None when unlimited.
    pub fn cpus(&self) -> Option<f64> {
        if let Some(n) = self.nano_cpus.filter(|n| *n > 0) {
            return Some(n as f64 / 1e9);
        }
        match (self.cpu_quota, self.cpu_period) {
            (Some(q), Some(p)) if q > 0 && p > 0 => Some(q as f64 / p as f64),
            // Docker's default period is 100 ms.
            (Some(q), None) if q > 0 => Some(q as f64 / 100_000.0),
            _ => None,
        }
    }
}

/// Lifecycle actions the UI offers. On the wire, exactly `"start"`,
/// `"stop"`, `"restart"`, `"pause"` or `"unpause"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum ContainerAction {
    Start,
    Stop,
    Restart,
    Pause,
    Unpause,
}

impl TryFrom<String> for ContainerAction {
    type Error = &'static str;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "start" => Ok(ContainerAction::Start),
            "stop" => Ok(ContainerAction::Stop),
            "restart" => Ok(ContainerAction::Restart),
            "pause" => Ok(ContainerAction::Pause),
            "unpause" => Ok(ContainerAction::Unpause),
            _ => Err("action must be \"start\", \"stop\", \"restart\", \"pause\" or \"unpause\""),
        }
    }
}

impl ContainerAction {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Start => "Start",
            Self::Stop => "Stop",
            Self::Restart => "Restart",
            Self::Pause => "Pause",
            Self::Unpause => "Unpause",
        }
    }
}

/// Formats Unix seconds as `YYYY-MM-DD HH:MM UTC`: the same on server and
/// browser, so hydration never sees a different text.
/// ms since the epoch as ISO 8601 in UTC: `2026-11-29T21:40:05.123Z`.
pub fn format_iso_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

pub fn format_unix_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, (rem % 3600) / 60)
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_format_in_utc() {
        assert_eq!(format_unix_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_unix_utc(1_795_470_000), "2026-11-23 21:40 UTC");
        assert_eq!(format_unix_utc(951_782_400), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn actions_are_exactly_their_lowercase_names() {
        assert_eq!(serde_json::from_str::<ContainerAction>(r#""restart""#).unwrap(), ContainerAction::Restart);
        assert_eq!(serde_json::to_string(&ContainerAction::Stop).unwrap(), r#""stop""#);
        assert_eq!(serde_json::from_str::<ContainerAction>(r#""unpause""#).unwrap(), ContainerAction::Unpause);
        for bad in [r#""kill""#, r#""START""#, r#"{"start": null}"#, "1", "null"] {
            assert!(serde_json::from_str::<ContainerAction>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cpu_limit_comes_from_cpus_or_a_quota_and_period() {
        let cpus = |l: ResourceLimits| l.cpus();
        assert_eq!(cpus(ResourceLimits { nano_cpus: Some(1_500_000_000), ..Default::default() }), Some(1.5));
        assert_eq!(
            cpus(ResourceLimits { cpu_quota: Some(50_000), cpu_period: Some(100_000), ..Default::default() }),
            Some(0.5)
        );
        assert_eq!(cpus(ResourceLimits { cpu_quota: Some(200_000), ..Default::default() }), Some(2.0));
        assert_eq!(cpus(ResourceLimits { cpu_shares: Some(512), ..Default::default() }), None);
        assert_eq!(cpus(ResourceLimits::default()), None);
    }

    #[test]
    fn details_from_an_older_server_still_read() {
        // Written before networks, health and limits were sent.
        let old = r#"{"host":"local","id":"abc123","name":"n","image":"i","state":"running","exit_code":null,
            "oom_killed":false,"started_at":null,"finished_at":null,"created":null,"command":[],"entrypoint":[],
            "ports":[],"mounts":[],"restart_policy":"no","memory_limit":null,"labels":[],"env_names":[]}"#;
        let d: ContainerDetails = serde_json::from_str(old).unwrap();
        assert_eq!((d.networks.len(), d.health, d.limits.cpus(), d.restart_count), (0, None, None, 0));
    }

    #[test]
    fn running_sorts_before_exited() {
        assert!(ContainerState::Running.rank() < ContainerState::Exited.rank());
        assert_eq!(ContainerState::parse("RUNNING"), ContainerState::Running);
        assert_eq!(ContainerState::parse("weird"), ContainerState::Unknown);
    }
}
