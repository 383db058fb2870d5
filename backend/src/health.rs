//! `GET /api/health`: answers without a session, so the portal can tell live from offline.

use shared::api::HealthResponse;

use crate::extract::Json;

/// Liveness and version.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = HealthResponse)))]
pub async fn get_health() -> Json<HealthResponse> {
    Json(HealthResponse { status: "ok".into(), version: env!("CARGO_PKG_VERSION").into() })
}
