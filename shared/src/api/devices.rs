//! Device managers, devices and device key rollover.

use serde::{Deserialize, Serialize};

use crate::code::ErrorCode;
use crate::model::{DeviceKind, ServiceKeyChange};
use crate::time::Timestamp;

/// A device as the Device manager blade and the management API show it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    /// Device name.
    pub name: String,
    /// Its device manager.
    pub manager: String,
    /// Physical device or cloud appliance.
    pub kind: DeviceKind,
    /// Model number.
    pub model: String,
    /// Whether it is connected.
    pub online: bool,
    /// Free text.
    pub description: String,
    /// The service data encryption key version it holds.
    pub key_version: u32,
    /// Whether that is the manager's current key.
    pub key_state: DeviceKeyState,
    /// Whether the device can be authorized to change the key, and why not.
    pub rollover_details: RolloverDetails,
}

/// A device's key compared with its manager's.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeviceKeyState {
    /// It holds the current key.
    Current,
    /// It needs the current key (update it from its console).
    UpdatePending,
    /// The current key was entered while it was offline; it takes it when back online.
    UpdateQueued,
}

/// Authorization to change the service data encryption key, per device.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RolloverDetails {
    /// `Eligible` or `InEligible`.
    pub authorization_eligibility: String,
    /// `Enabled` while this device is authorized (and may initiate the change), else `Disabled`.
    pub authorization_status: String,
    /// Why it is not eligible: the code Authorize would fail with.
    pub in_eligibility_reason: Option<ErrorCode>,
    /// The same, for people.
    pub in_eligibility_message: Option<String>,
    /// When it was authorized, while its authorization is the one in force.
    pub authorized_at: Option<Timestamp>,
    /// The latest time it can initiate the change.
    pub initiate_before: Option<Timestamp>,
}

/// The devices of a manager, as the management API lists them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceList {
    /// The devices, by name.
    pub value: Vec<DeviceView>,
}

/// A device manager's encryption settings (`encryptionSettings/default`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ManagerEncryptionSettings {
    /// Always `Enabled`: confidential data is always encrypted.
    pub encryption_status: String,
    /// `Required` while some device still needs the current key, else `NotRequired`.
    pub key_rollover_status: String,
    /// The current key's version.
    pub key_version: u32,
    /// Devices that still need the current key.
    pub pending_devices: Vec<String>,
    /// The operation changing the key right now.
    pub change_in_progress: Option<String>,
    /// The last completed change.
    pub last_change: Option<ServiceKeyChange>,
}

/// A device manager with its devices, for the Device manager blade.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceManagerView {
    /// Name.
    pub name: String,
    /// Subscription.
    pub subscription_id: String,
    /// Resource group.
    pub resource_group: String,
    /// Encryption settings and rollover state.
    pub encryption: ManagerEncryptionSettings,
    /// The dashboard alert while devices wait for the new key.
    pub alert: Option<String>,
    /// Its devices.
    pub devices: Vec<DeviceView>,
}

/// The new key, shown once on the device that initiated the change.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NewServiceKey {
    /// The new service data encryption key (base64). Keyblade shows it only here: save it to
    /// update the other devices.
    pub service_data_encryption_key: String,
    /// Its version.
    pub key_version: u32,
    /// The operation re-encrypting the devices' data and handing the key to the service.
    pub operation: String,
}

/// A service data encryption key entered on a device.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ServiceKeyRequest {
    /// The key shown when the change was initiated: 32 bytes, base64.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 44, max_length = 44, pattern = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")
    )]
    pub service_data_encryption_key: String,
}

/// What updating a device's key did.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyUpdateView {
    /// Device name.
    pub device: String,
    /// `Updated`, `AlreadyCurrent`, or `Queued` (offline: applied when it reconnects).
    pub result: String,
}

/// A management change of a device.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceSettingsRequest {
    /// Free text, at most 256 characters.
    #[cfg_attr(feature = "openapi", schema(max_length = 256))]
    pub description: String,
}

/// Bring a device online or take it offline (simulation).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectivityRequest {
    /// Online or not.
    pub online: bool,
}

/// A storage account credential as the device read it: never the secret, only its fingerprint.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CredentialView {
    /// Storage account.
    pub account: String,
    /// First 8 bytes of the secret's SHA-256, hex.
    pub fingerprint: String,
}
