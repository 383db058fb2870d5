//! Key generation in a Web Worker (the `keygen-worker` bin, which `cargo xtask build`
//! builds for the no-modules target). The worker generates the key pair, wraps its PKCS#8 private key for
//! the vault's import key (shared crate: RFC 5649 + RSA-OAEP-256) and hands back only the
//! transfer blob: the private key never exists in plaintext outside the worker.
//!
//! The same worker binary also hosts the offline demo's engine ([`crate::engine`]): one
//! instance of it, apart from the key generation pool, answers the demo's API requests.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use serde::{Deserialize, Serialize};
use shared::{
    api::ClockView,
    crypto::{KeyTransfer, Rng},
};

use crate::engine::{self, Answer, Stored};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};

/// Where `cargo xtask build` puts the worker's loader (absolute, so deep links resolve it too).
pub const WORKER_URL: &str = "/keygen-worker_loader.js";

/// What to generate.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KeySpec {
    Rsa { bits: usize },
    Ec,
}

impl KeySpec {
    /// The User Timing measure each finished generation of this kind records, e.g.
    /// `keyblade:keygen rsa-2048`.
    pub fn measure_name(&self) -> String {
        match self {
            KeySpec::Rsa { bits } => format!("keyblade:keygen rsa-{bits}"),
            KeySpec::Ec => "keyblade:keygen ec-p256".to_string(),
        }
    }
}

/// Message to the worker: one job. The worker protocol is private to the portal, so its enums
/// are externally tagged: an internally tagged enum buffers every message before parsing it,
/// and that code would weigh on the main bundle.
#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// A key pair of `spec`, wrapped for the vault's import key (SPKI DER base64).
    Transfer { spec: KeySpec, import_key: String },
    /// Offline demo: open the stored demo, or seed one when there is none.
    Open { stored: Option<Stored> },
    /// Offline demo: one API request (the endpoint's route key and the request as JSON text,
    /// so the page serialises requests the one way the HTTP transport does).
    Call { key: String, request: String, account: String },
    /// Offline demo: due work and one step of a running operation.
    Tick,
    /// Offline demo: move the clock forward by `seconds` (0 reads it).
    Clock { seconds: i64, account: String },
}

/// Messages from the worker.
#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Reply {
    Ready,
    Stage { text: String },
    Done { transfer: KeyTransfer },
    Opened { stored: Option<Stored> },
    Answered { answer: Answer },
    Ticked { world: Option<String> },
    Clocked { view: ClockView, world: Option<String> },
    Failed { message: String },
}

/// Workers kept started (wasm compiled, `Ready` or about to be), so a generation does not wait
/// for a worker to boot. One per racer.
const POOL_SIZE: usize = RACERS;

/// RSA generations run in this many workers at once; the first key pair wins and the others
/// are stopped. The time to find a prime varies widely from run to run, so the fastest of two
/// independent searches cuts the median and, more so, the tail. No key material moves between
/// workers.
const RACERS: usize = 2;

/// A started worker and whether it has said `Ready`.
struct PooledWorker {
    worker: Worker,
    ready: Rc<Cell<bool>>,
}

thread_local! {
    static POOL: RefCell<Vec<PooledWorker>> = const { RefCell::new(Vec::new()) };
}

/// Starts workers until the pool is full. Cheap when it already is; called when a key panel
/// opens and after every job, since jobs end by terminating their workers.
pub fn warm_up() {
    while POOL.with_borrow(Vec::len) < POOL_SIZE {
        match spawn() {
            Ok(pooled) => POOL.with_borrow_mut(|pool| pool.push(pooled)),
            Err(_) => return,
        }
    }
}

fn spawn() -> Result<PooledWorker, String> {
    let worker =
        Worker::new(WORKER_URL).map_err(|e| format!("cannot start the key generation worker: {e:?}"))?;
    let ready = Rc::new(Cell::new(false));
    let flag = ready.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if matches!(ev.data().as_string().map(|t| serde_json::from_str::<Reply>(&t)), Some(Ok(Reply::Ready)))
        {
            flag.set(true);
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    Ok(PooledWorker { worker, ready })
}

/// Returns a worker that finished its job to the pool. Kept workers matter: V8 compiles wasm
/// with a baseline compiler first and optimises hot code later, so a worker that already
/// generated a key does the next one faster than a fresh one.
fn give_back(worker: &Worker) {
    worker.set_onmessage(None);
    worker.set_onerror(None);
    let pooled = PooledWorker { worker: worker.clone(), ready: Rc::new(Cell::new(true)) };
    POOL.with_borrow_mut(|pool| {
        if pool.len() < POOL_SIZE {
            pool.insert(0, pooled);
        } else {
            pooled.worker.terminate();
        }
    });
}

/// A pooled worker (ready ones first), or a new one.
fn take_worker() -> Result<PooledWorker, String> {
    let pooled = POOL.with_borrow_mut(|pool| {
        let ready = pool.iter().position(|p| p.ready.get());
        ready.or((!pool.is_empty()).then_some(0)).map(|i| pool.remove(i))
    });
    pooled.map_or_else(spawn, Ok)
}

/// A running generation that can be cancelled: one worker, or several racing.
#[derive(Clone)]
pub struct KeygenJob {
    workers: Vec<(Worker, Rc<RefCell<Option<js_sys::Function>>>)>,
}

impl KeygenJob {
    /// Terminates the workers still running; their results resolve to `Err("cancelled")`.
    pub fn cancel(&self) {
        for (worker, reject) in &self.workers {
            if let Some(reject) = reject.borrow_mut().take() {
                worker.terminate();
                let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("cancelled"));
            }
        }
        warm_up();
    }
}

/// Starts a key generation for the Create key / Create version panels. `on_stage` receives
/// progress texts. Returns the job (for Cancel) and the future of the transfer blob.
pub fn start(
    spec: KeySpec,
    import_key: String,
    on_stage: impl Fn(String) + 'static,
) -> Result<(KeygenJob, impl std::future::Future<Output = Result<KeyTransfer, String>>), String> {
    let started = crate::perf::now();
    let racers = if matches!(spec, KeySpec::Rsa { .. }) { RACERS } else { 1 };
    let on_stage = Rc::new(on_stage);
    let mut job = KeygenJob { workers: vec![] };
    let mut replies = vec![];
    for racer in 0..racers {
        let stage = on_stage.clone();
        let request = Request::Transfer { spec, import_key: import_key.clone() };
        // Progress from the first racer only: they all go through the same stages.
        let (one, reply) = run(request, move |text| {
            if racer == 0 {
                stage(text)
            }
        })?;
        job.workers.extend(one.workers);
        replies.push(Box::pin(reply));
    }
    let racing = job.clone();
    let transfer = async move {
        let (reply, _losers) = futures::future::select_ok(replies).await?;
        racing.cancel();
        match reply {
            Reply::Done { transfer } => {
                crate::perf::measure_since(&spec.measure_name(), started);
                Ok(transfer)
            }
            _ => Err("unexpected worker reply".to_string()),
        }
    };
    Ok((job, transfer))
}

/// Runs `request` in a worker until its final reply (`Failed` becomes `Err`).
pub fn run(
    request: Request,
    on_stage: impl Fn(String) + 'static,
) -> Result<(KeygenJob, impl std::future::Future<Output = Result<Reply, String>>), String> {
    let PooledWorker { worker, ready } = take_worker()?;
    let reject_slot: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let request = serde_json::to_string(&request).map_err(|e| e.to_string())?;
    let on_stage = Rc::new(on_stage);
    let promise = {
        let worker = worker.clone();
        let reject_slot = reject_slot.clone();
        js_sys::Promise::new(&mut move |resolve, reject| {
            *reject_slot.borrow_mut() = Some(reject.clone());
            let worker_for_msg = worker.clone();
            let request_on_ready = request.clone();
            let on_stage = on_stage.clone();
            let reject_slot2 = reject_slot.clone();
            let reject_msg = reject.clone();
            let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                let text = ev.data().as_string().unwrap_or_default();
                match serde_json::from_str::<Reply>(&text) {
                    Ok(Reply::Ready) => {
                        let _ = worker_for_msg.post_message(&JsValue::from_str(&request_on_ready));
                    }
                    Ok(Reply::Stage { text }) => on_stage(text),
                    Ok(_) => {
                        reject_slot2.borrow_mut().take();
                        let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(&text));
                        give_back(&worker_for_msg);
                    }
                    Err(e) => {
                        let _ = reject_msg
                            .call1(&JsValue::NULL, &JsValue::from_str(&format!("bad worker reply: {e}")));
                    }
                }
            });
            worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
            onmessage.forget();
            let reject_err = reject.clone();
            let onerror = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |ev: web_sys::ErrorEvent| {
                let _ = reject_err
                    .call1(&JsValue::NULL, &JsValue::from_str(&format!("worker error: {}", ev.message())));
            });
            worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
            onerror.forget();
            // A pooled worker already said Ready to the pool: give it the job now.
            if ready.get() {
                let _ = worker.post_message(&JsValue::from_str(&request));
            }
        })
    };
    let job = KeygenJob { workers: vec![(worker, reject_slot)] };
    let reply = async move {
        let value = JsFuture::from(promise)
            .await
            .map_err(|e| e.as_string().unwrap_or_else(|| "worker failed".into()))?;
        let text = value.as_string().unwrap_or_default();
        match serde_json::from_str::<Reply>(&text) {
            Ok(Reply::Failed { message }) => Err(message),
            Ok(reply) => Ok(reply),
            Err(e) => Err(format!("bad worker reply: {e}")),
        }
    };
    Ok((job, reply))
}

/// The worker side: run the job, reply. Used by the `keygen-worker` bin.
pub fn run_in_worker(request: &str, stage: impl Fn(&str)) -> Reply {
    let request: Request = match serde_json::from_str(request) {
        Ok(r) => r,
        Err(e) => return Reply::Failed { message: format!("bad request: {e}") },
    };
    let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
    let outcome = match request {
        Request::Transfer { spec, import_key } => transfer(spec, &import_key, &mut rng, &stage),
        Request::Open { stored } => engine::open(stored, &stage).map(|stored| Reply::Opened { stored }),
        Request::Call { key, request, account } => {
            engine::call(&key, &request, &account).map(|answer| Reply::Answered { answer })
        }
        Request::Tick => engine::tick().map(|world| Reply::Ticked { world }),
        Request::Clock { seconds, account } => {
            engine::advance_clock(seconds, &account).map(|(view, world)| Reply::Clocked { view, world })
        }
    };
    outcome.unwrap_or_else(|message| Reply::Failed { message })
}

fn transfer(spec: KeySpec, import_key: &str, rng: &mut Rng, stage: &impl Fn(&str)) -> Result<Reply, String> {
    let pkcs8 = match spec {
        KeySpec::Rsa { bits } => {
            if ![2048, 3072, 4096].contains(&bits) {
                return Err(format!("unsupported RSA key size {bits}"));
            }
            stage(&format!("Generating an RSA {bits}-bit key pair…"));
            let key = shared::crypto::generate_rsa(bits, rng).map_err(|e| e.to_string())?;
            shared::crypto::private_key_to_pkcs8(&key).map_err(|e| e.to_string())?
        }
        KeySpec::Ec => {
            stage("Generating an EC P-256 key…");
            shared::crypto::ec_p256_pkcs8(rng)
        }
    };
    stage("Wrapping the private key for transfer…");
    let transfer = shared::crypto::wrap_for_transfer(import_key, &pkcs8, rng).map_err(|e| e.to_string())?;
    Ok(Reply::Done { transfer })
}
