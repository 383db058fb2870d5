//! Errors as the portal shows them: the catalog code, details, whether it is recoverable now,
//! remediation steps and an optional one-click fix.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::{
    api::ErrorEnvelope,
    catalog::{Diagnosis, FixAction},
    model::Subject,
};

/// An error from any backend implementation. `fix` is opaque to the portal: it is handed back
/// verbatim to [`super::Backend::apply_fix`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    /// HTTP status (0 when the backend could not be reached).
    #[serde(default)]
    pub status: u16,
    /// Catalog code, e.g. `SsemUserErrorEncryptionKeyDisabled`, or a generic code.
    pub code: String,
    /// Details.
    #[serde(default)]
    pub message: String,
    /// Whether the error is recoverable in the current state.
    #[serde(default)]
    pub recoverable: Option<bool>,
    /// Remediation steps.
    #[serde(default)]
    pub remediation: Vec<String>,
    /// A fix the backend can apply in one click, for `subject`.
    #[serde(default)]
    pub fix: Option<FixAction>,
    /// What the failure is about.
    #[serde(default)]
    pub subject: Option<Subject>,
    /// The server's proof that it offered `fix` for `subject`.
    #[serde(default)]
    pub fix_proof: Option<String>,
}

impl ApiError {
    pub fn unreachable() -> Self {
        Self {
            status: 0,
            code: "BackendUnreachable".into(),
            message: "The Keyblade server could not be reached.".into(),
            recoverable: Some(true),
            remediation: vec!["Check that the server is running, then retry.".into()],
            fix: None,
            subject: None,
            fix_proof: None,
        }
    }

    pub fn client(message: impl Into<String>) -> Self {
        Self {
            status: 0,
            code: "Generic error".into(),
            message: message.into(),
            recoverable: None,
            remediation: vec![],
            fix: None,
            subject: None,
            fix_proof: None,
        }
    }

    /// A failure the engine diagnosed (the offline demo's answers).
    pub fn from_diagnosis(diagnosis: Diagnosis) -> Self {
        let body = serde_json::to_string(&ErrorEnvelope { error: diagnosis }).unwrap_or_default();
        Self::from_envelope(0, &body)
    }

    /// Whether no backend answered (see [`ApiError::unreachable`]).
    pub fn is_unreachable(&self) -> bool {
        self.status == 0 && self.code == "BackendUnreachable"
    }

    /// Whether `body` is the server's error envelope `{"error": {...}}`.
    pub fn is_envelope(body: &str) -> bool {
        serde_json::from_str::<Value>(body).is_ok_and(|v| v.get("error").is_some_and(Value::is_object))
    }

    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }

    /// Parses the JSON error envelope `{"error":{code,message,recoverable,remediation,fix}}`.
    pub fn from_envelope(status: u16, body: &str) -> Self {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let inner = parsed.as_ref().and_then(|v| v.get("error")).cloned();
        let Some(e) = inner else {
            return Self {
                status,
                code: if status == 401 { "Unauthorized".into() } else { format!("HTTP {status}") },
                message: if body.trim().is_empty() {
                    format!("The server answered {status}.")
                } else {
                    body.chars().take(300).collect()
                },
                recoverable: None,
                remediation: vec![],
                fix: None,
                subject: None,
                fix_proof: None,
            };
        };
        let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        Self {
            status,
            code: text("code").unwrap_or_else(|| format!("HTTP {status}")),
            message: text("message").or_else(|| text("details")).unwrap_or_default(),
            recoverable: e.get("recoverable").and_then(Value::as_bool),
            remediation: steps(e.get("remediation")),
            fix: e.get("fix").and_then(|f| serde_json::from_value(f.clone()).ok()),
            subject: e.get("subject").and_then(|s| serde_json::from_value(s.clone()).ok()),
            fix_proof: text("fix_proof"),
        }
    }

    /// A human label for the fix button's action, if the error carries a fix.
    pub fn fix_label(&self) -> Option<String> {
        use FixAction::*;
        Some(match self.fix.as_ref()? {
            EnableKeyVersion { vault, key, version } => {
                format!("Enable version {} of key {key} in {vault}", short(version))
            }
            ExtendExpiry { key, version, .. } => {
                format!("Extend the expiry of version {} of key {key} by a year", short(version))
            }
            RecoverKey { vault, key } => format!("Recover the deleted key {key} in {vault}"),
            RecoverVault { vault } => format!("Recover the deleted key vault {vault}"),
            GrantKeyPermissions { vault, .. } => {
                format!("Grant Get, WrapKey and UnwrapKey on {vault} to the identity")
            }
            SwitchToSystemAssigned { .. } => "Switch to the system-assigned identity".to_string(),
            RestoreSubscriptionTenant { .. } => {
                "Move the subscription back to its original tenant".to_string()
            }
            RecreateSystemIdentity { vault } => {
                format!("Recreate the system-assigned identity and grant it access to {vault}")
            }
            EnablePurgeProtection { vault } => format!("Enable soft delete and purge protection on {vault}"),
            DetachUserIdentities { .. } => "Detach the user identities the settings do not use".to_string(),
            MoveIdentityToTenant { .. } => "Move the user identity to the subscription's tenant".to_string(),
            SetDeviceOnline { device, .. } => format!("Bring device {device} online"),
            AuthorizeRollover { device, .. } => format!("Authorize {device} again to change the key"),
        })
    }
}

fn steps(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => {
            s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
        }
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .or_else(|| i.get("text").and_then(Value::as_str).map(str::to_string))
            })
            .collect(),
        _ => vec![],
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}
