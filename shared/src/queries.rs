//! Read-side answers the API gives: which entities a client may see and how a missing one is
//! reported. The backend's handlers and the offline demo both answer through these, so a
//! deleted vault is "not found" in exactly the same way everywhere.

use crate::api::{KeyVersionView, KeyView, OrderView, VaultView};
use crate::catalog::{Diagnosis, ErrorCode};
use crate::model::{Key, KeyVault, Subscription, World};

/// A read's answer, or why there is none (boxed: a diagnosis is large and answers are not).
pub type Answer<T> = Result<T, Box<Diagnosis>>;

/// `what was not found.` with [`ErrorCode::NotFound`].
pub fn not_found(what: &str) -> Box<Diagnosis> {
    Box::new(Diagnosis::plain(ErrorCode::NotFound, format!("{what} was not found.")))
}

/// The live (not deleted) vault called `name`.
pub fn live_vault<'w>(world: &'w World, name: &str) -> Answer<&'w KeyVault> {
    world
        .vaults
        .get(name)
        .filter(|vault| vault.is_live())
        .ok_or_else(|| not_found(&format!("Key vault '{name}'")))
}

/// The live vault called `name`, as the client may see it.
pub fn vault_view(world: &World, name: &str) -> Answer<VaultView> {
    live_vault(world, name).map(|vault| VaultView::of(world, vault))
}

/// Every live vault.
pub fn live_vaults(world: &World) -> Vec<VaultView> {
    world.vaults.values().filter(|v| v.is_live()).map(|v| VaultView::of(world, v)).collect()
}

/// Soft-deleted vaults that have not been purged (recoverable or waiting for purge).
pub fn deleted_vaults(world: &World) -> Vec<VaultView> {
    let deleted = world.vaults.values().filter(|v| v.deleted_at.is_some() && !v.purged);
    deleted.map(|v| VaultView::of(world, v)).collect()
}

/// The keys of a live vault that pass `filter`, as the client may see them.
pub fn key_views(world: &World, vault: &str, filter: impl Fn(&Key) -> bool) -> Answer<Vec<KeyView>> {
    let v = live_vault(world, vault)?;
    Ok(v.keys.values().filter(|k| filter(k)).map(|k| KeyView::of(world.cloud, vault, k)).collect())
}

/// The live keys of a live vault.
pub fn live_keys(world: &World, vault: &str) -> Answer<Vec<KeyView>> {
    key_views(world, vault, Key::is_live)
}

/// Soft-deleted keys of a live vault that have not been purged.
pub fn deleted_keys(world: &World, vault: &str) -> Answer<Vec<KeyView>> {
    key_views(world, vault, |k| k.deleted_at.is_some() && !k.purged)
}

/// A live key of a live vault.
pub fn key_view(world: &World, vault: &str, key: &str) -> Answer<KeyView> {
    key_views(world, vault, |k| k.is_live() && k.name == key)?
        .pop()
        .ok_or_else(|| not_found(&format!("Key '{key}'")))
}

/// One version of a live key.
pub fn version_view(world: &World, vault: &str, key: &str, version: &str) -> Answer<KeyVersionView> {
    key_view(world, vault, key)?
        .versions
        .into_iter()
        .find(|v| v.id == version)
        .ok_or_else(|| not_found("The key version"))
}

/// One order as the client may see it.
pub fn order_view(world: &World, id: &str) -> Answer<OrderView> {
    world.orders.get(id).map(OrderView::of).ok_or_else(|| not_found("The order"))
}

/// One subscription.
pub fn subscription(world: &World, id: &str) -> Answer<Subscription> {
    world.subscriptions.get(id).cloned().ok_or_else(|| not_found("The subscription"))
}
