//! The seeded demo world as the API tests see it, and the steps most tests repeat.

use serde_json::{Value, json};

use crate::{Api, Reply, test_key_pkcs8, transfer};

pub const DEMO_VAULT: &str = shared::demo::DEMO_VAULT;
pub const DEMO_KEY: &str = shared::demo::DEMO_KEY;

/// Ids of the seeded entities.
pub struct Demo {
    pub order: String,
    pub version: String,
    pub identity: String,
    pub identity_principal: String,
    pub subscription: String,
    pub other_tenant: String,
}

impl Demo {
    pub async fn load(api: &Api) -> Demo {
        let orders = api.get("/orders").await.ok();
        let order = orders[0]["id"].as_str().expect("a seeded order").to_owned();
        let subscription = orders[0]["subscription_id"].as_str().expect("a subscription").to_owned();
        let key = api.get(&format!("/vaults/{DEMO_VAULT}/keys/{DEMO_KEY}")).await.ok();
        let version = key["versions"][0]["id"].as_str().expect("a seeded version").to_owned();
        let identities = api.get("/identities").await.ok();
        let identity = identities[0]["id"].as_str().expect("a seeded identity").to_owned();
        let identity_principal = identities[0]["principal_id"].as_str().expect("a principal").to_owned();
        let home = api.get(&format!("/subscriptions/{subscription}")).await.ok()["tenant_id"].clone();
        let tenants = api.get("/tenants").await.ok();
        let other_tenant = tenants
            .as_array()
            .and_then(|all| all.iter().find(|t| t["id"] != home))
            .and_then(|t| t["id"].as_str())
            .expect("a second tenant")
            .to_owned();
        Demo { order, version, identity, identity_principal, subscription, other_tenant }
    }

    pub fn order_path(&self, rest: &str) -> String {
        format!("/orders/{}{rest}", self.order)
    }

    /// Saves a customer-managed key on the demo order.
    pub async fn save_cmk(&self, api: &Api, vault: &str, key: &str, version: &str, identity: Value) -> Reply {
        api.put(&self.order_path("/encryption"), &cmk(vault, key, version, identity)).await
    }

    pub async fn device_password(&self, api: &Api) -> Reply {
        api.post_empty(&self.order_path("/device-password")).await
    }

    /// Applies the fix an error offered, for the subject it named; returns the order after it.
    pub async fn apply_fix(&self, api: &Api, error: &Value) -> Value {
        assert!(error["fix"].is_object(), "the error offers no fix: {error}");
        assert_eq!(
            error["subject"],
            json!({"kind": "order", "id": self.order}),
            "the failure names its order"
        );
        let applied = api
            .post(
                "/fixes",
                &json!({"subject": error["subject"], "fix": error["fix"], "fix_proof": error["fix_proof"]}),
            )
            .await
            .ok();
        applied["order"].clone()
    }
}

/// A Save request body for a customer-managed key.
pub fn cmk(vault: &str, key: &str, version: &str, identity: Value) -> Value {
    json!({
        "settings": { "type": "CustomerManaged", "vault": vault, "key": key, "version": version, "identity": identity }
    })
}

pub fn system_assigned() -> Value {
    json!({ "type": "SystemAssigned" })
}

pub fn user_assigned(identity_id: &str) -> Value {
    json!({ "type": "UserAssigned", "identity_id": identity_id })
}

/// Creates a vault, waits for the operation that provisions its RSA-3072 import key, and
/// returns the vault's view.
pub async fn create_vault(api: &Api, name: &str, soft_delete: bool, purge_protection: bool) -> Value {
    let body = json!({
        "name": name, "resource_group": shared::demo::DEMO_RESOURCE_GROUP, "region": "West US",
        "soft_delete": soft_delete, "purge_protection": purge_protection, "retention_days": 90
    });
    let created = api.post("/vaults", &body).await.ok();
    let operation = created["operation"].as_str().expect("a new vault names its provisioning operation");
    let finished = wait_for_operation(api, operation).await;
    assert_eq!(finished["state"], "Succeeded", "provisioning failed: {finished}");
    api.get(&format!("/vaults/{name}")).await.ok()
}

/// Polls an operation until it has finished (a minute at most) and returns it.
pub async fn wait_for_operation(api: &Api, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let operation = api.get(&format!("/operations/{id}")).await.ok();
        if operation["state"] != "Running" {
            return operation;
        }
        assert!(std::time::Instant::now() < deadline, "operation {id} still running: {operation}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Imports the test RSA-2048 key as `name` in `vault`; returns the first version id.
pub async fn import_rsa_key(api: &Api, vault: &str, name: &str) -> String {
    import_key(api, vault, name, "RSA", 2048, test_key_pkcs8()).await.ok()["versions"][0]["id"]
        .as_str()
        .expect("a version id")
        .to_owned()
}

/// Imports any PKCS#8 key through the key-transfer format.
pub async fn import_key(
    api: &Api,
    vault: &str,
    name: &str,
    key_type: &str,
    size: u16,
    pkcs8: &[u8],
) -> Reply {
    let import_key = api.get(&format!("/vaults/{vault}/import-key")).await.ok();
    let spki = import_key["public_spki_b64"].as_str().expect("an import key");
    let body = json!({
        "name": name, "key_type": key_type, "size": size,
        "attributes": { "enabled": true, "nbf": null, "exp": null },
        "transfer": transfer(spki, pkcs8),
    });
    api.post(&format!("/vaults/{vault}/keys"), &body).await
}
