//! The whole world as the portal reads it, fixes, operations and the clock.

use serde::{Deserialize, Serialize};

use super::{OrderView, VaultView};
use crate::catalog::FixAction;
use crate::model::{
    Cloud, Operation, OperationError, OperationKind, OperationState, OperationStep, ResourceGroup, Subject,
    Subscription, Tenant, UserIdentity, World,
};
use crate::time::Timestamp;

/// Everything a browser may see.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorldView {
    /// Cloud.
    pub cloud: Cloud,
    /// Tenants.
    pub tenants: Vec<Tenant>,
    /// Subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Resource groups.
    pub resource_groups: Vec<ResourceGroup>,
    /// Vaults, including deleted ones.
    pub vaults: Vec<VaultView>,
    /// User-assigned identities.
    pub identities: Vec<UserIdentity>,
    /// Orders.
    pub orders: Vec<OrderView>,
}

impl WorldView {
    /// The public view of a world at `now`.
    pub fn of(world: &World, now: Timestamp) -> WorldView {
        WorldView {
            cloud: world.cloud,
            tenants: world.tenants.values().cloned().collect(),
            subscriptions: world.subscriptions.values().cloned().collect(),
            resource_groups: world.resource_groups.values().cloned().collect(),
            vaults: world.vaults.values().map(|v| VaultView::of(world, v, now)).collect(),
            identities: world.identities.values().cloned().collect(),
            orders: world.orders.values().map(OrderView::of).collect(),
        }
    }
}

/// `POST /api/fixes`: a fix and the subject of the failure that offered it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplyFixRequest {
    /// The failure's subject.
    pub subject: Subject,
    /// The failure's fix.
    pub fix: FixAction,
    /// The failure's `fix_proof`: only a fix the server offered for this subject applies.
    #[cfg_attr(feature = "openapi", schema(min_length = 64, max_length = 64, pattern = "^[0-9a-f]{64}$"))]
    pub fix_proof: String,
}

/// What a fix changed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FixApplied {
    /// The subject the fix was for.
    pub subject: Subject,
    /// The order after the fix, when the subject is an order.
    pub order: Option<OrderView>,
}

impl FixApplied {
    /// The answer for `subject` in the world after the fix.
    pub fn of(world: &World, subject: Subject) -> FixApplied {
        let order = match &subject {
            Subject::Order { id } => world.orders.get(id).map(OrderView::of),
            _ => None,
        };
        FixApplied { subject, order }
    }
}

/// A long-running operation as clients follow it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationView {
    /// The handle.
    pub id: String,
    /// Its number in the Element API (`asyncHandle`).
    pub handle: u64,
    /// What it does.
    pub kind: OperationKind,
    /// What it does, for people.
    pub label: String,
    /// What it is about.
    pub subject: Subject,
    /// What it is about, for people.
    pub subject_label: String,
    /// Where it stands.
    pub state: OperationState,
    /// Its steps.
    pub steps: Vec<OperationStep>,
    /// Steps done, out of `steps.len()`.
    pub done: usize,
    /// The failure, when it failed.
    pub error: Option<OperationError>,
    /// Started.
    pub started: Timestamp,
    /// Finished.
    pub finished: Option<Timestamp>,
}

impl OperationView {
    /// The view of an operation.
    pub fn of(world: &World, op: &Operation) -> OperationView {
        OperationView {
            id: op.id.clone(),
            handle: op.handle,
            kind: op.kind.clone(),
            label: op.kind.label(),
            subject: op.subject.clone(),
            subject_label: world.subject_label(&op.subject),
            state: op.state,
            steps: op.steps.clone(),
            done: op.steps.iter().filter(|s| s.state == crate::model::StepState::Done).count(),
            error: op.error.clone(),
            started: op.started,
            finished: op.finished,
        }
    }
}

/// The clock the server (or the offline demo) runs on.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockView {
    /// Now, on this clock.
    pub now: Timestamp,
    /// Seconds this clock runs ahead of real time.
    pub offset_seconds: i64,
}

/// `POST /api/clock`: move the clock forward.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdvanceClockRequest {
    /// Seconds to move forward (1 to 3,153,600,000, a century).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3_153_600_000_i64))]
    pub advance_seconds: i64,
}
