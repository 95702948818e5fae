//! The Logs tab's two endpoints.
//!
//! - `GET {base}/api/logs?host&id[&tail]`: server-sent events (see
//!   `wire::logs` for the events). Server-sent events because they are
//!   plain HTTP: every reverse proxy passes them (nginx once told not to
//!   buffer, which `X-Accel-Buffering: no` does per response), they live
//!   under the sub-path like everything else, the session cookie goes with
//!   them, and the browser reconnects by itself with `Last-Event-ID`, from
//!   which the stream resumes after the last line seen. A WebSocket would
//!   add an upgrade every proxy must be configured for, for a stream that
//!   only goes one way.
//! - `GET {base}/api/logs/download?host&id`: the whole log as text, one line
//!   per log line: the time (ISO 8601 UTC, ns), the stream, the text.
//!
//! Both stream: nothing holds more than a batch of lines, and a slow reader
//! slows the engine's stream rather than growing memory. Log text is never
//! logged here.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use engine::logs::{Begin, Lines, LogEvent};
use engine::port::LogsRequest;
use futures::StreamExt;
use serde::Deserialize;
use wire::{ApiError, ContainerDetails, ContainerId, HostName, LogsHello, MAX_TAIL};

use crate::http::errors::error_response;
use crate::launch::AppState;

/// `BINNACLE_LOGS_TAIL` and `BINNACLE_LOGS_MAX_LINES`.
#[derive(Debug, Clone, Copy)]
pub struct LogsConfig {
    pub tail: u32,
    pub max_lines: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    host: String,
    id: String,
    /// Kept as text so a bad value gets our own message.
    tail: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadQuery {
    host: String,
    id: String,
}

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

/// Proxies keep a quiet stream open when something passes now and then.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub async fn follow(State(state): State<AppState>, headers: HeaderMap, query: QueryResult<LogsQuery>) -> Response {
    match start(&state, &headers, query).await {
        Ok(r) => r,
        Err(e) => error_response(&e),
    }
}

async fn start(state: &AppState, headers: &HeaderMap, query: QueryResult<LogsQuery>) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let tail = match q.tail.as_deref() {
        None => state.logs.tail,
        Some(t) => t
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= MAX_TAIL)
            .ok_or_else(|| ApiError::invalid("tail", format!("must be a whole number from 0 to {MAX_TAIL}")))?,
    };
    let details = container(state, &q.host, &q.id).await?;
    // A browser reconnecting by itself names the last line it has. One we
    // cannot read is treated as none: the tail again beats no log.
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|n| *n >= 0);
    let hello = LogsHello {
        id: details.id.to_string(),
        name: details.name.clone(),
        tty: details.tty,
        running: details.state.is_running(),
        tail,
        max_lines: state.logs.max_lines,
        resumed: resume.is_some(),
    };
    let begin = resume.map_or(Begin::Tail(tail), Begin::After);
    let rx = engine::logs::follow(state.hosts.clone(), &details, begin);
    let hello = futures::stream::once(async move { json_event(wire::EVENT_HELLO, &hello) });
    let events = futures::stream::unfold(rx, |mut rx| async move {
        let event = rx.recv().await?;
        Some((event, rx))
    })
    .map(|event| match event {
        LogEvent::Lines { lines, last_nanos } => {
            json_event(wire::EVENT_LINES, &lines).map(|e| e.id(last_nanos.to_string()))
        }
        LogEvent::Exit(exit) => json_event(wire::EVENT_EXIT, &exit),
        LogEvent::Start(start) => json_event(wire::EVENT_START, &start),
        LogEvent::Problem(e) => json_event(wire::EVENT_PROBLEM, &ApiError::from(e)),
        LogEvent::Resumed => Ok(Event::default().event(wire::EVENT_RESUMED).data("{}")),
        LogEvent::Gone => Ok(Event::default().event(wire::EVENT_GONE).data("{}")),
    });
    let mut res =
        Sse::new(hello.chain(events).fuse()).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)).into_response();
    let h = res.headers_mut();
    // nginx would otherwise hold the events in its buffer.
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

fn json_event<T: serde::Serialize>(name: &str, value: &T) -> Result<Event, Infallible> {
    let data = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    Ok(Event::default().event(name).data(data))
}

/// The container named, inspected (a 400 for a malformed name, a 404 for
/// an unknown one, before anything streams).
async fn container(state: &AppState, host: &str, id: &str) -> Result<ContainerDetails, ApiError> {
    let host = HostName::parse(host)?;
    let id = ContainerId::parse(id)?;
    state.hosts.details(&host, &id).await.map_err(ApiError::from)
}

pub async fn download(State(state): State<AppState>, query: QueryResult<DownloadQuery>) -> Response {
    let result = async {
        let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
        let details = container(&state, &q.host, &q.id).await?;
        let request = LogsRequest { follow: false, tail: None, since_secs: 0 };
        let stream = state.hosts.logs(&details.host, &details.id, request).map_err(ApiError::from)?;
        Ok::<_, ApiError>((details, stream))
    }
    .await;
    let (details, stream) = match result {
        Ok(v) => v,
        Err(e) => return error_response(&e),
    };
    // An error mid-way ends the file early; the status was sent already.
    let body = futures::stream::unfold((stream, Lines::default(), false), |(mut stream, mut lines, done)| async move {
        if done {
            return None;
        }
        let mut text = String::new();
        match stream.next().await {
            Some(Ok(chunk)) => {
                lines.push(&chunk, |n, l| write_line(&mut text, n, &l));
                Some((Ok::<_, Infallible>(text), (stream, lines, false)))
            }
            Some(Err(_)) | None => {
                lines.finish(|n, l| write_line(&mut text, n, &l));
                Some((Ok(text), (stream, lines, true)))
            }
        }
    });
    let name: String =
        details.name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    let file = format!("{}-{}.log", if name.is_empty() { "container" } else { &name }, details.id.short());
    // Fused: the compression layer polls again after the end.
    let mut res = Body::from_stream(body.fuse()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `<time> <stream> <text>` and a newline.
fn write_line(out: &mut String, nanos: i64, l: &wire::LogLine) {
    let stream = match l.stream {
        wire::LogStream::Stdout => "stdout",
        wire::LogStream::Stderr => "stderr",
        wire::LogStream::Tty => "tty",
    };
    out.push_str(&format_iso_ns(nanos));
    out.push(' ');
    out.push_str(stream);
    out.push(' ');
    out.push_str(&l.text);
    out.push('\n');
}

/// ns since the epoch -> `2026-11-29T23:30:01.123456789Z`.
fn format_iso_ns(nanos: i64) -> String {
    let ms = nanos.div_euclid(1_000_000);
    let iso = wire::format_iso_ms(ms); // ...T23:30:01.123Z
    let below = nanos.rem_euclid(1_000_000);
    match iso.strip_suffix('Z') {
        Some(head) => format!("{head}{below:06}Z"),
        None => iso,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_their_nanoseconds() {
        assert_eq!(format_iso_ns(1_123_456_789), "1970-01-01T00:00:01.123456789Z");
        assert_eq!(
            engine::logs::parse_nanos(&format_iso_ns(1_764_458_400_000_000_001)),
            Some(1_764_458_400_000_000_001)
        );
    }
}
