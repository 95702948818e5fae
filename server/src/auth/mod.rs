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
//! - `none`: only when listening on loopback, and only for requests that
//!   name this machine by a loopback name (see `http::guard`).
//!
//! `sessions` keeps logins, `password` checks passwords and rate-limits
//! attempts, `login` serves the page and the log-in and log-out answers.

mod login;
mod password;
mod sessions;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use wire::ApiError;

pub use login::{login, login_form, logout, safe_next};
pub use password::{FAILURE_WINDOW, LoginLimiter, MAX_FAILURES, PasswordCheck, hash_password};
pub use sessions::COOKIE;

use crate::http::errors::error_response;
use sessions::Sessions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    Password,
    ForwardProxy,
    None,
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub mode: AuthMode,
    pub password_hash: Option<SecretString>,
    pub password: Option<SecretString>,
    pub session_ttl: Duration,
    pub forward_header: String,
    pub trusted_proxies: Vec<IpNet>,
    pub listen: SocketAddr,
    /// `BINNACLE_BASE_PATH` (`""` or like `/binnacle`).
    pub base_path: String,
}

pub struct Auth {
    mode: AuthMode,
    password: Option<PasswordCheck>,
    sessions: Sessions,
    limiter: Arc<LoginLimiter>,
    forward_header: header::HeaderName,
    trusted_proxies: Vec<IpNet>,
    base: String,
}

/// A password people can type: 20 characters without look-alikes.
fn random_password() -> String {
    use rand_core::{OsRng, RngCore};
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 20];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

impl Auth {
    /// Checks the configuration; on a bad value returns one line naming the setting.
    pub fn from_config(config: AuthConfig) -> Result<Arc<Auth>, String> {
        let forward_header = header::HeaderName::from_bytes(config.forward_header.as_bytes()).map_err(|_| {
            format!("error: invalid value for BINNACLE_FORWARD_AUTH_HEADER: {:?}", config.forward_header)
        })?;
        let password = match config.mode {
            AuthMode::Password => {
                let phc = match (&config.password_hash, &config.password) {
                    (Some(phc), _) => phc.expose_secret().to_string(),
                    (None, Some(pw)) if !pw.expose_secret().is_empty() => hash_password(pw.expose_secret())?,
                    _ => {
                        let once = random_password();
                        tracing::warn!(
                            "no password configured: the one-time password for this run is {once} \
                             (set BINNACLE_PASSWORD_HASH, made with `binnacle hash-password`, to choose one)"
                        );
                        hash_password(&once)?
                    }
                };
                Some(PasswordCheck::new(&SecretString::from(phc)).map_err(|e| {
                    format!(
                        "error: invalid value for BINNACLE_PASSWORD_HASH: {e} (make one with `binnacle hash-password`)"
                    )
                })?)
            }
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
                    tracing::warn!(
                        "BINNACLE_AUTH=forward-proxy without BINNACLE_TRUSTED_PROXIES: every request will be refused"
                    );
                }
                None
            }
        };
        Ok(Arc::new(Auth {
            mode: config.mode,
            password,
            sessions: Sessions::new(config.session_ttl),
            limiter: Arc::new(LoginLimiter::default()),
            forward_header,
            trusted_proxies: config.trusted_proxies,
            base: config.base_path,
        }))
    }

    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// Passwords verified so far (each costs an argon2 hash).
    pub fn passwords_verified(&self) -> u64 {
        self.password.as_ref().map(PasswordCheck::verified).unwrap_or(0)
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

    fn authenticated(&self, peer: IpAddr, headers: &HeaderMap) -> bool {
        match self.mode {
            AuthMode::None => true,
            AuthMode::Password => self.sessions.current(headers).is_some(),
            AuthMode::ForwardProxy => {
                self.trusted(peer)
                    && headers
                        .get(&self.forward_header)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|u| !u.trim().is_empty())
            }
        }
    }
}

/// Whether the request came with a valid session (or trusted proxy user);
/// public pages show less to those without.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated(pub bool);

/// Paths that answer without a session: the login page, its stylesheet, health.
/// (`/pkg/...` arrives here already without the base path.)
fn is_public(base: &str, path: &str) -> bool {
    path == "/pkg/binnacle.css" || path.strip_prefix(base).is_some_and(|rest| matches!(rest, "/login" | "/healthz"))
}

/// The TCP peer. Without connection info (only in tests that do not set it)
/// the peer counts as an unknown, untrusted address.
pub(crate) fn peer_of(req: &Request<Body>) -> IpAddr {
    let ext = req.extensions();
    ext.get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| ext.get::<axum::extract::connect_info::MockConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// Deny by default: every route, the fallback included, passes here first,
/// so an unknown path is 404 only after authentication.
pub async fn require_auth(State(auth): State<Arc<Auth>>, mut req: Request<Body>, next: Next) -> Response {
    let authenticated = auth.authenticated(peer_of(&req), req.headers());
    if authenticated || is_public(&auth.base, req.uri().path()) {
        req.extensions_mut().insert(Authenticated(authenticated));
        return next.run(req).await;
    }
    let path = req.uri().path();
    let wants_page = req.method() == axum::http::Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        && auth.mode == AuthMode::Password;
    if wants_page {
        let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
        let location = format!("{}/login?next={next}", auth.base);
        return (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    }
    error_response(&ApiError::unauthorized())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(mode: AuthMode) -> AuthConfig {
        AuthConfig {
            mode,
            password_hash: None,
            password: None,
            session_ttl: Duration::from_secs(60),
            forward_header: "Remote-User".into(),
            trusted_proxies: vec![],
            listen: "127.0.0.1:3000".parse().unwrap(),
            base_path: String::new(),
        }
    }

    #[test]
    fn none_mode_is_refused_off_loopback() {
        let config = AuthConfig { listen: "0.0.0.0:3000".parse().unwrap(), ..config(AuthMode::None) };
        let err = Auth::from_config(config).err().unwrap();
        assert!(err.contains("BINNACLE_AUTH=none"));
    }

    #[test]
    fn a_bad_password_hash_names_the_setting() {
        let config = AuthConfig { password_hash: Some(SecretString::from("not-a-hash")), ..config(AuthMode::Password) };
        assert!(Auth::from_config(config).err().unwrap().contains("BINNACLE_PASSWORD_HASH"));
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let config = AuthConfig {
            password: Some(SecretString::from("hunter2")),
            password_hash: Some(SecretString::from("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")),
            ..config(AuthMode::Password)
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("argon2id"), "{shown}");
    }
}
