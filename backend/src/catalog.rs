//! `/api/catalog` (the Troubleshoot page) and `/api/orders/{order}/fixes` (the one-click Fix).

use axum::extract::State;
use shared::catalog::{self, CatalogEntry, FixAction};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    error::AppError,
    extract::{IfMatch, Json, Path},
    orders::{OrderResponse, require_order},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_catalog))
        .routes(routes!(apply_fix))
}

/// Every error code with its details, general recoverability and remediation steps.
#[utoipa::path(get, path = "/catalog", tag = "troubleshooting",
    responses((status = 200, description = "[CatalogEntry]", body = [Object])))]
async fn get_catalog() -> Json<Vec<CatalogEntry>> {
    Json(catalog::catalog())
}

/// Performs the fix an error offered (e.g. enable the key version, recover the vault), in one
/// transaction. Retrying the failed action should then succeed.
#[utoipa::path(post, path = "/orders/{order}/fixes", tag = "troubleshooting", params(("order" = String, Path)),
    request_body(content = Object, description = "FixAction, as sent in an error's `fix`"),
    responses((status = 200, description = "OrderView", body = Object), (status = 404), (status = 409), (status = 422)))]
async fn apply_fix(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
    Json(fix): Json<FixAction>,
) -> Result<OrderResponse, AppError> {
    let order = id.clone();
    let world = state
        .write(move |world, ctx| {
            require_order(world, &order, expected)?;
            catalog::apply_fix(world, ctx, &order, &fix)
        })
        .await?;
    OrderResponse::of(&world, &id)
}
