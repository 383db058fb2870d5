//! User Timing entries (`performance.mark` / `performance.measure`) for the moments a user waits
//! on. They cost nothing when nobody reads them; the benchmark suite and the browser's
//! performance panel do.

use wasm_bindgen::JsValue;

/// The mark set when the Encryption blade first shows an order's settings.
pub const ENCRYPTION_BLADE_RENDERED: &str = "keyblade:encryption-blade";

fn performance() -> Option<web_sys::Performance> {
    // The same code runs in the page and (for tests) in workers, so ask the global, not `window`.
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok().map(Into::into)
}

/// Milliseconds since the page started (0 where there is no clock).
pub fn now() -> f64 {
    performance().map_or(0.0, |p| p.now())
}

/// Marks `name` once per page load.
pub fn mark_once(name: &str) {
    if let Some(p) = performance()
        && p.get_entries_by_name_with_entry_type(name, "mark").length() == 0
    {
        let _ = p.mark(name);
    }
}

/// Records that `name` took from `start` (a [`now`] reading) until now.
pub fn measure_since(name: &str, start: f64) {
    let Some(p) = performance() else { return };
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"start".into(), &start.into());
    let _ = js_sys::Reflect::set(&options, &"end".into(), &p.now().into());
    let measure = js_sys::Reflect::get(&p, &"measure".into()).ok().map(js_sys::Function::from);
    if let Some(measure) = measure {
        let _ = measure.call2(&p, &name.into(), &options);
    }
}
