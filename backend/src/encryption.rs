//! `/api/orders/{order}/encryption`: the Encryption blade — read the settings, Save new ones
//! (every catalog rule runs in the engine), or go back to the Microsoft managed key.

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use shared::{
    api::SaveEncryptionRequest,
    catalog::{ErrorCode, Failure},
    model::{CustomerKey, EncryptionSettings, IdentityChoice},
    ops, validation,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    error::AppError,
    extract::{IfMatch, Json, Path, with_etag},
    orders::{OrderResponse, require_order},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_encryption, save_encryption))
        .routes(routes!(revert_to_microsoft_managed))
        .routes(routes!(save_encryption_by_key_url))
}

/// Save by key URL, as command-line clients do. Until `shared::api` carries this request, it
/// lives here.
#[derive(Deserialize)]
pub struct SaveByKeyUrlRequest {
    /// `https://{vault}.vault.azure.net/keys/{key}/{version}`.
    pub key_url: String,
    /// Identity used to reach the key.
    pub identity: IdentityChoice,
    /// The order version the client saw.
    pub expected_version: Option<u64>,
}

/// The order's current encryption settings, with the order's `ETag`.
#[utoipa::path(get, path = "/orders/{order}/encryption", tag = "encryption", params(("order" = String, Path)),
    responses((status = 200, description = "EncryptionSettings", body = Object), (status = 404)))]
async fn get_encryption(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let world = state.world().await?;
    let order = world
        .orders
        .get(&id)
        .ok_or_else(|| AppError::not_found("The order"))?;
    Ok(with_etag(
        Json(order.encryption.clone()).into_response(),
        order.version,
    ))
}

/// Save: checks every rule for the new settings and rewraps the passkey; on failure nothing
/// changes and the error carries its catalog code, recoverability and fix.
#[utoipa::path(put, path = "/orders/{order}/encryption", tag = "encryption", params(("order" = String, Path)),
    request_body(content = Object, description = "SaveEncryptionRequest {settings, expected_version}"),
    responses((status = 200, description = "OrderView", body = Object), (status = 404), (status = 409), (status = 422)))]
async fn save_encryption(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
    Json(request): Json<SaveEncryptionRequest>,
) -> Result<OrderResponse, AppError> {
    let order = id.clone();
    let world = state
        .write(move |world, ctx| {
            require_order(world, &order, expected)?;
            ops::save_encryption(world, ctx, &order, &request)
        })
        .await?;
    OrderResponse::of(&world, &id)
}

/// Back to the Microsoft managed key: the passkey is rewrapped by the platform master key.
#[utoipa::path(post, path = "/orders/{order}/encryption/revert", tag = "encryption", params(("order" = String, Path)),
    responses((status = 200, description = "OrderView", body = Object), (status = 404), (status = 409), (status = 422)))]
async fn revert_to_microsoft_managed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
) -> Result<OrderResponse, AppError> {
    let order = id.clone();
    let request = SaveEncryptionRequest {
        settings: EncryptionSettings::MicrosoftManaged,
        expected_version: expected,
    };
    let world = state
        .write(move |world, ctx| {
            require_order(world, &order, expected)?;
            ops::save_encryption(world, ctx, &order, &request)
        })
        .await?;
    OrderResponse::of(&world, &id)
}

/// Save by key URL (command line style): the URL is checked first — it must parse, use https and
/// a key vault host of this cloud (`SsemUserErrorInvalidKeyVaultUrl`,
/// `SsemUserErrorKeyVaultUrlWithInvalidScheme`, `SsemUserErrorKeyVaultUrlInvalidHost`) — then the
/// named key version is saved like the blade's Save.
#[utoipa::path(put, path = "/orders/{order}/encryption/key-url", tag = "encryption", params(("order" = String, Path)),
    request_body(content = Object, description = "{key_url, identity, expected_version}"),
    responses((status = 200, description = "OrderView", body = Object), (status = 400), (status = 404), (status = 409), (status = 422)))]
async fn save_encryption_by_key_url(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
    Json(request): Json<SaveByKeyUrlRequest>,
) -> Result<OrderResponse, AppError> {
    let order = id.clone();
    let world = state
        .write(move |world, ctx| {
            require_order(world, &order, expected)?;
            let uri = validation::parse_vault_uri(&request.key_url, world.cloud)?;
            let (Some(key), Some(version)) = (uri.key, uri.version) else {
                return Err(Failure::new(
                    ErrorCode::InvalidKeyVaultUrl,
                    "The key URL must name a key and a version.",
                ));
            };
            let key = CustomerKey {
                vault: uri.vault,
                key,
                version,
                key_url: String::new(),
                identity: request.identity,
            };
            let settings = EncryptionSettings::CustomerManaged(key);
            let save = SaveEncryptionRequest {
                settings,
                expected_version: request.expected_version,
            };
            ops::save_encryption(world, ctx, &order, &save)
        })
        .await?;
    OrderResponse::of(&world, &id)
}
