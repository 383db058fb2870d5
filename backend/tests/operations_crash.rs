//! Long-running operations survive kill -9: the `keyblade` binary is killed while vaults are
//! being provisioned, restarted over the same data directory, and every operation then finishes
//! exactly once, with every vault usable and nothing half-applied. The same holds for a rewrap
//! after a key rotation and for a master key rekey killed at several points.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::Keyblade;

const VAULTS: usize = 4;

#[tokio::test]
async fn operations_interrupted_by_kill_9_finish_after_restart() {
    let data_dir = tempfile::tempdir().expect("a data directory");
    let first = Keyblade::start(data_dir.path()).await;
    let mut handles = Vec::new();
    for i in 0..VAULTS {
        let body = json!({
            "name": format!("crash-kv-{i}"), "resource_group": "databox-rg", "region": "West US",
            "soft_delete": true, "purge_protection": true, "retention_days": 90
        });
        let vault = first.post("/vaults", body).await;
        handles.push(vault["operation"].as_str().expect("a provisioning operation").to_owned());
    }
    // Each import key takes a while to generate: the operations are still running.
    let running = first.get("/operations").await;
    let unfinished =
        running.as_array().expect("operations").iter().filter(|op| op["state"] == "Running").count();
    assert!(unfinished > 0, "the test must kill the server while work is in flight: {running}");
    first.kill();

    let second = Keyblade::start(data_dir.path()).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    for handle in &handles {
        loop {
            let operation = second.get(&format!("/operations/{handle}")).await;
            if operation["state"] == "Succeeded" {
                let steps = operation["steps"].as_array().expect("steps");
                assert!(steps.iter().all(|s| s["state"] == "Done"), "every step done once: {operation}");
                break;
            }
            assert_eq!(operation["state"], "Running", "the operation failed: {operation}");
            assert!(Instant::now() < deadline, "operation {handle} never finished: {operation}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for i in 0..VAULTS {
        let vault = second.get(&format!("/vaults/crash-kv-{i}")).await;
        assert_eq!(vault["has_import_key"], true, "{vault}");
        assert!(vault["operation"].is_null(), "no operation left running for {vault}");
        let import_key = second.get(&format!("/vaults/crash-kv-{i}/import-key")).await;
        assert!(import_key["public_spki_b64"].as_str().is_some_and(|k| !k.is_empty()));
    }
    let operations = second.get("/operations").await;
    assert_eq!(operations.as_array().map(Vec::len), Some(VAULTS), "no operation was started twice");
}

const ORDERS: usize = 40;

#[tokio::test]
async fn a_rewrap_interrupted_by_kill_9_finishes_and_every_passkey_still_opens() {
    let data_dir = tempfile::tempdir().expect("a data directory");
    let first = Keyblade::start(data_dir.path()).await;
    let subscription = first.get("/orders").await[0]["subscription_id"].clone();
    let version = first.get("/vaults/contoso-kv/keys/databox-key").await["versions"][0]["id"].clone();
    let mut passwords = Vec::new();
    for i in 0..ORDERS {
        let body = json!({"name": format!("Rewrap-Order-{i:02}"), "subscription_id": subscription, "resource_group": "databox-rg"});
        let order = first.post("/orders", body).await;
        let id = order["id"].as_str().expect("an order id").to_owned();
        let principal = order["system_identity"]["principal_id"].clone();
        let policy = json!({"principal_id": principal, "permissions": ["Get", "WrapKey", "UnwrapKey"]});
        first.put("/vaults/contoso-kv/access-policies", policy).await;
        let settings = json!({"type": "CustomerManaged", "vault": "contoso-kv", "key": "databox-key",
            "version": version, "identity": {"type": "SystemAssigned"}});
        first.put(&format!("/orders/{id}/encryption"), json!({"settings": settings})).await;
        passwords.push((id.clone(), first.device_password(&id).await));
    }

    let rotation = first.post("/vaults/contoso-kv/keys/databox-key/rotate", json!({})).await;
    let handle = rotation["rewrap_operation"].as_str().expect("a rewrap operation").to_owned();
    let new_version = rotation["version"].as_str().expect("the new version").to_owned();
    let running = first.get(&format!("/operations/{handle}")).await;
    assert_eq!(running["state"], "Running", "the test must kill the server during the rewrap: {running}");
    first.kill();

    let second = Keyblade::start(data_dir.path()).await;
    let deadline = Instant::now() + Duration::from_secs(180);
    let operation = loop {
        let operation = second.get(&format!("/operations/{handle}")).await;
        if operation["state"] != "Running" {
            break operation;
        }
        assert!(Instant::now() < deadline, "the rewrap never finished: {operation}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(operation["state"], "Succeeded", "{operation}");
    assert_eq!(operation["steps"].as_array().map(Vec::len), Some(ORDERS));
    for (order, password) in &passwords {
        let settings = second.get(&format!("/orders/{order}/encryption")).await;
        assert_eq!(settings["version"], new_version.as_str(), "order {order} is on the new version");
        assert_eq!(&second.device_password(order).await, password, "order {order} keeps its passkey");
    }
}

/// Orders whose passkeys the master key seals (Microsoft managed), besides the demo's secrets.
const SEALED_ORDERS: usize = 400;

/// How far the running rekey has got: the rewrap step's (done, total), `None` once it finished.
async fn rekey_progress(server: &Keyblade, handle: &str) -> Option<(u64, u64)> {
    let operation = server.get(&format!("/operations/{handle}")).await;
    if operation["state"] != "Running" {
        return None;
    }
    let progress = &operation["steps"][1]["progress"];
    Some((progress["done"].as_u64().unwrap_or(0), progress["total"].as_u64().unwrap_or(u64::MAX)))
}

#[tokio::test]
async fn a_rekey_killed_at_several_points_resumes_and_every_secret_opens() {
    let data_dir = tempfile::tempdir().expect("a data directory");
    let mut server = Keyblade::start(data_dir.path()).await;
    let subscription = server.get("/orders").await[0]["subscription_id"].clone();
    let mut passwords = Vec::new();
    for i in 0..SEALED_ORDERS {
        let body = json!({"name": format!("Sealed-Order-{i:03}"), "subscription_id": subscription, "resource_group": "databox-rg"});
        let id = server.post("/orders", body).await["id"].as_str().expect("an order id").to_owned();
        passwords.push((id.clone(), server.device_password(&id).await));
    }
    let first_key = server.get("/encryption-at-rest").await["current"]["id"].clone();

    // One secret per turn, so the rekey takes many commits and the kills land inside it.
    let rekey = server.post("/encryption-at-rest/rekey", json!({"batchSize": 1})).await;
    let handle = rekey["id"].as_str().expect("an operation").to_owned();
    let mut killed_midway = 0;
    for share in [0, 4, 2] {
        // Kill as soon as the rewrap has passed 1/share of the secrets (right away for 0).
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match rekey_progress(&server, &handle).await {
                Some((done, total)) if share == 0 || done * share >= total => {
                    killed_midway += 1;
                    break;
                }
                Some(_) => assert!(Instant::now() < deadline, "the rekey made no progress"),
                None => break,
            }
        }
        server = server.crash_and_restart(data_dir.path()).await;
    }
    assert!(killed_midway >= 2, "the server must be killed while the rekey runs ({killed_midway} times)");

    let deadline = Instant::now() + Duration::from_secs(180);
    while rekey_progress(&server, &handle).await.is_some() {
        assert!(Instant::now() < deadline, "the rekey never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let operation = server.get(&format!("/operations/{handle}")).await;
    assert_eq!(operation["state"], "Succeeded", "{operation}");
    let at_rest = server.get("/encryption-at-rest").await;
    assert_eq!(at_rest["keys"].as_array().map(Vec::len), Some(2), "one new key, however often it was killed");
    assert_ne!(at_rest["current"]["id"], first_key);
    let old = at_rest["keys"].as_array().expect("keys").iter().find(|k| k["id"] == first_key).cloned();
    assert_eq!(old.expect("the first key")["state"], "Decommissioned");
    assert_eq!(at_rest["rekeys"].as_array().map(Vec::len), Some(1), "the rekey ran once");
    for (order, password) in &passwords {
        assert_eq!(&server.device_password(order).await, password, "order {order} keeps its passkey");
    }
}
