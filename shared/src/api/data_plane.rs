//! The Key Vault data plane's JSON Web Keys and key operations.

use serde::{Deserialize, Serialize};

use super::VersionAttributes;
use crate::model::KeyType;

/// A key the vault generates itself (the data plane's create).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenerateKeyRequest {
    /// Key name.
    pub name: String,
    /// RSA, RSA-HSM or EC.
    pub key_type: KeyType,
    /// Bits: 2048, 3072 or 4096 for RSA, 256 for EC.
    pub size: u16,
    /// The first version's attributes.
    pub attributes: VersionAttributes,
}

/// An RSA private key as a JSON Web Key (RFC 7518 section 6.3): each number big-endian,
/// base64url without padding.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RsaJsonWebKey {
    /// Modulus.
    pub n: String,
    /// Public exponent.
    pub e: String,
    /// Private exponent.
    pub d: String,
    /// First prime.
    pub p: String,
    /// Second prime.
    pub q: String,
}

impl std::fmt::Debug for RsaJsonWebKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaJsonWebKey").field("n", &self.n).field("e", &self.e).finish_non_exhaustive()
    }
}

/// Import an RSA private key given as a JSON Web Key (the data plane's import, over TLS).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportJsonWebKeyRequest {
    /// RSA or RSA-HSM.
    pub key_type: KeyType,
    /// The private key.
    pub jwk: RsaJsonWebKey,
    /// The version's attributes.
    pub attributes: VersionAttributes,
}

/// Wrap or unwrap bytes with one key version.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyOperationRequest {
    /// The algorithm; Keyblade offers RSA-OAEP-256.
    pub algorithm: String,
    /// The input, base64url without padding.
    pub value: String,
}

/// What a wrap or unwrap gave.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyOperationResult {
    /// The version that did it.
    pub version: String,
    /// The output, base64url without padding.
    pub value: String,
}

impl std::fmt::Debug for KeyOperationResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyOperationResult").field("version", &self.version).finish_non_exhaustive()
    }
}
