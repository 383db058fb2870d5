//! Sign-in, sessions, health and the error envelope.

use serde::{Deserialize, Serialize};

use crate::catalog::Diagnosis;

/// Sign-in form.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInRequest {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Who is signed in, and until when: the answer of `POST` and `GET /api/session`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// User name.
    pub username: String,
    /// End of the session, seconds since the Unix epoch.
    pub expires_at: i64,
}

/// A session of an account, as its owner or an Owner sees it (never its token).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSessionView {
    /// Its id: derived from the token's hash, useless for signing in.
    pub id: String,
    /// End of the session, seconds since the Unix epoch.
    pub expires_at: i64,
    /// Last use, seconds since the Unix epoch (to the minute).
    pub last_seen: i64,
    /// Whether it is the session asking.
    pub current: bool,
}

/// `PUT /api/accounts/{account}/password`.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetPasswordRequest {
    /// The new password, at least 12 characters.
    pub password: String,
    /// The account's current password: required when changing one's own password.
    #[serde(default)]
    pub current_password: Option<String>,
}

impl std::fmt::Debug for SetPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetPasswordRequest").finish_non_exhaustive()
    }
}

/// `GET /api/health`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthResponse {
    /// "ok".
    pub status: String,
    /// Crate version.
    pub version: String,
    /// Whether clients may move this server's clock (`--test-clock`): retention periods and
    /// purge protection can then end early, so such a server must not hold data that matters.
    #[serde(default)]
    pub test_clock: bool,
}

/// The error body of every failed request.
pub type ErrorBody = Diagnosis;

/// `{"error": ErrorBody}`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    /// The error.
    pub error: ErrorBody,
}
