//! The Key Protect API driven by the unmodified `keyprotect` SDK (PyPI 3.0.1, installed by
//! `cargo xtask test` into the virtualenv named by `KEYBLADE_VENV`): tokens from API keys made
//! in Keyblade, root keys created and imported, rotation with and without material, versions,
//! wrap and unwrap across a rotation, the rotation policy, registrations, disable and enable,
//! delete, restore and purge, and a wrong or revoked API key refused. Then the order the SDK's
//! rotation rewrapped still gives its Device password, now under the new version.

use std::time::Duration;

use keyblade_tests::{
    Api, TestServer, run_sdk_script,
    scenario::{Demo, create_vault, system_assigned},
};
use serde_json::json;
use shared::demo::{DEMO_KEY, DEMO_VAULT};

/// A second vault, out of the Crypto User key's scope.
const OTHER_VAULT: &str = "kp-other-kv";

async fn api_key(api: &Api, name: &str) -> (String, String) {
    scoped_api_key(api, name, "Key Administrator", "/").await
}

/// An API key that is its own principal, holding `role` at `scope`.
async fn scoped_api_key(api: &Api, name: &str, role: &str, scope: &str) -> (String, String) {
    let created = api.post("/api-keys", &json!({ "name": name, "role": role, "scope": scope })).await.ok();
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
    let (_, reader) = scoped_api_key(&api, "reader", "Reader", "/").await;
    let (_, crypto) = scoped_api_key(&api, "crypto", "Crypto User", &format!("/vaults/{DEMO_VAULT}")).await;
    create_vault(&api, OTHER_VAULT, true, false).await;
    let listed = api.get("/api-keys").await.ok();
    assert!(!listed.to_string().contains(&secret), "a listed key never shows its secret");

    let url = server.url("");
    let env = [
        ("KP_URL", url.as_str()),
        ("KP_APIKEY", secret.as_str()),
        ("KP_REVOKED_APIKEY", revoked.as_str()),
        ("KP_READER_APIKEY", reader.as_str()),
        ("KP_CRYPTO_APIKEY", crypto.as_str()),
        ("KP_OTHER_INSTANCE", OTHER_VAULT),
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
    // Every release of key material names who took it; refusals are recorded too.
    let unwraps = api.get("/audit?action=key.unwrap").await.ok().to_string();
    assert!(unwraps.contains("api key crypto") && unwraps.contains("AccessDenied"), "{unwraps}");
}
