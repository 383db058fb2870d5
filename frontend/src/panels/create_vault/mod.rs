//! "Create key vault": basics, recovery options, "Review + create" summary, then "Create" with a
//! progress notification.

use leptos::prelude::*;

use crate::{
    api::{ApiError, NewVault},
    components::{
        error_panel::ErrorPanel,
        form::unique_id,
        notifications::{NoteKind, use_notifier},
        side_sheet::SideSheet,
    },
    context::{use_backend, use_refresh},
};

pub const REGIONS: [&str; 7] = ["West US", "East US", "West US 2", "West Europe", "North Europe", "UK South", "Australia East"];

#[component]
pub fn CreateVaultPanel(
    #[prop(optional)] level: u8,
    #[prop(into)] on_created: Callback<String>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let backend = use_backend();
    let refresh = use_refresh();
    let notifier = use_notifier();
    let subscription = {
        let backend = backend.clone();
        LocalResource::new(move || {
            let backend = backend.clone();
            async move { backend.subscription().await }
        })
    };
    let name = RwSignal::new(String::new());
    let resource_group = RwSignal::new(String::new());
    let region = RwSignal::new(REGIONS[0].to_string());
    let soft_delete = RwSignal::new(true);
    let purge_protection = RwSignal::new(true);
    let retention = RwSignal::new("90".to_string());
    let reviewing = RwSignal::new(false);
    let creating = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);

    // Default the resource group to the subscription's first one.
    Effect::new(move |_| {
        if let Some(Ok(sub)) = subscription.get() {
            if resource_group.get_untracked().is_empty() {
                if let Some(rg) = sub.resource_groups.first() {
                    resource_group.set(rg.name.clone());
                }
            }
        }
    });

    let retention_days = move || retention.get().trim().parse::<u16>().ok().filter(|d| (7..=90).contains(d));
    let name_problem = move || shared_vault_name_problem(&name.get());
    let valid = move || name_problem().is_none() && retention_days().is_some() && !resource_group.get().trim().is_empty();

    let ids = (unique_id("kv-sub"), unique_id("kv-rg"), unique_id("kv-name"), unique_id("kv-region"), unique_id("kv-soft"), unique_id("kv-purge"), unique_id("kv-days"));
    let (id_sub, id_rg, id_name, id_region, id_soft, id_purge, id_days) = ids;

    let create = move |_| {
        let Some(days) = retention_days() else { return };
        let input = NewVault {
            name: name.get_untracked().trim().to_string(),
            resource_group: resource_group.get_untracked().trim().to_string(),
            region: region.get_untracked(),
            soft_delete: soft_delete.get_untracked(),
            purge_protection: purge_protection.get_untracked(),
            retention_days: days,
        };
        let backend = backend.clone();
        creating.set(true);
        error.set(None);
        let note = notifier.push(NoteKind::Progress, "Creating key vault…", format!("Deployment of key vault '{}' is in progress.", input.name));
        leptos::task::spawn_local(async move {
            match backend.create_vault(&input).await {
                Ok(vault) => {
                    notifier.update(note, NoteKind::Success, "Key vault created", format!("Key vault '{}' was created.", vault.name));
                    refresh.bump();
                    on_created.run(vault.name);
                }
                Err(e) => {
                    notifier.update(note, NoteKind::Error, "Key vault creation failed", format!("{}: {}", e.code, e.message));
                    error.set(Some(e));
                }
            }
            creating.set(false);
        });
    };

    let warning = move || (!soft_delete.get() || !purge_protection.get()).then(|| view! {
        <div class="callout warning" role="alert">
            <strong>"Warning: "</strong>
            "A Data Box order refuses a key vault without both Soft delete and Purge protection "
            "(SsemUserErrorSoftDeleteAndPurgeProtectionNotEnabled). Keep both enabled to use this vault for a customer-managed key."
        </div>
    });

    view! {
        <SideSheet title="Create key vault" level=level on_close=on_close wide=true>
            <div class="sheet-body">
                <Show when=move || !reviewing.get() fallback=move || view! {
                    <h3>"Review + create"</h3>
                    <p class="muted">"Review the settings of the new key vault, then select Create."</p>
                    <dl class="summary">
                        <dt>"Subscription"</dt><dd>{move || subscription.get().and_then(|r| r.ok()).map(|s| s.name).unwrap_or_default()}</dd>
                        <dt>"Resource group"</dt><dd>{move || resource_group.get()}</dd>
                        <dt>"Key vault name"</dt><dd>{move || name.get()}</dd>
                        <dt>"Region"</dt><dd>{move || region.get()}</dd>
                        <dt>"Soft delete"</dt><dd>{move || if soft_delete.get() { "Enabled" } else { "Disabled" }}</dd>
                        <dt>"Purge protection"</dt><dd>{move || if purge_protection.get() { "Enabled" } else { "Disabled" }}</dd>
                        <dt>"Days to retain deleted vaults"</dt><dd>{move || retention.get()}</dd>
                    </dl>
                    {warning}
                    {move || error.get().map(|e| view! { <ErrorPanel error=e /> })}
                }>
                    <h3>"Project details"</h3>
                    <div class="field">
                        <label for=id_sub.clone()>"Subscription"</label>
                        <input id=id_sub.clone() type="text" readonly
                            prop:value=move || subscription.get().and_then(|r| r.ok()).map(|s| s.name).unwrap_or_default() />
                    </div>
                    <div class="field">
                        <label for=id_rg.clone()>"Resource group"</label>
                        <select id=id_rg.clone() on:change=move |ev| resource_group.set(event_target_value(&ev)) prop:value=move || resource_group.get()>
                            {move || subscription.get().and_then(|r| r.ok()).map(|s| s.resource_groups).unwrap_or_default().into_iter().map(|rg| {
                                let n = rg.name.clone();
                                view! { <option value=n.clone() selected=move || resource_group.get() == n>{rg.name}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <h3>"Instance details"</h3>
                    <div class="field">
                        <label for=id_name.clone()>"Key vault name"</label>
                        <input id=id_name.clone() type="text" autocomplete="off" required
                            aria-describedby=format!("{id_name}-hint")
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                        <p class="hint" id=format!("{id_name}-hint")>
                            {move || if name.get().is_empty() { "3-24 characters: letters, digits and hyphens, starting with a letter.".to_string() } else { name_problem().unwrap_or_else(|| "The name is valid.".into()) }}
                        </p>
                    </div>
                    <div class="field">
                        <label for=id_region.clone()>"Region"</label>
                        <select id=id_region.clone() on:change=move |ev| region.set(event_target_value(&ev))>
                            {REGIONS.iter().map(|r| view! { <option value=*r selected=move || region.get() == *r>{*r}</option> }).collect_view()}
                        </select>
                    </div>
                    <fieldset class="group">
                        <legend>"Recovery options"</legend>
                        <div class="check">
                            <input id=id_soft.clone() type="checkbox" prop:checked=move || soft_delete.get()
                                on:change=move |ev| soft_delete.set(event_target_checked(&ev)) />
                            <label for=id_soft.clone()>"Soft delete"</label>
                        </div>
                        <div class="check">
                            <input id=id_purge.clone() type="checkbox" prop:checked=move || purge_protection.get()
                                on:change=move |ev| purge_protection.set(event_target_checked(&ev)) />
                            <label for=id_purge.clone()>"Purge protection"</label>
                        </div>
                        <p class="hint">"Once enabled, purge protection cannot be turned off."</p>
                        {warning}
                        <div class="field">
                            <label for=id_days.clone()>"Days to retain deleted vaults"</label>
                            <input id=id_days.clone() type="number" min="7" max="90" step="1"
                                prop:value=move || retention.get() on:input=move |ev| retention.set(event_target_value(&ev)) />
                            {move || retention_days().is_none().then(|| view! { <p class="hint invalid">"Enter a number of days between 7 and 90."</p> })}
                        </div>
                    </fieldset>
                </Show>
            </div>
            <div class="sheet-footer">
                <Show when=move || !reviewing.get() fallback=move || {
                    let create = create.clone();
                    view! {
                        <button type="button" class="primary" disabled=move || creating.get() on:click=create>
                            {move || if creating.get() { "Creating…" } else { "Create" }}
                        </button>
                        <button type="button" on:click=move |_| reviewing.set(false) disabled=move || creating.get()>"Previous"</button>
                    }
                }>
                    <button type="button" class="primary" disabled=move || !valid() on:click=move |_| reviewing.set(true)>"Review + create"</button>
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                </Show>
            </div>
        </SideSheet>
    }
}

/// The vault name rules, from the shared engine (the server checks again): None when valid.
pub fn shared_vault_name_problem(name: &str) -> Option<String> {
    shared::validation::vault_name(name.trim()).err().map(|f| {
        format!("{} Use 3-24 letters, digits and hyphens, starting with a letter, without consecutive or trailing hyphens.", f.message)
    })
}
