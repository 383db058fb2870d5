//! `/api/session`: sign in, say who is signed in, sign out.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    Extension,
    extract::{ConnectInfo, FromRequestParts, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use shared::{
    access::Actor,
    api::{ErrorEnvelope, SessionView, SignInRequest},
    audit::AuditAction,
    model::Principal,
};
use zeroize::Zeroizing;

use crate::{
    AppState,
    auth::{self, SESSION_LIFETIME, Session},
    clock,
    error::AppError,
    extract::Json,
    gateway::credentials::{Attempt, Remember, check_password},
};

/// Signs in with user name and password; sets the session cookie.
#[utoipa::path(post, path = "/session", tag = "session",
    request_body = SignInRequest,
    responses((status = 200, body = SessionView), (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope),
        (status = 415, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope)))]
pub async fn create_session(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(request): Json<SignInRequest>,
) -> Result<Response, AppError> {
    let SignInRequest { username, password } = request;
    let password = Zeroizing::new(password);
    let device = state.device_cookie().device(&headers, &username);
    let attempt = Attempt { ip, device: device.as_deref(), surface: "portal" };
    check_password(&state, attempt, &username, password, Remember::No).await?;
    let actor =
        Actor { principal: Principal::user(&username), name: username.clone(), source: ip.to_string() };
    let subject = format!("users/{username}");
    state.record_event(actor.record(state.now(), AuditAction::SignIn, subject, None)).await?;
    let token = Zeroizing::new(auth::new_token()?);
    let now = clock::now().0;
    let expires_at = now.saturating_add(SESSION_LIFETIME);
    state.store().create_session(&auth::hash_token(&token), &username, expires_at, now).await?;
    let cookie = state.cookie().issue(&token)?;
    // This browser is a known device of this user from now on (see `device_cookie`).
    let device_cookie = state.device_cookie().issue(&username)?;
    let mut response = Json(SessionView { username, expires_at }).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response.headers_mut().append(header::SET_COOKIE, device_cookie);
    Ok(response)
}

/// The signed-in user.
#[utoipa::path(get, path = "/session", tag = "session",
    responses((status = 200, body = SessionView), (status = 401, body = ErrorEnvelope)))]
pub async fn get_session(Extension(session): Extension<Session>) -> Json<SessionView> {
    Json(SessionView { username: session.username, expires_at: session.expires_at })
}

/// Signs out: forgets the session and clears the cookie.
#[utoipa::path(delete, path = "/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorEnvelope)))]
pub async fn delete_session(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    ClientIp(ip): ClientIp,
) -> Result<Response, AppError> {
    state.store().delete_session(&session.token_hash).await?;
    let actor = session.actor(ip);
    let subject = format!("users/{}", actor.name);
    state.record_event(actor.record(state.now(), AuditAction::SignOut, subject, None)).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, state.cookie().expire()?)]).into_response())
}

/// The peer address, for sign-in throttling. Routers driven without a socket (unit tests) have
/// none and share one bucket.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| addr.ip());
        Ok(ClientIp(ip))
    }
}
