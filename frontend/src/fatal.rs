//! What happens if the portal ever panics: a bug, but never a silently dead page. The hook logs
//! the panic to the console (as `console_error_panic_hook` does), records it on
//! `window.__keybladeFaults` (the end-to-end suite fails a test that recorded one), and shows a
//! banner that says the page stopped and offers a reload. Anything the server's content security
//! policy blocks is recorded there too: it is a defect of the portal as well.

use wasm_bindgen::{JsCast, JsValue};

/// Installs the hook; call once, first thing.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        let message = info.to_string();
        record(&message);
        show_banner();
    }));
    record_policy_violations();
}

/// Records every `securitypolicyviolation` event (a script, style or connection the content
/// security policy blocked).
fn record_policy_violations() {
    use wasm_bindgen::closure::Closure;
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let listener = Closure::<dyn Fn(web_sys::Event)>::new(|event: web_sys::Event| {
        let field = |name: &str| {
            js_sys::Reflect::get(&event, &JsValue::from_str(name))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        record(&format!(
            "Content security policy blocked {} ({})",
            field("blockedURI"),
            field("violatedDirective")
        ));
    });
    let _ = document
        .add_event_listener_with_callback("securitypolicyviolation", listener.as_ref().unchecked_ref());
    // The listener lives as long as the page.
    listener.forget();
}

fn record(message: &str) {
    let Some(window) = web_sys::window() else { return };
    let key = JsValue::from_str("__keybladeFaults");
    let list = js_sys::Reflect::get(&window, &key)
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
        .unwrap_or_default();
    list.push(&JsValue::from_str(message));
    let _ = js_sys::Reflect::set(&window, &key, &list);
}

fn show_banner() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = document.body() else { return };
    let Ok(banner) = document.create_element("div") else { return };
    banner.set_class_name("fatal-banner");
    let _ = banner.set_attribute("role", "alert");
    // Plain HTML: the app that would render it is what stopped.
    banner.set_inner_html(
        "<strong>Keyblade stopped working on this page.</strong> Nothing you saved is lost. \
         <a href=\"\">Reload the page</a> to continue.",
    );
    let _ = body.prepend_with_node_1(&banner);
}
