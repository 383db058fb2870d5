//! The Secrets blade as an operator clicks it (issue 17): the stamp's inventory, internal
//! secrets rotated, then an external rotation from a certificate share folder whose fourth
//! endpoint's file holds a stranger's key — the run fails at that endpoint with its code, the
//! file is fixed in the share, and the re-run succeeds. Live and offline (where the engine in the
//! browser reads the .pfx files). Then the stamp is updated and an ADFS stamp added. The live run
//! saves docs/screenshot-secrets.png.

use std::path::Path;

use keyblade_tests::{Mode, Portal, in_both_modes};
use serde_json::{Value, json};
use shared::{crypto, pki};

const PASSWORD: &str = "Sh4re-Passw0rd";

/// Writes the share's files under `root` in their folders.
fn write_share(root: &Path, files: &[Value]) {
    for file in files {
        let relative = file["path"].as_str().expect("a path").replace('\\', "/");
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("the folders");
        let bytes = crypto::unb64(file["content"].as_str().expect("content")).expect("base64");
        std::fs::write(path, bytes).expect("the file");
    }
}

/// The same `.pfx` with a private key that is not its certificate's.
fn with_a_strangers_key(bytes: &[u8]) -> Vec<u8> {
    let opened = pki::read_pfx(bytes, PASSWORD).expect("the share's password opens it");
    let key = pki::new_key(2048, &mut keyblade_tests::rng()).expect("a key");
    let stranger = pki::KeyedCertificate { der: opened.certificate, key };
    let chain: Vec<&[u8]> = opened.chain.iter().map(Vec::as_slice).collect();
    pki::write_pfx(&stranger, &chain, PASSWORD).expect("a pfx")
}

async fn rotate_with_a_broken_share_then_re_run(mode: Mode) {
    let p = Portal::start_in(mode).await;
    let b = &p.browser;
    let body = json!({"issuer": "DeploymentAuthority", "days": 365, "password": PASSWORD});
    let files = p.api.post("/stamps/azs-east/certificate-share", &body).await.ok();
    let files = files.as_array().expect("files").clone();
    let share = tempfile::tempdir().expect("a share");
    write_share(share.path(), &files);
    let fourth = share.path().join(files[3]["path"].as_str().expect("a path").replace('\\', "/"));
    let good = std::fs::read(&fourth).expect("the file");
    std::fs::write(&fourth, with_a_strangers_key(&good)).expect("the broken file");

    p.open_path("/").await;
    b.click_link("Secrets").await;
    b.find_text("No alerts: no secret expires within 30 days.").await;
    b.find_xpath("//table[@aria-label='External certificates']//td[normalize-space(.)='Admin Portal']").await;
    b.find_text("No rotation yet.").await;

    b.click_button("Rotate internal secrets").await;
    b.find_text("Secrets rotated").await;
    b.dismiss_notifications().await;

    let folder = share.path().join("Certificates");
    let chooser = b.control("Certificate share folder").await;
    chooser.send_keys(&folder.display().to_string()).await.expect("choose the share folder");
    b.find_text("11 .pfx files chosen.").await;
    b.fill("Certificate password", PASSWORD).await;
    b.click_button("Rotate external certificates").await;
    b.find_text("The secret rotation failed").await;
    b.find_xpath("//table[@aria-label='Run history']//td[contains(.,'CertificateKeyMismatch')]").await;
    b.find_text_containing("The last rotation failed").await;
    b.dismiss_notifications().await;

    // Fix the file in the share, then re-run.
    std::fs::write(&fourth, &good).expect("the fixed file");
    b.click_button("Re-run").await;
    let re_run = b.control("Re-run the failed rotation").await;
    assert!(re_run.prop("checked").await.ok().flatten().as_deref() == Some("true"), "Re-run ticks the box");
    let chooser = b.control("Certificate share folder").await;
    chooser.send_keys(&folder.display().to_string()).await.expect("choose the share folder again");
    b.fill("Certificate password", PASSWORD).await;
    b.click_button("Rotate external certificates").await;
    b.find_text("Secrets rotated").await;
    b.find_xpath(
        "//table[@aria-label='Run history']//td[normalize-space(.)='Overall action status: Success']",
    )
    .await;
    if mode == Mode::Live {
        b.dismiss_notifications().await;
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs");
        b.screenshot(&docs.join("screenshot-secrets.png")).await;
    }

    // The stamp updated to a later version, and an ADFS stamp added beside it.
    b.select_option("Update to version", "1903").await;
    b.click_button("Update stamp").await;
    b.find_xpath("//dl[@aria-label='Stamp']/dd[normalize-space(.)='1903']").await;
    b.fill("Stamp name", "azs-adfs").await;
    b.select_option("Identity provider", "ADFS").await;
    b.click_button("Add stamp").await;
    b.find_xpath("//table[@aria-label='External certificates']//td[normalize-space(.)='Graph']").await;
    b.select_option("Stamp", "azs-east").await;
    b.find_xpath("//dl[@aria-label='Stamp']/dd[normalize-space(.)='azs-east']").await;
    p.close().await;
}

in_both_modes!(rotate_with_a_broken_share_then_re_run);
