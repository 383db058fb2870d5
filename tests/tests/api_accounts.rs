//! Accounts: created with a first role, disabled, enabled, deleted, passwords changed and
//! sessions listed and revoked; every credential surface (the portal's sign-in and Element's
//! Basic auth) sees the change at its next request.

use base64::{Engine, engine::general_purpose::STANDARD};
use keyblade_tests::{Api, TestServer};
use serde_json::{Value, json};

const KIM_PASSWORD: &str = "correct horse battery";

async fn create_kim(admin: &Api, role: &str) -> Value {
    let body = json!({"name": "kim", "password": KIM_PASSWORD, "role": role, "scope": "/"});
    let reply = admin.post("/accounts", &body).await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    reply.body
}

/// One Element call with HTTP Basic credentials: the status and the JSON body.
async fn element(server: &TestServer, user: &str, password: &str) -> (u16, Value) {
    let credential = STANDARD.encode(format!("{user}:{password}"));
    let reply = reqwest::Client::new()
        .post(server.url("/json-rpc/12.3"))
        .header("Authorization", format!("Basic {credential}"))
        .body(r#"{"method": "GetSoftwareEncryptionAtRestInfo", "params": {}, "id": 1}"#)
        .send()
        .await
        .expect("an answer");
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn bad_accounts_are_refused_with_their_codes_and_nothing_is_written() {
    let server = TestServer::start_api().await;
    let admin = Api::signed_in(&server).await;
    let before = admin.get("/accounts").await.ok();
    let post = async |body: Value| admin.post("/accounts", &body).await;
    post(json!({"name": "Kim Smith", "password": KIM_PASSWORD})).await.error(400, "InvalidName");
    post(json!({"name": "kim", "password": "short"})).await.error(422, "WeakPassword");
    post(json!({"name": "kim", "password": KIM_PASSWORD, "role": "Contributor"}))
        .await
        .error(422, "UnknownRole");
    post(json!({"name": "kim", "password": KIM_PASSWORD, "role": "Reader", "scope": "/vaults/nowhere"}))
        .await
        .error(422, "InvalidScope");
    post(json!({"name": "admin", "password": KIM_PASSWORD})).await.error(409, "AccountExists");
    assert_eq!(admin.get("/accounts").await.ok(), before, "no refused account was half-created");
    admin.sign_in("kim", KIM_PASSWORD).await.error(401, "Unauthorized");

    admin.patch("/accounts/admin", &json!({"enabled": false})).await.error(409, "LastOwnerCannotBeRemoved");
    admin.delete("/accounts/admin").await.error(409, "LastOwnerCannotBeRemoved");
    assert_eq!(admin.get("/accounts").await.ok(), before);
}

#[tokio::test]
async fn a_reader_account_reads_is_refused_changes_and_ends_when_disabled() {
    let server = TestServer::start_api().await;
    let admin = Api::signed_in(&server).await;
    let created = create_kim(&admin, "Reader").await;
    assert_eq!(created["enabled"], true);

    let kim = Api::anonymous(&server);
    assert_eq!(kim.sign_in("kim", KIM_PASSWORD).await.status, 200);
    let vaults = kim.get("/vaults").await.ok();
    let refused = kim.post("/api-keys", &json!({"name": "mine"})).await.error(403, "AccessDenied");
    assert!(refused["message"].as_str().unwrap_or_default().contains("user:kim"), "{refused}");
    assert_eq!(admin.get("/api-keys").await.ok(), json!([]), "the refused key was not created");
    assert_eq!(kim.get("/vaults").await.ok(), vaults);

    // Disabled: its session and its password stop working at the next request.
    assert_eq!(admin.patch("/accounts/kim", &json!({"enabled": false})).await.ok()["enabled"], false);
    kim.get("/vaults").await.error(401, "Unauthorized");
    kim.sign_in("kim", KIM_PASSWORD).await.error(401, "Unauthorized");

    admin.patch("/accounts/kim", &json!({"enabled": true})).await.ok();
    assert_eq!(kim.sign_in("kim", KIM_PASSWORD).await.status, 200);
    assert_eq!(admin.delete("/accounts/kim").await.status, 204);
    kim.get("/vaults").await.error(401, "Unauthorized");
    let assignments = admin.get("/role-assignments").await.ok();
    assert!(!assignments.to_string().contains("user:kim"), "its roles went with it: {assignments}");
}

#[tokio::test]
async fn passwords_change_and_sessions_are_listed_and_revoked() {
    let server = TestServer::start_api().await;
    let admin = Api::signed_in(&server).await;
    create_kim(&admin, "Reader").await;
    let kim = Api::anonymous(&server);
    kim.sign_in("kim", KIM_PASSWORD).await.ok();
    let other_device = Api::anonymous(&server);
    other_device.sign_in("kim", KIM_PASSWORD).await.ok();

    let sessions = kim.get("/accounts/kim/sessions").await.ok();
    let sessions = sessions.as_array().expect("a list");
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    kim.get("/accounts/admin/sessions").await.error(403, "AccessDenied");
    let other = sessions.iter().find(|s| s["current"] == false).expect("the other session");
    let id = other["id"].as_str().expect("an id");
    assert_eq!(kim.delete(&format!("/accounts/kim/sessions/{id}")).await.status, 204);
    other_device.get("/vaults").await.error(401, "Unauthorized");
    kim.get("/vaults").await.ok();

    // One's own password needs the current one; an Owner resets anyone's.
    let new = json!({"password": "a much longer passphrase", "current_password": "wrong wrong wrong"});
    kim.put("/accounts/kim/password", &new).await.error(401, "Unauthorized");
    kim.put("/accounts/kim/password", &json!({"password": "short", "current_password": KIM_PASSWORD}))
        .await
        .error(422, "WeakPassword");
    let new = json!({"password": "a much longer passphrase", "current_password": KIM_PASSWORD});
    assert_eq!(kim.put("/accounts/kim/password", &new).await.status, 204);
    kim.get("/vaults").await.error(401, "Unauthorized");
    kim.sign_in("kim", KIM_PASSWORD).await.error(401, "Unauthorized");
    assert_eq!(kim.sign_in("kim", "a much longer passphrase").await.status, 200);
    kim.put("/accounts/admin/password", &json!({"password": "taken over, I hope"}))
        .await
        .error(403, "AccessDenied");
    assert_eq!(admin.put("/accounts/kim/password", &json!({"password": KIM_PASSWORD})).await.status, 204);
    assert_eq!(kim.sign_in("kim", KIM_PASSWORD).await.status, 200);
}

#[tokio::test]
async fn element_basic_auth_ends_within_one_request_of_a_disable_or_password_change() {
    let server = TestServer::start_api().await;
    let admin = Api::signed_in(&server).await;
    create_kim(&admin, "Reader").await;
    let (status, body) = element(&server, "kim", KIM_PASSWORD).await;
    assert_eq!(status, 200);
    assert!(body["result"].is_object(), "{body}");
    // Remembered for the next calls (no hash per call) ...
    assert_eq!(element(&server, "kim", KIM_PASSWORD).await.0, 200);

    // ... but not past a disable: the very next call is refused.
    admin.patch("/accounts/kim", &json!({"enabled": false})).await.ok();
    assert_eq!(element(&server, "kim", KIM_PASSWORD).await.0, 401);
    admin.patch("/accounts/kim", &json!({"enabled": true})).await.ok();
    assert_eq!(element(&server, "kim", KIM_PASSWORD).await.0, 200);

    // Nor past a password change.
    admin.put("/accounts/kim/password", &json!({"password": "another long passphrase"})).await;
    assert_eq!(element(&server, "kim", KIM_PASSWORD).await.0, 401);
    assert_eq!(element(&server, "kim", "another long passphrase").await.0, 200);

    // Refusals are recorded like the portal's: the first of the minute in full, the ones after
    // it summed up when the minute ends.
    let audit = admin.get("/audit").await.ok();
    let failures = audit["entries"]
        .as_array()
        .or(audit.as_array())
        .expect("entries")
        .iter()
        .filter(|e| e["action"] == "session.sign_in" && e["failure"] == "Unauthorized")
        .filter(|e| e["source"].as_str().is_some_and(|s| s.contains("Element")))
        .count();
    assert_eq!(failures, 1, "Element refusals are audited: {audit}");
}
