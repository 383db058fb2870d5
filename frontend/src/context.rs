//! The narrow capabilities blades receive by context: the backend, a refresh signal, the
//! session, the breadcrumb and notifications.

use leptos::prelude::*;

use crate::api::{Backend, User};

/// The backend interface (the server, or the offline demo in the browser).
pub fn use_backend() -> Backend {
    expect_context::<Backend>()
}

/// Bumped after every mutation; every resource that reads it refetches.
#[derive(Clone, Copy)]
pub struct Refresh(pub RwSignal<u64>);

impl Refresh {
    /// Called after awaits too, so it never panics (a page being torn down has nothing to refetch).
    pub fn bump(&self) {
        self.0.try_update(|v| *v += 1);
    }
    /// Subscribes the calling reactive scope.
    pub fn track(&self) -> u64 {
        self.0.get()
    }
}

pub fn use_refresh() -> Refresh {
    expect_context::<Refresh>()
}

/// The signed-in user (None while unknown or signed out).
#[derive(Clone, Copy)]
pub struct Session(pub RwSignal<Option<User>>);

pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The breadcrumb trail: (label, link) pairs; the last one is the current page.
#[derive(Clone, Copy)]
pub struct Crumbs(pub RwSignal<Vec<(String, String)>>);

/// Sets the breadcrumb for the current blade.
pub fn set_crumbs(items: &[(&str, &str)]) {
    if let Some(c) = use_context::<Crumbs>() {
        c.0.set(items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect());
    }
}

pub fn set_crumbs_owned(items: Vec<(String, String)>) {
    if let Some(c) = use_context::<Crumbs>() {
        c.0.set(items);
    }
}
