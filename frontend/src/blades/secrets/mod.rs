//! Secrets (instance settings): a stamp's infrastructure secrets (seed 003) — the inventory with
//! expiry, issuer and days left, the alerts 30 days before expiry, internal and external
//! rotation runs with their history and Re-run, the certificate authority change table, and the
//! BMC credential.

use crate::{access::refusal, components::guard::Guard};
use leptos::prelude::*;
use shared::model::Action as Permission;
use wasm_bindgen::JsCast;

use crate::{
    api::{
        ApiError, Backend, CertificateFile, CreateStampRequest, SecretView, SetBmcCredentialRequest,
        StampView, StartSecretRotationRequest,
    },
    components::{
        error_panel::ErrorPanel,
        form::{date_time, unique_id},
        notifications::{NoteKind, Notifier, use_notifier},
        operation_follow::{Words, follow_operation, step_text},
    },
    context::{Refresh, set_crumbs, use_backend, use_refresh},
    hooks::{use_change, use_query},
};
use shared::model::STAMP_VERSIONS;
use shared::model::{IdentityProvider, IssuerKind, OperationState, RotationScope, StepState};

#[component]
pub fn SecretsBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Secrets", "/secrets")]);
    let stamps = use_query(|| (), |b, ()| async move { b.stamps().await });
    let error = RwSignal::new(None::<ApiError>);
    let chosen = RwSignal::new(String::new());
    let picker = unique_id("stamp-picker");
    view! {
        <section class="blade" aria-labelledby="secrets-title">
            <div class="blade-head"><h1 id="secrets-title">"Secrets"</h1><span class="muted">"Instance settings"</span></div>
            <p class="muted">"The stamp runs on internal secrets it manages itself and on the certificates of its external endpoints, which you supply. "
                "Rotate them before they expire: alerts appear 30 days ahead."</p>
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || stamps.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(list) => {
                        let names: Vec<String> = list.iter().map(|s| s.name.clone()).collect();
                        let wanted = chosen.get();
                        let shown = list.iter().find(|s| s.name == wanted).or(list.first()).cloned();
                        view! {
                            {(names.len() > 1).then(|| view! {
                                <div class="form-row">
                                    <label class="row-label" for=picker.clone()>"Stamp"</label>
                                    <select id=picker.clone() prop:value=shown.as_ref().map(|s| s.name.clone()).unwrap_or_default()
                                        on:change=move |ev| chosen.set(event_target_value(&ev))>
                                        {names.iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                                    </select>
                                </div>
                            })}
                            {match shown {
                                None => view! { <p class="empty">"No stamp yet: add one below."</p> }.into_any(),
                                Some(stamp) => view! { <Stamp stamp=stamp error=error /> }.into_any(),
                            }}
                        }
                        .into_any()
                    }
                })}
            </Suspense>
            <Guard denied=refusal(Permission::Manage, || "/".to_owned())><AddStamp error=error chosen=chosen /></Guard>
        </section>
    }
}

#[component]
fn Stamp(stamp: StampView, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let re_run = RwSignal::new(false);
    // Stamps belong to the instance: changing one is managed there.
    let denied = refusal(Permission::Manage, || "/".to_owned());
    let (for_update, for_runs, for_bmc) = (stamp.clone(), stamp.clone(), stamp.clone());
    view! {
        <dl class="essentials" aria-label="Stamp">
            <dt>"Stamp"</dt><dd>{stamp.name.clone()}</dd>
            <dt>"Version"</dt><dd>{stamp.version}</dd>
            <dt>"Identity provider"</dt><dd>{format!("{:?}", stamp.identity_provider).to_uppercase()}</dd>
            <dt>"Completed rotations"</dt><dd>{stamp.rotations}</dd>
        </dl>
        <Guard denied><UpdateStamp stamp=for_update error=error /></Guard>
        <Alerts stamp=stamp.clone() />
        <Inventory title="Internal secrets" secrets=stamp.internal_secrets.clone() external=false />
        <Inventory title="External certificates" secrets=stamp.certificates.clone() external=true />
        <Guard denied>
            <RotateInternal stamp=for_runs.clone() error=error />
            <RotateExternal stamp=for_runs.clone() re_run=re_run error=error />
            <RunHistory stamp=for_runs re_run=re_run error=error />
        </Guard>
        <AuthorityTable stamp=stamp />
        <Guard denied><BmcCredential stamp=for_bmc error=error /></Guard>
    }
}

/// Updates the stamp to a later version: the remedy when a stamp rotated before is under 1811.
#[component]
fn UpdateStamp(stamp: StampView, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let change = use_change(error);
    let later: Vec<u16> = STAMP_VERSIONS.into_iter().filter(|v| *v > stamp.version).collect();
    let target = RwSignal::new(later.first().map(u16::to_string).unwrap_or_default());
    let id = unique_id("stamp-version");
    let name = stamp.name.clone();
    let update = move |_| {
        let Ok(version) = target.get_untracked().parse::<u16>() else { return };
        let name = name.clone();
        change.run("Stamp updated", move |b| async move { b.update_stamp(&name, version).await.map(drop) });
    };
    (!later.is_empty()).then(|| view! {
        <div class="inline-form">
            <div class="field">
                <label for=id.clone()>"Update to version"</label>
                <select id=id prop:value=move || target.get() on:change=move |ev| target.set(event_target_value(&ev))>
                    {later.iter().map(|v| view! { <option value=v.to_string()>{v.to_string()}</option> }).collect_view()}
                </select>
            </div>
            <button type="button" on:click=update>"Update stamp"</button>
        </div>
    })
}

/// Adds a stamp at a version, with its identity provider.
#[component]
fn AddStamp(error: RwSignal<Option<ApiError>>, chosen: RwSignal<String>) -> impl IntoView {
    let change = use_change(error);
    let name = RwSignal::new(String::new());
    let version = RwSignal::new("1811".to_owned());
    let provider = RwSignal::new("AAD".to_owned());
    let (name_id, version_id, provider_id) =
        (unique_id("stamp-name"), unique_id("stamp-new-version"), unique_id("stamp-idp"));
    let add = move |_| {
        let (Ok(v), new_name) =
            (version.get_untracked().parse::<u16>(), name.get_untracked().trim().to_owned())
        else {
            return;
        };
        let identity_provider =
            if provider.get_untracked() == "ADFS" { IdentityProvider::Adfs } else { IdentityProvider::Aad };
        let request = CreateStampRequest { name: new_name.clone(), version: v, identity_provider };
        chosen.set(new_name);
        name.set(String::new());
        change.run("Stamp added", move |b| async move { b.create_stamp(request).await.map(drop) });
    };
    view! {
        <h2 class="section-title">"Add a stamp"</h2>
        <p class="muted">"Its certificates are issued by its deployment CA (three RSA keys are generated, which takes a moment)."</p>
        <div class="inline-form">
            <div class="field">
                <label for=name_id.clone()>"Stamp name"</label>
                <input id=name_id type="text" autocomplete="off" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for=version_id.clone()>"Version"</label>
                <select id=version_id prop:value=move || version.get() on:change=move |ev| version.set(event_target_value(&ev))>
                    {STAMP_VERSIONS.iter().map(|v| view! { <option value=v.to_string()>{v.to_string()}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for=provider_id.clone()>"Identity provider"</label>
                <select id=provider_id prop:value=move || provider.get() on:change=move |ev| provider.set(event_target_value(&ev))>
                    <option value="AAD">"AAD"</option>
                    <option value="ADFS">"ADFS"</option>
                </select>
            </div>
            <button type="button" class="primary" disabled=move || name.get().trim().is_empty() on:click=add>"Add stamp"</button>
        </div>
    }
}

#[component]
fn Alerts(stamp: StampView) -> impl IntoView {
    let body = if stamp.alerts.is_empty() {
        view! { <p class="empty">"No alerts: no secret expires within 30 days."</p> }.into_any()
    } else {
        view! {
            <ul class="alerts" aria-label="Alerts">
                {stamp.alerts.iter().map(|a| view! {
                    <li class="callout warning" role="alert">
                        <strong>{a.title.clone()}</strong>" — "{a.secret.clone()}" expires "{date_time(a.expires)}
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! { <h2 class="section-title">"Alerts"</h2>{body} }
}

fn issuer_label(kind: Option<IssuerKind>) -> &'static str {
    kind.map_or("", IssuerKind::label)
}

#[component]
fn Inventory(title: &'static str, secrets: Vec<SecretView>, external: bool) -> impl IntoView {
    view! {
        <h2 class="section-title">{title}</h2>
        <table class="grid" aria-label=title>
            <thead><tr>
                <th scope="col">{if external { "Endpoint" } else { "Secret" }}</th>
                <th scope="col">{if external { "Host" } else { "Kind" }}</th>
                {external.then(|| view! { <th scope="col">"Issuer"</th> })}
                <th scope="col">"Expires"</th>
                <th scope="col">"Days left"</th>
            </tr></thead>
            <tbody>
                {secrets.into_iter().map(|s| view! {
                    <tr>
                        <td>{s.name.clone()}</td>
                        <td class=if external { "mono" } else { "" }>{s.host.clone().unwrap_or(s.kind.clone())}</td>
                        {external.then(|| view! { <td>{format!("{} ({})", issuer_label(s.issuer_kind), s.issuer.clone().unwrap_or_default())}</td> })}
                        <td>{date_time(s.expires)}</td>
                        <td class=if s.days_left <= 30 { "warning" } else { "" }>{s.days_left}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

fn running(stamp: &StampView) -> bool {
    stamp.runs.iter().any(|r| r.state == OperationState::Running)
}

/// Starts a run and follows it in a notification.
fn start_run(
    backend: Backend,
    notifier: Notifier,
    refresh: Refresh,
    error: RwSignal<Option<ApiError>>,
    stamp: String,
    request: StartSecretRotationRequest,
) {
    leptos::task::spawn_local(async move {
        match backend.start_secret_rotation(&stamp, request).await {
            Ok(run) => follow_operation(backend, notifier, refresh, run, RUN),
            Err(e) => {
                error.try_set(Some(e));
            }
        }
    });
}

/// How a run is followed.
const RUN: Words = Words {
    running: "Rotating secrets…",
    succeeded: ("Secrets rotated", "Overall action status: Success"),
    failed: "The secret rotation failed",
    items: "secrets",
};

#[component]
fn RotateInternal(stamp: StampView, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let (backend, notifier, refresh) = (use_backend(), use_notifier(), use_refresh());
    let busy = running(&stamp);
    let name = stamp.name.clone();
    let start = move |_| {
        error.set(None);
        let request = StartSecretRotationRequest { internal: true, ..Default::default() };
        start_run(backend.clone(), notifier, refresh, error, name.clone(), request);
    };
    view! {
        <h2 class="section-title">"Rotate internal secrets"</h2>
        <p class="muted">"Replaces every service account password and internal certificate with new ones."</p>
        <div class="actions"><button type="button" class="primary" disabled=busy on:click=start>"Rotate internal secrets"</button></div>
    }
}

/// Reads the chosen files of a share: each file's path in the chosen folder, and its bytes.
async fn read_share(input: web_sys::HtmlInputElement) -> Vec<CertificateFile> {
    let Some(list) = input.files() else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for i in 0..list.length() {
        let Some(file) = list.get(i) else { continue };
        let relative = js_sys::Reflect::get(&file, &"webkitRelativePath".into())
            .ok()
            .and_then(|v| v.as_string())
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| file.name());
        let Ok(buffer) = wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await else { continue };
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        files.push(CertificateFile { path: share_path(&relative), content: shared::crypto::b64(&bytes) });
    }
    files
}

/// The path from the share's `Certificates` folder on: a chosen folder named the share itself
/// (`share/Certificates/AAD/...`) or `Certificates` (`Certificates/AAD/...`) gives the same path.
fn share_path(relative: &str) -> String {
    let parts: Vec<&str> = relative.split(['/', '\\']).collect();
    match parts.iter().position(|p| p.eq_ignore_ascii_case("Certificates")) {
        Some(i) if i > 0 => parts[i..].join("\\"),
        _ => parts.join("\\"),
    }
}

#[component]
fn RotateExternal(
    stamp: StampView,
    re_run: RwSignal<bool>,
    error: RwSignal<Option<ApiError>>,
) -> impl IntoView {
    let (backend, notifier, refresh) = (use_backend(), use_notifier(), use_refresh());
    let files = RwSignal::new(Vec::<CertificateFile>::new());
    let password = RwSignal::new(String::new());
    let (share_id, password_id, re_run_id) =
        (unique_id("share"), unique_id("share-password"), unique_id("re-run"));
    let busy = running(&stamp);
    let name = stamp.name.clone();
    let choose = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let read = read_share(input).await;
            files.try_set(read);
        });
    };
    let start = move |_| {
        error.set(None);
        let request = StartSecretRotationRequest {
            internal: false,
            re_run: re_run.get_untracked(),
            pfx_files_path: "Certificates".into(),
            pfx_files: files.get_untracked(),
            certificate_password: Some(password.get_untracked()),
        };
        start_run(backend.clone(), notifier, refresh, error, name.clone(), request);
    };
    let provider = format!("{:?}", stamp.identity_provider).to_uppercase();
    view! {
        <h2 class="section-title">"Rotate external certificates"</h2>
        <p class="muted">{format!("Choose the certificate share: a Certificates folder holding {provider}\\<endpoint>\\<name>.pfx for every endpoint, all with one password. The share is checked whole before anything changes.")}</p>
        <div class="form-row">
            <label class="row-label" for=share_id.clone()>"Certificate share folder"</label>
            <input id=share_id type="file" multiple=true prop:webkitdirectory=true on:change=choose />
        </div>
        <p class="muted" role="status">{move || match files.get().len() { 0 => "No files chosen.".to_owned(), n => format!("{n} .pfx files chosen.") }}</p>
        <div class="form-row">
            <label class="row-label" for=password_id.clone()>"Certificate password"</label>
            <input id=password_id type="password" autocomplete="off" prop:value=move || password.get()
                on:input=move |ev| password.set(event_target_value(&ev)) />
        </div>
        <div class="form-row">
            <span class="row-label"></span>
            <span class="check">
                <input type="checkbox" id=re_run_id.clone() prop:checked=move || re_run.get() on:change=move |ev| re_run.set(event_target_checked(&ev)) />
                <label for=re_run_id>"Re-run the failed rotation"</label>
            </span>
        </div>
        <div class="actions">
            <button type="button" class="primary" disabled=move || busy || files.get().is_empty() || password.get().is_empty()
                on:click=start>"Rotate external certificates"</button>
        </div>
    }
}

#[component]
fn RunHistory(stamp: StampView, re_run: RwSignal<bool>, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let (backend, notifier, refresh) = (use_backend(), use_notifier(), use_refresh());
    let failed = stamp.failed_run;
    let name = stamp.name.clone();
    let again = move |_| match failed {
        // An internal run repeats as it was; an external one needs the corrected share above.
        Some(RotationScope::Internal) => {
            let request = StartSecretRotationRequest { internal: true, re_run: true, ..Default::default() };
            start_run(backend.clone(), notifier, refresh, error, name.clone(), request);
        }
        Some(_) => {
            re_run.set(true);
            notifier.push(
                NoteKind::Info,
                "Re-run",
                "Choose the corrected certificate share and the password, then Rotate external certificates.",
            );
        }
        None => {}
    };
    let rows = if stamp.runs.is_empty() {
        view! { <p class="empty">"No rotation yet."</p> }.into_any()
    } else {
        view! {
            <table class="grid" aria-label="Run history">
                <thead><tr><th scope="col">"Started"</th><th scope="col">"Run"</th><th scope="col">"Status"</th><th scope="col">"Steps"</th></tr></thead>
                <tbody>
                    {stamp.runs.iter().map(|run| {
                        let status = match run.state {
                            OperationState::Running => step_text(run, RUN),
                            OperationState::Succeeded => "Overall action status: Success".to_owned(),
                            OperationState::Failed => run.error.as_ref().map_or("Failed".into(), |e| format!("Failed ({}): {}", e.code.as_str(), e.message)),
                        };
                        let done = run.steps.iter().filter(|s| s.state == StepState::Done).count();
                        view! {
                            <tr>
                                <td>{date_time(run.started)}</td>
                                <td>{run.label.clone()}</td>
                                <td>{status}</td>
                                <td>{format!("{done} of {} done", run.steps.len())}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <h2 class="section-title">"Run history"</h2>
        {rows}
        {failed.map(|_| view! {
            <p class="callout error" role="note">"The last rotation failed: fix what it names, then re-run it. No other rotation may start before."</p>
            <div class="actions"><button type="button" on:click=again>"Re-run"</button></div>
        })}
    }
}

#[component]
fn AuthorityTable(stamp: StampView) -> impl IntoView {
    view! {
        <h2 class="section-title">"Certificate authority changes"</h2>
        <table class="grid" aria-label="Certificate authority changes">
            <thead><tr><th scope="col">"Installed certificates"</th><th scope="col">"New certificates"</th><th scope="col">"Supported from"</th><th scope="col">{format!("On {}", stamp.version)}</th></tr></thead>
            <tbody>
                {stamp.authority_changes.iter().map(|row| view! {
                    <tr>
                        <td>{row.from.label()}</td>
                        <td>{row.to.label()}</td>
                        <td>{row.rule.clone()}</td>
                        <td>{if row.supported { "Supported" } else { "Not supported" }}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn BmcCredential(stamp: StampView, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let change = use_change(error);
    let user = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let (user_id, password_id) = (unique_id("bmc-user"), unique_id("bmc-password"));
    let name = stamp.name.clone();
    let save = move |_| {
        let user = user.get_untracked().trim().to_owned();
        let request = SetBmcCredentialRequest {
            bmc_user: (!user.is_empty()).then_some(user),
            bmc_password: password.get_untracked(),
        };
        password.set(String::new());
        let name = name.clone();
        change.run("BMC credential updated", move |b| async move {
            b.set_bmc_credential(&name, request).await.map(drop)
        });
    };
    view! {
        <h2 class="section-title">"Baseboard management controller credential"</h2>
        <p class="muted">{format!("Every server's BMC uses the same credential; the current user name is {}.", stamp.bmc_user)}</p>
        <div class="inline-form">
            <div class="field">
                <label for=user_id.clone()>"BMC user name (optional)"</label>
                <input id=user_id type="text" maxlength="16" autocomplete="off" prop:value=move || user.get()
                    on:input=move |ev| user.set(event_target_value(&ev)) />
            </div>
            <div class="field">
                <label for=password_id.clone()>"BMC password"</label>
                <input id=password_id type="password" autocomplete="new-password" prop:value=move || password.get()
                    on:input=move |ev| password.set(event_target_value(&ev)) />
            </div>
            <button type="button" class="primary" disabled=move || password.get().is_empty() on:click=save>"Update BMC credential"</button>
        </div>
    }
}
