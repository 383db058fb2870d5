//! Key rotation on the key's blade: Rotate (with its confirmation), the rotation policy and the
//! resources registered with the key.

use leptos::prelude::*;
use shared::model::StepState;

use crate::{
    api::{ApiError, Backend, KeyType, KeyView, RotateKeyRequest, RotationPolicy, RotationView},
    components::{
        error_panel::ErrorPanel,
        form::{date_time, unique_id},
        notifications::{NoteKind, Notifier, use_notifier},
        side_sheet::SideSheet,
    },
    context::{Refresh, use_backend, use_refresh},
    hooks::{use_change, use_query},
    keygen::KeySpec,
    panels::create_key::{KeyRunner, KeygenProgress},
};

/// Rotate: a side sheet saying what a rotation does, and **Rotate key** to confirm. RSA and EC
/// keys get their new material generated in the browser, symmetric keys Keyblade generates
/// themselves, imported keys take new material pasted in.
#[component]
pub fn RotatePanel(
    #[prop(into)] vault: String,
    key: KeyView,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let backend = use_backend();
    let notifier = use_notifier();
    let refresh = use_refresh();
    let (v, k) = (vault.clone(), key.name.clone());
    let registrations =
        use_query(move || (v.clone(), k.clone()), |b, (v, k)| async move { b.registrations(&v, &k).await });
    let runner = KeyRunner::new();
    let working = runner.working();
    let error = RwSignal::new(None::<ApiError>);
    let payload = RwSignal::new(String::new());
    let missing = RwSignal::new(false);
    let payload_id = unique_id("rotate-payload");
    let in_browser = !key.imported && key.key_type != KeyType::Oct;
    let spec = if key.key_type.is_rsa() { KeySpec::Rsa { bits: usize::from(key.size) } } else { KeySpec::Ec };
    if in_browser {
        let vault = vault.clone();
        Effect::new(move || runner.prepare(vault.clone(), spec));
    }
    let (vault_c, name) = (vault.clone(), key.name.clone());
    let imported = key.imported;
    // What follows a rotation: the rewrap is followed by the app-wide notifier, the panel closes.
    let follower = backend.clone();
    let done = Callback::new(move |rotation: RotationView| {
        follow_rewrap(follower.clone(), notifier, refresh, rotation);
        let _ = on_close.try_run(());
    });
    // Rotations that need no browser-made material; owned by the panel, so an answer arriving
    // after it closed goes nowhere.
    let (vault_s, name_s) = (vault.clone(), key.name.clone());
    let send = Action::new_local(move |body: &RotateKeyRequest| {
        let (backend, vault, name, body) = (backend.clone(), vault_s.clone(), name_s.clone(), body.clone());
        async move { backend.rotate_key(&vault, &name, body).await }
    });
    Effect::new(move || match send.value().get() {
        Some(Ok(rotation)) => done.run(rotation),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let rotate = move |_| {
        let (vault, name) = (vault_c.clone(), name.clone());
        if in_browser {
            let what = format!("new material for key '{name}'");
            runner.run(
                vault.clone(),
                spec,
                what,
                move |backend, transfer| async move {
                    let body = RotateKeyRequest { transfer: Some(transfer), payload: None };
                    backend.rotate_key(&vault, &name, body).await
                },
                move |rotation| {
                    let _ = done.try_run(rotation);
                },
            );
            return;
        }
        let text = payload.get_untracked().trim().to_owned();
        missing.set(imported && text.is_empty());
        if missing.get_untracked() {
            return;
        }
        error.set(None);
        send.dispatch_local(RotateKeyRequest { transfer: None, payload: imported.then_some(text) });
    };
    let busy = Signal::derive(move || working.get() || send.pending().get());
    view! {
        <SideSheet title="Rotate key" on_close=Callback::new(move |()| { runner.cancel(); on_close.run(()) })>
            <div class="sheet-body">
                <p>{format!("Rotating '{}' gives it a new current version with new key material. Its name, id and settings stay. The older versions become decrypt only: they still unwrap what they wrapped, but wrap nothing new.", key.name)}</p>
                <p>{move || match registrations.get() {
                    Some(Ok(list)) if list.is_empty() => "No resources are registered with this key, so nothing needs rewrapping.".to_owned(),
                    Some(Ok(list)) => format!("{} registered resource(s) will be rewrapped onto the new version, one by one; until then the old version keeps them readable.", list.len()),
                    _ => String::new(),
                }}</p>
                <p class="muted">"A key can be rotated once an hour."</p>
                {imported.then(|| view! {
                    <div class="field">
                        <label for=payload_id.clone()>"New key material (base64)"</label>
                        <input id=payload_id type="password" class="mono" autocomplete="off" spellcheck="false" disabled=busy
                            prop:value=move || payload.get() on:input=move |ev| payload.set(event_target_value(&ev)) />
                        <p class="hint">"This key's material was imported: a rotation must bring new material of the same size."</p>
                        <Show when=move || missing.get()><p class="hint invalid" role="alert">"Paste the new key material first."</p></Show>
                    </div>
                })}
                {in_browser.then(|| view! { <KeygenProgress runner=runner /> })}
                {move || error.get().map(|e| view! { <ErrorPanel error=e /> })}
            </div>
            <div class="sheet-footer">
                <button type="button" class="primary" disabled=busy on:click=rotate>"Rotate key"</button>
                <button type="button" on:click=move |_| { if working.get() { runner.cancel() } else { on_close.run(()) } }>"Cancel"</button>
            </div>
        </SideSheet>
    }
}

/// Tells how a rotation went, then follows its rewrap resource by resource in a notification.
/// It outlives the panel on purpose and touches only app-wide state (notifier, refresh).
fn follow_rewrap(backend: Backend, notifier: Notifier, refresh: Refresh, rotation: RotationView) {
    refresh.bump();
    let key = rotation.key.name.clone();
    let Some(operation) = rotation.rewrap_operation else {
        notifier.push(NoteKind::Success, "Key rotated", format!("'{key}' has a new current version."));
        return;
    };
    let note = notifier.push(
        NoteKind::Progress,
        "Rewrapping registered resources…",
        format!("'{key}' was rotated."),
    );
    leptos::task::spawn_local(async move {
        let followed = backend
            .follow(&operation, |op| {
                let failed = op.steps.iter().filter(|s| s.state == StepState::Failed).count();
                let text = format!("{} of {} resources rewrapped, {failed} failed.", op.done, op.steps.len());
                notifier.update(note, NoteKind::Progress, "Rewrapping registered resources…", text);
            })
            .await;
        match followed {
            Ok(op) => {
                let text = format!(
                    "'{key}' was rotated and its {} registered resource(s) rewrapped.",
                    op.steps.len()
                );
                notifier.update(note, NoteKind::Success, "Key rotated", text);
            }
            Err(e) => {
                let text =
                    format!("{}: {} See the key's Registrations and the Activity pane.", e.code, e.message);
                notifier.update(note, NoteKind::Error, "Some resources were not rewrapped", text);
            }
        }
        refresh.bump();
    });
}

/// The rotation policy: on or off, and every 1 to 12 months.
#[component]
pub fn RotationPolicyTab(
    #[prop(into)] vault: String,
    key: KeyView,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let change = use_change(error);
    let current = key.rotation_policy;
    let enabled = RwSignal::new(current.is_some_and(|p| p.enabled));
    let months = RwSignal::new(current.map_or(3, |p| p.interval_months));
    let (id_on, id_months) = (unique_id("policy-on"), unique_id("policy-months"));
    if key.imported {
        return view! {
            <p class="empty">"This key's material was imported, so Keyblade cannot renew it on a schedule: imported keys have no rotation policy. Rotate it by hand with new material."</p>
        }
        .into_any();
    }
    let name = key.name.clone();
    let save = move |_| {
        let (v, k) = (vault.clone(), name.clone());
        let policy =
            RotationPolicy { enabled: enabled.get_untracked(), interval_months: months.get_untracked() };
        change.run(
            "Rotation policy saved",
            move |b| async move { b.set_rotation_policy(&v, &k, policy).await },
        );
    };
    view! {
        <div class="form-section">
            <div class="check">
                <input id=id_on.clone() type="checkbox" prop:checked=move || enabled.get() on:change=move |ev| enabled.set(event_target_checked(&ev)) />
                <label for=id_on>"Rotate automatically"</label>
            </div>
            <div class="field">
                <label for=id_months.clone()>"Rotation interval"</label>
                <select id=id_months disabled=move || !enabled.get() on:change=move |ev| months.set(event_target_value(&ev).parse().unwrap_or(3))>
                    {(1..=12u8).map(|m| view! {
                        <option value=m.to_string() selected=move || months.get() == m>{if m == 1 { "1 month".to_owned() } else { format!("{m} months") }}</option>
                    }).collect_view()}
                </select>
            </div>
            <dl class="essentials">
                <dt>"Last rotated"</dt><dd>{key.last_rotated.map_or_else(|| "Never".to_owned(), date_time)}</dd>
                <dt>"Next rotation"</dt><dd>{key.next_rotation.map_or_else(|| "Not scheduled".to_owned(), date_time)}</dd>
            </dl>
            <button type="button" class="primary" on:click=save>"Save policy"</button>
        </div>
    }
    .into_any()
}

/// The resources the key protects, with the version each one's secret is wrapped under.
#[component]
pub fn RegistrationsTab(#[prop(into)] vault: String, key: KeyView) -> impl IntoView {
    let name = key.name.clone();
    let registrations = use_query(
        move || (vault.clone(), name.clone()),
        |b, (v, k)| async move { b.registrations(&v, &k).await },
    );
    let current = key.versions.last().map(|v| v.id.clone()).unwrap_or_default();
    view! {
        {move || registrations.get().map(|r| match r {
            Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
            Ok(list) if list.is_empty() => view! { <p class="empty">"No resources are registered with this key. Orders that select it as their customer-managed key, and resources registered through the API, appear here."</p> }.into_any(),
            Ok(list) => {
                let current = current.clone();
                view! {
                    <table class="grid registrations">
                        <thead><tr><th scope="col">"Resource"</th><th scope="col">"Key version"</th><th scope="col">"Prevents deletion"</th><th scope="col">"Registered"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|r| {
                                let on_current = r.key_version == current;
                                view! {
                                    <tr>
                                        <td>{r.label.clone()}</td>
                                        <td class="mono">{r.key_version.clone()}{(!on_current).then(|| view! { <span class="badge">" (older version)"</span> })}</td>
                                        <td>{if r.prevent_key_deletion { "Yes" } else { "No" }}</td>
                                        <td>{r.created.map_or_else(|| "—".to_owned(), date_time)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }
        })}
    }
}
