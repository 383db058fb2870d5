//! API keys: the credentials scripts trade for access tokens to the Key Protect API. A new key's
//! secret is shown once, here; Keyblade keeps only a hash of it.

use crate::{access::refusal, components::guard::Guard};
use leptos::prelude::*;
use shared::model::Action as Permission;

use crate::{
    api::{ApiError, ApiKeyView, CreateApiKeyRequest},
    components::{
        error_panel::ErrorPanel,
        form::{date_time, unique_id},
        notifications::{NoteKind, use_notifier},
    },
    context::{set_crumbs, use_backend, use_refresh},
    hooks::{use_change, use_query},
};

#[component]
pub fn ApiKeysBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("API keys", "/api-keys")]);
    let keys = use_query(|| (), |b, ()| async move { b.api_keys().await });
    // Credentials are access: issuing and revoking them needs Owner at the instance.
    let denied = refusal(Permission::Administer, || "/".to_owned());
    let error = RwSignal::new(None::<ApiError>);
    let change = use_change(error);
    let name = RwSignal::new(String::new());
    // What the key may do, and where: least surprise for a Key Protect script is Key Administrator
    // on every vault, so that is the default; narrow it here or later in Access control.
    let role = RwSignal::new(String::from("Key Administrator"));
    let scope = RwSignal::new(String::from("/"));
    let (id_role, id_scope) = (unique_id("apikey-role"), unique_id("apikey-scope"));
    let secret = RwSignal::new(None::<(String, String)>);
    let id_name = unique_id("apikey-name");
    let backend = use_backend();
    let (notifier, refresh) = (use_notifier(), use_refresh());
    let create = Action::new_local(move |wanted: &CreateApiKeyRequest| {
        let (backend, wanted) = (backend.clone(), wanted.clone());
        async move { backend.create_api_key(wanted).await }
    });
    Effect::new(move || match create.value().get() {
        Some(Ok(created)) => {
            name.set(String::new());
            notifier.push(
                NoteKind::Success,
                "API key created",
                format!("'{}' was created.", created.key.name),
            );
            secret.set(Some((created.key.name, created.secret)));
            refresh.bump();
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    view! {
        <section class="blade" aria-labelledby="apikeys-title">
            <div class="blade-head"><h1 id="apikeys-title">"API keys"</h1><span class="muted">"Key Protect API"</span></div>
            <p class="muted">"Scripts exchange an API key for an access token at /identity/token and call the Key Protect API under /api/v2, naming the key vault in the Bluemix-Instance header."</p>
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            {move || secret.get().map(|(key_name, value)| view! {
                <div class="callout warning" role="status" aria-label="New API key">
                    <p>{format!("The secret of '{key_name}'. Copy it now: it is not shown again.")}</p>
                    <p><code class="mono secret">{value}</code></p>
                    <button type="button" on:click=move |_| secret.set(None)>"Done"</button>
                </div>
            })}
            <h2 class="section-title">"Create an API key"</h2>
            <Guard denied><div class="inline-form">
                <div class="field">
                    <label for=id_name.clone()>"API key name"</label>
                    <input id=id_name type="text" autocomplete="off" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for=id_role.clone()>"Role"</label>
                    <select id=id_role prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                        {["Key Administrator", "Crypto User", "Reader", "Auditor", "Owner"].map(|r| view! { <option value=r>{r}</option> })}
                    </select>
                </div>
                <div class="field">
                    <label for=id_scope.clone()>"Scope"</label>
                    <input id=id_scope type="text" autocomplete="off" placeholder="/ or /vaults/<name>" prop:value=move || scope.get() on:input=move |ev| scope.set(event_target_value(&ev)) />
                </div>
                <button type="button" class="primary" disabled=move || name.get().trim().is_empty() || create.pending().get()
                    on:click=move |_| {
                        error.set(None);
                        create.dispatch_local(CreateApiKeyRequest {
                            name: name.get_untracked().trim().to_owned(),
                            identity: None,
                            role: Some(role.get_untracked()),
                            scope: Some(scope.get_untracked().trim().to_owned()),
                        });
                    }>"Create API key"</button>
            </div></Guard>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || keys.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No API keys yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <Guard denied><table class="grid">
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Principal"</th><th scope="col">"Created"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|k: ApiKeyView| {
                                    let id = k.id.clone();
                                    let label = format!("Revoke API key {}", k.name);
                                    view! {
                                        <tr>
                                            <td>{k.name.clone()}</td>
                                            <td class="mono">{k.principal.clone()}</td>
                                            <td>{date_time(k.created)}</td>
                                            <td>{k.revoked.map_or_else(|| "Active".to_owned(), |at| format!("Revoked {}", date_time(at)))}</td>
                                            <td>{k.revoked.is_none().then(|| view! {
                                                <button type="button" aria-label=label on:click=move |_| {
                                                    let id = id.clone();
                                                    change.run("API key revoked", move |b| async move { b.revoke_api_key(&id).await });
                                                }>"Revoke"</button>
                                            })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></Guard>
                    }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
