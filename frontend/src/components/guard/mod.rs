//! Actions the signed-in account's roles would refuse: disabled together (never hidden), with
//! the reason on hover. A disabled `<fieldset>` disables every control inside it, so a blade
//! wraps its changing parts once instead of guarding each button.

use leptos::prelude::*;

#[component]
pub fn Guard(
    /// Why the actions inside are refused (`None`: they are allowed).
    denied: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <fieldset class="guard" disabled=move || denied.get().is_some() title=move || denied.get().unwrap_or_default()>
            {children()}
        </fieldset>
    }
}
