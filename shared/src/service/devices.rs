//! Device managers and device key rollover, shaped like the cloud's management API for this kind
//! of service (`.../providers/Microsoft.StorSimple/managers/{manager}/...`) so scripts read
//! naturally, plus the device console steps (initiate, update) that run on a device.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{
    ConnectivityRequest, CredentialView, DeviceKeyState, DeviceList, DeviceManagerView,
    DeviceSettingsRequest, DeviceView, KeyUpdateView, ManagerEncryptionSettings, NewServiceKey,
    RolloverDetails, ServiceKeyRequest,
};
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::crypto;
use crate::model::Action;
use crate::model::{Device, DeviceManager, Timestamp, World};
use crate::ops::{self, Ctx, INITIATE_WITHIN, KeyUpdate};

const TAG: &str = "device managers";

/// The management API's prefix for one manager.
macro_rules! manager_path {
    ($rest:literal) => {
        concat!(
            "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.StorSimple/managers/{manager}",
            $rest
        )
    };
}

/// What every management request names.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ManagerPath {
    /// Subscription id.
    pub subscription: String,
    /// Resource group.
    pub resource_group: String,
    /// Device manager name.
    pub manager: String,
}

impl ManagerPath {
    /// The manager, when it lives in this subscription and resource group.
    fn manager<'w>(&self, world: &'w World) -> Result<&'w DeviceManager, Failure> {
        ops::manager_of(world, &self.manager)
            .ok()
            .filter(|m| m.subscription_id == self.subscription && m.resource_group == self.resource_group)
            .ok_or_else(|| Failure::not_found(&format!("Device manager '{}'", self.manager)))
    }
}

/// The view of one device at `now`: its key state and whether it can be authorized (the same
/// rule Authorize applies).
fn device_view(world: &World, manager: &DeviceManager, device: &Device, now: Timestamp) -> DeviceView {
    let key_state = match (device.key_version == manager.key_version, device.queued_update) {
        (true, _) => DeviceKeyState::Current,
        (false, true) => DeviceKeyState::UpdateQueued,
        (false, false) => DeviceKeyState::UpdatePending,
    };
    let refusal = ops::authorization_refusal(world, manager, device, now);
    let authorization = manager
        .authorization
        .as_ref()
        .filter(|a| a.device == device.name)
        .filter(|a| now.0 <= a.at.0.saturating_add(INITIATE_WITHIN));
    let rollover_details = RolloverDetails {
        authorization_eligibility: if refusal.is_none() { "Eligible" } else { "InEligible" }.to_owned(),
        authorization_status: if authorization.is_some() { "Enabled" } else { "Disabled" }.to_owned(),
        in_eligibility_reason: refusal.as_ref().map(|f| f.code),
        in_eligibility_message: refusal.map(|f| f.message),
        authorized_at: authorization.map(|a| a.at),
        initiate_before: authorization.map(|a| Timestamp(a.at.0.saturating_add(INITIATE_WITHIN))),
    };
    DeviceView {
        name: device.name.clone(),
        manager: device.manager.clone(),
        kind: device.kind,
        model: device.model.clone(),
        online: device.online,
        description: device.description.clone(),
        key_version: device.key_version,
        key_state,
        rollover_details,
    }
}

fn devices_view(world: &World, manager: &DeviceManager, now: Timestamp) -> Vec<DeviceView> {
    let mut devices: Vec<DeviceView> =
        ops::devices_of(world, &manager.name).map(|d| device_view(world, manager, d, now)).collect();
    devices.sort_by(|a, b| a.name.cmp(&b.name));
    devices
}

fn encryption_settings(world: &World, manager: &DeviceManager) -> ManagerEncryptionSettings {
    let pending_devices = ops::pending_devices(world, manager);
    ManagerEncryptionSettings {
        encryption_status: "Enabled".to_owned(),
        key_rollover_status: if pending_devices.is_empty() { "NotRequired" } else { "Required" }.to_owned(),
        key_version: manager.key_version,
        pending_devices,
        change_in_progress: ops::running_rollover(world, &manager.name),
        last_change: manager.last_change.clone(),
    }
}

fn manager_view(world: &World, manager: &DeviceManager, now: Timestamp) -> DeviceManagerView {
    let encryption = encryption_settings(world, manager);
    let alert = (!encryption.pending_devices.is_empty()).then(|| {
        format!(
            "The service data encryption key was changed (version {}). Management operations are paused until \
             every device holds it: update {}.",
            encryption.key_version,
            encryption.pending_devices.join(", ")
        )
    });
    DeviceManagerView {
        name: manager.name.clone(),
        subscription_id: manager.subscription_id.clone(),
        resource_group: manager.resource_group.clone(),
        encryption,
        alert,
        devices: devices_view(world, manager, now),
    }
}

fn one_device(world: &World, manager: &str, device: &str, now: Timestamp) -> Result<DeviceView, Failure> {
    let m = ops::manager_of(world, manager)?;
    Ok(device_view(world, m, ops::device_of(world, manager, device)?, now))
}

/// `GET /device-managers`: every manager with its devices (the Device manager blade).
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListDeviceManagers {}

impl Endpoint for ListDeviceManagers {
    type Body = NoBody;
    type Answer = Vec<DeviceManagerView>;
    const ROUTE: Route = Route::get(
        "/device-managers",
        TAG,
        "Every device manager with its devices, their keys and rollover eligibility, and the dashboard alert.",
    );
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<DeviceManagerView>>, Failure> {
        Ok(Outcome::read(world.device_managers.values().map(|m| manager_view(world, m, ctx.now)).collect()))
    }
}

/// `GET .../managers/{manager}/devices`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListDevices {
    /// The manager.
    #[serde(flatten)]
    pub path: ManagerPath,
}

impl Endpoint for ListDevices {
    type Body = NoBody;
    type Answer = DeviceList;
    const ROUTE: Route = Route::get(
        manager_path!("/devices"),
        TAG,
        "The manager's devices with their rollover details: eligibility for authorization and why not.",
    )
    .failing(&[NotFound]);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<DeviceList>, Failure> {
        let manager = self.path.manager(world)?;
        Ok(Outcome::read(DeviceList { value: devices_view(world, manager, ctx.now) }))
    }
}

/// `GET .../managers/{manager}/encryptionSettings/default`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetManagerEncryption {
    /// The manager.
    #[serde(flatten)]
    pub path: ManagerPath,
}

impl Endpoint for GetManagerEncryption {
    type Body = NoBody;
    type Answer = ManagerEncryptionSettings;
    const ROUTE: Route = Route::get(
        manager_path!("/encryptionSettings/default"),
        TAG,
        "Encryption status and whether a key rollover still requires devices to be updated.",
    )
    .failing(&[NotFound]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<ManagerEncryptionSettings>, Failure> {
        let manager = self.path.manager(world)?;
        Ok(Outcome::read(encryption_settings(world, manager)))
    }
}

/// `POST .../devices/{device}/authorizeForServiceEncryptionKeyRollover` (service administrator).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AuthorizeRollover {
    /// The manager.
    #[serde(flatten)]
    pub path: ManagerPath,
    /// Device name.
    pub device: String,
}

impl Endpoint for AuthorizeRollover {
    type Body = NoBody;
    type Answer = DeviceView;
    const ROUTE: Route = Route::post(
        manager_path!("/devices/{device}/authorizeForServiceEncryptionKeyRollover"),
        TAG,
        "Step 1: authorizes an online device to change the service data encryption key (a device authorized \
         before it can no longer initiate the change).",
    )
    .failing(&[NotFound, DeviceOffline, RolloverInProgress, ReauthorizationTooSoon])
    .audited(AuditAction::RolloverAuthorize);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<DeviceView>, Failure> {
        self.path.manager(world)?;
        let next = ops::authorize(world, ctx, &self.path.manager, &self.device)?;
        let now = ctx.now;
        Outcome::changed(next, |w| one_device(w, &self.path.manager, &self.device, now))
    }
}

/// `POST .../devices/{device}/console/changeServiceDataEncryptionKey` (on the device).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct InitiateKeyChange {
    /// The manager.
    #[serde(flatten)]
    pub path: ManagerPath,
    /// Device name.
    pub device: String,
}

impl Endpoint for InitiateKeyChange {
    type Body = NoBody;
    type Answer = NewServiceKey;
    const ROUTE: Route = Route::post(
        manager_path!("/devices/{device}/console/changeServiceDataEncryptionKey"),
        TAG,
        "Step 2, on the authorized device within four hours: generates the new service data encryption key, \
         shows it once, and starts the operation that re-encrypts every device's data under it.",
    )
    .failing(&[
        NotFound,
        DeviceOffline,
        RolloverInProgress,
        DeviceNotAuthorized,
        RolloverAuthorizationExpired,
    ])
    .audited(AuditAction::RolloverInitiate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<NewServiceKey>, Failure> {
        self.path.manager(world)?;
        let (next, change) = ops::initiate(world, ctx, &self.path.manager, &self.device)?;
        Outcome::changed(next, |_| {
            Ok(NewServiceKey {
                service_data_encryption_key: crypto::b64(change.key.expose()),
                key_version: change.version,
                operation: change.operation.clone(),
            })
        })
    }
}

fn key_update(device: String, update: KeyUpdate) -> KeyUpdateView {
    let result = match update {
        KeyUpdate::Updated => "Updated",
        KeyUpdate::AlreadyCurrent => "AlreadyCurrent",
        KeyUpdate::Queued => "Queued",
    };
    KeyUpdateView { device, result: result.to_owned() }
}

/// `POST .../devices/{device}/console/updateServiceDataEncryptionKey` (on each other device).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UpdateDeviceKey {
    /// The manager.
    #[serde(flatten)]
    pub path: ManagerPath,
    /// Device name.
    pub device: String,
    /// The key shown when the change was initiated.
    pub body: ServiceKeyRequest,
}

impl Endpoint for UpdateDeviceKey {
    type Body = ServiceKeyRequest;
    type Answer = KeyUpdateView;
    const ROUTE: Route = Route::post(
        manager_path!("/devices/{device}/console/updateServiceDataEncryptionKey"),
        TAG,
        "Step 3, on a device: updates it with the new key (an offline device takes it when it reconnects). A \
         wrong key changes nothing.",
    )
    .failing(&[NotFound, RolloverInProgress, ServiceKeyMismatch])
    .audited(AuditAction::DeviceKeyUpdate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<KeyUpdateView>, Failure> {
        self.path.manager(world)?;
        let supplied = &self.body.service_data_encryption_key;
        let (next, update) = ops::update_device_key(world, ctx, &self.path.manager, &self.device, supplied)?;
        Outcome::changed(next, |_| Ok(key_update(self.device.clone(), update)))
    }
}

/// `POST .../managers/{manager}/updateCloudApplianceServiceEncryptionKey`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UpdateCloudAppliances {
    /// The manager.
    #[serde(flatten)]
    pub path: ManagerPath,
    /// The key shown when the change was initiated.
    pub body: ServiceKeyRequest,
}

impl Endpoint for UpdateCloudAppliances {
    type Body = ServiceKeyRequest;
    type Answer = Vec<KeyUpdateView>;
    const ROUTE: Route = Route::post(
        manager_path!("/updateCloudApplianceServiceEncryptionKey"),
        TAG,
        "Step 3 for cloud appliances: updates every cloud appliance of the manager at once.",
    )
    .failing(&[NotFound, RolloverInProgress, ServiceKeyMismatch])
    .audited(AuditAction::DeviceKeyUpdate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<KeyUpdateView>>, Failure> {
        self.path.manager(world)?;
        let supplied = &self.body.service_data_encryption_key;
        let (next, updates) = ops::update_cloud_appliances(world, ctx, &self.path.manager, supplied)?;
        Outcome::changed(next, |_| Ok(updates.iter().map(|(d, u)| key_update(d.clone(), *u)).collect()))
    }
}

/// `PATCH .../devices/{device}`: a management operation.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UpdateDevice {
    /// The manager.
    #[serde(flatten)]
    pub path: ManagerPath,
    /// Device name.
    pub device: String,
    /// The change.
    pub body: DeviceSettingsRequest,
}

impl Endpoint for UpdateDevice {
    type Body = DeviceSettingsRequest;
    type Answer = DeviceView;
    const ROUTE: Route = Route::patch(
        manager_path!("/devices/{device}"),
        TAG,
        "Changes a device's description: a management operation, paused while devices wait for a new key.",
    )
    .failing(&[NotFound, InvalidName, RolloverInProgress, ManagementBlockedDuringRollover])
    .audited(AuditAction::DeviceUpdate);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<DeviceView>, Failure> {
        self.path.manager(world)?;
        let description = self.body.description.trim();
        if description.chars().count() > 256 {
            return Err(Failure::new(InvalidName, "A description is at most 256 characters."));
        }
        let next = ops::update_device_description(world, &self.path.manager, &self.device, description)?;
        let now = ctx.now;
        Outcome::changed(next, |w| one_device(w, &self.path.manager, &self.device, now))
    }
}

/// `PUT .../devices/{device}/connectivity` (simulation).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SetDeviceConnectivity {
    /// The manager.
    #[serde(flatten)]
    pub path: ManagerPath,
    /// Device name.
    pub device: String,
    /// Online or not.
    pub body: ConnectivityRequest,
}

impl Endpoint for SetDeviceConnectivity {
    type Body = ConnectivityRequest;
    type Answer = DeviceView;
    const ROUTE: Route = Route::put(
        manager_path!("/devices/{device}/connectivity"),
        TAG,
        "Simulation: brings a device online (it takes a queued key update) or takes it offline.",
    )
    .failing(&[NotFound])
    .audited(AuditAction::DeviceConnectivity);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<DeviceView>, Failure> {
        self.path.manager(world)?;
        let next = ops::set_device_online(world, ctx, &self.path.manager, &self.device, self.body.online)?;
        let now = ctx.now;
        Outcome::changed(next, |w| one_device(w, &self.path.manager, &self.device, now))
    }
}

/// `POST .../devices/{device}/console/readStorageAccountCredentials` (data traffic).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ReadCredentials {
    /// The manager.
    #[serde(flatten)]
    pub path: ManagerPath,
    /// Device name.
    pub device: String,
}

impl Endpoint for ReadCredentials {
    type Body = NoBody;
    type Answer = Vec<CredentialView>;
    const ROUTE: Route = Route::post(
        manager_path!("/devices/{device}/console/readStorageAccountCredentials"),
        TAG,
        "Data traffic: the device decrypts its storage account credentials with the key it holds (answers \
         fingerprints, never the secrets).",
    )
    .failing(&[NotFound, DeviceOffline, DeviceKeyOutdated])
    .requires(Action::Use);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Vec<CredentialView>>, Failure> {
        self.path.manager(world)?;
        let read = ops::read_credentials(world, ctx, &self.path.manager, &self.device)?;
        let views = read.into_iter().map(|(account, fingerprint)| CredentialView { account, fingerprint });
        Ok(Outcome::read(views.collect()))
    }
}
