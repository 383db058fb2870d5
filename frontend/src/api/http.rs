//! The live implementation: the Keyblade server's REST API under `/api`, with the session cookie.

use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestCredentials, RequestInit, Response};

use super::ApiError;

#[derive(Clone, Default)]
pub struct Http;

impl Http {
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.send::<(), T>("GET", path, None).await
    }
    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        self.send("POST", path, Some(body)).await
    }
    pub async fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        self.send("PUT", path, Some(body)).await
    }
    pub async fn patch<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ApiError> {
        self.send("PATCH", path, Some(body)).await
    }
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.send::<(), T>("DELETE", path, None).await
    }

    async fn send<B: Serialize, T: DeserializeOwned>(&self, method: &str, path: &str, body: Option<&B>) -> Result<T, ApiError> {
        let init = RequestInit::new();
        init.set_method(method);
        init.set_credentials(RequestCredentials::SameOrigin);
        let headers = Headers::new().map_err(js)?;
        headers.set("Accept", "application/json").map_err(js)?;
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
        let text = JsFuture::from(response.text().map_err(js)?).await.map_err(js)?.as_string().unwrap_or_default();
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
        serde_json::from_str(&text).map_err(|e| ApiError::client(format!("Unexpected answer from {path}: {e}")))
    }
}

fn js(value: JsValue) -> ApiError {
    ApiError::client(format!("{value:?}"))
}
