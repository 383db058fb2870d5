//! Sessions this server found live a moment ago. Every portal request presents its session,
//! and looking it up is a database round trip; within [`FRESH`] of a lookup the answer is
//! taken as still true. A session this server ends (sign-out, a password change) is
//! forgotten at once; one ended on another replica stays usable here for at most [`FRESH`].
//! The database is still asked at least that often, so a session's last use is recorded as
//! before.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

const FRESH: Duration = Duration::from_secs(1);
/// Above this many, stale entries are swept out before another is added.
const SWEEP_ABOVE: usize = 4096;

#[derive(Default)]
pub(super) struct RecentSessions(Mutex<HashMap<String, Recent>>);

struct Recent {
    username: String,
    expires_at: i64,
    found: Instant,
}

impl RecentSessions {
    /// The session's user and expiry, if it was found live within [`FRESH`] and has not
    /// expired since.
    pub fn get(&self, token_hash: &str, now: i64) -> Option<(String, i64)> {
        let recent = self.lock();
        let found = recent.get(token_hash)?;
        (found.found.elapsed() < FRESH && now < found.expires_at)
            .then(|| (found.username.clone(), found.expires_at))
    }

    pub fn put(&self, token_hash: &str, username: &str, expires_at: i64) {
        let mut recent = self.lock();
        if recent.len() >= SWEEP_ABOVE {
            recent.retain(|_, r| r.found.elapsed() < FRESH);
        }
        let found = Instant::now();
        recent.insert(token_hash.to_owned(), Recent { username: username.to_owned(), expires_at, found });
    }

    pub fn forget(&self, token_hash: &str) {
        self.lock().remove(token_hash);
    }

    pub fn forget_user(&self, username: &str) {
        self.lock().retain(|_, r| r.username != username);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Recent>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ended_or_expired_session_is_not_taken_as_live() {
        let recent = RecentSessions::default();
        recent.put("a", "alice", 100);
        recent.put("b", "bob", 100);
        assert_eq!(recent.get("a", 50), Some(("alice".into(), 100)));
        assert_eq!(recent.get("a", 100), None, "expired");
        recent.forget("a");
        assert_eq!(recent.get("a", 50), None, "signed out");
        recent.forget_user("bob");
        assert_eq!(recent.get("b", 50), None, "password changed");
    }
}
