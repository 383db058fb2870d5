//! Runs in headless Chromium through wasm-bindgen-test.

use frontend::{App, PRODUCT_NAME};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Lets the router and the first effects run.
async fn tick(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn chrome_shows_the_product_name() {
    leptos::mount::mount_to_body(App);
    tick(50).await;
    let brand = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(".topbar .brand").ok().flatten())
        .expect("the top bar has a brand link");
    assert_eq!(brand.text_content().as_deref(), Some(PRODUCT_NAME));
}

#[wasm_bindgen_test]
fn drafts_compare_by_what_they_would_save() {
    use frontend::blades::encryption::{Draft, IdentityDraft};
    use frontend::panels::KeyRef;
    use shared::model::EncryptionSettings;
    let saved = Draft::from(&EncryptionSettings::MicrosoftManaged);
    let mut draft = saved.clone();
    draft.cmk = true;
    assert_ne!(draft, saved, "switching to a customer key is a change");
    draft.key = Some(KeyRef { vault: "kv".into(), key: "k".into(), version: "v".into() });
    draft.identity = IdentityDraft::User(Some("id".into()));
    draft.cmk = false;
    assert_eq!(draft, saved, "back on the Microsoft key, the remembered key does not count");
    draft.cmk = true;
    let settings = draft.to_settings().expect("complete");
    assert_eq!(Draft::from(&settings), draft);
    draft.identity = IdentityDraft::User(None);
    assert!(draft.to_settings().is_err(), "a user identity must be chosen");
}

#[wasm_bindgen_test]
fn vault_names_follow_the_rules() {
    use frontend::panels::create_vault::shared_vault_name_problem as problem;
    assert!(problem("contoso-kv").is_none());
    assert!(problem("kv").is_some());
    assert!(problem("1vault").is_some());
    assert!(problem("my--vault").is_some());
    assert!(problem("my_vault").is_some());
}
