//! Persistence. Handlers see only [`Store`]: load the world, commit a new one, sessions and
//! accounts. Its SQL is written once ([`sql`]); the database behind it, SQLite or PostgreSQL,
//! is a [`dialect::Dialect`] chosen by the URL's scheme, and nothing above this module knows
//! which one it talks to.

mod appender;
mod cache;
mod dialect;
mod heads;
mod local_file;
mod rows;
mod sessions;
mod sql;

use std::sync::{Arc, Mutex, OnceLock};

use shared::{
    audit::{Anchoring, AuditQuery, AuditRecord, AuditTrail, ChainCheck, ChainStatus},
    crypto::MasterKey,
    model::World,
};

use appender::Appender;
use cache::{Cache, Patch};
use heads::Heads;
pub use heads::in_request;
use rows::{Changes, Rows, Versions, adopt_row};
use sessions::RecentSessions;
use sql::SqlStore;

/// How long a reader waits for this server's committed writes to reach its kept world before
/// reading the world again instead.
const PATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// How often a write is tried when other writers keep changing the same entities.
pub const WRITE_ATTEMPTS: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another writer changed a row this write was based on.
    #[error("the data changed since it was read")]
    Conflict,
    #[error("stored data does not parse: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database: {0}")]
    File(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("starting the audit appender: {0}")]
    Appender(std::io::Error),
    #[error("unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// A batch of audit appends, or a revision check many readers shared, failed (each of
    /// them gets the same error).
    #[error("{0}")]
    Batch(Arc<StoreError>),
    /// The server is stopping: the audit appender or the revision check is gone.
    #[error("the store is closed")]
    Closed,
}

/// Start-up reports every failure as an I/O error.
impl From<StoreError> for std::io::Error {
    fn from(error: StoreError) -> Self {
        std::io::Error::other(error)
    }
}

/// The world as read, remembering each row's version so the commit can detect lost updates.
/// Cheap to clone: readers share one parsed world.
#[derive(Clone)]
pub struct Snapshot {
    pub world: Arc<World>,
    versions: Arc<Versions>,
    revision: i64,
}

#[derive(Clone)]
pub struct Store {
    db: SqlStore,
    /// The last world read, kept up to date with this server's writes.
    cache: Arc<Mutex<Cache>>,
    /// The master key, once the server has it: each append then seals the trail's new head.
    sealer: Arc<OnceLock<MasterKey>>,
    appender: Appender,
    heads: Heads,
    sessions: Arc<RecentSessions>,
    /// Wakes readers waiting for a write of this server to reach the cache.
    patched: Arc<tokio::sync::Notify>,
    /// The audit trail's check, as far as it has read.
    audit_check: Arc<tokio::sync::Mutex<Option<ChainCheck>>>,
}

impl Store {
    /// Opens the database named by `url`, creating and migrating it as needed.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let (db, sealer) = (SqlStore::open(url).await?, Arc::default());
        let file = db.dialect().local_file(url);
        let appender = Appender::start(db.clone(), file.clone(), db.dialect(), Arc::clone(&sealer))
            .map_err(StoreError::Appender)?;
        let heads = Heads::start(db.clone(), file);
        Ok(Self {
            db,
            cache: Arc::default(),
            sealer,
            appender,
            heads,
            sessions: Arc::default(),
            patched: Arc::default(),
            audit_check: Arc::default(),
        })
    }

    /// From now on every append seals the audit trail's new head under `master` (see
    /// `shared::audit::Anchor`), and a trail read without a sealed head is reported as such. A
    /// database that kept none yet has its present head sealed now.
    pub async fn seal_audit_with(&self, master: &MasterKey) -> Result<(), StoreError> {
        let _ = self.sealer.set(master.clone());
        if self.db.seal_first_head(master).await? {
            // The cached world, if any, was read without the head.
            self.cache().forget();
        }
        Ok(())
    }

    /// How a trail read back (or just written) is vouched for.
    fn anchoring(&self, stored: Option<shared::audit::Anchor>) -> Anchoring {
        match (stored, self.sealer.get()) {
            (Some(anchor), _) => Anchoring::Kept(anchor),
            (None, Some(_)) => Anchoring::Missing,
            (None, None) => Anchoring::NotKept,
        }
    }

    /// `snapshot` with the audit entries appended since it was read (by this server or another
    /// replica), through position `head`.
    async fn with_audit_through(&self, snapshot: Snapshot, head: u64) -> Result<Snapshot, StoreError> {
        let last = snapshot.world.audit.last().map_or(0, |e| e.seq);
        if last >= head {
            return Ok(snapshot);
        }
        let newer = self.db.audit_after(last, usize::MAX).await?;
        let mut world = (*snapshot.world).clone();
        world.audit.extend(newer.entries);
        world.audit.set_anchoring(self.anchoring(newer.anchor));
        let fresher = Snapshot { world: Arc::new(world), ..snapshot };
        self.remember(&fresher);
        Ok(fresher)
    }

    /// The status of the whole stored audit trail. The trail is checked a piece at a time,
    /// holding none of it (a long trail is far larger than what the server keeps in memory),
    /// and the check is kept: the next call reads only what was appended since. An entry
    /// edited in storage after the check passed it shows at the next start.
    pub async fn check_audit_chain(&self, master: &MasterKey) -> Result<ChainStatus, StoreError> {
        const PIECE: usize = 20_000;
        let mut kept = self.audit_check.lock().await;
        loop {
            let after = kept.as_ref().map_or(0, ChainCheck::last_seq);
            let piece = self.db.audit_after(after, PIECE).await?;
            let anchoring = self.anchoring(piece.anchor);
            let check = kept.get_or_insert_with(|| ChainCheck::new(anchoring.clone()));
            piece.entries.iter().for_each(|entry| check.feed(entry));
            if piece.entries.len() < PIECE {
                check.set_anchoring(anchoring);
                return Ok(check.status(master));
            }
        }
    }

    /// The world, with the part of the audit trail that `query` pages through read from
    /// storage, and the whole trail's status.
    pub async fn load_audit_page(
        &self,
        query: &AuditQuery,
        master: &MasterKey,
    ) -> Result<Snapshot, StoreError> {
        let snapshot = self.load().await?;
        let chain = self.check_audit_chain(master).await?;
        let mut world = (*snapshot.world).clone();
        world.audit = AuditTrail::window(self.db.audit_page(query).await?, chain);
        Ok(Snapshot { world: Arc::new(world), ..snapshot })
    }

    pub async fn close(&self) {
        self.appender.close().await;
        self.heads.close().await;
        self.db.close().await;
    }

    /// Reads the whole world, except that its audit trail may lag behind the stored one: only
    /// the endpoints that read the trail need it (see [`Store::load_with_audit`]), and bringing
    /// it up to date for every request would cost every request a read.
    ///
    /// Parsing the world is the expensive part of a read, so the parsed world is kept and reused
    /// for as long as the database's revision (one small query) says no entity changed since.
    /// When one did, the rows are read again (not the trail).
    pub async fn load(&self) -> Result<Snapshot, StoreError> {
        Ok(self.load_through().await?.0)
    }

    /// [`Store::load`] with the whole audit trail as stored, held in memory: for tests and
    /// tools that need the world entire (the parity test, the end-to-end tests' offline
    /// mirror). The server itself never needs it.
    pub async fn load_with_audit(&self) -> Result<Snapshot, StoreError> {
        let (snapshot, audit_head) = self.load_through().await?;
        self.with_audit_through(snapshot, audit_head).await
    }

    /// The world, and the trail's stored last position.
    async fn load_through(&self) -> Result<(Snapshot, u64), StoreError> {
        let (revision, audit_head) = self.heads.read().await?;
        if let Some(snapshot) = self.cached_or_soon(revision).await {
            return Ok((snapshot, audit_head));
        }
        if let Some(kept) = self.latest() {
            let snapshot = self.caught_up(kept).await?;
            self.remember(&snapshot);
            return Ok((snapshot, audit_head));
        }
        Ok((self.read_whole_world().await?, audit_head))
    }

    /// The world read entire, and kept.
    async fn read_whole_world(&self) -> Result<Snapshot, StoreError> {
        let (revision, rows, anchor) = self.db.load_rows().await?;
        let versions = rows.iter().map(|(key, (_, version))| (key.clone(), *version)).collect();
        let bodies = Rows(rows.into_iter().map(|(key, (body, _))| (key, body)).collect());
        // As stored: nothing is pending, so the next write stores only what it changes.
        let mut world = bodies.to_world()?.settled();
        // The trail as far as it was read before; `load_with_audit` reads the rest.
        world.audit = self.latest().map(|s| s.world.audit.clone()).unwrap_or_default();
        world.audit.set_anchoring(self.anchoring(anchor));
        let snapshot = Snapshot { world: Arc::new(world), versions: Arc::new(versions), revision };
        self.remember(&snapshot);
        Ok(snapshot)
    }

    /// `kept` brought up to the stored world by reading only the rows written or deleted
    /// after its revision (another replica's writes): as many rows as changed, not the world.
    async fn caught_up(&self, kept: Snapshot) -> Result<Snapshot, StoreError> {
        let Some((revision, changed)) = self.db.changes_since(kept.revision).await? else {
            return self.read_whole_world().await;
        };
        let present = changed.iter().filter_map(|(key, row)| Some((key.clone(), row.as_ref()?.0.clone())));
        let written = Rows(present.collect()).to_world()?;
        let mut world = (*kept.world).clone();
        changed.keys().for_each(|key| adopt_row(&mut world, &written, key));
        let versions: Vec<_> =
            changed.iter().map(|(key, row)| (key.clone(), row.as_ref().map(|r| r.1))).collect();
        let versions = Arc::new(rows::with_written(&kept.versions, &versions));
        Ok(Snapshot { world: Arc::new(world), versions, revision })
    }

    fn remember(&self, snapshot: &Snapshot) {
        self.cache().keep(snapshot.clone());
    }

    /// The kept world at `revision`; when this server's own writes are what it still lacks,
    /// after they reach it (a moment: they are committed, and apply themselves next).
    async fn cached_or_soon(&self, revision: i64) -> Option<Snapshot> {
        let deadline = tokio::time::Instant::now() + PATCH_WAIT;
        loop {
            let patched = self.patched.notified();
            if let Some(snapshot) = self.cached(revision) {
                return Some(snapshot);
            }
            if !self.cache().will_reach(revision) {
                return None;
            }
            tokio::time::timeout_at(deadline, patched).await.ok()?;
        }
    }

    /// The kept world, if it is at `revision` or later (a write of this server may have
    /// reached it since the revision was read).
    fn cached(&self, revision: i64) -> Option<Snapshot> {
        self.latest().filter(|snapshot| snapshot.revision >= revision)
    }

    fn latest(&self) -> Option<Snapshot> {
        self.cache().latest().cloned()
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores `world` as the successor of `snapshot`, atomically: either every changed entity
    /// is written and `audit` appended to the audit trail, or nothing is, and
    /// [`StoreError::Conflict`] if any changed entity moved meanwhile. Returns the snapshot of
    /// what was written, the base for a further change of `world`.
    ///
    /// The trail is not version-checked like entities: each record is chained onto whatever the
    /// stored trail ends with at commit time, so concurrent writers never conflict over it.
    /// Loads the world, lets `change` derive the next one (`None`: nothing to do) and commits
    /// it. When another writer (the runner, another replica) committed first, it looks again;
    /// `change` must therefore be idempotent, and usually finds its work done. Returns whether
    /// it committed.
    pub async fn update<E, F, Fut>(&self, mut change: F) -> Result<bool, E>
    where
        E: From<StoreError>,
        F: FnMut(Arc<World>) -> Fut,
        Fut: Future<Output = Result<Option<World>, E>>,
    {
        self.update_audited(|world| {
            let changed = change(world);
            async move { Ok(changed.await?.map(|next| (next, Vec::new()))) }
        })
        .await
    }

    /// [`Store::update`], recording what the change says about itself in the same transaction.
    pub async fn update_audited<E, F, Fut>(&self, mut change: F) -> Result<bool, E>
    where
        E: From<StoreError>,
        F: FnMut(Arc<World>) -> Fut,
        Fut: Future<Output = Result<Option<(World, Vec<AuditRecord>)>, E>>,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let snapshot = self.load().await?;
            let Some((next, records)) = change(snapshot.world.clone()).await? else {
                return Ok(false);
            };
            match self.commit(&snapshot, &next, records).await {
                Ok(_) => return Ok(true),
                Err(StoreError::Conflict) if attempts < WRITE_ATTEMPTS => continue,
                Err(error) => return Err(error.into()),
            }
        }
    }

    pub async fn commit(
        &self,
        snapshot: &Snapshot,
        world: &World,
        audit: Vec<AuditRecord>,
    ) -> Result<Snapshot, StoreError> {
        let changes = Changes::between(&snapshot.world, &snapshot.versions, world)?;
        let mut settled = world.settled();
        // The trail is the one read (it may lag: see `load`), whatever `world` carries in its
        // own trail (a world from elsewhere may hold entries of its own).
        settled.audit = snapshot.world.audit.clone();
        if changes.is_empty() {
            self.append(audit).await?;
            return Ok(Snapshot { world: Arc::new(settled), ..snapshot.clone() });
        }
        let rows = changes.written();
        let versions = Arc::new(rows::with_written(&snapshot.versions, &rows));
        let mut announced = None;
        let committed = self
            .db
            .commit(changes, audit, self.sealer.get(), |revision| {
                announced = Some(revision);
                self.cache().expect(revision);
            })
            .await;
        let revision = match committed {
            Ok(revision) => revision,
            Err(error) => {
                if let Some(revision) = announced {
                    self.cache().abandon(revision);
                    self.patched.notify_waiters();
                }
                if matches!(error, StoreError::Conflict) {
                    self.heads.forget();
                }
                return Err(error);
            }
        };
        let written = Snapshot { world: Arc::new(settled), versions, revision };
        self.cache().written(revision, Patch { world: written.world.clone(), rows });
        self.patched.notify_waiters();
        Ok(written)
    }

    /// Appends `audit` to the audit trail on its own (a read, a failure, a sign-in), and
    /// returns once it is stored. The world's revision stays as it was.
    pub async fn append(&self, audit: Vec<AuditRecord>) -> Result<(), StoreError> {
        if audit.is_empty() {
            return Ok(());
        }
        self.appender.append(audit).await
    }

    pub async fn is_seeded(&self) -> Result<bool, StoreError> {
        self.db.is_seeded().await
    }

    /// Stores `world` in one transaction if the database holds none yet.
    pub async fn seed(&self, world: &World) -> Result<bool, StoreError> {
        self.db.seed(Rows::from_world(world)?).await
    }

    pub async fn password_hash(&self, username: &str) -> Result<Option<String>, StoreError> {
        self.db.password_hash(username).await
    }

    pub async fn account_names(&self) -> Result<Vec<String>, StoreError> {
        self.db.account_names().await
    }

    pub async fn create_account(&self, username: &str, hash: &str) -> Result<bool, StoreError> {
        self.db.create_account(username, hash).await
    }

    pub async fn set_password_hash(&self, username: &str, hash: &str) -> Result<(), StoreError> {
        self.db.set_password_hash(username, hash).await
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        username: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        self.db.create_session(token_hash, username, expires_at, now).await
    }

    /// The user of a live session (not expired, used within `idle` seconds) and when the
    /// session expires; records the use (see [`sessions`] for the second it may be taken on
    /// trust).
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
        idle: i64,
    ) -> Result<Option<(String, i64)>, StoreError> {
        if let Some(live) = self.sessions.get(token_hash, now) {
            return Ok(Some(live));
        }
        let found = self.db.session_user(token_hash, now, idle).await?;
        if let Some((username, expires_at)) = &found {
            self.sessions.put(token_hash, username, *expires_at);
        }
        Ok(found)
    }

    /// The live sessions of `username`: token hash, expiry and last use, latest first.
    pub async fn sessions_of(&self, username: &str, now: i64) -> Result<Vec<(String, i64, i64)>, StoreError> {
        self.db.sessions_of(username, now).await
    }

    pub async fn delete_sessions_of(&self, username: &str) -> Result<(), StoreError> {
        self.sessions.forget_user(username);
        self.db.delete_sessions_of(username).await
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.sessions.forget(token_hash);
        self.db.delete_session(token_hash).await
    }

    pub async fn master_key_check(&self) -> Result<Option<String>, StoreError> {
        self.db.master_key_check().await
    }

    pub async fn set_master_key_check(&self, sealed: &str) -> Result<bool, StoreError> {
        self.db.set_master_key_check(sealed).await
    }
}

#[cfg(test)]
mod tests {
    use shared::model::Tenant;

    use super::*;

    fn tenant(name: &str) -> Tenant {
        Tenant { id: name.to_owned(), name: name.to_owned() }
    }

    fn rename(world: &World, id: &str, name: &str) -> World {
        let mut next = world.clone();
        next.tenants.insert(id.to_owned(), Tenant { id: id.to_owned(), name: name.to_owned() });
        next
    }

    /// A store on a file in `dir` whose audit trail is sealed under a new master key.
    async fn sealed_store(dir: &tempfile::TempDir) -> (Store, shared::crypto::MasterKey) {
        let store =
            Store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).await.expect("a store");
        let master = shared::crypto::MasterKey::generate(&mut crate::clock::rng());
        store.seal_audit_with(&master).await.expect("sealing");
        (store, master)
    }

    /// Device password disclosure number `i`, ended with `failure`.
    fn disclosure(i: i64, failure: Option<shared::code::ErrorCode>) -> AuditRecord {
        AuditRecord {
            at: shared::model::Timestamp(i),
            actor: "t".into(),
            source: "127.0.0.1".into(),
            action: shared::audit::AuditAction::DevicePasswordDisclosure,
            subject: format!("orders/{i}"),
            failure,
        }
    }

    #[tokio::test]
    async fn the_streaming_chain_check_agrees_with_the_trail_in_memory() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (store, master) = sealed_store(&dir).await;
        let record = |i: i64| disclosure(i, None);
        // More than one piece of the streaming read.
        store.append((0..25_000).map(record).collect()).await.expect("appended");
        store.append(vec![record(-1)]).await.expect("appended");
        let streamed = store.check_audit_chain(&master).await.expect("checked");
        let in_memory = store.load_with_audit().await.expect("the trail").world.audit.verify(&master);
        assert_eq!(streamed, in_memory);
        assert!(
            streamed.intact && streamed.entries == 25_001 && streamed.sealed == Some(25_001),
            "{streamed:?}"
        );
        let other = MasterKey::generate(&mut crate::clock::rng());
        assert!(!store.check_audit_chain(&other).await.expect("checked").intact, "sealed under another key");
    }

    #[tokio::test]
    async fn appends_on_the_file_and_writes_through_the_pool_make_one_sealed_chain() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (store, master) = sealed_store(&dir).await;
        let disabled = Some(shared::code::ErrorCode::EncryptionKeyDisabled);
        let record = |i: i64| disclosure(i, disabled.filter(|_| i % 2 == 0));
        store.append(vec![record(1), record(2)]).await.expect("appended on the file");
        let seeded = World { tenants: [("t".to_owned(), tenant("t"))].into(), ..World::default() };
        store.seed(&seeded).await.expect("seeded");
        let read = store.load().await.expect("a snapshot");
        store.commit(&read, &rename(&read.world, "t", "renamed"), vec![record(3)]).await.expect("a write");
        store.append(vec![record(4)]).await.expect("appended on the file");
        let status = store.check_audit_chain(&master).await.expect("checked");
        assert!(status.intact && status.entries == 4 && status.sealed == Some(4), "{status:?}");
        let world = store.load_with_audit().await.expect("the trail").world;
        let failures: Vec<_> = world.audit.iter().map(|e| e.failure.is_some()).collect();
        assert_eq!(failures, [false, true, false, true]);

        // Once the store is closed nothing reopens the file: a late append fails.
        store.close().await;
        assert!(store.append(vec![record(5)]).await.is_err(), "appended after the store closed");
    }

    #[tokio::test]
    async fn a_write_based_on_a_stale_read_changes_nothing() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store =
            Store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).await.expect("a store");
        let seeded = World { tenants: [("t".to_owned(), tenant("t"))].into(), ..World::default() };
        assert!(store.seed(&seeded).await.expect("seeded"));
        assert!(!store.seed(&seeded).await.expect("seeding twice is a no-op"));

        let first = store.load().await.expect("a snapshot");
        let second = store.load().await.expect("another snapshot");
        store.commit(&first, &rename(&first.world, "t", "first"), Vec::new()).await.expect("the first write");

        let mut stale = rename(&second.world, "t", "second");
        stale.tenants.insert("new".to_owned(), tenant("new"));
        assert!(matches!(store.commit(&second, &stale, Vec::new()).await, Err(StoreError::Conflict)));

        let stored = store.load().await.expect("a snapshot").world;
        assert_eq!(stored.tenants.get("t").expect("a tenant").name, "first");
        assert!(!stored.tenants.contains_key("new"), "a conflicting commit rolls back entirely");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_reported_as_such_at_once() {
        // Port 1 on loopback: nothing listens, so the connection is refused.
        let refused = Store::open("postgres://keyblade@127.0.0.1:1/keyblade").await.err().expect("an error");
        let message = refused.to_string();
        assert!(message.contains("refused"), "{message}");
        assert!(matches!(Store::open("mysql://localhost/keyblade").await, Err(StoreError::UnsupportedUrl)));
    }

    #[tokio::test]
    async fn a_removed_secret_is_gone_from_the_database_file() {
        use shared::crypto::{self, ImportKey, MasterKey};
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("t.db");
        let store = Store::open(&format!("sqlite://{}", path.display())).await.expect("a store");
        let mut rng = crate::clock::rng();
        let master = MasterKey::generate(&mut rng);
        let here = crypto::Binding::new("t", "t", "t");
        let sealed = crypto::seal(&master, "k", &here, &[7; 1200], &mut rng).expect("sealed");
        let marker = sealed.ciphertext.clone();
        let import_key = ImportKey { public_spki_b64: "public".into(), sealed_private: sealed };
        let world = World { import_keys: [("kv".to_owned(), import_key)].into(), ..World::default() };
        store.seed(&world).await.expect("seeded");
        let snapshot = store.load().await.expect("a snapshot");
        let mut purged = (*snapshot.world).clone();
        purged.import_keys.remove("kv");
        store.commit(&snapshot, &purged, Vec::new()).await.expect("the purge");
        store.close().await; // checkpoints the WAL into the file
        let mut bytes = std::fs::read(&path).expect("the database file");
        bytes.extend(std::fs::read(dir.path().join("t.db-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&marker[..40]), "the sealed bytes are still in the file");
    }

    #[tokio::test]
    async fn readers_share_the_parsed_world_until_anyone_writes() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url).await.expect("a store");
        let other_writer = Store::open(&url).await.expect("a second store on the same file");
        store
            .seed(&World { tenants: [("t".to_owned(), tenant("t"))].into(), ..World::default() })
            .await
            .expect("seeded");

        let first = store.load().await.expect("a snapshot");
        let again = store.load().await.expect("a snapshot");
        assert!(Arc::ptr_eq(&first.world, &again.world), "no write, so the parsed world is reused");

        let theirs = other_writer.load().await.expect("a snapshot");
        other_writer
            .commit(&theirs, &rename(&theirs.world, "t", "renamed elsewhere"), Vec::new())
            .await
            .expect("a write");
        let after = store.load().await.expect("a snapshot");
        assert_eq!(
            after.world.tenants.get("t").expect("a tenant").name,
            "renamed elsewhere",
            "another writer's commit is seen at once"
        );
    }

    #[tokio::test]
    async fn a_replica_reads_only_what_another_wrote_and_ends_where_a_full_read_does() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let (store, other) =
            (Store::open(&url).await.expect("a store"), Store::open(&url).await.expect("another"));
        let tenants = ["a", "b", "c", "d"].map(|id| (id.to_owned(), tenant(id)));
        store.seed(&World { tenants: tenants.into(), ..World::default() }).await.expect("seeded");
        let kept = store.load().await.expect("a snapshot");

        // Elsewhere: a rename, a deletion, a new tenant, and one deleted then added again.
        let write = |change: fn(&mut World)| {
            let other = &other;
            async move {
                let read = other.load().await.expect("a snapshot");
                let mut next = (*read.world).clone();
                change(&mut next);
                other.commit(&read, &next, Vec::new()).await.expect("a write");
            }
        };
        write(|w| w.tenants.get_mut("a").expect("a").name = "renamed".into()).await;
        write(|w| {
            w.tenants.remove("b");
        })
        .await;
        write(|w| {
            w.tenants.insert("e".into(), tenant("e"));
        })
        .await;
        write(|w| {
            w.tenants.remove("c");
        })
        .await;
        write(|w| {
            w.tenants.insert("c".into(), tenant("c again"));
        })
        .await;

        let (_, changed) = store.db.changes_since(kept.revision).await.expect("the changes").expect("kept");
        let ids: Vec<&str> = changed.keys().map(|(_, id)| &**id).collect();
        assert_eq!(ids, ["a", "b", "c", "e"], "only what changed is read, d is not");

        let caught_up = store.load().await.expect("a snapshot");
        let full = Store::open(&url).await.expect("a third store").load().await.expect("a full read");
        assert_eq!(caught_up.revision, full.revision);
        assert_eq!(caught_up.world.tenants, full.world.tenants);
        assert_eq!(caught_up.versions, full.versions);
        assert_eq!(caught_up.world.tenants.get("c").map(|t| t.name.as_str()), Some("c again"));
        let next = rename(&caught_up.world, "c", "and again");
        store.commit(&caught_up, &next, Vec::new()).await.expect("the versions read are the stored ones");
    }

    #[tokio::test]
    async fn old_deletions_are_forgotten_and_a_replica_that_far_behind_reads_everything() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = dir.path().join("t.db");
        let url = format!("sqlite://{}", file.display());
        let (store, other) =
            (Store::open(&url).await.expect("a store"), Store::open(&url).await.expect("another"));
        let tenants = ["a", "b", "c"].map(|id| (id.to_owned(), tenant(id)));
        store.seed(&World { tenants: tenants.into(), ..World::default() }).await.expect("seeded");
        let kept = store.load().await.expect("a snapshot");
        let remove = |id: &'static str| {
            let other = &other;
            async move {
                let read = other.load().await.expect("a snapshot");
                let mut next = (*read.world).clone();
                next.tenants.remove(id);
                other.commit(&read, &next, Vec::new()).await.expect("a deletion");
            }
        };
        remove("a").await;
        // Many revisions later (as after that many writes), another deletion.
        let raw = rusqlite::Connection::open(&file).expect("the file");
        let ahead =
            format!("UPDATE world_revision SET revision = revision + {}", sql::TOMBSTONE_REVISIONS + 10);
        raw.execute(&ahead, []).expect("the revision moved on");
        remove("b").await;

        let kept_deletions: Vec<String> = raw
            .prepare("SELECT id FROM world_deletions")
            .and_then(|mut q| q.query_map([], |row| row.get(0))?.collect())
            .expect("the deletions kept");
        assert_eq!(kept_deletions, ["b"], "the old deletion is forgotten");
        assert!(store.db.changes_since(kept.revision).await.expect("asked").is_none(), "too far behind");
        let caught_up = store.load().await.expect("a snapshot");
        let full = Store::open(&url).await.expect("a third store").load().await.expect("a full read");
        assert_eq!((caught_up.revision, &caught_up.world.tenants), (full.revision, &full.world.tenants));
        assert_eq!(caught_up.world.tenants.keys().collect::<Vec<_>>(), ["c"]);
        let next = rename(&caught_up.world, "c", "renamed");
        store.commit(&caught_up, &next, Vec::new()).await.expect("the versions read are the stored ones");
    }

    #[tokio::test]
    async fn two_writes_in_a_row_on_an_old_read_never_hide_a_write_in_between() {
        // The runner's turn: a claim, then a step on top of the claim, both computed from one
        // read, while a request writes another row in between.
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store =
            Store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).await.expect("a store");
        let tenants =
            [("a".to_owned(), tenant("a")), ("b".to_owned(), tenant("b")), ("c".to_owned(), tenant("c"))];
        store.seed(&World { tenants: tenants.into(), ..World::default() }).await.expect("seeded");
        let read = store.load().await.expect("a snapshot");
        let claim = rename(&read.world, "a", "claimed");
        let step = rename(&claim, "b", "stepped");

        let theirs = store.load().await.expect("a snapshot");
        store.commit(&theirs, &rename(&theirs.world, "c", "theirs"), Vec::new()).await.expect("their write");
        let claimed = store.commit(&read, &claim, Vec::new()).await.expect("the claim");
        store.commit(&claimed, &step, Vec::new()).await.expect("the step");

        let stored = store.load().await.expect("a snapshot");
        let name = |id: &str| stored.world.tenants.get(id).expect("a tenant").name.clone();
        assert_eq!((name("a"), name("b"), name("c")), ("claimed".into(), "stepped".into(), "theirs".into()));
        let next = rename(&stored.world, "c", "again");
        store.commit(&stored, &next, Vec::new()).await.expect("a later write of their row is no conflict");
    }
}
