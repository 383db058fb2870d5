//! The engine's [`World`] as database rows: one table per entity kind, one row per entity,
//! the entity's JSON as the row body. Splitting the world lets a write touch (and version-check)
//! only the entities an operation changed.

use std::collections::BTreeMap;

use serde::{Serialize, de::DeserializeOwned};
use shared::model::World;

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
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::WorldSettings,
        Table::Tenants,
        Table::Subscriptions,
        Table::ResourceGroups,
        Table::Vaults,
        Table::ImportKeys,
        Table::Identities,
        Table::Orders,
        Table::Operations,
    ];

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
        }
    }
}

/// Where a row lives: its table and primary key.
pub type RowKey = (Table, String);

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
        })
    }

    fn put<T: Serialize>(&mut self, table: Table, id: &str, value: &T) -> serde_json::Result<()> {
        self.0.insert((table, id.to_owned()), serde_json::to_string(value)?);
        Ok(())
    }

    fn put_all<T: Serialize>(&mut self, table: Table, items: &BTreeMap<String, T>) -> serde_json::Result<()> {
        items.iter().try_for_each(|(id, item)| self.put(table, id, item))
    }

    fn get<T: DeserializeOwned>(&self, table: Table, id: &str) -> serde_json::Result<Option<T>> {
        self.0.get(&(table, id.to_owned())).map(|body| serde_json::from_str(body)).transpose()
    }

    fn get_all<T: DeserializeOwned>(&self, table: Table) -> serde_json::Result<BTreeMap<String, T>> {
        self.0
            .range((table, String::new())..)
            .take_while(|((t, _), _)| *t == table)
            .map(|((_, id), body)| Ok((id.clone(), serde_json::from_str(body)?)))
            .collect()
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
}

impl Changes {
    /// Compares the rows as read (with their versions) against the rows after an operation.
    pub fn between(before: &BTreeMap<RowKey, (String, i64)>, after: &Rows) -> Changes {
        let mut changes = Changes::default();
        for (key, (_, version)) in before {
            if !after.0.contains_key(key) {
                changes.deletes.push((key.clone(), *version));
            }
        }
        for (key, body) in &after.0 {
            match before.get(key) {
                None => changes.inserts.push((key.clone(), body.clone())),
                Some((old, version)) if old != body => {
                    changes.updates.push((key.clone(), body.clone(), *version))
                }
                Some(_) => {}
            }
        }
        changes
    }

    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty() && self.updates.is_empty() && self.deletes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_world_survives_the_round_trip_through_rows() {
        let mut world = World::default();
        world.tenants.insert("t1".into(), shared::model::Tenant { id: "t1".into(), name: "Contoso".into() });
        let rows = Rows::from_world(&world).expect("serialisable");
        assert_eq!(rows.to_world().expect("deserialisable"), world);
    }

    #[test]
    fn only_changed_rows_are_written() {
        let key = |id: &str| (Table::Tenants, id.to_owned());
        let before = BTreeMap::from([
            (key("same"), ("1".to_owned(), 3)),
            (key("changed"), ("1".to_owned(), 4)),
            (key("gone"), ("1".to_owned(), 5)),
        ]);
        let after = Rows(BTreeMap::from([
            (key("same"), "1".to_owned()),
            (key("changed"), "2".to_owned()),
            (key("new"), "1".to_owned()),
        ]));
        let changes = Changes::between(&before, &after);
        assert_eq!(changes.inserts, vec![(key("new"), "1".to_owned())]);
        assert_eq!(changes.updates, vec![(key("changed"), "2".to_owned(), 4)]);
        assert_eq!(changes.deletes, vec![(key("gone"), 5)]);
    }
}
