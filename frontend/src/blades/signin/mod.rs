//! The sign-in page.

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    hooks::{use_navigate, use_query_map},
};

use crate::{
    PRODUCT_NAME,
    api::ApiError,
    chrome::TestClockBanner,
    components::error_panel::ErrorPanel,
    context::{use_backend, use_session},
};

#[component]
pub fn SignIn() -> impl IntoView {
    let backend = use_backend();
    let session = use_session();
    let navigate = use_navigate();
    let query = use_query_map();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let backend = backend.clone();
        let navigate = navigate.clone();
        let next = query
            .read_untracked()
            .get("next")
            .filter(|n| n.starts_with('/') && !n.starts_with("//"))
            .unwrap_or_else(|| "/".into());
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match backend.sign_in(&username.get_untracked(), &password.get_untracked()).await {
                Ok(user) => {
                    session.0.set(Some(user));
                    navigate(&next, NavigateOptions { replace: true, ..Default::default() });
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <header class="topbar" role="banner">
            <a class="brand" href="/">{PRODUCT_NAME}</a>
        </header>
        <TestClockBanner />
        <main class="signin" id="main">
            <form class="signin-card" on:submit=submit aria-labelledby="signin-title">
                <h1 id="signin-title">"Sign in"</h1>
                <p class="muted">"Sign in to manage the encryption of your Data Box orders."</p>
                <div class="field">
                    <label for="signin-username">"Username"</label>
                    <input id="signin-username" name="username" type="text" autocomplete="username" required
                        prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="signin-password">"Password"</label>
                    <input id="signin-password" name="password" type="password" autocomplete="current-password" required
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                </div>
                {move || error.get().map(|e| view! { <ErrorPanel error=e /> })}
                <div class="button-row">
                    <button type="submit" class="primary" disabled=move || busy.get()>
                        {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </div>
            </form>
        </main>
    }
}
