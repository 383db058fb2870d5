//! Key vaults and their keys: access policies, the firewall, key versions, rotation policies
//! and the registrations that tie a key to the resources it protects.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::crypto::{PublicKeyMaterial, Sealed};
use crate::time::Timestamp;

/// A key permission that an access policy can grant.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyPermission {
    /// Read key metadata.
    Get,
    /// List keys.
    List,
    /// Create keys.
    Create,
    /// Wrap a key (encrypt the passkey).
    WrapKey,
    /// Unwrap a key (decrypt the passkey).
    UnwrapKey,
    /// Delete keys.
    Delete,
    /// Recover soft-deleted keys.
    Recover,
    /// Purge soft-deleted keys.
    Purge,
}

impl KeyPermission {
    /// Every permission, in display order.
    pub const ALL: [KeyPermission; 8] = [
        KeyPermission::Get,
        KeyPermission::List,
        KeyPermission::Create,
        KeyPermission::WrapKey,
        KeyPermission::UnwrapKey,
        KeyPermission::Delete,
        KeyPermission::Recover,
        KeyPermission::Purge,
    ];
    /// What an order's identity needs on the key for the lifetime of the order.
    pub const REQUIRED_FOR_ORDER: [KeyPermission; 3] =
        [KeyPermission::Get, KeyPermission::WrapKey, KeyPermission::UnwrapKey];
}

/// The vault firewall. When enabled only trusted services (system-assigned identities) and the
/// listed identities get through.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Firewall {
    /// Whether the firewall filters access.
    pub enabled: bool,
    /// Principal ids allowed through even when enabled.
    pub allowed_identities: BTreeSet<String>,
}

/// A key vault. Keys, access policies and firewall live inside it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct KeyVault {
    /// Globally unique name (also the host label of its URI).
    pub name: String,
    /// Resource group it was created in.
    pub resource_group: String,
    /// Region.
    pub region: String,
    /// Tenant it belongs to (kept when the subscription moves).
    pub tenant_id: String,
    /// Soft delete: deleted vaults and keys stay recoverable for `retention_days`.
    pub soft_delete: bool,
    /// Days a soft-deleted vault or key stays recoverable (7-90).
    pub retention_days: u16,
    /// Once on, never off: purge is refused during retention.
    pub purge_protection: bool,
    /// Network filter.
    pub firewall: Firewall,
    /// Principal id -> key permissions.
    pub access_policies: BTreeMap<String, BTreeSet<KeyPermission>>,
    /// Keys by name (live and soft-deleted).
    pub keys: BTreeMap<String, Key>,
    /// When the vault was (soft-)deleted.
    pub deleted_at: Option<Timestamp>,
    /// Purged (or deleted without soft delete, or retention elapsed and purged): gone for good.
    /// Kept as a tombstone so diagnosis can say "not recoverable" rather than guess.
    pub purged: bool,
    /// The last octet N of the loopback address 127.0.0.N at which its data plane answers, given
    /// at creation; `None` for a vault made before addresses existed (see
    /// [`crate::model::vault_addresses`]) or when all of them were taken.
    #[serde(default)]
    pub address: Option<u8>,
    /// Azure's permission model switch: when on, the data plane asks role assignments instead
    /// of the access policy (`enableRbacAuthorization`).
    #[serde(default)]
    pub rbac_authorization: bool,
}

impl KeyVault {
    /// Live: not deleted and not purged.
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none() && !self.purged
    }

    /// Soft-deleted and still inside its retention window at `now`.
    pub fn is_recoverable(&self, now: Timestamp) -> bool {
        !self.purged && within_retention(self.deleted_at, self.retention_days, now)
    }

    /// The firewall rule: with the firewall on, only trusted services (system-assigned
    /// identities) and the identities listed in it get through.
    pub fn firewall_admits(&self, principal_id: &str, trusted_service: bool) -> bool {
        !self.firewall.enabled || trusted_service || self.firewall.allowed_identities.contains(principal_id)
    }

    /// The permissions granted to a principal (empty if none).
    pub fn permissions_of(&self, principal_id: &str) -> BTreeSet<KeyPermission> {
        self.access_policies.get(principal_id).cloned().unwrap_or_default()
    }
}

/// True when something deleted at `deleted_at` is still within `retention_days` at `now`.
pub fn within_retention(deleted_at: Option<Timestamp>, retention_days: u16, now: Timestamp) -> bool {
    deleted_at.is_some_and(|at| now < at.plus_days(i64::from(retention_days)))
}

/// Key type as the key vault names it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyType {
    /// Software-protected RSA.
    #[serde(rename = "RSA")]
    Rsa,
    /// HSM-protected RSA (simulated identically to RSA).
    #[serde(rename = "RSA-HSM")]
    RsaHsm,
    /// Elliptic curve (P-256). Exists so the "key type not supported" state can be produced.
    #[serde(rename = "EC")]
    Ec,
    /// Symmetric key. Listed for completeness; cannot be created here.
    #[serde(rename = "oct")]
    Oct,
}

impl KeyType {
    /// Whether an order can wrap its passkey with this type.
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyType::Rsa | KeyType::RsaHsm)
    }

    /// The label the portal shows.
    pub fn label(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::RsaHsm => "RSA-HSM",
            KeyType::Ec => "EC",
            KeyType::Oct => "oct",
        }
    }
}

/// An operation a key version allows.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum KeyOperation {
    /// RSA encrypt.
    Encrypt,
    /// RSA decrypt.
    Decrypt,
    /// Sign.
    Sign,
    /// Verify.
    Verify,
    /// Wrap a key.
    WrapKey,
    /// Unwrap a key.
    UnwrapKey,
}

/// A key in a vault; its material lives in versions.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Key {
    /// Name, unique in its vault.
    pub name: String,
    /// Key type.
    pub key_type: KeyType,
    /// RSA modulus bits, or 256 for P-256.
    pub size: u16,
    /// Versions, oldest first.
    pub versions: Vec<KeyVersion>,
    /// When the key was soft-deleted.
    pub deleted_at: Option<Timestamp>,
    /// Purged: gone for good.
    pub purged: bool,
    /// Its material came from outside Keyblade: it rotates only with new material the caller
    /// supplies, and cannot have a rotation policy.
    #[serde(default)]
    pub imported: bool,
    /// Automatic rotation, if set.
    #[serde(default)]
    pub rotation_policy: Option<RotationPolicy>,
    /// The last rotation (manual or by the policy).
    #[serde(default)]
    pub last_rotated: Option<Timestamp>,
    /// Resources outside Keyblade registered as protected by this key (orders are found from
    /// their encryption settings instead).
    #[serde(default)]
    pub registrations: Vec<Registration>,
}

/// A key's automatic rotation.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotationPolicy {
    /// Whether the policy rotates the key.
    pub enabled: bool,
    /// Months between rotations, 1 to 12.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 12))]
    pub interval_months: u8,
}

/// A resource outside Keyblade whose secret is wrapped by a key, as registered by its service.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registration {
    /// The resource's name (a CRN in Key Protect terms).
    pub resource: String,
    /// The key version its secret is wrapped under.
    pub key_version: String,
    /// While registered, the key cannot be deleted.
    pub prevent_key_deletion: bool,
    /// Free text.
    pub description: String,
    /// Registered at.
    pub created: Timestamp,
    /// Last changed (a rewrap moves `key_version`).
    pub updated: Timestamp,
}

impl Key {
    /// A new key with its first version; generated by Keyblade unless `imported`.
    pub fn new(name: &str, key_type: KeyType, size: u16, first: KeyVersion, imported: bool) -> Key {
        Key {
            name: name.to_string(),
            key_type,
            size,
            versions: vec![first],
            deleted_at: None,
            purged: false,
            imported,
            rotation_policy: None,
            last_rotated: None,
            registrations: Vec::new(),
        }
    }

    /// The key's stable id: its first version's id as a UUID (Key Protect names keys by UUID).
    pub fn id(&self) -> Option<String> {
        let hex = &self.versions.first()?.id;
        (hex.len() == 32).then(|| {
            format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
        })
    }

    /// When the key's policy rotates it next, if it has an enabled policy.
    pub fn next_rotation(&self) -> Option<Timestamp> {
        let policy = self.rotation_policy.filter(|p| p.enabled && !self.imported)?;
        let since = self.last_rotated.or_else(|| self.versions.first().map(|v| v.created))?;
        Some(since.plus_months(u32::from(policy.interval_months)))
    }

    /// The version new secrets are wrapped under: the newest one.
    pub fn current_version(&self) -> Option<&KeyVersion> {
        self.versions.last()
    }

    /// Live: not deleted and not purged.
    pub fn is_live(&self) -> bool {
        self.deleted_at.is_none() && !self.purged
    }

    /// A version by id.
    pub fn version(&self, id: &str) -> Option<&KeyVersion> {
        self.versions.iter().find(|v| v.id == id)
    }

    /// A version by id, mutable.
    pub fn version_mut(&mut self, id: &str) -> Option<&mut KeyVersion> {
        self.versions.iter_mut().find(|v| v.id == id)
    }
}

/// One version of a key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct KeyVersion {
    /// 32 lowercase hex characters.
    pub id: String,
    /// Disabled versions cannot wrap or unwrap.
    pub enabled: bool,
    /// Not usable before this instant.
    pub nbf: Option<Timestamp>,
    /// Not usable from this instant on.
    pub exp: Option<Timestamp>,
    /// Creation time.
    pub created: Timestamp,
    /// Public key.
    pub public_key: PublicKeyMaterial,
    /// PKCS#8 DER private key sealed under the master key. Never sent to a browser.
    pub sealed_private_key: Sealed,
    /// Allowed operations.
    pub key_ops: Vec<KeyOperation>,
    /// Retired by a rotation: still unwraps what it wrapped, never wraps again.
    #[serde(default)]
    pub decrypt_only: bool,
}

impl KeyVersion {
    /// Expired at `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.exp.is_some_and(|exp| exp <= now)
    }

    /// Not yet active at `now`.
    pub fn is_not_yet_active(&self, now: Timestamp) -> bool {
        self.nbf.is_some_and(|nbf| nbf > now)
    }
}
