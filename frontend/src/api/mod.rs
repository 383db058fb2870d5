//! ALL traffic of the portal goes through [`Backend`]: one interface, chosen once at start-up and
//! handed to blades by context. [`Backend::Http`] calls the server; [`Backend::Offline`] runs
//! the offline demo in the browser. Each offline method calls the same `shared` operation and
//! read answer (`shared::queries`) as the server handler behind the HTTP route next to it, so
//! both give the same answers and the same errors.

mod error;
mod http;
pub mod offline;
pub mod types;

use std::cell::RefCell;

use serde_json::{Value, json};
use shared::{api as wire, catalog::FixAction, ops, queries};

pub use error::ApiError;
pub use types::*;

pub type ApiResult<T> = Result<T, ApiError>;

/// The portal's one backend interface.
#[derive(Clone)]
pub enum Backend {
    /// The Keyblade server under `/api`.
    Http(http::Http),
    /// The offline demo: the engine in the browser over browser storage.
    Offline(offline::Offline),
}

impl Backend {
    /// The offline demo when this tab chose it (`/?demo`), else the server.
    pub fn for_this_tab() -> Self {
        if offline::chosen() { Backend::Offline(offline::Offline) } else { Backend::Http(http::Http) }
    }
}

fn seg(s: &str) -> String {
    js_sys::encode_uri_component(s).as_string().unwrap_or_default()
}

/// A client-side request body the offline engine reads like the server's JSON extractor.
fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> ApiResult<T> {
    serde_json::from_value(value.clone()).map_err(|e| ApiError::client(format!("Invalid request: {e}")))
}

impl Backend {
    pub fn is_offline(&self) -> bool {
        matches!(self, Backend::Offline(_))
    }

    /// Gets the backend ready before the first page: the offline demo seeds its world once
    /// (`on_stage` reports progress); the server needs nothing.
    pub async fn prepare(&self, on_stage: impl Fn(String) + 'static) -> ApiResult<()> {
        match self {
            Backend::Http(_) => Ok(()),
            Backend::Offline(_) => offline::prepare(on_stage).await,
        }
    }

    pub async fn health(&self) -> ApiResult<HealthResponse> {
        match self {
            Backend::Http(h) => h.get("/api/health").await,
            Backend::Offline(_) => Ok(HealthResponse { status: "offline demo".into(), version: env!("CARGO_PKG_VERSION").into() }),
        }
    }

    // ---- session -------------------------------------------------------------------------
    pub async fn current_user(&self) -> ApiResult<User> {
        match self {
            Backend::Http(h) => h.get("/api/session").await,
            Backend::Offline(o) => Ok(o.user()),
        }
    }
    pub async fn sign_in(&self, username: &str, password: &str) -> ApiResult<User> {
        match self {
            Backend::Http(h) => h.post("/api/session", &json!({"username": username, "password": password})).await,
            Backend::Offline(o) => Ok(o.user()),
        }
    }
    pub async fn sign_out(&self) -> ApiResult<()> {
        match self {
            Backend::Http(h) => h.delete::<Value>("/api/session").await.map(|_| ()),
            Backend::Offline(_) => Ok(()),
        }
    }

    // ---- subscription --------------------------------------------------------------------
    /// Everything the portal shows, without secrets (`GET /api/world`).
    pub async fn world(&self) -> ApiResult<wire::WorldView> {
        match self {
            Backend::Http(h) => h.get("/api/world").await,
            Backend::Offline(o) => o.world_view(),
        }
    }
    /// The (first) subscription with its tenants and resource groups.
    pub async fn subscription(&self) -> ApiResult<SubscriptionView> {
        let world = self.world().await?;
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
        match self {
            Backend::Http(h) => h.post(&format!("/api/subscriptions/{}/move", seg(subscription)), &json!({"tenant_id": tenant_id})).await,
            Backend::Offline(o) => o.change(
                |world, _| ops::move_subscription(world, subscription, tenant_id),
                |world| queries::subscription(world, subscription),
            ),
        }
    }
    pub async fn revert_subscription(&self, subscription: &str) -> ApiResult<Subscription> {
        match self {
            Backend::Http(h) => h.post(&format!("/api/subscriptions/{}/revert", seg(subscription)), &json!({})).await,
            Backend::Offline(o) => o.change(
                |world, _| ops::revert_subscription_tenant(world, subscription),
                |world| queries::subscription(world, subscription),
            ),
        }
    }

    // ---- vaults --------------------------------------------------------------------------
    pub async fn vaults(&self) -> ApiResult<Vec<VaultView>> {
        match self {
            Backend::Http(h) => h.get("/api/vaults").await,
            Backend::Offline(o) => o.read(|world| Ok(queries::live_vaults(world))),
        }
    }
    pub async fn vault(&self, name: &str) -> ApiResult<VaultView> {
        match self {
            Backend::Http(h) => h.get(&format!("/api/vaults/{}", seg(name))).await,
            Backend::Offline(o) => o.read(|world| queries::vault_view(world, name)),
        }
    }
    /// Creates a vault with its RSA-3072 import key. Offline, the request is checked first and
    /// the import key is then generated in the worker (the server generates it in between the
    /// same two operations).
    pub async fn create_vault(&self, input: &NewVault) -> ApiResult<VaultView> {
        match self {
            Backend::Http(h) => h.post("/api/vaults", input).await,
            Backend::Offline(o) => {
                o.compute(|world, _| ops::create_vault(world, input))?;
                let import_key = o.generate_import_key(|_| ()).await?;
                o.change(
                    |world, _| ops::install_import_key(&ops::create_vault(world, input)?, &input.name, import_key),
                    |world| queries::vault_view(world, &input.name),
                )
            }
        }
    }
    pub async fn update_vault(&self, name: &str, patch: &VaultPatch) -> ApiResult<VaultView> {
        match self {
            Backend::Http(h) => h.patch(&format!("/api/vaults/{}", seg(name)), patch).await,
            Backend::Offline(o) => o.change(|world, _| ops::update_vault(world, name, patch), |world| queries::vault_view(world, name)),
        }
    }
    pub async fn delete_vault(&self, name: &str) -> ApiResult<()> {
        match self {
            Backend::Http(h) => h.delete::<Value>(&format!("/api/vaults/{}", seg(name))).await.map(|_| ()),
            Backend::Offline(o) => o.write(|world, ctx| ops::delete_vault(world, ctx, name)),
        }
    }
    pub async fn deleted_vaults(&self) -> ApiResult<Vec<VaultView>> {
        match self {
            Backend::Http(h) => h.get("/api/deleted-vaults").await,
            Backend::Offline(o) => o.read(|world| Ok(queries::deleted_vaults(world))),
        }
    }
    pub async fn recover_vault(&self, name: &str) -> ApiResult<VaultView> {
        match self {
            Backend::Http(h) => h.post(&format!("/api/deleted-vaults/{}/recover", seg(name)), &json!({})).await,
            Backend::Offline(o) => o.change(|world, ctx| ops::recover_vault(world, ctx, name), |world| queries::vault_view(world, name)),
        }
    }
    pub async fn purge_vault(&self, name: &str) -> ApiResult<()> {
        match self {
            Backend::Http(h) => h.delete::<Value>(&format!("/api/deleted-vaults/{}", seg(name))).await.map(|_| ()),
            Backend::Offline(o) => o.write(|world, ctx| ops::purge_vault(world, ctx, name)),
        }
    }
    /// Sets a principal's key permissions; an empty list removes the policy.
    pub async fn set_access_policy(&self, vault: &str, principal_id: &str, permissions: &[KeyPermission]) -> ApiResult<VaultView> {
        let body = json!({"principal_id": principal_id, "permissions": permissions});
        match self {
            Backend::Http(h) => h.put(&format!("/api/vaults/{}/access-policies", seg(vault)), &body).await,
            Backend::Offline(o) => {
                let request: wire::SetAccessPolicyRequest = typed(&body)?;
                o.change(|world, _| ops::set_access_policy(world, vault, &request), |world| queries::vault_view(world, vault))
            }
        }
    }
    pub async fn set_firewall(&self, vault: &str, firewall: &Firewall) -> ApiResult<VaultView> {
        match self {
            Backend::Http(h) => h.put(&format!("/api/vaults/{}/firewall", seg(vault)), firewall).await,
            Backend::Offline(o) => {
                let request: wire::SetFirewallRequest = typed(&json!(firewall))?;
                o.change(|world, _| ops::set_firewall(world, vault, &request), |world| queries::vault_view(world, vault))
            }
        }
    }
    /// The vault's import (key-exchange) public key, SPKI DER base64.
    pub async fn import_key(&self, vault: &str) -> ApiResult<String> {
        let v: wire::ImportKeyResponse = match self {
            Backend::Http(h) => h.get(&format!("/api/vaults/{}/import-key", seg(vault))).await?,
            Backend::Offline(o) => o.import_key(vault)?,
        };
        Ok(v.public_spki_b64)
    }

    // ---- keys ----------------------------------------------------------------------------
    pub async fn keys(&self, vault: &str) -> ApiResult<Vec<KeyView>> {
        match self {
            Backend::Http(h) => h.get(&format!("/api/vaults/{}/keys", seg(vault))).await,
            Backend::Offline(o) => o.read(|world| queries::live_keys(world, vault)),
        }
    }
    pub async fn deleted_keys(&self, vault: &str) -> ApiResult<Vec<KeyView>> {
        match self {
            Backend::Http(h) => h.get(&format!("/api/vaults/{}/deleted-keys", seg(vault))).await,
            Backend::Offline(o) => o.read(|world| queries::deleted_keys(world, vault)),
        }
    }
    /// Imports a new key; offline, the transfer blob is unwrapped by the engine with the vault's
    /// import key, as on the server.
    pub async fn import_new_key(&self, vault: &str, name: &str, import: &KeyImport) -> ApiResult<KeyView> {
        let body = CreateKeyRequest {
            name: name.to_string(),
            key_type: import.key_type,
            size: import.size,
            attributes: import.attributes.clone(),
            transfer: import.transfer.clone(),
        };
        match self {
            Backend::Http(h) => h.post(&format!("/api/vaults/{}/keys", seg(vault)), &body).await,
            Backend::Offline(o) => o.change(
                |world, ctx| Ok(ops::create_key(world, ctx, vault, &body)?.0),
                |world| queries::key_view(world, vault, name),
            ),
        }
    }
    pub async fn import_new_version(&self, vault: &str, key: &str, import: &KeyImport) -> ApiResult<KeyVersionView> {
        let body = CreateVersionRequest { attributes: import.attributes.clone(), transfer: import.transfer.clone() };
        match self {
            Backend::Http(h) => h.post(&format!("/api/vaults/{}/keys/{}/versions", seg(vault), seg(key)), &body).await,
            Backend::Offline(o) => {
                let (world, id) = o.write_returning(|world, ctx| ops::create_version(world, ctx, vault, key, &body))?;
                offline::answer(queries::version_view(&world, vault, key, &id))
            }
        }
    }
    /// Replaces a version's attributes (enabled, activation, expiry).
    pub async fn update_version(&self, vault: &str, key: &str, version: &str, attributes: &VersionAttributes) -> ApiResult<KeyVersionView> {
        match self {
            Backend::Http(h) => h.put(&format!("/api/vaults/{}/keys/{}/versions/{}", seg(vault), seg(key), seg(version)), attributes).await,
            Backend::Offline(o) => o.change(
                |world, _| ops::update_version(world, vault, key, version, attributes),
                |world| queries::version_view(world, vault, key, version),
            ),
        }
    }
    pub async fn delete_key(&self, vault: &str, key: &str) -> ApiResult<()> {
        match self {
            Backend::Http(h) => h.delete::<Value>(&format!("/api/vaults/{}/keys/{}", seg(vault), seg(key))).await.map(|_| ()),
            Backend::Offline(o) => o.write(|world, ctx| ops::delete_key(world, ctx, vault, key)),
        }
    }
    pub async fn recover_key(&self, vault: &str, key: &str) -> ApiResult<KeyView> {
        match self {
            Backend::Http(h) => h.post(&format!("/api/vaults/{}/deleted-keys/{}/recover", seg(vault), seg(key)), &json!({})).await,
            Backend::Offline(o) => o.change(|world, ctx| ops::recover_key(world, ctx, vault, key), |world| queries::key_view(world, vault, key)),
        }
    }
    pub async fn purge_key(&self, vault: &str, key: &str) -> ApiResult<()> {
        match self {
            Backend::Http(h) => h.delete::<Value>(&format!("/api/vaults/{}/deleted-keys/{}", seg(vault), seg(key))).await.map(|_| ()),
            Backend::Offline(o) => o.write(|world, ctx| ops::purge_key(world, ctx, vault, key)),
        }
    }

    // ---- identities ----------------------------------------------------------------------
    pub async fn identities(&self) -> ApiResult<Vec<UserIdentity>> {
        match self {
            Backend::Http(h) => h.get("/api/identities").await,
            Backend::Offline(o) => o.read(|world| Ok(world.identities.values().cloned().collect())),
        }
    }
    pub async fn create_identity(&self, name: &str, resource_group: &str) -> ApiResult<UserIdentity> {
        let body = json!({"name": name, "resource_group": resource_group});
        match self {
            Backend::Http(h) => h.post("/api/identities", &body).await,
            Backend::Offline(o) => {
                let request: wire::CreateIdentityRequest = typed(&body)?;
                let (world, id) = o.write_returning(|world, ctx| ops::create_identity(world, ctx, &request))?;
                offline::answer(world.identities.get(&id).cloned().ok_or_else(|| queries::not_found("The identity")))
            }
        }
    }
    pub async fn delete_identity(&self, id: &str) -> ApiResult<()> {
        match self {
            Backend::Http(h) => h.delete::<Value>(&format!("/api/identities/{}", seg(id))).await.map(|_| ()),
            Backend::Offline(o) => o.write(|world, _| ops::delete_identity(world, id)),
        }
    }

    // ---- orders --------------------------------------------------------------------------
    pub async fn orders(&self) -> ApiResult<Vec<OrderView>> {
        match self {
            Backend::Http(h) => h.get("/api/orders").await,
            Backend::Offline(o) => o.read(|world| Ok(world.orders.values().map(OrderView::of).collect())),
        }
    }
    pub async fn order(&self, id: &str) -> ApiResult<OrderView> {
        match self {
            Backend::Http(h) => h.get(&format!("/api/orders/{}", seg(id))).await,
            Backend::Offline(o) => o.read(|world| queries::order_view(world, id)),
        }
    }
    /// Save on the Encryption blade; the version in the request guards against stale edits.
    pub async fn save_encryption(&self, order: &str, settings: &EncryptionSettings, version: u64) -> ApiResult<OrderView> {
        let body = wire::SaveEncryptionRequest { settings: settings.clone(), expected_version: Some(version) };
        match self {
            Backend::Http(h) => h.put(&format!("/api/orders/{}/encryption", seg(order)), &body).await,
            Backend::Offline(o) => o.change(
                |world, ctx| {
                    ops::check_order_version(world, order, None)?;
                    ops::save_encryption(world, ctx, order, &body)
                },
                |world| queries::order_view(world, order),
            ),
        }
    }
    /// Device password: the unwrapped passkey, formatted.
    pub async fn device_password(&self, order: &str) -> ApiResult<String> {
        let r: DevicePasswordResponse = match self {
            Backend::Http(h) => h.post(&format!("/api/orders/{}/device-password", seg(order)), &json!({})).await?,
            Backend::Offline(o) => {
                let passkey = o.compute(|world, ctx| ops::fetch_passkey(world, ctx, order))?;
                DevicePasswordResponse { password: passkey.display() }
            }
        };
        Ok(r.password)
    }

    // ---- troubleshooting -----------------------------------------------------------------
    pub async fn catalog(&self) -> ApiResult<Vec<CatalogEntry>> {
        match self {
            Backend::Http(h) => h.get("/api/catalog").await,
            Backend::Offline(_) => Ok(shared::catalog::catalog()),
        }
    }
    /// Applies the one-click fix an error carried (for `order`, or the first order); answers
    /// the order as it is after the fix.
    pub async fn apply_fix(&self, order: Option<&str>, fix: &Value) -> ApiResult<Option<OrderView>> {
        let order = match order {
            Some(o) => o.to_string(),
            None => self.orders().await?.into_iter().next().map(|o| o.id).ok_or_else(|| ApiError::client("There is no order."))?,
        };
        match self {
            Backend::Http(h) => {
                let v: Value = h.post(&format!("/api/orders/{}/fixes", seg(&order)), fix).await?;
                Ok(serde_json::from_value(v).ok())
            }
            Backend::Offline(o) => {
                let fix: FixAction = typed(fix)?;
                o.change(
                    |world, ctx| shared::catalog::apply_fix(world, ctx, &order, &fix, None),
                    |world| queries::order_view(world, &order),
                )
                .map(Some)
            }
        }
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
