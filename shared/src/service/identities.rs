//! User-assigned managed identities (the Managed identities blade).

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::CreateIdentityRequest;
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::{UserIdentity, World};
use crate::ops::{self, Ctx};
use crate::queries;

const TAG: &str = "identities";

/// `GET /identities`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListIdentities {}

impl Endpoint for ListIdentities {
    type Body = NoBody;
    type Answer = Vec<UserIdentity>;
    const ROUTE: Route = Route::get("/identities", TAG, "Lists the user-assigned identities.");
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Vec<UserIdentity>>, Failure> {
        Ok(Outcome::read(world.identities.values().cloned().collect()))
    }
}

/// `POST /identities`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CreateIdentity {
    /// Name and resource group.
    pub body: CreateIdentityRequest,
}

impl Endpoint for CreateIdentity {
    type Body = CreateIdentityRequest;
    type Answer = UserIdentity;
    const ROUTE: Route = Route::post(
        "/identities",
        TAG,
        "Creates a user-assigned identity in the tenant of the resource group's subscription.",
    )
    .created()
    .failing(&[InvalidName, NotFound])
    .audited(AuditAction::IdentityCreate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<UserIdentity>, Failure> {
        let (next, id) = ops::create_identity(world, ctx, &self.body)?;
        Outcome::changed(next, |w| queries::identity(w, &id))
    }
}

/// `GET /identities/{identity}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetIdentity {
    /// Identity id.
    pub identity: String,
}

impl Endpoint for GetIdentity {
    type Body = NoBody;
    type Answer = UserIdentity;
    const ROUTE: Route =
        Route::get("/identities/{identity}", TAG, "One user-assigned identity.").failing(&[NotFound]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<UserIdentity>, Failure> {
        Ok(Outcome::read(queries::identity(world, &self.identity)?))
    }
}

/// `DELETE /identities/{identity}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DeleteIdentity {
    /// Identity id.
    pub identity: String,
}

impl Endpoint for DeleteIdentity {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route = Route::delete(
        "/identities/{identity}",
        TAG,
        "Deletes a user-assigned identity. Orders using it then fail with the identity codes.",
    )
    .failing(&[NotFound])
    .audited(AuditAction::IdentityDelete);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<()>, Failure> {
        Outcome::changed(ops::delete_identity(world, &self.identity)?, |_| Ok(()))
    }
}
