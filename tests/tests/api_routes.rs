//! Each route's success path: the portal's blades end to end through the API.

use keyblade_tests::{
    Api, TestServer,
    scenario::{self, DEMO_KEY, DEMO_VAULT, Demo, system_assigned},
    test_key_pkcs8, transfer,
};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn directory_routes_describe_the_seeded_world() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    let world = api.get("/world").await.ok();
    assert_eq!(world["vaults"][0]["name"], DEMO_VAULT);
    assert_eq!(world["tenants"].as_array().map(Vec::len), Some(2));
    assert_eq!(api.get("/resource-groups").await.ok()[0]["name"], "databox-rg");
    assert_eq!(api.get("/subscriptions").await.ok()[0]["id"], demo.subscription.as_str());

    let moved = api
        .post(
            &format!("/subscriptions/{}/move", demo.subscription),
            &json!({ "tenant_id": demo.other_tenant }),
        )
        .await;
    assert_eq!(moved.ok()["tenant_id"], demo.other_tenant.as_str());
    let reverted = api.post_empty(&format!("/subscriptions/{}/revert", demo.subscription)).await.ok();
    assert_ne!(reverted["tenant_id"], demo.other_tenant.as_str());
    // Nothing secret ever reaches a client.
    let text = world.to_string();
    assert!(!text.contains("sealed") && !text.contains("passkey"), "secrets in the world view");
}

#[tokio::test]
async fn vault_lifecycle_properties_policies_and_networking() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let created = scenario::create_vault(&api, "flow-kv", true, false).await;
    assert_eq!(created["has_import_key"], true);
    assert_eq!(api.get("/vaults").await.ok().as_array().map(Vec::len), Some(2));
    assert_eq!(api.get("/vaults/flow-kv").await.ok()["purge_protection"], false);

    let updated = api.patch("/vaults/flow-kv", &json!({ "retention_days": 30 })).await.ok();
    assert_eq!(updated["retention_days"], 30);
    let policy = json!({ "principal_id": "p1", "permissions": ["Get", "List"] });
    let with_policy = api.put("/vaults/flow-kv/access-policies", &policy).await.ok();
    assert_eq!(with_policy["access_policies"]["p1"], json!(["Get", "List"]));
    let firewall = json!({ "enabled": true, "allowed_identities": ["p1"] });
    assert_eq!(api.put("/vaults/flow-kv/firewall", &firewall).await.ok()["firewall"]["enabled"], true);
    let import_key = api.get("/vaults/flow-kv/import-key").await.ok();
    assert!(import_key["public_spki_b64"].as_str().is_some_and(|k| k.len() > 400), "an RSA-3072 SPKI");

    assert_eq!(api.delete("/vaults/flow-kv").await.status, 204);
    api.get("/vaults/flow-kv").await.error(404, "NotFound");
    assert_eq!(api.get("/deleted-vaults").await.ok()[0]["name"], "flow-kv");
    assert_eq!(api.post_empty("/deleted-vaults/flow-kv/recover").await.ok()["name"], "flow-kv");
    api.delete("/vaults/flow-kv").await.ok();
    assert_eq!(api.delete("/deleted-vaults/flow-kv").await.status, 204);
    assert_eq!(api.get("/deleted-vaults").await.ok(), json!([]));
}

#[tokio::test]
async fn keys_and_versions_through_the_key_transfer_format() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let first = scenario::import_rsa_key(&api, DEMO_VAULT, "flow-key").await;
    let keys = api.get(&format!("/vaults/{DEMO_VAULT}/keys")).await.ok();
    assert_eq!(keys.as_array().map(Vec::len), Some(2));
    let text = keys.to_string();
    assert!(!text.contains("sealed"), "a key view carries sealed material");

    let spki = api.get(&format!("/vaults/{DEMO_VAULT}/import-key")).await.ok()["public_spki_b64"].clone();
    let body = json!({
        "attributes": { "enabled": false, "nbf": null, "exp": 4_000_000_000_i64 },
        "transfer": transfer(spki.as_str().expect("spki"), test_key_pkcs8()),
    });
    let versions_path = format!("/vaults/{DEMO_VAULT}/keys/flow-key/versions");
    let second = api.post(&versions_path, &body).await;
    assert_eq!(second.status, 201);
    let second = second.ok();
    assert_eq!(second["enabled"], false);
    assert_eq!(api.get(&versions_path).await.ok().as_array().map(Vec::len), Some(2));
    let enabled = api
        .put(
            &format!("{versions_path}/{}", second["id"].as_str().expect("an id")),
            &json!({ "enabled": true, "nbf": null, "exp": null }),
        )
        .await
        .ok();
    assert_eq!(enabled["enabled"], true);
    assert!(
        enabled["key_url"].as_str().is_some_and(|url| url.ends_with(second["id"].as_str().unwrap_or("-")))
    );
    assert_ne!(first, second["id"].as_str().unwrap_or_default());

    assert_eq!(api.delete(&format!("/vaults/{DEMO_VAULT}/keys/flow-key")).await.status, 204);
    assert_eq!(api.get(&format!("/vaults/{DEMO_VAULT}/deleted-keys")).await.ok()[0]["name"], "flow-key");
    api.post_empty(&format!("/vaults/{DEMO_VAULT}/deleted-keys/flow-key/recover")).await.ok();
    api.delete(&format!("/vaults/{DEMO_VAULT}/keys/flow-key")).await.ok();
    api.delete(&format!("/vaults/{DEMO_VAULT}/deleted-keys/flow-key")).await.error(409, "PurgeProtected");
}

#[tokio::test]
async fn keys_are_purged_where_purge_protection_is_off() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    scenario::create_vault(&api, "purge-kv", true, false).await;
    scenario::import_rsa_key(&api, "purge-kv", "gone").await;
    api.delete("/vaults/purge-kv/keys/gone").await.ok();
    assert_eq!(api.delete("/vaults/purge-kv/deleted-keys/gone").await.status, 204);
    assert_eq!(api.get("/vaults/purge-kv/deleted-keys").await.ok(), json!([]));
}

#[tokio::test]
async fn identities_orders_and_encryption_settings() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;

    let created =
        api.post("/identities", &json!({ "name": "extra-uai", "resource_group": "databox-rg" })).await;
    assert_eq!(created.status, 201);
    let identity = created.ok()["id"].as_str().expect("an id").to_owned();
    assert_eq!(api.get(&format!("/identities/{identity}")).await.ok()["name"], "extra-uai");
    assert_eq!(api.get("/identities").await.ok().as_array().map(Vec::len), Some(2));

    let order = api.get(&demo.order_path("")).await;
    let version = order.etag_version();
    assert_eq!(order.ok()["encryption"]["type"], "MicrosoftManaged");
    assert_eq!(api.get("/orders").await.ok()[0]["id"], demo.order.as_str());
    let attach = json!({ "identity_ids": [identity] });
    let attached = api
        .send(Method::POST, &demo.order_path("/user-identities/attach"), Some(&attach), Some(version))
        .await;
    assert_eq!(attached.ok()["user_identities"].as_array().map(Vec::len), Some(1));
    let detached = api.post(&demo.order_path("/user-identities/detach"), &attach).await.ok();
    assert_eq!(detached["user_identities"], json!([]));
    assert_eq!(api.delete(&format!("/identities/{identity}")).await.status, 204);

    let removed = api.delete(&demo.order_path("/system-identity")).await.ok();
    assert!(removed["system_identity"].is_null());
    let recreated = api.post_empty(&demo.order_path("/system-identity")).await.ok();
    let principal = recreated["system_identity"]["principal_id"].as_str().expect("a principal").to_owned();
    let policy = json!({ "principal_id": principal, "permissions": ["Get", "WrapKey", "UnwrapKey"] });
    api.put(&format!("/vaults/{DEMO_VAULT}/access-policies"), &policy).await.ok();

    let reply = demo.device_password(&api).await;
    assert_eq!(reply.headers["cache-control"], "no-store", "the Device password is never cached");
    let before = reply.ok()["password"].clone();
    let saved = demo.save_cmk(&api, DEMO_VAULT, DEMO_KEY, &demo.version, system_assigned()).await.ok();
    assert_eq!(saved["encryption"]["type"], "CustomerManaged");
    let settings = api.get(&demo.order_path("/encryption")).await;
    assert!(settings.etag_version() > version);
    assert_eq!(settings.ok()["vault"], DEMO_VAULT);
    assert_eq!(demo.device_password(&api).await.ok()["password"], before, "the passkey survives Save");
    let reverted = api.post_empty(&demo.order_path("/encryption/revert")).await.ok();
    assert_eq!(reverted["encryption"]["type"], "MicrosoftManaged");
    assert_eq!(demo.device_password(&api).await.ok()["password"], before, "and the revert");

    let new_order = json!({ "name": "Second order", "subscription_id": demo.subscription, "resource_group": "databox-rg" });
    let created = api.post("/orders", &new_order).await;
    assert_eq!(created.status, 201);
    let id = created.ok()["id"].as_str().expect("an id").to_owned();
    api.post_empty(&format!("/orders/{id}/device-password")).await.ok();
}

/// The test clock: with `--test-clock`, moving it makes what fell due happen (a deleted vault's
/// retention ends and it is purged); without the flag the route does not exist.
#[tokio::test]
async fn the_test_clock_moves_time_and_is_absent_without_the_flag() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    scenario::create_vault(&api, "short-kv", true, false).await;
    api.patch("/vaults/short-kv", &json!({ "retention_days": 7 })).await.ok();
    assert_eq!(api.delete("/vaults/short-kv").await.status, 204);
    let before = api.get("/clock").await.ok();
    api.post("/clock", &json!({ "advance_seconds": 0 })).await.error(400, "InvalidRequest");
    let after = api.post("/clock", &json!({ "advance_seconds": 6 * 86_400 })).await.ok();
    assert!(after["now"].as_i64() >= before["now"].as_i64().map(|n| n + 6 * 86_400));
    assert_eq!(api.get("/deleted-vaults").await.ok()[0]["name"], "short-kv", "still within retention");
    api.post("/clock", &json!({ "advance_seconds": 2 * 86_400 })).await.ok();
    assert_eq!(api.get("/deleted-vaults").await.ok(), json!([]), "retention over: purged");
    api.post_empty("/deleted-vaults/short-kv/recover").await.error(409, "NotRecoverable");
    // The purge is the clock's work, recorded as `system`.
    let audit = api.get("/audit?action=vault.purge").await.ok();
    let purge = &audit["entries"][0];
    assert_eq!(
        (purge["actor"].as_str(), purge["subject"].as_str()),
        (Some("system"), Some("vaults/short-kv (retention ended)")),
        "{audit}"
    );

    let data_dir = server.stop().await;
    let mut config = backend::Config::local(data_dir.path().to_path_buf(), data_dir.path().join("no-portal"));
    config.test_clock = false;
    let plain = TestServer::start_with_config(data_dir, config).await;
    let api = Api::signed_in(&plain).await;
    api.get("/clock").await.error(404, "NotFound");
    api.post("/clock", &json!({ "advance_seconds": 60 })).await.error(404, "NotFound");
}
