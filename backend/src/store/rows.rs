//! The engine's [`World`] as database rows: one table per entity kind, one row per entity,
//! the entity's JSON as the row body. Splitting the world lets a write touch (and version-check)
//! only the entities an operation changed.

use std::collections::BTreeMap;

use std::sync::Arc;

use serde::{Serialize, de::DeserializeOwned};
use shared::model::{self, World};

/// The tables holding the world, one per entity kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    WorldSettings,
    Tenants,
    Subscriptions,
    ResourceGroups,
    Vaults,
    ImportKeys,
    Identities,
    Orders,
    Operations,
    DeviceManagers,
    Devices,
    ApiKeys,
    MasterKeys,
    KeyProviders,
    Stamps,
    Accounts,
    RoleAssignments,
}

impl Table {
    pub const ALL: [Table; 17] = [
        Table::WorldSettings,
        Table::Tenants,
        Table::Subscriptions,
        Table::ResourceGroups,
        Table::Vaults,
        Table::ImportKeys,
        Table::Identities,
        Table::Orders,
        Table::Operations,
        Table::DeviceManagers,
        Table::Devices,
        Table::ApiKeys,
        Table::MasterKeys,
        Table::KeyProviders,
        Table::Stamps,
        Table::Accounts,
        Table::RoleAssignments,
    ];

    /// The table called `name` in SQL.
    pub fn named(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|table| table.name() == name)
    }

    /// The SQL table name. A closed set of constants, so it is safe to splice into SQL.
    pub fn name(self) -> &'static str {
        match self {
            Table::WorldSettings => "world_settings",
            Table::Tenants => "tenants",
            Table::Subscriptions => "subscriptions",
            Table::ResourceGroups => "resource_groups",
            Table::Vaults => "vaults",
            Table::ImportKeys => "import_keys",
            Table::Identities => "identities",
            Table::Orders => "orders",
            Table::Operations => "operations",
            Table::DeviceManagers => "device_managers",
            Table::Devices => "devices",
            Table::ApiKeys => "api_keys",
            Table::MasterKeys => "master_keys",
            Table::KeyProviders => "key_providers",
            Table::Stamps => "stamps",
            Table::Accounts => "user_accounts",
            Table::RoleAssignments => "role_assignments",
        }
    }
}

/// Where a row lives: its table and primary key (shared text, so copying keys is cheap).
pub type RowKey = (Table, Arc<str>);

/// Each stored row's optimistic-concurrency version (persistent: copying it costs nothing).
pub type Versions = imbl::OrdMap<RowKey, i64>;

/// Row bodies (JSON text) by table and id.
#[derive(Default, Debug, PartialEq)]
pub struct Rows(pub BTreeMap<RowKey, String>);

/// The id of the single row holding world-wide settings.
const CLOUD: &str = "cloud";

impl Rows {
    /// Splits a world into rows.
    pub fn from_world(world: &World) -> serde_json::Result<Rows> {
        let mut rows = Rows::default();
        rows.put(Table::WorldSettings, CLOUD, &world.cloud)?;
        rows.put_all(Table::Tenants, &world.tenants)?;
        rows.put_all(Table::Subscriptions, &world.subscriptions)?;
        rows.put_all(Table::ResourceGroups, &world.resource_groups)?;
        rows.put_all(Table::Vaults, &world.vaults)?;
        rows.put_all(Table::ImportKeys, &world.import_keys)?;
        rows.put_all(Table::Identities, &world.identities)?;
        rows.put_all(Table::Orders, &world.orders)?;
        rows.put_all(Table::Operations, &world.operations)?;
        rows.put_all(Table::DeviceManagers, &world.device_managers)?;
        rows.put_all(Table::Devices, &world.devices)?;
        rows.put_all(Table::ApiKeys, &world.api_keys)?;
        rows.put_all(Table::MasterKeys, &world.master_keys)?;
        rows.put_all(Table::KeyProviders, &world.key_providers)?;
        rows.put_all(Table::Stamps, &world.stamps)?;
        rows.put_all(Table::Accounts, &world.accounts)?;
        rows.put_all(Table::RoleAssignments, &world.role_assignments)?;
        Ok(rows)
    }

    /// Reassembles the world. A struct literal on purpose: a new `World` field fails to compile
    /// here until it has a table.
    pub fn to_world(&self) -> serde_json::Result<World> {
        Ok(World {
            cloud: self.get(Table::WorldSettings, CLOUD)?.unwrap_or_default(),
            tenants: self.get_all(Table::Tenants)?,
            subscriptions: self.get_all(Table::Subscriptions)?,
            resource_groups: self.get_all(Table::ResourceGroups)?,
            vaults: self.get_all(Table::Vaults)?,
            import_keys: self.get_all(Table::ImportKeys)?,
            identities: self.get_all(Table::Identities)?,
            orders: self.get_all(Table::Orders)?,
            operations: self.get_all(Table::Operations)?,
            device_managers: self.get_all(Table::DeviceManagers)?,
            devices: self.get_all(Table::Devices)?,
            api_keys: self.get_all(Table::ApiKeys)?,
            master_keys: self.get_all(Table::MasterKeys)?,
            key_providers: self.get_all(Table::KeyProviders)?,
            stamps: self.get_all(Table::Stamps)?,
            accounts: self.get_all(Table::Accounts)?,
            role_assignments: self.get_all(Table::RoleAssignments)?,
            // Not a table of entities: the store reads it on its own (see `SqliteStore::load_audit`).
            audit: Default::default(),
        })
    }

    fn put<T: Serialize>(&mut self, table: Table, id: &str, value: &T) -> serde_json::Result<()> {
        self.0.insert((table, Arc::from(id)), serde_json::to_string(value)?);
        Ok(())
    }

    fn put_all<T: Serialize>(&mut self, table: Table, items: &model::Table<T>) -> serde_json::Result<()> {
        items.iter().try_for_each(|(id, item)| self.put(table, id, item))
    }

    fn get<T: DeserializeOwned>(&self, table: Table, id: &str) -> serde_json::Result<Option<T>> {
        self.0.get(&(table, Arc::from(id))).map(|body| serde_json::from_str(body)).transpose()
    }

    fn get_all<T: DeserializeOwned>(&self, table: Table) -> serde_json::Result<model::Table<T>> {
        self.0
            .range((table, Arc::from(""))..)
            .take_while(|((t, _), _)| *t == table)
            .map(|((_, id), body)| Ok((id.to_string(), serde_json::from_str(body)?)))
            .collect()
    }
}

/// Makes the row `key` of `to` what it is in `from` (there or not), without journaling it.
pub fn adopt_row(to: &mut World, from: &World, (table, id): &RowKey) {
    match table {
        Table::WorldSettings => to.cloud = from.cloud,
        Table::Tenants => to.tenants.adopt(&from.tenants, id),
        Table::Subscriptions => to.subscriptions.adopt(&from.subscriptions, id),
        Table::ResourceGroups => to.resource_groups.adopt(&from.resource_groups, id),
        Table::Vaults => to.vaults.adopt(&from.vaults, id),
        Table::ImportKeys => to.import_keys.adopt(&from.import_keys, id),
        Table::Identities => to.identities.adopt(&from.identities, id),
        Table::Orders => to.orders.adopt(&from.orders, id),
        Table::Operations => to.operations.adopt(&from.operations, id),
        Table::DeviceManagers => to.device_managers.adopt(&from.device_managers, id),
        Table::Devices => to.devices.adopt(&from.devices, id),
        Table::ApiKeys => to.api_keys.adopt(&from.api_keys, id),
        Table::MasterKeys => to.master_keys.adopt(&from.master_keys, id),
        Table::KeyProviders => to.key_providers.adopt(&from.key_providers, id),
        Table::Stamps => to.stamps.adopt(&from.stamps, id),
        Table::Accounts => to.accounts.adopt(&from.accounts, id),
        Table::RoleAssignments => to.role_assignments.adopt(&from.role_assignments, id),
    }
}

/// What a commit must do to turn the stored rows into the new ones.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    /// New rows.
    pub inserts: Vec<(RowKey, String)>,
    /// Changed rows, with the version they were read at.
    pub updates: Vec<(RowKey, String, i64)>,
    /// Removed rows, with the version they were read at.
    pub deletes: Vec<(RowKey, i64)>,
    /// Rows the change was computed from that must still be at the version read: the master
    /// keys. A write computed before a rekey changed them could seal under a key on its way
    /// out, so it conflicts and runs again with the keys as they are.
    pub guards: Vec<(RowKey, i64)>,
}

impl Changes {
    /// What turns `before` (stored at `versions`) into `after`. Only the entities an operation
    /// changed are serialised (each table journals them, see [`model::Table::changes`]), so a
    /// write costs what it changed, not what is stored. `after` must derive from `before`.
    pub fn between(before: &World, versions: &Versions, after: &World) -> serde_json::Result<Changes> {
        let mut changes = Changes::default();
        if before.cloud != after.cloud {
            changes.upsert(
                versions,
                (Table::WorldSettings, Arc::from(CLOUD)),
                serde_json::to_string(&after.cloud)?,
            );
        }
        changes.table(Table::Tenants, versions, &after.tenants)?;
        changes.table(Table::Subscriptions, versions, &after.subscriptions)?;
        changes.table(Table::ResourceGroups, versions, &after.resource_groups)?;
        changes.table(Table::Vaults, versions, &after.vaults)?;
        changes.table(Table::ImportKeys, versions, &after.import_keys)?;
        changes.table(Table::Identities, versions, &after.identities)?;
        changes.table(Table::Orders, versions, &after.orders)?;
        changes.table(Table::Operations, versions, &after.operations)?;
        changes.table(Table::DeviceManagers, versions, &after.device_managers)?;
        changes.table(Table::Devices, versions, &after.devices)?;
        changes.table(Table::ApiKeys, versions, &after.api_keys)?;
        changes.table(Table::MasterKeys, versions, &after.master_keys)?;
        changes.table(Table::KeyProviders, versions, &after.key_providers)?;
        changes.table(Table::Stamps, versions, &after.stamps)?;
        changes.table(Table::Accounts, versions, &after.accounts)?;
        changes.table(Table::RoleAssignments, versions, &after.role_assignments)?;
        if !changes.is_empty() {
            let master_keys = versions
                .range((Table::MasterKeys, Arc::from(""))..)
                .take_while(|((table, _), _)| *table == Table::MasterKeys);
            for (key, version) in master_keys {
                if !changes.updates.iter().any(|(k, _, _)| k == key)
                    && !changes.deletes.iter().any(|(k, _)| k == key)
                {
                    changes.guards.push((key.clone(), *version));
                }
            }
        }
        Ok(changes)
    }

    fn table<T: Serialize>(
        &mut self,
        table: Table,
        versions: &Versions,
        after: &model::Table<T>,
    ) -> serde_json::Result<()> {
        let changed = after.changes();
        for (id, entity) in changed.upserts {
            self.upsert(versions, (table, Arc::from(id)), serde_json::to_string(entity)?);
        }
        for id in changed.removed {
            let key = (table, Arc::from(id));
            // Added and removed again within the operation: nothing stored, nothing to delete.
            if let Some(version) = versions.get(&key).copied() {
                self.deletes.push((key, version));
            }
        }
        Ok(())
    }

    fn upsert(&mut self, versions: &Versions, key: RowKey, body: String) {
        match versions.get(&key) {
            Some(version) => self.updates.push((key, body, *version)),
            None => self.inserts.push((key, body)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty() && self.updates.is_empty() && self.deletes.is_empty()
    }

    /// The versions after this commit succeeded.
    /// Each row this change writes, with its version once stored (`None`: deleted).
    pub fn written(&self) -> Vec<(RowKey, Option<i64>)> {
        let inserted = self.inserts.iter().map(|(key, _)| (key.clone(), Some(1)));
        let updated = self.updates.iter().map(|(key, _, version)| (key.clone(), Some(version + 1)));
        let deleted = self.deletes.iter().map(|(key, _)| (key.clone(), None));
        inserted.chain(updated).chain(deleted).collect()
    }
}

/// `versions` after the rows `written` were stored.
pub fn with_written(versions: &Versions, written: &[(RowKey, Option<i64>)]) -> Versions {
    let mut next = versions.clone(); // persistent: constant time
    for (key, version) in written {
        match version {
            Some(version) => next.insert(key.clone(), *version),
            None => next.remove(key),
        };
    }
    next
}

#[cfg(test)]
mod tests {
    use shared::model::Tenant;

    use super::*;

    fn tenant(id: &str, name: &str) -> Tenant {
        Tenant { id: id.into(), name: name.into() }
    }

    #[test]
    fn a_world_survives_the_round_trip_through_rows() {
        let mut world = World::default();
        world.tenants.insert("t1".into(), tenant("t1", "Contoso"));
        let rows = Rows::from_world(&world).expect("serialisable");
        assert_eq!(rows.to_world().expect("deserialisable"), world);
    }

    #[test]
    fn only_changed_entities_are_written() {
        // The journal, not a comparison of every entity, says what changed.
        let key = |id: &str| (Table::Tenants, Arc::from(id));
        let before = World {
            tenants: [
                ("same".into(), tenant("same", "1")),
                ("changed".into(), tenant("changed", "1")),
                ("gone".into(), tenant("gone", "1")),
            ]
            .into(),
            ..World::default()
        };
        let before = before.settled();
        let versions: Versions =
            [(key("same"), 3), (key("changed"), 4), (key("gone"), 5)].into_iter().collect();
        let mut after = before.clone();
        after.tenants.get_mut("changed").expect("a tenant").name = "2".into();
        after.tenants.remove("gone");
        after.tenants.insert("new".into(), tenant("new", "1"));
        let changes = Changes::between(&before, &versions, &after).expect("serialisable");
        assert_eq!(changes.inserts, vec![(key("new"), r#"{"id":"new","name":"1"}"#.to_owned())]);
        assert_eq!(changes.updates, vec![(key("changed"), r#"{"id":"changed","name":"2"}"#.to_owned(), 4)]);
        assert_eq!(changes.deletes, vec![(key("gone"), 5)]);
        let next = with_written(&versions, &changes.written());
        assert_eq!(
            (next.get(&key("same")), next.get(&key("changed")), next.get(&key("new"))),
            (Some(&3), Some(&5), Some(&1))
        );
        assert!(!next.contains_key(&key("gone")));
    }
}
