//! Encryption at rest, as an operator would click it: the master key shown, a rekey followed to
//! Ready while the device password keeps working, and the history of rekeys. Live, key providers
//! too: one added, its test failing with the catalog's code, an External rekey through it failing
//! the same way without touching the master key, and the provider removed. Offline, External is
//! not offered. The live run saves docs/screenshot-encryption-at-rest.png.

use keyblade_tests::{Mode, Portal, in_both_modes};

async fn rekey_the_master_key(mode: Mode) {
    let p = Portal::start_in(mode).await;
    p.open_path("/").await;
    let b = &p.browser;
    b.click_link("Encryption at rest").await;
    b.find_text("Master key ID").await;
    b.find_text("No rekey yet.").await;
    let first = b.find_xpath("//dl[@aria-label='Master key']/dd[1]").await.text().await.expect("the key id");

    b.check("Internal", true).await;
    b.click_button("Rekey master key").await;
    b.find_text("Master key rekeyed").await;
    b.find_xpath("//table[@aria-label='Rekey history']//td[normalize-space(.)='Ready']").await;
    let second = b.find_xpath("//dl[@aria-label='Master key']/dd[1]").await.text().await.expect("the key id");
    assert_ne!(first, second, "a new master key is current");

    match mode {
        Mode::Offline => {
            b.find_text_containing("Offline demo: the master key lives in this browser").await;
            let external = b.control("External").await;
            assert!(external.attr("disabled").await.ok().flatten().is_some(), "External needs the server");
        }
        Mode::Live => {
            b.find_text("No key providers.").await;
            b.fill("Name", "lab kms").await;
            b.fill("URL", "http://127.0.0.1:9").await;
            b.fill("Instance", "contoso-kv").await;
            b.fill("Root key ID", "master-wrap").await;
            b.fill("API key", "not-a-real-key").await;
            b.click_button("Add key provider").await;
            b.find_xpath("//table[@aria-label='Key providers']//td[normalize-space(.)='lab kms']").await;
            b.click_button("Test key provider lab kms").await;
            b.find_error("KeyProviderUnreachable").await;

            b.check("External", true).await;
            b.select_option("Key provider", "lab kms").await;
            b.click_button("Rekey master key").await;
            b.find_text("The rekey failed").await;
            b.find_xpath("//table[@aria-label='Rekey history']//td[contains(.,'KeyProviderUnreachable')]")
                .await;
            let still =
                b.find_xpath("//dl[@aria-label='Master key']/dd[1]").await.text().await.expect("the key id");
            assert_eq!(still, second, "a failed rekey leaves the master key as it was");
            let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
            b.screenshot(&docs.join("screenshot-encryption-at-rest.png")).await;
            b.click_button("Remove key provider lab kms").await;
            b.find_text("No key providers.").await;
        }
    }
    p.open_overview().await;
    p.device_password_ok().await;
    p.close().await;
}

in_both_modes!(rekey_the_master_key);
