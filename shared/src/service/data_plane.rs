//! The key vault data plane: the operations only the data plane offers. An identity reaches
//! these and the key endpoints with a token; each route names the access-policy permission it
//! needs on a vault that uses access policies (see [`crate::access::authorize`]). These are not mounted under `/api`: the server's Key Vault
//! surface maps the cloud SDKs' requests onto them, so their paths only name them in the audit
//! trail.

use serde::{Deserialize, Serialize};

use super::{Endpoint, Outcome, Route};
use crate::api::{
    GenerateKeyRequest, ImportJsonWebKeyRequest, KeyOperationRequest, KeyOperationResult, KeyView,
};
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::{Action, KeyPermission, Scope, World};
use crate::ops::{self, Ctx};
use crate::queries;

const TAG: &str = "data plane";

/// A key the vault generates.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GenerateKey {
    /// Vault name.
    pub vault: String,
    /// Name, type, size and attributes.
    pub body: GenerateKeyRequest,
}

impl Endpoint for GenerateKey {
    type Body = GenerateKeyRequest;
    type Answer = KeyView;
    const ROUTE: Route =
        Route::post("/vaults/{vault}/keys/generate", TAG, "Creates a key the vault generates.")
            .created()
            .failing(&[NotFound, InvalidKeyName, KeyNameTaken, InvalidKeySize, InvalidDate, DatesOutOfOrder])
            .audited(AuditAction::KeyCreate)
            .key_permission(KeyPermission::Create);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyView>, Failure> {
        let (next, _) = ops::generate_key(world, ctx, &self.vault, &self.body)?;
        Outcome::changed(next, |w| queries::key_view(w, &self.vault, &self.body.name, ctx.now))
    }
}

/// A key imported as a JSON Web Key.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ImportJsonWebKey {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
    /// The private key and its attributes.
    pub body: ImportJsonWebKeyRequest,
}

impl Endpoint for ImportJsonWebKey {
    type Body = ImportJsonWebKeyRequest;
    type Answer = KeyView;
    const ROUTE: Route =
        Route::put("/vaults/{vault}/keys/{key}/jwk", TAG, "Imports an RSA key given as a JSON Web Key.")
            .failing(&[
                NotFound,
                InvalidKeyName,
                KeyNameTaken,
                InvalidKeySize,
                InvalidKeyMaterial,
                InvalidDate,
                DatesOutOfOrder,
            ])
            .audited(AuditAction::KeyCreate)
            .key_permission(KeyPermission::Create);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyView>, Failure> {
        let (next, _) = ops::import_json_web_key(world, ctx, &self.vault, &self.key, &self.body)?;
        Outcome::changed(next, |w| queries::key_view(w, &self.vault, &self.key, ctx.now))
    }
}

/// Wrap with one version (empty: the current one).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct WrapWithVersion {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
    /// Version id, or empty.
    pub version: String,
    /// Algorithm and value.
    pub body: KeyOperationRequest,
}

impl Endpoint for WrapWithVersion {
    type Body = KeyOperationRequest;
    type Answer = KeyOperationResult;
    const ROUTE: Route = Route::post(
        "/vaults/{vault}/keys/{key}/versions/{version}/wrap",
        TAG,
        "Wraps a value with one key version.",
    )
    .failing(&[NotFound, InvalidRequest, EncryptionKeyDisabled, EncryptionKeyExpired, VersionDecryptOnly])
    .key_permission(KeyPermission::WrapKey)
    .requires(Action::Use)
    .audited(AuditAction::KeyWrap);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyOperationResult>, Failure> {
        let wrapped = ops::wrap_with_version(world, ctx, &self.vault, &self.key, &self.version, &self.body)?;
        Ok(Outcome::read(wrapped))
    }
    fn audit_detail(answer: &Self::Answer) -> Option<String> {
        Some(format!("version {}", answer.version))
    }
    /// The key it uses, without serialising the request (wraps and unwraps are the hot path).
    fn scope(&self, _world: &World) -> Scope {
        Scope::Key(self.vault.clone(), self.key.clone())
    }
}

/// Unwrap with one version (empty: the current one).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UnwrapWithVersion {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
    /// Version id, or empty.
    pub version: String,
    /// Algorithm and value.
    pub body: KeyOperationRequest,
}

impl Endpoint for UnwrapWithVersion {
    type Body = KeyOperationRequest;
    type Answer = KeyOperationResult;
    const ROUTE: Route = Route::post(
        "/vaults/{vault}/keys/{key}/versions/{version}/unwrap",
        TAG,
        "Unwraps a value with one key version.",
    )
    .failing(&[NotFound, InvalidRequest, InvalidCiphertext, EncryptionKeyDisabled, EncryptionKeyExpired])
    .key_permission(KeyPermission::UnwrapKey)
    .requires(Action::Use)
    .audited(AuditAction::KeyUnwrap);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyOperationResult>, Failure> {
        let unwrapped =
            ops::unwrap_with_version(world, ctx, &self.vault, &self.key, &self.version, &self.body)?;
        Ok(Outcome::read(unwrapped))
    }
    fn audit_detail(answer: &Self::Answer) -> Option<String> {
        Some(format!("version {}", answer.version))
    }
    /// The key it uses, without serialising the request (wraps and unwraps are the hot path).
    fn scope(&self, _world: &World) -> Scope {
        Scope::Key(self.vault.clone(), self.key.clone())
    }
}

/// The attributes a data-plane update names; the others keep their values.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionPatch {
    /// Enabled, when given.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Activation date, when given.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub nbf: Option<crate::model::Timestamp>,
    /// Expiration date, when given.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub exp: Option<crate::model::Timestamp>,
}

/// A key and one of its versions, after a change to that version.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatchedVersion {
    pub key: KeyView,
    pub version: crate::api::KeyVersionView,
}

/// `PATCH /keys/{key}/{version}` of the data plane: the version named (the current one when
/// `version` is empty) gets the attributes given and keeps the others.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct PatchVersion {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
    /// Version id; empty: the current version.
    pub version: String,
    pub body: VersionPatch,
}

impl Endpoint for PatchVersion {
    type Body = VersionPatch;
    type Answer = PatchedVersion;
    const ROUTE: Route = Route::patch(
        "/vaults/{vault}/keys/{key}/versions/{version}",
        TAG,
        "Changes the attributes given of a version (the current one for an empty version).",
    )
    .failing(&[NotFound, InvalidRequest, InvalidDate, DatesOutOfOrder])
    .audited(AuditAction::KeyVersionUpdate)
    .key_permission(KeyPermission::Create);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<PatchedVersion>, Failure> {
        let key = queries::key_view(world, &self.vault, &self.key, ctx.now)?;
        let current = match self.version.as_str() {
            "" => key.versions.last(),
            id => key.versions.iter().find(|v| v.id == id),
        };
        let current = current.ok_or_else(|| Failure::not_found("The key version"))?;
        let VersionPatch { enabled, nbf, exp } = self.body;
        let attributes = crate::api::VersionAttributes {
            enabled: enabled.unwrap_or(current.enabled),
            nbf: nbf.or(current.nbf),
            exp: exp.or(current.exp),
        };
        let id = current.id.clone();
        let next = ops::update_version(world, &self.vault, &self.key, &id, &attributes)?;
        Outcome::changed(next, |w| {
            let version = queries::version_view(w, &self.vault, &self.key, &id, ctx.now)?;
            Ok(PatchedVersion { key: queries::key_view(w, &self.vault, &self.key, ctx.now)?, version })
        })
    }
}
