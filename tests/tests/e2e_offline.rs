//! The offline demo (SPEC section 6): the `cargo xtask build` output on a plain static file server
//! offers the demo, seeds it in the browser, keeps it across reloads and resets it; and the
//! same blade steps leave the in-browser engine and the server in the same state.

use std::time::Duration;

use fantoccini::Locator;
use keyblade_tests::{
    Browser, Mode, Portal,
    offline::{StaticSite, browser_world},
    scenario::{DEMO_KEY, DEMO_VAULT},
};
use serde_json::Value;
use shared::{api::WorldView, model::World};

const PICKER: &str = "Select key from Azure Key Vault";
/// Seeding generates an RSA-2048 and an RSA-3072 key in the browser: allow for a slow machine.
const SEEDING: Duration = Duration::from_secs(180);

/// Customer managed key -> the demo key's newest version -> Save.
async fn save_demo_key(b: &Browser) {
    b.check("Customer managed key", true).await;
    b.click_button("Select a key and key vault").await;
    b.find_dialog(PICKER).await;
    b.select_option("Key vault", DEMO_VAULT).await;
    b.select_option("Key", DEMO_KEY).await;
    b.find_xpath("//select[option[string-length(@value)=32]]").await;
    b.click_button("Select").await;
    b.wait_dialog_closed(PICKER).await;
    b.click_button("Save").await;
    b.find_role("status", "Encryption settings saved").await;
}

/// Waits (through seeding) for the portal's menu, then opens Settings > Encryption in-app.
async fn open_encryption_in_app(b: &Browser) {
    let menu_link = "//nav[@aria-label='Portal menu']//a[normalize-space(.)='Encryption']";
    b.client.wait().at_most(SEEDING).for_element(Locator::XPath(menu_link)).await.expect("the demo is ready");
    b.click_link("Encryption").await;
    b.find_text("Select type").await;
}

#[tokio::test]
async fn static_build_offers_seeds_keeps_and_resets_the_demo() {
    let site = StaticSite::serve(&keyblade_tests::dist());
    let b = Browser::open().await;
    b.goto(&site.url("/")).await;
    b.find_text("The Keyblade server cannot be reached").await;
    b.click_button("Open the offline demo").await;
    b.find_text_containing("Preparing the offline demo").await;
    open_encryption_in_app(&b).await;
    b.find_text("Offline demo").await;
    save_demo_key(&b).await;

    // A reload keeps the saved settings.
    b.goto(&site.url("/?demo")).await;
    open_encryption_in_app(&b).await;
    b.find_xpath("//dd[contains(@class,'key-url')]").await;

    // The demo says where its keys live.
    b.find_text("Demo keys are kept unprotected in this browser's storage").await;

    // Reset demo forgets the demo, master key included, and seeds a new one: the order is back
    // on the Microsoft managed key.
    let master = stored_master(&b).await;
    b.click_button("Reset demo").await;
    wait_for_reload_at_demo_root(&b).await;
    open_encryption_in_app(&b).await;
    b.wait_absent("//dd[contains(@class,'key-url')]").await;
    assert_ne!(stored_master(&b).await, master, "Reset demo forgets the demo's master key");
    b.close().await;
}

/// The demo's master key as the browser stores it.
async fn stored_master(b: &Browser) -> String {
    let script = "return JSON.parse(localStorage.getItem('keyblade.demo') || '{}').master || '';";
    b.client.execute(script, vec![]).await.expect("read the storage").as_str().unwrap_or_default().to_owned()
}

/// Reset demo reloads the portal at `/?demo`; until then the old page is still there.
async fn wait_for_reload_at_demo_root(b: &Browser) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let url = b.client.current_url().await.expect("the current URL");
        if url.path() == "/" && url.query() == Some("demo") {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "Reset demo did not reload the portal (at {url})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The steps replayed in both modes.
async fn replay(p: &Portal) {
    p.open_encryption().await;
    save_demo_key(&p.browser).await;
    p.open_overview().await;
    p.device_password_ok().await;
}

#[tokio::test]
async fn the_offline_engine_and_the_server_reach_the_same_world() {
    let live = Portal::start_in(Mode::Live).await;
    replay(&live).await;
    let live_world: WorldView =
        serde_json::from_value(live.api.get("/world").await.ok()).expect("a world view");
    live.close().await;

    let offline = Portal::start_in(Mode::Offline).await;
    replay(&offline).await;
    let stored = browser_world(&offline.browser.client).await.expect("the offline world");
    let offline_world: World = serde_json::from_str(&stored).expect("a world");
    offline.close().await;

    assert_eq!(
        normalized(&live_world),
        normalized(&WorldView::of(&offline_world, shared::model::Timestamp(0)))
    );
}

/// A world view without what differs between two seedings: ids, key material and times.
/// Arrays are sorted afterwards, since maps keyed by random ids list entities in random order.
fn normalized(world: &WorldView) -> Value {
    normalize(serde_json::to_value(world).expect("a world view as JSON"))
}

fn normalize(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(without_ids(&text)),
        Value::Number(n) if n.as_i64().is_some_and(|t| t > 1_000_000_000) => Value::from("<time>"),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.into_iter().map(normalize).collect();
            items.sort_by_key(Value::to_string);
            Value::Array(items)
        }
        // Maps keyed by id (access policies) become lists of [key, value] pairs, so entries
        // whose ids normalize alike are all kept.
        Value::Object(fields) if fields.keys().any(|k| without_ids(k) != *k) => normalize(Value::Array(
            fields.into_iter().map(|(k, v)| Value::Array(vec![Value::String(k), v])).collect(),
        )),
        Value::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        other => other,
    }
}

/// Replaces key material (long strings without spaces) and runs of 16+ hex digits (ids).
fn without_ids(text: &str) -> String {
    if text.len() >= 64 && !text.contains(' ') && !text.starts_with("https://") {
        return "<blob>".into();
    }
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() || c == '-' {
            run.push(c);
            continue;
        }
        let hex_digits = run.chars().filter(char::is_ascii_hexdigit).count();
        out.push_str(if hex_digits >= 16 { "<id>" } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}
