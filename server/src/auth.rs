//! Who may use Binnacle. Binnacle holds the Docker socket, which is root on
//! the host, so everything is denied by default: only the login page, its
//! stylesheet and `/healthz` answer without a session.
//!
//! Modes (`BINNACLE_AUTH`):
//! - `password` (default): a login page and an HttpOnly, SameSite=Strict
//!   session cookie. There is no default password: without one configured,
//!   start-up makes a random one-time password and logs it once.
//! - `forward-proxy`: a reverse proxy authenticates and passes the user in a
//!   header, which is trusted only from peers in `BINNACLE_TRUSTED_PROXIES`.
//! - `none`: only when listening on loopback.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::body::Body;
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use ipnet::IpNet;
use rand_core::{OsRng, RngCore};
use serde::Deserialize;

pub const COOKIE: &str = "binnacle_session";
/// Failed logins allowed per client address within `FAILURE_WINDOW`.
pub const MAX_FAILURES: usize = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(300);
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    Password,
    ForwardProxy,
    None,
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub mode: AuthMode,
    pub password_hash: Option<String>,
    pub password: Option<String>,
    pub session_ttl: Duration,
    pub forward_header: String,
    pub trusted_proxies: Vec<IpNet>,
    pub listen: SocketAddr,
    /// `BINNACLE_BASE_PATH` (`""` or like `/binnacle`).
    pub base_path: String,
}

struct Session {
    expires: Instant,
}

pub struct Auth {
    mode: AuthMode,
    hash: Option<String>,
    session_ttl: Duration,
    forward_header: header::HeaderName,
    trusted_proxies: Vec<IpNet>,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    base: String,
}

/// Hashes a password as an argon2id PHC string (`binnacle hash-password`).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A password people can type: 20 characters without look-alikes.
fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 20];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

impl Auth {
    /// Checks the configuration; on a bad value returns one line naming the setting.
    pub fn from_config(config: AuthConfig) -> Result<Arc<Auth>, String> {
        let forward_header = header::HeaderName::from_bytes(config.forward_header.as_bytes())
            .map_err(|_| format!("error: invalid value for BINNACLE_FORWARD_AUTH_HEADER: {:?}", config.forward_header))?;
        let hash = match config.mode {
            AuthMode::Password => Some(match (&config.password_hash, &config.password) {
                (Some(phc), _) => {
                    PasswordHash::new(phc).map_err(|e| {
                        format!("error: invalid value for BINNACLE_PASSWORD_HASH: {e} (make one with `binnacle hash-password`)")
                    })?;
                    phc.clone()
                }
                (None, Some(pw)) if !pw.is_empty() => hash_password(pw)?,
                _ => {
                    let once = random_password();
                    tracing::warn!(
                        "no password configured: the one-time password for this run is {once} \
                         (set BINNACLE_PASSWORD_HASH, made with `binnacle hash-password`, to choose one)"
                    );
                    hash_password(&once)?
                }
            }),
            AuthMode::None => {
                if !config.listen.ip().is_loopback() {
                    return Err(format!(
                        "error: BINNACLE_AUTH=none is allowed only when BINNACLE_LISTEN is a loopback address, not {}",
                        config.listen
                    ));
                }
                tracing::warn!("BINNACLE_AUTH=none: anyone who can reach {} controls Docker", config.listen);
                None
            }
            AuthMode::ForwardProxy => {
                if config.trusted_proxies.is_empty() {
                    tracing::warn!("BINNACLE_AUTH=forward-proxy without BINNACLE_TRUSTED_PROXIES: every request will be refused");
                }
                None
            }
        };
        Ok(Arc::new(Auth {
            mode: config.mode,
            hash,
            session_ttl: config.session_ttl,
            forward_header,
            trusted_proxies: config.trusted_proxies,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            base: config.base_path,
        }))
    }

    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    fn trusted(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&peer))
    }

    /// The client's address: the peer, or, behind a trusted proxy, the
    /// nearest untrusted address in `X-Forwarded-For`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted(peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        forwarded.into_iter().rev().find(|ip| !self.trusted(*ip)).unwrap_or(peer)
    }

    /// Whether the browser talks https to the proxy (only a trusted proxy is believed).
    pub fn is_https(&self, peer: IpAddr, headers: &HeaderMap) -> bool {
        self.trusted(peer)
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
    }

    fn session_of(&self, headers: &HeaderMap) -> Option<String> {
        let token = cookie(headers, COOKIE)?;
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        match sessions.get(&token) {
            Some(s) if s.expires > Instant::now() => Some(token),
            Some(_) => {
                sessions.remove(&token);
                None
            }
            None => None,
        }
    }

    fn authenticated(&self, peer: IpAddr, headers: &HeaderMap) -> bool {
        match self.mode {
            AuthMode::None => true,
            AuthMode::Password => self.session_of(headers).is_some(),
            AuthMode::ForwardProxy => {
                self.trusted(peer)
                    && headers
                        .get(&self.forward_header)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|u| !u.trim().is_empty())
            }
        }
    }

    fn new_session(&self) -> String {
        let token = random_token(32);
        let now = Instant::now();
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| s.expires > now);
        if sessions.len() >= MAX_SESSIONS {
            // Bounded: the session closest to expiry goes first.
            if let Some(oldest) = sessions.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| k.clone()) {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(token.clone(), Session { expires: now + self.session_ttl });
        token
    }

    fn end_session(&self, headers: &HeaderMap) {
        if let Some(token) = cookie(headers, COOKIE) {
            self.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(&token);
        }
    }

    /// Seconds to wait when this client failed too often, else None.
    fn blocked_for(&self, ip: IpAddr) -> Option<u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let list = failures.entry(ip).or_default();
        while list.front().is_some_and(|t| now.duration_since(*t) > FAILURE_WINDOW) {
            list.pop_front();
        }
        if list.len() >= MAX_FAILURES {
            let oldest = *list.front()?;
            return Some((FAILURE_WINDOW.saturating_sub(now.duration_since(oldest))).as_secs().max(1));
        }
        None
    }

    fn record_failure(&self, ip: IpAddr) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() > 100_000 {
            failures.clear(); // bounded memory under a flood of addresses
        }
        failures.entry(ip).or_default().push_back(Instant::now());
    }

    async fn verify(&self, password: String) -> bool {
        let Some(hash) = self.hash.clone() else { return false };
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Paths that answer without a session: the login page, its stylesheet, health.
/// (`/pkg/...` arrives here already without the base path.)
fn is_public(base: &str, path: &str) -> bool {
    path == "/pkg/binnacle.css"
        || path.strip_prefix(base).is_some_and(|rest| matches!(rest, "/login" | "/healthz"))
}

/// The TCP peer. Without connection info (only in tests that do not set it)
/// the peer counts as an unknown, untrusted address.
fn peer_of(req: &Request<Body>) -> IpAddr {
    let ext = req.extensions();
    ext.get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| ext.get::<axum::extract::connect_info::MockConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// Deny by default: every route, the fallback included, passes here first,
/// so an unknown path is 404 only after authentication.
pub async fn require_auth(State(auth): State<Arc<Auth>>, req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path();
    if is_public(&auth.base, path) || auth.authenticated(peer_of(&req), req.headers()) {
        return next.run(req).await;
    }
    let wants_page = req.method() == axum::http::Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        && auth.mode == AuthMode::Password;
    if wants_page {
        let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let location = format!("{}/login?next={}", auth.base, urlencode(target));
        return Redirect::to(&location).into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"kind":"unauthorized","detail":"log in first"}"#,
    )
        .into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only local paths: never redirect to another site after login.
fn safe_next(base: &str, next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => format!("{base}/"),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn login_page(base: &str, next: &str, message: Option<&str>) -> String {
    let message = message
        .map(|m| format!(r#"<p class="notice error" role="alert" data-testid="login-error">{}</p>"#, escape(m)))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><link rel="stylesheet" href="{base}/pkg/binnacle.css"><title>Log in · Binnacle</title></head>
<body><main class="login"><h1>Binnacle</h1>{message}
<form method="post" action="{base}/login"><input type="hidden" name="next" value="{next}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" autofocus required>
<button type="submit" class="action">Log in</button></form></main></body></html>"#,
        next = escape(next),
        base = escape(base),
    )
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(State(auth): State<Arc<Auth>>, Query(q): Query<NextQuery>) -> Response {
    if auth.mode != AuthMode::Password {
        return Redirect::to(&format!("{}/", auth.base)).into_response();
    }
    Html(login_page(&auth.base, &safe_next(&auth.base, q.next.as_deref()), None)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    password: String,
    next: Option<String>,
}

pub async fn login(State(auth): State<Arc<Auth>>, req: Request<Body>) -> Response {
    if auth.mode != AuthMode::Password {
        return Redirect::to(&format!("{}/", auth.base)).into_response();
    }
    if crate::guard::cross_site(&req) {
        return (StatusCode::FORBIDDEN, "cross-site login refused").into_response();
    }
    let peer = peer_of(&req);
    let client = auth.client_ip(peer, req.headers());
    let https = auth.is_https(peer, req.headers());
    let Ok(Form(form)) = Form::<LoginForm>::from_request(req, &()).await else {
        let page = login_page(&auth.base, &format!("{}/", auth.base), Some("The form was not understood."));
        return (StatusCode::BAD_REQUEST, Html(page)).into_response();
    };
    let next = safe_next(&auth.base, form.next.as_deref());
    if let Some(wait) = auth.blocked_for(client) {
        tracing::warn!(%client, "login refused: too many failed attempts");
        let msg = format!("Too many failed attempts from your address. Try again in {wait} s.");
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, wait.to_string())], Html(login_page(&auth.base, &next, Some(&msg))))
            .into_response();
    }
    if !auth.verify(form.password).await {
        auth.record_failure(client);
        tracing::info!(%client, "login failed");
        return (StatusCode::UNAUTHORIZED, Html(login_page(&auth.base, &next, Some("Wrong password.")))).into_response();
    }
    let token = auth.new_session();
    tracing::info!(%client, "logged in");
    let mut cookie = format!(
        "{COOKIE}={token}; Path={}/; HttpOnly; SameSite=Strict; Max-Age={}",
        auth.base,
        auth.session_ttl.as_secs()
    );
    if https {
        cookie.push_str("; Secure");
    }
    let mut res = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

pub async fn logout(State(auth): State<Arc<Auth>>, req: Request<Body>) -> Response {
    if crate::guard::cross_site(&req) {
        return (StatusCode::FORBIDDEN, "cross-site logout refused").into_response();
    }
    auth.end_session(req.headers());
    let target = if auth.mode == AuthMode::Password { format!("{}/login", auth.base) } else { format!("{}/", auth.base) };
    let mut res = Redirect::to(&target).into_response();
    let clear = format!("{COOKIE}=; Path={}/; HttpOnly; SameSite=Strict; Max-Age=0", auth.base);
    if let Ok(v) = HeaderValue::from_str(&clear) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

use axum::extract::FromRequest;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash_password("s3cret").unwrap();
        let b = hash_password("s3cret").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&a).unwrap();
        assert!(Argon2::default().verify_password(b"s3cret", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"wrong", &parsed).is_err());
    }

    #[test]
    fn after_login_only_local_paths_are_followed() {
        assert_eq!(safe_next("", Some("/containers/local/x")), "/containers/local/x");
        assert_eq!(safe_next("", Some("//evil.example")), "/");
        assert_eq!(safe_next("", Some("https://evil.example")), "/");
        assert_eq!(safe_next("/b", None), "/b/");
    }

    #[test]
    fn none_mode_is_refused_off_loopback() {
        let config = AuthConfig {
            mode: AuthMode::None,
            password_hash: None,
            password: None,
            session_ttl: Duration::from_secs(60),
            forward_header: "Remote-User".into(),
            trusted_proxies: vec![],
            listen: "0.0.0.0:3000".parse().unwrap(),
            base_path: String::new(),
        };
        let err = Auth::from_config(config).err().unwrap();
        assert!(err.contains("BINNACLE_AUTH=none"));
    }

    #[test]
    fn a_bad_password_hash_names_the_setting() {
        let config = AuthConfig {
            mode: AuthMode::Password,
            password_hash: Some("not-a-hash".into()),
            password: None,
            session_ttl: Duration::from_secs(60),
            forward_header: "Remote-User".into(),
            trusted_proxies: vec![],
            listen: "127.0.0.1:3000".parse().unwrap(),
            base_path: String::new(),
        };
        assert!(Auth::from_config(config).err().unwrap().contains("BINNACLE_PASSWORD_HASH"));
    }
}
