//! The portal chrome: top bar (product name, Activity, Simulation, signed-in user, Sign out),
//! breadcrumb and left menu around every signed-in page. It also guards the session: no
//! session -> /signin.

mod activity;
mod simulation;

use leptos::prelude::*;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_location, use_navigate},
};

use crate::{
    PRODUCT_NAME, api,
    context::{Crumbs, use_backend, use_session},
    hooks::use_query,
};

#[component]
pub fn Shell(children: ChildrenFn) -> impl IntoView {
    let backend = use_backend();
    let session = use_session();
    let navigate = use_navigate();
    let location = use_location();

    // Any 401 anywhere sends the user to the sign-in page, remembering where they were.
    {
        let navigate = navigate.clone();
        api::on_unauthorized(move || {
            session.0.set(None);
            let here = location.pathname.get_untracked();
            if here != "/signin" {
                let next = js_sys::encode_uri_component(&here).as_string().unwrap_or_default();
                navigate(
                    &format!("/signin?next={next}"),
                    NavigateOptions { replace: true, ..Default::default() },
                );
            }
        });
    }
    let checked = RwSignal::new(session.0.get_untracked().is_some());
    let failure = RwSignal::new(None::<api::ApiError>);
    let stage = RwSignal::new(None::<String>);
    if !checked.get_untracked() {
        let backend = backend.clone();
        leptos::task::spawn_local(async move {
            let user = match backend.prepare(move |text| stage.set(Some(text))).await {
                Ok(()) => backend.current_user().await,
                Err(e) => Err(e),
            };
            match user {
                Ok(user) => {
                    session.0.set(Some(user));
                    checked.set(true);
                }
                // On 401 the unauthorized hook has already redirected.
                Err(e) if e.is_unauthorized() => {}
                Err(e) => failure.set(Some(e)),
            }
        });
    }
    let waiting = move || match stage.get() {
        Some(text) => {
            view! { <p class="loading" role="status">"Preparing the offline demo: " {text}</p> }.into_any()
        }
        None => view! { <p class="loading" role="status">"Loading the portal…"</p> }.into_any(),
    };
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <TopBar />
        <TestClockBanner />
        <Show when=move || checked.get() fallback=move || match failure.get() {
            None => waiting(),
            Some(e) if e.is_unreachable() => view! { <div class="content"><OfflineOffer error=e /></div> }.into_any(),
            Some(e) => view! { <div class="content"><crate::components::error_panel::ErrorPanel error=e /></div> }.into_any(),
        }>
            <div class="layout">
                <LeftMenu />
                <div class="main-column">
                    <Breadcrumb />
                    <main id="main" class="content" tabindex="-1">{children()}</main>
                </div>
            </div>
        </Show>
    }
}

/// Shown when no server answers under `/api`: says so and offers the offline demo, which
/// needs nothing but the files already loaded.
#[component]
fn OfflineOffer(error: api::ApiError) -> impl IntoView {
    view! {
        <section class="blade offline-offer" role="alert">
            <h1>"The Keyblade server cannot be reached"</h1>
            <p>{error.message} " The portal can run without it as an offline demo, kept in this browser."</p>
            <button type="button" class="primary" on:click=|_| api::offline::open_demo()>"Open the offline demo"</button>
        </section>
    }
}

/// The top bar's marks of the offline demo: the badge, what it means for the demo's keys, and
/// Reset demo (which forgets the demo, its master key included, and seeds a new one).
#[component]
fn DemoControls() -> impl IntoView {
    let reset = move |_| match api::offline::reset() {
        Ok(()) => api::offline::open_demo(),
        Err(e) => leptos::logging::error!("{e}"),
    };
    view! {
        <span class="demo-badge" title="Everything runs in this browser; nothing is sent to a server.">"Offline demo"</span>
        <span class="demo-note">"Demo keys are kept unprotected in this browser's storage"</span>
        <button type="button" class="topbar-button" on:click=reset>"Reset demo"</button>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let session = use_session();
    let backend = use_backend();
    // The offline demo has no sign-in, so no Sign out either.
    let offline = backend.is_offline();
    let navigate = use_navigate();
    let sign_out = move |_| {
        let backend = backend.clone();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let _ = backend.sign_out().await;
            session.0.set(None);
            navigate("/signin", NavigateOptions::default());
        });
    };
    view! {
        <header class="topbar" role="banner">
            <a class="brand" href="/">{PRODUCT_NAME}</a>
            <span class="topbar-sub">"Data Box encryption portal"</span>
            <div class="topbar-right">
                {offline.then(|| view! { <DemoControls /> })}
                {move || session.0.get().is_some().then(|| view! { <simulation::Simulation /><activity::Activity /> })}
                <BackendStatus />
                {move || session.0.get().map(|u| view! {
                    <span class="user" title="Signed-in user"><span class="avatar" aria-hidden="true">{u.label().chars().next().unwrap_or('?').to_uppercase().to_string()}</span>{u.label()}</span>
                })}
                {move || (session.0.get().is_some() && !offline).then(|| {
                    let sign_out = sign_out.clone();
                    view! { <button type="button" class="topbar-button" on:click=sign_out>"Sign out"</button> }
                })}
            </div>
        </header>
    }
}

/// On a server started with `--test-clock`, every page says so: anyone signed in can move its
/// time forward and end retention periods early.
#[component]
pub fn TestClockBanner() -> impl IntoView {
    let health = use_query(|| (), |b, ()| async move { b.health().await });
    let movable = move || health.get().and_then(Result::ok).is_some_and(|h| h.test_clock);
    view! {
        <Show when=movable>
            <div class="test-clock-banner" role="note" aria-label="Test clock">
                <strong>"Test clock on."</strong>
                " This server lets its clock be moved forward, which ends retention periods and purge protection early. Never use it for data that matters."
            </div>
        </Show>
    }
}

/// Shows whether the portal reached its backend.
#[component]
fn BackendStatus() -> impl IntoView {
    let health = use_query(|| (), |b, ()| async move { b.health().await });
    let label = move || match health.get() {
        None => "Connecting…".to_string(),
        Some(Ok(h)) => format!("Backend: {}", h.status),
        Some(Err(_)) => "Backend: unreachable".to_string(),
    };
    view! { <span class="status" role="status" aria-live="polite">{label}</span> }
}

#[component]
fn Breadcrumb() -> impl IntoView {
    let crumbs = expect_context::<Crumbs>();
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <ol>
                {move || {
                    let items = crumbs.0.get();
                    let last = items.len().saturating_sub(1);
                    items.into_iter().enumerate().map(|(i, (label, href))| {
                        if i == last {
                            view! { <li><span aria-current="page">{label}</span></li> }.into_any()
                        } else {
                            view! { <li><a href=href>{label}</a></li> }.into_any()
                        }
                    }).collect_view()
                }}
            </ol>
        </nav>
    }
}

/// The left menu: the order's pages (Overview, Settings > Encryption) and the resources used
/// to build every failure state.
#[component]
fn LeftMenu() -> impl IntoView {
    let orders = use_query(|| (), |b, ()| async move { b.orders().await });
    let order = move || orders.get().and_then(|r| r.ok()).and_then(|o| o.into_iter().next());
    view! {
        <nav class="left-menu" aria-label="Portal menu">
            {move || order().map(|o| {
                let overview = format!("/orders/{}", o.id);
                let encryption = format!("/orders/{}/encryption", o.id);
                view! {
                    <div class="menu-group">
                        <div class="menu-resource" title="Data Box order">{o.name.clone()}</div>
                        <ul>
                            <li><A href=overview exact=true>"Overview"</A></li>
                        </ul>
                        <div class="menu-heading" id="menu-settings">"Settings"</div>
                        <ul aria-labelledby="menu-settings">
                            <li><A href=encryption>"Encryption"</A></li>
                        </ul>
                    </div>
                }
            })}
            <div class="menu-group">
                <div class="menu-heading" id="menu-resources">"Resources"</div>
                <ul aria-labelledby="menu-resources">
                    <li><A href="/vaults">"Key vaults"</A></li>
                    <li><A href="/identities">"Managed identities"</A></li>
                    <li><A href="/device-manager">"Device manager"</A></li>
                    <li><A href="/subscription">"Subscription"</A></li>
                    <li><A href="/troubleshoot">"Troubleshoot"</A></li>
                    <li><A href="/activity-log">"Activity log"</A></li>
                    <li><A href="/api-keys">"API keys"</A></li>
                </ul>
            </div>
            <div class="menu-group">
                <div class="menu-heading" id="menu-instance">"Instance settings"</div>
                <ul aria-labelledby="menu-instance">
                    <li><A href="/encryption-at-rest">"Encryption at rest"</A></li>
                    <li><A href="/secrets">"Secrets"</A></li>
                    <li><A href="/access-control">"Access control (IAM)"</A></li>
                    <li><A href="/accounts">"Accounts"</A></li>
                </ul>
            </div>
        </nav>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    crate::context::set_crumbs(&[("Home", "/")]);
    view! { <section class="blade"><p class="empty">"This page does not exist."</p></section> }
}
