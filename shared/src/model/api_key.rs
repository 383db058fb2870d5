//! API keys: the credentials scripts trade for tokens.

use serde::{Deserialize, Serialize};

use super::Principal;
use crate::time::Timestamp;

/// A credential scripts exchange for access tokens (an IAM API key in Key Protect terms).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ApiKey {
    /// Id (hex).
    pub id: String,
    /// What it is for.
    pub name: String,
    /// SHA-256 of the secret, hex: the secret is shown once, when created, and never stored.
    pub secret_sha256: String,
    /// Created.
    pub created: Timestamp,
    /// Revoked: it no longer gets tokens, and its tokens no longer work.
    pub revoked: Option<Timestamp>,
    /// The identity (principal id) it is the client secret of; `None`: it is a service
    /// principal of its own.
    #[serde(default)]
    pub identity: Option<String>,
}

impl ApiKey {
    /// The one principal its tokens may name.
    pub fn principal(&self) -> Principal {
        match &self.identity {
            Some(principal_id) => Principal::Identity(principal_id.clone()),
            None => Principal::ApiKey(self.id.clone()),
        }
    }
}
