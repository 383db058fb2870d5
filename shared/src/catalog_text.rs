//! The words of the catalog. Details follow the public documentation; remediation steps and
//! the "recoverable" summaries are written for this portal.

use crate::code::ErrorCode;

impl ErrorCode {
    /// The code string, exactly as the catalog spells it.
    pub fn as_str(self) -> &'static str {
        self.text().code
    }

    /// Error details shown with the code.
    pub fn details(self) -> &'static str {
        self.text().details
    }

    /// Remediation steps, in the portal's own words.
    pub fn remediation(self) -> Vec<String> {
        self.text().remediation.iter().map(|s| s.to_string()).collect()
    }

    /// Whether the code is recoverable in general (the Troubleshoot page column).
    pub fn recoverable_summary(self) -> &'static str {
        self.text().recoverable_summary
    }

    fn text(self) -> CodeText {
        text_of(self)
    }
}

/// Static text of one code.
struct CodeText {
    code: &'static str,
    details: &'static str,
    remediation: &'static [&'static str],
    recoverable_summary: &'static str,
}

const fn t(
    code: &'static str,
    details: &'static str,
    remediation: &'static [&'static str],
    recoverable_summary: &'static str,
) -> CodeText {
    CodeText { code, details, remediation, recoverable_summary }
}

/// The text of a code: one arm per code, so a new code does not compile without its words.
fn text_of(code: ErrorCode) -> CodeText {
    use ErrorCode::*;
    match code {
        EncryptionKeyDisabled => t(
            "SsemUserErrorEncryptionKeyDisabled",
            "Could not fetch the passkey as the customer-managed key is disabled.",
            &[
                "Open the key vault, then the key, and pick the version the order uses.",
                "Turn Enabled on for that version (and clear an activation date that lies in the future).",
                "Retry the operation; the order picks the version up again straight away.",
            ],
            "Yes: enable the key version again.",
        ),
        EncryptionKeyExpired => t(
            "SsemUserErrorEncryptionKeyExpired",
            "Could not fetch the passkey as the customer-managed key has expired.",
            &[
                "Move the expiration date of the version the order uses into the future, or remove it.",
                "Alternatively create a new version of the key and select it under Change key.",
            ],
            "Yes: extend the expiry or switch to a fresh version.",
        ),
        KeyDetailsNotFound => t(
            "SsemUserErrorKeyDetailsNotFound",
            "Could not fetch the passkey as the customer-managed key could not be found.",
            &[
                "Check the vault's deleted keys: a soft-deleted key can be recovered until its retention period runs out.",
                "Once a key has been purged it is gone for good; choose another key for new orders.",
            ],
            "Yes while the key is soft-deleted and inside retention; no once it is purged.",
        ),
        KeyVaultBadRequestException => t(
            "SsemUserErrorKeyVaultBadRequestException",
            "Applied a customer-managed key but the key access has not been granted or has been revoked, or unable to access key vault due to firewall being enabled.",
            &[
                "Give the selected identity the Get, Wrap Key and Unwrap Key permissions in the vault's access policies.",
                "If the vault firewall is on, either allow that identity through or use the system-assigned identity, which passes as a trusted service.",
                "Keep those permissions in place for as long as the order exists.",
            ],
            "Yes: grant the permissions or switch to the system-assigned identity.",
        ),
        KeyVaultDetailsNotFound => t(
            "SsemUserErrorKeyVaultDetailsNotFound",
            "Could not fetch the passkey as the associated key vault for the customer-managed key could not be found.",
            &[
                "If the vault was deleted, recover it from Deleted vaults while its retention period lasts; a purged vault cannot come back.",
                "If the subscription moved to another tenant, move it back, or set the identity type to None and then to System assigned and grant the new identity Get, Wrap Key and Unwrap Key.",
            ],
            "Yes while the vault is soft-deleted within retention or after a tenant move is undone; no once purged.",
        ),
        SystemAssignedIdentityAbsent => t(
            "SsemUserErrorSystemAssignedIdentityAbsent",
            "Could not fetch the passkey as the customer-managed key could not be found.",
            &[
                "Make sure the order still has a system-assigned identity; recreate it if the identity type was set to None.",
                "Make sure the vault's access policy lists that identity with Get, Wrap Key and Unwrap Key. A recreated identity has a new principal id and needs a new entry.",
            ],
            "Yes: recreate the identity or add it to the access policy.",
        ),
        UserAssignedLimitReached => t(
            "SsemUserErrorUserAssignedLimitReached",
            "Adding new User Assigned Identity failed as you have reached the limit on the total number of user assigned identities that can be added.",
            &[
                "Detach user-assigned identities the order no longer needs, then try again.",
                "Or attach fewer identities in one go.",
            ],
            "Yes: remove some identities first.",
        ),
        CrossTenantIdentityAccessForbidden => t(
            "SsemUserErrorCrossTenantIdentityAccessForbidden",
            "Managed identity access operation failed. Note: This error can occur when a subscription is moved to different tenant. The customer has to manually move the identity to the new tenant.",
            &[
                "Pick a user-assigned identity that lives in the subscription's current tenant and grant it access to the key.",
                "Or move the identity into the tenant the subscription now belongs to.",
            ],
            "Yes: use another identity or move it.",
        ),
        KekUserIdentityNotFound => t(
            "SsemUserErrorKekUserIdentityNotFound",
            "Applied a customer-managed key but the user assigned identity that has access to the key was not found in the active directory. Note: This error can occur when a user identity is deleted.",
            &[
                "The chosen user-assigned identity no longer exists. Select another identity, give it access to the key, and save again.",
                "Or switch the identity type to System assigned.",
            ],
            "Yes: pick another identity.",
        ),
        UserAssignedIdentityAbsent => t(
            "SsemUserErrorUserAssignedIdentityAbsent",
            "Could not fetch the passkey as the customer-managed key could not be found.",
            &[
                "The identity the settings were saved with was deleted or detached; it cannot be brought back.",
                "Select a different identity (or System assigned) that has access to the key and save.",
            ],
            "No for that identity; choose another one.",
        ),
        EncryptionKeyTypeNotSupported => t(
            "SsemUserErrorEncryptionKeyTypeNotSupported",
            "The encryption key type isn't supported for the operation.",
            &[
                "Orders only accept RSA or RSA-HSM keys of 2048 bits or more.",
                "Create or select such a key and save again.",
            ],
            "Yes: select an RSA key.",
        ),
        SoftDeleteAndPurgeProtectionNotEnabled => t(
            "SsemUserErrorSoftDeleteAndPurgeProtectionNotEnabled",
            "Key vault does not have soft delete or purge protection enabled.",
            &["Turn on both soft delete and purge protection in the vault's properties, then save again."],
            "Yes: enable both settings.",
        ),
        InvalidKeyVaultUrl => t(
            "SsemUserErrorInvalidKeyVaultUrl",
            "An invalid key vault URI was used.",
            &["Copy the vault URI from the vault's overview; it looks like https://<name>.vault.azure.net/."],
            "Yes: correct the URI.",
        ),
        KeyVaultUrlWithInvalidScheme => t(
            "SsemUserErrorKeyVaultUrlWithInvalidScheme",
            "Only HTTPS is supported for passing the key vault URI.",
            &["Start the vault URI with https://."],
            "Yes: use https.",
        ),
        KeyVaultUrlInvalidHost => t(
            "SsemUserErrorKeyVaultUrlInvalidHost",
            "The key vault URI host is not an allowed host in the geographical region.",
            &[
                "Public cloud vault hosts end in vault.azure.net.",
                "Government cloud vault hosts end in vault.usgovcloudapi.net.",
            ],
            "Yes: use a host of the right cloud.",
        ),
        GenericError => t(
            "Generic error",
            "Could not fetch the passkey.",
            &[
                "Nothing in the settings explains this failure. Collect the order name and time and contact support.",
            ],
            "Contact support.",
        ),
        InvalidVaultName => t(
            "InvalidVaultName",
            "The key vault name is not valid.",
            &[
                "Use 3-24 letters, digits and hyphens, starting with a letter, without two hyphens in a row and not ending with a hyphen.",
            ],
            "Yes.",
        ),
        VaultNameTaken => t(
            "VaultNameTaken",
            "A key vault (live or soft-deleted) already uses this name.",
            &["Pick another name, or recover or purge the deleted vault that holds it."],
            "Yes.",
        ),
        InvalidKeyName => t(
            "InvalidKeyName",
            "The key name is not valid.",
            &["Use 1-127 letters, digits and hyphens."],
            "Yes.",
        ),
        KeyNameTaken => t(
            "KeyNameTaken",
            "The vault already has a key with this name.",
            &["Pick another name, or add a version to the existing key."],
            "Yes.",
        ),
        InvalidKeySize => t(
            "InvalidKeySize",
            "This key type and size combination is not offered.",
            &["RSA and RSA-HSM keys must be 2048, 3072 or 4096 bits; EC keys use P-256."],
            "Yes.",
        ),
        InvalidRetention => t(
            "InvalidRetention",
            "Retention must be between 7 and 90 days.",
            &["Choose a number of days from 7 to 90."],
            "Yes.",
        ),
        InvalidName => {
            t("InvalidName", "The name is empty or too long.", &["Use 1-64 visible characters."], "Yes.")
        }
        InvalidKeyTransfer => t(
            "InvalidKeyTransfer",
            "The uploaded key could not be unwrapped or is not an acceptable key.",
            &["Fetch the vault's current import key, wrap the key again and retry."],
            "Yes.",
        ),
        PurgeProtectionCannotBeDisabled => t(
            "PurgeProtectionCannotBeDisabled",
            "Purge protection cannot be turned off once it is on.",
            &["Leave purge protection on; it is permanent by design."],
            "No.",
        ),
        PurgeProtected => t(
            "PurgeProtected",
            "Purge is refused while purge protection is on.",
            &["Wait until the retention period ends; the item is purged automatically then."],
            "No.",
        ),
        NotRecoverable => t(
            "NotRecoverable",
            "The item was purged or its retention period has ended.",
            &["Create a new one instead."],
            "No.",
        ),
        NotFound => t(
            "NotFound",
            "The requested item does not exist.",
            &["Refresh the page and pick an existing item."],
            "Yes.",
        ),
        Conflict => t(
            "Conflict",
            "The item changed in the meantime or is in the wrong state for this request.",
            &["Refresh to see the latest state, then try again."],
            "Yes.",
        ),
        Unauthorized => t("Unauthorized", "Sign in to continue.", &["Sign in again."], "Yes."),
        InvalidRequest => t(
            "InvalidRequest",
            "The request is malformed: its JSON, a field's type or a header is not what the API expects.",
            &[
                "Correct the request as the message says; the OpenAPI document at /api/openapi.json describes every body.",
            ],
            "Yes.",
        ),
        PayloadTooLarge => t(
            "PayloadTooLarge",
            "The request body is larger than the API accepts.",
            &["Send a smaller body; key-transfer blobs are a few KB."],
            "Yes.",
        ),
        UnsupportedMediaType => t(
            "UnsupportedMediaType",
            "The request body is not JSON.",
            &["Send the body as JSON with Content-Type: application/json."],
            "Yes.",
        ),
        MethodNotAllowed => t(
            "MethodNotAllowed",
            "This route does not support the HTTP method used.",
            &["Use a method the route supports (see /api/openapi.json)."],
            "Yes.",
        ),
        TooManyRequests => t(
            "TooManyRequests",
            "Too many failed sign-ins in a short time.",
            &["Wait, then sign in again with the right password."],
            "Yes.",
        ),
        Timeout => t(
            "Timeout",
            "The request took longer than the server allows.",
            &["Try again; if it keeps happening, contact support."],
            "Yes.",
        ),
        SoftDeleteCannotBeDisabled => t(
            "SoftDeleteCannotBeDisabled",
            "Soft delete stays on once it is on.",
            &[
                "Leave soft delete on; a deleted vault or key then stays recoverable for the retention period.",
            ],
            "Yes.",
        ),
        RetentionCannotBeShortened => t(
            "RetentionCannotBeShortened",
            "The retention period cannot be shortened now.",
            &[
                "Under purge protection the retention period can only grow.",
                "While the vault holds deleted keys, they keep the retention they were deleted with: recover or purge them first.",
            ],
            "Yes.",
        ),
        AccessDenied => t(
            "AccessDenied",
            "None of the caller's roles allows this action at this scope.",
            &[
                "The message names the action, the scope and the roles that allow it.",
                "Ask an Owner to assign one of those roles to you at that scope or above (Access control (IAM) > Add).",
                "Roles count at their scope and everything inside it: a role on a key vault covers its keys.",
            ],
            "Yes, once an Owner assigns a fitting role.",
        ),
        UnknownRole => t(
            "UnknownRole",
            "The role is not one of the built-in roles.",
            &["Pick Owner, Key Administrator, Crypto User, Reader or Auditor."],
            "Yes.",
        ),
        InvalidScope => t(
            "InvalidScope",
            "The scope does not parse, or nothing exists there.",
            &[
                "Write the scope as /, /subscriptions/<id>, /resourceGroups/<name>, /vaults/<name> or /vaults/<name>/keys/<key>.",
                "Check that the resource it names still exists.",
            ],
            "Yes.",
        ),
        PrincipalNotFound => t(
            "PrincipalNotFound",
            "The principal does not exist, or was deleted or revoked.",
            &[
                "Name the principal as user:<name>, apikey:<id> or identity:<principal id>.",
                "Create the account, API key or identity first; a deleted one cannot hold roles.",
            ],
            "Yes.",
        ),
        RoleAssignmentExists => t(
            "RoleAssignmentExists",
            "The principal already holds this role at this scope.",
            &["Nothing to do: the assignment is in place. Pick another role or scope to change access."],
            "Yes.",
        ),
        LastOwner => t(
            "LastOwnerCannotBeRemoved",
            "The change would leave no enabled account with Owner at the instance.",
            &["Assign Owner at the instance (/) to another account first, then remove or disable this one."],
            "Yes.",
        ),
        AccountExists => t(
            "AccountExists",
            "An account of this name exists already.",
            &[
                "Pick another name, or give the existing account the role you meant (Access control (IAM) > Add).",
            ],
            "Yes.",
        ),
        WeakPassword => t(
            "WeakPassword",
            "The password is too short to resist guessing.",
            &[
                "Choose a password of at least 12 characters; a passphrase of a few unrelated words is easy to type and hard to guess.",
            ],
            "Yes.",
        ),
        Forbidden => t(
            "Forbidden",
            "This request is not allowed.",
            &[
                "Send changes from the portal or with a JSON body; scripts that send no body add the X-Keyblade-Request header.",
                "Requests from other sites cannot change anything in Keyblade.",
            ],
            "Yes.",
        ),
        InvalidDate => t(
            "InvalidDate",
            "The date is outside the years 1970 to 9999.",
            &["Pick the date again; dates are seconds since 1970-01-01 UTC."],
            "Yes.",
        ),
        DatesOutOfOrder => t(
            "ExpiryBeforeActivation",
            "The expiry comes before the activation date: the version could never be used.",
            &["Set the expiry on or after the activation date, or leave one of them empty."],
            "Yes.",
        ),
        FixNotApplicable => t(
            "FixNotApplicable",
            "This fix does not apply to the subject it was sent for.",
            &["Send the fix together with the subject named by the failure that offered it."],
            "Yes.",
        ),
        InvalidDataKey => t(
            "InvalidDataKey",
            "The data key to wrap is not standard base64, or is longer than this key can wrap.",
            &[
                "Send 1 to 4096 bytes, base64-encoded; an RSA key wraps at most a few hundred bytes, a symmetric key up to 4096.",
            ],
            "Yes.",
        ),
        InvalidCiphertext => t(
            "InvalidCiphertext",
            "The ciphertext was not made by this key (or was altered), so it cannot be unwrapped.",
            &["Send the ciphertext exactly as a wrap with this key answered it, to the same key."],
            "Yes.",
        ),
        DeviceOffline => t(
            "DeviceNotOnline",
            "The device is not connected to the device manager, so it cannot take part in a key change.",
            &[
                "Check the device's network connection and that it is registered with the manager.",
                "When it shows Online, repeat the step. A key update entered while it was offline is applied as it reconnects.",
            ],
            "Yes, once the device is back online.",
        ),
        RolloverInProgress => t(
            "ServiceDataEncryptionKeyChangeInProgress",
            "The service data encryption key is being changed: the devices' data is being re-encrypted under the new key.",
            &[
                "Follow the key change in the Activity pane; it takes moments.",
                "Repeat the step once the operation has succeeded.",
            ],
            "Yes, after the running change finishes.",
        ),
        ReauthorizationTooSoon => t(
            "DeviceReauthorizationTooSoon",
            "This device was authorized to change the key less than 30 minutes ago and has not initiated the change yet.",
            &[
                "Initiate the change on the device now: its authorization is still valid.",
                "Or authorize another eligible device, or wait until 30 minutes have passed.",
            ],
            "Yes, after 30 minutes or on another device.",
        ),
        DeviceNotAuthorized => t(
            "DeviceNotAuthorizedForKeyChange",
            "Only the device most recently authorized by the service administrator can initiate the key change.",
            &[
                "Ask the service administrator to authorize this device in the Device manager blade.",
                "Then initiate the change on this device within four hours.",
            ],
            "Yes, once the device is authorized.",
        ),
        RolloverAuthorizationExpired => t(
            "KeyChangeAuthorizationExpired",
            "The device was authorized more than four hours ago; an authorization is valid for four hours.",
            &[
                "Authorize the device again (the Fix button does it), then initiate the change within four hours.",
            ],
            "Yes.",
        ),
        ServiceKeyMismatch => t(
            "ServiceDataEncryptionKeyMismatch",
            "The key entered is not the manager's current service data encryption key. Nothing was changed.",
            &[
                "Use the key shown on the device that initiated the change, exactly as shown.",
                "If that key was lost, authorize a device and change the key again; then update every other device with the new one.",
            ],
            "Yes.",
        ),
        ManagementBlockedDuringRollover => t(
            "ManagementBlockedUntilDevicesUpdated",
            "The service data encryption key was changed and some devices do not hold the new key yet; management operations wait until every device does.",
            &[
                "Update the key on each device named in the message (cloud appliances can be updated together).",
                "Offline devices take the key when they reconnect; bring them online to finish.",
            ],
            "Yes, once every device is updated.",
        ),
        DeviceKeyOutdated => t(
            "DeviceServiceDataEncryptionKeyOutdated",
            "The device holds an older service data encryption key than its confidential data is encrypted under, so it cannot read that data.",
            &[
                "Update the device with the current key, from the device's console in the Device manager blade.",
            ],
            "Yes.",
        ),
        RotationTooSoon => t(
            "KeyRotationNotPermitted",
            "A key can be rotated once an hour, and this key was rotated less than an hour ago. Nothing was changed.",
            &[
                "Wait until the time given in the message, then rotate again.",
                "The key's current version already protects new secrets; rotating again is rarely urgent.",
            ],
            "Yes, after the hour has passed.",
        ),
        RotationMaterialRequired => t(
            "KeyMaterialRequiredForRotation",
            "The key's material was imported, so Keyblade cannot make new material for it: a rotation must bring its own.",
            &[
                "Rotate again and supply the new key material (the payload), of the same type and size as the key.",
            ],
            "Yes.",
        ),
        InvalidKeyMaterial => t(
            "InvalidKeyMaterial",
            "The new key material does not fit this key: wrong type or size, not valid base64, or material offered for a key whose material Keyblade generates.",
            &[
                "For an imported symmetric key send 16, 24 or 32 random bytes, base64-encoded.",
                "For a key Keyblade generated, rotate without material.",
            ],
            "Yes.",
        ),
        PolicyOnImportedKey => t(
            "RotationPolicyNotAllowedForImportedKey",
            "Automatic rotation needs Keyblade to make the new material, which it cannot do for a key whose material was imported.",
            &[
                "Rotate the key by hand with new material when it falls due, or create a key in Keyblade and give it a policy.",
            ],
            "Yes.",
        ),
        InvalidRotationInterval => t(
            "InvalidRotationInterval",
            "A rotation interval must be a whole number of months from 1 to 12.",
            &["Pick an interval from 1 to 12 months."],
            "Yes.",
        ),
        VersionDecryptOnly => t(
            "KeyVersionDecryptOnly",
            "This key version was retired by a rotation: it still unwraps what it wrapped but wraps nothing new.",
            &[
                "Select the key's current version (the newest) instead.",
                "Secrets already wrapped under the old version stay readable; a rotation rewraps them onto the new one.",
            ],
            "Yes.",
        ),
        KeyHasRegistrations => t(
            "KeyProtectedByRegistration",
            "A resource registered with this key asked that the key not be deleted while it is registered.",
            &[
                "Open the key's Registrations tab to see which resources protect it.",
                "Remove those registrations (or move the resources to another key) first, then delete the key.",
            ],
            "Yes, once no registration prevents it.",
        ),
        RekeyInProgress => t(
            "MasterKeyRekeyInProgress",
            "A rekey of the master key is already under way. Only one runs at a time; nothing new was started.",
            &[
                "Follow the running rekey in Encryption at rest (or with its async handle) until it reports Ready.",
                "Start the next rekey after that, if one is still wanted.",
            ],
            "Yes, when the running rekey has finished.",
        ),
        InvalidKeyManagement => t(
            "InvalidKeyManagementParameters",
            "The key management type and the key provider do not go together: Internal takes no provider, External needs one.",
            &[
                "For Internal, leave the key provider out.",
                "For External, pick a key provider (add one under Key providers first if the list is empty).",
                "The type is Internal or External; leave it out to keep the current one.",
            ],
            "Yes.",
        ),
        KeyProviderNotFound => t(
            "KeyProviderNotFound",
            "No key provider has this id.",
            &["List the key providers and use one of their ids, or add the provider first."],
            "Yes.",
        ),
        KeyProviderUnreachable => t(
            "KeyProviderUnreachable",
            "The key provider could not be used: it did not answer, refused the API key, or could not wrap or unwrap with the root key. Nothing was changed.",
            &[
                "Check that the provider's URL answers from this server and that its instance and root key id are right.",
                "Check that the API key is still valid in the provider (create a new one if it was revoked).",
                "Use Test on the provider; when it passes, retry.",
            ],
            "Yes, once the provider answers.",
        ),
        KeyProviderInUse => t(
            "KeyProviderInUse",
            "This key provider keeps a master key that is still in use, so it cannot be removed.",
            &[
                "Rekey the master key to Internal or to another provider first.",
                "When that rekey is Ready, remove this provider.",
            ],
            "Yes, after a rekey away from it.",
        ),
        MasterKeyUnavailable => t(
            "MasterKeyUnavailable",
            "A secret is sealed under a master key this instance does not hold right now, so it cannot be opened.",
            &[
                "If the master key is External, make sure its key provider is reachable, then restart Keyblade or retry.",
                "If the data directory was restored from a backup, restore the key file that belongs with it.",
            ],
            "Yes, when the master key can be reached again.",
        ),
        SecretRotationInProgress => t(
            "SecretRotationInProgress",
            "A secret rotation of this stamp is already running; only one runs at a time and nothing new was started.",
            &[
                "Follow the running rotation in the stamp's run history until it ends.",
                "Start the next rotation afterwards if one is still needed.",
            ],
            "Yes, when the running rotation has ended.",
        ),
        InvalidSecretRotationParameters => t(
            "InvalidSecretRotationParameters",
            "The parameters do not describe a run this stamp's version can do: from version 1811 internal and external secrets rotate in separate runs, and an external run needs the certificate files and their password.",
            &[
                "For internal secrets, send internal with no certificate files.",
                "For external certificates, send the .pfx files and the one password that opens them, without internal.",
            ],
            "Yes.",
        ),
        ReRunWithoutFailedRotation => t(
            "SecretRotationReRunNotAllowed",
            "reRun repeats a rotation that failed. The stamp has no failed rotation of this kind to repeat.",
            &["Start an ordinary rotation (without reRun) instead."],
            "Yes.",
        ),
        ReRunRequired => t(
            "SecretRotationReRunRequired",
            "The stamp's last rotation failed partway. Until a re-run of the same kind (internal or external) succeeds, no other rotation may start; the endpoints not yet switched still use their old certificates.",
            &[
                "Read the failed run's error and fix what it names (for external certificates, replace the files in the share with corrected copies from your backup).",
                "Start the rotation again with reRun, with the same kind as the failed run.",
            ],
            "Yes, with a re-run.",
        ),
        StampUpdateRequired => t(
            "StampUpdateRequiredForRotation",
            "Secret rotation needs version 1803 or later, and a stamp whose secrets were rotated before must be on 1811 or later to rotate them again.",
            &["Update the stamp to version 1811 or later, then start the rotation again."],
            "Yes, after an update.",
        ),
        CertificateShareLayoutInvalid => t(
            "CertificateFolderStructureInvalid",
            "Every file must sit under Certificates\\AAD\\<endpoint>\\ or Certificates\\ADFS\\<endpoint>\\, the identity-provider folder matching the stamp. The cmdlet reports this layout problem misleadingly as \"Cannot bind argument to parameter 'Path' because it is null.\", which reads like a share access problem but is not.",
            &[
                "Put the files under a top folder named Certificates, then a folder named after the stamp's identity provider (AAD or ADFS), then one folder per endpoint.",
                "Upload the share again.",
            ],
            "Yes.",
        ),
        CertificateEndpointMissing => t(
            "CertificateEndpointFolderMissing",
            "Each external endpoint of the stamp needs its own folder in the share holding exactly one .pfx file.",
            &[
                "Add the folder named in the message with the endpoint's .pfx file.",
                "Upload the share again.",
            ],
            "Yes.",
        ),
        CertificatePasswordInvalid => t(
            "CertificatePasswordInvalid",
            "All certificate files of a rotation share one password. At least one file does not open with the password given.",
            &[
                "Export the named file again with the same password as the others, or give the password they were made with.",
            ],
            "Yes.",
        ),
        CertificateNameMismatch => t(
            "CertificateNameMismatch",
            "Each certificate's DNS names must cover the host name of the endpoint it serves.",
            &[
                "Check that the file sits in the right endpoint folder.",
                "Otherwise request a certificate whose subject alternative names include the host named in the message.",
            ],
            "Yes.",
        ),
        CertificateExpired => t(
            "CertificateExpired",
            "A certificate can only be installed while it is valid.",
            &["Replace the named file with a certificate that is valid now."],
            "Yes.",
        ),
        CertificateKeyTooShort => t(
            "CertificateKeyTooShort",
            "External endpoint certificates need RSA keys of at least 2048 bits.",
            &["Request the named certificate again with a key of 2048 bits or more."],
            "Yes.",
        ),
        CertificateAuthorityChangeNotSupported => t(
            "CertificateAuthorityChangeNotSupported",
            "Moving to self-signed certificates is never supported; moving to an enterprise CA needs version 1903 (before 1903 only the enterprise CA used at deployment may issue the new certificates); moving to a public CA needs 1803.",
            &[
                "Issue the certificates from a certificate authority the table allows for this version, or update the stamp first.",
            ],
            "Yes.",
        ),
        CertificateKeyMismatch => t(
            "CertificateKeyMismatch",
            "The rotation stopped at the named endpoint: its .pfx file holds a private key that is not the certificate's. Endpoints switched before it use their new certificates; the others still use their old ones.",
            &[
                "Export the named certificate again together with its own private key, into the same folder of the share.",
                "Start the rotation again with reRun.",
            ],
            "Yes, with a re-run.",
        ),
        InvalidBmcCredential => t(
            "InvalidBmcCredential",
            "The BMC password is required, and the optional user name has at most 16 characters.",
            &[
                "Give a password, and a user name of 16 characters or fewer (or none to keep the current one).",
            ],
            "Yes.",
        ),
    }
}
