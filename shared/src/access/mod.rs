//! Who may do what: the one decision every request on every surface passes before its endpoint
//! runs ([`authorize`]), and the rules of role assignments and accounts. Pure functions of the
//! world, so the offline demo answers exactly as the server does.

use crate::audit::{AuditAction, AuditRecord};
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, Rng};
use crate::model::{
    Account, Action, KeyPermission, Principal, Role, RoleAssignment, Scope, Timestamp, World,
};

/// Who acts: the principal every access decision is about, and how the audit trail names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The principal.
    pub principal: Principal,
    /// What the audit trail calls it (a user name, an API key's name and id, an identity).
    pub name: String,
    /// Network address (or where the offline demo runs).
    pub source: String,
}

impl Actor {
    /// The record of `action` on `subject` by this actor at `at`.
    pub fn record(
        &self,
        at: Timestamp,
        action: AuditAction,
        subject: String,
        failure: Option<ErrorCode>,
    ) -> AuditRecord {
        AuditRecord { at, actor: self.name.clone(), source: self.source.clone(), action, subject, failure }
    }
}

/// What an endpoint needs: the action its roles must grant, and, for the key vault data plane,
/// the access-policy permission that stands in for roles on a vault that uses access policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// The action.
    pub action: Action,
    /// The access-policy permission, for endpoints an identity reaches on the data plane.
    pub key_permission: Option<KeyPermission>,
}

/// Lets `principal` do `requirement` at `scope`, or says what is missing.
///
/// - `system` may do everything (it only runs due work).
/// - An identity calling a vault (or a key in it) passes the vault's firewall first. Then, on a
///   vault that uses access policies, the policy decides for the data-plane permission the
///   endpoint names, as in Azure's access-policy model; on a vault switched to role-based
///   access, and everywhere else, role assignments decide.
/// - A role assignment counts at its scope and everything inside it.
pub fn authorize(
    world: &World,
    principal: &Principal,
    requirement: Requirement,
    scope: &Scope,
) -> Result<(), Failure> {
    if *principal == Principal::System {
        return Ok(());
    }
    active(world, principal)?;
    if let (Principal::Identity(id), Some(vault)) = (principal, vault_of(scope)) {
        let v = world.vaults.get(vault).filter(|v| v.is_live());
        if let Some(v) = v {
            let trusted = world
                .orders
                .values()
                .any(|o| o.system_identity.as_ref().is_some_and(|s| &s.principal_id == id));
            if !v.firewall_admits(id, trusted) {
                return Err(Failure::new(
                    ErrorCode::KeyVaultBadRequestException,
                    format!("The firewall of '{vault}' does not let principal {id} through."),
                ));
            }
            if let (false, Some(permission)) = (v.rbac_authorization, requirement.key_permission) {
                return match v.permissions_of(id).contains(&permission) {
                    true => Ok(()),
                    false => Err(Failure::new(
                        ErrorCode::KeyVaultBadRequestException,
                        format!(
                            "The access policy of '{vault}' does not grant {permission:?} to principal {id}."
                        ),
                    )),
                };
            }
        }
    }
    if holds(world, principal, requirement.action, scope) {
        Ok(())
    } else {
        Err(refusal(principal, requirement.action, scope))
    }
}

/// Whether `principal` holds a role granting `action` at `scope` or above it.
pub fn holds(world: &World, principal: &Principal, action: Action, scope: &Scope) -> bool {
    if *principal == Principal::System {
        return true;
    }
    let within = ancestors(world, scope);
    world
        .role_assignments
        .values()
        .any(|a| &a.principal == principal && a.role.grants(action) && within.contains(&a.scope))
}

/// The roles `principal` holds at `scope` (there or above), strongest first, without repeats.
pub fn roles_at(world: &World, principal: &Principal, scope: &Scope) -> Vec<Role> {
    let within = ancestors(world, scope);
    Role::ALL
        .into_iter()
        .filter(|role| {
            world
                .role_assignments
                .values()
                .any(|a| &a.principal == principal && a.role == *role && within.contains(&a.scope))
        })
        .collect()
}

/// What [`authorize`] answers when no role grants the action: the action, the scope and the
/// roles that would allow it, and the request an Owner can act on.
fn refusal(principal: &Principal, action: Action, scope: &Scope) -> Failure {
    let roles: Vec<&str> = action.roles().map(Role::label).collect();
    let weakest = action.roles().last().map_or("Owner", Role::label);
    Failure::new(
        ErrorCode::AccessDenied,
        format!(
            "{principal} may not {} at {scope}: that needs {} at {scope} or above. \
             Request access: ask an Owner to assign {weakest} to {principal} at {scope}.",
            action.verb(),
            roles.join(" or "),
        ),
    )
}

/// A disabled or deleted account, or a revoked or unknown API key, is no principal at all.
fn active(world: &World, principal: &Principal) -> Result<(), Failure> {
    let gone = |what: String| Failure::new(ErrorCode::Unauthorized, format!("{what}; sign in again."));
    match principal {
        Principal::User(name) => match world.accounts.get(name) {
            Some(account) if account.enabled => Ok(()),
            Some(_) => Err(gone(format!("The account '{name}' is disabled"))),
            None => Err(gone(format!("There is no account '{name}'"))),
        },
        Principal::ApiKey(id) => match world.api_keys.get(id) {
            Some(key) if key.revoked.is_none() => Ok(()),
            _ => Err(gone(format!("The API key {id} is revoked or unknown"))),
        },
        Principal::Identity(_) | Principal::System => Ok(()),
        Principal::Anonymous => Err(Failure::new(ErrorCode::Unauthorized, "Sign in first.")),
    }
}

/// The vault a scope lies in, if any.
fn vault_of(scope: &Scope) -> Option<&str> {
    match scope {
        Scope::Vault(vault) | Scope::Key(vault, _) => Some(vault),
        _ => None,
    }
}

/// `scope` and every scope that contains it, innermost first, ending with the instance.
pub fn ancestors(world: &World, scope: &Scope) -> Vec<Scope> {
    let mut chain = vec![scope.clone()];
    let mut current = scope.clone();
    while let Some(parent) = parent(world, &current) {
        chain.push(parent.clone());
        current = parent;
    }
    chain
}

fn parent(world: &World, scope: &Scope) -> Option<Scope> {
    match scope {
        Scope::Instance => None,
        Scope::Subscription(_) => Some(Scope::Instance),
        Scope::ResourceGroup(name) => Some(
            world
                .resource_groups
                .get(name)
                .map_or(Scope::Instance, |g| Scope::Subscription(g.subscription_id.clone())),
        ),
        Scope::Vault(name) => Some(
            world
                .vaults
                .get(name)
                .map_or(Scope::Instance, |v| Scope::ResourceGroup(v.resource_group.clone())),
        ),
        Scope::Key(vault, _) => Some(Scope::Vault(vault.clone())),
    }
}

/// The scope a request acts on, from its fields as the route names them: a key, a vault, a
/// subscription, or the resource group of the order or identity it names. Anything else, and
/// anything that does not exist, is the instance: only a principal with a role there may learn
/// that it does not exist.
pub fn scope_of_request(world: &World, fields: &serde_json::Map<String, serde_json::Value>) -> Scope {
    let field = |name: &str| fields.get(name).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
    if let Some(vault) = field("vault") {
        return match field("key") {
            Some(key) => Scope::Key(vault.to_owned(), key.to_owned()),
            None => Scope::Vault(vault.to_owned()),
        };
    }
    if let Some(id) = field("subscription") {
        return Scope::Subscription(id.to_owned());
    }
    let group =
        field("order").and_then(|id| world.orders.get(id)).map(|o| o.resource_group.clone()).or_else(|| {
            field("identity").and_then(|id| world.identities.get(id)).map(|i| i.resource_group.clone())
        });
    group.map_or(Scope::Instance, Scope::ResourceGroup)
}

/// The name of the identity whose principal id is `id`: a user-assigned identity, or an order's
/// system-assigned one.
fn identity_name(world: &World, id: &str) -> Option<String> {
    world.identities.values().find(|i| i.principal_id == id).map(|i| i.name.clone()).or_else(|| {
        world
            .orders
            .values()
            .find(|o| o.system_identity.as_ref().is_some_and(|s| s.principal_id == id))
            .map(|o| format!("{} (system-assigned)", o.name))
    })
}

/// Whether `principal` names something that exists now.
pub fn principal_exists(world: &World, principal: &Principal) -> bool {
    match principal {
        Principal::User(name) => world.accounts.contains_key(name),
        Principal::ApiKey(id) => world.api_keys.get(id).is_some_and(|k| k.revoked.is_none()),
        Principal::Identity(id) => identity_name(world, id).is_some(),
        Principal::System | Principal::Anonymous => false,
    }
}

/// Whether `scope` names something that exists now.
pub fn scope_exists(world: &World, scope: &Scope) -> bool {
    match scope {
        Scope::Instance => true,
        Scope::Subscription(id) => world.subscriptions.contains_key(id),
        Scope::ResourceGroup(name) => world.resource_groups.contains_key(name),
        Scope::Vault(name) => world.vaults.get(name).is_some_and(|v| !v.purged),
        Scope::Key(vault, key) => {
            world.vaults.get(vault).is_some_and(|v| !v.purged && v.keys.get(key).is_some_and(|k| !k.purged))
        }
    }
}

/// Gives `role` to `principal` at `scope`. Refused for an unknown role, scope or
/// principal, and for an assignment that already exists. Returns the new world and the id.
pub fn assign_role(
    world: &World,
    rng: &mut Rng,
    now: Timestamp,
    principal: &str,
    role: &str,
    scope: &str,
) -> Result<(World, String), Failure> {
    let role = Role::named(role).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.label()).collect();
        Failure::new(
            ErrorCode::UnknownRole,
            format!("No role is called '{role}': use one of {}.", known.join(", ")),
        )
    })?;
    let scope: Scope = scope.parse().map_err(|e: String| Failure::new(ErrorCode::InvalidScope, e))?;
    if !scope_exists(world, &scope) {
        return Err(Failure::new(ErrorCode::InvalidScope, format!("Nothing exists at {scope}.")));
    }
    let principal: Principal =
        principal.parse().map_err(|e: String| Failure::new(ErrorCode::PrincipalNotFound, e))?;
    if !principal_exists(world, &principal) {
        return Err(Failure::new(
            ErrorCode::PrincipalNotFound,
            format!(
                "{principal} does not exist (or was deleted or revoked): roles go to existing principals."
            ),
        ));
    }
    let duplicate = world
        .role_assignments
        .values()
        .any(|a| a.principal == principal && a.role == role && a.scope == scope);
    if duplicate {
        return Err(Failure::new(
            ErrorCode::RoleAssignmentExists,
            format!("{principal} already holds {} at {scope}.", role.label()),
        ));
    }
    let id = crypto::random_hex(rng, 8);
    let assignment = RoleAssignment { id: id.clone(), principal, role, scope, created: now };
    let mut next = world.clone();
    next.role_assignments.insert(id.clone(), assignment);
    Ok((next, id))
}

/// Removes a role assignment; the last Owner at the instance cannot be removed.
pub fn remove_role_assignment(world: &World, id: &str) -> Result<World, Failure> {
    let assignment = world
        .role_assignments
        .get(id)
        .ok_or_else(|| Failure::not_found(&format!("Role assignment '{id}'")))?;
    let mut next = world.clone();
    next.role_assignments.remove(id);
    if assignment.role == Role::Owner && !has_owner(&next) {
        return Err(last_owner());
    }
    Ok(next)
}

/// Whether some enabled account holds Owner at the instance.
pub fn has_owner(world: &World) -> bool {
    world.role_assignments.values().any(|a| {
        a.role == Role::Owner
            && a.scope == Scope::Instance
            && match &a.principal {
                Principal::User(name) => world.accounts.get(name).is_some_and(|acc| acc.enabled),
                _ => false,
            }
    })
}

pub(crate) fn last_owner() -> Failure {
    Failure::new(
        ErrorCode::LastOwner,
        "This is the last enabled account with Owner at the instance: nobody could manage access after it. \
         Assign Owner to another account first.",
    )
}

/// The same world without the role assignments of `principal` (its account or key is gone).
pub fn without_assignments_of(world: &World, principal: &Principal) -> World {
    let mut next = world.clone();
    let ids: Vec<String> = world
        .role_assignments
        .iter()
        .filter(|(_, a)| &a.principal == principal)
        .map(|(id, _)| id.to_owned())
        .collect();
    for id in ids {
        next.role_assignments.remove(&id);
    }
    next
}

/// The directory and role assignments a data directory made before access control had: its
/// accounts as they are, `admin` as Owner at the instance, and every live API key as Key
/// Administrator at the instance, so every existing credential keeps working. `None` when the
/// world already has role assignments.
pub fn first_assignments(world: &World, accounts: &[String], rng: &mut Rng, now: Timestamp) -> Option<World> {
    if !world.role_assignments.is_empty() {
        return None;
    }
    let mut next = world.clone();
    for name in accounts {
        if !next.accounts.contains_key(name) {
            next.accounts.insert(name.clone(), Account { name: name.clone(), enabled: true, created: now });
        }
    }
    let mut grant = |next: &mut World, principal: Principal, role: Role| {
        let id = crypto::random_hex(rng, 8);
        let assignment =
            RoleAssignment { id: id.clone(), principal, role, scope: Scope::Instance, created: now };
        next.role_assignments.insert(id, assignment);
    };
    for name in accounts {
        let role = if name == crate::model::ADMIN_ACCOUNT { Role::Owner } else { Role::Reader };
        grant(&mut next, Principal::user(name), role);
    }
    let keys: Vec<String> =
        world.api_keys.values().filter(|k| k.revoked.is_none()).map(|k| k.id.clone()).collect();
    for id in keys {
        grant(&mut next, Principal::ApiKey(id), Role::KeyAdministrator);
    }
    Some(next)
}

mod accounts;
pub use accounts::{
    MIN_PASSWORD, account_name, can_sign_in, create_account, delete_account, may_manage_credentials,
    password, set_account_enabled,
};

#[cfg(test)]
mod tests;
