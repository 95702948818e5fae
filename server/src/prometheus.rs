//! `GET /metrics`: what Binnacle already holds, for Prometheus, in
//! OpenMetrics text under cAdvisor's series names so existing dashboards
//! work. Off by default. A scrape encodes the latest sample of each running
//! container (from the tiers: cgroup files or the Engine API, at the fleet
//! cadence or every second while a Stats tab reads) and never asks an
//! engine anything; samples older than three fleet intervals are left out.
//! Access is by bearer token only (never the session cookie).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use engine::ContainerStatsManager;
use engine::metrics::export::{ExportHost, ExportSnapshot};
use engine::metrics::fleet::ExportSample;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelValue, LabelValueEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use wire::ContainerSummary;

use crate::auth::AuthMode;
use crate::settings::{OnOff, Settings};

/// Requests Binnacle has answered (every listener), for `binnacle_http_requests_total`.
pub static HTTP_REQUESTS: AtomicU64 = AtomicU64::new(0);

/// The OpenMetrics content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub struct Prometheus {
    token: Option<SecretString>,
    /// Docker label keys to export, with their series label names.
    labels: Vec<(String, String)>,
    max_series: usize,
    /// Its own listener, when not the main one.
    pub listen: Option<SocketAddr>,
    metrics: Arc<ContainerStatsManager>,
}

impl Prometheus {
    /// From the settings: None when off; a line naming the setting when
    /// the token is missing or unreadable.
    pub fn from_settings(
        settings: &Settings,
        metrics: Arc<ContainerStatsManager>,
    ) -> Result<Option<Prometheus>, String> {
        if settings.prometheus == OnOff::Off {
            return Ok(None);
        }
        let token = match (&settings.prometheus_token, &settings.prometheus_token_file) {
            (Some(t), _) => Some(t.clone()),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    format!("error: cannot read BINNACLE_PROMETHEUS_TOKEN_FILE={}: {e}", path.display())
                })?;
                Some(SecretString::from(text.trim().to_string()))
            }
            (None, None) => None,
        };
        if token.as_ref().is_some_and(|t| t.expose_secret().len() < 16) {
            return Err("error: invalid value for BINNACLE_PROMETHEUS_TOKEN: use at least 16 characters".into());
        }
        let address = settings.prometheus_listen.unwrap_or(settings.listen);
        if token.is_none() && !(settings.auth == AuthMode::None && address.ip().is_loopback()) {
            return Err(
                "error: BINNACLE_PROMETHEUS=on needs BINNACLE_PROMETHEUS_TOKEN or BINNACLE_PROMETHEUS_TOKEN_FILE \
                        (only BINNACLE_AUTH=none on a loopback address may go without)"
                    .into(),
            );
        }
        let labels = whitelist(&settings.prometheus_labels)?;
        Ok(Some(Prometheus {
            token,
            labels,
            max_series: settings.prometheus_max_series as usize,
            listen: settings.prometheus_listen,
            metrics,
        }))
    }

    /// `Authorization: Bearer <token>` (the scheme in any case), compared
    /// in constant time: digests of both sides, so not even the token's
    /// length shows in the time taken.
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else { return true };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .unwrap_or_default();
        let digest = |t: &str| Sha256::digest(t.as_bytes());
        bool::from(digest(given).ct_eq(&digest(token.expose_secret())))
    }

    /// Whether a bearer token is asked for.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub fn render(&self) -> String {
        render(self.metrics.export(), &self.labels, self.max_series, HTTP_REQUESTS.load(Ordering::Relaxed))
    }
}

/// The handler: 401 without the right token, else the scrape.
pub async fn scrape(State(p): State<Arc<Prometheus>>, headers: HeaderMap) -> Response {
    if !p.authorized(&headers) {
        let mut res = (StatusCode::UNAUTHORIZED, "a bearer token is needed\n").into_response();
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    }
    let body = p.render();
    // Prometheus asks for OpenMetrics; curl, promtool and older scrapers
    // get the classic text format, as Prometheus's own Go client does it.
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    if openmetrics {
        ([(header::CONTENT_TYPE, CONTENT_TYPE), (header::CACHE_CONTROL, "no-store")], body).into_response()
    } else {
        ([(header::CONTENT_TYPE, CLASSIC_CONTENT_TYPE), (header::CACHE_CONTROL, "no-store")], classic(&body))
            .into_response()
    }
}

/// The classic text format's content type (Prometheus before OpenMetrics).
pub const CLASSIC_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// OpenMetrics text as the classic format writes it: a counter's family is
/// named with its `_total`, and there is no `# EOF`. Only comment lines
/// change: a sample line's label values cannot start a line (newlines are
/// escaped).
pub fn classic(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        openmetrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(openmetrics.len() + 16 * counters.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let comment = line
            .strip_prefix("# HELP ")
            .map(|r| ("# HELP ", r))
            .or_else(|| line.strip_prefix("# TYPE ").map(|r| ("# TYPE ", r)));
        match comment.and_then(|(kind, rest)| rest.split_once(' ').map(|(name, tail)| (kind, name, tail))) {
            Some((kind, name, tail)) if counters.contains(name) => {
                let _ = writeln!(out, "{kind}{name}_total {tail}");
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// `BINNACLE_PROMETHEUS_LABELS`: each key once, with its label name; two
/// keys that would share a name (`a.b` and `a-b`) are refused, since a
/// series with a label twice fails the whole scrape.
fn whitelist(keys: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for key in keys.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let label = format!("container_label_{}", sanitize(key));
        match out.iter().find(|(_, l)| *l == label) {
            Some((k, _)) if k == key => {}
            Some((k, _)) => {
                return Err(format!(
                    "error: invalid value for BINNACLE_PROMETHEUS_LABELS: `{k}` and `{key}` would both be `{label}`"
                ));
            }
            None => out.push((key.to_string(), label)),
        }
    }
    Ok(out)
}

/// A label name from a Docker label key: what Prometheus allows, `_` for the rest.
fn sanitize(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

/// A label value, escaped as the text format wants (the client library
/// writes values as given).
struct Esc<'a>(&'a str);

impl EncodeLabelValue for Esc<'_> {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        let mut rest = self.0;
        while let Some(i) = rest.find(['\\', '"', '\n']) {
            encoder.write_str(&rest[..i])?;
            encoder.write_str(match rest.as_bytes()[i] {
                b'\\' => "\\\\",
                b'"' => "\\\"",
                _ => "\\n",
            })?;
            rest = &rest[i + 1..];
        }
        encoder.write_str(rest)
    }
}

type Labels<'a> = Vec<(Cow<'static, str>, Esc<'a>)>;

/// One container as encoded: its labels and sample.
struct Row<'a> {
    labels: Labels<'a>,
    sample: &'a ExportSample,
    /// CFS counters are shown (a CPU limit exists, and not Podman).
    cfs: bool,
}

fn labels_of<'a>(host: &'a ExportHost, c: &'a ContainerSummary, extra: &'a [(String, String)]) -> Labels<'a> {
    let mut labels: Labels<'a> = vec![
        (Cow::Borrowed("host"), Esc(host.status.name.as_str())),
        (Cow::Borrowed("name"), Esc(&c.name)),
        (Cow::Borrowed("id"), Esc(c.id.as_str())),
        (Cow::Borrowed("image"), Esc(&c.image)),
    ];
    for (key, label) in extra {
        if let Some((_, v)) = c.labels.iter().find(|(k, _)| k == key) {
            labels.push((Cow::Owned(label.clone()), Esc(v)));
        }
    }
    labels
}

/// Series a container adds to a scrape.
fn series_of(row: &Row) -> usize {
    let r = &row.sample.raw;
    // cpu usage, memory usage and working set, fs reads and writes, OOM
    // events, last seen: always.
    7 + usize::from(row.sample.mem_limit.is_some())
        + usize::from(row.sample.started_at_s.is_some())
        + usize::from(r.pids.is_some())
        + 2 * r.net_interfaces.len()
        + if row.cfs { 3 } else { 0 }
}

/// One scrape's data, for the client library's registry.
struct Scrape<'a> {
    snapshot: &'a ExportSnapshot,
    extra: &'a [(String, String)],
    max_series: usize,
    http_requests: u64,
}

impl Scrape<'_> {
    fn encode_all(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut rows = Vec::new();
        let (mut series, mut truncated) = (0usize, 0u64);
        for host in &self.snapshot.hosts {
            for (c, sample) in &host.containers {
                let cfs = !host.podman && sample.raw.cpu_periods.is_some_and(|p| p > 0);
                let row = Row { labels: labels_of(host, c, self.extra), sample, cfs };
                let n = series_of(&row);
                if series + n > self.max_series {
                    truncated += 1;
                    continue;
                }
                series += n;
                rows.push(row);
            }
        }
        encode(&mut enc, self.snapshot, &rows, series, truncated, self.http_requests)
    }
}

/// The client library's registry takes `'static` collectors: the scrape's
/// data is moved in and encoded when the registry is.
struct Owned {
    snapshot: ExportSnapshot,
    extra: Vec<(String, String)>,
    max_series: usize,
    http_requests: u64,
}

impl std::fmt::Debug for Owned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scrape").field("hosts", &self.snapshot.hosts.len()).finish()
    }
}

impl prometheus_client::collector::Collector for Owned {
    fn encode(&self, encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        Scrape {
            snapshot: &self.snapshot,
            extra: &self.extra,
            max_series: self.max_series,
            http_requests: self.http_requests,
        }
        .encode_all(encoder)
    }
}

/// The scrape's text: every family in turn, then `# EOF`.
pub fn render(snapshot: ExportSnapshot, extra: &[(String, String)], max_series: usize, http_requests: u64) -> String {
    let mut registry = prometheus_client::registry::Registry::default();
    registry.register_collector(Box::new(Owned { snapshot, extra: extra.to_vec(), max_series, http_requests }));
    let mut out = String::with_capacity(64 * 1024);
    // Writing to a String does not fail.
    let _ = prometheus_client::encoding::text::encode_registry(&mut out, &registry);
    let _ = prometheus_client::encoding::text::encode_eof(&mut out);
    out
}

fn encode(
    enc: &mut DescriptorEncoder,
    snapshot: &ExportSnapshot,
    rows: &[Row],
    series: usize,
    truncated: u64,
    http_requests: u64,
) -> Result<(), std::fmt::Error> {
    use MetricType::{Counter, Gauge};
    /// One family over the rows that have a value.
    fn family<V: Copy + 'static>(
        enc: &mut DescriptorEncoder,
        rows: &[Row],
        name: &str,
        help: &str,
        kind: MetricType,
        value: impl Fn(&Row) -> Option<V>,
        write: fn(&mut prometheus_client::encoding::MetricEncoder, V) -> Result<(), std::fmt::Error>,
    ) -> Result<(), std::fmt::Error> {
        let mut m = enc.encode_descriptor(name, help, None, kind)?;
        for row in rows {
            if let Some(v) = value(row) {
                write(&mut m.encode_family(&row.labels.as_slice())?, v)?;
            }
        }
        Ok(())
    }
    fn counter(m: &mut prometheus_client::encoding::MetricEncoder, v: f64) -> Result<(), std::fmt::Error> {
        m.encode_counter::<NoLabelSet, f64, f64>(&v, None)
    }
    fn gauge(m: &mut prometheus_client::encoding::MetricEncoder, v: f64) -> Result<(), std::fmt::Error> {
        m.encode_gauge(&v)
    }
    {
        let mut m = enc.encode_descriptor(
            "container_cpu_usage_seconds",
            "Cumulative CPU time consumed, seconds (cpu total: all CPUs).",
            None,
            Counter,
        )?;
        for row in rows {
            if let Some(ns) = row.sample.raw.cpu_total_ns {
                let labels = (row.labels.as_slice(), [("cpu", "total")]);
                m.encode_family(&labels)?.encode_counter::<NoLabelSet, f64, f64>(&(ns as f64 / 1e9), None)?;
            }
        }
    }
    family(
        enc,
        rows,
        "container_cpu_cfs_periods",
        "Elapsed CFS enforcement periods (containers with a CPU limit).",
        Counter,
        |r| r.cfs.then_some(r.sample.raw.cpu_periods? as f64),
        counter,
    )?;
    family(
        enc,
        rows,
        "container_cpu_cfs_throttled_periods",
        "CFS periods in which the container was throttled.",
        Counter,
        |r| r.cfs.then_some(r.sample.raw.cpu_throttled_periods? as f64),
        counter,
    )?;
    family(
        enc,
        rows,
        "container_cpu_cfs_throttled_seconds",
        "Total time the container was throttled, seconds.",
        Counter,
        |r| r.cfs.then_some(r.sample.raw.cpu_throttled_ns? as f64 / 1e9),
        counter,
    )?;
    family(
        enc,
        rows,
        "container_memory_usage_bytes",
        "Memory in use, page cache included, bytes.",
        Gauge,
        |r| r.sample.raw.mem_usage.map(|v| v as f64),
        gauge,
    )?;
    family(
        enc,
        rows,
        "container_memory_working_set_bytes",
        "Memory in use without the inactive page cache (what docker stats shows), bytes.",
        Gauge,
        |r| engine::metrics::formulas::memory_used(&r.sample.raw).map(|v| v as f64),
        gauge,
    )?;
    family(
        enc,
        rows,
        "container_spec_memory_limit_bytes",
        "The container's memory limit, bytes (only when it has one).",
        Gauge,
        |r| r.sample.mem_limit.map(|v| v as f64),
        gauge,
    )?;
    for (name, help, rx) in [
        ("container_network_receive_bytes", "Cumulative bytes received, per interface.", true),
        ("container_network_transmit_bytes", "Cumulative bytes sent, per interface.", false),
    ] {
        let mut m = enc.encode_descriptor(name, help, None, Counter)?;
        for row in rows {
            for i in &row.sample.raw.net_interfaces {
                let labels = (row.labels.as_slice(), [("interface", Esc(&i.name))]);
                let v = if rx { i.rx_bytes } else { i.tx_bytes } as f64;
                m.encode_family(&labels)?.encode_counter::<NoLabelSet, f64, f64>(&v, None)?;
            }
        }
    }
    family(
        enc,
        rows,
        "container_fs_reads_bytes",
        "Cumulative bytes read from block devices (all devices).",
        Counter,
        |r| r.sample.raw.blk_read_bytes.map(|v| v as f64),
        counter,
    )?;
    family(
        enc,
        rows,
        "container_fs_writes_bytes",
        "Cumulative bytes written to block devices (all devices).",
        Counter,
        |r| r.sample.raw.blk_write_bytes.map(|v| v as f64),
        counter,
    )?;
    family(
        enc,
        rows,
        "container_oom_events",
        "OOM kills seen in the engine's events since Binnacle started.",
        Counter,
        |r| Some(r.sample.oom_events as f64),
        counter,
    )?;
    family(
        enc,
        rows,
        "container_start_time_seconds",
        "When the container last started, seconds since the epoch.",
        Gauge,
        |r| r.sample.started_at_s,
        gauge,
    )?;
    family(
        enc,
        rows,
        "container_last_seen",
        "When the sample was read, seconds since the epoch.",
        Gauge,
        |r| r.sample.raw.read_ms.map(|ms| ms as f64 / 1000.0),
        gauge,
    )?;
    family(
        enc,
        rows,
        "container_processes",
        "Processes (tasks) in the container.",
        Gauge,
        |r| r.sample.raw.pids.map(|v| v as f64),
        gauge,
    )?;

    {
        let mut m = enc.encode_descriptor(
            "binnacle_host_up",
            "Whether the host's engine answers (1) or not (0).",
            None,
            Gauge,
        )?;
        for h in &snapshot.hosts {
            let labels = [("host", Esc(h.status.name.as_str()))];
            m.encode_family(&labels)?.encode_gauge(&i64::from(h.status.reachable))?;
        }
    }
    let stats = &snapshot.stats;
    let own: [(&str, &str, MetricType, f64); 7] = [
        ("binnacle_watched_containers", "Containers whose Stats tab is read.", Gauge, stats.watched as f64),
        ("binnacle_collectors_running", "Collectors sampling now.", Gauge, stats.collectors_running as f64),
        (
            "binnacle_collectors_started",
            "Collectors started since Binnacle started.",
            Counter,
            stats.collectors_started as f64,
        ),
        (
            "binnacle_fleet_samples",
            "Samples the fleet tier took for the list and this export.",
            Counter,
            stats.fleet_requests as f64,
        ),
        ("binnacle_http_requests", "HTTP requests answered.", Counter, http_requests as f64),
        ("binnacle_prometheus_series", "Container series in this scrape.", Gauge, series as f64),
        (
            "binnacle_prometheus_truncated_containers",
            "Containers left out of this scrape by BINNACLE_PROMETHEUS_MAX_SERIES.",
            Gauge,
            truncated as f64,
        ),
    ];
    for (name, help, kind, v) in own {
        let mut m = enc.encode_descriptor(name, help, None, kind)?;
        match kind {
            Counter => m.encode_counter::<NoLabelSet, f64, f64>(&v, None)?,
            _ => m.encode_gauge(&v)?,
        }
    }
    Ok(())
}

/// A snapshot of `containers` made-up containers on one host, each with
/// an interface and a CPU limit, for the golden tests and the benchmark.
#[doc(hidden)]
pub fn synthetic_snapshot(containers: usize, name: &dyn Fn(usize) -> String) -> ExportSnapshot {
    use engine::metrics::formulas::{NetInterface, RawStats};
    let host = wire::HostName::parse("local").unwrap();
    let status: wire::HostStatus = serde_json::from_value(serde_json::json!({
        "name": "local", "reachable": true, "version": "26.1.5", "api_version": "1.45", "engine": "Docker",
    }))
    .unwrap();
    let rows = (0..containers)
        .map(|i| {
            let summary = ContainerSummary {
                host: host.clone(),
                id: wire::ContainerId::parse(&format!("{i:064x}")).unwrap(),
                name: name(i),
                image: "registry.example/app:1.2".into(),
                state: wire::ContainerState::Running,
                status: "Up 3 hours".into(),
                created: 1_800_000_000,
                fleet: None,
                fleet_missing: None,
                project: Some("shop".into()),
                labels: vec![("com.docker.compose.service".into(), format!("svc{i}"))].into(),
            };
            let raw = RawStats {
                read_ms: Some(1_800_000_000_000 + i as i64),
                cpu_total_ns: Some(1_500_000_000 + i as u64),
                mem_usage: Some(100 << 20),
                mem_inactive_file: Some(10 << 20),
                net_interfaces: vec![NetInterface { name: "eth0".into(), rx_bytes: 1000, tx_bytes: 2000 }],
                blk_read_bytes: Some(4096),
                blk_write_bytes: Some(8192),
                pids: Some(3),
                cpu_periods: Some(10),
                cpu_throttled_periods: Some(2),
                cpu_throttled_ns: Some(250_000_000),
                ..RawStats::default()
            };
            let sample =
                ExportSample { raw, mem_limit: Some(256 << 20), oom_events: 1, started_at_s: Some(1_800_000_000.5) };
            (summary, sample)
        })
        .collect();
    ExportSnapshot {
        hosts: vec![ExportHost { status, podman: false, containers: rows }],
        stats: engine::ManagerStats {
            watched: 1,
            collectors_running: 1,
            collectors_started: 2,
            fleet_requests: 3,
            fleet_active: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<(String, String)> {
        vec![("com.docker.compose.service".into(), "container_label_com_docker_compose_service".into())]
    }

    #[test]
    fn one_container_reads_as_cadvisor_would_write_it() {
        let text = render(synthetic_snapshot(1, &|_| "web".into()), &labels(), 20_000, 7);
        let id = format!("{:064x}", 0);
        let base = format!(
            "host=\"local\",name=\"web\",id=\"{id}\",image=\"registry.example/app:1.2\",container_label_com_docker_compose_service=\"svc0\""
        );
        for line in [
            "# TYPE container_cpu_usage_seconds counter".to_string(),
            format!("container_cpu_usage_seconds_total{{{base},cpu=\"total\"}} 1.5"),
            format!("container_cpu_cfs_periods_total{{{base}}} 10.0"),
            format!("container_cpu_cfs_throttled_seconds_total{{{base}}} 0.25"),
            format!("container_memory_usage_bytes{{{base}}} 104857600.0"),
            format!("container_memory_working_set_bytes{{{base}}} 94371840.0"),
            format!("container_spec_memory_limit_bytes{{{base}}} 268435456.0"),
            format!("container_network_receive_bytes_total{{{base},interface=\"eth0\"}} 1000.0"),
            format!("container_network_transmit_bytes_total{{{base},interface=\"eth0\"}} 2000.0"),
            format!("container_fs_reads_bytes_total{{{base}}} 4096.0"),
            format!("container_oom_events_total{{{base}}} 1.0"),
            format!("container_start_time_seconds{{{base}}} 1800000000.5"),
            format!("container_processes{{{base}}} 3.0"),
            "binnacle_host_up{host=\"local\"} 1".to_string(),
            "binnacle_http_requests_total 7.0".to_string(),
            "binnacle_prometheus_truncated_containers 0.0".to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "missing line {line:?} in:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn hostile_names_are_escaped_and_stay_on_their_line() {
        let hostile = ["quote\"d", "back\\slash", "new\nline", "emoji 🐳⚓", &"x".repeat(1024)];
        let text = render(synthetic_snapshot(hostile.len(), &|i| hostile[i].to_string()), &labels(), 20_000, 0);
        assert!(text.contains("name=\"quote\\\"d\""));
        assert!(text.contains("name=\"back\\\\slash\""));
        assert!(text.contains("name=\"new\\nline\""));
        assert!(text.contains("name=\"emoji 🐳⚓\""));
        assert!(text.contains(&format!("name=\"{}\"", "x".repeat(1024))));
        // Every sample line is `name{labels} value`: no line was broken.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            assert!(series.ends_with('}') || !series.contains('{'), "{line}");
        }
    }

    #[test]
    fn the_series_cap_leaves_whole_containers_out_and_says_so() {
        let text = render(synthetic_snapshot(10, &|i| format!("c{i}")), &labels(), 100, 0);
        let shown = text.lines().filter(|l| l.starts_with("container_processes{")).count();
        assert!(shown < 10 && shown > 0, "{shown} shown");
        assert!(text.contains(&format!("binnacle_prometheus_truncated_containers {}.0", 10 - shown)));
    }

    #[test]
    fn podman_has_no_cfs_series() {
        let mut snapshot = synthetic_snapshot(1, &|_| "p".into());
        snapshot.hosts[0].podman = true;
        let text = render(snapshot, &[], 20_000, 0);
        assert!(!text.lines().any(|l| l.starts_with("container_cpu_cfs")));
        assert!(text.lines().any(|l| l.starts_with("container_cpu_usage_seconds_total{")));
    }

    #[test]
    fn the_classic_format_names_counters_with_their_total() {
        let text = classic(&render(synthetic_snapshot(1, &|_| "# TYPE x counter".into()), &[], 20_000, 0));
        assert!(text.contains("# HELP container_cpu_usage_seconds_total Cumulative"));
        assert!(text.contains("# TYPE container_cpu_usage_seconds_total counter\n"));
        assert!(text.contains("# TYPE container_memory_usage_bytes gauge\n"));
        assert!(text.contains("name=\"# TYPE x counter\""));
        assert!(!text.contains("# EOF"));
    }

    #[test]
    fn whitelisted_keys_that_would_share_a_label_are_refused() {
        assert_eq!(whitelist(" a.b , a.b,c ").unwrap().len(), 2, "the same key twice is one label");
        let err = whitelist("a.b,a-b").unwrap_err();
        assert!(err.contains("BINNACLE_PROMETHEUS_LABELS") && err.contains("container_label_a_b"), "{err}");
    }

    #[test]
    fn docker_label_keys_become_label_names() {
        assert_eq!(sanitize("com.docker.compose.project"), "com_docker_compose_project");
        assert_eq!(sanitize("a-b/c"), "a_b_c");
    }
}
