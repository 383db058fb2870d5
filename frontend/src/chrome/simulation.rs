//! The Simulation menu: Advance time. Rehearsing "what happens in 30 days" (a retention period
//! ending, later a rotation falling due) is a reason to use Keyblade. Offered by the offline
//! demo, and by a server started with `--test-clock`.

use leptos::prelude::*;

use crate::{
    components::{
        form::date_time,
        notifications::{NoteKind, use_notifier},
    },
    context::{use_backend, use_refresh},
    hooks::use_query,
};

/// The steps the menu offers, in seconds.
const STEPS: [(&str, i64); 4] =
    [("1 hour", 3_600), ("1 day", 86_400), ("30 days", 30 * 86_400), ("90 days", 90 * 86_400)];

#[component]
pub fn Simulation() -> impl IntoView {
    let backend = use_backend();
    let refresh = use_refresh();
    let notifier = use_notifier();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let clock = use_query(|| (), |b, ()| async move { b.clock().await });
    let advance = move |label: &'static str, seconds: i64| {
        let backend = backend.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match backend.advance_clock(seconds).await {
                Ok(view) => {
                    notifier.push(
                        NoteKind::Success,
                        "Time advanced",
                        format!("{label} later: it is now {}.", date_time(view.now)),
                    );
                    refresh.bump();
                }
                Err(e) => {
                    notifier.push(
                        NoteKind::Error,
                        "Time could not be advanced",
                        format!("{}: {}", e.code, e.message),
                    );
                }
            }
            busy.try_set(false);
            open.try_set(false);
        });
    };
    // Only where the clock can be moved: the offline demo, or a server with a test clock.
    move || {
        clock.get().and_then(|r| r.ok()).map(|now| {
            let advance = advance.clone();
            view! {
                <div class="menu-wrap">
                    <button type="button" class="topbar-button" aria-haspopup="menu" aria-expanded=move || open.get().to_string()
                        on:click=move |_| open.update(|o| *o = !*o)>"Simulation"</button>
                    <Show when=move || open.get()>
                        <div class="dropdown" role="menu" aria-label="Simulation">
                            <p class="dropdown-note">{format!("Simulated time: {}", date_time(now.now))}</p>
                            {STEPS.iter().map(|&(label, seconds)| {
                                let advance = advance.clone();
                                view! {
                                    <button type="button" role="menuitem" disabled=move || busy.get()
                                        on:click=move |_| advance(label, seconds)>{format!("Advance time: {label}")}</button>
                                }
                            }).collect_view()}
                        </div>
                    </Show>
                </div>
            }
        })
    }
}
