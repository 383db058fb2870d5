//! ALL traffic of the portal goes through [`Backend`]: one typed client, chosen once at start-up
//! and handed to blades by context. Every use case is a `shared::service` endpoint, sent by
//! [`Backend::call`] over one of two transports: HTTP to the server ([`http`]), or a message to
//! the engine worker of the offline demo ([`offline`]), which runs the same endpoint. The
//! methods below only name the endpoint and its request.

mod error;
mod http;
pub mod offline;
pub mod types;

use std::cell::RefCell;

use shared::{
    api::{self as wire, ApplyFixRequest, ClockView, FixApplied},
    audit::{AuditPage, AuditQuery},
    model::{OperationError, OperationState},
    service::{self as svc, Endpoint},
};

pub use error::ApiError;
pub use types::*;

pub type ApiResult<T> = Result<T, ApiError>;

/// The portal's one client.
#[derive(Clone)]
pub enum Backend {
    /// The Keyblade server under `/api`.
    Http(http::Http),
    /// The offline demo: the engine in a Web Worker over browser storage.
    Offline(offline::Offline),
}

impl Backend {
    /// The offline demo when this tab chose it (`/?demo`), else the server.
    pub fn for_this_tab() -> Self {
        if offline::chosen() { Backend::Offline(offline::Offline) } else { Backend::Http(http::Http) }
    }

    pub fn is_offline(&self) -> bool {
        matches!(self, Backend::Offline(_))
    }

    /// Sends one request of the API to whichever transport this tab uses.
    pub async fn call<E: Endpoint>(&self, request: E) -> ApiResult<E::Answer> {
        match self {
            Backend::Http(h) => h.call(request).await,
            Backend::Offline(o) => o.call(request).await,
        }
    }

    /// Gets the backend ready before the first page: the offline demo opens (or seeds, with
    /// `on_stage` progress) its world in the engine worker; the server needs nothing.
    pub async fn prepare(&self, on_stage: impl Fn(String) + 'static) -> ApiResult<()> {
        match self {
            Backend::Http(_) => Ok(()),
            Backend::Offline(o) => o.open(on_stage).await,
        }
    }

    pub async fn health(&self) -> ApiResult<HealthResponse> {
        match self {
            Backend::Http(h) => h.get("/api/health").await,
            Backend::Offline(_) => Ok(HealthResponse {
                status: "offline demo".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                // The demo's clock moves too, but it holds nothing but demo data.
                test_clock: false,
            }),
        }
    }

    // ---- session (the server's own; the demo has no sign-in) ------------------------------
    pub async fn current_user(&self) -> ApiResult<User> {
        match self {
            Backend::Http(h) => h.get("/api/session").await,
            Backend::Offline(o) => Ok(o.user()),
        }
    }
    pub async fn sign_in(&self, username: &str, password: &str) -> ApiResult<User> {
        match self {
            Backend::Http(h) => h.sign_in(username, password).await,
            Backend::Offline(o) => Ok(o.user()),
        }
    }
    pub async fn sign_out(&self) -> ApiResult<()> {
        match self {
            Backend::Http(h) => h.sign_out().await,
            Backend::Offline(_) => Ok(()),
        }
    }

    // ---- the clock (the server's only with --test-clock) -----------------------------------
    /// The simulated clock, when this backend lets the user move it.
    pub async fn clock(&self) -> ApiResult<ClockView> {
        match self {
            Backend::Http(h) => h.get("/api/clock").await,
            Backend::Offline(o) => o.advance_clock(0).await,
        }
    }
    /// Advance time: moves the clock forward and performs what fell due.
    pub async fn advance_clock(&self, seconds: i64) -> ApiResult<ClockView> {
        match self {
            Backend::Http(h) => h.advance_clock(seconds).await,
            Backend::Offline(o) => o.advance_clock(seconds).await,
        }
    }

    // ---- directory -------------------------------------------------------------------------
    /// Everything the portal shows, without secrets.
    pub async fn world(&self) -> ApiResult<wire::WorldView> {
        self.call(svc::GetWorld {}).await
    }
    /// The (first) subscription with its tenants and resource groups.
    pub async fn subscription(&self) -> ApiResult<SubscriptionView> {
        let world = self.world().await?;
        let sub = world
            .subscriptions
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::client("There is no subscription."))?;
        let resource_groups =
            world.resource_groups.into_iter().filter(|g| g.subscription_id == sub.id).collect();
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
        let body = wire::MoveSubscriptionRequest { tenant_id: tenant_id.into() };
        self.call(svc::MoveSubscription { subscription: subscription.into(), body }).await
    }
    pub async fn revert_subscription(&self, subscription: &str) -> ApiResult<Subscription> {
        self.call(svc::RevertSubscription { subscription: subscription.into() }).await
    }

    // ---- vaults ------------------------------------------------------------------------------
    pub async fn vaults(&self) -> ApiResult<Vec<VaultView>> {
        self.call(svc::ListVaults {}).await
    }
    pub async fn vault(&self, name: &str) -> ApiResult<VaultView> {
        self.call(svc::GetVault { vault: name.into() }).await
    }
    /// Creates a vault; its import key is provisioned by the operation named in the answer.
    pub async fn create_vault(&self, input: &NewVault) -> ApiResult<VaultView> {
        self.call(svc::CreateVault { body: input.clone() }).await
    }
    pub async fn update_vault(&self, name: &str, patch: &VaultPatch) -> ApiResult<VaultView> {
        self.call(svc::UpdateVault { vault: name.into(), body: patch.clone() }).await
    }
    pub async fn delete_vault(&self, name: &str) -> ApiResult<()> {
        self.call(svc::DeleteVault { vault: name.into() }).await
    }
    pub async fn deleted_vaults(&self) -> ApiResult<Vec<VaultView>> {
        self.call(svc::ListDeletedVaults {}).await
    }
    pub async fn recover_vault(&self, name: &str) -> ApiResult<VaultView> {
        self.call(svc::RecoverVault { vault: name.into() }).await
    }
    pub async fn purge_vault(&self, name: &str) -> ApiResult<()> {
        self.call(svc::PurgeVault { vault: name.into() }).await
    }
    /// Sets a principal's key permissions; an empty list removes the policy.
    pub async fn set_access_policy(
        &self,
        vault: &str,
        principal_id: &str,
        permissions: &[KeyPermission],
    ) -> ApiResult<VaultView> {
        let body = wire::SetAccessPolicyRequest {
            principal_id: principal_id.into(),
            permissions: permissions.iter().copied().collect(),
        };
        self.call(svc::SetAccessPolicy { vault: vault.into(), body }).await
    }
    pub async fn set_firewall(&self, vault: &str, firewall: &Firewall) -> ApiResult<VaultView> {
        let body = wire::SetFirewallRequest {
            enabled: firewall.enabled,
            allowed_identities: firewall.allowed_identities.clone(),
        };
        self.call(svc::SetFirewall { vault: vault.into(), body }).await
    }
    /// The vault's import (key-exchange) public key, SPKI DER base64.
    pub async fn import_key(&self, vault: &str) -> ApiResult<String> {
        Ok(self.call(svc::GetImportKey { vault: vault.into() }).await?.public_spki_b64)
    }

    // ---- keys --------------------------------------------------------------------------------
    pub async fn keys(&self, vault: &str) -> ApiResult<Vec<KeyView>> {
        self.call(svc::ListKeys { vault: vault.into() }).await
    }
    pub async fn deleted_keys(&self, vault: &str) -> ApiResult<Vec<KeyView>> {
        self.call(svc::ListDeletedKeys { vault: vault.into() }).await
    }
    /// Imports a new key from a transfer blob wrapped for the vault's import key.
    pub async fn import_new_key(&self, vault: &str, name: &str, import: &KeyImport) -> ApiResult<KeyView> {
        let body = CreateKeyRequest {
            name: name.to_string(),
            key_type: import.key_type,
            size: import.size,
            attributes: import.attributes.clone(),
            transfer: import.transfer.clone(),
        };
        self.call(svc::CreateKey { vault: vault.into(), body }).await
    }
    pub async fn import_new_version(
        &self,
        vault: &str,
        key: &str,
        import: &KeyImport,
    ) -> ApiResult<KeyVersionView> {
        let body =
            CreateVersionRequest { attributes: import.attributes.clone(), transfer: import.transfer.clone() };
        self.call(svc::CreateVersion { vault: vault.into(), key: key.into(), body }).await
    }
    /// Replaces a version's attributes (enabled, activation, expiry).
    pub async fn update_version(
        &self,
        vault: &str,
        key: &str,
        version: &str,
        attributes: &VersionAttributes,
    ) -> ApiResult<KeyVersionView> {
        let request = svc::UpdateVersion {
            vault: vault.into(),
            key: key.into(),
            version: version.into(),
            body: attributes.clone(),
        };
        self.call(request).await
    }
    pub async fn delete_key(&self, vault: &str, key: &str) -> ApiResult<()> {
        self.call(svc::DeleteKey { vault: vault.into(), key: key.into() }).await
    }
    pub async fn recover_key(&self, vault: &str, key: &str) -> ApiResult<KeyView> {
        self.call(svc::RecoverKey { vault: vault.into(), key: key.into() }).await
    }
    pub async fn purge_key(&self, vault: &str, key: &str) -> ApiResult<()> {
        self.call(svc::PurgeKey { vault: vault.into(), key: key.into() }).await
    }

    // ---- key rotation ------------------------------------------------------------------------
    pub async fn rotate_key(
        &self,
        vault: &str,
        key: &str,
        body: RotateKeyRequest,
    ) -> ApiResult<RotationView> {
        self.call(svc::RotateKey { vault: vault.into(), key: key.into(), body }).await
    }
    pub async fn set_rotation_policy(
        &self,
        vault: &str,
        key: &str,
        body: RotationPolicy,
    ) -> ApiResult<KeyView> {
        self.call(svc::SetRotationPolicy { vault: vault.into(), key: key.into(), body }).await
    }
    pub async fn registrations(&self, vault: &str, key: &str) -> ApiResult<Vec<RegistrationView>> {
        self.call(svc::ListRegistrations { vault: vault.into(), key: key.into() }).await
    }

    // ---- API keys ----------------------------------------------------------------------------
    pub async fn api_keys(&self) -> ApiResult<Vec<ApiKeyView>> {
        self.call(svc::ListApiKeys {}).await
    }
    pub async fn create_api_key(&self, request: CreateApiKeyRequest) -> ApiResult<CreatedApiKey> {
        self.call(svc::CreateApiKey { body: request }).await
    }
    pub async fn revoke_api_key(&self, id: &str) -> ApiResult<()> {
        self.call(svc::RevokeApiKey { id: id.into() }).await
    }

    // ---- access control and accounts ---------------------------------------------------------
    pub async fn role_assignments(&self, scope: Option<String>) -> ApiResult<Vec<RoleAssignment>> {
        self.call(svc::ListRoleAssignments { body: svc::AssignmentQuery { scope } }).await
    }
    pub async fn assign_role(&self, body: svc::RoleAssignmentRequest) -> ApiResult<RoleAssignment> {
        self.call(svc::CreateRoleAssignment { body }).await
    }
    pub async fn remove_role_assignment(&self, id: &str) -> ApiResult<()> {
        self.call(svc::DeleteRoleAssignment { assignment: id.into() }).await
    }
    pub async fn check_access(&self, principal: String) -> ApiResult<Vec<svc::ScopeAccess>> {
        self.call(svc::CheckAccess { body: svc::AccessQuery { principal, scope: None } }).await
    }
    pub async fn accounts(&self) -> ApiResult<Vec<Account>> {
        self.call(svc::ListAccounts {}).await
    }
    pub async fn create_account(&self, body: svc::CreateAccountRequest) -> ApiResult<Account> {
        self.call(svc::CreateAccount { body }).await
    }
    pub async fn set_account_enabled(&self, account: &str, enabled: bool) -> ApiResult<Account> {
        let body = svc::UpdateAccountRequest { enabled };
        self.call(svc::UpdateAccount { account: account.into(), body }).await
    }
    pub async fn delete_account(&self, account: &str) -> ApiResult<()> {
        self.call(svc::DeleteAccount { account: account.into() }).await
    }
    /// The account's sessions: the server's alone (the demo has no sign-in).
    pub async fn sessions(&self, account: &str) -> ApiResult<Vec<wire::AccountSessionView>> {
        match self {
            Backend::Http(h) => {
                h.get(&format!("/api/accounts/{}/sessions", shared::service::percent_encode(account))).await
            }
            Backend::Offline(_) => Ok(Vec::new()),
        }
    }
    pub async fn revoke_session(&self, account: &str, id: &str) -> ApiResult<()> {
        match self {
            Backend::Http(h) => h.revoke_session(account, id).await,
            Backend::Offline(_) => Ok(()),
        }
    }
    /// The offline demo's accounts stand for the people of a rehearsal: switching acts as another.
    pub fn act_as(&self, account: &str) {
        if let Backend::Offline(o) = self {
            o.act_as(account);
        }
    }

    // ---- encryption at rest ------------------------------------------------------------------
    pub async fn encryption_at_rest(&self) -> ApiResult<EncryptionAtRestView> {
        self.call(svc::GetEncryptionAtRest {}).await
    }
    pub async fn rekey_master_key(&self, body: RekeyRequest) -> ApiResult<OperationView> {
        self.call(svc::RekeyMasterKey { body }).await
    }
    pub async fn add_key_provider(&self, body: AddKeyProviderRequest) -> ApiResult<KeyProviderView> {
        self.call(svc::AddKeyProvider { body }).await
    }
    pub async fn test_key_provider(&self, id: u32) -> ApiResult<KeyProviderView> {
        self.call(svc::TestKeyProvider { id: id.to_string() }).await
    }
    pub async fn remove_key_provider(&self, id: u32) -> ApiResult<()> {
        self.call(svc::RemoveKeyProvider { id: id.to_string() }).await
    }

    // ---- secret rotation ---------------------------------------------------------------------
    pub async fn stamps(&self) -> ApiResult<Vec<StampView>> {
        self.call(svc::ListStamps {}).await
    }
    pub async fn create_stamp(&self, body: CreateStampRequest) -> ApiResult<StampView> {
        self.call(svc::CreateStamp { body }).await
    }
    pub async fn update_stamp(&self, stamp: &str, version: u16) -> ApiResult<StampView> {
        self.call(svc::UpdateStamp { stamp: stamp.into(), body: UpdateStampRequest { version } }).await
    }
    pub async fn start_secret_rotation(
        &self,
        stamp: &str,
        body: StartSecretRotationRequest,
    ) -> ApiResult<OperationView> {
        self.call(svc::StartSecretRotation { stamp: stamp.into(), body }).await
    }
    pub async fn set_bmc_credential(
        &self,
        stamp: &str,
        body: SetBmcCredentialRequest,
    ) -> ApiResult<StampView> {
        self.call(svc::SetBmcCredential { stamp: stamp.into(), body }).await
    }

    // ---- identities --------------------------------------------------------------------------
    pub async fn identities(&self) -> ApiResult<Vec<UserIdentity>> {
        self.call(svc::ListIdentities {}).await
    }
    pub async fn create_identity(&self, name: &str, resource_group: &str) -> ApiResult<UserIdentity> {
        let body = wire::CreateIdentityRequest { name: name.into(), resource_group: resource_group.into() };
        self.call(svc::CreateIdentity { body }).await
    }
    pub async fn delete_identity(&self, id: &str) -> ApiResult<()> {
        self.call(svc::DeleteIdentity { identity: id.into() }).await
    }

    // ---- orders ------------------------------------------------------------------------------
    pub async fn orders(&self) -> ApiResult<Vec<OrderView>> {
        self.call(svc::ListOrders {}).await
    }
    pub async fn order(&self, id: &str) -> ApiResult<OrderView> {
        self.call(svc::GetOrder { order: id.into() }).await
    }
    /// Save on the Encryption blade; the version in the request guards against stale edits.
    pub async fn save_encryption(
        &self,
        order: &str,
        settings: &EncryptionSettings,
        version: u64,
    ) -> ApiResult<OrderView> {
        let body = wire::SaveEncryptionRequest { settings: settings.clone() };
        self.call(svc::SaveEncryption { order: order.into(), if_match: Some(version), body }).await
    }
    /// Device password: the unwrapped passkey, formatted.
    pub async fn device_password(&self, order: &str) -> ApiResult<String> {
        Ok(self.call(svc::FetchDevicePassword { order: order.into() }).await?.password)
    }

    // ---- troubleshooting and operations -------------------------------------------------------
    pub async fn catalog(&self) -> ApiResult<Vec<CatalogEntry>> {
        self.call(svc::GetCatalog {}).await
    }
    /// Applies the one-click fix an error carried, for the subject the error named (`if_match`:
    /// the order version the error was seen on, when the blade knows it).
    pub async fn apply_fix(&self, error: &ApiError, if_match: Option<u64>) -> ApiResult<FixApplied> {
        let (Some(fix), Some(subject), Some(fix_proof)) =
            (error.fix.clone(), error.subject.clone(), error.fix_proof.clone())
        else {
            return Err(ApiError::client("This error offers no fix."));
        };
        self.call(svc::ApplyFix { if_match, body: ApplyFixRequest { subject, fix, fix_proof } }).await
    }
    // ---- device managers (device key rollover) ------------------------------------------------
    pub async fn device_managers(&self) -> ApiResult<Vec<wire::DeviceManagerView>> {
        self.call(svc::ListDeviceManagers {}).await
    }
    pub async fn authorize_rollover(
        &self,
        path: svc::ManagerPath,
        device: &str,
    ) -> ApiResult<wire::DeviceView> {
        self.call(svc::AuthorizeRollover { path, device: device.into() }).await
    }
    /// Initiates the key change on `device`: the answer carries the new key, shown once.
    pub async fn change_service_key(
        &self,
        path: svc::ManagerPath,
        device: &str,
    ) -> ApiResult<wire::NewServiceKey> {
        self.call(svc::InitiateKeyChange { path, device: device.into() }).await
    }
    pub async fn update_service_key(
        &self,
        path: svc::ManagerPath,
        device: &str,
        key: String,
    ) -> ApiResult<wire::KeyUpdateView> {
        let body = wire::ServiceKeyRequest { service_data_encryption_key: key };
        self.call(svc::UpdateDeviceKey { path, device: device.into(), body }).await
    }
    pub async fn update_cloud_appliances(
        &self,
        path: svc::ManagerPath,
        key: String,
    ) -> ApiResult<Vec<wire::KeyUpdateView>> {
        let body = wire::ServiceKeyRequest { service_data_encryption_key: key };
        self.call(svc::UpdateCloudAppliances { path, body }).await
    }
    pub async fn set_device_online(
        &self,
        path: svc::ManagerPath,
        device: &str,
        online: bool,
    ) -> ApiResult<wire::DeviceView> {
        let body = wire::ConnectivityRequest { online };
        self.call(svc::SetDeviceConnectivity { path, device: device.into(), body }).await
    }
    pub async fn read_credentials(
        &self,
        path: svc::ManagerPath,
        device: &str,
    ) -> ApiResult<Vec<wire::CredentialView>> {
        self.call(svc::ReadCredentials { path, device: device.into() }).await
    }

    /// A page of the audit trail.
    pub async fn audit(&self, query: AuditQuery) -> ApiResult<AuditPage> {
        self.call(svc::ListAudit { body: query }).await
    }
    pub async fn operations(&self) -> ApiResult<Vec<OperationView>> {
        self.call(svc::ListOperations {}).await
    }
    pub async fn operation(&self, id: &str) -> ApiResult<OperationView> {
        self.call(svc::GetOperation { operation: id.into() }).await
    }
    /// Follows an operation until it finishes, telling `on_progress` each state seen. A failed
    /// operation is an error with its catalog code.
    pub async fn follow(&self, id: &str, on_progress: impl Fn(&OperationView)) -> ApiResult<OperationView> {
        loop {
            let operation = self.operation(id).await?;
            on_progress(&operation);
            match operation.state {
                OperationState::Running => sleep(FOLLOW_INTERVAL_MS).await,
                OperationState::Succeeded => return Ok(operation),
                OperationState::Failed => {
                    let error = operation.error.unwrap_or(OperationError {
                        code: shared::catalog::ErrorCode::GenericError,
                        message: "The operation failed.".into(),
                    });
                    let diagnosis = shared::catalog::Diagnosis::plain(error.code, error.message);
                    return Err(ApiError::from_diagnosis(diagnosis));
                }
            }
        }
    }
}

/// How often [`Backend::follow`] looks at a running operation.
const FOLLOW_INTERVAL_MS: i32 = 300;

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
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
