//! Slows down password guessing: after a few failed sign-ins from one address for one user
//! name, each further attempt must wait twice as long as the previous one (capped), and early
//! attempts are refused with 429 without even checking the password.

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
/// Entries idle for this long are forgotten, so the table cannot grow without bound.
const FORGET_AFTER: Duration = Duration::from_secs(3600);
/// User names are cut to this length before use as a key.
const MAX_NAME: usize = 64;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<(IpAddr, String), Failures>>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    next_allowed: Instant,
}

impl Throttle {
    /// `Err(seconds)` while this address must wait before trying this user name again.
    pub fn check(&self, ip: IpAddr, username: &str, now: Instant) -> Result<(), u64> {
        let table = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match table.get(&key(ip, username)) {
            Some(f) if f.next_allowed > now => Err((f.next_allowed - now).as_secs().max(1)),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt.
    pub fn failed(&self, ip: IpAddr, username: &str, now: Instant) {
        let mut table = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        table.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
        let entry =
            table.entry(key(ip, username)).or_insert(Failures { count: 0, last: now, next_allowed: now });
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        entry.next_allowed = now + delay_after(entry.count);
    }

    /// A successful sign-in clears the record.
    pub fn succeeded(&self, ip: IpAddr, username: &str) {
        let mut table = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        table.remove(&key(ip, username));
    }
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
        for _ in 0..FREE_ATTEMPTS {
            throttle.failed(IP, "admin", now);
        }
        assert_eq!(throttle.check(IP, "admin", now), Err(1));
        assert_eq!(throttle.check(IP, "someone", now), Ok(()));
        assert_eq!(throttle.check(IP, "admin", now + Duration::from_secs(2)), Ok(()));
        throttle.succeeded(IP, "admin");
        assert_eq!(throttle.check(IP, "admin", now), Ok(()));
    }
}
