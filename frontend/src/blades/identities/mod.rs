//! Managed identities: create and delete user-assigned identities.

use crate::{access::refusal, components::guard::Guard};
use leptos::prelude::*;
use shared::model::Action as Permission;

use crate::{
    api::ApiError,
    components::{error_panel::ErrorPanel, form::unique_id},
    context::set_crumbs,
    hooks::use_change,
    hooks::use_query,
};

#[component]
pub fn IdentitiesBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Managed identities", "/identities")]);
    let identities = use_query(|| (), |b, ()| async move { b.identities().await });
    let subscription = use_query(|| (), |b, ()| async move { b.subscription().await });
    let error = RwSignal::new(None::<ApiError>);
    let change = use_change(error);
    let name = RwSignal::new(String::new());
    let rg = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(s)) = subscription.get()
            && rg.get_untracked().is_empty()
            && let Some(first) = s.resource_groups.first()
        {
            rg.set(first.name.clone());
        }
    });
    let (id_name, id_rg) = (unique_id("mi-name"), unique_id("mi-rg"));
    view! {
        <section class="blade" aria-labelledby="mi-title">
            <div class="blade-head"><h1 id="mi-title">"Managed identities"</h1><span class="muted">"User assigned"</span></div>
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            <h2 class="section-title">"Create a user assigned managed identity"</h2>
            // Identities are created and deleted at the instance's level of management.
            <Guard denied=refusal(Permission::Manage, || "/".to_owned())><div class="inline-form">
                <div class="field">
                    <label for=id_name.clone()>"Identity name"</label>
                    <input id=id_name type="text" autocomplete="off" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for=id_rg.clone()>"Resource group"</label>
                    <select id=id_rg on:change=move |ev| rg.set(event_target_value(&ev))>
                        {move || subscription.get().and_then(|r| r.ok()).map(|s| s.resource_groups).unwrap_or_default().into_iter().map(|g| {
                            let n = g.name.clone();
                            view! { <option value=g.name.clone() selected=move || rg.get() == n>{g.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <button type="button" class="primary" disabled=move || name.get().trim().is_empty() on:click=move |_| {
                    let (n, g) = (name.get_untracked().trim().to_string(), rg.get_untracked());
                    name.set(String::new());
                    change.run("Managed identity created", move |b| async move { b.create_identity(&n, &g).await });
                }>"Create"</button>
            </div></Guard>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || identities.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No user-assigned identities."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="grid">
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Resource group"</th><th scope="col">"Principal ID"</th><th scope="col">"Tenant"</th><th scope="col">"Actions"</th></tr></thead>
                            <tbody>
                                <For each=move || list.clone() key=|i| i.id.clone() children=move |i| {
                                    let id = i.id.clone();
                                    view! {
                                        <tr>
                                            <td>{i.name.clone()}</td>
                                            <td>{i.resource_group.clone()}</td>
                                            <td class="mono">{i.principal_id.clone()}</td>
                                            <td class="mono">{i.tenant_id.clone()}</td>
                                            <td><button type="button" aria-label=format!("Delete identity {}", i.name) on:click=move |_| {
                                                let id = id.clone();
                                                change.run("Managed identity deleted", move |b| async move { b.delete_identity(&id).await });
                                            }>"Delete"</button></td>
                                        </tr>
                                    }
                                } />
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
