//! Encryption at rest: sealed values bound to their place, the rekey state machine, key
//! providers and the migration of data sealed the old way.

use zeroize::Zeroizing;

use super::tests::Fx;
use super::*;
use crate::api::CreateOrderRequest;
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, MasterKey};
use crate::model::*;

fn start(fx: &mut Fx, params: RekeyParameters) -> Result<String, Failure> {
    let (world, id) = fx.run(|w, c| start_rekey(w, c, &params))?;
    fx.world = world;
    Ok(id)
}

/// Runs an operation's steps to the end; returns how many turns it took.
fn run_to_end(fx: &mut Fx, id: &str) -> usize {
    let mut turns = 0;
    while fx.world.operations.get(id).is_some_and(|op| op.state == OperationState::Running) {
        fx.apply(|w, c| run_step(w, c, id));
        turns += 1;
        assert!(turns < 1_000, "the operation never ends");
    }
    turns
}

/// The key id every master-key-sealed secret names.
fn sealing_keys(world: &World) -> std::collections::BTreeSet<String> {
    sealed_places(world).iter().filter_map(|p| p.get(world)).map(|s| s.key.clone()).collect()
}

fn batch(n: u32) -> RekeyParameters {
    RekeyParameters { batch: Some(n), ..RekeyParameters::default() }
}

#[test]
fn a_rekey_rewraps_every_secret_then_decommissions_the_old_key() {
    let mut fx = Fx::new();
    let old = fx.world.active_master_key().expect("a master key").id.clone();
    assert_eq!(sealing_keys(&fx.world), [old.clone()].into());
    let secrets = sealed_places(&fx.world).len();
    assert!(secrets >= 6, "the demo seals keys, the import key, the passkey and service keys");

    let id = start(&mut fx, batch(2)).expect("started");
    let turns = run_to_end(&mut fx, &id);

    let op = &fx.world.operations.get(&id).unwrap();
    assert_eq!(op.state, OperationState::Succeeded, "{:?}", op.error);
    assert!(turns >= 2 + secrets / 2, "one turn per batch of two: {turns} turns for {secrets} secrets");
    let progress = op.steps[1].progress.expect("the rewrap step reports progress");
    assert_eq!((progress.done, progress.total), (count(secrets), count(secrets)));
    let new = fx.world.active_master_key().expect("a master key").id.clone();
    assert_ne!(new, old);
    assert_eq!(sealing_keys(&fx.world), [new].into());
    let retired = &fx.world.master_keys.get(&old).unwrap();
    assert_eq!(retired.state, MasterKeyState::Decommissioned);
    assert!(retired.wrapped.is_none(), "a decommissioned key's material is destroyed");
    assert_eq!(retired.decommissioned, Some(fx.now));
    fx.assert_passkey_intact();
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap()
}

#[test]
fn secrets_stay_readable_and_writable_at_every_point_of_a_rekey() {
    let mut fx = Fx::new();
    let id = start(&mut fx, batch(1)).expect("started");
    let mut turn = 0;
    while fx.world.operations.get(&id).unwrap().state == OperationState::Running {
        fx.apply(|w, c| run_step(w, c, &id));
        turn += 1;
        // Whichever key the passkey is under now, it opens; a new secret is sealed under the
        // current key and opens too.
        fx.assert_passkey_intact();
        let request = CreateOrderRequest {
            name: format!("during-rekey-{turn}"),
            subscription_id: fx.world.subscriptions.keys().next().unwrap().to_owned(),
            resource_group: crate::demo::DEMO_RESOURCE_GROUP.into(),
        };
        let (world, order) = fx.run(|w, c| create_order(w, c, &request)).expect("an order");
        fx.world = world;
        fx.run(|w, c| fetch_passkey(w, c, &order)).expect("its passkey");
    }
    assert_eq!(fx.world.operations.get(&id).unwrap().state, OperationState::Succeeded);
    let current = fx.world.active_master_key().unwrap().id.clone();
    assert_eq!(sealing_keys(&fx.world), [current].into(), "orders created midway were rewrapped too");
}

#[test]
fn rekey_parameters_are_checked() {
    let mut fx = Fx::new();
    let code = |fx: &mut Fx, params| start(fx, params).unwrap_err().code;
    let internal_with_provider = RekeyParameters {
        management: Some(KeyManagement::Internal),
        provider: Some(1),
        ..RekeyParameters::default()
    };
    assert_eq!(code(&mut fx, internal_with_provider), ErrorCode::InvalidKeyManagement);
    let external =
        RekeyParameters { management: Some(KeyManagement::External), ..RekeyParameters::default() };
    assert_eq!(code(&mut fx, external.clone()), ErrorCode::InvalidKeyManagement);
    let unknown = RekeyParameters { provider: Some(9), ..external };
    assert_eq!(code(&mut fx, unknown), ErrorCode::KeyProviderNotFound);
    assert_eq!(code(&mut fx, batch(0)), ErrorCode::InvalidRequest);
    assert_eq!(code(&mut fx, batch(MAX_REWRAP_BATCH + 1)), ErrorCode::InvalidRequest);
    assert!(fx.world.operations.values().all(|op| !matches!(op.kind, OperationKind::RekeyMasterKey { .. })));

    start(&mut fx, RekeyParameters::default()).expect("Internal by default");
    assert_eq!(code(&mut fx, RekeyParameters::default()), ErrorCode::RekeyInProgress);
}

#[test]
fn a_secret_moved_to_another_row_or_field_does_not_open() {
    let mut fx = Fx::new();
    let request = CreateOrderRequest {
        name: "second".into(),
        subscription_id: fx.world.subscriptions.keys().next().unwrap().to_owned(),
        resource_group: crate::demo::DEMO_RESOURCE_GROUP.into(),
    };
    let (world, second) = fx.run(|w, c| create_order(w, c, &request)).unwrap();
    fx.world = world;
    // The first order's passkey copied onto the second order.
    let copied = fx.order().passkey.clone();
    fx.world.orders.get_mut(&second).unwrap().passkey = copied;
    let failure = fx.run(|w, c| fetch_passkey(w, c, &second)).unwrap_err();
    assert_eq!(failure.code, ErrorCode::GenericError);
    // A service key copied from a device manager's field onto a device's.
    let ring = keyring(&fx.world, &fx.master, &NoKeyProviders, true).unwrap();
    let manager = fx.world.device_managers.values().next().unwrap().clone();
    let device = SealedPlace::DeviceKey { device: fx.world.devices.keys().next().unwrap().to_string() };
    assert!(ring.open(&device.binding(), &manager.key).is_err());
    let place = SealedPlace::ManagerKey { manager: manager.name.clone() };
    assert!(ring.open(&place.binding(), &manager.key).is_ok());
}

/// An old data directory: every secret sealed unbound, directly under the root key.
fn make_old(fx: &mut Fx) {
    let ring = keyring(&fx.world, &fx.master, &NoKeyProviders, true).unwrap();
    let mut old = fx.world.clone();
    for place in sealed_places(&fx.world) {
        let plain = ring.open(&place.binding(), place.get(&fx.world).unwrap()).unwrap();
        *place.get_mut(&mut old).unwrap() = crypto::seal_unbound(&fx.master, &plain, &mut fx.rng).unwrap();
    }
    for (id, device) in fx.world.devices.iter() {
        let key =
            ring.open(&SealedPlace::DeviceKey { device: id.to_string() }.binding(), &device.key).unwrap();
        let key = crypto::ServiceKey::from_slice(&key).unwrap();
        for (i, credential) in device.credentials.iter().enumerate() {
            let here = credential_binding(id, &credential.account);
            let plain = crypto::open(&key, &here, &credential.secret).unwrap();
            old.devices.get_mut(id).unwrap().credentials[i].secret =
                crypto::seal_unbound(&key, &plain, &mut fx.rng).unwrap();
        }
    }
    old.master_keys = Table::default();
    fx.world = old;
}

#[test]
fn an_old_world_is_migrated_once_and_opens_as_before() {
    let mut fx = Fx::new();
    let before =
        fx.run(|w, c| read_credentials(w, c, crate::demo::DEMO_DEVICE_MANAGER, "hcs-8100-01")).unwrap();
    make_old(&mut fx);
    assert!(fx.run(|w, c| fetch_passkey(w, c, &c_order(w))).is_err(), "unmigrated data does not open");

    let migrated = migrate_sealing(&fx.world, &fx.master, fx.now, &mut fx.rng).unwrap().expect("migrated");
    fx.world = migrated;
    let key = fx.world.active_master_key().expect("a first master key").id.clone();
    assert_eq!(fx.world.master_keys.len(), 1);
    assert_eq!(sealing_keys(&fx.world), [key].into());
    fx.assert_passkey_intact();
    let after =
        fx.run(|w, c| read_credentials(w, c, crate::demo::DEMO_DEVICE_MANAGER, "hcs-8100-01")).unwrap();
    assert_eq!(before, after);
    assert!(migrate_sealing(&fx.world, &fx.master, fx.now, &mut fx.rng).unwrap().is_none(), "only once");
}

fn c_order(world: &World) -> String {
    world.orders.keys().next().unwrap().to_string()
}

/// A key provider in the test process: what it wraps, only its own key unwraps.
struct LocalProvider(MasterKey);

impl KeyProviders for LocalProvider {
    fn wrap(&self, provider: &KeyProvider, api_key: &str, plaintext: &[u8]) -> Result<String, Failure> {
        assert_eq!(api_key, "kp-secret", "the API key reaches the provider unsealed");
        let here = crypto::Binding::new("provider", &provider.root_key_id, "wrap");
        let sealed =
            crypto::seal(&self.0, "kp", &here, plaintext, &mut rsa::rand_core::UnwrapErr(getrandom::SysRng))?;
        Ok(serde_json::to_string(&sealed).unwrap())
    }

    fn unwrap(
        &self,
        provider: &KeyProvider,
        _: &str,
        ciphertext: &str,
    ) -> Result<Zeroizing<Vec<u8>>, Failure> {
        let sealed: crypto::Sealed = serde_json::from_str(ciphertext).map_err(|_| Failure::generic("bad"))?;
        let here = crypto::Binding::new("provider", &provider.root_key_id, "wrap");
        Ok(crypto::open(&self.0, &here, &sealed)?)
    }
}

#[test]
fn an_external_master_key_opens_only_through_its_provider() {
    let mut fx = Fx::new();
    let provider = LocalProvider(MasterKey::from_bytes([9; 32]));
    let new = NewKeyProvider {
        name: "kp",
        url: "http://127.0.0.1:1",
        instance: "contoso-kv",
        root_key_id: "root-1",
        api_key: "kp-secret",
    };
    let (world, kp) = fx.run(|w, c| add_key_provider(w, c, &new)).unwrap();
    fx.world = world;
    assert!(!serde_json::to_string(&fx.world.key_providers).unwrap().contains("kp-secret"));
    let params =
        RekeyParameters { management: Some(KeyManagement::External), provider: Some(kp), batch: Some(50) };
    let id = start(&mut fx, params).unwrap();
    while fx.world.operations.get(&id).unwrap().state == OperationState::Running {
        let ring = keyring(&fx.world, &fx.master, &provider, true).unwrap();
        let mut ctx = Ctx { providers: &provider, ..Ctx::local(fx.now, &fx.master, &ring, &mut fx.rng) };
        fx.world = run_step(&fx.world, &mut ctx, &id).unwrap();
    }
    assert_eq!(fx.world.operations.get(&id).unwrap().state, OperationState::Succeeded);
    let current = fx.world.active_master_key().unwrap();
    assert_eq!((current.management, current.provider), (KeyManagement::External, Some(kp)));
    assert!(matches!(current.wrapped, Some(WrappedMasterKey::Provider { .. })));

    // Without its provider the key is not held: secrets fail with MasterKeyUnavailable...
    let unreachable = keyring(&fx.world, &fx.master, &NoKeyProviders, true).unwrap_err();
    assert_eq!(unreachable.code, ErrorCode::KeyProviderUnreachable);
    let ring = keyring(&fx.world, &fx.master, &NoKeyProviders, false).unwrap();
    let place = SealedPlace::OrderPasskey { order: fx.order.clone() };
    let failure = Failure::from(ring.open(&place.binding(), place.get(&fx.world).unwrap()).unwrap_err());
    assert_eq!(failure.code, ErrorCode::MasterKeyUnavailable);
    // ...and with it, everything opens.
    let ring = keyring(&fx.world, &fx.master, &provider, true).unwrap();
    let mut ctx = Ctx { providers: &provider, ..Ctx::local(fx.now, &fx.master, &ring, &mut fx.rng) };
    assert_eq!(fetch_passkey(&fx.world, &mut ctx, &fx.order).unwrap(), fx.passkey);

    // The provider keeps the key in use: it cannot be removed until a rekey moves away.
    assert_eq!(remove_key_provider(&fx.world, kp).unwrap_err().code, ErrorCode::KeyProviderInUse);
}

#[test]
fn key_providers_are_validated() {
    let mut fx = Fx::new();
    let good = NewKeyProvider {
        name: "kp",
        url: "https://kp.example/",
        instance: "i",
        root_key_id: "r",
        api_key: "secret",
    };
    let (world, id) = fx.run(|w, c| add_key_provider(w, c, &good)).unwrap();
    assert_eq!(world.key_providers.get(&id.to_string()).unwrap().url, "https://kp.example");
    fx.world = world;
    for bad in [
        NewKeyProvider { name: " ", ..good.clone() },
        NewKeyProvider { url: "ftp://kp", ..good.clone() },
        NewKeyProvider { url: "https://", ..good.clone() },
        NewKeyProvider { api_key: "", ..good.clone() },
        NewKeyProvider { root_key_id: " ", ..good.clone() },
    ] {
        assert_eq!(fx.run(|w, c| add_key_provider(w, c, &bad)).unwrap_err().code, ErrorCode::InvalidRequest);
    }
    assert_eq!(fx.run(|w, c| add_key_provider(w, c, &good)).unwrap_err().code, ErrorCode::Conflict);
    let test = fx.run(|w, c| test_key_provider(w, c, id)).unwrap_err();
    assert_eq!(test.code, ErrorCode::KeyProviderUnreachable);
    let removed = remove_key_provider(&fx.world, id).unwrap();
    assert!(removed.key_providers.is_empty());
    assert_eq!(remove_key_provider(&removed, id).unwrap_err().code, ErrorCode::KeyProviderNotFound);
}

#[test]
fn a_provider_url_is_a_scheme_a_host_an_optional_port_and_path() {
    for good in
        ["http://127.0.0.1:8080", "https://kms.example.com/base", "http://localhost:9", "https://a-b.c"]
    {
        assert!(super::at_rest::is_provider_url(good), "{good}");
    }
    for bad in [
        "http://",
        "http:///",
        "ftp://x",
        "http://[",
        "http://[::1]:9",
        "http://a..b",
        "http://-a",
        "http://a:0",
        "http://a:65536",
        "http://a b",
    ] {
        assert!(!super::at_rest::is_provider_url(bad), "{bad}");
    }
}
