//! Envelope encryption with a key: wrap a data key under the key's current version, unwrap it
//! under whichever version wrapped it. A wrapped data key names its version (its first 16 bytes
//! are the version id), so an old ciphertext keeps unwrapping after rotations and is handed back
//! rewrapped under the current version.

use zeroize::Zeroizing;

use super::Ctx;
use super::key::{live_key, live_key_mut};
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, PublicKeyMaterial};
use crate::model::{Key, KeyVersion, World};

/// Largest data key a symmetric key wraps, in bytes.
pub const MAX_DATA_KEY: usize = 4096;
const VERSION_ID_BYTES: usize = 16;

/// A data key wrapped under one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedDataKey {
    /// Standard base64 of `version id || wrapped bytes`.
    pub ciphertext: String,
    /// The version that wrapped it.
    pub version: String,
}

/// What unwrapping gave.
#[derive(Debug)]
pub struct UnwrappedDataKey {
    /// The data key.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// The version that had wrapped it.
    pub version: String,
    /// The same data key wrapped under the current version, when an older one had wrapped it.
    pub rewrapped: Option<WrappedDataKey>,
}

/// Wraps `plaintext` under the key's current version.
pub fn wrap_data_key(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    key: &str,
    plaintext: &[u8],
) -> Result<WrappedDataKey, Failure> {
    if plaintext.is_empty() || plaintext.len() > MAX_DATA_KEY {
        return Err(Failure::new(ErrorCode::InvalidDataKey, "A data key has 1 to 4096 bytes."));
    }
    let k = live_key(world, vault, key)?;
    let version = k.current_version().ok_or_else(|| Failure::not_found("The key version"))?;
    usable(version, ctx)?;
    let wrapped = match &version.public_key {
        PublicKeyMaterial::Oct => crypto::root_key_wrap(&open(ctx, version)?, plaintext),
        material @ PublicKeyMaterial::Rsa { .. } => crypto::rsa_public_from_material(material)
            .and_then(|public| crypto::oaep_wrap(&public, plaintext, ctx.rng)),
        PublicKeyMaterial::Ec { .. } => return Err(cannot_wrap(k)),
    }
    .map_err(|_| Failure::new(ErrorCode::InvalidDataKey, "The data key is too long for this key to wrap."))?;
    let mut blob = hex_bytes(&version.id)?;
    blob.extend(wrapped);
    Ok(WrappedDataKey { ciphertext: crypto::b64(&blob), version: version.id.clone() })
}

/// Unwraps a data key under the version that wrapped it (a decrypt-only version included), and
/// rewraps it under the current version when that is a newer one.
pub fn unwrap_data_key(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    key: &str,
    ciphertext: &str,
) -> Result<UnwrappedDataKey, Failure> {
    let foreign =
        || Failure::new(ErrorCode::InvalidCiphertext, format!("The ciphertext was not made by '{key}'."));
    let blob = crypto::unb64(ciphertext).map_err(|_| foreign())?;
    if blob.len() <= VERSION_ID_BYTES {
        return Err(foreign());
    }
    let (id, wrapped) = blob.split_at(VERSION_ID_BYTES);
    let k = live_key(world, vault, key)?;
    let version = k.version(&crypto::to_hex(id)).ok_or_else(foreign)?;
    usable(version, ctx)?;
    let plaintext = match &version.public_key {
        PublicKeyMaterial::Oct => crypto::root_key_unwrap(&open(ctx, version)?, wrapped),
        PublicKeyMaterial::Rsa { .. } => ctx.rsa.oaep_decrypt(&open(ctx, version)?, wrapped, ctx.rng),
        PublicKeyMaterial::Ec { .. } => return Err(cannot_wrap(k)),
    }
    .map_err(|_| foreign())?;
    let current = k.current_version().map(|v| v.id.as_str());
    // The rewrapped copy is a convenience: an unusable current version must not stop an old
    // ciphertext from unwrapping.
    let rewrapped = match current {
        Some(current) if current != version.id => wrap_data_key(world, ctx, vault, key, &plaintext).ok(),
        _ => None,
    };
    Ok(UnwrappedDataKey { plaintext, version: version.id.clone(), rewrapped })
}

/// Enables or disables every version of a key at once (Key Protect's enable and disable).
pub fn set_key_enabled(world: &World, vault: &str, key: &str, enabled: bool) -> Result<World, Failure> {
    let mut next = world.clone();
    for version in &mut live_key_mut(&mut next, vault, key)?.versions {
        version.enabled = enabled;
    }
    Ok(next)
}

/// A version can wrap or unwrap while enabled, active and not expired.
pub(super) fn usable(version: &KeyVersion, ctx: &Ctx) -> Result<(), Failure> {
    if !version.enabled || version.is_not_yet_active(ctx.now) {
        return Err(Failure::new(
            ErrorCode::EncryptionKeyDisabled,
            "The key version is disabled or not active yet.",
        ));
    }
    if version.is_expired(ctx.now) {
        return Err(Failure::new(ErrorCode::EncryptionKeyExpired, "The key version has expired."));
    }
    Ok(())
}

pub(super) fn open(ctx: &Ctx, version: &KeyVersion) -> Result<Zeroizing<Vec<u8>>, crypto::CryptoError> {
    ctx.keys.open(&super::version_binding(&version.id), &version.sealed_private_key)
}

fn cannot_wrap(key: &Key) -> Failure {
    Failure::new(
        ErrorCode::EncryptionKeyTypeNotSupported,
        format!("'{}' is an EC key, which signs but does not wrap.", key.name),
    )
}

fn hex_bytes(hex: &str) -> Result<Vec<u8>, Failure> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect();
    bytes.filter(|b| b.len() == VERSION_ID_BYTES).ok_or_else(|| Failure::generic("A version id is not hex."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DEMO_VAULT;
    use crate::ops::tests::Fx;
    use crate::ops::{NewMaterial, Trigger, create_root_key, rotate_key};

    #[test]
    fn an_old_ciphertext_unwraps_after_a_rotation_and_comes_back_rewrapped() {
        let mut fx = Fx::new();
        fx.apply(|w, c| create_root_key(w, c, DEMO_VAULT, "root", None));
        let dek = [5u8; 32];
        let old = fx.run(|w, c| wrap_data_key(w, c, DEMO_VAULT, "root", &dek)).unwrap();
        let rotated =
            fx.run(|w, c| rotate_key(w, c, DEMO_VAULT, "root", NewMaterial::Generate, Trigger::Manual));
        let new_version = rotated.as_ref().unwrap().version.clone();
        fx.world = rotated.unwrap().world;

        let unwrapped = fx.run(|w, c| unwrap_data_key(w, c, DEMO_VAULT, "root", &old.ciphertext)).unwrap();
        assert_eq!(*unwrapped.plaintext, dek);
        assert_eq!(unwrapped.version, old.version);
        let rewrapped = unwrapped.rewrapped.expect("rewrapped under the current version");
        assert_eq!(rewrapped.version, new_version);
        let again = fx.run(|w, c| unwrap_data_key(w, c, DEMO_VAULT, "root", &rewrapped.ciphertext)).unwrap();
        assert_eq!(*again.plaintext, dek);
        assert!(again.rewrapped.is_none(), "already current");

        // With the current version disabled, the old one still unwraps (nothing to rewrap onto).
        let current = rewrapped.version.clone();
        let off = crate::api::VersionAttributes { enabled: false, nbf: None, exp: None };
        fx.apply(|w, _| crate::ops::update_version(w, DEMO_VAULT, "root", &current, &off));
        let old_only = fx.run(|w, c| unwrap_data_key(w, c, DEMO_VAULT, "root", &old.ciphertext)).unwrap();
        assert_eq!(*old_only.plaintext, dek);
        assert!(old_only.rewrapped.is_none());
    }

    #[test]
    fn rsa_keys_wrap_too_and_a_disabled_key_refuses() {
        let mut fx = Fx::new();
        let dek = [7u8; 32];
        let key = crate::demo::DEMO_KEY;
        let wrapped = fx.run(|w, c| wrap_data_key(w, c, DEMO_VAULT, key, &dek)).unwrap();
        let unwrapped = fx.run(|w, c| unwrap_data_key(w, c, DEMO_VAULT, key, &wrapped.ciphertext)).unwrap();
        assert_eq!(*unwrapped.plaintext, dek);

        fx.apply(|w, _| set_key_enabled(w, DEMO_VAULT, key, false));
        let refused = fx.run(|w, c| unwrap_data_key(w, c, DEMO_VAULT, key, &wrapped.ciphertext)).unwrap_err();
        assert_eq!(refused.code, ErrorCode::EncryptionKeyDisabled);
        let foreign = fx.run(|w, c| unwrap_data_key(w, c, DEMO_VAULT, key, "AAAA")).unwrap_err();
        assert_eq!(foreign.code, ErrorCode::InvalidCiphertext);
    }
}
