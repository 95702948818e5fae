//! `/`: every container of every host, grouped by host, running first,
//! refreshed every 2 s, with each running container's live CPU, memory and
//! network (averages over the fleet interval) and ten-minute sparklines.
//! Each host's group says whether it answers (and since when, and why not),
//! its totals and how often its containers are sampled; an unreachable
//! host's last known containers stay, greyed. `?host=name` shows one host
//! only; `?sort=cpu|mem|name|state` orders each group; the server cuts the
//! rows into pages of 100 (`?page=`, `?per_page=` from 5 to 500).
//! Keyboard: j/k or arrows move the selection across hosts, Enter opens
//! it, h shows the next host alone (then all again).

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::sparkline::Sparkline;
use super::widgets::{ErrorBox, HostBanner, StateBadge, host_line};
use crate::api::list_containers;
use crate::poll::use_visible_tick;
use crate::stats::format;
use wire::{ContainerList, ContainerSummary, FleetStats, HostFleet, HostStatus, ListPage, ListSort, format_unix_utc};

/// The app path of a container's page (for navigation inside the router).
pub fn container_path(c: &ContainerSummary) -> String {
    format!("/containers/{}/{}", c.host, c.id)
}

/// What the URL asks for: `?host=`, `?sort=`, `?page=`, `?per_page=`
/// (read leniently: anything odd is the default).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct View {
    host: Option<String>,
    sort: ListSort,
    page: u32,
    per_page: Option<u32>,
}

impl View {
    /// The list path for this view (the default parts left out).
    fn path(&self) -> String {
        let mut params = Vec::new();
        if let Some(h) = &self.host {
            params.push(format!("host={h}"));
        }
        if self.sort != ListSort::State {
            params.push(format!("sort={}", self.sort.as_str()));
        }
        if self.page > 1 {
            params.push(format!("page={}", self.page));
        }
        if let Some(n) = self.per_page {
            params.push(format!("per_page={n}"));
        }
        if params.is_empty() { "/".into() } else { format!("/?{}", params.join("&")) }
    }

    /// Another host alone (None: every host), from its first page.
    fn with_host(&self, host: Option<&str>) -> View {
        View { host: host.map(str::to_string), page: 1, ..self.clone() }
    }

    /// Another order, from the first page.
    fn with_sort(&self, sort: ListSort) -> View {
        View { sort, page: 1, ..self.clone() }
    }

    fn with_page(&self, page: u32) -> View {
        View { page, ..self.clone() }
    }
}

/// The hosts shown on this page, in order, each with its rows as the server
/// ordered them: hosts with rows here, and on the first page also hosts
/// without any container (so an empty or unreachable host still shows).
fn groups(data: &ContainerList, only: Option<&str>) -> Vec<(HostStatus, Vec<ContainerSummary>)> {
    let first_page = data.page.is_none_or(|p| p.page == 1);
    data.hosts
        .iter()
        .filter(|h| only.is_none_or(|o| h.name.as_str() == o))
        .filter_map(|h| {
            let mine: Vec<_> = data.containers.iter().filter(|c| c.host == h.name).cloned().collect();
            let total = data.counts.iter().find(|c| c.host == h.name).map_or(mine.len() as u32, |c| c.total);
            (!mine.is_empty() || (first_page && total == 0)).then(|| (h.clone(), mine))
        })
        .collect()
}

#[component]
pub fn ContainerListPage() -> impl IntoView {
    let tick = use_visible_tick(Duration::from_secs(2));
    let query = use_query_map();
    let view = Memo::new(move |_| {
        let q = query.read();
        let number = |k: &str| q.get(k).and_then(|v| v.parse::<u32>().ok());
        View {
            host: q.get("host").filter(|h| !h.is_empty()),
            sort: ListSort::from_url(q.get("sort").as_deref()),
            page: number("page").filter(|p| *p >= 1).unwrap_or(1),
            per_page: number("per_page").filter(|n| wire::PER_PAGE_RANGE.contains(n)),
        }
    });
    let list = Resource::new(
        move || (tick.get(), view.get()),
        |(_, v)| list_containers(v.host, Some(v.sort.as_str().to_string()), Some(v.page), v.per_page),
    );
    let selected = RwSignal::new(0usize);
    // The rows last shown and the hosts known, for the keyboard handler.
    let rows: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let host_names: RwSignal<Vec<String>> = RwSignal::new(Vec::new());

    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || crate::poll::focus_is_in_a_text_field() {
                return;
            }
            if ev.key() == "h" {
                // The next host alone; after the last, every host again.
                let names = host_names.get_untracked();
                let current = view.get_untracked();
                let next = match current.host.as_ref().and_then(|c| names.iter().position(|n| n == c)) {
                    Some(i) => names.get(i + 1).cloned(),
                    None => names.first().cloned(),
                };
                selected.set(0);
                navigate(&current.with_host(next.as_deref()).path(), Default::default());
                return;
            }
            // Enter and the arrows belong to a focused link or button.
            if crate::poll::focus_is_in_a_control() {
                return;
            }
            let count = rows.with_untracked(|r| r.len());
            if count == 0 {
                return;
            }
            match ev.key().as_str() {
                "j" | "ArrowDown" => {
                    ev.prevent_default();
                    selected.update(|s| *s = (*s + 1).min(count - 1));
                }
                "k" | "ArrowUp" => {
                    ev.prevent_default();
                    selected.update(|s| *s = s.saturating_sub(1));
                }
                "Enter" => {
                    let href = rows.with_untracked(|r| r.get(selected.get_untracked()).cloned());
                    if let Some(href) = href {
                        ev.prevent_default();
                        navigate(&href, Default::default());
                    }
                }
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }

    view! {
        <section class="list-page">
            <h1>"Containers"</h1>
            <Transition fallback=|| view! { <p class="loading">"Loading containers…"</p> }>
                {move || Suspend::new(async move {
                    let v = view.get();
                    match list.await {
                        Ok(data) => {
                            let groups = groups(&data, v.host.as_deref());
                            rows.set(groups.iter().flat_map(|(_, cs)| cs.iter().map(container_path)).collect());
                            host_names.set(data.hosts.iter().map(|h| h.name.to_string()).collect());
                            let pages = data.page;
                            view! {
                                <HostFilter hosts=data.hosts.clone() view=v.clone()/>
                                <ContainerTable data groups selected view=v.clone()/>
                                <Pages page=pages view=v/>
                            }
                            .into_any()
                        }
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
            <p class="hint">
                "Keys: j/k or ↑/↓ to move, Enter to open, h for the next host alone, Esc to come back. "
                <a href=crate::base::href("/hosts")>"Hosts"</a>
            </p>
        </section>
    }
}

/// "All hosts" and one link per host (only when there are several).
#[component]
fn HostFilter(hosts: Vec<HostStatus>, view: View) -> impl IntoView {
    (hosts.len() > 1).then(|| {
        let all_active = view.host.is_none();
        let links = hosts
            .into_iter()
            .map(|h| {
                let name = h.name.to_string();
                let active = view.host.as_deref() == Some(name.as_str());
                let href = crate::base::href(&view.with_host(Some(&name)).path());
                let class = if h.reachable { "host-link" } else { "host-link down" };
                view! { <a class=class class:active=active href=href data-host=name.clone()>{name.clone()}</a> }
            })
            .collect_view();
        view! {
            <nav class="host-filter" aria-label="Hosts" data-testid="host-filter">
                <a class="host-link" class:active=all_active href=crate::base::href(&view.with_host(None).path())>"All hosts"</a>
                {links}
            </nav>
        }
    })
}

/// "—" with the reason on hover, for a number that is not there.
fn missing(reason: &str) -> AnyView {
    view! { <span class="missing" title=reason.to_string()>"—"</span> }.into_any()
}

/// The CPU cell: the average, "x of N cores" on hover, and the sparkline.
fn cpu_cell(f: Option<&FleetStats>, why: &str) -> AnyView {
    let Some(f) = f else { return missing(why) };
    let spark_top = f.spark_cpu.iter().flatten().fold(100.0f32, |a, b| a.max(*b));
    let value = match f.cpu_pct {
        Some(v) => {
            let title = match f.online_cpus {
                Some(n) => format!("{v:.1} % of one core: {:.2} of {n} cores", v / 100.0),
                None => format!("{v:.1} % of one core"),
            };
            view! { <span class="value" title=title>{format!("{v:.1} %")}</span> }.into_any()
        }
        None => missing("measured from the next sample (CPU needs two)"),
    };
    view! { {value} <Sparkline values=f.spark_cpu.clone() top=spark_top class="spark-cpu"/> }.into_any()
}

/// The memory cell: used (of the limit), and the sparkline.
fn mem_cell(f: Option<&FleetStats>, why: &str) -> AnyView {
    let Some(f) = f else { return missing(why) };
    let values: Vec<Option<f32>> = f.spark_mem_kib.iter().map(|v| v.map(|k| k as f32)).collect();
    let top = f
        .mem_limit
        .map(|l| (l / 1024) as f32)
        .unwrap_or_else(|| values.iter().flatten().fold(1.0f32, |a, b| a.max(*b)));
    let value = match f.mem_bytes {
        Some(b) => {
            let text = match f.mem_limit {
                Some(l) => format!("{} / {}", format::bytes(b as f64), format::bytes(l as f64)),
                None => format::bytes(b as f64),
            };
            let title =
                if f.mem_includes_cache { "page cache included (the engine gives nothing to subtract)" } else { "" };
            view! { <span class="value" title=title>{text}</span> }.into_any()
        }
        None => missing("this engine reports no memory for it"),
    };
    view! { {value} <Sparkline values top class="spark-mem"/> }.into_any()
}

fn net_cell(f: Option<&FleetStats>, why: &str) -> AnyView {
    let Some(f) = f else { return missing(why) };
    match (f.net_rx_bps, f.net_tx_bps) {
        (None, None) => missing("no network counters yet (or no network)"),
        (rx, tx) => {
            let r = |v: Option<f32>| v.map(|v| format::rate(v as f64)).unwrap_or_else(|| "—".into());
            view! { <span class="value">{format!("↓ {} ↑ {}", r(rx), r(tx))}</span> }.into_any()
        }
    }
}

/// A host's totals and pace, for its group's header.
fn fleet_line(f: Option<&HostFleet>) -> String {
    let Some(f) = f else { return String::new() };
    let mut parts = Vec::new();
    if let Some(cpu) = f.cpu_pct_sum {
        parts.push(match f.host_cpus {
            Some(n) => format!("CPU {cpu:.0} % of {n} cores"),
            None => format!("CPU {cpu:.0} %"),
        });
    }
    if let Some(mem) = f.mem_bytes_sum {
        parts.push(match f.host_memory {
            Some(total) => format!("memory {} of {}", format::bytes(mem as f64), format::bytes(total as f64)),
            None => format!("memory {}", format::bytes(mem as f64)),
        });
    }
    let every = |ms: u32| format!("{} s", (ms as f32 / 1000.0).round());
    parts.push(if f.effective_interval_ms > f.interval_ms {
        format!(
            "sampled every {} (stretched from {}: at most a few requests a second)",
            every(f.effective_interval_ms),
            every(f.interval_ms)
        )
    } else {
        format!("sampled every {}", every(f.interval_ms))
    });
    parts.join(" · ")
}

#[component]
fn ContainerTable(
    data: ContainerList,
    groups: Vec<(HostStatus, Vec<ContainerSummary>)>,
    selected: RwSignal<usize>,
    view: View,
) -> impl IntoView {
    let all_down = !data.hosts.is_empty() && data.hosts.iter().all(|h| !h.reachable);
    let empty = data.containers.is_empty();
    let counts = data.counts.clone();
    let several = data.hosts.len() > 1;
    let mut index = 0usize;
    let bodies = groups
        .into_iter()
        .map(|(host, containers)| {
            let (running, total) = match counts.iter().find(|c| c.host == host.name) {
                Some(c) => (c.running as usize, c.total as usize),
                None => (containers.iter().filter(|c| c.state.is_running()).count(), containers.len()),
            };
            let stale = !host.reachable;
            let name = host.name.to_string();
            let line = host_line(&host);
            let fleet = fleet_line(data.fleet.iter().find(|f| f.host == host.name));
            let rows = containers
                .into_iter()
                .map(|c| {
                    let i = index;
                    index += 1;
                    let href = crate::base::href(&container_path(&c));
                    let name = c.name.clone();
                    let id = c.id.to_string();
                    let short = c.id.short().to_string();
                    let created = format_unix_utc(c.created);
                    let why = c.fleet_missing.clone().unwrap_or_else(|| "not sampled".into());
                    let f = c.fleet.as_ref();
                    let cpu_value = f.and_then(|f| f.cpu_pct).map(|v| v.to_string()).unwrap_or_default();
                    let mem_value = f.and_then(|f| f.mem_bytes).map(|v| v.to_string()).unwrap_or_default();
                    let (cpu, mem, net) = (cpu_cell(f, &why), mem_cell(f, &why), net_cell(f, &why));
                    view! {
                        <tr class:selected=move || selected.get() == i class:stale=stale data-name=name.clone() data-id=id
                            data-host=c.host.to_string() data-state=c.state.as_str() on:click=move |_| selected.set(i)>
                            <td class="name"><a href=href>{c.name}</a><div class="muted mono">{short}</div></td>
                            <td class="image mono">{c.image}</td>
                            <td><StateBadge state=c.state/></td>
                            <td class="cpu" data-value=cpu_value>{cpu}</td>
                            <td class="mem" data-value=mem_value>{mem}</td>
                            <td class="net">{net}</td>
                            <td class="status">{c.status}</td>
                            <td class="created">{created}</td>
                        </tr>
                    }
                })
                .collect_view();
            let badge = if host.reachable { "badge host-up" } else { "badge host-down" };
            let badge_text = if host.reachable { "reachable" } else { "unreachable" };
            view! {
                <tbody class="host-group" data-host=name.clone() data-reachable=host.reachable.to_string()>
                    <tr class="host-row">
                        <th colspan="8">
                            {several.then(|| view! { <span class="host-name">{name.clone()}</span>" " <span class=badge>{badge_text}</span>" " })}
                            <span class="muted counts">{format!("{running} running of {total}")}</span>" "
                            {several.then(|| view! { <span class="muted host-line" data-testid="host-line">{line}</span>" " })}
                            <span class="muted fleet-line" data-testid="fleet-line">{fleet}</span>
                        </th>
                    </tr>
                    {rows}
                </tbody>
            }
        })
        .collect_view();
    let sort_link = |label: &'static str, to: ListSort| {
        let href = crate::base::href(&view.with_sort(to).path());
        let active = view.sort == to;
        view! { <a class="sort" class:active=active href=href data-sort=to.as_str()>{label}</a> }
    };
    view! {
        <HostBanner hosts=data.hosts.clone()/>
        {(empty && !all_down).then(|| view! {
            <div class="empty" data-testid="empty">
                <p><strong>"No containers yet."</strong></p>
                <p>"Start one with the docker CLI, for example "
                   <code>"docker run -d --name hello busybox sleep 3600"</code>
                   ", and it appears here within a few seconds."</p>
            </div>
        })}
        {(!empty).then(|| view! {
            <table class="containers">
                <thead>
                    <tr>
                        <th>{sort_link("Name", ListSort::Name)}</th><th>"Image"</th><th>{sort_link("State", ListSort::State)}</th>
                        <th>{sort_link("CPU", ListSort::Cpu)}</th><th>{sort_link("Memory", ListSort::Mem)}</th><th>"Net"</th>
                        <th>"Status"</th><th>"Created"</th>
                    </tr>
                </thead>
                {bodies}
            </table>
        })}
    }
}

/// "Rows 101–200 of 512", with the previous and next pages (only when
/// there is more than one).
#[component]
fn Pages(page: Option<ListPage>, view: View) -> impl IntoView {
    page.filter(|p| p.pages > 1).map(|p| {
        let first = (p.page - 1) * p.per_page + 1;
        let last = (p.page * p.per_page).min(p.rows);
        let link = |to: u32, label: &'static str, rel: &'static str| {
            let href = crate::base::href(&view.with_page(to).path());
            view! { <a class="page-link" href=href rel=rel data-page=to>{label}</a> }
        };
        let previous = (p.page > 1).then(|| link(p.page - 1, "← Previous", "prev"));
        let next = (p.page < p.pages).then(|| link(p.page + 1, "Next →", "next"));
        view! {
            <nav class="pages" aria-label="Pages" data-testid="pages">
                {previous}
                <span class="muted">{format!("Rows {first}–{last} of {} · page {} of {}", p.rows, p.page, p.pages)}</span>
                {next}
            </nav>
        }
    })
}
