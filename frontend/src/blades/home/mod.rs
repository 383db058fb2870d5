//! Home: the subscription's Data Box orders.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{components::error_panel::ErrorPanel, context::set_crumbs, hooks::use_query};

#[component]
pub fn Home() -> impl IntoView {
    set_crumbs(&[("Home", "/")]);
    let orders = use_query(|| (), |b, ()| async move { b.orders().await });
    view! {
        <section class="blade" aria-labelledby="home-title">
            <h1 id="home-title">"Data Box orders"</h1>
            <p class="muted">"Manage the encryption of your Data Box orders."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || orders.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(list) => view! {
                        <table class="grid">
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Status"</th><th scope="col">"Encryption type"</th></tr></thead>
                            <tbody>
                                <For each=move || list.clone() key=|o| o.id.clone() children=move |o| view! {
                                    <tr>
                                        <td><A href=format!("/orders/{}", o.id)>{o.name.clone()}</A></td>
                                        <td>{o.phase.label()}</td>
                                        <td>{crate::blades::encryption::type_label(&o.encryption)}</td>
                                    </tr>
                                } />
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
