//! The store's SQL, written once for every [`Dialect`]: the same statements, the same per-row
//! version checks, the same audit chaining, whichever database the URL names.

use std::{collections::BTreeMap, sync::Arc};

use sqlx::{
    AnyConnection, AnyPool, AssertSqlSafe, Connection, Executor, Row,
    any::{AnyConnectOptions, AnyPoolOptions},
};

use shared::{
    audit::{Anchor, AuditEntry, AuditQuery, AuditRecord},
    crypto::MasterKey,
};

use super::{
    StoreError,
    dialect::{self, Dialect},
    rows::{Changes, RowKey, Rows, Table},
};

const REVISION: &str = "SELECT revision FROM world_revision WHERE id = 1";
/// The world's revision and the audit trail's last position, in one round trip.
pub(super) const HEADS: &str = "SELECT revision, (SELECT COALESCE(MAX(seq), 0) FROM audit) AS audit_head FROM world_revision WHERE id = 1";
/// The first statement of a transaction that only appends to the audit trail: the same lock as
/// [`BUMP_REVISION`] (so positions in the trail are taken in order), without moving the world's
/// revision, so nobody reloads the world for an audit entry.
const LOCK_WRITERS: &str = "UPDATE world_revision SET revision = revision WHERE id = 1 RETURNING revision";
/// The first statement of every writing transaction: in PostgreSQL its row lock orders
/// writers (SQLite's `BEGIN IMMEDIATE` already has), so the version checks and the audit
/// trail's tail that follow are read after every earlier writer committed.
const BUMP_REVISION: &str =
    "UPDATE world_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision";

/// How stale a session's recorded last use may get before a request records it again.
const LAST_SEEN_GRANULARITY: i64 = 60;

#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: &'static dyn Dialect,
    /// Writers take turns here before they take a connection: the database lets one write at
    /// a time anyway, and writers queued inside it would hold every connection of the pool
    /// while readers wait for one.
    writers: Arc<tokio::sync::Mutex<()>>,
    options: Arc<AnyConnectOptions>,
}

type Transaction = sqlx::Transaction<'static, sqlx::Any>;
/// This server's turn to write (see `SqlStore::writers`).
type Turn = tokio::sync::OwnedMutexGuard<()>;

impl SqlStore {
    /// Opens (creating it if missing) the database at `url` and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let dialect = dialect::of_url(url)?;
        sqlx::any::install_default_drivers();
        let options: AnyConnectOptions = dialect.connect_url(url).parse()?;
        // One connection first: when the server cannot be reached or refuses us, its error says
        // why, where the pool would only report a timeout. A database not made yet is made.
        match AnyConnection::connect_with(&options).await {
            Ok(connection) => connection.close().await?,
            Err(error) if dialect.is_missing_database(&error) => dialect.create_database(url).await?,
            Err(error) => return Err(error.into()),
        }
        let setup = dialect.connection_setup();
        let pool = AnyPoolOptions::new()
            .max_connections(dialect.max_connections())
            .test_before_acquire(dialect.ping_before_use())
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if let Some(setup) = setup {
                        connection.execute(setup).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        dialect.migrator().run(&pool).await?;
        Ok(Self { pool, dialect, writers: Arc::default(), options: Arc::new(options) })
    }

    /// A connection of its own, outside the pool, set up as the pool's are: for a task that
    /// must never queue behind the requests' queries.
    pub async fn dedicated_connection(&self) -> Result<AnyConnection, StoreError> {
        let mut connection = AnyConnection::connect_with(&self.options).await?;
        if let Some(setup) = self.dialect.connection_setup() {
            connection.execute(setup).await?;
        }
        Ok(connection)
    }

    /// Begins a writing transaction whose first statement is `first` (it takes the lock that
    /// orders writers, and answers the world's revision).
    /// The turn is to be held until the transaction ends.
    async fn begin_write_with(&self, first: &'static str) -> Result<(Transaction, i64, Turn), StoreError> {
        let turn = self.writers.clone().lock_owned().await;
        let mut tx = self.pool.begin_with(self.dialect.begin_write()).await?;
        let revision = sqlx::query_scalar(first).fetch_one(&mut *tx).await?;
        Ok((tx, revision, turn))
    }

    pub(super) fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    /// Where this server's writers take turns (see `SqlStore::writers`).
    pub(super) fn writers(&self) -> Arc<tokio::sync::Mutex<()>> {
        Arc::clone(&self.writers)
    }

    async fn begin_write(&self) -> Result<(Transaction, i64, Turn), StoreError> {
        self.begin_write_with(BUMP_REVISION).await
    }

    /// Closes every connection (checkpointing the WAL) so the file can be reopened at once.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The rows written after `revision` (with body and version) and those deleted after it
    /// (without), and the revision they bring the world to: what a replica whose kept world is
    /// at `revision` lacks. One statement (one consistent read, one round trip) for every table.
    /// `None` when deletions after `revision` may have been pruned (see [`TOMBSTONE_REVISIONS`]).
    pub async fn changes_since(&self, revision: i64) -> Result<Option<(i64, ChangedRows)>, StoreError> {
        let (mut now, mut deletions_from, mut changed) = (None, 0, ChangedRows::new());
        for row in
            sqlx::query(AssertSqlSafe(changed_rows_since())).bind(revision).fetch_all(&self.pool).await?
        {
            let (table, id): (String, String) = (row.try_get("tbl")?, row.try_get("id")?);
            let body: Option<String> = row.try_get("body")?;
            let version: Option<i64> = row.try_get("version")?;
            let Some(table) = Table::named(&table) else {
                match table.as_str() {
                    "world_revision" => now = version,
                    "deletions_from" => deletions_from = version.ok_or(sqlx::Error::RowNotFound)?,
                    // A deletion recorded for a table this version no longer has.
                    _ => {}
                }
                continue;
            };
            let key = (table, Arc::from(id));
            match body.zip(version) {
                Some(row) => {
                    changed.insert(key, Some(row));
                }
                // Deleted, unless written again since (then the row is there).
                None => {
                    changed.entry(key).or_insert(None);
                }
            }
        }
        let now = now.ok_or(sqlx::Error::RowNotFound)?;
        Ok((revision >= deletions_from).then_some((now, changed)))
    }

    /// Every world row with its body and version, and the audit trail's sealed head (its
    /// entries are read on their own, see [`SqlStore::audit_after`]). Read in one transaction,
    /// so rows and revision agree.
    pub async fn load_rows(
        &self,
    ) -> Result<(i64, BTreeMap<RowKey, (String, i64)>, Option<Anchor>), StoreError> {
        let mut tx = self.pool.begin_with(self.dialect.begin_read()).await?;
        let revision = sqlx::query_scalar(REVISION).fetch_one(&mut *tx).await?;
        let mut rows = BTreeMap::new();
        for table in Table::ALL {
            let sql = format!("SELECT id, body, version FROM {}", table.name());
            for row in sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *tx).await? {
                let id: String = row.try_get("id")?;
                rows.insert((table, Arc::from(id)), (row.try_get("body")?, row.try_get("version")?));
            }
        }
        let anchor = load_anchor(&mut tx).await?;
        tx.commit().await?;
        Ok((revision, rows, anchor))
    }

    /// The world's revision (see `migrations/0002_world_revision.sql`) and the audit trail's
    /// last position (0 when empty).
    pub async fn heads(&self, connection: &mut AnyConnection) -> Result<(i64, u64), StoreError> {
        let row = sqlx::query(HEADS).fetch_one(connection).await?;
        let audit_head: i64 = row.try_get("audit_head")?;
        Ok((row.try_get("revision")?, audit_head.try_into().unwrap_or_default()))
    }

    /// The audit entries after position `after` (at most `limit`), and the sealed head, read
    /// together.
    pub async fn audit_after(&self, after: u64, limit: usize) -> Result<StoredAudit, StoreError> {
        let mut tx = self.pool.begin_with(self.dialect.begin_read()).await?;
        let audit = StoredAudit {
            entries: load_audit(&mut tx, after, limit).await?,
            anchor: load_anchor(&mut tx).await?,
        };
        tx.commit().await?;
        Ok(audit)
    }

    /// Applies `changes` and appends `audit` in one transaction. Any row whose version moved
    /// since it was read makes the whole transaction roll back with [`StoreError::Conflict`].
    /// Returns the new revision and the audit entries as chained.
    /// `announce` hears the revision just before it becomes visible to other readers.
    pub async fn commit(
        &self,
        changes: Changes,
        audit: Vec<AuditRecord>,
        sealer: Option<&MasterKey>,
        announce: impl FnOnce(i64),
    ) -> Result<i64, StoreError> {
        let (mut tx, revision, _turn) = self.begin_write().await?;
        for ((table, id), version) in changes.guards {
            let sql = format!("SELECT version FROM {} WHERE id = $1", table.name());
            let stored: Option<i64> =
                sqlx::query_scalar(AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(&mut *tx).await?;
            if stored != Some(version) {
                return Err(StoreError::Conflict);
            }
        }
        // Each row carries the revision that wrote it, and a deletion leaves its revision
        // behind: another replica reads only what changed after the world it keeps.
        for ((table, id), body) in changes.inserts {
            let sql = format!(
                "INSERT INTO {} (id, body, version, revision) VALUES ($1, $2, 1, $3) ON CONFLICT DO NOTHING",
                table.name()
            );
            let done = sqlx::query(AssertSqlSafe(sql))
                .bind(id.to_string())
                .bind(body)
                .bind(revision)
                .execute(&mut *tx)
                .await?;
            require_one_row(done.rows_affected())?;
        }
        for ((table, id), body, version) in changes.updates {
            let sql = format!(
                "UPDATE {} SET body = $1, version = version + 1, revision = $2 WHERE id = $3 AND version = $4",
                table.name()
            );
            let done = sqlx::query(AssertSqlSafe(sql))
                .bind(body)
                .bind(revision)
                .bind(id.to_string())
                .bind(version)
                .execute(&mut *tx)
                .await?;
            require_one_row(done.rows_affected())?;
        }
        let deleted = !changes.deletes.is_empty();
        for ((table, id), version) in changes.deletes {
            let sql = format!("DELETE FROM {} WHERE id = $1 AND version = $2", table.name());
            let done =
                sqlx::query(AssertSqlSafe(sql)).bind(id.to_string()).bind(version).execute(&mut *tx).await?;
            require_one_row(done.rows_affected())?;
            sqlx::query(
                "INSERT INTO world_deletions (tbl, id, revision) VALUES ($1, $2, $3) \
                 ON CONFLICT (tbl, id) DO UPDATE SET revision = excluded.revision",
            )
            .bind(table.name())
            .bind(id.to_string())
            .bind(revision)
            .execute(&mut *tx)
            .await?;
        }
        if deleted {
            prune_deletions(&mut tx, revision - TOMBSTONE_REVISIONS).await?;
        }
        append_audit(&mut tx, audit, sealer).await?;
        announce(revision);
        tx.commit().await?;
        Ok(revision)
    }

    /// Seals the trail's present head in place of the placeholder the migration left (the
    /// first start of a server that keeps a head: what was written before is taken as it
    /// stands). Returns whether it did.
    pub async fn seal_first_head(&self, sealer: &MasterKey) -> Result<bool, StoreError> {
        let (mut tx, _, _turn) = self.begin_write().await?;
        let placeholder: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM audit_anchor WHERE id = 1 AND seq = -1")
                .fetch_optional(&mut *tx)
                .await?;
        if placeholder.is_none() {
            return Ok(false);
        }
        let last = sqlx::query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
        let (seq, hash) = match last {
            Some(row) => (row.try_get::<i64, _>("seq")?, row.try_get::<String, _>("hash")?),
            None => (0, shared::audit::GENESIS.to_owned()),
        };
        store_anchor(&mut tx, &Anchor::seal(sealer, seq.try_into().unwrap_or_default(), &hash)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Writes a whole world in one transaction, only if no world is stored yet. Returns whether
    /// it wrote.
    pub async fn seed(&self, rows: Rows) -> Result<bool, StoreError> {
        // Under the writers' lock: replicas starting together seed once.
        let (mut tx, revision, _turn) = self.begin_write().await?;
        let existing: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM world_settings").fetch_one(&mut *tx).await?;
        if existing > 0 {
            return Ok(false);
        }
        for ((table, id), body) in rows.0 {
            let sql =
                format!("INSERT INTO {} (id, body, version, revision) VALUES ($1, $2, 1, $3)", table.name());
            sqlx::query(AssertSqlSafe(sql))
                .bind(id.to_string())
                .bind(body)
                .bind(revision)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Whether a world has been stored.
    pub async fn is_seeded(&self) -> Result<bool, StoreError> {
        let existing: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM world_settings").fetch_one(&self.pool).await?;
        Ok(existing > 0)
    }

    /// The newest entries matching `query`, at most one more than its page holds, newest
    /// first: the part of the trail the engine pages (it applies `query` itself again).
    pub async fn audit_page(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let action = query
            .action
            .and_then(|a| serde_json::to_value(a).ok())
            .and_then(|a| a.as_str().map(str::to_owned))
            .unwrap_or_default();
        let subject = query.subject.as_deref().map_or(String::new(), |s| {
            let escaped =
                s.to_ascii_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        });
        let sql = format!(
            "SELECT seq, at, actor, source, action, subject, failure, prev_hash, hash FROM audit \
             WHERE seq < $1 AND ($2 = '' OR action = $2) AND ($3 = '' OR {} LIKE $3 ESCAPE '\\') \
             ORDER BY seq DESC LIMIT $4",
            self.dialect.ascii_lower("subject")
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(query.before.and_then(|b| i64::try_from(b).ok()).unwrap_or(i64::MAX))
            .bind(action)
            .bind(subject)
            .bind(i64::from(query.limit.clamp(1, AuditQuery::MAX_LIMIT)) + 1)
            .fetch_all(&self.pool)
            .await?;
        entries_of(rows)
    }

    /// Appends `audit` on its own (events that changed nothing else), leaving the world's
    /// revision as it was.
    pub async fn append(
        &self,
        audit: Vec<AuditRecord>,
        sealer: Option<&MasterKey>,
    ) -> Result<(), StoreError> {
        let (mut tx, _, _turn) = self.begin_write_with(LOCK_WRITERS).await?;
        append_audit(&mut tx, audit, sealer).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn password_hash(&self, username: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT password_hash FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The names of the accounts that have a password.
    pub async fn account_names(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT username FROM accounts ORDER BY username")
            .fetch_all(&self.pool)
            .await?)
    }

    /// Creates the account unless it exists; returns whether it did.
    pub async fn create_account(&self, username: &str, hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO accounts (username, password_hash) VALUES ($1, $2) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_password_hash(&self, username: &str, hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO accounts (username, password_hash) VALUES ($1, $2) \
             ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash",
        )
        .bind(username)
        .bind(hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a session and, in the same transaction, forgets every expired one.
    pub async fn create_session(
        &self,
        token_hash: &str,
        username: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, username, expires_at, last_seen) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(username)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user a live session belongs to: not expired, and used within `idle` seconds. The use
    /// is recorded at most once a minute, so reads do not each take the database's write lock.
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
        idle: i64,
    ) -> Result<Option<(String, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT username, expires_at, last_seen FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2 AND last_seen > $2 - $3",
        )
        .bind(token_hash)
        .bind(now)
        .bind(idle)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let last_seen: i64 = row.try_get("last_seen")?;
        if last_seen < now - LAST_SEEN_GRANULARITY {
            sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some((row.try_get("username")?, row.try_get("expires_at")?)))
    }

    /// The live sessions of `username`: token hash, expiry and last use.
    pub async fn sessions_of(&self, username: &str, now: i64) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT token_hash, expires_at, last_seen FROM sessions \
             WHERE username = $1 AND expires_at > $2 ORDER BY last_seen DESC",
        )
        .bind(username)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((row.try_get("token_hash")?, row.try_get("expires_at")?, row.try_get("last_seen")?))
            })
            .collect()
    }

    /// Ends every session of `username` (after a password change).
    pub async fn delete_sessions_of(&self, username: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE username = $1").bind(username).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn master_key_check(&self) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT sealed FROM master_key_check WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Writes the check value unless one is there; returns whether it did.
    pub async fn set_master_key_check(&self, sealed: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO master_key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(sealed)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// The audit trail after position `after`, oldest first. A row whose action or code no longer parses (edited outside
/// Keyblade) is left out, which the chain then reports as broken at that position.
/// The entries after position `after`, at most `limit` of them.
async fn load_audit(
    tx: &mut sqlx::AnyConnection,
    after: u64,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, at, actor, source, action, subject, failure, prev_hash, hash FROM audit \
         WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(i64::try_from(after).unwrap_or(i64::MAX))
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&mut *tx)
    .await?;
    entries_of(rows)
}

/// Audit rows as entries; a row whose action or code this version does not know is left out.
fn entries_of(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<AuditEntry>, StoreError> {
    let mut entries = Vec::with_capacity(rows.len());
    for row in rows {
        let action = serde_json::from_value(serde_json::Value::String(row.try_get("action")?));
        let failure: Option<String> = row.try_get("failure")?;
        let failure = failure.map(|code| serde_json::from_value(serde_json::Value::String(code))).transpose();
        let (Ok(action), Ok(failure)) = (action, failure) else { continue };
        entries.push(AuditEntry {
            seq: row.try_get::<i64, _>("seq")?.try_into().unwrap_or_default(),
            at: shared::model::Timestamp(row.try_get("at")?),
            actor: row.try_get("actor")?,
            source: row.try_get("source")?,
            action,
            subject: row.try_get("subject")?,
            failure,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        });
    }
    Ok(entries)
}

/// The audit trail as stored: its entries and its sealed head, if one is kept.
pub struct StoredAudit {
    pub entries: Vec<AuditEntry>,
    pub anchor: Option<Anchor>,
}

/// The sealed head; none while only the placeholder is there, or when the row was removed.
async fn load_anchor(tx: &mut sqlx::AnyConnection) -> Result<Option<Anchor>, StoreError> {
    let row = sqlx::query("SELECT seq, hash, seal FROM audit_anchor WHERE id = 1 AND seq >= 0")
        .fetch_optional(&mut *tx)
        .await?;
    row.map(|row| {
        Ok(Anchor {
            seq: row.try_get::<i64, _>("seq")?.try_into().unwrap_or_default(),
            hash: row.try_get("hash")?,
            seal: row.try_get("seal")?,
        })
    })
    .transpose()
}

async fn store_anchor(tx: &mut sqlx::AnyConnection, anchor: &Anchor) -> Result<(), StoreError> {
    sqlx::query(STORE_ANCHOR)
        .bind(i64::try_from(anchor.seq).unwrap_or(i64::MAX))
        .bind(&anchor.hash)
        .bind(&anchor.seal)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Rows as they are now (body and version), or `None` where deleted.
pub type ChangedRows = BTreeMap<RowKey, Option<(String, i64)>>;

/// The world's revision and the revision the deletions are kept from (as the versions of rows of
/// no table), the rows of every world table written after `$1`, and the deletions after it (no
/// body).
fn changed_rows_since() -> String {
    let written = Table::ALL.map(|table| {
        format!(" UNION ALL SELECT '{0}', id, body, version FROM {0} WHERE revision > $1", table.name())
    });
    format!(
        "SELECT 'world_revision' AS tbl, '' AS id, NULL AS body, revision AS version FROM world_revision WHERE id = 1 \
         UNION ALL SELECT 'deletions_from', '', NULL, deletions_from FROM world_revision WHERE id = 1{} \
         UNION ALL SELECT tbl, id, NULL, NULL FROM world_deletions WHERE revision > $1",
        written.concat()
    )
}

/// How many revisions a deletion's record is kept: a replica whose kept world is further behind
/// reads the whole world again.
pub(super) const TOMBSTONE_REVISIONS: i64 = 100_000;

/// Forgets the deletions recorded at or before revision `through`.
async fn prune_deletions(tx: &mut sqlx::AnyConnection, through: i64) -> Result<(), StoreError> {
    if through <= 0 {
        return Ok(());
    }
    sqlx::query("DELETE FROM world_deletions WHERE revision <= $1").bind(through).execute(&mut *tx).await?;
    sqlx::query("UPDATE world_revision SET deletions_from = $1 WHERE id = 1 AND deletions_from < $1")
        .bind(through)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Audit rows one INSERT carries: 9 parameters each, well below SQLite's and PostgreSQL's
/// limits on parameters per statement.
pub(super) const AUDIT_ROWS_PER_INSERT: usize = 128;

/// `INSERT INTO audit ... VALUES (...), (...)` for `rows` rows.
pub(super) fn audit_insert(rows: usize) -> String {
    const COLUMNS: usize = 9;
    let mut sql = String::from(
        "INSERT INTO audit (seq, at, actor, source, action, subject, failure, prev_hash, hash) VALUES ",
    );
    for row in 0..rows {
        let placeholders: Vec<String> = (1..=COLUMNS).map(|c| format!("${}", row * COLUMNS + c)).collect();
        sql.push_str(if row == 0 { "(" } else { ", (" });
        sql.push_str(&placeholders.join(", "));
        sql.push(')');
    }
    sql
}

/// One audit row's values, in the order of [`audit_insert`]'s columns.
pub(super) struct AuditRow<'a> {
    pub seq: i64,
    pub at: i64,
    pub actor: &'a str,
    pub source: &'a str,
    pub action: String,
    pub subject: &'a str,
    pub failure: Option<String>,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

impl<'a> AuditRow<'a> {
    pub(super) fn of(entry: &'a AuditEntry) -> Self {
        AuditRow {
            seq: i64::try_from(entry.seq).unwrap_or(i64::MAX),
            at: entry.at.0,
            actor: &entry.actor,
            source: &entry.source,
            action: wire_name(&entry.action),
            subject: &entry.subject,
            failure: entry.failure.map(|code| wire_name(&code)),
            prev_hash: &entry.prev_hash,
            hash: &entry.hash,
        }
    }
}

/// The trail's end as an append finds it, in one statement: the last entry's position and hash,
/// and the sealed head (none while only the placeholder is there, or when the row was removed).
pub(super) const TAIL: &str = "SELECT a.seq AS last_seq, a.hash AS last_hash, \
     h.seq AS head_seq, h.hash AS head_hash, h.seal AS head_seal \
     FROM (SELECT 1 AS one) o \
     LEFT JOIN (SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1) a ON 1 = 1 \
     LEFT JOIN (SELECT seq, hash, seal FROM audit_anchor WHERE id = 1 AND seq >= 0) h ON 1 = 1";

pub(super) const STORE_ANCHOR: &str = "UPDATE audit_anchor SET seq = $1, hash = $2, seal = $3 WHERE id = 1";

/// The trail's end: the last entry's position and hash, and the sealed head.
pub(super) struct Tail {
    pub last: Option<(i64, String)>,
    pub head: Option<Anchor>,
}

/// What an append writes: the records chained onto the tail, and the head to seal.
pub(super) struct Chained {
    pub entries: Vec<AuditEntry>,
    pub head: Option<Anchor>,
}

impl Tail {
    /// Chains `records` onto this tail, and seals the new head with `sealer` provided the
    /// sealed head is the trail's present one: a head left behind by entries removed or added
    /// outside Keyblade stays where it is, so the next append cannot launder the change.
    pub(super) fn chain(self, records: Vec<AuditRecord>, sealer: Option<&MasterKey>) -> Chained {
        let last = match &self.last {
            Some((seq, hash)) => ((*seq).try_into().unwrap_or_default(), hash.clone()),
            None => (0, shared::audit::GENESIS.to_owned()),
        };
        let head_is_sealed = sealer.is_some_and(|sealer| {
            self.head
                .as_ref()
                .is_some_and(|a| a.is_authentic(sealer) && (a.seq, &a.hash) == (last.0, &last.1))
        });
        let (mut seq, mut hash) = last;
        let mut entries = Vec::with_capacity(records.len());
        for record in records {
            let entry = AuditEntry::seal_after(seq, &hash, record);
            (seq, hash) = (entry.seq, entry.hash.clone());
            entries.push(entry);
        }
        let head = match (sealer, entries.last(), head_is_sealed) {
            (Some(sealer), Some(last), true) => Some(Anchor::seal(sealer, last.seq, &last.hash)),
            _ => None,
        };
        Chained { entries, head }
    }
}

/// Chains `records` onto the stored trail inside the caller's transaction, which holds the
/// database's write lock, so no other writer can take the same position.
async fn append_audit(
    tx: &mut sqlx::AnyConnection,
    records: Vec<AuditRecord>,
    sealer: Option<&MasterKey>,
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let row = sqlx::query(TAIL).fetch_one(&mut *tx).await?;
    let last = row.try_get::<Option<i64>, _>("last_seq")?.zip(row.try_get::<Option<String>, _>("last_hash")?);
    let head = match row.try_get::<Option<i64>, _>("head_seq")? {
        Some(seq) => Some(Anchor {
            seq: seq.try_into().unwrap_or_default(),
            hash: row.try_get("head_hash")?,
            seal: row.try_get("head_seal")?,
        }),
        None => None,
    };
    let chained = Tail { last, head }.chain(records, sealer);
    // Many rows to a statement: each statement is a round trip to the driver's thread.
    for rows in chained.entries.chunks(AUDIT_ROWS_PER_INSERT) {
        let mut insert = sqlx::query(AssertSqlSafe(audit_insert(rows.len())));
        for row in rows.iter().map(AuditRow::of) {
            insert = insert
                .bind(row.seq)
                .bind(row.at)
                .bind(row.actor)
                .bind(row.source)
                .bind(row.action)
                .bind(row.subject)
                .bind(row.failure)
                .bind(row.prev_hash)
                .bind(row.hash);
        }
        insert.execute(&mut *tx).await?;
    }
    if let Some(head) = chained.head {
        store_anchor(tx, &head).await?;
    }
    Ok(())
}

/// A unit enum variant's serde name (`key.create`).
fn wire_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// A conditional write that touched no row lost a race with another writer.
fn require_one_row(affected: u64) -> Result<(), StoreError> {
    if affected == 1 { Ok(()) } else { Err(StoreError::Conflict) }
}
