//! `/`: every container of every host, running first, refreshed every 2 s.
//! Keyboard: j/k or arrows move the selection, Enter opens it.

use std::time::Duration;

use leptos::prelude::*;

use super::widgets::{ErrorBox, HostBanner, StateBadge};
use crate::api::list_containers;
use crate::poll::use_visible_tick;
use wire::{ContainerList, ContainerSummary, format_unix_utc};

/// The app path of a container's page (for navigation inside the router).
pub fn container_path(c: &ContainerSummary) -> String {
    format!("/containers/{}/{}", c.host, c.id)
}

#[component]
pub fn ContainerListPage() -> impl IntoView {
    let tick = use_visible_tick(Duration::from_secs(2));
    let list = Resource::new(move || tick.get(), |_| list_containers());
    let selected = RwSignal::new(0usize);
    // The rows last shown, for the keyboard handler (not rendered from here).
    let rows: RwSignal<Vec<String>> = RwSignal::new(Vec::new());

    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || crate::poll::focus_is_in_a_control() {
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
                    match list.await {
                        Ok(data) => {
                            let hrefs: Vec<String> = data.containers.iter().map(container_path).collect();
                            rows.set(hrefs);
                            view! { <ContainerTable data selected/> }.into_any()
                        }
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
            <p class="hint">"Keys: j/k or ↑/↓ to move, Enter to open, Esc to come back."</p>
        </section>
    }
}

#[component]
fn ContainerTable(data: ContainerList, selected: RwSignal<usize>) -> impl IntoView {
    let all_down = !data.hosts.is_empty() && data.hosts.iter().all(|h| !h.reachable);
    let empty = data.containers.is_empty();
    let rows = data
        .containers
        .into_iter()
        .enumerate()
        .map(|(index, c)| {
            let href = crate::base::href(&container_path(&c));
            let name = c.name.clone();
            let id = c.id.to_string();
            let short = c.id.short().to_string();
            let created = format_unix_utc(c.created);
            view! {
                <tr class:selected=move || selected.get() == index data-name=name.clone() data-id=id
                    data-state=c.state.as_str() on:click=move |_| selected.set(index)>
                    <td class="name"><a href=href>{c.name}</a><div class="muted mono">{short}</div></td>
                    <td class="image mono">{c.image}</td>
                    <td><StateBadge state=c.state/></td>
                    <td class="status">{c.status}</td>
                    <td class="created">{created}</td>
                    <td class="host">{c.host.to_string()}</td>
                </tr>
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
                    <tr><th>"Name"</th><th>"Image"</th><th>"State"</th><th>"Status"</th><th>"Created"</th><th>"Host"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        })}
    }
}
