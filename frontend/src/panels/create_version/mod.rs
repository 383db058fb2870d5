//! "Create new version": enabled, activation and expiration for a new version of an existing key.
//! New key material is generated in the browser like for a new key.

use leptos::prelude::*;
use shared::model::KeyType;

use crate::{
    api::{KeyImport, KeyView, VersionAttributes},
    components::{
        form::{date_in_days, parse_date, unique_id},
        side_sheet::SideSheet,
    },
    keygen::KeySpec,
    panels::create_key::{DateToggle, KeyRunner, KeygenProgress},
};

#[component]
pub fn CreateVersionPanel(
    #[prop(into)] vault: String,
    key: KeyView,
    #[prop(optional)] level: u8,
    /// Called with the new version id.
    #[prop(into)]
    on_created: Callback<String>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let enabled = RwSignal::new(true);
    let set_nbf = RwSignal::new(false);
    let nbf = RwSignal::new(date_in_days(0));
    let set_exp = RwSignal::new(false);
    let exp = RwSignal::new(date_in_days(365));
    let id_enabled = unique_id("ver-enabled");
    let runner = KeyRunner::new();
    let working = runner.working();
    let key_name = key.name.clone();
    let key_type = key.key_type;
    let size = if key.size == 0 { 2048 } else { key.size };
    let spec = if key_type.is_rsa() { KeySpec::Rsa { bits: size as usize } } else { KeySpec::Ec };
    let vault_for_prepare = vault.clone();
    Effect::new(move || runner.prepare(vault_for_prepare.clone(), spec));
    let vault_c = vault.clone();
    let create = move |_| {
        let attributes = VersionAttributes {
            enabled: enabled.get_untracked(),
            nbf: if set_nbf.get_untracked() { parse_date(&nbf.get_untracked()) } else { None },
            exp: if set_exp.get_untracked() { parse_date(&exp.get_untracked()) } else { None },
        };
        let vault = vault_c.clone();
        let key_name = key_name.clone();
        let what = format!("new version of key '{key_name}'");
        runner.run(
            vault.clone(),
            spec,
            what,
            move |backend, transfer| {
                let import = KeyImport {
                    key_type: if key_type.is_rsa() { KeyType::Rsa } else { key_type },
                    size,
                    transfer,
                    attributes,
                };
                async move {
                    let version = backend.import_new_version(&vault, &key_name, &import).await?;
                    Ok(version.id)
                }
            },
            move |version| {
                let _ = on_created.try_run(version);
            },
        );
    };
    view! {
        <SideSheet title="Create new version" level=level on_close=Callback::new(move |()| { runner.cancel(); on_close.run(()) })>
            <div class="sheet-body">
                <p class="muted">{format!("Key vault: {vault} · Key: {} ({} {})", key.name, key.key_type.label(), key.size)}</p>
                <div class="check">
                    <input id=id_enabled.clone() type="checkbox" disabled=working prop:checked=move || enabled.get()
                        on:change=move |ev| enabled.set(event_target_checked(&ev)) />
                    <label for=id_enabled>"Enabled"</label>
                </div>
                <DateToggle id_on=unique_id("ver-nbf-on") id_date=unique_id("ver-nbf") on_label="Set activation date" date_label="Activation date" on=set_nbf value=nbf disabled=working />
                <DateToggle id_on=unique_id("ver-exp-on") id_date=unique_id("ver-exp") on_label="Set expiration date" date_label="Expiration date" on=set_exp value=exp disabled=working />
                <KeygenProgress runner=runner />
            </div>
            <div class="sheet-footer">
                <button type="button" class="primary" disabled=working on:click=create>"Create"</button>
                <button type="button" on:click=move |_| { if working.get() { runner.cancel() } else { on_close.run(()) } }>"Cancel"</button>
            </div>
        </SideSheet>
    }
}
