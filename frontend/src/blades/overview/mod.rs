//! The order's Overview: name, status, encryption type and the Device password action.

use crate::{access::refusal, components::guard::Guard};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};
use shared::model::Action as Permission;

use crate::{
    api::ApiError,
    components::error_panel::ErrorPanel,
    context::{set_crumbs_owned, use_backend},
    hooks::use_query,
};

#[component]
pub fn OverviewBlade() -> impl IntoView {
    let params = use_params_map();
    let order_id = move || params.read().get("order").unwrap_or_default();
    let backend = use_backend();
    let order = use_query(order_id, |b, id| async move { b.order(&id).await });
    Effect::new(move |_| {
        let name = order.get().and_then(|r| r.ok()).map(|o| o.name).unwrap_or_else(|| "Order".into());
        set_crumbs_owned(vec![("Home".into(), "/".into()), (name, format!("/orders/{}", order_id()))]);
    });
    let password = RwSignal::new(None::<Result<String, ApiError>>);
    let fetching = RwSignal::new(false);
    let fetch_password = Callback::new(move |()| {
        let backend = backend.clone();
        fetching.set(true);
        password.set(None);
        let id = order_id();
        leptos::task::spawn_local(async move {
            password.set(Some(backend.device_password(&id).await));
            fetching.set(false);
        });
    });
    view! {
        <section class="blade" aria-labelledby="overview-title">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || order.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(o) => view! {
                        <div class="blade-head">
                            <h1 id="overview-title">{o.name.clone()}</h1>
                            <span class="muted">"Data Box order | Overview"</span>
                        </div>
                        <div class="toolbar" role="toolbar" aria-label="Order actions">
                            // The device password is released key material: it needs Use where the order is.
                            <Guard denied=refusal(Permission::Use, { let rg = o.resource_group.clone(); move || format!("/resourceGroups/{rg}") })>
                                <button type="button" on:click=move |_| fetch_password.run(()) disabled=move || fetching.get()>
                                    <span aria-hidden="true" class="tb-icon icon-key"></span>"Device password"
                                </button>
                            </Guard>
                        </div>
                        <dl class="essentials">
                            <dt>"Order name"</dt><dd>{o.name.clone()}</dd>
                            <dt>"Status"</dt><dd>{o.phase.label()}</dd>
                            <dt>"Resource group"</dt><dd>{o.resource_group.clone()}</dd>
                            <dt>"Encryption type"</dt>
                            <dd>{crate::blades::encryption::type_label(&o.encryption)}" "
                                <A href=format!("/orders/{}/encryption", o.id)>"Change"</A></dd>
                            {o.encryption.customer_key().map(|k| view! {
                                <dt>"Key URL"</dt><dd class="mono">{k.key_url.clone()}</dd>
                            })}
                        </dl>
                    }.into_any(),
                })}
            </Suspense>
            <div class="device-password" aria-live="polite">
                {move || fetching.get().then(|| view! { <p class="loading" role="status">"Fetching the device password…"</p> })}
                {move || password.get().map(|r| match r {
                    Ok(p) => view! {
                        <div class="callout success" role="status">
                            <span>"Device password: "</span>
                            <code class="passkey">{p}</code>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e on_retry=fetch_password /> }.into_any(),
                })}
            </div>
        </section>
    }
}
