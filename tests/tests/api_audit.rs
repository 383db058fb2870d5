//! The audit trail: security-relevant events are recorded with who, from where, what, on which
//! subject and how it ended, never with a secret; the log pages and filters; and an entry edited
//! in the database file is detected.

use keyblade_tests::{
    Api, REQUEST_HEADER, TestServer,
    scenario::{self, DEMO_VAULT, Demo},
};
use serde_json::{Value, json};

fn actions(page: &Value) -> Vec<(String, Option<String>)> {
    let entries = page["entries"].as_array().expect("entries");
    entries
        .iter()
        .map(|e| {
            (e["action"].as_str().unwrap_or_default().to_owned(), e["failure"].as_str().map(str::to_owned))
        })
        .collect()
}

fn action(name: &str, failure: Option<&str>) -> (String, Option<String>) {
    (name.to_owned(), failure.map(str::to_owned))
}

#[tokio::test]
async fn security_events_are_recorded_without_secrets_and_an_edited_entry_is_detected() {
    let server = TestServer::start_api().await;
    // A failed sign-in over the network: recorded with the name tried and the peer address.
    let http = reqwest::Client::new();
    let refused = http
        .post(server.url("/api/session"))
        .json(&json!({ "username": "mallory", "password": "guess-1" }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(refused.status(), 401);

    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    let version = scenario::import_rsa_key(&api, DEMO_VAULT, "audited").await;
    let password = demo.device_password(&api).await.ok()["password"].as_str().expect("a password").to_owned();
    api.put(&format!("/vaults/{DEMO_VAULT}/keys/audited/versions/{version}"), &json!({ "enabled": false }))
        .await
        .ok();
    demo.save_cmk(&api, DEMO_VAULT, "audited", &version, scenario::system_assigned())
        .await
        .error(422, "SsemUserErrorEncryptionKeyDisabled");

    let page = api.get("/audit").await.ok();
    assert_eq!(
        actions(&page),
        [
            action("encryption.save", Some("SsemUserErrorEncryptionKeyDisabled")),
            action("key.version_update", None),
            action("order.device_password", None),
            action("key.create", None),
            action("session.sign_in", None),
            action("session.sign_in", Some("Unauthorized")),
        ]
    );
    let head = page["entries"][0]["hash"].clone();
    assert_eq!(
        page["chain"],
        json!({ "entries": 6, "intact": true, "broken_at": null, "sealed": 6, "head": head, "problem": null })
    );
    let failed_sign_in = &page["entries"][5];
    assert_eq!(
        (failed_sign_in["actor"].as_str(), failed_sign_in["source"].as_str()),
        (Some("mallory"), Some("127.0.0.1 (portal)")),
        "a refused credential names who was tried, from where and on which surface"
    );
    assert_eq!(page["entries"][3]["subject"], format!("vaults/{DEMO_VAULT}/keys/audited"));
    assert_eq!(page["entries"][0]["actor"], "admin");
    let text = page.to_string();
    assert!(!text.contains(&password) && !text.contains("guess-1"), "a secret reached the audit trail");

    // Filters and pages.
    let keys = api.get("/audit?action=key.create&subject=AUDITED").await.ok();
    assert_eq!(actions(&keys), [action("key.create", None)]);
    let first = api.get("/audit?limit=4").await.ok();
    assert_eq!(first["entries"].as_array().map(Vec::len), Some(4));
    let before = first["next_before"].as_u64().expect("a next page");
    let second = api.get(&format!("/audit?limit=4&before={before}")).await.ok();
    assert_eq!(
        actions(&second),
        [action("session.sign_in", None), action("session.sign_in", Some("Unauthorized"))]
    );
    assert_eq!(second["next_before"], Value::Null);
    api.get("/audit?limit=0").await.error(400, "InvalidRequest");
    api.get(&format!("/audit?subject={}", "x".repeat(257))).await.error(400, "InvalidRequest");
    api.get("/audit?action=nothing.such").await.error(400, "InvalidRequest");

    // Signing out is recorded too; then someone with the database file erases the failed sign-in.
    let sign_out = http
        .delete(server.url("/api/session"))
        .header("cookie", signed_in_cookie(&server).await)
        .header(REQUEST_HEADER, "1")
        .send()
        .await
        .expect("an answer");
    assert_eq!(sign_out.status(), 204);
    let url = server.database_url.clone();
    let data_dir = server.stop().await;
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&url).await.expect("the database");
    let edit = "UPDATE audit SET failure = NULL WHERE seq = 1";
    assert!(sqlx::query(edit).execute(&db).await.is_err(), "the audit table refuses edits");
    let drop_trigger = if url.starts_with("postgres") {
        "DROP TRIGGER audit_no_update ON audit"
    } else {
        "DROP TRIGGER audit_no_update"
    };
    sqlx::query(drop_trigger).execute(&db).await.expect("the trigger dropped");
    sqlx::query(edit).execute(&db).await.expect("the entry edited");
    db.close().await;

    let server = TestServer::start_api_in(data_dir).await;
    let api = Api::signed_in(&server).await;
    let page = api.get("/audit?action=session.sign_out").await.ok();
    assert_eq!(actions(&page), [action("session.sign_out", None)]);
    assert_eq!(page["chain"]["intact"], false);
    assert_eq!(page["chain"]["broken_at"], 1);
}

/// A session cookie from a sign-in over the network.
async fn signed_in_cookie(server: &TestServer) -> String {
    let reply = reqwest::Client::new()
        .post(server.url("/api/session"))
        .json(&json!({ "username": "admin", "password": backend::LOCAL_ADMIN_PASSWORD }))
        .send()
        .await
        .expect("sign-in");
    let cookie = reply.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a cookie");
    cookie.split(';').next().expect("a cookie pair").to_owned()
}

/// Runs `statements` against the stopped server's database the way someone holding the file
/// (but not the master key) could, then starts the server again over it.
async fn tamper(server: TestServer, statements: &[&str]) -> TestServer {
    let url = server.database_url.clone();
    let data_dir = server.stop().await;
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&url).await.expect("the database");
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(*statement)).execute(&db).await.expect("the statement runs");
    }
    db.close().await;
    TestServer::start_api_in(data_dir).await
}

fn drop_delete_trigger(server: &TestServer) -> &'static str {
    if server.database_url.starts_with("postgres") {
        "DROP TRIGGER audit_no_delete ON audit"
    } else {
        "DROP TRIGGER audit_no_delete"
    }
}

#[tokio::test]
async fn a_trail_cut_short_or_a_head_rewritten_without_the_key_is_named() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let demo = Demo::load(&api).await;
    demo.device_password(&api).await.ok();
    let page = api.get("/audit").await.ok();
    let last = page["chain"]["entries"].as_u64().expect("a count");
    assert_eq!(page["entries"][0]["action"], "order.device_password");
    assert_eq!(page["chain"]["sealed"], last);

    // The Device password disclosure, the last entry, is deleted: what is left still links up,
    // and the sign-in below chains onto it. The sealed head still names the deleted entry.
    let drop_trigger = drop_delete_trigger(&server);
    let delete = format!("DELETE FROM audit WHERE seq = {last}");
    let server = tamper(server, &[drop_trigger, &delete]).await;
    let api = Api::signed_in(&server).await;
    let chain = api.get("/audit").await.ok()["chain"].clone();
    assert_eq!(chain["intact"], false, "{chain}");
    assert_eq!(chain["broken_at"], last, "the first missing entry is named: {chain}");
    assert!(chain["problem"].as_str().unwrap_or_default().contains("removed or replaced"), "{chain}");

    // Rewriting the sealed head to match the shortened trail needs the master key.
    let seq = chain["entries"].as_u64().expect("a count") + 1;
    let page = api.get("/audit?limit=1").await.ok();
    let forged = format!(
        "UPDATE audit_anchor SET seq = {seq}, hash = '{}', seal = '{}'",
        page["entries"][0]["hash"].as_str().expect("a hash"),
        "0".repeat(64)
    );
    let server = tamper(server, &[&forged]).await;
    let chain = Api::signed_in(&server).await.get("/audit").await.ok()["chain"].clone();
    assert_eq!(chain["intact"], false, "{chain}");
    assert!(
        chain["problem"].as_str().unwrap_or_default().contains("not sealed with this server's key"),
        "{chain}"
    );

    // And removing the head altogether is no way out either.
    let server = tamper(server, &["DELETE FROM audit_anchor"]).await;
    let chain = Api::signed_in(&server).await.get("/audit").await.ok()["chain"].clone();
    assert_eq!(chain["intact"], false, "{chain}");
}
