//! Keys and their versions: creation, rotation, wrap and unwrap, registrations, and the key views.

use serde::{Deserialize, Serialize};

use crate::crypto::KeyTransfer;
use crate::model::{
    Cloud, Key, KeyOperation, KeyType, KeyVault, KeyVersion, PublicKeyMaterial, RewrapTarget, RotationPolicy,
};
use crate::time::Timestamp;

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
    /// Key type: RSA, RSA-HSM or EC (a symmetric key is a root key, made by its own route).
    #[cfg_attr(feature = "openapi", schema(schema_with = asymmetric_key_type_schema))]
    pub key_type: KeyType,
    /// RSA bits (2048, 3072, 4096) or 256 for EC P-256.
    #[cfg_attr(feature = "openapi", schema(schema_with = key_size_schema))]
    pub size: u16,
    /// First version's attributes.
    pub attributes: VersionAttributes,
    /// The key-transfer blob (section 5 of the spec).
    pub transfer: KeyTransfer,
}

/// The key types a key-transfer blob can carry.
#[cfg(feature = "openapi")]
fn asymmetric_key_type_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["RSA", "RSA-HSM", "EC"])).build()
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
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^(?:[A-Za-z0-9+/]{20}[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{32}|[A-Za-z0-9+/]{40}[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)$"
        )
    )]
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
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^(?:[A-Za-z0-9+/]{20}[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{32}|[A-Za-z0-9+/]{40}[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)$"
        )
    )]
    pub payload: Option<String>,
}

/// Wrap a data key under a key's current version.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WrapRequest {
    /// The data key, standard base64 (1 to 4096 bytes; an RSA-2048 key wraps at most 190, an
    /// RSA-3072 key 318, an RSA-4096 key 446); absent: Keyblade generates a 32-byte one and
    /// answers it too.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 4,
            max_length = 5464,
            pattern = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
        )
    )]
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
    /// A ciphertext a wrap of this key answered: standard base64 of the version's 16-byte id and
    /// the wrapped key.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 24,
            max_length = 8192,
            pattern = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
        )
    )]
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
