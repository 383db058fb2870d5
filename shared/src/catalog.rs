//! The troubleshooting catalog: every error code the portal can show, its details, remediation
//! steps, whether it is recoverable *in the current state*, and the one-click fix.
//!
//! Recoverability and fixes are computed from a [`Situation`] (the world, the order and the
//! settings being checked), never copied from a table.

use serde::{Deserialize, Serialize};

pub use crate::code::ErrorCode;
use crate::crypto::{CryptoError, MasterKey};
use crate::model::{
    EncryptionSettings, IdentityChoice, KeyPermission, Order, Subject, Timestamp, World, within_retention,
};

/// What Save, Revert and Device password can answer: every catalog code, the order not found,
/// and a stale version.
pub const ENCRYPTION_FAILURES: [ErrorCode; 18] = {
    let mut codes = [ErrorCode::NotFound; 18];
    let mut i = 0;
    while i < ErrorCode::CATALOG.len() {
        codes[i] = ErrorCode::CATALOG[i];
        i += 1;
    }
    codes[17] = ErrorCode::Conflict;
    codes
};

/// What proves that the server offered `fix` for `subject` (see [`Failure::diagnose`]): the fix
/// route applies only fixes it can check this way.
pub fn fix_proof(master: &MasterKey, subject: &Subject, fix: &FixAction) -> String {
    crate::crypto::authenticate(master, FIX_PROOF, &offer_bytes(subject, fix))
}

/// Whether `proof` shows the server offered exactly `fix` for exactly `subject`.
pub fn is_offered(master: &MasterKey, subject: &Subject, fix: &FixAction, proof: &str) -> bool {
    crate::crypto::is_authentic(master, FIX_PROOF, &offer_bytes(subject, fix), proof)
}

const FIX_PROOF: &str = "keyblade fix offer";

fn offer_bytes(subject: &Subject, fix: &FixAction) -> Vec<u8> {
    serde_json::to_vec(&(subject, fix)).unwrap_or_default()
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
    /// What the failure is about and the fix the rule that failed offers, for failures that
    /// concern something other than an order (their rule knows both when it fails).
    pub offer: Option<Box<(Subject, Option<FixAction>)>>,
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
        Failure { code, message: message.into(), context: None, offer: None }
    }

    /// A failure about `subject` (a device, a device manager...).
    pub fn about(code: ErrorCode, message: impl Into<String>, subject: Subject) -> Failure {
        Failure { offer: Some(Box::new((subject, None))), ..Failure::new(code, message) }
    }

    /// The same failure offering `fix` for its subject.
    pub fn with_fix(mut self, fix: FixAction) -> Failure {
        if let Some(offer) = self.offer.as_mut() {
            offer.1 = Some(fix);
        }
        self
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
            offer: None,
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

    /// The full diagnosis against `world` (the state the failure happened in) at `now`. A fix
    /// comes with its proof under `master`: the fix route applies only fixes offered this way.
    pub fn diagnose(&self, world: &World, now: Timestamp, master: &MasterKey) -> Diagnosis {
        let situation = self.context.as_ref().and_then(|ctx| {
            let order = world.orders.get(&ctx.order_id)?;
            Some(Situation { world, order, settings: &ctx.settings, now })
        });
        let mut diagnosis = Diagnosis::plain(self.code, self.message.clone());
        if let Some(s) = &situation {
            diagnosis.recoverable = self.code.recoverable(s);
            diagnosis.fix = self.code.fix(s);
            diagnosis.subject = Some(Subject::Order { id: s.order.id.clone() });
        } else if let Some(offer) = &self.offer {
            diagnosis.subject = Some(offer.0.clone());
            diagnosis.fix = offer.1.clone();
        }
        if let (Some(fix), Some(subject)) = (&diagnosis.fix, &diagnosis.subject) {
            diagnosis.fix_proof = Some(fix_proof(master, subject, fix));
        }
        diagnosis
    }
}

/// A crypto failure on our own stored material: nothing the user did, hence Generic error.
/// The cause stays out of the message; details would only help an attacker.
impl From<CryptoError> for Failure {
    fn from(error: CryptoError) -> Failure {
        match error {
            CryptoError::KeyUnavailable => Failure::new(
                ErrorCode::MasterKeyUnavailable,
                "A secret needed here is sealed under a master key this instance does not hold.",
            ),
            _ => Failure::generic("An internal cryptographic step failed."),
        }
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
    /// One-click fix, when the portal can perform it; post it to `/api/fixes` with `subject`
    /// and `fix_proof`.
    pub fix: Option<FixAction>,
    /// What the failure is about.
    #[serde(default)]
    pub subject: Option<Subject>,
    /// The server's proof that it offered `fix` for `subject`.
    #[serde(default)]
    pub fix_proof: Option<String>,
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
            subject: None,
            fix_proof: None,
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
    /// Bring a device back online (a simulation action).
    SetDeviceOnline { manager: String, device: String },
    /// Authorize the device again to change the service data encryption key.
    AuthorizeRollover { manager: String, device: String },
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
        .chain(ErrorCode::ROLLOVER.iter())
        .chain(ErrorCode::ROTATION.iter())
        .chain(ErrorCode::REKEY.iter())
        .chain(ErrorCode::SECRET_ROTATION.iter())
        .chain(ErrorCode::ACCESS.iter())
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
    let principal_id = s.world.principal_of(s.order, &ck.identity)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_lists_the_data_box_then_the_rollover_rotation_rekey_and_secret_rotation_codes_with_exact_strings()
     {
        let entries = catalog();
        assert_eq!(entries.len(), 16 + 8 + 7 + 6 + 14 + 8);
        for entry in &entries {
            let json = serde_json::to_string(&entry.code).unwrap();
            assert_eq!(json, format!("\"{}\"", entry.code_str));
            assert!(!entry.details.is_empty() && !entry.remediation.is_empty());
        }
        assert!(entries[..16].iter().all(|e| e.code.is_catalog()));
        assert_eq!(entries[15].code_str, "Generic error");
        assert!(entries.iter().filter(|e| e.code_str.starts_with("SsemUserError")).count() == 15);
        assert_eq!(entries[16..24].iter().map(|e| e.code).collect::<Vec<_>>(), ErrorCode::ROLLOVER);
        assert_eq!(entries[24..31].iter().map(|e| e.code).collect::<Vec<_>>(), ErrorCode::ROTATION);
        assert_eq!(entries[31..37].iter().map(|e| e.code).collect::<Vec<_>>(), ErrorCode::REKEY);
        assert_eq!(entries[37..51].iter().map(|e| e.code).collect::<Vec<_>>(), ErrorCode::SECRET_ROTATION);
        assert_eq!(entries[51..].iter().map(|e| e.code).collect::<Vec<_>>(), ErrorCode::ACCESS);
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
        }
        assert!(
            !Failure::new(ErrorCode::GenericError, "x")
                .diagnose(&World::default(), Timestamp(0), &crate::crypto::MasterKey::from_bytes([0; 32]))
                .recoverable
        );
    }
}
