//! The offline demo's engine, as it runs inside its Web Worker: the world, the demo's master
//! key and the demo clock live here, and every request is answered by `shared::service` exactly
//! as the server answers it. The page only stores the opaque results (see `api::offline`), so
//! the engine's RSA and AES work never runs on the main thread and the page's bundle does not
//! carry it.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};
use shared::{
    access::Actor,
    api::ClockView,
    catalog::Diagnosis,
    crypto::{self, ImportKey, MIN_IMPORT_KEY_BITS, MasterKey, Rng},
    demo::{DEMO_KEY_BITS, DEMO_VAULT, DemoKeys, demo_world, with_later_additions},
    model::{Timestamp, World},
    ops::{self, Ctx, NoKeyProviders},
    service,
};

/// What the page keeps in `localStorage` for the demo, all of it opaque text to the page.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Stored {
    /// The current world (JSON).
    pub world: String,
    /// The world as seeded (JSON), restored by Reset demo.
    pub seed: String,
    /// The demo's master key (base64).
    pub master: String,
    /// Seconds the demo clock runs ahead of real time (Advance time).
    pub clock_offset: i64,
}

/// The engine's answer to one request.
#[derive(Serialize, Deserialize, Debug)]
pub struct Answer {
    /// The answer as JSON text (the page parses it the one way it parses HTTP answers) or the
    /// diagnosed failure.
    pub result: Result<String, Diagnosis>,
    /// The world to store, when the request changed it.
    pub world: Option<String>,
}

struct Host {
    world: World,
    master: MasterKey,
    clock_offset: i64,
}

thread_local! {
    static HOST: RefCell<Option<Host>> = const { RefCell::new(None) };
}

/// The demo's name in operation claims: one runner, the worker.
const RUNNER: &str = "offline-demo";

fn rng() -> getrandom::rand_core::UnwrapErr<getrandom::SysRng> {
    getrandom::rand_core::UnwrapErr(getrandom::SysRng)
}

fn real_now() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Opens the stored demo, or seeds a new one (RSA keys generated here, with `stage` progress).
/// Returns what the page must store when it changed.
pub fn open(stored: Option<Stored>, stage: &impl Fn(&str)) -> Result<Option<Stored>, String> {
    let (host, fresh) = match stored {
        Some(stored) => {
            let master = master_key(&stored.master)?;
            let world: World = serde_json::from_str(&stored.world)
                .map_err(|e| format!("The offline demo's data is damaged ({e}); use Reset demo."))?;
            // A demo stored before secrets named their master key, or before device managers
            // existed, is brought up to date (and the page stores the upgraded world).
            match upgraded(&world, &master)? {
                Some(world) => {
                    let json = serde_json::to_string(&world).map_err(|e| e.to_string())?;
                    let stored = Stored { world: json, ..stored };
                    (Host { world, master, clock_offset: stored.clock_offset }, Some(stored))
                }
                None => (Host { world, master, clock_offset: stored.clock_offset }, None),
            }
        }
        None => {
            let mut rng = rng();
            let master = MasterKey::generate(&mut rng);
            let world = seeded_world(&master, Timestamp(real_now()), &mut rng, stage)?;
            let json = serde_json::to_string(&world).map_err(|e| e.to_string())?;
            let stored = Stored {
                world: json.clone(),
                seed: json,
                master: crypto::b64(master.expose()),
                clock_offset: 0,
            };
            (Host { world, master, clock_offset: 0 }, Some(stored))
        }
    };
    HOST.with_borrow_mut(|h| *h = Some(host));
    Ok(fresh)
}

/// What an older stored demo becomes: its secrets under a master key, what the demo gained
/// since it was seeded, and (from before access control) `admin` as its Owner.
fn upgraded(world: &World, master: &MasterKey) -> Result<Option<World>, String> {
    let mut rng = rng();
    let now = Timestamp(real_now());
    let migrated = ops::migrate_sealing(world, master, now, &mut rng).map_err(|f| f.message)?;
    let current = migrated.as_ref().unwrap_or(world);
    let keys = ops::keyring(current, master, &NoKeyProviders, true).map_err(|f| f.message)?;
    let mut ctx = Ctx::local(now, master, &keys, &mut rng);
    let completed = with_later_additions(current, &mut ctx).map_err(|f| f.message)?;
    let admin = [shared::model::ADMIN_ACCOUNT.to_owned()];
    let completed = shared::access::first_assignments(&completed, &admin, ctx.rng, now).unwrap_or(completed);
    Ok(if completed == *current { migrated } else { Some(completed) })
}

fn master_key(master: &str) -> Result<MasterKey, String> {
    let bytes = crypto::unb64(master).map_err(|e| e.to_string())?;
    MasterKey::from_slice(&bytes).map_err(|e| e.to_string())
}

fn seeded_world(
    master: &MasterKey,
    now: Timestamp,
    rng: &mut Rng,
    stage: &impl Fn(&str),
) -> Result<World, String> {
    let (base, keys) = ops::first_master_key(master, now, rng).map_err(|f| f.message)?;
    stage(&format!("Generating the demo's RSA {DEMO_KEY_BITS}-bit customer key (1 of 2)…"));
    let customer_key = crypto::generate_rsa(DEMO_KEY_BITS, rng).map_err(|e| e.to_string())?;
    stage(&format!("Generating the demo vault's RSA {MIN_IMPORT_KEY_BITS}-bit import key (2 of 2)…"));
    let import_key =
        ImportKey::generate(MIN_IMPORT_KEY_BITS, &keys, DEMO_VAULT, rng).map_err(|e| e.to_string())?;
    stage("Building the demo world…");
    let mut ctx = Ctx::local(now, master, &keys, rng);
    let world =
        demo_world(&mut ctx, base, DemoKeys { customer_key, import_key }).map_err(|e| e.to_string())?;
    stage("Issuing the demo stamp's certificates (three RSA 2048-bit keys)…");
    with_later_additions(&world, &mut ctx).map_err(|e| e.to_string())
}

/// Runs `f` on the open demo with a fresh context; `f` answers and may hand back a new world,
/// which is kept and returned as JSON for the page to store.
fn with_host<T>(
    f: impl FnOnce(&World, &mut Ctx) -> (T, Option<World>),
) -> Result<(T, Option<String>), String> {
    HOST.with_borrow_mut(|host| {
        let host = host.as_mut().ok_or("The offline demo is not open yet.")?;
        let mut rng = rng();
        let now = Timestamp(real_now().saturating_add(host.clock_offset));
        // The demo's master keys as its world names them (a rekey adds one); Internal only.
        let keys = ops::keyring(&host.world, &host.master, &NoKeyProviders, false).map_err(|f| f.message)?;
        let mut ctx = Ctx::local(now, &host.master, &keys, &mut rng);
        let (answer, changed) = f(&host.world, &mut ctx);
        let json = match changed {
            Some(world) => {
                let json = serde_json::to_string(&world).map_err(|e| e.to_string())?;
                host.world = world;
                Some(json)
            }
            None => None,
        };
        Ok((answer, json))
    })
}

/// One API request: the endpoint whose route key is `key`, as the server would run it.
pub fn call(key: &str, request: &str, account: &str) -> Result<Answer, String> {
    let request: serde_json::Value = serde_json::from_str(request).map_err(|e| e.to_string())?;
    let (result, world) = with_host(|world, ctx| {
        let done = service::dispatch(key, request, world, ctx, &demo_actor(account));
        (done.result.map_err(|failure| failure.diagnose(world, ctx.now, ctx.master)), done.world)
    })?;
    let result = match result {
        Ok(value) => Ok(serde_json::to_string(&value).map_err(|e| e.to_string())?),
        Err(diagnosis) => Err(diagnosis),
    };
    Ok(Answer { result, world })
}

/// Who acts in the demo, as its audit trail names them: the seeded Owner is named `demo`.
fn demo_actor(account: &str) -> Actor {
    let principal = shared::model::Principal::user(account);
    let name = if account == shared::model::ADMIN_ACCOUNT { "demo" } else { account };
    Actor { principal, name: name.into(), source: "this browser".into() }
}

/// What the server's runner does: performs due work, then one step of an operation.
pub fn tick() -> Result<Option<String>, String> {
    let ((), world) = with_host(|world, ctx| {
        let advanced = ops::advance_recorded(world, ctx);
        let base = advanced.as_ref().unwrap_or(world);
        let stepped = ops::take_turn_recorded(base, ctx, RUNNER);
        ((), stepped.or(advanced))
    })?;
    Ok(world)
}

/// Advance time: moves the demo clock forward by `seconds` (0 only reads it) and performs what
/// fell due; a move is recorded as `account`'s. The page stores the new offset.
pub fn advance_clock(seconds: i64, account: &str) -> Result<(ClockView, Option<String>), String> {
    if seconds != 0 {
        ops::check_clock_advance(seconds).map_err(|f| f.message)?;
    }
    HOST.with_borrow_mut(|host| {
        let host = host.as_mut().ok_or("The offline demo is not open yet.")?;
        host.clock_offset = host.clock_offset.saturating_add(seconds);
        Ok::<_, String>(())
    })?;
    let (view, world) = with_host(|world, ctx| {
        let view = ClockView { now: ctx.now, offset_seconds: 0 };
        let moved = (seconds != 0).then(|| {
            let mut moved = world.clone();
            moved.audit.append(ops::clock_move_record(&demo_actor(account), seconds, ctx.now));
            moved
        });
        let base = moved.as_ref().unwrap_or(world);
        (view, ops::advance_recorded(base, ctx).or(moved))
    })?;
    let offset = HOST.with_borrow(|h| h.as_ref().map_or(0, |h| h.clock_offset));
    Ok((ClockView { offset_seconds: offset, ..view }, world))
}
