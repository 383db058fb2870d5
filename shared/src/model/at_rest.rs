//! Encryption at rest: the master keys that seal every secret, and external key providers.

use serde::{Deserialize, Serialize};

use crate::crypto::Sealed;
use crate::time::Timestamp;

/// How a master key is kept (Element's `keyManagementType`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum KeyManagement {
    /// Kept by Keyblade, sealed under the instance's root key.
    Internal,
    /// Kept wrapped by an external key provider, which must be reachable to open it.
    External,
}

/// Where a master key is in its life.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MasterKeyState {
    /// Seals new secrets.
    Active,
    /// Replaced by a rekey in progress: still opens what it sealed until that is rewrapped.
    Retiring,
    /// Nothing uses it any more; its material is destroyed.
    Decommissioned,
}

/// A master key: what seals every secret at rest. Its material is never stored in plaintext.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MasterKeyRecord {
    /// Id (a UUID, as Element reports `keyID`).
    pub id: String,
    /// How it is kept.
    pub management: KeyManagement,
    /// The key provider keeping it (External only).
    pub provider: Option<u32>,
    /// Created.
    pub created: Timestamp,
    /// Where it is in its life.
    pub state: MasterKeyState,
    /// When it was decommissioned.
    pub decommissioned: Option<Timestamp>,
    /// The key, wrapped; `None` once decommissioned.
    pub wrapped: Option<WrappedMasterKey>,
}

/// A master key as stored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum WrappedMasterKey {
    /// Sealed under the instance's root key (Internal).
    Root {
        /// The sealed key.
        sealed: Sealed,
    },
    /// Wrapped by the key provider's root key (External); only the provider can unwrap it.
    Provider {
        /// The provider's ciphertext, as it returned it.
        ciphertext: String,
    },
}

/// A Key Protect-compatible service that keeps a master key wrapped under one of its root keys.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct KeyProvider {
    /// Id (Element's `keyProviderID`).
    pub id: u32,
    /// Name, unique.
    pub name: String,
    /// Base URL of the service (its `/api/v2` and `/identity/token` are under it).
    pub url: String,
    /// The service instance (sent as `Bluemix-Instance`).
    pub instance: String,
    /// The root key that wraps the master key.
    pub root_key_id: String,
    /// The API key Keyblade signs in with, sealed under the root key: the provider must be
    /// reachable before any master key can be opened.
    pub api_key: Sealed,
    /// Created.
    pub created: Timestamp,
}
