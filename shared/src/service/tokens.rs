//! The credential exchanges every cloud surface signs in through, before its caller is a
//! principal: a secret (an API key, or the client secret of an identity) exchanged for a signed
//! token that lasts an hour, a token traced back to the principal it names, and where a vault's
//! data plane answers. Anyone may call them; the secret or token in the request is the
//! credential. Tokens expire on the wall clock ([`Ctx::wall`]).

use serde::{Deserialize, Serialize};

use super::{Endpoint, Outcome, Route};
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::{Principal, World};
use crate::ops::{self, Ctx};

const TAG: &str = "tokens";

/// A secret in a request: kept out of every `Debug` rendering, so no log can show it.
#[derive(Serialize, Deserialize, Clone)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[secret]")
    }
}

/// A token issued for a credential.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    /// The bearer token.
    pub token: Secret,
    /// Seconds it stays valid.
    pub expires_in: i64,
    /// When it expires, in seconds since the Unix epoch on the wall clock.
    pub expires_at: i64,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.0 == other.0
    }
}

impl Eq for Secret {}

/// The principal a token names, and what the audit trail calls it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenCaller {
    /// `apikey:<id>` or `identity:<principal id>`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub principal: Principal,
    /// The API key's name and id, or the identity's name.
    pub name: String,
}

fn issued(token: String, wall: crate::model::Timestamp) -> Outcome<IssuedToken> {
    let expires_in = ops::TOKEN_SECONDS;
    Outcome::read(IssuedToken { token: Secret(token), expires_in, expires_at: wall.0 + expires_in })
}

/// Key Protect's IAM token endpoint: an API key's secret.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyGrant {
    /// The API key's secret.
    pub apikey: Secret,
}

/// `POST /tokens/api-key`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct IssueAccessToken {
    /// The grant.
    pub body: ApiKeyGrant,
}

impl Endpoint for IssueAccessToken {
    type Body = ApiKeyGrant;
    type Answer = IssuedToken;
    const ROUTE: Route = Route::post("/tokens/api-key", TAG, "An access token for an API key's secret.")
        .failing(&[Unauthorized])
        .for_anyone();
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<IssuedToken>, Failure> {
        let token = ops::mint_access_token(world, ctx.master, &self.body.apikey.0, ctx.wall)?;
        Ok(issued(token, ctx.wall))
    }
}

/// The client-credentials grant of the cloud's identity platform.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientCredentials {
    /// The identity's client id (or principal id).
    pub client_id: String,
    /// The tenant the client says it signs in to.
    pub tenant: String,
    /// The client secret: an API key issued to that identity.
    pub client_secret: Secret,
}

/// `POST /tokens/client-credentials`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct IssueIdentityToken {
    /// The grant.
    pub body: ClientCredentials,
}

impl Endpoint for IssueIdentityToken {
    type Body = ClientCredentials;
    type Answer = IssuedToken;
    const ROUTE: Route =
        Route::post("/tokens/client-credentials", TAG, "A token naming an identity, for its client secret.")
            .failing(&[Unauthorized])
            .for_anyone();
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<IssuedToken>, Failure> {
        let ClientCredentials { client_id, tenant, client_secret } = &self.body;
        let token =
            ops::mint_identity_token(world, ctx.master, &client_secret.0, client_id, tenant, ctx.wall)?;
        Ok(issued(token, ctx.wall))
    }
}

/// A bearer token to trace back.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bearer {
    /// The token.
    pub token: Secret,
}

/// `POST /tokens/api-key/caller`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AccessTokenCaller {
    /// The token.
    pub body: Bearer,
}

impl Endpoint for AccessTokenCaller {
    type Body = Bearer;
    type Answer = TokenCaller;
    const ROUTE: Route = Route::post(
        "/tokens/api-key/caller",
        TAG,
        "The API key an access token names, if it is authentic, unexpired and not revoked.",
    )
    .failing(&[Unauthorized])
    .for_anyone();
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<TokenCaller>, Failure> {
        let key = ops::verify_access_token(world, ctx.master, &self.body.token.0, ctx.wall)?;
        let name = format!("api key {} ({})", key.name, key.id);
        Ok(Outcome::read(TokenCaller { principal: key.principal(), name }))
    }
}

/// `POST /tokens/client-credentials/caller`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct IdentityTokenCaller {
    /// The token.
    pub body: Bearer,
}

impl Endpoint for IdentityTokenCaller {
    type Body = Bearer;
    type Answer = TokenCaller;
    const ROUTE: Route = Route::post(
        "/tokens/client-credentials/caller",
        TAG,
        "The identity a token names, if it is authentic and unexpired, its key is not revoked and \
         the identity still exists.",
    )
    .failing(&[Unauthorized])
    .for_anyone();
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<TokenCaller>, Failure> {
        let named = ops::verify_identity_token(world, ctx.master, &self.body.token.0, ctx.wall)?;
        Ok(Outcome::read(TokenCaller {
            principal: Principal::Identity(named.principal_id),
            name: named.name,
        }))
    }
}

/// Where a vault's data plane answers, and what an unauthenticated caller learns of it (the
/// challenge names the tenant, the key's recovery settings show in its answers).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultLocation {
    /// The vault.
    pub name: String,
    /// Its tenant.
    pub tenant_id: String,
    /// Whether deleted keys are kept for a while.
    pub soft_delete: bool,
    /// Whether they cannot be purged before then.
    pub purge_protection: bool,
    /// How long they are kept, in days.
    pub retention_days: u16,
}

/// `GET /vault-addresses/{address}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct LocateVault {
    /// The last byte of the loopback address the data plane was called on (127.0.0.`address`).
    pub address: u8,
}

impl Endpoint for LocateVault {
    type Body = super::NoBody;
    type Answer = VaultLocation;
    const ROUTE: Route = Route::get(
        "/vault-addresses/{address}",
        TAG,
        "The live vault whose data plane answers at an address.",
    )
    .failing(&[NotFound])
    .for_anyone();
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<VaultLocation>, Failure> {
        let vault = crate::model::vault_at_address(world, self.address)
            .and_then(|name| world.vaults.get(&name))
            .filter(|v| v.is_live())
            .ok_or_else(|| Failure::not_found(&format!("A vault at 127.0.0.{}", self.address)))?;
        Ok(Outcome::read(VaultLocation {
            name: vault.name.clone(),
            tenant_id: vault.tenant_id.clone(),
            soft_delete: vault.soft_delete,
            purge_protection: vault.purge_protection,
            retention_days: vault.retention_days,
        }))
    }
}
