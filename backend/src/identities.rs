//! `/api/identities`: the Managed identities blade (user-assigned identities only; system
//! identities belong to orders).

use axum::{extract::State, http::StatusCode};
use shared::{api::CreateIdentityRequest, model::UserIdentity, ops};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    error::AppError,
    extract::{Json, Path},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_identities, create_identity))
        .routes(routes!(get_identity, delete_identity))
}

/// Lists the user-assigned identities.
#[utoipa::path(get, path = "/identities", tag = "identities",
    responses((status = 200, body = [UserIdentity])))]
async fn list_identities(State(state): State<AppState>) -> Result<Json<Vec<UserIdentity>>, AppError> {
    Ok(Json(state.world().await?.identities.values().cloned().collect()))
}

/// Creates a user-assigned identity in the tenant of the resource group's subscription.
#[utoipa::path(post, path = "/identities", tag = "identities",
    request_body = CreateIdentityRequest,
    responses((status = 201, body = UserIdentity), (status = 400), (status = 404)))]
async fn create_identity(
    State(state): State<AppState>,
    Json(request): Json<CreateIdentityRequest>,
) -> Result<(StatusCode, Json<UserIdentity>), AppError> {
    let (mut world, id) =
        state.write_returning(move |world, ctx| ops::create_identity(world, ctx, &request)).await?;
    let identity =
        world.identities.remove(&id).ok_or_else(|| AppError::internal("created identity missing"))?;
    Ok((StatusCode::CREATED, Json(identity)))
}

/// One user-assigned identity.
#[utoipa::path(get, path = "/identities/{identity}", tag = "identities", params(("identity" = String, Path)),
    responses((status = 200, body = UserIdentity), (status = 404)))]
async fn get_identity(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UserIdentity>, AppError> {
    let world = state.world().await?;
    world.identities.get(&id).cloned().map(Json).ok_or_else(|| AppError::not_found("The identity"))
}

/// Deletes a user-assigned identity. Orders using it then fail with the identity codes.
#[utoipa::path(delete, path = "/identities/{identity}", tag = "identities", params(("identity" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn delete_identity(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state.write(move |world, _| ops::delete_identity(world, &id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
