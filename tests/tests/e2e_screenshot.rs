//! Saves the screenshots in docs/: the Encryption blade (customer-managed key saved), the key
//! picker, an error with its Fix, and the Activity pane with the Simulation menu.

use keyblade_tests::{
    Portal,
    scenario::{DEMO_KEY, DEMO_VAULT, system_assigned},
};

#[tokio::test]
async fn screenshot_of_the_encryption_blade() {
    let p = Portal::start().await;
    p.demo.save_cmk(&p.api, DEMO_VAULT, DEMO_KEY, &p.demo.version, system_assigned()).await.ok();
    p.open_encryption().await;
    p.browser.find_xpath("//dd[contains(@class,'key-url')]").await;
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    std::fs::create_dir_all(&docs).expect("docs folder");
    let path = docs.join("screenshot-encryption.png");
    p.browser.screenshot(&path).await;
    assert!(std::fs::metadata(&path).expect("the screenshot").len() > 10_000);
    p.close().await;
}

/// The key picker side sheet and an error with its Fix, for the docs (and a visual check).
#[tokio::test]
async fn screenshots_of_the_picker_and_an_error() {
    let p = Portal::start().await;
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    std::fs::create_dir_all(&docs).expect("docs folder");
    p.open_encryption().await;
    let b = &p.browser;
    b.check("Customer managed key", true).await;
    b.click_button("Select a key and key vault").await;
    b.find_dialog("Select key from Azure Key Vault").await;
    b.select_option("Key vault", DEMO_VAULT).await;
    b.select_option("Key", DEMO_KEY).await;
    b.screenshot(&docs.join("screenshot-picker.png")).await;
    b.click_button("Select").await;
    let off = serde_json::json!({"enabled": false, "nbf": null, "exp": null});
    p.api.put(&format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}/versions/{}", p.demo.version), &off).await.ok();
    b.click_button("Save").await;
    b.find_error("SsemUserErrorEncryptionKeyDisabled").await;
    b.screenshot(&docs.join("screenshot-error.png")).await;
    p.close().await;
}

/// The Activity pane following a vault's provisioning, and the Simulation menu, for the docs.
#[tokio::test]
async fn screenshot_of_the_activity_pane_and_the_simulation_menu() {
    let p = Portal::start().await;
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
    keyblade_tests::scenario::create_vault(&p.api, "rehearsal-kv", true, true).await;
    p.open_path("/vaults").await;
    let b = &p.browser;
    b.click_button("Activity").await;
    b.find_role("region", "Create key vault rehearsal-kv").await;
    b.click_button("Simulation").await;
    b.find_button("Advance time: 30 days").await;
    b.screenshot(&docs.join("screenshot-activity.png")).await;
    p.close().await;
}
