//! Saves a screenshot of the Encryption blade (customer-managed key saved) to
//! docs/screenshot-encryption.png.

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
