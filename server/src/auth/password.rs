//! The password check and the login rate limit.
//!
//! An argon2 verification costs about 19 MiB and tens of milliseconds, so
//! both are bounded before any is started: an address may have at most
//! `MAX_FAILURES` attempts within `FAILURE_WINDOW` (a slot is reserved
//! *before* hashing, so parallel attempts cannot slip past the count), and
//! the whole process verifies at most as many passwords at once as it has
//! cores. The table of addresses is bounded; when full, the address seen
//! longest ago goes (never the whole table).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, Block};
use rand_core::OsRng;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

/// Failed logins allowed per client address within `FAILURE_WINDOW`.
pub const MAX_FAILURES: usize = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(300);
/// Addresses remembered at once.
pub const MAX_ADDRESSES: usize = 10_000;
/// Logins waiting for a verification slot at once; beyond, "try again".
const MAX_WAITING: usize = 256;

/// Hashes a password as an argon2id PHC string (`binnacle hash-password`).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// The configured password hash, parsed once.
struct Phc {
    argon2: Argon2<'static>,
    blocks: usize,
    salt: Vec<u8>,
    expected: Output,
}

impl Phc {
    fn parse(phc: &str) -> Result<Phc, String> {
        let hash = PasswordHash::new(phc).map_err(|e| e.to_string())?;
        let algorithm = argon2::Algorithm::try_from(hash.algorithm).map_err(|e| e.to_string())?;
        let version =
            hash.version.map(argon2::Version::try_from).transpose().map_err(|e| e.to_string())?.unwrap_or_default();
        let params = argon2::Params::try_from(&hash).map_err(|e| e.to_string())?;
        let mut buf = [0u8; 64];
        let salt = hash.salt.ok_or("no salt")?.decode_b64(&mut buf).map_err(|e| e.to_string())?.to_vec();
        let expected = hash.hash.ok_or("no hash")?;
        let blocks = params.block_count();
        Ok(Phc { argon2: Argon2::new(algorithm, version, params), blocks, salt, expected })
    }

    /// Hashes `password` in `memory` (reused between checks) and compares
    /// in constant time.
    fn matches(&self, password: &[u8], memory: &mut [Block]) -> bool {
        let mut out = vec![0u8; self.expected.len()];
        self.argon2.hash_password_into_with_memory(password, &self.salt, &mut out, memory).is_ok()
            && Output::new(&out).is_ok_and(|computed| computed == self.expected)
    }
}

/// The configured password, as its hash, and the bound on verifying it.
/// Each check needs the hash's memory cost (19 MiB by default): at most one
/// check per core runs at once, each in a buffer kept for the next, so the
/// memory is allocated once per core and never churns.
pub struct PasswordCheck {
    phc: Arc<Phc>,
    /// One per check running at once (as many as cores).
    slots: Semaphore,
    /// One per check running or waiting for a slot.
    queue: Semaphore,
    buffers: Mutex<Vec<Vec<Block>>>,
    verified: AtomicU64,
}

/// Whether a login may be checked now.
pub enum Admission {
    /// Go ahead; the slot counts as a failure unless `succeeded` is called.
    Checked(Reservation),
    /// Too many attempts: wait this many seconds.
    Refused { retry_after_secs: u64 },
}

impl PasswordCheck {
    pub fn new(phc: &SecretString) -> Result<Self, String> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Ok(PasswordCheck {
            phc: Arc::new(Phc::parse(phc.expose_secret())?),
            slots: Semaphore::new(cores),
            queue: Semaphore::new(MAX_WAITING + cores),
            buffers: Mutex::new(Vec::new()),
            verified: AtomicU64::new(0),
        })
    }

    /// Verifications run so far (for tests and health).
    pub fn verified(&self) -> u64 {
        self.verified.load(Ordering::SeqCst)
    }

    /// Verifies `password`, at most one per core at a time; None when too
    /// many are already waiting.
    pub async fn verify(&self, password: SecretString) -> Option<bool> {
        // A place in the queue, given back however this ends (a client that
        // hangs up while waiting drops this future).
        let _queued = self.queue.try_acquire().ok()?;
        let _permit = self.slots.acquire().await.ok()?;
        self.verified.fetch_add(1, Ordering::SeqCst);
        let phc = self.phc.clone();
        let reused = self.buffers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut memory = reused.unwrap_or_else(|| vec![Block::default(); phc.blocks]);
        let (ok, memory) = tokio::task::spawn_blocking(move || {
            let ok = phc.matches(password.expose_secret().as_bytes(), &mut memory);
            (ok, memory)
        })
        .await
        .ok()?;
        self.buffers.lock().unwrap_or_else(|p| p.into_inner()).push(memory);
        Some(ok)
    }
}

#[derive(Default)]
struct Attempts {
    by_address: HashMap<IpAddr, Entry>,
    next_id: u64,
}

struct Entry {
    /// When each attempt in the window started, and its id.
    window: VecDeque<(Instant, u64)>,
    /// The latest attempt, refused ones included: eviction goes by it.
    last_seen: Instant,
}

/// Attempts per client address in a sliding window.
pub struct LoginLimiter {
    attempts: Mutex<Attempts>,
    max_addresses: usize,
}

/// A reserved attempt. Dropped, it stays counted (a failure); `succeeded` frees it.
pub struct Reservation {
    limiter: Arc<LoginLimiter>,
    ip: IpAddr,
    id: u64,
}

impl Reservation {
    pub fn succeeded(self) {
        let mut a = self.limiter.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = a.by_address.get_mut(&self.ip) {
            entry.window.retain(|(_, id)| *id != self.id);
        }
    }

    /// The attempt never ran (the server was too busy): not a failure.
    pub fn cancel(self) {
        self.succeeded();
    }
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter::with_capacity(MAX_ADDRESSES)
    }
}

impl LoginLimiter {
    pub fn with_capacity(max_addresses: usize) -> Self {
        LoginLimiter { attempts: Mutex::new(Attempts::default()), max_addresses: max_addresses.max(1) }
    }

    /// Reserves an attempt for `ip`, or says how long it must wait.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Admission {
        let ip = counted_as(ip);
        let now = Instant::now();
        let mut a = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if !a.by_address.contains_key(&ip) && a.by_address.len() >= self.max_addresses {
            make_room(&mut a.by_address, now, self.max_addresses);
        }
        let id = a.next_id;
        a.next_id += 1;
        let entry = a.by_address.entry(ip).or_insert_with(|| Entry { window: VecDeque::new(), last_seen: now });
        entry.last_seen = now;
        let list = &mut entry.window;
        while list.front().is_some_and(|(t, _)| now.duration_since(*t) > FAILURE_WINDOW) {
            list.pop_front();
        }
        if list.len() >= MAX_FAILURES {
            let oldest = list.front().map(|(t, _)| *t).unwrap_or(now);
            let wait = FAILURE_WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1);
            return Admission::Refused { retry_after_secs: wait };
        }
        list.push_back((now, id));
        Admission::Checked(Reservation { limiter: self.clone(), ip, id })
    }

    /// Addresses remembered now.
    pub fn addresses(&self) -> usize {
        self.attempts.lock().unwrap_or_else(|p| p.into_inner()).by_address.len()
    }
}

/// The address attempts are counted against: an IPv6 client holds a whole
/// /64 (and can pick any address in it), so its /64 is counted as one.
fn counted_as(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

/// Drops addresses with nothing left in the window; if still full, the one
/// seen longest ago.
fn make_room(table: &mut HashMap<IpAddr, Entry>, now: Instant, max: usize) {
    table.retain(|_, e| e.window.back().is_some_and(|(t, _)| now.duration_since(*t) <= FAILURE_WINDOW));
    while table.len() >= max {
        let Some(oldest) = table.iter().min_by_key(|(_, e)| e.last_seen).map(|(ip, _)| *ip) else {
            break;
        };
        table.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000 + n))
    }

    #[tokio::test]
    async fn hashes_verify_and_are_salted() {
        let a = hash_password("s3cret").unwrap();
        let b = hash_password("s3cret").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        let check = PasswordCheck::new(&SecretString::from(a)).unwrap();
        assert_eq!(check.verify(SecretString::from("s3cret")).await, Some(true));
        assert_eq!(check.verify(SecretString::from("wrong")).await, Some(false));
        assert_eq!(check.verify(SecretString::from("s3cret")).await, Some(true), "a reused buffer verifies too");
        assert_eq!(check.verified(), 3);
    }

    #[tokio::test]
    async fn a_check_abandoned_while_waiting_gives_its_place_back() {
        let check = Arc::new(PasswordCheck::new(&SecretString::from(hash_password("pw").unwrap())).unwrap());
        let all_slots = check.slots.acquire_many(check.slots.available_permits() as u32).await.unwrap();
        // Many clients hang up while waiting for a slot...
        for _ in 0..(MAX_WAITING * 2) {
            let waiting = tokio::spawn({
                let check = check.clone();
                async move { check.verify(SecretString::from("pw")).await }
            });
            tokio::task::yield_now().await;
            waiting.abort();
            let _ = waiting.await;
        }
        drop(all_slots);
        // ...and logins still get checked.
        assert_eq!(check.verify(SecretString::from("pw")).await, Some(true));
    }

    #[test]
    fn hashes_made_elsewhere_verify_too() {
        // argon2id, m=19456 t=2 p=1, as `binnacle hash-password` and most tools make them; "password".
        let phc = hash_password("password").unwrap();
        assert!(Phc::parse(&phc).is_ok());
        assert!(Phc::parse("$argon2id$v=19$m=19456,t=2,p=1$bm9zYWx0$").is_err());
        assert!(Phc::parse("not a hash").is_err());
    }

    #[test]
    fn the_sixth_attempt_in_the_window_is_refused_and_a_success_frees_its_slot() {
        let limiter = Arc::new(LoginLimiter::default());
        let ok = match limiter.admit(ip(1)) {
            Admission::Checked(r) => r,
            Admission::Refused { .. } => panic!("first attempt refused"),
        };
        ok.succeeded();
        let held: Vec<_> = (0..MAX_FAILURES)
            .map(|_| match limiter.admit(ip(1)) {
                Admission::Checked(r) => r,
                Admission::Refused { .. } => panic!("refused too early"),
            })
            .collect();
        assert!(matches!(limiter.admit(ip(1)), Admission::Refused { retry_after_secs } if retry_after_secs >= 299));
        assert!(matches!(limiter.admit(ip(2)), Admission::Checked(_)), "other addresses are not affected");
        drop(held);
        assert!(matches!(limiter.admit(ip(1)), Admission::Refused { .. }), "dropped reservations are failures");
    }

    #[test]
    fn an_ipv6_client_counts_as_its_whole_64() {
        let limiter = Arc::new(LoginLimiter::default());
        for i in 0..MAX_FAILURES as u16 {
            let ip: IpAddr = format!("2001:db8:1:2::{:x}", i + 1).parse().unwrap();
            assert!(matches!(limiter.admit(ip), Admission::Checked(_)));
        }
        assert!(matches!(limiter.admit("2001:db8:1:2:ffff::9".parse().unwrap()), Admission::Refused { .. }));
        assert!(matches!(limiter.admit("2001:db8:1:3::1".parse().unwrap()), Admission::Checked(_)), "another /64");
    }

    #[test]
    fn a_full_table_drops_the_oldest_address_not_everything() {
        let limiter = Arc::new(LoginLimiter::with_capacity(100));
        // The first address is blocked...
        for _ in 0..MAX_FAILURES {
            let _ = limiter.admit(ip(0));
        }
        // ...then many more addresses come, one attempt each.
        for n in 1..=150 {
            std::thread::sleep(Duration::from_micros(50));
            let _ = limiter.admit(ip(n));
        }
        assert!(limiter.addresses() <= 100);
        // The blocked address was the oldest, so it went first; the most
        // recent ones are still counted.
        assert!(matches!(limiter.admit(ip(150)), Admission::Checked(_)));
        let recent = (146..=150).filter(|n| limiter.attempts.lock().unwrap().by_address.contains_key(&ip(*n))).count();
        assert_eq!(recent, 5);
    }

    #[test]
    fn a_blocked_address_that_keeps_trying_stays_blocked_while_the_table_churns() {
        let limiter = Arc::new(LoginLimiter::with_capacity(10));
        for _ in 0..MAX_FAILURES {
            let _ = limiter.admit(ip(0));
        }
        for n in 1..100 {
            std::thread::sleep(Duration::from_micros(50));
            let _ = limiter.admit(ip(n));
            // It keeps trying: refused each time, and its entry stays recent enough.
            if n % 5 == 0 {
                assert!(matches!(limiter.admit(ip(0)), Admission::Refused { .. }), "round {n}");
            }
        }
    }
}
