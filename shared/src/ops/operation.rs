//! Long-running operations: work that takes long is started as an [`Operation`] (the handle
//! clients follow) and carried out step by step by a runner, the server's or the offline demo's.
//!
//! Each step is one atomic change of the world, so a crash between two steps leaves a
//! consistent world and the next runner simply runs the next pending step. A runner first
//! claims the operation ([`claim`]); the claim expires after [`CLAIM_SECONDS`], so a runner that
//! died hands the work on, and because a claim is a change to the operation's row, two runners
//! sharing one database never both win the same claim.

use super::Ctx;
use crate::catalog::{ErrorCode, Failure};
use crate::crypto::{self, ImportKey, MIN_IMPORT_KEY_BITS};
use crate::model::{
    Claim, Operation, OperationError, OperationKind, OperationState, OperationStep, StepProgress, StepState,
    Subject, Timestamp, World,
};

/// How long a claim holds without being renewed.
pub const CLAIM_SECONDS: i64 = 30;

/// Adds a running operation to `world` whose first `done` steps are already done (they were
/// part of the request that started it). Returns the handle.
pub fn start_operation(
    world: &mut World,
    ctx: &mut Ctx,
    kind: OperationKind,
    subject: Subject,
    done: usize,
) -> String {
    let id = crypto::random_hex(ctx.rng, 16);
    let steps = steps_of(&kind)
        .into_iter()
        .enumerate()
        .map(|(i, label)| OperationStep {
            label,
            state: if i < done { StepState::Done } else { StepState::Pending },
            error: None,
            progress: None,
        })
        .collect();
    let operation = Operation {
        id: id.clone(),
        kind,
        subject,
        state: OperationState::Running,
        steps,
        error: None,
        started: ctx.now,
        finished: None,
        claim: None,
        handle: world.operations.values().map(|op| op.handle).max().unwrap_or(0) + 1,
        handle_released: false,
    };
    world.operations.insert(id.clone(), operation);
    id
}

/// The steps of each kind of operation, for people.
fn steps_of(kind: &OperationKind) -> Vec<String> {
    let fixed: &[&str] = match kind {
        OperationKind::ProvisionVault { .. } => {
            &["Reserve the vault name", "Generate the RSA-3072 import key", "Open the vault for keys"]
        }
        OperationKind::RollOverServiceKey { .. } => &[
            "Generate the new service data encryption key on the device",
            "Re-encrypt every device's confidential data under the new key",
            "Send the new key to the service",
        ],
        OperationKind::RewrapRegistrations { targets, .. } => {
            return targets.iter().map(|t| format!("Rewrap {}", t.label())).collect();
        }
        OperationKind::RekeyMasterKey { .. } => {
            &["Create the new master key", "Rewrap every sealed secret", "Decommission the old master key"]
        }
        OperationKind::RotateSecrets { scope, endpoints, .. } => {
            return super::rotation_steps(*scope, endpoints);
        }
    };
    fixed.iter().map(|label| (*label).to_string()).collect()
}

/// The first running operation `holder` may work on at `now`: unclaimed, claimed by `holder`
/// itself (a runner restarted after a crash takes its own work back at once), or claimed by a
/// runner whose claim expired.
pub fn claimable(world: &World, holder: &str, now: Timestamp) -> Option<String> {
    world
        .operations
        .values()
        .filter(|op| op.state == OperationState::Running)
        .find(|op| op.claim.as_ref().is_none_or(|c| c.holder == holder || c.until <= now))
        .map(|op| op.id.clone())
}

/// Claims (or renews the claim on) an operation for `holder`.
pub fn claim(world: &World, id: &str, holder: &str, now: Timestamp) -> Result<World, Failure> {
    let mut next = world.clone();
    let op = running_mut(&mut next, id)?;
    if op.claim.as_ref().is_some_and(|c| c.holder != holder && c.until > now) {
        return Err(Failure::conflict("Another runner is working on this operation."));
    }
    op.claim =
        Some(Claim { holder: holder.to_string(), until: Timestamp(now.0.saturating_add(CLAIM_SECONDS)) });
    Ok(next)
}

/// Runs the next pending step of a running operation. A step that fails marks the operation
/// failed with the step's code; the steps done before it stay done.
pub fn run_step(world: &World, ctx: &mut Ctx, id: &str) -> Result<World, Failure> {
    let op = world.operations.get(id).ok_or_else(|| Failure::not_found("The operation"))?;
    let Some(step) = op.next_step() else {
        return Err(Failure::conflict("The operation has no step left to run."));
    };
    let kind = op.kind.clone();
    let (mut next, outcome) = match perform(world, ctx, &kind, step) {
        Ok((next, progress)) => (next, Ok(progress)),
        Err(failure) => (world.clone(), Err(failure)),
    };
    let now = ctx.now;
    let op = running_mut(&mut next, id)?;
    match outcome {
        // A step that works through many items stays pending until the last one is done.
        Ok(Some(progress)) if progress.done < progress.total => op.steps[step].progress = Some(progress),
        Ok(progress) => {
            op.steps[step].state = StepState::Done;
            op.steps[step].progress = progress;
        }
        Err(failure) if kind.steps_independent() => {
            op.steps[step].state = StepState::Failed;
            op.steps[step].error = Some(OperationError { code: failure.code, message: failure.message });
        }
        Err(failure) => {
            op.steps[step].state = StepState::Failed;
            op.state = OperationState::Failed;
            op.error = Some(OperationError { code: failure.code, message: failure.message });
        }
    }
    if op.state == OperationState::Running && op.next_step().is_none() {
        finish(op);
    }
    if op.state != OperationState::Running {
        op.finished = Some(now);
        op.claim = None;
    }
    Ok(next)
}

/// Ends an operation whose steps have all run: it succeeded unless one of its independent steps
/// failed, and then it reports how many did, under the first failure's code.
fn finish(op: &mut Operation) {
    let failed: Vec<&OperationError> = op.steps.iter().filter_map(|s| s.error.as_ref()).collect();
    let Some(first) = failed.first() else {
        op.state = OperationState::Succeeded;
        return;
    };
    op.error = Some(OperationError {
        code: first.code,
        message: format!(
            "{} of {} steps failed; each failed step says why. What they did not move stays readable as it was.",
            failed.len(),
            op.steps.len()
        ),
    });
    op.state = OperationState::Failed;
}

/// What step `step` of `kind` does to the world, and how far a step of many items has got.
fn perform(
    world: &World,
    ctx: &mut Ctx,
    kind: &OperationKind,
    step: usize,
) -> Result<(World, Option<StepProgress>), Failure> {
    if let OperationKind::RekeyMasterKey { management, provider, new_key, old_key, batch } = kind {
        return match step {
            0 => super::create_master_key(world, ctx, *management, *provider, new_key, old_key)
                .map(|w| (w, None)),
            1 => super::rewrap_sealed_batch(world, ctx, new_key, *batch).map(|(w, p)| (w, Some(p))),
            _ => super::decommission_master_key(world, ctx, old_key).map(|w| (w, None)),
        };
    }
    if let OperationKind::RotateSecrets { stamp, scope, endpoints, .. } = kind {
        return super::perform_rotation_step(world, ctx, stamp, *scope, endpoints, step);
    }
    perform_single(world, ctx, kind, step).map(|w| (w, None))
}

/// Steps done in one turn.
fn perform_single(world: &World, ctx: &mut Ctx, kind: &OperationKind, step: usize) -> Result<World, Failure> {
    match (kind, step) {
        (OperationKind::ProvisionVault { vault }, 1) => {
            let import_key = ImportKey::generate(MIN_IMPORT_KEY_BITS, ctx.keys, vault, ctx.rng)?;
            super::install_import_key(world, vault, import_key)
        }
        (OperationKind::ProvisionVault { vault }, _) => {
            super::import_key_of(world, vault)?;
            Ok(world.clone())
        }
        (OperationKind::RollOverServiceKey { manager, .. }, 1) => {
            super::reencrypt_device_data(world, ctx, manager)
        }
        (OperationKind::RollOverServiceKey { manager, .. }, _) => {
            super::publish_service_key(world, ctx, manager)
        }
        (OperationKind::RewrapRegistrations { vault, key, version, targets }, _) => match targets.get(step) {
            Some(target) => super::rewrap_target(world, ctx, vault, key, version, target),
            None => Ok(world.clone()),
        },
        (OperationKind::RekeyMasterKey { .. } | OperationKind::RotateSecrets { .. }, _) => Ok(world.clone()),
    }
}

/// Releases a finished operation's number (Element's GetAsyncResult without keepResult).
pub fn release_handle(world: &World, id: &str) -> Result<World, Failure> {
    let mut next = world.clone();
    let op = next.operations.get_mut(id).ok_or_else(|| Failure::not_found("The operation"))?;
    if op.state == OperationState::Running {
        return Err(Failure::conflict(
            "The operation is still running; its handle is kept until it finishes.",
        ));
    }
    op.handle_released = true;
    Ok(next)
}

fn running_mut<'w>(world: &'w mut World, id: &str) -> Result<&'w mut Operation, Failure> {
    let op = world.operations.get_mut(id).ok_or_else(|| Failure::not_found("The operation"))?;
    if op.state != OperationState::Running {
        return Err(Failure::new(ErrorCode::Conflict, "The operation has finished."));
    }
    Ok(op)
}

/// One turn of a runner: the next operation `holder` may work on, claimed, and one step of it.
pub struct Turn {
    /// The operation.
    pub id: String,
    /// The world with the claim taken: commit this first, so other runners see the claim.
    pub claimed: World,
    /// The world after the step, computed on top of `claimed`.
    pub stepped: Result<World, Failure>,
    /// What the audit trail records of the step, as `system`.
    pub records: Vec<crate::audit::AuditRecord>,
}

/// A runner's turn (`None` when there is nothing to do). The server commits the claim and then
/// the step with its records; the offline demo keeps the step and appends its records.
pub fn take_turn(world: &World, ctx: &mut Ctx, holder: &str) -> Option<Turn> {
    let id = claimable(world, holder, ctx.now)?;
    let claimed = claim(world, &id, holder, ctx.now).ok()?;
    let stepped = run_step(&claimed, ctx, &id);
    let records = stepped.as_ref().map(|s| super::step_records(&claimed, s, ctx.now)).unwrap_or_default();
    Some(Turn { id, claimed, stepped, records })
}

/// A runner's turn as the offline demo takes it: the step kept with its records appended to the
/// world's own audit trail (the server commits the claim, then the step with the same records).
pub fn take_turn_recorded(world: &World, ctx: &mut Ctx, holder: &str) -> Option<World> {
    let turn = take_turn(world, ctx, holder)?;
    let mut stepped = turn.stepped.ok()?;
    for record in turn.records {
        stepped.audit.append(record);
    }
    Some(stepped)
}
