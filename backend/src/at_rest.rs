//! Encryption at rest at start: the data directory's secrets sealed the old way (directly under
//! the key file, unbound) are resealed under a first master key, once, in one transaction; then
//! every master key in use must open, an External one through its key provider. When one does
//! not, Keyblade refuses to start and nothing has changed.

use std::io;

use shared::{crypto::MasterKey, ops};

use crate::{clock, key_providers::HttpKeyProviders, store::Store};

pub async fn prepare(store: &Store, master: &MasterKey, providers: &HttpKeyProviders) -> io::Result<()> {
    let snapshot = store.load().await.map_err(io::Error::other)?;
    let (root, providers) = (master.clone(), providers.clone());
    let world = snapshot.world.clone();
    let migrated = tokio::task::spawn_blocking(move || {
        let migrated = ops::migrate_sealing(&world, &root, clock::now(), &mut clock::rng())
            .map_err(|failure| io::Error::other(format!("cannot migrate the sealed secrets: {}", failure.message)))?;
        ops::keyring(migrated.as_ref().unwrap_or(&world), &root, &providers, true).map_err(|failure| {
            io::Error::other(format!(
                "cannot open the master key: {} Nothing was changed; make the key provider reachable and start again.",
                failure.message
            ))
        })?;
        Ok::<_, io::Error>(migrated)
    })
    .await
    .map_err(io::Error::other)??;
    if let Some(world) = migrated {
        store.commit(&snapshot, &world, Vec::new()).await.map_err(io::Error::other)?;
        tracing::info!("sealed every secret under a first master key, bound to its place");
    }
    Ok(())
}
