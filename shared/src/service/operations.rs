//! Long-running operations: the handles clients follow.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::{EncryptionAtRestView, OperationView};
use crate::catalog::{
    ErrorCode::{Conflict, NotFound},
    Failure,
};
use crate::model::{OperationKind, OperationState, World};
use crate::ops::Ctx;

const TAG: &str = "operations";

/// `GET /operations`.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ListOperations {}

impl Endpoint for ListOperations {
    type Body = NoBody;
    type Answer = Vec<OperationView>;
    const ROUTE: Route =
        Route::get("/operations", TAG, "Running and finished operations, the most recent first.");
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<Vec<OperationView>>, Failure> {
        let mut operations: Vec<OperationView> =
            world.operations.values().map(|op| OperationView::of(world, op)).collect();
        operations.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
        Ok(Outcome::read(operations))
    }
}

/// `GET /operations/{operation}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetOperation {
    /// The handle.
    pub operation: String,
}

impl Endpoint for GetOperation {
    type Body = NoBody;
    type Answer = OperationView;
    const ROUTE: Route = Route::get("/operations/{operation}", TAG, "One operation: its state and progress.")
        .failing(&[NotFound]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<OperationView>, Failure> {
        let op = world.operations.get(&self.operation).ok_or_else(|| Failure::not_found("The operation"))?;
        Ok(Outcome::read(OperationView::of(world, op)))
    }
}

/// `GET /operations/handles/{handle}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct GetOperationByHandle {
    /// Its number (`asyncHandle`).
    pub handle: String,
}

impl Endpoint for GetOperationByHandle {
    type Body = NoBody;
    type Answer = OperationView;
    const ROUTE: Route = Route::get(
        "/operations/handles/{handle}",
        TAG,
        "One operation by its number (Element's asyncHandle), until that number is released.",
    )
    .failing(&[NotFound]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<OperationView>, Failure> {
        let op = by_handle(world, &self.handle)?;
        Ok(Outcome::read(OperationView::of(world, op)))
    }
}

/// `DELETE /operations/handles/{handle}`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ReleaseOperationHandle {
    /// Its number (`asyncHandle`).
    pub handle: String,
}

impl Endpoint for ReleaseOperationHandle {
    type Body = NoBody;
    type Answer = ();
    const ROUTE: Route = Route::delete(
        "/operations/handles/{handle}",
        TAG,
        "Releases a finished operation's number: it no longer answers by number (the operation stays listed).",
    )
    .failing(&[NotFound, Conflict]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<()>, Failure> {
        let id = by_handle(world, &self.handle)?.id.clone();
        Outcome::changed(crate::ops::release_handle(world, &id)?, |_| Ok(()))
    }
}

/// What `keep` says about a finished operation's number once its result is read.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TakeResultRequest {
    /// Keep the number answering after this read (Element's `keepResult`); by default a
    /// finished operation's number is released by reading its result.
    #[serde(default)]
    pub keep: bool,
}

/// An operation's result as Element's `GetAsyncResult` reads it: the operation and, for a
/// rekey, the master keys it names.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AsyncResultView {
    pub operation: OperationView,
    /// The master keys as they are now, for a rekey (`newKey`, `keyToDecommission`).
    pub encryption_at_rest: Option<EncryptionAtRestView>,
}

/// `POST /operations/handles/{handle}/result`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct TakeAsyncResult {
    /// Its number (`asyncHandle`).
    pub handle: String,
    #[serde(default)]
    pub body: TakeResultRequest,
}

impl Endpoint for TakeAsyncResult {
    type Body = TakeResultRequest;
    type Answer = AsyncResultView;
    const ROUTE: Route = Route::post(
        "/operations/handles/{handle}/result",
        TAG,
        "Reads an operation by its number and, once it has finished, releases the number unless asked to keep it.",
    )
    .failing(&[NotFound]);
    fn handle(self, world: &World, _: &mut Ctx) -> Result<Outcome<AsyncResultView>, Failure> {
        let op = by_handle(world, &self.handle)?;
        let rekey = matches!(op.kind, OperationKind::RekeyMasterKey { .. });
        let answer = |world: &World| AsyncResultView {
            operation: OperationView::of(world, op),
            encryption_at_rest: rekey.then(|| EncryptionAtRestView::of(world)),
        };
        if op.state == OperationState::Running || self.body.keep {
            return Ok(Outcome::read(answer(world)));
        }
        let next = crate::ops::release_handle(world, &op.id)?;
        Outcome::changed(next, |_| Ok(answer(world)))
    }
}

fn by_handle<'w>(world: &'w World, handle: &str) -> Result<&'w crate::model::Operation, Failure> {
    let number: u64 = handle.parse().map_err(|_| Failure::not_found("The async handle"))?;
    world
        .operations
        .values()
        .find(|op| op.handle == number && !op.handle_released)
        .ok_or_else(|| Failure::not_found(&format!("Async handle {number}")))
}
