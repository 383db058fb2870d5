//! The token endpoints an `azure-identity` credential calls when its authority is Keyblade
//! (`ClientSecretCredential(tenant, client_id, client_secret, authority=...,
//! disable_instance_discovery=True)`): the OpenID configuration, then the client-credentials
//! grant. The client id names a Keyblade identity (a user-assigned identity's client or
//! principal id, or an order's system-assigned principal id); the client secret is a Keyblade
//! API key. The token names that identity, whose access policies then apply.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::json;
use shared::ops::{self, TokenIdentity};

use crate::{AppState, error::AppError};

/// `/{tenant}/v2.0/.well-known/openid-configuration` and `/{tenant}/oauth2/v2.0/token`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/{tenant}/v2.0/.well-known/openid-configuration", get(openid_configuration))
        .route("/{tenant}/oauth2/v2.0/token", post(issue_token))
        .layer(axum::middleware::map_response(crate::api::no_store))
        .with_state(state)
}

async fn openid_configuration(headers: HeaderMap, Path(tenant): Path<String>) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let base = format!("https://{host}/{tenant}");
    Json(json!({
        "issuer": format!("{base}/v2.0"),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "grant_types_supported": ["client_credentials"],
    }))
    .into_response()
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: String,
    client_id: String,
    client_secret: String,
}

async fn issue_token(State(state): State<AppState>, Path(tenant): Path<String>, body: Bytes) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<TokenRequest>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Send grant_type, client_id and client_secret, form-encoded.",
        );
    };
    if form.grant_type != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Only client_credentials is supported.",
        );
    }
    let snapshot = match state.store().load().await {
        Ok(snapshot) => snapshot,
        Err(error) => return AppError::from(error).into_response(),
    };
    let minted = state.compute(
        move |world, ctx| {
            ops::mint_identity_token(
                world,
                ctx.master,
                &form.client_secret,
                &form.client_id,
                &tenant,
                ctx.now,
            )
        },
        snapshot.world,
    );
    match minted.await {
        Ok(token) => Json(json!({
            "token_type": "Bearer",
            "expires_in": ops::TOKEN_SECONDS,
            "ext_expires_in": ops::TOKEN_SECONDS,
            "access_token": token,
        }))
        .into_response(),
        Err(error) => {
            let (_, diagnosis) = error.status_and_diagnosis();
            oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &diagnosis.message)
        }
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

/// The identity a request's bearer token names; `None` without a valid one.
pub async fn bearer_identity(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<TokenIdentity>, AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    let Some(token) = token else {
        return Ok(None);
    };
    let snapshot = state.store().load().await?;
    let verified = state
        .compute(
            move |world, ctx| Ok(ops::verify_identity_token(world, ctx.master, &token, ctx.now).ok()),
            snapshot.world,
        )
        .await?;
    Ok(verified)
}
