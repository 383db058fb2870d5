//! ALL traffic of the portal goes through [`Backend`]: one interface, chosen once at start-up and
//! handed to blades by context. Today it has the live HTTP implementation; an in-browser one
//! (offline demo over the same `shared` operations) becomes another variant here, without any
//! blade changing.

mod error;
mod http;
pub mod types;

use std::cell::RefCell;

use serde_json::{Value, json};

pub use error::ApiError;
pub use types::*;

pub type ApiResult<T> = Result<T, ApiError>;

/// The portal's one backend interface.
#[derive(Clone)]
pub enum Backend {
    /// The Keyblade server under `/api`.
    Http(http::Http),
}

impl Default for Backend {
    fn default() -> Self {
        Backend::Http(http::Http)
    }
}

fn seg(s: &str) -> String {
    js_sys::encode_uri_component(s).as_string().unwrap_or_default()
}

macro_rules! dispatch {
    ($self:ident, $h:ident => $body:expr) => {
        match $self {
            Backend::Http($h) => $body,
        }
    };
}

impl Backend {
    /// Human name of the implementation (shown nowhere yet; used by the offline badge later).
    pub fn is_offline(&self) -> bool {
        false
    }

    pub async fn health(&self) -> ApiResult<HealthResponse> {
        dispatch!(self, h => h.get("/api/health").await)
    }

    // ---- session -------------------------------------------------------------------------
    pub async fn current_user(&self) -> ApiResult<User> {
        dispatch!(self, h => h.get("/api/session").await)
    }
    pub async fn sign_in(&self, username: &str, password: &str) -> ApiResult<User> {
        dispatch!(self, h => h.post("/api/session", &json!({"username": username, "password": password})).await)
    }
    pub async fn sign_out(&self) -> ApiResult<()> {
        dispatch!(self, h => h.delete::<Value>("/api/session").await.map(|_| ()))
    }

    // ---- subscription --------------------------------------------------------------------
    /// The (first) subscription with its tenants and resource groups.
    pub async fn subscription(&self) -> ApiResult<SubscriptionView> {
        let world: shared::api::WorldView = dispatch!(self, h => h.get("/api/world").await)?;
        let sub = world.subscriptions.into_iter().next().ok_or_else(|| ApiError::client("There is no subscription."))?;
        let resource_groups = world.resource_groups.into_iter().filter(|g| g.subscription_id == sub.id).collect();
        Ok(SubscriptionView {
            id: sub.id,
            name: sub.name,
            tenant_id: sub.tenant_id,
            original_tenant_id: sub.original_tenant_id,
            tenants: world.tenants,
            resource_groups,
        })
    }
    pub async fn move_subscription(&self, subscription: &str, tenant_id: &str) -> ApiResult<Subscription> {
        dispatch!(self, h => h.post(&format!("/api/subscriptions/{}/move", seg(subscription)), &json!({"tenant_id": tenant_id})).await)
    }
    pub async fn revert_subscription(&self, subscription: &str) -> ApiResult<Subscription> {
        dispatch!(self, h => h.post(&format!("/api/subscriptions/{}/revert", seg(subscription)), &json!({})).await)
    }

    // ---- vaults --------------------------------------------------------------------------
    pub async fn vaults(&self) -> ApiResult<Vec<VaultView>> {
        dispatch!(self, h => h.get("/api/vaults").await)
    }
    pub async fn vault(&self, name: &str) -> ApiResult<VaultView> {
        dispatch!(self, h => h.get(&format!("/api/vaults/{}", seg(name))).await)
    }
    pub async fn create_vault(&self, input: &NewVault) -> ApiResult<VaultView> {
        dispatch!(self, h => h.post("/api/vaults", input).await)
    }
    pub async fn update_vault(&self, name: &str, patch: &VaultPatch) -> ApiResult<VaultView> {
        dispatch!(self, h => h.patch(&format!("/api/vaults/{}", seg(name)), patch).await)
    }
    pub async fn delete_vault(&self, name: &str) -> ApiResult<()> {
        dispatch!(self, h => h.delete::<Value>(&format!("/api/vaults/{}", seg(name))).await.map(|_| ()))
    }
    pub async fn deleted_vaults(&self) -> ApiResult<Vec<VaultView>> {
        dispatch!(self, h => h.get("/api/deleted-vaults").await)
    }
    pub async fn recover_vault(&self, name: &str) -> ApiResult<VaultView> {
        dispatch!(self, h => h.post(&format!("/api/deleted-vaults/{}/recover", seg(name)), &json!({})).await)
    }
    pub async fn purge_vault(&self, name: &str) -> ApiResult<()> {
        dispatch!(self, h => h.delete::<Value>(&format!("/api/deleted-vaults/{}", seg(name))).await.map(|_| ()))
    }
    /// Sets a principal's key permissions; an empty list removes the policy.
    pub async fn set_access_policy(&self, vault: &str, principal_id: &str, permissions: &[KeyPermission]) -> ApiResult<VaultView> {
        dispatch!(self, h => h.put(
            &format!("/api/vaults/{}/access-policies", seg(vault)),
            &json!({"principal_id": principal_id, "permissions": permissions}),
        ).await)
    }
    pub async fn set_firewall(&self, vault: &str, firewall: &Firewall) -> ApiResult<VaultView> {
        dispatch!(self, h => h.put(&format!("/api/vaults/{}/firewall", seg(vault)), firewall).await)
    }
    /// The vault's import (key-exchange) public key, SPKI DER base64.
    pub async fn import_key(&self, vault: &str) -> ApiResult<String> {
        let v: shared::api::ImportKeyResponse = dispatch!(self, h => h.get(&format!("/api/vaults/{}/import-key", seg(vault))).await)?;
        Ok(v.public_spki_b64)
    }

    // ---- keys ----------------------------------------------------------------------------
    pub async fn keys(&self, vault: &str) -> ApiResult<Vec<KeyView>> {
        dispatch!(self, h => h.get(&format!("/api/vaults/{}/keys", seg(vault))).await)
    }
    pub async fn deleted_keys(&self, vault: &str) -> ApiResult<Vec<KeyView>> {
        dispatch!(self, h => h.get(&format!("/api/vaults/{}/deleted-keys", seg(vault))).await)
    }
    pub async fn import_new_key(&self, vault: &str, name: &str, import: &KeyImport) -> ApiResult<KeyView> {
        let body = CreateKeyRequest {
            name: name.to_string(),
            key_type: import.key_type,
            size: import.size,
            attributes: import.attributes.clone(),
            transfer: import.transfer.clone(),
        };
        dispatch!(self, h => h.post(&format!("/api/vaults/{}/keys", seg(vault)), &body).await)
    }
    pub async fn import_new_version(&self, vault: &str, key: &str, import: &KeyImport) -> ApiResult<KeyVersionView> {
        let body = CreateVersionRequest { attributes: import.attributes.clone(), transfer: import.transfer.clone() };
        dispatch!(self, h => h.post(&format!("/api/vaults/{}/keys/{}/versions", seg(vault), seg(key)), &body).await)
    }
    /// Replaces a version's attributes (enabled, activation, expiry).
    pub async fn update_version(&self, vault: &str, key: &str, version: &str, attributes: &VersionAttributes) -> ApiResult<KeyVersionView> {
        dispatch!(self, h => h.put(&format!("/api/vaults/{}/keys/{}/versions/{}", seg(vault), seg(key), seg(version)), attributes).await)
    }
    pub async fn delete_key(&self, vault: &str, key: &str) -> ApiResult<()> {
        dispatch!(self, h => h.delete::<Value>(&format!("/api/vaults/{}/keys/{}", seg(vault), seg(key))).await.map(|_| ()))
    }
    pub async fn recover_key(&self, vault: &str, key: &str) -> ApiResult<KeyView> {
        dispatch!(self, h => h.post(&format!("/api/vaults/{}/deleted-keys/{}/recover", seg(vault), seg(key)), &json!({})).await)
    }
    pub async fn purge_key(&self, vault: &str, key: &str) -> ApiResult<()> {
        dispatch!(self, h => h.delete::<Value>(&format!("/api/vaults/{}/deleted-keys/{}", seg(vault), seg(key))).await.map(|_| ()))
    }

    // ---- identities ----------------------------------------------------------------------
    pub async fn identities(&self) -> ApiResult<Vec<UserIdentity>> {
        dispatch!(self, h => h.get("/api/identities").await)
    }
    pub async fn create_identity(&self, name: &str, resource_group: &str) -> ApiResult<UserIdentity> {
        dispatch!(self, h => h.post("/api/identities", &json!({"name": name, "resource_group": resource_group})).await)
    }
    pub async fn delete_identity(&self, id: &str) -> ApiResult<()> {
        dispatch!(self, h => h.delete::<Value>(&format!("/api/identities/{}", seg(id))).await.map(|_| ()))
    }

    // ---- orders --------------------------------------------------------------------------
    pub async fn orders(&self) -> ApiResult<Vec<OrderView>> {
        dispatch!(self, h => h.get("/api/orders").await)
    }
    pub async fn order(&self, id: &str) -> ApiResult<OrderView> {
        dispatch!(self, h => h.get(&format!("/api/orders/{}", seg(id))).await)
    }
    pub async fn save_encryption(&self, order: &str, settings: &EncryptionSettings, version: u64) -> ApiResult<OrderView> {
        let body = shared::api::SaveEncryptionRequest { settings: settings.clone(), expected_version: Some(version) };
        dispatch!(self, h => h.put(&format!("/api/orders/{}/encryption", seg(order)), &body).await)
    }
    /// Device password: the unwrapped passkey, formatted.
    pub async fn device_password(&self, order: &str) -> ApiResult<String> {
        let r: DevicePasswordResponse = dispatch!(self, h => h.post(&format!("/api/orders/{}/device-password", seg(order)), &json!({})).await)?;
        Ok(r.password)
    }

    // ---- troubleshooting -----------------------------------------------------------------
    pub async fn catalog(&self) -> ApiResult<Vec<CatalogEntry>> {
        dispatch!(self, h => h.get("/api/catalog").await)
    }
    /// Applies the one-click fix an error carried (for `order`, or the first order); answers
    /// the order as it is after the fix.
    pub async fn apply_fix(&self, order: Option<&str>, fix: &Value) -> ApiResult<Option<OrderView>> {
        let order = match order {
            Some(o) => o.to_string(),
            None => self.orders().await?.into_iter().next().map(|o| o.id).ok_or_else(|| ApiError::client("There is no order."))?,
        };
        let v: Value = dispatch!(self, h => h.post(&format!("/api/orders/{}/fixes", seg(&order)), fix).await)?;
        Ok(serde_json::from_value(v).ok())
    }
}

thread_local! {
    static ON_UNAUTHORIZED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Registers what happens when any call answers 401 (the chrome sends the user to sign in).
pub fn on_unauthorized(f: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|cell| *cell.borrow_mut() = Some(Box::new(f)));
}

pub(crate) fn notify_unauthorized() {
    ON_UNAUTHORIZED.with(|cell| {
        if let Some(f) = cell.borrow().as_ref() {
            f();
        }
    });
}
