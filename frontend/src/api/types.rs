//! The data the portal shows. Wire types come from `shared::api` (the contract the backend and,
//! later, the offline engine both produce); a few portal-side compositions live here.

use serde::{Deserialize, Serialize};
pub use shared::api::{
    AddKeyProviderRequest, ApiKeyView, CertificateFile, CreateApiKeyRequest, CreateKeyRequest,
    CreateStampRequest, CreateVaultRequest as NewVault, CreateVersionRequest, CreatedApiKey,
    DevicePasswordResponse, EncryptionAtRestView, HealthResponse, KeyProviderView, KeyVersionView, KeyView,
    MasterKeyView, OperationView, OrderView, RegistrationView, RekeyRequest, RotateKeyRequest, RotationView,
    SecretView, SetBmcCredentialRequest, StampView, StartSecretRotationRequest, UpdateStampRequest,
    UpdateVaultRequest as VaultPatch, VaultView, VersionAttributes, VersionStatus,
};
pub use shared::catalog::CatalogEntry;
pub use shared::model::{
    Account, CustomerKey, EncryptionSettings, Firewall, IdentityChoice, KeyManagement, KeyPermission,
    KeyType, OrderPhase, ResourceGroup, RewrapTarget, RoleAssignment, RotationPolicy, Subscription, Tenant,
    Timestamp, UserIdentity,
};

/// The signed-in user.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct User {
    pub username: String,
    #[serde(default)]
    pub expires_at: i64,
}

impl User {
    pub fn label(&self) -> String {
        self.username.clone()
    }
}

/// The subscription with its directory context (tenants to move to, resource groups).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SubscriptionView {
    pub id: String,
    pub name: String,
    pub tenant_id: String,
    pub original_tenant_id: String,
    pub tenants: Vec<Tenant>,
    pub resource_groups: Vec<ResourceGroup>,
}

impl SubscriptionView {
    pub fn tenant_name(&self, id: &str) -> String {
        self.tenants.iter().find(|t| t.id == id).map(|t| t.name.clone()).unwrap_or_else(|| id.to_string())
    }
    pub fn moved(&self) -> bool {
        self.original_tenant_id != self.tenant_id
    }
}

/// What the browser uploads to create a key or a version: key material wrapped for transfer.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyImport {
    pub key_type: KeyType,
    pub size: u16,
    pub transfer: shared::crypto::KeyTransfer,
    pub attributes: VersionAttributes,
}
