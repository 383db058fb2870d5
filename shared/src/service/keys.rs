//! Keys and their versions. New key material arrives only in the key-transfer format (wrapped
//! for the vault's import key in the browser).

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{CreateKeyRequest, CreateVersionRequest, KeyVersionView, KeyView, UpdateVersionRequest};
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::KeyPermission;
use crate::model::World;
use crate::ops::{self, Ctx};
use crate::queries;

const TAG: &str = "keys";

/// `GET /vaults/{vault}/keys`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListKeys {
    /// Vault name.
    pub vault: String,
}

impl Endpoint for ListKeys {
    type Body = NoBody;
    type Answer = Vec<KeyView>;
    const ROUTE: Route = Route::get("/vaults/{vault}/keys", TAG, "Lists the live keys of a vault.")
        .failing(&[NotFound])
        .key_permission(KeyPermission::List);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<KeyView>>, Failure> {
        Ok(Outcome::read(queries::live_keys(world, &self.vault, ctx.now)?))
    }
}

/// `POST /vaults/{vault}/keys`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CreateKey {
    /// Vault name.
    pub vault: String,
    /// The key, its first version's attributes and the key-transfer blob.
    pub body: CreateKeyRequest,
}

impl Endpoint for CreateKey {
    type Body = CreateKeyRequest;
    type Answer = KeyView;
    const ROUTE: Route = Route::post(
        "/vaults/{vault}/keys",
        TAG,
        "Imports a new key (first version) from a key-transfer blob.",
    )
    .created()
    .failing(&[
        NotFound,
        InvalidKeyName,
        KeyNameTaken,
        InvalidKeySize,
        InvalidKeyTransfer,
        InvalidDate,
        DatesOutOfOrder,
    ])
    .audited(AuditAction::KeyCreate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyView>, Failure> {
        let (next, _) = ops::create_key(world, ctx, &self.vault, &self.body)?;
        Outcome::changed(next, |w| queries::key_view(w, &self.vault, &self.body.name, ctx.now))
    }
}

/// `GET /vaults/{vault}/keys/{key}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetKey {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
}

impl Endpoint for GetKey {
    type Body = NoBody;
    type Answer = KeyView;
    const ROUTE: Route = Route::get("/vaults/{vault}/keys/{key}", TAG, "One live key with its versions.")
        .failing(&[NotFound])
        .key_permission(KeyPermission::Get);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyView>, Failure> {
        Ok(Outcome::read(queries::key_view(world, &self.vault, &self.key, ctx.now)?))
    }
}

/// `DELETE /vaults/{vault}/keys/{key}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DeleteKey {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
}

impl Endpoint for DeleteKey {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route = Route::delete(
        "/vaults/{vault}/keys/{key}",
        TAG,
        "Deletes a key: soft-deleted (recoverable) when the vault has soft delete.",
    )
    .failing(&[NotFound, KeyHasRegistrations])
    .audited(AuditAction::KeyDelete)
    .key_permission(KeyPermission::Delete);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<()>, Failure> {
        Outcome::changed(ops::delete_key(world, ctx, &self.vault, &self.key)?, |_| Ok(()))
    }
}

/// `GET /vaults/{vault}/keys/{key}/versions`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListVersions {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
}

impl Endpoint for ListVersions {
    type Body = NoBody;
    type Answer = Vec<KeyVersionView>;
    const ROUTE: Route =
        Route::get("/vaults/{vault}/keys/{key}/versions", TAG, "The versions of a live key, oldest first.")
            .failing(&[NotFound])
            .key_permission(KeyPermission::List);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<KeyVersionView>>, Failure> {
        Ok(Outcome::read(queries::key_view(world, &self.vault, &self.key, ctx.now)?.versions))
    }
}

/// `POST /vaults/{vault}/keys/{key}/versions`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CreateVersion {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
    /// Attributes and the key-transfer blob.
    pub body: CreateVersionRequest,
}

impl Endpoint for CreateVersion {
    type Body = CreateVersionRequest;
    type Answer = KeyVersionView;
    const ROUTE: Route = Route::post(
        "/vaults/{vault}/keys/{key}/versions",
        TAG,
        "Imports a new version of a key from a key-transfer blob (same type and size as the key).",
    )
    .created()
    .failing(&[NotFound, InvalidKeyTransfer, InvalidKeySize, InvalidDate, DatesOutOfOrder])
    .audited(AuditAction::KeyRotate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyVersionView>, Failure> {
        let (next, id) = ops::create_version(world, ctx, &self.vault, &self.key, &self.body)?;
        Outcome::changed(next, |w| queries::version_view(w, &self.vault, &self.key, &id, ctx.now))
    }
}

/// `PUT /vaults/{vault}/keys/{key}/versions/{version}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UpdateVersion {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
    /// Version id.
    pub version: String,
    /// The new attributes.
    pub body: UpdateVersionRequest,
}

impl Endpoint for UpdateVersion {
    type Body = UpdateVersionRequest;
    type Answer = KeyVersionView;
    const ROUTE: Route = Route::put(
        "/vaults/{vault}/keys/{key}/versions/{version}",
        TAG,
        "Enables or disables a version and sets its activation and expiry dates.",
    )
    .failing(&[NotFound, InvalidRequest, InvalidDate, DatesOutOfOrder])
    .audited(AuditAction::KeyVersionUpdate)
    .key_permission(KeyPermission::Create);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyVersionView>, Failure> {
        let next = ops::update_version(world, &self.vault, &self.key, &self.version, &self.body)?;
        Outcome::changed(next, |w| queries::version_view(w, &self.vault, &self.key, &self.version, ctx.now))
    }
}

/// `GET /vaults/{vault}/deleted-keys`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListDeletedKeys {
    /// Vault name.
    pub vault: String,
}

impl Endpoint for ListDeletedKeys {
    type Body = NoBody;
    type Answer = Vec<KeyView>;
    const ROUTE: Route = Route::get(
        "/vaults/{vault}/deleted-keys",
        TAG,
        "Soft-deleted keys of a vault that have not been purged.",
    )
    .failing(&[NotFound])
    .key_permission(KeyPermission::List);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<KeyView>>, Failure> {
        Ok(Outcome::read(queries::deleted_keys(world, &self.vault, ctx.now)?))
    }
}

/// `POST /vaults/{vault}/deleted-keys/{key}/recover`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RecoverKey {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
}

impl Endpoint for RecoverKey {
    type Body = NoBody;
    type Answer = KeyView;
    const ROUTE: Route = Route::post(
        "/vaults/{vault}/deleted-keys/{key}/recover",
        TAG,
        "Recovers a soft-deleted key within the vault's retention period.",
    )
    .failing(&[NotFound, NotRecoverable])
    .audited(AuditAction::KeyRecover)
    .key_permission(KeyPermission::Recover);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyView>, Failure> {
        let next = ops::recover_key(world, ctx, &self.vault, &self.key)?;
        Outcome::changed(next, |w| queries::key_view(w, &self.vault, &self.key, ctx.now))
    }
}

/// `DELETE /vaults/{vault}/deleted-keys/{key}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct PurgeKey {
    /// Vault name.
    pub vault: String,
    /// Key name.
    pub key: String,
}

impl Endpoint for PurgeKey {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route = Route::delete(
        "/vaults/{vault}/deleted-keys/{key}",
        TAG,
        "Purges a soft-deleted key; refused under purge protection.",
    )
    .failing(&[NotFound, PurgeProtected])
    .audited(AuditAction::KeyPurge)
    .key_permission(KeyPermission::Purge);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<()>, Failure> {
        Outcome::changed(ops::purge_key(world, ctx, &self.vault, &self.key)?, |_| Ok(()))
    }
}
