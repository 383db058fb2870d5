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
    crypto::MasterKey,
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
    pub fn engine(failure: Failure, world: &World, now: Timestamp, master: &MasterKey) -> Self {
        Self::Engine(Box::new(failure.diagnose(world, now, master)))
    }

    /// The code the client gets (what the audit trail records for a failed request).
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Engine(diagnosis) => diagnosis.code,
            AppError::Request { status, .. } => code_for_status(status.as_u16()),
            AppError::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            AppError::Internal => ErrorCode::GenericError,
        }
    }

    /// A failure that concerns no order (input errors, unknown ids, sign-in).
    pub fn plain(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Engine(Box::new(Diagnosis::plain(code, message)))
    }

    pub fn unauthorized() -> Self {
        Self::plain(ErrorCode::Unauthorized, "Sign in to use the API.")
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

impl AppError {
    /// The status and the diagnosis a client is told (the Key Protect API words them its way).
    pub fn status_and_diagnosis(self) -> (StatusCode, Diagnosis) {
        match self {
            AppError::Engine(diagnosis) => {
                let status = StatusCode::from_u16(status_of(diagnosis.code))
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                (status, *diagnosis)
            }
            AppError::Request { status, message } => {
                (status, Diagnosis::plain(code_for_status(status.as_u16()), message))
            }
            AppError::TooManyRequests { retry_after } => {
                let message = format!("Too many failed sign-ins. Try again in {retry_after} seconds.");
                (StatusCode::TOO_MANY_REQUESTS, Diagnosis::plain(ErrorCode::TooManyRequests, message))
            }
            AppError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Diagnosis::plain(ErrorCode::GenericError, "The server failed to handle the request."),
            ),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        };
        let (status, diagnosis) = self.status_and_diagnosis();
        let mut response = envelope(status, diagnosis);
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// `{"error": Diagnosis}`, the body of every failure.
fn envelope(status: StatusCode, error: Diagnosis) -> Response {
    (status, Json(ErrorEnvelope { error })).into_response()
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

/// The HTTP status of an error code. The engine names codes; which status carries each is the
/// server's business.
pub fn status_of(code: ErrorCode) -> u16 {
    use ErrorCode::*;
    match code {
        InvalidVaultName | InvalidKeyName | InvalidRetention | InvalidName | InvalidDate => 400,
        InvalidRequest => 400,
        Unauthorized => 401,
        Forbidden | AccessDenied => 403,
        NotFound => 404,
        // Access control: a name to correct is the caller's input; a state that forbids it is a conflict.
        UnknownRole | InvalidScope | PrincipalNotFound | WeakPassword | DatesOutOfOrder => 422,
        RoleAssignmentExists | LastOwner | AccountExists => 409,
        MethodNotAllowed => 405,
        Timeout => 408,
        PayloadTooLarge => 413,
        UnsupportedMediaType => 415,
        TooManyRequests => 429,
        VaultNameTaken | KeyNameTaken | Conflict | PurgeProtected | NotRecoverable => 409,
        PurgeProtectionCannotBeDisabled | UserAssignedLimitReached => 409,
        SoftDeleteCannotBeDisabled | RetentionCannotBeShortened => 409,
        GenericError => 500,
        EncryptionKeyDisabled | EncryptionKeyExpired | KeyDetailsNotFound | KeyVaultBadRequestException => {
            422
        }
        KeyVaultDetailsNotFound | SystemAssignedIdentityAbsent | CrossTenantIdentityAccessForbidden => 422,
        KekUserIdentityNotFound | UserAssignedIdentityAbsent | EncryptionKeyTypeNotSupported => 422,
        SoftDeleteAndPurgeProtectionNotEnabled | InvalidKeyTransfer => 422,
        // A key URL is any text to the schema; whether it names a key vault is the catalog's rule.
        InvalidKeyVaultUrl | KeyVaultUrlWithInvalidScheme | KeyVaultUrlInvalidHost => 422,
        // Each field is valid on its own; the combination (an EC key of 2048 bits) is not.
        InvalidKeySize | FixNotApplicable => 422,
        // Any base64 fits the schema; whether this key wrapped it, or can wrap that much, does not.
        InvalidDataKey | InvalidCiphertext => 422,
        // The request is sound; the state of the device or the rollover does not allow it yet.
        DeviceOffline | RolloverInProgress | ReauthorizationTooSoon | DeviceNotAuthorized => 409,
        RolloverAuthorizationExpired | ManagementBlockedDuringRollover | DeviceKeyOutdated => 409,
        ServiceKeyMismatch => 422,
        // Rotation: rules of the key's state are conflicts, unusable material or intervals are not.
        RotationTooSoon | PolicyOnImportedKey | KeyHasRegistrations => 409,
        RotationMaterialRequired | InvalidKeyMaterial | VersionDecryptOnly => 422,
        InvalidRotationInterval => 400,
        // Rekey: the parameters are the caller's to fix; the rest is the state of things.
        InvalidKeyManagement => 422,
        RekeyInProgress | KeyProviderInUse => 409,
        KeyProviderNotFound => 422,
        // Failed Dependency: the request is sound, the key provider it relies on did not do its part.
        KeyProviderUnreachable => 424,
        MasterKeyUnavailable => 503,
        // Secret rotation: a run that may not start now is a conflict; a share or credential to
        // correct is not.
        SecretRotationInProgress | ReRunWithoutFailedRotation | ReRunRequired | StampUpdateRequired => 409,
        InvalidSecretRotationParameters
        | CertificateShareLayoutInvalid
        | CertificateEndpointMissing
        | CertificatePasswordInvalid
        | CertificateNameMismatch
        | CertificateExpired
        | CertificateKeyTooShort
        | CertificateAuthorityChangeNotSupported
        | CertificateKeyMismatch
        | InvalidBmcCredential => 422,
    }
}

/// The code for a failure the HTTP layer detected before any engine rule ran (an unknown route,
/// a body that is not JSON...), from the status it was answered with. The inverse of
/// [`status_of`] for these codes; any other client error is `InvalidRequest`.
pub fn code_for_status(status: u16) -> ErrorCode {
    use ErrorCode::*;
    match status {
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        408 => Timeout,
        409 => Conflict,
        413 => PayloadTooLarge,
        415 => UnsupportedMediaType,
        429 => TooManyRequests,
        500.. => GenericError,
        _ => InvalidRequest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transport_codes_round_trip_through_their_status() {
        use ErrorCode::*;
        for code in [
            InvalidRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            MethodNotAllowed,
            Timeout,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            TooManyRequests,
            GenericError,
        ] {
            assert_eq!(code_for_status(status_of(code)), code);
            assert!(!code.details().is_empty() && !code.remediation().is_empty());
        }
        assert_eq!(code_for_status(422), InvalidRequest);
        assert_eq!(status_of(KeyVaultUrlWithInvalidScheme), 422);
        assert_eq!(status_of(EncryptionKeyDisabled), 422);
    }
}
