//! API keys.

use serde::{Deserialize, Serialize};

use crate::model::ApiKey;
use crate::time::Timestamp;

/// Create an API key.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateApiKeyRequest {
    /// What it is for: 1-64 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "\\S"))]
    pub name: String,
    /// Issue it as the client secret of this identity (its client or principal id): its tokens
    /// then name that identity only, and the identity's roles and access policies apply. Without
    /// it the key is a service principal of its own, with `role` at `scope`.
    #[serde(default)]
    pub identity: Option<String>,
    /// The key's role (default Key Administrator), when it is its own principal.
    #[serde(default)]
    pub role: Option<String>,
    /// Where the role applies (default `/`, the instance).
    #[serde(default)]
    pub scope: Option<String>,
}

/// An API key as listed (never its secret).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Created.
    pub created: Timestamp,
    /// Revoked at.
    pub revoked: Option<Timestamp>,
    /// The principal its tokens name: `apikey:<id>`, or `identity:<principal id>` for an
    /// identity's client secret.
    pub principal: String,
}

impl ApiKeyView {
    /// The listed view of a key.
    pub fn of(key: &ApiKey) -> ApiKeyView {
        ApiKeyView {
            id: key.id.clone(),
            name: key.name.clone(),
            created: key.created,
            revoked: key.revoked,
            principal: key.principal().to_string(),
        }
    }
}

/// A new API key with its secret, shown this once.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    /// The key.
    pub key: ApiKeyView,
    /// The secret to exchange for access tokens; Keyblade keeps only a hash of it.
    pub secret: String,
}
