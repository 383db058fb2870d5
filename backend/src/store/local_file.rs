//! A SQLite database file opened directly (rusqlite, linked to the same SQLite as sqlx), for
//! the two hottest statements a busy server runs: the revision check every request makes and
//! the audit append every key use makes. Through sqlx each statement is a round trip to the
//! driver's worker thread and back, which costs more than the statement itself.

use std::{
    path::PathBuf,
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags};

use super::{StoreError, dialect::Dialect};

pub(super) struct LocalFile {
    path: PathBuf,
    /// Statements a writing connection runs first (the pool's own; see `Dialect`).
    setup: Option<&'static str>,
    connection: Mutex<Handle>,
}

#[derive(Default)]
enum Handle {
    #[default]
    Unopened,
    Open(Connection),
    /// The store closed for good: nothing opens the file again.
    Closed,
}

impl LocalFile {
    /// Reads `path`, never writing.
    pub(super) fn reader(path: PathBuf) -> LocalFile {
        LocalFile { path, setup: None, connection: Mutex::default() }
    }

    /// Writes `path`, set up as `dialect` sets up the pool's connections.
    pub(super) fn writer(path: PathBuf, dialect: &dyn Dialect) -> LocalFile {
        LocalFile { path, setup: dialect.connection_setup(), connection: Mutex::default() }
    }

    /// Runs `work` on the connection, opening it first when it is not open. One caller at a time.
    pub(super) fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut handle = lock(&self.connection);
        if matches!(*handle, Handle::Unopened) {
            *handle = Handle::Open(self.open()?);
        }
        match &mut *handle {
            Handle::Open(open) => work(open),
            _ => Err(StoreError::Closed),
        }
    }

    /// Closes the connection (the last one to close checkpoints the WAL into the file); the
    /// next use opens another.
    pub(super) fn close(&self) {
        *lock(&self.connection) = Handle::Unopened;
    }

    /// Closes the connection for good: a use after this fails with [`StoreError::Closed`].
    pub(super) fn close_for_good(&self) {
        *lock(&self.connection) = Handle::Closed;
    }

    fn open(&self) -> Result<Connection, rusqlite::Error> {
        let access = match self.setup {
            Some(_) => OpenFlags::SQLITE_OPEN_READ_WRITE,
            None => OpenFlags::SQLITE_OPEN_READ_ONLY,
        };
        let connection = Connection::open_with_flags(&self.path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        // A reader of a WAL file waits only while another connection rebuilds its index; a
        // writer as long as the pool's writers do.
        connection.busy_timeout(Duration::from_secs(5))?;
        if let Some(setup) = self.setup {
            connection.execute_batch(setup)?;
        }
        Ok(connection)
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
