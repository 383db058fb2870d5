//! The directory of human accounts: create, disable or enable, delete. Passwords and sessions
//! are the server's credential store's business; what an account may do is its roles'.

use crate::catalog::{ErrorCode, Failure};
use crate::crypto::Rng;
use crate::model::{Account, Principal, Timestamp, World};

use super::{assign_role, has_owner, last_owner, without_assignments_of};

/// Shortest password an account may have.
pub const MIN_PASSWORD: usize = 12;

/// Account names: 1-64 lower-case letters, digits, `.`, `_` or `-`, starting with a letter or
/// digit, so they read the same in a principal (`user:<name>`), a URL and a log line.
pub fn account_name(name: &str) -> Result<(), Failure> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if first_ok && rest_ok && name.len() <= 64 {
        Ok(())
    } else {
        Err(Failure::new(
            ErrorCode::InvalidName,
            format!(
                "'{name}' is not an account name: use 1-64 lower-case letters, digits, '.', '_' or '-', \
                 starting with a letter or digit."
            ),
        ))
    }
}

/// A password long enough to resist guessing (the server hashes it; nobody stores it).
pub fn password(password: &str) -> Result<(), Failure> {
    if password.chars().count() >= MIN_PASSWORD {
        Ok(())
    } else {
        Err(Failure::new(
            ErrorCode::WeakPassword,
            format!("A password needs at least {MIN_PASSWORD} characters."),
        ))
    }
}

/// A new enabled account, optionally with a first role at a scope.
pub fn create_account(
    world: &World,
    rng: &mut Rng,
    now: Timestamp,
    name: &str,
    role: Option<(&str, &str)>,
) -> Result<World, Failure> {
    account_name(name)?;
    if world.accounts.contains_key(name) {
        return Err(Failure::new(
            ErrorCode::AccountExists,
            format!("An account named '{name}' exists already."),
        ));
    }
    let mut next = world.clone();
    next.accounts.insert(name.to_owned(), Account { name: name.to_owned(), enabled: true, created: now });
    match role {
        Some((role, scope)) => {
            let principal = Principal::user(name).to_string();
            assign_role(&next, rng, now, &principal, role, scope).map(|(next, _)| next)
        }
        None => Ok(next),
    }
}

/// Disables or enables an account. Disabling the last enabled Owner is refused.
pub fn set_account_enabled(world: &World, name: &str, enabled: bool) -> Result<World, Failure> {
    let mut next = world.clone();
    let account = next.accounts.get_mut(name).ok_or_else(|| no_account(name))?;
    account.enabled = enabled;
    if !enabled && !has_owner(&next) {
        return Err(last_owner());
    }
    Ok(next)
}

/// Deletes an account and its role assignments. Deleting the last enabled Owner is refused.
pub fn delete_account(world: &World, name: &str) -> Result<World, Failure> {
    if !world.accounts.contains_key(name) {
        return Err(no_account(name));
    }
    let mut next = without_assignments_of(world, &Principal::user(name));
    next.accounts.remove(name);
    if !has_owner(&next) {
        return Err(last_owner());
    }
    Ok(next)
}

/// Whether `name` is an account that may sign in and keep its sessions: it exists and is enabled.
pub fn can_sign_in(world: &World, name: &str) -> bool {
    world.accounts.get(name).is_some_and(|a| a.enabled)
}

/// Lets `caller` change `account`'s credentials (its password, its sessions): its own, or any
/// as an Owner (Administer at the instance).
pub fn may_manage_credentials(world: &World, caller: &Principal, account: &str) -> Result<(), Failure> {
    if !world.accounts.contains_key(account) {
        return Err(no_account(account));
    }
    if *caller == Principal::user(account) {
        return Ok(());
    }
    let administer = super::Requirement { action: crate::model::Action::Administer, key_permission: None };
    super::authorize(world, caller, administer, &crate::model::Scope::Instance)
}

fn no_account(name: &str) -> Failure {
    Failure::not_found(&format!("Account '{name}'"))
}
