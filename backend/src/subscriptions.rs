//! `/api/subscriptions`, `/api/tenants`, `/api/resource-groups` and `/api/world`: the
//! directory the blades pick from, and the tenant move that breaks (and reverting it that
//! repairs) identities.

use axum::extract::State;
use shared::{
    api::{MoveSubscriptionRequest, WorldView},
    model::{ResourceGroup, Subscription, Tenant, World},
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
        .routes(routes!(get_world))
        .routes(routes!(list_tenants))
        .routes(routes!(list_resource_groups))
        .routes(routes!(list_subscriptions))
        .routes(routes!(get_subscription))
        .routes(routes!(move_subscription))
        .routes(routes!(revert_subscription))
}

fn subscription(world: &World, id: &str) -> Result<Subscription, AppError> {
    Ok(queries::subscription(world, id)?)
}

/// Everything the portal shows, without any secret (no private keys, no wrapped passkeys).
#[utoipa::path(get, path = "/world", tag = "directory",
    responses((status = 200, body = WorldView)))]
async fn get_world(State(state): State<AppState>) -> Result<Json<WorldView>, AppError> {
    Ok(Json(WorldView::of(&*state.world().await?)))
}

/// Lists the tenants (targets of a subscription move).
#[utoipa::path(get, path = "/tenants", tag = "directory",
    responses((status = 200, body = [Tenant])))]
async fn list_tenants(State(state): State<AppState>) -> Result<Json<Vec<Tenant>>, AppError> {
    Ok(Json(state.world().await?.tenants.values().cloned().collect()))
}

/// Lists the resource groups.
#[utoipa::path(get, path = "/resource-groups", tag = "directory",
    responses((status = 200, body = [ResourceGroup])))]
async fn list_resource_groups(State(state): State<AppState>) -> Result<Json<Vec<ResourceGroup>>, AppError> {
    Ok(Json(state.world().await?.resource_groups.values().cloned().collect()))
}

/// Lists the subscriptions.
#[utoipa::path(get, path = "/subscriptions", tag = "directory",
    responses((status = 200, body = [Subscription])))]
async fn list_subscriptions(State(state): State<AppState>) -> Result<Json<Vec<Subscription>>, AppError> {
    Ok(Json(state.world().await?.subscriptions.values().cloned().collect()))
}

/// One subscription.
#[utoipa::path(get, path = "/subscriptions/{subscription}", tag = "directory",
    params(("subscription" = String, Path)),
    responses((status = 200, body = Subscription), (status = 404)))]
async fn get_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Subscription>, AppError> {
    Ok(Json(subscription(&*state.world().await?, &id)?))
}

/// Moves the subscription to another tenant; vaults and identities stay behind.
#[utoipa::path(post, path = "/subscriptions/{subscription}/move", tag = "directory",
    params(("subscription" = String, Path)),
    request_body = MoveSubscriptionRequest,
    responses((status = 200, body = Subscription), (status = 404)))]
async fn move_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(request): Json<MoveSubscriptionRequest>,
) -> Result<Json<Subscription>, AppError> {
    state
        .change(
            id,
            move |world, _, target| ops::move_subscription(world, target, &request.tenant_id),
            subscription,
        )
        .await
        .map(Json)
}

/// Moves the subscription back to the tenant it was created in.
#[utoipa::path(post, path = "/subscriptions/{subscription}/revert", tag = "directory",
    params(("subscription" = String, Path)),
    responses((status = 200, body = Subscription), (status = 404)))]
async fn revert_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Subscription>, AppError> {
    state
        .change(id, move |world, _, target| ops::revert_subscription_tenant(world, target), subscription)
        .await
        .map(Json)
}
