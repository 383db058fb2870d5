//! Deleted (soft-deleted) key vaults: Recover or Purge.

use leptos::prelude::*;

use crate::{
    api::ApiError,
    components::{
        error_panel::ErrorPanel,
        form::date_time,
        notifications::{NoteKind, use_notifier},
    },
    context::{set_crumbs, use_backend, use_refresh},
    hooks::use_query,
};

#[component]
pub fn DeletedVaultsBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Key vaults", "/vaults"), ("Deleted key vaults", "/deleted-vaults")]);
    let backend = use_backend();
    let refresh = use_refresh();
    let notifier = use_notifier();
    let vaults = use_query(|| (), |b, ()| async move { b.deleted_vaults().await });
    let error = RwSignal::new(None::<ApiError>);
    let act = move |name: String, purge: bool| {
        let backend = backend.clone();
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = if purge {
                backend.purge_vault(&name).await
            } else {
                backend.recover_vault(&name).await.map(|_| ())
            };
            match result {
                Ok(()) => {
                    notifier.push(
                        NoteKind::Success,
                        if purge { "Key vault purged" } else { "Key vault recovered" },
                        format!("Key vault '{name}'."),
                    );
                    refresh.bump();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="blade" aria-labelledby="dkv-title">
            <div class="blade-head"><h1 id="dkv-title">"Deleted key vaults"</h1></div>
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || vaults.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No deleted key vaults."</p> }.into_any(),
                    Ok(list) => {
                        let act = act.clone();
                        view! {
                            <table class="grid">
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Deleted"</th><th scope="col">"Scheduled purge"</th><th scope="col">"Purge protection"</th><th scope="col">"Actions"</th></tr></thead>
                                <tbody>
                                    <For each=move || list.clone() key=|v| v.name.clone() children=move |v| {
                                        let (a, b) = (act.clone(), act.clone());
                                        let (n1, n2) = (v.name.clone(), v.name.clone());
                                        view! {
                                            <tr>
                                                <td>{v.name.clone()}</td>
                                                <td>{v.deleted_at.map(date_time).unwrap_or_default()}</td>
                                                <td>{v.scheduled_purge.map(date_time).unwrap_or_default()}</td>
                                                <td>{super::yes_no(v.purge_protection)}</td>
                                                <td class="actions">
                                                    <button type="button" aria-label=format!("Recover {}", v.name) on:click=move |_| a(n1.clone(), false)>"Recover"</button>
                                                    <button type="button" aria-label=format!("Purge {}", v.name) on:click=move |_| b(n2.clone(), true)>"Purge"</button>
                                                </td>
                                            </tr>
                                        }
                                    } />
                                </tbody>
                            </table>
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}
