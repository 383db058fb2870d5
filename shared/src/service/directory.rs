//! Tenants, subscriptions, resource groups and the whole public world.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{MoveSubscriptionRequest, WorldView};
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::NotFound, Failure};
use crate::model::{ResourceGroup, Subscription, Tenant, World};
use crate::ops::{self, Ctx};
use crate::queries;

const TAG: &str = "directory";

/// `GET /world`: everything the portal shows, without any secret.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct GetWorld {}

impl Endpoint for GetWorld {
    type Body = NoBody;
    type Answer = WorldView;
    const ROUTE: Route = Route::get("/world", TAG, "Everything the portal shows, without any secret.");
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<WorldView>, Failure> {
        Ok(Outcome::read(WorldView::of(world, ctx.now)))
    }
}

/// `GET /tenants`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListTenants {}

impl Endpoint for ListTenants {
    type Body = NoBody;
    type Answer = Vec<Tenant>;
    const ROUTE: Route = Route::get("/tenants", TAG, "Lists the tenants (targets of a subscription move).");
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Vec<Tenant>>, Failure> {
        Ok(Outcome::read(world.tenants.values().cloned().collect()))
    }
}

/// `GET /resource-groups`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListResourceGroups {}

impl Endpoint for ListResourceGroups {
    type Body = NoBody;
    type Answer = Vec<ResourceGroup>;
    const ROUTE: Route = Route::get("/resource-groups", TAG, "Lists the resource groups.");
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Vec<ResourceGroup>>, Failure> {
        Ok(Outcome::read(world.resource_groups.values().cloned().collect()))
    }
}

/// `GET /subscriptions`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListSubscriptions {}

impl Endpoint for ListSubscriptions {
    type Body = NoBody;
    type Answer = Vec<Subscription>;
    const ROUTE: Route = Route::get("/subscriptions", TAG, "Lists the subscriptions.");
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Vec<Subscription>>, Failure> {
        Ok(Outcome::read(world.subscriptions.values().cloned().collect()))
    }
}

/// `GET /subscriptions/{subscription}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetSubscription {
    /// Subscription id.
    pub subscription: String,
}

impl Endpoint for GetSubscription {
    type Body = NoBody;
    type Answer = Subscription;
    const ROUTE: Route =
        Route::get("/subscriptions/{subscription}", TAG, "One subscription.").failing(&[NotFound]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Subscription>, Failure> {
        Ok(Outcome::read(queries::subscription(world, &self.subscription)?))
    }
}

/// `POST /subscriptions/{subscription}/move`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct MoveSubscription {
    /// Subscription id.
    pub subscription: String,
    /// Target tenant.
    pub body: MoveSubscriptionRequest,
}

impl Endpoint for MoveSubscription {
    type Body = MoveSubscriptionRequest;
    type Answer = Subscription;
    const ROUTE: Route = Route::post(
        "/subscriptions/{subscription}/move",
        TAG,
        "Moves the subscription to another tenant; vaults and identities stay behind.",
    )
    .failing(&[NotFound])
    .audited(AuditAction::TenantMove);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Subscription>, Failure> {
        let next = ops::move_subscription(world, &self.subscription, &self.body.tenant_id)?;
        Outcome::changed(next, |w| queries::subscription(w, &self.subscription))
    }
}

/// `POST /subscriptions/{subscription}/revert`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RevertSubscription {
    /// Subscription id.
    pub subscription: String,
}

impl Endpoint for RevertSubscription {
    type Body = NoBody;
    type Answer = Subscription;
    const ROUTE: Route = Route::post(
        "/subscriptions/{subscription}/revert",
        TAG,
        "Moves the subscription back to the tenant it was created in.",
    )
    .failing(&[NotFound])
    .audited(AuditAction::TenantMove);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Subscription>, Failure> {
        let next = ops::revert_subscription_tenant(world, &self.subscription)?;
        Outcome::changed(next, |w| queries::subscription(w, &self.subscription))
    }
}
