//! The key-generation Web Worker. `cargo xtask build` builds it for the no-modules target,
//! with a loader shim at `/keygen-worker_loader.js`.

use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use frontend::keygen::{Reply, run_in_worker};

fn main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post = {
        let scope = scope.clone();
        move |reply: &Reply| {
            let text = serde_json::to_string(reply).unwrap_or_default();
            let _ = scope.post_message(&JsValue::from_str(&text));
        }
    };
    let post_for_handler = post.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let request = ev.data().as_string().unwrap_or_default();
        let reply =
            run_in_worker(&request, |text| post_for_handler(&Reply::Stage { text: text.to_string() }));
        post_for_handler(&reply);
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    post(&Reply::Ready);
}
