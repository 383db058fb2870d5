//! HTTPS: a certificate and key given as PEM files, or one generated at start and signed by a
//! local certificate authority kept in the data directory (`tls/ca.pem`), so a client that
//! insists on HTTPS can trust Keyblade by trusting that one file.

use std::{
    io,
    net::IpAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, NameConstraints,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use time::{Duration, OffsetDateTime};
use tokio_rustls::TlsAcceptor;
use x509_parser::extensions::GeneralName;

use crate::{Config, master_key::write_private};

/// Where the local certificate authority lives, in the data directory.
const CA_DIR: &str = "tls";
/// How long the local CA is valid: long enough not to bother anyone, short enough that a
/// copied CA key stops mattering.
const CA_VALIDITY: Duration = Duration::days(5 * 365);
/// A stored CA this close to its end is replaced.
const CA_RENEW_BEFORE: Duration = Duration::days(30);
/// How long a server certificate is valid (a new one is made at every start).
const SERVER_VALIDITY: Duration = Duration::days(397);

/// How the server speaks TLS, and what to tell the operator about it.
pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// The CA certificate clients should trust, when Keyblade generated its certificate.
    pub ca_file: Option<PathBuf>,
}

/// The TLS set-up `config` asks for; `None` for plain HTTP.
pub fn from_config(config: &Config) -> io::Result<Option<Tls>> {
    let (chain, key, ca_file) = match (&config.tls_cert, &config.tls_key, config.tls_self_signed) {
        (Some(cert), Some(key), false) => (read_chain(cert)?, read_key(key)?, None),
        (None, None, true) => {
            let (chain, key, ca_file) = self_signed(&config.data_dir, config.addr.ip())?;
            (chain, key, Some(ca_file))
        }
        (None, None, false) => return Ok(None),
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "TLS needs either --tls-cert and --tls-key together, or --tls-self-signed alone",
            ));
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("the TLS certificate or key: {e}"))
        })?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Tls { acceptor: TlsAcceptor::from(Arc::new(server)), ca_file }))
}

fn read_chain(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| invalid(path, e))?;
    if chain.is_empty() {
        return Err(invalid(path, "no certificate in the file"));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> io::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| invalid(path, e))
}

fn invalid(path: &Path, error: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{}: {error}", path.display()))
}

/// A server certificate for this machine's loopback names (and the listening address), signed
/// by the local CA, which is created at first use and kept. Returns the chain, its key and the
/// CA certificate's path.
fn self_signed(
    data_dir: &Path,
    listen: IpAddr,
) -> io::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>, PathBuf)> {
    let dir = data_dir.join(CA_DIR);
    std::fs::create_dir_all(&dir)?;
    let (ca_file, key_file) = (dir.join("ca.pem"), dir.join("ca-key.pem"));
    let constraints = name_constraints(listen);
    let stored = (std::fs::read_to_string(&ca_file), std::fs::read_to_string(&key_file));
    let issuer = match stored {
        (Ok(cert), Ok(key)) if still_fit(&cert, &constraints) => {
            let key = KeyPair::from_pem(&key).map_err(|e| invalid(&key_file, e))?;
            Issuer::from_ca_cert_pem(&cert, key).map_err(|e| invalid(&ca_file, e))?
        }
        _ => new_authority(&ca_file, &key_file, constraints)?,
    };
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    // Each key vault's data plane answers at its own loopback address.
    names.extend(shared::model::VAULT_ADDRESSES.map(|n| format!("127.0.0.{n}")));
    if serves_beyond_loopback(listen) {
        names.push(listen.to_string());
    }
    let mut params = CertificateParams::new(names).map_err(io::Error::other)?;
    let now = OffsetDateTime::now_utc();
    (params.not_before, params.not_after) = (now - Duration::hours(1), now + SERVER_VALIDITY);
    params.distinguished_name.push(DnType::CommonName, "Keyblade");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate().map_err(io::Error::other)?;
    let cert = params.signed_by(&key, &issuer).map_err(io::Error::other)?;
    let chain = vec![cert.der().clone()];
    let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(io::Error::other)?;
    Ok((chain, key, ca_file))
}

fn serves_beyond_loopback(listen: IpAddr) -> bool {
    !listen.is_unspecified() && !listen.is_loopback()
}

/// What the local CA may vouch for: the loopback names and addresses, and the listening address
/// when it is another one. Trusting the CA then cannot let its key impersonate any other site.
fn name_constraints(listen: IpAddr) -> NameConstraints {
    let mut permitted = vec![
        GeneralSubtree::DnsName("localhost".into()),
        GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([127, 0, 0, 0], 8)),
        GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
            IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]),
            128,
        )),
    ];
    if serves_beyond_loopback(listen) {
        let prefix = if listen.is_ipv4() { 32 } else { 128 };
        permitted.push(GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(listen, prefix)));
    }
    NameConstraints { permitted_subtrees: permitted, excluded_subtrees: Vec::new() }
}

/// Whether a stored CA certificate may keep signing: constrained to exactly `constraints` and
/// valid for a while yet. One made by an earlier version (valid until 4096, unconstrained), or
/// for another listening address, is replaced.
fn still_fit(pem: &str, constraints: &NameConstraints) -> bool {
    let Ok((_, pem)) = x509_parser::pem::parse_x509_pem(pem.as_bytes()) else { return false };
    let Ok(cert) = pem.parse_x509() else { return false };
    let now = OffsetDateTime::now_utc();
    let not_after = cert.validity().not_after.to_datetime();
    let fresh = not_after > now + CA_RENEW_BEFORE && not_after <= now + CA_VALIDITY + Duration::days(1);
    let wanted = rcgen_subtrees(constraints);
    let stored = cert.name_constraints().ok().flatten().map(|c| {
        c.value
            .permitted_subtrees
            .as_ref()
            .map(|s| s.iter().map(|t| x509_subtree(&t.base)).collect::<Vec<_>>())
    });
    fresh && stored == Some(Some(wanted))
}

/// The permitted names of `constraints`, comparable with a stored certificate's.
fn rcgen_subtrees(constraints: &NameConstraints) -> Vec<String> {
    let described = |subtree: &GeneralSubtree| match subtree {
        GeneralSubtree::DnsName(name) => format!("dns:{name}"),
        GeneralSubtree::IpAddress(CidrSubnet::V4(addr, mask)) => {
            format!("ip:{:?}", [&addr[..], mask].concat())
        }
        GeneralSubtree::IpAddress(CidrSubnet::V6(addr, mask)) => {
            format!("ip:{:?}", [&addr[..], mask].concat())
        }
        other => format!("{other:?}"),
    };
    constraints.permitted_subtrees.iter().map(described).collect()
}

/// A stored certificate's permitted name, as [`rcgen_subtrees`] writes it.
fn x509_subtree(name: &GeneralName) -> String {
    match name {
        GeneralName::DNSName(name) => format!("dns:{name}"),
        GeneralName::IPAddress(bytes) => format!("ip:{:?}", bytes.to_vec()),
        other => format!("{other:?}"),
    }
}

/// Creates the local CA: its certificate (public, for clients to trust) and its key (0600),
/// replacing an earlier one.
fn new_authority(
    ca_file: &Path,
    key_file: &Path,
    constraints: NameConstraints,
) -> io::Result<Issuer<'static, KeyPair>> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(io::Error::other)?;
    params.distinguished_name.push(DnType::CommonName, "Keyblade local CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.name_constraints = Some(constraints);
    let now = OffsetDateTime::now_utc();
    (params.not_before, params.not_after) = (now - Duration::hours(1), now + CA_VALIDITY);
    let key = KeyPair::generate().map_err(io::Error::other)?;
    let cert = params.self_signed(&key).map_err(io::Error::other)?;
    for stale in [key_file, ca_file] {
        match std::fs::remove_file(stale) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    write_private(key_file, key.serialize_pem().as_bytes())?;
    std::fs::write(ca_file, cert.pem())?;
    Ok(Issuer::new(params, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn ca_of(dir: &Path) -> (OffsetDateTime, Vec<String>) {
        let pem = std::fs::read_to_string(dir.join(CA_DIR).join("ca.pem")).expect("the CA certificate");
        let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("PEM");
        let cert = pem.parse_x509().expect("a certificate");
        let constraints = cert.name_constraints().expect("well-formed").expect("name constraints");
        let permitted = constraints.value.permitted_subtrees.clone().unwrap_or_default();
        (cert.validity().not_after.to_datetime(), permitted.iter().map(|t| x509_subtree(&t.base)).collect())
    }

    #[test]
    fn the_local_ca_vouches_for_loopback_only_and_for_years_not_centuries() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        self_signed(dir.path(), LOOPBACK).expect("a certificate");
        let (not_after, permitted) = ca_of(dir.path());
        assert!(not_after < OffsetDateTime::now_utc() + Duration::days(6 * 365), "valid until {not_after}");
        assert_eq!(
            permitted,
            [
                "dns:localhost",
                "ip:[127, 0, 0, 0, 255, 0, 0, 0]",
                &format!("ip:{:?}", [[0; 15].as_slice(), &[1], &[255; 16]].concat())
            ]
        );
        // Kept across starts, replaced when the server listens somewhere the CA may not vouch for.
        let first = std::fs::read(dir.path().join(CA_DIR).join("ca.pem")).expect("the CA");
        self_signed(dir.path(), LOOPBACK).expect("a certificate");
        assert_eq!(std::fs::read(dir.path().join(CA_DIR).join("ca.pem")).expect("the CA"), first);
        self_signed(dir.path(), IpAddr::from([10, 1, 2, 3])).expect("a certificate");
        let (_, permitted) = ca_of(dir.path());
        assert_eq!(permitted.last().map(String::as_str), Some("ip:[10, 1, 2, 3, 255, 255, 255, 255]"));
    }

    #[test]
    fn a_wide_ca_from_an_earlier_version_is_replaced() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ca_dir = dir.path().join(CA_DIR);
        std::fs::create_dir_all(&ca_dir).expect("the CA directory");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.not_after = rcgen::date_time_ymd(4096, 1, 1);
        let key = KeyPair::generate().expect("a key");
        let wide = params.self_signed(&key).expect("a certificate");
        std::fs::write(ca_dir.join("ca.pem"), wide.pem()).expect("written");
        std::fs::write(ca_dir.join("ca-key.pem"), key.serialize_pem()).expect("written");
        self_signed(dir.path(), LOOPBACK).expect("a certificate");
        let (not_after, permitted) = ca_of(dir.path());
        assert!(not_after.year() < 2100 && permitted.len() == 3);
    }
}
