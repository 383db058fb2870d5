//! Troubleshoot: the whole error-code catalog, searchable.

use leptos::prelude::*;

use crate::{
    components::{error_panel::ErrorPanel, form::unique_id},
    context::set_crumbs,
    hooks::use_query,
};

#[component]
pub fn TroubleshootBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Troubleshoot", "/troubleshoot")]);
    let catalog = use_query(|| (), |b, ()| async move { b.catalog().await });
    let query = RwSignal::new(String::new());
    let id_search = unique_id("ts-search");
    view! {
        <section class="blade" aria-labelledby="ts-title">
            <div class="blade-head"><h1 id="ts-title">"Troubleshoot"</h1><span class="muted">"Error codes of the encryption settings and the key procedures"</span></div>
            <div class="field search">
                <label for=id_search.clone()>"Search error codes"</label>
                <input id=id_search type="search" placeholder="Code, details or remediation"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
            </div>
            {move || catalog.get().map(|r| match r {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(list) => {
                    let filtered = Memo::new(move |_| {
                        let q = query.get().to_lowercase();
                        list.iter().filter(|e| q.is_empty()
                            || e.code_str.to_lowercase().contains(&q)
                            || e.details.to_lowercase().contains(&q)
                            || e.remediation.iter().any(|s| s.to_lowercase().contains(&q))).cloned().collect::<Vec<_>>()
                    });
                    view! {
                        <p class="muted" role="status">{move || format!("{} error codes", filtered.read().len())}</p>
                        <table class="grid catalog">
                            <thead><tr><th scope="col">"Error code"</th><th scope="col">"Error details"</th><th scope="col">"Recoverable?"</th><th scope="col">"Remediation"</th></tr></thead>
                            <tbody>
                                <For each=move || filtered.get() key=|e| e.code_str.clone() children=move |e| view! {
                                    <tr>
                                        <td class="mono code-cell">{e.code_str.clone()}</td>
                                        <td>{e.details.clone()}</td>
                                        <td>{e.recoverable.clone()}</td>
                                        <td><ol>{e.remediation.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ol></td>
                                    </tr>
                                } />
                            </tbody>
                        </table>
                    }.into_any()
                }
            })}
        </section>
    }
}
