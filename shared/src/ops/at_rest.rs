//! Encryption at rest: the master keys that seal every secret, their rekey, and the external
//! key providers that can keep them.
//!
//! The instance's root key (the configured key file) seals only the master keys (Internal) and
//! the API keys of key providers. Every other secret is sealed under the current master key and
//! bound to its place ([`SealedPlace`]). A rekey is an operation: create the new master key,
//! rewrap every sealed secret a batch per turn (each turn one commit, so the service stays up),
//! then decommission the old key once nothing names it.

use zeroize::Zeroizing;

use super::{Ctx, start_operation};
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, Binding, CryptoError, ImportKey, Keyring, MasterKey, ROOT_KEY_ID, Rng, Sealed};
use crate::model::{
    KeyManagement, KeyProvider, MasterKeyRecord, MasterKeyState, OperationKind, OperationState, StepProgress,
    Subject, Timestamp, World, WrappedMasterKey,
};

/// Secrets rewrapped per turn unless the request says otherwise.
pub const DEFAULT_REWRAP_BATCH: u32 = 100;
/// The largest batch a request may ask for.
pub const MAX_REWRAP_BATCH: u32 = 10_000;

/// Reaches external key providers (Key Protect-compatible services). The server's goes over
/// HTTP; the offline demo has none. Calls block: the engine runs off the async threads.
pub trait KeyProviders {
    /// Wraps `plaintext` under the provider's root key; the ciphertext as the provider gives it.
    fn wrap(&self, provider: &KeyProvider, api_key: &str, plaintext: &[u8]) -> Result<String, Failure>;
    /// Unwraps what [`KeyProviders::wrap`] returned.
    fn unwrap(
        &self,
        provider: &KeyProvider,
        api_key: &str,
        ciphertext: &str,
    ) -> Result<Zeroizing<Vec<u8>>, Failure>;
}

/// No external key providers (the offline demo, and tests that need none).
pub struct NoKeyProviders;

impl KeyProviders for NoKeyProviders {
    fn wrap(&self, provider: &KeyProvider, _: &str, _: &[u8]) -> Result<String, Failure> {
        Err(unreachable_provider(provider, "external key providers are not available here"))
    }

    fn unwrap(&self, provider: &KeyProvider, _: &str, _: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
        Err(unreachable_provider(provider, "external key providers are not available here"))
    }
}

/// The failure for a provider that could not be used, and why.
pub fn unreachable_provider(provider: &KeyProvider, why: &str) -> Failure {
    Failure::new(
        ErrorCode::KeyProviderUnreachable,
        format!("Key provider '{}' ({}) could not be used: {why}.", provider.name, provider.url),
    )
}

/// Every place a secret sealed under the master key lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealedPlace {
    /// A key version's private key (version ids are unique across vaults).
    KeyVersion {
        /// Vault name.
        vault: String,
        /// Key name.
        key: String,
        /// Version id.
        version: String,
    },
    /// A vault's import key.
    ImportKey {
        /// Vault name.
        vault: String,
    },
    /// An order's passkey under the Microsoft managed key.
    OrderPasskey {
        /// Order id.
        order: String,
    },
    /// A device manager's current service data encryption key.
    ManagerKey {
        /// Manager name.
        manager: String,
    },
    /// A device manager's service data encryption key being rolled out.
    PendingManagerKey {
        /// Manager name.
        manager: String,
    },
    /// The service data encryption key a device holds.
    DeviceKey {
        /// Device id (`manager/device`).
        device: String,
    },
    /// A stamp's secret value (a password, a certificate's key, the BMC password).
    StampSecret {
        /// Stamp name.
        stamp: String,
        /// Its slot in the stamp's sealed values.
        slot: String,
    },
}

impl SealedPlace {
    /// The associated data the secret here is sealed with.
    pub fn binding(&self) -> Binding {
        match self {
            SealedPlace::KeyVersion { version, .. } => version_binding(version),
            SealedPlace::ImportKey { vault } => ImportKey::binding(vault),
            SealedPlace::OrderPasskey { order } => Binding::new("order", order, "passkey"),
            SealedPlace::ManagerKey { manager } => Binding::new("device-manager", manager, "service_key"),
            SealedPlace::PendingManagerKey { manager } => {
                Binding::new("device-manager", manager, "pending_service_key")
            }
            SealedPlace::DeviceKey { device } => Binding::new("device", device, "service_key"),
            SealedPlace::StampSecret { stamp, slot } => super::stamp_binding(stamp, slot),
        }
    }

    /// The secret here, if the place still exists.
    pub fn get<'w>(&self, world: &'w World) -> Option<&'w Sealed> {
        match self {
            SealedPlace::KeyVersion { vault, key, version } => world
                .vaults
                .get(vault)
                .and_then(|v| v.keys.get(key))
                .and_then(|k| k.version(version))
                .map(|v| &v.sealed_private_key),
            SealedPlace::ImportKey { vault } => world.import_keys.get(vault).map(|k| &k.sealed_private),
            SealedPlace::OrderPasskey { order } => match world.orders.get(order).map(|o| &o.passkey) {
                Some(crate::model::WrappedPasskey::ByMasterKey { sealed }) => Some(sealed),
                _ => None,
            },
            SealedPlace::ManagerKey { manager } => world.device_managers.get(manager).map(|m| &m.key),
            SealedPlace::PendingManagerKey { manager } => {
                world.device_managers.get(manager).and_then(|m| m.pending.as_ref()).map(|p| &p.key)
            }
            SealedPlace::DeviceKey { device } => world.devices.get(device).map(|d| &d.key),
            SealedPlace::StampSecret { stamp, slot } => {
                world.stamps.get(stamp).and_then(|s| s.sealed.get(slot))
            }
        }
    }

    /// The secret here, to replace.
    pub(crate) fn get_mut<'w>(&self, world: &'w mut World) -> Option<&'w mut Sealed> {
        match self {
            SealedPlace::KeyVersion { vault, key, version } => world
                .vaults
                .get_mut(vault)
                .and_then(|v| v.keys.get_mut(key))
                .and_then(|k| k.versions.iter_mut().find(|v| &v.id == version))
                .map(|v| &mut v.sealed_private_key),
            SealedPlace::ImportKey { vault } => {
                world.import_keys.get_mut(vault).map(|k| &mut k.sealed_private)
            }
            SealedPlace::OrderPasskey { order } => {
                match world.orders.get_mut(order).map(|o| &mut o.passkey) {
                    Some(crate::model::WrappedPasskey::ByMasterKey { sealed }) => Some(sealed),
                    _ => None,
                }
            }
            SealedPlace::ManagerKey { manager } => world.device_managers.get_mut(manager).map(|m| &mut m.key),
            SealedPlace::PendingManagerKey { manager } => {
                world.device_managers.get_mut(manager).and_then(|m| m.pending.as_mut()).map(|p| &mut p.key)
            }
            SealedPlace::DeviceKey { device } => world.devices.get_mut(device).map(|d| &mut d.key),
            SealedPlace::StampSecret { stamp, slot } => {
                world.stamps.get_mut(stamp).and_then(|s| s.sealed.get_mut(slot))
            }
        }
    }
}

/// Where a key version's private key is sealed.
pub fn version_binding(version: &str) -> Binding {
    Binding::new("key-version", version, "private_key")
}

/// Where a device's storage credential is sealed (under the service key, not the master key).
pub fn credential_binding(device: &str, account: &str) -> Binding {
    Binding::new("device", device, &format!("credential/{account}"))
}

/// The key id a storage credential names: the service data encryption key's version.
pub fn service_key_id(version: u32) -> String {
    format!("service-key-v{version}")
}

/// Every place that holds a secret sealed under the master key, in a stable order.
pub fn sealed_places(world: &World) -> Vec<SealedPlace> {
    let mut places = Vec::new();
    for (name, vault) in world.vaults.iter() {
        for (key_name, key) in &vault.keys {
            places.extend(key.versions.iter().map(|v| SealedPlace::KeyVersion {
                vault: name.to_string(),
                key: key_name.clone(),
                version: v.id.clone(),
            }));
        }
    }
    places.extend(world.import_keys.keys().map(|vault| SealedPlace::ImportKey { vault: vault.to_string() }));
    for (id, order) in world.orders.iter() {
        if matches!(order.passkey, crate::model::WrappedPasskey::ByMasterKey { .. }) {
            places.push(SealedPlace::OrderPasskey { order: id.to_string() });
        }
    }
    for (name, manager) in world.device_managers.iter() {
        places.push(SealedPlace::ManagerKey { manager: name.to_string() });
        if manager.pending.is_some() {
            places.push(SealedPlace::PendingManagerKey { manager: name.to_string() });
        }
    }
    places.extend(world.devices.keys().map(|device| SealedPlace::DeviceKey { device: device.to_string() }));
    for (name, stamp) in world.stamps.iter() {
        places.extend(
            stamp
                .sealed
                .keys()
                .map(|slot| SealedPlace::StampSecret { stamp: name.to_string(), slot: slot.clone() }),
        );
    }
    places
}

fn master_key_binding(id: &str) -> Binding {
    Binding::new("master-key", id, "material")
}

fn provider_api_key_binding(id: u32) -> Binding {
    Binding::new("key-provider", &id.to_string(), "api_key")
}

/// The master keys this process can use now: every one not decommissioned, unwrapped with the
/// root key or by its provider. A key that cannot be opened (its provider unreachable) is left
/// out: what it sealed fails with `MasterKeyUnavailable` until it can. `strict` makes that a
/// failure instead, as at start.
pub fn keyring(
    world: &World,
    root: &MasterKey,
    providers: &dyn KeyProviders,
    strict: bool,
) -> Result<Keyring, Failure> {
    let mut ring = Keyring::default();
    for record in world.master_keys.values().filter(|k| k.state != MasterKeyState::Decommissioned) {
        match unwrap_master_key(world, root, providers, record) {
            Ok(key) => ring = ring.with(&record.id, key, record.state == MasterKeyState::Active),
            Err(failure) if strict => return Err(failure),
            Err(_) => {}
        }
    }
    Ok(ring)
}

fn unwrap_master_key(
    world: &World,
    root: &MasterKey,
    providers: &dyn KeyProviders,
    record: &MasterKeyRecord,
) -> Result<MasterKey, Failure> {
    let bytes = match &record.wrapped {
        Some(WrappedMasterKey::Root { sealed }) => {
            crypto::open(root, &master_key_binding(&record.id), sealed)?
        }
        Some(WrappedMasterKey::Provider { ciphertext }) => {
            let provider = provider_of(world, record.provider)?;
            let api_key = provider_api_key(root, provider)?;
            providers.unwrap(provider, &api_key, ciphertext)?
        }
        None => return Err(CryptoError::KeyUnavailable.into()),
    };
    Ok(MasterKey::from_slice(&bytes)?)
}

fn provider_of(world: &World, id: Option<u32>) -> Result<&KeyProvider, Failure> {
    let id =
        id.ok_or_else(|| Failure::new(ErrorCode::InvalidKeyManagement, "External needs a key provider."))?;
    world
        .key_providers
        .get(&id.to_string())
        .ok_or_else(|| Failure::new(ErrorCode::KeyProviderNotFound, format!("No key provider has id {id}.")))
}

fn provider_api_key(root: &MasterKey, provider: &KeyProvider) -> Result<Zeroizing<String>, Failure> {
    let bytes = crypto::open(root, &provider_api_key_binding(provider.id), &provider.api_key)?;
    Ok(Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned()))
}

/// A new Internal master key: material from `rng`, sealed under the root key.
fn internal_master_key(
    id: &str,
    root: &MasterKey,
    now: Timestamp,
    rng: &mut Rng,
) -> Result<MasterKeyRecord, Failure> {
    let key = MasterKey::generate(rng);
    let sealed = crypto::seal(root, ROOT_KEY_ID, &master_key_binding(id), key.expose(), rng)?;
    Ok(MasterKeyRecord {
        id: id.to_string(),
        management: KeyManagement::Internal,
        provider: None,
        created: now,
        state: MasterKeyState::Active,
        decommissioned: None,
        wrapped: Some(WrappedMasterKey::Root { sealed }),
    })
}

/// A random UUID (version 4), the form Element gives key ids in.
pub fn random_uuid(rng: &mut Rng) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = crypto::to_hex(&b);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// For a world with no master key (new, or stored before secrets named their master key):
/// the first Internal master key, and every secret resealed under it and bound to its place
/// (old secrets were sealed directly under the root key, unbound). `None` when the world
/// already has a master key. The caller stores the result in one transaction.
pub fn migrate_sealing(
    world: &World,
    root: &MasterKey,
    now: Timestamp,
    rng: &mut Rng,
) -> Result<Option<World>, Failure> {
    if !world.master_keys.is_empty() {
        return Ok(None);
    }
    let mut next = world.clone();
    let record = internal_master_key(&random_uuid(rng), root, now, rng)?;
    let ring = keyring_of_new(&record, root)?;
    next.master_keys.insert(record.id.clone(), record);
    for place in sealed_places(world) {
        let Some(sealed) = place.get_mut(&mut next) else { continue };
        let plaintext = match sealed.key.as_str() {
            "" => crypto::open_unbound(root, sealed)?,
            _ => continue,
        };
        *sealed = ring.seal(&place.binding(), &plaintext, rng)?;
    }
    migrate_credentials(world, &mut next, root, rng)?;
    Ok(Some(next))
}

/// A new world's first master key: the world holding only it, and the keyring to seal with.
pub fn first_master_key(
    root: &MasterKey,
    now: Timestamp,
    rng: &mut Rng,
) -> Result<(World, Keyring), Failure> {
    let world = migrate_sealing(&World::default(), root, now, rng)?.unwrap_or_default();
    let ring = keyring(&world, root, &NoKeyProviders, true)?;
    Ok((world, ring))
}

fn keyring_of_new(record: &MasterKeyRecord, root: &MasterKey) -> Result<Keyring, Failure> {
    let Some(WrappedMasterKey::Root { sealed }) = &record.wrapped else {
        return Err(CryptoError::KeyUnavailable.into());
    };
    let key = MasterKey::from_slice(&crypto::open(root, &master_key_binding(&record.id), sealed)?)?;
    Ok(Keyring::default().with(&record.id, key, true))
}

/// Storage credentials were sealed unbound under their service key: bound now, as the rest.
fn migrate_credentials(
    world: &World,
    next: &mut World,
    root: &MasterKey,
    rng: &mut Rng,
) -> Result<(), Failure> {
    for (id, device) in world.devices.iter() {
        if device.credentials.iter().all(|c| !c.secret.key.is_empty()) {
            continue;
        }
        let service_key = crate::crypto::ServiceKey::from_slice(&crypto::open_unbound(root, &device.key)?)?;
        let Some(target) = next.devices.get_mut(id) else { continue };
        for credential in target.credentials.iter_mut().filter(|c| c.secret.key.is_empty()) {
            let secret = crypto::open_unbound(&service_key, &credential.secret)?;
            credential.secret = crypto::seal(
                &service_key,
                &service_key_id(credential.key_version),
                &credential_binding(id, &credential.account),
                &secret,
                rng,
            )?;
        }
    }
    Ok(())
}

/// What a rekey is asked to do (Element's `RekeySoftwareEncryptionAtRestMasterKey`).
#[derive(Debug, Clone, Default)]
pub struct RekeyParameters {
    /// Internal or External; `None` keeps the current key's management.
    pub management: Option<KeyManagement>,
    /// The key provider, for External (and only then).
    pub provider: Option<u32>,
    /// Secrets rewrapped per turn.
    pub batch: Option<u32>,
}

/// Starts a rekey of the master key. Returns the operation's id.
pub fn start_rekey(
    world: &World,
    ctx: &mut Ctx,
    params: &RekeyParameters,
) -> Result<(World, String), Failure> {
    let current = world
        .active_master_key()
        .ok_or_else(|| Failure::new(ErrorCode::MasterKeyUnavailable, "There is no master key to rekey."))?;
    if let Some(running) = running_rekey(world) {
        return Err(Failure::new(
            ErrorCode::RekeyInProgress,
            format!("Rekey {} (handle {}) is still running.", running.id, running.handle),
        ));
    }
    let (management, provider) = match (params.management, params.provider) {
        (None, None) => (current.management, current.provider),
        (None, Some(_)) => (current.management, params.provider),
        (Some(m), p) => (m, p),
    };
    match (management, provider) {
        (KeyManagement::Internal, Some(_)) => {
            return Err(Failure::new(
                ErrorCode::InvalidKeyManagement,
                "Internal key management takes no key provider; leave keyProviderID out.",
            ));
        }
        (KeyManagement::External, None) => {
            return Err(Failure::new(
                ErrorCode::InvalidKeyManagement,
                "External key management needs a key provider: give keyProviderID.",
            ));
        }
        (KeyManagement::External, Some(id)) => {
            provider_of(world, Some(id))?;
        }
        (KeyManagement::Internal, None) => {}
    }
    let batch = params.batch.unwrap_or(DEFAULT_REWRAP_BATCH);
    if !(1..=MAX_REWRAP_BATCH).contains(&batch) {
        return Err(Failure::new(
            ErrorCode::InvalidRequest,
            format!("The batch size is between 1 and {MAX_REWRAP_BATCH} secrets."),
        ));
    }
    let kind = OperationKind::RekeyMasterKey {
        management,
        provider,
        new_key: random_uuid(ctx.rng),
        old_key: current.id.clone(),
        batch,
    };
    let mut next = world.clone();
    let id = start_operation(&mut next, ctx, kind, Subject::EncryptionAtRest, 0);
    Ok((next, id))
}

/// The rekey still running, if any.
pub fn running_rekey(world: &World) -> Option<&crate::model::Operation> {
    world.operations.values().find(|op| {
        op.state == OperationState::Running && matches!(op.kind, OperationKind::RekeyMasterKey { .. })
    })
}

/// Rekey step 1: the new master key, made the one that seals; the old one keeps opening what
/// it sealed. Done again after a crash, the step replaces a key that sealed nothing yet.
pub fn create_master_key(
    world: &World,
    ctx: &mut Ctx,
    management: KeyManagement,
    provider: Option<u32>,
    new_key: &str,
    old_key: &str,
) -> Result<World, Failure> {
    let record = match management {
        KeyManagement::Internal => internal_master_key(new_key, ctx.master, ctx.now, ctx.rng)?,
        KeyManagement::External => {
            let p = provider_of(world, provider)?;
            let key = MasterKey::generate(ctx.rng);
            let ciphertext = ctx.providers.wrap(p, &provider_api_key(ctx.master, p)?, key.expose())?;
            MasterKeyRecord {
                id: new_key.to_string(),
                management,
                provider,
                created: ctx.now,
                state: MasterKeyState::Active,
                decommissioned: None,
                wrapped: Some(WrappedMasterKey::Provider { ciphertext }),
            }
        }
    };
    let mut next = world.clone();
    if let Some(old) = next.master_keys.get_mut(old_key) {
        old.state = MasterKeyState::Retiring;
    }
    next.master_keys.insert(new_key.to_string(), record);
    Ok(next)
}

/// Rekey step 2, one batch: up to `batch` secrets not yet under the new key rewrapped under
/// it (and any left under a key an earlier, failed rekey retired). Returns the world and how far
/// the step has got (done when `done == total`).
pub fn rewrap_sealed_batch(
    world: &World,
    ctx: &mut Ctx,
    new_key: &str,
    batch: u32,
) -> Result<(World, StepProgress), Failure> {
    if ctx.keys.current_id() != Some(new_key) {
        return Err(Failure::new(ErrorCode::MasterKeyUnavailable, "The new master key is not available."));
    }
    let places = sealed_places(world);
    let total = places.len();
    let pending: Vec<&SealedPlace> =
        places.iter().filter(|p| p.get(world).is_some_and(|s| s.key != new_key)).collect();
    let mut next = world.clone();
    let take = (batch as usize).min(pending.len());
    for place in &pending[..take] {
        if let Some(sealed) = place.get_mut(&mut next) {
            *sealed = ctx.keys.reseal(&place.binding(), sealed, ctx.rng)?;
        }
    }
    let done = total - (pending.len() - take);
    Ok((next, StepProgress { done: count(done), total: count(total) }))
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Rekey step 3: the old key decommissioned (its material destroyed), provided no secret names
/// it any more; so is any key an earlier, failed rekey left retiring once nothing names it.
pub fn decommission_master_key(world: &World, ctx: &Ctx, old_key: &str) -> Result<World, Failure> {
    let named: std::collections::BTreeSet<&str> =
        sealed_places(world).iter().filter_map(|p| p.get(world)).map(|s| s.key.as_str()).collect();
    if named.contains(old_key) {
        return Err(Failure::conflict("A secret is still sealed under the old master key; rewrap it first."));
    }
    let mut next = world.clone();
    let retiring: Vec<String> = world
        .master_keys
        .values()
        .filter(|k| k.state == MasterKeyState::Retiring && !named.contains(k.id.as_str()))
        .map(|k| k.id.clone())
        .collect();
    for id in retiring {
        if let Some(old) = next.master_keys.get_mut(&id) {
            old.state = MasterKeyState::Decommissioned;
            old.decommissioned = Some(ctx.now);
            old.wrapped = None;
        }
    }
    Ok(next)
}

/// What adding a key provider takes.
#[derive(Debug, Clone)]
pub struct NewKeyProvider<'a> {
    /// Name, unique.
    pub name: &'a str,
    /// Base URL (http or https).
    pub url: &'a str,
    /// Service instance.
    pub instance: &'a str,
    /// Root key id.
    pub root_key_id: &'a str,
    /// API key.
    pub api_key: &'a str,
}

/// Whether `url` is `http://` or `https://`, a host (DNS labels or an IPv4 address), an optional
/// port, and an optional path of printable ASCII.
pub(super) fn is_provider_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        return false;
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let host_ok = host.split('.').all(label);
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    host_ok && port_ok && path.bytes().all(|b| b.is_ascii_graphic())
}

/// Adds a key provider; its API key is sealed under the root key. Returns its id.
pub fn add_key_provider(world: &World, ctx: &mut Ctx, new: &NewKeyProvider) -> Result<(World, u32), Failure> {
    let invalid = |message: &str| Failure::new(ErrorCode::InvalidRequest, message.to_string());
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(invalid("A key provider's name is 1 to 64 characters."));
    }
    let url = new.url.trim().trim_end_matches('/');
    if !is_provider_url(url) || url.chars().count() > 2048 {
        return Err(invalid("The provider URL is an http:// or https:// address."));
    }
    for (what, value) in
        [("instance", new.instance), ("root key id", new.root_key_id), ("API key", new.api_key)]
    {
        if value.trim().is_empty() || value.chars().count() > 512 {
            return Err(invalid(&format!("The {what} is 1 to 512 characters.")));
        }
    }
    if world.key_providers.values().any(|p| p.name.eq_ignore_ascii_case(name)) {
        return Err(Failure::conflict(format!("A key provider named '{name}' exists already.")));
    }
    let id = world.key_providers.values().map(|p| p.id).max().unwrap_or(0) + 1;
    let api_key = crypto::seal(
        ctx.master,
        ROOT_KEY_ID,
        &provider_api_key_binding(id),
        new.api_key.trim().as_bytes(),
        ctx.rng,
    )?;
    let provider = KeyProvider {
        id,
        name: name.to_string(),
        url: url.to_string(),
        instance: new.instance.trim().to_string(),
        root_key_id: new.root_key_id.trim().to_string(),
        api_key,
        created: ctx.now,
    };
    let mut next = world.clone();
    next.key_providers.insert(id.to_string(), provider);
    Ok((next, id))
}

/// Removes a key provider no master key in use (nor a running rekey) relies on.
pub fn remove_key_provider(world: &World, id: u32) -> Result<World, Failure> {
    provider_of(world, Some(id))?;
    let keeps_a_key = world
        .master_keys
        .values()
        .any(|k| k.provider == Some(id) && k.state != MasterKeyState::Decommissioned);
    let rekey_uses_it = running_rekey(world).is_some_and(
        |op| matches!(op.kind, OperationKind::RekeyMasterKey { provider: Some(p), .. } if p == id),
    );
    if keeps_a_key || rekey_uses_it {
        return Err(Failure::new(
            ErrorCode::KeyProviderInUse,
            format!("Key provider {id} keeps a master key in use; rekey away from it first."),
        ));
    }
    let mut next = world.clone();
    next.key_providers.remove(&id.to_string());
    Ok(next)
}

/// Tries a key provider: wraps a random value and unwraps it again.
pub fn test_key_provider(world: &World, ctx: &mut Ctx, id: u32) -> Result<(), Failure> {
    let provider = provider_of(world, Some(id))?;
    let api_key = provider_api_key(ctx.master, provider)?;
    let probe = MasterKey::generate(ctx.rng);
    let ciphertext = ctx.providers.wrap(provider, &api_key, probe.expose())?;
    let back = ctx.providers.unwrap(provider, &api_key, &ciphertext)?;
    if !crypto::constant_time_eq(&back, probe.expose()) {
        return Err(unreachable_provider(provider, "what it unwrapped is not what it wrapped"));
    }
    Ok(())
}
