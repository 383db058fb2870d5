//! Encryption at rest: rekeys, master keys and key providers.

use serde::{Deserialize, Serialize};

use super::OperationView;
use crate::model::{OperationKind, World};
use crate::time::Timestamp;

/// Rekey the master key (Element's `RekeySoftwareEncryptionAtRestMasterKey`, same names).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RekeyRequest {
    /// Internal or External; left out: the current key's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_management_type: Option<crate::model::KeyManagement>,
    /// The key provider, for External only.
    #[serde(default, rename = "keyProviderID", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub key_provider_id: Option<u32>,
    /// Secrets rewrapped per turn (Keyblade's own parameter), 1-10000; 100 when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000))]
    pub batch_size: Option<u32>,
}

/// A master key as shown (never its material).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MasterKeyView {
    /// Id (UUID).
    pub id: String,
    /// How it is kept.
    pub management: crate::model::KeyManagement,
    /// Its key provider (External).
    pub provider: Option<u32>,
    /// Created.
    pub created: Timestamp,
    /// Where it is in its life.
    pub state: crate::model::MasterKeyState,
    /// Decommissioned at.
    pub decommissioned: Option<Timestamp>,
}

impl MasterKeyView {
    /// The view of a master key.
    pub fn of(key: &crate::model::MasterKeyRecord) -> MasterKeyView {
        MasterKeyView {
            id: key.id.clone(),
            management: key.management,
            provider: key.provider,
            created: key.created,
            state: key.state,
            decommissioned: key.decommissioned,
        }
    }
}

/// A key provider as shown (never its API key).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyProviderView {
    /// Id (Element's `keyProviderID`).
    pub id: u32,
    /// Name.
    pub name: String,
    /// Base URL.
    pub url: String,
    /// Service instance.
    pub instance: String,
    /// Root key id.
    pub root_key_id: String,
    /// Created.
    pub created: Timestamp,
    /// Whether it keeps the master key in use.
    pub active: bool,
}

impl KeyProviderView {
    /// Every provider of `world`, by id.
    pub fn all(world: &World) -> Vec<KeyProviderView> {
        let mut providers: Vec<KeyProviderView> =
            world.key_providers.values().map(|p| KeyProviderView::of(world, p)).collect();
        providers.sort_by_key(|p| p.id);
        providers
    }

    /// The view of a provider in `world`.
    pub fn of(world: &World, provider: &crate::model::KeyProvider) -> KeyProviderView {
        let active = world.active_master_key().is_some_and(|k| k.provider == Some(provider.id));
        KeyProviderView {
            id: provider.id,
            name: provider.name.clone(),
            url: provider.url.clone(),
            instance: provider.instance.clone(),
            root_key_id: provider.root_key_id.clone(),
            created: provider.created,
            active,
        }
    }
}

/// Add a Key Protect-compatible key provider.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddKeyProviderRequest {
    /// Name, 1-64 characters, unique.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64, pattern = "\\S"))]
    pub name: String,
    /// Base URL: http:// or https://, a host name or IPv4 address, an optional port, an optional
    /// path.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 8,
            max_length = 2048,
            pattern = "^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)(?::(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(?:/[!-~]*)?$"
        )
    )]
    pub url: String,
    /// Service instance (sent as `Bluemix-Instance`).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512, pattern = "\\S"))]
    pub instance: String,
    /// The root key that wraps the master key.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512, pattern = "\\S"))]
    pub root_key_id: String,
    /// The API key to sign in with; sealed at rest, never shown again.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512, pattern = "\\S"))]
    pub api_key: String,
}

/// Encryption at rest: the master key, its history, rekeys and key providers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EncryptionAtRestView {
    /// The master key in use.
    pub current: Option<MasterKeyView>,
    /// Every master key, newest first.
    pub keys: Vec<MasterKeyView>,
    /// Rekeys, newest first (the running one, if any, first).
    pub rekeys: Vec<OperationView>,
    /// Key providers.
    pub providers: Vec<KeyProviderView>,
}

impl EncryptionAtRestView {
    /// The view of `world`.
    pub fn of(world: &World) -> EncryptionAtRestView {
        let mut keys: Vec<MasterKeyView> = world.master_keys.values().map(MasterKeyView::of).collect();
        keys.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        let mut rekeys: Vec<OperationView> = world
            .operations
            .values()
            .filter(|op| matches!(op.kind, OperationKind::RekeyMasterKey { .. }))
            .map(|op| OperationView::of(world, op))
            .collect();
        rekeys.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
        EncryptionAtRestView {
            current: world.active_master_key().map(MasterKeyView::of),
            keys,
            rekeys,
            providers: KeyProviderView::all(world),
        }
    }
}
