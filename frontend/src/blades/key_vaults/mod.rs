//! Key vaults: list and create, one vault's properties / access policies / networking / keys,
//! a key's versions, and deleted vaults.

mod deleted;
mod key_detail;
mod rotation;
mod vault;

use crate::{access::refusal, components::guard::Guard};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::model::Action as Permission;

pub use deleted::DeletedVaultsBlade;
pub use key_detail::KeyDetailBlade;
pub use vault::VaultBlade;

use crate::{
    components::error_panel::ErrorPanel, context::set_crumbs, hooks::use_query,
    panels::create_vault::CreateVaultPanel,
};

pub fn yes_no(b: bool) -> &'static str {
    if b { "Enabled" } else { "Disabled" }
}

#[component]
pub fn KeyVaultsBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Key vaults", "/vaults")]);
    let vaults = use_query(|| (), |b, ()| async move { b.vaults().await });
    let creating = RwSignal::new(false);
    view! {
        <section class="blade" aria-labelledby="kv-title">
            <div class="blade-head"><h1 id="kv-title">"Key vaults"</h1></div>
            <div class="toolbar" role="toolbar" aria-label="Key vault actions">
                <Guard denied=refusal(Permission::Manage, || "/".to_owned())>
                    <button type="button" on:click=move |_| creating.set(true)><span aria-hidden="true" class="tb-icon icon-add"></span>"Create"</button>
                </Guard>
                <A href="/deleted-vaults" attr:class="toolbar-link">"Manage deleted vaults"</A>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || vaults.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No key vaults yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="grid">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Resource group"</th><th scope="col">"Region"</th>
                                <th scope="col">"Soft delete"</th><th scope="col">"Purge protection"</th><th scope="col">"Firewall"</th>
                            </tr></thead>
                            <tbody>
                                <For each=move || list.clone() key=|v| (v.name.clone(), v.soft_delete, v.purge_protection, v.firewall.enabled) children=move |v| view! {
                                    <tr>
                                        <td><A href=format!("/vaults/{}", v.name)>{v.name.clone()}</A></td>
                                        <td>{v.resource_group.clone()}</td>
                                        <td>{v.region.clone()}</td>
                                        <td>{yes_no(v.soft_delete)}</td>
                                        <td>{yes_no(v.purge_protection)}</td>
                                        <td>{if v.firewall.enabled { "On" } else { "Off" }}</td>
                                    </tr>
                                } />
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </section>
        <Show when=move || creating.get()>
            <CreateVaultPanel on_created=move |_| creating.set(false) on_close=move |()| creating.set(false) />
        </Show>
    }
}
