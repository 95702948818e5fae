//! `GET {base}/api/export`: the window a chart shows, as CSV or JSON.
//!
//! Query: `host`, `id`, `range` (15m, 1h, 6h, 24h, 7d, 30d; default 1h),
//! `format` (csv or json; default csv), and optionally `from` and `to` (ms
//! since the epoch; default the range's span ending now). The live ranges
//! give the 1 s points a watched container holds; the others their tier's
//! buckets (min, average and maximum of CPU and memory, average rates),
//! buckets nothing was sampled in left out. Times are ISO 8601 in UTC;
//! units are in the column names. Nothing is started by an export.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wire::{ApiError, ContainerId, HistoryColumns, HistoryRange, HostName, format_iso_ms};

use crate::http::errors::error_response;
use crate::launch::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    host: String,
    id: String,
    range: Option<String>,
    format: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Json,
}

pub const LIVE_COLUMNS: [&str; 8] = [
    "time",
    "cpu_percent_of_one_core",
    "memory_bytes",
    "net_rx_bytes_per_second",
    "net_tx_bytes_per_second",
    "blk_read_bytes_per_second",
    "blk_write_bytes_per_second",
    "pids",
];

pub const BUCKET_COLUMNS: [&str; 13] = [
    "time",
    "cpu_min_percent_of_one_core",
    "cpu_avg_percent_of_one_core",
    "cpu_max_percent_of_one_core",
    "memory_min_bytes",
    "memory_avg_bytes",
    "memory_max_bytes",
    "net_rx_bytes_per_second",
    "net_tx_bytes_per_second",
    "blk_read_bytes_per_second",
    "blk_write_bytes_per_second",
    "events",
    "bucket_seconds",
];

/// One row: the time, then numbers or text (None: unavailable).
enum Cell {
    Num(Option<f64>),
    Text(String),
}

pub async fn export(
    State(state): State<AppState>,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    match run(&state, query).await {
        Ok(r) => r,
        Err(e) => error_response(&e),
    }
}

async fn run(
    state: &AppState,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let host = HostName::parse(&q.host)?;
    let id = ContainerId::parse(&q.id)?;
    let range = HistoryRange::parse(q.range.as_deref().unwrap_or("1h"))?;
    let format = match q.format.as_deref().unwrap_or("csv") {
        "csv" => Format::Csv,
        "json" => Format::Json,
        _ => return Err(ApiError::invalid("format", "must be csv or json")),
    };
    let to = q.to.unwrap_or_else(engine::history::now_ms);
    let from = q.from.unwrap_or(to - range.span_ms());
    if !(0..=wire::MAX_SAFE as i64).contains(&from) || !(0..=wire::MAX_SAFE as i64).contains(&to) || from > to {
        return Err(ApiError::invalid("from", "from and to must be ms since the epoch, from before to"));
    }
    if to - from > range.span_ms() {
        return Err(ApiError::invalid("from", format!("from and to must lie within the range ({})", range.as_str())));
    }
    let metrics = &state.metrics;
    let (full, header, rows) = if range.live() {
        match metrics.live_window(&host, &id, from, to) {
            Some((full, c)) => (full, &LIVE_COLUMNS[..], live_rows(&c)),
            None => {
                // Not watched: nothing held (but an unknown container is an error).
                let details = metrics.hosts().details(&host, &id).await.map_err(ApiError::from)?;
                (details.id, &LIVE_COLUMNS[..], vec![])
            }
        }
    } else {
        let page = metrics.history_page(&host, &id, range, None).await.map_err(ApiError::from)?;
        let cols = metrics.history().read_window(&page.host, &page.id, range, from, to).unwrap_or_default();
        (page.id, &BUCKET_COLUMNS[..], bucket_rows(&cols))
    };
    let name = format!(
        "binnacle-{}-{}-{}.{}",
        host,
        &full.as_str()[..12.min(full.as_str().len())],
        range.as_str(),
        match format {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    );
    let (body, content_type) = match format {
        Format::Csv => (csv(header, &rows), "text/csv; charset=utf-8"),
        Format::Json => (json(&host, &full, range, from, to, header, &rows), "application/json"),
    };
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// An f32 as the f64 with its shortest decimal form (12.3, not 12.300000190734863).
fn short(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(v as f64)
}

fn live_rows(c: &wire::Columns) -> Vec<(i64, Vec<Cell>)> {
    let pids = c.pids();
    let n = |v: Option<u64>| Cell::Num(v.map(|v| v as f64));
    c.times_ms()
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            (
                t,
                vec![
                    Cell::Num(c.cpu_pct[i].map(short)),
                    n(c.mem_kib[i].map(|k| k as u64 * 1024)),
                    n(c.net_rx_bps[i]),
                    n(c.net_tx_bps[i]),
                    n(c.blk_read_bps[i]),
                    n(c.blk_write_bps[i]),
                    n(pids[i].map(u64::from)),
                ],
            )
        })
        .collect()
}

fn bucket_rows(c: &HistoryColumns) -> Vec<(i64, Vec<Cell>)> {
    let f = |v: Option<f32>| Cell::Num(v.map(short));
    let kib = |v: Option<u32>| Cell::Num(v.map(|k| k as f64 * 1024.0));
    let n = |v: Option<u64>| Cell::Num(v.map(|v| v as f64));
    (0..c.len())
        .filter(|&i| c.cpu_avg[i].is_some() || c.mem_avg_kib[i].is_some() || c.events.contains(&(i as u32)))
        .map(|i| {
            let bucket = c.first_bucket + i as i64;
            let events: Vec<String> = c
                .markers
                .iter()
                .filter(|m| m.before_seq as i64 == bucket)
                .map(|m| {
                    serde_json::to_value(m.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
                })
                .collect();
            (
                c.start_ms(i),
                vec![
                    f(c.cpu_min[i]),
                    f(c.cpu_avg[i]),
                    f(c.cpu_max[i]),
                    kib(c.mem_min_kib[i]),
                    kib(c.mem_avg_kib[i]),
                    kib(c.mem_max_kib[i]),
                    n(c.net_rx_bps[i]),
                    n(c.net_tx_bps[i]),
                    n(c.blk_read_bps[i]),
                    n(c.blk_write_bps[i]),
                    Cell::Text(events.join("|")),
                    Cell::Num(Some(c.resolution_ms as f64 / 1000.0)),
                ],
            )
        })
        .collect()
}

fn csv(header: &[&str], rows: &[(i64, Vec<Cell>)]) -> String {
    let mut out = header.join(",");
    out.push('\n');
    for (t, cells) in rows {
        out.push_str(&format_iso_ms(*t));
        for c in cells {
            out.push(',');
            match c {
                Cell::Num(Some(v)) => out.push_str(&v.to_string()),
                Cell::Num(None) => {}
                Cell::Text(s) => out.push_str(s), // marker kinds: [a-z_|] only
            }
        }
        out.push('\n');
    }
    out
}

fn json(
    host: &HostName,
    id: &ContainerId,
    range: HistoryRange,
    from: i64,
    to: i64,
    header: &[&str],
    rows: &[(i64, Vec<Cell>)],
) -> String {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|(t, cells)| {
            let mut o = serde_json::Map::new();
            o.insert(header[0].into(), format_iso_ms(*t).into());
            for (name, c) in header[1..].iter().zip(cells) {
                let v = match c {
                    Cell::Num(v) => v.map_or(serde_json::Value::Null, serde_json::Value::from),
                    Cell::Text(s) => s.clone().into(),
                };
                o.insert((*name).into(), v);
            }
            serde_json::Value::Object(o)
        })
        .collect();
    serde_json::json!({
        "host": host.as_str(),
        "id": id.as_str(),
        "range": range.as_str(),
        "from": format_iso_ms(from),
        "to": format_iso_ms(to),
        "rows": rows,
    })
    .to_string()
}
