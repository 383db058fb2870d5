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
    /// Tests: the instant real time is taken to be, so that runs compare exactly.
    #[cfg(test)]
    frozen: Option<Timestamp>,
}

impl Clock {
    /// A clock whose real time stands still at `at` (tests).
    #[cfg(test)]
    pub fn frozen(at: Timestamp) -> Clock {
        Clock { offset: AtomicI64::new(0), frozen: Some(at) }
    }

    /// Now, on this clock.
    pub fn now(&self) -> Timestamp {
        Timestamp(self.real().0.saturating_add(self.offset()))
    }

    /// Real time, without the offset: what the tokens clients hold expire by.
    pub fn real(&self) -> Timestamp {
        #[cfg(test)]
        return self.frozen.unwrap_or_else(now);
        #[cfg(not(test))]
        now()
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

/// Where the engine's randomness comes from: the operating system, or (tests that compare two
/// runs) a deterministic generator seeded per computation.
pub enum Entropy {
    /// The operating system's random source.
    Os,
    /// Tests: computation `n` gets [`SeededRng`] `(seed, n)`.
    #[cfg(test)]
    Seeded { seed: u64, next: std::sync::atomic::AtomicU64 },
}

impl Entropy {
    /// The generator for one computation.
    pub fn rng(&self) -> Box<dyn getrandom::rand_core::CryptoRng + Send> {
        match self {
            Entropy::Os => Box::new(rng()),
            #[cfg(test)]
            Entropy::Seeded { seed, next } => {
                Box::new(SeededRng::new(*seed, next.fetch_add(1, Ordering::SeqCst)))
            }
        }
    }
}

/// A deterministic generator for tests that must compare two runs byte for byte: SHA-256 of
/// (seed, stream, block counter). Never used outside tests.
#[cfg(test)]
pub struct SeededRng {
    key: [u8; 16],
    block: u64,
    buffer: Vec<u8>,
}

#[cfg(test)]
impl SeededRng {
    pub fn new(seed: u64, stream: u64) -> SeededRng {
        let mut key = [0; 16];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..].copy_from_slice(&stream.to_le_bytes());
        SeededRng { key, block: 0, buffer: Vec::new() }
    }
}

#[cfg(test)]
impl getrandom::rand_core::TryRng for SeededRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        use sha2::Digest;
        for byte in dst {
            if self.buffer.is_empty() {
                let digest = sha2::Sha256::new()
                    .chain_update(self.key)
                    .chain_update(self.block.to_le_bytes())
                    .finalize();
                self.buffer = digest.to_vec();
                self.block += 1;
            }
            *byte = self.buffer.pop().unwrap_or_default();
        }
        Ok(())
    }
}

#[cfg(test)]
impl getrandom::rand_core::TryCryptoRng for SeededRng {}
