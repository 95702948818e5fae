//! The login page, logging in and out, and where to go after logging in.
//! The page wears the app's theme: the same early script as the app's
//! shell (the theme saved by the toggle, else the OS setting), allowed by
//! this answer's own nonce.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, Query, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use leptos::prelude::*;
use rand_core::{OsRng, RngCore};
use secrecy::SecretString;
use serde::Deserialize;
use url::{Position, Url};
use wire::{ApiError, ErrorKind};

use super::password::Admission;
use super::sessions::{cleared_cookie, session_cookie};
use super::{Auth, AuthMode, peer_of};
use crate::http::errors::error_response;
use crate::http::guard::cross_site;

/// Where to go after logging in, read the way a browser will read it: the
/// value is resolved as a WHATWG URL against this origin and base path and
/// followed only when it stays on this origin, under the base path, and has
/// no control characters (browsers drop tabs and newlines, which once let
/// `/\t/evil.example` through). Anything else goes to the base path.
pub fn safe_next(base: &str, next: Option<&str>) -> String {
    let home = format!("{base}/");
    let Some(next) = next else { return home };
    if next.is_empty() || next.chars().any(char::is_control) {
        return home;
    }
    let Ok(origin) = Url::parse("http://binnacle.invalid/") else { return home };
    let Ok(start) = origin.join(&home) else { return home };
    let Ok(resolved) = start.join(next) else { return home };
    let path = resolved.path();
    let under_base = base.is_empty() || path == base || path.starts_with(&home);
    // A path that begins `//` (`/.//x` and `/..//x` resolve to one) is read
    // by a browser as a link to the host `x`.
    let network_path = path.starts_with("//") || path.starts_with("/\\");
    if resolved.origin() != origin.origin() || !under_base || network_path {
        return home;
    }
    resolved[Position::BeforePath..].to_string()
}

/// A `Location` for a path `safe_next` produced (always a valid header).
fn redirect(to: &str, fallback: &str) -> Response {
    let location = HeaderValue::try_from(to).or_else(|_| HeaderValue::try_from(fallback));
    match location {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => error_response(&ApiError::internal()),
    }
}

/// A fresh nonce for the page's one inline script.
fn script_nonce() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The page's policy: the app's default, plus its theme script by nonce.
fn login_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}'; img-src 'self' data:; frame-ancestors 'none'; \
         base-uri 'self'; object-src 'none'; form-action 'self'"
    )
}

/// The login page with `status`, and the policy that lets its script run.
fn login_response(status: StatusCode, base: &str, next: &str, message: Option<&str>) -> Response {
    let nonce = script_nonce();
    let mut res = (status, Html(login_page(base, next, message, &nonce))).into_response();
    if let Ok(policy) = HeaderValue::try_from(login_policy(&nonce)) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    res
}

fn login_page(base: &str, next: &str, message: Option<&str>, nonce: &str) -> String {
    let nonce = nonce.to_string();
    let stylesheet = format!("{base}/pkg/binnacle.css");
    let action = format!("{base}/login");
    let next = next.to_string();
    let message = message.map(str::to_string);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <script nonce=nonce>{app::theme::EARLY_THEME_SCRIPT}</script>
                <link rel="stylesheet" href=stylesheet/>
                <title>"Log in · Binnacle"</title>
            </head>
            <body>
                <main class="login">
                    <h1>"Binnacle"</h1>
                    {message.map(|m| view! { <p class="notice error" role="alert" data-testid="login-error">{m}</p> })}
                    <form method="post" action=action>
                        <input type="hidden" name="next" value=next/>
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" autofocus=true required=true/>
                        <button type="submit" class="action">"Log in"</button>
                    </form>
                </main>
            </body>
        </html>
    }
    .to_html()
}

/// Scripts that ask for JSON get the API's error bodies; browsers get the page.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn refuse(auth: &Auth, json: bool, next: &str, error: ApiError) -> Response {
    if json {
        return error_response(&error);
    }
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = login_response(status, &auth.base, next, Some(&error.sentence()));
    if let Some(secs) = error.retry_after_secs {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(State(auth): State<Arc<Auth>>, Query(q): Query<NextQuery>) -> Response {
    if auth.mode != AuthMode::Password {
        return redirect(&format!("{}/", auth.base), "/");
    }
    login_response(StatusCode::OK, &auth.base, &safe_next(&auth.base, q.next.as_deref()), None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    password: SecretString,
    next: Option<String>,
}

pub async fn login(State(auth): State<Arc<Auth>>, req: Request<Body>) -> Response {
    let home = format!("{}/", auth.base);
    let Some(check) = auth.password.as_ref().filter(|_| auth.mode == AuthMode::Password) else {
        return redirect(&home, "/");
    };
    let json = wants_json(req.headers());
    if cross_site(&req) {
        return refuse(&auth, json, &home, ApiError::new(ErrorKind::Forbidden, "cross-site login refused"));
    }
    let peer = peer_of(&req);
    let client = auth.client_ip(peer, req.headers());
    let https = auth.is_https(peer, req.headers());
    let Ok(axum::extract::Form(form)) = axum::extract::Form::<LoginForm>::from_request(req, &()).await else {
        return refuse(&auth, json, &home, ApiError::invalid("request", "the form was not understood"));
    };
    let next = safe_next(&auth.base, form.next.as_deref());
    // The attempt is counted before the (costly) check, so parallel
    // attempts cannot get past the limit.
    let reservation = match auth.limiter.admit(client) {
        Admission::Checked(r) => r,
        Admission::Refused { retry_after_secs } => {
            tracing::warn!(%client, "login refused: too many failed attempts");
            return refuse(&auth, json, &next, ApiError::rate_limited(retry_after_secs));
        }
    };
    match check.verify(form.password).await {
        None => {
            reservation.cancel();
            refuse(
                &auth,
                json,
                &next,
                ApiError {
                    retry_after_secs: Some(1),
                    ..ApiError::new(ErrorKind::RateLimited, "too many logins at once; try again in a second")
                },
            )
        }
        Some(false) => {
            drop(reservation); // counted as a failure
            tracing::info!(%client, "login failed");
            refuse(&auth, json, &next, ApiError::new(ErrorKind::Unauthorized, "wrong password"))
        }
        Some(true) => {
            reservation.succeeded();
            // The answer is complete before the session exists: nothing can
            // fail after a session was issued.
            let res = redirect(&next, &home);
            let token = auth.sessions.start();
            tracing::info!(%client, "logged in");
            let jar = CookieJar::new().add(session_cookie(token, &auth.base, auth.sessions.ttl(), https));
            (jar, res).into_response()
        }
    }
}

pub async fn logout(State(auth): State<Arc<Auth>>, req: Request<Body>) -> Response {
    if cross_site(&req) {
        return error_response(&ApiError::new(ErrorKind::Forbidden, "cross-site logout refused"));
    }
    auth.sessions.end(req.headers());
    let target =
        if auth.mode == AuthMode::Password { format!("{}/login", auth.base) } else { format!("{}/", auth.base) };
    (CookieJar::new().add(cleared_cookie(&auth.base)), redirect(&target, "/")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_page_runs_the_theme_script_by_its_own_nonce_and_nothing_else() {
        let res = login_response(StatusCode::OK, "", "/", None);
        let policy = res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        let nonce = policy.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).unwrap().to_string();
        assert_eq!(nonce.len(), 32);
        assert!(policy.contains("frame-ancestors 'none'") && !policy.contains("unsafe-inline"), "{policy}");
        let page = login_page("", "/", None, &nonce);
        assert!(
            page.contains(&format!("<script nonce=\"{nonce}\">{}</script>", app::theme::EARLY_THEME_SCRIPT)),
            "{page}"
        );
        assert_eq!(page.matches("<script").count(), 1);
        assert_ne!(script_nonce(), script_nonce());
    }

    #[test]
    fn after_login_only_paths_under_the_base_on_this_origin_are_followed() {
        assert_eq!(safe_next("", Some("/containers/local/x")), "/containers/local/x");
        assert_eq!(safe_next("", Some("/containers/local/x?tab=1#a")), "/containers/local/x?tab=1#a");
        assert_eq!(safe_next("/b", Some("/b/containers/local/x")), "/b/containers/local/x");
        assert_eq!(safe_next("/b", Some("/b")), "/b");
        assert_eq!(safe_next("/b", None), "/b/");
        // A same-scheme "http:x" is a relative path for browsers too.
        assert_eq!(safe_next("", Some("http:evil.example")), "/evil.example");
        // Encoded slashes stay a path on this origin, which browsers do not decode.
        assert_eq!(safe_next("", Some("/%2F%2Fevil.example")), "/%2F%2Fevil.example");
    }

    #[test]
    fn anything_a_browser_would_read_as_another_site_goes_home() {
        for evil in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\\/evil.example",
            "https://evil.example",
            "http://evil.example",
            "https:\\\\evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "/x\r\nSet-Cookie: a=b",
            "//evil.example/%2e%2e",
            "/.//evil.example",
            "/..//evil.example",
            "/%2e//evil.example",
            "/%2E%2E//evil.example",
            "/./\\evil.example",
            "/a/../..//evil.example",
            "",
        ] {
            assert_eq!(safe_next("", Some(evil)), "/", "{evil:?}");
        }
        for outside in ["/other", "/bother", "/b/../other", "/b%2F..%2F..", "../x"] {
            let got = safe_next("/b", Some(outside));
            assert!(got == "/b/" || got.starts_with("/b/"), "{outside:?} -> {got}");
        }
        assert_eq!(safe_next("/b", Some("/other")), "/b/");
        assert_eq!(safe_next("/b", Some("/bother")), "/b/");
        assert_eq!(safe_next("/b", Some("/b/../other")), "/b/");
    }
}
