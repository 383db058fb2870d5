//! Every error code the engine can answer with. Plain data: the catalog, the model and the
//! operations all name codes, and this module depends on none of them. Their words (details,
//! remediation, the Troubleshoot page's summary) are in `catalog_text`.

use serde::{Deserialize, Serialize};

/// Every code the engine can return: the 16 catalog codes first, then input/validation codes.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    /// The selected key version is disabled (or not active yet).
    #[serde(rename = "SsemUserErrorEncryptionKeyDisabled")]
    EncryptionKeyDisabled,
    /// The selected key version is past its expiry.
    #[serde(rename = "SsemUserErrorEncryptionKeyExpired")]
    EncryptionKeyExpired,
    /// The key or the version is deleted.
    #[serde(rename = "SsemUserErrorKeyDetailsNotFound")]
    KeyDetailsNotFound,
    /// Permissions missing or the firewall blocks the identity.
    #[serde(rename = "SsemUserErrorKeyVaultBadRequestException")]
    KeyVaultBadRequestException,
    /// The vault is deleted, or the subscription moved tenant under a system identity.
    #[serde(rename = "SsemUserErrorKeyVaultDetailsNotFound")]
    KeyVaultDetailsNotFound,
    /// System assigned selected but the identity is gone or not in the access policy.
    #[serde(rename = "SsemUserErrorSystemAssignedIdentityAbsent")]
    SystemAssignedIdentityAbsent,
    /// One user identity more than the limit.
    #[serde(rename = "SsemUserErrorUserAssignedLimitReached")]
    UserAssignedLimitReached,
    /// The identity's tenant differs from the subscription's.
    #[serde(rename = "SsemUserErrorCrossTenantIdentityAccessForbidden")]
    CrossTenantIdentityAccessForbidden,
    /// At save time the chosen user identity does not exist.
    #[serde(rename = "SsemUserErrorKekUserIdentityNotFound")]
    KekUserIdentityNotFound,
    /// After save the user identity was deleted or detached.
    #[serde(rename = "SsemUserErrorUserAssignedIdentityAbsent")]
    UserAssignedIdentityAbsent,
    /// The key is not RSA / RSA-HSM.
    #[serde(rename = "SsemUserErrorEncryptionKeyTypeNotSupported")]
    EncryptionKeyTypeNotSupported,
    /// The vault lacks soft delete or purge protection.
    #[serde(rename = "SsemUserErrorSoftDeleteAndPurgeProtectionNotEnabled")]
    SoftDeleteAndPurgeProtectionNotEnabled,
    /// The vault URI does not parse.
    #[serde(rename = "SsemUserErrorInvalidKeyVaultUrl")]
    InvalidKeyVaultUrl,
    /// The vault URI is not https.
    #[serde(rename = "SsemUserErrorKeyVaultUrlWithInvalidScheme")]
    KeyVaultUrlWithInvalidScheme,
    /// The vault URI host is not allowed in this cloud.
    #[serde(rename = "SsemUserErrorKeyVaultUrlInvalidHost")]
    KeyVaultUrlInvalidHost,
    /// Anything else, e.g. an unwrap that fails.
    #[serde(rename = "Generic error")]
    GenericError,
    /// Vault name breaks the naming rules.
    InvalidVaultName,
    /// Vault name used by a live or soft-deleted vault.
    VaultNameTaken,
    /// Key name breaks the naming rules.
    InvalidKeyName,
    /// Key name already used in the vault.
    KeyNameTaken,
    /// Key type/size combination not offered.
    InvalidKeySize,
    /// Retention outside 7-90 days.
    InvalidRetention,
    /// A display name (identity, order) is empty or too long.
    InvalidName,
    /// A date outside 1970-9999.
    InvalidDate,
    /// An expiry before the activation date: the version could never be used.
    #[serde(rename = "ExpiryBeforeActivation")]
    DatesOutOfOrder,
    /// The key-transfer blob could not be unwrapped or holds an unacceptable key.
    InvalidKeyTransfer,
    /// Purge protection can never be turned off once on.
    PurgeProtectionCannotBeDisabled,
    /// Soft delete can never be turned off once on.
    SoftDeleteCannotBeDisabled,
    /// Retention cannot be shortened under purge protection or while items are deleted.
    RetentionCannotBeShortened,
    /// Purge refused while purge protection is on.
    PurgeProtected,
    /// Recovery asked for something purged or past retention.
    NotRecoverable,
    /// Referenced entity does not exist.
    NotFound,
    /// A stale `If-Match` version, or the entity is in the wrong state for the request.
    Conflict,
    /// Sign-in failed or missing.
    Unauthorized,
    /// The request may not do this (a cross-site request, say).
    Forbidden,
    /// The request itself is unusable: malformed JSON, wrong field types, a bad header.
    InvalidRequest,
    /// The request body is larger than the API accepts.
    PayloadTooLarge,
    /// The request body is not JSON.
    UnsupportedMediaType,
    /// The route exists but not with this HTTP method.
    MethodNotAllowed,
    /// Too many failed sign-ins in a short time.
    TooManyRequests,
    /// The request took longer than the server allows.
    Timeout,
    /// A one-click fix posted for a subject it does not apply to.
    FixNotApplicable,
    /// A data key to wrap that is not base64, or too long for the key.
    InvalidDataKey,
    /// A ciphertext to unwrap that this key did not make.
    InvalidCiphertext,
    /// The device is offline (device key rollover).
    #[serde(rename = "DeviceNotOnline")]
    DeviceOffline,
    /// The service data encryption key is being changed right now.
    #[serde(rename = "ServiceDataEncryptionKeyChangeInProgress")]
    RolloverInProgress,
    /// The same device was authorized less than 30 minutes ago.
    #[serde(rename = "DeviceReauthorizationTooSoon")]
    ReauthorizationTooSoon,
    /// The device is not the one authorized to change the key.
    #[serde(rename = "DeviceNotAuthorizedForKeyChange")]
    DeviceNotAuthorized,
    /// The authorization is more than four hours old.
    #[serde(rename = "KeyChangeAuthorizationExpired")]
    RolloverAuthorizationExpired,
    /// The key entered is not the current service data encryption key.
    #[serde(rename = "ServiceDataEncryptionKeyMismatch")]
    ServiceKeyMismatch,
    /// Management operations wait until every device holds the current key.
    #[serde(rename = "ManagementBlockedUntilDevicesUpdated")]
    ManagementBlockedDuringRollover,
    /// The device holds an older key than its data is encrypted under.
    #[serde(rename = "DeviceServiceDataEncryptionKeyOutdated")]
    DeviceKeyOutdated,
    /// The key was rotated less than an hour ago.
    #[serde(rename = "KeyRotationNotPermitted")]
    RotationTooSoon,
    /// An imported key rotates only with new key material from the caller.
    #[serde(rename = "KeyMaterialRequiredForRotation")]
    RotationMaterialRequired,
    /// New key material that does not fit the key.
    #[serde(rename = "InvalidKeyMaterial")]
    InvalidKeyMaterial,
    /// A rotation policy asked for an imported key.
    #[serde(rename = "RotationPolicyNotAllowedForImportedKey")]
    PolicyOnImportedKey,
    /// A rotation interval outside 1 to 12 months.
    #[serde(rename = "InvalidRotationInterval")]
    InvalidRotationInterval,
    /// Wrapping asked of a version retired by a rotation.
    #[serde(rename = "KeyVersionDecryptOnly")]
    VersionDecryptOnly,
    /// Deleting a key that a registration protects.
    #[serde(rename = "KeyProtectedByRegistration")]
    KeyHasRegistrations,
    /// A master key rekey is already running.
    #[serde(rename = "MasterKeyRekeyInProgress")]
    RekeyInProgress,
    /// Key management type and key provider do not fit together.
    #[serde(rename = "InvalidKeyManagementParameters")]
    InvalidKeyManagement,
    /// No key provider has the given id.
    #[serde(rename = "KeyProviderNotFound")]
    KeyProviderNotFound,
    /// The key provider did not answer, refused the credentials, or failed to wrap or unwrap.
    #[serde(rename = "KeyProviderUnreachable")]
    KeyProviderUnreachable,
    /// The key provider keeps a master key still in use.
    #[serde(rename = "KeyProviderInUse")]
    KeyProviderInUse,
    /// A secret is sealed under a master key this instance does not hold.
    #[serde(rename = "MasterKeyUnavailable")]
    MasterKeyUnavailable,
    /// A secret rotation of this stamp is already running.
    #[serde(rename = "SecretRotationInProgress")]
    SecretRotationInProgress,
    /// The rotation's parameters do not fit the stamp's version.
    #[serde(rename = "InvalidSecretRotationParameters")]
    InvalidSecretRotationParameters,
    /// A re-run was asked for, but no rotation of that kind failed.
    #[serde(rename = "SecretRotationReRunNotAllowed")]
    ReRunWithoutFailedRotation,
    /// The last rotation failed: only a re-run of the same kind may follow.
    #[serde(rename = "SecretRotationReRunRequired")]
    ReRunRequired,
    /// This stamp must be updated before its secrets can rotate.
    #[serde(rename = "StampUpdateRequiredForRotation")]
    StampUpdateRequired,
    /// The certificate share's folders are not laid out as the rotation expects.
    #[serde(rename = "CertificateFolderStructureInvalid")]
    CertificateShareLayoutInvalid,
    /// An endpoint's folder, or the .pfx file in it, is missing from the share.
    #[serde(rename = "CertificateEndpointFolderMissing")]
    CertificateEndpointMissing,
    /// The certificate password does not open a .pfx file of the share.
    #[serde(rename = "CertificatePasswordInvalid")]
    CertificatePasswordInvalid,
    /// A certificate does not name the endpoint whose folder it is in.
    #[serde(rename = "CertificateNameMismatch")]
    CertificateNameMismatch,
    /// A certificate of the share has expired or is not valid yet.
    #[serde(rename = "CertificateExpired")]
    CertificateExpired,
    /// A certificate's RSA key is shorter than 2048 bits.
    #[serde(rename = "CertificateKeyTooShort")]
    CertificateKeyTooShort,
    /// The change of certificate authority is not supported on this stamp's version.
    #[serde(rename = "CertificateAuthorityChangeNotSupported")]
    CertificateAuthorityChangeNotSupported,
    /// A certificate's private key does not belong to it, found when the certificate was applied.
    #[serde(rename = "CertificateKeyMismatch")]
    CertificateKeyMismatch,
    /// The baseboard management controller credential is not valid.
    #[serde(rename = "InvalidBmcCredential")]
    InvalidBmcCredential,
    /// No role of the caller grants the action at the scope.
    AccessDenied,
    /// A role name that is not one of the built-in roles.
    UnknownRole,
    /// A scope that does not parse or names nothing that exists.
    InvalidScope,
    /// A principal that does not exist, was deleted or revoked.
    PrincipalNotFound,
    /// The principal already holds this role at this scope.
    RoleAssignmentExists,
    /// The change would leave no enabled Owner at the instance.
    #[serde(rename = "LastOwnerCannotBeRemoved")]
    LastOwner,
    /// An account of this name exists already.
    AccountExists,
    /// A password too short to resist guessing.
    WeakPassword,
}

impl ErrorCode {
    /// The 16 catalog codes, in the order of the Troubleshoot page.
    pub const CATALOG: [ErrorCode; 16] = [
        ErrorCode::EncryptionKeyDisabled,
        ErrorCode::EncryptionKeyExpired,
        ErrorCode::KeyDetailsNotFound,
        ErrorCode::KeyVaultBadRequestException,
        ErrorCode::KeyVaultDetailsNotFound,
        ErrorCode::SystemAssignedIdentityAbsent,
        ErrorCode::UserAssignedLimitReached,
        ErrorCode::CrossTenantIdentityAccessForbidden,
        ErrorCode::KekUserIdentityNotFound,
        ErrorCode::UserAssignedIdentityAbsent,
        ErrorCode::EncryptionKeyTypeNotSupported,
        ErrorCode::SoftDeleteAndPurgeProtectionNotEnabled,
        ErrorCode::InvalidKeyVaultUrl,
        ErrorCode::KeyVaultUrlWithInvalidScheme,
        ErrorCode::KeyVaultUrlInvalidHost,
        ErrorCode::GenericError,
    ];

    /// The codes of device key rollover, in the order of its procedure (the Troubleshoot page
    /// lists them after the Data Box codes).
    pub const ROLLOVER: [ErrorCode; 8] = [
        ErrorCode::DeviceOffline,
        ErrorCode::RolloverInProgress,
        ErrorCode::ReauthorizationTooSoon,
        ErrorCode::DeviceNotAuthorized,
        ErrorCode::RolloverAuthorizationExpired,
        ErrorCode::ServiceKeyMismatch,
        ErrorCode::ManagementBlockedDuringRollover,
        ErrorCode::DeviceKeyOutdated,
    ];

    /// The codes of key rotation (the Troubleshoot page lists them last).
    pub const ROTATION: [ErrorCode; 7] = [
        ErrorCode::RotationTooSoon,
        ErrorCode::RotationMaterialRequired,
        ErrorCode::InvalidKeyMaterial,
        ErrorCode::PolicyOnImportedKey,
        ErrorCode::InvalidRotationInterval,
        ErrorCode::VersionDecryptOnly,
        ErrorCode::KeyHasRegistrations,
    ];

    /// The codes of master key rekey and key providers (listed after the rotation codes).
    pub const REKEY: [ErrorCode; 6] = [
        ErrorCode::RekeyInProgress,
        ErrorCode::InvalidKeyManagement,
        ErrorCode::KeyProviderNotFound,
        ErrorCode::KeyProviderUnreachable,
        ErrorCode::KeyProviderInUse,
        ErrorCode::MasterKeyUnavailable,
    ];

    /// The codes of secret rotation and the BMC credential (listed last).
    pub const SECRET_ROTATION: [ErrorCode; 14] = [
        ErrorCode::SecretRotationInProgress,
        ErrorCode::InvalidSecretRotationParameters,
        ErrorCode::ReRunWithoutFailedRotation,
        ErrorCode::ReRunRequired,
        ErrorCode::StampUpdateRequired,
        ErrorCode::CertificateShareLayoutInvalid,
        ErrorCode::CertificateEndpointMissing,
        ErrorCode::CertificatePasswordInvalid,
        ErrorCode::CertificateNameMismatch,
        ErrorCode::CertificateExpired,
        ErrorCode::CertificateKeyTooShort,
        ErrorCode::CertificateAuthorityChangeNotSupported,
        ErrorCode::CertificateKeyMismatch,
        ErrorCode::InvalidBmcCredential,
    ];

    /// The codes of access control (listed after secret rotation).
    pub const ACCESS: [ErrorCode; 8] = [
        ErrorCode::AccessDenied,
        ErrorCode::UnknownRole,
        ErrorCode::InvalidScope,
        ErrorCode::PrincipalNotFound,
        ErrorCode::RoleAssignmentExists,
        ErrorCode::LastOwner,
        ErrorCode::AccountExists,
        ErrorCode::WeakPassword,
    ];

    /// Whether this is one of the documented catalog codes (as opposed to an input error).
    pub fn is_catalog(self) -> bool {
        Self::CATALOG.contains(&self)
    }
}
