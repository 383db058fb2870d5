//! The portal in real headless Chromium against a real server: sign-in, chrome, deep links.

use keyblade_tests::{Browser, Portal, TestServer};

#[tokio::test]
async fn signed_out_users_land_on_sign_in_then_return() {
    let server = TestServer::start().await;
    let browser = Browser::open().await;
    browser.goto(&server.url("/troubleshoot")).await;
    browser.find_text("Keyblade").await;
    browser.find_button("Sign in").await;
    browser.fill("Username", "admin").await;
    browser.fill("Password", "wrong password").await;
    browser.click_button("Sign in").await;
    browser.find_error("Unauthorized").await;
    browser.fill("Password", backend::LOCAL_ADMIN_PASSWORD).await;
    browser.click_button("Sign in").await;
    browser.find_text("Troubleshoot").await;
    browser.find_text("SsemUserErrorEncryptionKeyDisabled").await;
    browser.find_role("status", "Backend: ok").await;
    browser.find_text("admin").await;
    browser.close().await;
}

#[tokio::test]
async fn deep_links_reload_into_the_portal() {
    let p = Portal::start().await;
    let b = &p.browser;
    let order = p.demo.order.clone();
    let pages = [
        (format!("/orders/{order}"), "Device password"),
        (format!("/orders/{order}/encryption"), "Select type"),
        ("/vaults".to_string(), "Key vaults"),
        ("/vaults/contoso-kv".to_string(), "Recovery options"),
        ("/vaults/contoso-kv/keys/databox-key".to_string(), "New version"),
        ("/deleted-vaults".to_string(), "Deleted key vaults"),
        ("/identities".to_string(), "Managed identities"),
        ("/subscription".to_string(), "Move to another tenant"),
        ("/troubleshoot".to_string(), "Troubleshoot"),
        ("/".to_string(), "Data Box orders"),
    ];
    for (path, marker) in pages {
        b.goto(&p.server.url(&path)).await;
        b.find_text(marker).await;
    }
    b.goto(&p.server.url("/no/such/page")).await;
    b.find_text("This page does not exist.").await;
    // The left menu: Overview, Settings > Encryption.
    b.goto(&p.server.url("/")).await;
    b.click_link("Encryption").await;
    b.find_text("Select type").await;
    b.click_link("Overview").await;
    b.find_button("Device password").await;
    b.click_button("Sign out").await;
    b.find_button("Sign in").await;
    p.close().await;
}

#[tokio::test]
async fn troubleshoot_catalog_is_searchable() {
    let p = Portal::start().await;
    let b = &p.browser;
    b.open_path(&p.server, "/troubleshoot").await;
    b.find_text("SsemUserErrorKeyVaultUrlInvalidHost").await;
    b.fill("Search error codes", "firewall").await;
    b.find_text("SsemUserErrorKeyVaultBadRequestException").await;
    b.wait_absent("//td[normalize-space(.)='SsemUserErrorKeyVaultUrlInvalidHost']").await;
    p.close().await;
}

#[tokio::test]
async fn a_key_vault_shows_where_the_cloud_sdks_reach_it() {
    let p = Portal::start().await;
    p.open_path("/vaults/contoso-kv").await;
    let address = format!("https://127.0.0.2:{}/", p.server.addr.port());
    p.browser.find_text(&address).await;
    p.close().await;
}

#[tokio::test]
async fn cancelling_a_key_generation_uploads_nothing() {
    let p = Portal::start().await;
    let b = &p.browser;
    p.open_path("/vaults/contoso-kv").await;
    b.find_role("tab", "Keys").await.click().await.expect("open the Keys tab");
    b.click_button("Generate/Import").await;
    b.find_dialog("Create a key").await;
    b.fill("Name", "never-uploaded").await;
    // RSA-4096 takes seconds in the browser: Create waits for it, with progress and Cancel.
    b.check("4096", true).await;
    b.click_button("Create").await;
    b.find_role("progressbar", "").await;
    b.click_button("Cancel").await;
    b.find_role("status", "Key creation cancelled").await;
    b.find_button("Create").await;
    let reply = p.api.get("/vaults/contoso-kv/keys/never-uploaded").await;
    assert_eq!(reply.status, 404, "a cancelled key must not reach the vault: {:?}", reply.body);
}

/// A new user clicking through without pausing (issue 12 item 0): every async answer that
/// arrives after its panel or blade is gone must be dropped quietly. The harness fails the test
/// if the page recorded a panic (`Browser::close`).
async fn clicking_through_without_pausing_never_kills_the_page(mode: keyblade_tests::Mode) {
    use keyblade_tests::scenario::{DEMO_KEY, DEMO_VAULT};
    let p = Portal::start_in(mode).await;
    let b = &p.browser;
    p.open_encryption().await;
    b.check("Customer managed key", true).await;
    b.click_button("Select a key and key vault").await;
    b.select_option("Key vault", DEMO_VAULT).await;
    b.select_option("Key", DEMO_KEY).await;
    b.select_option("Version", &p.demo.version).await;
    b.click_button("Select").await;
    b.check("System assigned", true).await;
    b.click_button("Save").await;
    b.click_link("Overview").await;
    b.click_button("Device password").await;
    b.click_link("Encryption").await;
    b.click_button("Change key").await;
    b.click_button("Select a different key vault and key").await;
    b.click_button("Create new key vault").await;
    b.find_dialog("Create key vault").await;
    b.assert_no_panic().await;
    // The page still answers.
    b.click_button("Cancel").await;
    b.wait_dialog_closed("Create key vault").await;
    b.assert_no_panic().await;
    p.close().await;
}

/// Simulation > Advance time moves the engine's clock (the server's test clock, or the offline
/// demo's): 90 days later the deleted vault's retention is over and it is purged. The vault's
/// provisioning shows in the Activity pane.
async fn advancing_time_ends_a_deleted_vaults_retention(mode: keyblade_tests::Mode) {
    let p = Portal::start_in(mode).await;
    keyblade_tests::scenario::create_vault(&p.api, "rehearsal-kv", true, false).await;
    p.api.delete("/vaults/rehearsal-kv").await;
    p.open_path("/deleted-vaults").await;
    let b = &p.browser;
    b.find_text("rehearsal-kv").await;
    b.click_button("Simulation").await;
    b.click_button("Advance time: 90 days").await;
    b.find_text("Time advanced").await;
    b.wait_absent("//td[normalize-space(.)='rehearsal-kv'] | //a[normalize-space(.)='rehearsal-kv']").await;
    b.click_button("Activity").await;
    let pane = b.find_role("region", "Create key vault rehearsal-kv").await;
    assert!(pane.text().await.expect("the pane's text").contains("Succeeded"));
    p.close().await;
}

/// The Activity log lists what was done (here: Device password and a key deletion), with its
/// status and the chain check, and filters by operation.
async fn the_activity_log_shows_who_did_what(mode: keyblade_tests::Mode) {
    let p = Portal::start_in(mode).await;
    p.open_overview().await;
    p.device_password_ok().await;
    p.api.delete("/vaults/contoso-kv/keys/no-such-key").await;
    let b = &p.browser;
    b.click_link("Activity log").await;
    b.find_role("status", "Integrity verified").await;
    if matches!(mode, keyblade_tests::Mode::Live) {
        // The test server lets its clock move: every page says so.
        b.find_role("note", "Test clock on").await;
        b.find_role("status", "end where the sealed head says").await;
    }
    b.find_xpath(
        "//table//tr[td[normalize-space(.)='Show device password']][td[normalize-space(.)='Succeeded']]",
    )
    .await;
    b.find_xpath("//table//tr[td[normalize-space(.)='Delete key']][td[contains(normalize-space(.),'Failed: NotFound')]]")
        .await;
    b.select_option("Operation", "Delete key").await;
    b.wait_absent("//td[normalize-space(.)='Show device password']").await;
    b.fill("Resource contains", "nothing-like-this").await;
    b.find_text("No activity matches these filters.").await;
    if p.mode == keyblade_tests::Mode::Live {
        b.set_value("Resource contains", "").await;
        b.select_option("Operation", "All operations").await;
        b.find_xpath("//td[normalize-space(.)='Show device password']").await;
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        b.screenshot(&docs.join("screenshot-activity-log.png")).await;
    }
    p.close().await;
}

keyblade_tests::in_both_modes!(
    clicking_through_without_pausing_never_kills_the_page,
    advancing_time_ends_a_deleted_vaults_retention,
    the_activity_log_shows_who_did_what,
);

/// The content security policy is enforced on the portal: a script injected into the page does
/// not run, and the portal reports the attempt (which fails any other browser test).
#[tokio::test]
async fn an_injected_inline_script_is_blocked_and_reported() {
    let p = Portal::start().await;
    p.open_path("/troubleshoot").await;
    let injected = "const s = document.createElement('script'); s.textContent = 'window.__injected = true;'; \
                    document.body.appendChild(s); return window.__injected === true;";
    let ran = p.browser.client.execute(injected, vec![]).await.expect("the script injected");
    assert_eq!(ran, serde_json::Value::Bool(false), "an inline script ran despite the policy");
    let faults = "return new Promise(done => setTimeout(() => { const f = (window.__keybladeFaults || []).slice(); \
                  window.__keybladeFaults = []; done(f); }, 200));";
    let faults = p.browser.client.execute(faults, vec![]).await.expect("the recorded faults");
    let text = faults.to_string();
    assert!(text.contains("Content security policy blocked inline"), "{text}");
    p.close().await;
}
