//! Device managers, their devices and device key rollover.

use serde::{Deserialize, Serialize};

use crate::crypto::Sealed;
use crate::time::Timestamp;

/// A device manager: the service that manages a fleet of storage devices and sends them
/// confidential data (storage account credentials) encrypted with its service data encryption key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DeviceManager {
    /// Name (unique).
    pub name: String,
    /// Subscription it belongs to.
    pub subscription_id: String,
    /// Resource group.
    pub resource_group: String,
    /// Version of the current service data encryption key, from 1.
    pub key_version: u32,
    /// The current service data encryption key, sealed under the master key.
    pub key: Sealed,
    /// The device authorized to change the key, and when.
    pub authorization: Option<RolloverAuthorization>,
    /// A new key being rolled out (between initiating the change and the service taking it).
    pub pending: Option<PendingServiceKey>,
    /// The last completed change.
    pub last_change: Option<ServiceKeyChange>,
}

/// A device's authorization to change the service data encryption key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RolloverAuthorization {
    /// Device name.
    pub device: String,
    /// When it was authorized.
    pub at: Timestamp,
}

/// A new service data encryption key on its way to the service.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PendingServiceKey {
    /// Its version.
    pub version: u32,
    /// The key, sealed under the master key.
    pub key: Sealed,
    /// The device that initiated the change.
    pub device: String,
    /// When.
    pub at: Timestamp,
}

/// A completed change of the service data encryption key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceKeyChange {
    /// The device that initiated it.
    pub device: String,
    /// When it was initiated.
    pub at: Timestamp,
    /// The key version it introduced.
    pub version: u32,
}

/// Physical device or cloud appliance.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeviceKind {
    /// A physical appliance in the customer's datacenter.
    Physical,
    /// A cloud appliance (virtual), updated all at once by the service.
    CloudAppliance,
}

/// A device registered with a device manager.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Device {
    /// Name (unique within its manager).
    pub name: String,
    /// Its manager.
    pub manager: String,
    /// Physical or cloud appliance.
    pub kind: DeviceKind,
    /// Model number.
    pub model: String,
    /// Whether it is connected to the service.
    pub online: bool,
    /// Free text set by management operations.
    pub description: String,
    /// The service data encryption key the device holds, sealed under the master key.
    pub key: Sealed,
    /// Its version.
    pub key_version: u32,
    /// The current key was entered while the device was offline: it takes it when back online.
    pub queued_update: bool,
    /// Confidential data the service sent it.
    pub credentials: Vec<StorageCredential>,
}

/// A storage account credential sent to a device, encrypted with the service data encryption key.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StorageCredential {
    /// Storage account name.
    pub account: String,
    /// The access key, AES-256-GCM under the service data encryption key of `key_version`.
    pub secret: Sealed,
    /// Which key version encrypts it.
    pub key_version: u32,
}
