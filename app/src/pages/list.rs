//! `/`: every container of every host, grouped by host, running first,
//! refreshed every 2 s, with each running container's live CPU, memory and
//! network (averages over the fleet interval) and ten-minute sparklines.
//! Each host's group says whether it answers (and since when, and why not),
//! its totals and how often its containers are sampled; an unreachable
//! host's last known containers stay, greyed. `?host=name` shows one host
//! only; `?sort=cpu|mem|name|state` orders each group; the server cuts the
//! rows into pages of 100 (`?page=`, `?per_page=` from 5 to 500).
//! A search (`?q=`, name, image, id or compose project) and a state
//! (`?state=running|stopped|paused`) narrow the rows on the server before
//! they are paged; `?group=project` groups each host's rows by compose
//! project, each group collapsible.
//! Keyboard: j/k or arrows move the selection over the visible rows across
//! hosts, Enter opens it, h shows the next host alone (then all again), `/`
//! goes to the search box and Esc there clears it.

use std::collections::HashSet;
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::sparkline::Sparkline;
use super::widgets::{ErrorBox, HostBanner, StateBadge, host_line};
use crate::api::list_containers;
use crate::poll::use_visible_tick;
use crate::stats::format;
use wire::{
    ContainerList, ContainerSummary, FleetStats, HostFleet, HostStatus, ListPage, ListSort, StateFilter,
    format_unix_utc,
};

/// The app path of a container's page (for navigation inside the router).
pub fn container_path(c: &ContainerSummary) -> String {
    format!("/containers/{}/{}", c.host, c.id)
}

/// How long the search waits for typing to pause before asking the server.
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(200);

/// The heading of the rows without a compose project.
const NO_PROJECT: &str = "no project";

/// What the URL asks for: `?host=`, `?sort=`, `?page=`, `?per_page=`,
/// `?q=`, `?state=`, `?group=` (read leniently: anything odd is the default).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct View {
    host: Option<String>,
    sort: ListSort,
    page: u32,
    per_page: Option<u32>,
    q: Option<String>,
    state: Option<StateFilter>,
    by_project: bool,
}

/// A query value, percent-encoded (only unreserved characters stay).
fn encode_query_value(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
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
        if let Some(q) = &self.q {
            params.push(format!("q={}", encode_query_value(q)));
        }
        if let Some(s) = self.state {
            params.push(format!("state={}", s.as_str()));
        }
        if self.by_project {
            params.push("group=project".into());
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

    /// Another search (blank: none), from the first page.
    fn with_search(&self, q: &str) -> View {
        let q = q.trim();
        View { q: (!q.is_empty()).then(|| q.to_string()), page: 1, ..self.clone() }
    }

    /// Another state (None: every state), from the first page.
    fn with_state(&self, state: Option<StateFilter>) -> View {
        View { state, page: 1, ..self.clone() }
    }

    fn with_grouping(&self, by_project: bool) -> View {
        View { by_project, ..self.clone() }
    }

    fn narrowed(&self) -> bool {
        self.q.is_some() || self.state.is_some()
    }
}

/// The key of a project group, for collapsing it: host and project.
fn group_key(c: &ContainerSummary) -> String {
    format!("{}/{}", c.host, c.project.as_deref().unwrap_or(""))
}

/// One row as the keyboard sees it: its group when grouped (collapsible),
/// and where Enter goes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RowRef {
    group: Option<String>,
    href: String,
}

/// The next visible row after (`forward`) or before `from`, if any.
#[cfg(any(feature = "hydrate", test))]
fn step(rows: &[RowRef], collapsed: &HashSet<String>, from: usize, forward: bool) -> Option<usize> {
    let visible = |i: &usize| rows[*i].group.as_ref().is_none_or(|g| !collapsed.contains(g));
    if forward { (from + 1..rows.len()).find(visible) } else { (0..from.min(rows.len())).rev().find(visible) }
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
            q: q.get("q")
                .map(|s| s.trim().chars().take(wire::MAX_SEARCH_LEN / 4).collect::<String>())
                .filter(|s| !s.is_empty()),
            state: StateFilter::from_url(q.get("state").as_deref()),
            by_project: q.get("group").as_deref() == Some("project"),
        }
    });
    let list = Resource::new(
        move || (tick.get(), view.get()),
        |(_, v)| {
            list_containers(
                v.host,
                Some(v.sort.as_str().to_string()),
                Some(v.page),
                v.per_page,
                v.q,
                v.state.map(|s| s.as_str().to_string()),
                v.by_project.then(|| "project".to_string()),
            )
        },
    );
    let selected = RwSignal::new(0usize);
    // The rows last shown and the hosts known, for the keyboard handler.
    let rows: RwSignal<Vec<RowRef>> = RwSignal::new(Vec::new());
    let host_names: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    // Collapsed project groups (`group_key`), kept while the page is open.
    let collapsed: RwSignal<HashSet<String>> = RwSignal::new(HashSet::new());
    let search_box = NodeRef::<leptos::html::Input>::new();

    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || crate::poll::focus_is_in_a_text_field() {
                return;
            }
            if ev.key() == "/" {
                if let Some(input) = search_box.get_untracked() {
                    ev.prevent_default();
                    let _ = input.focus();
                    input.select();
                }
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
            if rows.with_untracked(|r| r.is_empty()) {
                return;
            }
            let current = selected.get_untracked();
            let next =
                |forward: bool| rows.with_untracked(|r| collapsed.with_untracked(|c| step(r, c, current, forward)));
            match ev.key().as_str() {
                "j" | "ArrowDown" => {
                    ev.prevent_default();
                    if let Some(i) = next(true) {
                        selected.set(i);
                    }
                }
                "k" | "ArrowUp" => {
                    ev.prevent_default();
                    if let Some(i) = next(false) {
                        selected.set(i);
                    }
                }
                "Enter" => {
                    let href = rows.with_untracked(|r| {
                        r.get(current)
                            .filter(|row| {
                                row.group.as_ref().is_none_or(|g| !collapsed.with_untracked(|c| c.contains(g)))
                            })
                            .map(|row| row.href.clone())
                    });
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
            <ListControls view selected search_box/>
            <Transition fallback=|| view! { <p class="loading">"Loading containers…"</p> }>
                {move || Suspend::new(async move {
                    let v = view.get();
                    match list.await {
                        Ok(data) => {
                            let groups = groups(&data, v.host.as_deref());
                            let refs: Vec<RowRef> = groups
                                .iter()
                                .flat_map(|(_, cs)| cs.iter())
                                .map(|c| RowRef {
                                    group: v.by_project.then(|| group_key(c)),
                                    href: container_path(c),
                                })
                                .collect();
                            if selected.get_untracked() >= refs.len() {
                                selected.set(0);
                            }
                            rows.set(refs);
                            host_names.set(data.hosts.iter().map(|h| h.name.to_string()).collect());
                            let pages = data.page;
                            view! {
                                <HostFilter hosts=data.hosts.clone() view=v.clone()/>
                                <ContainerTable data groups selected collapsed view=v.clone()/>
                                <Pages page=pages view=v/>
                            }
                            .into_any()
                        }
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
            <p class="hint">
                "Keys: / to search (Esc clears), j/k or ↑/↓ to move, Enter to open, h for the next host alone, Esc to come back. "
                <a href=crate::base::href("/hosts")>"Hosts"</a>
            </p>
        </section>
    }
}

/// The search box (as you type, sent after a pause), the state links and
/// the grouping switch, all kept in the URL. Outside the refreshing list,
/// so typing is never interrupted.
#[component]
fn ListControls(
    view: Memo<View>,
    selected: RwSignal<usize>,
    search_box: NodeRef<leptos::html::Input>,
) -> impl IntoView {
    let initial = view.get_untracked().q.unwrap_or_default();
    let text = RwSignal::new(initial.clone());
    // The search this box last put in the URL: a URL change that is not
    // ours (back, a link) replaces what the box shows; ours does not, so
    // a late answer never overwrites newer typing.
    let sent = StoredValue::new(initial.clone());
    Effect::new(move |_| {
        let q = view.with(|v| v.q.clone()).unwrap_or_default();
        if sent.get_value() != q {
            sent.set_value(q.clone());
            text.set(q);
        }
    });
    let pending: StoredValue<Option<TimeoutHandle>> = StoredValue::new(None);
    let navigate = leptos_router::hooks::use_navigate();
    let search = move |raw: String| {
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        pending.set_value(None);
        let next = view.get_untracked().with_search(&raw);
        sent.set_value(next.q.clone().unwrap_or_default());
        if next != view.get_untracked() {
            selected.set(0);
            navigate(
                &next.path(),
                leptos_router::NavigateOptions { replace: true, scroll: false, ..Default::default() },
            );
        }
    };
    let typed = {
        let search = search.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            text.set(value.clone());
            if let Some(h) = pending.get_value() {
                h.clear();
            }
            let search = search.clone();
            pending.set_value(set_timeout_with_handle(move || search(value), SEARCH_DEBOUNCE).ok());
        }
    };
    let keys = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            // Esc here clears the search; it does not leave the page.
            ev.prevent_default();
            ev.stop_propagation();
            text.set(String::new());
            search(String::new());
        }
    };
    let state_link = move |label: &'static str, to: Option<StateFilter>| {
        let name = to.map_or("all", StateFilter::as_str);
        view! {
            <a class="state-link" class:active=move || view.with(|v| v.state == to)
                href=move || crate::base::href(&view.with(|v| v.with_state(to)).path()) data-state=name>{label}</a>
        }
    };
    view! {
        <div class="list-controls">
            <input type="search" id="list-search" class="list-search" node_ref=search_box placeholder="Search name, image, id, project  /"
                aria-label="Search containers by name, image, id or compose project" aria-keyshortcuts="/"
                autocomplete="off" spellcheck="false" maxlength=(wire::MAX_SEARCH_LEN / 4).to_string()
                value=initial prop:value=move || text.get() on:input=typed on:keydown=keys/>
            <nav class="state-filter" aria-label="State" data-testid="state-filter">
                {state_link("All", None)}
                {state_link("Running", Some(StateFilter::Running))}
                {state_link("Stopped", Some(StateFilter::Stopped))}
                {state_link("Paused", Some(StateFilter::Paused))}
            </nav>
            <a class="group-link" class:active=move || view.with(|v| v.by_project) data-testid="group-toggle"
                aria-pressed=move || view.with(|v| v.by_project.to_string())
                href=move || crate::base::href(&view.with(|v| v.with_grouping(!v.by_project)).path())>
                "Group by project"
            </a>
        </div>
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
    collapsed: RwSignal<HashSet<String>>,
    view: View,
) -> impl IntoView {
    let all_down = !data.hosts.is_empty() && data.hosts.iter().all(|h| !h.reachable);
    let empty = data.containers.is_empty();
    let anything = data.counts.iter().any(|c| c.total > 0);
    let by_project = view.by_project;
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
            // Grouped, each project's rows (the server keeps them together),
            // each under a header that collapses them.
            let mut runs: Vec<(String, Vec<ContainerSummary>)> = Vec::new();
            for c in containers {
                let key = if by_project { group_key(&c) } else { String::new() };
                match runs.last_mut() {
                    Some((k, cs)) if *k == key => cs.push(c),
                    _ => runs.push((key, vec![c])),
                }
            }
            let rows = runs.into_iter().map(|(key, containers)| {
                let header = by_project.then(|| {
                    let project = containers[0].project.clone();
                    let label = format!("{} ({})", project.as_deref().unwrap_or(NO_PROJECT), containers.len());
                    let toggle_key = key.clone();
                    let shown_key = key.clone();
                    let open = Signal::derive(move || !collapsed.with(|c| c.contains(&shown_key)));
                    let toggle = move |_| {
                        collapsed.update(|c| {
                            if !c.remove(&toggle_key) {
                                c.insert(toggle_key.clone());
                            }
                        })
                    };
                    view! {
                        <tr class="project-row" data-project=project.unwrap_or_default()>
                            <th colspan="8">
                                <button type="button" class="project-toggle" aria-expanded=move || open.get().to_string()
                                    on:click=toggle>
                                    {label}
                                </button>
                            </th>
                        </tr>
                    }
                    .into_any()
                });
                let hidden_key = key.clone();
                let hidden = move || by_project && collapsed.with(|c| c.contains(&hidden_key));
                let rows = containers
                .into_iter()
                .map(|c| {
                    let hidden = hidden.clone();
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
                            data-host=c.host.to_string() data-state=c.state.as_str()
                            data-project=c.project.clone().unwrap_or_default() hidden=hidden
                            on:click=move |_| selected.set(i)>
                            <td class="name"><a href=href>{c.name}</a><div class="muted mono">{short}</div></td>
                            <td class="image mono">{c.image}</td>
                            <td class="state"><StateBadge state=c.state/></td>
                            <td class="cpu" data-value=cpu_value>{cpu}</td>
                            <td class="mem" data-value=mem_value>{mem}</td>
                            <td class="net">{net}</td>
                            <td class="status">{c.status}</td>
                            <td class="created">{created}</td>
                        </tr>
                    }
                    .into_any()
                })
                .collect_view();
                view! { {header} {rows} }.into_any()
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
            .into_any()
        })
        .collect_view();
    let sort_link = |label: &'static str, to: ListSort| {
        let href = crate::base::href(&view.with_sort(to).path());
        let active = view.sort == to;
        view! { <a class="sort" class:active=active href=href data-sort=to.as_str()>{label}</a> }
    };
    view! {
        <HostBanner hosts=data.hosts.clone()/>
        {(empty && !all_down && view.narrowed() && anything).then(|| view! {
            <div class="empty" data-testid="no-match">
                <p><strong>"No containers match."</strong></p>
                <p>"Change the search or the state above."</p>
            </div>
        })}
        {(empty && !all_down && !(view.narrowed() && anything)).then(|| view! {
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
                        <th class="name">{sort_link("Name", ListSort::Name)}</th><th class="image">"Image"</th>
                        <th class="state">{sort_link("State", ListSort::State)}</th>
                        <th class="cpu">{sort_link("CPU", ListSort::Cpu)}</th><th class="mem">{sort_link("Memory", ListSort::Mem)}</th>
                        <th class="net">"Net"</th><th class="status">"Status"</th><th class="created">"Created"</th>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_keeps_search_state_and_grouping_and_leaves_defaults_out() {
        let v = View { page: 3, ..View::default() };
        assert_eq!(v.path(), "/?page=3");
        let narrowed = v.with_search(" web app&x=1 ").with_state(Some(StateFilter::Running)).with_grouping(true);
        assert_eq!(narrowed.path(), "/?q=web%20app%26x%3D1&state=running&group=project");
        assert_eq!(v.with_search("  ").path(), "/");
        assert_eq!(encode_query_value("é/"), "%C3%A9%2F");
    }

    #[test]
    fn the_keyboard_skips_rows_of_collapsed_groups() {
        let row = |g: &str| RowRef { group: Some(g.into()), href: String::new() };
        let rows = [row("a"), row("b"), row("b"), row("c")];
        let collapsed: HashSet<String> = ["b".to_string()].into();
        assert_eq!(step(&rows, &collapsed, 0, true), Some(3));
        assert_eq!(step(&rows, &collapsed, 3, false), Some(0));
        assert_eq!(step(&rows, &collapsed, 3, true), None);
        assert_eq!(step(&rows, &HashSet::new(), 0, true), Some(1));
    }
}
