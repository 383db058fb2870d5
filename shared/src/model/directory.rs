//! The directory: the cloud the portal imitates, tenants, subscriptions and resource groups.

use serde::{Deserialize, Serialize};

/// Which cloud the portal imitates; decides the allowed key vault host suffix.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cloud {
    /// `*.vault.azure.net`
    #[default]
    Public,
    /// `*.vault.usgovcloudapi.net`
    Government,
}

impl Cloud {
    /// The DNS suffix every key vault host must carry in this cloud.
    pub fn vault_host_suffix(self) -> &'static str {
        match self {
            Cloud::Public => ".vault.azure.net",
            Cloud::Government => ".vault.usgovcloudapi.net",
        }
    }

    /// The key URL the portal shows after Save.
    pub fn key_url(self, vault: &str, key: &str, version: &str) -> String {
        format!("https://{vault}{}/keys/{key}/{version}", self.vault_host_suffix())
    }
}

/// A directory (tenant) that subscriptions, vaults and identities belong to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    /// Tenant id (hex).
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A subscription. It can be moved to another tenant; `original_tenant_id` remembers where it
/// came from so the move can be reverted (one of the documented remedies).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    /// Subscription id (hex).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The tenant it lives in now.
    pub tenant_id: String,
    /// The tenant it was created in.
    pub original_tenant_id: String,
}

/// A resource group inside a subscription.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceGroup {
    /// Unique name.
    pub name: String,
    /// Owning subscription.
    pub subscription_id: String,
    /// Default region of the group.
    pub region: String,
}
