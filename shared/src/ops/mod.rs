//! Pure operations: a world and a request in, a new world (or a failure) out. A failing
//! operation never hands back a half-changed state: each one works on a clone and returns it
//! only when every step succeeded.
//!
//! Time, the master key and randomness come from the caller through [`Ctx`], so the backend
//! and the offline demo run identical rules.

mod advance;
mod api_key;
mod at_rest;
mod data_plane;
mod diagnose;
mod envelope;
mod fix;
mod identity;
mod key;
mod operation;
mod order;
mod rollover;
mod rotation;
mod secret_rotation;
mod vault;

#[cfg(test)]
mod at_rest_tests;
#[cfg(test)]
mod rotation_tests;
#[cfg(test)]
mod secret_rotation_tests;
#[cfg(test)]
mod tests;

pub use advance::{
    MAX_CLOCK_ADVANCE, SYSTEM_ACTOR, advance, advance_recorded, check_clock_advance, clock_move_record,
    due_work_records, step_records,
};
pub use api_key::*;
pub use at_rest::*;
pub use data_plane::*;
pub use diagnose::{Stage, diagnose};
pub use envelope::*;
pub use fix::apply_fix;
pub use identity::*;
pub use key::*;
pub use operation::*;
pub use order::*;
pub use rollover::*;
pub use rotation::*;
pub use secret_rotation::*;
pub use vault::*;

use crate::catalog::Failure;
use crate::crypto::{Keyring, MasterKey, Rng};
use crate::model::{KeyVault, Order, Timestamp, World};

/// What every operation may need from the outside world.
pub struct Ctx<'a> {
    /// The current time.
    pub now: Timestamp,
    /// The wall clock, which the tokens a client holds expire by: a test clock moved forward
    /// (`now`) must not expire a token the client, reading the wall clock, holds for valid.
    pub wall: Timestamp,
    /// The instance's root key: it seals the master keys and derives the keys that sign what
    /// the server hands out (fix proofs, access tokens).
    pub master: &'a MasterKey,
    /// The master keys that seal every other secret at rest (see [`keyring`]).
    pub keys: &'a Keyring,
    /// External key providers.
    pub providers: &'a dyn KeyProviders,
    /// The RSA implementation unwraps run on.
    pub rsa: &'a dyn crate::crypto::RsaEngine,
    /// Randomness for ids, nonces and padding.
    pub rng: &'a mut Rng,
}

impl<'a> Ctx<'a> {
    /// A context with no external key providers and the engine's own RSA, whose wall clock is
    /// `now`: the offline demo's, the seed's and the tests'.
    pub fn local(now: Timestamp, master: &'a MasterKey, keys: &'a Keyring, rng: &'a mut Rng) -> Ctx<'a> {
        Ctx { now, wall: now, master, keys, providers: &NoKeyProviders, rsa: &crate::crypto::RustCrypto, rng }
    }
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("now", &self.now).field("keys", self.keys).finish_non_exhaustive()
    }
}

/// Runs `f` with a context over `world`'s master keys (Internal only): what the tests' fixtures
/// do for every step.
#[cfg(test)]
pub(crate) fn in_test_ctx<T>(
    world: &World,
    master: &MasterKey,
    now: crate::model::Timestamp,
    rng: &mut Rng,
    f: impl FnOnce(&mut Ctx) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let keys = keyring(world, master, &NoKeyProviders, false)?;
    f(&mut Ctx::local(now, master, &keys, rng))
}

/// A vault that exists and is not deleted.
fn live_vault_mut<'w>(world: &'w mut World, name: &str) -> Result<&'w mut KeyVault, Failure> {
    world
        .vaults
        .get_mut(name)
        .filter(|v| v.is_live())
        .ok_or_else(|| Failure::not_found(&format!("Key vault '{name}'")))
}

/// Optimistic concurrency: the order must exist and, when the caller says which version it
/// based its change on (the endpoint's `if_match`: the `If-Match` header over HTTP, the one
/// concurrency token), still be at that version; otherwise `Conflict`. `None` accepts any version.
pub fn check_order_version<'w>(
    world: &'w World,
    order_id: &str,
    expected_version: Option<u64>,
) -> Result<&'w Order, Failure> {
    let order = world.orders.get(order_id).ok_or_else(|| Failure::not_found("The order"))?;
    match expected_version {
        Some(seen) if seen != order.version => Err(Failure::conflict(format!(
            "The order changed (version {} now, {seen} seen). Refresh and try again.",
            order.version
        ))),
        _ => Ok(order),
    }
}

/// An order to change, checked with [`check_order_version`].
fn order_mut<'w>(
    world: &'w mut World,
    order_id: &str,
    expected_version: Option<u64>,
) -> Result<&'w mut Order, Failure> {
    check_order_version(world, order_id, expected_version)?;
    world.orders.get_mut(order_id).ok_or_else(|| Failure::not_found("The order"))
}
