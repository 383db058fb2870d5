//! What every handler shares, and how a request reaches the engine: [`AppState::execute`] loads
//! the stored world, runs the endpoint (in place or on a blocking thread, see `placement`) and
//! commits what it changed.

use std::{any::TypeId, panic::AssertUnwindSafe, sync::Arc, time::Duration};

use shared::{
    access::Actor,
    audit::AuditRecord,
    crypto::{AwsLc, MasterKey},
    model::{Timestamp, World},
    ops::{self, Ctx},
    service::{Endpoint, Outcome, audit_record, serve},
};
use tokio::sync::Notify;

use crate::{
    auth::SessionCookie,
    clock::{Clock, Entropy},
    device_cookie::DeviceCookie,
    error::AppError,
    gateway::credentials::{Refusals, VerifiedCredentials},
    key_providers::{self, HttpKeyProviders},
    placement::{Place, Placement, thread_cpu_time},
    store::{Store, StoreError, WRITE_ATTEMPTS},
    throttle::Throttle,
};

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    /// The root key (the configured key file).
    master: MasterKey,
    providers: HttpKeyProviders,
    /// Native RSA for unwraps (see `shared::crypto::RsaEngine`).
    rsa: AwsLc,
    placement: Placement,
    throttle: Throttle,
    credentials: VerifiedCredentials,
    refusals: Refusals,
    clock: Clock,
    entropy: Entropy,
    test_clock: bool,
    /// Whether clients reach this server over TLS.
    tls: bool,
    /// Wakes the operations runner when a request may have started work.
    work: Notify,
}

impl AppState {
    pub fn new(
        store: Store,
        master: MasterKey,
        providers: HttpKeyProviders,
        test_clock: bool,
        tls: bool,
    ) -> Self {
        let mut state = Self::with(store, master, providers, test_clock, Clock::default(), Entropy::Os);
        if let Some(inner) = Arc::get_mut(&mut state.inner) {
            inner.tls = tls;
        }
        state
    }

    /// A state whose time and randomness are given (tests that compare exact runs).
    pub fn with(
        store: Store,
        master: MasterKey,
        providers: HttpKeyProviders,
        test_clock: bool,
        clock: Clock,
        entropy: Entropy,
    ) -> Self {
        let inner = Inner {
            store,
            master,
            providers,
            rsa: AwsLc::default(),
            placement: Placement::default(),
            throttle: Throttle::default(),
            credentials: VerifiedCredentials::default(),
            refusals: Refusals::default(),
            clock,
            entropy,
            test_clock,
            tls: false,
            work: Notify::new(),
        };
        Self { inner: Arc::new(inner) }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn throttle(&self) -> &Throttle {
        &self.inner.throttle
    }

    /// Basic credentials verified recently.
    pub fn credentials(&self) -> &VerifiedCredentials {
        &self.inner.credentials
    }

    /// Refused credentials not recorded one by one.
    pub fn refusals(&self) -> &Refusals {
        &self.inner.refusals
    }

    /// The device cookie this server sets and reads.
    pub fn device_cookie(&self) -> DeviceCookie<'_> {
        DeviceCookie { tls: self.inner.tls, master: &self.inner.master }
    }

    /// The session cookie this server sets and reads.
    pub fn cookie(&self) -> SessionCookie {
        SessionCookie::new(self.inner.tls)
    }

    /// Whether clients reach this server over TLS.
    pub fn is_tls(&self) -> bool {
        self.inner.tls
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Whether clients may move the clock (`--test-clock`).
    pub fn has_test_clock(&self) -> bool {
        self.inner.test_clock
    }

    /// Engine time.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub fn work(&self) -> &Notify {
        &self.inner.work
    }

    /// Handles one request by `actor`: the endpoint runs against the stored world (see
    /// [`AppState::compute`]); a change is committed in one
    /// transaction, and a concurrent change to any entity it touched is a 409. A failure is
    /// diagnosed against the world it happened in. An audited route is recorded in the audit
    /// trail, in the same transaction as its change, or on its own when it failed or read.
    ///
    /// When another writer changed an entity between the read and the commit, the request runs
    /// again on the new world, like a serialised transaction would (a request based on a stale
    /// version still fails: its version check runs again too).
    pub async fn execute<E: Endpoint + Clone>(
        &self,
        request: E,
        actor: &Actor,
    ) -> Result<Outcome<E::Answer>, AppError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let snapshot = match request.audit_read() {
                Some(query) => self.store().load_audit_page(query, &self.inner.master).await?,
                None => self.store().load().await?,
            };
            let (attempt, principal) = (request.clone(), actor.principal.clone());
            // A route for anyone exchanges a credential: it never needs the master keys opened,
            // and a caller who has shown nothing should not make the server open them.
            let keys = if E::ROUTE.anyone { Keys::Closed } else { Keys::Opened };
            let serve = move |world: &World, ctx: &mut Ctx| serve(attempt, world, ctx, &principal);
            let result = self.compute_with(serve, snapshot.world.clone(), keys).await;
            let answered = result.as_ref().map(|o| &o.answer).map_err(AppError::code);
            let records: Vec<AuditRecord> =
                audit_record(&request, actor, self.now(), answered).into_iter().collect();
            let outcome = match result {
                Ok(outcome) => outcome,
                Err(error) => {
                    self.store().append(records).await?;
                    return Err(error);
                }
            };
            let Some(after) = &outcome.world else {
                self.store().append(records).await?;
                return Ok(outcome);
            };
            match self.store().commit(&snapshot, after, records).await {
                Ok(_) => {
                    self.inner.work.notify_one();
                    return Ok(outcome);
                }
                Err(StoreError::Conflict) if attempts < WRITE_ATTEMPTS => continue,
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Records one event that is not an API use case (sign-in, sign-out, password change).
    pub async fn record_event(&self, record: AuditRecord) -> Result<(), AppError> {
        Ok(self.store().append(vec![record]).await?)
    }

    /// Runs `op` with a fresh context: where the request is when this kind of work has been
    /// short, on a blocking thread otherwise (see [`Placement`]).
    pub async fn compute<T, F>(&self, op: F, world: Arc<World>) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&World, &mut Ctx) -> Result<T, shared::catalog::Failure> + Send + 'static,
    {
        self.compute_with(op, world, Keys::Opened).await
    }

    async fn compute_with<T, F>(&self, op: F, world: Arc<World>, keys: Keys) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&World, &mut Ctx) -> Result<T, shared::catalog::Failure> + Send + 'static,
    {
        let kind = TypeId::of::<F>();
        let state = self.clone();
        let timed = move || {
            let (started, calls) = (thread_cpu_time(), key_providers::calls_on_this_thread());
            let result = state.run(op, &world, keys);
            let took = match key_providers::calls_on_this_thread() == calls {
                true => thread_cpu_time().saturating_sub(started),
                false => Duration::MAX,
            };
            state.inner.placement.ran(kind, took);
            result
        };
        // A runtime of one thread has nowhere else to run its other tasks meanwhile.
        let flavor = tokio::runtime::Handle::current().runtime_flavor();
        let place = match flavor {
            tokio::runtime::RuntimeFlavor::MultiThread => self.inner.placement.place(kind),
            _ => Place::Pool,
        };
        match place {
            // A panic is the engine's defect; it fails this request as it would on the pool.
            Place::InPlace => std::panic::catch_unwind(AssertUnwindSafe(timed))
                .map_err(|_| AppError::internal("the engine panicked"))?,
            Place::Pool => tokio::task::spawn_blocking(timed).await.map_err(AppError::internal)?,
        }
    }

    fn run<T>(
        &self,
        op: impl FnOnce(&World, &mut Ctx) -> Result<T, shared::catalog::Failure>,
        world: &World,
        keys: Keys,
    ) -> Result<T, AppError> {
        let inner = &self.inner;
        let now = self.now();
        let mut rng = inner.entropy.rng();
        // The master keys as this world names them: a rekey may have added one since.
        let keys = match keys {
            Keys::Opened => ops::keyring(world, &inner.master, &inner.providers, false)
                .map_err(|failure| AppError::engine(failure, world, now, &inner.master))?,
            Keys::Closed => shared::crypto::Keyring::default(),
        };
        let mut ctx = Ctx {
            now,
            wall: inner.clock.real(),
            master: &inner.master,
            keys: &keys,
            providers: &inner.providers,
            rsa: &inner.rsa,
            rng: &mut *rng,
        };
        op(world, &mut ctx).map_err(|failure| AppError::engine(failure, world, now, &inner.master))
    }
}

/// Whether a computation gets the master keys opened in its context.
#[derive(Clone, Copy)]
enum Keys {
    Opened,
    /// An empty keyring: the work opens no secret sealed at rest.
    Closed,
}
