use getrandom::SysRng;
use rsa::rand_core::UnwrapErr;

use super::*;
use crate::crypto::{ImportKey, MasterKey};
use crate::demo::{self, DEMO_KEY, DEMO_RESOURCE_GROUP, DEMO_VAULT, DemoKeys};
use crate::model::{Action, KeyPermission};
use crate::ops::{Ctx, NoKeyProviders};

const NOW: Timestamp = Timestamp(1_700_000_000);

/// The demo world: `admin` is Owner at the instance.
fn demo_world() -> World {
    let master = MasterKey::from_bytes([3; 32]);
    let rng = &mut UnwrapErr(SysRng);
    let (base, ring) = crate::ops::first_master_key(&master, NOW, rng).unwrap();
    let mut ctx = Ctx::local(NOW, &master, &ring, rng);
    let customer_key = crypto::generate_rsa(2048, ctx.rng).unwrap();
    let import_key = ImportKey::generate(3072, ctx.keys, DEMO_VAULT, ctx.rng).unwrap();
    demo::demo_world(&mut ctx, base, DemoKeys { customer_key, import_key }).unwrap()
}

fn with_account(world: &World, name: &str) -> World {
    let mut next = world.clone();
    next.accounts.insert(name.into(), Account { name: name.into(), enabled: true, created: NOW });
    next
}

fn assign(world: &World, principal: &str, role: &str, scope: &str) -> Result<World, Failure> {
    assign_role(world, &mut UnwrapErr(SysRng), NOW, principal, role, scope).map(|(w, _)| w)
}

fn needs(action: Action) -> Requirement {
    Requirement { action, key_permission: None }
}

#[test]
fn a_role_counts_at_its_scope_and_everything_inside_it_and_nowhere_else() {
    let world = with_account(&demo_world(), "kim");
    let kim = Principal::user("kim");
    let vault = Scope::Vault(DEMO_VAULT.into());
    let key = Scope::Key(DEMO_VAULT.into(), DEMO_KEY.into());
    let refused = authorize(&world, &kim, needs(Action::Read), &key).unwrap_err();
    assert_eq!(refused.code, ErrorCode::AccessDenied);
    for words in ["user:kim", "read", "/vaults/contoso-kv/keys/databox-key", "Reader", "ask an Owner"] {
        assert!(refused.message.contains(words), "{words} missing from: {}", refused.message);
    }

    let world = assign(&world, "user:kim", "Key Administrator", &vault.to_string()).unwrap();
    for scope in [&vault, &key] {
        for action in [Action::Read, Action::Use, Action::Manage] {
            assert!(authorize(&world, &kim, needs(action), scope).is_ok(), "{action:?} at {scope}");
        }
        assert!(authorize(&world, &kim, needs(Action::Administer), scope).is_err());
        assert!(authorize(&world, &kim, needs(Action::Audit), scope).is_err());
    }
    let group = Scope::ResourceGroup(DEMO_RESOURCE_GROUP.into());
    assert!(authorize(&world, &kim, needs(Action::Read), &group).is_err(), "not above its scope");
    assert!(authorize(&world, &kim, needs(Action::Read), &Scope::Instance).is_err());
    assert_eq!(roles_at(&world, &kim, &key), [Role::KeyAdministrator]);

    let admin = Principal::user(crate::model::ADMIN_ACCOUNT);
    assert!(Action::ALL.iter().all(|a| authorize(&world, &admin, needs(*a), &key).is_ok()));
    assert!(authorize(&world, &Principal::System, needs(Action::Administer), &Scope::Instance).is_ok());
}

#[test]
fn a_caller_without_a_credential_may_do_nothing_and_cannot_be_granted_anything() {
    let world = demo_world();
    for action in Action::ALL {
        let refused = authorize(&world, &Principal::Anonymous, needs(action), &Scope::Instance).unwrap_err();
        assert_eq!(refused.code, crate::catalog::ErrorCode::Unauthorized);
    }
    assert_eq!("anonymous".parse::<Principal>(), Ok(Principal::Anonymous));
    assert!(assign(&world, "anonymous", "Reader", "/").is_err(), "no role for nobody");
}

#[test]
fn readers_never_use_keys_and_auditors_only_audit() {
    let world = with_account(&with_account(&demo_world(), "rita"), "ali");
    let world = assign(&world, "user:rita", "Reader", "/").unwrap();
    let world = assign(&world, "user:ali", "auditor", "/").unwrap();
    let key = Scope::Key(DEMO_VAULT.into(), DEMO_KEY.into());
    let (rita, ali) = (Principal::user("rita"), Principal::user("ali"));
    assert!(authorize(&world, &rita, needs(Action::Read), &key).is_ok());
    assert!(authorize(&world, &rita, needs(Action::Use), &key).is_err());
    assert!(authorize(&world, &ali, needs(Action::Audit), &Scope::Instance).is_ok());
    assert!(authorize(&world, &ali, needs(Action::Read), &key).is_err());
}

#[test]
fn a_disabled_account_or_a_revoked_key_is_no_principal() {
    let world = assign(&with_account(&demo_world(), "kim"), "user:kim", "Owner", "/").unwrap();
    let mut disabled = world.clone();
    if let Some(account) = disabled.accounts.get_mut("kim") {
        account.enabled = false;
    }
    let refused = authorize(&disabled, &Principal::user("kim"), needs(Action::Read), &Scope::Instance);
    assert_eq!(refused.unwrap_err().code, ErrorCode::Unauthorized);
    let ghost = authorize(&world, &Principal::ApiKey("nope".into()), needs(Action::Read), &Scope::Instance);
    assert_eq!(ghost.unwrap_err().code, ErrorCode::Unauthorized);
}

#[test]
fn an_identity_on_an_access_policy_vault_is_judged_by_the_policy_and_on_an_rbac_vault_by_roles() {
    let mut world = demo_world();
    let principal = world.identities.values().next().unwrap().principal_id.clone();
    if let Some(vault) = world.vaults.get_mut(DEMO_VAULT) {
        vault.access_policies.insert(principal.clone(), [KeyPermission::Get, KeyPermission::List].into());
    }
    let identity = Principal::Identity(principal.clone());
    let key = Scope::Key(DEMO_VAULT.into(), DEMO_KEY.into());
    let get = Requirement { action: Action::Read, key_permission: Some(KeyPermission::Get) };
    let purge = Requirement { action: Action::Manage, key_permission: Some(KeyPermission::Purge) };
    let policy = world.vaults.get(DEMO_VAULT).unwrap().permissions_of(&principal);
    assert!(policy.contains(&KeyPermission::Get) && !policy.contains(&KeyPermission::Purge), "{policy:?}");
    assert!(authorize(&world, &identity, get, &key).is_ok());
    let refused = authorize(&world, &identity, purge, &key).unwrap_err();
    assert_eq!(refused.code, ErrorCode::KeyVaultBadRequestException);

    let mut rbac = world.clone();
    if let Some(vault) = rbac.vaults.get_mut(DEMO_VAULT) {
        vault.rbac_authorization = true;
    }
    assert_eq!(authorize(&rbac, &identity, get, &key).unwrap_err().code, ErrorCode::AccessDenied);
    let rbac = assign(&rbac, &format!("identity:{principal}"), "Crypto User", &key.to_string()).unwrap();
    assert!(authorize(&rbac, &identity, get, &key).is_ok());
    let other_key = Scope::Key(DEMO_VAULT.into(), "another-key".into());
    assert_eq!(authorize(&rbac, &identity, get, &other_key).unwrap_err().code, ErrorCode::AccessDenied);
}

#[test]
fn bad_assignments_are_refused_with_their_own_codes_and_change_nothing() {
    let world = with_account(&demo_world(), "kim");
    let code = |r: Result<World, Failure>| r.unwrap_err().code;
    assert_eq!(code(assign(&world, "user:kim", "Contributor", "/")), ErrorCode::UnknownRole);
    assert_eq!(code(assign(&world, "user:kim", "Reader", "/disks/d1")), ErrorCode::InvalidScope);
    assert_eq!(code(assign(&world, "user:kim", "Reader", "/vaults/no-such-kv")), ErrorCode::InvalidScope);
    assert_eq!(code(assign(&world, "user:ghost", "Reader", "/")), ErrorCode::PrincipalNotFound);
    assert_eq!(code(assign(&world, "robot", "Reader", "/")), ErrorCode::PrincipalNotFound);
    let once = assign(&world, "user:kim", "Reader", "/").unwrap();
    assert_eq!(code(assign(&once, "user:kim", "reader", "/")), ErrorCode::RoleAssignmentExists);
    assert_eq!(once.role_assignments.len(), world.role_assignments.len() + 1);
}

#[test]
fn the_last_owner_cannot_be_removed() {
    let world = with_account(&demo_world(), "kim");
    let owner = world.role_assignments.values().find(|a| a.role == Role::Owner).unwrap().id.clone();
    let refused = remove_role_assignment(&world, &owner).unwrap_err();
    assert_eq!(refused.code, ErrorCode::LastOwner);
    let world = assign(&world, "user:kim", "Owner", "/").unwrap();
    let after = remove_role_assignment(&world, &owner).unwrap();
    assert!(has_owner(&after));
    assert_eq!(remove_role_assignment(&after, &owner).unwrap_err().code, ErrorCode::NotFound);
}

#[test]
fn an_old_world_gets_its_admin_as_owner_and_its_api_keys_as_key_administrators() {
    let mut old = demo_world();
    old.role_assignments = Default::default();
    old.accounts = Default::default();
    let rng = &mut UnwrapErr(SysRng);
    let master = MasterKey::from_bytes([3; 32]);
    let ring = crate::ops::keyring(&old, &master, &NoKeyProviders, false).unwrap();
    let mut ctx = Ctx::local(NOW, &master, &ring, rng);
    let (old, key, _) = crate::ops::create_api_key(&old, &mut ctx, "ci").unwrap();
    let next = first_assignments(&old, &["admin".into()], ctx.rng, NOW).expect("assignments");
    assert!(has_owner(&next));
    let as_key = Principal::ApiKey(key.id);
    assert_eq!(roles_at(&next, &as_key, &Scope::Instance), [Role::KeyAdministrator]);
    assert!(first_assignments(&next, &["admin".into()], ctx.rng, NOW).is_none(), "only once");
}

#[test]
fn accounts_are_created_with_a_first_role_and_bad_ones_change_nothing() {
    let world = demo_world();
    let rng = &mut UnwrapErr(SysRng);
    let world = create_account(&world, rng, NOW, "kim", Some(("Reader", "/vaults/contoso-kv"))).unwrap();
    let kim = Principal::user("kim");
    assert!(authorize(&world, &kim, needs(Action::Read), &Scope::Vault(DEMO_VAULT.into())).is_ok());
    assert!(authorize(&world, &kim, needs(Action::Read), &Scope::Instance).is_err());

    let code = |result: Result<World, Failure>| result.unwrap_err().code;
    assert_eq!(code(create_account(&world, rng, NOW, "kim", None)), ErrorCode::AccountExists);
    for bad in ["", "Kim", "-kim", "kim smith", "kim/../admin", &"k".repeat(65)] {
        assert_eq!(code(create_account(&world, rng, NOW, bad, None)), ErrorCode::InvalidName, "{bad:?}");
    }
    let refused = create_account(&world, rng, NOW, "lee", Some(("Contributor", "/")));
    assert_eq!(code(refused), ErrorCode::UnknownRole);
    assert!(!world.accounts.contains_key("lee"), "a refused account is not half-created");
    assert_eq!(password("short").unwrap_err().code, ErrorCode::WeakPassword);
    assert!(password("twelve chars").is_ok());
}

#[test]
fn disabling_or_deleting_an_account_ends_its_access_but_never_the_last_owner() {
    let rng = &mut UnwrapErr(SysRng);
    let world = create_account(&demo_world(), rng, NOW, "kim", Some(("Owner", "/"))).unwrap();
    let kim = Principal::user("kim");
    let disabled = set_account_enabled(&world, "kim", false).unwrap();
    assert_eq!(
        authorize(&disabled, &kim, needs(Action::Read), &Scope::Instance).unwrap_err().code,
        ErrorCode::Unauthorized
    );
    assert!(
        authorize(
            &set_account_enabled(&disabled, "kim", true).unwrap(),
            &kim,
            needs(Action::Read),
            &Scope::Instance
        )
        .is_ok()
    );

    let deleted = delete_account(&world, "kim").unwrap();
    assert!(!deleted.accounts.contains_key("kim"));
    assert!(deleted.role_assignments.values().all(|a| a.principal != kim), "its roles go with it");

    let admin_gone = delete_account(&world, "admin").unwrap();
    assert_eq!(set_account_enabled(&admin_gone, "kim", false).unwrap_err().code, ErrorCode::LastOwner);
    assert_eq!(delete_account(&admin_gone, "kim").unwrap_err().code, ErrorCode::LastOwner);
    assert_eq!(delete_account(&world, "nobody").unwrap_err().code, ErrorCode::NotFound);
}

#[test]
fn an_account_manages_its_own_credentials_and_only_an_owner_manages_others() {
    let rng = &mut UnwrapErr(SysRng);
    let world = create_account(&demo_world(), rng, NOW, "kim", Some(("Key Administrator", "/"))).unwrap();
    let kim = Principal::user("kim");
    assert!(may_manage_credentials(&world, &kim, "kim").is_ok());
    assert_eq!(may_manage_credentials(&world, &kim, "admin").unwrap_err().code, ErrorCode::AccessDenied);
    assert!(may_manage_credentials(&world, &Principal::user("admin"), "kim").is_ok());
    assert_eq!(may_manage_credentials(&world, &kim, "nobody").unwrap_err().code, ErrorCode::NotFound);
    assert!(can_sign_in(&world, "kim"));
    assert!(!can_sign_in(&set_account_enabled(&world, "kim", false).unwrap(), "kim"));
    assert!(!can_sign_in(&world, "nobody"));
}
