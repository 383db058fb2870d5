//! Keyblade's portal. Everything lives here rather than in `main.rs` so the wasm-bindgen
//! tests can mount and inspect it.

pub mod api;
mod chrome;

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use chrome::Chrome;

/// The product name, shown in the top bar and the page title.
pub const PRODUCT_NAME: &str = "Keyblade";

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Chrome>
                <Routes fallback=|| view! { <p class="empty">"This page does not exist."</p> }>
                    <Route path=path!("/") view=Home />
                </Routes>
            </Chrome>
        </Router>
    }
}

#[component]
fn Home() -> impl IntoView {
    view! {
        <section class="blade">
            <h1>"Home"</h1>
            <p>"Manage the encryption of your Data Box orders."</p>
        </section>
    }
}
