//! First start: the demo world (shared's `demo_world`), stored in one transaction, only when
//! the database holds no world yet.

use std::io;

use shared::{
    access,
    crypto::{self, ImportKey, MIN_IMPORT_KEY_BITS, MasterKey},
    demo::{DEMO_KEY_BITS, DEMO_VAULT, DemoKeys, demo_world, with_later_additions},
    model::ADMIN_ACCOUNT,
    ops::{self, Ctx},
};

use crate::{clock, key_providers::HttpKeyProviders, store::Store};

pub async fn seed_if_empty(store: &Store, master: &MasterKey) -> io::Result<()> {
    if store.is_seeded().await.map_err(io::Error::other)? {
        return Ok(());
    }
    let master = master.clone();
    // RSA key generation takes a while: keep it off the async threads.
    let world = tokio::task::spawn_blocking(move || {
        let mut rng = clock::rng();
        let now = clock::now();
        let (base, keys) = ops::first_master_key(&master, now, &mut rng).map_err(io::Error::other)?;
        let customer_key = crypto::generate_rsa(DEMO_KEY_BITS, &mut rng).map_err(io::Error::other)?;
        let import_key = ImportKey::generate(MIN_IMPORT_KEY_BITS, &keys, DEMO_VAULT, &mut rng)
            .map_err(io::Error::other)?;
        let mut ctx = Ctx::local(now, &master, &keys, &mut rng);
        demo_world(&mut ctx, base, DemoKeys { customer_key, import_key }).map_err(io::Error::other)
    })
    .await
    .map_err(io::Error::other)??;
    if store.seed(&world).await.map_err(io::Error::other)? {
        tracing::info!("seeded the demo world");
    }
    Ok(())
}

/// A data directory from before access control keeps working: its accounts join the directory,
/// `admin` becomes Owner at the instance and every live API key Key Administrator there.
pub async fn grant_first_roles(store: &Store) -> io::Result<()> {
    let names = store.account_names().await.map_err(io::Error::other)?;
    let mut keys = 0;
    let granted = store
        .update(|world| {
            keys = world.api_keys.values().filter(|k| k.revoked.is_none()).count();
            let next = access::first_assignments(&world, &names, &mut clock::rng(), clock::now());
            async move { Ok::<_, io::Error>(next) }
        })
        .await?;
    if granted {
        println!(
            "Access control: `{ADMIN_ACCOUNT}` is Owner at the instance, and the {keys} existing API key(s) \
             Key Administrator at the instance. Narrow them in Access control (IAM)."
        );
    }
    Ok(())
}

/// A world seeded by an earlier version gets what the demo gained since (the device manager,
/// the stamp).
pub async fn add_later_additions(
    store: &Store,
    master: &MasterKey,
    providers: &HttpKeyProviders,
) -> io::Result<()> {
    let added = store
        .update(|world| {
            let (master, providers) = (master.clone(), providers.clone());
            async move {
                let with_them = tokio::task::spawn_blocking(move || {
                    let mut rng = clock::rng();
                    let keys = ops::keyring(&world, &master, &providers, true).map_err(io::Error::other)?;
                    let now = clock::now();
                    let mut ctx = Ctx {
                        now,
                        wall: now,
                        master: &master,
                        keys: &keys,
                        providers: &providers,
                        rsa: &shared::crypto::RustCrypto,
                        rng: &mut rng,
                    };
                    let next = with_later_additions(&world, &mut ctx).map_err(io::Error::other)?;
                    Ok::<_, io::Error>((next != *world).then_some(next))
                });
                with_them.await.map_err(io::Error::other)?
            }
        })
        .await?;
    if added {
        tracing::info!("added what the demo gained since this data directory was seeded");
    }
    Ok(())
}
