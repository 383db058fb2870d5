//! The master key that seals every private key and passkey at rest. It comes from
//! `KEYBLADE_MASTER_KEY` (base64) or from `master.key` in the data directory, created with mode
//! 0600 at first start. A check value sealed under it at first start proves, at every later
//! start, that the key matches the data.

use std::{
    fs,
    io::{self, Write},
    path::Path,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use shared::crypto::{self, KEY_LEN, MasterKey};
use zeroize::Zeroizing;

use crate::{Config, clock::rng, store::Store};

const FILE: &str = "master.key";
/// Sealed at first start; opening it later proves the master key is the right one.
const CHECK_PLAINTEXT: &[u8] = b"keyblade master key check";

/// The configured master key, or the one in the data directory (created if missing).
pub fn load(config: &Config) -> io::Result<MasterKey> {
    match &config.master_key {
        Some(encoded) => decode(encoded.expose())
            .map_err(|why| io::Error::other(format!("KEYBLADE_MASTER_KEY is not usable: {why}"))),
        None => load_or_create_file(&config.data_dir.join(FILE)),
    }
}

fn load_or_create_file(path: &Path) -> io::Result<MasterKey> {
    match fs::read_to_string(path) {
        Ok(text) => decode(&Zeroizing::new(text))
            .map_err(|why| io::Error::other(format!("{} is not usable: {why}", path.display()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => create_file(path),
        Err(e) => Err(e),
    }
}

/// Writes a fresh key readable by the owner only.
fn create_file(path: &Path) -> io::Result<MasterKey> {
    let key = MasterKey::generate(&mut rng());
    write_private(path, Zeroizing::new(STANDARD.encode(key.expose())).as_bytes())?;
    Ok(key)
}

/// Writes a secret file atomically with mode 0600: the content goes to a temporary file first,
/// which is then linked in under `path`. A crash leaves either no file or the whole one, and the
/// link refuses to replace a file that appeared meanwhile (two racing first starts cannot end
/// up with different keys).
pub fn write_private(path: &Path, content: &[u8]) -> io::Result<()> {
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(content)?;
        file.sync_all()
    });
    let linked = written.and_then(|()| fs::hard_link(&temporary, path));
    let _ = fs::remove_file(&temporary);
    linked
}

fn decode(text: &str) -> Result<MasterKey, &'static str> {
    let bytes = Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| "not base64")?);
    if bytes.len() != KEY_LEN {
        return Err("not 32 bytes");
    }
    MasterKey::from_slice(&bytes).map_err(|_| "not 32 bytes")
}

/// Where the check value is sealed.
fn check() -> crypto::Binding {
    crypto::Binding::new("instance", "master-key-check", "sealed")
}

/// Refuses to start with a master key other than the one the stored data was sealed with.
pub async fn verify(store: &Store, key: &MasterKey) -> io::Result<()> {
    if let Some(json) = store.master_key_check().await.map_err(io::Error::other)? {
        return opens_check(key, &json);
    }
    if store.is_seeded().await.map_err(io::Error::other)? {
        return Err(io::Error::other(
            "the database holds sealed data but no master key check: refusing to start rather than \
             guess which master key sealed it",
        ));
    }
    let sealed = crypto::seal(key, crypto::ROOT_KEY_ID, &check(), CHECK_PLAINTEXT, &mut rng())
        .map_err(io::Error::other)?;
    let json = serde_json::to_string(&sealed).map_err(io::Error::other)?;
    if store.set_master_key_check(&json).await.map_err(io::Error::other)? {
        return Ok(());
    }
    // Another replica starting over the same new database wrote its check first: this key
    // must be the one that check was sealed with.
    let theirs = store.master_key_check().await.map_err(io::Error::other)?;
    opens_check(key, theirs.as_deref().unwrap_or_default())
}

/// Whether `key` opens the stored check value.
fn opens_check(key: &MasterKey, json: &str) -> io::Result<()> {
    let sealed: crypto::Sealed = serde_json::from_str(json).map_err(io::Error::other)?;
    // A check written before sealed values named their key is unbound.
    let opened = if sealed.key.is_empty() {
        crypto::open_unbound(key, &sealed)
    } else {
        crypto::open(key, &check(), &sealed)
    };
    opened.map(drop).map_err(|_| {
        io::Error::other("the master key does not match the one this data directory was sealed with")
    })
}

#[cfg(test)]
mod tests {
    use shared::model::{Tenant, World};

    use super::*;

    #[tokio::test]
    async fn sealed_data_without_a_check_value_is_refused() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store =
            Store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).await.expect("a store");
        let world = World {
            tenants: [("t".to_owned(), Tenant { id: "t".into(), name: "t".into() })].into(),
            ..World::default()
        };
        store.seed(&world).await.expect("seeded");
        let key = MasterKey::generate(&mut rng());
        let refused = verify(&store, &key).await.expect_err("no check value next to sealed data");
        assert!(refused.to_string().contains("no master key check"), "{refused}");
    }

    #[test]
    fn secret_files_are_written_whole_and_private() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("secret");
        write_private(&path, b"first").expect("written");
        assert_eq!(fs::read(&path).expect("readable"), b"first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).expect("metadata").permissions().mode() & 0o777, 0o600);
        }
        assert!(write_private(&path, b"second").is_err(), "an existing secret is never replaced");
        assert_eq!(fs::read(&path).expect("readable"), b"first");
        let leftovers = fs::read_dir(dir.path()).expect("a directory").count();
        assert_eq!(leftovers, 1, "no temporary file left behind");
    }
}
