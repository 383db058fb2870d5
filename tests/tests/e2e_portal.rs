//! The portal in real headless Chromium against a real server.

use keyblade_tests::{Browser, TestServer};

#[tokio::test]
async fn portal_loads_and_reaches_the_backend() {
    let server = TestServer::start().await;
    let browser = Browser::open().await;
    browser.goto(&server.url("/")).await;
    browser.find_text("Keyblade").await;
    browser.find_role("status", "Backend: ok").await;
    browser.close().await;
}

#[tokio::test]
async fn deep_links_reload_into_the_portal() {
    let server = TestServer::start().await;
    let browser = Browser::open().await;
    browser.goto(&server.url("/no/such/page")).await;
    browser.find_text("Keyblade").await;
    browser.find_text("This page does not exist.").await;
    browser.close().await;
}
