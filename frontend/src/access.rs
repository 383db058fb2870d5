//! What the signed-in account may do, so a blade can disable (never hide) what would be
//! refused and say why. The engine decides ("Check access" for the account at every scope,
//! refetched after every change); the portal only reads the answer.

use leptos::prelude::*;
use shared::model::{Action, Role};
use shared::service::{AccessQuery, CheckAccess, ScopeAccess};

use crate::{
    api::ApiResult,
    context::{use_backend, use_refresh, use_session},
};

/// The signed-in account's actions at every scope.
#[derive(Clone, Copy)]
pub struct Access(LocalResource<ApiResult<Vec<ScopeAccess>>>);

/// Provided once by the shell; refetched when the session or anything else changes.
pub fn provide_access() {
    let (backend, refresh, session) = (use_backend(), use_refresh(), use_session());
    let resource = LocalResource::new(move || {
        refresh.track();
        let user = session.0.get().map(|u| u.username);
        let backend = backend.clone();
        async move {
            let Some(user) = user else { return Ok(Vec::new()) };
            backend
                .call(CheckAccess { body: AccessQuery { principal: format!("user:{user}"), scope: None } })
                .await
        }
    });
    provide_context(Access(resource));
}

/// Why the signed-in account may not do `action` at `scope` (a scope's actions include what
/// roles above it grant); `None` when it may, or while that is not known yet (the server still
/// refuses what it must).
pub fn refusal(action: Action, scope: impl Fn() -> String + Send + Sync + 'static) -> Signal<Option<String>> {
    let access = use_context::<Access>();
    let session = use_session();
    Signal::derive(move || {
        let scopes = access?.0.get()?.ok()?;
        let scope = scope();
        let allowed = scopes
            .iter()
            .find(|s| s.scope == scope)
            .or_else(|| scopes.iter().find(|s| s.scope == "/"))
            .is_some_and(|s| s.actions.contains(&action));
        if allowed {
            return None;
        }
        let who = session.0.get().map(|u| u.username).unwrap_or_default();
        let roles: Vec<&str> = action.roles().map(Role::label).collect();
        Some(format!(
            "{who} may not {} at {scope}: that needs {}. Ask an Owner to assign it in Access control (IAM).",
            action.verb(),
            roles.join(" or ")
        ))
    })
}
