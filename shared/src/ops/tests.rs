//! Scenario tests: every catalog code reached through the operations a user would perform,
//! its computed recoverability, its fix, and the passkey intact afterwards.

use std::sync::OnceLock;

use getrandom::SysRng;
use rsa::rand_core::UnwrapErr;

use super::*;
use crate::api::*;
use crate::catalog::{Diagnosis, ErrorCode, Failure, FixAction};
use crate::crypto::{self, ImportKey, KeyTransfer, MasterKey, Passkey};
use crate::demo::{self, DemoKeys};
use crate::model::*;

/// One RSA-2048 customer key and one RSA-3072 import key for the whole test run.
fn shared_keys() -> &'static (rsa::PrivateKey, rsa::PrivateKey) {
    static KEYS: OnceLock<(rsa::PrivateKey, rsa::PrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rng = &mut UnwrapErr(SysRng);
        (crypto::generate_rsa(2048, rng).unwrap(), crypto::generate_rsa(3072, rng).unwrap())
    })
}

const START: Timestamp = Timestamp(1_700_000_000);

pub(super) struct Fx {
    pub(super) world: World,
    pub(super) master: MasterKey,
    pub(super) rng: UnwrapErr<SysRng>,
    pub(super) now: Timestamp,
    pub(super) order: String,
    pub(super) passkey: Passkey,
}

impl Fx {
    pub(super) fn new() -> Fx {
        let (customer, import) = shared_keys();
        let master = MasterKey::from_bytes([7; 32]);
        let mut rng = UnwrapErr(SysRng);
        let (base, ring) = first_master_key(&master, START, &mut rng).unwrap();
        let mut ctx = Ctx::local(START, &master, &ring, &mut rng);
        let import_key = ImportKey::from_private(import, ctx.keys, demo::DEMO_VAULT, ctx.rng).unwrap();
        let keys = DemoKeys { customer_key: customer.clone(), import_key };
        let world = demo::demo_world(&mut ctx, base, keys).unwrap();
        let order = world.orders.keys().next().unwrap().to_owned();
        let passkey = fetch_passkey(&world, &mut ctx, &order).unwrap();
        Fx { world, master, rng, now: START, order, passkey }
    }

    pub(super) fn run<T>(
        &mut self,
        f: impl FnOnce(&World, &mut Ctx) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        in_test_ctx(&self.world, &self.master, self.now, &mut self.rng, |ctx| f(&self.world, ctx))
    }

    pub(super) fn apply(&mut self, f: impl FnOnce(&World, &mut Ctx) -> Result<World, Failure>) {
        self.world = self.run(f).unwrap();
    }

    pub(super) fn try_apply(
        &mut self,
        f: impl FnOnce(&World, &mut Ctx) -> Result<World, Failure>,
    ) -> Result<(), Failure> {
        self.world = self.run(f)?;
        Ok(())
    }

    pub(super) fn order(&self) -> &Order {
        self.world.orders.get(&self.order).expect("in the world")
    }

    pub(super) fn identity_id(&self) -> String {
        self.world.identities.keys().next().unwrap().to_owned()
    }

    pub(super) fn identity_principal(&self) -> String {
        self.world.identities.values().next().unwrap().principal_id.clone()
    }

    pub(super) fn system_principal(&self) -> String {
        self.order().system_identity.as_ref().unwrap().principal_id.clone()
    }

    pub(super) fn version_id(&self, vault: &str, key: &str) -> String {
        self.world.vaults.get(vault).expect("in the world").keys[key].versions.last().unwrap().id.clone()
    }

    pub(super) fn cmk(&self, vault: &str, key: &str, identity: IdentityChoice) -> EncryptionSettings {
        let version = self.version_id(vault, key);
        EncryptionSettings::CustomerManaged(CustomerKey {
            vault: vault.into(),
            key: key.into(),
            version,
            key_url: String::new(),
            identity,
        })
    }

    pub(super) fn save(&mut self, settings: EncryptionSettings) -> Result<(), Failure> {
        let order = self.order.clone();
        self.try_apply(|w, c| save_encryption(w, c, &order, &settings, None))
    }

    pub(super) fn save_demo_cmk(&mut self, identity: IdentityChoice) {
        let settings = self.cmk(demo::DEMO_VAULT, demo::DEMO_KEY, identity);
        self.save(settings).unwrap();
    }

    pub(super) fn user(&self) -> IdentityChoice {
        IdentityChoice::UserAssigned { identity_id: self.identity_id() }
    }

    pub(super) fn grant_user(&mut self) {
        let principal = self.identity_principal();
        self.apply(|w, _| {
            grant_permissions(w, demo::DEMO_VAULT, &principal, &KeyPermission::REQUIRED_FOR_ORDER)
        });
    }

    pub(super) fn fetch(&mut self) -> Result<Passkey, Failure> {
        let order = self.order.clone();
        self.run(|w, c| fetch_passkey(w, c, &order))
    }

    pub(super) fn assert_passkey_intact(&mut self) {
        assert_eq!(self.fetch().unwrap(), self.passkey);
    }

    /// Asserts the failure's code and computed recoverability; returns the diagnosis.
    pub(super) fn expect(
        &self,
        result: Result<impl std::fmt::Debug, Failure>,
        code: ErrorCode,
        recoverable: bool,
    ) -> Diagnosis {
        let failure = result.unwrap_err();
        let diagnosis = failure.diagnose(&self.world, self.now, &self.master);
        assert_eq!(diagnosis.code, code, "{failure:?}");
        assert_eq!(diagnosis.recoverable, recoverable, "{diagnosis:?}");
        diagnosis
    }

    pub(super) fn expect_fetch(&mut self, code: ErrorCode, recoverable: bool) -> Diagnosis {
        let result = self.fetch();
        self.expect(result, code, recoverable)
    }

    pub(super) fn expect_save(
        &mut self,
        settings: EncryptionSettings,
        code: ErrorCode,
        recoverable: bool,
    ) -> Diagnosis {
        let result = self.save(settings);
        self.expect(result, code, recoverable)
    }

    pub(super) fn fix(&mut self, diagnosis: &Diagnosis) {
        let fix = diagnosis.fix.clone().expect("a fix");
        let subject = diagnosis.subject.clone().expect("a failure with a fix names its subject");
        assert_eq!(subject, Subject::Order { id: self.order.clone() });
        let proof = diagnosis.fix_proof.clone().expect("a fix comes with its proof");
        self.apply(|w, c| apply_fix(w, c, &subject, &fix, &proof, None));
    }

    pub(super) fn transfer(&mut self, pkcs8: &[u8], vault: &str) -> KeyTransfer {
        let public = import_key_of(&self.world, vault).unwrap().public_spki_b64;
        crypto::wrap_for_transfer(&public, pkcs8, &mut self.rng).unwrap()
    }

    pub(super) fn rsa_transfer(&mut self, vault: &str) -> KeyTransfer {
        let der = crypto::private_key_to_pkcs8(&shared_keys().0).unwrap();
        self.transfer(&der, vault)
    }

    pub(super) fn create_key(
        &mut self,
        vault: &str,
        name: &str,
        key_type: KeyType,
        size: u16,
        transfer: KeyTransfer,
    ) {
        let req = CreateKeyRequest {
            name: name.into(),
            key_type,
            size,
            attributes: VersionAttributes::default(),
            transfer,
        };
        self.world = self.run(|w, c| create_key(w, c, vault, &req)).unwrap().0;
    }
}

#[test]
fn save_and_fetch_happy_path_then_revert_to_microsoft_managed() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let ck = fx.order().encryption.customer_key().unwrap().clone();
    assert!(ck.key_url.starts_with("https://contoso-kv.vault.azure.net/keys/databox-key/"));
    assert!(matches!(fx.order().passkey, WrappedPasskey::ByCustomerKey { .. }));
    fx.assert_passkey_intact();
    fx.save(EncryptionSettings::MicrosoftManaged).unwrap();
    assert!(matches!(fx.order().passkey, WrappedPasskey::ByMasterKey { .. }));
    fx.assert_passkey_intact();
}

#[test]
fn change_key_version_and_identity() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let transfer = fx.rsa_transfer(demo::DEMO_VAULT);
    let req = CreateVersionRequest { attributes: VersionAttributes::default(), transfer };
    fx.world = fx.run(|w, c| create_version(w, c, demo::DEMO_VAULT, demo::DEMO_KEY, &req)).unwrap().0;
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    assert_eq!(
        fx.order().encryption.customer_key().unwrap().version,
        fx.version_id(demo::DEMO_VAULT, demo::DEMO_KEY)
    );
    fx.assert_passkey_intact();
    fx.grant_user();
    let user = fx.user();
    fx.save_demo_cmk(user.clone());
    assert_eq!(fx.order().encryption.customer_key().unwrap().identity, user);
    assert!(fx.order().user_identities.contains(&fx.identity_id()));
    fx.assert_passkey_intact();
}

#[test]
fn failed_save_keeps_settings_and_passkey() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let before = fx.world.clone();
    let user = fx.user();
    let attempt = fx.cmk(demo::DEMO_VAULT, demo::DEMO_KEY, user);
    fx.expect_save(attempt, ErrorCode::KeyVaultBadRequestException, true);
    assert_eq!(fx.world, before);
    fx.assert_passkey_intact();
}

#[test]
fn stale_version_is_a_conflict() {
    let mut fx = Fx::new();
    let order = fx.order.clone();
    let settings = EncryptionSettings::MicrosoftManaged;
    let err = fx.run(|w, c| save_encryption(w, c, &order, &settings, Some(0))).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
}

#[test]
fn the_version_rule_accepts_the_current_version_or_none() {
    let fx = Fx::new();
    let current = fx.order().version;
    assert!(check_order_version(&fx.world, &fx.order, None).is_ok());
    assert!(check_order_version(&fx.world, &fx.order, Some(current)).is_ok());
    assert_eq!(
        check_order_version(&fx.world, &fx.order, Some(current + 1)).unwrap_err().code,
        ErrorCode::Conflict
    );
    assert_eq!(check_order_version(&fx.world, "no-such-order", None).unwrap_err().code, ErrorCode::NotFound);
    let fix = FixAction::RecoverVault { vault: demo::DEMO_VAULT.into() };
    let mut fx = fx;
    let subject = Subject::Order { id: fx.order.clone() };
    let proof = crate::catalog::fix_proof(&fx.master, &subject, &fix);
    let err = fx.run(|w, c| apply_fix(w, c, &subject, &fix, &proof, Some(current + 1))).unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict);
}

#[test]
fn a_fix_applies_only_as_offered_for_its_subject() {
    let mut fx = Fx::new();
    let subject = Subject::Order { id: fx.order.clone() };
    let offered = FixAction::RecoverVault { vault: demo::DEMO_VAULT.into() };
    let proof = crate::catalog::fix_proof(&fx.master, &subject, &offered);
    // The same proof for another target, or another subject, or from another master key.
    let other_vault = FixAction::RecoverVault { vault: "someone-elses-kv".into() };
    let err = fx.run(|w, c| apply_fix(w, c, &subject, &other_vault, &proof, None)).unwrap_err();
    assert_eq!(err.code, ErrorCode::FixNotApplicable);
    let other_subject = Subject::Vault { vault: demo::DEMO_VAULT.into() };
    let err = fx.run(|w, c| apply_fix(w, c, &other_subject, &offered, &proof, None)).unwrap_err();
    assert_eq!(err.code, ErrorCode::FixNotApplicable);
    let forged = crate::catalog::fix_proof(&MasterKey::from_bytes([1; 32]), &subject, &offered);
    let err = fx.run(|w, c| apply_fix(w, c, &subject, &offered, &forged, None)).unwrap_err();
    assert_eq!(err.code, ErrorCode::FixNotApplicable);
}

#[test]
fn save_by_key_url_checks_the_url_then_saves_that_version() {
    let mut fx = Fx::new();
    let order = fx.order.clone();
    let version = fx.version_id(demo::DEMO_VAULT, demo::DEMO_KEY);
    let url = fx.world.cloud.key_url(demo::DEMO_VAULT, demo::DEMO_KEY, &version);
    let request = |key_url: String| SaveByKeyUrlRequest { key_url, identity: IdentityChoice::SystemAssigned };
    let without_version = format!("https://{}.vault.azure.net/keys/{}", demo::DEMO_VAULT, demo::DEMO_KEY);
    for (bad, code) in [
        ("not a url".to_string(), ErrorCode::InvalidKeyVaultUrl),
        (without_version, ErrorCode::InvalidKeyVaultUrl),
        (url.replace("https", "http"), ErrorCode::KeyVaultUrlWithInvalidScheme),
        (url.replace("vault.azure.net", "example.com"), ErrorCode::KeyVaultUrlInvalidHost),
    ] {
        let req = request(bad);
        assert_eq!(
            fx.run(|w, c| save_encryption_by_key_url(w, c, &order, &req, None)).unwrap_err().code,
            code
        );
    }
    let req = request(url.clone());
    fx.apply(|w, c| save_encryption_by_key_url(w, c, &order, &req, None));
    assert_eq!(fx.order().encryption.customer_key().map(|ck| ck.key_url.as_str()), Some(url.as_str()));
    fx.assert_passkey_intact();
}

#[test]
fn key_disabled() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let version = fx.version_id(demo::DEMO_VAULT, demo::DEMO_KEY);
    let off = VersionAttributes { enabled: false, nbf: None, exp: None };
    fx.apply(|w, _| update_version(w, demo::DEMO_VAULT, demo::DEMO_KEY, &version, &off));
    let d = fx.expect_fetch(ErrorCode::EncryptionKeyDisabled, true);
    assert!(matches!(d.fix, Some(FixAction::EnableKeyVersion { .. })));
    fx.fix(&d);
    fx.assert_passkey_intact();
}

#[test]
fn key_expired() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let version = fx.version_id(demo::DEMO_VAULT, demo::DEMO_KEY);
    let exp = VersionAttributes { enabled: true, nbf: None, exp: Some(START.plus_days(1)) };
    fx.apply(|w, _| update_version(w, demo::DEMO_VAULT, demo::DEMO_KEY, &version, &exp));
    fx.now = START.plus_days(2);
    let d = fx.expect_fetch(ErrorCode::EncryptionKeyExpired, true);
    fx.fix(&d);
    fx.assert_passkey_intact();
}

#[test]
fn key_deleted_recoverable_then_not_after_retention() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    fx.apply(|w, c| delete_key(w, c, demo::DEMO_VAULT, demo::DEMO_KEY));
    let purge = fx.run(|w, c| purge_key(w, c, demo::DEMO_VAULT, demo::DEMO_KEY));
    assert_eq!(purge.unwrap_err().code, ErrorCode::PurgeProtected);
    fx.now = START.plus_days(91);
    let late = fx.expect_fetch(ErrorCode::KeyDetailsNotFound, false);
    assert_eq!(late.fix, None);
    fx.now = START.plus_days(3);
    let d = fx.expect_fetch(ErrorCode::KeyDetailsNotFound, true);
    fx.fix(&d);
    fx.assert_passkey_intact();
}

#[test]
fn permissions_revoked() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let principal = fx.system_principal();
    let req = SetAccessPolicyRequest {
        principal_id: principal,
        permissions: [KeyPermission::Get, KeyPermission::UnwrapKey].into(),
    };
    fx.apply(|w, _| set_access_policy(w, demo::DEMO_VAULT, &req));
    let d = fx.expect_fetch(ErrorCode::KeyVaultBadRequestException, true);
    assert!(matches!(d.fix, Some(FixAction::GrantKeyPermissions { .. })));
    fx.fix(&d);
    fx.assert_passkey_intact();
}

#[test]
fn firewall_blocks_user_identity_but_not_system() {
    let mut fx = Fx::new();
    fx.grant_user();
    let user = fx.user();
    fx.save_demo_cmk(user);
    let req = SetFirewallRequest { enabled: true, allowed_identities: Default::default() };
    fx.apply(|w, _| set_firewall(w, demo::DEMO_VAULT, &req));
    let d = fx.expect_fetch(ErrorCode::KeyVaultBadRequestException, true);
    assert!(matches!(d.fix, Some(FixAction::SwitchToSystemAssigned { .. })));
    fx.fix(&d);
    assert_eq!(fx.order().encryption.customer_key().unwrap().identity, IdentityChoice::SystemAssigned);
    fx.assert_passkey_intact();
}

#[test]
fn vault_deleted_recoverable_then_purged() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    fx.apply(|w, c| delete_vault(w, c, demo::DEMO_VAULT));
    fx.now = START.plus_days(3);
    let d = fx.expect_fetch(ErrorCode::KeyVaultDetailsNotFound, true);
    assert!(matches!(d.fix, Some(FixAction::RecoverVault { .. })));
    let mut purged = Fx { world: fx.world.clone(), ..Fx::new() };
    purged.order = fx.order.clone();
    purged.now = START.plus_days(91);
    purged.expect_fetch(ErrorCode::KeyVaultDetailsNotFound, false);
    purged.apply(|w, c| purge_vault(w, c, demo::DEMO_VAULT));
    purged.now = START.plus_days(3);
    purged.expect_fetch(ErrorCode::KeyVaultDetailsNotFound, false);
    fx.fix(&d);
    fx.assert_passkey_intact();
}

#[test]
fn subscription_moved_with_system_identity() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let (sub, other) = fx.move_target();
    fx.apply(|w, _| move_subscription(w, &sub, &other));
    let d = fx.expect_fetch(ErrorCode::KeyVaultDetailsNotFound, true);
    assert!(matches!(d.fix, Some(FixAction::RestoreSubscriptionTenant { .. })));
    fx.fix(&d);
    fx.assert_passkey_intact();
}

impl Fx {
    fn move_target(&self) -> (String, String) {
        let sub = self.world.subscriptions.values().next().unwrap();
        let other = self.world.tenants.keys().find(|t| **t != sub.tenant_id).unwrap();
        (sub.id.clone(), other.to_owned())
    }
}

#[test]
fn system_identity_removed_or_not_in_policy() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let order = fx.order.clone();
    fx.apply(|w, _| remove_system_identity(w, &order, None));
    let d = fx.expect_fetch(ErrorCode::SystemAssignedIdentityAbsent, true);
    assert!(matches!(d.fix, Some(FixAction::RecreateSystemIdentity { .. })));
    fx.fix(&d);
    fx.assert_passkey_intact();
    fx.apply(|w, _| remove_system_identity(w, &order, None));
    fx.apply(|w, c| recreate_system_identity(w, c, &order, None));
    let d = fx.expect_fetch(ErrorCode::SystemAssignedIdentityAbsent, true);
    assert!(matches!(d.fix, Some(FixAction::GrantKeyPermissions { .. })));
    fx.fix(&d);
    fx.assert_passkey_intact();
}

#[test]
fn user_identity_limit() {
    let mut fx = Fx::new();
    let order = fx.order.clone();
    let mut ids = vec![fx.identity_id()];
    for n in 0..10 {
        let req = CreateIdentityRequest {
            name: format!("uai-{n}"),
            resource_group: demo::DEMO_RESOURCE_GROUP.into(),
        };
        let (world, id) = fx.run(|w, c| create_identity(w, c, &req)).unwrap();
        fx.world = world;
        ids.push(id);
    }
    fx.apply(|w, _| attach_identities(w, &order, &ids[..10], None));
    let extra = ids[10..].to_vec();
    let attempt = fx.run(|w, _| attach_identities(w, &order, &extra, None));
    let d = fx.expect(attempt, ErrorCode::UserAssignedLimitReached, true);
    fx.fix(&d);
    fx.apply(|w, _| attach_identities(w, &order, &extra, None));
    fx.assert_passkey_intact();
}

#[test]
fn cross_tenant_user_identity() {
    let mut fx = Fx::new();
    fx.grant_user();
    let user = fx.user();
    fx.save_demo_cmk(user);
    let (sub, other) = fx.move_target();
    fx.apply(|w, _| move_subscription(w, &sub, &other));
    let d = fx.expect_fetch(ErrorCode::CrossTenantIdentityAccessForbidden, true);
    assert!(matches!(d.fix, Some(FixAction::MoveIdentityToTenant { .. })));
    fx.fix(&d);
    fx.assert_passkey_intact();
}

#[test]
fn deleted_user_identity_at_save() {
    let mut fx = Fx::new();
    let user = fx.user();
    let id = fx.identity_id();
    fx.apply(|w, _| delete_identity(w, &id));
    let attempt = fx.cmk(demo::DEMO_VAULT, demo::DEMO_KEY, user);
    let d = fx.expect_save(attempt, ErrorCode::KekUserIdentityNotFound, true);
    assert_eq!(fx.order().encryption, EncryptionSettings::MicrosoftManaged);
    fx.fix(&d);
    assert_eq!(fx.order().encryption.customer_key().unwrap().identity, IdentityChoice::SystemAssigned);
    fx.assert_passkey_intact();
}

#[test]
fn deleted_user_identity_after_save() {
    let mut fx = Fx::new();
    fx.grant_user();
    let user = fx.user();
    fx.save_demo_cmk(user);
    let id = fx.identity_id();
    fx.apply(|w, _| delete_identity(w, &id));
    let d = fx.expect_fetch(ErrorCode::UserAssignedIdentityAbsent, false);
    fx.fix(&d);
    fx.assert_passkey_intact();
}

#[test]
fn ec_key_not_supported() {
    let mut fx = Fx::new();
    let der = crypto::ec_p256_pkcs8(&mut fx.rng);
    let transfer = fx.transfer(&der, demo::DEMO_VAULT);
    fx.create_key(demo::DEMO_VAULT, "ec-key", KeyType::Ec, 256, transfer);
    let attempt = fx.cmk(demo::DEMO_VAULT, "ec-key", IdentityChoice::SystemAssigned);
    let d = fx.expect_save(attempt, ErrorCode::EncryptionKeyTypeNotSupported, true);
    assert_eq!(d.fix, None);
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    fx.assert_passkey_intact();
}

#[test]
fn vault_without_purge_protection() {
    let mut fx = Fx::new();
    let req = CreateVaultRequest {
        name: "plain-kv".into(),
        resource_group: demo::DEMO_RESOURCE_GROUP.into(),
        region: demo::DEMO_REGION.into(),
        soft_delete: true,
        purge_protection: false,
        retention_days: 7,
    };
    fx.apply(|w, _| create_vault(w, &req));
    let ring = keyring(&fx.world, &fx.master, &NoKeyProviders, true).unwrap();
    let import = ImportKey::from_private(&shared_keys().1, &ring, "plain-kv", &mut fx.rng).unwrap();
    fx.apply(|w, _| install_import_key(w, "plain-kv", import));
    let transfer = fx.rsa_transfer("plain-kv");
    fx.create_key("plain-kv", "k", KeyType::Rsa, 2048, transfer);
    let principal = fx.system_principal();
    fx.apply(|w, _| grant_permissions(w, "plain-kv", &principal, &KeyPermission::REQUIRED_FOR_ORDER));
    let attempt = fx.cmk("plain-kv", "k", IdentityChoice::SystemAssigned);
    let d = fx.expect_save(attempt.clone(), ErrorCode::SoftDeleteAndPurgeProtectionNotEnabled, true);
    fx.fix(&d);
    fx.save(attempt).unwrap();
    fx.assert_passkey_intact();
    let off = UpdateVaultRequest { purge_protection: Some(false), ..Default::default() };
    let err = fx.run(|w, _| update_vault(w, "plain-kv", &off)).unwrap_err();
    assert_eq!(err.code, ErrorCode::PurgeProtectionCannotBeDisabled);
}

#[test]
fn tampered_state_is_a_generic_error() {
    let mut fx = Fx::new();
    fx.master = MasterKey::from_bytes([9; 32]);
    let d = fx.expect_fetch(ErrorCode::GenericError, false);
    assert_eq!(d.fix, None);
}

#[test]
fn transfer_rejects_wrong_size_and_garbage() {
    let mut fx = Fx::new();
    let transfer = fx.rsa_transfer(demo::DEMO_VAULT);
    let req = CreateKeyRequest {
        name: "k4".into(),
        key_type: KeyType::Rsa,
        size: 4096,
        attributes: VersionAttributes::default(),
        transfer,
    };
    assert_eq!(
        fx.run(|w, c| create_key(w, c, demo::DEMO_VAULT, &req)).unwrap_err().code,
        ErrorCode::InvalidKeyTransfer
    );
    let garbage =
        CreateKeyRequest { size: 2048, transfer: KeyTransfer { ciphertext: crypto::b64(&[1; 600]) }, ..req };
    assert_eq!(
        fx.run(|w, c| create_key(w, c, demo::DEMO_VAULT, &garbage)).unwrap_err().code,
        ErrorCode::InvalidKeyTransfer
    );
}

#[test]
fn vault_lifecycle_rules() {
    let mut fx = Fx::new();
    let mut req = CreateVaultRequest {
        name: "contoso-kv".into(),
        resource_group: demo::DEMO_RESOURCE_GROUP.into(),
        region: demo::DEMO_REGION.into(),
        soft_delete: false,
        purge_protection: false,
        retention_days: 30,
    };
    assert_eq!(fx.run(|w, _| create_vault(w, &req)).unwrap_err().code, ErrorCode::VaultNameTaken);
    req.name = "gone-kv".into();
    fx.apply(|w, _| create_vault(w, &req));
    fx.apply(|w, c| delete_vault(w, c, "gone-kv"));
    assert!(fx.world.vaults.get("gone-kv").expect("in the world").purged);
    assert_eq!(fx.run(|w, c| recover_vault(w, c, "gone-kv")).unwrap_err().code, ErrorCode::NotRecoverable);
    fx.apply(|w, _| create_vault(w, &req));
    fx.apply(|w, c| delete_vault(w, c, demo::DEMO_VAULT));
    assert_eq!(
        fx.run(|w, c| purge_vault(w, c, demo::DEMO_VAULT)).unwrap_err().code,
        ErrorCode::PurgeProtected
    );
}

#[test]
fn views_hide_secrets() {
    let fx = Fx::new();
    let json = serde_json::to_string(&WorldView::of(&fx.world, Timestamp(0))).unwrap();
    let stored = serde_json::to_string(&fx.world).unwrap();
    assert!(stored.contains("sealed_private_key") && stored.contains("sealed_private"));
    for secret in ["sealed", "ciphertext", "nonce", "passkey"] {
        assert!(!json.contains(secret), "view leaks {secret}");
    }
    let back: World = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, fx.world);
}

#[test]
fn deleting_without_soft_delete_or_purging_destroys_key_material() {
    let mut fx = Fx::new();
    let vault = fx.world.vaults.get(demo::DEMO_VAULT).expect("in the world").clone();
    let mut bare = vault.clone();
    bare.name = "bare-kv".into();
    bare.soft_delete = false;
    bare.purge_protection = false;
    fx.world.vaults.insert("bare-kv".into(), bare);
    let import_key = fx.world.import_keys.get(demo::DEMO_VAULT).expect("in the world").clone();
    fx.world.import_keys.insert("bare-kv".into(), import_key);
    fx.apply(|w, c| delete_vault(w, c, "bare-kv"));
    let gone = fx.world.vaults.get("bare-kv").expect("in the world");
    assert!(gone.purged && gone.keys.is_empty(), "no sealed private key left behind");
    assert!(!fx.world.import_keys.contains_key("bare-kv"), "no import key left behind");

    // Soft-deleted, then purged by time passing once the retention is over.
    fx.apply(|w, c| delete_vault(w, c, demo::DEMO_VAULT));
    fx.now = fx.now.plus_days(91);
    let purged = fx.run(|w, c| Ok(advance(w, c))).unwrap().expect("the retention ended");
    let records = crate::ops::due_work_records(&fx.world, &purged, fx.now);
    assert_eq!(records.len(), 1, "one record for the vault, none for each of its keys: {records:?}");
    assert_eq!(
        (records[0].actor.as_str(), records[0].action),
        ("system", crate::audit::AuditAction::VaultPurge)
    );
    assert!(
        purged.vaults.get(demo::DEMO_VAULT).expect("in the world").purged
            && purged.vaults.get(demo::DEMO_VAULT).expect("in the world").keys.is_empty()
    );
    assert!(!purged.import_keys.contains_key(demo::DEMO_VAULT));
    fx.world = purged;
    assert!(fx.run(|w, c| Ok(advance(w, c))).unwrap().is_none(), "nothing more falls due");
}

#[test]
fn soft_delete_stays_on_and_retention_only_grows_when_it_must() {
    let mut fx = Fx::new();
    let patch = |soft_delete, purge_protection, retention_days| UpdateVaultRequest {
        soft_delete,
        purge_protection,
        retention_days,
        rbac_authorization: None,
    };
    let refused = |fx: &mut Fx, req: UpdateVaultRequest| {
        fx.run(|w, _| update_vault(w, demo::DEMO_VAULT, &req)).unwrap_err().code
    };
    assert_eq!(refused(&mut fx, patch(Some(false), None, None)), ErrorCode::SoftDeleteCannotBeDisabled);
    assert_eq!(refused(&mut fx, patch(None, None, Some(30))), ErrorCode::RetentionCannotBeShortened);
    assert_eq!(refused(&mut fx, patch(None, Some(false), None)), ErrorCode::PurgeProtectionCannotBeDisabled);

    // Without purge protection, retention may shrink, unless a deleted key is waiting.
    let mut plain = fx.world.vaults.get(demo::DEMO_VAULT).expect("in the world").clone();
    plain.name = "plain-kv".into();
    plain.purge_protection = false;
    plain.retention_days = 60;
    fx.world.vaults.insert("plain-kv".into(), plain);
    fx.apply(|w, _| update_vault(w, "plain-kv", &patch(None, None, Some(50))));
    assert_eq!(fx.world.vaults.get("plain-kv").expect("in the world").retention_days, 50);
    fx.apply(|w, c| delete_key(w, c, "plain-kv", demo::DEMO_KEY));
    let code = fx.run(|w, _| update_vault(w, "plain-kv", &patch(None, None, Some(40)))).unwrap_err().code;
    assert_eq!(code, ErrorCode::RetentionCannotBeShortened);
    fx.apply(|w, _| update_vault(w, "plain-kv", &patch(None, None, Some(70))));
}

#[test]
fn dates_beyond_year_9999_and_unbounded_provisioning_are_refused() {
    let mut fx = Fx::new();
    let version = fx.version_id(demo::DEMO_VAULT, demo::DEMO_KEY);
    let far = VersionAttributes { exp: Some(Timestamp(8_616_000_000_000)), ..VersionAttributes::default() };
    let code =
        fx.run(|w, _| update_version(w, demo::DEMO_VAULT, demo::DEMO_KEY, &version, &far)).unwrap_err().code;
    assert_eq!(code, ErrorCode::InvalidDate);
    let last = VersionAttributes { exp: Some(Timestamp(crate::validation::LAST_DATE)), ..far };
    fx.apply(|w, _| update_version(w, demo::DEMO_VAULT, demo::DEMO_KEY, &version, &last));

    let request = |name: &str| CreateVaultRequest {
        name: name.into(),
        resource_group: demo::DEMO_RESOURCE_GROUP.into(),
        region: demo::DEMO_REGION.into(),
        soft_delete: true,
        purge_protection: true,
        retention_days: 90,
    };
    for i in 0..MAX_PROVISIONING {
        let req = request(&format!("queued-kv-{i}"));
        fx.apply(|w, c| {
            let mut next = create_vault(w, &req)?;
            let kind = OperationKind::ProvisionVault { vault: req.name.clone() };
            start_operation(&mut next, c, kind, Subject::Vault { vault: req.name.clone() }, 1);
            Ok(next)
        });
    }
    let refused = fx.run(|w, _| create_vault(w, &request("one-too-many-kv"))).unwrap_err();
    assert_eq!(refused.code, ErrorCode::TooManyRequests);
    let blank_region = CreateVaultRequest { region: "  ".into(), ..request("blank-kv") };
    assert_eq!(fx.run(|w, _| create_vault(w, &blank_region)).unwrap_err().code, ErrorCode::InvalidName);
}
