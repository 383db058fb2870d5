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

/// Writes a fresh key readable by the owner only. `create_new` refuses to overwrite a key that
/// appeared meanwhile, so two racing first starts cannot end up with different keys.
fn create_file(path: &Path) -> io::Result<MasterKey> {
    let key = MasterKey::generate(&mut rng());
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(Zeroizing::new(STANDARD.encode(key.expose())).as_bytes())?;
    file.sync_all()?;
    Ok(key)
}

fn decode(text: &str) -> Result<MasterKey, &'static str> {
    let bytes = Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| "not base64")?);
    if bytes.len() != KEY_LEN {
        return Err("not 32 bytes");
    }
    MasterKey::from_slice(&bytes).map_err(|_| "not 32 bytes")
}

/// Refuses to start with a master key other than the one the stored data was sealed with.
pub async fn verify(store: &Store, key: &MasterKey) -> io::Result<()> {
    let stored = store.master_key_check().await.map_err(io::Error::other)?;
    match stored {
        Some(json) => {
            let sealed = serde_json::from_str(&json).map_err(io::Error::other)?;
            crypto::open(key, &sealed).map(drop).map_err(|_| {
                io::Error::other("the master key does not match the one this data directory was sealed with")
            })
        }
        None => {
            let sealed = crypto::seal(key, CHECK_PLAINTEXT, &mut rng()).map_err(io::Error::other)?;
            let json = serde_json::to_string(&sealed).map_err(io::Error::other)?;
            store.set_master_key_check(&json).await.map_err(io::Error::other)
        }
    }
}
