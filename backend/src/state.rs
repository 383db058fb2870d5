//! What every handler shares, and the two ways handlers use the engine: [`AppState::read`]
//! (compute from the stored world) and [`AppState::write`] (compute a new world and commit it).

use std::sync::Arc;

use shared::{catalog::Failure, crypto::MasterKey, model::World, ops::Ctx};

use crate::{clock, error::AppError, store::Store, throttle::Throttle};

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    master: MasterKey,
    throttle: Throttle,
}

impl AppState {
    pub fn new(store: Store, master: MasterKey) -> Self {
        Self { inner: Arc::new(Inner { store, master, throttle: Throttle::default() }) }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn throttle(&self) -> &Throttle {
        &self.inner.throttle
    }

    /// The stored world (shared with other readers, see [`Store::load`]).
    pub async fn world(&self) -> Result<Arc<World>, AppError> {
        Ok(self.store().load().await?.world)
    }

    /// Runs a read-only engine computation (which may need the master key, e.g. to unwrap a
    /// passkey) against the stored world.
    pub async fn read<T, F>(&self, op: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&World, &mut Ctx) -> Result<T, Failure> + Send + 'static,
    {
        let world = self.world().await?;
        self.run(world, op).await?
    }

    /// Applies an engine operation to the stored world and commits the new world in one
    /// transaction. Returns the new world; a concurrent change to any touched entity is a 409.
    pub async fn write<F>(&self, op: F) -> Result<World, AppError>
    where
        F: FnOnce(&World, &mut Ctx) -> Result<World, Failure> + Send + 'static,
    {
        let (world, ()) = self.write_returning(move |world, ctx| Ok((op(world, ctx)?, ()))).await?;
        Ok(world)
    }

    /// [`AppState::write`] for an operation on one entity: `op` is handed the entity's id, and
    /// the answer is `view` of that entity in the new world.
    pub async fn change<T, F, V>(&self, id: String, op: F, view: V) -> Result<T, AppError>
    where
        F: FnOnce(&World, &mut Ctx, &str) -> Result<World, Failure> + Send + 'static,
        V: FnOnce(&World, &str) -> Result<T, AppError>,
    {
        let target = id.clone();
        let world = self.write(move |world, ctx| op(world, ctx, &target)).await?;
        view(&world, &id)
    }

    /// [`AppState::write`] for operations that also return a value (such as a new id).
    pub async fn write_returning<T, F>(&self, op: F) -> Result<(World, T), AppError>
    where
        T: Send + 'static,
        F: FnOnce(&World, &mut Ctx) -> Result<(World, T), Failure> + Send + 'static,
    {
        let snapshot = self.store().load().await?;
        let (after, value) = self.run(snapshot.world.clone(), op).await??;
        self.store().commit(&snapshot, &after).await?;
        Ok((after, value))
    }

    /// Runs `op` on a blocking thread (RSA work takes milliseconds to seconds) and diagnoses a
    /// failure against the world it happened in.
    async fn run<T, F>(&self, world: Arc<World>, op: F) -> Result<Result<T, AppError>, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&World, &mut Ctx) -> Result<T, Failure> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let now = clock::now();
            let mut rng = clock::rng();
            let mut ctx = Ctx { now, master: &state.inner.master, rng: &mut rng };
            op(&world, &mut ctx).map_err(|failure| AppError::engine(failure, &world, now))
        })
        .await
        .map_err(AppError::internal)
    }
}
