//! Long-running operations: their kinds, steps, progress and claims.

use serde::{Deserialize, Serialize};

use super::{KeyManagement, RotationScope, StampEndpoint, Subject};
use crate::code::ErrorCode;
use crate::time::Timestamp;

/// What a long-running operation does.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OperationKind {
    /// Provision a key vault: generate its import key, then open it for keys.
    ProvisionVault {
        /// Vault name.
        vault: String,
    },
    /// Change a device manager's service data encryption key: re-encrypt every device's data
    /// under the new key, then hand the key to the service.
    RollOverServiceKey {
        /// Device manager name.
        manager: String,
        /// The new key's version.
        version: u32,
    },
    /// Rewrap every resource registered with a key onto its new version, one resource per step.
    RewrapRegistrations {
        /// Vault name.
        vault: String,
        /// Key name.
        key: String,
        /// The version to rewrap onto.
        version: String,
        /// The resources, in step order.
        targets: Vec<RewrapTarget>,
    },
    /// Rekey the master key: create a new one, rewrap every sealed secret under it, then
    /// decommission the old one.
    RekeyMasterKey {
        /// How the new key is kept.
        management: KeyManagement,
        /// Its key provider (External).
        provider: Option<u32>,
        /// The new key's id.
        new_key: String,
        /// The key it replaces.
        old_key: String,
        /// Secrets rewrapped per turn: each turn is one commit, so reads and writes go on in
        /// between.
        batch: u32,
    },
    /// Rotate a stamp's secrets: internal ones, external certificates (validated before the run
    /// started and waiting as the stamp's pending certificates), or both.
    RotateSecrets {
        /// Stamp name.
        stamp: String,
        /// What the run rotates.
        scope: RotationScope,
        /// A re-run of a failed run.
        re_run: bool,
        /// The endpoints whose certificates it applies, in step order.
        endpoints: Vec<StampEndpoint>,
    },
}

/// A resource a rotation rewraps.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RewrapTarget {
    /// An order: its passkey is rewrapped.
    Order {
        /// Order id.
        id: String,
        /// Order name, for people.
        name: String,
    },
    /// A resource outside Keyblade registered through the API.
    External {
        /// Its name.
        resource: String,
    },
}

impl RewrapTarget {
    /// The label a step or a registration shows.
    pub fn label(&self) -> String {
        match self {
            RewrapTarget::Order { name, .. } => format!("order {name}"),
            RewrapTarget::External { resource } => resource.clone(),
        }
    }
}

impl OperationKind {
    /// The label the activity pane shows.
    pub fn label(&self) -> String {
        match self {
            OperationKind::ProvisionVault { vault } => format!("Create key vault {vault}"),
            OperationKind::RollOverServiceKey { manager, version } => {
                format!("Change the service data encryption key of {manager} (version {version})")
            }
            OperationKind::RewrapRegistrations { key, targets, .. } => {
                format!("Rewrap {} resource(s) onto the new version of {key}", targets.len())
            }
            OperationKind::RekeyMasterKey { management: KeyManagement::Internal, .. } => {
                "Rekey the master key (Internal)".to_string()
            }
            OperationKind::RekeyMasterKey { provider, .. } => {
                format!("Rekey the master key (External, key provider {})", provider.unwrap_or_default())
            }
            OperationKind::RotateSecrets { stamp, scope, re_run, .. } => {
                let what = match scope {
                    RotationScope::Internal => "internal secrets",
                    RotationScope::External => "external certificates",
                    RotationScope::InternalAndExternal => "internal secrets and external certificates",
                };
                format!("Rotate the {what} of stamp {stamp}{}", if *re_run { " (re-run)" } else { "" })
            }
        }
    }

    /// Whether a failed step leaves the other steps to run: they touch independent resources,
    /// and each failure is reported on its own step.
    pub fn steps_independent(&self) -> bool {
        matches!(self, OperationKind::RewrapRegistrations { .. })
    }
}

/// Where an operation stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OperationState {
    /// Steps remain.
    Running,
    /// Every step is done.
    Succeeded,
    /// A step failed; the steps before it stay done.
    Failed,
}

/// Where one step stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StepState {
    /// Not started.
    Pending,
    /// Done.
    Done,
    /// Failed.
    Failed,
}

/// One step of an operation.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationStep {
    /// What the step does, for people.
    pub label: String,
    /// Its state.
    pub state: StepState,
    /// Why it failed, for operations whose steps fail one by one (a rewrap of many resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<OperationError>,
    /// How far a step that takes many turns has got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<StepProgress>,
}

/// How far a step that works through many items has got.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepProgress {
    /// Items done.
    pub done: u32,
    /// Items in all.
    pub total: u32,
}

/// Which runner works on an operation, and until when its claim holds. A runner that died
/// loses the claim when `until` passes; another runner (or the same one restarted) takes over.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Claim {
    /// The runner's instance id.
    pub holder: String,
    /// Claim expiry.
    pub until: Timestamp,
}

/// A long-running operation: the handle clients follow.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Operation {
    /// The handle (hex).
    pub id: String,
    /// What it does.
    pub kind: OperationKind,
    /// What it is about.
    pub subject: Subject,
    /// Where it stands.
    pub state: OperationState,
    /// Its steps, in order.
    pub steps: Vec<OperationStep>,
    /// The failure's code and message, when it failed.
    pub error: Option<OperationError>,
    /// Started.
    pub started: Timestamp,
    /// Finished (succeeded or failed).
    pub finished: Option<Timestamp>,
    /// The runner working on it.
    pub claim: Option<Claim>,
    /// A small number naming it in the Element JSON-RPC API (`asyncHandle`).
    #[serde(default)]
    pub handle: u64,
    /// Its result was read through the Element API without `keepResult`: that handle is gone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub handle_released: bool,
}

/// Why an operation failed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OperationError {
    /// The catalog code.
    pub code: ErrorCode,
    /// What went wrong.
    pub message: String,
}

impl Operation {
    /// The first step not done yet, while running.
    pub fn next_step(&self) -> Option<usize> {
        if self.state != OperationState::Running {
            return None;
        }
        self.steps.iter().position(|s| s.state == StepState::Pending)
    }
}
