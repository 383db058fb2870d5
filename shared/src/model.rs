//! The domain model: every entity of the simulated cloud, held in one [`World`].
//!
//! Everything here is plain data. Maps are `BTreeMap`/`BTreeSet` so that serialising the same
//! world always yields the same bytes (the backend stores it; the offline demo persists it).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::code::ErrorCode;
pub use crate::crypto::PublicKeyMaterial;
use crate::crypto::{ImportKey, Sealed};

mod access;
mod stamp;
pub use access::*;
pub use stamp::*;

/// Seconds since the Unix epoch. The crate never reads the clock: callers pass `now` in.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Seconds in a day, the unit of vault retention.
    pub const DAY: i64 = 86_400;

    /// This instant moved forward by whole days (saturating, never panics).
    pub fn plus_days(self, days: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(days.saturating_mul(Self::DAY)))
    }

    /// This instant moved forward by calendar months, in UTC; a day past the end of the target
    /// month becomes its last day (31 January + 1 month = 28 or 29 February).
    pub fn plus_months(self, months: u32) -> Timestamp {
        let days = self.0.div_euclid(Self::DAY);
        let seconds = self.0.rem_euclid(Self::DAY);
        let (year, month, day) = civil_from_days(days);
        let index = i64::from(month - 1) + i64::from(months);
        let (year, month) = (year + index.div_euclid(12), (index.rem_euclid(12) + 1) as u32);
        let day = day.min(days_in_month(year, month));
        Timestamp(days_from_civil(year, month, day) * Self::DAY + seconds)
    }

    /// RFC 3339 in UTC, to the second: `2026-12-01T09:30:00Z`.
    pub fn rfc3339(self) -> String {
        let (year, month, day) = civil_from_days(self.0.div_euclid(Self::DAY));
        let s = self.0.rem_euclid(Self::DAY);
        format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
    }
}

// Calendar arithmetic on the proleptic Gregorian calendar (H. Hinnant's algorithms).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Which cloud the portal imitates; decides the allowed key vault host suffix.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cloud {
    /// `*.vault.azure.net`
    #[default]
    Public,
    /// `*.vault.usgovcloudapi.net`
    Government,
}

impl Cloud {
    /// The DNS suffix every key vault host must carry in this cloud.
    pub fn vault_host_suffix(self) -> &'static str {
        match self {
            Cloud::Public => ".vault.azure.net",
            Cloud::Government => ".vault.usgovcloudapi.net",
        }
    }

    /// The key URL the portal shows after Save.
    pub fn key_url(self, vault: &str, key: &str, version: &str) -> String {
        format!("https://{vault}{}/keys/{key}/{version}", self.vault_host_suffix())
    }
}

/// A directory (tenant) that subscriptions, vaults and identities belong to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    /// Tenant id (hex).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A subscription. It can be moved to another tenant; `original_tenant_id` remembers where it
/// came from so the move can be reverted (one of the documented remedies).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    /// Subscription id (hex).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The tenant it lives in now.
    pub tenant_id: String,
    /// The tenant it was created in.
    pub original_tenant_id: String,
}

/// A resource group inside a subscription.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceGroup {
    /// Unique name.
    pub name: String,
    /// Owning subscription.
    pub subscription_id: String,
    /// Default region of the group.
    pub region: String,
}

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
    /// [`crate::ops::vault_addresses`]) or when all of them were taken.
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

impl World {
    /// `(vault, key)` of every key in a live vault that `wanted` picks.
    pub fn keys_where(&self, wanted: impl Fn(&KeyVault, &Key) -> bool) -> Vec<(String, String)> {
        self.vaults
            .values()
            .filter(|v| v.is_live())
            .flat_map(|v| v.keys.values().filter(|k| wanted(v, k)).map(|k| (v.name.clone(), k.name.clone())))
            .collect()
    }

    /// Every resource registered with a key: orders whose customer-managed key it is (with the
    /// version their passkey is wrapped under), then the external registrations.
    pub fn registrations_of(&self, vault: &str, key: &str) -> Vec<(RewrapTarget, String)> {
        let orders = self.orders.values().filter_map(|o| match (&o.encryption, &o.passkey) {
            (
                EncryptionSettings::CustomerManaged(ck),
                WrappedPasskey::ByCustomerKey { vault: v, key: k, version, .. },
            ) if ck.vault == vault && ck.key == key && v == vault && k == key => {
                Some((RewrapTarget::Order { id: o.id.clone(), name: o.name.clone() }, version.clone()))
            }
            _ => None,
        });
        let external = self
            .vaults
            .get(vault)
            .and_then(|v| v.keys.get(key))
            .map(|k| k.registrations.clone())
            .unwrap_or_default()
            .into_iter()
            .map(|r| (RewrapTarget::External { resource: r.resource }, r.key_version));
        orders.chain(external).collect()
    }

    /// The principal id an identity choice of `order` resolves to, if the identity exists.
    pub fn principal_of(&self, order: &Order, identity: &IdentityChoice) -> Option<String> {
        match identity {
            IdentityChoice::SystemAssigned => order.system_identity.as_ref().map(|i| i.principal_id.clone()),
            IdentityChoice::UserAssigned { identity_id } => {
                self.identities.get(identity_id).map(|i| i.principal_id.clone())
            }
        }
    }
}

/// The entities of one kind, by id: a persistent map, so cloning a world costs nothing and a
/// change copies only the path to the entity it changes (and the entity, once). Each table also
/// keeps a journal of the ids changed since it was last [settled](Table::settled), so what a write
/// must store is known without looking at the other entities: a write costs what it changes,
/// not what is stored.
#[derive(Clone, Debug)]
pub struct Table<T> {
    entities: imbl::OrdMap<Arc<str>, Arc<T>>,
    /// Ids inserted, changed or removed since the table was settled.
    touched: imbl::OrdSet<Arc<str>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { entities: imbl::OrdMap::new(), touched: imbl::OrdSet::new() }
    }
}

/// Tables are equal when they hold the same entities, whatever their journals say.
impl<T: PartialEq> PartialEq for Table<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl<T> Table<T> {
    /// The entity with this id.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.entities.get(id).map(|e| &**e)
    }

    /// Whether an entity has this id.
    pub fn contains_key(&self, id: &str) -> bool {
        self.entities.contains_key(id)
    }

    /// Adds or replaces an entity.
    pub fn insert(&mut self, id: String, entity: T) {
        let id: Arc<str> = Arc::from(id);
        self.touched.insert(id.clone());
        self.entities.insert(id, Arc::new(entity));
    }

    /// Removes an entity; `None` if there was none.
    pub fn remove(&mut self, id: &str) -> Option<Arc<T>> {
        let (id, entity) = self.entities.remove_with_key(id)?;
        self.touched.insert(id);
        Some(entity)
    }

    /// The entities, in id order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.entities.values().map(|e| &**e)
    }

    /// The ids, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entities.keys().map(|k| &**k)
    }

    /// (id, entity) pairs, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &T)> {
        self.entities.iter().map(|(k, e)| (&**k, &**e))
    }

    /// How many entities there are.
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// The same entities with an empty journal: the state a store holds as stored.
    pub fn settled(&self) -> Table<T> {
        Table { entities: self.entities.clone(), touched: imbl::OrdSet::new() }
    }

    /// What changed since the table was settled: entities added or replaced, and ids removed.
    /// Proportional to the number of changes, not of entities.
    pub fn changes(&self) -> TableChanges<'_, T> {
        let mut changes = TableChanges { upserts: Vec::new(), removed: Vec::new() };
        for id in &self.touched {
            match self.entities.get(&**id) {
                Some(entity) => changes.upserts.push((&**id, &**entity)),
                None => changes.removed.push(&**id),
            }
        }
        changes
    }
}

impl<T: Clone> Table<T> {
    /// The entity with this id, to change (a copy when another world shares it).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        let (key, _) = self.entities.get_key_value(id)?;
        self.touched.insert(key.clone());
        self.entities.get_mut(id).map(Arc::make_mut)
    }
}

/// What [`Table::changes`] found.
#[derive(Debug)]
pub struct TableChanges<'a, T> {
    /// Entities added or changed.
    pub upserts: Vec<(&'a str, &'a T)>,
    /// Ids removed.
    pub removed: Vec<&'a str>,
}

impl<T, const N: usize> From<[(String, T); N]> for Table<T> {
    fn from(entries: [(String, T); N]) -> Self {
        entries.into_iter().collect()
    }
}

/// A table built from entries journals every one of them as changed: nothing of it is stored.
impl<T> FromIterator<(String, T)> for Table<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(entries: I) -> Self {
        let mut table = Table::default();
        for (id, entity) in entries {
            let id: Arc<str> = Arc::from(id);
            table.touched.insert(id.clone());
            table.entities.insert(id, Arc::new(entity));
        }
        table
    }
}

impl<T: Serialize> Serialize for Table<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Table<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = BTreeMap::<String, T>::deserialize(deserializer)?;
        Ok(entries.into_iter().collect())
    }
}

impl World {
    /// The master key in use: the one that seals.
    pub fn active_master_key(&self) -> Option<&MasterKeyRecord> {
        self.master_keys.values().find(|k| k.state == MasterKeyState::Active)
    }

    /// The same world with every table's journal emptied: the state a store holds as stored.
    pub fn settled(&self) -> World {
        World {
            cloud: self.cloud,
            tenants: self.tenants.settled(),
            subscriptions: self.subscriptions.settled(),
            resource_groups: self.resource_groups.settled(),
            vaults: self.vaults.settled(),
            import_keys: self.import_keys.settled(),
            identities: self.identities.settled(),
            orders: self.orders.settled(),
            operations: self.operations.settled(),
            device_managers: self.device_managers.settled(),
            devices: self.devices.settled(),
            api_keys: self.api_keys.settled(),
            master_keys: self.master_keys.settled(),
            key_providers: self.key_providers.settled(),
            stamps: self.stamps.settled(),
            accounts: self.accounts.settled(),
            role_assignments: self.role_assignments.settled(),
            audit: self.audit.clone(),
        }
    }
}

/// Everything the engine knows. Operations take a world and return a new one.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct World {
    /// Which cloud's host names apply.
    pub cloud: Cloud,
    /// Tenants by id.
    pub tenants: Table<Tenant>,
    /// Subscriptions by id.
    pub subscriptions: Table<Subscription>,
    /// Resource groups by name.
    pub resource_groups: Table<ResourceGroup>,
    /// Vaults by name, including soft-deleted ones and purged tombstones.
    pub vaults: Table<KeyVault>,
    /// Each vault's import (key-exchange) key, by vault name.
    pub import_keys: Table<ImportKey>,
    /// User-assigned identities by id.
    pub identities: Table<UserIdentity>,
    /// Orders by id.
    pub orders: Table<Order>,
    /// Long-running operations by id, running and finished.
    #[serde(default)]
    pub operations: Table<Operation>,
    /// Device managers by name.
    #[serde(default)]
    pub device_managers: Table<DeviceManager>,
    /// Devices by `manager/device`.
    #[serde(default)]
    pub devices: Table<Device>,
    /// API keys scripts exchange for access tokens, by id.
    #[serde(default)]
    pub api_keys: Table<ApiKey>,
    /// The master keys that seal secrets at rest, current and past, by id.
    #[serde(default)]
    pub master_keys: Table<MasterKeyRecord>,
    /// External key providers that can keep the master key, by id (decimal).
    #[serde(default)]
    pub key_providers: Table<KeyProvider>,
    /// Stamps and their infrastructure secrets, by name.
    #[serde(default)]
    pub stamps: Table<Stamp>,
    /// Human accounts by name (their passwords are the server's, never the world's).
    #[serde(default)]
    pub accounts: Table<Account>,
    /// Who holds which role where, by id.
    #[serde(default)]
    pub role_assignments: Table<RoleAssignment>,
    /// The audit trail. Only the service layer appends to it (no operation touches it), and the
    /// server's store chains each entry onto the stored log as it commits.
    #[serde(default)]
    pub audit: crate::audit::AuditTrail,
}

/// How a master key is kept (Element's `keyManagementType`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum KeyManagement {
    /// Kept by Keyblade, sealed under the instance's root key.
    Internal,
    /// Kept wrapped by an external key provider, which must be reachable to open it.
    External,
}

/// Where a master key is in its life.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MasterKeyState {
    /// Seals new secrets.
    Active,
    /// Replaced by a rekey in progress: still opens what it sealed until that is rewrapped.
    Retiring,
    /// Nothing uses it any more; its material is destroyed.
    Decommissioned,
}

/// A master key: what seals every secret at rest. Its material is never stored in plaintext.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MasterKeyRecord {
    /// Id (a UUID, as Element reports `keyID`).
    pub id: String,
    /// How it is kept.
    pub management: KeyManagement,
    /// The key provider keeping it (External only).
    pub provider: Option<u32>,
    /// Created.
    pub created: Timestamp,
    /// Where it is in its life.
    pub state: MasterKeyState,
    /// When it was decommissioned.
    pub decommissioned: Option<Timestamp>,
    /// The key, wrapped; `None` once decommissioned.
    pub wrapped: Option<WrappedMasterKey>,
}

/// A master key as stored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum WrappedMasterKey {
    /// Sealed under the instance's root key (Internal).
    Root {
        /// The sealed key.
        sealed: Sealed,
    },
    /// Wrapped by the key provider's root key (External); only the provider can unwrap it.
    Provider {
        /// The provider's ciphertext, as it returned it.
        ciphertext: String,
    },
}

/// A Key Protect-compatible service that keeps a master key wrapped under one of its root keys.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct KeyProvider {
    /// Id (Element's `keyProviderID`).
    pub id: u32,
    /// Name, unique.
    pub name: String,
    /// Base URL of the service (its `/api/v2` and `/identity/token` are under it).
    pub url: String,
    /// The service instance (sent as `Bluemix-Instance`).
    pub instance: String,
    /// The root key that wraps the master key.
    pub root_key_id: String,
    /// The API key Keyblade signs in with, sealed under the root key: the provider must be
    /// reachable before any master key can be opened.
    pub api_key: Sealed,
    /// Created.
    pub created: Timestamp,
}

/// A credential scripts exchange for access tokens (an IAM API key in Key Protect terms).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// Id (hex).
    pub id: String,
    /// What it is for.
    pub name: String,
    /// SHA-256 of the secret, hex: the secret is shown once, when created, and never stored.
    pub secret_sha256: String,
    /// Created.
    pub created: Timestamp,
    /// Revoked: it no longer gets tokens, and its tokens no longer work.
    pub revoked: Option<Timestamp>,
    /// The identity (principal id) it is the client secret of; `None`: it is a service
    /// principal of its own.
    #[serde(default)]
    pub identity: Option<String>,
}

impl ApiKey {
    /// The one principal its tokens may name.
    pub fn principal(&self) -> Principal {
        match &self.identity {
            Some(principal_id) => Principal::Identity(principal_id.clone()),
            None => Principal::ApiKey(self.id.clone()),
        }
    }
}

/// What a failure, a fix or an operation is about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// An order (its encryption settings, identities or passkey).
    Order {
        /// Order id.
        id: String,
    },
    /// A key vault.
    Vault {
        /// Vault name.
        vault: String,
    },
    /// A key in a vault.
    Key {
        /// Vault name.
        vault: String,
        /// Key name.
        key: String,
    },
    /// A device manager (its service data encryption key).
    DeviceManager {
        /// Manager name.
        manager: String,
    },
    /// A device registered with a device manager.
    Device {
        /// Manager name.
        manager: String,
        /// Device name.
        device: String,
    },
    /// The instance's encryption at rest (its master key and key providers).
    EncryptionAtRest,
    /// A stamp (its infrastructure secrets).
    Stamp {
        /// Stamp name.
        stamp: String,
    },
}

impl Subject {
    /// A short label for people ("order DataBox-Order-01", "key vault contoso-kv").
    pub fn label(&self, world: &World) -> String {
        match self {
            Subject::Order { id } => {
                format!("order {}", world.orders.get(id).map_or(id.as_str(), |o| o.name.as_str()))
            }
            Subject::Vault { vault } => format!("key vault {vault}"),
            Subject::Key { vault, key } => format!("key {key} in {vault}"),
            Subject::DeviceManager { manager } => format!("device manager {manager}"),
            Subject::Device { manager, device } => format!("device {device} of {manager}"),
            Subject::EncryptionAtRest => "encryption at rest".to_string(),
            Subject::Stamp { stamp } => format!("stamp {stamp}"),
        }
    }

    /// Its API path, as the audit trail names subjects (`vaults/contoso-kv/keys/databox-key`).
    pub fn path(&self) -> String {
        match self {
            Subject::Order { id } => format!("orders/{id}"),
            Subject::Vault { vault } => format!("vaults/{vault}"),
            Subject::Key { vault, key } => format!("vaults/{vault}/keys/{key}"),
            Subject::DeviceManager { manager } => format!("managers/{manager}"),
            Subject::Device { manager, device } => format!("managers/{manager}/devices/{device}"),
            Subject::EncryptionAtRest => "encryption-at-rest".to_string(),
            Subject::Stamp { stamp } => format!("stamps/{stamp}"),
        }
    }
}

/// What a long-running operation does.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OperationKind {
    /// Provision a key vault: generate its import key, then open it for keys.
    ProvisionVault {
        /// Vault name.
        vault: String,
    },
    /// Change a device manager's service data encryption key: re-encrypt every device's data
    /// under the new key, then hand the key to the service.
    RollOverServiceKey {
        /// Device manager name.
        manager: String,
        /// The new key's version.
        version: u32,
    },
    /// Rewrap every resource registered with a key onto its new version, one resource per step.
    RewrapRegistrations {
        /// Vault name.
        vault: String,
        /// Key name.
        key: String,
        /// The version to rewrap onto.
        version: String,
        /// The resources, in step order.
        targets: Vec<RewrapTarget>,
    },
    /// Rekey the master key: create a new one, rewrap every sealed secret under it, then
    /// decommission the old one.
    RekeyMasterKey {
        /// How the new key is kept.
        management: KeyManagement,
        /// Its key provider (External).
        provider: Option<u32>,
        /// The new key's id.
        new_key: String,
        /// The key it replaces.
        old_key: String,
        /// Secrets rewrapped per turn: each turn is one commit, so reads and writes go on in
        /// between.
        batch: u32,
    },
    /// Rotate a stamp's secrets: internal ones, external certificates (validated before the run
    /// started and waiting as the stamp's pending certificates), or both.
    RotateSecrets {
        /// Stamp name.
        stamp: String,
        /// What the run rotates.
        scope: RotationScope,
        /// A re-run of a failed run.
        re_run: bool,
        /// The endpoints whose certificates it applies, in step order.
        endpoints: Vec<StampEndpoint>,
    },
}

/// A resource a rotation rewraps.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RewrapTarget {
    /// An order: its passkey is rewrapped.
    Order {
        /// Order id.
        id: String,
        /// Order name, for people.
        name: String,
    },
    /// A resource outside Keyblade registered through the API.
    External {
        /// Its name.
        resource: String,
    },
}

impl RewrapTarget {
    /// The label a step or a registration shows.
    pub fn label(&self) -> String {
        match self {
            RewrapTarget::Order { name, .. } => format!("order {name}"),
            RewrapTarget::External { resource } => resource.clone(),
        }
    }
}

impl OperationKind {
    /// The label the activity pane shows.
    pub fn label(&self) -> String {
        match self {
            OperationKind::ProvisionVault { vault } => format!("Create key vault {vault}"),
            OperationKind::RollOverServiceKey { manager, version } => {
                format!("Change the service data encryption key of {manager} (version {version})")
            }
            OperationKind::RewrapRegistrations { key, targets, .. } => {
                format!("Rewrap {} resource(s) onto the new version of {key}", targets.len())
            }
            OperationKind::RekeyMasterKey { management: KeyManagement::Internal, .. } => {
                "Rekey the master key (Internal)".to_string()
            }
            OperationKind::RekeyMasterKey { provider, .. } => {
                format!("Rekey the master key (External, key provider {})", provider.unwrap_or_default())
            }
            OperationKind::RotateSecrets { stamp, scope, re_run, .. } => {
                let what = match scope {
                    RotationScope::Internal => "internal secrets",
                    RotationScope::External => "external certificates",
                    RotationScope::InternalAndExternal => "internal secrets and external certificates",
                };
                format!("Rotate the {what} of stamp {stamp}{}", if *re_run { " (re-run)" } else { "" })
            }
        }
    }

    /// Whether a failed step leaves the other steps to run: they touch independent resources,
    /// and each failure is reported on its own step.
    pub fn steps_independent(&self) -> bool {
        matches!(self, OperationKind::RewrapRegistrations { .. })
    }
}

/// Where an operation stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OperationState {
    /// Steps remain.
    Running,
    /// Every step is done.
    Succeeded,
    /// A step failed; the steps before it stay done.
    Failed,
}

/// Where one step stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StepState {
    /// Not started.
    Pending,
    /// Done.
    Done,
    /// Failed.
    Failed,
}

/// One step of an operation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationStep {
    /// What the step does, for people.
    pub label: String,
    /// Its state.
    pub state: StepState,
    /// Why it failed, for operations whose steps fail one by one (a rewrap of many resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<OperationError>,
    /// How far a step that takes many turns has got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<StepProgress>,
}

/// How far a step that works through many items has got.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepProgress {
    /// Items done.
    pub done: u32,
    /// Items in all.
    pub total: u32,
}

/// Which runner works on an operation, and until when its claim holds. A runner that died
/// loses the claim when `until` passes; another runner (or the same one restarted) takes over.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Claim {
    /// The runner's instance id.
    pub holder: String,
    /// Claim expiry.
    pub until: Timestamp,
}

/// A long-running operation: the handle clients follow.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Operation {
    /// The handle (hex).
    pub id: String,
    /// What it does.
    pub kind: OperationKind,
    /// What it is about.
    pub subject: Subject,
    /// Where it stands.
    pub state: OperationState,
    /// Its steps, in order.
    pub steps: Vec<OperationStep>,
    /// The failure's code and message, when it failed.
    pub error: Option<OperationError>,
    /// Started.
    pub started: Timestamp,
    /// Finished (succeeded or failed).
    pub finished: Option<Timestamp>,
    /// The runner working on it.
    pub claim: Option<Claim>,
    /// A small number naming it in the Element JSON-RPC API (`asyncHandle`).
    #[serde(default)]
    pub handle: u64,
    /// Its result was read through the Element API without `keepResult`: that handle is gone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub handle_released: bool,
}

/// Why an operation failed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationError {
    /// The catalog code.
    pub code: ErrorCode,
    /// What went wrong.
    pub message: String,
}

impl Operation {
    /// The first step not done yet, while running.
    pub fn next_step(&self) -> Option<usize> {
        if self.state != OperationState::Running {
            return None;
        }
        self.steps.iter().position(|s| s.state == StepState::Pending)
    }
}

/// A device manager: the service that manages a fleet of storage devices and sends them
/// confidential data (storage account credentials) encrypted with its service data encryption key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DeviceManager {
    /// Name (unique).
    pub name: String,
    /// Subscription it belongs to.
    pub subscription_id: String,
    /// Resource group.
    pub resource_group: String,
    /// Version of the current service data encryption key, from 1.
    pub key_version: u32,
    /// The current service data encryption key, sealed under the master key.
    pub key: Sealed,
    /// The device authorized to change the key, and when.
    pub authorization: Option<RolloverAuthorization>,
    /// A new key being rolled out (between initiating the change and the service taking it).
    pub pending: Option<PendingServiceKey>,
    /// The last completed change.
    pub last_change: Option<ServiceKeyChange>,
}

/// A device's authorization to change the service data encryption key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolloverAuthorization {
    /// Device name.
    pub device: String,
    /// When it was authorized.
    pub at: Timestamp,
}

/// A new service data encryption key on its way to the service.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PendingServiceKey {
    /// Its version.
    pub version: u32,
    /// The key, sealed under the master key.
    pub key: Sealed,
    /// The device that initiated the change.
    pub device: String,
    /// When.
    pub at: Timestamp,
}

/// A completed change of the service data encryption key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceKeyChange {
    /// The device that initiated it.
    pub device: String,
    /// When it was initiated.
    pub at: Timestamp,
    /// The key version it introduced.
    pub version: u32,
}

/// Physical device or cloud appliance.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeviceKind {
    /// A physical appliance in the customer's datacenter.
    Physical,
    /// A cloud appliance (virtual), updated all at once by the service.
    CloudAppliance,
}

/// A device registered with a device manager.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Device {
    /// Name (unique within its manager).
    pub name: String,
    /// Its manager.
    pub manager: String,
    /// Physical or cloud appliance.
    pub kind: DeviceKind,
    /// Model number.
    pub model: String,
    /// Whether it is connected to the service.
    pub online: bool,
    /// Free text set by management operations.
    pub description: String,
    /// The service data encryption key the device holds, sealed under the master key.
    pub key: Sealed,
    /// Its version.
    pub key_version: u32,
    /// The current key was entered while the device was offline: it takes it when back online.
    pub queued_update: bool,
    /// Confidential data the service sent it.
    pub credentials: Vec<StorageCredential>,
}

/// A storage account credential sent to a device, encrypted with the service data encryption key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StorageCredential {
    /// Storage account name.
    pub account: String,
    /// The access key, AES-256-GCM under the service data encryption key of `key_version`.
    pub secret: Sealed,
    /// Which key version encrypts it.
    pub key_version: u32,
}
