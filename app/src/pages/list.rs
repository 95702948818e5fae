//! `/`: every container of every host, grouped by host, running first,
//! refreshed every 2 s. Each host's group says whether it answers (and
//! since when, and why not); an unreachable host's last known containers
//! stay, greyed. `?host=name` shows one host only.
//! Keyboard: j/k or arrows move the selection across hosts, Enter opens
//! it, h shows the next host alone (then all again).

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::widgets::{ErrorBox, HostBanner, StateBadge, host_line};
use crate::api::list_containers;
use crate::poll::use_visible_tick;
use wire::{ContainerList, ContainerSummary, HostStatus, format_unix_utc};

/// The app path of a container's page (for navigation inside the router).
pub fn container_path(c: &ContainerSummary) -> String {
    format!("/containers/{}/{}", c.host, c.id)
}

/// The hosts shown, in order, each with its containers (in the list's order).
fn groups(data: &ContainerList, only: Option<&str>) -> Vec<(HostStatus, Vec<ContainerSummary>)> {
    data.hosts
        .iter()
        .filter(|h| only.is_none_or(|o| h.name.as_str() == o))
        .map(|h| (h.clone(), data.containers.iter().filter(|c| c.host == h.name).cloned().collect()))
        .collect()
}

/// The list path showing `host` alone (None: every host).
fn filter_path(host: Option<&str>) -> String {
    match host {
        Some(h) => format!("/?host={h}"),
        None => "/".into(),
    }
}

#[component]
pub fn ContainerListPage() -> impl IntoView {
    let tick = use_visible_tick(Duration::from_secs(2));
    let list = Resource::new(move || tick.get(), |_| list_containers());
    let query = use_query_map();
    let only = Memo::new(move |_| query.read().get("host").filter(|h| !h.is_empty()));
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
                let current = only.get_untracked();
                let next = match current.and_then(|c| names.iter().position(|n| *n == c)) {
                    Some(i) => names.get(i + 1).cloned(),
                    None => names.first().cloned(),
                };
                selected.set(0);
                navigate(&filter_path(next.as_deref()), Default::default());
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
                    let only = only.get();
                    match list.await {
                        Ok(data) => {
                            let groups = groups(&data, only.as_deref());
                            rows.set(groups.iter().flat_map(|(_, cs)| cs.iter().map(container_path)).collect());
                            host_names.set(data.hosts.iter().map(|h| h.name.to_string()).collect());
                            view! { <HostFilter hosts=data.hosts.clone() only=only.clone()/> <ContainerTable data groups selected/> }
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
fn HostFilter(hosts: Vec<HostStatus>, only: Option<String>) -> impl IntoView {
    (hosts.len() > 1).then(|| {
        let all_active = only.is_none();
        let links = hosts
            .into_iter()
            .map(|h| {
                let name = h.name.to_string();
                let active = only.as_deref() == Some(name.as_str());
                let href = crate::base::href(&filter_path(Some(&name)));
                let class = if h.reachable { "host-link" } else { "host-link down" };
                view! { <a class=class class:active=active href=href data-host=name.clone()>{name.clone()}</a> }
            })
            .collect_view();
        view! {
            <nav class="host-filter" aria-label="Hosts" data-testid="host-filter">
                <a class="host-link" class:active=all_active href=crate::base::href("/")>"All hosts"</a>
                {links}
            </nav>
        }
    })
}

#[component]
fn ContainerTable(
    data: ContainerList,
    groups: Vec<(HostStatus, Vec<ContainerSummary>)>,
    selected: RwSignal<usize>,
) -> impl IntoView {
    let all_down = !data.hosts.is_empty() && data.hosts.iter().all(|h| !h.reachable);
    let empty = data.containers.is_empty();
    let several = data.hosts.len() > 1;
    let mut index = 0usize;
    let bodies = groups
        .into_iter()
        .map(|(host, containers)| {
            let running = containers.iter().filter(|c| c.state.is_running()).count();
            let total = containers.len();
            let stale = !host.reachable;
            let name = host.name.to_string();
            let line = host_line(&host);
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
                    view! {
                        <tr class:selected=move || selected.get() == i class:stale=stale data-name=name.clone() data-id=id
                            data-host=c.host.to_string() data-state=c.state.as_str() on:click=move |_| selected.set(i)>
                            <td class="name"><a href=href>{c.name}</a><div class="muted mono">{short}</div></td>
                            <td class="image mono">{c.image}</td>
                            <td><StateBadge state=c.state/></td>
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
                    {several.then(|| view! {
                        <tr class="host-row">
                            <th colspan="5">
                                <span class="host-name">{name.clone()}</span>" "
                                <span class=badge>{badge_text}</span>" "
                                <span class="muted counts">{format!("{running} running of {total}")}</span>" "
                                <span class="muted host-line" data-testid="host-line">{line}</span>
                            </th>
                        </tr>
                    })}
                    {rows}
                </tbody>
            }
        })
        .collect_view();
    view! {
        <HostBanner hosts=data.hosts/>
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
                    <tr><th>"Name"</th><th>"Image"</th><th>"State"</th><th>"Status"</th><th>"Created"</th></tr>
                </thead>
                {bodies}
            </table>
        })}
    }
}
