//! A device's console: the steps of a key rollover that run on the device itself (change the
//! key on the authorized device, update it on the others) and reading its confidential data.

use leptos::prelude::*;
use shared::{
    api::{CredentialView, NewServiceKey},
    service::ManagerPath,
};

use super::KeyField;
use crate::{
    api::{ApiError, ApiResult},
    components::{error_panel::ErrorPanel, side_sheet::SideSheet},
    context::use_backend,
    hooks::use_change,
};

#[component]
pub fn DeviceConsole(path: ManagerPath, device: String, on_close: Callback<()>) -> impl IntoView {
    let backend = use_backend();
    let error = RwSignal::new(None::<ApiError>);
    let change = use_change(error);
    let new_key = RwSignal::new(None::<NewServiceKey>);
    let credentials = RwSignal::new(None::<Vec<CredentialView>>);
    // Initiating answers the key, shown here once and only here (the blade follows the key change
    // that it starts); reading answers fingerprints. Both keep their answer, so they run as
    // actions of their own.
    let initiate = {
        let (backend, path, device) = (backend.clone(), path.clone(), device.clone());
        Action::new_local(move |_: &()| {
            let (backend, path, device) = (backend.clone(), path.clone(), device.clone());
            async move { backend.change_service_key(path, &device).await }
        })
    };
    let read = {
        let (backend, path, device) = (backend.clone(), path.clone(), device.clone());
        Action::new_local(move |_: &()| {
            let (backend, path, device) = (backend.clone(), path.clone(), device.clone());
            async move { backend.read_credentials(path, &device).await }
        })
    };
    let refresh = crate::context::use_refresh();
    Effect::new(move |_| {
        if let Some(result) = initiate.value().get() {
            settle(result, new_key, error);
            refresh.bump();
        }
    });
    Effect::new(move |_| {
        if let Some(result) = read.value().get() {
            settle(result, credentials, error);
        }
    });
    let key = RwSignal::new(String::new());
    let update_path = path.clone();
    let update_device = device.clone();
    view! {
        <SideSheet title=format!("Device console: {device}") on_close=on_close>
            <div class="sheet-body">
                <p class="muted">"These steps run on the device itself, as its administrator would run them."</p>
                {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
                <h3>"Change service data encryption key"</h3>
                <p>"On the authorized device, within four hours of its authorization. Generates the new key and \
                    re-encrypts every device's data under it."</p>
                <div class="button-row">
                    <button type="button" class="primary" disabled=move || initiate.pending().get()
                        on:click=move |_| { initiate.dispatch_local(()); }>"Change service data encryption key"</button>
                </div>
                {move || new_key.get().map(|k| view! {
                    <div class="banner ok" role="status">
                        <p><strong>{format!("New service data encryption key (version {}):", k.key_version)}</strong></p>
                        <p><code class="mono new-key">{k.service_data_encryption_key.clone()}</code></p>
                        <p>"This key is shown only now. Save it: every other device must be updated with it."</p>
                    </div>
                })}
                <h3>"Update service data encryption key"</h3>
                <KeyField label="Service data encryption key" key=key />
                <div class="button-row">
                    <button type="button" disabled=move || key.get().trim().is_empty() on:click=move |_| {
                        let (p, d, k) = (update_path.clone(), update_device.clone(), key.get_untracked().trim().to_string());
                        key.set(String::new());
                        change.run("Service data encryption key updated", move |b| async move { b.update_service_key(p, &d, k).await });
                    }>"Update"</button>
                </div>
                <h3>"Storage account credentials"</h3>
                <div class="button-row">
                    <button type="button" on:click=move |_| { read.dispatch_local(()); }>"Read storage account credentials"</button>
                </div>
                {move || credentials.get().map(|list| view! {
                    <ul class="credentials">
                        {list.into_iter().map(|c| view! {
                            <li>{format!("{}: readable (fingerprint {})", c.account, c.fingerprint)}</li>
                        }).collect_view()}
                    </ul>
                })}
            </div>
        </SideSheet>
    }
}

/// Puts an answer where the console shows it, or its failure where errors go.
fn settle<T: Send + Sync + 'static>(
    result: ApiResult<T>,
    target: RwSignal<Option<T>>,
    error: RwSignal<Option<ApiError>>,
) {
    match result {
        Ok(value) => {
            error.try_set(None);
            target.try_set(Some(value));
        }
        Err(e) => {
            error.try_set(Some(e));
        }
    }
}
