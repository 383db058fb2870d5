//! Data Box orders, their identities and the Device password. Every change to an order honours
//! `If-Match` (the order's `ETag`), so an edit based on a stale view is a conflict.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{CreateOrderRequest, DevicePasswordResponse, OrderIdentitiesRequest, OrderView};
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::Action;
use crate::model::World;
use crate::ops::{self, Ctx};
use crate::queries;

const TAG: &str = "orders";

/// The order after a change, with its version as entity tag.
pub(super) fn order_changed(next: World, order: &str) -> Result<Outcome<OrderView>, Failure> {
    let view = queries::order_view(&next, order)?;
    let version = view.version;
    Ok(Outcome::changed(next, |_| Ok(view))?.with_etag(version))
}

/// `GET /orders`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListOrders {}

impl Endpoint for ListOrders {
    type Body = NoBody;
    type Answer = Vec<OrderView>;
    const ROUTE: Route = Route::get("/orders", TAG, "Lists the orders.");
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Vec<OrderView>>, Failure> {
        Ok(Outcome::read(queries::orders(world)))
    }
}

/// `POST /orders`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CreateOrder {
    /// Name, subscription and resource group.
    pub body: CreateOrderRequest,
}

impl Endpoint for CreateOrder {
    type Body = CreateOrderRequest;
    type Answer = OrderView;
    const ROUTE: Route = Route::post(
        "/orders",
        TAG,
        "Creates an order with a fresh passkey (Microsoft managed key) and a system identity.",
    )
    .created()
    .failing(&[InvalidName, NotFound])
    .audited(AuditAction::OrderCreate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<OrderView>, Failure> {
        let (next, id) = ops::create_order(world, ctx, &self.body)?;
        order_changed(next, &id)
    }
}

/// `GET /orders/{order}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetOrder {
    /// Order id.
    pub order: String,
}

impl Endpoint for GetOrder {
    type Body = NoBody;
    type Answer = OrderView;
    const ROUTE: Route =
        Route::get("/orders/{order}", TAG, "One order; its ETag is the version to send in If-Match.")
            .failing(&[NotFound]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<OrderView>, Failure> {
        let view = queries::order_view(world, &self.order)?;
        let version = view.version;
        Ok(Outcome::read(view).with_etag(version))
    }
}

/// `DELETE /orders/{order}/system-identity`: identity type None.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RemoveSystemIdentity {
    /// Order id.
    pub order: String,
    /// The order version the change is based on.
    #[serde(default)]
    pub if_match: Option<u64>,
}

impl Endpoint for RemoveSystemIdentity {
    type Body = NoBody;
    type Answer = OrderView;
    const ROUTE: Route = Route {
        status: 200,
        ..Route::delete(
            "/orders/{order}/system-identity",
            TAG,
            "Identity type None: removes the order's system-assigned identity.",
        )
    }
    .failing(&[NotFound, Conflict])
    .if_match()
    .audited(AuditAction::OrderIdentityChange);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<OrderView>, Failure> {
        order_changed(ops::remove_system_identity(world, &self.order, self.if_match)?, &self.order)
    }
}

/// `POST /orders/{order}/system-identity`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RecreateSystemIdentity {
    /// Order id.
    pub order: String,
    /// The order version the change is based on.
    #[serde(default)]
    pub if_match: Option<u64>,
}

impl Endpoint for RecreateSystemIdentity {
    type Body = NoBody;
    type Answer = OrderView;
    const ROUTE: Route = Route::post(
        "/orders/{order}/system-identity",
        TAG,
        "Identity type System assigned: creates a new system identity (with a new principal id).",
    )
    .failing(&[NotFound, Conflict])
    .if_match()
    .audited(AuditAction::OrderIdentityChange);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<OrderView>, Failure> {
        order_changed(ops::recreate_system_identity(world, ctx, &self.order, self.if_match)?, &self.order)
    }
}

/// `POST /orders/{order}/user-identities/attach`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AttachUserIdentities {
    /// Order id.
    pub order: String,
    /// The order version the change is based on.
    #[serde(default)]
    pub if_match: Option<u64>,
    /// The identities.
    pub body: OrderIdentitiesRequest,
}

impl Endpoint for AttachUserIdentities {
    type Body = OrderIdentitiesRequest;
    type Answer = OrderView;
    const ROUTE: Route = Route::post(
        "/orders/{order}/user-identities/attach",
        TAG,
        "Attaches user-assigned identities (at most ten per order).",
    )
    .failing(&[NotFound, Conflict, UserAssignedLimitReached])
    .if_match()
    .audited(AuditAction::OrderIdentityChange);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<OrderView>, Failure> {
        let next = ops::attach_identities(world, &self.order, &self.body.identity_ids, self.if_match)?;
        order_changed(next, &self.order)
    }
}

/// `POST /orders/{order}/user-identities/detach`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DetachUserIdentities {
    /// Order id.
    pub order: String,
    /// The order version the change is based on.
    #[serde(default)]
    pub if_match: Option<u64>,
    /// The identities.
    pub body: OrderIdentitiesRequest,
}

impl Endpoint for DetachUserIdentities {
    type Body = OrderIdentitiesRequest;
    type Answer = OrderView;
    const ROUTE: Route =
        Route::post("/orders/{order}/user-identities/detach", TAG, "Detaches user-assigned identities.")
            .failing(&[NotFound, Conflict])
            .if_match()
            .audited(AuditAction::OrderIdentityChange);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<OrderView>, Failure> {
        let next = ops::detach_identities(world, &self.order, &self.body.identity_ids, self.if_match)?;
        order_changed(next, &self.order)
    }
}

/// `POST /orders/{order}/device-password`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct FetchDevicePassword {
    /// Order id.
    pub order: String,
}

impl Endpoint for FetchDevicePassword {
    type Body = NoBody;
    type Answer = DevicePasswordResponse;
    const ROUTE: Route = Route::post(
        "/orders/{order}/device-password",
        TAG,
        "Device password: unwraps the passkey through the current settings; any broken link fails \
         with its catalog code and fix.",
    )
    .failing(&crate::catalog::ENCRYPTION_FAILURES)
    .audited(AuditAction::DevicePasswordDisclosure)
    .requires(Action::Use);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<DevicePasswordResponse>, Failure> {
        let passkey = ops::fetch_passkey(world, ctx, &self.order)?;
        Ok(Outcome::read(DevicePasswordResponse { password: passkey.display() }))
    }
}
