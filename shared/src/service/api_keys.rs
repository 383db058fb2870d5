//! API keys: the credentials scripts exchange for access tokens (the Key Protect API's).

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{ApiKeyView, CreateApiKeyRequest, CreatedApiKey};
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::Action;
use crate::model::World;
use crate::ops::{self, Ctx};

const TAG: &str = "api-keys";

/// `GET /api-keys`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListApiKeys {}

impl Endpoint for ListApiKeys {
    type Body = NoBody;
    type Answer = Vec<ApiKeyView>;
    const ROUTE: Route =
        Route::get("/api-keys", TAG, "API keys, revoked ones included; never their secrets.");
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<Vec<ApiKeyView>>, Failure> {
        Ok(Outcome::read(world.api_keys.values().map(ApiKeyView::of).collect()))
    }
}

/// `POST /api-keys`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CreateApiKey {
    /// Its name.
    pub body: CreateApiKeyRequest,
}

impl Endpoint for CreateApiKey {
    type Body = CreateApiKeyRequest;
    type Answer = CreatedApiKey;
    const ROUTE: Route = Route::post(
        "/api-keys",
        TAG,
        "Creates an API key. Its secret is in this answer only: Keyblade keeps a hash of it.",
    )
    .created()
    .failing(&[InvalidName, UnknownRole, InvalidScope, PrincipalNotFound])
    .audited(AuditAction::ApiKeyCreate)
    .requires(Action::Administer);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<CreatedApiKey>, Failure> {
        let (next, key, secret) = ops::issue_api_key(world, ctx, &self.body)?;
        Outcome::changed(next, |_| Ok(CreatedApiKey { key: ApiKeyView::of(&key), secret }))
    }
}

/// `DELETE /api-keys/{id}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RevokeApiKey {
    /// Key id.
    pub id: String,
}

impl Endpoint for RevokeApiKey {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route = Route::delete(
        "/api-keys/{id}",
        TAG,
        "Revokes an API key: it gets no more tokens and the tokens it got stop working.",
    )
    .failing(&[NotFound])
    .audited(AuditAction::ApiKeyRevoke)
    .requires(Action::Administer);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<()>, Failure> {
        Outcome::changed(ops::revoke_api_key(world, ctx, &self.id)?, |_| Ok(()))
    }
}
