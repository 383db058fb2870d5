//! Following a long-running operation in a notification, step by step, until it ends. The
//! follower outlives the blade that started it on purpose and touches only app-wide state (the
//! notifier and the refresh counter).

use crate::{
    api::{Backend, OperationView},
    components::notifications::{NoteKind, Notifier},
    context::Refresh,
};
use shared::model::StepState;

/// What the notification says.
#[derive(Clone, Copy)]
pub struct Words {
    /// Title while it runs.
    pub running: &'static str,
    /// Title and text once it succeeded.
    pub succeeded: (&'static str, &'static str),
    /// Title when it failed (the text is the error's code and message).
    pub failed: &'static str,
    /// What a step of many items counts ("secrets rewrapped"), after "n of m".
    pub items: &'static str,
}

/// Follows `operation` in a notification, refreshing the page's queries at each step.
pub fn follow_operation(
    backend: Backend,
    notifier: Notifier,
    refresh: Refresh,
    operation: OperationView,
    words: Words,
) {
    refresh.bump();
    let note = notifier.push(NoteKind::Progress, words.running, step_text(&operation, words));
    leptos::task::spawn_local(async move {
        let followed = backend
            .follow(&operation.id, |op| {
                notifier.update(note, NoteKind::Progress, words.running, step_text(op, words));
                refresh.bump();
            })
            .await;
        match followed {
            Ok(_) => notifier.update(note, NoteKind::Success, words.succeeded.0, words.succeeded.1),
            Err(e) => {
                notifier.update(note, NoteKind::Error, words.failed, format!("{}: {}", e.code, e.message))
            }
        }
        refresh.bump();
    });
}

/// Where an operation stands, in words: its current step, with the count of a step of many items.
pub fn step_text(op: &OperationView, words: Words) -> String {
    let Some(step) = op.steps.iter().find(|s| s.state != StepState::Done) else {
        return words.succeeded.1.into();
    };
    match step.progress {
        Some(p) => format!("{}: {} of {} {}", step.label, p.done, p.total, words.items),
        None => step.label.clone(),
    }
}
