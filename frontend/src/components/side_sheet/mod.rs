//! A side sheet: the panel that slides in from the right, as cloud portals show them.
//! role="dialog" with aria-labelledby, Escape closes, focus moves into the panel on open and
//! returns to where it was on close.

use leptos::{html, prelude::*};
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

use crate::components::form::unique_id;

#[component]
pub fn SideSheet(
    /// The panel's title, also its accessible name.
    #[prop(into)]
    title: String,
    /// Called on Escape and on the close button.
    #[prop(into)]
    on_close: Callback<()>,
    /// Stacking level: 0 for a first panel, 1 for a panel opened from a panel.
    #[prop(optional)]
    level: u8,
    /// Wider panel.
    #[prop(optional)]
    wide: bool,
    children: Children,
) -> impl IntoView {
    let title_id = unique_id("sheet-title");
    let panel = NodeRef::<html::Section>::new();
    let previous_focus: Option<web_sys::HtmlElement> =
        document().active_element().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let previous_focus = SendWrapper::new(previous_focus);
    on_cleanup(move || {
        if let Some(el) = previous_focus.take() {
            let _ = el.focus();
        }
    });
    Effect::new(move |_| {
        if let Some(section) = panel.get() {
            focus_first(&section);
        }
    });
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.stop_propagation();
            ev.prevent_default();
            on_close.run(());
        }
    };
    let class = format!("sheet level-{level}{}", if wide { " wide" } else { "" });
    view! {
        <div class=format!("sheet-backdrop level-{level}") on:click=move |_| ()></div>
        <section
            class=class
            role="dialog"
            aria-modal="true"
            aria-labelledby=title_id.clone()
            node_ref=panel
            on:keydown=on_keydown
        >
            <header class="sheet-header">
                <h2 id=title_id.clone()>{title}</h2>
                <button type="button" class="icon-button" aria-label="Close" title="Close" on:click=move |_| on_close.run(())>
                    "✕"
                </button>
            </header>
            <div class="sheet-content">{children()}</div>
        </section>
    }
}

/// Focuses the first form control inside the panel body, else the panel's first button.
fn focus_first(root: &web_sys::HtmlElement) {
    let selectors = [
        ".sheet-content input:not([disabled]):not([readonly]), .sheet-content select:not([disabled]), .sheet-content textarea",
        ".sheet-content button:not([disabled])",
        "button",
    ];
    for selector in selectors {
        if let Ok(Some(el)) = root.query_selector(selector)
            && let Ok(el) = el.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = el.focus();
            return;
        }
    }
}
