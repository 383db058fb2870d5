//! Key vaults: creating and changing them, access policies, the firewall, and the vault view.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::KeyView;
use crate::model::{Firewall, KeyPermission, KeyVault, OperationState, Subject, World};
use crate::time::Timestamp;

/// Create key vault.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateVaultRequest {
    /// Key vault name: 3-24 letters, digits and hyphens, starting with a letter, no `--`, not ending with `-`.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 24, pattern = "^[A-Za-z](-?[A-Za-z0-9])+$")
    )]
    pub name: String,
    /// Resource group.
    pub resource_group: String,
    /// Region: 1-64 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "\\S"))]
    pub region: String,
    /// Soft delete.
    pub soft_delete: bool,
    /// Purge protection.
    pub purge_protection: bool,
    /// Days to retain deleted vaults (7-90).
    #[cfg_attr(feature = "openapi", schema(minimum = 7, maximum = 90))]
    pub retention_days: u16,
}

/// Change vault properties; `None` leaves a property as it is.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateVaultRequest {
    /// Soft delete.
    pub soft_delete: Option<bool>,
    /// Purge protection (can only be turned on).
    pub purge_protection: Option<bool>,
    /// Retention days (7-90).
    #[cfg_attr(feature = "openapi", schema(minimum = 7, maximum = 90))]
    pub retention_days: Option<u16>,
    /// The permission model: role assignments (`true`) or the access policy (`false`) decide
    /// what identities may do on the data plane.
    pub rbac_authorization: Option<bool>,
}

/// Set one principal's key permissions; an empty set removes the entry.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetAccessPolicyRequest {
    /// Principal id.
    pub principal_id: String,
    /// Permissions (one listed twice counts once).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<KeyPermission>))]
    pub permissions: BTreeSet<KeyPermission>,
}

/// Networking: firewall on/off and trusted identities.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetFirewallRequest {
    /// On/off.
    pub enabled: bool,
    /// Principal ids allowed through (one listed twice counts once).
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub allowed_identities: BTreeSet<String>,
}

/// Public view of a vault.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VaultView {
    /// Name.
    pub name: String,
    /// Resource group.
    pub resource_group: String,
    /// Region.
    pub region: String,
    /// Tenant.
    pub tenant_id: String,
    /// Vault URI.
    pub uri: String,
    /// The loopback address (`127.0.0.N`) at which Keyblade serves the vault's data plane to the
    /// cloud SDKs, on the server's port; `None` when every address is taken.
    #[serde(default)]
    pub data_plane_address: Option<String>,
    /// Soft delete.
    pub soft_delete: bool,
    /// Retention days.
    pub retention_days: u16,
    /// Purge protection.
    pub purge_protection: bool,
    /// Firewall.
    pub firewall: Firewall,
    /// Access policies.
    pub access_policies: BTreeMap<String, BTreeSet<KeyPermission>>,
    /// Whether role assignments, not the access policy, decide for identities on the data plane.
    #[serde(default)]
    pub rbac_authorization: bool,
    /// Keys.
    pub keys: Vec<KeyView>,
    /// Deleted at.
    pub deleted_at: Option<Timestamp>,
    /// Purged.
    pub purged: bool,
    /// Whether an import key exists (keys can only be created once it does).
    pub has_import_key: bool,
    /// When a soft-deleted vault is purged for good (the end of its retention).
    pub scheduled_purge: Option<Timestamp>,
    /// The running operation that is provisioning the vault, if any.
    pub operation: Option<String>,
}

impl VaultView {
    /// The public view of a vault at `now`.
    pub fn of(world: &World, vault: &KeyVault, now: Timestamp) -> VaultView {
        let retention = i64::from(vault.retention_days);
        let provisioning = world.operations.values().find(|op| {
            op.state == OperationState::Running && op.subject == Subject::Vault { vault: vault.name.clone() }
        });
        VaultView {
            name: vault.name.clone(),
            resource_group: vault.resource_group.clone(),
            region: vault.region.clone(),
            tenant_id: vault.tenant_id.clone(),
            uri: format!("https://{}{}/", vault.name, world.cloud.vault_host_suffix()),
            data_plane_address: crate::model::address_of_vault(world, &vault.name)
                .map(|n| format!("127.0.0.{n}")),
            soft_delete: vault.soft_delete,
            retention_days: vault.retention_days,
            purge_protection: vault.purge_protection,
            firewall: vault.firewall.clone(),
            access_policies: vault.access_policies.clone(),
            rbac_authorization: vault.rbac_authorization,
            keys: vault.keys.values().map(|k| KeyView::of(world.cloud, vault, k, now)).collect(),
            deleted_at: vault.deleted_at,
            purged: vault.purged,
            has_import_key: world.import_keys.contains_key(&vault.name),
            scheduled_purge: vault.deleted_at.filter(|_| !vault.purged).map(|at| at.plus_days(retention)),
            operation: provisioning.map(|op| op.id.clone()),
        }
    }
}
