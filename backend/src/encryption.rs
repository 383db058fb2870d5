//! `/api/orders/{order}/encryption`: the Encryption blade — read the settings, Save new ones
//! (every catalog rule runs in the engine), or go back to the Microsoft managed key.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use shared::{
    api::{OrderView, SaveByKeyUrlRequest, SaveEncryptionRequest},
    model::EncryptionSettings,
    ops,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    error::AppError,
    extract::{IfMatch, Json, Path, with_etag},
    orders::OrderResponse,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_encryption, save_encryption))
        .routes(routes!(revert_to_microsoft_managed))
        .routes(routes!(save_encryption_by_key_url))
}

/// The order's current encryption settings, with the order's `ETag`.
#[utoipa::path(get, path = "/orders/{order}/encryption", tag = "encryption", params(("order" = String, Path)),
    responses((status = 200, body = EncryptionSettings), (status = 404)))]
async fn get_encryption(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, AppError> {
    let world = state.world().await?;
    let order = world.orders.get(&id).ok_or_else(|| AppError::not_found("The order"))?;
    Ok(with_etag(Json(order.encryption.clone()).into_response(), order.version))
}

/// Save: checks every rule for the new settings and rewraps the passkey; on failure nothing
/// changes and the error carries its catalog code, recoverability and fix.
#[utoipa::path(put, path = "/orders/{order}/encryption", tag = "encryption", params(("order" = String, Path)),
    request_body = SaveEncryptionRequest,
    responses((status = 200, body = OrderView), (status = 404), (status = 409), (status = 422)))]
async fn save_encryption(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
    Json(request): Json<SaveEncryptionRequest>,
) -> Result<OrderResponse, AppError> {
    state
        .change(
            id,
            move |world, ctx, order| {
                ops::check_order_version(world, order, expected)?;
                ops::save_encryption(world, ctx, order, &request)
            },
            OrderResponse::of,
        )
        .await
}

/// Back to the Microsoft managed key: the passkey is rewrapped by the platform master key.
#[utoipa::path(post, path = "/orders/{order}/encryption/revert", tag = "encryption", params(("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404), (status = 409), (status = 422)))]
async fn revert_to_microsoft_managed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
) -> Result<OrderResponse, AppError> {
    let request =
        SaveEncryptionRequest { settings: EncryptionSettings::MicrosoftManaged, expected_version: expected };
    state
        .change(
            id,
            move |world, ctx, order| ops::save_encryption(world, ctx, order, &request),
            OrderResponse::of,
        )
        .await
}

/// Save by key URL (command line style): the URL is checked first — it must parse, use https and
/// a key vault host of this cloud (`SsemUserErrorInvalidKeyVaultUrl`,
/// `SsemUserErrorKeyVaultUrlWithInvalidScheme`, `SsemUserErrorKeyVaultUrlInvalidHost`) — then the
/// named key version is saved like the blade's Save.
#[utoipa::path(put, path = "/orders/{order}/encryption/key-url", tag = "encryption", params(("order" = String, Path)),
    request_body = SaveByKeyUrlRequest,
    responses((status = 200, body = OrderView), (status = 400), (status = 404), (status = 409), (status = 422)))]
async fn save_encryption_by_key_url(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
    Json(request): Json<SaveByKeyUrlRequest>,
) -> Result<OrderResponse, AppError> {
    state
        .change(
            id,
            move |world, ctx, order| {
                ops::check_order_version(world, order, expected)?;
                ops::save_encryption_by_key_url(world, ctx, order, &request)
            },
            OrderResponse::of,
        )
        .await
}
