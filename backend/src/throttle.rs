//! Slows down password guessing without letting a guesser lock anyone else out.
//!
//! A password check costs a deliberately slow hash, so an attempt that has to wait is refused
//! (429) before the check. Who waits depends on who is asking:
//! - an anonymous client (one without a device cookie for the name it tries) draws on its
//!   address's budget of checks, which refills slowly, and after a few failures for one name
//!   from one address must wait twice as long before each further try (capped);
//! - a device that signed in to this name before (its device cookie) has a budget of its own:
//!   a flood from its address, or for its user name, does not touch it.
//!
//! So a guesser only ever slows itself down, and the owner signs in from anywhere else, or from
//! the same address with the browser it used before, at once.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failures allowed before any waiting is imposed.
const FREE_ATTEMPTS: u32 = 3;
/// Longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(300);
/// Entries idle for this long are forgotten, so the tables cannot grow without bound.
const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// User names are cut to this length before use as a key.
const MAX_NAME: usize = 64;
/// Password checks an address may ask for at once, anonymously.
const ADDRESS_BURST: f64 = 10.0;
/// How fast an address's budget refills: one check every this many seconds.
const ADDRESS_REFILL_SECONDS: f64 = 3.0;

/// Who is trying a password.
#[derive(Clone, Copy, Debug)]
pub enum Client<'a> {
    /// A client the server knows nothing of, by its address.
    Anonymous(IpAddr),
    /// A device that signed in to this name before (the id in its device cookie).
    Device(&'a str),
}

#[derive(Default)]
pub struct Throttle {
    names: Mutex<Table<(IpAddr, String), Failures>>,
    devices: Mutex<Table<String, Failures>>,
    addresses: Mutex<Table<IpAddr, Budget>>,
}

/// A table whose idle entries are swept out now and then (not on every use: with many
/// addresses, a sweep per request would itself be the cost of a flood).
struct Table<K, V> {
    entries: HashMap<K, V>,
    swept: Option<Instant>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self { entries: HashMap::new(), swept: None }
    }
}

/// How often a table is swept.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// When an entry was last used.
trait LastUsed {
    fn last_used(&self) -> Instant;
}

impl LastUsed for Failures {
    fn last_used(&self) -> Instant {
        self.last
    }
}

impl LastUsed for Budget {
    fn last_used(&self) -> Instant {
        self.last
    }
}

impl<K: std::hash::Hash + Eq, V: LastUsed> Table<K, V> {
    /// Forgets entries idle for [`FORGET_AFTER`], at most once per [`SWEEP_EVERY`].
    fn sweep(&mut self, now: Instant) {
        if self.swept.is_some_and(|at| now.duration_since(at) < SWEEP_EVERY) {
            return;
        }
        self.swept = Some(now);
        self.entries.retain(|_, v| now.duration_since(v.last_used()) < FORGET_AFTER);
    }
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    next_allowed: Instant,
}

/// A token bucket of password checks.
#[derive(Clone, Copy)]
struct Budget {
    tokens: f64,
    last: Instant,
}

impl Throttle {
    /// `Err(seconds)` while `client` must wait before trying `username` again. An anonymous
    /// attempt let through spends one check of its address's budget.
    pub fn admit(&self, client: Client, username: &str, now: Instant) -> Result<(), u64> {
        match client {
            Client::Device(id) => waiting(&self.devices, &id.to_owned(), now),
            Client::Anonymous(ip) => {
                waiting(&self.names, &key(ip, username), now)?;
                self.spend(ip, now)
            }
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, client: Client, username: &str, now: Instant) {
        match client {
            Client::Device(id) => record_failure(&self.devices, id.to_owned(), now),
            Client::Anonymous(ip) => record_failure(&self.names, key(ip, username), now),
        }
    }

    /// A successful sign-in clears the client's record for this name.
    pub fn succeeded(&self, client: Client, username: &str) {
        match client {
            Client::Device(id) => lock(&self.devices).entries.remove(id),
            Client::Anonymous(ip) => lock(&self.names).entries.remove(&key(ip, username)),
        };
    }

    fn spend(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let mut addresses = lock(&self.addresses);
        addresses.sweep(now);
        let budget = addresses.entries.entry(ip).or_insert(Budget { tokens: ADDRESS_BURST, last: now });
        let refilled = now.duration_since(budget.last).as_secs_f64() / ADDRESS_REFILL_SECONDS;
        budget.tokens = (budget.tokens + refilled).min(ADDRESS_BURST);
        budget.last = now;
        if budget.tokens < 1.0 {
            let seconds = ((1.0 - budget.tokens) * ADDRESS_REFILL_SECONDS).ceil();
            return Err((seconds as u64).max(1));
        }
        budget.tokens -= 1.0;
        Ok(())
    }
}

fn lock<T>(table: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn waiting<K: std::hash::Hash + Eq>(
    table: &Mutex<Table<K, Failures>>,
    key: &K,
    now: Instant,
) -> Result<(), u64> {
    match lock(table).entries.get(key) {
        Some(f) if f.next_allowed > now => Err((f.next_allowed - now).as_secs().max(1)),
        _ => Ok(()),
    }
}

fn record_failure<K: std::hash::Hash + Eq>(table: &Mutex<Table<K, Failures>>, key: K, now: Instant) {
    let mut table = lock(table);
    table.sweep(now);
    let entry = table.entries.entry(key).or_insert(Failures { count: 0, last: now, next_allowed: now });
    entry.count = entry.count.saturating_add(1);
    entry.last = now;
    entry.next_allowed = now + delay_after(entry.count);
}

fn key(ip: IpAddr, username: &str) -> (IpAddr, String) {
    (ip, username.chars().take(MAX_NAME).collect())
}

/// 0 for the free attempts, then 1 s, 2 s, 4 s ... up to [`MAX_DELAY`].
fn delay_after(failures: u32) -> Duration {
    let Some(extra) = failures.checked_sub(FREE_ATTEMPTS) else {
        return Duration::ZERO;
    };
    let seconds = 1u64.checked_shl(extra).unwrap_or(u64::MAX);
    Duration::from_secs(seconds).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn waiting_starts_after_the_free_attempts_and_doubles() {
        assert_eq!(delay_after(2), Duration::ZERO);
        assert_eq!(delay_after(3), Duration::from_secs(1));
        assert_eq!(delay_after(5), Duration::from_secs(4));
        assert_eq!(delay_after(200), MAX_DELAY);
    }

    #[test]
    fn a_blocked_user_is_released_by_time_or_success() {
        let throttle = Throttle::default();
        let now = Instant::now();
        let client = Client::Anonymous(IP);
        for _ in 0..FREE_ATTEMPTS {
            throttle.failed(client, "admin", now);
        }
        assert_eq!(throttle.admit(client, "admin", now), Err(1));
        assert_eq!(throttle.admit(client, "someone", now), Ok(()));
        assert_eq!(throttle.admit(client, "admin", now + Duration::from_secs(2)), Ok(()));
        throttle.succeeded(client, "admin");
        assert_eq!(throttle.admit(client, "admin", now), Ok(()));
    }

    #[test]
    fn a_flooding_address_only_slows_itself() {
        let throttle = Throttle::default();
        let now = Instant::now();
        let flood = Client::Anonymous(IP);
        let admitted = (0..100).filter(|i| throttle.admit(flood, &format!("name-{i}"), now).is_ok()).count();
        assert_eq!(admitted, ADDRESS_BURST as usize, "an address gets its burst, then waits");
        for _ in 0..20 {
            throttle.failed(flood, "admin", now);
        }
        assert!(throttle.admit(Client::Anonymous(OTHER), "admin", now).is_ok(), "another address");
        assert!(throttle.admit(Client::Device("d1"), "admin", now).is_ok(), "a known device");
        let later = now + Duration::from_secs(ADDRESS_REFILL_SECONDS as u64);
        assert!(throttle.admit(flood, "someone", later).is_ok(), "the budget refills");
    }

    #[test]
    fn idle_entries_are_swept_now_and_then_not_on_every_use() {
        let throttle = Throttle::default();
        let now = Instant::now();
        throttle.failed(Client::Anonymous(IP), "admin", now);
        let later = now + FORGET_AFTER;
        throttle.failed(Client::Anonymous(OTHER), "admin", later);
        assert_eq!(lock(&throttle.names).entries.len(), 1, "the idle entry is gone");
        throttle.failed(Client::Anonymous(IP), "kim", later + Duration::from_secs(1));
        assert_eq!(lock(&throttle.names).swept, Some(later), "no second sweep within a minute");
    }

    #[test]
    fn a_device_that_fails_waits_on_its_own() {
        let throttle = Throttle::default();
        let now = Instant::now();
        for _ in 0..FREE_ATTEMPTS {
            throttle.failed(Client::Device("d1"), "admin", now);
        }
        assert!(throttle.admit(Client::Device("d1"), "admin", now).is_err());
        assert!(throttle.admit(Client::Device("d2"), "admin", now).is_ok());
    }
}
