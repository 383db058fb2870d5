//! What the backend and the frontend exchange. Requests carry user input; views carry the
//! public state. Views are built from the [`World`] and leave out every sealed secret (private
//! keys, import private keys, the wrapped passkey), so nothing secret reaches a browser even
//! in ciphertext form.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalog::{Diagnosis, FixAction};
use crate::code::ErrorCode;
use crate::crypto::KeyTransfer;
use crate::model::{
    ApiKey, Cloud, DeviceKind, EncryptionSettings, Firewall, IdentityChoice, Key, KeyOperation,
    KeyPermission, KeyType, KeyVault, KeyVersion, Operation, OperationError, OperationKind, OperationState,
    OperationStep, Order, OrderPhase, PublicKeyMaterial, ResourceGroup, RewrapTarget, RotationPolicy,
    ServiceKeyChange, Subject, Subscription, SystemIdentity, Tenant, Timestamp, UserIdentity, World,
};

/// Sign-in form.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInRequest {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Who is signed in, and until when: the answer of `POST` and `GET /api/session`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// User name.
    pub username: String,
    /// End of the session, seconds since the Unix epoch.
    pub expires_at: i64,
}

/// A session of an account, as its owner or an Owner sees it (never its token).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSessionView {
    /// Its id: derived from the token's hash, useless for signing in.
    pub id: String,
    /// End of the session, seconds since the Unix epoch.
    pub expires_at: i64,
    /// Last use, seconds since the Unix epoch (to the minute).
    pub last_seen: i64,
    /// Whether it is the session asking.
    pub current: bool,
}

/// `PUT /api/accounts/{account}/password`.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetPasswordRequest {
    /// The new password, at least 12 characters.
    pub password: String,
    /// The account's current password: required when changing one's own password.
    #[serde(default)]
    pub current_password: Option<String>,
}

impl std::fmt::Debug for SetPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetPasswordRequest").finish_non_exhaustive()
    }
}

/// `GET /api/health`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// "ok".
    pub status: String,
    /// Crate version.
    pub version: String,
}

/// The error body of every failed request.
pub type ErrorBody = Diagnosis;

/// `{"error": ErrorBody}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}

/// Create key vault.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateVaultRequest {
    /// Key vault name: 3-24 letters, digits and hyphens, starting with a letter, no `--`, not ending with `-`.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 24, pattern = "^[A-Za-z](-?[A-Za-z0-9])+$")
    )]
    pub name: String,
    /// Resource group.
    pub resource_group: String,
    /// Region: 1-64 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "\\S"))]
    pub region: String,
    /// Soft delete.
    pub soft_delete: bool,
    /// Purge protection.
    pub purge_protection: bool,
    /// Days to retain deleted vaults (7-90).
    #[cfg_attr(feature = "openapi", schema(minimum = 7, maximum = 90))]
    pub retention_days: u16,
}

/// Change vault properties; `None` leaves a property as it is.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateVaultRequest {
    /// Soft delete.
    pub soft_delete: Option<bool>,
    /// Purge protection (can only be turned on).
    pub purge_protection: Option<bool>,
    /// Retention days (7-90).
    #[cfg_attr(feature = "openapi", schema(minimum = 7, maximum = 90))]
    pub retention_days: Option<u16>,
    /// The permission model: role assignments (`true`) or the access policy (`false`) decide
    /// what identities may do on the data plane.
    pub rbac_authorization: Option<bool>,
}

/// Version attributes chosen in the Create forms.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionAttributes {
    /// Enabled.
    pub enabled: bool,
    /// Activation date (seconds since 1970, up to the end of year 9999).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 0, maximum = 253_402_300_799_i64))]
    pub nbf: Option<Timestamp>,
    /// Expiration date (seconds since 1970, up to the end of year 9999).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>, minimum = 0, maximum = 253_402_300_799_i64))]
    pub exp: Option<Timestamp>,
}

impl Default for VersionAttributes {
    fn default() -> Self {
        VersionAttributes { enabled: true, nbf: None, exp: None }
    }
}

/// Create a key: the private key arrives wrapped for the vault's import key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateKeyRequest {
    /// Key name: 1-127 letters, digits and hyphens.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 127, pattern = "^[A-Za-z0-9-]+$"))]
    pub name: String,
    /// Key type.
    pub key_type: KeyType,
    /// RSA bits (2048, 3072, 4096) or 256 for EC P-256.
    #[cfg_attr(feature = "openapi", schema(schema_with = key_size_schema))]
    pub size: u16,
    /// First version's attributes.
    pub attributes: VersionAttributes,
    /// The key-transfer blob (section 5 of the spec).
    pub transfer: KeyTransfer,
}

/// The sizes a key can have, as the API document states them.
#[cfg(feature = "openapi")]
fn key_size_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some([256, 2048, 3072, 4096])).build()
}

/// Create a new version of an existing key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateVersionRequest {
    /// Attributes.
    pub attributes: VersionAttributes,
    /// The key-transfer blob.
    pub transfer: KeyTransfer,
}

/// Replace a version's attributes (enable/disable, activation, expiry).
pub type UpdateVersionRequest = VersionAttributes;

/// Set one principal's key permissions; an empty set removes the entry.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetAccessPolicyRequest {
    /// Principal id.
    pub principal_id: String,
    /// Permissions (one listed twice counts once).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<KeyPermission>))]
    pub permissions: BTreeSet<KeyPermission>,
}

/// Networking: firewall on/off and trusted identities.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetFirewallRequest {
    /// On/off.
    pub enabled: bool,
    /// Principal ids allowed through (one listed twice counts once).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub allowed_identities: BTreeSet<String>,
}

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
    /// The order version the user saw.
    pub expected_version: Option<u64>,
}

/// Save on the Encryption blade.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaveEncryptionRequest {
    /// New settings (the key URL is recomputed by the engine).
    pub settings: EncryptionSettings,
    /// The order version the user saw; a stale one yields `Conflict`.
    pub expected_version: Option<u64>,
}

/// Save by key URL (`PUT /api/orders/{order}/encryption/key-url`), as command-line clients do.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SaveByKeyUrlRequest {
    /// `https://{vault}.vault.azure.net/keys/{key}/{version}`.
    pub key_url: String,
    /// Identity used to reach the key.
    pub identity: IdentityChoice,
    /// The order version the user saw; a stale one yields `Conflict`.
    pub expected_version: Option<u64>,
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

/// A vault's import key for the browser.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportKeyResponse {
    /// Vault name.
    pub vault: String,
    /// RSA public key, SPKI DER base64.
    pub public_spki_b64: String,
}

/// Public view of a key version: no private key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyVersionView {
    /// Id.
    pub id: String,
    /// Enabled.
    pub enabled: bool,
    /// Activation.
    pub nbf: Option<Timestamp>,
    /// Expiry.
    pub exp: Option<Timestamp>,
    /// Created.
    pub created: Timestamp,
    /// Public key.
    pub public_key: PublicKeyMaterial,
    /// Operations.
    pub key_ops: Vec<KeyOperation>,
    /// Key URL.
    pub key_url: String,
    /// Whether the version can be used now, and if not why.
    pub status: VersionStatus,
}

/// A key version's state at the time of the answer.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VersionStatus {
    /// Enabled, active and not expired.
    Enabled,
    /// Turned off.
    Disabled,
    /// Enabled, but its activation date lies ahead.
    NotYetActive,
    /// Past its expiry.
    Expired,
    /// Retired by a rotation: unwraps what it wrapped, wraps nothing new.
    DecryptOnly,
}

impl VersionStatus {
    /// The state of `version` at `now`.
    pub fn of(version: &KeyVersion, now: Timestamp) -> VersionStatus {
        if !version.enabled {
            VersionStatus::Disabled
        } else if version.is_expired(now) {
            VersionStatus::Expired
        } else if version.is_not_yet_active(now) {
            VersionStatus::NotYetActive
        } else if version.decrypt_only {
            VersionStatus::DecryptOnly
        } else {
            VersionStatus::Enabled
        }
    }

    /// The label the portal shows.
    pub fn label(self) -> &'static str {
        match self {
            VersionStatus::Enabled => "Enabled",
            VersionStatus::Disabled => "Disabled",
            VersionStatus::NotYetActive => "Not active yet",
            VersionStatus::Expired => "Expired",
            VersionStatus::DecryptOnly => "Decrypt only",
        }
    }
}

/// Public view of a key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyView {
    /// Name.
    pub name: String,
    /// Type.
    pub key_type: KeyType,
    /// Size.
    pub size: u16,
    /// Deleted at.
    pub deleted_at: Option<Timestamp>,
    /// Purged.
    pub purged: bool,
    /// When a soft-deleted key is purged for good (the end of its vault's retention).
    pub scheduled_purge: Option<Timestamp>,
    /// Versions, oldest first.
    pub versions: Vec<KeyVersionView>,
    /// The key's stable id (a UUID), as Key Protect names keys.
    pub id: Option<String>,
    /// Its material was imported: it rotates only with new material and has no policy.
    pub imported: bool,
    /// Automatic rotation.
    pub rotation_policy: Option<RotationPolicy>,
    /// The last rotation.
    pub last_rotated: Option<Timestamp>,
    /// When the policy rotates it next.
    pub next_rotation: Option<Timestamp>,
}

/// Rotate a key now. A key Keyblade generated needs no material (the portal sends an RSA key
/// made in the browser as a key-transfer blob); an imported key needs new material.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotateKeyRequest {
    /// A new RSA or EC private key in the key-transfer format.
    #[serde(default)]
    pub transfer: Option<KeyTransfer>,
    /// New symmetric key material, standard base64 (16, 24 or 32 bytes).
    #[serde(default)]
    pub payload: Option<String>,
}

/// What a rotation did.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotationView {
    /// The key after the rotation.
    pub key: KeyView,
    /// The new current version's id.
    pub version: String,
    /// The operation rewrapping the registered resources, when there are any.
    pub rewrap_operation: Option<String>,
}

/// Create a symmetric root key (AES), generated by Keyblade or imported.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateRootKeyRequest {
    /// Key name: 1-127 letters, digits and hyphens.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 127, pattern = "^[A-Za-z0-9-]+$"))]
    pub name: String,
    /// Key material to import, standard base64 (16, 24 or 32 bytes); absent: Keyblade generates
    /// an AES-256 key.
    #[serde(default)]
    pub payload: Option<String>,
}

/// Wrap a data key under a key's current version.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WrapRequest {
    /// The data key, standard base64 (1 to 4096 bytes); absent: Keyblade generates a 32-byte one
    /// and answers it too.
    #[serde(default)]
    pub plaintext: Option<String>,
}

/// A wrapped data key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WrappedView {
    /// The wrapped data key, standard base64; it names the version that wrapped it.
    pub ciphertext: String,
    /// The version that wrapped it.
    pub version: String,
    /// The data key Keyblade generated, standard base64 (only when none was sent).
    pub plaintext: Option<String>,
}

/// Unwrap a data key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnwrapRequest {
    /// A ciphertext a wrap of this key answered.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 8192))]
    pub ciphertext: String,
}

/// An unwrapped data key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnwrappedView {
    /// The data key, standard base64.
    pub plaintext: String,
    /// The version that had wrapped it.
    pub version: String,
    /// The data key wrapped again under the current version, when an older one had wrapped it:
    /// use it from now on.
    pub rewrapped: Option<WrappedView>,
}

/// Turn every version of a key on or off.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetKeyEnabledRequest {
    /// On or off.
    pub enabled: bool,
}

/// Create an API key.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateApiKeyRequest {
    /// What it is for: 1-64 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "\\S"))]
    pub name: String,
    /// Issue it as the client secret of this identity (its client or principal id): its tokens
    /// then name that identity only, and the identity's roles and access policies apply. Without
    /// it the key is a service principal of its own, with `role` at `scope`.
    #[serde(default)]
    pub identity: Option<String>,
    /// The key's role (default Key Administrator), when it is its own principal.
    #[serde(default)]
    pub role: Option<String>,
    /// Where the role applies (default `/`, the instance).
    #[serde(default)]
    pub scope: Option<String>,
}

/// An API key as listed (never its secret).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Created.
    pub created: Timestamp,
    /// Revoked at.
    pub revoked: Option<Timestamp>,
    /// The principal its tokens name: `apikey:<id>`, or `identity:<principal id>` for an
    /// identity's client secret.
    pub principal: String,
}

impl ApiKeyView {
    /// The listed view of a key.
    pub fn of(key: &ApiKey) -> ApiKeyView {
        ApiKeyView {
            id: key.id.clone(),
            name: key.name.clone(),
            created: key.created,
            revoked: key.revoked,
            principal: key.principal().to_string(),
        }
    }
}

/// A new API key with its secret, shown this once.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    /// The key.
    pub key: ApiKeyView,
    /// The secret to exchange for access tokens; Keyblade keeps only a hash of it.
    pub secret: String,
}

/// Register a resource outside Keyblade as protected by a key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegisterResourceRequest {
    /// The resource's name (a CRN, say).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512))]
    pub resource: String,
    /// Whether the key may not be deleted while the resource is registered.
    #[serde(default)]
    pub prevent_key_deletion: bool,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// A resource a key protects.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationView {
    /// The resource.
    pub target: RewrapTarget,
    /// For people: "order DataBox-Order-01", or the resource's name.
    pub label: String,
    /// The key version its secret is wrapped under.
    pub key_version: String,
    /// Whether it prevents the key's deletion.
    pub prevent_key_deletion: bool,
    /// Free text.
    pub description: String,
    /// Registered at (external registrations).
    pub created: Option<Timestamp>,
}

/// Public view of a vault.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultView {
    /// Name.
    pub name: String,
    /// Resource group.
    pub resource_group: String,
    /// Region.
    pub region: String,
    /// Tenant.
    pub tenant_id: String,
    /// Vault URI.
    pub uri: String,
    /// The loopback address (`127.0.0.N`) at which Keyblade serves the vault's data plane to the
    /// cloud SDKs, on the server's port; `None` when every address is taken.
    #[serde(default)]
    pub data_plane_address: Option<String>,
    /// Soft delete.
    pub soft_delete: bool,
    /// Retention days.
    pub retention_days: u16,
    /// Purge protection.
    pub purge_protection: bool,
    /// Firewall.
    pub firewall: Firewall,
    /// Access policies.
    pub access_policies: BTreeMap<String, BTreeSet<KeyPermission>>,
    /// Whether role assignments, not the access policy, decide for identities on the data plane.
    #[serde(default)]
    pub rbac_authorization: bool,
    /// Keys.
    pub keys: Vec<KeyView>,
    /// Deleted at.
    pub deleted_at: Option<Timestamp>,
    /// Purged.
    pub purged: bool,
    /// Whether an import key exists (keys can only be created once it does).
    pub has_import_key: bool,
    /// When a soft-deleted vault is purged for good (the end of its retention).
    pub scheduled_purge: Option<Timestamp>,
    /// The running operation that is provisioning the vault, if any.
    pub operation: Option<String>,
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

/// Everything a browser may see.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorldView {
    /// Cloud.
    pub cloud: Cloud,
    /// Tenants.
    pub tenants: Vec<Tenant>,
    /// Subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Resource groups.
    pub resource_groups: Vec<ResourceGroup>,
    /// Vaults, including deleted ones.
    pub vaults: Vec<VaultView>,
    /// User-assigned identities.
    pub identities: Vec<UserIdentity>,
    /// Orders.
    pub orders: Vec<OrderView>,
}

impl WorldView {
    /// The public view of a world at `now`.
    pub fn of(world: &World, now: Timestamp) -> WorldView {
        WorldView {
            cloud: world.cloud,
            tenants: world.tenants.values().cloned().collect(),
            subscriptions: world.subscriptions.values().cloned().collect(),
            resource_groups: world.resource_groups.values().cloned().collect(),
            vaults: world.vaults.values().map(|v| VaultView::of(world, v, now)).collect(),
            identities: world.identities.values().cloned().collect(),
            orders: world.orders.values().map(OrderView::of).collect(),
        }
    }
}

impl VaultView {
    /// The public view of a vault at `now`.
    pub fn of(world: &World, vault: &KeyVault, now: Timestamp) -> VaultView {
        let retention = i64::from(vault.retention_days);
        let provisioning = world.operations.values().find(|op| {
            op.state == OperationState::Running && op.subject == Subject::Vault { vault: vault.name.clone() }
        });
        VaultView {
            name: vault.name.clone(),
            resource_group: vault.resource_group.clone(),
            region: vault.region.clone(),
            tenant_id: vault.tenant_id.clone(),
            uri: format!("https://{}{}/", vault.name, world.cloud.vault_host_suffix()),
            data_plane_address: crate::ops::address_of_vault(world, &vault.name)
                .map(|n| format!("127.0.0.{n}")),
            soft_delete: vault.soft_delete,
            retention_days: vault.retention_days,
            purge_protection: vault.purge_protection,
            firewall: vault.firewall.clone(),
            access_policies: vault.access_policies.clone(),
            rbac_authorization: vault.rbac_authorization,
            keys: vault.keys.values().map(|k| KeyView::of(world.cloud, vault, k, now)).collect(),
            deleted_at: vault.deleted_at,
            purged: vault.purged,
            has_import_key: world.import_keys.contains_key(&vault.name),
            scheduled_purge: vault.deleted_at.filter(|_| !vault.purged).map(|at| at.plus_days(retention)),
            operation: provisioning.map(|op| op.id.clone()),
        }
    }
}

impl KeyView {
    /// The public view of a key of `vault` at `now`.
    pub fn of(cloud: Cloud, vault: &KeyVault, key: &Key, now: Timestamp) -> KeyView {
        let retention = i64::from(vault.retention_days);
        KeyView {
            name: key.name.clone(),
            key_type: key.key_type,
            size: key.size,
            deleted_at: key.deleted_at,
            purged: key.purged,
            scheduled_purge: key.deleted_at.filter(|_| !key.purged).map(|at| at.plus_days(retention)),
            versions: key
                .versions
                .iter()
                .map(|v| KeyVersionView::of(cloud.key_url(&vault.name, &key.name, &v.id), v, now))
                .collect(),
            id: key.id(),
            imported: key.imported,
            rotation_policy: key.rotation_policy,
            last_rotated: key.last_rotated,
            next_rotation: key.next_rotation(),
        }
    }
}

impl KeyVersionView {
    /// The public view of a version at `now`.
    pub fn of(key_url: String, version: &KeyVersion, now: Timestamp) -> KeyVersionView {
        KeyVersionView {
            id: version.id.clone(),
            enabled: version.enabled,
            nbf: version.nbf,
            exp: version.exp,
            created: version.created,
            public_key: version.public_key.clone(),
            key_ops: version.key_ops.clone(),
            key_url,
            status: VersionStatus::of(version, now),
        }
    }
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

/// `POST /api/fixes`: a fix and the subject of the failure that offered it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyFixRequest {
    /// The failure's subject.
    pub subject: Subject,
    /// The failure's fix.
    pub fix: FixAction,
    /// The failure's `fix_proof`: only a fix the server offered for this subject applies.
    #[cfg_attr(feature = "openapi", schema(min_length = 64, max_length = 64, pattern = "^[0-9a-f]{64}$"))]
    pub fix_proof: String,
    /// For an order: the version the user saw the failure on.
    #[serde(default)]
    pub expected_version: Option<u64>,
}

/// What a fix changed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FixApplied {
    /// The subject the fix was for.
    pub subject: Subject,
    /// The order after the fix, when the subject is an order.
    pub order: Option<OrderView>,
}

impl FixApplied {
    /// The answer for `subject` in the world after the fix.
    pub fn of(world: &World, subject: Subject) -> FixApplied {
        let order = match &subject {
            Subject::Order { id } => world.orders.get(id).map(OrderView::of),
            _ => None,
        };
        FixApplied { subject, order }
    }
}

/// A long-running operation as clients follow it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationView {
    /// The handle.
    pub id: String,
    /// Its number in the Element API (`asyncHandle`).
    pub handle: u64,
    /// What it does.
    pub kind: OperationKind,
    /// What it does, for people.
    pub label: String,
    /// What it is about.
    pub subject: Subject,
    /// What it is about, for people.
    pub subject_label: String,
    /// Where it stands.
    pub state: OperationState,
    /// Its steps.
    pub steps: Vec<OperationStep>,
    /// Steps done, out of `steps.len()`.
    pub done: usize,
    /// The failure, when it failed.
    pub error: Option<OperationError>,
    /// Started.
    pub started: Timestamp,
    /// Finished.
    pub finished: Option<Timestamp>,
}

impl OperationView {
    /// The view of an operation.
    pub fn of(world: &World, op: &Operation) -> OperationView {
        OperationView {
            id: op.id.clone(),
            handle: op.handle,
            kind: op.kind.clone(),
            label: op.kind.label(),
            subject: op.subject.clone(),
            subject_label: op.subject.label(world),
            state: op.state,
            steps: op.steps.clone(),
            done: op.steps.iter().filter(|s| s.state == crate::model::StepState::Done).count(),
            error: op.error.clone(),
            started: op.started,
            finished: op.finished,
        }
    }
}

/// The clock the server (or the offline demo) runs on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockView {
    /// Now, on this clock.
    pub now: Timestamp,
    /// Seconds this clock runs ahead of real time.
    pub offset_seconds: i64,
}

/// `POST /api/clock`: move the clock forward.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvanceClockRequest {
    /// Seconds to move forward (1 to 3,153,600,000, a century).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3_153_600_000_i64))]
    pub advance_seconds: i64,
}

/// A device as the Device manager blade and the management API show it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    /// Device name.
    pub name: String,
    /// Its device manager.
    pub manager: String,
    /// Physical device or cloud appliance.
    pub kind: DeviceKind,
    /// Model number.
    pub model: String,
    /// Whether it is connected.
    pub online: bool,
    /// Free text.
    pub description: String,
    /// The service data encryption key version it holds.
    pub key_version: u32,
    /// Whether that is the manager's current key.
    pub key_state: DeviceKeyState,
    /// Whether the device can be authorized to change the key, and why not.
    pub rollover_details: RolloverDetails,
}

/// A device's key compared with its manager's.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeviceKeyState {
    /// It holds the current key.
    Current,
    /// It needs the current key (update it from its console).
    UpdatePending,
    /// The current key was entered while it was offline; it takes it when back online.
    UpdateQueued,
}

/// Authorization to change the service data encryption key, per device.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RolloverDetails {
    /// `Eligible` or `InEligible`.
    pub authorization_eligibility: String,
    /// `Enabled` while this device is authorized (and may initiate the change), else `Disabled`.
    pub authorization_status: String,
    /// Why it is not eligible: the code Authorize would fail with.
    pub in_eligibility_reason: Option<ErrorCode>,
    /// The same, for people.
    pub in_eligibility_message: Option<String>,
    /// When it was authorized, while its authorization is the one in force.
    pub authorized_at: Option<Timestamp>,
    /// The latest time it can initiate the change.
    pub initiate_before: Option<Timestamp>,
}

/// The devices of a manager, as the management API lists them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    /// The devices, by name.
    pub value: Vec<DeviceView>,
}

/// A device manager's encryption settings (`encryptionSettings/default`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ManagerEncryptionSettings {
    /// Always `Enabled`: confidential data is always encrypted.
    pub encryption_status: String,
    /// `Required` while some device still needs the current key, else `NotRequired`.
    pub key_rollover_status: String,
    /// The current key's version.
    pub key_version: u32,
    /// Devices that still need the current key.
    pub pending_devices: Vec<String>,
    /// The operation changing the key right now.
    pub change_in_progress: Option<String>,
    /// The last completed change.
    pub last_change: Option<ServiceKeyChange>,
}

/// A device manager with its devices, for the Device manager blade.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceManagerView {
    /// Name.
    pub name: String,
    /// Subscription.
    pub subscription_id: String,
    /// Resource group.
    pub resource_group: String,
    /// Encryption settings and rollover state.
    pub encryption: ManagerEncryptionSettings,
    /// The dashboard alert while devices wait for the new key.
    pub alert: Option<String>,
    /// Its devices.
    pub devices: Vec<DeviceView>,
}

/// The new key, shown once on the device that initiated the change.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewServiceKey {
    /// The new service data encryption key (base64). Keyblade shows it only here: save it to
    /// update the other devices.
    pub service_data_encryption_key: String,
    /// Its version.
    pub key_version: u32,
    /// The operation re-encrypting the devices' data and handing the key to the service.
    pub operation: String,
}

/// A service data encryption key entered on a device.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceKeyRequest {
    /// The key shown when the change was initiated (base64).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
    pub service_data_encryption_key: String,
}

/// What updating a device's key did.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyUpdateView {
    /// Device name.
    pub device: String,
    /// `Updated`, `AlreadyCurrent`, or `Queued` (offline: applied when it reconnects).
    pub result: String,
}

/// A management change of a device.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceSettingsRequest {
    /// Free text, at most 256 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 256))]
    pub description: String,
}

/// Bring a device online or take it offline (simulation).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectivityRequest {
    /// Online or not.
    pub online: bool,
}

/// A storage account credential as the device read it: never the secret, only its fingerprint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialView {
    /// Storage account.
    pub account: String,
    /// First 8 bytes of the secret's SHA-256, hex.
    pub fingerprint: String,
}

/// Rekey the master key (Element's `RekeySoftwareEncryptionAtRestMasterKey`, same names).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RekeyRequest {
    /// Internal or External; left out: the current key's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_management_type: Option<crate::model::KeyManagement>,
    /// The key provider, for External only.
    #[serde(default, rename = "keyProviderID", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub key_provider_id: Option<u32>,
    /// Secrets rewrapped per turn (Keyblade's own parameter), 1-10000; 100 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
    pub batch_size: Option<u32>,
}

/// A master key as shown (never its material).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MasterKeyView {
    /// Id (UUID).
    pub id: String,
    /// How it is kept.
    pub management: crate::model::KeyManagement,
    /// Its key provider (External).
    pub provider: Option<u32>,
    /// Created.
    pub created: Timestamp,
    /// Where it is in its life.
    pub state: crate::model::MasterKeyState,
    /// Decommissioned at.
    pub decommissioned: Option<Timestamp>,
}

impl MasterKeyView {
    /// The view of a master key.
    pub fn of(key: &crate::model::MasterKeyRecord) -> MasterKeyView {
        MasterKeyView {
            id: key.id.clone(),
            management: key.management,
            provider: key.provider,
            created: key.created,
            state: key.state,
            decommissioned: key.decommissioned,
        }
    }
}

/// A key provider as shown (never its API key).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyProviderView {
    /// Id (Element's `keyProviderID`).
    pub id: u32,
    /// Name.
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Service instance.
    pub instance: String,
    /// Root key id.
    pub root_key_id: String,
    /// Created.
    pub created: Timestamp,
    /// Whether it keeps the master key in use.
    pub active: bool,
}

impl KeyProviderView {
    /// Every provider of `world`, by id.
    pub fn all(world: &World) -> Vec<KeyProviderView> {
        let mut providers: Vec<KeyProviderView> =
            world.key_providers.values().map(|p| KeyProviderView::of(world, p)).collect();
        providers.sort_by_key(|p| p.id);
        providers
    }

    /// The view of a provider in `world`.
    pub fn of(world: &World, provider: &crate::model::KeyProvider) -> KeyProviderView {
        let active = world.active_master_key().is_some_and(|k| k.provider == Some(provider.id));
        KeyProviderView {
            id: provider.id,
            name: provider.name.clone(),
            url: provider.url.clone(),
            instance: provider.instance.clone(),
            root_key_id: provider.root_key_id.clone(),
            created: provider.created,
            active,
        }
    }
}

/// Add a Key Protect-compatible key provider.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddKeyProviderRequest {
    /// Name, 1-64 characters, unique.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "\\S"))]
    pub name: String,
    /// Base URL, http:// or https://.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 8, max_length = 2048, pattern = "^https?://[!-~]+$")
    )]
    pub url: String,
    /// Service instance (sent as `Bluemix-Instance`).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512, pattern = "\\S"))]
    pub instance: String,
    /// The root key that wraps the master key.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512, pattern = "\\S"))]
    pub root_key_id: String,
    /// The API key to sign in with; sealed at rest, never shown again.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512, pattern = "\\S"))]
    pub api_key: String,
}

/// Encryption at rest: the master key, its history, rekeys and key providers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EncryptionAtRestView {
    /// The master key in use.
    pub current: Option<MasterKeyView>,
    /// Every master key, newest first.
    pub keys: Vec<MasterKeyView>,
    /// Rekeys, newest first (the running one, if any, first).
    pub rekeys: Vec<OperationView>,
    /// Key providers.
    pub providers: Vec<KeyProviderView>,
}

impl EncryptionAtRestView {
    /// The view of `world`.
    pub fn of(world: &World) -> EncryptionAtRestView {
        let mut keys: Vec<MasterKeyView> = world.master_keys.values().map(MasterKeyView::of).collect();
        keys.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        let mut rekeys: Vec<OperationView> = world
            .operations
            .values()
            .filter(|op| matches!(op.kind, OperationKind::RekeyMasterKey { .. }))
            .map(|op| OperationView::of(world, op))
            .collect();
        rekeys.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
        EncryptionAtRestView {
            current: world.active_master_key().map(MasterKeyView::of),
            keys,
            rekeys,
            providers: KeyProviderView::all(world),
        }
    }
}

/// A key the vault generates itself (the data plane's create).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerateKeyRequest {
    /// Key name.
    pub name: String,
    /// RSA, RSA-HSM or EC.
    pub key_type: KeyType,
    /// Bits: 2048, 3072 or 4096 for RSA, 256 for EC.
    pub size: u16,
    /// The first version's attributes.
    pub attributes: VersionAttributes,
}

/// An RSA private key as a JSON Web Key (RFC 7518 section 6.3): each number big-endian,
/// base64url without padding.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RsaJsonWebKey {
    /// Modulus.
    pub n: String,
    /// Public exponent.
    pub e: String,
    /// Private exponent.
    pub d: String,
    /// First prime.
    pub p: String,
    /// Second prime.
    pub q: String,
}

impl std::fmt::Debug for RsaJsonWebKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaJsonWebKey").field("n", &self.n).field("e", &self.e).finish_non_exhaustive()
    }
}

/// Import an RSA private key given as a JSON Web Key (the data plane's import, over TLS).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportJsonWebKeyRequest {
    /// RSA or RSA-HSM.
    pub key_type: KeyType,
    /// The private key.
    pub jwk: RsaJsonWebKey,
    /// The version's attributes.
    pub attributes: VersionAttributes,
}

/// Wrap or unwrap bytes with one key version.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyOperationRequest {
    /// The algorithm; Keyblade offers RSA-OAEP-256.
    pub algorithm: String,
    /// The input, base64url without padding.
    pub value: String,
}

/// What a wrap or unwrap gave.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyOperationResult {
    /// The version that did it.
    pub version: String,
    /// The output, base64url without padding.
    pub value: String,
}

impl std::fmt::Debug for KeyOperationResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyOperationResult").field("version", &self.version).finish_non_exhaustive()
    }
}

/// One file of a certificate share.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateFile {
    /// Its path in the share, `Certificates\AAD\<endpoint>\<name>.pfx` (`\` or `/`).
    pub path: String,
    /// The `.pfx` file, standard base64.
    pub content: String,
}

impl std::fmt::Debug for CertificateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateFile").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Start a secret rotation, with the parameters of the cmdlet it reproduces.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StartSecretRotationRequest {
    /// Rotate the internal secrets (from 1811: only them).
    #[serde(default)]
    pub internal: bool,
    /// Repeat the run that failed.
    #[serde(default)]
    pub re_run: bool,
    /// The share the files come from, as the operator names it (shown in the run history).
    #[serde(default)]
    pub pfx_files_path: String,
    /// The share's files, uploaded with the request.
    #[serde(default)]
    pub pfx_files: Vec<CertificateFile>,
    /// The one password of every `.pfx` file.
    #[serde(default)]
    pub certificate_password: Option<String>,
}

impl std::fmt::Debug for StartSecretRotationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartSecretRotationRequest")
            .field("internal", &self.internal)
            .field("re_run", &self.re_run)
            .field("pfx_files", &self.pfx_files)
            .finish_non_exhaustive()
    }
}

/// Update the baseboard management controller credential of every server.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SetBmcCredentialRequest {
    /// The new user name (at most 16 characters); none keeps the current one.
    #[serde(default)]
    pub bmc_user: Option<String>,
    /// The new password (required).
    pub bmc_password: String,
}

impl std::fmt::Debug for SetBmcCredentialRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetBmcCredentialRequest").field("bmc_user", &self.bmc_user).finish_non_exhaustive()
    }
}

/// A stamp as the Secrets blade shows it: no secret value, only what each secret is, when it
/// expires and who issued it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StampView {
    /// Name.
    pub name: String,
    /// Version (1803, 1811, 1903...).
    pub version: u16,
    /// Identity provider.
    pub identity_provider: crate::model::IdentityProvider,
    /// The enterprise CA used at deployment.
    pub deployment_authority: String,
    /// Internal secrets.
    pub internal_secrets: Vec<SecretView>,
    /// External endpoint certificates.
    pub certificates: Vec<SecretView>,
    /// Raised alerts.
    pub alerts: Vec<StampAlertView>,
    /// Completed rotation runs.
    pub rotations: u32,
    /// The scope of the last run when it failed: only a re-run of it may follow.
    pub failed_run: Option<crate::model::RotationScope>,
    /// The baseboard management controllers' user name.
    pub bmc_user: String,
    /// The certificate authority change table for this stamp's version.
    pub authority_changes: Vec<AuthorityChangeView>,
    /// Its rotation runs, newest first.
    pub runs: Vec<OperationView>,
}

/// One secret of the inventory.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretView {
    /// A secret's name, or an endpoint's folder name.
    pub name: String,
    /// "Service account password", "Internal certificate" or "External certificate".
    pub kind: String,
    /// The host an endpoint certificate must cover.
    pub host: Option<String>,
    /// Who issued a certificate ("Self-signed", "Enterprise CA", "Public CA").
    pub issuer_kind: Option<crate::model::IssuerKind>,
    /// The issuer's common name.
    pub issuer: Option<String>,
    /// Expires at.
    pub expires: Timestamp,
    /// Whole days left at the time of the answer (negative once expired).
    pub days_left: i64,
    /// A certificate's SHA-256 thumbprint.
    pub thumbprint: String,
}

/// A raised alert.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StampAlertView {
    /// Which alert.
    pub kind: crate::model::StampAlertKind,
    /// Its title.
    pub title: String,
    /// The secret or endpoint.
    pub secret: String,
    /// When the secret expires.
    pub expires: Timestamp,
    /// When it was raised.
    pub raised: Timestamp,
}

/// One row of the certificate authority change table.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorityChangeView {
    /// The installed certificates' issuer.
    pub from: crate::model::IssuerKind,
    /// The new certificates' issuer.
    pub to: crate::model::IssuerKind,
    /// Whether this stamp's version allows it (for an enterprise CA: another one than at deployment).
    pub supported: bool,
    /// The rule, in words.
    pub rule: String,
}

/// A certificate share made for rehearsal.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateShareRequest {
    /// Who issues its certificates.
    pub issuer: crate::ops::ShareIssuer,
    /// Days they are valid from now (0 makes expired ones).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3650))]
    pub days: i64,
    /// The password of every `.pfx` file.
    pub password: String,
}

impl StampView {
    /// The inventory of `stamp` at `now`, and whether its last run failed.
    pub fn of(world: &World, stamp: &crate::model::Stamp, now: Timestamp) -> StampView {
        use crate::model::{InternalSecretKind, IssuerKind};
        let days_left = |at: Timestamp| (at.0 - now.0).div_euclid(86_400);
        let internal = stamp.internal_secrets.iter().map(|s| SecretView {
            name: s.name.clone(),
            kind: match s.kind {
                InternalSecretKind::ServiceAccountPassword => "Service account password",
                InternalSecretKind::Certificate => "Internal certificate",
            }
            .to_owned(),
            host: None,
            issuer_kind: None,
            issuer: None,
            expires: s.not_after,
            days_left: days_left(s.not_after),
            thumbprint: s.thumbprint.clone(),
        });
        let certificates = stamp.certificates.iter().map(|c| SecretView {
            name: c.endpoint.folder().to_owned(),
            kind: "External certificate".to_owned(),
            host: Some(c.endpoint.host(&stamp.region, &stamp.external_domain)),
            issuer_kind: Some(c.issuer_kind),
            issuer: Some(c.issuer.clone()),
            expires: c.not_after,
            days_left: days_left(c.not_after),
            thumbprint: c.thumbprint.clone(),
        });
        let alerts = stamp.alerts.iter().map(|a| StampAlertView {
            kind: a.kind,
            title: a.kind.label().to_owned(),
            secret: a.secret.clone(),
            expires: a.expires,
            raised: a.raised,
        });
        let kinds = [IssuerKind::SelfSigned, IssuerKind::Enterprise, IssuerKind::Public];
        let authority_changes = kinds
            .iter()
            .flat_map(|from| kinds.iter().map(move |to| (*from, *to)))
            .map(|(from, to)| {
                let verdict = crate::ops::authority_change(stamp, from, to, "another enterprise CA");
                AuthorityChangeView {
                    from,
                    to,
                    supported: verdict.is_ok(),
                    rule: crate::ops::authority_change_rule(from, to),
                }
            })
            .collect();
        StampView {
            name: stamp.name.clone(),
            version: stamp.version,
            identity_provider: stamp.identity_provider,
            deployment_authority: stamp.deployment_authority.clone(),
            internal_secrets: internal.collect(),
            certificates: certificates.collect(),
            alerts: alerts.collect(),
            rotations: stamp.rotations,
            failed_run: crate::ops::failed_run(world, &stamp.name),
            bmc_user: stamp.bmc_user.clone(),
            authority_changes,
            runs: {
                let subject = crate::model::Subject::Stamp { stamp: stamp.name.clone() };
                let mut runs: Vec<&Operation> =
                    world.operations.values().filter(|op| op.subject == subject).collect();
                runs.sort_by_key(|op| std::cmp::Reverse(op.handle));
                runs.into_iter().map(|op| OperationView::of(world, op)).collect()
            },
        }
    }
}

/// Add a stamp.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateStampRequest {
    /// Name: 3-24 letters, digits and hyphens, starting with a letter.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 24, pattern = "^[A-Za-z][A-Za-z0-9-]*$")
    )]
    pub name: String,
    /// Version: 1802, 1803, 1809, 1811, 1903 or 2002.
    #[cfg_attr(feature = "openapi", schema(schema_with = stamp_version_schema))]
    pub version: u16,
    /// Identity provider.
    pub identity_provider: crate::model::IdentityProvider,
}

/// Update a stamp to a later version.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateStampRequest {
    /// The version to update to.
    #[cfg_attr(feature = "openapi", schema(schema_with = stamp_version_schema))]
    pub version: u16,
}

/// The stamp versions Keyblade models, as the API document states them.
#[cfg(feature = "openapi")]
fn stamp_version_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some(crate::ops::STAMP_VERSIONS)).build()
}
