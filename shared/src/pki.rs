//! Certificates for secret rotation: X.509 certificates issued by a certificate authority whose
//! key Keyblade holds (or self-signed), and PKCS#12 (`.pfx`) files written and read — all pure
//! Rust, so the offline demo makes and checks them exactly as the server does.
//!
//! Certificates are signed with RSA through rcgen's `SigningKey` (no ring); their fields are read
//! back with x509-parser; `.pfx` files go through p12-keystore. Nothing here reads the system
//! clock: validity dates come from the caller.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyIdMethod, KeyUsagePurpose, PKCS_RSA_SHA256, PublicKeyData, SerialNumber, SignatureAlgorithm,
    SigningKey,
};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs1v15;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::{PrivateKey, sha2::Digest, sha2::Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::public_key::PublicKey as ParsedKey;
use zeroize::Zeroizing;

use crate::crypto::{self, Rng};
use crate::model::Timestamp;

/// Why a certificate could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PkiError {
    /// The `.pfx` file's integrity check failed: the password is not the one it was made with.
    #[error("the password does not open the certificate file")]
    WrongPassword,
    /// Not a PKCS#12 file, or one without a private key and its certificate.
    #[error("not a certificate file with a private key: {0}")]
    Malformed(String),
    /// Generating or signing failed.
    #[error("the certificate could not be made: {0}")]
    Signing(String),
}

/// An RSA key that signs certificates with SHA-256 (rcgen's signing interface over rsa).
struct RsaSigner {
    key: pkcs1v15::SigningKey<Sha256>,
    public_pkcs1: Vec<u8>,
}

impl RsaSigner {
    fn new(private: &PrivateKey) -> Result<RsaSigner, PkiError> {
        let public_pkcs1 = private
            .as_public_key()
            .to_pkcs1_der()
            .map_err(|e| PkiError::Signing(e.to_string()))?
            .as_bytes()
            .to_vec();
        Ok(RsaSigner { key: pkcs1v15::SigningKey::<Sha256>::new(private.clone()), public_pkcs1 })
    }

    /// The key identifier: the first 20 bytes of the SHA-256 of its SubjectPublicKeyInfo.
    fn key_id(&self) -> Vec<u8> {
        Sha256::digest(self.subject_public_key_info())[..20].to_vec()
    }
}

impl PublicKeyData for RsaSigner {
    fn der_bytes(&self) -> &[u8] {
        &self.public_pkcs1
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_RSA_SHA256
    }
}

impl SigningKey for RsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.key.try_sign(message).map(|s| s.to_vec()).map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// A certificate with its private key.
pub struct KeyedCertificate {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// Its RSA key.
    pub key: PrivateKey,
}

impl std::fmt::Debug for KeyedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyedCertificate").field("der_len", &self.der.len()).finish_non_exhaustive()
    }
}

/// What a certificate is for.
pub enum Profile<'a> {
    /// A certificate authority with this common name.
    Authority(&'a str),
    /// A TLS server certificate for these DNS names (the first is also its common name).
    Server(&'a [String]),
}

/// Validity of a new certificate.
#[derive(Clone, Copy, Debug)]
pub struct Validity {
    /// From.
    pub not_before: Timestamp,
    /// Until.
    pub not_after: Timestamp,
}

/// A new RSA key of `bits` bits for [`issue`].
pub fn new_key(bits: usize, rng: &mut Rng) -> Result<PrivateKey, PkiError> {
    crypto::generate_rsa(bits, rng).map_err(|e| PkiError::Signing(e.to_string()))
}

/// Makes a certificate for `key`: self-signed when `issuer` is `None`, else signed by the
/// issuer (whose common name is `issuer.0`).
pub fn issue(
    profile: &Profile<'_>,
    key: PrivateKey,
    validity: Validity,
    issuer: Option<(&str, &KeyedCertificate)>,
    rng: &mut Rng,
) -> Result<KeyedCertificate, PkiError> {
    let signer = RsaSigner::new(&key)?;
    let mut params = params_for(profile)?;
    params.not_before = date(validity.not_before)?;
    params.not_after = date(validity.not_after)?;
    params.serial_number = Some(serial(rng));
    params.key_identifier_method = KeyIdMethod::PreSpecified(signer.key_id());
    let signing = |e: rcgen::Error| PkiError::Signing(e.to_string());
    let certificate = match issuer {
        None => params.self_signed(&signer).map_err(signing)?,
        Some((name, authority)) => {
            let authority_signer = RsaSigner::new(&authority.key)?;
            let mut authority_params = params_for(&Profile::Authority(name))?;
            authority_params.key_identifier_method = KeyIdMethod::PreSpecified(authority_signer.key_id());
            params.use_authority_key_identifier_extension = true;
            let issuer = Issuer::new(authority_params, authority_signer);
            params.signed_by(&signer, &issuer).map_err(signing)?
        }
    };
    Ok(KeyedCertificate { der: certificate.der().to_vec(), key })
}

fn params_for(profile: &Profile<'_>) -> Result<CertificateParams, PkiError> {
    let (names, common_name) = match profile {
        Profile::Authority(name) => (Vec::new(), (*name).to_owned()),
        Profile::Server(names) => (names.to_vec(), names.first().cloned().unwrap_or_default()),
    };
    let mut params = CertificateParams::new(names).map_err(|e| PkiError::Signing(e.to_string()))?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, common_name);
    match profile {
        Profile::Authority(_) => {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        }
        Profile::Server(_) => {
            params.is_ca = IsCa::ExplicitNoCa;
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        }
    }
    Ok(params)
}

fn date(at: Timestamp) -> Result<time::OffsetDateTime, PkiError> {
    time::OffsetDateTime::from_unix_timestamp(at.0).map_err(|e| PkiError::Signing(e.to_string()))
}

/// A random positive 16-byte serial number.
fn serial(rng: &mut Rng) -> SerialNumber {
    let mut bytes = [0u8; 16];
    rng.fill_bytes(&mut bytes);
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

/// A `.pfx` file holding `certificate`'s key, the certificate and the chain above it, protected by
/// `password` (PBES2 with AES-256 and an HMAC-SHA256 integrity check).
pub fn write_pfx(
    certificate: &KeyedCertificate,
    chain: &[&[u8]],
    password: &str,
) -> Result<Vec<u8>, PkiError> {
    let malformed = |e: p12_keystore::error::Error| PkiError::Malformed(e.to_string());
    let pkcs8 =
        crypto::private_key_to_pkcs8(&certificate.key).map_err(|e| PkiError::Signing(e.to_string()))?;
    let key = p12_keystore::PrivateKey::from_der(&pkcs8).map_err(malformed)?;
    let mut certs = vec![p12_keystore::Certificate::from_der(&certificate.der).map_err(malformed)?];
    for der in chain {
        certs.push(p12_keystore::Certificate::from_der(der).map_err(malformed)?);
    }
    let local_key_id = Sha256::digest(&certificate.der)[..20].to_vec();
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "certificate",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            local_key_id,
            key,
            certs,
        )),
    );
    store.writer(password).write().map_err(malformed)
}

/// What a `.pfx` file holds: the leaf certificate, the chain above it and the private key.
pub struct PfxContents {
    /// The leaf certificate, DER.
    pub certificate: Vec<u8>,
    /// The certificates above it, DER.
    pub chain: Vec<Vec<u8>>,
    /// The private key, PKCS#8 DER.
    pub pkcs8: Zeroizing<Vec<u8>>,
}

/// Opens a `.pfx` file with `password`.
pub fn read_pfx(bytes: &[u8], password: &str) -> Result<PfxContents, PkiError> {
    check_key_derivations(bytes)?;
    let store =
        match p12_keystore::KeyStore::from_pkcs12(bytes, password, p12_keystore::Pkcs12ImportPolicy::Relaxed)
        {
            Ok(store) => store,
            Err(p12_keystore::error::Error::MacError(_)) => return Err(PkiError::WrongPassword),
            Err(error) => return Err(PkiError::Malformed(error.to_string())),
        };
    let (_, chain) = store.private_key_chain().ok_or_else(|| PkiError::Malformed("no private key".into()))?;
    let (leaf, above) =
        chain.certs().split_first().ok_or_else(|| PkiError::Malformed("no certificate".into()))?;
    Ok(PfxContents {
        certificate: leaf.as_der().to_vec(),
        chain: above.iter().map(|c| c.as_der().to_vec()).collect(),
        pkcs8: Zeroizing::new(chain.key().as_der().to_vec()),
    })
}

/// The most memory one scrypt derivation may take (128 * N * r bytes).
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
/// The most scrypt lanes (p) and PBKDF2 rounds a file may ask for.
const MAX_SCRYPT_PARALLELISM: u64 = 16;
const MAX_PBKDF2_ROUNDS: u64 = 1_000_000;
/// How deep the structure of a `.pfx` file is looked into: the PKCS#12 crates find key
/// derivations no deeper than 16 levels (a shrouded key bag's scrypt parameters), so what lies
/// below (inside certificates) needs no look.
const MAX_DEPTH: usize = 24;

const SCRYPT_OID: &str = "1.3.6.1.4.1.11591.4.11";
const PBKDF2_OID: &str = "1.2.840.113549.1.5.12";

/// Checks every key derivation a `.pfx` file names before the file is handed to the PKCS#12
/// crates, which trust its parameters: scrypt with N = 0 panics inside them, and huge values
/// cost minutes of CPU or gigabytes of memory. Refuses what RFC 7914 and RFC 8018 do not allow
/// and what is beyond reasonable cost.
fn check_key_derivations(bytes: &[u8]) -> Result<(), PkiError> {
    use x509_parser::der_parser::ber::parse_ber;
    let Ok((_, pfx)) = parse_ber(bytes) else {
        return Err(PkiError::Malformed("not a PKCS#12 (.pfx) file".into()));
    };
    walk(&pfx, 0)
}

/// Looks for key derivation parameters in `object` and everything it holds, OCTET STRINGs and
/// explicitly tagged values included (PKCS#12 nests its parts in both).
fn walk(object: &x509_parser::der_parser::ber::BerObject, depth: usize) -> Result<(), PkiError> {
    use x509_parser::der_parser::ber::{BerObjectContent, parse_ber};
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let nested = |data: &[u8]| -> Result<(), PkiError> {
        match parse_ber(data) {
            Ok(([], inner)) => walk(&inner, depth + 1),
            _ => Ok(()),
        }
    };
    match &object.content {
        BerObjectContent::Sequence(items) | BerObjectContent::Set(items) => {
            if let [algorithm, parameters, ..] = items.as_slice()
                && let Ok(oid) = algorithm.as_oid()
            {
                check_derivation(&oid.to_id_string(), parameters)?;
            }
            items.iter().try_for_each(|item| walk(item, depth + 1))
        }
        BerObjectContent::OctetString(data) => nested(data),
        BerObjectContent::Tagged(_, _, inner) => walk(inner, depth + 1),
        BerObjectContent::Unknown(any) => nested(any.data),
        _ => Ok(()),
    }
}

/// Checks the parameters of the key derivation `oid`, when it is one.
fn check_derivation(oid: &str, parameters: &x509_parser::der_parser::ber::BerObject) -> Result<(), PkiError> {
    let refused = |why: String| Err(PkiError::Malformed(why));
    let numbers = |from: usize| -> Vec<Option<u64>> {
        let items = parameters.as_sequence().map(Vec::as_slice).unwrap_or_default();
        items.iter().skip(from).map(|item| item.as_u64().ok()).collect()
    };
    match oid {
        SCRYPT_OID => {
            // scrypt-params: salt, costParameter N, blockSize r, parallelizationParameter p.
            let [Some(n), Some(r), Some(p), ..] = numbers(1)[..] else {
                return refused("its scrypt parameters are not numbers".into());
            };
            if n < 2 || !n.is_power_of_two() {
                return refused(format!("its scrypt cost N = {n} is not a power of two above 1"));
            }
            if r == 0 || p == 0 || p > MAX_SCRYPT_PARALLELISM {
                return refused(format!(
                    "its scrypt block size r = {r} or parallelism p = {p} is out of range"
                ));
            }
            let memory = 128u64.checked_mul(n).and_then(|m| m.checked_mul(r));
            if u64::from(n.trailing_zeros()) >= r.saturating_mul(16)
                || memory.is_none_or(|m| m > MAX_SCRYPT_MEMORY)
            {
                return refused(format!(
                    "its scrypt cost (N = {n}, r = {r}) is beyond what Keyblade derives"
                ));
            }
            Ok(())
        }
        PBKDF2_OID => match numbers(1).first() {
            Some(Some(rounds)) if (1..=MAX_PBKDF2_ROUNDS).contains(rounds) => Ok(()),
            _ => refused("its PBKDF2 iteration count is not between 1 and 1,000,000".into()),
        },
        _ => Ok(()),
    }
}

/// The fields of a certificate the rotation rules look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateFacts {
    /// The subject's common name.
    pub common_name: String,
    /// The issuer's common name.
    pub issuer: String,
    /// Issued by itself.
    pub self_signed: bool,
    /// DNS names (subject alternative names).
    pub dns_names: Vec<String>,
    /// Valid from.
    pub not_before: Timestamp,
    /// Valid until.
    pub not_after: Timestamp,
    /// RSA modulus size in bits (0 for another key type).
    pub key_bits: usize,
    /// SHA-256 of the certificate, hex: how it is told apart.
    pub thumbprint: String,
}

/// Reads a certificate's fields.
pub fn facts(der: &[u8]) -> Result<CertificateFacts, PkiError> {
    let (_, certificate) =
        x509_parser::parse_x509_certificate(der).map_err(|e| PkiError::Malformed(e.to_string()))?;
    let common_name = |name: &x509_parser::x509::X509Name<'_>| {
        name.iter_common_name().next().and_then(|cn| cn.as_str().ok()).unwrap_or_default().to_owned()
    };
    let dns_names = certificate
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let key_bits = match certificate.public_key().parsed() {
        Ok(ParsedKey::RSA(rsa)) => rsa.key_size(),
        _ => 0,
    };
    let validity = certificate.validity();
    Ok(CertificateFacts {
        common_name: common_name(certificate.subject()),
        issuer: common_name(certificate.issuer()),
        self_signed: certificate.subject() == certificate.issuer(),
        dns_names,
        not_before: Timestamp(validity.not_before.timestamp()),
        not_after: Timestamp(validity.not_after.timestamp()),
        key_bits,
        thumbprint: crypto::to_hex(&Sha256::digest(der)),
    })
}

/// Whether `pkcs8` is the private key of the certificate `der` (same RSA modulus and exponent).
pub fn key_matches(der: &[u8], pkcs8: &[u8]) -> bool {
    let Ok(private) = crypto::private_key_from_pkcs8(pkcs8) else {
        return false;
    };
    let Ok((_, certificate)) = x509_parser::parse_x509_certificate(der) else {
        return false;
    };
    let Ok(ParsedKey::RSA(public)) = certificate.public_key().parsed() else {
        return false;
    };
    let trim = |bytes: &[u8]| bytes.iter().skip_while(|b| **b == 0).copied().collect::<Vec<u8>>();
    use rsa::traits::PublicKeyParts;
    trim(public.modulus) == trim(&private.n_bytes()) && trim(public.exponent) == trim(&private.e_bytes())
}

#[cfg(test)]
mod tests {
    use getrandom::SysRng;
    use rsa::rand_core::UnwrapErr;

    use super::*;

    const DAY: i64 = 86_400;
    const NOW: Timestamp = Timestamp(1_800_000_000);

    fn validity(days: i64) -> Validity {
        Validity { not_before: NOW, not_after: Timestamp(NOW.0 + days * DAY) }
    }

    /// One DER value: tag, length, content.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match content.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    fn oid(dotted: &str) -> Vec<u8> {
        let parts: Vec<u64> = dotted.split('.').map(|p| p.parse().unwrap()).collect();
        let mut body = vec![(parts[0] * 40 + parts[1]) as u8];
        for &part in &parts[2..] {
            let mut groups = vec![(part & 0x7f) as u8];
            let mut rest = part >> 7;
            while rest > 0 {
                groups.push((rest & 0x7f) as u8 | 0x80);
                rest >>= 7;
            }
            body.extend(groups.iter().rev());
        }
        tlv(0x06, &body)
    }

    /// A `.pfx` file without a MAC whose one bag is a private key encrypted with PBES2 and the
    /// scrypt parameters `n`, `r`, `p` (what an attacker uploads; no tool makes one).
    fn pfx_with_scrypt(n: u8, r: u8, p: u8) -> Vec<u8> {
        let seq = |parts: &[Vec<u8>]| tlv(0x30, &parts.concat());
        let scrypt = seq(&[
            oid(SCRYPT_OID),
            seq(&[tlv(0x04, &[1; 8]), tlv(0x02, &[n]), tlv(0x02, &[r]), tlv(0x02, &[p])]),
        ]);
        let cipher = seq(&[oid("2.16.840.1.101.3.4.1.42"), tlv(0x04, &[2; 16])]);
        let pbes2 = seq(&[oid("1.2.840.113549.1.5.13"), seq(&[scrypt, cipher])]);
        let shrouded = seq(&[pbes2, tlv(0x04, &[3; 32])]);
        let bag = seq(&[oid("1.2.840.113549.1.12.10.1.2"), tlv(0xa0, &shrouded)]);
        let data = |content: Vec<u8>| seq(&[oid("1.2.840.113549.1.7.1"), tlv(0xa0, &tlv(0x04, &content))]);
        let authenticated_safe = seq(&[data(seq(&[bag]))]);
        seq(&[tlv(0x02, &[3]), data(authenticated_safe)])
    }

    #[test]
    fn key_derivation_parameters_are_checked_before_the_pkcs12_crates_see_them() {
        let hostile = pfx_with_scrypt(0, 8, 1);
        // What the check is for: the crate itself panics on this file.
        let crate_alone = std::panic::catch_unwind(|| {
            p12_keystore::KeyStore::from_pkcs12(&hostile, "pw", p12_keystore::Pkcs12ImportPolicy::Relaxed)
                .is_ok()
        });
        assert!(crate_alone.is_err(), "p12-keystore no longer panics on scrypt N = 0; the check may go");
        let Err(PkiError::Malformed(why)) = read_pfx(&hostile, "pw") else { panic!("refused") };
        assert!(why.contains("N = 0"), "{why}");
        for (n, r, p) in [(3, 8, 1), (2, 0, 1), (2, 8, 0), (2, 8, 100)] {
            assert!(matches!(read_pfx(&pfx_with_scrypt(n, r, p), "pw"), Err(PkiError::Malformed(_))));
        }
        // Sound parameters pass the check (and fail later, on the made-up ciphertext).
        assert!(check_key_derivations(&pfx_with_scrypt(16, 8, 1)).is_ok());
    }

    #[test]
    fn a_certificate_from_an_authority_travels_in_a_pfx_and_reads_back() {
        let rng = &mut UnwrapErr(SysRng);
        let ca_key = new_key(2048, rng).unwrap();
        let authority =
            issue(&Profile::Authority("Contoso Enterprise CA"), ca_key, validity(3650), None, rng).unwrap();
        let names = vec!["adminportal.local.azurestack.external".to_owned()];
        let leaf = issue(
            &Profile::Server(&names),
            new_key(2048, rng).unwrap(),
            validity(365),
            Some(("Contoso Enterprise CA", &authority)),
            rng,
        )
        .unwrap();

        let read = facts(&leaf.der).unwrap();
        assert_eq!(read.common_name, names[0]);
        assert_eq!(read.dns_names, names);
        assert_eq!(read.issuer, "Contoso Enterprise CA");
        assert!(!read.self_signed);
        assert_eq!(read.key_bits, 2048);
        assert_eq!((read.not_before, read.not_after), (NOW, Timestamp(NOW.0 + 365 * DAY)));
        let ca = facts(&authority.der).unwrap();
        assert!(ca.self_signed && ca.dns_names.is_empty());

        let pfx = write_pfx(&leaf, &[&authority.der], "Passw0rd!").unwrap();
        let opened = read_pfx(&pfx, "Passw0rd!").unwrap();
        assert_eq!(opened.certificate, leaf.der);
        assert_eq!(opened.chain, vec![authority.der.clone()]);
        assert_eq!(crypto::private_key_from_pkcs8(&opened.pkcs8).unwrap(), leaf.key);
        assert!(key_matches(&opened.certificate, &opened.pkcs8));
        let other = crypto::private_key_to_pkcs8(&authority.key).unwrap();
        assert!(!key_matches(&opened.certificate, &other));
        assert_eq!(read_pfx(&pfx, "wrong").err(), Some(PkiError::WrongPassword));
        assert!(matches!(read_pfx(b"not a pfx", "x"), Err(PkiError::Malformed(_))));
    }

    #[test]
    fn a_self_signed_certificate_names_itself_as_issuer() {
        let rng = &mut UnwrapErr(SysRng);
        let names = vec!["portal.local.azurestack.external".to_owned()];
        let own =
            issue(&Profile::Server(&names), new_key(1024, rng).unwrap(), validity(30), None, rng).unwrap();
        let read = facts(&own.der).unwrap();
        assert!(read.self_signed);
        assert_eq!(read.issuer, names[0]);
        assert_eq!(read.key_bits, 1024, "a short key is made as asked, for the rules to refuse");
    }
}
