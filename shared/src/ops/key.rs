//! Keys and key versions. Private keys arrive only inside a key-transfer blob wrapped for the
//! vault's import key, and are stored sealed under the master key.

use rsa::traits::PublicKeyParts;

use super::{Ctx, live_vault_mut};
use crate::api::{CreateKeyRequest, CreateVersionRequest, VersionAttributes};
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, ImportedKey, KeyTransfer};
use crate::model::{Key, KeyOperation, KeyType, KeyVault, KeyVersion, PublicKeyMaterial, World};
use crate::validation;

/// Creates a key with its first version; returns the new world and the version id.
pub fn create_key(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    req: &CreateKeyRequest,
) -> Result<(World, String), Failure> {
    check_new_key_name(world, vault, &req.name)?;
    validation::key_type_and_size(req.key_type, req.size)?;
    let version = import_version(world, ctx, vault, req.key_type, req.size, &req.attributes, &req.transfer)?;
    let id = version.id.clone();
    let mut next = world.clone();
    let key = Key::new(&req.name, req.key_type, req.size, version, false);
    live_vault_mut(&mut next, vault)?.keys.insert(req.name.clone(), key);
    Ok((next, id))
}

/// A new key's name: well formed and not held by a key of the vault, soft-deleted ones included.
pub(super) fn check_new_key_name(world: &World, vault: &str, name: &str) -> Result<(), Failure> {
    validation::key_name(name)?;
    let existing = world.vaults.get(vault).and_then(|v| v.keys.get(name));
    if existing.is_some_and(|k| !k.purged) {
        return Err(Failure::new(
            ErrorCode::KeyNameTaken,
            format!("'{name}' already exists (possibly soft-deleted)."),
        ));
    }
    Ok(())
}

/// Adds a version to a live key; the imported key must match the key's type and size.
pub fn create_version(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    key: &str,
    req: &CreateVersionRequest,
) -> Result<(World, String), Failure> {
    let existing = live_key(world, vault, key)?;
    let version =
        import_version(world, ctx, vault, existing.key_type, existing.size, &req.attributes, &req.transfer)?;
    let id = version.id.clone();
    let mut next = world.clone();
    live_key_mut(&mut next, vault, key)?.versions.push(version);
    Ok((next, id))
}

/// Builds a version directly from an RSA private key (used by the demo seed, which has no
/// browser to wrap the key).
pub fn rsa_version(
    ctx: &mut Ctx,
    private: &rsa::PrivateKey,
    attributes: &VersionAttributes,
) -> Result<KeyVersion, Failure> {
    let der = crypto::private_key_to_pkcs8(private)?;
    let public = crypto::rsa_public_material(private.as_public_key());
    new_version(ctx, public, &der, attributes)
}

/// Unwraps the transfer blob, checks the key inside against the declared type and size, and
/// seals it.
pub(super) fn import_version(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    key_type: KeyType,
    size: u16,
    attributes: &VersionAttributes,
    transfer: &KeyTransfer,
) -> Result<KeyVersion, Failure> {
    let der = unwrap_transfer(world, ctx, vault, transfer)?;
    let public = match (crypto::classify_pkcs8(&der), key_type) {
        (Ok(ImportedKey::Rsa(private)), KeyType::Rsa | KeyType::RsaHsm)
            if usize::from(size) == private.size() * 8 =>
        {
            crypto::rsa_public_material(private.as_public_key())
        }
        (Ok(ImportedKey::EcP256), KeyType::Ec) => PublicKeyMaterial::Ec { crv: "P-256".to_string() },
        _ => return Err(bad_transfer("The uploaded key does not match the declared type and size.")),
    };
    new_version(ctx, public, &der, attributes)
}

fn unwrap_transfer(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    transfer: &KeyTransfer,
) -> Result<zeroize::Zeroizing<Vec<u8>>, Failure> {
    world
        .vaults
        .get(vault)
        .filter(|v| v.is_live())
        .ok_or_else(|| Failure::not_found(&format!("Key vault '{vault}'")))?;
    let import_key =
        world.import_keys.get(vault).ok_or_else(|| bad_transfer("The vault has no import key yet."))?;
    let import_private = import_key.private_key(ctx.keys, vault)?;
    crypto::unwrap_transfer(&import_private, transfer, ctx.rng)
        .map_err(|_| bad_transfer("The key-transfer blob could not be unwrapped."))
}

pub(super) fn new_version(
    ctx: &mut Ctx,
    public_key: PublicKeyMaterial,
    pkcs8: &[u8],
    attributes: &VersionAttributes,
) -> Result<KeyVersion, Failure> {
    validation::dates(attributes)?;
    let key_ops = match public_key {
        PublicKeyMaterial::Rsa { .. } | PublicKeyMaterial::Oct => {
            vec![KeyOperation::Encrypt, KeyOperation::Decrypt, KeyOperation::WrapKey, KeyOperation::UnwrapKey]
        }
        PublicKeyMaterial::Ec { .. } => vec![KeyOperation::Sign, KeyOperation::Verify],
    };
    let id = crypto::random_hex(ctx.rng, 16);
    Ok(KeyVersion {
        sealed_private_key: ctx.keys.seal(&super::version_binding(&id), pkcs8, ctx.rng)?,
        id,
        enabled: attributes.enabled,
        nbf: attributes.nbf,
        exp: attributes.exp,
        created: ctx.now,
        public_key,
        key_ops,
        decrypt_only: false,
    })
}

/// Replaces a version's attributes (enable/disable, activation, expiry).
pub fn update_version(
    world: &World,
    vault: &str,
    key: &str,
    version: &str,
    attributes: &VersionAttributes,
) -> Result<World, Failure> {
    // What the path names first: a missing key is 404, whatever the body says.
    let mut next = world.clone();
    let v = live_key_mut(&mut next, vault, key)?
        .version_mut(version)
        .ok_or_else(|| Failure::not_found("The key version"))?;
    validation::dates(attributes)?;
    v.enabled = attributes.enabled;
    v.nbf = attributes.nbf;
    v.exp = attributes.exp;
    Ok(next)
}

/// Enables a version and drops an activation date that lies in the future.
pub fn enable_version_now(
    world: &World,
    ctx: &Ctx,
    vault: &str,
    key: &str,
    version: &str,
) -> Result<World, Failure> {
    let current =
        live_key(world, vault, key)?.version(version).ok_or_else(|| Failure::not_found("The key version"))?;
    let nbf = current.nbf.filter(|nbf| *nbf <= ctx.now);
    update_version(world, vault, key, version, &VersionAttributes { enabled: true, nbf, exp: current.exp })
}

/// Moves a version's expiry to one year from now.
pub fn extend_expiry(
    world: &World,
    ctx: &Ctx,
    vault: &str,
    key: &str,
    version: &str,
) -> Result<World, Failure> {
    let current =
        live_key(world, vault, key)?.version(version).ok_or_else(|| Failure::not_found("The key version"))?;
    let attributes =
        VersionAttributes { enabled: current.enabled, nbf: current.nbf, exp: Some(ctx.now.plus_days(365)) };
    update_version(world, vault, key, version, &attributes)
}

/// Deletes a key: soft-deleted when the vault has soft delete, otherwise purged at once.
pub fn delete_key(world: &World, ctx: &Ctx, vault: &str, key: &str) -> Result<World, Failure> {
    let mut next = world.clone();
    let v = live_vault_mut(&mut next, vault)?;
    let soft = v.soft_delete;
    let k = live_key_in(v, key)?;
    if let Some(protecting) = k.registrations.iter().find(|r| r.prevent_key_deletion) {
        return Err(Failure::about(
            ErrorCode::KeyHasRegistrations,
            format!("'{}' is registered with this key and prevents its deletion.", protecting.resource),
            crate::model::Subject::Key { vault: vault.to_string(), key: key.to_string() },
        ));
    }
    k.deleted_at = Some(ctx.now);
    if !soft {
        purge(k);
    }
    Ok(next)
}

/// Recovers a soft-deleted key within the vault's retention period.
pub fn recover_key(world: &World, ctx: &Ctx, vault: &str, key: &str) -> Result<World, Failure> {
    let mut next = world.clone();
    let v = live_vault_mut(&mut next, vault)?;
    let retention = v.retention_days;
    let k = deleted_key_in(v, key)?;
    if !crate::model::within_retention(k.deleted_at, retention, ctx.now) {
        return Err(Failure::new(
            ErrorCode::NotRecoverable,
            format!("The retention period of '{key}' has ended."),
        ));
    }
    k.deleted_at = None;
    Ok(next)
}

/// Purges a soft-deleted key; refused under purge protection while retention lasts.
pub fn purge_key(world: &World, ctx: &Ctx, vault: &str, key: &str) -> Result<World, Failure> {
    let mut next = world.clone();
    let v = live_vault_mut(&mut next, vault)?;
    let protected = v.purge_protection;
    let retention = v.retention_days;
    let k = deleted_key_in(v, key)?;
    if protected && crate::model::within_retention(k.deleted_at, retention, ctx.now) {
        return Err(Failure::new(ErrorCode::PurgeProtected, format!("'{vault}' has purge protection.")));
    }
    purge(k);
    Ok(next)
}

/// Destroys key material but keeps a tombstone, so diagnosis can tell "purged" from "never".
fn purge(key: &mut Key) {
    key.purged = true;
    key.versions.clear();
}

pub(super) fn live_key<'w>(world: &'w World, vault: &str, key: &str) -> Result<&'w Key, Failure> {
    world
        .vaults
        .get(vault)
        .filter(|v| v.is_live())
        .and_then(|v| v.keys.get(key))
        .filter(|k| k.is_live())
        .ok_or_else(|| Failure::not_found(&format!("Key '{key}'")))
}

pub(super) fn live_key_mut<'w>(world: &'w mut World, vault: &str, key: &str) -> Result<&'w mut Key, Failure> {
    live_key_in(live_vault_mut(world, vault)?, key)
}

fn live_key_in<'v>(vault: &'v mut KeyVault, key: &str) -> Result<&'v mut Key, Failure> {
    vault.keys.get_mut(key).filter(|k| k.is_live()).ok_or_else(|| Failure::not_found(&format!("Key '{key}'")))
}

fn deleted_key_in<'v>(vault: &'v mut KeyVault, key: &str) -> Result<&'v mut Key, Failure> {
    vault
        .keys
        .get_mut(key)
        .filter(|k| k.deleted_at.is_some() && !k.purged)
        .ok_or_else(|| Failure::not_found(&format!("Deleted key '{key}'")))
}

fn bad_transfer(message: &str) -> Failure {
    Failure::new(ErrorCode::InvalidKeyTransfer, message)
}
