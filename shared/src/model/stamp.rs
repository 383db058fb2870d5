//! A stamp (an integrated cloud system, seed 003) and the infrastructure secrets it runs on:
//! internal secrets it manages itself, and the certificates of its external endpoints that the
//! operator supplies. Every secret value (passwords, private keys) is kept in the stamp's
//! `sealed` map under the master key; the other fields only name a slot of it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::crypto::Sealed;
use crate::time::Timestamp;

/// The identity provider a stamp was deployed with: it decides the certificate share's folder
/// and whether ADFS and Graph have certificates of their own.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IdentityProvider {
    /// Microsoft Entra ID (Azure AD).
    #[serde(rename = "AAD")]
    Aad,
    /// Active Directory Federation Services.
    #[serde(rename = "ADFS")]
    Adfs,
}

impl IdentityProvider {
    /// Its folder under `Certificates` in the share.
    pub fn folder(self) -> &'static str {
        match self {
            IdentityProvider::Aad => "AAD",
            IdentityProvider::Adfs => "ADFS",
        }
    }
}

/// An external endpoint with a certificate of its own, in the order of the share's folders.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StampEndpoint {
    /// Blob storage.
    AcsBlob,
    /// Queue storage.
    AcsQueue,
    /// Table storage.
    AcsTable,
    /// Administrator extension host.
    AdminExtensionHost,
    /// Administrator portal.
    AdminPortal,
    /// Administrator Azure Resource Manager.
    ArmAdmin,
    /// Global Azure Resource Manager.
    ArmPublic,
    /// Key vaults.
    KeyVault,
    /// Administrator key vaults.
    KeyVaultInternal,
    /// Public extension host.
    PublicExtensionHost,
    /// User portal.
    PublicPortal,
    /// AD FS (ADFS stamps only).
    Adfs,
    /// Graph (ADFS stamps only).
    Graph,
}

impl StampEndpoint {
    /// Every endpoint, in the order the share lists them.
    pub const ALL: [StampEndpoint; 13] = [
        StampEndpoint::AcsBlob,
        StampEndpoint::AcsQueue,
        StampEndpoint::AcsTable,
        StampEndpoint::AdminExtensionHost,
        StampEndpoint::AdminPortal,
        StampEndpoint::ArmAdmin,
        StampEndpoint::ArmPublic,
        StampEndpoint::KeyVault,
        StampEndpoint::KeyVaultInternal,
        StampEndpoint::PublicExtensionHost,
        StampEndpoint::PublicPortal,
        StampEndpoint::Adfs,
        StampEndpoint::Graph,
    ];

    /// The endpoints of a stamp deployed with `provider`.
    pub fn of(provider: IdentityProvider) -> Vec<StampEndpoint> {
        let adfs_only = |e: &&StampEndpoint| matches!(e, StampEndpoint::Adfs | StampEndpoint::Graph);
        StampEndpoint::ALL
            .iter()
            .filter(|e| provider == IdentityProvider::Adfs || !adfs_only(e))
            .copied()
            .collect()
    }

    /// Its folder in the certificate share (and its name in the portal).
    pub fn folder(self) -> &'static str {
        match self {
            StampEndpoint::AdminPortal => "Admin Portal",
            StampEndpoint::PublicPortal => "Public Portal",
            StampEndpoint::ArmAdmin => "ARM Admin",
            StampEndpoint::ArmPublic => "ARM Public",
            StampEndpoint::AdminExtensionHost => "Admin Extension Host",
            StampEndpoint::PublicExtensionHost => "Public Extension Host",
            StampEndpoint::KeyVault => "KeyVault",
            StampEndpoint::KeyVaultInternal => "KeyVaultInternal",
            StampEndpoint::AcsBlob => "ACSBlob",
            StampEndpoint::AcsQueue => "ACSQueue",
            StampEndpoint::AcsTable => "ACSTable",
            StampEndpoint::Adfs => "ADFS",
            StampEndpoint::Graph => "Graph",
        }
    }

    /// The host name its certificate must cover, in the stamp's `region` and external `domain`.
    pub fn host(self, region: &str, domain: &str) -> String {
        let label = match self {
            StampEndpoint::AdminPortal => "adminportal",
            StampEndpoint::PublicPortal => "portal",
            StampEndpoint::ArmAdmin => "adminmanagement",
            StampEndpoint::ArmPublic => "management",
            StampEndpoint::AdminExtensionHost => "*.adminhosting",
            StampEndpoint::PublicExtensionHost => "*.hosting",
            StampEndpoint::KeyVault => "*.vault",
            StampEndpoint::KeyVaultInternal => "*.adminvault",
            StampEndpoint::AcsBlob => "*.blob",
            StampEndpoint::AcsQueue => "*.queue",
            StampEndpoint::AcsTable => "*.table",
            StampEndpoint::Adfs => "adfs",
            StampEndpoint::Graph => "graph",
        };
        format!("{label}.{region}.{domain}")
    }
}

/// Who issued a certificate, as the certificate authority change rules classify it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum IssuerKind {
    /// Issued by itself.
    SelfSigned,
    /// An organisation's own certificate authority.
    Enterprise,
    /// A public certificate authority (in the platform's trusted root program).
    Public,
}

impl IssuerKind {
    /// The label the portal shows.
    pub fn label(self) -> &'static str {
        match self {
            IssuerKind::SelfSigned => "Self-signed",
            IssuerKind::Enterprise => "Enterprise CA",
            IssuerKind::Public => "Public CA",
        }
    }
}

/// An external endpoint's certificate as installed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointCertificate {
    /// The endpoint.
    pub endpoint: StampEndpoint,
    /// The certificate, DER in standard base64 (public).
    pub certificate: String,
    /// Issuer kind.
    pub issuer_kind: IssuerKind,
    /// The issuer's common name.
    pub issuer: String,
    /// Valid until.
    pub not_after: Timestamp,
    /// SHA-256 of the certificate, hex.
    pub thumbprint: String,
}

/// What an internal secret is.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum InternalSecretKind {
    /// A service account's password.
    ServiceAccountPassword,
    /// A certificate issued by the stamp's internal authority.
    Certificate,
}

/// A secret the stamp manages itself.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InternalSecret {
    /// Its name.
    pub name: String,
    /// Password or certificate.
    pub kind: InternalSecretKind,
    /// Expires at.
    pub not_after: Timestamp,
    /// A certificate's SHA-256 thumbprint (hex); empty for a password.
    pub thumbprint: String,
    /// How many internal rotations have replaced it.
    pub generation: u32,
}

/// The alerts the administrator portal raises 30 days before a secret expires.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum StampAlertKind {
    /// A service account password expires within 30 days.
    ServiceAccountPasswordExpiration,
    /// An internal certificate expires within 30 days.
    InternalCertificateExpiration,
    /// An external endpoint certificate expires within 30 days.
    ExternalCertificateExpiration,
}

impl StampAlertKind {
    /// The alert's title.
    pub fn label(self) -> &'static str {
        match self {
            StampAlertKind::ServiceAccountPasswordExpiration => "Pending service account password expiration",
            StampAlertKind::InternalCertificateExpiration => "Pending internal certificate expiration",
            StampAlertKind::ExternalCertificateExpiration => "Pending external certificate expiration",
        }
    }
}

/// A raised alert.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StampAlert {
    /// Which alert.
    pub kind: StampAlertKind,
    /// The secret (or endpoint) it is about.
    pub secret: String,
    /// When the secret expires.
    pub expires: Timestamp,
    /// When `advance` raised it.
    pub raised: Timestamp,
}

/// What a rotation run rotates.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RotationScope {
    /// Internal secrets only.
    Internal,
    /// External certificates only (1811 and later).
    External,
    /// Both in one run (before 1811, when certificates are given).
    InternalAndExternal,
}

/// A certificate authority of Keyblade's own, whose key it holds: it issues the stamp's
/// certificates at seed time and the replacement shares operators rehearse with.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateAuthority {
    /// Its common name.
    pub name: String,
    /// Enterprise or public.
    pub kind: IssuerKind,
    /// Its certificate, DER in standard base64.
    pub certificate: String,
}

/// A stamp.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Stamp {
    /// Its name.
    pub name: String,
    /// Its version (1803, 1811, 1903...).
    pub version: u16,
    /// Identity provider.
    pub identity_provider: IdentityProvider,
    /// Region label of its host names.
    pub region: String,
    /// External domain of its host names.
    pub external_domain: String,
    /// The enterprise CA that issued its certificates at deployment.
    pub deployment_authority: String,
    /// Internal secrets.
    pub internal_secrets: Vec<InternalSecret>,
    /// External endpoint certificates.
    pub certificates: Vec<EndpointCertificate>,
    /// Certificates validated by an external run and not applied yet, by endpoint.
    pub pending_certificates: Vec<EndpointCertificate>,
    /// Raised alerts.
    pub alerts: Vec<StampAlert>,
    /// Keyblade's certificate authorities for this stamp.
    pub authorities: Vec<CertificateAuthority>,
    /// Completed rotation runs (any scope).
    pub rotations: u32,
    /// Completed internal rotations: an internal secret rotated by the running (or a failed)
    /// internal run has the next generation.
    pub internal_generation: u32,
    /// The baseboard management controllers' user name (the same on every server).
    pub bmc_user: String,
    /// Every secret value, sealed, by slot: `internal/{name}`, `endpoint/{folder}`,
    /// `pending/{folder}`, `authority/{name}`, `bmc`.
    pub sealed: BTreeMap<String, Sealed>,
}

/// The stamp versions Keyblade models, oldest first.
pub const STAMP_VERSIONS: [u16; 6] = [1802, 1803, 1809, 1811, 1903, 2002];

/// Who issues the certificates of a share made for rehearsal.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ShareIssuer {
    /// The enterprise CA the stamp was deployed with.
    DeploymentAuthority,
    /// Keyblade's public CA.
    PublicAuthority,
    /// Each certificate itself.
    SelfSigned,
}
