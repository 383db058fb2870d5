use keyblade_tests::TestServer;
use shared::api::HealthResponse;

#[tokio::test]
async fn health_answers_without_a_session() {
    let server = TestServer::start_api().await;
    let response = reqwest::get(server.url("/api/health")).await.expect("request");
    assert_eq!(response.status(), 200);
    let health: HealthResponse = response.json().await.expect("JSON body");
    assert_eq!(health.status, "ok");
}
