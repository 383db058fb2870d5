//! Identities, orders and their encryption settings.

use serde::{Deserialize, Serialize};

use crate::model::{EncryptionSettings, IdentityChoice, Order, OrderPhase, SystemIdentity};

/// Create a user-assigned identity (Managed identities blade).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateIdentityRequest {
    /// Name: 1-64 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "\\S"))]
    pub name: String,
    /// Resource group.
    pub resource_group: String,
}

/// Create an order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateOrderRequest {
    /// Name: 1-64 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "\\S"))]
    pub name: String,
    /// Subscription id.
    pub subscription_id: String,
    /// Resource group.
    pub resource_group: String,
}

/// Attach or detach user identities.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderIdentitiesRequest {
    /// Identity ids.
    pub identity_ids: Vec<String>,
}

/// Save on the Encryption blade.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaveEncryptionRequest {
    /// New settings (the key URL is recomputed by the engine).
    pub settings: EncryptionSettings,
}

/// Save by key URL (`PUT /api/orders/{order}/encryption/key-url`), as command-line clients do.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaveByKeyUrlRequest {
    /// `https://{vault}.vault.azure.net/keys/{key}/{version}` (`.vault.usgovcloudapi.net` in
    /// the Government cloud).
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 2048,
            pattern = "^https://[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]\\.vault\\.(?:azure\\.net|usgovcloudapi\\.net)/keys/[A-Za-z0-9-]{1,127}/[0-9a-f]{32}$"
        )
    )]
    pub key_url: String,
    /// Identity used to reach the key.
    pub identity: IdentityChoice,
}

/// Move the subscription to another tenant.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveSubscriptionRequest {
    /// Target tenant.
    pub tenant_id: String,
}

/// Device password (the unwrapped passkey).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevicePasswordResponse {
    /// Formatted passkey.
    pub password: String,
}

/// Public view of an order: no wrapped passkey.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Subscription.
    pub subscription_id: String,
    /// Resource group.
    pub resource_group: String,
    /// Phase.
    pub phase: OrderPhase,
    /// System identity.
    pub system_identity: Option<SystemIdentity>,
    /// Attached user identities.
    pub user_identities: Vec<String>,
    /// Encryption settings.
    pub encryption: EncryptionSettings,
    /// Concurrency version.
    pub version: u64,
}

impl OrderView {
    /// The public view of an order.
    pub fn of(order: &Order) -> OrderView {
        OrderView {
            id: order.id.clone(),
            name: order.name.clone(),
            subscription_id: order.subscription_id.clone(),
            resource_group: order.resource_group.clone(),
            phase: order.phase,
            system_identity: order.system_identity.clone(),
            user_identities: order.user_identities.clone(),
            encryption: order.encryption.clone(),
            version: order.version,
        }
    }
}
