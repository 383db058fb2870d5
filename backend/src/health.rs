use axum::{Json, Router, routing::get};
use shared::api::HealthResponse;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/health", get(get_health))
}

async fn get_health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}
