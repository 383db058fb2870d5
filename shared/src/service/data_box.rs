//! Data Box jobs: the orders as the Azure management API names them, by subscription, resource
//! group and job name (matched in any case, as the cloud does). The server's Data Box surface
//! maps `azure-mgmt-databox` requests onto these and words the answers as ARM resources. Like
//! the data-plane endpoints, they are not mounted under `/api`: their paths name them in the
//! audit trail.

use serde::{Deserialize, Serialize};

use super::{Endpoint, Outcome, Route};
use crate::api::SaveByKeyUrlRequest;
use crate::audit::AuditAction;
use crate::catalog::{ENCRYPTION_FAILURES, ErrorCode, Failure};
use crate::model::{EncryptionSettings, IdentityChoice, Order, OrderPhase, Scope, World};
use crate::ops::{self, Ctx};

const TAG: &str = "data box";

/// A job as the management API shows it: plain data, worded as ARM JSON by the server.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobView {
    /// Job (order) name.
    pub name: String,
    /// Subscription id.
    pub subscription_id: String,
    /// Resource group.
    pub resource_group: String,
    /// Where the order is.
    pub phase: OrderPhase,
    /// The system-assigned identity: principal id and tenant.
    pub system_identity: Option<(String, String)>,
    /// The user-assigned identities: resource id, principal id, client id.
    pub user_identities: Vec<(String, String, String)>,
    /// The customer-managed key, when the order uses one.
    pub key_encryption_key: Option<JobKey>,
}

/// The key a job's data is encrypted under.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobKey {
    /// The key's URL.
    pub key_url: String,
    /// The vault's resource id.
    pub vault_resource_id: String,
    /// The user-assigned identity's resource id; `None`: the system-assigned identity.
    pub identity_resource_id: Option<String>,
}

impl JobView {
    fn of(world: &World, order: &Order) -> JobView {
        let sub = &order.subscription_id;
        let user_identities = order
            .user_identities
            .iter()
            .filter_map(|id| world.identities.get(id))
            .map(|i| {
                let resource = identity_resource_id(sub, &i.resource_group, &i.name);
                (resource, i.principal_id.clone(), i.client_id.clone())
            })
            .collect();
        JobView {
            name: order.name.clone(),
            subscription_id: sub.clone(),
            resource_group: order.resource_group.clone(),
            phase: order.phase,
            system_identity: order
                .system_identity
                .as_ref()
                .map(|s| (s.principal_id.clone(), s.tenant_id.clone())),
            user_identities,
            key_encryption_key: job_key(world, order),
        }
    }
}

fn job_key(world: &World, order: &Order) -> Option<JobKey> {
    let EncryptionSettings::CustomerManaged(ck) = &order.encryption else { return None };
    let vault_group = world.vaults.get(&ck.vault).map(|v| v.resource_group.clone()).unwrap_or_default();
    let vault_sub = world
        .resource_groups
        .get(&vault_group)
        .map_or(order.subscription_id.clone(), |g| g.subscription_id.clone());
    let identity_resource_id = match &ck.identity {
        IdentityChoice::SystemAssigned => None,
        IdentityChoice::UserAssigned { identity_id } => Some(world.identities.get(identity_id).map_or_else(
            || identity_id.clone(),
            |i| identity_resource_id(&order.subscription_id, &i.resource_group, &i.name),
        )),
    };
    Some(JobKey {
        key_url: ck.key_url.clone(),
        vault_resource_id: format!(
            "/subscriptions/{vault_sub}/resourceGroups/{vault_group}/providers/Microsoft.KeyVault/vaults/{}",
            ck.vault
        ),
        identity_resource_id,
    })
}

fn identity_resource_id(subscription: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )
}

/// The resource group a path names, as the world spells it.
fn group_scope(world: &World, resource_group: &str) -> Scope {
    let name = world.resource_groups.keys().find(|g| g.eq_ignore_ascii_case(resource_group));
    Scope::ResourceGroup(name.unwrap_or(resource_group).to_owned())
}

fn in_group(order: &Order, subscription: &str, resource_group: Option<&str>) -> bool {
    order.subscription_id.eq_ignore_ascii_case(subscription)
        && resource_group.is_none_or(|rg| order.resource_group.eq_ignore_ascii_case(rg))
}

fn find_job<'w>(world: &'w World, job: &JobPath) -> Result<&'w Order, Failure> {
    world
        .orders
        .values()
        .find(|o| {
            in_group(o, &job.subscription, Some(&job.resource_group)) && o.name.eq_ignore_ascii_case(&job.job)
        })
        .ok_or_else(|| {
            Failure::new(ErrorCode::NotFound, format!("The Data Box job '{}' was not found.", job.job))
        })
}

/// Which jobs to list: a subscription's, or one resource group's.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobFilter {
    /// Only this resource group's.
    pub resource_group: Option<String>,
}

/// `GET /subscriptions/{subscription}/jobs`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListJobs {
    /// Subscription id.
    pub subscription: String,
    /// The resource group, if one.
    #[serde(default)]
    pub body: JobFilter,
}

impl Endpoint for ListJobs {
    type Body = JobFilter;
    type Answer = Vec<JobView>;
    const ROUTE: Route = Route::get("/subscriptions/{subscription}/jobs", TAG, "Data Box jobs.");
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<Vec<JobView>>, Failure> {
        let group = self.body.resource_group.as_deref();
        let jobs = world.orders.values().filter(|o| in_group(o, &self.subscription, group));
        Ok(Outcome::read(jobs.map(|o| JobView::of(world, o)).collect()))
    }
    fn scope(&self, world: &World) -> Scope {
        match &self.body.resource_group {
            Some(group) => group_scope(world, group),
            None => {
                let id = world.subscriptions.keys().find(|s| s.eq_ignore_ascii_case(&self.subscription));
                Scope::Subscription(id.unwrap_or(&self.subscription).to_owned())
            }
        }
    }
}

/// A job's place: subscription, resource group, name.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct JobPath {
    /// Subscription id.
    pub subscription: String,
    /// Resource group.
    pub resource_group: String,
    /// Job name.
    pub job: String,
}

/// `GET .../jobs/{job}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetJob {
    /// Which job.
    #[serde(flatten)]
    pub path: JobPath,
}

impl Endpoint for GetJob {
    type Body = super::NoBody;
    type Answer = JobView;
    const ROUTE: Route = Route::get(
        "/subscriptions/{subscription}/resource-groups/{resource_group}/jobs/{job}",
        TAG,
        "A Data Box job.",
    )
    .failing(&[ErrorCode::NotFound]);
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<JobView>, Failure> {
        Ok(Outcome::read(JobView::of(world, find_job(world, &self.path)?)))
    }
    fn scope(&self, world: &World) -> Scope {
        group_scope(world, &self.path.resource_group)
    }
}

/// The key a job update asks for.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum JobKeyChoice {
    /// Back to the Microsoft managed key.
    MicrosoftManaged,
    /// A customer-managed key, by URL (a data-plane key id is accepted), reached through the
    /// identity named by resource id (`None`: system-assigned).
    CustomerManaged {
        /// The key's URL.
        key_url: String,
        /// A user-assigned identity's resource id.
        identity_resource_id: Option<String>,
    },
}

/// `PATCH .../jobs/{job}`: the Encryption blade's Save, for the management API.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UpdateJob {
    /// Which job.
    #[serde(flatten)]
    pub path: JobPath,
    /// The key.
    pub body: JobKeyChoice,
}

impl Endpoint for UpdateJob {
    type Body = JobKeyChoice;
    type Answer = JobView;
    const ROUTE: Route = Route::patch(
        "/subscriptions/{subscription}/resource-groups/{resource_group}/jobs/{job}",
        TAG,
        "Changes a job's key encryption key as Save does, with the same catalog codes.",
    )
    .failing(&ENCRYPTION_FAILURES)
    .audited(AuditAction::EncryptionSave);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<JobView>, Failure> {
        let order = find_job(world, &self.path)?.id.clone();
        let next = match self.body {
            JobKeyChoice::MicrosoftManaged => {
                ops::save_encryption(world, ctx, &order, &EncryptionSettings::MicrosoftManaged, None)?
            }
            JobKeyChoice::CustomerManaged { key_url, identity_resource_id } => {
                let identity = identity_choice(world, identity_resource_id.as_deref());
                let key_url = ops::cloud_key_url(world, &key_url);
                let request = SaveByKeyUrlRequest { key_url, identity };
                ops::save_encryption_by_key_url(world, ctx, &order, &request, None)?
            }
        };
        Outcome::changed(next, |w| {
            let order = w.orders.get(&order).ok_or_else(|| Failure::not_found("The job"))?;
            Ok(JobView::of(w, order))
        })
    }
    fn scope(&self, world: &World) -> Scope {
        group_scope(world, &self.path.resource_group)
    }
    fn audit_subject(&self) -> Option<String> {
        let JobPath { subscription, resource_group, job } = &self.path;
        Some(format!("subscriptions/{subscription}/resourceGroups/{resource_group}/jobs/{job}"))
    }
}

/// The identity a resource id names: a user-assigned identity known by id or name, else the id
/// as given (for Save to refuse with its code); `None` is the system-assigned identity.
fn identity_choice(world: &World, resource_id: Option<&str>) -> IdentityChoice {
    let Some(resource_id) = resource_id else { return IdentityChoice::SystemAssigned };
    let name = resource_id.rsplit('/').next().unwrap_or_default();
    let known = world.identities.values().find(|i| i.id == resource_id || i.name.eq_ignore_ascii_case(name));
    IdentityChoice::UserAssigned {
        identity_id: known.map_or_else(|| resource_id.to_owned(), |i| i.id.clone()),
    }
}
