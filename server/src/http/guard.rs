//! Request safety that holds whatever authentication is configured:
//! server functions refuse cross-site and non-JSON requests, bodies are
//! size-limited (with or without a Content-Length), and in `none` auth mode
//! only requests addressed to this machine by a loopback name are served.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Method, Request, header};
use axum::middleware::Next;
use axum::response::Response;
use wire::{ApiError, ErrorKind};

use super::errors::error_response;

/// Largest request body accepted (server function arguments are tiny).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// True when the browser says the request comes from another site. Requests
/// without these headers (curl, scripts) are not browser-driven and pass.
pub fn cross_site(req: &Request<Body>) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
        return origin == "null" || !origin_host.eq_ignore_ascii_case(host);
    }
    false
}

/// Server functions (`/api/...`) take JSON only and never from another site:
/// a form or `text/plain` post, which browsers send cross-site without a
/// preflight, is refused before it reaches any handler.
pub async fn server_fn_guard(mut req: Request<Body>, next: Next) -> Response {
    if req.uri().path().starts_with("/api/") && req.method() != Method::GET && req.method() != Method::HEAD {
        if cross_site(&req) {
            tracing::warn!(path = %req.uri().path(), "refused a cross-site request to a server function");
            return error_response(&ApiError::new(ErrorKind::Forbidden, "cross-site requests are refused"));
        }
        let json =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
                ct.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !json {
            return error_response(&ApiError::new(ErrorKind::Unsupported, "server functions take application/json"));
        }
        // The API answers JSON, always: never the HTML-form redirect that
        // server functions make for `Accept: text/html`.
        req.headers_mut().insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    }
    next.run(req).await
}

/// Reads the whole body up to the limit before anything else sees it, so an
/// oversized body is refused the same way with or without a Content-Length
/// (a chunked one included): 413 and the JSON error.
pub async fn limit_body(req: Request<Body>, next: Next) -> Response {
    let too_large = || {
        error_response(&ApiError::new(
            ErrorKind::TooLarge,
            format!("the request body is over {} KiB", MAX_BODY_BYTES / 1024),
        ))
    };
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let over = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            if over {
                return too_large();
            }
            return error_response(&ApiError::invalid("request", "the body could not be read"));
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Which `Host` values are this machine, for `none` auth mode.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    /// `BINNACLE_ALLOWED_HOSTS`: more names that reach this Binnacle.
    pub extra: Vec<String>,
}

impl AllowedHosts {
    /// `localhost`, a name under `.localhost`, a loopback address, or a name
    /// in the allow-list; the port does not matter.
    pub fn allows(&self, host_header: &str) -> bool {
        let host = host_header.trim();
        let name = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host
                .rsplit_once(':')
                .map(|(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { host })
                .unwrap_or(host),
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        if let Ok(ip) = name.parse::<IpAddr>() {
            return ip.is_loopback();
        }
        self.extra.iter().any(|allowed| allowed.eq_ignore_ascii_case(&name))
    }
}

/// With no authentication, a page on another site could read the API from
/// the user's browser by pointing its own name at 127.0.0.1 (DNS
/// rebinding). Such requests carry that other name in `Host`: refused, 421.
pub async fn loopback_host_only(State(allowed): State<Arc<AllowedHosts>>, req: Request<Body>, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).map(str::to_string);
    match host {
        Some(h) if !allowed.allows(&h) => {
            tracing::warn!(host = %h, "refused a request for another host name (auth none: loopback names only)");
            error_response(&ApiError::new(
                ErrorKind::MisdirectedRequest,
                "this Binnacle answers only to localhost and loopback addresses (see BINNACLE_ALLOWED_HOSTS)",
            ))
        }
        // No Host at all is not a browser (browsers always send it).
        _ => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_addresses_are_this_machine() {
        let a = AllowedHosts { extra: vec!["dash.lan".into()] };
        for ok in [
            "localhost",
            "localhost:3000",
            "LOCALHOST.",
            "app.localhost:1",
            "127.0.0.1:3000",
            "127.9.9.9",
            "[::1]:3000",
            "dash.lan:3000",
        ] {
            assert!(a.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:3000",
            "10.0.0.5:3000",
            "localhost.evil.example",
            "[::2]:80",
            "127.0.0.1.nip.io",
            "",
        ] {
            assert!(!a.allows(bad), "{bad}");
        }
    }
}
