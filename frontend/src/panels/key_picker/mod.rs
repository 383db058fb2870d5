//! "Select key from Azure Key Vault": Subscription (read-only), Key vault, Key, Version — each
//! with "Create new" — then "Select".

use leptos::{html, prelude::*};

use crate::{
    api::{KeyView, VersionStatus},
    components::{
        error_panel::ErrorPanel,
        form::{date_time, unique_id},
        side_sheet::SideSheet,
    },
    hooks::use_query,
    panels::{
        KeyRef, create_key::CreateKeyPanel, create_vault::CreateVaultPanel,
        create_version::CreateVersionPanel,
    },
};

#[derive(Clone, Copy, PartialEq)]
enum Sub {
    None,
    Vault,
    Key,
    Version,
}

#[component]
pub fn KeyPicker(
    #[prop(into)] on_select: Callback<KeyRef>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let subscription = use_query(|| (), |b, ()| async move { b.subscription().await });
    let vaults = use_query(|| (), |b, ()| async move { b.vaults().await });
    let vault = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let version = RwSignal::new(String::new());
    let keys = use_query(
        move || vault.get(),
        |b, v| async move { if v.is_empty() { Ok(vec![]) } else { b.keys(&v).await } },
    );
    let selected_key = move || -> Option<KeyView> {
        let k = key.get();
        keys.get().and_then(|r| r.ok()).and_then(|list| list.into_iter().find(|x| x.name == k))
    };
    let sub = RwSignal::new(Sub::None);
    let ids =
        (unique_id("pick-sub"), unique_id("pick-vault"), unique_id("pick-key"), unique_id("pick-version"));
    let (id_sub, id_vault, id_key, id_version) = ids;
    let ready = move || !vault.get().is_empty() && !key.get().is_empty() && !version.get().is_empty();
    let choose_key = move |name: String| {
        key.set(name);
        version.set(String::new());
    };
    // When a key is chosen (or reloads), default to its newest version.
    Effect::new(move |_| {
        if let Some(k) = selected_key()
            && (version.get_untracked().is_empty()
                || !k.versions.iter().any(|v| v.id == version.get_untracked()))
            && let Some(last) = k.versions.last()
        {
            version.set(last.id.clone());
        }
    });
    // Keep each dropdown showing its signal even when its options are re-rendered after the
    // value changed (e.g. a version created in a sub-panel appears after a refetch).
    let (vault_ref, key_ref, version_ref) =
        (NodeRef::<html::Select>::new(), NodeRef::<html::Select>::new(), NodeRef::<html::Select>::new());
    for (node, value) in [(vault_ref, vault), (key_ref, key), (version_ref, version)] {
        Effect::new(move |_| {
            let wanted = value.get();
            vaults.track();
            keys.track();
            request_animation_frame(move || {
                // The picker may have closed before the next frame.
                if let Some(el) = node.try_get_untracked().flatten()
                    && el.value() != wanted
                {
                    el.set_value(&wanted);
                }
            });
        });
    }
    let select = move |_| {
        if ready() {
            on_select.run(KeyRef {
                vault: vault.get_untracked(),
                key: key.get_untracked(),
                version: version.get_untracked(),
            });
        }
    };
    view! {
        <SideSheet title="Select key from Azure Key Vault" on_close=on_close>
            <div class="sheet-body">
                <div class="field">
                    <label for=id_sub.clone()>"Subscription"</label>
                    <input id=id_sub type="text" readonly
                        prop:value=move || subscription.get().and_then(|r| r.ok()).map(|s| s.name).unwrap_or_default() />
                </div>
                <div class="field">
                    <label for=id_vault.clone()>"Key vault"</label>
                    <select id=id_vault.clone() node_ref=vault_ref prop:value=move || vault.get()
                        on:change=move |ev| { vault.set(event_target_value(&ev)); key.set(String::new()); version.set(String::new()); }>
                        <option value="" selected=move || vault.get().is_empty()>"Select a key vault"</option>
                        {move || vaults.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().map(|v| {
                            let name = v.name.clone();
                            let name2 = v.name.clone();
                            view! { <option value=name selected=move || vault.get() == name2>{v.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <button type="button" class="link" aria-label="Create new key vault" on:click=move |_| sub.set(Sub::Vault)>"Create new"</button>
                    {move || vaults.get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel error=e /> })}
                </div>
                <div class="field">
                    <label for=id_key.clone()>"Key"</label>
                    <select id=id_key.clone() node_ref=key_ref disabled=move || vault.get().is_empty() prop:value=move || key.get()
                        on:change=move |ev| choose_key(event_target_value(&ev))>
                        <option value="" selected=move || key.get().is_empty()>"Select a key"</option>
                        {move || keys.get().and_then(|r| r.ok()).unwrap_or_default().into_iter().map(|k| {
                            let name = k.name.clone();
                            let name2 = k.name.clone();
                            let label = if k.key_type.is_rsa() { k.name.clone() } else { format!("{} ({})", k.name, k.key_type.label()) };
                            view! { <option value=name selected=move || key.get() == name2>{label}</option> }
                        }).collect_view()}
                    </select>
                    <button type="button" class="link" aria-label="Create new key" disabled=move || vault.get().is_empty()
                        on:click=move |_| sub.set(Sub::Key)>"Create new"</button>
                    {move || keys.get().and_then(|r| r.err()).map(|e| view! { <ErrorPanel error=e /> })}
                </div>
                <div class="field">
                    <label for=id_version.clone()>"Version"</label>
                    <select id=id_version.clone() node_ref=version_ref disabled=move || key.get().is_empty() prop:value=move || version.get()
                        on:change=move |ev| version.set(event_target_value(&ev))>
                        <option value="" selected=move || version.get().is_empty()>"Select a version"</option>
                        {move || {
                            let list = selected_key().map(|k| k.versions).unwrap_or_default();
                            let newest = list.last().map(|v| v.id.clone());
                            list.into_iter().rev().map(|v| {
                                let mut label = v.id.clone();
                                let mut notes = vec![];
                                if Some(&v.id) == newest.as_ref() { notes.push("current version".to_string()); }
                                match v.status {
                                    VersionStatus::Enabled => {}
                                    status => notes.push(status.label().to_lowercase()),
                                }
                                if let (VersionStatus::Enabled | VersionStatus::NotYetActive, Some(e)) = (v.status, v.exp) {
                                    notes.push(format!("expires {}", date_time(e)));
                                }
                                if !notes.is_empty() { label = format!("{label} ({})", notes.join(", ")); }
                                let id = v.id.clone();
                                let id2 = v.id.clone();
                                view! { <option value=id selected=move || version.get() == id2>{label}</option> }
                            }).collect_view()
                        }}
                    </select>
                    <button type="button" class="link" aria-label="Create new version" disabled=move || key.get().is_empty()
                        on:click=move |_| sub.set(Sub::Version)>"Create new"</button>
                </div>
                <p class="hint">"The key must be an RSA key of 2048 bits or more in a key vault with soft delete and purge protection."</p>
            </div>
            <div class="sheet-footer">
                <button type="button" class="primary" disabled=move || !ready() on:click=select>"Select"</button>
                <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </SideSheet>
        {move || match sub.get() {
            Sub::None => None,
            Sub::Vault => Some(view! {
                <CreateVaultPanel level=1
                    on_created=move |name: String| { vault.set(name); key.set(String::new()); version.set(String::new()); sub.set(Sub::None); }
                    on_close=move |()| sub.set(Sub::None) />
            }.into_any()),
            Sub::Key => Some(view! {
                <CreateKeyPanel vault=vault.get_untracked() level=1
                    on_created=move |(k, v): (String, String)| { key.set(k); version.set(v); sub.set(Sub::None); }
                    on_close=move |()| sub.set(Sub::None) />
            }.into_any()),
            Sub::Version => untrack(selected_key).map(|k| view! {
                <CreateVersionPanel vault=vault.get_untracked() key=k level=1
                    on_created=move |v: String| { version.set(v); sub.set(Sub::None); }
                    on_close=move |()| sub.set(Sub::None) />
            }.into_any()),
        }}
    }
}
