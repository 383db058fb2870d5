//! The world: every table of entities, and the table type that tracks what changed.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{
    Account, ApiKey, Cloud, Device, DeviceManager, EncryptionSettings, IdentityChoice, Key, KeyProvider,
    KeyVault, MasterKeyRecord, MasterKeyState, Operation, Order, ResourceGroup, RewrapTarget, RoleAssignment,
    Stamp, Subject, Subscription, Tenant, UserIdentity, WrappedPasskey,
};
use crate::crypto::ImportKey;

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

    /// Makes the entity `id` what it is in `other` (there or not), sharing it, without
    /// journaling the change: how a store brings a settled table up to date with a write it
    /// knows was stored.
    pub fn adopt(&mut self, other: &Table<T>, id: &str) {
        match other.entities.get_key_value(id) {
            Some((id, entity)) => {
                self.entities.insert(id.clone(), entity.clone());
            }
            None => {
                self.entities.remove(id);
            }
        }
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

impl World {
    /// A short label for people ("order DataBox-Order-01", "key vault contoso-kv").
    pub fn subject_label(&self, subject: &Subject) -> String {
        match subject {
            Subject::Order { id } => {
                format!("order {}", self.orders.get(id).map_or(id.as_str(), |o| o.name.as_str()))
            }
            Subject::Vault { vault } => format!("key vault {vault}"),
            Subject::Key { vault, key } => format!("key {key} in {vault}"),
            Subject::DeviceManager { manager } => format!("device manager {manager}"),
            Subject::Device { manager, device } => format!("device {device} of {manager}"),
            Subject::EncryptionAtRest => "encryption at rest".to_string(),
            Subject::Stamp { stamp } => format!("stamp {stamp}"),
        }
    }
}

/// The last octets N of the loopback addresses 127.0.0.N a vault's data plane can have (127.0.0.1
/// is the portal's).
pub const VAULT_ADDRESSES: RangeInclusive<u8> = 2..=254;

/// Which vault answers at which address: the address each vault was given, and for vaults made
/// before addresses existed the lowest free ones, in name order. A vault keeps its address for
/// life, because a new vault only takes an address free in this map.
pub fn vault_addresses(world: &World) -> BTreeMap<u8, String> {
    let mut taken: BTreeMap<u8, String> =
        world.vaults.values().filter_map(|v| Some((v.address?, v.name.clone()))).collect();
    let free: Vec<u8> = VAULT_ADDRESSES.filter(|a| !taken.contains_key(a)).collect();
    let unassigned = world.vaults.values().filter(|v| v.address.is_none());
    for (address, vault) in free.into_iter().zip(unassigned) {
        taken.insert(address, vault.name.clone());
    }
    taken
}

/// The vault whose data plane answers at 127.0.0.`address`.
pub fn vault_at_address(world: &World, address: u8) -> Option<String> {
    vault_addresses(world).remove(&address)
}

/// The address of `vault`'s data plane.
pub fn address_of_vault(world: &World, vault: &str) -> Option<u8> {
    vault_addresses(world).into_iter().find(|(_, name)| name == vault).map(|(address, _)| address)
}
