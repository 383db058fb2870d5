//! Device key rollover (seed 000). A device manager sends its devices confidential data (their
//! storage account credentials) encrypted with the **service data encryption key**. Changing that
//! key takes three steps split between two people:
//!
//! 1. the service administrator **authorizes** one online device ([`authorize`]);
//! 2. on that device, within four hours, the device administrator **initiates** the change
//!    ([`initiate`]): a new key is generated and shown once, and an operation re-encrypts every
//!    device's data under it and hands it to the service;
//! 3. every other device is **updated** with that key ([`update_device_key`],
//!    [`update_cloud_appliances`]). Until then, management operations on the manager are blocked,
//!    while devices that hold the current key keep reading their data.

use super::{Ctx, SealedPlace, credential_binding, service_key_id, start_operation};
use crate::catalog::{ErrorCode, Failure, FixAction};
use crate::crypto::{self, ServiceKey};
use crate::model::{
    Device, DeviceKind, DeviceManager, OperationKind, OperationState, PendingServiceKey,
    RolloverAuthorization, ServiceKeyChange, StorageCredential, Subject, Timestamp, World,
};

/// How long after authorizing a device the same device can be authorized again (while the change
/// was not initiated).
pub const REAUTHORIZE_AFTER: i64 = 30 * 60;
/// How long an authorization lets its device initiate the change.
pub const INITIATE_WITHIN: i64 = 4 * 3600;

/// The table key of a device.
pub fn device_id(manager: &str, device: &str) -> String {
    format!("{manager}/{device}")
}

/// The manager named `name`.
pub fn manager_of<'w>(world: &'w World, name: &str) -> Result<&'w DeviceManager, Failure> {
    world.device_managers.get(name).ok_or_else(|| Failure::not_found(&format!("Device manager '{name}'")))
}

/// The device `device` of `manager`.
pub fn device_of<'w>(world: &'w World, manager: &str, device: &str) -> Result<&'w Device, Failure> {
    world
        .devices
        .get(&device_id(manager, device))
        .ok_or_else(|| Failure::not_found(&format!("Device '{device}' of device manager '{manager}'")))
}

/// The devices of a manager, by name.
pub fn devices_of<'w>(world: &'w World, manager: &str) -> impl Iterator<Item = &'w Device> {
    world.devices.values().filter(move |d| d.manager == manager)
}

/// Devices that do not hold the manager's current key yet.
pub fn pending_devices(world: &World, manager: &DeviceManager) -> Vec<String> {
    devices_of(world, &manager.name)
        .filter(|d| d.key_version != manager.key_version)
        .map(|d| d.name.clone())
        .collect()
}

/// The running operation that changes the manager's key, if any.
pub fn running_rollover(world: &World, manager: &str) -> Option<String> {
    world
        .operations
        .values()
        .find(|op| {
            op.state == OperationState::Running
                && matches!(&op.kind, OperationKind::RollOverServiceKey { manager: m, .. } if m == manager)
        })
        .map(|op| op.id.clone())
}

fn about(code: ErrorCode, message: String, manager: &str, device: &str) -> Failure {
    Failure::about(code, message, Subject::Device { manager: manager.to_owned(), device: device.to_owned() })
}

fn offline(device: &Device) -> Failure {
    about(
        ErrorCode::DeviceOffline,
        format!("Device {} is offline. Bring it online first.", device.name),
        &device.manager,
        &device.name,
    )
    .with_fix(FixAction::SetDeviceOnline { manager: device.manager.clone(), device: device.name.clone() })
}

fn in_progress(manager: &str, device: &str, operation: &str) -> Failure {
    about(
        ErrorCode::RolloverInProgress,
        format!(
            "The service data encryption key of {manager} is being changed (operation {operation}). \
             Try again once that operation has finished."
        ),
        manager,
        device,
    )
}

/// Why `device` can take no part in a key change right now: it is offline, or a change runs.
fn unavailable(world: &World, manager: &DeviceManager, device: &Device) -> Option<Failure> {
    if !device.online {
        return Some(offline(device));
    }
    running_rollover(world, &manager.name)
        .map(|operation| in_progress(&manager.name, &device.name, &operation))
}

/// Why `device` cannot be authorized to change the key at `now`; `None` when it can. The same
/// rule answers Authorize and each device's eligibility in the device list.
pub fn authorization_refusal(
    world: &World,
    manager: &DeviceManager,
    device: &Device,
    now: Timestamp,
) -> Option<Failure> {
    if let Some(refusal) = unavailable(world, manager, device) {
        return Some(refusal);
    }
    let again = manager
        .authorization
        .as_ref()
        .filter(|a| a.device == device.name)
        .map(|a| Timestamp(a.at.0.saturating_add(REAUTHORIZE_AFTER)))
        .filter(|again| now < *again)?;
    let minutes = (again.0 - now.0 + 59) / 60;
    Some(about(
        ErrorCode::ReauthorizationTooSoon,
        format!(
            "Device {} was authorized less than 30 minutes ago and can initiate the change now. It can be \
             authorized again in {minutes} minute(s).",
            device.name
        ),
        &manager.name,
        &device.name,
    ))
}

/// Step 1: authorizes `device` to change the manager's key. A device authorized before it can no
/// longer initiate the change.
pub fn authorize(world: &World, ctx: &Ctx, manager: &str, device: &str) -> Result<World, Failure> {
    let m = manager_of(world, manager)?;
    let d = device_of(world, manager, device)?;
    if let Some(refusal) = authorization_refusal(world, m, d, ctx.now) {
        return Err(refusal);
    }
    let mut next = world.clone();
    if let Some(m) = next.device_managers.get_mut(manager) {
        m.authorization = Some(RolloverAuthorization { device: device.to_owned(), at: ctx.now });
    }
    Ok(next)
}

/// Why `device` cannot initiate the change at `now`; `None` when it can.
fn initiation_refusal(
    world: &World,
    manager: &DeviceManager,
    device: &Device,
    now: Timestamp,
) -> Option<Failure> {
    if let Some(refusal) = unavailable(world, manager, device) {
        return Some(refusal);
    }
    let (name, device_name) = (&manager.name, &device.name);
    let not_authorized =
        |message: String| Some(about(ErrorCode::DeviceNotAuthorized, message, name, device_name));
    let Some(authorization) = &manager.authorization else {
        return not_authorized(format!(
            "Device {device_name} is not authorized to change the service data encryption key. Ask the \
             service administrator to authorize it first."
        ));
    };
    if authorization.device != device.name {
        return not_authorized(format!(
            "Device {} was authorized after this one, so only it can initiate the change. Ask the service \
             administrator to authorize {device_name} again if the change must start here.",
            authorization.device
        ));
    }
    let expired = Timestamp(authorization.at.0.saturating_add(INITIATE_WITHIN));
    if now > expired {
        return Some(
            about(
                ErrorCode::RolloverAuthorizationExpired,
                format!(
                    "The authorization of {device_name} expired: the change must be initiated within four \
                     hours of authorizing the device. Authorize it again."
                ),
                name,
                device_name,
            )
            .with_fix(FixAction::AuthorizeRollover { manager: name.clone(), device: device_name.clone() }),
        );
    }
    None
}

/// What initiating the change answers: the new key, shown once to the device administrator, and
/// the operation that re-encrypts the data and hands the key to the service.
#[derive(Debug)]
pub struct InitiatedChange {
    /// The new service data encryption key.
    pub key: ServiceKey,
    /// Its version.
    pub version: u32,
    /// The operation's handle.
    pub operation: String,
}

/// Step 2, on the authorized device: generates the new key (real randomness), gives it to this
/// device, and starts the operation that re-encrypts every device's data under it.
pub fn initiate(
    world: &World,
    ctx: &mut Ctx,
    manager: &str,
    device: &str,
) -> Result<(World, InitiatedChange), Failure> {
    let m = manager_of(world, manager)?;
    let d = device_of(world, manager, device)?;
    if let Some(refusal) = initiation_refusal(world, m, d, ctx.now) {
        return Err(refusal);
    }
    let key = ServiceKey::generate(ctx.rng);
    let version = m.key_version.saturating_add(1);
    let mut next = world.clone();
    if let Some(m) = next.device_managers.get_mut(manager) {
        m.authorization = None;
        let here = SealedPlace::PendingManagerKey { manager: manager.to_owned() }.binding();
        m.pending = Some(PendingServiceKey {
            version,
            key: ctx.keys.seal(&here, key.expose(), ctx.rng)?,
            device: device.to_owned(),
            at: ctx.now,
        });
    }
    let id = device_id(manager, device);
    if let Some(d) = next.devices.get_mut(&id) {
        d.key =
            ctx.keys.seal(&SealedPlace::DeviceKey { device: id.clone() }.binding(), key.expose(), ctx.rng)?;
        d.key_version = version;
        d.queued_update = false;
    }
    let kind = OperationKind::RollOverServiceKey { manager: manager.to_owned(), version };
    let subject = Subject::DeviceManager { manager: manager.to_owned() };
    let operation = start_operation(&mut next, ctx, kind, subject, 1);
    Ok((next, InitiatedChange { key, version, operation }))
}

/// Operation step: re-encrypts every device's confidential data under the pending key.
pub fn reencrypt_device_data(world: &World, ctx: &mut Ctx, manager: &str) -> Result<World, Failure> {
    let m = manager_of(world, manager)?;
    let pending = m.pending.as_ref().ok_or_else(|| Failure::conflict("No key change is pending."))?;
    let old = ServiceKey::from_slice(&ctx.keys.open(&manager_key_binding(manager), &m.key)?)?;
    let pending_here = SealedPlace::PendingManagerKey { manager: manager.to_owned() }.binding();
    let new = ServiceKey::from_slice(&ctx.keys.open(&pending_here, &pending.key)?)?;
    let mut next = world.clone();
    let ids: Vec<String> = devices_of(world, manager).map(|d| device_id(manager, &d.name)).collect();
    for id in ids {
        let Some(device) = next.devices.get_mut(&id) else { continue };
        for credential in &mut device.credentials {
            if credential.key_version == pending.version {
                continue;
            }
            let here = credential_binding(&id, &credential.account);
            let secret = crypto::open(&old, &here, &credential.secret)?;
            credential.secret =
                crypto::seal(&new, &service_key_id(pending.version), &here, &secret, ctx.rng)?;
            credential.key_version = pending.version;
        }
    }
    Ok(next)
}

/// Operation step: the service takes the new key; from now on every device needs it.
pub fn publish_service_key(world: &World, ctx: &mut Ctx, manager: &str) -> Result<World, Failure> {
    let mut next = world.clone();
    let m = next
        .device_managers
        .get_mut(manager)
        .ok_or_else(|| Failure::not_found(&format!("Device manager '{manager}'")))?;
    let pending = m.pending.take().ok_or_else(|| Failure::conflict("No key change is pending."))?;
    // Sealed values are bound to their field: the key moves by being sealed again.
    let pending_here = SealedPlace::PendingManagerKey { manager: manager.to_owned() }.binding();
    let key = ctx.keys.open(&pending_here, &pending.key)?;
    m.key = ctx.keys.seal(&manager_key_binding(manager), &key, ctx.rng)?;
    m.key_version = pending.version;
    m.last_change =
        Some(ServiceKeyChange { device: pending.device, at: pending.at, version: pending.version });
    Ok(next)
}

/// What an update did to a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUpdate {
    /// The device now holds the current key.
    Updated,
    /// It already held it.
    AlreadyCurrent,
    /// The device is offline: it takes the key when it comes back online.
    Queued,
}

/// The current key, if `supplied` (base64) is it. A wrong or malformed key changes nothing.
fn check_supplied_key(
    world: &World,
    ctx: &Ctx,
    manager: &DeviceManager,
    device: &str,
    supplied: &str,
) -> Result<(), Failure> {
    if let Some(operation) = running_rollover(world, &manager.name) {
        return Err(in_progress(&manager.name, device, &operation));
    }
    let current = ctx.keys.open(&manager_key_binding(&manager.name), &manager.key)?;
    let matches =
        crypto::unb64(supplied.trim()).is_ok_and(|bytes| crypto::constant_time_eq(&bytes, &current));
    if matches {
        return Ok(());
    }
    Err(about(
        ErrorCode::ServiceKeyMismatch,
        format!(
            "This is not the current service data encryption key (version {}) of {}. Use the key shown on the \
             device that initiated the change.",
            manager.key_version, manager.name
        ),
        &manager.name,
        device,
    ))
}

/// Gives `device` the manager's current key, or queues it while the device is offline.
fn give_current_key(
    next: &mut World,
    ctx: &mut Ctx,
    manager: &DeviceManager,
    device: &str,
) -> Result<KeyUpdate, Failure> {
    let id = device_id(&manager.name, device);
    let Some(d) = next.devices.get_mut(&id) else {
        return Err(Failure::not_found(&format!("Device '{device}'")));
    };
    if d.key_version == manager.key_version {
        return Ok(KeyUpdate::AlreadyCurrent);
    }
    if !d.online {
        d.queued_update = true;
        return Ok(KeyUpdate::Queued);
    }
    let key = ctx.keys.open(&manager_key_binding(&manager.name), &manager.key)?;
    d.key = ctx.keys.seal(&SealedPlace::DeviceKey { device: id.clone() }.binding(), &key, ctx.rng)?;
    d.key_version = manager.key_version;
    d.queued_update = false;
    Ok(KeyUpdate::Updated)
}

/// Step 3, on a device: updates it with the key shown when the change was initiated.
pub fn update_device_key(
    world: &World,
    ctx: &mut Ctx,
    manager: &str,
    device: &str,
    supplied: &str,
) -> Result<(World, KeyUpdate), Failure> {
    let m = manager_of(world, manager)?;
    device_of(world, manager, device)?;
    check_supplied_key(world, ctx, m, device, supplied)?;
    let mut next = world.clone();
    let update = give_current_key(&mut next, ctx, m, device)?;
    Ok((next, update))
}

/// Step 3 for cloud appliances: updates every cloud appliance of the manager at once.
pub fn update_cloud_appliances(
    world: &World,
    ctx: &mut Ctx,
    manager: &str,
    supplied: &str,
) -> Result<(World, Vec<(String, KeyUpdate)>), Failure> {
    let m = manager_of(world, manager)?;
    let appliances: Vec<String> = devices_of(world, manager)
        .filter(|d| d.kind == DeviceKind::CloudAppliance)
        .map(|d| d.name.clone())
        .collect();
    if appliances.is_empty() {
        return Err(Failure::not_found(&format!("A cloud appliance of device manager '{manager}'")));
    }
    check_supplied_key(world, ctx, m, &appliances[0], supplied)?;
    let mut next = world.clone();
    let mut updates = Vec::with_capacity(appliances.len());
    for name in appliances {
        let update = give_current_key(&mut next, ctx, m, &name)?;
        updates.push((name, update));
    }
    Ok((next, updates))
}

/// Brings a device online or takes it offline (a simulation action). A device coming back
/// online takes a key update queued for it.
pub fn set_device_online(
    world: &World,
    ctx: &mut Ctx,
    manager: &str,
    device: &str,
    online: bool,
) -> Result<World, Failure> {
    let m = manager_of(world, manager)?.clone();
    device_of(world, manager, device)?;
    let mut next = world.clone();
    let id = device_id(manager, device);
    let queued = match next.devices.get_mut(&id) {
        Some(d) => {
            d.online = online;
            online && d.queued_update
        }
        None => false,
    };
    if queued && running_rollover(world, manager).is_none() {
        give_current_key(&mut next, ctx, &m, device)?;
    }
    Ok(next)
}

/// A management operation (changing a device's description): refused while the key is changing
/// or any device still waits for the current key.
pub fn update_device_description(
    world: &World,
    manager: &str,
    device: &str,
    description: &str,
) -> Result<World, Failure> {
    let m = manager_of(world, manager)?;
    device_of(world, manager, device)?;
    if let Some(operation) = running_rollover(world, manager) {
        return Err(in_progress(manager, device, &operation));
    }
    let pending = pending_devices(world, m);
    if !pending.is_empty() {
        return Err(about(
            ErrorCode::ManagementBlockedDuringRollover,
            format!(
                "Management operations on {manager} resume once every device holds the new service data \
                 encryption key. Update the key on: {}.",
                pending.join(", ")
            ),
            manager,
            device,
        ));
    }
    let mut next = world.clone();
    if let Some(d) = next.devices.get_mut(&device_id(manager, device)) {
        d.description = description.to_owned();
    }
    Ok(next)
}

/// What a device reads of its confidential data (data traffic): each credential's account and a
/// fingerprint of the secret, never the secret. Only a device holding the key its data is
/// encrypted under can read it.
pub fn read_credentials(
    world: &World,
    ctx: &Ctx,
    manager: &str,
    device: &str,
) -> Result<Vec<(String, String)>, Failure> {
    manager_of(world, manager)?;
    let d = device_of(world, manager, device)?;
    if !d.online {
        return Err(offline(d));
    }
    let id = device_id(manager, device);
    let key = ServiceKey::from_slice(
        &ctx.keys.open(&SealedPlace::DeviceKey { device: id.clone() }.binding(), &d.key)?,
    )?;
    d.credentials
        .iter()
        .map(|credential| {
            if credential.key_version != d.key_version {
                return Err(about(
                    ErrorCode::DeviceKeyOutdated,
                    format!(
                        "Device {device} holds service data encryption key version {}, but its data is now \
                         encrypted under version {}. Update the device with the current key.",
                        d.key_version, credential.key_version
                    ),
                    manager,
                    device,
                ));
            }
            let secret =
                crypto::open(&key, &credential_binding(&id, &credential.account), &credential.secret)?;
            Ok((credential.account.clone(), crypto::fingerprint(&secret)))
        })
        .collect()
}

fn manager_key_binding(manager: &str) -> crate::crypto::Binding {
    SealedPlace::ManagerKey { manager: manager.to_owned() }.binding()
}

/// Where a new device manager lives.
pub struct ManagerPlacement<'a> {
    /// Its name.
    pub name: &'a str,
    /// Subscription id.
    pub subscription_id: &'a str,
    /// Resource group.
    pub resource_group: &'a str,
}

/// A new device manager with `devices` (name, kind, model, online), each with one storage
/// account credential encrypted under a fresh service data encryption key.
pub fn create_device_manager(
    world: &World,
    ctx: &mut Ctx,
    placement: ManagerPlacement,
    devices: &[(&str, DeviceKind, &str, bool)],
) -> Result<World, Failure> {
    let key = ServiceKey::generate(ctx.rng);
    let name = placement.name.to_owned();
    let mut next = world.clone();
    for (device, kind, model, online) in devices {
        let mut secret = [0u8; 48];
        ctx.rng.fill_bytes(&mut secret);
        let id = device_id(&name, device);
        let account = format!("{}storage", device.replace('-', ""));
        let here = credential_binding(&id, &account);
        let credential = StorageCredential {
            account,
            secret: crypto::seal(&key, &service_key_id(1), &here, &secret, ctx.rng)?,
            key_version: 1,
        };
        let device = Device {
            name: (*device).to_owned(),
            manager: name.clone(),
            kind: *kind,
            model: (*model).to_owned(),
            online: *online,
            description: String::new(),
            key: ctx.keys.seal(
                &SealedPlace::DeviceKey { device: id.clone() }.binding(),
                key.expose(),
                ctx.rng,
            )?,
            key_version: 1,
            queued_update: false,
            credentials: vec![credential],
        };
        next.devices.insert(id, device);
    }
    let manager = DeviceManager {
        name: name.clone(),
        subscription_id: placement.subscription_id.to_owned(),
        resource_group: placement.resource_group.to_owned(),
        key_version: 1,
        key: ctx.keys.seal(&manager_key_binding(&name), key.expose(), ctx.rng)?,
        authorization: None,
        pending: None,
        last_change: None,
    };
    next.device_managers.insert(name, manager);
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;
    use crate::ops::run_step;

    const START: Timestamp = Timestamp(1_800_000_000);
    const MANAGER: &str = "mgr";
    const MINUTE: i64 = 60;

    struct Fx {
        world: World,
        master: MasterKey,
        rng: getrandom::rand_core::UnwrapErr<getrandom::SysRng>,
        now: Timestamp,
    }

    impl Fx {
        fn new(devices: &[(&str, DeviceKind, &str, bool)]) -> Fx {
            let master = MasterKey::from_bytes([3; 32]);
            let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
            let (base, ring) = crate::ops::first_master_key(&master, START, &mut rng).unwrap();
            let mut ctx = Ctx::local(START, &master, &ring, &mut rng);
            let placement = ManagerPlacement { name: MANAGER, subscription_id: "sub", resource_group: "rg" };
            let world = create_device_manager(&base, &mut ctx, placement, devices).unwrap();
            Fx { world, master, rng, now: START }
        }

        /// The seeded demo's shape: two physical devices (one offline) and a cloud appliance.
        fn three() -> Fx {
            Fx::new(&[
                ("a", DeviceKind::Physical, "8100", true),
                ("b", DeviceKind::Physical, "8600", false),
                ("c", DeviceKind::CloudAppliance, "8020", true),
            ])
        }

        fn at(&mut self, minutes_after_start: i64) {
            self.now = Timestamp(START.0 + minutes_after_start * MINUTE);
        }

        fn run<T>(
            &mut self,
            f: impl FnOnce(&World, &mut Ctx) -> Result<(World, T), Failure>,
        ) -> Result<T, Failure> {
            let (world, answer) = self.with_ctx(|w, c| f(w, c))?;
            self.world = world;
            Ok(answer)
        }

        fn with_ctx<T>(
            &mut self,
            f: impl FnOnce(&World, &mut Ctx) -> Result<T, Failure>,
        ) -> Result<T, Failure> {
            let world = &self.world;
            crate::ops::in_test_ctx(world, &self.master, self.now, &mut self.rng, |ctx| f(world, ctx))
        }

        fn authorize(&mut self, device: &str) -> Result<(), Failure> {
            self.run(|w, c| authorize(w, c, MANAGER, device).map(|w| (w, ())))
        }

        fn initiate(&mut self, device: &str) -> Result<InitiatedChange, Failure> {
            self.run(|w, c| initiate(w, c, MANAGER, device))
        }

        /// Runs the key change operation to its end.
        fn finish_change(&mut self, operation: &str) {
            while running_rollover(&self.world, MANAGER).is_some() {
                self.world = self.with_ctx(|w, c| run_step(w, c, operation)).unwrap();
            }
        }

        fn update(&mut self, device: &str, key: &str) -> Result<KeyUpdate, Failure> {
            self.run(|w, c| update_device_key(w, c, MANAGER, device, key))
        }

        fn read(&mut self, device: &str) -> Result<Vec<(String, String)>, Failure> {
            self.with_ctx(|w, c| read_credentials(w, c, MANAGER, device))
        }

        fn set_online(&mut self, device: &str, online: bool) {
            self.run(|w, c| set_device_online(w, c, MANAGER, device, online).map(|w| (w, ()))).unwrap();
        }

        fn describe(&self, device: &str) -> Result<World, Failure> {
            update_device_description(&self.world, MANAGER, device, "rack 4")
        }

        fn pending(&self) -> Vec<String> {
            pending_devices(&self.world, manager_of(&self.world, MANAGER).unwrap())
        }
    }

    fn code<T>(result: Result<T, Failure>) -> ErrorCode {
        result.err().map(|f| f.code).expect("a failure")
    }

    #[test]
    fn only_an_online_device_can_be_authorized_and_the_refusal_offers_to_bring_it_online() {
        let mut fx = Fx::three();
        let refusal = fx.authorize("b").unwrap_err();
        assert_eq!(refusal.code, ErrorCode::DeviceOffline);
        let offer = refusal.offer.expect("a subject and a fix");
        assert_eq!(offer.1, Some(FixAction::SetDeviceOnline { manager: MANAGER.into(), device: "b".into() }));
        fx.authorize("a").unwrap();
    }

    #[test]
    fn the_same_device_again_only_after_30_minutes_another_device_at_once() {
        let mut fx = Fx::three();
        fx.authorize("a").unwrap();
        fx.at(29);
        assert_eq!(code(fx.authorize("a")), ErrorCode::ReauthorizationTooSoon);
        fx.at(31);
        fx.authorize("a").unwrap();
        // Another device may be authorized straight away; the earlier one then cannot initiate.
        fx.authorize("c").unwrap();
        assert_eq!(code(fx.initiate("a")), ErrorCode::DeviceNotAuthorized);
        fx.initiate("c").unwrap();
    }

    #[test]
    fn the_change_must_be_initiated_within_four_hours_of_authorizing() {
        let mut late = Fx::three();
        late.authorize("a").unwrap();
        late.at(4 * 60 + 1);
        let refusal = late.initiate("a").unwrap_err();
        assert_eq!(refusal.code, ErrorCode::RolloverAuthorizationExpired);
        assert_eq!(
            refusal.offer.and_then(|o| o.1),
            Some(FixAction::AuthorizeRollover { manager: MANAGER.into(), device: "a".into() })
        );
        let mut in_time = Fx::three();
        in_time.authorize("a").unwrap();
        in_time.at(3 * 60 + 59);
        in_time.initiate("a").unwrap();
        // Never authorized at all.
        assert_eq!(code(Fx::three().initiate("c")), ErrorCode::DeviceNotAuthorized);
    }

    #[test]
    fn a_rollover_with_three_devices_from_authorization_to_the_last_update() {
        let mut fx = Fx::three();
        let before = fx.read("a").unwrap();
        fx.authorize("a").unwrap();
        let change = fx.initiate("a").unwrap();
        assert_eq!(change.version, 2);
        let key = crypto::b64(change.key.expose());

        // While the change runs, nobody can be authorized and no key can be entered.
        assert_eq!(code(fx.authorize("c")), ErrorCode::RolloverInProgress);
        assert_eq!(code(fx.update("c", &key)), ErrorCode::RolloverInProgress);
        fx.finish_change(&change.operation);

        // The data is re-encrypted: the same secrets, readable only with the new key.
        assert_eq!(fx.read("a").unwrap(), before, "the initiating device reads its data with the new key");
        assert_eq!(code(fx.read("c")), ErrorCode::DeviceKeyOutdated);
        assert_eq!(fx.pending(), ["b", "c"]);
        let blocked = fx.describe("a").unwrap_err();
        assert_eq!(blocked.code, ErrorCode::ManagementBlockedDuringRollover);
        assert!(blocked.message.contains("b, c"), "{}", blocked.message);
        // Some devices rolled over and others not: authorizing is allowed again.
        fx.authorize("c").unwrap();

        // A wrong key changes nothing; the right one updates the cloud appliances together.
        let wrong = crypto::b64(&[0u8; 32]);
        let untouched = fx.world.clone();
        assert_eq!(code(fx.update("c", &wrong)), ErrorCode::ServiceKeyMismatch);
        assert_eq!(code(fx.update("c", "not base64!")), ErrorCode::ServiceKeyMismatch);
        assert_eq!(fx.world, untouched);
        let updates = fx.run(|w, c| update_cloud_appliances(w, c, MANAGER, &key)).unwrap();
        assert_eq!(updates, [("c".to_owned(), KeyUpdate::Updated)]);
        assert!(fx.read("c").is_ok());

        // The offline device takes the key when it comes back.
        assert_eq!(fx.update("b", &key).unwrap(), KeyUpdate::Queued);
        assert_eq!(fx.pending(), ["b"]);
        fx.set_online("b", true);
        assert!(fx.pending().is_empty());
        assert_eq!(fx.update("b", &key).unwrap(), KeyUpdate::AlreadyCurrent);
        assert!(fx.read("b").is_ok());
        fx.describe("a").expect("management operations resume");
    }

    #[test]
    fn with_a_single_device_initiating_completes_the_rollover() {
        let mut fx = Fx::new(&[("only", DeviceKind::Physical, "8100", true)]);
        fx.authorize("only").unwrap();
        let change = fx.initiate("only").unwrap();
        fx.finish_change(&change.operation);
        assert!(fx.pending().is_empty());
        assert_eq!(manager_of(&fx.world, MANAGER).unwrap().key_version, 2);
        assert!(fx.read("only").is_ok());
        fx.describe("only").unwrap();
    }
}
