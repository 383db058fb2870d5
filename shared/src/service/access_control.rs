//! Access control (IAM): the built-in roles, role assignments at a scope, "Check access" for a
//! principal, and the directory of accounts.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::access;
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::{Action, Principal, Role, RoleAssignment, Scope, World};
use crate::ops::Ctx;

const TAG: &str = "access control";

/// A built-in role, as the role table lists it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleView {
    /// The role.
    pub role: Role,
    /// What the portal calls it.
    pub label: String,
    /// The same role in Azure.
    pub azure: String,
    /// The same role in Key Protect.
    pub key_protect: String,
    /// What it allows.
    pub actions: Vec<Action>,
}

/// `GET /roles`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListRoles {}

impl Endpoint for ListRoles {
    type Body = NoBody;
    type Answer = Vec<RoleView>;
    const ROUTE: Route = Route::get("/roles", TAG, "The built-in roles and what each allows.");
    fn handle(self, _world: &World, _ctx: &mut Ctx) -> Result<Outcome<Vec<RoleView>>, Failure> {
        Ok(Outcome::read(role_table()))
    }
}

/// Every built-in role with its anchors and actions: the API's answer and the README's table.
pub fn role_table() -> Vec<RoleView> {
    Role::ALL
        .into_iter()
        .map(|role| {
            let (azure, key_protect) = role.anchors();
            RoleView {
                role,
                label: role.label().into(),
                azure: azure.into(),
                key_protect: key_protect.into(),
                actions: role.actions().to_vec(),
            }
        })
        .collect()
}

/// The role table as the README shows it, from [`role_table`].
pub fn role_markdown() -> String {
    let mut table = String::from("| Role | Azure | Key Protect | Allows |\n|---|---|---|---|\n");
    for role in role_table() {
        let actions: Vec<&str> = role.actions.iter().map(|a| a.verb()).collect();
        let line =
            format!("| {} | {} | {} | {} |\n", role.label, role.azure, role.key_protect, actions.join("; "));
        table.push_str(&line);
    }
    table
}

/// Which assignments to list.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssignmentQuery {
    /// Only those that apply at this scope (given there or above it); all when absent.
    pub scope: Option<String>,
}

/// `GET /role-assignments`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListRoleAssignments {
    /// The scope to filter by.
    #[serde(default)]
    pub body: AssignmentQuery,
}

impl Endpoint for ListRoleAssignments {
    type Body = AssignmentQuery;
    type Answer = Vec<RoleAssignment>;
    const ROUTE: Route =
        Route::get("/role-assignments", TAG, "Role assignments, or those that apply at one scope.")
            .failing(&[InvalidScope]);
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<Vec<RoleAssignment>>, Failure> {
        let all = world.role_assignments.values().cloned();
        let Some(scope) = self.body.scope else { return Ok(Outcome::read(all.collect())) };
        let scope = parse_scope(&scope)?;
        let within = access::ancestors(world, &scope);
        Ok(Outcome::read(all.filter(|a| within.contains(&a.scope)).collect()))
    }
    fn scope(&self, _world: &World) -> Scope {
        self.body.scope.as_deref().and_then(|s| s.parse().ok()).unwrap_or(Scope::Instance)
    }
}

/// A new role assignment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleAssignmentRequest {
    /// `user:<name>`, `apikey:<id>` or `identity:<principal id>`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "user:reader",
            pattern = "^(?:user|apikey|identity):[^\\u0000-\\u001f\\u007f-\\u009f]{1,128}$"
        )
    )]
    pub principal: String,
    /// Owner, Key Administrator, Crypto User, Reader or Auditor.
    #[cfg_attr(feature = "openapi", schema(example = "Key Administrator", schema_with = role_name_schema))]
    pub role: String,
    /// `/`, `/subscriptions/<id>`, `/resourceGroups/<name>`, `/vaults/<name>` or
    /// `/vaults/<name>/keys/<key>`.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "/vaults/contoso-kv",
            pattern = "^/(?:(?:subscriptions|resourceGroups|vaults)/[^/]{1,128}|vaults/[^/]{1,128}/keys/[^/]{1,128})?/*$"
        )
    )]
    pub scope: String,
}

/// `POST /role-assignments`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CreateRoleAssignment {
    /// Who, which role, where.
    pub body: RoleAssignmentRequest,
}

impl Endpoint for CreateRoleAssignment {
    type Body = RoleAssignmentRequest;
    type Answer = RoleAssignment;
    const ROUTE: Route = Route::post("/role-assignments", TAG, "Gives a role to a principal at a scope.")
        .created()
        .failing(&[UnknownRole, InvalidScope, PrincipalNotFound, RoleAssignmentExists])
        .requires(Action::Administer)
        .audited(AuditAction::RoleAssignmentChange);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<RoleAssignment>, Failure> {
        let RoleAssignmentRequest { principal, role, scope } = &self.body;
        let (next, id) = access::assign_role(world, ctx.rng, ctx.now, principal, role, scope)?;
        Outcome::changed(next, |w| {
            w.role_assignments.get(&id).cloned().ok_or_else(|| Failure::not_found("The role assignment"))
        })
    }
    /// Assigning at a scope needs Administer there: an Owner of a vault may share that vault.
    fn scope(&self, _world: &World) -> Scope {
        self.body.scope.parse().unwrap_or(Scope::Instance)
    }
    fn audit_subject(&self) -> Option<String> {
        let RoleAssignmentRequest { principal, role, scope } = &self.body;
        Some(format!("role-assignments: {role} to {principal} at {scope}"))
    }
}

/// `DELETE /role-assignments/{assignment}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DeleteRoleAssignment {
    /// Assignment id.
    pub assignment: String,
}

impl Endpoint for DeleteRoleAssignment {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route = Route::delete("/role-assignments/{assignment}", TAG, "Removes a role assignment.")
        .failing(&[NotFound, LastOwner])
        .requires(Action::Administer)
        .audited(AuditAction::RoleAssignmentChange);
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<()>, Failure> {
        let next = access::remove_role_assignment(world, &self.assignment)?;
        Outcome::changed(next, |_| Ok(()))
    }
    fn scope(&self, world: &World) -> Scope {
        world.role_assignments.get(&self.assignment).map_or(Scope::Instance, |a| a.scope.clone())
    }
}

/// Whose access to check, and where.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessQuery {
    /// `user:<name>`, `apikey:<id>`, `identity:<principal id>` or `system` (required; one that
    /// does not exist is named in a `PrincipalNotFound`).
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            required = true,
            pattern = "^(?:system|(?:user|apikey|identity):[^\\u0000-\\u001f\\u007f-\\u009f]{1,128})$"
        )
    )]
    pub principal: String,
    /// One scope; every scope that exists when absent.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = "^/(?:(?:subscriptions|resourceGroups|vaults)/[^/]{1,128}|vaults/[^/]{1,128}/keys/[^/]{1,128})?/*$"
        )
    )]
    pub scope: Option<String>,
}

/// The role names, as the API document lists them.
#[cfg(feature = "openapi")]
fn role_name_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let names: Vec<&str> = crate::model::Role::ALL.iter().map(|role| role.label()).collect();
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(names)).build()
}

/// What a principal may do at one scope.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopeAccess {
    /// The scope.
    pub scope: String,
    /// The roles that apply there, strongest first.
    pub roles: Vec<Role>,
    /// What those roles allow.
    pub actions: Vec<Action>,
}

/// `GET /access`: "Check access".
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CheckAccess {
    /// Whom and where.
    pub body: AccessQuery,
}

impl Endpoint for CheckAccess {
    type Body = AccessQuery;
    type Answer = Vec<ScopeAccess>;
    const ROUTE: Route = Route::get(
        "/access",
        TAG,
        "Check access: the roles a principal holds and what they allow, at one scope or at every scope.",
    )
    .failing(&[InvalidScope, PrincipalNotFound]);
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<Vec<ScopeAccess>>, Failure> {
        let principal: Principal =
            self.body.principal.parse().map_err(|e: String| Failure::new(PrincipalNotFound, e))?;
        let scopes = match &self.body.scope {
            Some(scope) => vec![parse_scope(scope)?],
            None => every_scope(world),
        };
        let answer = scopes
            .into_iter()
            .map(|scope| {
                let actions =
                    Action::ALL.into_iter().filter(|a| access::holds(world, &principal, *a, &scope));
                ScopeAccess {
                    roles: access::roles_at(world, &principal, &scope),
                    actions: actions.collect(),
                    scope: scope.to_string(),
                }
            })
            .collect();
        Ok(Outcome::read(answer))
    }
    /// Asked at one scope, it needs Read there: a principal with a role on one vault may check
    /// that vault.
    fn scope(&self, _world: &World) -> Scope {
        self.body.scope.as_deref().and_then(|s| s.parse().ok()).unwrap_or(Scope::Instance)
    }
}

/// The instance, each subscription and resource group, each live vault and its live keys.
fn every_scope(world: &World) -> Vec<Scope> {
    let mut scopes = vec![Scope::Instance];
    scopes.extend(world.subscriptions.keys().map(|id| Scope::Subscription(id.to_owned())));
    scopes.extend(world.resource_groups.keys().map(|name| Scope::ResourceGroup(name.to_owned())));
    for vault in world.vaults.values().filter(|v| v.is_live()) {
        scopes.push(Scope::Vault(vault.name.clone()));
        let keys = vault.keys.values().filter(|k| k.is_live());
        scopes.extend(keys.map(|k| Scope::Key(vault.name.clone(), k.name.clone())));
    }
    scopes
}

fn parse_scope(text: &str) -> Result<Scope, Failure> {
    text.parse().map_err(|e: String| Failure::new(InvalidScope, e))
}

/// `GET /accounts`.
#[cfg(test)]
mod tests {
    #[test]
    fn the_readme_shows_the_role_table_the_engine_enforces() {
        let readme = include_str!("../../../README.md");
        let table = super::role_markdown();
        assert!(readme.contains(&table), "README.md must show this role table:\n{table}");
    }
}
