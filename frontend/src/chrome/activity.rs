//! The Activity pane: long-running operations, running and finished, with their steps. Any
//! blade that starts an operation can leave the user here to follow it.

use leptos::prelude::*;
use shared::model::{OperationState, StepState};

use crate::{api::sleep, components::form::date_time, hooks::use_query};

/// How often the pane looks again while it is open.
const POLL_MS: i32 = 1_000;

/// The top bar's Activity button and its pane.
#[component]
pub fn Activity() -> impl IntoView {
    let open = RwSignal::new(false);
    let tick = RwSignal::new(0u64);
    let operations = use_query(move || tick.get(), |b, _| async move { b.operations().await });
    // While open, look again every second: each tick schedules the next (the pane is gone: stop).
    Effect::new(move |_| {
        tick.track();
        if open.get() {
            leptos::task::spawn_local(async move {
                sleep(POLL_MS).await;
                if open.try_get_untracked() == Some(true) {
                    tick.try_update(|t| *t += 1);
                }
            });
        }
    });
    let running = move || {
        operations
            .get()
            .and_then(|r| r.ok())
            .map_or(0, |ops| ops.iter().filter(|o| o.state == OperationState::Running).count())
    };
    view! {
        <button type="button" class="topbar-button" aria-expanded=move || open.get().to_string()
            aria-controls="activity-pane" on:click=move |_| open.update(|o| *o = !*o)>
            {move || match running() { 0 => "Activity".to_string(), n => format!("Activity ({n} running)") }}
        </button>
        <Show when=move || open.get()>
            <aside id="activity-pane" class="activity-pane" role="region" aria-label="Activity">
                <div class="activity-head">
                    <h2>"Activity"</h2>
                    <button type="button" class="link" on:click=move |_| open.set(false)>"Close"</button>
                </div>
                {move || match operations.get() {
                    None => view! { <p class="empty">"Loading…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="empty">{format!("{}: {}", e.code, e.message)}</p> }.into_any(),
                    Some(Ok(ops)) if ops.is_empty() => view! { <p class="empty">"No operations yet. Long-running work, such as creating a key vault, shows up here."</p> }.into_any(),
                    Some(Ok(ops)) => view! {
                        <ul class="activity-list">
                            {ops.into_iter().map(|op| {
                                // (label, CSS class) spelled out: `to_lowercase` would bring the
                                // Unicode case tables into the main bundle.
                                let (state, class) = match op.state {
                                    OperationState::Running => ("Running", "state state-running"),
                                    OperationState::Succeeded => ("Succeeded", "state state-succeeded"),
                                    OperationState::Failed => ("Failed", "state state-failed"),
                                };
                                let total = op.steps.len().max(1);
                                view! {
                                    <li class="activity-item">
                                        <div class="activity-title"><strong>{op.label.clone()}</strong>" "<span class=class>{state}</span></div>
                                        <progress max=total.to_string() value=op.done.to_string() aria-label=format!("{} progress", op.label)></progress>
                                        <ol class="activity-steps">
                                            {op.steps.iter().map(|s| {
                                                let mark = match s.state { StepState::Done => "✓", StepState::Failed => "✗", StepState::Pending => "…" };
                                                view! { <li>{mark}" "{s.label.clone()}</li> }
                                            }).collect_view()}
                                        </ol>
                                        {op.error.clone().map(|e| view! { <p class="activity-error">{format!("{:?}: {}", e.code, e.message)}</p> })}
                                        <p class="activity-time">{format!("Started {}", date_time(op.started))}{op.finished.map(|f| format!(" · finished {}", date_time(f)))}</p>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }}
            </aside>
        </Show>
    }
}
