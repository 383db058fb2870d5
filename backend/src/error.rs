//! The one error type of the API. Every failure — an engine rule, a bad request, a missing
//! session, an unknown route, a bug — leaves the server as the same JSON envelope:
//! `{"error":{"code","message","recoverable","remediation","fix"}}`.

use axum::{
    Json,
    extract::rejection::{JsonRejection, PathRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use shared::{
    api::ErrorEnvelope,
    catalog::{Diagnosis, ErrorCode, Failure},
    model::{Timestamp, World},
};

use crate::store::StoreError;

#[derive(Debug)]
pub enum AppError {
    /// A diagnosed failure: an engine failure (diagnosed against the state it happened in) or
    /// one that concerns no order. Sent with the code's status.
    Engine(Box<Diagnosis>),
    /// The request itself is unusable (syntax, types, size, media type, method, route); sent
    /// with the status the HTTP layer chose and the matching transport code.
    Request { status: StatusCode, message: String },
    /// Too many failed sign-ins; try again after this many seconds.
    TooManyRequests { retry_after: u64 },
    /// A bug or an infrastructure failure. Details are logged, never sent.
    Internal,
}

impl AppError {
    /// Diagnoses an engine failure in the world it happened in, so recoverability and the fix
    /// reflect the current state.
    pub fn engine(failure: Failure, world: &World, now: Timestamp) -> Self {
        Self::Engine(Box::new(failure.diagnose(world, now)))
    }

    /// A failure that concerns no order (input errors, unknown ids, sign-in).
    pub fn plain(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Engine(Box::new(Diagnosis::plain(code, message)))
    }

    pub fn unauthorized() -> Self {
        Self::plain(ErrorCode::Unauthorized, "Sign in to use the API.")
    }

    pub fn not_found(what: &str) -> Self {
        Self::Engine(shared::queries::not_found(what))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::plain(ErrorCode::Conflict, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::plain(ErrorCode::InvalidRequest, message)
    }

    /// Logs the cause (which must not contain secrets) and hides it from the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "request failed");
        Self::Internal
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Engine(diagnosis) => {
                let status = StatusCode::from_u16(diagnosis.code.status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                envelope(status, *diagnosis)
            }
            AppError::Request { status, message } => {
                let code = ErrorCode::for_status(status.as_u16());
                envelope(status, Diagnosis::plain(code, message))
            }
            AppError::TooManyRequests { retry_after } => {
                let message = format!("Too many failed sign-ins. Try again in {retry_after} seconds.");
                let mut response = AppError::plain(ErrorCode::TooManyRequests, message).into_response();
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                response
            }
            AppError::Internal => {
                AppError::plain(ErrorCode::GenericError, "The server failed to handle the request.")
                    .into_response()
            }
        }
    }
}

/// `{"error": Diagnosis}`, the body of every failure.
fn envelope(status: StatusCode, error: Diagnosis) -> Response {
    (status, Json(ErrorEnvelope { error })).into_response()
}

/// The answer of a [`shared::queries`] read (e.g. a vault that is not live).
impl From<Box<Diagnosis>> for AppError {
    fn from(diagnosis: Box<Diagnosis>) -> Self {
        Self::Engine(diagnosis)
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        AppError::Request { status: rejection.status(), message: rejection.body_text() }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::Request { status: rejection.status(), message: rejection.body_text() }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => {
                AppError::conflict("Someone else changed this data at the same time. Reload and try again.")
            }
            other => AppError::internal(other),
        }
    }
}
