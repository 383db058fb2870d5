//! Managed identities, identity attachment to orders, and subscription tenant moves.

use super::{Ctx, order_mut};
use crate::api::CreateIdentityRequest;
use crate::catalog::{ErrorCode, Failure};
use crate::crypto;
use crate::model::{
    EncryptionSettings, KeyPermission, MAX_USER_IDENTITIES, SystemIdentity, UserIdentity, World,
};
use crate::validation;

/// Creates a user-assigned identity in the tenant of the resource group's subscription.
/// Returns the new world and the identity id.
pub fn create_identity(
    world: &World,
    ctx: &mut Ctx,
    req: &CreateIdentityRequest,
) -> Result<(World, String), Failure> {
    validation::display_name(&req.name)?;
    let group = world
        .resource_groups
        .get(&req.resource_group)
        .ok_or_else(|| Failure::not_found("The resource group"))?;
    let subscription = world
        .subscriptions
        .get(&group.subscription_id)
        .ok_or_else(|| Failure::not_found("The subscription"))?;
    let identity = UserIdentity {
        id: crypto::random_hex(ctx.rng, 16),
        name: req.name.clone(),
        resource_group: req.resource_group.clone(),
        tenant_id: subscription.tenant_id.clone(),
        principal_id: crypto::random_hex(ctx.rng, 16),
        client_id: crypto::random_hex(ctx.rng, 16),
    };
    let id = identity.id.clone();
    let mut next = world.clone();
    next.identities.insert(id.clone(), identity);
    Ok((next, id))
}

/// Deletes a user-assigned identity. Orders keep the dangling reference on purpose: that is how
/// the "identity absent" states arise.
pub fn delete_identity(world: &World, identity_id: &str) -> Result<World, Failure> {
    let mut next = world.clone();
    next.identities.remove(identity_id).ok_or_else(|| Failure::not_found("The identity"))?;
    Ok(next)
}

/// Moves a subscription to another tenant. Vaults and identities keep their old tenant.
pub fn move_subscription(world: &World, subscription_id: &str, tenant_id: &str) -> Result<World, Failure> {
    if !world.tenants.contains_key(tenant_id) {
        return Err(Failure::not_found("The tenant"));
    }
    let mut next = world.clone();
    let subscription =
        next.subscriptions.get_mut(subscription_id).ok_or_else(|| Failure::not_found("The subscription"))?;
    subscription.tenant_id = tenant_id.to_string();
    Ok(next)
}

/// Moves a subscription back to the tenant it was created in.
pub fn revert_subscription_tenant(world: &World, subscription_id: &str) -> Result<World, Failure> {
    let original = world
        .subscriptions
        .get(subscription_id)
        .map(|s| s.original_tenant_id.clone())
        .ok_or_else(|| Failure::not_found("The subscription"))?;
    move_subscription(world, subscription_id, &original)
}

/// Moves a user-assigned identity to another tenant (keeps its principal id).
pub fn move_identity_tenant(world: &World, identity_id: &str, tenant_id: &str) -> Result<World, Failure> {
    if !world.tenants.contains_key(tenant_id) {
        return Err(Failure::not_found("The tenant"));
    }
    let mut next = world.clone();
    let identity = next.identities.get_mut(identity_id).ok_or_else(|| Failure::not_found("The identity"))?;
    identity.tenant_id = tenant_id.to_string();
    Ok(next)
}

/// Identity type None: removes the order's system-assigned identity.
pub fn remove_system_identity(
    world: &World,
    order_id: &str,
    expected_version: Option<u64>,
) -> Result<World, Failure> {
    let mut next = world.clone();
    let order = order_mut(&mut next, order_id, expected_version)?;
    if order.system_identity.take().is_none() {
        return Err(Failure::conflict("The order has no system-assigned identity."));
    }
    order.version += 1;
    Ok(next)
}

/// Identity type System assigned: creates a fresh system identity in the subscription's
/// current tenant. It gets a new principal id, so old access-policy entries no longer apply.
pub fn recreate_system_identity(
    world: &World,
    ctx: &mut Ctx,
    order_id: &str,
    expected_version: Option<u64>,
) -> Result<World, Failure> {
    let mut next = world.clone();
    let order = next.orders.get(order_id).ok_or_else(|| Failure::not_found("The order"))?;
    let tenant_id = next
        .subscriptions
        .get(&order.subscription_id)
        .map(|s| s.tenant_id.clone())
        .ok_or_else(|| Failure::not_found("The subscription"))?;
    let order = order_mut(&mut next, order_id, expected_version)?;
    if order.system_identity.is_some() {
        return Err(Failure::conflict("Set the identity type to None first."));
    }
    order.system_identity = Some(SystemIdentity { principal_id: crypto::random_hex(ctx.rng, 16), tenant_id });
    order.version += 1;
    Ok(next)
}

/// The documented recovery: identity None, then System assigned, then grant the new identity
/// Get, WrapKey and UnwrapKey on the vault.
pub fn recreate_system_identity_with_access(
    world: &World,
    ctx: &mut Ctx,
    order_id: &str,
    vault: &str,
) -> Result<World, Failure> {
    let has_identity = world.orders.get(order_id).is_some_and(|o| o.system_identity.is_some());
    let cleared = if has_identity { remove_system_identity(world, order_id, None)? } else { world.clone() };
    let recreated = recreate_system_identity(&cleared, ctx, order_id, None)?;
    let principal_id = recreated
        .orders
        .get(order_id)
        .and_then(|o| o.system_identity.as_ref())
        .map(|i| i.principal_id.clone())
        .ok_or_else(|| Failure::not_found("The system identity"))?;
    super::grant_permissions(&recreated, vault, &principal_id, &KeyPermission::REQUIRED_FOR_ORDER)
}

/// Attaches user identities to an order (at most ten in total).
pub fn attach_identities(
    world: &World,
    order_id: &str,
    identity_ids: &[String],
    expected_version: Option<u64>,
) -> Result<World, Failure> {
    if let Some(missing) = identity_ids.iter().find(|id| !world.identities.contains_key(id)) {
        return Err(Failure::not_found(&format!("Identity '{missing}'")));
    }
    let mut next = world.clone();
    let order = order_mut(&mut next, order_id, expected_version)?;
    let settings = order.encryption.clone();
    for id in identity_ids {
        if !order.user_identities.contains(id) {
            order.user_identities.push(id.clone());
        }
    }
    if order.user_identities.len() > MAX_USER_IDENTITIES {
        return Err(limit_reached(order_id, &settings));
    }
    order.version += 1;
    Ok(next)
}

/// Detaches user identities from an order. Detaching the one in use is allowed (it produces
/// the "identity absent" state, as in the cloud).
pub fn detach_identities(
    world: &World,
    order_id: &str,
    identity_ids: &[String],
    expected_version: Option<u64>,
) -> Result<World, Failure> {
    let mut next = world.clone();
    let order = order_mut(&mut next, order_id, expected_version)?;
    order.user_identities.retain(|id| !identity_ids.contains(id));
    order.version += 1;
    Ok(next)
}

fn limit_reached(order_id: &str, settings: &EncryptionSettings) -> Failure {
    Failure::for_order(ErrorCode::UserAssignedLimitReached, order_id, settings)
}
