//! Extractors whose rejections are [`AppError`]s, so malformed JSON, wrong types, a missing
//! content type or an oversized body get the same envelope as every other failure.

use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::AppError;

/// `axum::Json` with the API's error envelope as rejection.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        Ok(Json(value))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with the API's error envelope as rejection.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// The order version a client based its edit on (`If-Match: "<version>"`), if it sent one.
/// `*` means "any version", like no header at all.
pub struct IfMatch(pub Option<u64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        parse_if_match(&parts.headers).map(IfMatch)
    }
}

fn parse_if_match(headers: &HeaderMap) -> Result<Option<u64>, AppError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| invalid_if_match())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    let version = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).ok_or_else(invalid_if_match)?;
    version.parse().map(Some).map_err(|_| invalid_if_match())
}

fn invalid_if_match() -> AppError {
    AppError::bad_request("If-Match must be an entity tag like \"3\", as sent in the order's ETag.")
}

/// The entity tag of an order at `version`.
pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

/// Adds the `ETag` of an order at `version` to a response.
pub fn with_etag(mut response: Response, version: u64) -> Response {
    if let Ok(tag) = HeaderValue::from_str(&etag(version)) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Option<Option<u64>> {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_MATCH, HeaderValue::from_str(value).ok()?);
        parse_if_match(&headers).ok()
    }

    #[test]
    fn if_match_accepts_strong_weak_and_any() {
        assert_eq!(parse("\"7\""), Some(Some(7)));
        assert_eq!(parse("W/\"7\""), Some(Some(7)));
        assert_eq!(parse("*"), Some(None));
        assert_eq!(parse("7"), None);
        assert_eq!(parse("\"x\""), None);
        assert_eq!(parse(&etag(12)), Some(Some(12)));
    }
}
