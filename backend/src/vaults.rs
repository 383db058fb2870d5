//! `/api/vaults` and `/api/deleted-vaults`: the Key vaults blade (lifecycle, properties, access
//! policies, networking) and the import key browsers wrap new keys with.

use axum::{extract::State, http::StatusCode};
use shared::{
    api::{
        CreateVaultRequest, ImportKeyResponse, SetAccessPolicyRequest, SetFirewallRequest,
        UpdateVaultRequest, VaultView,
    },
    crypto::{ImportKey, MIN_IMPORT_KEY_BITS},
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
        .routes(routes!(list_vaults, create_vault))
        .routes(routes!(get_vault, update_vault, delete_vault))
        .routes(routes!(get_import_key))
        .routes(routes!(set_access_policy))
        .routes(routes!(set_firewall))
        .routes(routes!(list_deleted_vaults))
        .routes(routes!(recover_vault))
        .routes(routes!(purge_vault))
}

/// The live vault called `name`, as the client may see it.
fn view(world: &World, name: &str) -> Result<VaultView, AppError> {
    Ok(queries::vault_view(world, name)?)
}

/// Lists the live key vaults.
#[utoipa::path(get, path = "/vaults", tag = "vaults",
    responses((status = 200, body = [VaultView])))]
async fn list_vaults(State(state): State<AppState>) -> Result<Json<Vec<VaultView>>, AppError> {
    Ok(Json(queries::live_vaults(&*state.world().await?)))
}

/// Creates a key vault together with its RSA-3072 import key (generated here, which takes a
/// moment, so the portal shows progress).
#[utoipa::path(post, path = "/vaults", tag = "vaults",
    request_body = CreateVaultRequest,
    responses((status = 201, body = VaultView), (status = 400), (status = 409)))]
async fn create_vault(
    State(state): State<AppState>,
    Json(request): Json<CreateVaultRequest>,
) -> Result<(StatusCode, Json<VaultView>), AppError> {
    let name = request.name.clone();
    let world = state
        .write(move |world, ctx| {
            let created = ops::create_vault(world, &request)?;
            let import_key = ImportKey::generate(MIN_IMPORT_KEY_BITS, ctx.master, ctx.rng)?;
            ops::install_import_key(&created, &request.name, import_key)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view(&world, &name)?)))
}

/// One live key vault.
#[utoipa::path(get, path = "/vaults/{vault}", tag = "vaults", params(("vault" = String, Path)),
    responses((status = 200, body = VaultView), (status = 404)))]
async fn get_vault(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<VaultView>, AppError> {
    Ok(Json(view(&*state.world().await?, &name)?))
}

/// Properties: soft delete, purge protection (never off once on), retention days.
#[utoipa::path(patch, path = "/vaults/{vault}", tag = "vaults", params(("vault" = String, Path)),
    request_body = UpdateVaultRequest,
    responses((status = 200, body = VaultView), (status = 404), (status = 409)))]
async fn update_vault(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<UpdateVaultRequest>,
) -> Result<Json<VaultView>, AppError> {
    state.change(name, move |world, _, vault| ops::update_vault(world, vault, &request), view).await.map(Json)
}

/// Deletes a vault: recoverable for its retention period when soft delete is on.
#[utoipa::path(delete, path = "/vaults/{vault}", tag = "vaults", params(("vault" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_vault(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    state.write(move |world, ctx| ops::delete_vault(world, ctx, &name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The vault's import key (RSA, SPKI DER base64): browsers wrap new private keys with it.
#[utoipa::path(get, path = "/vaults/{vault}/import-key", tag = "vaults", params(("vault" = String, Path)),
    responses((status = 200, body = ImportKeyResponse), (status = 404)))]
async fn get_import_key(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<ImportKeyResponse>, AppError> {
    state.read(move |world, _| ops::import_key_of(world, &name)).await.map(Json)
}

/// Access policies: sets one principal's key permissions (an empty set removes the entry).
#[utoipa::path(put, path = "/vaults/{vault}/access-policies", tag = "vaults", params(("vault" = String, Path)),
    request_body = SetAccessPolicyRequest,
    responses((status = 200, body = VaultView), (status = 404)))]
async fn set_access_policy(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<SetAccessPolicyRequest>,
) -> Result<Json<VaultView>, AppError> {
    state
        .change(name, move |world, _, vault| ops::set_access_policy(world, vault, &request), view)
        .await
        .map(Json)
}

/// Networking: firewall on/off and the identities allowed through it.
#[utoipa::path(put, path = "/vaults/{vault}/firewall", tag = "vaults", params(("vault" = String, Path)),
    request_body = SetFirewallRequest,
    responses((status = 200, body = VaultView), (status = 404)))]
async fn set_firewall(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<SetFirewallRequest>,
) -> Result<Json<VaultView>, AppError> {
    state.change(name, move |world, _, vault| ops::set_firewall(world, vault, &request), view).await.map(Json)
}

/// Soft-deleted vaults that have not been purged (recoverable or waiting for purge).
#[utoipa::path(get, path = "/deleted-vaults", tag = "vaults",
    responses((status = 200, body = [VaultView])))]
async fn list_deleted_vaults(State(state): State<AppState>) -> Result<Json<Vec<VaultView>>, AppError> {
    Ok(Json(queries::deleted_vaults(&*state.world().await?)))
}

/// Recovers a soft-deleted vault within its retention period.
#[utoipa::path(post, path = "/deleted-vaults/{vault}/recover", tag = "vaults", params(("vault" = String, Path)),
    responses((status = 200, body = VaultView), (status = 404), (status = 409)))]
async fn recover_vault(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<VaultView>, AppError> {
    state.change(name, move |world, ctx, vault| ops::recover_vault(world, ctx, vault), view).await.map(Json)
}

/// Purges a soft-deleted vault for good; refused under purge protection.
#[utoipa::path(delete, path = "/deleted-vaults/{vault}", tag = "vaults", params(("vault" = String, Path)),
    responses((status = 204), (status = 404), (status = 409)))]
async fn purge_vault(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    state.write(move |world, ctx| ops::purge_vault(world, ctx, &name)).await?;
    Ok(StatusCode::NO_CONTENT)
}
