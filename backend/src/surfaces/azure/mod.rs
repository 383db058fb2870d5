//! The cloud SDKs' surfaces: the Key Vault keys data plane (`azure-keyvault-keys`), Data Box
//! jobs under the management API (`azure-mgmt-databox`), and the token endpoints their
//! credential classes call (`azure-identity`'s `ClientSecretCredential`).
//!
//! Each vault's data plane answers at the root of its own origin, `https://127.0.0.N:port`, N
//! being the vault's address ([`shared::model::vault_addresses`]): the SDK builds key ids from
//! the origin it called, and they must read `https://host[:port]/keys/{name}/{version}`. The
//! portal, the management API and the token endpoints answer at 127.0.0.1 (or any other host).
//!
//! Nothing here holds a rule: each request becomes an endpoint of `shared::service`, run as the
//! identity the bearer token names, and the answer is worded the way the cloud words it.

mod data_box;
mod identity;
mod key_vault;

use std::net::Ipv4Addr;

use axum::{
    Json, Router,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;
use tower::ServiceExt;

use crate::{error::AppError, gateway::Gateway};

pub use identity::router as token_router;

/// The routers a request can be handed to before the portal's own routes see it.
#[derive(Clone)]
pub struct Surfaces {
    key_vault: Router,
    data_box: Router,
}

impl Surfaces {
    pub fn new(gateway: Gateway) -> Surfaces {
        Surfaces { key_vault: key_vault::router(gateway.clone()), data_box: data_box::router(gateway) }
    }
}

/// Middleware: a request for a vault's address goes to the Key Vault data plane, one under
/// `/subscriptions/` (in any case, as the cloud matches it) to the management API; the rest
/// go on to the portal.
pub async fn route(State(surfaces): State<Surfaces>, request: Request, next: Next) -> Response {
    if vault_address(request.headers()).is_some() {
        return answer(surfaces.key_vault.oneshot(request).await);
    }
    let path = request.uri().path();
    if path.get(..15).is_some_and(|p| p.eq_ignore_ascii_case("/subscriptions/")) {
        return answer(surfaces.data_box.oneshot(request).await);
    }
    next.run(request).await
}

fn answer(result: Result<Response, std::convert::Infallible>) -> Response {
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The vault address a request was sent to: the host of `Host` is 127.0.0.N with N one of
/// [`shared::model::VAULT_ADDRESSES`].
pub fn vault_address(headers: &HeaderMap) -> Option<u8> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let host = host.rsplit_once(':').map_or(host, |(host, _)| host);
    let [127, 0, 0, n] = host.parse::<Ipv4Addr>().ok()?.octets() else {
        return None;
    };
    shared::model::VAULT_ADDRESSES.contains(&n).then_some(n)
}

/// `https://host[:port]` as the client called it: the origin of the ids Keyblade hands back.
fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("https://{host}")
}

/// The token endpoints' origin as seen from a vault's address: the same port on 127.0.0.1.
fn authority_origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    match host.rsplit_once(':') {
        Some((_, port)) => format!("https://127.0.0.1:{port}"),
        None => "https://127.0.0.1".to_owned(),
    }
}

/// A failure in the envelope Key Vault and the management API share:
/// `{"error": {"code", "message"}}`, the code being the catalog's wire name.
pub(super) struct CloudError {
    status: StatusCode,
    code: String,
    message: String,
}

impl CloudError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> CloudError {
        CloudError { status, code: code.to_owned(), message: message.into() }
    }
}

impl From<AppError> for CloudError {
    fn from(error: AppError) -> Self {
        let (status, diagnosis) = error.status_and_diagnosis();
        let code = serde_json::to_value(diagnosis.code).ok().and_then(|v| v.as_str().map(str::to_owned));
        CloudError { status, code: code.unwrap_or_default(), message: diagnosis.message }
    }
}

impl IntoResponse for CloudError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED
            && !response.headers().contains_key(header::WWW_AUTHENTICATE)
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
        }
        response
    }
}

/// Runs a surface's handler and words its failure in the shared envelope.
async fn answered(served: impl Future<Output = Result<Response, CloudError>>) -> Response {
    served.await.unwrap_or_else(IntoResponse::into_response)
}
