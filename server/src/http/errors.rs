//! Every error answer of the HTTP API leaves through here: the status comes
//! from the error's kind (`wire::ErrorKind::status`), the body is the one
//! JSON shape, and a rate limit also says `Retry-After`.

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use wire::{ApiError, ErrorKind};

/// The header server functions put on their error answers.
const SERVER_FN_ERROR: &str = "serverfnerror";
/// Error bodies are small; anything larger is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub fn error_response(error: &ApiError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, [(header::CONTENT_TYPE, "application/json")], error.to_json()).into_response();
    if let Some(secs) = error.retry_after_secs {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}

/// For `/api/...`: a server function's error gets the status of its kind
/// (server functions answer every error with 500 otherwise), and an error
/// the router made (unknown endpoint 404, wrong method 405) gets the JSON
/// body. Success answers pass untouched.
pub async fn api_error_statuses(req: Request<Body>, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    if res.headers().contains_key(SERVER_FN_ERROR) {
        let body = axum::body::to_bytes(res.into_body(), MAX_ERROR_BODY).await.unwrap_or_default();
        let error = serde_json::from_slice::<ApiError>(&body).unwrap_or_else(|e| {
            tracing::error!(error = %e, "a server function answered an error that is not an ApiError");
            ApiError::internal()
        });
        return error_response(&error);
    }
    let status = res.status();
    if (status.is_client_error() || status.is_server_error()) && !is_json(&res) {
        let kind = ErrorKind::from_status(status.as_u16());
        let message = match kind {
            ErrorKind::NotFound => "no such API endpoint".to_string(),
            ErrorKind::MethodNotAllowed => "API endpoints take POST".to_string(),
            _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
        };
        // The kind decides the status, here too: one that has no kind of
        // its own (never sent today) becomes that of the nearest kind.
        return error_response(&ApiError::new(kind, message));
    }
    res
}
