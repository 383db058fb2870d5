//! The server's view of time and randomness, handed to the engine (which reads neither).
//!
//! Engine time is real time plus an offset that only a server started with `--test-clock` lets
//! clients move (`POST /api/clock`), so tests and rehearsals can see "30 days later" at once.
//! Sessions and sign-in throttling keep real time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use getrandom::{SysRng, rand_core::UnwrapErr};
use shared::model::Timestamp;

/// Seconds since the Unix epoch, real time.
pub fn now() -> Timestamp {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Timestamp(i64::try_from(seconds).unwrap_or(i64::MAX))
}

/// The operating system's random source, as the engine's `Rng`.
pub fn rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}

/// The engine's clock: real time plus an offset.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// Now, on this clock.
    pub fn now(&self) -> Timestamp {
        Timestamp(now().0.saturating_add(self.offset()))
    }

    /// Seconds ahead of real time.
    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }

    /// Moves the clock forward.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }
}
