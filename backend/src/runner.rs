//! The server's background work: it runs long-running operations step by step and performs due
//! work ([`shared::ops::advance`]) as time passes. All the rules are in the engine; this only
//! loads, computes and commits, like a request does.

use std::time::Duration;

use shared::ops;

use crate::{AppState, error::AppError};

/// How often the runner looks for work when nobody wakes it.
const IDLE: Duration = Duration::from_secs(1);

/// Works until the process ends. `holder` names this server in operation claims; a server
/// restarted with the same data directory uses the same name and takes its own work back.
pub async fn run(state: AppState, holder: String) {
    loop {
        if let Err(error) = crate::gateway::credentials::record_repeated_refusals(&state).await {
            tracing::warn!(?error, "recording repeated refusals failed; retrying");
        }
        match work_once(&state, &holder).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(error) => tracing::warn!(?error, "background work failed; retrying"),
        }
        tokio::select! {
            () = state.work().notified() => {}
            () = tokio::time::sleep(IDLE) => {}
        }
    }
}

/// Performs what is due, then one step of an operation. Returns whether there may be more.
pub async fn work_once(state: &AppState, holder: &str) -> Result<bool, AppError> {
    advance(state).await?;
    let snapshot = state.store().load().await?;
    let holder = holder.to_owned();
    let turn = state
        .compute(move |world, ctx| Ok(ops::take_turn(world, ctx, &holder)), snapshot.world.clone())
        .await?;
    let Some(turn) = turn else { return Ok(false) };
    // The claim first: another runner sharing the database then leaves this operation alone,
    // and a lost race is a conflict here, before any work is committed.
    let claimed = state.store().commit(&snapshot, &turn.claimed, Vec::new()).await?;
    match turn.stepped {
        Ok(stepped) => {
            state.store().commit(&claimed, &stepped, turn.records).await?;
        }
        Err(failure) => {
            tracing::warn!(operation = %turn.id, code = ?failure.code, "an operation step could not run")
        }
    }
    Ok(true)
}

/// Commits [`ops::advance`] when something fell due. When the runner (or `POST /api/clock`,
/// or another replica) did the same due work first, the second look finds it done.
pub async fn advance(state: &AppState) -> Result<(), AppError> {
    // Rotations by policy generate key material, so this runs where computation does.
    let due = |world: &shared::model::World, ctx: &mut ops::Ctx| {
        Ok(ops::advance(world, ctx).map(|next| {
            let records = ops::due_work_records(world, &next, ctx.now);
            (next, records)
        }))
    };
    state.store().update_audited(|world| state.compute(due, world)).await.map(drop)
}

/// This server's name in operation claims, kept in `instance.id` in the data directory (created
/// at first start), so a restart after a crash resumes its own operations at once.
pub fn instance_id(data_dir: &std::path::Path) -> std::io::Result<String> {
    let path = data_dir.join("instance.id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_owned()),
        Ok(_) | Err(_) => {
            let id = shared::crypto::random_hex(&mut crate::clock::rng(), 8);
            std::fs::write(&path, &id)?;
            Ok(id)
        }
    }
}
