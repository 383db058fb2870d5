//! The Encryption blade, flow by flow (SPEC section 3, flows 1-12), in headless Chromium with the
//! seeded demo (vault contoso-kv, key databox-key, identity databox-uai, order DataBox-Order-01
//! on the Microsoft managed key). Every flow runs twice: live against a real server, and
//! offline on the static build's in-browser engine (see `keyblade_tests::offline`).

use keyblade_tests::{
    Mode, Portal, in_both_modes,
    scenario::{DEMO_KEY, DEMO_VAULT, import_rsa_key, system_assigned},
};
use serde_json::json;

const PICKER: &str = "Select key from Azure Key Vault";

/// Customer managed key -> picker -> contoso-kv / databox-key / newest version -> Select.
async fn pick_demo_key(p: &Portal) {
    let b = &p.browser;
    b.check("Customer managed key", true).await;
    b.click_button("Select a key and key vault").await;
    b.find_dialog(PICKER).await;
    b.select_option("Key vault", DEMO_VAULT).await;
    b.select_option("Key", DEMO_KEY).await;
    b.select_option("Version", &p.demo.version).await;
    b.click_button("Select").await;
    b.wait_dialog_closed(PICKER).await;
}

/// Saves and waits for the Key URL.
async fn save_and_expect_key_url(p: &Portal, key: &str) {
    p.browser.click_button("Save").await;
    p.browser.find_role("status", "Encryption settings saved").await;
    p.browser.find_xpath(&format!("//dd[contains(@class,'key-url')][contains(.,'/keys/{key}/')]")).await;
}

async fn flow01_select_type_marks_unsaved_changes(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_encryption().await;
    let b = &p.browser;
    assert!(b.button_disabled("Save").await, "nothing changed yet");
    assert!(b.button_disabled("Discard").await);
    b.check("Customer managed key", true).await;
    b.find_text("● Unsaved changes").await;
    assert!(!b.button_disabled("Save").await);
    b.find_button("Select a key and key vault").await;
    b.click_button("Discard").await;
    assert!(b.button_disabled("Save").await);
    b.check("Customer managed key", true).await;
    b.check("Microsoft managed key", true).await;
    assert!(b.button_disabled("Save").await, "back to the saved type: nothing to save");
    p.close().await;
}

async fn flow02_picker_lists_subscription_vaults_keys_versions(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_encryption().await;
    let b = &p.browser;
    b.check("Customer managed key", true).await;
    b.click_button("Select a key and key vault").await;
    b.find_dialog(PICKER).await;
    assert_eq!(b.value_of("Subscription").await, "Contoso Data Box subscription");
    for create in ["Create new key vault", "Create new key", "Create new version"] {
        b.find_xpath(&format!("//button[@aria-label='{create}'][normalize-space(.)='Create new']")).await;
    }
    assert!(b.button_disabled("Select").await);
    b.select_option("Key vault", DEMO_VAULT).await;
    b.select_option("Key", DEMO_KEY).await;
    b.select_option("Version", &p.demo.version).await;
    assert!(!b.button_disabled("Select").await);
    // Escape closes the panel.
    b.control("Version").await.send_keys("\u{e00c}").await.expect("Escape");
    b.wait_dialog_closed(PICKER).await;
    p.close().await;
}

async fn flow03_create_key_vault_from_the_picker(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_encryption().await;
    let b = &p.browser;
    b.check("Customer managed key", true).await;
    b.click_button("Select a key and key vault").await;
    b.find_dialog(PICKER).await;
    b.click_button("Create new key vault").await;
    b.find_dialog("Create key vault").await;
    assert_eq!(b.value_of("Days to retain deleted vaults").await, "90");
    b.fill("Key vault name", "e2e-vault").await;
    b.check("Purge protection", false).await;
    b.find_text_containing("refuses a key vault without both Soft delete and Purge protection").await;
    b.check("Purge protection", true).await;
    b.click_button("Review + create").await;
    b.find_text("Review the settings of the new key vault, then select Create.").await;
    b.find_xpath("//dl[contains(@class,'summary')]//dd[normalize-space(.)='e2e-vault']").await;
    b.click_button("Create").await;
    b.find_role("status", "Key vault").await;
    b.wait_dialog_closed("Create key vault").await;
    b.find_xpath("//select[option[@value='e2e-vault']]").await;
    b.wait_value("Key vault", "e2e-vault").await;
    p.close().await;
}

async fn flow04_create_key_in_the_browser(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_encryption().await;
    let b = &p.browser;
    b.check("Customer managed key", true).await;
    b.click_button("Select a key and key vault").await;
    b.find_dialog(PICKER).await;
    b.select_option("Key vault", DEMO_VAULT).await;
    b.click_button("Create new key").await;
    b.find_dialog("Create a key").await;
    for size in ["2048", "3072", "4096"] {
        b.control(size).await;
    }
    b.fill("Name", "browser-key").await;
    b.check("3072", true).await;
    // The key pair is generated while the form is filled in; Create then only uploads it.
    b.find_role("status", "Key pair ready").await;
    b.click_button("Create").await;
    b.wait_dialog_closed("Create a key").await;
    b.find_role("status", "Key created").await;
    b.wait_value("Key", "browser-key").await;
    assert_eq!(b.value_of("Version").await.len(), 32);
    b.click_button("Select").await;
    b.find_xpath("//dl[contains(@class,'key-summary')]//dd[normalize-space(.)='browser-key']").await;
    // The key really is RSA-3072 on the server.
    let key = p.api.get(&format!("/vaults/{DEMO_VAULT}/keys/browser-key")).await.ok();
    assert_eq!(key["size"], 3072);
    assert_eq!(key["key_type"], "RSA");
    p.close().await;
}

async fn flow05_create_new_version(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_encryption().await;
    let b = &p.browser;
    b.check("Customer managed key", true).await;
    b.click_button("Select a key and key vault").await;
    b.find_dialog(PICKER).await;
    b.select_option("Key vault", DEMO_VAULT).await;
    b.select_option("Key", DEMO_KEY).await;
    b.click_button("Create new version").await;
    b.find_dialog("Create new version").await;
    b.click_button("Create").await;
    b.wait_dialog_closed("Create new version").await;
    let key = p.api.get(&format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}")).await.ok();
    let versions = key["versions"].as_array().expect("versions").clone();
    assert_eq!(versions.len(), 2);
    let newest = versions[1]["id"].as_str().expect("an id").to_owned();
    b.wait_value("Version", &newest).await;
    p.close().await;
}

async fn flow06_selected_key_is_shown_under_encryption_type(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_encryption().await;
    pick_demo_key(&p).await;
    let b = &p.browser;
    b.find_xpath(&format!(
        "//dl[contains(@class,'key-summary')][dd[.='{DEMO_VAULT}']][dd[.='{DEMO_KEY}']][dd[.='{}']]",
        p.demo.version
    ))
    .await;
    p.close().await;
}

async fn flow07_user_assigned_identity_is_picked_in_a_panel(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_encryption().await;
    pick_demo_key(&p).await;
    let b = &p.browser;
    b.find_text("Identity type").await;
    b.find_text("Select identity type").await;
    b.check("User assigned", true).await;
    b.click_button("Select a user identity").await;
    b.find_dialog("Select user assigned managed identity").await;
    b.check("databox-uai", true).await;
    b.click_button("Select").await;
    b.wait_dialog_closed("Select user assigned managed identity").await;
    b.find_xpath("//span[contains(@class,'identity-name')][normalize-space(.)='databox-uai']").await;
    b.find_button("Select a different user identity").await;
    p.close().await;
}

async fn flow08_permissions_callout_is_persistent(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_encryption().await;
    p.browser.check("Customer managed key", true).await;
    p.browser.find_text_containing("The identity needs the Get, UnwrapKey and WrapKey permissions on the key for the lifetime of the order.").await;
    pick_demo_key(&p).await;
    p.browser.find_text_containing("The identity needs the Get, UnwrapKey and WrapKey permissions").await;
    p.close().await;
}

async fn flow09_save_shows_the_key_url_and_the_passkey_still_opens(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_overview().await;
    p.device_password_ok().await;
    let before = p.demo.device_password(&p.api).await.ok()["password"].clone();
    p.open_encryption().await;
    pick_demo_key(&p).await;
    save_and_expect_key_url(&p, DEMO_KEY).await;
    let url = format!("https://{DEMO_VAULT}.vault.azure.net/keys/{DEMO_KEY}/{}", p.demo.version);
    p.browser.find_text(&url).await;
    assert!(p.browser.button_disabled("Save").await);
    let after = p.demo.device_password(&p.api).await.ok()["password"].clone();
    assert_eq!(before, after, "the passkey survives the rewrap");
    p.open_overview().await;
    p.browser.find_text("Customer managed key").await;
    p.device_password_ok().await;
    p.close().await;
}

async fn flow10_change_key_opens_a_cleared_picker(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.demo.save_cmk(&p.api, DEMO_VAULT, DEMO_KEY, &p.demo.version, system_assigned()).await.ok();
    import_rsa_key(&p.api, DEMO_VAULT, "second-key").await;
    p.open_encryption().await;
    let b = &p.browser;
    b.click_button("Change key").await;
    b.click_button("Select a different key vault and key").await;
    b.find_dialog(PICKER).await;
    assert_eq!(b.value_of("Subscription").await, "Contoso Data Box subscription");
    assert_eq!(b.value_of("Key vault").await, "");
    assert_eq!(b.value_of("Key").await, "");
    assert_eq!(b.value_of("Version").await, "");
    b.select_option("Key vault", DEMO_VAULT).await;
    b.select_option("Key", "second-key").await;
    b.click_button("Select").await;
    b.wait_dialog_closed(PICKER).await;
    save_and_expect_key_url(&p, "second-key").await;
    p.close().await;
}

async fn flow11_change_identity_user_then_system(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.demo.save_cmk(&p.api, DEMO_VAULT, DEMO_KEY, &p.demo.version, system_assigned()).await.ok();
    let grant =
        json!({"principal_id": p.demo.identity_principal, "permissions": ["Get", "WrapKey", "UnwrapKey"]});
    p.api.put(&format!("/vaults/{DEMO_VAULT}/access-policies"), &grant).await.ok();
    p.open_encryption().await;
    let b = &p.browser;
    b.check("User assigned", true).await;
    b.click_button("Select a user identity").await;
    b.find_dialog("Select user assigned managed identity").await;
    b.check("databox-uai", true).await;
    b.click_button("Select").await;
    b.click_button("Save").await;
    b.find_role("status", "Encryption settings saved").await;
    b.find_text("User assigned: databox-uai").await;
    b.find_button("Select a different user identity").await;
    b.check("System assigned", true).await;
    b.click_button("Save").await;
    b.find_text("System assigned").await;
    b.wait_absent("//dd[normalize-space(.)='User assigned: databox-uai']").await;
    p.close().await;
}

async fn flow12_back_to_microsoft_managed_key(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.demo.save_cmk(&p.api, DEMO_VAULT, DEMO_KEY, &p.demo.version, system_assigned()).await.ok();
    p.open_encryption().await;
    let b = &p.browser;
    b.find_xpath("//dd[contains(@class,'key-url')]").await;
    b.check("Microsoft managed key", true).await;
    b.click_button("Save").await;
    b.find_role("status", "Encryption settings saved").await;
    b.wait_absent("//dd[contains(@class,'key-url')]").await;
    let order = p.api.get(&p.demo.order_path("")).await.ok();
    assert_eq!(order["encryption"]["type"], "MicrosoftManaged");
    p.open_overview().await;
    p.device_password_ok().await;
    p.close().await;
}

in_both_modes!(
    flow01_select_type_marks_unsaved_changes,
    flow02_picker_lists_subscription_vaults_keys_versions,
    flow03_create_key_vault_from_the_picker,
    flow04_create_key_in_the_browser,
    flow05_create_new_version,
    flow06_selected_key_is_shown_under_encryption_type,
    flow07_user_assigned_identity_is_picked_in_a_panel,
    flow08_permissions_callout_is_persistent,
    flow09_save_shows_the_key_url_and_the_passkey_still_opens,
    flow10_change_key_opens_a_cleared_picker,
    flow11_change_identity_user_then_system,
    flow12_back_to_microsoft_managed_key,
);
