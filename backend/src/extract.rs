//! Request pieces read outside the service layer's generic handler: a JSON extractor whose
//! rejection is the API's envelope (sign-in, the clock), and the `If-Match` / `ETag` format.

use axum::{
    extract::{FromRequest, Request},
    http::{HeaderMap, header},
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

/// The order version a client based its edit on (`If-Match: "<version>"`), if it sent one.
/// `*` means "any version", like no header at all.
pub fn parse_if_match(headers: &HeaderMap) -> Result<Option<u64>, AppError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| invalid_if_match())?.trim();
    // An empty header (after trimming) says nothing, like no header; `*` means any version.
    if text.is_empty() || text == "*" {
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

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

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
