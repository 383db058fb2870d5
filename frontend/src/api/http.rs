//! The live transport: the Keyblade server's API under `/api`, with the session cookie. A
//! request goes out as its endpoint's route says ([`shared::service::request_parts`]).

use serde::{Serialize, de::DeserializeOwned};
use shared::{
    api::{AdvanceClockRequest, ClockView, SignInRequest},
    service::{Endpoint, percent_encode, request_parts},
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestCredentials, RequestInit, Response};

use super::{ApiError, User};

#[derive(Clone, Default)]
pub struct Http;

impl Http {
    /// One endpoint of the API.
    pub async fn call<E: Endpoint>(&self, request: E) -> Result<E::Answer, ApiError> {
        let parts = request_parts(&request).map_err(ApiError::client)?;
        let if_match = parts.if_match.map(|v| format!("\"{v}\""));
        let path = format!("/api{}", parts.path);
        self.send(parts.method.as_str(), &path, parts.body.as_ref(), if_match.as_deref()).await
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.send::<(), T>("GET", path, None, None).await
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Result<User, ApiError> {
        let body = SignInRequest { username: username.into(), password: password.into() };
        self.send("POST", "/api/session", Some(&body), None).await
    }

    pub async fn sign_out(&self) -> Result<(), ApiError> {
        self.send::<(), serde_json::Value>("DELETE", "/api/session", None, None).await.map(drop)
    }

    pub async fn revoke_session(&self, account: &str, id: &str) -> Result<(), ApiError> {
        let path = format!("/api/accounts/{}/sessions/{}", percent_encode(account), percent_encode(id));
        self.send::<(), serde_json::Value>("DELETE", &path, None, None).await.map(drop)
    }

    pub async fn advance_clock(&self, seconds: i64) -> Result<ClockView, ApiError> {
        let body = AdvanceClockRequest { advance_seconds: seconds };
        self.send("POST", "/api/clock", Some(&body), None).await
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
        if_match: Option<&str>,
    ) -> Result<T, ApiError> {
        let init = RequestInit::new();
        init.set_method(method);
        init.set_credentials(RequestCredentials::SameOrigin);
        let headers = Headers::new().map_err(js)?;
        headers.set("Accept", "application/json").map_err(js)?;
        // Marks the request as the portal's own (the server refuses changes without it or JSON).
        headers.set("X-Keyblade-Request", "portal").map_err(js)?;
        if let Some(tag) = if_match {
            headers.set("If-Match", tag).map_err(js)?;
        }
        if let Some(body) = body {
            headers.set("Content-Type", "application/json").map_err(js)?;
            let text = serde_json::to_string(body).map_err(|e| ApiError::client(e.to_string()))?;
            init.set_body(&JsValue::from_str(&text));
        }
        init.set_headers(&headers);
        let window = web_sys::window().ok_or_else(ApiError::unreachable)?;
        let response: Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
            .await
            .map_err(|_| ApiError::unreachable())?
            .dyn_into()
            .map_err(js)?;
        let status = response.status();
        let text =
            JsFuture::from(response.text().map_err(js)?).await.map_err(js)?.as_string().unwrap_or_default();
        if !response.ok() {
            // The server answers every failure with the JSON envelope; anything else (a static
            // file server's 404 page, a proxy's 502) means no Keyblade server is behind /api.
            if !ApiError::is_envelope(&text) {
                return Err(ApiError::unreachable());
            }
            let error = ApiError::from_envelope(status, &text);
            if error.is_unauthorized() {
                super::notify_unauthorized();
            }
            return Err(error);
        }
        let text = if text.trim().is_empty() { "null".to_string() } else { text };
        serde_json::from_str(&text)
            .map_err(|e| ApiError::client(format!("Unexpected answer from {path}: {e}")))
    }
}

fn js(value: JsValue) -> ApiError {
    ApiError::client(format!("{value:?}"))
}
