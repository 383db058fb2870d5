//! Sign-in, sign-out, the session guard on every route, and sign-in throttling.

use keyblade_tests::{Api, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

/// Every (method, path) in the OpenAPI document, path parameters filled with a dummy, relative
/// to `/api` as [`Api`] takes them.
async fn documented_routes(api: &Api) -> Vec<(Method, String)> {
    let document = api.get("/openapi.json").await.ok();
    assert_eq!(document["servers"][0]["url"], "/", "paths are absolute, below the server's root");
    let mut routes = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let path = path.strip_prefix("/api").expect("every documented path is under /api");
        for method in item.as_object().expect("a path item").keys() {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            let concrete = path
                .split('/')
                .map(|segment| if segment.starts_with('{') { "x" } else { segment })
                .collect::<Vec<_>>()
                .join("/");
            routes.push((method, concrete));
        }
    }
    routes
}

#[tokio::test]
async fn every_route_but_health_and_sign_in_needs_a_session() {
    let server = TestServer::start_api().await;
    let routes = documented_routes(&Api::signed_in(&server).await).await;
    assert!(routes.len() > 40, "the OpenAPI document lists every route, got {}", routes.len());
    let anonymous = Api::anonymous(&server);
    for (method, path) in routes {
        let public =
            (method == Method::GET && path == "/health") || (method == Method::POST && path == "/session");
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        let reply = anonymous.send(method.clone(), &path, body.as_ref(), None).await;
        if public {
            assert_ne!(reply.status, 401, "{method} {path} must not need a session");
        } else {
            reply.error(401, "Unauthorized");
        }
    }
    anonymous.get("/openapi.json").await.error(401, "Unauthorized");
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_the_session() {
    let server = TestServer::start_api().await;
    let api = Api::anonymous(&server);
    let reply = api.sign_in("admin", backend::LOCAL_ADMIN_PASSWORD).await;
    let cookie = reply.headers.get("set-cookie").and_then(|v| v.to_str().ok()).expect("a cookie").to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "cookie flags: {cookie}");
    assert_eq!(reply.ok()["username"], "admin");

    assert_eq!(api.get("/session").await.ok()["username"], "admin");
    assert_eq!(api.delete("/session").await.status, 204);
    api.get("/session").await.error(401, "Unauthorized");
    api.get("/orders").await.error(401, "Unauthorized");
}

#[tokio::test]
async fn a_forged_or_stale_cookie_is_refused() {
    let server = TestServer::start_api().await;
    let api = Api::anonymous(&server);
    let reply = api
        .raw(Method::GET, "/orders")
        .header("Cookie", "keyblade_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .send()
        .await
        .expect("an answer");
    keyblade_tests::Reply::read(reply).await.error(401, "Unauthorized");
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_slowed_down() {
    let server = TestServer::start_api().await;
    let api = Api::anonymous(&server);
    api.sign_in("nobody", "whatever").await.error(401, "Unauthorized");
    for _ in 0..2 {
        api.sign_in("admin", "wrong").await.error(401, "Unauthorized");
    }
    api.sign_in("admin", "wrong").await.error(401, "Unauthorized");
    // Past the free attempts even the right password must wait.
    let reply = api.sign_in("admin", backend::LOCAL_ADMIN_PASSWORD).await;
    let retry_after: u64 = reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header");
    assert!(retry_after >= 1);
    reply.error(429, "TooManyRequests");
    tokio::time::sleep(std::time::Duration::from_secs(retry_after + 1)).await;
    assert_eq!(api.sign_in("admin", backend::LOCAL_ADMIN_PASSWORD).await.ok()["username"], "admin");
}

#[tokio::test]
async fn health_needs_no_session_and_the_openapi_document_is_generated() {
    let server = TestServer::start_api().await;
    assert_eq!(Api::anonymous(&server).get("/health").await.ok()["status"], "ok");
    let api = Api::signed_in(&server).await;
    let document: Value = api.get("/openapi.json").await.ok();
    assert_eq!(document["info"]["title"], "Keyblade API");
    assert!(document["paths"]["/api/orders/{order}/device-password"]["post"].is_object());
    assert!(document["paths"]["/api/vaults/{vault}/import-key"]["get"].is_object());
    assert!(document["paths"]["/api/operations/{operation}"]["get"].is_object());
    assert!(document["paths"]["/api/fixes"]["post"].is_object());

    // Bodies are typed by the shared API types, not generic objects.
    let save = &document["paths"]["/api/orders/{order}/encryption/key-url"]["put"];
    let request = &save["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(request, "#/components/schemas/SaveByKeyUrlRequest");
    let answer = &save["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(answer, "#/components/schemas/OrderView");
    let schemas = &document["components"]["schemas"];
    // Every status the route can answer is documented, with the error envelope.
    for status in ["400", "401", "404", "409", "415", "422"] {
        let error = &save["responses"][status]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(error, "#/components/schemas/ErrorEnvelope", "status {status}");
    }
    for name in ["SessionView", "EncryptionSettings", "FixAction", "ErrorCode", "WorldView", "OperationView"]
    {
        assert!(schemas[name].is_object(), "no schema {name}");
    }
}
