//! The portal chrome: top bar with the product name and the backend's status, around the page.

use leptos::prelude::*;

use crate::{PRODUCT_NAME, api};

#[component]
pub fn Chrome(children: Children) -> impl IntoView {
    view! {
        <header class="topbar" role="banner">
            <a class="brand" href="/">{PRODUCT_NAME}</a>
            <BackendStatus />
        </header>
        <main class="content">{children()}</main>
    }
}

/// Shows whether the portal reached its backend.
#[component]
fn BackendStatus() -> impl IntoView {
    let health = LocalResource::new(api::health);
    let label = move || match health.get() {
        None => "Connecting…".to_string(),
        Some(Ok(h)) => format!("Backend: {} (v{})", h.status, h.version),
        Some(Err(_)) => "Backend: unreachable".to_string(),
    };
    view! { <span class="status" role="status" aria-live="polite">{label}</span> }
}
