//! How blades load and change data. A query is a resource keyed by its source (refetched when
//! the key changes, and after any change the portal makes); a change is an [`Action`] that
//! notifies, refreshes every query, or puts its failure where the blade shows errors. Both are
//! safe against a blade that is gone by the time the answer arrives.

use std::{cell::RefCell, future::Future, pin::Pin, rc::Rc};

use leptos::prelude::*;

use crate::{
    api::{ApiError, ApiResult, Backend},
    components::notifications::{NoteKind, use_notifier},
    context::{use_backend, use_refresh},
};

/// Data fetched with `fetch` for the key `key()` returns.
pub fn use_query<K, T, F, Fut>(key: impl Fn() -> K + 'static, fetch: F) -> LocalResource<ApiResult<T>>
where
    K: 'static,
    T: 'static,
    F: Fn(Backend, K) -> Fut + 'static,
    Fut: Future<Output = ApiResult<T>> + 'static,
{
    let backend = use_backend();
    let refresh = use_refresh();
    LocalResource::new(move || {
        refresh.track();
        fetch(backend.clone(), key())
    })
}

type Job = Rc<dyn Fn(Backend) -> Pin<Box<dyn Future<Output = Result<(), ApiError>>>>>;

/// One change: what it does, and the notification it raises when done.
#[derive(Clone)]
struct ChangeRequest {
    done: &'static str,
    job: Job,
}

/// Runs changes for a blade (see [`use_change`]).
#[derive(Clone, Copy)]
pub struct Change {
    action: Action<ChangeRequest, ()>,
}

impl Change {
    /// Runs `f` against the backend; on success notifies `done` and refreshes every query.
    pub fn run<F, Fut, T>(&self, done: &'static str, f: F)
    where
        F: FnOnce(Backend) -> Fut + 'static,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
        T: 'static,
    {
        let f = RefCell::new(Some(f));
        let job: Job = Rc::new(move |backend| {
            let f = f.borrow_mut().take();
            Box::pin(async move {
                match f {
                    Some(f) => f(backend).await.map(drop),
                    None => Ok(()),
                }
            })
        });
        self.action.dispatch_local(ChangeRequest { done, job });
    }
}

/// The changes of a blade whose failures are shown through `error`.
pub fn use_change(error: RwSignal<Option<ApiError>>) -> Change {
    let backend = use_backend();
    let refresh = use_refresh();
    let notifier = use_notifier();
    let action = Action::new_local(move |request: &ChangeRequest| {
        error.set(None);
        let run = (request.job)(backend.clone());
        let done = request.done;
        async move {
            match run.await {
                Ok(()) => {
                    notifier.push(NoteKind::Success, done, "");
                    refresh.bump();
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
        }
    });
    Change { action }
}
