//! What a key management service owes its users besides its rules: requests from foreign pages
//! change nothing, a planted cookie neither shadows nor ends a session, idle sessions end, a new
//! password ends every session, and purged key material leaves the database file.

use keyblade_tests::{Api, REQUEST_HEADER, TestServer, scenario::DEMO_VAULT};
use serde_json::json;

async fn raw(request: reqwest::RequestBuilder) -> keyblade_tests::Reply {
    keyblade_tests::Reply::read(request.send().await.expect("an answer")).await
}

/// A session token straight from sign-in, for hand-made requests.
async fn token(server: &TestServer) -> String {
    let reply = reqwest::Client::new()
        .post(server.url("/api/session"))
        .json(&json!({ "username": "admin", "password": backend::LOCAL_ADMIN_PASSWORD }))
        .send()
        .await
        .expect("sign-in");
    let cookie = reply.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a cookie");
    cookie.split(';').next().and_then(|c| c.split_once('=')).map(|(_, v)| v.to_owned()).expect("a token")
}

#[tokio::test]
async fn changes_need_a_same_origin_request_a_foreign_page_cannot_make() {
    let server = TestServer::start_api().await;
    let token = token(&server).await;
    let http = reqwest::Client::new();
    let cookie = format!("keyblade_session={token}");
    let revert = |extra: Option<(&str, String)>| {
        let url = server.url("/api/deleted-vaults/contoso-kv/recover");
        let request = http.post(url).header("cookie", &cookie);
        match extra {
            Some((name, value)) => request.header(name, value),
            None => request,
        }
    };
    // A body-less POST, as a cross-site form would send it.
    raw(revert(None)).await.error(403, "Forbidden");
    // Marked as a client's own: it reaches the rules (the vault is not deleted: 404).
    raw(revert(Some((REQUEST_HEADER, "1".into())))).await.error(404, "NotFound");
    // A JSON body from a foreign origin.
    let foreign = http
        .patch(server.url(&format!("/api/vaults/{DEMO_VAULT}")))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .json(&json!({ "retention_days": 90 }));
    raw(foreign).await.error(403, "Forbidden");
    // The same from the server's own origin.
    let own = http
        .patch(server.url(&format!("/api/vaults/{DEMO_VAULT}")))
        .header("cookie", &cookie)
        .header("origin", server.url(""))
        .json(&json!({ "retention_days": 90 }));
    assert_eq!(raw(own).await.ok()["name"], DEMO_VAULT);
    // Reads stay simple.
    let read = http.get(server.url("/api/vaults")).header("cookie", &cookie);
    assert!(raw(read).await.status.is_success());
}

#[tokio::test]
async fn a_planted_cookie_neither_shadows_nor_ends_the_session() {
    let server = TestServer::start_api().await;
    let token = token(&server).await;
    let http = reqwest::Client::new();
    // A sibling origin planted its own cookie of the same name, sent first.
    let cookies = format!("keyblade_session=planted; keyblade_session={token}");
    let session = http.get(server.url("/api/session")).header("cookie", &cookies);
    assert_eq!(raw(session).await.ok()["username"], "admin");
    let sign_out =
        http.delete(server.url("/api/session")).header("cookie", &cookies).header(REQUEST_HEADER, "1");
    assert_eq!(raw(sign_out).await.status, 204);
    let after = http.get(server.url("/api/session")).header("cookie", format!("keyblade_session={token}"));
    raw(after).await.error(401, "Unauthorized");
}

#[tokio::test]
async fn idle_sessions_end_and_a_new_password_ends_every_session() {
    let server = TestServer::start_api().await;
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs() as i64;
    let store = backend::Store::open(&server.database_url).await.expect("the database");
    // Signed in 31 minutes ago and not used since.
    let idle_token = "an-idle-session-token";
    let idle_hash = backend::hash_token(idle_token);
    store.create_session(&idle_hash, "admin", now + 3600, now - 31 * 60).await.expect("a session");
    let http = reqwest::Client::new();
    let idle =
        http.get(server.url("/api/session")).header("cookie", format!("keyblade_session={idle_token}"));
    raw(idle).await.error(401, "Unauthorized");

    let token = token(&server).await;
    let data_dir = server.stop().await;
    let mut config = backend::Config::local(data_dir.path().to_path_buf(), data_dir.path().join("no-portal"));
    config.admin_password = Some(backend::Secret::from("a-brand-new-password"));
    let restarted = TestServer::start_with_config(data_dir, config).await;
    let old = http.get(restarted.url("/api/session")).header("cookie", format!("keyblade_session={token}"));
    raw(old).await.error(401, "Unauthorized");
    let api = Api::anonymous(&restarted);
    assert_eq!(api.sign_in("admin", "a-brand-new-password").await.ok()["username"], "admin");
}
