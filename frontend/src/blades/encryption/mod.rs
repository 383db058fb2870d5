//! Settings > Encryption: Microsoft managed key or customer managed key (vault, key, version,
//! identity), with Save / Discard, unsaved-changes indicator and error troubleshooting.

mod draft;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{
    api::{ApiError, EncryptionSettings, OrderView, UserIdentity},
    components::{
        error_panel::ErrorPanel,
        notifications::{NoteKind, use_notifier},
    },
    context::{set_crumbs_owned, use_backend, use_refresh},
    hooks::use_query,
    panels::{identity_picker::IdentityPicker, key_picker::KeyPicker},
};
pub use draft::{Draft, IdentityDraft};

/// "Microsoft managed key" / "Customer managed key".
pub fn type_label(settings: &EncryptionSettings) -> &'static str {
    match settings {
        EncryptionSettings::MicrosoftManaged => "Microsoft managed key",
        EncryptionSettings::CustomerManaged(_) => "Customer managed key",
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Panel {
    None,
    KeyPicker,
    IdentityPicker,
}

#[component]
pub fn EncryptionBlade() -> impl IntoView {
    let params = use_params_map();
    let order_id = move || params.read().get("order").unwrap_or_default();
    let backend = use_backend();
    let refresh = use_refresh();
    let notifier = use_notifier();

    let order = use_query(order_id, |b, id| async move { b.order(&id).await });
    let identities = use_query(|| (), |b, ()| async move { b.identities().await });
    // The saved order as last seen, and the draft the user edits.
    let saved = RwSignal::new(None::<OrderView>);
    let draft = RwSignal::new(Draft::default());
    let dirty = Memo::new(move |_| {
        saved.with(|s| s.as_ref().map(|o| Draft::from(&o.encryption))) != Some(draft.get())
            && saved.with(Option::is_some)
    });
    Effect::new(move |_| {
        if let Some(Ok(o)) = order.get() {
            let was_clean = !dirty.get_untracked();
            if was_clean || saved.get_untracked().is_none() {
                draft.set(Draft::from(&o.encryption));
            }
            set_crumbs_owned(vec![
                ("Home".into(), "/".into()),
                (o.name.clone(), format!("/orders/{}", o.id)),
                ("Encryption".into(), format!("/orders/{}/encryption", o.id)),
            ]);
            saved.set(Some(o));
            // `Show` rendered the settings synchronously inside `set`.
            crate::perf::mark_once(crate::perf::ENCRYPTION_BLADE_RENDERED);
        }
    });

    let panel = RwSignal::new(Panel::None);
    let change_key_menu = RwSignal::new(false);
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let problem = RwSignal::new(None::<String>);

    let save = Callback::new(move |()| {
        let Some(o) = saved.get_untracked() else { return };
        let d = draft.get_untracked();
        let settings = match d.to_settings() {
            Ok(s) => s,
            Err(p) => {
                problem.set(Some(p.to_string()));
                return;
            }
        };
        problem.set(None);
        error.set(None);
        saving.set(true);
        let backend = backend.clone();
        let note = notifier.push(
            NoteKind::Progress,
            "Saving encryption settings…",
            format!("Updating order '{}'.", o.name),
        );
        leptos::task::spawn_local(async move {
            match backend.save_encryption(&o.id, &settings, o.version).await {
                Ok(updated) => {
                    notifier.update(
                        note,
                        NoteKind::Success,
                        "Encryption settings saved",
                        format!(
                            "Order '{}' now uses a {}.",
                            updated.name,
                            type_label(&updated.encryption).to_lowercase()
                        ),
                    );
                    draft.set(Draft::from(&updated.encryption));
                    saved.set(Some(updated));
                    refresh.bump();
                }
                Err(e) => {
                    notifier.update(
                        note,
                        NoteKind::Error,
                        "Saving encryption settings failed",
                        format!("{}: {}", e.code, e.message),
                    );
                    error.set(Some(e));
                }
            }
            saving.set(false);
        });
    });
    let discard = move |_| {
        if let Some(o) = saved.get_untracked() {
            draft.set(Draft::from(&o.encryption));
        }
        error.set(None);
        problem.set(None);
    };

    let identity_name = move |id: &str| -> String {
        identities
            .get()
            .and_then(|r| r.ok())
            .and_then(|list: Vec<UserIdentity>| list.into_iter().find(|i| i.id == id).map(|i| i.name))
            .unwrap_or_else(|| format!("{id} (not found)"))
    };
    // One Encryption blade at a time: fixed ids keep the label/control pairs simple.
    let (type_group, identity_group) = ("enc-type", "enc-identity");
    let (id_mmk, id_cmk, id_sys, id_user) = ("enc-mmk", "enc-cmk", "enc-sys", "enc-user");

    let saved_key_url = move || {
        saved.with(|s| s.as_ref().and_then(|o| o.encryption.customer_key().cloned())).and_then(|k| {
            draft
                .with(|d| {
                    d.key
                        .as_ref()
                        .is_some_and(|r| r.vault == k.vault && r.key == k.key && r.version == k.version)
                })
                .then_some(k.key_url)
        })
    };

    // An order's settings are managed at its resource group (or above).
    let denied = crate::access::refusal(shared::model::Action::Manage, move || {
        saved
            .with(|o| o.as_ref().map(|o| format!("/resourceGroups/{}", o.resource_group)).unwrap_or_default())
    });

    view! {
        <section class="blade" aria-labelledby="enc-title">
            <div class="blade-head">
                <h1 id="enc-title">{move || saved.get().map(|o| o.name).unwrap_or_default()}" | Encryption"</h1>
                <span class="muted">"Data Box order"</span>
            </div>
            <div class="toolbar" role="toolbar" aria-label="Encryption actions">
                <button type="button" class="tb-primary" disabled=move || !dirty.get() || saving.get() || denied.get().is_some()
                    title=move || denied.get().unwrap_or_default() on:click=move |_| save.run(())>
                    <span aria-hidden="true" class="tb-icon icon-save"></span>{move || if saving.get() { "Saving…" } else { "Save" }}
                </button>
                <button type="button" disabled=move || !dirty.get() || saving.get() on:click=discard>
                    <span aria-hidden="true" class="tb-icon icon-discard"></span>"Discard"
                </button>
                <span class="unsaved" class:visible=move || dirty.get() aria-live="polite">
                    {move || if dirty.get() { "● Unsaved changes" } else { "" }}
                </span>
            </div>
            {move || match order.get() {
                None => Some(view! { <p class="loading" role="status">"Loading…"</p> }.into_any()),
                Some(Err(e)) => Some(view! { <ErrorPanel error=e /> }.into_any()),
                Some(Ok(_)) => None,
            }}
            {move || error.get().map(|e| view! {
                <ErrorPanel error=e on_retry=save on_dismiss=Callback::new(move |()| error.set(None))
                    on_fixed=Callback::new(move |o: OrderView| saved.set(Some(o))) />
            })}
            {move || problem.get().map(|p| view! { <div class="callout warning" role="alert">{p}</div> })}
            <Show when=move || saved.with(Option::is_some)>
                <h2 class="section-title">"Encryption type"</h2>
                <p class="muted">"The device unlock key (device password) of this order is protected by an encryption key. "
                    "Using a customer-managed key doesn't change how data on the device is encrypted."</p>
                <div class="form-row">
                    <span class="row-label" id=format!("{type_group}-label")>"Select type"</span>
                    <div role="radiogroup" aria-labelledby=format!("{type_group}-label") class="radios">
                        <span class="radio">
                            <input type="radio" name=type_group id=id_mmk prop:checked=move || !draft.get().cmk
                                on:change=move |_| draft.update(|d| d.cmk = false) />
                            <label for=id_mmk>"Microsoft managed key"</label>
                        </span>
                        <span class="radio">
                            <input type="radio" name=type_group id=id_cmk prop:checked=move || draft.get().cmk
                                on:change=move |_| draft.update(|d| d.cmk = true) />
                            <label for=id_cmk>"Customer managed key"</label>
                        </span>
                    </div>
                </div>
                <Show when=move || draft.get().cmk>
                    <div class="form-row">
                        <span class="row-label">"Encryption key"</span>
                        <div class="row-value">
                            {move || match draft.get().key {
                                None => view! {
                                    <button type="button" class="link" on:click=move |_| panel.set(Panel::KeyPicker)>"Select a key and key vault"</button>
                                }.into_any(),
                                Some(k) => view! {
                                    <dl class="key-summary">
                                        <dt>"Key vault"</dt><dd>{k.vault.clone()}</dd>
                                        <dt>"Key"</dt><dd>{k.key.clone()}</dd>
                                        <dt>"Version"</dt><dd class="mono">{k.version.clone()}</dd>
                                        {move || saved_key_url().map(|url| view! { <dt>"Key URL"</dt><dd class="mono key-url">{url}</dd> })}
                                    </dl>
                                    <div class="menu-anchor">
                                        <button type="button" class="link" aria-haspopup="menu" aria-expanded=move || change_key_menu.get().to_string()
                                            on:click=move |_| change_key_menu.update(|m| *m = !*m)>"Change key"</button>
                                        <Show when=move || change_key_menu.get()>
                                            <div class="popup-menu" role="menu" on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" { change_key_menu.set(false) }>
                                                <button type="button" role="menuitem" on:click=move |_| { change_key_menu.set(false); panel.set(Panel::KeyPicker); }>
                                                    "Select a different key vault and key"
                                                </button>
                                            </div>
                                        </Show>
                                    </div>
                                }.into_any(),
                            }}
                        </div>
                    </div>
                    <h3 class="subsection-title">"Identity type"</h3>
                    <div class="form-row">
                        <span class="row-label" id=format!("{identity_group}-label")>"Select identity type"</span>
                        <div role="radiogroup" aria-labelledby=format!("{identity_group}-label") class="radios">
                            <span class="radio">
                                <input type="radio" name=identity_group id=id_sys
                                    prop:checked=move || matches!(draft.get().identity, IdentityDraft::System)
                                    on:change=move |_| draft.update(|d| d.identity = IdentityDraft::System) />
                                <label for=id_sys>"System assigned"</label>
                            </span>
                            <span class="radio">
                                <input type="radio" name=identity_group id=id_user
                                    prop:checked=move || matches!(draft.get().identity, IdentityDraft::User(_))
                                    on:change=move |_| draft.update(|d| d.identity = IdentityDraft::User(d.last_user.clone())) />
                                <label for=id_user>"User assigned"</label>
                            </span>
                        </div>
                    </div>
                    {move || match draft.get().identity {
                        IdentityDraft::System => view! {
                            <p class="hint">{move || saved.get().and_then(|o| o.system_identity).map(|s| format!("The order's system-assigned identity (principal {}) is used.", s.principal_id))
                                .unwrap_or_else(|| "The order has no system-assigned identity right now; saving will create one.".into())}</p>
                        }.into_any(),
                        IdentityDraft::User(current) => view! {
                            <div class="form-row">
                                <span class="row-label">"User identity"</span>
                                <div class="row-value">
                                    {current.clone().map(|id| view! { <span class="identity-name">{move || identity_name(&id)}</span> })}
                                    <button type="button" class="link" on:click=move |_| panel.set(Panel::IdentityPicker)>
                                        {if current.is_some() { "Select a different user identity" } else { "Select a user identity" }}
                                    </button>
                                </div>
                            </div>
                        }.into_any(),
                    }}
                    <div class="callout info" role="note">
                        <strong>"Important: "</strong>
                        "The identity needs the Get, UnwrapKey and WrapKey permissions on the key for the lifetime of the order. "
                        "They are used when the order is created and at the beginning of the Data copy phase."
                    </div>
                </Show>
                <div class="current-settings">
                    <h3 class="subsection-title">"Saved settings"</h3>
                    {move || saved.get().map(|o| view! { <SavedSummary order=o identity_name=Callback::new(move |id: String| identity_name(&id)) /> })}
                </div>
            </Show>
        </section>
        {move || match panel.get() {
            Panel::None => None,
            Panel::KeyPicker => Some(view! {
                <KeyPicker
                    on_select=move |k| { draft.update(|d| d.key = Some(k)); panel.set(Panel::None); }
                    on_close=move |()| panel.set(Panel::None) />
            }.into_any()),
            Panel::IdentityPicker => Some(view! {
                <IdentityPicker current=untrack(move || match draft.get().identity { IdentityDraft::User(c) => c, _ => None })
                    on_select=move |id: String| { draft.update(|d| { d.identity = IdentityDraft::User(Some(id.clone())); d.last_user = Some(id); }); panel.set(Panel::None); }
                    on_close=move |()| panel.set(Panel::None) />
            }.into_any()),
        }}
    }
}

/// What is stored right now (the passkey is protected by this).
#[component]
fn SavedSummary(order: OrderView, identity_name: Callback<String, String>) -> impl IntoView {
    match order.encryption {
        EncryptionSettings::MicrosoftManaged => view! {
            <dl class="essentials"><dt>"Type"</dt><dd>"Microsoft managed key"</dd></dl>
        }
        .into_any(),
        EncryptionSettings::CustomerManaged(k) => {
            let identity = match &k.identity {
                shared::model::IdentityChoice::SystemAssigned => "System assigned".to_string(),
                shared::model::IdentityChoice::UserAssigned { identity_id } => {
                    format!("User assigned: {}", identity_name.run(identity_id.clone()))
                }
            };
            view! {
                <dl class="essentials">
                    <dt>"Type"</dt><dd>"Customer managed key"</dd>
                    <dt>"Saved key URL"</dt><dd class="mono">{k.key_url}</dd>
                    <dt>"Identity"</dt><dd>{identity}</dd>
                </dl>
            }
            .into_any()
        }
    }
}
