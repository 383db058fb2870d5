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
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use tokio_rustls::TlsAcceptor;

use crate::{Config, master_key::write_private};

/// Where the local certificate authority lives, in the data directory.
const CA_DIR: &str = "tls";

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
    let issuer = match (std::fs::read_to_string(&ca_file), std::fs::read_to_string(&key_file)) {
        (Ok(cert), Ok(key)) => {
            let key = KeyPair::from_pem(&key).map_err(|e| invalid(&key_file, e))?;
            Issuer::from_ca_cert_pem(&cert, key).map_err(|e| invalid(&ca_file, e))?
        }
        _ => new_authority(&ca_file, &key_file)?,
    };
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    // Each key vault's data plane answers at its own loopback address.
    names.extend(shared::model::VAULT_ADDRESSES.map(|n| format!("127.0.0.{n}")));
    if !listen.is_unspecified() && !listen.is_loopback() {
        names.push(listen.to_string());
    }
    let mut params = CertificateParams::new(names).map_err(io::Error::other)?;
    params.distinguished_name.push(DnType::CommonName, "Keyblade");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate().map_err(io::Error::other)?;
    let cert = params.signed_by(&key, &issuer).map_err(io::Error::other)?;
    let chain = vec![cert.der().clone()];
    let key = PrivateKeyDer::try_from(key.serialize_der()).map_err(io::Error::other)?;
    Ok((chain, key, ca_file))
}

/// Creates the local CA: its certificate (public, for clients to trust) and its key (0600).
fn new_authority(ca_file: &Path, key_file: &Path) -> io::Result<Issuer<'static, KeyPair>> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(io::Error::other)?;
    params.distinguished_name.push(DnType::CommonName, "Keyblade local CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().map_err(io::Error::other)?;
    let cert = params.self_signed(&key).map_err(io::Error::other)?;
    write_private(key_file, key.serialize_pem().as_bytes())?;
    std::fs::write(ca_file, cert.pem())?;
    Ok(Issuer::new(params, key))
}
