//! Data Box orders, their managed identities and their encryption settings.

use serde::{Deserialize, Serialize};

use crate::crypto::Sealed;

/// A user-assigned managed identity: an independent resource.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserIdentity {
    /// Resource id (hex).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Resource group.
    pub resource_group: String,
    /// Tenant it lives in (kept when the subscription moves).
    pub tenant_id: String,
    /// Principal (object) id, the key of access policies.
    pub principal_id: String,
    /// Client (application) id.
    pub client_id: String,
}

/// The system-assigned identity of an order. Recreating it yields a new principal id.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemIdentity {
    /// Principal id, the key of access policies.
    pub principal_id: String,
    /// Tenant the identity was created in.
    pub tenant_id: String,
}

/// Order lifecycle phase.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrderPhase {
    /// Ordered.
    Ordered,
    /// Processed.
    Processed,
    /// Delivered.
    Delivered,
    /// Data copy.
    DataCopy,
    /// Completed.
    Completed,
}

impl OrderPhase {
    /// The label the portal shows.
    pub fn label(self) -> &'static str {
        match self {
            OrderPhase::Ordered => "Ordered",
            OrderPhase::Processed => "Processed",
            OrderPhase::Delivered => "Delivered",
            OrderPhase::DataCopy => "Data copy",
            OrderPhase::Completed => "Completed",
        }
    }
}

/// Which identity an order uses to reach its customer key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum IdentityChoice {
    /// The order's system-assigned identity.
    SystemAssigned,
    /// A user-assigned identity, by resource id.
    UserAssigned {
        /// The identity's resource id.
        identity_id: String,
    },
}

/// A customer key selection: vault, key, version and identity.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerKey {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
    /// Version id.
    pub version: String,
    /// Key URL; recomputed by the engine on save, whatever the caller sent.
    #[serde(default)]
    pub key_url: String,
    /// Identity used to reach the key.
    pub identity: IdentityChoice,
}

impl CustomerKey {
    /// Same vault, key and version (the identity may differ).
    pub fn same_key_version(&self, other: &CustomerKey) -> bool {
        self.vault == other.vault && self.key == other.key && self.version == other.version
    }
}

/// How the order's passkey is protected.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum EncryptionSettings {
    /// Wrapped by the platform master key.
    #[default]
    MicrosoftManaged,
    /// Wrapped by a key version in the customer's vault.
    CustomerManaged(CustomerKey),
}

impl EncryptionSettings {
    /// The customer key, if any.
    pub fn customer_key(&self) -> Option<&CustomerKey> {
        match self {
            EncryptionSettings::MicrosoftManaged => None,
            EncryptionSettings::CustomerManaged(key) => Some(key),
        }
    }
}

/// The order's passkey as stored: never in plaintext.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "type")]
pub enum WrappedPasskey {
    /// AES-256-GCM under the master key.
    ByMasterKey {
        /// The sealed passkey.
        sealed: Sealed,
    },
    /// RSA-OAEP-256 under a customer key version.
    ByCustomerKey {
        /// Vault name.
        vault: String,
        /// Key name.
        key: String,
        /// Version id.
        version: String,
        /// Base64 ciphertext.
        ciphertext: String,
    },
}

/// A Data Box order.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Order {
    /// Resource id (hex).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Subscription the order bills to.
    pub subscription_id: String,
    /// Resource group.
    pub resource_group: String,
    /// Lifecycle phase.
    pub phase: OrderPhase,
    /// System-assigned identity; `None` after identity type None.
    pub system_identity: Option<SystemIdentity>,
    /// Attached user-assigned identity ids (at most [`MAX_USER_IDENTITIES`]).
    pub user_identities: Vec<String>,
    /// The wrapped device unlock key.
    pub passkey: WrappedPasskey,
    /// Current encryption settings.
    pub encryption: EncryptionSettings,
    /// Bumped on every change; callers send it back for optimistic concurrency.
    pub version: u64,
}

/// How many user-assigned identities one order may carry.
pub const MAX_USER_IDENTITIES: usize = 10;
