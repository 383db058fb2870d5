//! Real cryptography for the simulation.
//!
//! - RSA key generation and RSA-OAEP-256 wrap/unwrap of the 32-byte passkey.
//! - The key-transfer format (CKM_RSA_AES_KEY_WRAP): the browser wraps a PKCS#8 private key with
//!   a fresh AES-256 key using AES key wrap with padding (RFC 5649), wraps that AES key with
//!   RSA-OAEP-256 under the vault's import key and sends `rsa_ciphertext || kwp_ciphertext`.
//! - AES-256-GCM sealing under the master key, for everything at rest.
//!
//! Secret-holding types never print their contents and zeroize on drop.

mod rsa_engine;

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use aes_kw::AesKwp;
use aes_kw::aes::{Aes256, cipher::BlockCipherEncrypt};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, PrivateKeyInfoRef};
use rsa::rand_core::CryptoRng;
use rsa::sha2::Sha256;
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

#[cfg(feature = "native")]
pub use rsa_engine::AwsLc;
pub use rsa_engine::{RsaEngine, RustCrypto};

/// Public half of a key version, safe to show.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kty")]
pub enum PublicKeyMaterial {
    /// RSA modulus and exponent, base64url without padding (as in a JWK).
    #[serde(rename = "RSA")]
    Rsa {
        /// Modulus.
        n: String,
        /// Public exponent.
        e: String,
    },
    /// Elliptic curve key; the point is not needed by anything here.
    #[serde(rename = "EC")]
    Ec {
        /// Curve name, "P-256".
        crv: String,
    },
    /// Symmetric key: nothing of it is public.
    #[serde(rename = "oct")]
    Oct,
}

/// The random source every operation takes. `rand_core::UnwrapErr(getrandom::SysRng)` in
/// production; anything implementing `CryptoRng` in tests.
pub type Rng = dyn CryptoRng;

/// Why a cryptographic step failed. Deliberately vague: details would help an attacker and
/// the user-facing code (Generic error) is the same for all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// Decryption or integrity check failed.
    #[error("decryption failed")]
    Decrypt,
    /// Input could not be encoded or decoded (bad base64, DER, length).
    #[error("malformed key material")]
    Malformed,
    /// Key generation or encryption failed.
    #[error("encryption failed")]
    Encrypt,
    /// The master key a value names is not held (decommissioned, or its provider unreachable).
    #[error("the master key is not available")]
    KeyUnavailable,
}

/// Length of the passkey, the master key and the transfer AES key.
pub const KEY_LEN: usize = 32;
/// Smallest RSA import (key-exchange) key we accept.
pub const MIN_IMPORT_KEY_BITS: usize = 3072;

macro_rules! secret_bytes {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name([u8; KEY_LEN]);

        impl $name {
            /// Wraps raw bytes.
            pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
                Self(bytes)
            }

            /// Parses exactly 32 bytes.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
                <[u8; KEY_LEN]>::try_from(bytes).map(Self).map_err(|_| CryptoError::Malformed)
            }

            /// Fresh random value.
            pub fn generate(rng: &mut Rng) -> Self {
                let mut bytes = [0u8; KEY_LEN];
                rng.fill_bytes(&mut bytes);
                Self(bytes)
            }

            /// The raw bytes; callers must not log them.
            pub fn expose(&self) -> &[u8; KEY_LEN] {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                self.0.zeroize();
            }
        }
    };
}

secret_bytes!(MasterKey, "The platform master key: AES-256-GCM key sealing everything at rest.");
secret_bytes!(Passkey, "An order's device unlock key (the \"Device password\").");
secret_bytes!(ServiceKey, "A device manager's service data encryption key (AES-256).");

/// A key AES-256-GCM [`seal`]s under: the master key, or a device manager's service data
/// encryption key.
pub trait SealingKey {
    /// The raw key; callers must not log it.
    fn aes_key(&self) -> &[u8; KEY_LEN];
}

impl SealingKey for MasterKey {
    fn aes_key(&self) -> &[u8; KEY_LEN] {
        self.expose()
    }
}

impl SealingKey for ServiceKey {
    fn aes_key(&self) -> &[u8; KEY_LEN] {
        self.expose()
    }
}

/// Whether two byte strings are equal, in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A short, non-reversible fingerprint of a secret (the first 8 bytes of its SHA-256, hex), for
/// showing that two parties hold the same secret without showing it.
pub fn fingerprint(secret: &[u8]) -> String {
    to_hex(&<sha2::Sha256 as sha2::Digest>::digest(secret)[..8])
}

impl Passkey {
    /// The device password as the portal shows it: hex in groups of four.
    pub fn display(&self) -> String {
        let hex = to_hex(&self.0);
        let groups: Vec<&str> =
            hex.as_bytes().chunks(4).filter_map(|c| std::str::from_utf8(c).ok()).collect();
        groups.join("-")
    }
}

/// A message authentication code under a key derived from the master key for `purpose`
/// (HMAC-SHA-256), so what the server hands out (a fix it offered) can be told from a forgery.
pub fn authenticate(master: &MasterKey, purpose: &str, message: &[u8]) -> String {
    // A distinct key per purpose, derived by HMAC: the master key itself only ever seals.
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&hmac_sha256(master.expose(), purpose.as_bytes()));
    to_hex(&hmac_sha256(&key[..], message))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit as _, Mac};
    let mut out = [0u8; 32];
    // HMAC takes keys of any length, so this never fails.
    if let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        mac.update(message);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// Whether `tag` is [`authenticate`]'s code for `message`, compared in constant time.
pub fn is_authentic(master: &MasterKey, purpose: &str, message: &[u8], tag: &str) -> bool {
    constant_time_eq(authenticate(master, purpose, message).as_bytes(), tag.as_bytes())
}

/// Lowercase hex of some bytes (on every request's path: one allocation, no formatting).
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(char::from(DIGITS[usize::from(byte >> 4)]));
        hex.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    hex
}

/// `n` random bytes as lowercase hex; used for every generated id.
pub fn random_hex(rng: &mut Rng, n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rng.fill_bytes(&mut bytes);
    to_hex(&bytes)
}

/// Standard base64 with padding.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard base64.
pub fn unb64(text: &str) -> Result<Vec<u8>, CryptoError> {
    STANDARD.decode(text).map_err(|_| CryptoError::Malformed)
}

/// A secret sealed at rest: AES-256-GCM ciphertext with its nonce, the id of the key that sealed
/// it, and (as associated data, not stored) the place it belongs to, so a blob copied to another
/// row or field does not open there.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// Which key sealed it: a master key's id, [`ROOT_KEY_ID`], or a service key version.
    /// Empty in data written before sealed values named their key (see [`open_unbound`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// 12-byte nonce, base64.
    pub nonce: String,
    /// Ciphertext with tag, base64.
    pub ciphertext: String,
}

/// The key id of values sealed directly under the instance's root key (the configured key
/// file): the master keys themselves and what is needed to reach an external key provider.
pub const ROOT_KEY_ID: &str = "root";

/// Where a sealed value lives (entity kind, id and field): the associated data it is sealed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding(String);

impl Binding {
    /// The place `field` of entity `id` of `kind`.
    pub fn new(kind: &str, id: &str, field: &str) -> Binding {
        // Lengths first, so no choice of names makes two places share associated data.
        Binding(format!("keyblade/sealed/v1:{}:{kind}:{}:{id}:{}:{field}", kind.len(), id.len(), field.len()))
    }

    fn aad(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Encrypts `plaintext` under `key` (named `key_id`) for the place `at`, with a fresh nonce.
pub fn seal(
    key: &impl SealingKey,
    key_id: &str,
    at: &Binding,
    plaintext: &[u8],
    rng: &mut Rng,
) -> Result<Sealed, CryptoError> {
    let ciphertext = gcm_encrypt(key, at.aad(), plaintext, rng)?;
    Ok(Sealed { key: key_id.to_string(), nonce: ciphertext.0, ciphertext: ciphertext.1 })
}

fn gcm_encrypt(
    key: &impl SealingKey,
    aad: &[u8],
    plaintext: &[u8],
    rng: &mut Rng,
) -> Result<(String, String), CryptoError> {
    use aes_gcm::aead::Payload;
    let cipher = Aes256Gcm::new_from_slice(key.aes_key()).map_err(|_| CryptoError::Encrypt)?;
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad })
        .map_err(|_| CryptoError::Encrypt)?;
    Ok((b64(&nonce), b64(&ciphertext)))
}

/// Decrypts and authenticates a value [`seal`]ed for the place `at`.
pub fn open(key: &impl SealingKey, at: &Binding, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    gcm_decrypt(key, at.aad(), sealed)
}

/// Seals the way values were sealed before they named their key and place: only tests, to make
/// an old data directory.
#[cfg(test)]
pub(crate) fn seal_unbound(
    key: &impl SealingKey,
    plaintext: &[u8],
    rng: &mut Rng,
) -> Result<Sealed, CryptoError> {
    let (nonce, ciphertext) = gcm_encrypt(key, &[], plaintext, rng)?;
    Ok(Sealed { key: String::new(), nonce, ciphertext })
}

/// Opens a value sealed before sealed values were bound to their place (no associated data).
/// Only the one-time migration of an old data directory calls this.
pub fn open_unbound(key: &impl SealingKey, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    gcm_decrypt(key, &[], sealed)
}

fn gcm_decrypt(
    key: &impl SealingKey,
    aad: &[u8],
    sealed: &Sealed,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    use aes_gcm::aead::Payload;
    let cipher = Aes256Gcm::new_from_slice(key.aes_key()).map_err(|_| CryptoError::Decrypt)?;
    let nonce: [u8; 12] = unb64(&sealed.nonce)?.try_into().map_err(|_| CryptoError::Malformed)?;
    let ciphertext = unb64(&sealed.ciphertext)?;
    cipher
        .decrypt(&Nonce::from(nonce), Payload { msg: ciphertext.as_slice(), aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// The master keys a process holds at one moment: the current one, which seals, and any older
/// one still named by sealed values (during a rekey), which only opens. Built from the world by
/// `ops::keyring`; never stored.
#[derive(Clone, Default)]
pub struct Keyring {
    current: Option<String>,
    keys: Vec<(String, MasterKey)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Keyring").field("current", &self.current).field("keys", &ids).finish()
    }
}

impl Keyring {
    /// Adds a key; `current` makes it the one that seals.
    pub fn with(mut self, id: &str, key: MasterKey, current: bool) -> Keyring {
        if current {
            self.current = Some(id.to_string());
        }
        self.keys.push((id.to_string(), key));
        self
    }

    /// The id of the key that seals, if any.
    pub fn current_id(&self) -> Option<&str> {
        self.current.as_deref()
    }

    fn key(&self, id: &str) -> Result<&MasterKey, CryptoError> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key).ok_or(CryptoError::KeyUnavailable)
    }

    /// Seals `plaintext` for `at` under the current master key.
    pub fn seal(&self, at: &Binding, plaintext: &[u8], rng: &mut Rng) -> Result<Sealed, CryptoError> {
        let id = self.current.as_deref().ok_or(CryptoError::KeyUnavailable)?;
        seal(self.key(id)?, id, at, plaintext, rng)
    }

    /// Opens a value sealed for `at` under whichever master key it names.
    pub fn open(&self, at: &Binding, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open(self.key(&sealed.key)?, at, sealed)
    }

    /// The same secret sealed under the current master key (unchanged when it already is).
    pub fn reseal(&self, at: &Binding, sealed: &Sealed, rng: &mut Rng) -> Result<Sealed, CryptoError> {
        if self.current.as_deref() == Some(sealed.key.as_str()) {
            return Ok(sealed.clone());
        }
        self.seal(at, &self.open(at, sealed)?, rng)
    }
}

/// Generates an RSA key pair of `bits` bits (exponent 65537). Slow: seconds for 3072+ bits in
/// debug builds, so callers decide when to pay for it.
pub fn generate_rsa(bits: usize, rng: &mut Rng) -> Result<PrivateKey, CryptoError> {
    PrivateKey::new(rng, bits).map_err(|_| CryptoError::Encrypt)
}

/// RSA-OAEP with SHA-256 (and MGF1-SHA-256) encryption: how a customer key wraps the passkey.
pub fn oaep_wrap(public: &PublicKey, plaintext: &[u8], rng: &mut Rng) -> Result<Vec<u8>, CryptoError> {
    public.oaep_encrypt_with_rng::<Sha256, _>(rng, plaintext).map_err(|_| CryptoError::Encrypt)
}

/// Inverse of [`oaep_wrap`] (blinded with `rng`).
pub fn oaep_unwrap(
    private: &PrivateKey,
    ciphertext: &[u8],
    rng: &mut Rng,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    private
        .oaep_decrypt_with_rng::<Sha256, _>(rng, ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// PKCS#8 DER of an RSA private key (what the browser wraps for transfer).
pub fn private_key_to_pkcs8(key: &PrivateKey) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let doc = key.to_pkcs8_der().map_err(|_| CryptoError::Malformed)?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}

/// Parses a PKCS#8 DER RSA private key.
pub fn private_key_from_pkcs8(der: &[u8]) -> Result<PrivateKey, CryptoError> {
    PrivateKey::from_pkcs8_der(der).map_err(|_| CryptoError::Malformed)
}

/// SubjectPublicKeyInfo DER, base64: the form in which an import key is handed to the browser.
pub fn public_key_to_spki_b64(key: &PublicKey) -> Result<String, CryptoError> {
    let doc = key.to_public_key_der().map_err(|_| CryptoError::Malformed)?;
    Ok(b64(doc.as_bytes()))
}

/// Parses base64 SPKI DER into an RSA public key.
pub fn public_key_from_spki_b64(text: &str) -> Result<PublicKey, CryptoError> {
    PublicKey::from_public_key_der(&unb64(text)?).map_err(|_| CryptoError::Malformed)
}

/// JWK-style public material (n, e base64url) of an RSA key.
pub fn rsa_public_material(key: &PublicKey) -> PublicKeyMaterial {
    PublicKeyMaterial::Rsa {
        n: URL_SAFE_NO_PAD.encode(key.n_bytes()),
        e: URL_SAFE_NO_PAD.encode(key.e_bytes()),
    }
}

/// Rebuilds an RSA public key from its JWK-style material.
pub fn rsa_public_from_material(material: &PublicKeyMaterial) -> Result<PublicKey, CryptoError> {
    let PublicKeyMaterial::Rsa { n, e } = material else {
        return Err(CryptoError::Malformed);
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| CryptoError::Malformed);
    let (n, e) = (decode(n)?, decode(e)?);
    let to_uint = |bytes: &[u8]| rsa::BoxedUint::from_be_slice_vartime(bytes);
    PublicKey::new(to_uint(&n), to_uint(&e)).map_err(|_| CryptoError::Malformed)
}

/// An RSA private key from the base64url numbers of a JSON Web Key; the key is checked for
/// consistency (n = p·q, d inverts e) before it is accepted.
pub fn rsa_private_from_jwk(n: &str, e: &str, d: &str, p: &str, q: &str) -> Result<PrivateKey, CryptoError> {
    let number = |s: &str| {
        let bytes = Zeroizing::new(unb64url(s)?);
        Ok::<_, CryptoError>(rsa::BoxedUint::from_be_slice_vartime(&bytes))
    };
    PrivateKey::from_components(number(n)?, number(e)?, number(d)?, vec![number(p)?, number(q)?])
        .map_err(|_| CryptoError::Malformed)
}

/// Base64url without padding, as JSON Web Keys and the key vault data plane write bytes.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Inverse of [`b64url`]; padding is tolerated.
pub fn unb64url(text: &str) -> Result<Vec<u8>, CryptoError> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).map_err(|_| CryptoError::Malformed)
}

/// AES key wrap with padding (RFC 5649) with any AES key size. The product uses AES-256; the
/// RFC's own test vectors use AES-192, hence the generic cipher.
pub fn kwp_wrap<C>(kek: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>
where
    C: BlockCipherEncrypt<BlockSize = aes_kw::aes::cipher::consts::U16> + KeyInit,
    AesKwp<C>: KeyInit,
{
    let kw = AesKwp::<C>::new_from_slice(kek).map_err(|_| CryptoError::Malformed)?;
    let mut out = vec![0u8; plaintext.len().div_ceil(8) * 8 + 8];
    let len = kw.wrap_key(plaintext, &mut out).map_err(|_| CryptoError::Encrypt)?.len();
    out.truncate(len);
    Ok(out)
}

/// Inverse of [`kwp_wrap`]; fails on any integrity-check mismatch.
pub fn kwp_unwrap<C>(kek: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError>
where
    C: aes_kw::aes::cipher::BlockCipherDecrypt<BlockSize = aes_kw::aes::cipher::consts::U16> + KeyInit,
    AesKwp<C>: KeyInit,
{
    let kw = AesKwp::<C>::new_from_slice(kek).map_err(|_| CryptoError::Malformed)?;
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let len = kw.unwrap_key(wrapped, &mut out).map_err(|_| CryptoError::Decrypt)?.len();
    out.truncate(len);
    Ok(out)
}

/// Lengths a symmetric root key may have: AES-128, AES-192 or AES-256.
pub const ROOT_KEY_LENGTHS: [usize; 3] = [16, 24, 32];

/// Wraps a data key under a symmetric root key (AES key wrap with padding, the AES size the
/// root key's length gives).
pub fn root_key_wrap(root: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    use aes_kw::aes::{Aes128, Aes192};
    match root.len() {
        16 => kwp_wrap::<Aes128>(root, plaintext),
        24 => kwp_wrap::<Aes192>(root, plaintext),
        32 => kwp_wrap::<Aes256>(root, plaintext),
        _ => Err(CryptoError::Malformed),
    }
}

/// Inverse of [`root_key_wrap`].
pub fn root_key_unwrap(root: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    use aes_kw::aes::{Aes128, Aes192};
    match root.len() {
        16 => kwp_unwrap::<Aes128>(root, wrapped),
        24 => kwp_unwrap::<Aes192>(root, wrapped),
        32 => kwp_unwrap::<Aes256>(root, wrapped),
        _ => Err(CryptoError::Malformed),
    }
}

/// The key-transfer blob the browser uploads: `rsa_oaep(aes_key) || kwp(aes_key, pkcs8)`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyTransfer {
    /// The whole blob, standard base64.
    pub ciphertext: String,
}

/// Browser side of CKM_RSA_AES_KEY_WRAP: wraps a PKCS#8 private key for the vault whose import
/// public key (SPKI DER, base64) is given.
pub fn wrap_for_transfer(
    import_public_spki_b64: &str,
    pkcs8_der: &[u8],
    rng: &mut Rng,
) -> Result<KeyTransfer, CryptoError> {
    let import_public = public_key_from_spki_b64(import_public_spki_b64)?;
    let mut aes_key = Zeroizing::new([0u8; KEY_LEN]);
    rng.fill_bytes(aes_key.as_mut());
    let mut blob = oaep_wrap(&import_public, aes_key.as_ref(), rng)?;
    blob.extend(kwp_wrap::<Aes256>(aes_key.as_ref(), pkcs8_der)?);
    Ok(KeyTransfer { ciphertext: b64(&blob) })
}

/// Server side of CKM_RSA_AES_KEY_WRAP: recovers the PKCS#8 DER private key.
pub fn unwrap_transfer(
    import_private: &PrivateKey,
    transfer: &KeyTransfer,
    rng: &mut Rng,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let blob = unb64(&transfer.ciphertext)?;
    let rsa_len = import_private.size();
    if blob.len() <= rsa_len {
        return Err(CryptoError::Malformed);
    }
    let (rsa_part, kwp_part) = blob.split_at(rsa_len);
    let aes_key = oaep_unwrap(import_private, rsa_part, rng)?;
    kwp_unwrap::<Aes256>(&aes_key, kwp_part)
}

/// A vault's import (key-exchange) key: public half for browsers, private half sealed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct ImportKey {
    /// SPKI DER, base64: hand this to the browser.
    pub public_spki_b64: String,
    /// PKCS#8 DER private key sealed under the master key.
    pub sealed_private: Sealed,
}

impl ImportKey {
    /// Where vault `vault`'s import key is sealed.
    pub fn binding(vault: &str) -> Binding {
        Binding::new("import-key", vault, "private_key")
    }

    /// Generates an import key (RSA, at least 3072 bits) for `vault`. Expensive: call it once
    /// per vault, when convenient (the backend can do it in the background; tests share one).
    pub fn generate(
        bits: usize,
        keys: &Keyring,
        vault: &str,
        rng: &mut Rng,
    ) -> Result<ImportKey, CryptoError> {
        let private = generate_rsa(bits.max(MIN_IMPORT_KEY_BITS), rng)?;
        ImportKey::from_private(&private, keys, vault, rng)
    }

    /// Seals an existing RSA key as `vault`'s import key.
    pub fn from_private(
        private: &PrivateKey,
        keys: &Keyring,
        vault: &str,
        rng: &mut Rng,
    ) -> Result<ImportKey, CryptoError> {
        if private.size() * 8 < MIN_IMPORT_KEY_BITS {
            return Err(CryptoError::Malformed);
        }
        Ok(ImportKey {
            public_spki_b64: public_key_to_spki_b64(private.as_public_key())?,
            sealed_private: keys.seal(&ImportKey::binding(vault), &private_key_to_pkcs8(private)?, rng)?,
        })
    }

    /// Opens the private half of `vault`'s import key.
    pub fn private_key(&self, keys: &Keyring, vault: &str) -> Result<PrivateKey, CryptoError> {
        private_key_from_pkcs8(&keys.open(&ImportKey::binding(vault), &self.sealed_private)?)
    }
}

/// OID of `id-ecPublicKey`.
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// OID of the P-256 curve (`prime256v1`).
const OID_P256: &str = "1.2.840.10045.3.1.7";
/// OID of `rsaEncryption`.
const OID_RSA: &str = "1.2.840.113549.1.1.1";

/// What an imported PKCS#8 blob turned out to contain.
#[derive(Debug)]
pub enum ImportedKey {
    /// An RSA key pair.
    Rsa(Box<PrivateKey>),
    /// A P-256 key. Only its kind matters here: orders refuse EC keys.
    EcP256,
}

/// Classifies a PKCS#8 DER private key by its algorithm identifier.
pub fn classify_pkcs8(der: &[u8]) -> Result<ImportedKey, CryptoError> {
    let info = PrivateKeyInfoRef::try_from(der).map_err(|_| CryptoError::Malformed)?;
    let (oid, params) = info.algorithm.oids().map_err(|_| CryptoError::Malformed)?;
    let params = params.map(|p| p.to_string());
    match (oid.to_string().as_str(), params.as_deref()) {
        (OID_RSA, _) => private_key_from_pkcs8(der).map(|key| ImportedKey::Rsa(Box::new(key))),
        (OID_EC_PUBLIC_KEY, Some(OID_P256)) => Ok(ImportedKey::EcP256),
        _ => Err(CryptoError::Malformed),
    }
}

/// A minimal PKCS#8 P-256 private key around a random scalar, so the portal can create an EC
/// key (and thus the "key type not supported" state) without an elliptic-curve library. The
/// scalar is not range-checked: nothing here ever computes with it.
pub fn ec_p256_pkcs8(rng: &mut Rng) -> Zeroizing<Vec<u8>> {
    const PREFIX: [u8; 35] = [
        0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
        0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04,
        0x20,
    ];
    let mut der = Zeroizing::new(PREFIX.to_vec());
    let mut scalar = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(scalar.as_mut());
    der.extend_from_slice(scalar.as_ref());
    der
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_kw::aes::Aes192;
    use getrandom::SysRng;
    use rsa::rand_core::UnwrapErr;

    /// Bytes from hex, spaces ignored (as test vectors print them).
    pub(super) fn hex(text: &str) -> Vec<u8> {
        let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        (0..clean.len()).step_by(2).map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte_and_reads_back() {
        let bytes = [0x00, 0x0f, 0xa5, 0xff, 0x10];
        assert_eq!(to_hex(&bytes), "000fa5ff10");
        assert_eq!(hex(&to_hex(&bytes)), bytes);
        assert_eq!(to_hex(&[]), "");
    }

    const RFC5649_KEK: &str = "5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8";

    #[test]
    fn rfc5649_twenty_octets() {
        let key = hex("c37b7e6492584340 bed1220780894115 5068f738");
        let expected = hex("138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a");
        assert_eq!(kwp_wrap::<Aes192>(&hex(RFC5649_KEK), &key).unwrap(), expected);
        assert_eq!(*kwp_unwrap::<Aes192>(&hex(RFC5649_KEK), &expected).unwrap(), key);
    }

    #[test]
    fn rfc5649_seven_octets() {
        let key = hex("466f7250617369");
        let expected = hex("afbeb0f07dfbf541 9200f2ccb50bb24f");
        assert_eq!(kwp_wrap::<Aes192>(&hex(RFC5649_KEK), &key).unwrap(), expected);
        assert_eq!(*kwp_unwrap::<Aes192>(&hex(RFC5649_KEK), &expected).unwrap(), key);
        let mut tampered = expected.clone();
        tampered[3] ^= 1;
        assert!(kwp_unwrap::<Aes192>(&hex(RFC5649_KEK), &tampered).is_err());
    }

    #[test]
    fn seal_roundtrip_and_tamper() {
        let rng = &mut UnwrapErr(SysRng);
        let master = MasterKey::generate(rng);
        let here = Binding::new("order", "o-1", "passkey");
        let sealed = seal(&master, "k1", &here, b"secret", rng).unwrap();
        assert_eq!(sealed.key, "k1");
        assert_eq!(&**open(&master, &here, &sealed).unwrap(), b"secret");
        assert!(open(&MasterKey::generate(rng), &here, &sealed).is_err());
        // Moved to another row or another field, the same blob no longer opens.
        assert!(open(&master, &Binding::new("order", "o-2", "passkey"), &sealed).is_err());
        assert!(open(&master, &Binding::new("order", "o-1", "secret"), &sealed).is_err());
        assert!(open_unbound(&master, &sealed).is_err());
    }

    #[test]
    fn a_keyring_seals_under_its_current_key_and_opens_under_any() {
        let rng = &mut UnwrapErr(SysRng);
        let (old, new) = (MasterKey::generate(rng), MasterKey::generate(rng));
        let here = Binding::new("device", "m/d", "service_key");
        let before = Keyring::default().with("old", old.clone(), true);
        let sealed = before.seal(&here, b"secret", rng).unwrap();
        let during = Keyring::default().with("old", old, false).with("new", new.clone(), true);
        assert_eq!(&**during.open(&here, &sealed).unwrap(), b"secret");
        let resealed = during.reseal(&here, &sealed, rng).unwrap();
        assert_eq!(resealed.key, "new");
        let after = Keyring::default().with("new", new, true);
        assert_eq!(&**after.open(&here, &resealed).unwrap(), b"secret");
        assert_eq!(after.open(&here, &sealed).err(), Some(CryptoError::KeyUnavailable));
        assert_eq!(Keyring::default().seal(&here, b"x", rng).err(), Some(CryptoError::KeyUnavailable));
    }

    #[test]
    fn secrets_do_not_print() {
        let master = MasterKey::from_bytes([0xab; KEY_LEN]);
        let passkey = Passkey::from_bytes([0xcd; KEY_LEN]);
        assert_eq!(format!("{master:?}"), "MasterKey(<redacted>)");
        assert_eq!(format!("{passkey:?}"), "Passkey(<redacted>)");
        assert!(!format!("{master:?}{passkey:?}").contains("ab"));
        assert_eq!(passkey.display().len(), 64 + 15);
    }

    #[test]
    fn ec_pkcs8_is_recognised() {
        let der = ec_p256_pkcs8(&mut UnwrapErr(SysRng));
        assert!(matches!(classify_pkcs8(&der), Ok(ImportedKey::EcP256)));
        assert!(classify_pkcs8(&der[..20]).is_err());
    }
}
