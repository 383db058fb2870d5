//! One key: its versions with enable/disable, expiry, and new versions; delete the key.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{ApiError, KeyView, VersionAttributes},
    components::{
        error_panel::ErrorPanel,
        form::{date_in_days, date_time, date_value, parse_date, unique_id},
    },
    context::set_crumbs_owned,
    hooks::use_change,
    hooks::use_query,
    panels::create_version::CreateVersionPanel,
};

#[component]
pub fn KeyDetailBlade() -> impl IntoView {
    let params = use_params_map();
    let vault = move || params.read().get("vault").unwrap_or_default();
    let key = move || params.read().get("key").unwrap_or_default();
    let keys = use_query(vault, |b, v| async move { b.keys(&v).await });
    Effect::new(move |_| {
        let (v, k) = (vault(), key());
        set_crumbs_owned(vec![
            ("Home".into(), "/".into()),
            ("Key vaults".into(), "/vaults".into()),
            (v.clone(), format!("/vaults/{v}")),
            (k.clone(), format!("/vaults/{v}/keys/{k}")),
        ]);
    });
    let this_key = move || -> Option<Result<Option<KeyView>, ApiError>> {
        keys.get().map(|r| r.map(|list| list.into_iter().find(|k| k.name == key())))
    };
    let error = RwSignal::new(None::<ApiError>);
    let change = use_change(error);
    let new_version = RwSignal::new(false);
    view! {
        <section class="blade" aria-labelledby="key-title">
            <div class="blade-head"><h1 id="key-title">{key}</h1><span class="muted">"Key"</span></div>
            <div class="toolbar" role="toolbar" aria-label="Key actions">
                <button type="button" on:click=move |_| new_version.set(true)><span aria-hidden="true" class="tb-icon icon-add"></span>"New version"</button>
                <button type="button" on:click=move |_| { let (v, k) = (vault(), key()); change.run("Key deleted", move |b| async move { b.delete_key(&v, &k).await }) }>
                    <span aria-hidden="true" class="tb-icon icon-delete"></span>"Delete"</button>
            </div>
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            {move || match this_key() {
                None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <ErrorPanel error=e /> }.into_any(),
                Some(Ok(None)) => view! { <p class="empty">"This key does not exist or is deleted. Deleted keys can be recovered from the key vault's Keys tab."</p> }.into_any(),
                Some(Ok(Some(k))) => {
                    let versions: Vec<_> = k.versions.iter().cloned().rev().collect();
                    view! {
                        <dl class="essentials"><dt>"Key type"</dt><dd>{k.key_type.label()}</dd><dt>"Size"</dt><dd>{k.size}</dd></dl>
                        <table class="grid versions">
                            <thead><tr><th scope="col">"Version"</th><th scope="col">"Status"</th><th scope="col">"Activation date"</th><th scope="col">"Expiration date"</th><th scope="col">"Created"</th><th scope="col">"Actions"</th></tr></thead>
                            <tbody>
                                <For each=move || versions.clone() key=|v| (v.id.clone(), v.enabled, v.exp, v.status) children=move |ver| {
                                    let (v1, k1, id1) = (vault(), key(), ver.id.clone());
                                    let (v2, k2, id2) = (vault(), key(), ver.id.clone());
                                    let (v3, k3, id3) = (vault(), key(), ver.id.clone());
                                    let status = ver.status.label();
                                    let exp_id = unique_id("ver-exp");
                                    let exp_value = RwSignal::new(ver.exp.map(date_value).unwrap_or_else(|| date_in_days(365)));
                                    let short = ver.id.chars().take(8).collect::<String>();
                                    let enabled = ver.enabled;
                                    let attrs = VersionAttributes { enabled: ver.enabled, nbf: ver.nbf, exp: ver.exp };
                                    let (a1, a2, a3) = (attrs.clone(), attrs.clone(), attrs);
                                    view! {
                                        <tr>
                                            <td class="mono" title=ver.id.clone()>{ver.id.clone()}</td>
                                            <td class=format!("status-{}", status.to_lowercase())>{status}</td>
                                            <td>{ver.nbf.map(date_time).unwrap_or_else(|| "—".into())}</td>
                                            <td>{ver.exp.map(date_time).unwrap_or_else(|| "—".into())}</td>
                                            <td>{date_time(ver.created)}</td>
                                            <td class="actions">
                                                <button type="button" aria-label=format!("{} version {short}", if enabled { "Disable" } else { "Enable" }) on:click=move |_| {
                                                    let (v, k, id, a1) = (v1.clone(), k1.clone(), id1.clone(), a1.clone());
                                                    change.run(if enabled { "Version disabled" } else { "Version enabled" }, move |b| async move {
                                                        b.update_version(&v, &k, &id, &VersionAttributes { enabled: !enabled, ..a1 }).await
                                                    });
                                                }>{if enabled { "Disable" } else { "Enable" }}</button>
                                                <label for=exp_id.clone() class="visually-hidden">{format!("Expiration date of version {short}")}</label>
                                                <input id=exp_id type="date" class="compact" prop:value=move || exp_value.get() on:input=move |ev| exp_value.set(event_target_value(&ev)) />
                                                <button type="button" aria-label=format!("Set expiry of version {short}") on:click=move |_| {
                                                    let (v, k, id, a2) = (v2.clone(), k2.clone(), id2.clone(), a2.clone());
                                                    let exp = parse_date(&exp_value.get_untracked());
                                                    change.run("Expiration date updated", move |b| async move {
                                                        b.update_version(&v, &k, &id, &VersionAttributes { exp, ..a2 }).await
                                                    });
                                                }>"Set expiry"</button>
                                                <button type="button" aria-label=format!("Clear expiry of version {short}") on:click=move |_| {
                                                    let (v, k, id, a3) = (v3.clone(), k3.clone(), id3.clone(), a3.clone());
                                                    change.run("Expiration date cleared", move |b| async move {
                                                        b.update_version(&v, &k, &id, &VersionAttributes { exp: None, ..a3 }).await
                                                    });
                                                }>"Clear expiry"</button>
                                            </td>
                                        </tr>
                                    }
                                } />
                            </tbody>
                        </table>
                        <Show when=move || new_version.get()>
                            <CreateVersionPanel vault=vault() key=k.clone() on_created=move |_| new_version.set(false) on_close=move |()| new_version.set(false) />
                        </Show>
                    }.into_any()
                }
            }}
        </section>
    }
}
