//! The troubleshooting catalog: every error code the portal can show, its details, remediation
//! steps, whether it is recoverable *in the current state*, and the one-click fix.
//!
//! Recoverability and fixes are computed from a [`Situation`] (the world, the order and the
//! settings being checked), never copied from a table.

use serde::{Deserialize, Serialize};

use crate::catalog_text::{CodeText, text_of};
use crate::crypto::CryptoError;
use crate::model::{
    EncryptionSettings, IdentityChoice, KeyPermission, Order, Timestamp, World, within_retention,
};
use crate::ops::{self, Ctx};

/// Every code the engine can return: the 16 catalog codes first, then input/validation codes.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    /// The selected key version is disabled (or not active yet).
    #[serde(rename = "SsemUserErrorEncryptionKeyDisabled")]
    EncryptionKeyDisabled,
    /// The selected key version is past its expiry.
    #[serde(rename = "SsemUserErrorEncryptionKeyExpired")]
    EncryptionKeyExpired,
    /// The key or the version is deleted.
    #[serde(rename = "SsemUserErrorKeyDetailsNotFound")]
    KeyDetailsNotFound,
    /// Permissions missing or the firewall blocks the identity.
    #[serde(rename = "SsemUserErrorKeyVaultBadRequestException")]
    KeyVaultBadRequestException,
    /// The vault is deleted, or the subscription moved tenant under a system identity.
    #[serde(rename = "SsemUserErrorKeyVaultDetailsNotFound")]
    KeyVaultDetailsNotFound,
    /// System assigned selected but the identity is gone or not in the access policy.
    #[serde(rename = "SsemUserErrorSystemAssignedIdentityAbsent")]
    SystemAssignedIdentityAbsent,
    /// One user identity more than the limit.
    #[serde(rename = "SsemUserErrorUserAssignedLimitReached")]
    UserAssignedLimitReached,
    /// The identity's tenant differs from the subscription's.
    #[serde(rename = "SsemUserErrorCrossTenantIdentityAccessForbidden")]
    CrossTenantIdentityAccessForbidden,
    /// At save time the chosen user identity does not exist.
    #[serde(rename = "SsemUserErrorKekUserIdentityNotFound")]
    KekUserIdentityNotFound,
    /// After save the user identity was deleted or detached.
    #[serde(rename = "SsemUserErrorUserAssignedIdentityAbsent")]
    UserAssignedIdentityAbsent,
    /// The key is not RSA / RSA-HSM.
    #[serde(rename = "SsemUserErrorEncryptionKeyTypeNotSupported")]
    EncryptionKeyTypeNotSupported,
    /// The vault lacks soft delete or purge protection.
    #[serde(rename = "SsemUserErrorSoftDeleteAndPurgeProtectionNotEnabled")]
    SoftDeleteAndPurgeProtectionNotEnabled,
    /// The vault URI does not parse.
    #[serde(rename = "SsemUserErrorInvalidKeyVaultUrl")]
    InvalidKeyVaultUrl,
    /// The vault URI is not https.
    #[serde(rename = "SsemUserErrorKeyVaultUrlWithInvalidScheme")]
    KeyVaultUrlWithInvalidScheme,
    /// The vault URI host is not allowed in this cloud.
    #[serde(rename = "SsemUserErrorKeyVaultUrlInvalidHost")]
    KeyVaultUrlInvalidHost,
    /// Anything else, e.g. an unwrap that fails.
    #[serde(rename = "Generic error")]
    GenericError,
    /// Vault name breaks the naming rules.
    InvalidVaultName,
    /// Vault name used by a live or soft-deleted vault.
    VaultNameTaken,
    /// Key name breaks the naming rules.
    InvalidKeyName,
    /// Key name already used in the vault.
    KeyNameTaken,
    /// Key type/size combination not offered.
    InvalidKeySize,
    /// Retention outside 7-90 days.
    InvalidRetention,
    /// A display name (identity, order) is empty or too long.
    InvalidName,
    /// The key-transfer blob could not be unwrapped or holds an unacceptable key.
    InvalidKeyTransfer,
    /// Purge protection can never be turned off once on.
    PurgeProtectionCannotBeDisabled,
    /// Purge refused while purge protection is on.
    PurgeProtected,
    /// Recovery asked for something purged or past retention.
    NotRecoverable,
    /// Referenced entity does not exist.
    NotFound,
    /// Stale `expected_version`, or the entity is in the wrong state for the request.
    Conflict,
    /// Sign-in failed or missing.
    Unauthorized,
    /// The request itself is unusable: malformed JSON, wrong field types, a bad header.
    InvalidRequest,
    /// The request body is larger than the API accepts.
    PayloadTooLarge,
    /// The request body is not JSON.
    UnsupportedMediaType,
    /// The route exists but not with this HTTP method.
    MethodNotAllowed,
    /// Too many failed sign-ins in a short time.
    TooManyRequests,
    /// The request took longer than the server allows.
    Timeout,
}

impl ErrorCode {
    /// The 16 catalog codes, in the order of the Troubleshoot page.
    pub const CATALOG: [ErrorCode; 16] = [
        ErrorCode::EncryptionKeyDisabled,
        ErrorCode::EncryptionKeyExpired,
        ErrorCode::KeyDetailsNotFound,
        ErrorCode::KeyVaultBadRequestException,
        ErrorCode::KeyVaultDetailsNotFound,
        ErrorCode::SystemAssignedIdentityAbsent,
        ErrorCode::UserAssignedLimitReached,
        ErrorCode::CrossTenantIdentityAccessForbidden,
        ErrorCode::KekUserIdentityNotFound,
        ErrorCode::UserAssignedIdentityAbsent,
        ErrorCode::EncryptionKeyTypeNotSupported,
        ErrorCode::SoftDeleteAndPurgeProtectionNotEnabled,
        ErrorCode::InvalidKeyVaultUrl,
        ErrorCode::KeyVaultUrlWithInvalidScheme,
        ErrorCode::KeyVaultUrlInvalidHost,
        ErrorCode::GenericError,
    ];

    /// The code string, exactly as the catalog spells it.
    pub fn as_str(self) -> &'static str {
        self.text().code
    }

    /// Whether this is one of the documented catalog codes (as opposed to an input error).
    pub fn is_catalog(self) -> bool {
        Self::CATALOG.contains(&self)
    }

    /// HTTP status the backend should use, so it maps codes without restating rules.
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidKeyVaultUrl | KeyVaultUrlWithInvalidScheme | KeyVaultUrlInvalidHost => 400,
            InvalidVaultName | InvalidKeyName | InvalidKeySize | InvalidRetention | InvalidName => 400,
            InvalidRequest => 400,
            Unauthorized => 401,
            NotFound => 404,
            MethodNotAllowed => 405,
            Timeout => 408,
            PayloadTooLarge => 413,
            UnsupportedMediaType => 415,
            TooManyRequests => 429,
            VaultNameTaken | KeyNameTaken | Conflict | PurgeProtected | NotRecoverable => 409,
            PurgeProtectionCannotBeDisabled | UserAssignedLimitReached => 409,
            GenericError => 500,
            _ => 422,
        }
    }

    /// The code for a failure the HTTP layer detected before any engine rule ran (an unknown
    /// route, a body that is not JSON...), from the status it was answered with. The inverse of
    /// [`ErrorCode::status`] for these codes; any other client error is `InvalidRequest`.
    pub fn for_status(status: u16) -> ErrorCode {
        use ErrorCode::*;
        match status {
            401 => Unauthorized,
            404 => NotFound,
            405 => MethodNotAllowed,
            408 => Timeout,
            409 => Conflict,
            413 => PayloadTooLarge,
            415 => UnsupportedMediaType,
            429 => TooManyRequests,
            500.. => GenericError,
            _ => InvalidRequest,
        }
    }

    /// Error details shown with the code.
    pub fn details(self) -> &'static str {
        self.text().details
    }

    /// Remediation steps, in the portal's own words.
    pub fn remediation(self) -> Vec<String> {
        self.text().remediation.iter().map(|s| s.to_string()).collect()
    }

    /// Whether the code is recoverable in general (the Troubleshoot page column).
    pub fn recoverable_summary(self) -> &'static str {
        self.text().recoverable_summary
    }

    fn text(self) -> CodeText {
        text_of(self)
    }
}

/// A failed operation: a code plus a specific message, and (for encryption failures) the order
/// and settings that were being checked, so the diagnosis can be computed from the state.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct Failure {
    /// The code.
    pub code: ErrorCode,
    /// What exactly went wrong, for people.
    pub message: String,
    /// Order and settings under check, when the failure concerns an order.
    pub context: Option<Box<FailureContext>>,
}

/// The order and settings a failure was computed for.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureContext {
    /// Order id.
    pub order_id: String,
    /// The settings being saved, or the current ones when fetching the passkey.
    pub settings: EncryptionSettings,
}

impl Failure {
    /// A failure with a specific message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure { code, message: message.into(), context: None }
    }

    /// A catalog failure about an order, with the catalog's details as message.
    pub fn for_order(code: ErrorCode, order_id: &str, settings: &EncryptionSettings) -> Failure {
        Failure {
            code,
            message: code.details().to_string(),
            context: Some(Box::new(FailureContext {
                order_id: order_id.to_string(),
                settings: settings.clone(),
            })),
        }
    }

    /// Shorthand for [`ErrorCode::NotFound`].
    pub fn not_found(what: &str) -> Failure {
        Failure::new(ErrorCode::NotFound, format!("{what} was not found."))
    }

    /// Shorthand for [`ErrorCode::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Failure {
        Failure::new(ErrorCode::Conflict, message)
    }

    /// Shorthand for [`ErrorCode::GenericError`] with the given message.
    pub fn generic(message: impl Into<String>) -> Failure {
        Failure::new(ErrorCode::GenericError, message)
    }

    /// The full diagnosis against `world` (the state the failure happened in) at `now`.
    pub fn diagnose(&self, world: &World, now: Timestamp) -> Diagnosis {
        let situation = self.context.as_ref().and_then(|ctx| {
            let order = world.orders.get(&ctx.order_id)?;
            Some(Situation { world, order, settings: &ctx.settings, now })
        });
        let mut diagnosis = Diagnosis::plain(self.code, self.message.clone());
        if let Some(s) = &situation {
            diagnosis.recoverable = self.code.recoverable(s);
            diagnosis.fix = self.code.fix(s);
        }
        diagnosis
    }
}

/// A crypto failure on our own stored material: nothing the user did, hence Generic error.
/// The cause stays out of the message; details would only help an attacker.
impl From<CryptoError> for Failure {
    fn from(_: CryptoError) -> Failure {
        Failure::generic("An internal cryptographic step failed.")
    }
}

/// What the portal shows for a failure (this is also the API's `ErrorBody`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Diagnosis {
    /// The code.
    pub code: ErrorCode,
    /// Specific message.
    pub message: String,
    /// Recoverable in the current state.
    pub recoverable: bool,
    /// Steps to take.
    pub remediation: Vec<String>,
    /// One-click fix, when the portal can perform it.
    pub fix: Option<FixAction>,
}

impl Diagnosis {
    /// The diagnosis of a failure that concerns no order (input and transport errors, unknown
    /// ids, sign-in): recoverability from the code alone, no fix.
    pub fn plain(code: ErrorCode, message: impl Into<String>) -> Diagnosis {
        Diagnosis {
            code,
            message: message.into(),
            recoverable: code.recoverable_without_context(),
            remediation: code.remediation(),
            fix: None,
        }
    }
}

/// The state a code is judged in.
#[derive(Clone, Copy, Debug)]
pub struct Situation<'a> {
    /// Whole world.
    pub world: &'a World,
    /// The order concerned.
    pub order: &'a Order,
    /// Settings being checked (attempted on save, current on fetch).
    pub settings: &'a EncryptionSettings,
    /// Now.
    pub now: Timestamp,
}

/// One-click actions the portal can perform to clear a failure.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action")]
pub enum FixAction {
    /// Enable the version (and make it active now if its activation lies ahead).
    EnableKeyVersion { vault: String, key: String, version: String },
    /// Push the version's expiry one year past now.
    ExtendExpiry { vault: String, key: String, version: String },
    /// Recover a soft-deleted key.
    RecoverKey { vault: String, key: String },
    /// Recover a soft-deleted vault.
    RecoverVault { vault: String },
    /// Add permissions for a principal to the vault's access policy.
    GrantKeyPermissions { vault: String, principal_id: String, permissions: Vec<KeyPermission> },
    /// Save the same key with the order's system-assigned identity.
    SwitchToSystemAssigned { vault: String, key: String, version: String },
    /// Move the subscription back to its original tenant.
    RestoreSubscriptionTenant { subscription_id: String },
    /// Recreate the order's system identity and grant it Get, WrapKey, UnwrapKey on the vault.
    RecreateSystemIdentity { vault: String },
    /// Turn on soft delete and purge protection.
    EnablePurgeProtection { vault: String },
    /// Detach user identities the encryption settings do not use.
    DetachUserIdentities { identity_ids: Vec<String> },
    /// Move a user identity into the subscription's tenant.
    MoveIdentityToTenant { identity_id: String, tenant_id: String },
}

/// One catalog row for the Troubleshoot page.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogEntry {
    /// The code.
    pub code: ErrorCode,
    /// Code string as documented.
    pub code_str: String,
    /// Details.
    pub details: String,
    /// Recoverable in general.
    pub recoverable: String,
    /// Remediation steps.
    pub remediation: Vec<String>,
}

/// The whole catalog, in display order.
pub fn catalog() -> Vec<CatalogEntry> {
    ErrorCode::CATALOG
        .iter()
        .map(|&code| CatalogEntry {
            code,
            code_str: code.as_str().to_string(),
            details: code.details().to_string(),
            recoverable: code.recoverable_summary().to_string(),
            remediation: code.remediation(),
        })
        .collect()
}

impl ErrorCode {
    /// Input errors are fixed by correcting the input; a generic error needs support.
    fn recoverable_without_context(self) -> bool {
        !matches!(self, ErrorCode::GenericError | ErrorCode::NotRecoverable)
    }

    /// Whether the failure can be cleared from this state.
    pub fn recoverable(self, s: &Situation) -> bool {
        use ErrorCode::*;
        match self {
            KeyDetailsNotFound => recoverable_key(s).is_some(),
            KeyVaultDetailsNotFound => tenant_moved(s).is_some() || recoverable_vault(s).is_some(),
            UserAssignedIdentityAbsent => false,
            _ => self.recoverable_without_context(),
        }
    }

    /// The one-click fix for this state, if the portal can perform one.
    pub fn fix(self, s: &Situation) -> Option<FixAction> {
        use ErrorCode::*;
        if self == UserAssignedLimitReached {
            return Some(detach_unused(s));
        }
        let ck = s.settings.customer_key()?;
        let (vault, key, version) = (ck.vault.clone(), ck.key.clone(), ck.version.clone());
        match self {
            EncryptionKeyDisabled => Some(FixAction::EnableKeyVersion { vault, key, version }),
            EncryptionKeyExpired => Some(FixAction::ExtendExpiry { vault, key, version }),
            KeyDetailsNotFound => recoverable_key(s).map(|_| FixAction::RecoverKey { vault, key }),
            KeyVaultBadRequestException => bad_request_fix(s),
            KeyVaultDetailsNotFound => tenant_moved(s)
                .map(|subscription_id| FixAction::RestoreSubscriptionTenant { subscription_id })
                .or_else(|| recoverable_vault(s).map(|_| FixAction::RecoverVault { vault })),
            SystemAssignedIdentityAbsent => Some(system_identity_fix(s)),
            CrossTenantIdentityAccessForbidden => move_identity_fix(s),
            KekUserIdentityNotFound | UserAssignedIdentityAbsent => s
                .order
                .system_identity
                .as_ref()
                .map(|_| FixAction::SwitchToSystemAssigned { vault, key, version }),
            SoftDeleteAndPurgeProtectionNotEnabled => Some(FixAction::EnablePurgeProtection { vault }),
            _ => None,
        }
    }
}

/// The soft-deleted key in a live vault, still within the vault's retention.
fn recoverable_key(s: &Situation) -> Option<()> {
    let ck = s.settings.customer_key()?;
    let vault = s.world.vaults.get(&ck.vault).filter(|v| v.is_live())?;
    let key = vault.keys.get(&ck.key).filter(|k| !k.purged)?;
    let in_time = within_retention(key.deleted_at, vault.retention_days, s.now);
    (in_time && key.version(&ck.version).is_some()).then_some(())
}

/// The soft-deleted vault, still within retention.
fn recoverable_vault(s: &Situation) -> Option<()> {
    let ck = s.settings.customer_key()?;
    s.world.vaults.get(&ck.vault).filter(|v| v.is_recoverable(s.now)).map(|_| ())
}

/// The subscription id, when the order's system identity was left behind by a tenant move.
fn tenant_moved(s: &Situation) -> Option<String> {
    let ck = s.settings.customer_key()?;
    let subscription = s.world.subscriptions.get(&s.order.subscription_id)?;
    let identity = s.order.system_identity.as_ref()?;
    let moved = ck.identity == IdentityChoice::SystemAssigned && identity.tenant_id != subscription.tenant_id;
    moved.then(|| subscription.id.clone())
}

fn bad_request_fix(s: &Situation) -> Option<FixAction> {
    let ck = s.settings.customer_key()?;
    let vault = s.world.vaults.get(&ck.vault)?;
    let principal_id = ops::principal_of(s.world, s.order, &ck.identity)?;
    let firewall_blocks = matches!(ck.identity, IdentityChoice::UserAssigned { .. })
        && vault.firewall.enabled
        && !vault.firewall.allowed_identities.contains(&principal_id);
    if firewall_blocks && s.order.system_identity.is_some() {
        return Some(FixAction::SwitchToSystemAssigned {
            vault: ck.vault.clone(),
            key: ck.key.clone(),
            version: ck.version.clone(),
        });
    }
    Some(FixAction::GrantKeyPermissions {
        vault: ck.vault.clone(),
        principal_id,
        permissions: KeyPermission::REQUIRED_FOR_ORDER.to_vec(),
    })
}

fn system_identity_fix(s: &Situation) -> FixAction {
    let vault = s.settings.customer_key().map(|ck| ck.vault.clone()).unwrap_or_default();
    match &s.order.system_identity {
        Some(identity) => FixAction::GrantKeyPermissions {
            vault,
            principal_id: identity.principal_id.clone(),
            permissions: KeyPermission::REQUIRED_FOR_ORDER.to_vec(),
        },
        None => FixAction::RecreateSystemIdentity { vault },
    }
}

fn detach_unused(s: &Situation) -> FixAction {
    let in_use = match s.order.encryption.customer_key().map(|ck| &ck.identity) {
        Some(IdentityChoice::UserAssigned { identity_id }) => Some(identity_id.clone()),
        _ => None,
    };
    let identity_ids =
        s.order.user_identities.iter().filter(|id| Some(*id) != in_use.as_ref()).cloned().collect();
    FixAction::DetachUserIdentities { identity_ids }
}

fn move_identity_fix(s: &Situation) -> Option<FixAction> {
    let IdentityChoice::UserAssigned { identity_id } = &s.settings.customer_key()?.identity else {
        return None;
    };
    let tenant_id = s.world.subscriptions.get(&s.order.subscription_id)?.tenant_id.clone();
    Some(FixAction::MoveIdentityToTenant { identity_id: identity_id.clone(), tenant_id })
}

/// Performs a fix for an order. Atomic like every operation: the new world, or a failure and
/// nothing changed. With `expected_version`, the order must still be at the version the user
/// saw the failure on ([`ops::check_order_version`]).
pub fn apply_fix(
    world: &World,
    ctx: &mut Ctx,
    order_id: &str,
    fix: &FixAction,
    expected_version: Option<u64>,
) -> Result<World, Failure> {
    use FixAction::*;
    ops::check_order_version(world, order_id, expected_version)?;
    match fix {
        EnableKeyVersion { vault, key, version } => ops::enable_version_now(world, ctx, vault, key, version),
        ExtendExpiry { vault, key, version } => ops::extend_expiry(world, ctx, vault, key, version),
        RecoverKey { vault, key } => ops::recover_key(world, ctx, vault, key),
        RecoverVault { vault } => ops::recover_vault(world, ctx, vault),
        GrantKeyPermissions { vault, principal_id, permissions } => {
            ops::grant_permissions(world, vault, principal_id, permissions)
        }
        SwitchToSystemAssigned { vault, key, version } => {
            ops::switch_to_system_assigned(world, ctx, order_id, vault, key, version)
        }
        RestoreSubscriptionTenant { subscription_id } => {
            ops::revert_subscription_tenant(world, subscription_id)
        }
        RecreateSystemIdentity { vault } => {
            ops::recreate_system_identity_with_access(world, ctx, order_id, vault)
        }
        EnablePurgeProtection { vault } => ops::enable_recovery_options(world, vault),
        DetachUserIdentities { identity_ids } => ops::detach_identities(world, order_id, identity_ids, None),
        MoveIdentityToTenant { identity_id, tenant_id } => {
            ops::move_identity_tenant(world, identity_id, tenant_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_lists_sixteen_codes_with_exact_strings() {
        let entries = catalog();
        assert_eq!(entries.len(), 16);
        for entry in &entries {
            let json = serde_json::to_string(&entry.code).unwrap();
            assert_eq!(json, format!("\"{}\"", entry.code_str));
            assert!(!entry.details.is_empty() && !entry.remediation.is_empty());
            assert!(entry.code.is_catalog());
        }
        assert_eq!(entries[15].code_str, "Generic error");
        assert!(entries.iter().filter(|e| e.code_str.starts_with("SsemUserError")).count() == 15);
    }

    #[test]
    fn url_codes_are_recoverable_input_errors() {
        for code in [
            ErrorCode::InvalidKeyVaultUrl,
            ErrorCode::KeyVaultUrlWithInvalidScheme,
            ErrorCode::KeyVaultUrlInvalidHost,
        ] {
            let diagnosis = Diagnosis::plain(code, "x");
            assert!(diagnosis.recoverable && diagnosis.fix.is_none());
            assert_eq!(code.status(), 400);
        }
        assert!(
            !Failure::new(ErrorCode::GenericError, "x").diagnose(&World::default(), Timestamp(0)).recoverable
        );
    }

    #[test]
    fn transport_codes_round_trip_through_their_status() {
        use ErrorCode::*;
        for code in [
            InvalidRequest,
            Unauthorized,
            NotFound,
            MethodNotAllowed,
            Timeout,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            TooManyRequests,
            GenericError,
        ] {
            assert_eq!(ErrorCode::for_status(code.status()), code);
            assert!(!code.details().is_empty() && !code.remediation().is_empty());
        }
        assert_eq!(ErrorCode::for_status(422), InvalidRequest);
        assert_eq!(serde_json::to_string(&PayloadTooLarge).unwrap(), "\"PayloadTooLarge\"");
    }
}
