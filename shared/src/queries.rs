//! Read-side answers: which entities a client may see and how a missing one is reported. The
//! service layer answers through these, so a deleted vault is "not found" the same way everywhere.
//! Views are computed at `now` (a version's status, a purge date).

use crate::api::{
    AuthorityChangeView, KeyVersionView, KeyView, OperationView, OrderView, RegistrationView, SecretView,
    StampAlertView, StampView, VaultView,
};
use crate::catalog::Failure;
use crate::model::{Key, KeyVault, Operation, RewrapTarget, Subscription, Timestamp, UserIdentity, World};

/// A read's answer, or why there is none.
pub type Answer<T> = Result<T, Failure>;

/// The live (not deleted) vault called `name`.
pub fn live_vault<'w>(world: &'w World, name: &str) -> Answer<&'w KeyVault> {
    world
        .vaults
        .get(name)
        .filter(|vault| vault.is_live())
        .ok_or_else(|| Failure::not_found(&format!("Key vault '{name}'")))
}

/// The live vault called `name`, as the client may see it.
pub fn vault_view(world: &World, name: &str, now: Timestamp) -> Answer<VaultView> {
    live_vault(world, name).map(|vault| VaultView::of(world, vault, now))
}

/// Every live vault.
pub fn live_vaults(world: &World, now: Timestamp) -> Vec<VaultView> {
    world.vaults.values().filter(|v| v.is_live()).map(|v| VaultView::of(world, v, now)).collect()
}

/// Soft-deleted vaults that have not been purged (recoverable or waiting for purge).
pub fn deleted_vaults(world: &World, now: Timestamp) -> Vec<VaultView> {
    let deleted = world.vaults.values().filter(|v| v.deleted_at.is_some() && !v.purged);
    deleted.map(|v| VaultView::of(world, v, now)).collect()
}

/// The keys of a live vault that pass `filter`, as the client may see them.
fn key_views(
    world: &World,
    vault: &str,
    now: Timestamp,
    filter: impl Fn(&Key) -> bool,
) -> Answer<Vec<KeyView>> {
    let v = live_vault(world, vault)?;
    Ok(v.keys.values().filter(|k| filter(k)).map(|k| KeyView::of(world.cloud, v, k, now)).collect())
}

/// The live keys of a live vault.
pub fn live_keys(world: &World, vault: &str, now: Timestamp) -> Answer<Vec<KeyView>> {
    key_views(world, vault, now, Key::is_live)
}

/// Soft-deleted keys of a live vault that have not been purged.
pub fn deleted_keys(world: &World, vault: &str, now: Timestamp) -> Answer<Vec<KeyView>> {
    key_views(world, vault, now, |k| k.deleted_at.is_some() && !k.purged)
}

/// A live key of a live vault.
pub fn key_view(world: &World, vault: &str, key: &str, now: Timestamp) -> Answer<KeyView> {
    key_views(world, vault, now, |k| k.is_live() && k.name == key)?
        .pop()
        .ok_or_else(|| Failure::not_found(&format!("Key '{key}'")))
}

/// A key of a live vault, live or soft-deleted (not purged), named by its name or by its id
/// (the UUID Key Protect names keys by).
pub fn key_by_name_or_id(world: &World, vault: &str, key: &str, now: Timestamp) -> Answer<KeyView> {
    let by_name = key_views(world, vault, now, |k| !k.purged && k.name == key)?.pop();
    match by_name {
        Some(view) => Ok(view),
        None => key_views(world, vault, now, |k| !k.purged && k.id().as_deref() == Some(key))?
            .pop()
            .ok_or_else(|| Failure::not_found(&format!("Key '{key}'"))),
    }
}

/// One version of a live key.
pub fn version_view(
    world: &World,
    vault: &str,
    key: &str,
    version: &str,
    now: Timestamp,
) -> Answer<KeyVersionView> {
    key_view(world, vault, key, now)?
        .versions
        .into_iter()
        .find(|v| v.id == version)
        .ok_or_else(|| Failure::not_found("The key version"))
}

/// The resources a live key protects.
pub fn registrations(world: &World, vault: &str, key: &str) -> Answer<Vec<RegistrationView>> {
    let live = live_vault(world, vault)?.keys.get(key).filter(|k| k.is_live());
    let live = live.ok_or_else(|| Failure::not_found(&format!("Key '{key}'")))?;
    let details = |resource: &str| live.registrations.iter().find(|r| r.resource == resource).cloned();
    Ok(world
        .registrations_of(vault, key)
        .into_iter()
        .map(|(target, key_version)| {
            let registered = match &target {
                RewrapTarget::External { resource } => details(resource),
                RewrapTarget::Order { .. } => None,
            };
            RegistrationView {
                label: target.label(),
                key_version,
                prevent_key_deletion: registered.as_ref().is_some_and(|r| r.prevent_key_deletion),
                description: registered.as_ref().map(|r| r.description.clone()).unwrap_or_default(),
                created: registered.map(|r| r.created),
                target,
            }
        })
        .collect())
}

/// Every order as the client may see it.
pub fn orders(world: &World) -> Vec<OrderView> {
    world.orders.values().map(OrderView::of).collect()
}

/// One order as the client may see it.
pub fn order_view(world: &World, id: &str) -> Answer<OrderView> {
    world.orders.get(id).map(OrderView::of).ok_or_else(|| Failure::not_found("The order"))
}

/// One subscription.
pub fn subscription(world: &World, id: &str) -> Answer<Subscription> {
    world.subscriptions.get(id).cloned().ok_or_else(|| Failure::not_found("The subscription"))
}

/// One user-assigned identity.
pub fn identity(world: &World, id: &str) -> Answer<UserIdentity> {
    world.identities.get(id).cloned().ok_or_else(|| Failure::not_found("The identity"))
}

/// A stamp as the Secrets blade shows it: the inventory of `stamp` at `now`, the authority
/// changes its version allows, and whether its last run failed.
pub fn stamp_view(world: &World, stamp: &crate::model::Stamp, now: Timestamp) -> StampView {
    use crate::model::{InternalSecretKind, IssuerKind};
    let days_left = |at: Timestamp| (at.0 - now.0).div_euclid(86_400);
    let internal = stamp.internal_secrets.iter().map(|s| SecretView {
        name: s.name.clone(),
        kind: match s.kind {
            InternalSecretKind::ServiceAccountPassword => "Service account password",
            InternalSecretKind::Certificate => "Internal certificate",
        }
        .to_owned(),
        host: None,
        issuer_kind: None,
        issuer: None,
        expires: s.not_after,
        days_left: days_left(s.not_after),
        thumbprint: s.thumbprint.clone(),
    });
    let certificates = stamp.certificates.iter().map(|c| SecretView {
        name: c.endpoint.folder().to_owned(),
        kind: "External certificate".to_owned(),
        host: Some(c.endpoint.host(&stamp.region, &stamp.external_domain)),
        issuer_kind: Some(c.issuer_kind),
        issuer: Some(c.issuer.clone()),
        expires: c.not_after,
        days_left: days_left(c.not_after),
        thumbprint: c.thumbprint.clone(),
    });
    let alerts = stamp.alerts.iter().map(|a| StampAlertView {
        kind: a.kind,
        title: a.kind.label().to_owned(),
        secret: a.secret.clone(),
        expires: a.expires,
        raised: a.raised,
    });
    let kinds = [IssuerKind::SelfSigned, IssuerKind::Enterprise, IssuerKind::Public];
    let authority_changes = kinds
        .iter()
        .flat_map(|from| kinds.iter().map(move |to| (*from, *to)))
        .map(|(from, to)| {
            let verdict = crate::ops::authority_change(stamp, from, to, "another enterprise CA");
            AuthorityChangeView {
                from,
                to,
                supported: verdict.is_ok(),
                rule: crate::ops::authority_change_rule(from, to),
            }
        })
        .collect();
    StampView {
        name: stamp.name.clone(),
        version: stamp.version,
        identity_provider: stamp.identity_provider,
        deployment_authority: stamp.deployment_authority.clone(),
        internal_secrets: internal.collect(),
        certificates: certificates.collect(),
        alerts: alerts.collect(),
        rotations: stamp.rotations,
        failed_run: crate::ops::failed_run(world, &stamp.name),
        bmc_user: stamp.bmc_user.clone(),
        authority_changes,
        runs: {
            let subject = crate::model::Subject::Stamp { stamp: stamp.name.clone() };
            let mut runs: Vec<&Operation> =
                world.operations.values().filter(|op| op.subject == subject).collect();
            runs.sort_by_key(|op| std::cmp::Reverse(op.handle));
            runs.into_iter().map(|op| OperationView::of(world, op)).collect()
        },
    }
}
