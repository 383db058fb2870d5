//! The subscription: its tenant, "Move to another tenant" and the move back.

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
pub fn SubscriptionBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Subscription", "/subscription")]);
    let subscription = use_query(|| (), |b, ()| async move { b.subscription().await });
    let error = RwSignal::new(None::<ApiError>);
    let change = use_change(error);
    let target = RwSignal::new(String::new());
    let id_target = unique_id("sub-tenant");
    view! {
        <section class="blade" aria-labelledby="sub-title">
            <div class="blade-head"><h1 id="sub-title">"Subscription"</h1></div>
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            {move || subscription.get().map(|r| match r {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(s) => {
                    let others: Vec<_> = s.tenants.iter().filter(|t| t.id != s.tenant_id).cloned().collect();
                    if target.get_untracked().is_empty() || !others.iter().any(|t| t.id == target.get_untracked()) {
                        target.set(others.first().map(|t| t.id.clone()).unwrap_or_default());
                    }
                    let original = s.original_tenant_id.clone();
                    let sub_id = s.id.clone();
                    let sub_id2 = s.id.clone();
                    let scope = format!("/subscriptions/{}", s.id);
                    let original_name = s.tenant_name(&original);
                    let id_target = id_target.clone();
                    view! {
                        <dl class="essentials">
                            <dt>"Subscription name"</dt><dd>{s.name.clone()}</dd>
                            <dt>"Subscription ID"</dt><dd class="mono">{s.id.clone()}</dd>
                            <dt>"Directory (tenant)"</dt><dd class="sub-tenant">{s.tenant_name(&s.tenant_id)}" "<span class="mono muted">{s.tenant_id.clone()}</span></dd>
                            <dt>"Original tenant"</dt><dd>{original_name.clone()}</dd>
                        </dl>
                        {s.moved().then(|| view! {
                            <div class="callout warning" role="note">"The subscription was moved to another tenant. Key vaults and identities stay in their old tenant, so customer-managed keys stop working until you move it back or set up identities in the new tenant."</div>
                        })}
                        <h2 class="section-title">"Move to another tenant"</h2>
                        <Guard denied=refusal(Permission::Manage, move || scope.clone())><div class="inline-form">
                            <div class="field">
                                <label for=id_target.clone()>"Target tenant"</label>
                                <select id=id_target on:change=move |ev| target.set(event_target_value(&ev))>
                                    {others.into_iter().map(|t| { let tid = t.id.clone(); view! { <option value=t.id.clone() selected=move || target.get() == tid>{t.name.clone()}</option> } }).collect_view()}
                                </select>
                            </div>
                            <button type="button" class="primary" disabled=move || target.get().is_empty() on:click=move |_| {
                                let (t, sid) = (target.get_untracked(), sub_id.clone());
                                change.run("Subscription moved", move |b| async move { b.move_subscription(&sid, &t).await });
                            }>"Move to another tenant"</button>
                            {s.moved().then(|| {
                                view! {
                                    <button type="button" on:click=move |_| {
                                        let sid = sub_id2.clone();
                                        change.run("Subscription moved back", move |b| async move { b.revert_subscription(&sid).await });
                                    }>{format!("Move back to {original_name}")}</button>
                                }
                            })}
                        </div></Guard>
                    }.into_any()
                }
            })}
        </section>
    }
}
