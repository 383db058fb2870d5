//! Encryption at rest (instance settings): the master key that seals every secret Keyblade
//! stores, its rekey (Internal, or External through a key provider) with live progress, the
//! history of rekeys, and the key providers.

use crate::{access::refusal, components::guard::Guard};
use leptos::prelude::*;
use shared::model::Action as Permission;

use crate::{
    api::{
        AddKeyProviderRequest, ApiError, EncryptionAtRestView, KeyManagement, KeyProviderView, MasterKeyView,
        RekeyRequest,
    },
    components::{
        error_panel::ErrorPanel,
        form::{date_time, unique_id},
        notifications::use_notifier,
        operation_follow::{Words, follow_operation, step_text},
    },
    context::{set_crumbs, use_backend, use_refresh},
    hooks::{use_change, use_query},
};

#[component]
pub fn EncryptionAtRestBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Encryption at rest", "/encryption-at-rest")]);
    let view = use_query(|| (), |b, ()| async move { b.encryption_at_rest().await });
    let error = RwSignal::new(None::<ApiError>);
    let offline = use_backend().is_offline();
    view! {
        <section class="blade" aria-labelledby="at-rest-title">
            <div class="blade-head"><h1 id="at-rest-title">"Encryption at rest"</h1><span class="muted">"Instance settings"</span></div>
            <p class="muted">"Every private key, import key and device password Keyblade stores is sealed (AES-256-GCM) under the master key. "
                "A rekey creates a new master key, rewraps every sealed secret under it while Keyblade keeps serving, then destroys the old key."</p>
            {offline.then(|| view! {
                <div class="callout info" role="note">"Offline demo: the master key lives in this browser and is managed internally. External key providers need the server."</div>
            })}
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || view.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(v) => view! {
                        <CurrentKey view=v.clone() />
                        <Guard denied=refusal(Permission::Manage, || "/".to_owned())>
                            <RekeyForm view=v.clone() offline=offline error=error />
                            <RekeyHistory view=v.clone() />
                            <KeyProviders providers=v.providers.clone() offline=offline error=error />
                        </Guard>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

fn management_label(management: KeyManagement) -> &'static str {
    match management {
        KeyManagement::Internal => "Internal",
        KeyManagement::External => "External",
    }
}

fn provider_name(view: &EncryptionAtRestView, id: Option<u32>) -> String {
    match id {
        None => "—".into(),
        Some(id) => view.providers.iter().find(|p| p.id == id).map_or(format!("#{id}"), |p| p.name.clone()),
    }
}

#[component]
fn CurrentKey(view: EncryptionAtRestView) -> impl IntoView {
    let Some(key): Option<MasterKeyView> = view.current.clone() else {
        return view! { <p class="empty">"No master key yet."</p> }.into_any();
    };
    view! {
        <h2 class="section-title">"Master key"</h2>
        <dl class="essentials" aria-label="Master key">
            <dt>"Master key ID"</dt><dd class="mono">{key.id.clone()}</dd>
            <dt>"Key management"</dt><dd>{management_label(key.management)}</dd>
            <dt>"Key provider"</dt><dd>{provider_name(&view, key.provider)}</dd>
            <dt>"Created"</dt><dd>{date_time(key.created)}</dd>
        </dl>
    }
    .into_any()
}

/// The rekey form: Internal, or External with a provider picker.
#[component]
fn RekeyForm(view: EncryptionAtRestView, offline: bool, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let running = view.rekeys.iter().any(|op| op.finished.is_none());
    let external = RwSignal::new(false);
    let provider = RwSignal::new(view.providers.first().map(|p| p.id.to_string()).unwrap_or_default());
    let (group, id_internal, id_external, id_provider) = (
        unique_id("rekey-type"),
        unique_id("rekey-internal"),
        unique_id("rekey-external"),
        unique_id("rekey-provider"),
    );
    let backend = use_backend();
    let (notifier, refresh) = (use_notifier(), use_refresh());
    let rekey = Action::new_local(move |request: &RekeyRequest| {
        let (backend, request) = (backend.clone(), request.clone());
        async move { backend.rekey_master_key(request).await }
    });
    let follower = use_backend();
    Effect::new(move || match rekey.value().get() {
        Some(Ok(operation)) => follow_operation(follower.clone(), notifier, refresh, operation, REKEY),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let providers = view.providers.clone();
    let no_providers = providers.is_empty();
    let start = move |_| {
        error.set(None);
        let external = external.get_untracked();
        let request = RekeyRequest {
            key_management_type: Some(if external {
                KeyManagement::External
            } else {
                KeyManagement::Internal
            }),
            key_provider_id: if external { provider.get_untracked().parse().ok() } else { None },
            batch_size: None,
        };
        rekey.dispatch_local(request);
    };
    let label_id = format!("{group}-label");
    view! {
        <h2 class="section-title">"Rekey master key"</h2>
        <div class="form-row">
            <span class="row-label" id=label_id.clone()>"Key management"</span>
            <div role="radiogroup" aria-labelledby=label_id class="radios">
                <span class="radio">
                    <input type="radio" name=group.clone() id=id_internal.clone() prop:checked=move || !external.get()
                        on:change=move |_| external.set(false) />
                    <label for=id_internal>"Internal"</label>
                </span>
                <span class="radio">
                    <input type="radio" name=group id=id_external.clone() disabled=offline prop:checked=move || external.get()
                        on:change=move |_| external.set(true) />
                    <label for=id_external>"External"</label>
                </span>
            </div>
        </div>
        <Show when=move || external.get()>
            <div class="form-row">
                <label class="row-label" for=id_provider.clone()>"Key provider"</label>
                <select id=id_provider.clone() disabled=no_providers prop:value=move || provider.get()
                    on:change=move |ev| provider.set(event_target_value(&ev))>
                    {if no_providers {
                        view! { <option value="">"No key providers: add one below"</option> }.into_any()
                    } else {
                        providers.iter().map(|p| view! { <option value=p.id.to_string()>{p.name.clone()}</option> }).collect_view().into_any()
                    }}
                </select>
            </div>
        </Show>
        {running.then(|| view! { <p class="muted" role="status">"A rekey is running; its progress is below."</p> })}
        <div class="actions">
            <button type="button" class="primary"
                disabled=move || running || rekey.pending().get() || (external.get() && provider.get().is_empty())
                on:click=start>"Rekey master key"</button>
        </div>
    }
}

/// How a rekey is followed.
const REKEY: Words = Words {
    running: "Rekeying the master key…",
    succeeded: ("Master key rekeyed", "Ready: the old master key is decommissioned."),
    failed: "The rekey failed",
    items: "secrets rewrapped",
};

#[component]
fn RekeyHistory(view: EncryptionAtRestView) -> impl IntoView {
    if view.rekeys.is_empty() {
        return view! { <h2 class="section-title">"Rekey history"</h2><p class="empty">"No rekey yet."</p> }
            .into_any();
    }
    view! {
        <h2 class="section-title">"Rekey history"</h2>
        <table class="grid" aria-label="Rekey history">
            <thead><tr><th scope="col">"Started"</th><th scope="col">"Rekey"</th><th scope="col">"Status"</th><th scope="col">"Progress"</th><th scope="col">"Finished"</th></tr></thead>
            <tbody>
                {view.rekeys.iter().map(|op| {
                    let status = match op.state {
                        shared::model::OperationState::Running => "Running".to_owned(),
                        shared::model::OperationState::Succeeded => "Ready".to_owned(),
                        shared::model::OperationState::Failed => {
                            op.error.as_ref().map_or("Failed".into(), |e| format!("Failed ({})", e.code.as_str()))
                        }
                    };
                    let progress = if op.state == shared::model::OperationState::Running { step_text(op, REKEY) } else { op.error.as_ref().map_or(String::new(), |e| e.message.clone()) };
                    view! {
                        <tr>
                            <td>{date_time(op.started)}</td>
                            <td>{op.label.clone()}</td>
                            <td>{status}</td>
                            <td>{progress}</td>
                            <td>{op.finished.map(date_time).unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn KeyProviders(
    providers: Vec<KeyProviderView>,
    offline: bool,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let change = use_change(error);
    let list = if providers.is_empty() {
        view! { <p class="empty">"No key providers."</p> }.into_any()
    } else {
        view! {
            <table class="grid" aria-label="Key providers">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"URL"</th><th scope="col">"Instance"</th><th scope="col">"Root key"</th><th scope="col">"Keeps the master key"</th><th scope="col">"Actions"</th></tr></thead>
                <tbody>
                    {providers.into_iter().map(|p| {
                        let (id, name) = (p.id, p.name.clone());
                        view! {
                            <tr>
                                <td>{p.name.clone()}</td>
                                <td class="mono">{p.url.clone()}</td>
                                <td>{p.instance.clone()}</td>
                                <td class="mono">{p.root_key_id.clone()}</td>
                                <td>{if p.active { "Yes" } else { "No" }}</td>
                                <td>
                                    <button type="button" aria-label=format!("Test key provider {name}")
                                        on:click=move |_| change.run("Key provider answered", move |b| async move { b.test_key_provider(id).await.map(drop) })>"Test"</button>
                                    <button type="button" aria-label=format!("Remove key provider {name}")
                                        on:click=move |_| change.run("Key provider removed", move |b| async move { b.remove_key_provider(id).await })>"Remove"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <h2 class="section-title">"Key providers"</h2>
        <p class="muted">"A key provider is a Key Protect-compatible service (another Keyblade, for one) that keeps an External master key wrapped under one of its root keys. Keyblade must reach it to start."</p>
        {list}
        {(!offline).then(|| view! { <AddKeyProvider error=error /> })}
    }
}

#[component]
fn AddKeyProvider(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let change = use_change(error);
    let fields = [
        ("Name", "text", RwSignal::new(String::new())),
        ("URL", "url", RwSignal::new(String::new())),
        ("Instance", "text", RwSignal::new(String::new())),
        ("Root key ID", "text", RwSignal::new(String::new())),
        ("API key", "password", RwSignal::new(String::new())),
    ];
    let values = fields.map(|(_, _, value)| value);
    let incomplete = move || values.iter().any(|v| v.get().trim().is_empty());
    let add = move |_| {
        let [name, url, instance, root_key_id, api_key] = values.map(|v| v.get_untracked().trim().to_owned());
        let request = AddKeyProviderRequest { name, url, instance, root_key_id, api_key };
        values.iter().for_each(|v| v.set(String::new()));
        change.run("Key provider added", move |b| async move { b.add_key_provider(request).await.map(drop) });
    };
    view! {
        <h3 class="section-title">"Add a key provider"</h3>
        <div class="inline-form">
            {fields.into_iter().map(|(label, kind, value)| {
                let id = unique_id("kp-field");
                view! {
                    <div class="field">
                        <label for=id.clone()>{label}</label>
                        <input id=id type=kind autocomplete="off" prop:value=move || value.get()
                            on:input=move |ev| value.set(event_target_value(&ev)) />
                    </div>
                }
            }).collect_view()}
            <button type="button" class="primary" disabled=incomplete on:click=add>"Add key provider"</button>
        </div>
    }
}
