//! Read-side answers: which entities a client may see and how a missing one is reported. The
//! service layer answers through these, so a deleted vault is "not found" the same way everywhere.
//! Views are computed at `now` (a version's status, a purge date).

use crate::api::{KeyVersionView, KeyView, OrderView, RegistrationView, VaultView};
use crate::catalog::Failure;
use crate::model::{Key, KeyVault, RewrapTarget, Subscription, Timestamp, UserIdentity, World};

/// A read's answer, or why there is none.
pub type Answer<T> = Result<T, Failure>;

/// The live (not deleted) vault called `name`.
pub fn live_vault<'w>(world: &'w World, name: &str) -> Answer<&'w KeyVault> {
    world
        .vaults
        .get(name)
        .filter(|vault| vault.is_live())
        .ok_or_else(|| Failure::not_found(&format!("Key vault '{name}'")))
}

/// The live vault called `name`, as the client may see it.
pub fn vault_view(world: &World, name: &str, now: Timestamp) -> Answer<VaultView> {
    live_vault(world, name).map(|vault| VaultView::of(world, vault, now))
}

/// Every live vault.
pub fn live_vaults(world: &World, now: Timestamp) -> Vec<VaultView> {
    world.vaults.values().filter(|v| v.is_live()).map(|v| VaultView::of(world, v, now)).collect()
}

/// Soft-deleted vaults that have not been purged (recoverable or waiting for purge).
pub fn deleted_vaults(world: &World, now: Timestamp) -> Vec<VaultView> {
    let deleted = world.vaults.values().filter(|v| v.deleted_at.is_some() && !v.purged);
    deleted.map(|v| VaultView::of(world, v, now)).collect()
}

/// The keys of a live vault that pass `filter`, as the client may see them.
fn key_views(
    world: &World,
    vault: &str,
    now: Timestamp,
    filter: impl Fn(&Key) -> bool,
) -> Answer<Vec<KeyView>> {
    let v = live_vault(world, vault)?;
    Ok(v.keys.values().filter(|k| filter(k)).map(|k| KeyView::of(world.cloud, v, k, now)).collect())
}

/// The live keys of a live vault.
pub fn live_keys(world: &World, vault: &str, now: Timestamp) -> Answer<Vec<KeyView>> {
    key_views(world, vault, now, Key::is_live)
}

/// Soft-deleted keys of a live vault that have not been purged.
pub fn deleted_keys(world: &World, vault: &str, now: Timestamp) -> Answer<Vec<KeyView>> {
    key_views(world, vault, now, |k| k.deleted_at.is_some() && !k.purged)
}

/// A live key of a live vault.
pub fn key_view(world: &World, vault: &str, key: &str, now: Timestamp) -> Answer<KeyView> {
    key_views(world, vault, now, |k| k.is_live() && k.name == key)?
        .pop()
        .ok_or_else(|| Failure::not_found(&format!("Key '{key}'")))
}

/// A key of a live vault, live or soft-deleted (not purged), named by its name or by its id
/// (the UUID Key Protect names keys by).
pub fn key_by_name_or_id(world: &World, vault: &str, key: &str, now: Timestamp) -> Answer<KeyView> {
    let by_name = key_views(world, vault, now, |k| !k.purged && k.name == key)?.pop();
    match by_name {
        Some(view) => Ok(view),
        None => key_views(world, vault, now, |k| !k.purged && k.id().as_deref() == Some(key))?
            .pop()
            .ok_or_else(|| Failure::not_found(&format!("Key '{key}'"))),
    }
}

/// One version of a live key.
pub fn version_view(
    world: &World,
    vault: &str,
    key: &str,
    version: &str,
    now: Timestamp,
) -> Answer<KeyVersionView> {
    key_view(world, vault, key, now)?
        .versions
        .into_iter()
        .find(|v| v.id == version)
        .ok_or_else(|| Failure::not_found("The key version"))
}

/// The resources a live key protects.
pub fn registrations(world: &World, vault: &str, key: &str) -> Answer<Vec<RegistrationView>> {
    let live = live_vault(world, vault)?.keys.get(key).filter(|k| k.is_live());
    let live = live.ok_or_else(|| Failure::not_found(&format!("Key '{key}'")))?;
    let details = |resource: &str| live.registrations.iter().find(|r| r.resource == resource).cloned();
    Ok(world
        .registrations_of(vault, key)
        .into_iter()
        .map(|(target, key_version)| {
            let registered = match &target {
                RewrapTarget::External { resource } => details(resource),
                RewrapTarget::Order { .. } => None,
            };
            RegistrationView {
                label: target.label(),
                key_version,
                prevent_key_deletion: registered.as_ref().is_some_and(|r| r.prevent_key_deletion),
                description: registered.as_ref().map(|r| r.description.clone()).unwrap_or_default(),
                created: registered.map(|r| r.created),
                target,
            }
        })
        .collect())
}

/// Every order as the client may see it.
pub fn orders(world: &World) -> Vec<OrderView> {
    world.orders.values().map(OrderView::of).collect()
}

/// One order as the client may see it.
pub fn order_view(world: &World, id: &str) -> Answer<OrderView> {
    world.orders.get(id).map(OrderView::of).ok_or_else(|| Failure::not_found("The order"))
}

/// One subscription.
pub fn subscription(world: &World, id: &str) -> Answer<Subscription> {
    world.subscriptions.get(id).cloned().ok_or_else(|| Failure::not_found("The subscription"))
}

/// One user-assigned identity.
pub fn identity(world: &World, id: &str) -> Answer<UserIdentity> {
    world.identities.get(id).cloned().ok_or_else(|| Failure::not_found("The identity"))
}
