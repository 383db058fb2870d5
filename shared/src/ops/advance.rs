//! Time passing: [`advance`] performs whatever has fallen due by `now`. The server calls it on a
//! timer and after its test clock moves; the offline demo does the same. It is pure, so a test
//! moves the clock and checks the world instead of sleeping.

use super::Ctx;
use crate::access::Actor;
use crate::audit::{AuditAction, AuditRecord};
use crate::model::{OperationState, StepState, Timestamp, World, within_retention};

/// [`advance`] with its records appended to the world's audit trail: how the offline demo (which
/// keeps its trail in the world) performs due work. The server commits the same records
/// ([`due_work_records`]) with the change instead.
pub fn advance_recorded(world: &World, ctx: &mut Ctx) -> Option<World> {
    let mut next = advance(world, ctx)?;
    for record in due_work_records(world, &next, ctx.now) {
        next.audit.append(record);
    }
    Some(next)
}

/// How the audit trail names the clock's own work.
pub const SYSTEM_ACTOR: &str = "system";

/// A record of the system's own work (due work, operation steps).
fn system_record(now: Timestamp, source: &str, action: AuditAction, subject: String) -> AuditRecord {
    AuditRecord {
        at: now,
        actor: SYSTEM_ACTOR.to_owned(),
        source: source.to_owned(),
        action,
        subject,
        failure: None,
    }
}

/// What the audit trail records of a test clock moved forward by `seconds` by `actor`; `now`
/// is the clock's new time.
pub fn clock_move_record(actor: &Actor, seconds: i64, now: Timestamp) -> AuditRecord {
    actor.record(now, AuditAction::ClockAdvance, format!("clock (moved forward {seconds} s)"), None)
}

/// What the audit trail records of the operation steps that turned `before` into `after`, as
/// `system`: each step done or failed (a rollover's re-encryption, a secret rotation's stage, a
/// rewrap of one resource), with the failure's code.
pub fn step_records(before: &World, after: &World, now: Timestamp) -> Vec<AuditRecord> {
    let mut records = Vec::new();
    for operation in after.operations.values() {
        let was = before.operations.get(&operation.id);
        for (i, step) in operation.steps.iter().enumerate() {
            let was_state = was.and_then(|w| w.steps.get(i)).map(|s| s.state);
            let ended = matches!(step.state, StepState::Done | StepState::Failed);
            if !ended || was_state == Some(step.state) {
                continue;
            }
            let subject = format!(
                "operations/{} ({}): step {} {}",
                operation.id,
                operation.kind.label(),
                i + 1,
                step.label
            );
            let mut record = system_record(now, "operation runner", AuditAction::OperationStep, subject);
            let failed_here = step.state == StepState::Failed && operation.state == OperationState::Failed;
            record.failure =
                step.error.as_ref().or(operation.error.as_ref().filter(|_| failed_here)).map(|e| e.code);
            records.push(record);
        }
    }
    records
}

/// What the audit trail records of the due work that turned `before` into `after`, as
/// `system`: each purge at the end of a retention period and each rotation by policy.
pub fn due_work_records(before: &World, after: &World, now: Timestamp) -> Vec<AuditRecord> {
    let record = |action, subject: String| system_record(now, "due work", action, subject);
    let mut records = Vec::new();
    for vault in after.vaults.values() {
        let Some(was) = before.vaults.get(&vault.name) else { continue };
        if vault.purged && !was.purged {
            records.push(record(AuditAction::VaultPurge, format!("vaults/{} (retention ended)", vault.name)));
            continue;
        }
        for key in vault.keys.values() {
            let Some(old) = was.keys.get(&key.name) else { continue };
            let subject = format!("vaults/{}/keys/{}", vault.name, key.name);
            if key.purged && !old.purged {
                records.push(record(AuditAction::KeyPurge, format!("{subject} (retention ended)")));
            } else if key.last_rotated != old.last_rotated {
                let version = key.versions.last().map(|v| v.id.as_str()).unwrap_or_default();
                records.push(record(
                    AuditAction::KeyRotate,
                    format!("{subject} (by its rotation policy, version {version})"),
                ));
            }
        }
    }
    records
}

/// Performs what is due at `ctx.now`: soft-deleted vaults and keys whose retention period has
/// ended are purged (their key material is gone for good), keys whose rotation policy fell due
/// are rotated, and stamps raise the alerts of secrets close to expiry. Returns `None` when
/// nothing was due, so callers write nothing.
pub fn advance(world: &World, ctx: &mut Ctx) -> Option<World> {
    let purged = purge_expired(world, ctx.now);
    let current = purged.as_ref().unwrap_or(world);
    let rotated = super::rotate_due_keys(current, ctx).or(purged);
    let current = rotated.as_ref().unwrap_or(world);
    super::raise_stamp_alerts(current, ctx.now).or(rotated)
}

/// Purges what soft deletion kept past its retention period.
fn purge_expired(world: &World, now: Timestamp) -> Option<World> {
    let expired = |deleted_at: Option<Timestamp>, retention_days: u16| {
        deleted_at.is_some() && !within_retention(deleted_at, retention_days, now)
    };
    let due_vaults: Vec<String> = world
        .vaults
        .values()
        .filter(|v| !v.purged && expired(v.deleted_at, v.retention_days))
        .map(|v| v.name.clone())
        .collect();
    let due_keys = world.keys_where(|v, k| !k.purged && expired(k.deleted_at, v.retention_days));
    if due_vaults.is_empty() && due_keys.is_empty() {
        return None;
    }
    let mut next = world.clone();
    for name in &due_vaults {
        super::vault::destroy_vault(&mut next, name);
    }
    for (vault, key) in &due_keys {
        if let Some(key) = next.vaults.get_mut(vault).and_then(|v| v.keys.get_mut(key)) {
            key.purged = true;
            key.versions.clear();
        }
    }
    Some(next)
}

/// The longest single move of a test clock: a century.
pub const MAX_CLOCK_ADVANCE: i64 = 3_153_600_000;

/// Checks a request to move a test clock forward by `seconds`.
pub fn check_clock_advance(seconds: i64) -> Result<(), crate::catalog::Failure> {
    if (1..=MAX_CLOCK_ADVANCE).contains(&seconds) {
        Ok(())
    } else {
        Err(crate::catalog::Failure::new(
            crate::catalog::ErrorCode::InvalidRequest,
            format!(
                "advance_seconds must be between 1 and {MAX_CLOCK_ADVANCE} (a century); the clock only moves forward."
            ),
        ))
    }
}
