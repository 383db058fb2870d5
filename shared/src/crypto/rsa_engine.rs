//! The private-key operation on the hot path, RSA-OAEP-256 decryption with a key held as PKCS#8,
//! behind one interface. Every unwrap (a Device password, a Key Vault or Key Protect unwrap)
//! goes through [`RsaEngine`]: the browser and the offline demo use [`RustCrypto`] (the `rsa`
//! crate, which compiles to wasm); the server may use a native one ([`AwsLc`], feature
//! `native`). Both answer the same known-answer and cross-decryption tests below.

use zeroize::Zeroizing;

use super::{CryptoError, Rng};

/// RSA-OAEP decryption with SHA-256 and MGF1-SHA-256, no label: how every key version in
/// Keyblade unwraps.
pub trait RsaEngine: Send + Sync {
    /// Decrypts `ciphertext` with the RSA private key `pkcs8` (PKCS#8 DER). `rng` blinds the
    /// private-key operation where the implementation takes its randomness from the caller.
    fn oaep_decrypt(
        &self,
        pkcs8: &[u8],
        ciphertext: &[u8],
        rng: &mut Rng,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError>;
}

/// The `rsa` crate: pure Rust, the same code in the browser and on the server.
pub struct RustCrypto;

impl RsaEngine for RustCrypto {
    fn oaep_decrypt(
        &self,
        pkcs8: &[u8],
        ciphertext: &[u8],
        rng: &mut Rng,
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        super::oaep_unwrap(&super::private_key_from_pkcs8(pkcs8)?, ciphertext, rng)
    }
}

#[cfg(feature = "native")]
pub use native::AwsLc;

#[cfg(feature = "native")]
mod native {
    use std::{
        collections::HashMap,
        sync::{Arc, Mutex},
        time::{Duration, Instant},
    };

    use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
    use sha2::{Digest, Sha256};
    use zeroize::Zeroizing;

    use super::{CryptoError, Rng, RsaEngine};

    /// How many parsed keys are kept, and for how long one unused is.
    const CAPACITY: usize = 1024;
    const IDLE: Duration = Duration::from_secs(300);

    /// AWS-LC (the `aws-lc-rs` crate): native RSA, several times the `rsa` crate's speed.
    ///
    /// Parsing a PKCS#8 key validates it (a full RSA key check), which costs more than the
    /// decryption itself; so the parsed key is kept in memory, found by the SHA-256 of its
    /// DER. The caller still opens the sealed key for every request (the DER is what finds the
    /// parsed key), so every check in front of the decryption runs as before, and a key whose
    /// sealed bytes are gone can no longer be found. Nothing of a decryption's result is kept.
    #[derive(Default)]
    pub struct AwsLc {
        parsed: Mutex<HashMap<[u8; 32], Parsed>>,
    }

    struct Parsed {
        key: Arc<OaepPrivateDecryptingKey>,
        used: Instant,
    }

    impl AwsLc {
        fn key(&self, pkcs8: &[u8]) -> Result<Arc<OaepPrivateDecryptingKey>, CryptoError> {
            let id: [u8; 32] = Sha256::digest(pkcs8).into();
            let now = Instant::now();
            if let Some(parsed) = self.lock().get_mut(&id) {
                parsed.used = now;
                return Ok(parsed.key.clone());
            }
            // Parsed outside the lock: other keys' requests need not wait for this check.
            let key = PrivateDecryptingKey::from_pkcs8(pkcs8)
                .ok()
                .and_then(|key| OaepPrivateDecryptingKey::new(key).ok())
                .map(Arc::new)
                .ok_or(CryptoError::Malformed)?;
            let mut parsed = self.lock();
            if parsed.len() >= CAPACITY {
                parsed.retain(|_, p| now.duration_since(p.used) < IDLE);
                if parsed.len() >= CAPACITY {
                    parsed.clear();
                }
            }
            parsed.insert(id, Parsed { key: key.clone(), used: now });
            Ok(key)
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Parsed>> {
            self.parsed.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }

    #[cfg(test)]
    impl AwsLc {
        pub(super) fn parsed_keys(&self) -> usize {
            self.lock().len()
        }
    }

    impl RsaEngine for AwsLc {
        /// AWS-LC blinds with its own randomness; `rng` is not needed.
        fn oaep_decrypt(
            &self,
            pkcs8: &[u8],
            ciphertext: &[u8],
            _rng: &mut Rng,
        ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
            let key = self.key(pkcs8)?;
            let mut plaintext = Zeroizing::new(vec![0u8; key.min_output_size()]);
            let len = key
                .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut plaintext, None)
                .map_err(|_| CryptoError::Decrypt)?
                .len();
            plaintext.truncate(len);
            Ok(plaintext)
        }
    }
}

#[cfg(test)]
mod tests {
    use rsa::rand_core::UnwrapErr;

    use super::*;
    use crate::crypto::{generate_rsa, oaep_wrap, private_key_to_pkcs8, tests::hex};

    /// Wycheproof's RSA-OAEP test vectors for a 2048-bit key with SHA-256 and MGF1-SHA-256
    /// (`testvectors_v1/rsa_oaep_2048_sha256_mgf1sha256_test.json`, C2SP/wycheproof; RFC 8017's own
    /// examples are OAEP with SHA-1, which Keyblade does not offer): the key as PKCS#8, and
    /// (message, ciphertext) pairs with an empty label.
    const KEY: &str = include_str!("testdata/oaep_2048_sha256.pkcs8.hex");
    const VECTORS: &str = include_str!("testdata/oaep_2048_sha256.vectors");

    fn vectors() -> Vec<(Vec<u8>, Vec<u8>)> {
        VECTORS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (msg, ct) = l.split_once(' ').expect("message and ciphertext");
                // An empty message is written `-`.
                (hex(msg.trim_start_matches('-')), hex(ct))
            })
            .collect()
    }

    fn engines() -> Vec<(&'static str, Box<dyn RsaEngine>)> {
        let mut engines: Vec<(&'static str, Box<dyn RsaEngine>)> = vec![("rsa", Box::new(RustCrypto))];
        #[cfg(feature = "native")]
        engines.push(("aws-lc", Box::new(AwsLc::default())));
        engines
    }

    fn rng() -> UnwrapErr<getrandom::SysRng> {
        UnwrapErr(getrandom::SysRng)
    }

    #[test]
    fn every_engine_decrypts_the_known_answers() {
        let key = hex(KEY);
        let vectors = vectors();
        assert!(vectors.len() >= 5, "the vectors file lost its lines");
        for (name, engine) in engines() {
            for (i, (message, ciphertext)) in vectors.iter().enumerate() {
                let plaintext = engine.oaep_decrypt(&key, ciphertext, &mut rng());
                assert_eq!(
                    plaintext.as_deref().map(|p| p.as_slice()),
                    Ok(message.as_slice()),
                    "{name}, vector {i}"
                );
            }
        }
    }

    #[test]
    fn every_engine_refuses_a_changed_ciphertext_and_a_foreign_key() {
        let key = hex(KEY);
        let (_, ciphertext) = vectors().remove(0);
        let mut changed = ciphertext.clone();
        changed[100] ^= 1;
        let other = private_key_to_pkcs8(&generate_rsa(2048, &mut rng()).expect("a key")).expect("PKCS#8");
        for (name, engine) in engines() {
            assert_eq!(engine.oaep_decrypt(&key, &changed, &mut rng()), Err(CryptoError::Decrypt), "{name}");
            assert_eq!(
                engine.oaep_decrypt(&other, &ciphertext, &mut rng()),
                Err(CryptoError::Decrypt),
                "{name}"
            );
            assert_eq!(
                engine.oaep_decrypt(&key, &ciphertext[1..], &mut rng()),
                Err(CryptoError::Decrypt),
                "{name}"
            );
            assert_eq!(
                engine.oaep_decrypt(b"not a key", &ciphertext, &mut rng()),
                Err(CryptoError::Malformed),
                "{name}"
            );
        }
    }

    /// Wrapped by one implementation, unwrapped by every one: keys the browser made, wrapped
    /// by the engine, open on the server's native engine.
    #[test]
    fn what_the_engine_wraps_every_engine_unwraps() {
        for bits in [2048, 3072] {
            let private = generate_rsa(bits, &mut rng()).expect("a key");
            let pkcs8 = private_key_to_pkcs8(&private).expect("PKCS#8");
            let secret = [42u8; 32];
            let wrapped = oaep_wrap(&private.to_public_key(), &secret, &mut rng()).expect("wrapped");
            for (name, engine) in engines() {
                let opened = engine.oaep_decrypt(&pkcs8, &wrapped, &mut rng()).expect(name);
                assert_eq!(opened.as_slice(), &secret, "{name}, {bits} bits");
                // Again: a native engine answers the second time from its parsed key.
                let again = engine.oaep_decrypt(&pkcs8, &wrapped, &mut rng()).expect(name);
                assert_eq!(again.as_slice(), &secret, "{name}, {bits} bits, again");
            }
        }
    }

    #[cfg(feature = "native")]
    #[test]
    fn what_aws_lc_wraps_the_rsa_crate_unwraps() {
        use aws_lc_rs::{
            encoding::{AsDer, Pkcs8V1Der},
            rsa::{KeySize, OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PrivateDecryptingKey},
        };
        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("a key");
        let pkcs8 = AsDer::<Pkcs8V1Der>::as_der(&private).expect("PKCS#8").as_ref().to_vec();
        let public = OaepPublicEncryptingKey::new(private.public_key()).expect("a public key");
        let mut wrapped = vec![0u8; public.ciphertext_size()];
        let wrapped =
            public.encrypt(&OAEP_SHA256_MGF1SHA256, b"made by aws-lc", &mut wrapped, None).expect("wrapped");
        let opened =
            RustCrypto.oaep_decrypt(&pkcs8, wrapped, &mut rng()).expect("unwrapped by the rsa crate");
        assert_eq!(opened.as_slice(), b"made by aws-lc");
    }

    #[cfg(feature = "native")]
    #[test]
    fn the_native_engine_keeps_a_bounded_number_of_parsed_keys() {
        let engine = AwsLc::default();
        let private = generate_rsa(2048, &mut rng()).expect("a key");
        let pkcs8 = private_key_to_pkcs8(&private).expect("PKCS#8");
        let wrapped = oaep_wrap(&private.to_public_key(), b"x", &mut rng()).expect("wrapped");
        engine.oaep_decrypt(&pkcs8, &wrapped, &mut rng()).expect("unwrapped");
        engine.oaep_decrypt(&pkcs8, &wrapped, &mut rng()).expect("unwrapped");
        assert_eq!(engine.parsed_keys(), 1, "one key, parsed once");
    }
}
