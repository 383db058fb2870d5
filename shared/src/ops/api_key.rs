//! API keys and the access tokens scripts exchange them for. A key's secret is random, shown
//! once and stored only as its SHA-256 (a high-entropy secret needs no slow hash). A token is a
//! JWT (HS256 under a key derived from the master key) naming its API key, so revoking the key
//! ends its tokens too.

use sha2::{Digest, Sha256};

use super::Ctx;
use crate::access;
use crate::api::CreateApiKeyRequest;
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, MasterKey, b64url};
use crate::model::{ApiKey, Principal, Role, Timestamp, World};
use crate::validation;

/// How long an access token is good for.
pub const TOKEN_SECONDS: i64 = 3600;
const TOKEN_PURPOSE: &str = "access-token";

/// Creates an API key that is its own principal, with no role yet; returns the new world, the
/// key and its secret (the only time it is seen).
pub fn create_api_key(world: &World, ctx: &mut Ctx, name: &str) -> Result<(World, ApiKey, String), Failure> {
    validation::display_name(name)?;
    let secret = format!("kb_{}", crypto::random_hex(ctx.rng, 24));
    let key = ApiKey {
        id: crypto::random_hex(ctx.rng, 8),
        name: name.to_string(),
        secret_sha256: digest(&secret),
        created: ctx.now,
        revoked: None,
        identity: None,
    };
    let mut next = world.clone();
    next.api_keys.insert(key.id.clone(), key.clone());
    Ok((next, key, secret))
}

/// Creates an API key as `request` asks: the client secret of an identity, or a principal of
/// its own holding a role (Key Administrator at the instance unless it says otherwise).
pub fn issue_api_key(
    world: &World,
    ctx: &mut Ctx,
    request: &CreateApiKeyRequest,
) -> Result<(World, ApiKey, String), Failure> {
    let identity = match &request.identity {
        Some(client_id) => {
            Some(identity_by_client_id(world, client_id).map(|(p, ..)| p).ok_or_else(|| {
                Failure::new(
                    ErrorCode::PrincipalNotFound,
                    format!("No identity has the client or principal id '{client_id}'."),
                )
            })?)
        }
        None => None,
    };
    let (next, mut key, secret) = create_api_key(world, ctx, &request.name)?;
    let mut next = match identity {
        Some(principal_id) => {
            key.identity = Some(principal_id);
            next
        }
        None => {
            let role = request.role.as_deref().unwrap_or(Role::KeyAdministrator.label());
            let scope = request.scope.as_deref().unwrap_or("/");
            let principal = Principal::ApiKey(key.id.clone()).to_string();
            access::assign_role(&next, ctx.rng, ctx.now, &principal, role, scope)?.0
        }
    };
    next.api_keys.insert(key.id.clone(), key.clone());
    Ok((next, key, secret))
}

/// Revokes an API key (again: no change), and removes the roles it held.
pub fn revoke_api_key(world: &World, ctx: &Ctx, id: &str) -> Result<World, Failure> {
    let mut next = access::without_assignments_of(world, &Principal::ApiKey(id.to_owned()));
    let key = next.api_keys.get_mut(id).ok_or_else(|| Failure::not_found("The API key"))?;
    key.revoked.get_or_insert(ctx.now);
    Ok(next)
}

/// A token for the API key whose secret is `secret`, valid from `now` for an hour.
pub fn mint_access_token(
    world: &World,
    master: &MasterKey,
    secret: &str,
    now: Timestamp,
) -> Result<String, Failure> {
    let key = api_key_with_secret(world, secret)?;
    Ok(sign(
        master,
        serde_json::json!({"iss": "keyblade", "sub": key.id, "name": key.name, "iat": now.0, "exp": now.0 + TOKEN_SECONDS}),
    ))
}

/// The API key a bearer token stands for, if the token is authentic, unexpired and its key is
/// not revoked.
pub fn verify_access_token<'w>(
    world: &'w World,
    master: &MasterKey,
    token: &str,
    now: Timestamp,
) -> Result<&'w ApiKey, Failure> {
    verified(world, master, token, now).map(|(key, _)| key)
}

/// Who an identity token names: an identity of the directory, vouched for by an API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenIdentity {
    /// The identity's principal (object) id, the key of access policies.
    pub principal_id: String,
    /// What the audit trail calls the caller.
    pub name: String,
}

/// A token naming the identity whose client id (or principal id) is `client_id`, in `tenant`,
/// for a caller holding the API key `secret` (the client secret of the cloud's credential
/// classes). Valid from `now` for an hour.
pub fn mint_identity_token(
    world: &World,
    master: &MasterKey,
    secret: &str,
    client_id: &str,
    tenant: &str,
    now: Timestamp,
) -> Result<String, Failure> {
    let key = api_key_with_secret(world, secret)?;
    let (principal_id, tenant_id, name) = identity_by_client_id(world, client_id).ok_or_else(|| {
        Failure::new(ErrorCode::Unauthorized, format!("No identity has the client id '{client_id}'."))
    })?;
    // A credential belongs to one principal: a secret issued to another identity, or to no
    // identity, cannot pose as this one.
    if key.identity.as_deref() != Some(principal_id.as_str()) {
        return Err(Failure::new(
            ErrorCode::Unauthorized,
            format!("This client secret was not issued to the client id '{client_id}'."),
        ));
    }
    if tenant_id != tenant {
        return Err(Failure::new(
            ErrorCode::Unauthorized,
            format!("The identity '{name}' lives in tenant {tenant_id}, not in {tenant}."),
        ));
    }
    Ok(sign(
        master,
        serde_json::json!({
            "iss": "keyblade", "sub": key.id, "name": key.name, "oid": principal_id, "tid": tenant_id,
            "idn": name, "iat": now.0, "exp": now.0 + TOKEN_SECONDS,
        }),
    ))
}

/// The identity an identity token names, if the token is authentic and unexpired, its API key
/// is not revoked and the identity still exists.
pub fn verify_identity_token(
    world: &World,
    master: &MasterKey,
    token: &str,
    now: Timestamp,
) -> Result<TokenIdentity, Failure> {
    let (key, claims) = verified(world, master, token, now)?;
    let principal_id = claims["oid"].as_str().unwrap_or_default();
    let exists = identity_by_client_id(world, principal_id).is_some_and(|(p, ..)| p == principal_id);
    if !exists {
        return Err(refused());
    }
    let name = format!(
        "{} (principal {principal_id}, api key {})",
        claims["idn"].as_str().unwrap_or_default(),
        key.name
    );
    Ok(TokenIdentity { principal_id: principal_id.to_owned(), name })
}

/// `(principal id, tenant id, name)` of the user-assigned identity with this client or principal
/// id, or of the order whose system-assigned identity has this principal id.
fn identity_by_client_id(world: &World, client_id: &str) -> Option<(String, String, String)> {
    let user = world.identities.values().find(|i| i.client_id == client_id || i.principal_id == client_id);
    if let Some(user) = user {
        return Some((user.principal_id.clone(), user.tenant_id.clone(), user.name.clone()));
    }
    world.orders.values().find_map(|o| {
        let system = o.system_identity.as_ref().filter(|s| s.principal_id == client_id)?;
        Some((system.principal_id.clone(), system.tenant_id.clone(), format!("{} (system-assigned)", o.name)))
    })
}

fn api_key_with_secret<'w>(world: &'w World, secret: &str) -> Result<&'w ApiKey, Failure> {
    let wanted = digest(secret);
    world
        .api_keys
        .values()
        .find(|k| {
            k.revoked.is_none() && crypto::constant_time_eq(k.secret_sha256.as_bytes(), wanted.as_bytes())
        })
        .ok_or_else(|| Failure::new(ErrorCode::Unauthorized, "The API key is not valid or was revoked."))
}

fn sign(master: &MasterKey, claims: serde_json::Value) -> String {
    let header = b64url(br#"{"alg":"HS256","typ":"JWT"}"#);
    let signed = format!("{header}.{}", b64url(claims.to_string().as_bytes()));
    let signature = crypto::authenticate(master, TOKEN_PURPOSE, signed.as_bytes());
    format!("{signed}.{signature}")
}

/// The API key and claims of an authentic, unexpired token whose key is not revoked.
fn verified<'w>(
    world: &'w World,
    master: &MasterKey,
    token: &str,
    now: Timestamp,
) -> Result<(&'w ApiKey, serde_json::Value), Failure> {
    let (signed, signature) = token.rsplit_once('.').ok_or_else(refused)?;
    if !crypto::is_authentic(master, TOKEN_PURPOSE, signed.as_bytes(), signature) {
        return Err(refused());
    }
    let payload = signed.split_once('.').map(|(_, p)| p).ok_or_else(refused)?;
    let claims: serde_json::Value =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(refused)?;
    let unexpired = claims["exp"].as_i64().is_some_and(|exp| now.0 < exp);
    let key = claims["sub"].as_str().and_then(|id| world.api_keys.get(id)).filter(|k| k.revoked.is_none());
    let key = key.filter(|_| unexpired).ok_or_else(refused)?;
    Ok((key, claims))
}

fn refused() -> Failure {
    Failure::new(
        ErrorCode::Unauthorized,
        "The access token is not valid, has expired or its API key was revoked.",
    )
}

fn digest(secret: &str) -> String {
    crypto::to_hex(&Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::Fx;

    #[test]
    fn a_token_works_until_it_expires_or_its_key_is_revoked() {
        let mut fx = Fx::new();
        let (world, key, secret) = fx.run(|w, c| create_api_key(w, c, "ci")).unwrap();
        fx.world = world;
        assert!(
            !serde_json::to_string(&fx.world.api_keys).unwrap().contains(&secret),
            "only the hash is kept"
        );
        let master = MasterKey::from_bytes([7; 32]);
        let token = mint_access_token(&fx.world, &master, &secret, fx.now).unwrap();
        assert_eq!(verify_access_token(&fx.world, &master, &token, fx.now).unwrap().id, key.id);

        let wrong = mint_access_token(&fx.world, &master, "kb_wrong", fx.now).unwrap_err();
        assert_eq!(wrong.code, ErrorCode::Unauthorized);
        let forged = format!("{}x", token);
        assert!(verify_access_token(&fx.world, &master, &forged, fx.now).is_err());
        let later = Timestamp(fx.now.0 + TOKEN_SECONDS);
        assert!(verify_access_token(&fx.world, &master, &token, later).is_err(), "expired");

        fx.apply(|w, c| revoke_api_key(w, c, &key.id));
        assert!(verify_access_token(&fx.world, &master, &token, fx.now).is_err(), "revoked");
        assert!(mint_access_token(&fx.world, &master, &secret, fx.now).is_err());
    }

    #[test]
    fn an_identity_token_names_its_identity_in_its_tenant_only() {
        let mut fx = Fx::new();
        let identity = fx.world.identities.values().next().unwrap().clone();
        let request = CreateApiKeyRequest {
            name: "sdk".into(),
            identity: Some(identity.client_id.clone()),
            role: None,
            scope: None,
        };
        let (world, key, secret) = fx.run(|w, c| issue_api_key(w, c, &request)).unwrap();
        assert_eq!(key.principal(), Principal::Identity(identity.principal_id.clone()));
        let (world, _, service_secret) = in_test(&world, &mut fx, |w, c| create_api_key(w, c, "svc"));
        fx.world = world;
        let master = MasterKey::from_bytes([7; 32]);
        let posing = mint_identity_token(
            &fx.world,
            &master,
            &service_secret,
            &identity.client_id,
            &identity.tenant_id,
            fx.now,
        );
        assert_eq!(
            posing.unwrap_err().code,
            ErrorCode::Unauthorized,
            "a secret of no identity poses as none"
        );
        let token = mint_identity_token(
            &fx.world,
            &master,
            &secret,
            &identity.client_id,
            &identity.tenant_id,
            fx.now,
        )
        .unwrap();
        let named = verify_identity_token(&fx.world, &master, &token, fx.now).unwrap();
        assert_eq!(named.principal_id, identity.principal_id);
        assert!(named.name.contains(&identity.name) && named.name.contains("sdk"), "{}", named.name);

        let elsewhere =
            mint_identity_token(&fx.world, &master, &secret, &identity.client_id, "other", fx.now);
        assert_eq!(elsewhere.unwrap_err().code, ErrorCode::Unauthorized);
        let nobody = mint_identity_token(&fx.world, &master, &secret, "nobody", &identity.tenant_id, fx.now);
        assert_eq!(nobody.unwrap_err().code, ErrorCode::Unauthorized);
        let api_token = mint_access_token(&fx.world, &master, &secret, fx.now).unwrap();
        assert!(verify_identity_token(&fx.world, &master, &api_token, fx.now).is_err(), "names no identity");
        let later = Timestamp(fx.now.0 + TOKEN_SECONDS);
        assert!(verify_identity_token(&fx.world, &master, &token, later).is_err(), "expired");
    }

    fn in_test<T>(world: &World, fx: &mut Fx, f: impl FnOnce(&World, &mut Ctx) -> Result<T, Failure>) -> T {
        crate::ops::in_test_ctx(world, &fx.master, fx.now, &mut fx.rng, |ctx| f(world, ctx)).unwrap()
    }
}
