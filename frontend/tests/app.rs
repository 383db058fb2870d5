//! Runs in headless Chromium through wasm-bindgen-test.

use frontend::{App, PRODUCT_NAME};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn chrome_shows_the_product_name() {
    leptos::mount::mount_to_body(App);
    let brand = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(".topbar .brand").ok().flatten())
        .expect("the top bar has a brand link");
    assert_eq!(brand.text_content().as_deref(), Some(PRODUCT_NAME));
}
