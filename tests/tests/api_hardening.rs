//! What a probe of the server found and what must stay fixed: a test clock says so and never
//! expires a credential early, a clock move is audited, key providers neither follow redirects
//! nor echo what the far side said.

use keyblade_tests::{Api, TestServer};
use serde_json::{Value, json};

/// An access token for a new API key, from the IAM token endpoint.
/// The IAM token endpoint's answer for a new API key.
async fn token_answer(server: &TestServer, api: &Api) -> Value {
    let created = api.post("/api-keys", &json!({ "name": "clock probe" })).await.ok();
    let apikey = created["secret"].as_str().expect("the key's secret");
    reqwest::Client::new()
        .post(server.url("/identity/token"))
        .form(&[("grant_type", "urn:ibm:params:oauth:grant-type:apikey"), ("apikey", apikey)])
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("JSON")
}

async fn access_token(server: &TestServer, api: &Api) -> String {
    let answer = token_answer(server, api).await;
    answer["access_token"].as_str().expect("a token").to_owned()
}

#[tokio::test]
async fn a_test_clock_says_so_and_never_expires_a_credential_early() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let health = Api::anonymous(&server).get("/health").await.ok();
    assert_eq!(health["test_clock"], true, "health says the clock can be moved: {health}");

    let token = access_token(&server, &api).await;
    let moved = api.post("/clock", &json!({ "advance_seconds": 2 * 3600 })).await.ok();
    assert!(moved["offset_seconds"].as_i64().unwrap_or_default() >= 7200);
    // The token was minted a moment ago by the wall clock: the engine's two hours do not count.
    let listed = reqwest::Client::new()
        .get(server.url("/api/v2/keys"))
        .bearer_auth(&token)
        .header("Bluemix-Instance", "contoso-kv")
        .send()
        .await
        .expect("an answer");
    assert_eq!(listed.status(), 200, "{}", listed.text().await.unwrap_or_default());
    // The session too.
    api.get("/session").await.ok();
    // A token minted now says when it expires by the wall clock too, as the token itself does.
    let later = token_answer(&server, &api).await;
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970");
    let expected = i64::try_from(wall.as_secs()).expect("a time") + 3600;
    let expiration = later["expiration"].as_i64().expect("an expiration");
    assert!((expiration - expected).abs() < 60, "expires at {expiration}, not about {expected}: {later}");

    let trail = api.get("/audit?action=clock.advance").await.ok();
    let entry = &trail["entries"][0];
    assert_eq!(entry["actor"], "admin", "the clock move is audited: {trail}");
    assert!(entry["subject"].as_str().unwrap_or_default().contains("7200"), "{entry}");
}

#[tokio::test]
async fn a_server_without_a_test_clock_says_so_too() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = backend::Config::local(dir.path().join("data"), dir.path().join("no-portal"));
    config.test_clock = false;
    let server = TestServer::start_with_config(dir, config).await;
    let health = Api::anonymous(&server).get("/health").await.ok();
    assert_eq!(health["test_clock"], false, "{health}");
}

/// Serves `router` on a free loopback port; returns its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, router).await.ok() });
    format!("http://{addr}")
}

/// Adds a key provider at `url` and presses its Test; returns the refusal's message.
async fn test_provider(api: &Api, name: &str, url: &str) -> String {
    let body = json!({
        "name": name, "url": url, "instance": "i", "root_key_id": "k", "api_key": "provider-api-key",
    });
    let added = api.post("/key-providers", &body).await.ok();
    let id = added["id"].as_str().map(str::to_owned).unwrap_or_else(|| added["id"].to_string());
    let refused =
        api.post_empty(&format!("/key-providers/{id}/test")).await.error(424, "KeyProviderUnreachable");
    refused["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn key_providers_follow_no_redirect_and_echo_nothing_the_far_side_said() {
    use axum::{http::StatusCode, response::IntoResponse, routing::post};
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };

    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;

    // Where a redirect would lead: it must never see the API key.
    let reached = Arc::new(AtomicBool::new(false));
    let inside = {
        let reached = reached.clone();
        serve(axum::Router::new().fallback(move || {
            reached.store(true, Ordering::SeqCst);
            std::future::ready(axum::Json(json!({"access_token": "t"})))
        }))
        .await
    };
    let target = format!("{inside}/identity/token");
    let redirecting = serve(axum::Router::new().route(
        "/identity/token",
        post(move || {
            let target = target.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [("location", target)]).into_response() }
        }),
    ))
    .await;
    let message = test_provider(&api, "redirecting", &redirecting).await;
    assert!(!reached.load(Ordering::SeqCst), "the redirect was followed, with the API key");
    assert!(message.contains("signing in with the API key failed"), "{message}");

    // A far side that talks: nothing of what it says comes back.
    let talking = serve(axum::Router::new().fallback(|| async {
        let said = json!({"errorMessage": "SSH-2.0-OpenSSH_9.2 inside-banner"});
        (StatusCode::UNAUTHORIZED, axum::Json(said)).into_response()
    }))
    .await;
    let message = test_provider(&api, "talking", &talking).await;
    assert!(!message.contains("inside-banner") && !message.contains("Unauthorized"), "{message}");
    assert!(message.contains("signing in with the API key failed"), "{message}");

    // Nothing listening: the same words, so an answer and a closed port look alike.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        format!("http://{}", listener.local_addr().expect("an address"))
    };
    let message = test_provider(&api, "closed", &closed).await;
    assert!(
        message.contains("signing in with the API key failed") && !message.contains("connect"),
        "{message}"
    );
}

#[tokio::test]
async fn the_runners_steps_are_recorded_as_system() {
    let server = TestServer::start_api().await;
    let api = Api::signed_in(&server).await;
    let vault = keyblade_tests::scenario::create_vault(&api, "audited-steps-kv", true, true).await;
    assert_eq!(vault["name"], "audited-steps-kv");
    let steps = api.get("/audit?action=operation.step").await.ok();
    let entries = steps["entries"].as_array().cloned().unwrap_or_default();
    assert!(!entries.is_empty(), "the provisioning steps are in the audit trail: {steps}");
    for entry in &entries {
        assert_eq!(entry["actor"], "system", "{entry}");
        assert!(entry["subject"].as_str().unwrap_or_default().contains("audited-steps-kv"), "{entry}");
    }
}
