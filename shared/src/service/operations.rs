//! Long-running operations: the handles clients follow.

use serde::{Deserialize, Serialize};

use super::{Endpoint, NoBody, Outcome, Route};
use crate::api::OperationView;
use crate::catalog::{ErrorCode::NotFound, Failure};
use crate::model::World;
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
