//! The container page's Config tab (`…/config`): what people look for
//! first (command, user, limits, health, networks and their addresses),
//! then ports, mounts, labels and the names of environment variables.
//! Everything here comes from Docker and is rendered as text.

use leptos::prelude::*;

use super::container::{Details, short_time};
use wire::{ContainerDetails, HealthReport, NetworkAttachment, ResourceLimits};

#[component]
pub fn ConfigTab() -> impl IntoView {
    let Details(details) = expect_context::<Details>();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                details.await.ok().map(|d| view! { <ConfigSummary d/> })
            })}
        </Transition>
    }
}

#[component]
fn ConfigSummary(d: ContainerDetails) -> impl IntoView {
    let or_default = |v: &[String]| if v.is_empty() { "(image default)".to_string() } else { v.join(" ") };
    let (entrypoint, command) = (or_default(&d.entrypoint), or_default(&d.command));
    let user = if d.user.is_empty() { "(image default)".to_string() } else { d.user.clone() };
    let workdir = if d.working_dir.is_empty() { "(image default)".to_string() } else { d.working_dir.clone() };
    let repo_digests = (!d.repo_digests.is_empty()).then(|| {
        let digests = d.repo_digests.iter().map(|r| view! { <div>{r.clone()}</div> }).collect_view();
        view! { <dt>"Repo digest"</dt><dd class="mono" data-testid="config-repo-digest">{digests}</dd> }
    });

    let ports = table_or_none(
        "config-ports",
        &["Container", "Host"],
        d.ports.into_iter().map(|p| vec![p.container_port, p.host_binding.unwrap_or_else(|| "not published".into())]),
    );
    let mounts = table_or_none(
        "config-mounts",
        &["Type", "Source", "Destination", "Mode"],
        d.mounts.into_iter().map(|m| {
            let mode = if m.read_only { "ro" } else { "rw" };
            vec![m.kind, m.source, m.destination, mode.into()]
        }),
    );
    let labels = table_or_none("config-labels", &["Key", "Value"], d.labels.into_iter().map(|(k, v)| vec![k, v]));
    let env = if d.env_names.is_empty() {
        none("config-env").into_any()
    } else {
        let names = d.env_names.into_iter().map(|n| view! { <li class="mono">{n}</li> }).collect_view();
        view! { <ul class="env" data-testid="config-env">{names}</ul> }.into_any()
    };

    view! {
        <div class="config" data-testid="config">
            <dl data-testid="config-summary">
                <dt>"Entrypoint"</dt><dd class="mono" data-testid="config-entrypoint">{entrypoint}</dd>
                <dt>"Command"</dt><dd class="mono" data-testid="config-command">{command}</dd>
                <dt>"User"</dt><dd class="mono" data-testid="config-user">{user}</dd>
                <dt>"Working directory"</dt><dd class="mono" data-testid="config-workdir">{workdir}</dd>
                <dt>"Image"</dt><dd class="mono">{d.image.clone()}</dd>
                <dt>"Image ID"</dt><dd class="mono" data-testid="config-image-id">{d.image_id.clone()}</dd>
                {repo_digests}
                <dt>"Restart policy"</dt><dd>{d.restart_policy.clone()}</dd>
                <dt>"Restart count"</dt><dd data-testid="config-restart-count">{d.restart_count}</dd>
                <dt>"Created"</dt><dd>{d.created.as_deref().map(short_time).unwrap_or_default()}</dd>
            </dl>
            <h2>"Limits"</h2>
            {limits_view(&d.limits, d.memory_limit)}
            <h2>"Health"</h2>
            {health_view(d.health)}
            <h2>"Networks"</h2>
            {networks_view(d.networks)}
            <h2>"Ports"</h2>
            {ports}
            <h2>"Mounts"</h2>
            {mounts}
            <h2>"Labels"</h2>
            {labels}
            <h2>"Environment variables"</h2>
            <p class="muted">"Names only: values can hold secrets and are never sent to the browser."</p>
            {env}
        </div>
    }
}

/// What stands for an empty table or list: a word, not bare headers.
fn none(testid: &'static str) -> impl IntoView {
    view! { <p class="muted none" data-testid=testid>"none"</p> }
}

/// A table of text cells, or "none" when there are no rows.
fn table_or_none(
    testid: &'static str,
    headers: &'static [&'static str],
    rows: impl Iterator<Item = Vec<String>>,
) -> AnyView {
    let rows: Vec<Vec<String>> = rows.collect();
    if rows.is_empty() {
        return none(testid).into_any();
    }
    let head = headers.iter().map(|h| view! { <th>{*h}</th> }).collect_view();
    let body = rows
        .into_iter()
        .map(|cells| {
            let cells = cells.into_iter().map(|c| view! { <td class="mono">{c}</td> }).collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! { <table data-testid=testid><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table> }.into_any()
}

fn networks_view(networks: Vec<NetworkAttachment>) -> AnyView {
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    table_or_none(
        "config-networks",
        &["Network", "IPv4", "IPv6", "Gateway", "MAC"],
        networks.into_iter().map(|n| vec![n.name, dash(n.ipv4), dash(n.ipv6), dash(n.gateway), dash(n.mac)]),
    )
}

fn limits_view(limits: &ResourceLimits, memory: Option<u64>) -> AnyView {
    let cpu = limits.cpus().map(cpus_text).unwrap_or_else(|| "no limit".into());
    let memory = memory.map(bytes_text).unwrap_or_else(|| "no limit".into());
    let pids = limits.pids.map(|n| n.to_string()).unwrap_or_else(|| "no limit".into());
    let shares = limits.cpu_shares.map(|s| {
        view! { <dt>"CPU shares"</dt><dd>{format!("{s} (relative weight; 1024 is the default)")}</dd> }
    });
    let cpuset = limits.cpuset.clone().map(|c| view! { <dt>"CPUs allowed"</dt><dd class="mono">{c}</dd> });
    let reservation =
        limits.memory_reservation.map(|r| view! { <dt>"Memory reservation"</dt><dd>{bytes_text(r)}</dd> });
    let swap = limits.memory_swap.map(|s| {
        let text = if s < 0 { "unlimited swap".to_string() } else { bytes_text(s as u64) };
        view! { <dt>"Memory + swap"</dt><dd>{text}</dd> }
    });
    view! {
        <dl data-testid="config-limits">
            <dt>"CPU"</dt><dd data-testid="config-cpu">{cpu}</dd>
            {shares}
            {cpuset}
            <dt>"Memory"</dt><dd data-testid="config-memory">{memory}</dd>
            {reservation}
            {swap}
            <dt>"Processes"</dt><dd data-testid="config-pids">{pids}</dd>
        </dl>
    }
    .into_any()
}

fn health_view(health: Option<HealthReport>) -> AnyView {
    let Some(h) = health else {
        return view! { <p class="muted" data-testid="config-health">"No health check."</p> }.into_any();
    };
    let checks = if h.checks.is_empty() {
        view! { <p class="muted">"No check has run yet."</p> }.into_any()
    } else {
        let rows = h
            .checks
            .into_iter()
            .map(|c| {
                let start = c.start.as_deref().map(short_time).unwrap_or_default();
                let code = c.exit_code.map(|e| e.to_string()).unwrap_or_else(|| "—".into());
                let output = c.output.trim_end().to_string();
                view! { <tr><td>{start}</td><td class="mono">{code}</td><td><pre class="health-output">{output}</pre></td></tr> }
            })
            .collect_view();
        view! {
            <table data-testid="config-health-checks">
                <thead><tr><th>"Started"</th><th>"Exit code"</th><th>"Output"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let class = format!("health health-{}", h.status);
    view! {
        <div data-testid="config-health">
            <p>
                <span class=class data-testid="config-health-status">{h.status}</span>
                {(h.failing_streak > 0).then(|| format!(" · failing {} times in a row", h.failing_streak))}
            </p>
            {checks}
        </div>
    }
    .into_any()
}

/// `1.5 CPUs`, `1 CPU`, `0.25 CPUs`.
fn cpus_text(cpus: f64) -> String {
    let n = format!("{cpus:.2}");
    let n = n.trim_end_matches('0').trim_end_matches('.');
    if n == "1" { "1 CPU".into() } else { format!("{n} CPUs") }
}

/// A limit as people write it: `64 MiB`, `1.5 GiB`, `512 KiB`.
fn bytes_text(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{} {unit}", bytes / size)
            } else {
                format!("{:.1} {unit}", bytes as f64 / size as f64)
            };
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_limits_read_as_cpus() {
        assert_eq!(cpus_text(1.5), "1.5 CPUs");
        assert_eq!(cpus_text(1.0), "1 CPU");
        assert_eq!(cpus_text(0.25), "0.25 CPUs");
        assert_eq!(cpus_text(2.0), "2 CPUs");
    }

    #[test]
    fn memory_limits_read_as_written() {
        assert_eq!(bytes_text(64 << 20), "64 MiB");
        assert_eq!(bytes_text(3 << 29), "1.5 GiB");
        assert_eq!(bytes_text(100_000_000), "95.4 MiB");
        assert_eq!(bytes_text(512), "512 B");
    }
}
