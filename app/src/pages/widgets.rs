//! Small pieces shared by pages: state badges and errors in words.

use leptos::prelude::*;

use wire::{ApiError, ContainerState, ErrorKind, HostStatus, format_unix_utc};

#[component]
pub fn StateBadge(state: ContainerState) -> impl IntoView {
    view! { <span class=format!("badge state-{}", state.as_str()) data-state=state.as_str()>{state.as_str()}</span> }
}

/// A plain sentence for each error kind; never a stack trace.
pub fn describe(error: &ApiError) -> String {
    match error.kind {
        ErrorKind::EngineUnavailable => format!(
            "The Docker engine of host \"{}\" is not answering. Binnacle keeps trying and this page updates by itself when it is back.",
            error.host.as_deref().unwrap_or("?")
        ),
        ErrorKind::NotFound => format!("{} It may have been removed.", error.sentence()),
        ErrorKind::Internal => "Something went wrong on the server; the details are in its log.".into(),
        ErrorKind::Transport => format!("Could not reach Binnacle: {}", error.message),
        _ => error.sentence(),
    }
}

#[component]
pub fn ErrorBox(error: ApiError) -> impl IntoView {
    let class = if error.kind == ErrorKind::EngineUnavailable { "notice engine-down" } else { "notice error" };
    view! { <div class=class role="alert">{describe(&error)}</div> }
}

/// A host in a line: what it is and how it is reached, or since when and
/// why it does not answer.
pub fn host_line(h: &HostStatus) -> String {
    let how = if h.transport.is_empty() { String::new() } else { format!(" over {}", h.transport) };
    if h.reachable {
        let what = match (&h.engine, &h.version) {
            (Some(engine), Some(version)) => format!("{engine} {version}"),
            (None, Some(version)) => format!("Docker {version}"),
            _ => "answering".into(),
        };
        format!("{what}{how}")
    } else {
        let since = h.since_ms.map(|ms| format!(" since {}", format_unix_utc(ms / 1000))).unwrap_or_default();
        let why = h.error.clone().unwrap_or_else(|| "no answer".into());
        format!("unreachable{since}: {why}{how}")
    }
}

/// One line per host that does not answer.
#[component]
pub fn HostBanner(hosts: Vec<HostStatus>) -> impl IntoView {
    hosts
        .into_iter()
        .filter(|h| !h.reachable)
        .map(|h| {
            let reason = h.error.clone().unwrap_or_else(|| "no answer".into());
            view! {
                <div class="notice engine-down" role="alert" data-testid="engine-down">
                    "Docker unreachable: the engine of host \"" {h.name.to_string()} "\" is not answering ("
                    {reason} "). Binnacle keeps retrying; this page updates by itself when it is back."
                </div>
            }
        })
        .collect_view()
}
