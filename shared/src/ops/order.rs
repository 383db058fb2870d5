//! Orders and their passkey: create, save encryption settings, Device password.

use super::diagnose::{Stage, diagnose};
use super::{Ctx, SealedPlace, check_order_version, order_mut, version_binding};
use crate::api::{CreateOrderRequest, SaveByKeyUrlRequest};
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, Passkey};
use crate::model::{
    CustomerKey, EncryptionSettings, IdentityChoice, MAX_USER_IDENTITIES, Order, OrderPhase, SystemIdentity,
    World, WrappedPasskey,
};
use crate::validation;

/// Creates an order with a fresh random passkey (wrapped by the master key) and a
/// system-assigned identity. Returns the new world and the order id.
pub fn create_order(
    world: &World,
    ctx: &mut Ctx,
    req: &CreateOrderRequest,
) -> Result<(World, String), Failure> {
    validation::display_name(&req.name)?;
    let subscription = world
        .subscriptions
        .get(&req.subscription_id)
        .ok_or_else(|| Failure::not_found("The subscription"))?;
    if !world.resource_groups.contains_key(&req.resource_group) {
        return Err(Failure::not_found("The resource group"));
    }
    let passkey = Passkey::generate(ctx.rng);
    let id = crypto::random_hex(ctx.rng, 16);
    let order = Order {
        passkey: wrap_with_master(ctx, &id, &passkey)?,
        id,
        name: req.name.clone(),
        subscription_id: subscription.id.clone(),
        resource_group: req.resource_group.clone(),
        phase: OrderPhase::Ordered,
        system_identity: Some(SystemIdentity {
            principal_id: crypto::random_hex(ctx.rng, 16),
            tenant_id: subscription.tenant_id.clone(),
        }),
        user_identities: Vec::new(),
        encryption: EncryptionSettings::MicrosoftManaged,
        version: 1,
    };
    let id = order.id.clone();
    let mut next = world.clone();
    next.orders.insert(id.clone(), order);
    Ok((next, id))
}

/// Moves the order to another phase (a simulation control).
pub fn set_order_phase(
    world: &World,
    order_id: &str,
    phase: OrderPhase,
    expected_version: Option<u64>,
) -> Result<World, Failure> {
    let mut next = world.clone();
    let order = order_mut(&mut next, order_id, expected_version)?;
    order.phase = phase;
    order.version += 1;
    Ok(next)
}

/// Save on the Encryption blade: checks every rule for the new settings, unwraps the passkey
/// with the current protection, wraps it with the new one. On any failure the world is left
/// as it was, so the previous settings and the passkey survive.
///
/// Changing only the identity keeps the same key version; the passkey is then unwrapped
/// through the new identity (the ciphertext is the same), which is what lets a user escape a
/// broken identity by picking a working one.
pub fn save_encryption(
    world: &World,
    ctx: &mut Ctx,
    order_id: &str,
    settings: &EncryptionSettings,
    expected_version: Option<u64>,
) -> Result<World, Failure> {
    let mut next = world.clone();
    order_mut(&mut next, order_id, expected_version)?;
    let order = check_order_version(world, order_id, None)?;
    let settings = with_key_url(world, settings);
    diagnose(world, order, &settings, Stage::Save, ctx.now)
        .map_err(|code| Failure::for_order(code, order_id, &settings))?;
    let passkey = unwrap_for_change(world, ctx, order, &settings)?;
    let wrapped = wrap_passkey(world, ctx, order_id, &settings, &passkey)?;
    let order = order_mut(&mut next, order_id, None)?;
    attach_selected_identity(order, &settings)?;
    order.passkey = wrapped;
    order.encryption = settings;
    order.version += 1;
    Ok(next)
}

/// Save by key URL, as command-line clients do: the URL is checked first — it must parse, use
/// https and a key vault host of this cloud (`SsemUserErrorInvalidKeyVaultUrl`,
/// `SsemUserErrorKeyVaultUrlWithInvalidScheme`, `SsemUserErrorKeyVaultUrlInvalidHost`) and name
/// a key and a version — then that key version is saved like the blade's Save.
pub fn save_encryption_by_key_url(
    world: &World,
    ctx: &mut Ctx,
    order_id: &str,
    req: &SaveByKeyUrlRequest,
    expected_version: Option<u64>,
) -> Result<World, Failure> {
    let uri = validation::parse_vault_uri(&req.key_url, world.cloud)?;
    let (Some(key), Some(version)) = (uri.key, uri.version) else {
        return Err(Failure::new(
            ErrorCode::InvalidKeyVaultUrl,
            "The key URL must name a key and a version.",
        ));
    };
    let settings = EncryptionSettings::CustomerManaged(CustomerKey {
        vault: uri.vault,
        key,
        version,
        key_url: String::new(),
        identity: req.identity.clone(),
    });
    save_encryption(world, ctx, order_id, &settings, expected_version)
}

/// The fix that saves the same key with the system-assigned identity.
pub fn switch_to_system_assigned(
    world: &World,
    ctx: &mut Ctx,
    order_id: &str,
    vault: &str,
    key: &str,
    version: &str,
) -> Result<World, Failure> {
    let settings = EncryptionSettings::CustomerManaged(CustomerKey {
        vault: vault.to_string(),
        key: key.to_string(),
        version: version.to_string(),
        key_url: String::new(),
        identity: IdentityChoice::SystemAssigned,
    });
    save_encryption(world, ctx, order_id, &settings, None)
}

/// Device password: unwraps the passkey with the *current* state, so a key disabled (deleted,
/// expired...) after Save fails here with the matching code.
pub fn fetch_passkey(world: &World, ctx: &mut Ctx, order_id: &str) -> Result<Passkey, Failure> {
    let order = world.orders.get(order_id).ok_or_else(|| Failure::not_found("The order"))?;
    unwrap_with_saved_settings(world, ctx, order)
}

/// Unwraps the passkey through the order's saved settings, after checking every rule for them.
fn unwrap_with_saved_settings(world: &World, ctx: &mut Ctx, order: &Order) -> Result<Passkey, Failure> {
    let current = &order.encryption;
    diagnose(world, order, current, Stage::Use, ctx.now)
        .map_err(|code| Failure::for_order(code, &order.id, current))?;
    unwrap_passkey(world, ctx, &order.id, &order.passkey, current)
}

/// One step of a rotation's rewrap: moves an order's passkey from an older version of
/// `vault/key` onto `version`. An order whose passkey is no longer under that key, or already
/// under `version`, is left as it is. The unwrap goes through the order's saved settings, so an
/// identity that lost access fails here with its catalog code and the order stays on the old
/// version, which still decrypts.
pub fn rewrap_order_passkey(
    world: &World,
    ctx: &mut Ctx,
    order_id: &str,
    vault: &str,
    key: &str,
    version: &str,
) -> Result<World, Failure> {
    let Some(order) = world.orders.get(order_id) else {
        return Ok(world.clone());
    };
    let under_old_version = matches!(&order.passkey,
        WrappedPasskey::ByCustomerKey { vault: v, key: k, version: old, .. }
            if v == vault && k == key && old != version);
    let Some(ck) = order.encryption.customer_key().filter(|_| under_old_version) else {
        return Ok(world.clone());
    };
    let passkey = unwrap_with_saved_settings(world, ctx, order)?;
    let moved =
        EncryptionSettings::CustomerManaged(CustomerKey { version: version.to_string(), ..ck.clone() });
    let settings = with_key_url(world, &moved);
    let wrapped = wrap_passkey(world, ctx, order_id, &settings, &passkey)?;
    let mut next = world.clone();
    let order = order_mut(&mut next, order_id, None)?;
    order.passkey = wrapped;
    order.encryption = settings;
    order.version += 1;
    Ok(next)
}

/// The stored settings carry the key URL computed here, whatever the caller sent.
fn with_key_url(world: &World, settings: &EncryptionSettings) -> EncryptionSettings {
    match settings {
        EncryptionSettings::MicrosoftManaged => EncryptionSettings::MicrosoftManaged,
        EncryptionSettings::CustomerManaged(ck) => EncryptionSettings::CustomerManaged(CustomerKey {
            key_url: world.cloud.key_url(&ck.vault, &ck.key, &ck.version),
            ..ck.clone()
        }),
    }
}

/// Unwraps the current passkey for a change of settings. When the new settings use the very
/// key version that wraps the passkey, they were just diagnosed and serve as the access path;
/// otherwise the current settings must still work.
fn unwrap_for_change(
    world: &World,
    ctx: &mut Ctx,
    order: &Order,
    new: &EncryptionSettings,
) -> Result<Passkey, Failure> {
    let current = &order.encryption;
    let same_key = match (current.customer_key(), new.customer_key()) {
        (Some(a), Some(b)) => a.same_key_version(b),
        _ => false,
    };
    if !same_key {
        diagnose(world, order, current, Stage::Use, ctx.now)
            .map_err(|code| Failure::for_order(code, &order.id, current))?;
    }
    unwrap_passkey(world, ctx, &order.id, &order.passkey, current)
}

fn unwrap_passkey(
    world: &World,
    ctx: &mut Ctx,
    order_id: &str,
    wrapped: &WrappedPasskey,
    settings: &EncryptionSettings,
) -> Result<Passkey, Failure> {
    let generic = || Failure::for_order(ErrorCode::GenericError, order_id, settings);
    let plain = match wrapped {
        WrappedPasskey::ByMasterKey { sealed } => {
            let here = SealedPlace::OrderPasskey { order: order_id.to_string() }.binding();
            ctx.keys.open(&here, sealed).map_err(|_| generic())?
        }
        WrappedPasskey::ByCustomerKey { vault, key, version, ciphertext } => {
            let v = world
                .vaults
                .get(vault)
                .and_then(|v| v.keys.get(key))
                .and_then(|k| k.version(version))
                .ok_or_else(generic)?;
            let der = ctx.keys.open(&version_binding(&v.id), &v.sealed_private_key).map_err(|_| generic())?;
            let ciphertext = crypto::unb64(ciphertext).map_err(|_| generic())?;
            ctx.rsa.oaep_decrypt(&der, &ciphertext, ctx.rng).map_err(|_| generic())?
        }
    };
    Passkey::from_slice(&plain).map_err(|_| generic())
}

fn wrap_with_master(ctx: &mut Ctx, order_id: &str, passkey: &Passkey) -> Result<WrappedPasskey, Failure> {
    let here = SealedPlace::OrderPasskey { order: order_id.to_string() }.binding();
    let sealed = ctx.keys.seal(&here, passkey.expose(), ctx.rng)?;
    Ok(WrappedPasskey::ByMasterKey { sealed })
}

fn wrap_passkey(
    world: &World,
    ctx: &mut Ctx,
    order_id: &str,
    settings: &EncryptionSettings,
    passkey: &Passkey,
) -> Result<WrappedPasskey, Failure> {
    let Some(ck) = settings.customer_key() else {
        return wrap_with_master(ctx, order_id, passkey);
    };
    let generic =
        || Failure::new(ErrorCode::GenericError, "The passkey could not be wrapped with the selected key.");
    let version = world
        .vaults
        .get(&ck.vault)
        .and_then(|v| v.keys.get(&ck.key))
        .and_then(|k| k.version(&ck.version))
        .ok_or_else(generic)?;
    if version.decrypt_only {
        return Err(Failure::new(
            ErrorCode::VersionDecryptOnly,
            "A decrypt-only key version wraps nothing new.",
        ));
    }
    let public = crypto::rsa_public_from_material(&version.public_key).map_err(|_| generic())?;
    let ciphertext = crypto::oaep_wrap(&public, passkey.expose(), ctx.rng).map_err(|_| generic())?;
    Ok(WrappedPasskey::ByCustomerKey {
        vault: ck.vault.clone(),
        key: ck.key.clone(),
        version: ck.version.clone(),
        ciphertext: crypto::b64(&ciphertext),
    })
}

/// Selecting a user identity on the blade attaches it to the order, within the limit.
fn attach_selected_identity(order: &mut Order, settings: &EncryptionSettings) -> Result<(), Failure> {
    let Some(IdentityChoice::UserAssigned { identity_id }) = settings.customer_key().map(|ck| &ck.identity)
    else {
        return Ok(());
    };
    if order.user_identities.contains(identity_id) {
        return Ok(());
    }
    if order.user_identities.len() >= MAX_USER_IDENTITIES {
        return Err(Failure::for_order(ErrorCode::UserAssignedLimitReached, &order.id, settings));
    }
    order.user_identities.push(identity_id.clone());
    Ok(())
}
