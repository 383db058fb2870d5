//! Access control (IAM): the role assignments that apply at a scope, adding and removing them,
//! and "Check access" for a principal. The engine decides; this blade shows and asks.

use leptos::prelude::*;
use shared::model::{Action as Permission, Role};
use shared::service::{RoleAssignmentRequest, ScopeAccess};

use crate::{
    access::refusal,
    api::{ApiError, RoleAssignment},
    components::{
        error_panel::ErrorPanel,
        form::{date_time, unique_id},
    },
    context::{set_crumbs, use_backend},
    hooks::{use_change, use_query},
};

#[component]
pub fn AccessControlBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Access control (IAM)", "/access-control")]);
    let scope = RwSignal::new(String::from("/"));
    let assignments = use_query(
        move || scope.get(),
        |b, scope| async move {
            let scope = scope.trim().to_owned();
            b.role_assignments((!scope.is_empty()).then_some(scope)).await
        },
    );
    let error = RwSignal::new(None::<ApiError>);
    let change = use_change(error);
    let denied = refusal(Permission::Administer, move || scope.get());
    let (principal, role) = (RwSignal::new(String::new()), RwSignal::new(String::from("Reader")));
    let (id_scope, id_principal, id_role) =
        (unique_id("iam-scope"), unique_id("iam-principal"), unique_id("iam-role"));
    let add = move |_| {
        let body = RoleAssignmentRequest {
            principal: principal.get_untracked().trim().to_owned(),
            role: role.get_untracked(),
            scope: scope.get_untracked().trim().to_owned(),
        };
        principal.set(String::new());
        change.run("Role assigned", move |b| async move { b.assign_role(body).await });
    };
    view! {
        <section class="blade" aria-labelledby="iam-title">
            <div class="blade-head"><h1 id="iam-title">"Access control (IAM)"</h1><span class="muted">"Role assignments"</span></div>
            <p class="muted">"A role counts at its scope and everything inside it: the instance (/), a subscription, a resource group, a key vault or one key. Principals are user:<name>, apikey:<id> and identity:<principal id>."</p>
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            <div class="field">
                <label for=id_scope.clone()>"Scope"</label>
                <input id=id_scope type="text" autocomplete="off" placeholder="/vaults/<name>" prop:value=move || scope.get() on:change=move |ev| scope.set(event_target_value(&ev)) />
            </div>
            <h2 class="section-title">"Add role assignment"</h2>
            <div class="inline-form">
                <div class="field">
                    <label for=id_principal.clone()>"Principal"</label>
                    <input id=id_principal type="text" autocomplete="off" placeholder="user:kim" prop:value=move || principal.get() on:input=move |ev| principal.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for=id_role.clone()>"Role"</label>
                    <select id=id_role prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                        {Role::ALL.map(|r| view! { <option value=r.label()>{r.label()}</option> })}
                    </select>
                </div>
                <button type="button" class="primary" disabled=move || principal.get().trim().is_empty() || denied.get().is_some()
                    title=move || denied.get().unwrap_or_default() on:click=add>"Add role assignment"</button>
            </div>
            <h2 class="section-title">"Role assignments at this scope"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || assignments.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No role applies at this scope."</p> }.into_any(),
                    Ok(list) => view! { <AssignmentTable list change denied /> }.into_any(),
                })}
            </Suspense>
            <CheckAccessPanel />
        </section>
    }
}

#[component]
fn AssignmentTable(
    list: Vec<RoleAssignment>,
    change: crate::hooks::Change,
    denied: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <table class="grid">
            <thead><tr><th scope="col">"Principal"</th><th scope="col">"Role"</th><th scope="col">"Scope"</th><th scope="col">"Assigned"</th><th scope="col">"Actions"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|a| {
                    let id = a.id.clone();
                    let label = format!("Remove {} from {} at {}", a.role.label(), a.principal, a.scope);
                    view! {
                        <tr>
                            <td class="mono">{a.principal.to_string()}</td>
                            <td>{a.role.label()}</td>
                            <td class="mono">{a.scope.to_string()}</td>
                            <td>{date_time(a.created)}</td>
                            <td><button type="button" aria-label=label disabled=move || denied.get().is_some() title=move || denied.get().unwrap_or_default()
                                on:click=move |_| { let id = id.clone(); change.run("Role assignment removed", move |b| async move { b.remove_role_assignment(&id).await }) }>"Remove"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// "Check access": what a principal may do at every scope.
#[component]
fn CheckAccessPanel() -> impl IntoView {
    let backend = use_backend();
    let who = RwSignal::new(String::new());
    let id_who = unique_id("iam-check");
    let check = Action::new_local(move |principal: &String| {
        let (backend, principal) = (backend.clone(), principal.clone());
        async move { backend.check_access(principal).await }
    });
    view! {
        <h2 class="section-title">"Check access"</h2>
        <div class="inline-form">
            <div class="field">
                <label for=id_who.clone()>"Principal to check"</label>
                <input id=id_who type="text" autocomplete="off" placeholder="user:kim" prop:value=move || who.get() on:input=move |ev| who.set(event_target_value(&ev)) />
            </div>
            <button type="button" disabled=move || who.get().trim().is_empty() on:click=move |_| { check.dispatch_local(who.get_untracked().trim().to_owned()); }>"Check access"</button>
        </div>
        {move || check.value().get().map(|r| match r {
            Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
            Ok(scopes) => view! { <AccessTable scopes /> }.into_any(),
        })}
    }
}

#[component]
fn AccessTable(scopes: Vec<ScopeAccess>) -> impl IntoView {
    view! {
        <table class="grid" aria-label="Access">
            <thead><tr><th scope="col">"Scope"</th><th scope="col">"Roles"</th><th scope="col">"May"</th></tr></thead>
            <tbody>
                {scopes.into_iter().map(|s| {
                    let roles: Vec<&str> = s.roles.iter().map(|r| r.label()).collect();
                    let actions: Vec<&str> = s.actions.iter().map(|a| a.verb()).collect();
                    view! {
                        <tr>
                            <td class="mono">{s.scope}</td>
                            <td>{if roles.is_empty() { "None".to_owned() } else { roles.join(", ") }}</td>
                            <td>{if actions.is_empty() { "Nothing".to_owned() } else { actions.join("; ") }}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
