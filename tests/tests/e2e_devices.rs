//! Device key rollover through the Device manager blade, as the service administrator and the
//! device administrators would click it: authorize, change the key on the device, update the
//! cloud appliance and the offline device, and the alert until every device holds the key.

use keyblade_tests::{Mode, Portal};

async fn a_key_rollover_through_the_device_manager_blade(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_path("/").await;
    let b = &p.browser;
    b.click_link("Device manager").await;
    b.find_text_containing("Not eligible: Device hcs-8600-02 is offline").await;
    // The offline device cannot be authorized; the online one can.
    assert!(b.button_disabled("Authorize key rollover on hcs-8600-02").await);
    b.click_button("Authorize key rollover on hcs-8100-01").await;
    b.find_text_containing("Authorized: initiate before").await;

    // Step 2 on the authorized device: the key is shown once.
    b.click_button("Open the console of hcs-8100-01").await;
    b.find_dialog("Device console: hcs-8100-01").await;
    b.click_button("Change service data encryption key").await;
    let shown = b.find_xpath("//code[contains(@class,'new-key')]").await;
    let key = shown.text().await.expect("the new key").trim().to_owned();
    assert_eq!(key.len(), 44, "a 256-bit key in base64: {key}");
    b.click_button("Close").await;
    b.find_role("alert", "The service data encryption key was changed").await;

    // Step 3: the cloud appliance at once, the offline device when it comes back.
    b.fill("New service data encryption key", &key).await;
    b.click_button("Update cloud appliances").await;
    b.find_xpath("//tr[th[normalize-space(.)='cloud-8020-01']]/td[normalize-space(.)='Version 2: current']")
        .await;
    b.click_button("Open the console of hcs-8600-02").await;
    b.find_dialog("Device console: hcs-8600-02").await;
    b.fill("Service data encryption key", "not the key").await;
    b.click_button("Update").await;
    b.find_error("ServiceDataEncryptionKeyMismatch").await;
    b.fill("Service data encryption key", &key).await;
    b.click_button("Update").await;
    b.click_button("Close").await;
    b.find_xpath("//tr[th[normalize-space(.)='hcs-8600-02']]/td[normalize-space(.)='Version 1: update queued until online']")
        .await;
    if mode == Mode::Live {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        b.client.execute("window.scrollTo(0, 0); return null;", vec![]).await.expect("scroll to the top");
        b.screenshot(&docs.join("screenshot-device-manager.png")).await;
    }
    b.click_button("Bring online hcs-8600-02").await;
    b.wait_absent("//*[@role='alert'][contains(., 'The service data encryption key was changed')]").await;
    b.find_text("Not required: every device holds the current key").await;
    p.close().await;
}

keyblade_tests::in_both_modes!(a_key_rollover_through_the_device_manager_blade);
