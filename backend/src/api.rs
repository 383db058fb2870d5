//! The `/api` router: public routes, session-guarded routes, the OpenAPI document generated from
//! the handlers' annotations, and the guarantees every response shares (JSON error envelope,
//! body size limit, timeout).

use std::time::Duration;

use axum::{
    Json, Router,
    extract::{OriginalUri, Request},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use shared::catalog::ErrorCode;
use tower_http::{limit::RequestBodyLimitLayer, timeout::TimeoutLayer};
use utoipa::openapi::{InfoBuilder, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState, auth, catalog, encryption, error::AppError, health, identities, keys, orders, session,
    subscriptions, vaults,
};

/// Largest request body the API accepts; key-transfer blobs for RSA-4096 are a few KB.
const BODY_LIMIT: usize = 64 * 1024;
/// Longest a request may take; vault creation (an RSA-3072 import key) is the slowest.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

pub fn router(state: AppState) -> Router {
    let (public, public_doc) = OpenApiRouter::new()
        .routes(routes!(health::get_health))
        .routes(routes!(session::create_session))
        .split_for_parts();
    let (guarded, guarded_doc) = OpenApiRouter::new()
        .routes(routes!(session::get_session, session::delete_session))
        .merge(subscriptions::routes())
        .merge(vaults::routes())
        .merge(keys::routes())
        .merge(identities::routes())
        .merge(orders::routes())
        .merge(encryption::routes())
        .merge(catalog::routes())
        .split_for_parts();
    let document = Json(openapi(public_doc, guarded_doc));
    let guarded = guarded
        .route("/openapi.json", get(move || std::future::ready(document.clone())))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_session));
    public
        .merge(guarded)
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn(envelope_bare_errors))
        .layer(middleware::map_response(no_store))
        .with_state(state)
}

/// The API description, from the `#[utoipa::path]` annotations of the mounted handlers.
fn openapi(public: OpenApi, guarded: OpenApi) -> OpenApi {
    let mut document = public;
    document.merge(guarded);
    document.info = InfoBuilder::new()
        .title("Keyblade API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Paths are relative to /api. Every route except GET /health and POST /session needs \
             the session cookie set by POST /session. Failures are {\"error\": {code, message, \
             recoverable, remediation, fix}}.",
        ))
        .build();
    document
}

async fn unknown_route(OriginalUri(uri): OriginalUri) -> AppError {
    AppError::plain(ErrorCode::NotFound, format!("No API route {}.", uri.path()))
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> AppError {
    let message = format!("{method} is not supported on {}.", uri.path());
    AppError::plain(ErrorCode::MethodNotAllowed, message)
}

/// API answers are per user and some are secret (the Device password): never cache them.
async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Layers answer some failures themselves (413 from the body limit, 408 from the timeout) with
/// plain text; this turns any non-JSON error response into the envelope.
async fn envelope_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE) == Some(&HeaderValue::from_static("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let message = status.canonical_reason().unwrap_or("The request failed.").to_owned();
    AppError::Request { status, message }.into_response()
}
