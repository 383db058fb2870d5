//! `GET /api/health`: answers without a session, so the portal can tell live from offline.

use shared::api::HealthResponse;

use axum::extract::State;

use crate::{AppState, extract::Json};

/// Liveness, version, and whether the clock can be moved.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = HealthResponse)))]
pub async fn get_health(State(state): State<AppState>) -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        test_clock: state.has_test_clock(),
    })
}
