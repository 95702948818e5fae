//! `/containers/{host}/{id}`: identity, state, actions and tabs. The details
//! refresh every 2 s so a change made with the docker CLI shows up by itself.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_params_map};

use super::widgets::{ErrorBox, StateBadge, describe};
use crate::api::{ActOnContainer, RemoveContainer, get_container_details};
use crate::poll::use_visible_tick;
use wire::{ApiError, ContainerAction, ContainerDetails};

type DetailsResource = Resource<Result<ContainerDetails, ApiError>>;

/// The page's details, for its tabs (the Logs tab waits for them to know
/// the container exists).
#[derive(Clone, Copy)]
pub(crate) struct Details(pub(crate) DetailsResource);

#[component]
pub fn ContainerPage() -> impl IntoView {
    let params = use_params_map();
    let host = Memo::new(move |_| params.read().get("host").unwrap_or_default());
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let tick = use_visible_tick(Duration::from_secs(2));
    let act = ServerAction::<ActOnContainer>::new();
    // Lives here, not in the header, which is drawn again at every refresh.
    let remove = RemoveUi {
        open: RwSignal::new(false),
        volumes: RwSignal::new(false),
        force: RwSignal::new(false),
        action: ServerAction::<RemoveContainer>::new(),
    };
    {
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| {
            if remove.action.value().get().is_some_and(|r| r.is_ok()) {
                navigate("/", Default::default());
            }
        });
    }
    // Once the container is gone, stop asking: the page says so, and
    // repeating a 404 every 2 s helps nobody. The tick freezes while gone.
    let gone = RwSignal::new(false);
    let live_tick =
        Memo::new(move |prev: Option<&u64>| if gone.get() { prev.copied().unwrap_or_default() } else { tick.get() });
    let details: DetailsResource = Resource::new(
        move || (host.get(), id.get(), live_tick.get(), act.version().get()),
        |(host, id, _, _)| get_container_details(host, id),
    );
    Effect::new(move |_| {
        let not_found = details.get().is_some_and(|r| r.is_err_and(|e| e.is_not_found()));
        if not_found != gone.get_untracked() {
            gone.set(not_found);
        }
    });
    provide_context(Details(details));

    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let base = format!("/containers/{}/{}", host.get_untracked(), id.get_untracked());
            match ev.key().as_str() {
                // Esc closes the shortcut list first, if it is open.
                "Escape" if !ev.default_prevented() && !super::help::is_open() => {
                    ev.prevent_default();
                    navigate("/", Default::default());
                }
                "s" if !crate::poll::focus_is_in_a_control() => navigate(&format!("{base}/stats"), Default::default()),
                "c" if !crate::poll::focus_is_in_a_control() => navigate(&format!("{base}/config"), Default::default()),
                "l" if !crate::poll::focus_is_in_a_control() => navigate(&format!("{base}/logs"), Default::default()),
                // Actions take Shift, so a stray letter changes nothing; each
                // presses its button, so what is disabled stays disabled.
                key @ ("S" | "X" | "R" | "P" | "D") if !crate::poll::focus_is_in_a_text_field() => {
                    if let Some(button) = action_button(key) {
                        ev.prevent_default();
                        button.click();
                    }
                }
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }

    view! {
        <section class="container-page">
            <p class="crumbs"><a href=crate::base::href("/")>"← All containers"</a></p>
            <Transition fallback=|| view! { <p class="loading">"Loading container…"</p> }>
                {move || Suspend::new(async move {
                    match details.await {
                        Ok(d) => view! { <ContainerHeader d act remove/> }.into_any(),
                        Err(e) if e.is_not_found() => {
                            view! { <ContainerNotFound host=host.get_untracked() id=id.get_untracked() error=e/> }.into_any()
                        }
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Transition>
            <Outlet/>
        </section>
    }
}

/// The enabled action button a Shift shortcut stands for (`P` pauses a
/// running container and unpauses a paused one).
#[cfg(feature = "hydrate")]
fn action_button(key: &str) -> Option<leptos::web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    let actions: &[&str] = match key {
        "S" => &["start"],
        "X" => &["stop"],
        "R" => &["restart"],
        "P" => &["pause", "unpause"],
        "D" => &["remove"],
        _ => &[],
    };
    actions.iter().find_map(|a| {
        let el = document().query_selector(&format!(".container-header button[data-action=\"{a}\"]")).ok()??;
        if el.has_attribute("disabled") {
            return None;
        }
        el.dyn_into::<leptos::web_sys::HtmlElement>().ok()
    })
}

#[component]
fn ContainerNotFound(host: String, id: String, error: ApiError) -> impl IntoView {
    view! {
        <Title text="Container not found · Binnacle"/>
        <div class="not-found" data-testid="not-found">
            <h1>"Container not found"</h1>
            <p>{describe(&error)}</p>
            <p class="muted">"Looked for " <code>{id}</code> " on host " <code>{host}</code> "."</p>
            <p><a href=crate::base::href("/")>"Back to all containers"</a></p>
        </div>
    }
}

fn state_line(d: &ContainerDetails) -> String {
    use wire::ContainerState as S;
    match d.state {
        S::Running => match &d.started_at {
            Some(t) => format!("running since {}", short_time(t)),
            None => "running".into(),
        },
        S::Exited | S::Dead => {
            let mut s = format!("exited with code {}", d.exit_code.unwrap_or_default());
            if let Some(t) = &d.finished_at {
                s.push_str(&format!(" at {}", short_time(t)));
            }
            if d.oom_killed {
                s.push_str(" (OOM killed)");
            }
            s
        }
        S::Created => "created, never started".into(),
        other => other.as_str().into(),
    }
}

/// The tab a container page's path names: `{base}/containers/{host}/{id}/{tab}`
/// (empty for the bare page).
fn tab_of(pathname: &str) -> &str {
    let rest = pathname.strip_prefix(crate::base::base_path()).unwrap_or(pathname);
    rest.trim_matches('/').split('/').nth(3).unwrap_or("")
}

/// `2026-11-23T22:40:12.123456789Z` -> `2026-11-23 22:40:12 UTC`.
pub(super) fn short_time(rfc3339: &str) -> String {
    let (date, rest) = rfc3339.split_once('T').unwrap_or((rfc3339, ""));
    let time: String = rest.chars().take(8).collect();
    if time.is_empty() { date.to_string() } else { format!("{date} {time} UTC") }
}

/// The remove confirmation's state (kept by the page across refreshes).
#[derive(Clone, Copy)]
struct RemoveUi {
    open: RwSignal<bool>,
    volumes: RwSignal<bool>,
    force: RwSignal<bool>,
    action: ServerAction<RemoveContainer>,
}

/// "Remove…", then a confirmation that names the container, with its
/// options: anonymous volumes, and force for a running container (without
/// it Docker refuses, and the refusal is shown).
fn remove_controls(ui: RemoveUi, name: String, host: String, id: String, running: bool) -> impl IntoView {
    let confirm_name = name.clone();
    view! {
        <button type="button" class="action danger" data-action="remove"
            aria-keyshortcuts="Shift+D" title="Remove… (Shift+D)"
            aria-expanded=move || ui.open.get().to_string()
            disabled=move || ui.action.pending().get()
            on:click=move |_| ui.open.update(|o| *o = !*o)>
            "Remove…"
        </button>
        <Show when=move || ui.open.get()>
            {
                let (host, id, name) = (host.clone(), id.clone(), confirm_name.clone());
                view! {
                    <div class="confirm" role="dialog" aria-label="Remove container" data-testid="remove-dialog">
                        <p>"Remove container " <strong>{name.clone()}</strong> "? This cannot be undone."</p>
                        <label><input type="checkbox" data-testid="remove-volumes"
                            prop:checked=move || ui.volumes.get()
                            on:change=move |ev| ui.volumes.set(event_target_checked(&ev))/>
                            " Also remove its anonymous volumes"</label>
                        {running.then(|| view! {
                            <label><input type="checkbox" data-testid="remove-force"
                                prop:checked=move || ui.force.get()
                                on:change=move |ev| ui.force.set(event_target_checked(&ev))/>
                                " It is running: stop it by force first"</label>
                        })}
                        <div class="actions">
                            <button type="button" class="action danger" data-testid="remove-confirm"
                                disabled=move || ui.action.pending().get()
                                on:click=move |_| {
                                    ui.action.dispatch(RemoveContainer {
                                        host: host.clone(),
                                        id: id.clone(),
                                        force: ui.force.get_untracked(),
                                        volumes: ui.volumes.get_untracked(),
                                    });
                                }>
                                {move || if ui.action.pending().get() { "Removing…".to_string() } else { format!("Remove {name}") }}
                            </button>
                            <button type="button" class="action" on:click=move |_| ui.open.set(false)>"Cancel"</button>
                        </div>
                        {move || ui.action.value().get().and_then(|r| r.err()).map(|e| {
                            view! { <div class="notice error" role="alert" data-testid="remove-error">{describe(&e)}</div> }
                        })}
                    </div>
                }
            }
        </Show>
    }
}

#[component]
fn ContainerHeader(d: ContainerDetails, act: ServerAction<ActOnContainer>, remove: RemoveUi) -> impl IntoView {
    let title = format!("{} · Binnacle", d.name);
    let running = d.state.is_running();
    let paused = d.state == wire::ContainerState::Paused;
    let host = d.host.to_string();
    let id = d.id.to_string();
    let page = crate::base::href(&format!("/containers/{host}/{id}"));
    let line = state_line(&d);
    // The actions finished when these details were read: one finishing
    // later makes them stale until the refreshed details arrive, and the
    // buttons wait for those, so button and badge change together.
    let drawn_after = act.version().get_untracked();
    let stale = move || act.version().get() != drawn_after;
    let location = use_location();
    let config_href = format!("{page}/config");
    let stats_href = format!("{page}/stats");
    let logs_href = format!("{page}/logs");
    // The bare URL (by id, short id or name, with or without a trailing
    // slash) shows Config.
    let tab = move || tab_of(&location.pathname.get()).to_string();
    let config_active = move || matches!(tab().as_str(), "" | "config");
    let stats_active = move || tab() == "stats";
    let logs_active = move || tab() == "logs";

    let button = move |action: ContainerAction, enabled: bool| {
        let host = host.clone();
        let id = id.clone();
        let pending_here = move || act.pending().get() && act.input().get().is_some_and(|i| i.action == action);
        let label = move || {
            if pending_here() {
                match action {
                    ContainerAction::Start => "Starting…",
                    ContainerAction::Stop => "Stopping…",
                    ContainerAction::Restart => "Restarting…",
                    ContainerAction::Pause => "Pausing…",
                    ContainerAction::Unpause => "Unpausing…",
                }
            } else {
                action.label()
            }
        };
        let keys = match action {
            ContainerAction::Start => "Shift+S",
            ContainerAction::Stop => "Shift+X",
            ContainerAction::Restart => "Shift+R",
            ContainerAction::Pause | ContainerAction::Unpause => "Shift+P",
        };
        view! {
            <button type="button" class="action" data-action=action.label().to_lowercase()
                aria-keyshortcuts=keys title=format!("{} ({keys})", action.label())
                disabled=move || !enabled || act.pending().get() || stale()
                aria-busy=move || pending_here().to_string()
                on:click=move |_| {
                    act.dispatch(ActOnContainer { host: host.clone(), id: id.clone(), action });
                }>
                {label}
            </button>
        }
    };

    view! {
        <Title text=title/>
        <div class="container-header">
            <h1 data-testid="container-name">{d.name.clone()}</h1>
            <StateBadge state=d.state/>
            <p class="muted"><span class="mono">{d.image.clone()}</span>" · "<span class="mono">{d.id.short().to_string()}</span>
                " · host " {d.host.to_string()}</p>
            <p class="state-line" data-testid="state-line">{line}</p>
            {if d.read_only {
                view! { <p class="muted" data-testid="read-only">"Read-only mode: actions are disabled."</p> }.into_any()
            } else {
                view! {
                    <div class="actions">
                        {button(ContainerAction::Start, !running)}
                        {button(ContainerAction::Stop, running)}
                        {button(ContainerAction::Restart, true)}
                        {button(ContainerAction::Pause, running)}
                        {button(ContainerAction::Unpause, paused)}
                        {remove_controls(remove, d.name.clone(), d.host.to_string(), d.id.to_string(), running || paused)}
                    </div>
                }.into_any()
            }}
            {move || act.value().get().and_then(|r| r.err()).map(|e| {
                view! { <div class="notice error" role="alert" data-testid="action-error">{describe(&e)}</div> }
            })}
        </div>
        <nav class="tabs" aria-label="Container sections">
            <a href=config_href class:active=config_active aria-keyshortcuts="c">"Config"</a>
            <a href=stats_href class:active=stats_active aria-keyshortcuts="s">"Stats"</a>
            <a href=logs_href class:active=logs_active aria-keyshortcuts="l">"Logs"</a>
        </nav>
    }
}
