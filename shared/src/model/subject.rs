//! What a failure or a fix is about.

use serde::{Deserialize, Serialize};

/// What a failure, a fix or an operation is about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Subject {
    /// An order (its encryption settings, identities or passkey).
    Order {
        /// Order id.
        id: String,
    },
    /// A key vault.
    Vault {
        /// Vault name.
        vault: String,
    },
    /// A key in a vault.
    Key {
        /// Vault name.
        vault: String,
        /// Key name.
        key: String,
    },
    /// A device manager (its service data encryption key).
    DeviceManager {
        /// Manager name.
        manager: String,
    },
    /// A device registered with a device manager.
    Device {
        /// Manager name.
        manager: String,
        /// Device name.
        device: String,
    },
    /// The instance's encryption at rest (its master key and key providers).
    EncryptionAtRest,
    /// A stamp (its infrastructure secrets).
    Stamp {
        /// Stamp name.
        stamp: String,
    },
}

impl Subject {
    /// Its API path, as the audit trail names subjects (`vaults/contoso-kv/keys/databox-key`).
    pub fn path(&self) -> String {
        match self {
            Subject::Order { id } => format!("orders/{id}"),
            Subject::Vault { vault } => format!("vaults/{vault}"),
            Subject::Key { vault, key } => format!("vaults/{vault}/keys/{key}"),
            Subject::DeviceManager { manager } => format!("managers/{manager}"),
            Subject::Device { manager, device } => format!("managers/{manager}/devices/{device}"),
            Subject::EncryptionAtRest => "encryption-at-rest".to_string(),
            Subject::Stamp { stamp } => format!("stamps/{stamp}"),
        }
    }
}
