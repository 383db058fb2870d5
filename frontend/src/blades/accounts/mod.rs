//! Accounts: the people who sign in, with a first role; disabling, enabling and deleting them;
//! the signed-in account's sessions. In the offline demo, which has no sign-in, an account is
//! acted as instead, to rehearse separation of duties.

use leptos::prelude::*;
use shared::model::{Action, Role};
use shared::service::CreateAccountRequest;

use crate::{
    access::refusal,
    api::{Account, ApiError},
    components::{
        error_panel::ErrorPanel,
        form::{date_time, unique_id},
    },
    context::{set_crumbs, use_backend, use_session},
    hooks::{Change, use_change, use_query},
};

#[component]
pub fn AccountsBlade() -> impl IntoView {
    set_crumbs(&[("Home", "/"), ("Accounts", "/accounts")]);
    let accounts = use_query(|| (), |b, ()| async move { b.accounts().await });
    let error = RwSignal::new(None::<ApiError>);
    let change = use_change(error);
    let denied = refusal(Action::Administer, || "/".to_owned());
    let offline = use_backend().is_offline();
    let (name, password) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let role = RwSignal::new(String::from("Reader"));
    let (id_name, id_password, id_role) =
        (unique_id("acct-name"), unique_id("acct-password"), unique_id("acct-role"));
    let create = move |_| {
        let role = role.get_untracked();
        let body = CreateAccountRequest {
            name: name.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            role: (!role.is_empty()).then_some(role),
            scope: Some("/".into()),
        };
        password.set(String::new());
        name.set(String::new());
        change.run("Account created", move |b| async move { b.create_account(body).await });
    };
    view! {
        <section class="blade" aria-labelledby="accounts-title">
            <div class="blade-head"><h1 id="accounts-title">"Accounts"</h1><span class="muted">"Who signs in"</span></div>
            {move || error.get().map(|e| view! { <ErrorPanel error=e on_dismiss=Callback::new(move |()| error.set(None)) /> })}
            <h2 class="section-title">"Create an account"</h2>
            <div class="inline-form">
                <div class="field">
                    <label for=id_name.clone()>"Account name"</label>
                    <input id=id_name type="text" autocomplete="off" placeholder="kim" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for=id_password.clone()>"Password"</label>
                    <input id=id_password type="password" autocomplete="new-password" placeholder="12 characters or more" prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for=id_role.clone()>"Role at the instance"</label>
                    <select id=id_role prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="">"None"</option>
                        {Role::ALL.map(|r| view! { <option value=r.label()>{r.label()}</option> })}
                    </select>
                </div>
                <button type="button" class="primary" disabled=move || name.get().trim().is_empty() || password.get().is_empty() || denied.get().is_some()
                    title=move || denied.get().unwrap_or_default() on:click=create>"Create account"</button>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || accounts.get().map(|r| match r {
                    Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                    Ok(list) => view! { <AccountTable list change denied offline /> }.into_any(),
                })}
            </Suspense>
            {(!offline).then(|| view! { <Sessions change /> })}
        </section>
    }
}

#[component]
fn AccountTable(
    list: Vec<Account>,
    change: Change,
    denied: Signal<Option<String>>,
    offline: bool,
) -> impl IntoView {
    let backend = use_backend();
    let me = use_session().0.get_untracked().map(|u| u.username).unwrap_or_default();
    view! {
        <table class="grid" aria-label="Accounts">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Status"</th><th scope="col">"Created"</th><th scope="col">"Actions"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|a| {
                    let (n1, n2, n3) = (a.name.clone(), a.name.clone(), a.name.clone());
                    let enabled = a.enabled;
                    let toggle = if enabled { "Disable" } else { "Enable" };
                    let backend = backend.clone();
                    let acting = a.name == me;
                    view! {
                        <tr>
                            <td>{a.name.clone()}{acting.then_some(" (you)")}</td>
                            <td>{if enabled { "Enabled" } else { "Disabled" }}</td>
                            <td>{date_time(a.created)}</td>
                            <td class="row-actions">
                                <button type="button" aria-label=format!("{toggle} account {}", a.name) disabled=move || denied.get().is_some() title=move || denied.get().unwrap_or_default()
                                    on:click=move |_| { let n = n1.clone(); change.run("Account updated", move |b| async move { b.set_account_enabled(&n, !enabled).await }) }>{toggle}</button>
                                <button type="button" aria-label=format!("Delete account {}", a.name) disabled=move || denied.get().is_some() title=move || denied.get().unwrap_or_default()
                                    on:click=move |_| { let n = n2.clone(); change.run("Account deleted", move |b| async move { b.delete_account(&n).await }) }>"Delete"</button>
                                {(offline && !acting && enabled).then(|| view! {
                                    <button type="button" aria-label=format!("Act as {}", n3) on:click=move |_| backend.act_as(&n3)>"Act as"</button>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The signed-in account's sessions, each revocable.
#[component]
fn Sessions(change: Change) -> impl IntoView {
    let me = move || use_session().0.get().map(|u| u.username).unwrap_or_default();
    let sessions = use_query(me, |b, me| async move { b.sessions(&me).await });
    view! {
        <h2 class="section-title">"Your sessions"</h2>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || sessions.get().map(|r| match r {
                Err(e) => view! { <ErrorPanel error=e /> }.into_any(),
                Ok(list) => view! {
                    <table class="grid" aria-label="Sessions">
                        <thead><tr><th scope="col">"Session"</th><th scope="col">"Last used"</th><th scope="col">"Ends"</th><th scope="col">"Actions"</th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|s| {
                                let id = s.id.clone();
                                let account = me();
                                view! {
                                    <tr>
                                        <td class="mono">{s.id.clone()}{s.current.then_some(" (this one)")}</td>
                                        <td>{date_time(shared::model::Timestamp(s.last_seen))}</td>
                                        <td>{date_time(shared::model::Timestamp(s.expires_at))}</td>
                                        <td>{(!s.current).then(|| view! {
                                            <button type="button" aria-label=format!("Revoke session {}", s.id)
                                                on:click=move |_| { let (a, id) = (account.clone(), id.clone()); change.run("Session revoked", move |b| async move { b.revoke_session(&a, &id).await }) }>"Revoke"</button>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </Suspense>
    }
}
