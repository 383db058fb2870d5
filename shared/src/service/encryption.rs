//! The Encryption blade: read the settings, Save new ones (every catalog rule runs here), go
//! back to the Microsoft managed key, or save by key URL as command-line clients do.

use serde::{Deserialize, Serialize};

use super::orders::order_changed;
use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{OrderView, SaveByKeyUrlRequest, SaveEncryptionRequest};
use crate::audit::AuditAction;
use crate::catalog::{ENCRYPTION_FAILURES, Failure};
use crate::model::{EncryptionSettings, World};
use crate::ops::{self, Ctx};

const TAG: &str = "encryption";

/// `GET /orders/{order}/encryption`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetEncryption {
    /// Order id.
    pub order: String,
}

impl Endpoint for GetEncryption {
    type Body = NoBody;
    type Answer = EncryptionSettings;
    const ROUTE: Route = Route::get(
        "/orders/{order}/encryption",
        TAG,
        "The order's current encryption settings, with the order's ETag.",
    )
    .failing(&[crate::catalog::ErrorCode::NotFound]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<EncryptionSettings>, Failure> {
        let order = world.orders.get(&self.order).ok_or_else(|| Failure::not_found("The order"))?;
        Ok(Outcome::read(order.encryption.clone()).with_etag(order.version))
    }
}

/// `PUT /orders/{order}/encryption`: Save.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SaveEncryption {
    /// Order id.
    pub order: String,
    /// The order version the change is based on.
    #[serde(default)]
    pub if_match: Option<u64>,
    /// The new settings.
    pub body: SaveEncryptionRequest,
}

impl Endpoint for SaveEncryption {
    type Body = SaveEncryptionRequest;
    type Answer = OrderView;
    const ROUTE: Route = Route::put(
        "/orders/{order}/encryption",
        TAG,
        "Save: checks every rule for the new settings and rewraps the passkey; on failure nothing \
         changes and the error carries its catalog code, recoverability and fix.",
    )
    .failing(&ENCRYPTION_FAILURES)
    .if_match()
    .audited(AuditAction::EncryptionSave);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<OrderView>, Failure> {
        let next = ops::save_encryption(world, ctx, &self.order, &self.body.settings, self.if_match)?;
        order_changed(next, &self.order)
    }
}

/// `POST /orders/{order}/encryption/revert`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RevertEncryption {
    /// Order id.
    pub order: String,
    /// The order version the change is based on.
    #[serde(default)]
    pub if_match: Option<u64>,
}

impl Endpoint for RevertEncryption {
    type Body = NoBody;
    type Answer = OrderView;
    const ROUTE: Route = Route::post(
        "/orders/{order}/encryption/revert",
        TAG,
        "Back to the Microsoft managed key: the passkey is rewrapped by the platform master key.",
    )
    .failing(&ENCRYPTION_FAILURES)
    .if_match()
    .audited(AuditAction::EncryptionRevert);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<OrderView>, Failure> {
        let next = ops::save_encryption(
            world,
            ctx,
            &self.order,
            &EncryptionSettings::MicrosoftManaged,
            self.if_match,
        )?;
        order_changed(next, &self.order)
    }
}

/// `PUT /orders/{order}/encryption/key-url`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SaveEncryptionByKeyUrl {
    /// Order id.
    pub order: String,
    /// The order version the change is based on.
    #[serde(default)]
    pub if_match: Option<u64>,
    /// Key URL and identity.
    pub body: SaveByKeyUrlRequest,
}

impl Endpoint for SaveEncryptionByKeyUrl {
    type Body = SaveByKeyUrlRequest;
    type Answer = OrderView;
    const ROUTE: Route = Route::put(
        "/orders/{order}/encryption/key-url",
        TAG,
        "Save by key URL: the URL must parse, use https and a key vault host of this cloud; then the \
         named key version is saved like the blade's Save.",
    )
    .failing(&ENCRYPTION_FAILURES)
    .if_match()
    .audited(AuditAction::EncryptionSave);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<OrderView>, Failure> {
        let next = ops::save_encryption_by_key_url(world, ctx, &self.order, &self.body, self.if_match)?;
        order_changed(next, &self.order)
    }
}
