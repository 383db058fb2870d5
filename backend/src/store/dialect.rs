//! What differs between the databases Keyblade runs on. Every query is written once, in
//! [`super::sql`], in the SQL both understand; a [`Dialect`] says only how to connect, how to
//! open transactions, and which migrations describe its schema.

use std::{future::Future, path::PathBuf, pin::Pin, str::FromStr};

use sqlx::{
    AssertSqlSafe, Connection, PgConnection, migrate::Migrator, postgres::PgConnectOptions,
    sqlite::SqliteConnectOptions,
};

use super::StoreError;

/// What [`Dialect::create_database`] returns: the trait stays usable as `dyn Dialect`.
pub type Preparation<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + 'a>>;

/// One database Keyblade can store its world in, chosen by the URL's scheme.
pub trait Dialect: Send + Sync {
    /// The schema, as migrations compiled into the binary.
    fn migrator(&self) -> &'static Migrator;
    /// Whether connecting failed because the database `url` names does not exist yet.
    /// SQLite never says so: its driver creates the file (`mode=rwc`).
    fn is_missing_database(&self, _error: &sqlx::Error) -> bool {
        false
    }
    /// Creates the database `url` names, so that a new URL works the first time.
    fn create_database<'a>(&self, _url: &'a str) -> Preparation<'a> {
        Box::pin(async { Ok(()) })
    }
    /// The URL the driver connects with (options the scheme needs added).
    fn connect_url(&self, url: &str) -> String;
    /// Statements each new connection runs before its first use.
    fn connection_setup(&self) -> Option<&'static str>;
    /// Connections the pool keeps at most.
    fn max_connections(&self) -> u32;
    /// Whether the pool pings a connection before lending it: worth a round trip only when the
    /// connection crosses a network that may have dropped it.
    fn ping_before_use(&self) -> bool {
        true
    }
    /// Begins a transaction that reads many tables as one consistent snapshot.
    fn begin_read(&self) -> &'static str;
    /// `column` with A-Z made lowercase and nothing else changed: the engine's
    /// case-insensitive match (`to_ascii_lowercase`), in SQL.
    fn ascii_lower(&self, column: &str) -> String;
    /// Begins a transaction that will write. Its first statement is always the revision bump,
    /// which takes the lock that orders writers.
    fn begin_write(&self) -> &'static str;
    /// The database file `url` names, when it is a file on this machine that this process
    /// may read directly (see `heads`).
    fn local_file(&self, _url: &str) -> Option<PathBuf> {
        None
    }
}

/// The dialect of `url`, by its scheme.
pub fn of_url(url: &str) -> Result<&'static dyn Dialect, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(&Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(&Postgres)
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// A file in the data directory, WAL journal: the default, needing nothing else.
pub struct Sqlite;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

impl Dialect for Sqlite {
    fn migrator(&self) -> &'static Migrator {
        &SQLITE_MIGRATIONS
    }

    fn connect_url(&self, url: &str) -> String {
        if url.contains("mode=") {
            return url.to_owned();
        }
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}mode=rwc")
    }

    fn connection_setup(&self) -> Option<&'static str> {
        // Deleted and replaced rows are overwritten with zeros, so a purged key's sealed bytes
        // do not linger in free pages of the file. A writer waits up to 5 s for another's lock.
        Some(
            "PRAGMA journal_mode = WAL; PRAGMA secure_delete = ON; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )
    }

    fn max_connections(&self) -> u32 {
        4
    }

    /// A file on this machine: a connection cannot have been dropped under us.
    fn ping_before_use(&self) -> bool {
        false
    }

    /// SQLite's own `lower` folds ASCII only.
    fn ascii_lower(&self, column: &str) -> String {
        format!("lower({column})")
    }

    fn begin_read(&self) -> &'static str {
        "BEGIN"
    }

    /// The write lock at once: a transaction that read first and wrote later could not upgrade
    /// its lock while another writer committed, and would fail instead of waiting.
    fn begin_write(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }

    /// The file, unless the database lives in memory (each connection would see its own).
    fn local_file(&self, url: &str) -> Option<PathBuf> {
        let options = SqliteConnectOptions::from_str(url).ok()?;
        let file = options.get_filename();
        (!file.as_os_str().is_empty() && !file.to_string_lossy().contains(":memory:"))
            .then(|| file.to_owned())
    }
}

/// A PostgreSQL server, shared by any number of Keyblade replicas.
pub struct Postgres;

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

impl Dialect for Postgres {
    fn migrator(&self) -> &'static Migrator {
        &POSTGRES_MIGRATIONS
    }

    /// `invalid_catalog_name`: the server is there, the database is not.
    fn is_missing_database(&self, error: &sqlx::Error) -> bool {
        has_code(error, "3D000")
    }

    /// Through the server's maintenance database, as the same user; its refusal (no right to
    /// create databases) is the error the operator sees.
    fn create_database<'a>(&self, url: &'a str) -> Preparation<'a> {
        Box::pin(async move {
            let options: PgConnectOptions = url.parse()?;
            let name = options.get_database().unwrap_or(options.get_username()).to_owned();
            let mut admin = PgConnection::connect_with(&options.database("postgres")).await?;
            let create = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
            let created = sqlx::query(AssertSqlSafe(create)).execute(&mut admin).await;
            admin.close().await?;
            match created {
                // Two replicas starting at once both try; the second finds it made, or (when
                // both passed the existence check) trips the catalog's unique index.
                Err(error) if !has_code(&error, "42P04") && !has_code(&error, "23505") => Err(error.into()),
                _ => Ok(()),
            }
        })
    }

    fn connect_url(&self, url: &str) -> String {
        url.to_owned()
    }

    /// Every statement is a short lookup with the same best plan whatever its parameters.
    /// PostgreSQL plans at least the first five executions of a prepared statement on each
    /// connection anew, which costs more than running it: two milliseconds for the query that
    /// reads what other replicas changed (every table at once), against a quarter of one.
    fn connection_setup(&self) -> Option<&'static str> {
        Some("SET plan_cache_mode = force_generic_plan")
    }

    fn max_connections(&self) -> u32 {
        8
    }

    /// PostgreSQL's `lower` folds every alphabet; the engine folds A-Z only.
    fn ascii_lower(&self, column: &str) -> String {
        format!("translate({column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')")
    }

    /// Read committed would let each table's query see a different moment.
    fn begin_read(&self) -> &'static str {
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
    }

    /// Read committed: once the revision row's lock is held, every later statement sees what
    /// the writers before committed, so version checks compare against the latest rows.
    fn begin_write(&self) -> &'static str {
        "BEGIN"
    }
}

/// Whether the server answered with this SQLSTATE.
fn has_code(error: &sqlx::Error, code: &str) -> bool {
    error.as_database_error().and_then(|e| e.code()).is_some_and(|c| c == code)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The tables and columns each dialect's migrations create, read off the migration files.
    fn schema(dialect: &dyn Dialect) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        for migration in dialect.migrator().iter() {
            let sql = migration.sql.as_ref().to_lowercase();
            let code: String = sql
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            for statement in code.split(';') {
                let words: Vec<&str> = statement.split_whitespace().collect();
                match words.as_slice() {
                    ["create", "table", table, ..] => {
                        names.insert(table.split('(').next().unwrap_or(table).to_owned());
                    }
                    ["alter", "table", table, "add", "column", column, ..] => {
                        names.insert(format!("{table}.{column}"));
                    }
                    _ => {}
                }
            }
        }
        names
    }

    #[test]
    fn both_dialects_migrate_to_the_same_tables_in_the_same_steps() {
        assert_eq!(schema(&Sqlite), schema(&Postgres));
        let steps = |d: &dyn Dialect| {
            d.migrator().iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>()
        };
        assert_eq!(steps(&Sqlite), steps(&Postgres));
        let tables = schema(&Sqlite);
        for table in
            ["world_settings", "world_revision", "audit", "sessions.last_seen", "stamps", "role_assignments"]
        {
            assert!(tables.contains(table), "{table} missing from {tables:?}");
        }
    }

    #[test]
    fn the_scheme_picks_the_dialect() {
        assert!(of_url("sqlite://data/keyblade.db").is_ok());
        assert!(of_url("postgres://keyblade@localhost/keyblade").is_ok());
        assert!(matches!(of_url("mysql://localhost/keyblade"), Err(StoreError::UnsupportedUrl)));
    }
}
