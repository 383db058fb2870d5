//! The `/api` router: public routes, session-guarded routes (every use case of
//! `shared::service`), the test clock when enabled, the OpenAPI document, and the guarantees
//! every response shares (JSON error envelope, body size limit). The request deadline is the
//! connection's, the same for every surface (`serve`).

use axum::{
    Extension, Json, Router,
    extract::{OriginalUri, Request, State},
    http::{HeaderValue, Method, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use shared::{
    api::{AdvanceClockRequest, ClockView},
    catalog::ErrorCode,
    ops,
};
use tower_http::limit::RequestBodyLimitLayer;
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, server::Server};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    AppState, accounts, auth,
    error::AppError,
    extract, health, runner, service,
    session::{self, ClientIp},
};

/// Largest request body the API accepts; key-transfer blobs for RSA-4096 are a few KB.
const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let (public, public_doc) = OpenApiRouter::new()
        .routes(routes!(health::get_health))
        .routes(routes!(session::create_session))
        .split_for_parts();
    let (sessions, session_doc) = OpenApiRouter::new()
        .routes(routes!(session::get_session, session::delete_session))
        .routes(routes!(accounts::set_password))
        .routes(routes!(accounts::list_sessions))
        .routes(routes!(accounts::revoke_session))
        .split_for_parts();
    let mut document = serde_json::to_value(openapi(public_doc, session_doc)).unwrap_or_default();
    service::use_references(&mut document);
    service::spell_out_whitespace(&mut document);
    let document = Json(document);
    let mut guarded = Router::new()
        .merge(sessions)
        .merge(service::routes())
        .route("/openapi.json", get(move || std::future::ready(document.clone())));
    if state.has_test_clock() {
        guarded = guarded.route("/clock", get(get_clock).post(advance_clock));
    }
    let guarded = guarded.route_layer(middleware::from_fn_with_state(state.clone(), auth::require_session));
    Router::new()
        .merge(public)
        .merge(guarded)
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(auth::require_same_origin))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(middleware::from_fn(envelope_bare_errors))
        .layer(middleware::map_response(no_store))
        .with_state(state)
}

/// The API description: the session routes' annotations plus every service route.
fn openapi(public: OpenApi, sessions: OpenApi) -> OpenApi {
    let mut document = public;
    document.merge(sessions);
    // The annotated routes are written relative to /api, like the router they are nested in.
    let paths = std::mem::take(&mut document.paths.paths);
    document.paths.paths = paths.into_iter().map(|(path, item)| (format!("/api{path}"), item)).collect();
    let (paths, schemas) = service::document();
    document.paths.merge(paths);
    let mut components = document.components.take().unwrap_or_else(|| ComponentsBuilder::new().build());
    for (name, schema) in schemas {
        components.schemas.insert(name, schema);
    }
    document.components = Some(components);
    document.servers = Some(vec![Server::new("/")]);
    document.info = InfoBuilder::new()
        .title("Keyblade API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Every route except GET /api/health and POST /api/session needs the session cookie set \
             by POST /api/session. Failures are {\"error\": {code, message, recoverable, remediation, \
             fix, subject}}; post a fix with its subject to /api/fixes.",
        ))
        .build();
    document
}

/// `GET /api/clock` (only with `--test-clock`).
async fn get_clock(State(state): State<AppState>) -> Json<ClockView> {
    Json(ClockView { now: state.now(), offset_seconds: state.clock().offset() })
}

/// `POST /api/clock {"advance_seconds": N}` (only with `--test-clock`): moves the engine's
/// clock forward, records who moved it, and performs what fell due before answering.
async fn advance_clock(
    State(state): State<AppState>,
    Extension(session): Extension<auth::Session>,
    ClientIp(ip): ClientIp,
    extract::Json(request): extract::Json<AdvanceClockRequest>,
) -> Result<Json<ClockView>, AppError> {
    let seconds = request.advance_seconds;
    ops::check_clock_advance(seconds).map_err(|failure| AppError::plain(failure.code, failure.message))?;
    state.clock().advance(seconds);
    let actor = session.actor(ip);
    state.record_event(ops::clock_move_record(&actor, seconds, state.now())).await?;
    runner::advance(&state).await?;
    state.work().notify_one();
    Ok(get_clock(State(state)).await)
}

async fn unknown_route(OriginalUri(uri): OriginalUri) -> AppError {
    AppError::plain(ErrorCode::NotFound, format!("No API route {}.", uri.path()))
}

async fn method_not_allowed(method: Method, OriginalUri(uri): OriginalUri) -> AppError {
    let message = format!("{method} is not supported on {}.", uri.path());
    AppError::plain(ErrorCode::MethodNotAllowed, message)
}

/// API answers are per user and some are secret (the Device password): never cache them.
/// Answers carrying tokens, keys or their data must not be cached anywhere.
pub async fn no_store(mut response: Response) -> Response {
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
