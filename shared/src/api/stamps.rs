//! Stamps and their infrastructure secrets.

use serde::{Deserialize, Serialize};

use super::OperationView;
use crate::time::Timestamp;

/// One file of a certificate share.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateFile {
    /// Its path in the share, `Certificates\AAD\<endpoint>\<name>.pfx` (`\` or `/`; the folder
    /// names are matched in any case).
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 1024,
            pattern = "^Certificates[\\\\/](?:AAD|ADFS)[\\\\/][^\\\\/]+[\\\\/][^\\\\/]+\\.pfx$"
        )
    )]
    pub path: String,
    /// The `.pfx` file, standard base64.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 4,
            pattern = "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$"
        )
    )]
    pub content: String,
}

impl std::fmt::Debug for CertificateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateFile").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Start a secret rotation, with the parameters of the cmdlet it reproduces.
#[derive(Serialize, Deserialize, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StartSecretRotationRequest {
    /// Rotate the internal secrets (from 1811: only them).
    #[serde(default)]
    pub internal: bool,
    /// Repeat the run that failed.
    #[serde(default)]
    pub re_run: bool,
    /// The share the files come from, as the operator names it (shown in the run history).
    #[serde(default)]
    pub pfx_files_path: String,
    /// The share's files, uploaded with the request.
    #[serde(default)]
    pub pfx_files: Vec<CertificateFile>,
    /// The one password of every `.pfx` file.
    #[serde(default)]
    pub certificate_password: Option<String>,
}

impl std::fmt::Debug for StartSecretRotationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartSecretRotationRequest")
            .field("internal", &self.internal)
            .field("re_run", &self.re_run)
            .field("pfx_files", &self.pfx_files)
            .finish_non_exhaustive()
    }
}

/// Update the baseboard management controller credential of every server.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SetBmcCredentialRequest {
    /// The new user name (1-16 characters, no control characters, not blank); none keeps the
    /// current one.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 16,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u001f\\u007f-\\u009f\\t\\n\\u000b\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub bmc_user: Option<String>,
    /// The new password (required, not empty).
    #[cfg_attr(feature = "openapi", schema(min_length = 1))]
    pub bmc_password: String,
}

impl std::fmt::Debug for SetBmcCredentialRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetBmcCredentialRequest").field("bmc_user", &self.bmc_user).finish_non_exhaustive()
    }
}

/// A stamp as the Secrets blade shows it: no secret value, only what each secret is, when it
/// expires and who issued it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StampView {
    /// Name.
    pub name: String,
    /// Version (1803, 1811, 1903...).
    pub version: u16,
    /// Identity provider.
    pub identity_provider: crate::model::IdentityProvider,
    /// The enterprise CA used at deployment.
    pub deployment_authority: String,
    /// Internal secrets.
    pub internal_secrets: Vec<SecretView>,
    /// External endpoint certificates.
    pub certificates: Vec<SecretView>,
    /// Raised alerts.
    pub alerts: Vec<StampAlertView>,
    /// Completed rotation runs.
    pub rotations: u32,
    /// The scope of the last run when it failed: only a re-run of it may follow.
    pub failed_run: Option<crate::model::RotationScope>,
    /// The baseboard management controllers' user name.
    pub bmc_user: String,
    /// The certificate authority change table for this stamp's version.
    pub authority_changes: Vec<AuthorityChangeView>,
    /// Its rotation runs, newest first.
    pub runs: Vec<OperationView>,
}

/// One secret of the inventory.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SecretView {
    /// A secret's name, or an endpoint's folder name.
    pub name: String,
    /// "Service account password", "Internal certificate" or "External certificate".
    pub kind: String,
    /// The host an endpoint certificate must cover.
    pub host: Option<String>,
    /// Who issued a certificate ("Self-signed", "Enterprise CA", "Public CA").
    pub issuer_kind: Option<crate::model::IssuerKind>,
    /// The issuer's common name.
    pub issuer: Option<String>,
    /// Expires at.
    pub expires: Timestamp,
    /// Whole days left at the time of the answer (negative once expired).
    pub days_left: i64,
    /// A certificate's SHA-256 thumbprint.
    pub thumbprint: String,
}

/// A raised alert.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StampAlertView {
    /// Which alert.
    pub kind: crate::model::StampAlertKind,
    /// Its title.
    pub title: String,
    /// The secret or endpoint.
    pub secret: String,
    /// When the secret expires.
    pub expires: Timestamp,
    /// When it was raised.
    pub raised: Timestamp,
}

/// One row of the certificate authority change table.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorityChangeView {
    /// The installed certificates' issuer.
    pub from: crate::model::IssuerKind,
    /// The new certificates' issuer.
    pub to: crate::model::IssuerKind,
    /// Whether this stamp's version allows it (for an enterprise CA: another one than at deployment).
    pub supported: bool,
    /// The rule, in words.
    pub rule: String,
}

/// A certificate share made for rehearsal.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateShareRequest {
    /// Who issues its certificates.
    pub issuer: crate::model::ShareIssuer,
    /// Days they are valid from now (0 makes expired ones).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3650))]
    pub days: i64,
    /// The password of every `.pfx` file: not empty, and only characters of the Basic
    /// Multilingual Plane (PKCS#12 passwords are BMPStrings).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, pattern = "^[\\u0000-\\uffff]*$"))]
    pub password: String,
}

/// Add a stamp.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreateStampRequest {
    /// Name: 3-24 letters, digits and hyphens, starting with a letter.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 3, max_length = 24, pattern = "^[A-Za-z][A-Za-z0-9-]*$")
    )]
    pub name: String,
    /// Version: 1802, 1803, 1809, 1811, 1903 or 2002.
    #[cfg_attr(feature = "openapi", schema(schema_with = stamp_version_schema))]
    pub version: u16,
    /// Identity provider.
    pub identity_provider: crate::model::IdentityProvider,
}

/// Update a stamp to a later version.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpdateStampRequest {
    /// The version to update to.
    #[cfg_attr(feature = "openapi", schema(schema_with = stamp_version_schema))]
    pub version: u16,
}

/// The stamp versions Keyblade models, as the API document states them.
#[cfg(feature = "openapi")]
fn stamp_version_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some(crate::model::STAMP_VERSIONS)).build()
}
