//! Login sessions: random tokens in an HttpOnly, SameSite=Strict cookie,
//! kept in memory (a restart logs everyone out), bounded in number.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use rand_core::{OsRng, RngCore};

pub const COOKIE: &str = "binnacle_session";
const MAX_SESSIONS: usize = 10_000;

pub struct Sessions {
    by_token: Mutex<HashMap<String, Instant>>,
    ttl: Duration,
}

fn random_token() -> String {
    let mut buf = [0u8; 32];
    OsRng.fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    pub fn new(ttl: Duration) -> Self {
        Sessions { by_token: Mutex::new(HashMap::new()), ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The session the request's cookie names, if it is still valid.
    pub fn current(&self, headers: &HeaderMap) -> Option<String> {
        let token = CookieJar::from_headers(headers).get(COOKIE)?.value().to_string();
        let mut sessions = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        match sessions.get(&token) {
            Some(expires) if *expires > Instant::now() => Some(token),
            Some(_) => {
                sessions.remove(&token);
                None
            }
            None => None,
        }
    }

    /// A new session; when full, the one closest to expiry goes first.
    pub fn start(&self) -> String {
        let token = random_token();
        let now = Instant::now();
        let mut sessions = self.by_token.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, expires| *expires > now);
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions.iter().min_by_key(|(_, e)| **e).map(|(k, _)| k.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(token.clone(), now + self.ttl);
        token
    }

    pub fn end(&self, headers: &HeaderMap) {
        if let Some(token) = CookieJar::from_headers(headers).get(COOKIE) {
            self.by_token.lock().unwrap_or_else(|p| p.into_inner()).remove(token.value());
        }
    }
}

/// The session cookie for `token`, scoped to the base path.
pub fn session_cookie(token: String, base: &str, ttl: Duration, secure: bool) -> Cookie<'static> {
    Cookie::build((COOKIE, token))
        .path(format!("{base}/"))
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(ttl.as_secs().min(i64::MAX as u64) as i64))
        .secure(secure)
        .build()
}

/// A cookie that clears the session cookie.
pub fn cleared_cookie(base: &str) -> Cookie<'static> {
    let mut c =
        Cookie::build((COOKIE, "")).path(format!("{base}/")).http_only(true).same_site(SameSite::Strict).build();
    c.make_removal();
    c
}
