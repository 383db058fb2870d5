//! Bad input of every kind gets the JSON error envelope with a fitting status, never a 5xx.

use keyblade_tests::{
    Api, Reply, TestServer, assert_envelope,
    scenario::{DEMO_KEY, DEMO_VAULT, Demo},
};
use reqwest::Method;
use serde_json::json;

async fn raw(request: reqwest::RequestBuilder) -> Reply {
    Reply::read(request.send().await.expect("an answer")).await
}

#[tokio::test]
async fn malformed_requests_get_the_envelope() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let json_body = |text: &'static str| {
        api.raw(Method::POST, "/vaults").header("Content-Type", "application/json").body(text)
    };

    raw(json_body("{not json")).await.error(400, "InvalidRequest");
    raw(json_body(r#"{"name": 5}"#)).await.error(422, "InvalidRequest");
    raw(json_body("[]")).await.error(422, "InvalidRequest");
    raw(api.raw(Method::POST, "/vaults").body("{}")).await.error(415, "UnsupportedMediaType");
    let text = api.raw(Method::POST, "/vaults").header("Content-Type", "text/plain").body("{}");
    raw(text).await.error(415, "UnsupportedMediaType");

    let huge = json!({ "name": "x".repeat(200 * 1024) });
    api.post("/vaults", &huge).await.error(413, "PayloadTooLarge");
}

#[tokio::test]
async fn unknown_routes_methods_and_ids_get_the_envelope() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;

    api.get("/no/such/route").await.error(404, "NotFound");
    api.send(Method::PATCH, "/catalog", Some(&json!({})), None).await.error(405, "MethodNotAllowed");
    api.get("/vaults/nosuchvault").await.error(404, "NotFound");
    api.get(&format!("/vaults/{DEMO_VAULT}/keys/nosuchkey")).await.error(404, "NotFound");
    let attributes = json!({ "enabled": true, "nbf": null, "exp": null });
    api.put(&format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}/versions/{}", "0".repeat(32)), &attributes)
        .await
        .error(404, "NotFound");
    api.get("/orders/nosuchorder").await.error(404, "NotFound");
    api.post_empty("/orders/nosuchorder/device-password").await.error(404, "NotFound");
    api.get("/identities/nosuchidentity").await.error(404, "NotFound");
    api.delete("/identities/nosuchidentity").await.error(404, "NotFound");
    api.get("/subscriptions/nosuch").await.error(404, "NotFound");
    api.get("/vaults/nosuchvault/import-key").await.error(404, "NotFound");
    let fix = json!({ "action": "RecoverVault", "vault": DEMO_VAULT });
    let subject = json!({ "kind": "order", "id": "nosuchorder" });
    let proof = "0".repeat(64);
    api.post("/fixes", &json!({ "subject": subject, "fix": fix, "fix_proof": proof }))
        .await
        .error(404, "NotFound");

    let bad_if_match = api
        .raw(Method::POST, &format!("/orders/{}/encryption/revert", demo.order))
        .header("If-Match", "yesterday");
    raw(bad_if_match).await.error(400, "InvalidRequest");
}

#[tokio::test]
async fn rule_violations_get_their_codes() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let vault = |name: &str, retention: u16| {
        json!({ "name": name, "resource_group": "databox-rg", "region": "West US",
                "soft_delete": true, "purge_protection": true, "retention_days": retention })
    };
    api.post("/vaults", &vault("1-bad--name", 90)).await.error(400, "InvalidVaultName");
    api.post("/vaults", &vault("fine-name", 5)).await.error(400, "InvalidRetention");
    let demo = Demo::load(&api).await;
    let year_275000 = json!({ "enabled": true, "nbf": null, "exp": 8_616_000_000_000_i64 });
    let version = format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}/versions/{}", demo.version);
    api.put(&version, &year_275000).await.error(400, "InvalidDate");
    let before = api.get(&format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}")).await.ok();
    let backwards = json!({ "enabled": true, "nbf": 1_900_000_000, "exp": 1_800_000_000 });
    let refused = api.put(&version, &backwards).await.error(422, "ExpiryBeforeActivation");
    assert!(
        refused["message"].as_str().is_some_and(|m| m.contains("before the activation date")),
        "{refused}"
    );
    assert_eq!(
        api.get(&format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}")).await.ok(),
        before,
        "nothing changed"
    );
    api.post("/vaults", &vault(DEMO_VAULT, 90)).await.error(409, "VaultNameTaken");
    api.patch(&format!("/vaults/{DEMO_VAULT}"), &json!({ "purge_protection": false }))
        .await
        .error(409, "PurgeProtectionCannotBeDisabled");
    api.post("/identities", &json!({ "name": "", "resource_group": "databox-rg" }))
        .await
        .error(400, "InvalidName");

    let garbage = json!({
        "name": "k2", "key_type": "RSA", "size": 2048,
        "attributes": { "enabled": true, "nbf": null, "exp": null },
        "transfer": { "ciphertext": "bm90IGEga2V5" }
    });
    let error = api.post(&format!("/vaults/{DEMO_VAULT}/keys"), &garbage).await;
    assert!(error.status.is_client_error());
    assert_eq!(error.body["error"]["code"], "InvalidKeyTransfer");
    let small = json!({
        "name": "k3", "key_type": "RSA", "size": 1024,
        "attributes": { "enabled": true, "nbf": null, "exp": null },
        "transfer": { "ciphertext": "bm90IGEga2V5" }
    });
    api.post(&format!("/vaults/{DEMO_VAULT}/keys"), &small).await.error(422, "InvalidKeySize");

    api.delete(&format!("/vaults/{DEMO_VAULT}")).await.ok();
    api.delete(&format!("/deleted-vaults/{DEMO_VAULT}")).await.error(409, "PurgeProtected");
}

/// Throws odd bodies at every documented route: whatever happens, it is never a 5xx and every
/// failure carries the envelope.
#[tokio::test]
async fn no_input_makes_any_route_fail_with_a_server_error() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let document = api.get("/openapi.json").await.ok();
    let bodies =
        [json!(null), json!("x"), json!([1, 2]), json!({ "name": 5, "settings": "none" }), json!({})];
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if path == "/session" && method == "delete" {
                continue; // would sign this client out
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let path = path.replace("{vault}", "no-vault").replace("{key}", "nokey").replace(['{', '}'], "");
            for body in &bodies {
                let reply = api.send(method.clone(), &path, Some(body), None).await;
                check_reply(&method, &path, &reply);
            }
        }
    }
}

fn check_reply(method: &Method, path: &str, reply: &Reply) {
    assert!(!reply.status.is_server_error(), "{method} {path} -> {}: {}", reply.status, reply.body);
    if !reply.status.is_success() {
        assert_envelope(&reply.body);
    }
}
