//! One revision check for many readers, on a connection of its own. Every request starts by
//! asking the database whether the world moved (one small query, but a round trip through the
//! driver's worker thread); under load, the requests that arrive while a check is under way
//! wait for the next one and share its answer. That answer was read after each of them
//! arrived, so none of them can miss a write that finished before it did.
//!
//! A request may load the world more than once (the credential, then the endpoint): a check
//! that began after the request arrived ([`in_request`]) answers every load of it.
//!
//! A SQLite file is read on the calling thread instead ([`check_file`]): the query takes
//! microseconds, less than the trip to the driver's thread and back, and a busy server's
//! requests no longer queue behind that thread's turn on a core.

use std::{
    future::Future,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Instant,
};

use sqlx::{AnyConnection, Connection};
use tokio::sync::{mpsc, oneshot};

use super::{
    StoreError,
    local_file::{LocalFile, lock},
    sql::{self, SqlStore},
};

type Answer = Result<(i64, u64), Arc<StoreError>>;

/// The most readers one check answers.
const BATCH: usize = 1024;

enum Request {
    Check(oneshot::Sender<Answer>),
    /// Closes the connection (the store is closing) and answers once it is.
    Close(oneshot::Sender<()>),
}

tokio::task_local! {
    /// When the request being served arrived.
    static ARRIVED: Instant;
}

/// Serves `request` as one request: its loads may share a check begun after it arrived.
pub async fn in_request<F: Future>(request: F) -> F::Output {
    ARRIVED.scope(Instant::now(), request).await
}

/// The last answer, and when its check began.
type Latest = Arc<Mutex<Kept>>;

#[derive(Default)]
struct Kept {
    answer: Option<(Instant, (i64, u64))>,
    /// Answers of checks begun before this are stale (see [`Heads::forget`]).
    not_before: Option<Instant>,
}

impl Kept {
    /// The last answer, if its check began at or after `since`.
    fn since(&self, since: Instant) -> Option<(i64, u64)> {
        self.answer.filter(|(began, _)| *began >= since).map(|(_, heads)| heads)
    }

    /// Keeps the answer of a check begun at `began`, unless a later one is kept or it is stale.
    fn offer(&mut self, began: Instant, heads: (i64, u64)) {
        let newer = self.answer.is_none_or(|(kept_began, _)| kept_began < began);
        if newer && self.not_before.is_none_or(|floor| began >= floor) {
            self.answer = Some((began, heads));
        }
    }
}

#[derive(Clone)]
pub(super) struct Heads {
    checks: mpsc::UnboundedSender<Request>,
    latest: Latest,
    local: Option<Arc<LocalFile>>,
}

impl Heads {
    /// Checks through `db`, or by reading `file` directly when it is a SQLite file here.
    pub(super) fn start(db: SqlStore, file: Option<PathBuf>) -> Heads {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Request>();
        let latest = Latest::default();
        let local = file.map(|path| Arc::new(LocalFile::reader(path)));
        let heads = Heads { checks: sender, latest: latest.clone(), local };
        if heads.local.is_some() {
            // Checks run on the callers' threads; no one sends here.
            return heads;
        }
        tokio::spawn(async move {
            let (mut requests, mut connection) = (Vec::new(), None);
            while receiver.recv_many(&mut requests, BATCH).await > 0 {
                let mut answer = None;
                for request in requests.drain(..) {
                    match request {
                        Request::Check(reader) => {
                            let answer = match &answer {
                                Some(answer) => answer,
                                None => answer.insert(check(&db, &mut connection, &latest).await),
                            };
                            let _ = reader.send(answer.clone());
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
        heads
    }

    /// The world's revision and the audit trail's last position, as stored when the request
    /// being served arrived (now, outside a request) or later.
    pub(super) async fn read(&self) -> Result<(i64, u64), StoreError> {
        let since = ARRIVED.try_with(|arrived| *arrived).unwrap_or_else(|_| Instant::now());
        if let Some(heads) = lock(&self.latest).since(since) {
            return Ok(heads);
        }
        if let Some(local) = &self.local {
            return check_file(local, &self.latest, since);
        }
        let (answer, answered) = oneshot::channel();
        self.checks.send(Request::Check(answer)).map_err(|_| StoreError::Closed)?;
        answered.await.map_err(|_| StoreError::Closed)?.map_err(StoreError::Batch)
    }

    /// Forgets the last answer, and those of checks under way: a write found that another
    /// writer moved the world since, and looking again must see that.
    pub(super) fn forget(&self) {
        *lock(&self.latest) = Kept { answer: None, not_before: Some(Instant::now()) };
    }

    /// Closes the connection; a later check opens another.
    pub(super) async fn close(&self) {
        if let Some(local) = &self.local {
            local.close();
        }
        let (closed, done) = oneshot::channel();
        if self.checks.send(Request::Close(closed)).is_ok() {
            let _ = done.await;
        }
    }
}

/// One check on the task's own connection (so it never waits behind the requests' queries),
/// made again after a failure (a database server that restarted, say); its answer is kept as
/// the latest.
async fn check(db: &SqlStore, connection: &mut Option<AnyConnection>, latest: &Latest) -> Answer {
    let began = Instant::now();
    let mut open = match connection.take() {
        Some(open) => open,
        None => db.dedicated_connection().await.map_err(Arc::new)?,
    };
    let heads = db.heads(&mut open).await.map_err(Arc::new)?;
    *connection = Some(open);
    lock(latest).offer(began, heads);
    Ok(heads)
}

/// A check on the calling thread. One at a time: a request that waited for the one before it
/// takes that answer when it began after the request arrived.
fn check_file(file: &LocalFile, latest: &Latest, since: Instant) -> Result<(i64, u64), StoreError> {
    file.with(|open| {
        if let Some(heads) = lock(latest).since(since) {
            return Ok(heads);
        }
        let began = Instant::now();
        let heads = open.prepare_cached(sql::HEADS)?.query_row([], |row| {
            let audit_head: i64 = row.get("audit_head")?;
            Ok((row.get("revision")?, audit_head.try_into().unwrap_or_default()))
        })?;
        lock(latest).offer(began, heads);
        Ok(heads)
    })
}
