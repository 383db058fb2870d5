//! The data the portal shows, as the API hands it out. Blades only ever see these types (plus
//! `shared::model` enums), whichever backend implementation produced them.

use serde::{Deserialize, Serialize};
pub use shared::model::{
    EncryptionSettings, CustomerKey, IdentityChoice, KeyPermission, KeyType, OrderPhase, Timestamp,
    UserIdentity,
};

/// The signed-in user.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct User {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

impl User {
    pub fn label(&self) -> String {
        self.display_name.clone().unwrap_or_else(|| self.username.clone())
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Tenant {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ResourceGroup {
    pub name: String,
    #[serde(default)]
    pub region: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SubscriptionView {
    pub id: String,
    pub name: String,
    pub tenant_id: String,
    #[serde(default)]
    pub original_tenant_id: String,
    #[serde(default)]
    pub tenants: Vec<Tenant>,
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroup>,
}

impl SubscriptionView {
    pub fn tenant_name(&self, id: &str) -> String {
        self.tenants.iter().find(|t| t.id == id).map(|t| t.name.clone()).unwrap_or_else(|| id.to_string())
    }
    pub fn moved(&self) -> bool {
        !self.original_tenant_id.is_empty() && self.original_tenant_id != self.tenant_id
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct FirewallView {
    pub enabled: bool,
    #[serde(default)]
    pub allowed_identities: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AccessPolicyView {
    pub principal_id: String,
    pub permissions: Vec<KeyPermission>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VaultView {
    pub name: String,
    #[serde(default)]
    pub resource_group: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub tenant_id: String,
    pub soft_delete: bool,
    pub retention_days: u16,
    pub purge_protection: bool,
    #[serde(default)]
    pub firewall: FirewallView,
    #[serde(default)]
    pub access_policies: Vec<AccessPolicyView>,
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub deleted_at: Option<Timestamp>,
    #[serde(default)]
    pub scheduled_purge_at: Option<Timestamp>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct KeyVersionView {
    pub id: String,
    pub enabled: bool,
    #[serde(default)]
    pub nbf: Option<Timestamp>,
    #[serde(default)]
    pub exp: Option<Timestamp>,
    #[serde(default)]
    pub created: Timestamp,
    #[serde(default)]
    pub key_url: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct KeyView {
    pub name: String,
    pub key_type: KeyType,
    #[serde(default)]
    pub size: u16,
    #[serde(default)]
    pub versions: Vec<KeyVersionView>,
    #[serde(default)]
    pub deleted_at: Option<Timestamp>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SystemIdentityView {
    pub principal_id: String,
    #[serde(default)]
    pub tenant_id: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OrderView {
    pub id: String,
    pub name: String,
    pub phase: OrderPhase,
    #[serde(default)]
    pub resource_group: String,
    #[serde(default)]
    pub system_identity: Option<SystemIdentityView>,
    #[serde(default)]
    pub user_identities: Vec<String>,
    pub encryption: EncryptionSettings,
    #[serde(default)]
    pub version: u64,
}

/// One row of the troubleshooting catalog.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CatalogEntry {
    pub code: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub recoverable: String,
    #[serde(default)]
    pub remediation: Vec<String>,
    #[serde(default)]
    pub fires_when: String,
}

/// Input of "Create key vault".
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct NewVault {
    pub name: String,
    pub resource_group: String,
    pub region: String,
    pub soft_delete: bool,
    pub purge_protection: bool,
    pub retention_days: u16,
}

/// Changes to a vault's properties (only the set fields change).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct VaultPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_delete: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge_protection: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u16>,
}

/// Attributes of a new key version (and of the first version of a new key).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct VersionAttributes {
    pub enabled: bool,
    pub nbf: Option<Timestamp>,
    pub exp: Option<Timestamp>,
}

/// Changes to a key version.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct VersionPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `Some(None)` clears the expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<Option<Timestamp>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<Option<Timestamp>>,
}

/// What the browser uploads to create a key or a version: key material wrapped for transfer.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct KeyImport {
    pub key_type: KeyType,
    pub size: u16,
    pub transfer: shared::crypto::KeyTransfer,
    #[serde(flatten)]
    pub attributes: VersionAttributes,
}

/// The result of "Device password".
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DevicePassword {
    pub passkey: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HealthResponse {
    pub status: String,
    #[serde(default)]
    pub version: String,
}
