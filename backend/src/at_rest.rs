//! Encryption at rest at start: the data directory's secrets sealed the old way (directly under
//! the key file, unbound) are resealed under a first master key, once, in one transaction; then
//! every master key in use must open, an External one through its key provider. When one does
//! not, Keyblade refuses to start and nothing has changed.

use std::io;

use shared::{crypto::MasterKey, model::World, ops};

use crate::{clock, key_providers::HttpKeyProviders, store::Store};

pub async fn prepare(store: &Store, master: &MasterKey, providers: &HttpKeyProviders) -> io::Result<()> {
    let migrated = store
        .update(|world| {
            let (root, providers) = (master.clone(), providers.clone());
            async move {
                tokio::task::spawn_blocking(move || migrate_and_open(&world, &root, &providers))
                    .await
                    .map_err(io::Error::other)?
            }
        })
        .await?;
    if migrated {
        tracing::info!("sealed every secret under a first master key, bound to its place");
    }
    Ok(())
}

/// The world resealed the new way, if it was not yet; either way every master key must open.
fn migrate_and_open(
    world: &World,
    root: &MasterKey,
    providers: &HttpKeyProviders,
) -> io::Result<Option<World>> {
    let migrated = ops::migrate_sealing(world, root, clock::now(), &mut clock::rng()).map_err(|failure| {
        io::Error::other(format!("cannot migrate the sealed secrets: {}", failure.message))
    })?;
    ops::keyring(migrated.as_ref().unwrap_or(world), root, providers, true).map_err(|failure| {
        io::Error::other(format!(
            "cannot open the master key: {} Nothing was changed; make the key provider reachable and start again.",
            failure.message
        ))
    })?;
    Ok(migrated)
}
