//! One key vault: Properties (soft delete, purge protection, retention), Access policies,
//! Networking (firewall) and Keys.

use crate::{access::refusal, components::guard::Guard};
use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map},
};
use shared::model::Action as Permission;
use shared::model::KeyPermission;

use crate::{
    api::{ApiError, Firewall, KeyView, VaultPatch, VaultView},
    components::{
        error_panel::ErrorPanel,
        form::{date_time, unique_id},
        notifications::{NoteKind, use_notifier},
    },
    context::{set_crumbs_owned, use_backend, use_refresh},
    hooks::use_change,
    hooks::use_query,
    panels::create_key::CreateKeyPanel,
};

/// Where the cloud SDKs reach this vault: its loopback address on the server's port. The offline
/// demo has no server to reach.
fn sdk_address(address: Option<&str>, offline: bool) -> String {
    match address {
        _ if offline => "Served by a Keyblade server, not the offline demo".to_owned(),
        None => "None: every address is taken".to_owned(),
        Some(address) => {
            let port = web_sys::window().and_then(|w| w.location().port().ok()).filter(|p| !p.is_empty());
            format!("https://{address}{}/", port.map(|p| format!(":{p}")).unwrap_or_default())
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Properties,
    AccessPolicies,
    Networking,
    Keys,
}

/// (principal id, readable name) of every identity that can appear in an access policy.
pub fn use_principals() -> LocalResource<Vec<(String, String)>> {
    let backend = use_backend();
    let refresh = use_refresh();
    LocalResource::new(move || {
        refresh.track();
        let backend = backend.clone();
        async move {
            let mut out = vec![];
            if let Ok(orders) = backend.orders().await {
                for o in orders {
                    if let Some(s) = o.system_identity {
                        out.push((s.principal_id, format!("{} (system assigned)", o.name)));
                    }
                }
            }
            if let Ok(ids) = backend.identities().await {
                for i in ids {
                    out.push((i.principal_id, format!("{} (user assigned)", i.name)));
                }
            }
            out
        }
    })
}

#[component]
pub fn VaultBlade() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("vault").unwrap_or_default();
    let vault = use_query(name, |b, n| async move { b.vault(&n).await });
    Effect::new(move |_| {
        let n = name();
        set_crumbs_owned(vec![
            ("Home".into(), "/".into()),
            ("Key vaults".into(), "/vaults".into()),
            (n.clone(), format!("/vaults/{n}")),
        ]);
    });
    let tab = RwSignal::new(Tab::Properties);
    let error = RwSignal::new(None::<ApiError>);
    let confirm_delete = RwSignal::new(false);
    let navigate = use_navigate();
    let delete = move |_| {
        let n = name();
        let navigate = navigate.clone();
        confirm_delete.set(false);
        let notifier = use_notifier();
        let refresh = use_refresh();
        let backend = use_backend();
        leptos::task::spawn_local(async move {
            match backend.delete_vault(&n).await {
                Ok(()) => {
                    notifier.push(
                        NoteKind::Success,
                        "Key vault deleted",
                        format!("Key vault '{n}' was deleted."),
                    );
                    refresh.bump();
                    navigate("/vaults", Default::default());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let tabs = [
        (Tab::Properties, "Properties"),
        (Tab::AccessPolicies, "Access policies"),
        (Tab::Networking, "Networking"),
        (Tab::Keys, "Keys"),
    ];
    let denied = refusal(Permission::Manage, move || format!("/vaults/{}", name()));
    view! {
        <section class="blade" aria-labelledby="vault-title">
            <div class="blade-head"><h1 id="vault-title">{name}</h1><span class="muted">"Key vault"</span></div>
            <Guard denied><div class="toolbar" role="toolbar" aria-label="Key vault actions">
                <button type="button" on:click=move |_| confirm_delete.set(true)><span aria-hidden="true" class="tb-icon icon-delete"></span>"Delete"</button>
            </div></Guard>
            <Show when=move || confirm_delete.get()>
                <div class="callout warning confirm" role="alertdialog" aria-label="Confirm delete">
                    {move || format!("Delete key vault '{}'? With soft delete it stays recoverable for its retention period.", name())}
                    <button type="button" class="danger" on:click=delete.clone()>"Confirm delete"</button>
                    <button type="button" on:click=move |_| confirm_delete.set(false)>"Cancel"</button>
                </div>
            </Show>
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            <div class="tabs" role="tablist" aria-label="Key vault sections">
                {tabs.into_iter().map(|(t, label)| view! {
                    <button type="button" role="tab" aria-selected=move || (tab.get() == t).to_string()
                        class:active=move || tab.get() == t on:click=move |_| tab.set(t)>{label}</button>
                }).collect_view()}
            </div>
            <div role="tabpanel" class="tabpanel"><Guard denied>
                {move || match vault.get() {
                    None => view! { <p class="loading">"Loading…"</p> }.into_any(),
                    Some(Err(e)) => view! { <ErrorPanel error=e /> }.into_any(),
                    Some(Ok(v)) => match tab.get() {
                        Tab::Properties => view! { <Properties vault=v error=error /> }.into_any(),
                        Tab::AccessPolicies => view! { <AccessPolicies vault=v error=error /> }.into_any(),
                        Tab::Networking => view! { <Networking vault=v error=error /> }.into_any(),
                        Tab::Keys => view! { <Keys vault=v error=error /> }.into_any(),
                    },
                }}
            </Guard></div>
        </section>
    }
}

#[component]
fn Properties(vault: VaultView, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let change = use_change(error);
    let name = vault.name.clone();
    let (n1, n2) = (name.clone(), name.clone());
    let days_id = unique_id("vault-days");
    let days = RwSignal::new(vault.retention_days.to_string());
    let n3 = name.clone();
    view! {
        <dl class="essentials">
            <dt>"Vault URI"</dt><dd class="mono">{if vault.uri.is_empty() { format!("https://{}.vault.azure.net/", vault.name) } else { vault.uri.clone() }}</dd>
            <dt>"SDK address"</dt><dd class="mono">{sdk_address(vault.data_plane_address.as_deref(), use_backend().is_offline())}</dd>
            <dt>"Resource group"</dt><dd>{vault.resource_group.clone()}</dd>
            <dt>"Region"</dt><dd>{vault.region.clone()}</dd>
            <dt>"Tenant"</dt><dd class="mono">{vault.tenant_id.clone()}</dd>
        </dl>
        <h2 class="section-title">"Recovery options"</h2>
        <div class="form-row">
            <span class="row-label">"Soft delete"</span>
            <div class="row-value">
                <span class="vault-soft-delete">{super::yes_no(vault.soft_delete)}</span>
                {(!vault.soft_delete).then(|| view! {
                    <button type="button" on:click=move |_| { let n = n1.clone(); change.run("Soft delete enabled", move |b| async move { b.update_vault(&n, &VaultPatch { soft_delete: Some(true), ..Default::default() }).await }) }>"Enable soft delete"</button>
                })}
            </div>
        </div>
        <div class="form-row">
            <span class="row-label">"Purge protection"</span>
            <div class="row-value">
                <span class="vault-purge-protection">{super::yes_no(vault.purge_protection)}</span>
                {if vault.purge_protection {
                    view! { <span class="hint">"Once enabled, purge protection cannot be turned off."</span> }.into_any()
                } else {
                    view! { <button type="button" on:click=move |_| { let n = n2.clone(); change.run("Purge protection enabled", move |b| async move { b.update_vault(&n, &VaultPatch { purge_protection: Some(true), ..Default::default() }).await }) }>"Enable purge protection"</button> }.into_any()
                }}
            </div>
        </div>
        {(!vault.soft_delete || !vault.purge_protection).then(|| view! {
            <div class="callout warning" role="note">"An order refuses this key vault until both Soft delete and Purge protection are enabled."</div>
        })}
        <div class="form-row">
            <label class="row-label" for=days_id.clone()>"Days to retain deleted vaults"</label>
            <div class="row-value">
                <input id=days_id type="number" min="7" max="90" prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev)) />
                <button type="button" on:click=move |_| {
                    let n = n3.clone();
                    if let Ok(d) = days.get_untracked().parse::<u16>() {
                        change.run("Retention updated", move |b| async move { b.update_vault(&n, &VaultPatch { retention_days: Some(d), ..Default::default() }).await })
                    }
                }>"Save retention"</button>
            </div>
        </div>
    }
}

#[component]
fn AccessPolicies(vault: VaultView, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let change = use_change(error);
    let principals = use_principals();
    let label_of = move |id: &str| {
        principals
            .get()
            .unwrap_or_default()
            .into_iter()
            .find(|(p, _)| p == id)
            .map(|(_, l)| l)
            .unwrap_or_else(|| id.to_string())
    };
    let vault_name = vault.name.clone();
    let policies: Vec<(String, Vec<KeyPermission>)> =
        vault.access_policies.iter().map(|(p, set)| (p.clone(), set.iter().copied().collect())).collect();
    let new_principal = RwSignal::new(String::new());
    let new_perms = RwSignal::new(KeyPermission::REQUIRED_FOR_ORDER.to_vec());
    let id_new = unique_id("ap-new");
    let vn_add = vault_name.clone();
    let existing: Vec<String> = policies.iter().map(|p| p.0.clone()).collect();
    view! {
        <p class="muted">"Key permissions per identity. An order's identity needs Get, WrapKey and UnwrapKey."</p>
        <table class="grid policies">
            <thead><tr>
                <th scope="col">"Identity"</th>
                {KeyPermission::ALL.iter().map(|p| view! { <th scope="col">{perm_label(*p)}</th> }).collect_view()}
                <th scope="col">"Actions"</th>
            </tr></thead>
            <tbody>
                <For each=move || policies.clone() key=|p| (p.0.clone(), format!("{:?}", p.1)) children=move |p| {
                    let principal = p.0.clone();
                    let vault_name = vault_name.clone();
                    let (pr, vn) = (principal.clone(), vault_name.clone());
                    view! {
                        <tr>
                            <th scope="row">{ let pr = principal.clone(); move || label_of(&pr) }</th>
                            {KeyPermission::ALL.iter().map(|perm| {
                                let perm = *perm;
                                let has = p.1.contains(&perm);
                                let current = p.1.clone();
                                let id = unique_id("ap");
                                let (pr, vn) = (principal.clone(), vault_name.clone());
                                let pr_label = principal.clone();
                                view! {
                                    <td>
                                        <input type="checkbox" id=id.clone() prop:checked=has on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let mut next: Vec<KeyPermission> = current.iter().copied().filter(|x| *x != perm).collect();
                                            if on { next.push(perm); }
                                            next.sort();
                                            let (pr, vn) = (pr.clone(), vn.clone());
                                            change.run("Access policy updated", move |b| async move { b.set_access_policy(&vn, &pr, &next).await });
                                        } />
                                        <label for=id class="visually-hidden">{ move || format!("{} for {}", perm_label(perm), label_of(&pr_label)) }</label>
                                    </td>
                                }
                            }).collect_view()}
                            <td><button type="button" on:click=move |_| {
                                let (pr, vn) = (pr.clone(), vn.clone());
                                change.run("Access policy removed", move |b| async move { b.set_access_policy(&vn, &pr, &[]).await });
                            }>"Remove"</button></td>
                        </tr>
                    }
                } />
            </tbody>
        </table>
        <h3 class="subsection-title">"Add access policy"</h3>
        <div class="field">
            <label for=id_new.clone()>"Identity"</label>
            <select id=id_new on:change=move |ev| new_principal.set(event_target_value(&ev))>
                <option value="">"Select an identity"</option>
                {move || principals.get().unwrap_or_default().into_iter().filter(|(p, _)| !existing.contains(p)).map(|(p, l)| view! { <option value=p>{l}</option> }).collect_view()}
            </select>
        </div>
        <fieldset class="group radios">
            <legend>"Key permissions"</legend>
            {KeyPermission::ALL.iter().map(|perm| {
                let perm = *perm;
                let id = unique_id("ap-new-perm");
                view! {
                    <span class="check inline">
                        <input type="checkbox" id=id.clone() prop:checked=move || new_perms.get().contains(&perm)
                            on:change=move |ev| { let on = event_target_checked(&ev); new_perms.update(|v| { v.retain(|x| *x != perm); if on { v.push(perm); v.sort(); } }); } />
                        <label for=id>{perm_label(perm)}</label>
                    </span>
                }
            }).collect_view()}
        </fieldset>
        <div class="button-row">
            <button type="button" class="primary" disabled=move || new_principal.get().is_empty() on:click=move |_| {
                let (pr, vn, perms) = (new_principal.get_untracked(), vn_add.clone(), new_perms.get_untracked());
                change.run("Access policy added", move |b| async move { b.set_access_policy(&vn, &pr, &perms).await });
            }>"Add"</button>
        </div>
    }
}

pub fn perm_label(p: KeyPermission) -> &'static str {
    match p {
        KeyPermission::Get => "Get",
        KeyPermission::List => "List",
        KeyPermission::Create => "Create",
        KeyPermission::WrapKey => "WrapKey",
        KeyPermission::UnwrapKey => "UnwrapKey",
        KeyPermission::Delete => "Delete",
        KeyPermission::Recover => "Recover",
        KeyPermission::Purge => "Purge",
    }
}

#[component]
fn Networking(vault: VaultView, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let change = use_change(error);
    let principals = use_principals();
    let enabled = RwSignal::new(vault.firewall.enabled);
    let allowed = RwSignal::new(vault.firewall.allowed_identities.iter().cloned().collect::<Vec<_>>());
    let name = vault.name.clone();
    let original = vault.firewall.clone();
    let id_fw = unique_id("fw");
    let changed = move || {
        enabled.get() != original.enabled
            || allowed.get().into_iter().collect::<std::collections::BTreeSet<_>>()
                != original.allowed_identities
    };
    view! {
        <h2 class="section-title">"Firewalls and virtual networks"</h2>
        <div class="check">
            <input id=id_fw.clone() type="checkbox" prop:checked=move || enabled.get() on:change=move |ev| enabled.set(event_target_checked(&ev)) />
            <label for=id_fw>"Enable firewall"</label>
        </div>
        <p class="hint">"With the firewall on, only trusted services (an order's system-assigned identity) and the identities allowed below can reach the vault."</p>
        <fieldset class="group" disabled=move || !enabled.get()>
            <legend>"Allowed identities"</legend>
            {move || principals.get().unwrap_or_default().into_iter().map(|(p, l)| {
                let id = unique_id("fw-allow");
                let (p1, p2) = (p.clone(), p.clone());
                view! {
                    <div class="check">
                        <input type="checkbox" id=id.clone() prop:checked=move || allowed.get().contains(&p1)
                            on:change=move |ev| { let on = event_target_checked(&ev); let p = p2.clone(); allowed.update(|a| { a.retain(|x| *x != p); if on { a.push(p); } }); } />
                        <label for=id>{l}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
        <div class="button-row">
            <button type="button" class="primary" disabled=move || !changed() on:click=move |_| {
                let n = name.clone();
                let fw = Firewall { enabled: enabled.get_untracked(), allowed_identities: allowed.get_untracked().into_iter().collect() };
                change.run("Networking saved", move |b| async move { b.set_firewall(&n, &fw).await });
            }>"Apply"</button>
        </div>
    }
}

#[component]
fn Keys(vault: VaultView, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let change = use_change(error);
    let name = vault.name.clone();
    let keys = {
        let name = name.clone();
        use_query(move || name.clone(), |b, name| async move { b.keys(&name).await })
    };
    let deleted = {
        let name = name.clone();
        use_query(move || name.clone(), |b, name| async move { b.deleted_keys(&name).await })
    };
    let creating = RwSignal::new(false);
    let vault_for_panel = name.clone();
    let (n_del, n_rec) = (name.clone(), name.clone());
    view! {
        <div class="toolbar" role="toolbar" aria-label="Key actions">
            <button type="button" on:click=move |_| creating.set(true)><span aria-hidden="true" class="tb-icon icon-add"></span>"Generate/Import"</button>
        </div>
        {move || keys.get().map(|r| match r {
            Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
            Ok(list) if list.is_empty() => view! { <p class="empty">"No keys in this vault."</p> }.into_any(),
            Ok(list) => {
                let vault = n_del.clone();
                view! {
                    <table class="grid">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Type"</th><th scope="col">"Size"</th><th scope="col">"Versions"</th><th scope="col">"Last rotated"</th><th scope="col">"Actions"</th></tr></thead>
                        <tbody>
                            <For each=move || list.clone() key=|k: &KeyView| (k.name.clone(), k.versions.len(), k.last_rotated) children=move |k| {
                                let vault = vault.clone();
                                let kn = k.name.clone();
                                let delete_label = format!("Delete key {}", k.name);
                                view! {
                                    <tr>
                                        <td><A href=format!("/vaults/{}/keys/{}", vault, k.name)>{k.name.clone()}</A></td>
                                        <td>{k.key_type.label()}</td>
                                        <td>{k.size}</td>
                                        <td>{k.versions.len()}</td>
                                        <td>{k.last_rotated.map_or_else(|| "—".to_owned(), date_time)}</td>
                                        <td><button type="button" aria-label=delete_label on:click=move |_| {
                                            let (v, kn) = (vault.clone(), kn.clone());
                                            change.run("Key deleted", move |b| async move { b.delete_key(&v, &kn).await });
                                        }>"Delete"</button></td>
                                    </tr>
                                }
                            } />
                        </tbody>
                    </table>
                }.into_any()
            }
        })}
        <h3 class="subsection-title">"Deleted keys"</h3>
        {move || deleted.get().map(|r| match r {
            Err(_) => view! { <p class="empty">"Deleted keys are not available."</p> }.into_any(),
            Ok(list) if list.is_empty() => view! { <p class="empty">"No deleted keys."</p> }.into_any(),
            Ok(list) => {
                let vault = n_rec.clone();
                view! {
                    <table class="grid">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Deleted"</th><th scope="col">"Actions"</th></tr></thead>
                        <tbody>
                            <For each=move || list.clone() key=|k: &KeyView| k.name.clone() children=move |k| {
                                let (v1, v2, k1, k2) = (vault.clone(), vault.clone(), k.name.clone(), k.name.clone());
                                view! {
                                    <tr>
                                        <td>{k.name.clone()}</td>
                                        <td>{k.deleted_at.map(date_time).unwrap_or_default()}</td>
                                        <td class="actions">
                                            <button type="button" aria-label=format!("Recover key {}", k.name) on:click=move |_| {
                                                let (v, k) = (v1.clone(), k1.clone());
                                                change.run("Key recovered", move |b| async move { b.recover_key(&v, &k).await });
                                            }>"Recover"</button>
                                            <button type="button" aria-label=format!("Purge key {}", k.name) on:click=move |_| {
                                                let (v, k) = (v2.clone(), k2.clone());
                                                change.run("Key purged", move |b| async move { b.purge_key(&v, &k).await });
                                            }>"Purge"</button>
                                        </td>
                                    </tr>
                                }
                            } />
                        </tbody>
                    </table>
                }.into_any()
            }
        })}
        <Show when=move || creating.get()>
            <CreateKeyPanel vault=vault_for_panel.clone() allow_ec=true on_created=move |_| creating.set(false) on_close=move |()| creating.set(false) />
        </Show>
    }
}
