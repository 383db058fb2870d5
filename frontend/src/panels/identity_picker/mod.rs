//! "Select a user identity": the subscription's user-assigned identities -> Select.
//! Identities cannot be created here (only in the Managed identities blade).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::{error_panel::ErrorPanel, form::unique_id, side_sheet::SideSheet},
    hooks::use_query,
};

#[component]
pub fn IdentityPicker(
    /// The currently chosen identity id, preselected.
    current: Option<String>,
    #[prop(into)] on_select: Callback<String>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let identities = use_query(|| (), |b, ()| async move { b.identities().await });
    let chosen = RwSignal::new(current);
    let group = unique_id("identity");
    view! {
        <SideSheet title="Select user assigned managed identity" on_close=on_close>
            <div class="sheet-body">
                <p class="muted">"You can't create a new user identity here. Create one in "
                    <A href="/identities">"Managed identities"</A>"."</p>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || identities.get().map(|r| match r {
                        Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No user-assigned identities in this subscription."</p> }.into_any(),
                        Ok(list) => {
                            let group = group.clone();
                            view! {
                                <fieldset class="group list-radios">
                                    <legend>"User assigned managed identities"</legend>
                                    <For each=move || list.clone() key=|i| i.id.clone() children=move |i| {
                                        let id = unique_id("identity-opt");
                                        let value = i.id.clone();
                                        let value2 = i.id.clone();
                                        view! {
                                            <div class="radio-row">
                                                <input type="radio" name=group.clone() id=id.clone()
                                                    prop:checked=move || chosen.get().as_deref() == Some(value.as_str())
                                                    on:change=move |_| chosen.set(Some(value2.clone())) />
                                                <div>
                                                    <label for=id class="strong">{i.name.clone()}</label>
                                                    <div class="muted">{format!("{} · principal {}", i.resource_group, i.principal_id)}</div>
                                                </div>
                                            </div>
                                        }
                                    } />
                                </fieldset>
                            }.into_any()
                        }
                    })}
                </Suspense>
            </div>
            <div class="sheet-footer">
                <button type="button" class="primary" disabled=move || chosen.get().is_none()
                    on:click=move |_| if let Some(id) = chosen.get_untracked() { on_select.run(id) }>"Select"</button>
                <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </SideSheet>
    }
}
