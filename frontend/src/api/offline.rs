//! The offline demo: the same `shared` operations and read answers the server's handlers use,
//! run in the browser over a `World` kept in `localStorage` (JSON). Its secrets are sealed
//! under a master key generated once and kept next to it — acceptable for a demo, which is
//! why this mode is always labelled **Offline demo**.
//!
//! Failures are diagnosed against the world they happened in and turned into the same error
//! envelope the server sends, so blades cannot tell the two apart.

use serde::Serialize;
use shared::{
    api::{ErrorEnvelope, ImportKeyResponse, WorldView},
    catalog::{Diagnosis, Failure},
    crypto::{self, ImportKey, MasterKey},
    model::{Timestamp, World},
    ops::Ctx,
    queries::Answer,
};
use web_sys::Storage;

use super::{ApiError, ApiResult, User};
use crate::keygen::{self, Reply, Request};

/// `localStorage` entry holding the current demo world.
const WORLD_ENTRY: &str = "keyblade.demo.world";
/// `localStorage` entry holding the world as seeded, restored by Reset demo.
const SEED_ENTRY: &str = "keyblade.demo.seed";
/// `localStorage` entry holding the demo's master key (base64).
const MASTER_ENTRY: &str = "keyblade.demo.master";
/// `sessionStorage` entry remembering that this tab chose the offline demo.
const MODE_ENTRY: &str = "keyblade.mode";

/// The user the demo acts as (there is no sign-in offline).
const DEMO_USER: &str = "demo";

#[derive(Clone, Default)]
pub struct Offline;

/// Whether this tab runs the offline demo: `/?demo` chooses it (and `/?live` leaves it), and
/// the choice is kept in `sessionStorage` so in-app navigation and reloads keep the mode.
pub fn chosen() -> bool {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let params: Vec<&str> =
        search.trim_start_matches('?').split('&').map(|p| p.split('=').next().unwrap_or("")).collect();
    let session = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    if let Some(session) = &session {
        if params.contains(&"demo") {
            let _ = session.set_item(MODE_ENTRY, "demo");
        } else if params.contains(&"live") {
            let _ = session.remove_item(MODE_ENTRY);
        }
    }
    session.and_then(|s| s.get_item(MODE_ENTRY).ok().flatten()).is_some_and(|mode| mode == "demo")
}

/// Switches this tab to the offline demo (the page reloads at `/?demo`).
pub fn open_demo() {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href("/?demo");
    }
}

fn local_storage() -> ApiResult<Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten()).ok_or_else(|| {
        ApiError::client("This browser does not allow local storage, which the offline demo needs.")
    })
}

fn read_entry(entry: &str) -> ApiResult<Option<String>> {
    local_storage()?
        .get_item(entry)
        .map_err(|_| ApiError::client("The offline demo's storage cannot be read."))
}

fn write_entry(entry: &str, value: &str) -> ApiResult<()> {
    local_storage()?
        .set_item(entry, value)
        .map_err(|_| ApiError::client("The offline demo's storage is full or blocked; nothing was changed."))
}

/// The demo's master key, generated on first use.
fn master_key() -> ApiResult<MasterKey> {
    if let Some(text) = read_entry(MASTER_ENTRY)? {
        let bytes = crypto::unb64(&text).map_err(|e| ApiError::client(e.to_string()))?;
        return MasterKey::from_slice(&bytes).map_err(|e| ApiError::client(e.to_string()));
    }
    let master = MasterKey::generate(&mut rng());
    write_entry(MASTER_ENTRY, &crypto::b64(master.expose()))?;
    Ok(master)
}

fn rng() -> getrandom::rand_core::UnwrapErr<getrandom::SysRng> {
    getrandom::rand_core::UnwrapErr(getrandom::SysRng)
}

fn now() -> Timestamp {
    Timestamp((js_sys::Date::now() / 1000.0) as i64)
}

fn load_world() -> ApiResult<World> {
    let text = read_entry(WORLD_ENTRY)?
        .ok_or_else(|| ApiError::client("The offline demo is still being prepared."))?;
    serde_json::from_str(&text)
        .map_err(|e| ApiError::client(format!("The offline demo's data is damaged ({e}); use Reset demo.")))
}

fn save_world(world: &World) -> ApiResult<()> {
    write_entry(WORLD_ENTRY, &to_json(world)?)
}

fn to_json(value: &impl Serialize) -> ApiResult<String> {
    serde_json::to_string(value).map_err(|e| ApiError::client(e.to_string()))
}

/// A diagnosis as the portal gets it from the server: the error envelope with the code's status.
fn api_error(diagnosis: Diagnosis) -> ApiError {
    let status = diagnosis.code.status();
    let body = serde_json::to_string(&ErrorEnvelope { error: diagnosis }).unwrap_or_default();
    ApiError::from_envelope(status, &body)
}

/// A read answer computed from a world the caller already holds.
pub fn answer<T>(answer: Answer<T>) -> ApiResult<T> {
    answer.map_err(|diagnosis| api_error(*diagnosis))
}

/// Runs a background job in the key generation worker with the demo's master key.
async fn in_worker(
    request: impl FnOnce(String) -> Request,
    on_stage: impl Fn(String) + 'static,
) -> ApiResult<Reply> {
    let master = crypto::b64(master_key()?.expose());
    let (_job, reply) = keygen::run(request(master), on_stage).map_err(ApiError::client)?;
    reply.await.map_err(ApiError::client)
}

/// Seeds the demo world once (RSA keys are generated in the worker, with `on_stage` progress).
pub async fn prepare(on_stage: impl Fn(String) + 'static) -> ApiResult<()> {
    if read_entry(WORLD_ENTRY)?.is_some() {
        return Ok(());
    }
    let reply = in_worker(|master| Request::DemoWorld { master, now: now() }, on_stage).await?;
    let Reply::Seeded { world } = reply else {
        return Err(ApiError::client("The key generation worker answered something unexpected."));
    };
    let json = to_json(&world)?;
    write_entry(SEED_ENTRY, &json)?;
    write_entry(WORLD_ENTRY, &json)
}

/// Restores the world as it was seeded.
pub fn reset() -> ApiResult<()> {
    match read_entry(SEED_ENTRY)? {
        Some(seed) => write_entry(WORLD_ENTRY, &seed),
        None => local_storage()?
            .remove_item(WORLD_ENTRY)
            .map_err(|_| ApiError::client("The offline demo cannot be reset.")),
    }
}

impl Offline {
    /// What the server's handlers do with [`shared::queries`]: answer from the stored world.
    pub fn read<T>(&self, query: impl FnOnce(&World) -> Answer<T>) -> ApiResult<T> {
        answer(query(&load_world()?))
    }

    /// What the server's `AppState::read` does: a computation that may need the master key.
    pub fn compute<T>(&self, op: impl FnOnce(&World, &mut Ctx) -> Result<T, Failure>) -> ApiResult<T> {
        let world = load_world()?;
        let (master, now, mut rng) = (master_key()?, now(), rng());
        let mut ctx = Ctx { now, master: &master, rng: &mut rng };
        op(&world, &mut ctx).map_err(|failure| api_error(failure.diagnose(&world, now)))
    }

    /// What the server's `AppState::write_returning` does: compute a new world and store it.
    pub fn write_returning<T>(
        &self,
        op: impl FnOnce(&World, &mut Ctx) -> Result<(World, T), Failure>,
    ) -> ApiResult<(World, T)> {
        let (world, value) = self.compute(op)?;
        save_world(&world)?;
        Ok((world, value))
    }

    /// What the server's `AppState::change` does: store the new world and answer `view` of it.
    pub fn change<T>(
        &self,
        op: impl FnOnce(&World, &mut Ctx) -> Result<World, Failure>,
        view: impl FnOnce(&World) -> Answer<T>,
    ) -> ApiResult<T> {
        let (world, ()) = self.write_returning(|world, ctx| Ok((op(world, ctx)?, ())))?;
        answer(view(&world))
    }

    /// Changes that answer nothing (deletes, purges).
    pub fn write(&self, op: impl FnOnce(&World, &mut Ctx) -> Result<World, Failure>) -> ApiResult<()> {
        self.change(op, |_| Ok(()))
    }

    /// A vault import key, generated in the worker so the page stays responsive.
    pub async fn generate_import_key(&self, on_stage: impl Fn(String) + 'static) -> ApiResult<ImportKey> {
        match in_worker(|master| Request::ImportKey { master }, on_stage).await? {
            Reply::Imported { import_key } => Ok(import_key),
            _ => Err(ApiError::client("The key generation worker answered something unexpected.")),
        }
    }

    pub fn world_view(&self) -> ApiResult<WorldView> {
        self.read(|world| Ok(WorldView::of(world)))
    }

    pub fn import_key(&self, vault: &str) -> ApiResult<ImportKeyResponse> {
        self.compute(|world, _| shared::ops::import_key_of(world, vault))
    }

    pub fn user(&self) -> User {
        User { username: DEMO_USER.to_string(), expires_at: 0 }
    }
}
