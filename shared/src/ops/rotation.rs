//! Key rotation (seed 004): a rotation gives a key a new version under the same name and id;
//! the older versions are retired to decrypt-only, and every resource registered with the key is
//! rewrapped onto the new version by an operation, one resource per step.
//!
//! Keys Keyblade generated rotate with material Keyblade makes (RSA keys started from the portal
//! get theirs from the browser, as at creation); imported keys only with material the caller
//! brings, and only they may not have a rotation policy.

use super::key::{import_version, live_key, live_key_mut, new_version};
use super::{Ctx, start_operation};
use crate::api::{RegisterResourceRequest, VersionAttributes};
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, KeyTransfer, PublicKeyMaterial, ROOT_KEY_LENGTHS};
use crate::model::{
    Key, KeyType, KeyVersion, OperationKind, Registration, RewrapTarget, RotationPolicy, Subject, Timestamp,
    World,
};

/// At most one manual rotation per key in this many seconds.
pub const ROTATION_COOLDOWN: i64 = 3600;
/// Rotation policy intervals, in months.
pub const ROTATION_INTERVAL_MONTHS: std::ops::RangeInclusive<u8> = 1..=12;

/// Where a rotation's new material comes from.
#[derive(Clone, Copy, Debug)]
pub enum NewMaterial<'a> {
    /// Keyblade makes it: random bytes for a symmetric key, a fresh key pair otherwise.
    Generate,
    /// A private key wrapped in the browser for the vault's import key.
    Transfer(&'a KeyTransfer),
    /// Raw symmetric key bytes (Key Protect's `payload`).
    Payload(&'a [u8]),
}

/// Who asked for a rotation: only manual ones are rate limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Rotate now, from the portal or an API.
    Manual,
    /// The key's rotation policy fell due.
    Policy,
}

/// What a rotation produced.
#[derive(Clone, Debug)]
pub struct Rotated {
    /// The world with the new version.
    pub world: World,
    /// The new version's id.
    pub version: String,
    /// The rewrap operation, when resources are registered with the key.
    pub rewrap: Option<String>,
}

/// Rotates a live key: checks the rate limit and the material, retires every version to
/// decrypt-only, adds the new current version and starts rewrapping the registered resources.
pub fn rotate_key(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    key: &str,
    material: NewMaterial<'_>,
    trigger: Trigger,
) -> Result<Rotated, Failure> {
    let existing = live_key(world, vault, key)?;
    let subject = || Subject::Key { vault: vault.to_string(), key: key.to_string() };
    if trigger == Trigger::Manual {
        check_cooldown(existing, ctx.now).map_err(|f| Failure::about(f.code, f.message, subject()))?;
    }
    let version = new_material_version(world, ctx, vault, existing, material)?;
    let id = version.id.clone();
    let mut next = world.clone();
    let rotated = live_key_mut(&mut next, vault, key)?;
    for old in &mut rotated.versions {
        old.decrypt_only = true;
    }
    rotated.versions.push(version);
    rotated.last_rotated = Some(ctx.now);
    let targets = rewrap_targets(&next, vault, key, &id);
    let rewrap = (!targets.is_empty()).then(|| {
        let kind = OperationKind::RewrapRegistrations {
            vault: vault.to_string(),
            key: key.to_string(),
            version: id.clone(),
            targets,
        };
        start_operation(&mut next, ctx, kind, subject(), 0)
    });
    Ok(Rotated { world: next, version: id, rewrap })
}

/// The rate limit: the next manual rotation is allowed an hour after the last rotation.
fn check_cooldown(key: &Key, now: Timestamp) -> Result<(), Failure> {
    let Some(last) = key.last_rotated else {
        return Ok(());
    };
    let allowed = Timestamp(last.0.saturating_add(ROTATION_COOLDOWN));
    if now >= allowed {
        return Ok(());
    }
    Err(Failure::new(
        ErrorCode::RotationTooSoon,
        format!(
            "'{}' was rotated at {}; a key rotates at most once an hour, so the next rotation is allowed from {}.",
            key.name,
            last.rfc3339(),
            allowed.rfc3339()
        ),
    ))
}

/// The new version, from the material the rules allow for this key.
fn new_material_version(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    key: &Key,
    material: NewMaterial<'_>,
) -> Result<KeyVersion, Failure> {
    let attributes = VersionAttributes::default();
    match material {
        NewMaterial::Generate if key.imported => Err(Failure::new(
            ErrorCode::RotationMaterialRequired,
            format!("'{}' holds imported material: rotate it with new material of its own.", key.name),
        )),
        NewMaterial::Generate => generated_version(ctx, key.key_type, key.size, &attributes),
        NewMaterial::Transfer(transfer) => {
            import_version(world, ctx, vault, key.key_type, key.size, &attributes, transfer)
        }
        NewMaterial::Payload(_) if !key.imported => {
            Err(invalid_material("Keyblade generates this key's material: rotate it without a payload."))
        }
        NewMaterial::Payload(bytes)
            if key.key_type == KeyType::Oct && bytes.len() * 8 == usize::from(key.size) =>
        {
            new_version(ctx, PublicKeyMaterial::Oct, bytes, &attributes)
        }
        NewMaterial::Payload(_) => Err(invalid_material(&format!(
            "The new material must be {} bits of symmetric key, like the key's first.",
            key.size
        ))),
    }
}

/// A version whose material Keyblade makes itself.
pub(super) fn generated_version(
    ctx: &mut Ctx,
    key_type: KeyType,
    size: u16,
    attributes: &VersionAttributes,
) -> Result<KeyVersion, Failure> {
    match key_type {
        KeyType::Oct => {
            let mut bytes = zeroize::Zeroizing::new(vec![0u8; usize::from(size / 8)]);
            ctx.rng.fill_bytes(&mut bytes);
            new_version(ctx, PublicKeyMaterial::Oct, &bytes, attributes)
        }
        KeyType::Rsa | KeyType::RsaHsm => {
            let private = crypto::generate_rsa(usize::from(size), ctx.rng)?;
            super::rsa_version(ctx, &private, attributes)
        }
        KeyType::Ec => {
            let der = crypto::ec_p256_pkcs8(ctx.rng);
            new_version(ctx, PublicKeyMaterial::Ec { crv: "P-256".to_string() }, &der, attributes)
        }
    }
}

fn invalid_material(message: &str) -> Failure {
    Failure::new(ErrorCode::InvalidKeyMaterial, message)
}

/// Creates a symmetric root key: generated by Keyblade (AES-256), or imported from `payload`
/// (16, 24 or 32 bytes).
pub fn create_root_key(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    name: &str,
    payload: Option<&[u8]>,
) -> Result<World, Failure> {
    crate::validation::key_name(name)?;
    let taken = world.vaults.get(vault).and_then(|v| v.keys.get(name)).is_some_and(|k| !k.purged);
    if taken {
        return Err(Failure::new(
            ErrorCode::KeyNameTaken,
            format!("'{name}' already exists (possibly soft-deleted)."),
        ));
    }
    let attributes = VersionAttributes::default();
    let (version, size) = match payload {
        None => (generated_version(ctx, KeyType::Oct, 256, &attributes)?, 256),
        Some(bytes) if ROOT_KEY_LENGTHS.contains(&bytes.len()) => {
            (new_version(ctx, PublicKeyMaterial::Oct, bytes, &attributes)?, (bytes.len() * 8) as u16)
        }
        Some(_) => return Err(invalid_material("A root key's material must be 16, 24 or 32 bytes.")),
    };
    let key = Key::new(name, KeyType::Oct, size, version, payload.is_some());
    let mut next = world.clone();
    super::live_vault_mut(&mut next, vault)?.keys.insert(name.to_string(), key);
    Ok(next)
}

/// Sets (or turns off) a key's rotation policy.
pub fn set_rotation_policy(
    world: &World,
    vault: &str,
    key: &str,
    policy: RotationPolicy,
) -> Result<World, Failure> {
    // Turning rotation off needs no interval: the one set before is kept (a month if none was).
    let policy = match policy {
        RotationPolicy { enabled: false, interval_months: 0 } => RotationPolicy {
            enabled: false,
            interval_months: live_key(world, vault, key)?.rotation_policy.map_or(1, |p| p.interval_months),
        },
        policy => policy,
    };
    if !ROTATION_INTERVAL_MONTHS.contains(&policy.interval_months) {
        return Err(Failure::new(
            ErrorCode::InvalidRotationInterval,
            format!("The interval must be 1 to 12 months, not {}.", policy.interval_months),
        ));
    }
    if live_key(world, vault, key)?.imported {
        return Err(Failure::new(
            ErrorCode::PolicyOnImportedKey,
            format!("'{key}' holds imported material, which Keyblade cannot renew on a schedule."),
        ));
    }
    let mut next = world.clone();
    live_key_mut(&mut next, vault, key)?.rotation_policy = Some(policy);
    Ok(next)
}

/// Rotates every live key whose policy has fallen due at `now` (part of `advance`). A key that
/// cannot rotate is left for the next turn rather than failing the others.
pub fn rotate_due_keys(world: &World, ctx: &mut Ctx) -> Option<World> {
    let due = world.keys_where(|_, k| k.is_live() && k.next_rotation().is_some_and(|at| at <= ctx.now));
    let mut next: Option<World> = None;
    for (vault, key) in due {
        let current = next.as_ref().unwrap_or(world);
        if let Ok(rotated) = rotate_key(current, ctx, &vault, &key, NewMaterial::Generate, Trigger::Policy) {
            next = Some(rotated.world);
        }
    }
    next
}

/// Registers a resource outside Keyblade with a key, under its current version (or updates the
/// registration).
pub fn register_resource(
    world: &World,
    ctx: &Ctx,
    vault: &str,
    key: &str,
    req: &RegisterResourceRequest,
) -> Result<World, Failure> {
    let (resource, description) = (req.resource.as_str(), req.description.as_str());
    if resource.trim().is_empty() || resource.len() > 512 || description.len() > 1024 {
        return Err(Failure::new(
            ErrorCode::InvalidRequest,
            "A resource name has 1 to 512 characters, a description at most 1024.",
        ));
    }
    let mut next = world.clone();
    let k = live_key_mut(&mut next, vault, key)?;
    let key_version = k.current_version().map(|v| v.id.clone()).unwrap_or_default();
    let created = k.registrations.iter().find(|r| r.resource == resource).map_or(ctx.now, |r| r.created);
    k.registrations.retain(|r| r.resource != resource);
    k.registrations.push(Registration {
        resource: resource.to_string(),
        key_version,
        prevent_key_deletion: req.prevent_key_deletion,
        description: description.to_string(),
        created,
        updated: ctx.now,
    });
    Ok(next)
}

/// Removes a resource's registration.
pub fn deregister_resource(world: &World, vault: &str, key: &str, resource: &str) -> Result<World, Failure> {
    let mut next = world.clone();
    let k = live_key_mut(&mut next, vault, key)?;
    let before = k.registrations.len();
    k.registrations.retain(|r| r.resource != resource);
    if k.registrations.len() == before {
        return Err(Failure::not_found(&format!("The registration of '{resource}'")));
    }
    Ok(next)
}

/// Every resource whose secret `vault/key` wraps under a version other than `version`.
fn rewrap_targets(world: &World, vault: &str, key: &str, version: &str) -> Vec<RewrapTarget> {
    world.registrations_of(vault, key).into_iter().filter(|(_, v)| v != version).map(|(t, _)| t).collect()
}

/// One step of a rewrap: moves one resource onto `version`.
pub fn rewrap_target(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    key: &str,
    version: &str,
    target: &RewrapTarget,
) -> Result<World, Failure> {
    // A later rotation supersedes this one: its own rewrap moves the resource, never backwards.
    let still_current = live_key(world, vault, key)?.current_version().is_some_and(|v| v.id == version);
    if !still_current {
        return Ok(world.clone());
    }
    match target {
        RewrapTarget::Order { id, .. } => super::rewrap_order_passkey(world, ctx, id, vault, key, version),
        // The service holding an external resource's secret rewraps it itself when told; here
        // its registration moves to the new version.
        RewrapTarget::External { resource } => {
            let mut next = world.clone();
            let k = live_key_mut(&mut next, vault, key)?;
            if let Some(r) = k.registrations.iter_mut().find(|r| &r.resource == resource) {
                r.key_version = version.to_string();
                r.updated = ctx.now;
            }
            Ok(next)
        }
    }
}
