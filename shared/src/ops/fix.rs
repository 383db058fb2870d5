//! One-click fixes: what the portal performs when the user clicks **Fix** on a failure. A fix
//! is posted with the subject the failure named.

use super::*;
use crate::catalog::{ErrorCode, Failure, FixAction, is_offered};
use crate::model::{Subject, World};

/// Performs `fix` for `subject`, when `proof` shows the server offered exactly this fix for
/// exactly this subject: a fix changes only what the failure it answers named. Atomic like every operation: the new world, or a failure and
/// nothing changed. For an order, `expected_version` guards against a fix based on a stale view
/// ([`check_order_version`]); fixes that act through an order need an order subject.
pub fn apply_fix(
    world: &World,
    ctx: &mut Ctx,
    subject: &Subject,
    fix: &FixAction,
    proof: &str,
    expected_version: Option<u64>,
) -> Result<World, Failure> {
    // A stale view is reported first: whatever fix it offered, it was offered for an older state.
    let order = match subject {
        Subject::Order { id } => Some(check_order_version(world, id, expected_version)?.id.clone()),
        _ => None,
    };
    if !is_offered(ctx.master, subject, fix, proof) {
        return Err(Failure::new(
            ErrorCode::FixNotApplicable,
            "This fix was not offered for this subject. Retry the action and use the fix its error offers.",
        ));
    }
    let order_id = || {
        order.as_deref().ok_or_else(|| {
            Failure::new(
                ErrorCode::FixNotApplicable,
                "This fix acts through an order: name the order as its subject.",
            )
        })
    };
    use FixAction::*;
    match fix {
        EnableKeyVersion { vault, key, version } => enable_version_now(world, ctx, vault, key, version),
        ExtendExpiry { vault, key, version } => extend_expiry(world, ctx, vault, key, version),
        RecoverKey { vault, key } => recover_key(world, ctx, vault, key),
        RecoverVault { vault } => recover_vault(world, ctx, vault),
        GrantKeyPermissions { vault, principal_id, permissions } => {
            grant_permissions(world, vault, principal_id, permissions)
        }
        SwitchToSystemAssigned { vault, key, version } => {
            switch_to_system_assigned(world, ctx, order_id()?, vault, key, version)
        }
        RestoreSubscriptionTenant { subscription_id } => revert_subscription_tenant(world, subscription_id),
        RecreateSystemIdentity { vault } => {
            recreate_system_identity_with_access(world, ctx, order_id()?, vault)
        }
        EnablePurgeProtection { vault } => enable_recovery_options(world, vault),
        DetachUserIdentities { identity_ids } => detach_identities(world, order_id()?, identity_ids, None),
        MoveIdentityToTenant { identity_id, tenant_id } => {
            move_identity_tenant(world, identity_id, tenant_id)
        }
        SetDeviceOnline { manager, device } => set_device_online(world, ctx, manager, device, true),
        AuthorizeRollover { manager, device } => authorize(world, ctx, manager, device),
    }
}
