//! Every catalog code reachable through the API comes back with its envelope, and where the
//! error offers a fix, applying it makes the retry succeed.

use keyblade_tests::{
    Api, Reply, TestServer, ec_key_pkcs8,
    scenario::{self, DEMO_KEY, DEMO_VAULT, Demo, system_assigned, user_assigned},
};
use serde_json::{Value, json};

async fn start() -> (TestServer, Api, Demo) {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    (server, api, demo)
}

/// Replaces the attributes of the demo key's seeded version.
async fn set_demo_version(api: &Api, demo: &Demo, attributes: Value) {
    let path = format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}/versions/{}", demo.version);
    api.put(&path, &attributes).await.ok();
}

fn disabled() -> Value {
    json!({ "enabled": false, "nbf": null, "exp": null })
}

fn now() -> i64 {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
    i64::try_from(elapsed.as_secs()).expect("a sane clock")
}

/// Saves the demo key version with `identity`.
async fn save_demo_key_as(api: &Api, demo: &Demo, identity: Value) -> Reply {
    demo.save_cmk(api, DEMO_VAULT, DEMO_KEY, &demo.version, identity).await
}

/// Saves the demo key with the system identity, which the seed granted access.
async fn save_demo_key(api: &Api, demo: &Demo) -> Value {
    save_demo_key_as(api, demo, system_assigned()).await.ok()
}

async fn grant(api: &Api, vault: &str, principal: &str) {
    let policy = json!({ "principal_id": principal, "permissions": ["Get", "WrapKey", "UnwrapKey"] });
    api.put(&format!("/vaults/{vault}/access-policies"), &policy).await.ok();
}

/// Moves the demo subscription to the other tenant.
async fn move_subscription(api: &Api, demo: &Demo) {
    let path = format!("/subscriptions/{}/move", demo.subscription);
    api.post(&path, &json!({ "tenant_id": demo.other_tenant })).await.ok();
}

/// Creates a user-assigned identity; returns its id.
async fn create_identity(api: &Api, name: &str) -> String {
    let identity = api.post("/identities", &json!({ "name": name, "resource_group": "databox-rg" })).await;
    identity.ok()["id"].as_str().expect("an id").to_owned()
}

/// Asserts that the error offers `action` as its fix and applies it; returns the order.
async fn apply_offered_fix(api: &Api, demo: &Demo, error: &Value, action: &str) -> Value {
    assert_eq!(error["fix"]["action"], action, "{error}");
    demo.apply_fix(api, error).await
}

#[tokio::test]
async fn key_disabled_is_fixed_by_enabling_the_version() {
    let (_server, api, demo) = start().await;
    set_demo_version(&api, &demo, disabled()).await;
    let error = save_demo_key_as(&api, &demo, system_assigned())
        .await
        .error(422, "SsemUserErrorEncryptionKeyDisabled");
    assert_eq!(error["recoverable"], true);
    apply_offered_fix(&api, &demo, &error, "EnableKeyVersion").await;
    let order = save_demo_key(&api, &demo).await;
    let url = order["encryption"]["key_url"].as_str().expect("a key URL");
    assert_eq!(url, format!("https://{DEMO_VAULT}.vault.azure.net/keys/{DEMO_KEY}/{}", demo.version));

    // Disabled after Save: the Device password fails the same way until fixed.
    set_demo_version(&api, &demo, disabled()).await;
    let error = demo.device_password(&api).await.error(422, "SsemUserErrorEncryptionKeyDisabled");
    apply_offered_fix(&api, &demo, &error, "EnableKeyVersion").await;
    demo.device_password(&api).await.ok();
}

#[tokio::test]
async fn key_expired_is_fixed_by_extending_the_expiry() {
    let (_server, api, demo) = start().await;
    set_demo_version(&api, &demo, json!({ "enabled": true, "nbf": null, "exp": now() - 3600 })).await;
    let error = save_demo_key_as(&api, &demo, system_assigned())
        .await
        .error(422, "SsemUserErrorEncryptionKeyExpired");
    apply_offered_fix(&api, &demo, &error, "ExtendExpiry").await;
    save_demo_key(&api, &demo).await;
}

#[tokio::test]
async fn deleted_key_is_fixed_by_recovering_it() {
    let (_server, api, demo) = start().await;
    save_demo_key(&api, &demo).await;
    api.delete(&format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}")).await.ok();
    let error = demo.device_password(&api).await.error(422, "SsemUserErrorKeyDetailsNotFound");
    assert_eq!(error["recoverable"], true);
    apply_offered_fix(&api, &demo, &error, "RecoverKey").await;
    demo.device_password(&api).await.ok();
}

#[tokio::test]
async fn missing_permissions_are_fixed_by_granting_them() {
    let (_server, api, demo) = start().await;
    let error = save_demo_key_as(&api, &demo, user_assigned(&demo.identity))
        .await
        .error(422, "SsemUserErrorKeyVaultBadRequestException");
    apply_offered_fix(&api, &demo, &error, "GrantKeyPermissions").await;
    let order = save_demo_key_as(&api, &demo, user_assigned(&demo.identity)).await.ok();
    assert_eq!(order["encryption"]["identity"]["identity_id"], demo.identity.as_str());
}

#[tokio::test]
async fn a_firewall_blocking_a_user_identity_is_fixed_by_switching_to_system_assigned() {
    let (_server, api, demo) = start().await;
    grant(&api, DEMO_VAULT, &demo.identity_principal).await;
    let firewall = json!({ "enabled": true, "allowed_identities": [] });
    api.put(&format!("/vaults/{DEMO_VAULT}/firewall"), &firewall).await.ok();
    let error = save_demo_key_as(&api, &demo, user_assigned(&demo.identity))
        .await
        .error(422, "SsemUserErrorKeyVaultBadRequestException");
    let order = apply_offered_fix(&api, &demo, &error, "SwitchToSystemAssigned").await;
    assert_eq!(order["encryption"]["identity"]["type"], "SystemAssigned");
    demo.device_password(&api).await.ok();
}

#[tokio::test]
async fn deleted_vault_is_fixed_by_recovering_it() {
    let (_server, api, demo) = start().await;
    save_demo_key(&api, &demo).await;
    api.delete(&format!("/vaults/{DEMO_VAULT}")).await.ok();
    let error = demo.device_password(&api).await.error(422, "SsemUserErrorKeyVaultDetailsNotFound");
    assert_eq!(error["recoverable"], true);
    apply_offered_fix(&api, &demo, &error, "RecoverVault").await;
    demo.device_password(&api).await.ok();
}

#[tokio::test]
async fn a_tenant_move_is_fixed_by_moving_the_subscription_back() {
    let (_server, api, demo) = start().await;
    save_demo_key(&api, &demo).await;
    move_subscription(&api, &demo).await;
    let error = demo.device_password(&api).await.error(422, "SsemUserErrorKeyVaultDetailsNotFound");
    apply_offered_fix(&api, &demo, &error, "RestoreSubscriptionTenant").await;
    demo.device_password(&api).await.ok();
}

#[tokio::test]
async fn an_absent_system_identity_is_fixed_by_recreating_it() {
    let (_server, api, demo) = start().await;
    api.delete(&demo.order_path("/system-identity")).await.ok();
    let error = save_demo_key_as(&api, &demo, system_assigned())
        .await
        .error(422, "SsemUserErrorSystemAssignedIdentityAbsent");
    apply_offered_fix(&api, &demo, &error, "RecreateSystemIdentity").await;
    save_demo_key(&api, &demo).await;
}

#[tokio::test]
async fn the_user_identity_limit_is_fixed_by_detaching_unused_ones() {
    let (_server, api, demo) = start().await;
    let mut ids = vec![demo.identity.clone()];
    for n in 0..9 {
        ids.push(create_identity(&api, &format!("uai-{n}")).await);
    }
    let attach = demo.order_path("/user-identities/attach");
    api.post(&attach, &json!({ "identity_ids": ids })).await.ok();
    let one_more = create_identity(&api, "uai-10").await;
    let request = json!({ "identity_ids": [one_more] });
    let error = api.post(&attach, &request).await.error(409, "SsemUserErrorUserAssignedLimitReached");
    apply_offered_fix(&api, &demo, &error, "DetachUserIdentities").await;
    let order = api.post(&attach, &request).await.ok();
    assert_eq!(order["user_identities"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_cross_tenant_identity_is_fixed_by_moving_it() {
    let (_server, api, demo) = start().await;
    grant(&api, DEMO_VAULT, &demo.identity_principal).await;
    move_subscription(&api, &demo).await;
    let error = save_demo_key_as(&api, &demo, user_assigned(&demo.identity))
        .await
        .error(422, "SsemUserErrorCrossTenantIdentityAccessForbidden");
    apply_offered_fix(&api, &demo, &error, "MoveIdentityToTenant").await;
    save_demo_key_as(&api, &demo, user_assigned(&demo.identity)).await.ok();
}

#[tokio::test]
async fn a_deleted_identity_at_save_is_fixed_by_switching_to_system_assigned() {
    let (_server, api, demo) = start().await;
    let doomed = create_identity(&api, "doomed").await;
    api.delete(&format!("/identities/{doomed}")).await;
    let error = save_demo_key_as(&api, &demo, user_assigned(&doomed))
        .await
        .error(422, "SsemUserErrorKekUserIdentityNotFound");
    let order = apply_offered_fix(&api, &demo, &error, "SwitchToSystemAssigned").await;
    assert_eq!(order["encryption"]["type"], "CustomerManaged");
}

#[tokio::test]
async fn a_user_identity_deleted_after_save_is_not_recoverable_for_that_identity() {
    let (_server, api, demo) = start().await;
    grant(&api, DEMO_VAULT, &demo.identity_principal).await;
    save_demo_key_as(&api, &demo, user_assigned(&demo.identity)).await.ok();
    api.delete(&format!("/identities/{}", demo.identity)).await;
    let error = demo.device_password(&api).await.error(422, "SsemUserErrorUserAssignedIdentityAbsent");
    assert_eq!(error["recoverable"], false);
    apply_offered_fix(&api, &demo, &error, "SwitchToSystemAssigned").await;
    demo.device_password(&api).await.ok();
}

#[tokio::test]
async fn a_non_rsa_key_is_refused() {
    let (_server, api, demo) = start().await;
    let key = scenario::import_key(&api, DEMO_VAULT, "ec-key", "EC", 256, &ec_key_pkcs8()).await.ok();
    let version = key["versions"][0]["id"].as_str().expect("a version");
    let error = demo
        .save_cmk(&api, DEMO_VAULT, "ec-key", version, system_assigned())
        .await
        .error(422, "SsemUserErrorEncryptionKeyTypeNotSupported");
    assert!(error["remediation"].as_array().is_some_and(|steps| !steps.is_empty()));
    save_demo_key(&api, &demo).await;
}

#[tokio::test]
async fn a_vault_without_purge_protection_is_fixed_by_enabling_it() {
    let (_server, api, demo) = start().await;
    scenario::create_vault(&api, "no-purge-kv", true, false).await;
    let version = scenario::import_rsa_key(&api, "no-purge-kv", "key1").await;
    let order = api.get(&demo.order_path("")).await.ok();
    grant(&api, "no-purge-kv", order["system_identity"]["principal_id"].as_str().expect("a principal")).await;
    let error = demo
        .save_cmk(&api, "no-purge-kv", "key1", &version, system_assigned())
        .await
        .error(422, "SsemUserErrorSoftDeleteAndPurgeProtectionNotEnabled");
    assert_eq!(error["fix"]["action"], "EnablePurgeProtection");
    demo.apply_fix(&api, &error).await;
    demo.save_cmk(&api, "no-purge-kv", "key1", &version, system_assigned()).await.ok();
    demo.device_password(&api).await.ok();
}

#[tokio::test]
async fn key_urls_are_checked_before_anything_else() {
    let (_server, api, demo) = start().await;
    let by_url = |url: &str| json!({ "key_url": url, "identity": system_assigned() });
    let path = demo.order_path("/encryption/key-url");
    let good = format!("https://{DEMO_VAULT}.vault.azure.net/keys/{DEMO_KEY}/{}", demo.version);
    api.put(&path, &by_url("not a url")).await.error(422, "SsemUserErrorInvalidKeyVaultUrl");
    api.put(&path, &by_url(&good.replace("https", "http")))
        .await
        .error(422, "SsemUserErrorKeyVaultUrlWithInvalidScheme");
    api.put(&path, &by_url(&good.replace("vault.azure.net", "example.com")))
        .await
        .error(422, "SsemUserErrorKeyVaultUrlInvalidHost");
    let order = api.put(&path, &by_url(&good)).await.ok();
    assert_eq!(order["encryption"]["key_url"], good.as_str());
}

#[tokio::test]
async fn the_catalog_lists_every_code() {
    let (_server, api, _) = start().await;
    let catalog = api.get("/catalog").await.ok();
    let codes: Vec<&str> =
        catalog.as_array().expect("a list").iter().filter_map(|e| e["code"].as_str()).collect();
    // The 16 Data Box codes, then the 8 of device key rollover, 7 of key rotation, 6 of rekey,
    // 14 of secret rotation, 6 of access control.
    assert_eq!(codes.len(), 16 + 8 + 7 + 6 + 14 + 8, "{codes:?}");
    assert!(codes.contains(&"AccessDenied") && codes.contains(&"LastOwnerCannotBeRemoved"));
    assert!(codes.contains(&"SsemUserErrorEncryptionKeyDisabled"));
    assert!(codes.contains(&"Generic error"));
    assert!(codes.contains(&"DeviceNotOnline") && codes.contains(&"ManagementBlockedUntilDevicesUpdated"));
    assert!(codes.contains(&"MasterKeyRekeyInProgress") && codes.contains(&"KeyProviderUnreachable"));
}
