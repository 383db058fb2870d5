//! The credential side of accounts, which the engine leaves to the server: a new account's
//! first password, password changes, and the sessions an account has open. Who may do it is
//! decided by `shared::access` like everything else: an account acts on itself, an Owner on any.

use axum::{
    Extension,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};
use shared::{
    access,
    api::{AccountSessionView, ErrorEnvelope, SetPasswordRequest},
    audit::AuditAction,
    catalog::ErrorCode,
    model::{Account, Principal},
    service::{CreateAccount, CreateAccountRequest, Endpoint},
};
use zeroize::Zeroizing;

use crate::{
    AppState,
    auth::{self, Session},
    clock,
    error::AppError,
    extract::Json,
    gateway::credentials::{Attempt, Remember, check_password},
    session::ClientIp,
};

/// `POST /api/accounts`: the engine's `CreateAccount`, with the first password's hash stored
/// once the account exists.
pub async fn create_account(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    ClientIp(ip): ClientIp,
    Json(body): Json<CreateAccountRequest>,
) -> Result<Response, AppError> {
    access::password(&body.password).map_err(|f| AppError::plain(f.code, f.message))?;
    let hash = auth::hash_password(Zeroizing::new(body.password.clone())).await?;
    let name = body.name.clone();
    let outcome = state.execute(CreateAccount { body }, &session.actor(ip)).await?;
    state.store().set_password_hash(&name, &hash).await?;
    let status = StatusCode::from_u16(CreateAccount::ROUTE.status).unwrap_or(StatusCode::CREATED);
    Ok((status, axum::Json::<Account>(outcome.answer)).into_response())
}

/// Lets the signed-in account act on `account`'s credentials (the engine's rule).
async fn may_manage(state: &AppState, session: &Session, account: &str) -> Result<(), AppError> {
    let snapshot = state.store().load().await?;
    access::may_manage_credentials(&snapshot.world, &Principal::user(&session.username), account)
        .map_err(|f| AppError::plain(f.code, f.message))
}

/// Sets a password. Changing one's own needs the current one; an Owner resets another's. Every
/// session of the account ends, and the Element credential cache misses at once.
#[utoipa::path(put, path = "/accounts/{account}/password", tag = "access control",
    params(("account" = String, Path, description = "Account name")),
    request_body = SetPasswordRequest,
    responses((status = 204), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 413, body = ErrorEnvelope), (status = 415, body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope), (status = 429, body = ErrorEnvelope)))]
pub async fn set_password(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    ClientIp(ip): ClientIp,
    Path(account): Path<String>,
    Json(request): Json<SetPasswordRequest>,
) -> Result<Response, AppError> {
    may_manage(&state, &session, &account).await?;
    access::password(&request.password).map_err(|f| AppError::plain(f.code, f.message))?;
    if session.username == account {
        let current = Zeroizing::new(request.current_password.clone().unwrap_or_default());
        // The session stands for the device: a signed-in user is throttled on their own.
        let attempt = Attempt { ip, device: Some(&session.token_hash), surface: "password change" };
        check_password(&state, attempt, &account, current, Remember::No).await?;
    }
    let hash = auth::hash_password(Zeroizing::new(request.password.clone())).await?;
    state.store().set_password_hash(&account, &hash).await?;
    state.store().delete_sessions_of(&account).await?;
    let record = session.actor(ip).record(
        state.now(),
        AuditAction::PasswordChange,
        format!("accounts/{account}"),
        None,
    );
    state.record_event(record).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The id a session is listed by: a hash of its token's hash, so a listing can name a session
/// without revealing anything that signs in.
fn session_id(token_hash: &str) -> String {
    shared::crypto::to_hex(&Sha256::digest(format!("session:{token_hash}"))[..8])
}

/// An account's open sessions.
#[utoipa::path(get, path = "/accounts/{account}/sessions", tag = "access control",
    params(("account" = String, Path, description = "Account name")),
    responses((status = 200, body = Vec<AccountSessionView>), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    Path(account): Path<String>,
) -> Result<axum::Json<Vec<AccountSessionView>>, AppError> {
    may_manage(&state, &session, &account).await?;
    let sessions = state.store().sessions_of(&account, clock::now().0).await?;
    let views = sessions
        .into_iter()
        .map(|(token_hash, expires_at, last_seen)| AccountSessionView {
            id: session_id(&token_hash),
            expires_at,
            last_seen,
            current: token_hash == session.token_hash,
        })
        .collect();
    Ok(axum::Json(views))
}

/// Ends one session of an account.
#[utoipa::path(delete, path = "/accounts/{account}/sessions/{session}", tag = "access control",
    params(("account" = String, Path, description = "Account name"),
        ("session" = String, Path, description = "Session id, as listed")),
    responses((status = 204), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    Extension(session): Extension<Session>,
    ClientIp(ip): ClientIp,
    Path((account, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    may_manage(&state, &session, &account).await?;
    let sessions = state.store().sessions_of(&account, clock::now().0).await?;
    let Some((token_hash, ..)) = sessions.into_iter().find(|(hash, ..)| session_id(hash) == id) else {
        return Err(AppError::plain(
            ErrorCode::NotFound,
            format!("Session '{id}' of '{account}' was not found."),
        ));
    };
    state.store().delete_session(&token_hash).await?;
    let subject = format!("accounts/{account}/sessions/{id}");
    state
        .record_event(session.actor(ip).record(state.now(), AuditAction::SessionRevoke, subject, None))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_session_id_is_short_stable_and_not_the_token_hash() {
        let hash = crate::auth::hash_token("token");
        let id = super::session_id(&hash);
        assert_eq!(id.len(), 16);
        assert_eq!(id, super::session_id(&hash));
        assert!(!hash.contains(&id));
    }
}
