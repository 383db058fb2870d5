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
    pub async fn subscription(&self) -> ApiResult<SubscriptionView> {
        dispatch!(self, h => h.get("/api/subscription").await)
    }
    pub async fn move_subscription(&self, tenant_id: &str) -> ApiResult<SubscriptionView> {
        dispatch!(self, h => h.post("/api/subscription/move", &json!({"tenant_id": tenant_id})).await)
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
    pub async fn set_access_policy(&self, vault: &str, principal_id: &str, permissions: &[KeyPermission]) -> ApiResult<VaultView> {
        dispatch!(self, h => h.put(
            &format!("/api/vaults/{}/access-policies/{}", seg(vault), seg(principal_id)),
            &json!({"permissions": permissions}),
        ).await)
    }
    pub async fn remove_access_policy(&self, vault: &str, principal_id: &str) -> ApiResult<VaultView> {
        dispatch!(self, h => h.delete(&format!("/api/vaults/{}/access-policies/{}", seg(vault), seg(principal_id))).await)
    }
    pub async fn set_firewall(&self, vault: &str, firewall: &FirewallView) -> ApiResult<VaultView> {
        dispatch!(self, h => h.put(&format!("/api/vaults/{}/firewall", seg(vault)), firewall).await)
    }
    /// The vault's import (key-exchange) public key, SPKI DER base64.
    pub async fn import_key(&self, vault: &str) -> ApiResult<String> {
        let v: Value = dispatch!(self, h => h.get(&format!("/api/vaults/{}/import-key", seg(vault))).await)?;
        v.get("public_spki_b64")
            .or_else(|| v.get("spki"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| v.as_str().map(str::to_string))
            .ok_or_else(|| ApiError::client("The vault's import key is missing."))
    }

    // ---- keys ----------------------------------------------------------------------------
    pub async fn keys(&self, vault: &str) -> ApiResult<Vec<KeyView>> {
        dispatch!(self, h => h.get(&format!("/api/vaults/{}/keys", seg(vault))).await)
    }
    pub async fn deleted_keys(&self, vault: &str) -> ApiResult<Vec<KeyView>> {
        dispatch!(self, h => h.get(&format!("/api/vaults/{}/deleted-keys", seg(vault))).await)
    }
    pub async fn import_new_key(&self, vault: &str, name: &str, import: &KeyImport) -> ApiResult<KeyView> {
        let mut body = serde_json::to_value(import).map_err(|e| ApiError::client(e.to_string()))?;
        body["name"] = json!(name);
        dispatch!(self, h => h.post(&format!("/api/vaults/{}/keys", seg(vault)), &body).await)
    }
    pub async fn import_new_version(&self, vault: &str, key: &str, import: &KeyImport) -> ApiResult<KeyView> {
        dispatch!(self, h => h.post(&format!("/api/vaults/{}/keys/{}/versions", seg(vault), seg(key)), import).await)
    }
    pub async fn update_version(&self, vault: &str, key: &str, version: &str, patch: &VersionPatch) -> ApiResult<KeyView> {
        dispatch!(self, h => h.patch(&format!("/api/vaults/{}/keys/{}/versions/{}", seg(vault), seg(key), seg(version)), patch).await)
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
        dispatch!(self, h => h.put(
            &format!("/api/orders/{}/encryption", seg(order)),
            &json!({"settings": settings, "expected_version": version}),
        ).await)
    }
    pub async fn device_password(&self, order: &str) -> ApiResult<DevicePassword> {
        dispatch!(self, h => h.post(&format!("/api/orders/{}/device-password", seg(order)), &json!({})).await)
    }

    // ---- troubleshooting -----------------------------------------------------------------
    pub async fn catalog(&self) -> ApiResult<Vec<CatalogEntry>> {
        dispatch!(self, h => h.get("/api/catalog").await)
    }
    /// Applies the one-click fix an error carried.
    pub async fn apply_fix(&self, fix: &Value) -> ApiResult<()> {
        dispatch!(self, h => h.post::<_, Value>("/api/fix", fix).await.map(|_| ()))
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
