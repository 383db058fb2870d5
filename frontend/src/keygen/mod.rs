//! Key generation in a Web Worker (the `keygen-worker` bin, built by Trunk with
//! `data-type="worker"`). The worker generates the key pair, wraps its PKCS#8 private key for
//! the vault's import key (shared crate: RFC 5649 + RSA-OAEP-256) and hands back only the
//! transfer blob: the private key never exists in plaintext outside the worker.

use std::{cell::RefCell, rc::Rc};

use serde::{Deserialize, Serialize};
use shared::crypto::KeyTransfer;
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};

/// Where Trunk puts the worker's loader (absolute, so deep links resolve it too).
pub const WORKER_URL: &str = "/keygen-worker_loader.js";

/// What to generate.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum KeySpec {
    Rsa { bits: usize },
    Ec,
}

/// Message to the worker.
#[derive(Serialize, Deserialize, Debug)]
pub struct Request {
    pub spec: KeySpec,
    /// The vault's import key, SPKI DER base64.
    pub import_key: String,
}

/// Messages from the worker.
#[derive(Serialize, Deserialize, Debug)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Reply {
    Ready,
    Stage { text: String },
    Done { transfer: KeyTransfer },
    Failed { message: String },
}

/// A running generation that can be cancelled.
#[derive(Clone)]
pub struct KeygenJob {
    worker: Worker,
    reject: Rc<RefCell<Option<js_sys::Function>>>,
}

impl KeygenJob {
    /// Terminates the worker; the pending result resolves to `Err("cancelled")`.
    pub fn cancel(&self) {
        self.worker.terminate();
        if let Some(reject) = self.reject.borrow_mut().take() {
            let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("cancelled"));
        }
    }
}

/// Starts the worker. `on_stage` receives progress texts. Returns the job (for Cancel) and the
/// future of the transfer blob.
pub fn start(
    spec: KeySpec,
    import_key: String,
    on_stage: impl Fn(String) + 'static,
) -> Result<(KeygenJob, impl std::future::Future<Output = Result<KeyTransfer, String>>), String> {
    let worker = Worker::new(WORKER_URL).map_err(|e| format!("cannot start the key generation worker: {e:?}"))?;
    let reject_slot: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let request = serde_json::to_string(&Request { spec, import_key }).map_err(|e| e.to_string())?;
    let on_stage = Rc::new(on_stage);
    let promise = {
        let worker = worker.clone();
        let reject_slot = reject_slot.clone();
        js_sys::Promise::new(&mut move |resolve, reject| {
            *reject_slot.borrow_mut() = Some(reject.clone());
            let worker_for_msg = worker.clone();
            let request = request.clone();
            let on_stage = on_stage.clone();
            let reject_slot2 = reject_slot.clone();
            let reject_msg = reject.clone();
            let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                let text = ev.data().as_string().unwrap_or_default();
                match serde_json::from_str::<Reply>(&text) {
                    Ok(Reply::Ready) => {
                        let _ = worker_for_msg.post_message(&JsValue::from_str(&request));
                    }
                    Ok(Reply::Stage { text }) => on_stage(text),
                    Ok(Reply::Done { .. }) | Ok(Reply::Failed { .. }) => {
                        reject_slot2.borrow_mut().take();
                        let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str(&text));
                        worker_for_msg.terminate();
                    }
                    Err(e) => {
                        let _ = reject_msg.call1(&JsValue::NULL, &JsValue::from_str(&format!("bad worker reply: {e}")));
                    }
                }
            });
            worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
            onmessage.forget();
            let reject_err = reject.clone();
            let onerror = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |ev: web_sys::ErrorEvent| {
                let _ = reject_err.call1(&JsValue::NULL, &JsValue::from_str(&format!("worker error: {}", ev.message())));
            });
            worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
            onerror.forget();
        })
    };
    let job = KeygenJob { worker, reject: reject_slot };
    let future = async move {
        let value = JsFuture::from(promise).await.map_err(|e| e.as_string().unwrap_or_else(|| "worker failed".into()))?;
        let text = value.as_string().unwrap_or_default();
        match serde_json::from_str::<Reply>(&text) {
            Ok(Reply::Done { transfer }) => Ok(transfer),
            Ok(Reply::Failed { message }) => Err(message),
            _ => Err("unexpected worker reply".into()),
        }
    };
    Ok((job, future))
}

/// The worker side: generate, wrap, reply. Used by the `keygen-worker` bin.
pub fn run_in_worker(request: &str, stage: impl Fn(&str)) -> Reply {
    let request: Request = match serde_json::from_str(request) {
        Ok(r) => r,
        Err(e) => return Reply::Failed { message: format!("bad request: {e}") },
    };
    let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
    let pkcs8 = match request.spec {
        KeySpec::Rsa { bits } => {
            if ![2048, 3072, 4096].contains(&bits) {
                return Reply::Failed { message: format!("unsupported RSA key size {bits}") };
            }
            stage(&format!("Generating an RSA {bits}-bit key pair…"));
            let key = match shared::crypto::generate_rsa(bits, &mut rng) {
                Ok(k) => k,
                Err(e) => return Reply::Failed { message: e.to_string() },
            };
            match shared::crypto::private_key_to_pkcs8(&key) {
                Ok(der) => der,
                Err(e) => return Reply::Failed { message: e.to_string() },
            }
        }
        KeySpec::Ec => {
            stage("Generating an EC P-256 key…");
            shared::crypto::ec_p256_pkcs8(&mut rng)
        }
    };
    stage("Wrapping the private key for transfer…");
    match shared::crypto::wrap_for_transfer(&request.import_key, &pkcs8, &mut rng) {
        Ok(transfer) => Reply::Done { transfer },
        Err(e) => Reply::Failed { message: e.to_string() },
    }
}
