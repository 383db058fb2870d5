//! The key vault data plane, as an identity holding a token uses it (the Key Vault keys API of
//! the cloud SDKs): where each vault answers, what its access policy and firewall let through,
//! and the key operations the portal has no button for — a key the vault generates itself, a
//! key imported as a JSON Web Key, and wrap or unwrap with one named version.

use zeroize::Zeroizing;

use super::Ctx;
use super::key::{check_new_key_name, live_key};
use crate::api::{GenerateKeyRequest, ImportJsonWebKeyRequest, KeyOperationRequest, KeyOperationResult};
use crate::catalog::{ErrorCode, Failure};
use crate::crypto;
use crate::model::{Key, KeyVersion, VAULT_ADDRESSES, World, vault_addresses, vault_at_address};
use crate::validation;

/// The only wrapping algorithm Keyblade's keys offer: RSA-OAEP with SHA-256 and MGF1-SHA-256.
pub const RSA_OAEP_256: &str = "RSA-OAEP-256";

/// The address a new vault gets: the lowest one nobody holds.
pub(super) fn free_vault_address(world: &World) -> Option<u8> {
    let taken = vault_addresses(world);
    VAULT_ADDRESSES.into_iter().find(|a| !taken.contains_key(a))
}

/// A key URL as the cloud writes it (`https://{vault}.vault.azure.net/keys/...`) for one written
/// with a vault's data-plane origin (`https://127.0.0.N[:port]/keys/...`, the ids the SDKs hand
/// out). Any other URL comes back as it is, for the key URL rules to judge.
pub fn cloud_key_url(world: &World, url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit_once(':').map_or(authority, |(host, _)| host);
    let vault = match host.parse::<std::net::Ipv4Addr>().map(|ip| ip.octets()) {
        Ok([127, 0, 0, n]) => vault_at_address(world, n),
        _ => None,
    };
    match vault {
        Some(vault) => format!("{scheme}://{vault}{}{path}", world.cloud.vault_host_suffix()),
        None => url.to_owned(),
    }
}

/// Creates a key whose first version the vault generates; returns the world and the version id.
pub fn generate_key(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    req: &GenerateKeyRequest,
) -> Result<(World, String), Failure> {
    check_new_key_name(world, vault, &req.name)?;
    validation::key_type_and_size(req.key_type, req.size)?;
    let version = super::rotation::generated_version(ctx, req.key_type, req.size, &req.attributes)?;
    insert_key(world, vault, Key::new(&req.name, req.key_type, req.size, version, false))
}

/// Creates a key from an RSA private key given as a JSON Web Key. The key counts as imported: it
/// rotates only with new material of its own.
pub fn import_json_web_key(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    name: &str,
    req: &ImportJsonWebKeyRequest,
) -> Result<(World, String), Failure> {
    check_new_key_name(world, vault, name)?;
    if !req.key_type.is_rsa() {
        return Err(Failure::new(
            ErrorCode::InvalidKeySize,
            "Only RSA keys can be imported as a JSON Web Key.",
        ));
    }
    let jwk = &req.jwk;
    let private = crypto::rsa_private_from_jwk(&jwk.n, &jwk.e, &jwk.d, &jwk.p, &jwk.q).map_err(|_| {
        Failure::new(ErrorCode::InvalidKeyMaterial, "The JSON Web Key is not a consistent RSA private key.")
    })?;
    let bits = rsa::traits::PublicKeyParts::size(private.as_public_key()) * 8;
    let size = u16::try_from(bits).unwrap_or(u16::MAX);
    validation::key_type_and_size(req.key_type, size)?;
    let version = super::rsa_version(ctx, &private, &req.attributes)?;
    insert_key(world, vault, Key::new(name, req.key_type, size, version, true))
}

fn insert_key(world: &World, vault: &str, key: Key) -> Result<(World, String), Failure> {
    let id = key.versions.first().map(|v| v.id.clone()).unwrap_or_default();
    let mut next = world.clone();
    super::live_vault_mut(&mut next, vault)?.keys.insert(key.name.clone(), key);
    Ok((next, id))
}

/// Wraps bytes with one version of an RSA key (`version` empty: the current one). A version
/// retired by a rotation unwraps what it wrapped but wraps nothing new.
pub fn wrap_with_version(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    key: &str,
    version: &str,
    req: &KeyOperationRequest,
) -> Result<KeyOperationResult, Failure> {
    let (k, v) = rsa_version_for(world, vault, key, version, &req.algorithm)?;
    super::envelope::usable(v, ctx)?;
    if v.decrypt_only {
        return Err(Failure::new(
            ErrorCode::VersionDecryptOnly,
            format!(
                "Version {} of '{}' was retired by a rotation: wrap with the current version.",
                v.id, k.name
            ),
        ));
    }
    let input = input_bytes(req)?;
    let wrapped = crypto::rsa_public_from_material(&v.public_key)
        .and_then(|public| crypto::oaep_wrap(&public, &input, ctx.rng))
        .map_err(|_| {
            Failure::new(ErrorCode::InvalidDataKey, "The value is too long for this key to wrap.")
        })?;
    Ok(KeyOperationResult { version: v.id.clone(), value: crypto::b64url(&wrapped) })
}

/// Unwraps bytes with one version of an RSA key (`version` empty: the current one), a retired
/// version included.
pub fn unwrap_with_version(
    world: &World,
    ctx: &mut Ctx,
    vault: &str,
    key: &str,
    version: &str,
    req: &KeyOperationRequest,
) -> Result<KeyOperationResult, Failure> {
    let (k, v) = rsa_version_for(world, vault, key, version, &req.algorithm)?;
    super::envelope::usable(v, ctx)?;
    let input = input_bytes(req)?;
    let unwrapped = super::envelope::open(ctx, v)
        .and_then(|der| ctx.rsa.oaep_decrypt(&der, &input, ctx.rng))
        .map_err(|_| {
            Failure::new(
                ErrorCode::InvalidCiphertext,
                format!("The value was not wrapped by version {} of '{}'.", v.id, k.name),
            )
        })?;
    Ok(KeyOperationResult { version: v.id.clone(), value: crypto::b64url(&unwrapped) })
}

/// The key and version an operation names, when the algorithm is one it offers.
fn rsa_version_for<'w>(
    world: &'w World,
    vault: &str,
    key: &str,
    version: &str,
    algorithm: &str,
) -> Result<(&'w Key, &'w KeyVersion), Failure> {
    let k = live_key(world, vault, key)?;
    let v = if version.is_empty() { k.current_version() } else { k.version(version) };
    let v = v.ok_or_else(|| Failure::not_found(&format!("Version '{version}' of key '{key}'")))?;
    if !k.key_type.is_rsa() {
        return Err(Failure::new(
            ErrorCode::EncryptionKeyTypeNotSupported,
            format!("'{key}' is a {} key: only RSA keys wrap and unwrap.", k.key_type.label()),
        ));
    }
    if algorithm != RSA_OAEP_256 {
        return Err(Failure::new(
            ErrorCode::InvalidRequest,
            format!("Algorithm '{algorithm}' is not offered: use {RSA_OAEP_256}."),
        ));
    }
    Ok((k, v))
}

fn input_bytes(req: &KeyOperationRequest) -> Result<Zeroizing<Vec<u8>>, Failure> {
    crypto::unb64url(&req.value)
        .map(Zeroizing::new)
        .map_err(|_| Failure::new(ErrorCode::InvalidRequest, "The value is not base64url."))
}

#[cfg(test)]
mod tests {
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};

    use super::*;
    use crate::api::{RsaJsonWebKey, SetAccessPolicyRequest, SetFirewallRequest, VersionAttributes};
    use crate::demo::{DEMO_KEY, DEMO_VAULT};
    use crate::model::KeyType;
    use crate::ops::tests::Fx;

    fn wrap_request(value: &[u8]) -> KeyOperationRequest {
        KeyOperationRequest { algorithm: RSA_OAEP_256.into(), value: crypto::b64url(value) }
    }

    #[test]
    fn a_vault_keeps_its_address_and_a_new_one_takes_the_lowest_free() {
        let fx = Fx::new();
        let mut world = fx.world.clone();
        // The demo vault was made before addresses: it gets the lowest one.
        assert_eq!(vault_addresses(&world).get(&2).map(String::as_str), Some(DEMO_VAULT));
        assert_eq!(free_vault_address(&world), Some(3));
        let mut later = world.vaults.get(DEMO_VAULT).unwrap().clone();
        later.name = "aaa-first-by-name".into();
        later.address = Some(3);
        world.vaults.insert(later.name.clone(), later);
        assert_eq!(
            vault_at_address(&world, 2).as_deref(),
            Some(DEMO_VAULT),
            "a name sorting first does not move it"
        );
        assert_eq!(crate::model::address_of_vault(&world, "aaa-first-by-name"), Some(3));
        assert_eq!(free_vault_address(&world), Some(4));

        let sdk_id = "https://127.0.0.3:8443/keys/k1/0123456789abcdef0123456789abcdef";
        assert_eq!(
            cloud_key_url(&world, sdk_id),
            "https://aaa-first-by-name.vault.azure.net/keys/k1/0123456789abcdef0123456789abcdef"
        );
        assert_eq!(
            cloud_key_url(&world, "http://127.0.0.2/keys/k1"),
            format!("http://{DEMO_VAULT}.vault.azure.net/keys/k1")
        );
        for unchanged in [
            "https://127.0.0.9/keys/k1",
            "https://127.0.0.1:8080/keys/k1",
            "not a url",
            "https://kv.vault.azure.net/keys/k",
        ] {
            assert_eq!(cloud_key_url(&world, unchanged), unchanged);
        }
    }

    #[test]
    fn the_firewall_and_the_access_policy_decide_what_a_principal_may_do() {
        let mut fx = Fx::new();
        let principal = fx.identity_principal();
        use crate::model::KeyPermission;
        let required = KeyPermission::REQUIRED_FOR_ORDER;
        fx.apply(|w, _| crate::ops::grant_permissions(w, DEMO_VAULT, &principal, &required));
        assert!(authorize_identity(&fx.world, DEMO_VAULT, &principal, KeyPermission::UnwrapKey).is_ok());
        let refused =
            authorize_identity(&fx.world, DEMO_VAULT, &principal, KeyPermission::Purge).unwrap_err();
        assert_eq!(refused.code, ErrorCode::KeyVaultBadRequestException);
        assert!(refused.message.contains("Purge"), "{}", refused.message);

        let wall = SetFirewallRequest { enabled: true, allowed_identities: Default::default() };
        fx.apply(|w, _| crate::ops::set_firewall(w, DEMO_VAULT, &wall));
        let blocked = authorize_identity(&fx.world, DEMO_VAULT, &principal, KeyPermission::Get).unwrap_err();
        assert_eq!(blocked.code, ErrorCode::KeyVaultBadRequestException);
        assert!(blocked.message.contains("firewall"));
        let listed = SetFirewallRequest { enabled: true, allowed_identities: [principal.clone()].into() };
        fx.apply(|w, _| crate::ops::set_firewall(w, DEMO_VAULT, &listed));
        assert!(authorize_identity(&fx.world, DEMO_VAULT, &principal, KeyPermission::Get).is_ok());

        // No vault there, so no access policy: only a role could allow it.
        let gone = authorize_identity(&fx.world, "no-such-kv", &principal, KeyPermission::Get).unwrap_err();
        assert_eq!(gone.code, ErrorCode::AccessDenied);
    }

    fn authorize_identity(
        world: &World,
        vault: &str,
        principal: &str,
        permission: crate::model::KeyPermission,
    ) -> Result<(), crate::catalog::Failure> {
        let requirement = crate::access::Requirement {
            action: crate::model::Action::Use,
            key_permission: Some(permission),
        };
        let scope = crate::model::Scope::Vault(vault.to_owned());
        crate::access::authorize(
            world,
            &crate::model::Principal::Identity(principal.to_owned()),
            requirement,
            &scope,
        )
    }

    #[test]
    fn a_value_wrapped_with_the_public_key_unwraps_only_with_its_version() {
        let mut fx = Fx::new();
        let secret = [9u8; 32];
        let wrapped =
            fx.run(|w, c| wrap_with_version(w, c, DEMO_VAULT, DEMO_KEY, "", &wrap_request(&secret))).unwrap();
        let back = KeyOperationRequest { algorithm: RSA_OAEP_256.into(), value: wrapped.value.clone() };
        let unwrapped =
            fx.run(|w, c| unwrap_with_version(w, c, DEMO_VAULT, DEMO_KEY, &wrapped.version, &back)).unwrap();
        assert_eq!(crypto::unb64url(&unwrapped.value).unwrap(), secret);

        let other_alg = KeyOperationRequest { algorithm: "RSA1_5".into(), ..back.clone() };
        let refused =
            fx.run(|w, c| unwrap_with_version(w, c, DEMO_VAULT, DEMO_KEY, "", &other_alg)).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidRequest);
        let garbage = wrap_request(&[1u8; 256]);
        let foreign =
            fx.run(|w, c| unwrap_with_version(w, c, DEMO_VAULT, DEMO_KEY, "", &garbage)).unwrap_err();
        assert_eq!(foreign.code, ErrorCode::InvalidCiphertext);
        let missing = fx
            .run(|w, c| {
                unwrap_with_version(w, c, DEMO_VAULT, DEMO_KEY, "0123456789abcdef0123456789abcdef", &back)
            })
            .unwrap_err();
        assert_eq!(missing.code, ErrorCode::NotFound);
    }

    #[test]
    fn a_json_web_key_imports_as_an_imported_key_that_unwraps() {
        let mut fx = Fx::new();
        let private = crypto::generate_rsa(2048, &mut fx.rng).unwrap();
        let number = |n: &rsa::BoxedUint| crypto::b64url(&n.to_be_bytes());
        let jwk = RsaJsonWebKey {
            n: crypto::b64url(&private.n_bytes()),
            e: crypto::b64url(&private.e_bytes()),
            d: number(private.d()),
            p: number(&private.primes()[0]),
            q: number(&private.primes()[1]),
        };
        let req = ImportJsonWebKeyRequest {
            key_type: KeyType::Rsa,
            jwk: jwk.clone(),
            attributes: VersionAttributes::default(),
        };
        let (world, version) =
            fx.run(|w, c| import_json_web_key(w, c, DEMO_VAULT, "imported", &req)).unwrap();
        fx.world = world;
        let key = fx.world.vaults.get(DEMO_VAULT).unwrap().keys.get("imported").unwrap();
        assert!(key.imported);
        assert_eq!(key.size, 2048);
        let public = crypto::rsa_public_from_material(&key.versions[0].public_key).unwrap();
        let wrapped = crypto::oaep_wrap(&public, b"data key", &mut fx.rng).unwrap();
        let back = KeyOperationRequest { algorithm: RSA_OAEP_256.into(), value: crypto::b64url(&wrapped) };
        let unwrapped =
            fx.run(|w, c| unwrap_with_version(w, c, DEMO_VAULT, "imported", &version, &back)).unwrap();
        assert_eq!(crypto::unb64url(&unwrapped.value).unwrap(), b"data key");

        let again = fx.run(|w, c| import_json_web_key(w, c, DEMO_VAULT, "imported", &req)).unwrap_err();
        assert_eq!(again.code, ErrorCode::KeyNameTaken);
        let broken = ImportJsonWebKeyRequest { jwk: RsaJsonWebKey { d: jwk.e.clone(), ..jwk }, ..req };
        let refused = fx.run(|w, c| import_json_web_key(w, c, DEMO_VAULT, "broken", &broken)).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidKeyMaterial);
    }

    #[test]
    fn a_generated_key_takes_the_offered_sizes_only_and_a_retired_version_wraps_nothing() {
        let mut fx = Fx::new();
        let odd = GenerateKeyRequest {
            name: "odd".into(),
            key_type: KeyType::Rsa,
            size: 1024,
            attributes: VersionAttributes::default(),
        };
        let refused = fx.run(|w, c| generate_key(w, c, DEMO_VAULT, &odd)).unwrap_err();
        assert_eq!(refused.code, ErrorCode::InvalidKeySize);
        let good = GenerateKeyRequest { name: "made".into(), size: 2048, ..odd };
        let (world, first) = fx.run(|w, c| generate_key(w, c, DEMO_VAULT, &good)).unwrap();
        fx.world = world;
        let rotated = fx
            .run(|w, c| {
                crate::ops::rotate_key(
                    w,
                    c,
                    DEMO_VAULT,
                    "made",
                    crate::ops::NewMaterial::Generate,
                    crate::ops::Trigger::Manual,
                )
            })
            .unwrap();
        fx.world = rotated.world;
        let old = fx
            .run(|w, c| wrap_with_version(w, c, DEMO_VAULT, "made", &first, &wrap_request(b"k")))
            .unwrap_err();
        assert_eq!(old.code, ErrorCode::VersionDecryptOnly);
        assert!(fx.run(|w, c| wrap_with_version(w, c, DEMO_VAULT, "made", "", &wrap_request(b"k"))).is_ok());
        let policy = SetAccessPolicyRequest { principal_id: "p".into(), permissions: Default::default() };
        assert!(crate::ops::set_access_policy(&fx.world, DEMO_VAULT, &policy).is_ok());
    }
}
