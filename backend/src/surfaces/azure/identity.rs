//! The token endpoints an `azure-identity` credential calls when its authority is Keyblade
//! (`ClientSecretCredential(tenant, client_id, client_secret, authority=...,
//! disable_instance_discovery=True)`): the OpenID configuration, then the client-credentials
//! grant. The client id names a Keyblade identity (a user-assigned identity's client or
//! principal id, or an order's system-assigned principal id); the client secret is a Keyblade
//! API key. The token names that identity, whose access policies then apply.

use std::net::IpAddr;

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
use shared::service::TokenCaller;

use crate::{error::AppError, gateway::Gateway, session::ClientIp};

/// `/{tenant}/v2.0/.well-known/openid-configuration` and `/{tenant}/oauth2/v2.0/token`.
pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/{tenant}/v2.0/.well-known/openid-configuration", get(openid_configuration))
        .route("/{tenant}/oauth2/v2.0/token", post(issue_token))
        .layer(axum::middleware::map_response(crate::api::no_store))
        .with_state(gateway)
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

async fn issue_token(
    State(gateway): State<Gateway>,
    ClientIp(ip): ClientIp,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
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
    match gateway.identity_token(ip, form.client_secret, form.client_id, tenant).await {
        Ok(issued) => Json(json!({
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "ext_expires_in": issued.expires_in,
            "access_token": issued.token.0,
        }))
        .into_response(),
        Err(error) => {
            let (status, diagnosis) = error.status_and_diagnosis();
            let (status, code) = match status {
                StatusCode::TOO_MANY_REQUESTS => (status, "temporarily_unavailable"),
                _ => (StatusCode::UNAUTHORIZED, "invalid_client"),
            };
            oauth_error(status, code, &diagnosis.message)
        }
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "error_description": description}))).into_response()
}

/// The identity a request's bearer token names; `None` without a valid one.
pub async fn bearer_identity(
    gateway: &Gateway,
    ip: IpAddr,
    headers: &HeaderMap,
) -> Result<Option<TokenCaller>, AppError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    match token {
        Some(token) => gateway.identity_token_caller(ip, token).await,
        None => Ok(None),
    }
}
