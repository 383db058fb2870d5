//! Shows an error the way the troubleshooting catalog describes it: code, details, whether it
//! is recoverable in the current state, remediation steps, and a one-click Fix when the error
//! carries one.

use leptos::prelude::*;

use crate::{
    api::{ApiError, OrderView},
    components::notifications::{NoteKind, use_notifier},
    context::{use_backend, use_refresh},
};

#[component]
pub fn ErrorPanel(
    /// The error to show.
    error: ApiError,
    /// Offered as "Retry" (e.g. Save again) once the cause is fixed.
    #[prop(optional, into)]
    on_retry: Option<Callback<()>>,
    /// Closes the panel.
    #[prop(optional, into)]
    on_dismiss: Option<Callback<()>>,
    /// Told the order's state after a successful fix (so a retry uses its new version).
    #[prop(optional, into)]
    on_fixed: Option<Callback<OrderView>>,
) -> impl IntoView {
    let backend = use_backend();
    let refresh = use_refresh();
    let notifier = use_notifier();
    let fixing = RwSignal::new(false);
    let fixed = RwSignal::new(false);
    let fix_error = RwSignal::new(None::<ApiError>);
    let failed = error.clone();
    let fix_label = error.fix_label().unwrap_or_else(|| "Apply the documented remedy".to_string());
    let recoverable = match error.recoverable {
        Some(true) => "Yes",
        Some(false) => "No",
        None => "Unknown",
    };
    let apply_fix = move |_| {
        let backend = backend.clone();
        let failed = failed.clone();
        fixing.set(true);
        fix_error.set(None);
        leptos::task::spawn_local(async move {
            match backend.apply_fix(&failed, None).await {
                Ok(applied) => {
                    if let (Some(cb), Some(order)) = (on_fixed, applied.order) {
                        let _ = cb.try_run(order);
                    }
                    fixed.try_set(true);
                    refresh.bump();
                    notifier.push(NoteKind::Success, "Fix applied", "Retry the operation.");
                }
                Err(e) => {
                    fix_error.try_set(Some(e));
                }
            }
            fixing.try_set(false);
        });
    };
    let has_fix = error.fix.is_some();
    let steps = error.remediation.clone();
    view! {
        <div class="error-panel" role="alert">
            <div class="error-head">
                <span class="error-icon" aria-hidden="true">"!"</span>
                <div>
                    <div class="error-title">"Error code: " <code class="error-code">{error.code.clone()}</code></div>
                    <p class="error-details">{error.message.clone()}</p>
                </div>
            </div>
            <dl class="error-facts">
                <dt>"Recoverable now"</dt>
                <dd class="error-recoverable">{recoverable}</dd>
            </dl>
            {(!steps.is_empty()).then(|| view! {
                <div class="error-remediation">
                    <h3>"Remediation"</h3>
                    <ol>{steps.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ol>
                </div>
            })}
            <div class="button-row">
                {has_fix.then(|| view! {
                    <button type="button" class="primary" title=fix_label.clone()
                        disabled=move || fixing.get() || fixed.get() on:click=apply_fix>
                        {move || if fixing.get() { "Fixing…" } else if fixed.get() { "Fixed" } else { "Fix" }}
                    </button>
                    <span class="fix-label">{fix_label.clone()}</span>
                })}
                {on_retry.map(|retry| view! {
                    <button type="button" on:click=move |_| retry.run(())>"Retry"</button>
                })}
                {on_dismiss.map(|d| view! {
                    <button type="button" on:click=move |_| d.run(())>"Dismiss"</button>
                })}
            </div>
            {move || fixed.get().then(|| view! { <p class="fix-result" role="status">"The fix was applied. Retry the operation."</p> })}
            {move || fix_error.get().map(|e| view! {
                <p class="fix-result failed">{format!("The fix failed: {} — {}", e.code, e.message)}</p>
            })}
        </div>
    }
}
