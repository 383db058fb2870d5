//! The one error type of the API. Every failure — an engine rule, a bad request, a missing
//! session, an unknown route, a bug — leaves the server as the same JSON envelope:
//! `{"error":{"code","message","recoverable","remediation","fix"}}`.

use axum::{
    Json,
    extract::rejection::{JsonRejection, PathRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use shared::{
    catalog::{Diagnosis, ErrorCode, Failure, FixAction},
    model::{Timestamp, World},
};

use crate::store::StoreError;

#[derive(Debug)]
pub enum AppError {
    /// An engine failure, already diagnosed against the state it happened in.
    Engine(Box<Diagnosis>),
    /// The request itself is unusable (syntax, types, size, media type, method, route).
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
        Self::engine(
            Failure::new(code, message),
            &World::default(),
            Timestamp::default(),
        )
    }

    pub fn unauthorized() -> Self {
        Self::plain(ErrorCode::Unauthorized, "Sign in to use the API.")
    }

    pub fn not_found(what: &str) -> Self {
        Self::plain(ErrorCode::NotFound, format!("{what} was not found."))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::plain(ErrorCode::Conflict, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::Request {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// Logs the cause (which must not contain secrets) and hides it from the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "request failed");
        Self::Internal
    }
}

/// The envelope's body. Engine codes serialise as the catalog spells them; transport-level
/// failures use codes of their own (see [`transport_code`]).
#[derive(Serialize)]
struct ErrorBody<C: Serialize> {
    code: C,
    message: String,
    recoverable: bool,
    remediation: Vec<String>,
    fix: Option<FixAction>,
}

#[derive(Serialize)]
struct Envelope<C: Serialize> {
    error: ErrorBody<C>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Engine(diagnosis) => {
                let status = StatusCode::from_u16(diagnosis.code.status())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let Diagnosis {
                    code,
                    message,
                    recoverable,
                    remediation,
                    fix,
                } = *diagnosis;
                envelope(
                    status,
                    ErrorBody {
                        code,
                        message,
                        recoverable,
                        remediation,
                        fix,
                    },
                )
            }
            AppError::Request { status, message } => transport(status, message, Vec::new()),
            AppError::TooManyRequests { retry_after } => {
                let message =
                    format!("Too many failed sign-ins. Try again in {retry_after} seconds.");
                let steps = vec!["Wait, then sign in again with the right password.".to_owned()];
                let mut response = transport(StatusCode::TOO_MANY_REQUESTS, message, steps);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                response
            }
            AppError::Internal => {
                let failure = Failure::new(
                    ErrorCode::GenericError,
                    "The server failed to handle the request.",
                );
                AppError::engine(failure, &World::default(), Timestamp::default()).into_response()
            }
        }
    }
}

fn transport(status: StatusCode, message: String, remediation: Vec<String>) -> Response {
    let body = ErrorBody {
        code: transport_code(status),
        message,
        recoverable: true,
        remediation,
        fix: None,
    };
    envelope(status, body)
}

fn envelope<C: Serialize>(status: StatusCode, error: ErrorBody<C>) -> Response {
    (status, Json(Envelope { error })).into_response()
}

/// Codes for failures that happen before any engine rule runs.
pub fn transport_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "Unauthorized",
        StatusCode::NOT_FOUND => "NotFound",
        StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowed",
        StatusCode::REQUEST_TIMEOUT => "Timeout",
        StatusCode::CONFLICT => "Conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLarge",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
        StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
        status if status.is_server_error() => "Generic error",
        _ => "InvalidRequest",
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        AppError::Request {
            status: rejection.status(),
            message: rejection.body_text(),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::Request {
            status: rejection.status(),
            message: rejection.body_text(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => AppError::conflict(
                "Someone else changed this data at the same time. Reload and try again.",
            ),
            other => AppError::internal(other),
        }
    }
}
