//! `/api/orders`: Data Box orders, their identities and the Device password. Every change to an
//! order honours `If-Match` (the order's `ETag`), so an edit based on a stale view is a 409.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use shared::{
    api::{CreateOrderRequest, DevicePasswordResponse, OrderIdentitiesRequest, OrderView},
    catalog::Failure,
    model::World,
    ops::{self, Ctx},
    queries,
};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState,
    error::AppError,
    extract::{IfMatch, Json, Path, with_etag},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders, create_order))
        .routes(routes!(get_order))
        .routes(routes!(remove_system_identity, recreate_system_identity))
        .routes(routes!(attach_user_identities))
        .routes(routes!(detach_user_identities))
        .routes(routes!(fetch_device_password))
}

/// An order as the client may see it, with its version as `ETag`.
pub struct OrderResponse(OrderView);

impl OrderResponse {
    pub fn of(world: &World, id: &str) -> Result<Self, AppError> {
        Ok(Self(queries::order_view(world, id)?))
    }
}

impl IntoResponse for OrderResponse {
    fn into_response(self) -> Response {
        let version = self.0.version;
        with_etag(Json(self.0).into_response(), version)
    }
}

/// Lists the orders.
#[utoipa::path(get, path = "/orders", tag = "orders",
    responses((status = 200, body = [OrderView])))]
async fn list_orders(State(state): State<AppState>) -> Result<Json<Vec<OrderView>>, AppError> {
    Ok(Json(state.world().await?.orders.values().map(OrderView::of).collect()))
}

/// Creates an order with a fresh passkey (Microsoft managed key) and a system identity.
#[utoipa::path(post, path = "/orders", tag = "orders",
    request_body = CreateOrderRequest,
    responses((status = 201, body = OrderView), (status = 400), (status = 404)))]
async fn create_order(
    State(state): State<AppState>,
    Json(request): Json<CreateOrderRequest>,
) -> Result<(StatusCode, OrderResponse), AppError> {
    let (world, id) =
        state.write_returning(move |world, ctx| ops::create_order(world, ctx, &request)).await?;
    Ok((StatusCode::CREATED, OrderResponse::of(&world, &id)?))
}

/// One order; its `ETag` is the version to send back in `If-Match`.
#[utoipa::path(get, path = "/orders/{order}", tag = "orders", params(("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404)))]
async fn get_order(State(state): State<AppState>, Path(id): Path<String>) -> Result<OrderResponse, AppError> {
    OrderResponse::of(&*state.world().await?, &id)
}

/// Identity type None: removes the order's system-assigned identity.
#[utoipa::path(delete, path = "/orders/{order}/system-identity", tag = "orders", params(("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404), (status = 409)))]
async fn remove_system_identity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
) -> Result<OrderResponse, AppError> {
    state
        .change(
            id,
            move |world, _, order| ops::remove_system_identity(world, order, expected),
            OrderResponse::of,
        )
        .await
}

/// Identity type System assigned: creates a new system identity (with a new principal id).
#[utoipa::path(post, path = "/orders/{order}/system-identity", tag = "orders", params(("order" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404), (status = 409)))]
async fn recreate_system_identity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
) -> Result<OrderResponse, AppError> {
    state
        .change(
            id,
            move |world, ctx, order| ops::recreate_system_identity(world, ctx, order, expected),
            OrderResponse::of,
        )
        .await
}

/// Attaches user-assigned identities (at most ten per order).
#[utoipa::path(post, path = "/orders/{order}/user-identities/attach", tag = "orders", params(("order" = String, Path)),
    request_body = OrderIdentitiesRequest,
    responses((status = 200, body = OrderView), (status = 404), (status = 409)))]
async fn attach_user_identities(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
    Json(request): Json<OrderIdentitiesRequest>,
) -> Result<OrderResponse, AppError> {
    change_identities(&state, id, expected, request, ops::attach_identities).await
}

/// Detaches user-assigned identities.
#[utoipa::path(post, path = "/orders/{order}/user-identities/detach", tag = "orders", params(("order" = String, Path)),
    request_body = OrderIdentitiesRequest,
    responses((status = 200, body = OrderView), (status = 404), (status = 409)))]
async fn detach_user_identities(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IfMatch(expected): IfMatch,
    Json(request): Json<OrderIdentitiesRequest>,
) -> Result<OrderResponse, AppError> {
    change_identities(&state, id, expected, request, ops::detach_identities).await
}

/// [`ops::attach_identities`] or [`ops::detach_identities`].
type IdentitiesOp = fn(&World, &str, &[String], Option<u64>) -> Result<World, Failure>;

/// Attaches or detaches (`op`) the request's identities, checking both the `If-Match` version
/// and the one in the request.
async fn change_identities(
    state: &AppState,
    id: String,
    if_match: Option<u64>,
    request: OrderIdentitiesRequest,
    op: IdentitiesOp,
) -> Result<OrderResponse, AppError> {
    let change = move |world: &World, _: &mut Ctx, order: &str| {
        ops::check_order_version(world, order, if_match)?;
        op(world, order, &request.identity_ids, request.expected_version)
    };
    state.change(id, change, OrderResponse::of).await
}

/// Device password: unwraps the passkey through the current settings. Any broken link (key
/// disabled, vault deleted, identity gone...) fails with its catalog code and fix.
#[utoipa::path(post, path = "/orders/{order}/device-password", tag = "orders", params(("order" = String, Path)),
    responses((status = 200, body = DevicePasswordResponse), (status = 404), (status = 422)))]
async fn fetch_device_password(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DevicePasswordResponse>, AppError> {
    let passkey = state.read(move |world, ctx| ops::fetch_passkey(world, ctx, &id)).await?;
    Ok(Json(DevicePasswordResponse { password: passkey.display() }))
}
