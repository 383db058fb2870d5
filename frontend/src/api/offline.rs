//! The offline demo's transport. The engine runs in its own Web Worker ([`crate::engine`]); this
//! side sends it requests and keeps what it hands back (the world, the seed, the demo's master
//! key, the clock offset) in `localStorage` as opaque text. Its secrets are sealed under a
//! master key kept next to them — acceptable for a demo, which is why this mode is always
//! labelled **Offline demo**.

use std::{cell::RefCell, collections::VecDeque, rc::Rc};

use shared::{
    api::ClockView,
    service::{Endpoint, request_parts},
};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Storage, Worker};

use super::{ApiError, ApiResult, User};
use crate::{
    engine::Stored,
    keygen::{Reply, Request, WORKER_URL},
};

/// `localStorage` entry holding the demo (world, seed, master key, clock).
const STORED_ENTRY: &str = "keyblade.demo";
/// `sessionStorage` entry remembering that this tab chose the offline demo.
const MODE_ENTRY: &str = "keyblade.mode";
/// How often the worker performs due work and runs operation steps when nothing else asks.
const TICK_MS: i32 = 1_000;

/// `sessionStorage` entry naming the account this tab's demo acts as (the seeded Owner when
/// none is chosen): the demo has no sign-in, so switching account is how a rehearsal separates
/// duties.
const ACCOUNT_ENTRY: &str = "keyblade.demo-account";

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

fn load_stored() -> ApiResult<Option<Stored>> {
    let text = local_storage()?
        .get_item(STORED_ENTRY)
        .map_err(|_| ApiError::client("The offline demo's storage cannot be read."))?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

fn save_stored(stored: &Stored) -> ApiResult<()> {
    let text = serde_json::to_string(stored).map_err(|e| ApiError::client(e.to_string()))?;
    local_storage()?
        .set_item(STORED_ENTRY, &text)
        .map_err(|_| ApiError::client("The offline demo's storage is full or blocked; nothing was changed."))
}

thread_local! {
    /// The world the engine worker holds, as last opened or saved by this page.
    static ENGINE_WORLD: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps a world the engine changed.
fn save_world(world: Option<String>) -> ApiResult<()> {
    let Some(world) = world else { return Ok(()) };
    let mut stored = load_stored()?.unwrap_or_default();
    stored.world = world.clone();
    save_stored(&stored)?;
    ENGINE_WORLD.with_borrow_mut(|w| *w = Some(world));
    Ok(())
}

/// Reopens the engine when the stored demo changed behind this page's back (another tab of the
/// demo, Reset demo, a test arranging state), so every request sees the stored world.
async fn sync() -> ApiResult<()> {
    let Some(stored) = load_stored()? else { return Ok(()) };
    if ENGINE_WORLD.with_borrow(|w| w.as_deref() == Some(stored.world.as_str())) {
        return Ok(());
    }
    let world = stored.world.clone();
    match send(Request::Open { stored: Some(stored) }, None).await? {
        Reply::Opened { stored: Some(upgraded) } => {
            save_stored(&upgraded)?;
            ENGINE_WORLD.with_borrow_mut(|w| *w = Some(upgraded.world));
            Ok(())
        }
        Reply::Opened { stored: None } => {
            ENGINE_WORLD.with_borrow_mut(|w| *w = Some(world));
            Ok(())
        }
        other => Err(unexpected(&other)),
    }
}

/// Forgets the demo: its world and its master key. The next page load seeds a new demo (with a
/// new master key) in the engine worker.
pub fn reset() -> ApiResult<()> {
    local_storage()?
        .remove_item(STORED_ENTRY)
        .map_err(|_| ApiError::client("The offline demo's storage cannot be cleared."))
}

impl Offline {
    /// Opens the stored demo in the engine worker, or has the worker seed one (`on_stage`
    /// reports its progress), then starts the worker's clock tick.
    pub async fn open(&self, on_stage: impl Fn(String) + 'static) -> ApiResult<()> {
        let stored = load_stored()?;
        let opened = stored.as_ref().map(|s| s.world.clone());
        match send(Request::Open { stored }, Some(Rc::new(on_stage))).await? {
            Reply::Opened { stored: Some(fresh) } => {
                save_stored(&fresh)?;
                ENGINE_WORLD.with_borrow_mut(|w| *w = Some(fresh.world));
            }
            Reply::Opened { stored: None } => ENGINE_WORLD.with_borrow_mut(|w| *w = opened),
            other => return Err(unexpected(&other)),
        }
        start_ticking();
        Ok(())
    }

    /// One endpoint of the API, answered by the engine worker.
    pub async fn call<E: Endpoint>(&self, request: E) -> ApiResult<E::Answer> {
        // Validates the request the way the HTTP transport would, so both fail alike.
        request_parts(&request).map_err(ApiError::client)?;
        let text = serde_json::to_string(&request).map_err(|e| ApiError::client(e.to_string()))?;
        sync().await?;
        let call = Request::Call { key: E::ROUTE.key(), request: text, account: acting_account() };
        let reply = send(call, None).await?;
        let Reply::Answered { answer } = reply else { return Err(unexpected(&reply)) };
        let changed = answer.world.is_some();
        save_world(answer.world)?;
        if changed {
            // A change may have started an operation: let the worker take its first step now.
            tick();
        }
        let text = answer.result.map_err(ApiError::from_diagnosis)?;
        serde_json::from_str(&text).map_err(|e| ApiError::client(format!("Unexpected answer: {e}")))
    }

    /// Advance time in the demo (0 seconds reads the clock).
    pub async fn advance_clock(&self, seconds: i64) -> ApiResult<ClockView> {
        sync().await?;
        match send(Request::Clock { seconds, account: acting_account() }, None).await? {
            Reply::Clocked { view, world } => {
                save_world(world)?;
                let mut stored = load_stored()?.unwrap_or_default();
                stored.clock_offset = view.offset_seconds;
                save_stored(&stored)?;
                Ok(view)
            }
            other => Err(unexpected(&other)),
        }
    }

    pub fn user(&self) -> User {
        User { username: acting_account(), expires_at: 0 }
    }

    /// Acts as `account` from now on (the demo reopens at its start, so every blade asks again).
    pub fn act_as(&self, account: &str) {
        let window = web_sys::window();
        if let Some(session) = window.as_ref().and_then(|w| w.session_storage().ok().flatten()) {
            let _ = session.set_item(ACCOUNT_ENTRY, account);
        }
        if let Some(window) = window {
            let _ = window.location().set_href("/?demo");
        }
    }
}

/// The account this tab's demo acts as.
fn acting_account() -> String {
    web_sys::window()
        .and_then(|w| w.session_storage().ok().flatten())
        .and_then(|s| s.get_item(ACCOUNT_ENTRY).ok().flatten())
        .unwrap_or_else(|| shared::model::ADMIN_ACCOUNT.to_owned())
}

fn unexpected(reply: &Reply) -> ApiError {
    match reply {
        Reply::Failed { message } => ApiError::client(message.clone()),
        _ => ApiError::client("The offline demo's engine answered something unexpected."),
    }
}

/// A request waiting for its reply. The worker handles one message at a time and answers each
/// with exactly one final reply, in order, so replies match the queue's front.
struct Pending {
    resolve: js_sys::Function,
    on_stage: Option<Rc<dyn Fn(String)>>,
}

/// The demo's engine worker.
struct EngineWorker {
    worker: Worker,
    ready: bool,
    /// Messages posted before the worker said `Ready`.
    backlog: Vec<String>,
    pending: VecDeque<Pending>,
}

thread_local! {
    static ENGINE: RefCell<Option<EngineWorker>> = const { RefCell::new(None) };
}

fn start_engine() -> ApiResult<()> {
    if ENGINE.with_borrow(Option::is_some) {
        return Ok(());
    }
    let worker = Worker::new(WORKER_URL)
        .map_err(|e| ApiError::client(format!("The offline demo's engine cannot start: {e:?}")))?;
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let text = ev.data().as_string().unwrap_or_default();
        on_reply(&text);
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    ENGINE.with_borrow_mut(|e| {
        *e = Some(EngineWorker { worker, ready: false, backlog: vec![], pending: VecDeque::new() })
    });
    Ok(())
}

fn on_reply(text: &str) {
    let Ok(reply) = serde_json::from_str::<Reply>(text) else { return };
    match reply {
        Reply::Ready => ENGINE.with_borrow_mut(|engine| {
            if let Some(engine) = engine {
                engine.ready = true;
                for message in engine.backlog.drain(..) {
                    let _ = engine.worker.post_message(&JsValue::from_str(&message));
                }
            }
        }),
        Reply::Stage { text } => {
            let on_stage =
                ENGINE.with_borrow(|e| e.as_ref().and_then(|e| e.pending.front()?.on_stage.clone()));
            if let Some(on_stage) = on_stage {
                on_stage(text);
            }
        }
        _ => {
            let pending = ENGINE.with_borrow_mut(|e| e.as_mut().and_then(|e| e.pending.pop_front()));
            if let Some(pending) = pending {
                let _ = pending.resolve.call1(&JsValue::NULL, &JsValue::from_str(text));
            }
        }
    }
}

/// Sends one request to the engine worker and waits for its final reply.
async fn send(request: Request, on_stage: Option<Rc<dyn Fn(String)>>) -> ApiResult<Reply> {
    start_engine()?;
    let message = serde_json::to_string(&request).map_err(|e| ApiError::client(e.to_string()))?;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        ENGINE.with_borrow_mut(|engine| {
            let Some(engine) = engine else { return };
            engine.pending.push_back(Pending { resolve, on_stage: on_stage.clone() });
            if engine.ready {
                let _ = engine.worker.post_message(&JsValue::from_str(&message));
            } else {
                engine.backlog.push(message.clone());
            }
        });
    });
    let text =
        JsFuture::from(promise).await.map_err(|_| ApiError::client("The offline demo's engine stopped."))?;
    let reply: Reply = serde_json::from_str(&text.as_string().unwrap_or_default())
        .map_err(|e| ApiError::client(format!("The offline demo's engine answered badly: {e}")))?;
    match reply {
        Reply::Failed { message } => Err(ApiError::client(message)),
        reply => Ok(reply),
    }
}

/// Asks the worker for due work and one operation step, and stores what changed.
fn tick() {
    wasm_bindgen_futures::spawn_local(async {
        if sync().await.is_err() {
            return;
        }
        if let Ok(Reply::Ticked { world }) = send(Request::Tick, None).await {
            let _ = save_world(world);
        }
    });
}

fn start_ticking() {
    thread_local! {
        static STARTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if STARTED.replace(true) {
        return;
    }
    let callback = Closure::<dyn FnMut()>::new(tick);
    if let Some(window) = web_sys::window() {
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
            callback.as_ref().unchecked_ref(),
            TICK_MS,
        );
    }
    callback.forget();
}
