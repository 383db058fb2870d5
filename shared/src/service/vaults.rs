//! Key vaults: lifecycle, properties, access policies, networking and the import key browsers
//! wrap new keys with.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{
    CreateVaultRequest, ImportKeyResponse, SetAccessPolicyRequest, SetFirewallRequest, UpdateVaultRequest,
    VaultView,
};
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::{OperationKind, Subject, World};
use crate::ops::{self, Ctx};
use crate::queries;

const TAG: &str = "vaults";

/// `GET /vaults`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListVaults {}

impl Endpoint for ListVaults {
    type Body = NoBody;
    type Answer = Vec<VaultView>;
    const ROUTE: Route = Route::get("/vaults", TAG, "Lists the live key vaults.");
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<VaultView>>, Failure> {
        Ok(Outcome::read(queries::live_vaults(world, ctx.now)))
    }
}

/// `POST /vaults`: the vault, and the operation generating its import key (which takes a moment).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CreateVault {
    /// The vault to create.
    pub body: CreateVaultRequest,
}

impl Endpoint for CreateVault {
    type Body = CreateVaultRequest;
    type Answer = VaultView;
    const ROUTE: Route = Route::post(
        "/vaults",
        TAG,
        "Creates a key vault and starts the operation that provisions its RSA-3072 import key \
         (the answer's `operation`); keys can be added once it has succeeded.",
    )
    .created()
    .failing(&[InvalidVaultName, VaultNameTaken, InvalidRetention, InvalidName, NotFound, TooManyRequests])
    .audited(AuditAction::VaultCreate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<VaultView>, Failure> {
        let mut next = ops::create_vault(world, &self.body)?;
        let vault = self.body.name;
        let kind = OperationKind::ProvisionVault { vault: vault.clone() };
        ops::start_operation(&mut next, ctx, kind, Subject::Vault { vault: vault.clone() }, 1);
        Outcome::changed(next, |w| queries::vault_view(w, &vault, ctx.now))
    }
}

/// `GET /vaults/{vault}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetVault {
    /// Vault name.
    pub vault: String,
}

impl Endpoint for GetVault {
    type Body = NoBody;
    type Answer = VaultView;
    const ROUTE: Route = Route::get("/vaults/{vault}", TAG, "One live key vault.").failing(&[NotFound]);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<VaultView>, Failure> {
        Ok(Outcome::read(queries::vault_view(world, &self.vault, ctx.now)?))
    }
}

/// `PATCH /vaults/{vault}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UpdateVault {
    /// Vault name.
    pub vault: String,
    /// Properties to change.
    pub body: UpdateVaultRequest,
}

impl Endpoint for UpdateVault {
    type Body = UpdateVaultRequest;
    type Answer = VaultView;
    const ROUTE: Route = Route::patch(
        "/vaults/{vault}",
        TAG,
        "Properties: soft delete, purge protection (never off once on), retention days.",
    )
    .failing(&[
        NotFound,
        PurgeProtectionCannotBeDisabled,
        SoftDeleteCannotBeDisabled,
        RetentionCannotBeShortened,
        InvalidRetention,
    ])
    .audited(AuditAction::VaultUpdate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<VaultView>, Failure> {
        let next = ops::update_vault(world, &self.vault, &self.body)?;
        Outcome::changed(next, |w| queries::vault_view(w, &self.vault, ctx.now))
    }
}

/// `DELETE /vaults/{vault}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DeleteVault {
    /// Vault name.
    pub vault: String,
}

impl Endpoint for DeleteVault {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route = Route::delete(
        "/vaults/{vault}",
        TAG,
        "Deletes a vault: recoverable for its retention period when soft delete is on.",
    )
    .failing(&[NotFound, KeyHasRegistrations])
    .audited(AuditAction::VaultDelete);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<()>, Failure> {
        Outcome::changed(ops::delete_vault(world, ctx, &self.vault)?, |_| Ok(()))
    }
}

/// `GET /vaults/{vault}/import-key`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetImportKey {
    /// Vault name.
    pub vault: String,
}

impl Endpoint for GetImportKey {
    type Body = NoBody;
    type Answer = ImportKeyResponse;
    const ROUTE: Route = Route::get(
        "/vaults/{vault}/import-key",
        TAG,
        "The vault's import key (RSA, SPKI DER base64): browsers wrap new private keys with it.",
    )
    .failing(&[NotFound]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<ImportKeyResponse>, Failure> {
        Ok(Outcome::read(ops::import_key_of(world, &self.vault)?))
    }
}

/// `PUT /vaults/{vault}/access-policies`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SetAccessPolicy {
    /// Vault name.
    pub vault: String,
    /// The principal and its permissions.
    pub body: SetAccessPolicyRequest,
}

impl Endpoint for SetAccessPolicy {
    type Body = SetAccessPolicyRequest;
    type Answer = VaultView;
    const ROUTE: Route = Route::put(
        "/vaults/{vault}/access-policies",
        TAG,
        "Access policies: sets one principal's key permissions (an empty set removes the entry).",
    )
    .failing(&[NotFound, InvalidRequest])
    .audited(AuditAction::AccessPolicyChange);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<VaultView>, Failure> {
        let next = ops::set_access_policy(world, &self.vault, &self.body)?;
        Outcome::changed(next, |w| queries::vault_view(w, &self.vault, ctx.now))
    }
}

/// `PUT /vaults/{vault}/firewall`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SetFirewall {
    /// Vault name.
    pub vault: String,
    /// Firewall settings.
    pub body: SetFirewallRequest,
}

impl Endpoint for SetFirewall {
    type Body = SetFirewallRequest;
    type Answer = VaultView;
    const ROUTE: Route = Route::put(
        "/vaults/{vault}/firewall",
        TAG,
        "Networking: firewall on/off and the identities allowed through it.",
    )
    .failing(&[NotFound, InvalidRequest])
    .audited(AuditAction::FirewallChange);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<VaultView>, Failure> {
        let next = ops::set_firewall(world, &self.vault, &self.body)?;
        Outcome::changed(next, |w| queries::vault_view(w, &self.vault, ctx.now))
    }
}

/// `GET /deleted-vaults`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListDeletedVaults {}

impl Endpoint for ListDeletedVaults {
    type Body = NoBody;
    type Answer = Vec<VaultView>;
    const ROUTE: Route = Route::get("/deleted-vaults", TAG, "Soft-deleted vaults that have not been purged.");
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<VaultView>>, Failure> {
        Ok(Outcome::read(queries::deleted_vaults(world, ctx.now)))
    }
}

/// `POST /deleted-vaults/{vault}/recover`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RecoverVault {
    /// Vault name.
    pub vault: String,
}

impl Endpoint for RecoverVault {
    type Body = NoBody;
    type Answer = VaultView;
    const ROUTE: Route = Route::post(
        "/deleted-vaults/{vault}/recover",
        TAG,
        "Recovers a soft-deleted vault within its retention period.",
    )
    .failing(&[NotFound, NotRecoverable, VaultNameTaken])
    .audited(AuditAction::VaultRecover);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<VaultView>, Failure> {
        let next = ops::recover_vault(world, ctx, &self.vault)?;
        Outcome::changed(next, |w| queries::vault_view(w, &self.vault, ctx.now))
    }
}

/// `DELETE /deleted-vaults/{vault}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct PurgeVault {
    /// Vault name.
    pub vault: String,
}

impl Endpoint for PurgeVault {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route = Route::delete(
        "/deleted-vaults/{vault}",
        TAG,
        "Purges a soft-deleted vault for good; refused under purge protection.",
    )
    .failing(&[NotFound, PurgeProtected])
    .audited(AuditAction::VaultPurge);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<()>, Failure> {
        Outcome::changed(ops::purge_vault(world, ctx, &self.vault)?, |_| Ok(()))
    }
}
