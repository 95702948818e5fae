//! Settings from flags and environment variables of the same meaning, plus a
//! `.env` file when present. Every value has a default that works locally.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use secrecy::{ExposeSecret, SecretString};

/// Binnacle: a self-hosted web dashboard for Docker.
#[derive(Parser, Debug, Clone)]
#[command(name = "binnacle", version, about)]
pub struct Settings {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Who may use Binnacle: a password and login page, a trusted reverse
    /// proxy's user header, or nobody checks (loopback only).
    #[arg(long, env = "BINNACLE_AUTH", value_name = "BINNACLE_AUTH", value_enum, default_value = "password")]
    pub auth: crate::auth::AuthMode,

    /// argon2 PHC string of the password (make one with `binnacle hash-password`).
    #[arg(long, env = "BINNACLE_PASSWORD_HASH", value_name = "BINNACLE_PASSWORD_HASH", hide_env_values = true,
          value_parser = parse_secret)]
    pub password_hash: Option<SecretString>,

    /// The password itself (hashed at start-up); BINNACLE_PASSWORD_HASH is preferred.
    #[arg(long, env = "BINNACLE_PASSWORD", value_name = "BINNACLE_PASSWORD", hide_env_values = true,
          value_parser = parse_secret)]
    pub password: Option<SecretString>,

    /// How long a login lasts.
    #[arg(long, env = "BINNACLE_SESSION_TTL", value_name = "BINNACLE_SESSION_TTL", default_value = "12h",
          value_parser = parse_duration)]
    pub session_ttl: Duration,

    /// The header a trusted reverse proxy puts the authenticated user in.
    #[arg(
        long,
        env = "BINNACLE_FORWARD_AUTH_HEADER",
        value_name = "BINNACLE_FORWARD_AUTH_HEADER",
        default_value = "Remote-User"
    )]
    pub forward_auth_header: String,

    /// Reverse proxies whose forwarded headers are believed: CIDRs or
    /// addresses, comma-separated (e.g. `172.16.0.0/12,127.0.0.1`).
    #[arg(long, env = "BINNACLE_TRUSTED_PROXIES", value_name = "BINNACLE_TRUSTED_PROXIES", default_value = "",
          value_parser = parse_cidrs)]
    pub trusted_proxies: Cidrs,

    /// With BINNACLE_AUTH=none, host names besides localhost and loopback
    /// addresses that may reach Binnacle (comma-separated); other Host
    /// headers are refused (DNS rebinding).
    #[arg(long, env = "BINNACLE_ALLOWED_HOSTS", value_name = "BINNACLE_ALLOWED_HOSTS", default_value = "",
          value_parser = parse_names)]
    pub allowed_hosts: Names,

    /// Serve under this sub-path behind a reverse proxy that passes it through
    /// (e.g. `/binnacle`); empty serves at the root.
    #[arg(long, env = "BINNACLE_BASE_PATH", value_name = "BINNACLE_BASE_PATH", default_value = "",
          value_parser = app::base::normalize)]
    pub base_path: String,

    /// Address and port to listen on.
    #[arg(long, env = "BINNACLE_LISTEN", value_name = "BINNACLE_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Docker engine address of the host named "local": unix:///path or tcp://host:port.
    #[arg(
        long = "docker-host",
        env = "DOCKER_HOST",
        value_name = "DOCKER_HOST",
        default_value = "unix:///var/run/docker.sock"
    )]
    pub docker_host: String,

    /// More Docker hosts: a TOML file of `[[host]]` tables (name, url, TLS
    /// files or cert_dir, identity, known_hosts, insecure, read_only).
    #[arg(long, env = "BINNACLE_HOSTS_FILE", value_name = "BINNACLE_HOSTS_FILE")]
    pub hosts_file: Option<std::path::PathBuf>,

    /// More Docker hosts, simply: `name=url,name=url` (e.g.
    /// `nas=tcp://10.0.0.5:2376,vps=ssh://deploy@vps`).
    #[arg(long, env = "BINNACLE_HOSTS", value_name = "BINNACLE_HOSTS", default_value = "")]
    pub hosts: String,

    /// Where BINNACLE_HOSTS finds TLS client certificates: `<dir>/<host name>/`
    /// holding ca.pem, cert.pem and key.pem.
    #[arg(long, env = "BINNACLE_CERTS_DIR", value_name = "BINNACLE_CERTS_DIR", default_value = "/certs")]
    pub certs_dir: std::path::PathBuf,

    /// How often a reachable engine is checked (one that does not answer is re-checked every second).
    #[arg(long, env = "BINNACLE_ENGINE_CHECK_INTERVAL", value_name = "BINNACLE_ENGINE_CHECK_INTERVAL",
          default_value = "5s", value_parser = parse_duration)]
    pub engine_check_interval: Duration,

    /// How often each watched container is sampled.
    #[arg(long, env = "BINNACLE_METRICS_INTERVAL", value_name = "BINNACLE_METRICS_INTERVAL",
          default_value = "1s", value_parser = parse_duration)]
    pub metrics_interval: Duration,

    /// Points kept per container (a ring: the oldest go first).
    #[arg(long, env = "BINNACLE_METRICS_HISTORY", value_name = "BINNACLE_METRICS_HISTORY",
          default_value = "3600", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub metrics_history: u32,

    /// A container whose metrics nobody read for this long has its collector stopped and history freed.
    #[arg(long, env = "BINNACLE_METRICS_IDLE_TIMEOUT", value_name = "BINNACLE_METRICS_IDLE_TIMEOUT",
          default_value = "30m", value_parser = parse_duration)]
    pub metrics_idle_timeout: Duration,

    /// Containers watched at once; beyond it the least recently read is evicted.
    #[arg(long, env = "BINNACLE_METRICS_MAX_CONTAINERS", value_name = "BINNACLE_METRICS_MAX_CONTAINERS",
          default_value = "200", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub metrics_max_containers: u32,

    /// Stats requests in flight at once, per host.
    #[arg(long, env = "BINNACLE_METRICS_MAX_IN_FLIGHT", value_name = "BINNACLE_METRICS_MAX_IN_FLIGHT",
          default_value = "64", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub metrics_max_in_flight: u32,

    /// Time limit of one stats request.
    #[arg(long, env = "BINNACLE_METRICS_REQUEST_TIMEOUT", value_name = "BINNACLE_METRICS_REQUEST_TIMEOUT",
          default_value = "5s", value_parser = parse_duration)]
    pub metrics_request_timeout: Duration,

    /// How often the list's live numbers are sampled for every running
    /// container while anyone has the list open.
    #[arg(long, env = "BINNACLE_FLEET_INTERVAL", value_name = "BINNACLE_FLEET_INTERVAL",
          default_value = "10s", value_parser = parse_duration)]
    pub fleet_interval: Duration,

    /// At most this many stats requests a second per host for the list's
    /// numbers; with more containers the interval stretches.
    #[arg(long, env = "BINNACLE_FLEET_MAX_RATE", value_name = "BINNACLE_FLEET_MAX_RATE", default_value = "5",
          value_parser = parse_rate)]
    pub fleet_max_rate: f64,

    /// The list's numbers stop being sampled this long after the list was last looked at.
    #[arg(long, env = "BINNACLE_FLEET_IDLE_TIMEOUT", value_name = "BINNACLE_FLEET_IDLE_TIMEOUT",
          default_value = "10m", value_parser = parse_duration)]
    pub fleet_idle_timeout: Duration,

    /// Where the long history (10 s to 1 h buckets, a month) is kept across
    /// restarts: one file, written every 5 minutes and at shutdown. Unset:
    /// the history lives in memory only.
    #[arg(long, env = "BINNACLE_DATA_DIR", value_name = "BINNACLE_DATA_DIR")]
    pub data_dir: Option<std::path::PathBuf>,

    /// Containers with a long history, at most (the one seen longest ago goes first).
    #[arg(long, env = "BINNACLE_HISTORY_MAX_CONTAINERS", value_name = "BINNACLE_HISTORY_MAX_CONTAINERS",
          default_value = "500", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub history_max_containers: u32,

    /// Sample every running container at the fleet interval all the time,
    /// so the long history has no holes while nobody looks: `auto` does
    /// when `BINNACLE_DATA_DIR` is set.
    #[arg(
        long,
        env = "BINNACLE_HISTORY_BACKGROUND",
        value_name = "BINNACLE_HISTORY_BACKGROUND",
        value_enum,
        default_value = "auto"
    )]
    pub history_background: AutoOnOff,

    /// Where samples of containers on hosts reached over a unix socket come
    /// from: `auto` reads their cgroup files when found (no daemon work),
    /// else the Engine API; `api` always asks the Engine API.
    #[arg(
        long,
        env = "BINNACLE_STATS_SOURCE",
        value_name = "BINNACLE_STATS_SOURCE",
        value_enum,
        default_value = "auto"
    )]
    pub stats_source: StatsSource,

    /// The host's cgroup tree (mount it read-only when Binnacle runs in a container).
    #[arg(long, env = "BINNACLE_CGROUP_ROOT", value_name = "BINNACLE_CGROUP_ROOT", default_value = "/sys/fs/cgroup")]
    pub cgroup_root: std::path::PathBuf,

    /// The host's `/proc`, for containers' network counters (the host's
    /// own only with `pid: host` when Binnacle runs in a container).
    #[arg(long, env = "BINNACLE_PROC_ROOT", value_name = "BINNACLE_PROC_ROOT", default_value = "/proc")]
    pub proc_root: std::path::PathBuf,

    /// `on` serves `GET /metrics` for Prometheus (OpenMetrics text); the
    /// list's numbers are then sampled all the time.
    #[arg(long, env = "BINNACLE_PROMETHEUS", value_name = "BINNACLE_PROMETHEUS", value_enum, default_value = "off")]
    pub prometheus: OnOff,

    /// The bearer token Prometheus sends (`Authorization: Bearer ...`).
    #[arg(long, env = "BINNACLE_PROMETHEUS_TOKEN", value_name = "BINNACLE_PROMETHEUS_TOKEN", hide_env_values = true,
          value_parser = parse_secret)]
    pub prometheus_token: Option<SecretString>,

    /// A file holding the bearer token (e.g. a Docker secret); read at start-up.
    #[arg(long, env = "BINNACLE_PROMETHEUS_TOKEN_FILE", value_name = "BINNACLE_PROMETHEUS_TOKEN_FILE")]
    pub prometheus_token_file: Option<std::path::PathBuf>,

    /// Serve `/metrics` on this address instead of the main one (for setups
    /// that firewall by port); empty: on the main listener.
    #[arg(long, env = "BINNACLE_PROMETHEUS_LISTEN", value_name = "BINNACLE_PROMETHEUS_LISTEN")]
    pub prometheus_listen: Option<SocketAddr>,

    /// Docker labels exported as `container_label_<name>` (comma-separated
    /// keys, e.g. `com.docker.compose.project,com.docker.compose.service`);
    /// no others, and never environment variables.
    #[arg(long, env = "BINNACLE_PROMETHEUS_LABELS", value_name = "BINNACLE_PROMETHEUS_LABELS", default_value = "")]
    pub prometheus_labels: String,

    /// At most this many series in one scrape; containers beyond it are
    /// left out and `binnacle_prometheus_truncated_containers` says how many.
    #[arg(long, env = "BINNACLE_PROMETHEUS_MAX_SERIES", value_name = "BINNACLE_PROMETHEUS_MAX_SERIES",
          default_value = "20000", value_parser = clap::value_parser!(u32).range(100..=10_000_000))]
    pub prometheus_max_series: u32,

    /// How often browsers poll for new points (default: the metrics interval).
    #[arg(long, env = "BINNACLE_CLIENT_POLL_INTERVAL", value_name = "BINNACLE_CLIENT_POLL_INTERVAL",
          value_parser = parse_duration)]
    pub client_poll_interval: Option<Duration>,

    /// Points a browser keeps for the chart (default: the metrics history).
    #[arg(long, env = "BINNACLE_CLIENT_BUFFER", value_name = "BINNACLE_CLIENT_BUFFER",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub client_buffer: Option<u32>,

    /// Lines of a container's log the Logs tab shows from before it opened.
    #[arg(long, env = "BINNACLE_LOGS_TAIL", value_name = "BINNACLE_LOGS_TAIL", default_value = "1000",
          value_parser = clap::value_parser!(u32).range(0..=wire::MAX_TAIL as i64))]
    pub logs_tail: u32,

    /// Lines a browser keeps in the Logs tab; older ones are dropped.
    #[arg(long, env = "BINNACLE_LOGS_MAX_LINES", value_name = "BINNACLE_LOGS_MAX_LINES", default_value = "10000",
          value_parser = clap::value_parser!(u32).range(100..=1_000_000))]
    pub logs_max_lines: u32,

    /// Refuse start/stop/restart (and hide them in the UI); a host's own
    /// `read_only` in the hosts file overrides it.
    #[arg(long, env = "BINNACLE_READ_ONLY", value_name = "BINNACLE_READ_ONLY", default_value_t = false,
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub read_only: bool,

    /// Log filter (tracing's EnvFilter syntax), e.g. `info` or `info,engine=debug`
    /// (the engine in detail) or `info,tower_http=debug` (every request). Default:
    /// RUST_LOG when set, else `info`.
    #[arg(long, env = "BINNACLE_LOG", value_name = "BINNACLE_LOG")]
    pub log: Option<String>,
}

/// An on/off switch.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOff {
    On,
    Off,
}

/// On, off, or decided by other settings.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoOnOff {
    Auto,
    On,
    Off,
}

/// `BINNACLE_STATS_SOURCE`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsSource {
    Auto,
    Api,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Command {
    /// Reads a password on standard input and prints its argon2 hash for BINNACLE_PASSWORD_HASH.
    HashPassword,
}

/// The log filter example shown in `--help` and the README; a test checks it works.
pub const LOG_EXAMPLE: &str = "info,engine=debug";

#[derive(Debug, Clone, Default)]
pub struct Cidrs(pub Vec<ipnet::IpNet>);

#[derive(Debug, Clone, Default)]
pub struct Names(pub Vec<String>);

/// `a.lan, b.lan` -> names, lowercased.
pub fn parse_names(raw: &str) -> Result<Names, String> {
    let mut out = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if !part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
            return Err(format!("{part:?} is not a host name"));
        }
        out.push(part.to_ascii_lowercase());
    }
    Ok(Names(out))
}

/// Secrets are kept out of `Debug` output and zeroed when dropped.
fn parse_secret(raw: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(raw))
}

/// `10.0.0.0/8, 127.0.0.1` -> networks; a bare address is a /32 or /128.
pub fn parse_cidrs(raw: &str) -> Result<Cidrs, String> {
    let mut out = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let net = match part.parse::<ipnet::IpNet>() {
            Ok(net) => net,
            Err(_) => part
                .parse::<std::net::IpAddr>()
                .map(ipnet::IpNet::from)
                .map_err(|_| format!("{part:?} is not a CIDR like 10.0.0.0/8 or an address"))?,
        };
        out.push(net);
    }
    Ok(Cidrs(out))
}

/// A positive number of requests a second, like `5` or `0.5`.
fn parse_rate(raw: &str) -> Result<f64, String> {
    match raw.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 && r <= 10_000.0 => Ok(r),
        _ => Err("must be a number of requests a second above 0, like 5".into()),
    }
}

/// Durations are written like `500ms`, `1s`, `30m`, `2h`.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(raw.trim()).map_err(|e| format!("{e} (write durations like 1s, 500ms, 30m)"))?;
    if d.is_zero() {
        return Err("must be greater than zero".into());
    }
    Ok(d)
}

impl Settings {
    pub fn auth_config(&self) -> crate::auth::AuthConfig {
        crate::auth::AuthConfig {
            mode: self.auth,
            password_hash: self.password_hash.clone().filter(|h| !h.expose_secret().is_empty()),
            password: self.password.clone(),
            session_ttl: self.session_ttl,
            forward_header: self.forward_auth_header.clone(),
            trusted_proxies: self.trusted_proxies.0.clone(),
            listen: self.listen,
            base_path: self.base_path.clone(),
        }
    }

    /// Every host to watch: `local` (DOCKER_HOST), then the hosts file's,
    /// then BINNACLE_HOSTS'. On a bad entry, one line naming where it is.
    pub fn host_configs(&self) -> Result<Vec<crate::hosts_config::HostConfig>, String> {
        use crate::hosts_config::{HostConfig, all_hosts, parse_hosts_file, parse_hosts_list};
        let local = HostConfig {
            name: wire::HostName::parse("local").map_err(|e| e.to_string())?,
            endpoint: engine::endpoint::Endpoint::parse(&self.docker_host)
                .map_err(|why| format!("error: invalid value for DOCKER_HOST: {why}"))?,
            read_only: None,
        };
        let file = match &self.hosts_file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("error: BINNACLE_HOSTS_FILE {}: cannot read it: {e}", path.display()))?;
                parse_hosts_file(path, &text)?
            }
            None => Vec::new(),
        };
        let list = parse_hosts_list(&self.hosts, &self.certs_dir)?;
        all_hosts(local, file, list)
    }

    /// The effective log filter: BINNACLE_LOG, else RUST_LOG, else `info`.
    pub fn log_filter(&self) -> String {
        self.log
            .clone()
            .or_else(|| std::env::var("RUST_LOG").ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| "info".into())
    }

    /// The cgroup source over `api`, when `BINNACLE_STATS_SOURCE=auto` and
    /// the cgroup tree is readable here (None: the Engine API alone).
    pub fn cgroup_source(
        &self,
        api: std::sync::Arc<dyn engine::port::ContainerEngine>,
    ) -> Option<std::sync::Arc<dyn engine::port::ContainerEngine>> {
        if self.stats_source == StatsSource::Api {
            return None;
        }
        let Some(fs) = engine::cgroup::CgroupFs::detect(&self.cgroup_root, Some(&self.proc_root)) else {
            tracing::info!(root = %self.cgroup_root.display(), "no readable cgroup tree: samples come from the Engine API");
            return None;
        };
        Some(std::sync::Arc::new(engine::cgroup::CgroupEngine::new(api, fs, self.fleet_interval)))
    }

    pub fn metrics_config(&self) -> engine::MetricsConfig {
        engine::MetricsConfig {
            interval: self.metrics_interval,
            history: self.metrics_history as usize,
            idle_timeout: self.metrics_idle_timeout,
            max_containers: self.metrics_max_containers as usize,
            max_in_flight: self.metrics_max_in_flight as usize,
            request_timeout: self.metrics_request_timeout,
            client_poll_interval: self.client_poll_interval,
            client_buffer: self.client_buffer.map(|b| b as usize),
            fleet: engine::FleetConfig {
                interval: self.fleet_interval,
                max_rate: self.fleet_max_rate,
                idle_timeout: self.fleet_idle_timeout,
                always_on: self.prometheus == OnOff::On || self.history_sampled_always(),
                ..Default::default()
            },
            history_tiers: engine::history::HistoryConfig {
                max_containers: self.history_max_containers as usize,
                ..Default::default()
            },
        }
    }

    /// Whether the fleet samples all the time for the long history.
    pub fn history_sampled_always(&self) -> bool {
        match self.history_background {
            AutoOnOff::Auto => self.data_dir.is_some(),
            AutoOnOff::On => true,
            AutoOnOff::Off => false,
        }
    }

    /// Reads `.env` (if any), then flags and environment. On a bad value,
    /// returns one line that names the setting.
    pub fn load() -> Result<Settings, String> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(format!("error: cannot read .env: {e}")),
        }
        Self::from_args(std::env::args_os())
    }

    pub fn from_args<I, T>(args: I) -> Result<Settings, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Settings::try_parse_from(args).map_err(|e| match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => e.exit(),
            _ => e.render().to_string().lines().next().unwrap_or("error: invalid settings").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_port_3000() {
        let s = Settings::from_args(["binnacle"]).unwrap();
        assert_eq!(s.listen, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(s.engine_check_interval, Duration::from_secs(5));
    }

    #[test]
    fn a_bad_listen_address_names_the_setting_in_one_line() {
        let err = Settings::from_args(["binnacle", "--listen", "nowhere"]).unwrap_err();
        assert!(err.contains("BINNACLE_LISTEN"), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn trusted_proxies_read_cidrs_and_addresses() {
        let c = parse_cidrs("10.0.0.0/8, 127.0.0.1,::1").unwrap();
        assert_eq!(c.0.len(), 3);
        assert!(parse_cidrs("").unwrap().0.is_empty());
        let err = Settings::from_args(["binnacle", "--trusted-proxies", "nope"]).unwrap_err();
        assert!(err.contains("BINNACLE_TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn a_bad_base_path_names_the_setting() {
        let err = Settings::from_args(["binnacle", "--base-path", "binnacle"]).unwrap_err();
        assert!(err.contains("BINNACLE_BASE_PATH"), "{err}");
        assert_eq!(Settings::from_args(["binnacle", "--base-path", "/b/"]).unwrap().base_path, "/b");
    }

    #[test]
    fn password_auth_is_the_default() {
        assert_eq!(Settings::from_args(["binnacle"]).unwrap().auth, crate::auth::AuthMode::Password);
    }

    #[test]
    fn metrics_defaults_match_the_readme() {
        let m = Settings::from_args(["binnacle"]).unwrap().metrics_config();
        assert_eq!(m.interval, Duration::from_secs(1));
        assert_eq!(m.history, 3600);
        assert_eq!(m.idle_timeout, Duration::from_secs(1800));
        assert_eq!(m.max_containers, 200);
    }

    #[test]
    fn a_zero_history_is_refused_naming_the_setting() {
        let err = Settings::from_args(["binnacle", "--metrics-history", "0"]).unwrap_err();
        assert!(err.contains("BINNACLE_METRICS_HISTORY"), "{err}");
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
