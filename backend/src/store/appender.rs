//! Group commit for the audit trail. Every key use is an audit entry, so under load most
//! writes are appends; one transaction each would make each request wait its turn for the
//! database's write lock. Instead requests hand their records to one writer, which appends
//! whatever has gathered meanwhile in a single transaction and answers everyone in it once it
//! is stored. A request still returns only after its entries are durable.
//!
//! A SQLite file on this machine is written by a thread of its own on its own connection
//! ([`LocalFile`]): a whole transaction then costs the requests one hand-off, where through the
//! driver each of its statements is a round trip to the driver's thread.

use std::{
    path::PathBuf,
    sync::{Arc, OnceLock},
};

use rusqlite::{TransactionBehavior, types::Value};
use shared::{audit::AuditRecord, crypto::MasterKey};
use tokio::sync::{mpsc, oneshot};

use super::{
    StoreError,
    dialect::Dialect,
    local_file::LocalFile,
    sql::{self, AuditRow, SqlStore, Tail},
};

/// The most requests one transaction answers.
const BATCH: usize = 512;

struct Pending {
    records: Vec<AuditRecord>,
    stored: oneshot::Sender<Result<(), Arc<StoreError>>>,
}

#[derive(Clone)]
pub(super) struct Appender {
    pending: mpsc::UnboundedSender<Pending>,
    file: Option<Arc<LocalFile>>,
}

impl Appender {
    /// Starts the writer that appends to `db` (directly to `file`, when it is a SQLite file
    /// here), sealing each batch's head under the sealer's key once it has one.
    pub(super) fn start(
        db: SqlStore,
        file: Option<PathBuf>,
        dialect: &dyn Dialect,
        sealer: Arc<OnceLock<MasterKey>>,
    ) -> std::io::Result<Appender> {
        let (pending, mut receiver) = mpsc::unbounded_channel::<Pending>();
        let Some(path) = file else {
            tokio::spawn(async move {
                let mut batch = Vec::new();
                while receiver.recv_many(&mut batch, BATCH).await > 0 {
                    let records = take_records(&mut batch);
                    answer(&mut batch, db.append(records, sealer.get()).await);
                }
            });
            return Ok(Appender { pending, file: None });
        };
        let file = Arc::new(LocalFile::writer(path, dialect));
        let (writer, turns) = (Arc::clone(&file), db.writers());
        std::thread::Builder::new().name("audit-appender".into()).spawn(move || {
            let mut batch = Vec::new();
            while let Some(first) = receiver.blocking_recv() {
                batch.push(first);
                while batch.len() < BATCH
                    && let Ok(next) = receiver.try_recv()
                {
                    batch.push(next);
                }
                let records = take_records(&mut batch);
                // This server's writers take turns, so the database's lock is never waited for.
                let _turn = turns.blocking_lock();
                answer(
                    &mut batch,
                    writer.with(|connection| append_to_file(connection, records, sealer.get())),
                );
            }
        })?;
        Ok(Appender { pending, file: Some(file) })
    }

    /// Appends `records`, in order, and waits until they are stored.
    pub(super) async fn append(&self, records: Vec<AuditRecord>) -> Result<(), StoreError> {
        let (stored, done) = oneshot::channel();
        self.pending.send(Pending { records, stored }).map_err(|_| StoreError::Closed)?;
        done.await.map_err(|_| StoreError::Closed)?.map_err(StoreError::Batch)
    }

    /// Closes the file's connection, if it has one, for good: an append queued or sent after
    /// this fails, so nothing reopens the file the store let go of. Waits (off the runtime's
    /// threads) for a transaction under way.
    pub(super) async fn close(&self) {
        if let Some(file) = self.file.clone() {
            let _ = tokio::task::spawn_blocking(move || file.close_for_good()).await;
        }
    }
}

fn take_records(batch: &mut [Pending]) -> Vec<AuditRecord> {
    batch.iter_mut().flat_map(|p| std::mem::take(&mut p.records)).collect()
}

fn answer(batch: &mut Vec<Pending>, result: Result<(), StoreError>) {
    let result = result.map_err(Arc::new);
    for pending in batch.drain(..) {
        // The request may have gone (its client hung up): its entries stay stored.
        let _ = pending.stored.send(result.clone());
    }
}

/// The same append as `SqlStore::append`, in one transaction on `connection`.
fn append_to_file(
    connection: &mut rusqlite::Connection,
    records: Vec<AuditRecord>,
    sealer: Option<&MasterKey>,
) -> Result<(), StoreError> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let tail = tx.prepare_cached(sql::TAIL)?.query_row([], |row| {
        let last = row.get::<_, Option<i64>>("last_seq")?.zip(row.get("last_hash")?);
        let head = match row.get::<_, Option<i64>>("head_seq")? {
            Some(seq) => Some(shared::audit::Anchor {
                seq: seq.try_into().unwrap_or_default(),
                hash: row.get("head_hash")?,
                seal: row.get("head_seal")?,
            }),
            None => None,
        };
        Ok(Tail { last, head })
    })?;
    let chained = tail.chain(records, sealer);
    for rows in chained.entries.chunks(sql::AUDIT_ROWS_PER_INSERT) {
        let values = rows.iter().map(AuditRow::of).flat_map(|row| {
            [
                Value::Integer(row.seq),
                Value::Integer(row.at),
                Value::Text(row.actor.to_owned()),
                Value::Text(row.source.to_owned()),
                Value::Text(row.action),
                Value::Text(row.subject.to_owned()),
                row.failure.map_or(Value::Null, Value::Text),
                Value::Text(row.prev_hash.to_owned()),
                Value::Text(row.hash.to_owned()),
            ]
        });
        tx.prepare_cached(&sql::audit_insert(rows.len()))?.execute(rusqlite::params_from_iter(values))?;
    }
    if let Some(head) = chained.head {
        let seq = i64::try_from(head.seq).unwrap_or(i64::MAX);
        tx.prepare_cached(sql::STORE_ANCHOR)?.execute(rusqlite::params![seq, head.hash, head.seal])?;
    }
    tx.commit()?;
    Ok(())
}
