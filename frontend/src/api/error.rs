//! Errors as the portal shows them: the catalog code, details, whether it is recoverable now,
//! remediation steps and an optional one-click fix.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// A fix the backend can apply in one click.
    #[serde(default)]
    pub fix: Option<Value>,
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
        }
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
                message: if body.trim().is_empty() { format!("The server answered {status}.") } else { body.chars().take(300).collect() },
                recoverable: None,
                remediation: vec![],
                fix: None,
            };
        };
        let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        Self {
            status,
            code: text("code").unwrap_or_else(|| format!("HTTP {status}")),
            message: text("message").or_else(|| text("details")).unwrap_or_default(),
            recoverable: e.get("recoverable").and_then(Value::as_bool),
            remediation: steps(e.get("remediation")),
            fix: e.get("fix").filter(|f| !f.is_null()).cloned(),
        }
    }

    /// A human label for the fix button's action, if the fix carries one.
    pub fn fix_label(&self) -> Option<String> {
        let fix = self.fix.as_ref()?;
        let field = |k: &str| fix.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let label = match fix.get("action").and_then(Value::as_str)? {
            "EnableKeyVersion" => format!("Enable version {} of key {} in {}", short(&field("version")), field("key"), field("vault")),
            "ExtendExpiry" => format!("Extend the expiry of version {} of key {} by a year", short(&field("version")), field("key")),
            "RecoverKey" => format!("Recover the deleted key {} in {}", field("key"), field("vault")),
            "RecoverVault" => format!("Recover the deleted key vault {}", field("vault")),
            "GrantKeyPermissions" => format!("Grant Get, WrapKey and UnwrapKey on {} to the identity", field("vault")),
            "SwitchToSystemAssigned" => "Switch to the system-assigned identity".to_string(),
            "RestoreSubscriptionTenant" => "Move the subscription back to its original tenant".to_string(),
            "RecreateSystemIdentity" => format!("Recreate the system-assigned identity and grant it access to {}", field("vault")),
            "EnablePurgeProtection" => format!("Enable soft delete and purge protection on {}", field("vault")),
            "DetachUserIdentities" => "Detach the user identities the settings do not use".to_string(),
            "MoveIdentityToTenant" => "Move the user identity to the subscription's tenant".to_string(),
            other => other.to_string(),
        };
        Some(label)
    }
}

fn steps(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string).or_else(|| i.get("text").and_then(Value::as_str).map(str::to_string)))
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
