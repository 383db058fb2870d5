//! Every failure state the Encryption blade and Device password must explain: the error code is
//! shown, and Fix (or the documented remedy) makes the retry succeed.
//! Each state is checked live against the server and offline in the static build's demo.

use keyblade_tests::{
    Mode, Portal, in_both_modes,
    scenario::{DEMO_KEY, DEMO_VAULT, create_vault, import_rsa_key, system_assigned, user_assigned},
};
use serde_json::json;

const PICKER: &str = "Select key from Azure Key Vault";

/// The demo order on the demo key through the system-assigned identity.
async fn with_cmk(p: &Portal) {
    p.demo.save_cmk(&p.api, DEMO_VAULT, DEMO_KEY, &p.demo.version, system_assigned()).await.ok();
}

/// Device password fails with `code`; Fix; Retry shows the password.
async fn device_password_fix_retry(p: &Portal, code: &str) {
    p.open_overview().await;
    p.browser.click_button("Device password").await;
    p.browser.find_error(code).await;
    p.browser.fix_error(code).await;
    p.browser.click_button("Retry").await;
    p.browser.find_text_containing("Device password:").await;
}

fn version_path(version: &str) -> String {
    format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}/versions/{version}")
}

/// Picks vault/key/newest version in the picker.
async fn pick(p: &Portal, vault: &str, key: &str) {
    let b = &p.browser;
    b.check("Customer managed key", true).await;
    b.click_button("Select a key and key vault").await;
    b.find_dialog(PICKER).await;
    b.select_option("Key vault", vault).await;
    b.select_option("Key", key).await;
    b.find_xpath("//select[option[string-length(@value)=32]]").await;
    b.click_button("Select").await;
    b.wait_dialog_closed(PICKER).await;
}

async fn expect_saved(p: &Portal) {
    p.browser.find_role("status", "Encryption settings saved").await;
    p.browser.find_xpath("//dd[contains(@class,'key-url')]").await;
}

async fn key_version_disabled(mode: Mode) {
    let p = Portal::start_in(mode).await;
    with_cmk(&p).await;
    let off = json!({"enabled": false, "nbf": null, "exp": null});
    p.api.put(&version_path(&p.demo.version), &off).await.ok();
    device_password_fix_retry(&p, "SsemUserErrorEncryptionKeyDisabled").await;
    p.close().await;
}

async fn key_version_expired(mode: Mode) {
    let p = Portal::start_in(mode).await;
    with_cmk(&p).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let expired = json!({"enabled": true, "nbf": null, "exp": now - 3600});
    p.api.put(&version_path(&p.demo.version), &expired).await.ok();
    device_password_fix_retry(&p, "SsemUserErrorEncryptionKeyExpired").await;
    p.close().await;
}

async fn key_deleted_then_recovered(mode: Mode) {
    let p = Portal::start_in(mode).await;
    with_cmk(&p).await;
    p.api.delete(&format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}")).await;
    device_password_fix_retry(&p, "SsemUserErrorKeyDetailsNotFound").await;
    p.close().await;
}

async fn vault_deleted_then_recovered(mode: Mode) {
    let p = Portal::start_in(mode).await;
    with_cmk(&p).await;
    // Delete through the portal: Key vaults > contoso-kv > Delete.
    let b = &p.browser;
    p.open_path(&format!("/vaults/{DEMO_VAULT}")).await;
    b.click_button("Delete").await;
    b.click_button("Confirm delete").await;
    b.find_role("status", "Key vault deleted").await;
    device_password_fix_retry(&p, "SsemUserErrorKeyVaultDetailsNotFound").await;
    p.close().await;
}

async fn vault_without_purge_protection(mode: Mode) {
    let p = Portal::start_in(mode).await;
    create_vault(&p.api, "no-purge-kv", true, false).await;
    import_rsa_key(&p.api, "no-purge-kv", "k1").await;
    p.open_encryption().await;
    pick(&p, "no-purge-kv", "k1").await;
    let b = &p.browser;
    b.click_button("Save").await;
    b.find_error("SsemUserErrorSoftDeleteAndPurgeProtectionNotEnabled").await;
    b.fix_error("SsemUserErrorSoftDeleteAndPurgeProtectionNotEnabled").await;
    // The order's identity may still need access to the new vault: fix that too, then save.
    for _ in 0..3 {
        b.click_button("Retry").await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if b.client.find(fantoccini::Locator::XPath("//dd[contains(@class,'key-url')]")).await.is_ok() {
            break;
        }
        let code = b.find_xpath("//*[contains(@class,'error-panel')]//code").await.text().await.unwrap();
        assert_ne!(code, "SsemUserErrorSoftDeleteAndPurgeProtectionNotEnabled", "the fix did not stick");
        b.fix_error(&code).await;
    }
    expect_saved(&p).await;
    let vault = p.api.get("/vaults/no-purge-kv").await.ok();
    assert_eq!(vault["purge_protection"], true);
    p.close().await;
}

async fn wrap_key_permission_removed(mode: Mode) {
    let p = Portal::start_in(mode).await;
    let order = p.api.get(&p.demo.order_path("")).await.ok();
    let principal = order["system_identity"]["principal_id"].as_str().unwrap().to_owned();
    // Access policies > uncheck WrapKey for the order's identity, in the portal.
    let b = &p.browser;
    p.open_path(&format!("/vaults/{DEMO_VAULT}")).await;
    b.find_xpath("//button[@role='tab'][normalize-space(.)='Access policies']").await.click().await.unwrap();
    b.check("WrapKey for DataBox-Order-01 (system assigned)", false).await;
    b.find_role("status", "Access policy updated").await;
    let vault = p.api.get(&format!("/vaults/{DEMO_VAULT}")).await.ok();
    assert!(!vault["access_policies"][&principal].as_array().unwrap().iter().any(|x| x == "WrapKey"));
    p.open_encryption().await;
    pick(&p, DEMO_VAULT, DEMO_KEY).await;
    b.click_button("Save").await;
    b.find_error("SsemUserErrorKeyVaultBadRequestException").await;
    b.fix_error("SsemUserErrorKeyVaultBadRequestException").await;
    b.click_button("Retry").await;
    expect_saved(&p).await;
    p.close().await;
}

async fn firewall_blocks_a_user_identity(mode: Mode) {
    let p = Portal::start_in(mode).await;
    let grant =
        json!({"principal_id": p.demo.identity_principal, "permissions": ["Get", "WrapKey", "UnwrapKey"]});
    p.api.put(&format!("/vaults/{DEMO_VAULT}/access-policies"), &grant).await.ok();
    p.api
        .put(&format!("/vaults/{DEMO_VAULT}/firewall"), &json!({"enabled": true, "allowed_identities": []}))
        .await
        .ok();
    p.open_encryption().await;
    pick(&p, DEMO_VAULT, DEMO_KEY).await;
    let b = &p.browser;
    b.check("User assigned", true).await;
    b.click_button("Select a user identity").await;
    b.check("databox-uai", true).await;
    b.click_button("Select").await;
    b.click_button("Save").await;
    b.find_error("SsemUserErrorKeyVaultBadRequestException").await;
    // Documented remedy: switch to the system-assigned identity (a trusted service).
    b.check("System assigned", true).await;
    b.click_button("Save").await;
    expect_saved(&p).await;
    p.close().await;
}

async fn user_identity_deleted_after_save(mode: Mode) {
    let p = Portal::start_in(mode).await;
    let grant =
        json!({"principal_id": p.demo.identity_principal, "permissions": ["Get", "WrapKey", "UnwrapKey"]});
    p.api.put(&format!("/vaults/{DEMO_VAULT}/access-policies"), &grant).await.ok();
    p.demo
        .save_cmk(&p.api, DEMO_VAULT, DEMO_KEY, &p.demo.version, user_assigned(&p.demo.identity))
        .await
        .ok();
    // Managed identities > Delete databox-uai, in the portal.
    let b = &p.browser;
    p.open_path("/identities").await;
    b.click_button("Delete identity databox-uai").await;
    b.find_role("status", "Managed identity deleted").await;
    p.open_overview().await;
    b.click_button("Device password").await;
    let code = "SsemUserErrorUserAssignedIdentityAbsent";
    b.find_error(code).await;
    // Documented remedy: pick another identity (the system-assigned one) and save.
    p.open_encryption().await;
    b.check("System assigned", true).await;
    b.click_button("Save").await;
    expect_saved(&p).await;
    p.open_overview().await;
    p.device_password_ok().await;
    p.close().await;
}

async fn subscription_moved_to_another_tenant(mode: Mode) {
    let p = Portal::start_in(mode).await;
    with_cmk(&p).await;
    let b = &p.browser;
    p.open_path("/subscription").await;
    b.select_option("Target tenant", "Fabrikam").await;
    b.click_button("Move to another tenant").await;
    b.find_role("status", "Subscription moved").await;
    device_password_fix_retry(&p, "SsemUserErrorKeyVaultDetailsNotFound").await;
    let sub = p.api.get(&format!("/subscriptions/{}", p.demo.subscription)).await.ok();
    assert_eq!(sub["tenant_id"], sub["original_tenant_id"]);
    p.close().await;
}

async fn ec_key_selected_in_the_picker(mode: Mode) {
    let p = Portal::start_in(mode).await;
    // Key vaults > contoso-kv > Keys > Generate/Import an EC key, generated in the browser.
    let b = &p.browser;
    p.open_path(&format!("/vaults/{DEMO_VAULT}")).await;
    b.find_xpath("//button[@role='tab'][normalize-space(.)='Keys']").await.click().await.unwrap();
    b.click_button("Generate/Import").await;
    b.find_dialog("Create a key").await;
    b.fill("Name", "ec-key").await;
    b.select_option("Key type", "EC").await;
    b.click_button("Create").await;
    b.wait_dialog_closed("Create a key").await;
    let key = p.api.get(&format!("/vaults/{DEMO_VAULT}/keys/ec-key")).await.ok();
    assert_eq!(key["key_type"], "EC");
    p.open_encryption().await;
    pick(&p, DEMO_VAULT, "ec-key").await;
    b.click_button("Save").await;
    b.find_error("SsemUserErrorEncryptionKeyTypeNotSupported").await;
    // Documented remedy: use an RSA key.
    b.click_button("Change key").await;
    b.click_button("Select a different key vault and key").await;
    b.find_dialog(PICKER).await;
    b.select_option("Key vault", DEMO_VAULT).await;
    b.select_option("Key", DEMO_KEY).await;
    b.find_xpath("//select[option[string-length(@value)=32]]").await;
    b.click_button("Select").await;
    b.click_button("Save").await;
    expect_saved(&p).await;
    p.close().await;
}

in_both_modes!(
    key_version_disabled,
    key_version_expired,
    key_deleted_then_recovered,
    vault_deleted_then_recovered,
    vault_without_purge_protection,
    wrap_key_permission_removed,
    firewall_blocks_a_user_identity,
    user_identity_deleted_after_save,
    subscription_moved_to_another_tenant,
    ec_key_selected_in_the_picker,
);
