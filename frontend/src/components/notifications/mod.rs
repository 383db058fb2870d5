//! Portal notifications (top right): progress for long operations, success, failure.
//! Progress and success use role="status"; failures use role="alert".

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    Progress,
    Success,
    Error,
    Info,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub id: u32,
    pub kind: NoteKind,
    pub title: String,
    pub text: String,
}

/// The capability to show notifications, provided by context. Followers of long operations call
/// it after awaits, so it never panics: on a page being torn down it does nothing.
#[derive(Clone, Copy)]
pub struct Notifier {
    notes: RwSignal<Vec<Note>>,
    next: StoredValue<u32>,
}

impl Default for Notifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Notifier {
    pub fn new() -> Self {
        Self { notes: RwSignal::new(vec![]), next: StoredValue::new(1) }
    }

    /// Shows a notification and returns its id.
    pub fn push(&self, kind: NoteKind, title: impl Into<String>, text: impl Into<String>) -> u32 {
        let id = self
            .next
            .try_update_value(|next| {
                *next += 1;
                *next - 1
            })
            .unwrap_or_default();
        self.notes.try_update(|n| n.push(Note { id, kind, title: title.into(), text: text.into() }));
        self.auto_dismiss(id, kind);
        id
    }

    /// Replaces a notification's content (e.g. progress -> success).
    pub fn update(&self, id: u32, kind: NoteKind, title: impl Into<String>, text: impl Into<String>) {
        let (title, text) = (title.into(), text.into());
        self.notes.try_update(|n| {
            if let Some(note) = n.iter_mut().find(|n| n.id == id) {
                note.kind = kind;
                note.title = title;
                note.text = text;
            } else {
                n.push(Note { id, kind, title, text });
            }
        });
        self.auto_dismiss(id, kind);
    }

    pub fn dismiss(&self, id: u32) {
        self.notes.try_update(|n| n.retain(|n| n.id != id));
    }

    fn auto_dismiss(&self, id: u32, kind: NoteKind) {
        if matches!(kind, NoteKind::Success | NoteKind::Info) {
            let this = *self;
            set_timeout(move || this.dismiss(id), std::time::Duration::from_secs(12));
        }
    }
}

pub fn use_notifier() -> Notifier {
    expect_context::<Notifier>()
}

/// Where notifications appear.
#[component]
pub fn NotificationArea() -> impl IntoView {
    let notifier = use_notifier();
    view! {
        <div class="notifications" aria-label="Notifications">
            <For each=move || notifier.notes.get() key=|n| (n.id, n.kind as u8, n.title.clone(), n.text.clone()) children=move |note| {
                let id = note.id;
                let (role, class) = match note.kind {
                    NoteKind::Error => ("alert", "note error"),
                    NoteKind::Success => ("status", "note success"),
                    NoteKind::Progress => ("status", "note progress"),
                    NoteKind::Info => ("status", "note info"),
                };
                view! {
                    <div class=class role=role aria-live=if role == "alert" { "assertive" } else { "polite" }>
                        {(note.kind == NoteKind::Progress).then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                        <div class="note-text">
                            <strong>{note.title.clone()}</strong>
                            <span>{note.text.clone()}</span>
                        </div>
                        <button type="button" class="icon-button" aria-label="Dismiss notification" on:click=move |_| notifier.dismiss(id)>"✕"</button>
                    </div>
                }
            } />
        </div>
    }
}
