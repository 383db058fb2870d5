//! The parsed world a store keeps between requests, and how it keeps up with writes.
//!
//! Parsing every row is what a read of the world costs, so the last world read is kept and
//! reused while the database's revision is unchanged. Each write this server commits brings it
//! along: the rows the write stored are copied in from the written world, in revision order
//! (writes finish out of order; one that arrives early waits for the ones before it). Only
//! when a revision never arrives, because another replica wrote it, is the world read again.
//! Without this, concurrent writers would each find the revision moved and read everything.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use shared::model::World;

use super::{
    Snapshot,
    rows::{RowKey, adopt_row, with_written},
};

/// A write this server committed: the world it wrote and the rows it stored.
pub(super) struct Patch {
    pub world: Arc<World>,
    pub rows: Vec<(RowKey, Option<i64>)>,
}

/// Writes that finished ahead of an earlier revision are kept at most this many revisions
/// ahead; beyond, the gap is another replica's and the world will be read again anyway.
const MAX_PENDING: usize = 256;

#[derive(Default)]
pub(super) struct Cache {
    snapshot: Option<Snapshot>,
    pending: BTreeMap<i64, Patch>,
    /// Revisions this server is committing: about to be visible, their patch not here yet.
    expected: BTreeSet<i64>,
}

impl Cache {
    pub fn latest(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    pub fn forget(&mut self) {
        *self = Cache::default();
    }

    /// Keeps `snapshot` unless the one kept is newer (a later revision, or the same one with
    /// more of the audit trail), then applies the writes that follow it.
    pub fn keep(&mut self, snapshot: Snapshot) {
        let age = |s: &Snapshot| (s.revision, s.world.audit.len());
        if self.snapshot.as_ref().is_none_or(|kept| age(kept) < age(&snapshot)) {
            self.pending.retain(|revision, _| *revision > snapshot.revision);
            self.expected.retain(|revision| *revision > snapshot.revision);
            self.snapshot = Some(snapshot);
            self.catch_up();
        }
    }

    /// A write of this server is about to be stored as `revision`.
    pub fn expect(&mut self, revision: i64) {
        self.expected.insert(revision);
    }

    /// The write expected as `revision` failed.
    pub fn abandon(&mut self, revision: i64) {
        self.expected.remove(&revision);
    }

    /// Whether every revision up to `revision` is either kept or one of this server's writes
    /// on its way: then waiting for them beats reading the world again.
    pub fn will_reach(&self, revision: i64) -> bool {
        let Some(kept) = &self.snapshot else { return false };
        (kept.revision + 1..=revision).all(|r| self.pending.contains_key(&r) || self.expected.contains(&r))
    }

    /// Records the write stored as `revision`.
    pub fn written(&mut self, revision: i64, patch: Patch) {
        self.expected.remove(&revision);
        let Some(kept) = &self.snapshot else { return };
        if revision <= kept.revision {
            return;
        }
        self.pending.insert(revision, patch);
        while self.pending.len() > MAX_PENDING {
            self.pending.pop_last();
        }
        self.catch_up();
    }

    fn catch_up(&mut self) {
        while let Some(kept) = &self.snapshot
            && let Some(patch) = self.pending.remove(&(kept.revision + 1))
        {
            let mut world = (*kept.world).clone();
            for (key, _) in &patch.rows {
                adopt_row(&mut world, &patch.world, key);
            }
            let versions = Arc::new(with_written(&kept.versions, &patch.rows));
            self.snapshot = Some(Snapshot { world: Arc::new(world), versions, revision: kept.revision + 1 });
        }
    }
}

#[cfg(test)]
mod tests {
    use shared::model::Tenant;

    use super::*;
    use crate::store::rows::Table;

    fn world(names: &[(&str, &str)]) -> World {
        let mut world = World::default();
        for (id, name) in names {
            world.tenants.insert(id.to_string(), Tenant { id: id.to_string(), name: name.to_string() });
        }
        world.settled()
    }

    fn patch(world: World, id: &str) -> Patch {
        Patch { world: Arc::new(world), rows: vec![((Table::Tenants, Arc::from(id)), Some(2))] }
    }

    #[test]
    fn writes_that_finish_out_of_order_are_applied_in_revision_order() {
        let mut cache = Cache::default();
        let base = world(&[("a", "a"), ("b", "b")]);
        cache.keep(Snapshot { world: Arc::new(base), versions: Arc::default(), revision: 7 });
        // Revision 9 (b renamed) is known before 8 (a renamed): it waits.
        cache.written(9, patch(world(&[("a", "a"), ("b", "B")]), "b"));
        assert_eq!(cache.latest().map(|s| s.revision), Some(7));
        cache.written(8, patch(world(&[("a", "A"), ("b", "b")]), "a"));
        let kept = cache.latest().expect("a world");
        assert_eq!(kept.revision, 9);
        let names: Vec<&str> = kept.world.tenants.values().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["A", "B"], "each write brought only its own rows");
        assert_eq!(kept.versions.get(&(Table::Tenants, Arc::from("a"))), Some(&2));
        assert!(kept.world.tenants.changes().upserts.is_empty(), "the kept world stays settled");
    }

    #[test]
    fn a_revision_written_elsewhere_leaves_the_world_where_it_was() {
        let mut cache = Cache::default();
        cache.keep(Snapshot { world: Arc::new(world(&[("a", "a")])), versions: Arc::default(), revision: 1 });
        cache.written(3, patch(world(&[("a", "A")]), "a"));
        assert_eq!(cache.latest().map(|s| s.revision), Some(1), "revision 2 is another replica's");
        // Read again at 2: the write at 3 follows it.
        cache.keep(Snapshot { world: Arc::new(world(&[("a", "a")])), versions: Arc::default(), revision: 2 });
        assert_eq!(cache.latest().map(|s| s.revision), Some(3));
    }
}
