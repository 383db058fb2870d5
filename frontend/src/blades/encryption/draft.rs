//! The Encryption blade's editable state, compared with what is saved to detect unsaved changes.

use shared::model::{CustomerKey, EncryptionSettings, IdentityChoice};

use crate::panels::KeyRef;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityDraft {
    System,
    User(Option<String>),
}

#[derive(Clone, Debug)]
pub struct Draft {
    pub cmk: bool,
    pub key: Option<KeyRef>,
    pub identity: IdentityDraft,
    /// Remembered when switching identity type back and forth (not part of equality-relevant
    /// state beyond what the user sees).
    pub last_user: Option<String>,
}

impl Default for Draft {
    fn default() -> Self {
        Self { cmk: false, key: None, identity: IdentityDraft::System, last_user: None }
    }
}

impl Draft {
    pub fn from(settings: &EncryptionSettings) -> Self {
        match settings {
            EncryptionSettings::MicrosoftManaged => Self::default(),
            EncryptionSettings::CustomerManaged(k) => {
                let identity = match &k.identity {
                    IdentityChoice::SystemAssigned => IdentityDraft::System,
                    IdentityChoice::UserAssigned { identity_id } => {
                        IdentityDraft::User(Some(identity_id.clone()))
                    }
                };
                let last_user = match &identity {
                    IdentityDraft::User(u) => u.clone(),
                    IdentityDraft::System => None,
                };
                Self {
                    cmk: true,
                    key: Some(KeyRef {
                        vault: k.vault.clone(),
                        key: k.key.clone(),
                        version: k.version.clone(),
                    }),
                    identity,
                    last_user,
                }
            }
        }
    }

    /// The settings to save, or why they are incomplete.
    pub fn to_settings(&self) -> Result<EncryptionSettings, &'static str> {
        if !self.cmk {
            return Ok(EncryptionSettings::MicrosoftManaged);
        }
        let key = self.key.as_ref().ok_or("Select a key and key vault before saving.")?;
        let identity = match &self.identity {
            IdentityDraft::System => IdentityChoice::SystemAssigned,
            IdentityDraft::User(Some(id)) => IdentityChoice::UserAssigned { identity_id: id.clone() },
            IdentityDraft::User(None) => return Err("Select a user identity before saving."),
        };
        Ok(EncryptionSettings::CustomerManaged(CustomerKey {
            vault: key.vault.clone(),
            key: key.key.clone(),
            version: key.version.clone(),
            key_url: String::new(),
            identity,
        }))
    }
}

/// Two drafts are equal when they would save the same settings: with a Microsoft managed key
/// the remembered key and identity do not matter.
impl PartialEq for Draft {
    fn eq(&self, other: &Self) -> bool {
        self.cmk == other.cmk && (!self.cmk || (self.key == other.key && self.identity == other.identity))
    }
}
impl Eq for Draft {}
