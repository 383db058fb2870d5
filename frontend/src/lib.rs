//! Keyblade's portal. Everything lives here rather than in `main.rs` so the wasm-bindgen
//! tests can mount and inspect it.
//!
//! Module map:
//! - [`api`]: the one backend interface (all HTTP lives in `api/http.rs`).
//! - [`context`]: the capabilities blades get by context.
//! - [`hooks`]: queries (keyed resources) and changes (actions) blades load and change data with.
//! - [`chrome`]: top bar, breadcrumb, left menu, session guard.
//! - [`components`]: side sheet, notifications, error panel, form helpers.
//! - [`panels`]: side-sheet panels shared by several blades (create vault / key / version,
//!   key picker, identity picker).
//! - [`keygen`]: RSA/EC key generation in a Web Worker, wrapped for transfer; the worker's
//!   message protocol.
//! - [`engine`]: the offline demo's engine, as it runs in its worker.
//! - [`perf`]: User Timing marks for the moments a user waits on.
//! - [`fatal`]: what a panic does (a recorded, visible failure, never a silently dead page).
//! - [`blades`]: one folder per page; [`lazy_blades`]: the routes whose blades load on first use.

pub mod access;
pub mod api;
pub mod blades;
pub mod chrome;
pub mod components;
pub mod context;
pub mod engine;
pub mod fatal;
pub mod hooks;
pub mod keygen;
pub mod lazy_blades;
pub mod panels;
pub mod perf;

use leptos::prelude::*;
use leptos_router::{
    Lazy,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::{
    api::Backend,
    chrome::{NotFound, Shell},
    components::notifications::{NotificationArea, Notifier},
    context::{Crumbs, Refresh, Session},
    lazy_blades::*,
};

/// The product name, shown in the top bar and the page title.
pub const PRODUCT_NAME: &str = "Keyblade";

#[component]
pub fn App() -> impl IntoView {
    provide_context(Backend::for_this_tab());
    provide_context(Refresh(RwSignal::new(0)));
    provide_context(Session(RwSignal::new(None)));
    provide_context(Crumbs(RwSignal::new(vec![])));
    provide_context(Notifier::new());
    access::provide_access();
    view! {
        <Router>
            <Routes fallback=|| view! { <Shell><NotFound /></Shell> }>
                <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()} />
                <ParentRoute path=path!("") view=|| view! { <Shell><leptos_router::components::Outlet /></Shell> }>
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} />
                    <Route path=path!("/orders/:order") view={Lazy::<OverviewRoute>::new()} />
                    <Route path=path!("/orders/:order/encryption") view={Lazy::<EncryptionRoute>::new()} />
                    <Route path=path!("/vaults") view={Lazy::<KeyVaultsRoute>::new()} />
                    <Route path=path!("/deleted-vaults") view={Lazy::<DeletedVaultsRoute>::new()} />
                    <Route path=path!("/vaults/:vault") view={Lazy::<VaultRoute>::new()} />
                    <Route path=path!("/vaults/:vault/keys/:key") view={Lazy::<KeyDetailRoute>::new()} />
                    <Route path=path!("/identities") view={Lazy::<IdentitiesRoute>::new()} />
                    <Route path=path!("/subscription") view={Lazy::<SubscriptionRoute>::new()} />
                    <Route path=path!("/troubleshoot") view={Lazy::<TroubleshootRoute>::new()} />
                    <Route path=path!("/activity-log") view={Lazy::<ActivityLogRoute>::new()} />
                    <Route path=path!("/api-keys") view={Lazy::<ApiKeysRoute>::new()} />
                    <Route path=path!("/access-control") view={Lazy::<AccessControlRoute>::new()} />
                    <Route path=path!("/accounts") view={Lazy::<AccountsRoute>::new()} />
                    <Route path=path!("/device-manager") view={Lazy::<DeviceManagerRoute>::new()} />
                    <Route path=path!("/encryption-at-rest") view={Lazy::<EncryptionAtRestRoute>::new()} />
                    <Route path=path!("/secrets") view={Lazy::<SecretsRoute>::new()} />
                </ParentRoute>
            </Routes>
            <NotificationArea />
        </Router>
    }
}
