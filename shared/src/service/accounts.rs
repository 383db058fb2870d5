//! The directory of human accounts. The server keeps their password hashes and sessions in
//! its credential store; these endpoints decide who exists, who is enabled and what a new
//! account may do.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::access;
use crate::audit::AuditAction;
use crate::catalog::{ErrorCode::*, Failure};
use crate::model::{Account, Action, World};
use crate::ops::Ctx;

const TAG: &str = "access control";

/// `GET /accounts`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ListAccounts {}

impl Endpoint for ListAccounts {
    type Body = NoBody;
    type Answer = Vec<Account>;
    const ROUTE: Route = Route::get("/accounts", TAG, "The human accounts (never their passwords).");
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<Vec<Account>>, Failure> {
        Ok(Outcome::read(world.accounts.values().cloned().collect()))
    }
}

/// A new account.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateAccountRequest {
    /// Sign-in name: 1-64 lower-case letters, digits, `.`, `_` or `-`.
    #[cfg_attr(feature = "openapi", schema(example = "kim", pattern = "^[a-z0-9][a-z0-9._-]{0,63}$"))]
    pub name: String,
    /// Its first password, at least 12 characters. The server keeps only its Argon2 hash; the
    /// offline demo, which has no sign-in, ignores it.
    #[cfg_attr(feature = "openapi", schema(min_length = 12))]
    pub password: String,
    /// A first role for it (none: it can sign in but do nothing until it gets one).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(example = "Reader"))]
    pub role: Option<String>,
    /// Where that role applies (default `/`).
    #[serde(default)]
    pub scope: Option<String>,
}

impl std::fmt::Debug for CreateAccountRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateAccountRequest")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// `POST /accounts`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CreateAccount {
    pub body: CreateAccountRequest,
}

impl Endpoint for CreateAccount {
    type Body = CreateAccountRequest;
    type Answer = Account;
    const ROUTE: Route = Route::post("/accounts", TAG, "Creates an account, optionally with a first role.")
        .created()
        .failing(&[InvalidName, WeakPassword, AccountExists, UnknownRole, InvalidScope])
        .requires(Action::Administer)
        .audited(AuditAction::AccountChange);
    fn handle(self, world: &World, ctx: &mut Ctx) -> Result<Outcome<Account>, Failure> {
        let CreateAccountRequest { name, password, role, scope } = &self.body;
        access::password(password)?;
        let role = role.as_deref().map(|role| (role, scope.as_deref().unwrap_or("/")));
        let next = access::create_account(world, ctx.rng, ctx.now, name, role)?;
        Outcome::changed(next, |w| account(w, name))
    }
    fn audit_subject(&self) -> Option<String> {
        Some(format!("accounts/{}", self.body.name))
    }
}

/// What may change on an account.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateAccountRequest {
    /// Disabled accounts cannot sign in; their sessions end at their next request.
    pub enabled: bool,
}

/// `PATCH /accounts/{account}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct UpdateAccount {
    pub account: String,
    pub body: UpdateAccountRequest,
}

impl Endpoint for UpdateAccount {
    type Body = UpdateAccountRequest;
    type Answer = Account;
    const ROUTE: Route = Route::patch("/accounts/{account}", TAG, "Disables or enables an account.")
        .failing(&[NotFound, LastOwner])
        .requires(Action::Administer)
        .audited(AuditAction::AccountChange);
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<Account>, Failure> {
        let next = access::set_account_enabled(world, &self.account, self.body.enabled)?;
        Outcome::changed(next, |w| account(w, &self.account))
    }
}

/// `DELETE /accounts/{account}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DeleteAccount {
    pub account: String,
}

impl Endpoint for DeleteAccount {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route =
        Route::delete("/accounts/{account}", TAG, "Deletes an account and its role assignments.")
            .failing(&[NotFound, LastOwner])
            .requires(Action::Administer)
            .audited(AuditAction::AccountChange);
    fn handle(self, world: &World, _ctx: &mut Ctx) -> Result<Outcome<()>, Failure> {
        Outcome::changed(access::delete_account(world, &self.account)?, |_| Ok(()))
    }
}

fn account(world: &World, name: &str) -> Result<Account, Failure> {
    world.accounts.get(name).cloned().ok_or_else(|| Failure::not_found(&format!("Account '{name}'")))
}
