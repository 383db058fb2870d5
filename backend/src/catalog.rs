//! `/api/catalog` (the Troubleshoot page) and `/api/orders/{order}/fixes` (the one-click Fix).

use axum::extract::State;
use shared::{
    api::OrderView,
    catalog::{self, CatalogEntry, FixAction},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    error::AppError,
    extract::{IfMatch, Json, Path},
    orders::OrderResponse,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_catalog)).routes(routes!(apply_fix))
}

/// Every error code with its details, general recoverability and remediation steps.
#[utoipa::path(get, path = "/catalog", tag = "troubleshooting",
    responses((status = 200, body = [CatalogEntry])))]
async fn get_catalog() -> Json<Vec<CatalogEntry>> {
    Json(catalog::catalog())
}

/// Performs the fix an error offered (e.g. enable the key version, recover the vault), in one
/// transaction. Retrying the failed action should then succeed.
#[utoipa::path(post, path = "/orders/{order}/fixes", tag = "troubleshooting", params(("order" = String, Path)),
    request_body(content = FixAction, description = "The `fix` of an error, as sent"),
    responses((status = 200, body = OrderView), (status = 404), (status = 409), (status = 422)))]
async fn apply_fix(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
    Json(fix): Json<FixAction>,
) -> Result<OrderResponse, AppError> {
    state
        .change(
            id,
            move |world, ctx, order| catalog::apply_fix(world, ctx, order, &fix, expected),
            OrderResponse::of,
        )
        .await
}
