//! One revision check for many readers, on a connection of its own. Every request starts by
//! asking the database whether the world moved (one small query, but a round trip through the
//! driver's worker thread); under load, the requests that arrive while a check is under way
//! wait for the next one and share its answer. That answer was read after each of them
//! arrived, so none of them can miss a write that finished before it did.

use std::sync::Arc;

use sqlx::{AnyConnection, Connection};
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, sql::SqlStore};

type Answer = Result<(i64, u64), Arc<StoreError>>;

/// The most readers one check answers.
const BATCH: usize = 1024;

enum Request {
    Check(oneshot::Sender<Answer>),
    /// Closes the connection (the store is closing) and answers once it is.
    Close(oneshot::Sender<()>),
}

#[derive(Clone)]
pub(super) struct Heads(mpsc::UnboundedSender<Request>);

impl Heads {
    pub(super) fn start(db: SqlStore) -> Heads {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Request>();
        tokio::spawn(async move {
            let (mut requests, mut connection) = (Vec::new(), None);
            while receiver.recv_many(&mut requests, BATCH).await > 0 {
                let mut answer = None;
                for request in requests.drain(..) {
                    match request {
                        Request::Check(reader) => {
                            if answer.is_none() {
                                answer = Some(check(&db, &mut connection).await.map_err(Arc::new));
                            }
                            let _ = reader.send(answer.clone().unwrap_or(Err(Arc::new(StoreError::Closed))));
                        }
                        Request::Close(closed) => {
                            if let Some(open) = connection.take() {
                                let _ = open.close().await;
                            }
                            let _ = closed.send(());
                        }
                    }
                }
            }
        });
        Heads(sender)
    }

    /// The world's revision and the audit trail's last position, as stored now or later.
    pub(super) async fn read(&self) -> Result<(i64, u64), StoreError> {
        let (answer, answered) = oneshot::channel();
        self.0.send(Request::Check(answer)).map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?.map_err(StoreError::Batch)
    }

    /// Closes the connection; a later check opens another.
    pub(super) async fn close(&self) {
        let (closed, done) = oneshot::channel();
        if self.0.send(Request::Close(closed)).is_ok() {
            let _ = done.await;
        }
    }
}

/// One check on the task's own connection (so it never waits behind the requests' queries),
/// made again after a failure (a database server that restarted, say).
async fn check(db: &SqlStore, connection: &mut Option<AnyConnection>) -> Result<(i64, u64), StoreError> {
    let mut open = match connection.take() {
        Some(open) => open,
        None => db.dedicated_connection().await?,
    };
    let heads = db.heads(&mut open).await?;
    *connection = Some(open);
    Ok(heads)
}
