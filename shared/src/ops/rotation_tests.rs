//! Key rotation rules, each reached the way a user or the policy would.

use super::tests::Fx;
use super::*;
use crate::api::*;
use crate::catalog::ErrorCode;
use crate::demo::{DEMO_KEY, DEMO_VAULT};
use crate::model::*;

const HOUR: i64 = 3600;

impl Fx {
    fn rotate(
        &mut self,
        vault: &str,
        key: &str,
        material: NewMaterial<'_>,
    ) -> Result<Rotated, crate::catalog::Failure> {
        let rotated = self.run(|w, c| rotate_key(w, c, vault, key, material, Trigger::Manual))?;
        self.world = rotated.world.clone();
        Ok(rotated)
    }

    fn rotate_demo_key(&mut self) -> Rotated {
        let transfer = self.rsa_transfer(DEMO_VAULT);
        self.rotate(DEMO_VAULT, DEMO_KEY, NewMaterial::Transfer(&transfer)).expect("the rotation")
    }

    /// Runs every pending operation step, as a runner would.
    fn run_operations(&mut self) {
        while let Some(turn) = self.run(|w, c| Ok(take_turn(w, c, "test"))).unwrap() {
            self.world = turn.stepped.expect("a step runs");
        }
    }

    fn key(&self, vault: &str, key: &str) -> &Key {
        &self.world.vaults.get(vault).expect("in the world").keys[key]
    }

    fn statuses(&self, vault: &str, key: &str) -> Vec<VersionStatus> {
        self.key(vault, key).versions.iter().map(|v| VersionStatus::of(v, self.now)).collect()
    }

    fn passkey_version(&self, order: &str) -> String {
        match &self.world.orders.get(order).expect("in the world").passkey {
            WrappedPasskey::ByCustomerKey { version, .. } => version.clone(),
            WrappedPasskey::ByMasterKey { .. } => panic!("wrapped by the master key"),
        }
    }

    fn root_key(&mut self, name: &str, payload: Option<&[u8]>) {
        self.apply(|w, c| create_root_key(w, c, DEMO_VAULT, name, payload));
    }
}

#[test]
fn a_rotation_retires_old_versions_and_rewraps_the_order_onto_the_new_one() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let id_before = fx.key(DEMO_VAULT, DEMO_KEY).id();

    let rotated = fx.rotate_demo_key();

    assert_eq!(fx.statuses(DEMO_VAULT, DEMO_KEY), [VersionStatus::DecryptOnly, VersionStatus::Enabled]);
    assert_eq!(fx.key(DEMO_VAULT, DEMO_KEY).id(), id_before, "a rotation keeps the key's id");
    assert_eq!(fx.key(DEMO_VAULT, DEMO_KEY).last_rotated, Some(fx.now));
    let op = rotated.rewrap.expect("the order is registered, so a rewrap starts");
    assert_eq!(fx.world.operations.get(&op).unwrap().steps[0].label, "Rewrap order DataBox-Order-01");
    // Until the rewrap runs, the old version still unwraps the passkey.
    fx.assert_passkey_intact();

    fx.run_operations();
    let order = fx.order.clone();
    assert_eq!(fx.world.operations.get(&op).unwrap().state, OperationState::Succeeded);
    assert_eq!(fx.passkey_version(&order), rotated.version);
    let saved = fx.order().encryption.customer_key().expect("customer managed").clone();
    assert_eq!(saved.version, rotated.version);
    assert!(saved.key_url.ends_with(&rotated.version), "the key URL shows the new version");
    fx.assert_passkey_intact();
}

#[test]
fn a_second_manual_rotation_within_the_hour_is_refused_and_changes_nothing() {
    let mut fx = Fx::new();
    fx.rotate_demo_key();
    fx.now = Timestamp(fx.now.0 + HOUR - 1);
    let before = fx.world.clone();
    let transfer = fx.rsa_transfer(DEMO_VAULT);
    let refused = fx.rotate(DEMO_VAULT, DEMO_KEY, NewMaterial::Transfer(&transfer)).unwrap_err();
    assert_eq!(refused.code, ErrorCode::RotationTooSoon);
    let allowed = Timestamp(fx.now.0 + 1).rfc3339();
    assert!(refused.message.contains(&allowed), "the message says when: {}", refused.message);
    assert_eq!(fx.world, before);

    fx.now = Timestamp(fx.now.0 + 1);
    fx.rotate(DEMO_VAULT, DEMO_KEY, NewMaterial::Transfer(&transfer)).expect("an hour later");
    assert_eq!(fx.key(DEMO_VAULT, DEMO_KEY).versions.len(), 3);
}

#[test]
fn generated_keys_rotate_with_keyblade_material_and_imported_ones_only_with_their_own() {
    let mut fx = Fx::new();
    fx.root_key("generated-root", None);
    fx.root_key("imported-root", Some(&[9u8; 16]));
    assert!(fx.key(DEMO_VAULT, "imported-root").imported);

    let payload_refused = fx.rotate(DEMO_VAULT, "generated-root", NewMaterial::Payload(&[1; 32]));
    assert_eq!(payload_refused.unwrap_err().code, ErrorCode::InvalidKeyMaterial);
    fx.rotate(DEMO_VAULT, "generated-root", NewMaterial::Generate).expect("Keyblade makes the material");

    let refused = fx.rotate(DEMO_VAULT, "imported-root", NewMaterial::Generate).unwrap_err();
    assert_eq!(refused.code, ErrorCode::RotationMaterialRequired);
    let wrong_size = fx.rotate(DEMO_VAULT, "imported-root", NewMaterial::Payload(&[1; 32])).unwrap_err();
    assert_eq!(wrong_size.code, ErrorCode::InvalidKeyMaterial);
    fx.rotate(DEMO_VAULT, "imported-root", NewMaterial::Payload(&[1; 16])).expect("material of its size");
    assert_eq!(
        fx.statuses(DEMO_VAULT, "imported-root"),
        [VersionStatus::DecryptOnly, VersionStatus::Enabled]
    );

    let bad = fx.run(|w, c| create_root_key(w, c, DEMO_VAULT, "short-root", Some(&[1; 15])));
    assert_eq!(bad.unwrap_err().code, ErrorCode::InvalidKeyMaterial);
}

#[test]
fn a_policy_rotates_the_key_when_its_interval_has_elapsed() {
    let mut fx = Fx::new();
    fx.root_key("scheduled-root", None);
    fx.root_key("imported-root", Some(&[9u8; 32]));
    for months in [0, 13] {
        let policy = RotationPolicy { enabled: true, interval_months: months };
        let refused = fx.run(|w, _| set_rotation_policy(w, DEMO_VAULT, "scheduled-root", policy));
        assert_eq!(refused.unwrap_err().code, ErrorCode::InvalidRotationInterval);
    }
    let policy = RotationPolicy { enabled: true, interval_months: 1 };
    let refused = fx.run(|w, _| set_rotation_policy(w, DEMO_VAULT, "imported-root", policy));
    assert_eq!(refused.unwrap_err().code, ErrorCode::PolicyOnImportedKey);

    fx.apply(|w, _| set_rotation_policy(w, DEMO_VAULT, "scheduled-root", policy));
    let due = fx.now.plus_months(1);
    assert_eq!(fx.key(DEMO_VAULT, "scheduled-root").next_rotation(), Some(due));
    fx.now = Timestamp(due.0 - 1);
    assert!(fx.run(|w, c| Ok(advance(w, c))).unwrap().is_none(), "not due yet");

    fx.now = due;
    let before = fx.world.clone();
    fx.world = fx.run(|w, c| Ok(advance(w, c))).unwrap().expect("the policy fell due");
    let records = crate::ops::due_work_records(&before, &fx.world, due);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        (records[0].actor.as_str(), records[0].action),
        ("system", crate::audit::AuditAction::KeyRotate)
    );
    assert!(records[0].subject.contains("scheduled-root (by its rotation policy"), "{}", records[0].subject);
    let key = fx.key(DEMO_VAULT, "scheduled-root");
    assert_eq!(key.versions.len(), 2);
    assert_eq!(key.last_rotated, Some(due));
    assert_eq!(key.next_rotation(), Some(due.plus_months(1)));
    assert_eq!(fx.key(DEMO_VAULT, "imported-root").versions.len(), 1);
}

#[test]
fn a_decrypt_only_version_unwraps_but_cannot_be_saved_onto() {
    let mut fx = Fx::new();
    let old = fx.cmk(DEMO_VAULT, DEMO_KEY, IdentityChoice::SystemAssigned);
    fx.save(old.clone()).unwrap();
    fx.rotate_demo_key();
    // The rewrap has not run: the passkey is still under the old version, which decrypts.
    fx.assert_passkey_intact();
    let order = fx.order.clone();
    let refused = fx.run(|w, c| save_encryption(w, c, &order, &old, None)).unwrap_err();
    assert_eq!(refused.code, ErrorCode::VersionDecryptOnly);
    // The current version can be saved, which moves the passkey onto it.
    let current = fx.cmk(DEMO_VAULT, DEMO_KEY, IdentityChoice::SystemAssigned);
    fx.save(current).unwrap();
    fx.assert_passkey_intact();
}

#[test]
fn one_resource_failing_its_rewrap_does_not_stop_the_others() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let subscription_id = fx.order().subscription_id.clone();
    let second = CreateOrderRequest {
        name: "DataBox-Order-02".into(),
        subscription_id,
        resource_group: crate::demo::DEMO_RESOURCE_GROUP.into(),
    };
    let (world, second_id) = fx.run(|w, c| create_order(w, c, &second)).unwrap();
    fx.world = world;
    let first_id = std::mem::replace(&mut fx.order, second_id.clone());
    let principal = fx.system_principal();
    fx.apply(|w, _| grant_permissions(w, DEMO_VAULT, &principal, &KeyPermission::REQUIRED_FOR_ORDER));
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let second_passkey = fx.fetch().unwrap();
    // The second order's identity loses UnwrapKey.
    let req = SetAccessPolicyRequest {
        principal_id: principal.clone(),
        permissions: [KeyPermission::Get, KeyPermission::WrapKey].into(),
    };
    fx.apply(|w, _| set_access_policy(w, DEMO_VAULT, &req));

    let rotated = fx.rotate_demo_key();
    fx.run_operations();

    let op = fx.world.operations.get(&rotated.rewrap.unwrap()).unwrap().clone();
    assert_eq!(op.state, OperationState::Failed);
    let failed: Vec<_> = op.steps.iter().filter(|s| s.state == StepState::Failed).collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].label.contains("DataBox-Order-02"));
    assert_eq!(failed[0].error.as_ref().unwrap().code, ErrorCode::KeyVaultBadRequestException);
    assert_eq!(op.steps.iter().filter(|s| s.state == StepState::Done).count(), 1);
    assert_eq!(fx.passkey_version(&first_id), rotated.version);
    // The failed order stays on the old version, which still decrypts once access is back.
    assert_ne!(fx.passkey_version(&second_id), rotated.version);
    fx.apply(|w, _| grant_permissions(w, DEMO_VAULT, &principal, &KeyPermission::REQUIRED_FOR_ORDER));
    assert_eq!(fx.fetch().unwrap(), second_passkey);
}

#[test]
fn a_registration_that_prevents_deletion_blocks_it_and_follows_rotations() {
    let mut fx = Fx::new();
    fx.root_key("bucket-root", None);
    let crn = "crn:v1:bluemix:public:cloud-object-storage:global:a/1:bucket:logs";
    let req = RegisterResourceRequest {
        resource: crn.into(),
        prevent_key_deletion: true,
        description: "logs bucket".into(),
    };
    fx.apply(|w, c| register_resource(w, c, DEMO_VAULT, "bucket-root", &req));
    let refused = fx.run(|w, c| delete_key(w, c, DEMO_VAULT, "bucket-root")).unwrap_err();
    assert_eq!(refused.code, ErrorCode::KeyHasRegistrations);

    let rotated = fx.rotate(DEMO_VAULT, "bucket-root", NewMaterial::Generate).unwrap();
    fx.run_operations();
    let registrations = fx.world.registrations_of(DEMO_VAULT, "bucket-root");
    assert_eq!(registrations, [(RewrapTarget::External { resource: crn.into() }, rotated.version)]);

    fx.apply(|w, _| deregister_resource(w, DEMO_VAULT, "bucket-root", crn));
    fx.apply(|w, c| delete_key(w, c, DEMO_VAULT, "bucket-root"));
}

#[test]
fn months_are_calendar_months() {
    let jan31 = Timestamp(1_706_659_200); // 2024-01-31T00:00:00Z
    assert_eq!(jan31.rfc3339(), "2024-01-31T00:00:00Z");
    assert_eq!(jan31.plus_months(1).rfc3339(), "2024-02-29T00:00:00Z");
    assert_eq!(jan31.plus_months(12).rfc3339(), "2025-01-31T00:00:00Z");
    assert_eq!(Timestamp(1_700_000_000).plus_months(3).rfc3339(), "2024-02-14T22:13:20Z");
}

#[test]
fn a_late_rewrap_of_an_older_rotation_never_moves_a_resource_backwards() {
    let mut fx = Fx::new();
    fx.save_demo_cmk(IdentityChoice::SystemAssigned);
    let first = fx.rotate_demo_key();
    fx.now = Timestamp(fx.now.0 + HOUR);
    let second = fx.rotate_demo_key();
    // The newer rewrap runs first, then the older one's step (as a second runner could).
    for op in [second.rewrap.clone(), first.rewrap.clone()].into_iter().flatten() {
        let world = fx.run(|w, c| run_step(w, c, &op)).unwrap();
        fx.world = world;
    }
    let order = fx.order.clone();
    assert_eq!(fx.passkey_version(&order), second.version);
    fx.assert_passkey_intact();
}

#[test]
fn a_vault_holding_a_protected_key_cannot_be_deleted() {
    let mut fx = Fx::new();
    fx.root_key("bucket-root", None);
    let req = RegisterResourceRequest {
        resource: "crn:bucket".into(),
        prevent_key_deletion: true,
        description: String::new(),
    };
    fx.apply(|w, c| register_resource(w, c, DEMO_VAULT, "bucket-root", &req));
    let refused = fx.run(|w, c| delete_vault(w, c, DEMO_VAULT)).unwrap_err();
    assert_eq!(refused.code, ErrorCode::KeyHasRegistrations);
}
