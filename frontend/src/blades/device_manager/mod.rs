//! Device manager: a device manager's devices, their service data encryption key and whether
//! each can be authorized to change it (the reason when not), the dashboard alert while devices
//! wait for a new key, and each device's console for the steps that run on a device.

mod console;

use crate::{access::refusal, components::guard::Guard};
use leptos::prelude::*;
use shared::model::Action as Permission;
use shared::{
    api::{DeviceKeyState, DeviceManagerView, DeviceView},
    model::DeviceKind,
    service::ManagerPath,
};

use crate::{
    api::ApiError,
    components::{error_panel::ErrorPanel, form::date_time},
    context::{set_crumbs, use_refresh},
    hooks::{use_change, use_query},
};
use console::DeviceConsole;

/// The management path of a manager, as every device route names it.
pub fn path_of(manager: &DeviceManagerView) -> ManagerPath {
    ManagerPath {
        subscription: manager.subscription_id.clone(),
        resource_group: manager.resource_group.clone(),
        manager: manager.name.clone(),
    }
}

/// How often the blade looks again while a key change runs.
const CHANGE_POLL_MS: u64 = 500;

#[component]
pub fn DeviceManagerBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Device manager", "/device-manager")]);
    let managers = use_query(|| (), |b, ()| async move { b.device_managers().await });
    // The open console lives outside the refreshed list, so a refresh (after every change)
    // neither closes it nor loses the key it shows once.
    let console = RwSignal::new(None::<(ManagerPath, String)>);
    // While a key change runs, look again shortly: the alert and the key states follow it.
    let refresh = use_refresh();
    Effect::new(move |_| {
        let changing = managers
            .get()
            .and_then(Result::ok)
            .is_some_and(|list| list.iter().any(|m| m.encryption.change_in_progress.is_some()));
        if changing {
            set_timeout(move || refresh.bump(), std::time::Duration::from_millis(CHANGE_POLL_MS));
        }
    });
    view! {
        <section class="blade" aria-labelledby="dm-title">
            <div class="blade-head">
                <h1 id="dm-title">"Device manager"</h1>
                <span class="muted">"Devices and the service data encryption key"</span>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || managers.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No device managers."</p> }.into_any(),
                    Ok(list) => view! {
                        // Device managers belong to the instance: their keys are managed there.
                        <Guard denied=refusal(Permission::Manage, || "/".to_owned())>
                            {list.into_iter().map(|m| view! { <Manager manager=m console=console /> }).collect_view()}
                        </Guard>
                    }.into_any(),
                })}
            </Suspense>
            {move || console.get().map(|(path, device)| view! {
                <DeviceConsole path=path device=device on_close=Callback::new(move |()| console.set(None)) />
            })}
        </section>
    }
}

#[component]
fn Manager(manager: DeviceManagerView, console: RwSignal<Option<(ManagerPath, String)>>) -> impl IntoView {
    let error = RwSignal::new(None::<ApiError>);
    let change = use_change(error);
    let settings = manager.encryption.clone();
    let path = path_of(&manager);
    let devices = manager.devices.clone();
    view! {
        <h2 class="section-title">{manager.name.clone()}</h2>
        {manager.alert.clone().map(|alert| view! { <p class="banner warning" role="alert">{alert}</p> })}
        <dl class="essentials">
            <dt>"Encryption"</dt><dd>{settings.encryption_status.clone()}</dd>
            <dt>"Service data encryption key"</dt><dd>{format!("Version {}", settings.key_version)}</dd>
            <dt>"Key rollover"</dt>
            <dd>{match (&settings.change_in_progress, settings.pending_devices.is_empty()) {
                (Some(_), _) => "Changing the key…".to_string(),
                (None, true) => "Not required: every device holds the current key".to_string(),
                (None, false) => format!("Required: update {}", settings.pending_devices.join(", ")),
            }}</dd>
            <dt>"Last key change"</dt>
            <dd>{settings.last_change.as_ref().map_or("Never".to_string(), |c| {
                format!("Version {} from {}, {}", c.version, c.device, date_time(c.at))
            })}</dd>
        </dl>
        {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
        <table class="grid devices">
            <thead><tr>
                <th scope="col">"Device"</th><th scope="col">"Type"</th><th scope="col">"Status"</th>
                <th scope="col">"Service data encryption key"</th><th scope="col">"Key rollover"</th>
                <th scope="col">"Actions"</th>
            </tr></thead>
            <tbody>
                {devices.into_iter().map(|d| {
                    let path = path.clone();
                    view! { <DeviceRow device=d path=path change=change console=console /> }
                }).collect_view()}
            </tbody>
        </table>
        <CloudApplianceUpdate path=path.clone() change=change />
    }
}

#[component]
fn DeviceRow(
    device: DeviceView,
    path: ManagerPath,
    change: crate::hooks::Change,
    console: RwSignal<Option<(ManagerPath, String)>>,
) -> impl IntoView {
    let details = device.rollover_details.clone();
    let eligible = details.authorization_eligibility == "Eligible";
    let rollover = match (&details.initiate_before, eligible, &details.in_eligibility_message) {
        (Some(until), _, _) => format!("Authorized: initiate before {}", date_time(*until)),
        (None, true, _) => "Eligible for authorization".to_string(),
        (None, false, Some(reason)) => format!("Not eligible: {reason}"),
        (None, false, None) => "Not eligible".to_string(),
    };
    let key = match device.key_state {
        DeviceKeyState::Current => format!("Version {}: current", device.key_version),
        DeviceKeyState::UpdatePending => format!("Version {}: update needed", device.key_version),
        DeviceKeyState::UpdateQueued => format!("Version {}: update queued until online", device.key_version),
    };
    let kind = match device.kind {
        DeviceKind::Physical => format!("Physical device {}", device.model),
        DeviceKind::CloudAppliance => format!("Cloud appliance {}", device.model),
    };
    let name = device.name.clone();
    let (authorize_path, online_path, console_path) = (path.clone(), path.clone(), path);
    let (authorize_name, online_name, console_name) = (name.clone(), name.clone(), name.clone());
    let online = device.online;
    view! {
        <tr>
            <th scope="row">{name.clone()}</th>
            <td>{kind}</td>
            <td class=if online { "status ok" } else { "status error" }>{if online { "Online" } else { "Offline" }}</td>
            <td>{key}</td>
            <td>{rollover}</td>
            <td class="actions">
                <button type="button" disabled=!eligible title=details.in_eligibility_message.clone().unwrap_or_default()
                    aria-label=format!("Authorize key rollover on {name}")
                    on:click=move |_| {
                        let (p, d) = (authorize_path.clone(), authorize_name.clone());
                        change.run("Device authorized to change the key", move |b| async move { b.authorize_rollover(p, &d).await });
                    }>"Authorize key rollover"</button>
                <button type="button" aria-label=format!("Open the console of {name}")
                    on:click=move |_| console.set(Some((console_path.clone(), console_name.clone())))>"Device console"</button>
                <button type="button" aria-label=format!("{} {name}", if online { "Take offline" } else { "Bring online" })
                    on:click=move |_| {
                        let (p, d) = (online_path.clone(), online_name.clone());
                        let done = if online { "Device taken offline" } else { "Device back online" };
                        change.run(done, move |b| async move { b.set_device_online(p, &d, !online).await });
                    }>{if online { "Take offline" } else { "Bring online" }}</button>
            </td>
        </tr>
    }
}

/// Step 3 for cloud appliances: one key for all of them.
#[component]
fn CloudApplianceUpdate(path: ManagerPath, change: crate::hooks::Change) -> impl IntoView {
    let key = RwSignal::new(String::new());
    view! {
        <h3 class="subsection-title">"Update all cloud appliances"</h3>
        <div class="inline-form">
            <KeyField label="New service data encryption key" key=key />
            <button type="button" disabled=move || key.get().trim().is_empty() on:click=move |_| {
                let (p, k) = (path.clone(), key.get_untracked().trim().to_string());
                key.set(String::new());
                change.run("Cloud appliances updated", move |b| async move { b.update_cloud_appliances(p, k).await });
            }>"Update cloud appliances"</button>
        </div>
    }
}

/// A text field for a service data encryption key (pasted, never remembered by the browser).
#[component]
pub fn KeyField(label: &'static str, key: RwSignal<String>) -> impl IntoView {
    let id = crate::components::form::unique_id("service-key");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type="text" autocomplete="off" spellcheck="false" maxlength="256"
                prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev)) />
        </div>
    }
}
