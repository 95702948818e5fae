//! `/hosts`: each configured host: whether it answers and since when, why
//! not, how it is reached, what engine and version, read-only, containers.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;

use super::widgets::ErrorBox;
use crate::api::list_containers;
use crate::poll::use_visible_tick;
use wire::format_unix_utc;

#[component]
pub fn HostsPage() -> impl IntoView {
    let tick = use_visible_tick(Duration::from_secs(2));
    // The counts come with any page: ask for the smallest.
    let list = Resource::new(
        move || tick.get(),
        |_| list_containers(None, None, None, Some(*wire::PER_PAGE_RANGE.start()), None, None, None),
    );
    view! {
        <Title text="Hosts · Binnacle"/>
        <section class="hosts-page">
            <p class="crumbs"><a href=crate::base::href("/")>"← All containers"</a></p>
            <h1>"Hosts"</h1>
            <Transition fallback=|| view! { <p class="loading">"Loading hosts…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(data) => {
                            let rows = data
                                .hosts
                                .iter()
                                .map(|h| {
                                    let name = h.name.to_string();
                                    let (running, total) = data
                                        .counts
                                        .iter()
                                        .find(|c| c.host == h.name)
                                        .map_or((0, 0), |c| (c.running, c.total));
                                    let since = h.since_ms.map(|ms| format_unix_utc(ms / 1000)).unwrap_or_else(|| "—".into());
                                    let listed = h.listed_at_ms.map(|ms| format_unix_utc(ms / 1000)).unwrap_or_else(|| "—".into());
                                    let state = if h.reachable { "reachable" } else { "unreachable" };
                                    let badge = if h.reachable { "badge host-up" } else { "badge host-down" };
                                    let href = crate::base::href(&format!("/?host={name}"));
                                    view! {
                                        <tr data-host=name.clone() data-reachable=h.reachable.to_string()>
                                            <td class="name"><a href=href>{name.clone()}</a></td>
                                            <td><span class=badge>{state}</span></td>
                                            <td>{since}</td>
                                            <td class="error">{h.error.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td class="mono">{h.transport.clone()}</td>
                                            <td>{h.engine.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td class="mono">{h.version.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td class="mono">{h.api_version.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td>{if h.read_only { "yes" } else { "no" }}</td>
                                            <td class="source">{h.stats_source.clone().unwrap_or_else(|| "Engine API".into())}</td>
                                            <td>{format!("{running} running of {total}")}</td>
                                            <td>{listed}</td>
                                        </tr>
                                    }
                                })
                                .collect_view();
                            view! {
                                <table class="hosts" data-testid="hosts">
                                    <thead>
                                        <tr>
                                            <th>"Host"</th><th>"State"</th><th>"Since"</th><th>"Reason"</th><th>"Reached over"</th>
                                            <th>"Engine"</th><th>"Version"</th><th>"API"</th><th>"Read-only"</th><th>"Samples from"</th>
                                            <th>"Containers"</th><th>"Listed at"</th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            }
                            .into_any()
                        }
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
