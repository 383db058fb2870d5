//! `/api/vaults/{vault}/keys`: keys and their versions. New key material arrives only in the
//! key-transfer format (wrapped for the vault's import key in the browser).

use axum::{extract::State, http::StatusCode};
use shared::{
    api::{CreateKeyRequest, CreateVersionRequest, KeyVersionView, KeyView, UpdateVersionRequest},
    model::World,
    ops, queries,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    error::AppError,
    extract::{Json, Path},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, delete_key))
        .routes(routes!(list_versions, create_version))
        .routes(routes!(update_version))
        .routes(routes!(list_deleted_keys))
        .routes(routes!(recover_key))
        .routes(routes!(purge_key))
}

/// A live key of a live vault.
fn view(world: &World, vault: &str, key: &str) -> Result<KeyView, AppError> {
    Ok(queries::key_view(world, vault, key)?)
}

/// One version of a live key.
fn version_view(world: &World, vault: &str, key: &str, version: &str) -> Result<KeyVersionView, AppError> {
    Ok(queries::version_view(world, vault, key, version)?)
}

/// Lists the live keys of a vault.
#[utoipa::path(get, path = "/vaults/{vault}/keys", tag = "keys", params(("vault" = String, Path)),
    responses((status = 200, body = [KeyView]), (status = 404)))]
async fn list_keys(
    State(state): State<AppState>,
    Path(vault): Path<String>,
) -> Result<Json<Vec<KeyView>>, AppError> {
    Ok(Json(queries::live_keys(&*state.world().await?, &vault)?))
}

/// Imports a new key (first version) from a key-transfer blob.
#[utoipa::path(post, path = "/vaults/{vault}/keys", tag = "keys", params(("vault" = String, Path)),
    request_body = CreateKeyRequest,
    responses((status = 201, body = KeyView), (status = 400), (status = 404), (status = 409)))]
async fn create_key(
    State(state): State<AppState>,
    Path(vault): Path<String>,
    Json(request): Json<CreateKeyRequest>,
) -> Result<(StatusCode, Json<KeyView>), AppError> {
    let (name, target) = (request.name.clone(), vault.clone());
    let world = state.write(move |world, ctx| Ok(ops::create_key(world, ctx, &target, &request)?.0)).await?;
    Ok((StatusCode::CREATED, Json(view(&world, &vault, &name)?)))
}

/// One live key with its versions.
#[utoipa::path(get, path = "/vaults/{vault}/keys/{key}", tag = "keys",
    params(("vault" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = KeyView), (status = 404)))]
async fn get_key(
    State(state): State<AppState>,
    Path((vault, key)): Path<(String, String)>,
) -> Result<Json<KeyView>, AppError> {
    Ok(Json(view(&*state.world().await?, &vault, &key)?))
}

/// Deletes a key: soft-deleted (recoverable) when the vault has soft delete.
#[utoipa::path(delete, path = "/vaults/{vault}/keys/{key}", tag = "keys",
    params(("vault" = String, Path), ("key" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_key(
    State(state): State<AppState>,
    Path((vault, key)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    state.write(move |world, ctx| ops::delete_key(world, ctx, &vault, &key)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The versions of a live key, oldest first.
#[utoipa::path(get, path = "/vaults/{vault}/keys/{key}/versions", tag = "keys",
    params(("vault" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = [KeyVersionView]), (status = 404)))]
async fn list_versions(
    State(state): State<AppState>,
    Path((vault, key)): Path<(String, String)>,
) -> Result<Json<Vec<KeyVersionView>>, AppError> {
    Ok(Json(view(&*state.world().await?, &vault, &key)?.versions))
}

/// Imports a new version of a key from a key-transfer blob (same type and size as the key).
#[utoipa::path(post, path = "/vaults/{vault}/keys/{key}/versions", tag = "keys",
    params(("vault" = String, Path), ("key" = String, Path)),
    request_body = CreateVersionRequest,
    responses((status = 201, body = KeyVersionView), (status = 400), (status = 404)))]
async fn create_version(
    State(state): State<AppState>,
    Path((vault, key)): Path<(String, String)>,
    Json(request): Json<CreateVersionRequest>,
) -> Result<(StatusCode, Json<KeyVersionView>), AppError> {
    let (target_vault, target_key) = (vault.clone(), key.clone());
    let (world, id) = state
        .write_returning(move |world, ctx| {
            ops::create_version(world, ctx, &target_vault, &target_key, &request)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(version_view(&world, &vault, &key, &id)?)))
}

/// Enables or disables a version and sets its activation and expiry dates.
#[utoipa::path(put, path = "/vaults/{vault}/keys/{key}/versions/{version}", tag = "keys",
    params(("vault" = String, Path), ("key" = String, Path), ("version" = String, Path)),
    request_body = UpdateVersionRequest,
    responses((status = 200, body = KeyVersionView), (status = 404)))]
async fn update_version(
    State(state): State<AppState>,
    Path((vault, key, version)): Path<(String, String, String)>,
    Json(request): Json<UpdateVersionRequest>,
) -> Result<Json<KeyVersionView>, AppError> {
    let target = (vault.clone(), key.clone(), version.clone());
    let world = state
        .write(move |world, _| ops::update_version(world, &target.0, &target.1, &target.2, &request))
        .await?;
    Ok(Json(version_view(&world, &vault, &key, &version)?))
}

/// Soft-deleted keys of a vault that have not been purged.
#[utoipa::path(get, path = "/vaults/{vault}/deleted-keys", tag = "keys", params(("vault" = String, Path)),
    responses((status = 200, body = [KeyView]), (status = 404)))]
async fn list_deleted_keys(
    State(state): State<AppState>,
    Path(vault): Path<String>,
) -> Result<Json<Vec<KeyView>>, AppError> {
    Ok(Json(queries::deleted_keys(&*state.world().await?, &vault)?))
}

/// Recovers a soft-deleted key within the vault's retention period.
#[utoipa::path(post, path = "/vaults/{vault}/deleted-keys/{key}/recover", tag = "keys",
    params(("vault" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = KeyView), (status = 404), (status = 409)))]
async fn recover_key(
    State(state): State<AppState>,
    Path((vault, key)): Path<(String, String)>,
) -> Result<Json<KeyView>, AppError> {
    let target = (vault.clone(), key.clone());
    let world = state.write(move |world, ctx| ops::recover_key(world, ctx, &target.0, &target.1)).await?;
    Ok(Json(view(&world, &vault, &key)?))
}

/// Purges a soft-deleted key; refused under purge protection.
#[utoipa::path(delete, path = "/vaults/{vault}/deleted-keys/{key}", tag = "keys",
    params(("vault" = String, Path), ("key" = String, Path)),
    responses((status = 204), (status = 404), (status = 409)))]
async fn purge_key(
    State(state): State<AppState>,
    Path((vault, key)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    state.write(move |world, ctx| ops::purge_key(world, ctx, &vault, &key)).await?;
    Ok(StatusCode::NO_CONTENT)
}
