//! Group commit for the audit trail. Every key use is an audit entry, so under load most
//! writes are appends; one transaction each would make each request wait its turn for the
//! database's write lock. Instead requests hand their records to one task, which appends
//! whatever has gathered meanwhile in a single transaction and answers everyone in it once it
//! is stored. A request still returns only after its entries are durable.

use std::sync::{Arc, OnceLock};

use shared::{audit::AuditRecord, crypto::MasterKey};
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, sql::SqlStore};

/// The most records one transaction takes.
const BATCH: usize = 512;

struct Pending {
    records: Vec<AuditRecord>,
    stored: oneshot::Sender<Result<(), Arc<StoreError>>>,
}

#[derive(Clone)]
pub(super) struct Appender(mpsc::UnboundedSender<Pending>);

impl Appender {
    /// Starts the task that appends to `db`, sealing each batch's head under the sealer's key
    /// once it has one.
    pub(super) fn start(db: SqlStore, sealer: Arc<OnceLock<MasterKey>>) -> Appender {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
            let mut batch = Vec::new();
            while receiver.recv_many(&mut batch, BATCH).await > 0 {
                let records = batch.iter_mut().flat_map(|p| std::mem::take(&mut p.records)).collect();
                let result = db.append(records, sealer.get()).await.map_err(Arc::new);
                for pending in batch.drain(..) {
                    // The request may have gone (its client hung up): its entries stay stored.
                    let _ = pending.stored.send(result.clone());
                }
            }
        });
        Appender(sender)
    }

    /// Appends `records`, in order, and waits until they are stored.
    pub(super) async fn append(&self, records: Vec<AuditRecord>) -> Result<(), StoreError> {
        let (stored, done) = oneshot::channel();
        self.0.send(Pending { records, stored }).map_err(|_| StoreError::Closed)?;
        done.await.map_err(|_| StoreError::Closed)?.map_err(StoreError::Batch)
    }
}
