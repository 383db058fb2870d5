//! The server's view of time and randomness, handed to the engine (which reads neither).

use std::time::{SystemTime, UNIX_EPOCH};

use getrandom::{SysRng, rand_core::UnwrapErr};
use shared::model::Timestamp;

/// Seconds since the Unix epoch.
pub fn now() -> Timestamp {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Timestamp(i64::try_from(seconds).unwrap_or(i64::MAX))
}

/// The operating system's random source, as the engine's `Rng`.
pub fn rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}
