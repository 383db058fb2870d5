//! The master key rekeyed from the unmodified `solidfire-sdk-python` (PyPI 12.3.0.203, installed
//! by `cargo xtask test` into the virtualenv named by `KEYBLADE_VENV`) over Keyblade's Element
//! JSON-RPC API: Internal, then External with a second Keyblade as the key provider. Then the
//! secrets still open, and a restart with the provider down is refused with nothing changed.

use backend::{Config, LOCAL_ADMIN_PASSWORD, Server};
use keyblade_tests::{Api, TestServer, run_sdk_script, scenario::Demo};
use serde_json::json;
use shared::demo::DEMO_VAULT;

/// A Keyblade acting as the key provider: a root key in its demo vault and an API key.
async fn key_provider() -> (TestServer, String) {
    let provider = TestServer::start_api().await;
    let api = Api::signed_in(&provider).await;
    api.post(&format!("/vaults/{DEMO_VAULT}/root-keys"), &json!({"name": "keyblade-master"})).await.ok();
    let created = api.post("/api-keys", &json!({"name": "keyblade master key"})).await.ok();
    (provider, created["secret"].as_str().expect("a secret").to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_element_sdk_rekeys_the_master_key_internal_then_external() {
    let (provider, api_key) = key_provider().await;
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    let password = demo.device_password(&api).await.ok()["password"].clone();
    let added = api
        .post(
            "/key-providers",
            &json!({
                "name": "second keyblade",
                "url": provider.url(""),
                "instance": DEMO_VAULT,
                "root_key_id": "keyblade-master",
                "api_key": api_key,
            }),
        )
        .await
        .ok();
    let id = added["id"].as_u64().expect("an id");
    assert!(
        !api.get("/key-providers").await.ok().to_string().contains(&api_key),
        "the API key is never shown"
    );
    api.post_empty(&format!("/key-providers/{id}/test")).await.ok();

    let (host, provider_id) = (server.addr.to_string(), id.to_string());
    let env = [
        ("EL_HOST", host.as_str()),
        ("EL_USER", "admin"),
        ("EL_PASSWORD", LOCAL_ADMIN_PASSWORD),
        ("EL_PROVIDER_ID", provider_id.as_str()),
    ];
    run_sdk_script("element_client.py", env).await;

    let at_rest = api.get("/encryption-at-rest").await.ok();
    assert_eq!(at_rest["current"]["management"], "external");
    let states: Vec<&str> =
        at_rest["keys"].as_array().expect("keys").iter().filter_map(|k| k["state"].as_str()).collect();
    assert_eq!(states.iter().filter(|s| **s == "Decommissioned").count(), 2, "{states:?}");
    assert_eq!(states.len(), 3, "{states:?}");
    assert_eq!(demo.device_password(&api).await.ok()["password"], password, "the secrets still open");
    api.delete(&format!("/key-providers/{id}")).await.error(409, "KeyProviderInUse");

    // The provider down, Keyblade refuses to start: its master key cannot be opened.
    let provider_addr = provider.addr;
    let provider_dir = provider.stop().await;
    let database_url = server.database_url.clone();
    let data_dir = server.stop().await;
    let config = Config {
        database_url: Some(database_url),
        ..Config::local(data_dir.path().to_path_buf(), data_dir.path().join("no-portal"))
    };
    let refused = Server::bind(&config).await.err().expect("no start without the key provider");
    assert!(refused.to_string().contains("cannot open the master key"), "{refused}");
    // With the provider back, it starts and every secret opens.
    let provider_config = Config {
        addr: provider_addr,
        ..Config::local(provider_dir.path().to_path_buf(), provider_dir.path().join("no-portal"))
    };
    let _provider = TestServer::start_with_config(provider_dir, provider_config).await;
    let server = TestServer::start_api_in(data_dir).await;
    let api = Api::signed_in(&server).await;
    assert_eq!(demo.device_password(&api).await.ok()["password"], password);
}
