//! All HTTP traffic of the portal goes through here.

use serde::de::DeserializeOwned;
use shared::api::HealthResponse;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCredentials, RequestInit, Response};

/// Why a call to the backend did not produce the expected answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The backend could not be reached at all.
    Unreachable,
    /// It answered with an unexpected status or body.
    Unexpected(String),
}

pub async fn health() -> Result<HealthResponse, ApiError> {
    get("/api/health").await
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_credentials(RequestCredentials::SameOrigin);
    let response = fetch(path, &init).await?;
    if !response.ok() {
        return Err(ApiError::Unexpected(format!("HTTP {}", response.status())));
    }
    let text = JsFuture::from(response.text().map_err(unexpected)?)
        .await
        .map_err(unexpected)?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| ApiError::Unexpected(e.to_string()))
}

async fn fetch(path: &str, init: &RequestInit) -> Result<Response, ApiError> {
    let window = web_sys::window().ok_or(ApiError::Unreachable)?;
    let value = JsFuture::from(window.fetch_with_str_and_init(path, init))
        .await
        .map_err(|_| ApiError::Unreachable)?;
    value.dyn_into().map_err(unexpected)
}

fn unexpected(value: JsValue) -> ApiError {
    ApiError::Unexpected(format!("{value:?}"))
}
