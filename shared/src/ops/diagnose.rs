//! Diagnosis: which catalog code (if any) the order's customer key is in, as a pure function
//! of the state.

use crate::catalog::ErrorCode;
use crate::model::{
    CustomerKey, EncryptionSettings, IdentityChoice, KeyPermission, KeyVault, KeyVersion, Order, Timestamp,
    World,
};

/// When the check runs: saving new settings, or using the saved ones (Device password, revert,
/// change). Only the user-identity codes differ between the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Save on the Encryption blade.
    Save,
    /// Anything that unwraps with the saved settings.
    Use,
}

/// Checks every rule for `settings` on `order`, in this fixed order (the first failing rule
/// wins, so the same state always yields the same code):
///
/// 1. **Identity exists.** System assigned: the order has a system identity, else
///    `SystemAssignedIdentityAbsent`. User assigned: the identity exists, else
///    `KekUserIdentityNotFound` (Save) / `UserAssignedIdentityAbsent` (Use); when used it must
///    also still be attached to the order, else `UserAssignedIdentityAbsent`.
/// 2. **Tenant.** A system identity left in another tenant by a subscription move cannot see
///    the vault: `KeyVaultDetailsNotFound`. A user identity whose tenant differs from the
///    subscription's: `CrossTenantIdentityAccessForbidden`.
/// 3. **Vault exists** and is not deleted or purged, else `KeyVaultDetailsNotFound`.
/// 4. **Recovery options**: soft delete and purge protection, else
///    `SoftDeleteAndPurgeProtectionNotEnabled`.
/// 5. **Access.** System identity listed in the access policy, else
///    `SystemAssignedIdentityAbsent`; a user identity blocked by the firewall (system identities
///    pass as trusted services), or missing Get/WrapKey/UnwrapKey: `KeyVaultBadRequestException`.
/// 6. **Key and version exist** and the key is not deleted, else `KeyDetailsNotFound`.
/// 7. **Key type** RSA or RSA-HSM, else `EncryptionKeyTypeNotSupported`.
/// 8. **Version enabled** and active (activation not in the future), else
///    `EncryptionKeyDisabled`.
/// 9. **Not expired**, else `EncryptionKeyExpired`.
/// 10. **Saving** onto a version retired by a rotation, else `KeyVersionDecryptOnly`: it still
///     unwraps but wraps nothing new.
///
/// The cryptography itself comes after diagnosis; if it fails the code is `Generic error`.
pub fn diagnose(
    world: &World,
    order: &Order,
    settings: &EncryptionSettings,
    stage: Stage,
    now: Timestamp,
) -> Result<(), ErrorCode> {
    let Some(ck) = settings.customer_key() else {
        return Ok(());
    };
    let principal_id = check_identity(world, order, &ck.identity, stage)?;
    let vault =
        world.vaults.get(&ck.vault).filter(|v| v.is_live()).ok_or(ErrorCode::KeyVaultDetailsNotFound)?;
    if !(vault.soft_delete && vault.purge_protection) {
        return Err(ErrorCode::SoftDeleteAndPurgeProtectionNotEnabled);
    }
    check_access(vault, &ck.identity, &principal_id)?;
    let version = check_key(vault, ck)?;
    check_version(version, now)?;
    if stage == Stage::Save && version.decrypt_only {
        return Err(ErrorCode::VersionDecryptOnly);
    }
    Ok(())
}

/// Steps 1 and 2; returns the principal id to check access for.
fn check_identity(
    world: &World,
    order: &Order,
    identity: &IdentityChoice,
    stage: Stage,
) -> Result<String, ErrorCode> {
    let subscription_tenant = world.subscriptions.get(&order.subscription_id).map(|s| s.tenant_id.as_str());
    match identity {
        IdentityChoice::SystemAssigned => {
            let system = order.system_identity.as_ref().ok_or(ErrorCode::SystemAssignedIdentityAbsent)?;
            if subscription_tenant != Some(system.tenant_id.as_str()) {
                return Err(ErrorCode::KeyVaultDetailsNotFound);
            }
            Ok(system.principal_id.clone())
        }
        IdentityChoice::UserAssigned { identity_id } => {
            let absent = match stage {
                Stage::Save => ErrorCode::KekUserIdentityNotFound,
                Stage::Use => ErrorCode::UserAssignedIdentityAbsent,
            };
            let user = world.identities.get(identity_id).ok_or(absent)?;
            if stage == Stage::Use && !order.user_identities.contains(identity_id) {
                return Err(ErrorCode::UserAssignedIdentityAbsent);
            }
            if subscription_tenant != Some(user.tenant_id.as_str()) {
                return Err(ErrorCode::CrossTenantIdentityAccessForbidden);
            }
            Ok(user.principal_id.clone())
        }
    }
}

/// Step 5.
fn check_access(vault: &KeyVault, identity: &IdentityChoice, principal_id: &str) -> Result<(), ErrorCode> {
    let is_system = *identity == IdentityChoice::SystemAssigned;
    if is_system && !vault.access_policies.contains_key(principal_id) {
        return Err(ErrorCode::SystemAssignedIdentityAbsent);
    }
    let blocked = !vault.firewall_admits(principal_id, is_system);
    let granted = vault.permissions_of(principal_id);
    let missing = KeyPermission::REQUIRED_FOR_ORDER.iter().any(|p| !granted.contains(p));
    if blocked || missing {
        return Err(ErrorCode::KeyVaultBadRequestException);
    }
    Ok(())
}

/// Steps 6 and 7.
fn check_key<'v>(vault: &'v KeyVault, ck: &CustomerKey) -> Result<&'v KeyVersion, ErrorCode> {
    let key = vault.keys.get(&ck.key).filter(|k| k.is_live()).ok_or(ErrorCode::KeyDetailsNotFound)?;
    let version = key.version(&ck.version).ok_or(ErrorCode::KeyDetailsNotFound)?;
    if !key.key_type.is_rsa() {
        return Err(ErrorCode::EncryptionKeyTypeNotSupported);
    }
    Ok(version)
}

/// Steps 8 and 9.
fn check_version(version: &KeyVersion, now: Timestamp) -> Result<(), ErrorCode> {
    if !version.enabled || version.is_not_yet_active(now) {
        return Err(ErrorCode::EncryptionKeyDisabled);
    }
    if version.is_expired(now) {
        return Err(ErrorCode::EncryptionKeyExpired);
    }
    Ok(())
}
