//! The Key Protect API driven by the unmodified `keyprotect` SDK (PyPI 3.0.1, installed by
//! `cargo xtask test` into the virtualenv named by `KEYBLADE_VENV`): tokens from API keys made
//! in Keyblade, root keys created and imported, rotation with and without material, versions,
//! wrap and unwrap across a rotation, the rotation policy, registrations, disable and enable,
//! delete, restore and purge, and a wrong or revoked API key refused. Then the order the SDK's
//! rotation rewrapped still gives its Device password, now under the new version.

use std::time::Duration;

use keyblade_tests::{
    Api, TestServer, run_sdk_script,
    scenario::{Demo, system_assigned},
};
use serde_json::json;
use shared::demo::{DEMO_KEY, DEMO_VAULT};

async fn api_key(api: &Api, name: &str) -> (String, String) {
    let created = api.post("/api-keys", &json!({ "name": name })).await.ok();
    let id = created["key"]["id"].as_str().expect("an id").to_owned();
    (id, created["secret"].as_str().expect("a secret shown once").to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyprotect_sdk_runs_unchanged_against_keyblade() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    demo.save_cmk(&api, DEMO_VAULT, DEMO_KEY, &demo.version, system_assigned()).await.ok();
    let password = demo.device_password(&api).await.ok()["password"].clone();
    let (_, secret) = api_key(&api, "sdk tests").await;
    let (revoked_id, revoked) = api_key(&api, "revoked").await;
    api.delete(&format!("/api-keys/{revoked_id}")).await.ok();
    let listed = api.get("/api-keys").await.ok();
    assert!(!listed.to_string().contains(&secret), "a listed key never shows its secret");

    let url = server.url("");
    let env = [
        ("KP_URL", url.as_str()),
        ("KP_APIKEY", secret.as_str()),
        ("KP_REVOKED_APIKEY", revoked.as_str()),
        ("KP_INSTANCE", DEMO_VAULT),
        ("KP_ORDER_KEY", DEMO_KEY),
        ("KP_ORDER", demo.order.as_str()),
    ];
    run_sdk_script("keyprotect_client.py", env).await;

    // The SDK rotated the order's key: the runner rewraps the passkey onto the new version.
    let key = api.get(&format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}")).await.ok();
    let current = key["versions"].as_array().and_then(|v| v.last()).expect("versions")["id"].clone();
    assert_eq!(key["versions"][0]["status"], "DecryptOnly");
    let mut rewrapped = false;
    for _ in 0..100 {
        let settings = api.get(&demo.order_path("/encryption")).await.ok();
        if settings["version"] == current {
            rewrapped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(rewrapped, "the order moved onto the new version");
    assert_eq!(demo.device_password(&api).await.ok()["password"], password);

    // The SDK's calls are in the audit trail under the API key's name.
    let audit = api.get("/audit?action=key.rotate").await.ok();
    assert!(audit.to_string().contains("api key sdk tests"), "{audit}");
}
