//! Request safety that holds whatever authentication is configured:
//! server functions refuse cross-site and non-JSON requests, every answer
//! carries security headers, and request bodies are size-limited.

use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest request body accepted (server function arguments are tiny).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

fn refuse(status: StatusCode, why: &'static str) -> Response {
    let body = format!(r#"{{"kind":"invalid","detail":{{"field":"request","reason":"{why}"}}}}"#);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

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
pub async fn server_fn_guard(req: Request<Body>, next: Next) -> Response {
    if req.uri().path().starts_with("/api/") && req.method() != Method::GET && req.method() != Method::HEAD {
        if cross_site(&req) {
            tracing::warn!(path = %req.uri().path(), "refused a cross-site request to a server function");
            return refuse(StatusCode::FORBIDDEN, "cross-site requests are refused");
        }
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
        if !json {
            return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "server functions take application/json");
        }
    }
    next.run(req).await
}

/// Headers on every answer: no MIME sniffing, no referrer, never framed, and
/// a strict Content-Security-Policy unless the page set its own (pages do,
/// with the nonce of their hydration script).
pub async fn security_headers(req: Request<Body>, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'",
        ));
    res
}
