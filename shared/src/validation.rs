//! Input rules, written once for the backend and the offline demo alike.

use crate::catalog::{ErrorCode, Failure};
use crate::model::{Cloud, KeyType, World};

/// Allowed vault retention, in days.
pub const RETENTION_DAYS: std::ops::RangeInclusive<u16> = 7..=90;
/// RSA sizes an order accepts (the portal offers nothing smaller).
pub const RSA_SIZES: [u16; 3] = [2048, 3072, 4096];

/// Vault names: 3-24 chars of letters, digits and hyphens, starting with a letter, no `--`,
/// not ending with `-`.
pub fn vault_name(name: &str) -> Result<(), Failure> {
    let bytes = name.as_bytes();
    let valid = (3..=24).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && !name.contains("--")
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(Failure::new(ErrorCode::InvalidVaultName, format!("'{name}' is not a valid key vault name.")))
    }
}

/// A vault name must also be free: live and soft-deleted vaults hold their names; purged ones
/// release them.
pub fn vault_name_available(world: &World, name: &str) -> Result<(), Failure> {
    vault_name(name)?;
    let taken = world.vaults.values().any(|v| !v.purged && v.name.eq_ignore_ascii_case(name));
    if taken {
        return Err(Failure::new(ErrorCode::VaultNameTaken, format!("The name '{name}' is already in use.")));
    }
    Ok(())
}

/// Key names: 1-127 letters, digits and hyphens.
pub fn key_name(name: &str) -> Result<(), Failure> {
    let valid =
        (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(Failure::new(ErrorCode::InvalidKeyName, format!("'{name}' is not a valid key name.")))
    }
}

/// Key type and size: RSA/RSA-HSM at 2048/3072/4096, EC at 256 (P-256). `oct` is not offered.
pub fn key_type_and_size(key_type: KeyType, size: u16) -> Result<(), Failure> {
    let valid = match key_type {
        KeyType::Rsa | KeyType::RsaHsm => RSA_SIZES.contains(&size),
        KeyType::Ec => size == 256,
        KeyType::Oct => false,
    };
    if valid {
        Ok(())
    } else {
        Err(Failure::new(
            ErrorCode::InvalidKeySize,
            format!("{} keys of size {size} are not offered.", key_type.label()),
        ))
    }
}

/// The last instant a date may name: 9999-12-31T23:59:59Z (a date in year 275,000 is a typo,
/// and no page can show it).
pub const LAST_DATE: i64 = 253_402_300_799;

/// Activation and expiry dates between 1970 and the end of year 9999, the expiry not before
/// the activation: such a version could never be used.
pub fn dates(attributes: &crate::api::VersionAttributes) -> Result<(), Failure> {
    for date in [attributes.nbf, attributes.exp].into_iter().flatten() {
        if !(0..=LAST_DATE).contains(&date.0) {
            return Err(Failure::new(
                ErrorCode::InvalidDate,
                format!("{} is not a date between 1970 and 9999.", date.0),
            ));
        }
    }
    if let (Some(nbf), Some(exp)) = (attributes.nbf, attributes.exp)
        && exp < nbf
    {
        return Err(Failure::new(
            ErrorCode::DatesOutOfOrder,
            format!(
                "The expiry ({}) is before the activation date ({}): the version could never be used.",
                exp.rfc3339(),
                nbf.rfc3339()
            ),
        ));
    }
    Ok(())
}

/// Retention between 7 and 90 days.
pub fn retention(days: u16) -> Result<(), Failure> {
    if RETENTION_DAYS.contains(&days) {
        Ok(())
    } else {
        Err(Failure::new(ErrorCode::InvalidRetention, format!("{days} days is outside 7-90.")))
    }
}

/// Display names of identities and orders: 1-64 characters, not blank.
pub fn display_name(name: &str) -> Result<(), Failure> {
    let count = name.chars().count();
    if (1..=64).contains(&count) && !name.trim().is_empty() {
        Ok(())
    } else {
        Err(Failure::new(ErrorCode::InvalidName, "Names must have 1-64 characters."))
    }
}

/// A parsed key vault URI (optionally pointing at a key and version).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultUri {
    /// Vault name (the first host label).
    pub vault: String,
    /// Key name, if the path names one.
    pub key: Option<String>,
    /// Version id, if the path names one.
    pub version: Option<String>,
}

/// Parses `https://{vault}.vault.azure.net[/keys/{key}[/{version}]]` for the API path.
///
/// Checks, in order: the URI parses at all (`SsemUserErrorInvalidKeyVaultUrl`), the scheme is
/// https (`SsemUserErrorKeyVaultUrlWithInvalidScheme`), the host belongs to `cloud`
/// (`SsemUserErrorKeyVaultUrlInvalidHost`), then the vault label and path are well formed.
pub fn parse_vault_uri(uri: &str, cloud: Cloud) -> Result<VaultUri, Failure> {
    let invalid =
        || Failure::new(ErrorCode::InvalidKeyVaultUrl, format!("'{uri}' is not a valid key vault URI."));
    let (scheme, rest) = uri.trim().split_once("://").ok_or_else(invalid)?;
    let scheme_ok =
        !scheme.is_empty() && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok {
        return Err(invalid());
    }
    let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    let host = host_of(authority).ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(Failure::new(
            ErrorCode::KeyVaultUrlWithInvalidScheme,
            "Only https is supported for key vault URIs.",
        ));
    }
    let vault = host.strip_suffix(cloud.vault_host_suffix()).ok_or_else(|| {
        Failure::new(
            ErrorCode::KeyVaultUrlInvalidHost,
            format!("'{host}' is not a key vault host in this cloud."),
        )
    })?;
    vault_name(vault).map_err(|_| invalid())?;
    let (key, version) = key_path(path).ok_or_else(invalid)?;
    Ok(VaultUri { vault: vault.to_string(), key, version })
}

/// The lowercase host of an authority (`host[:port]`), without user info.
fn host_of(authority: &str) -> Option<String> {
    if authority.contains('@') {
        return None;
    }
    let (host, port) = authority.split_once(':').unwrap_or((authority, "443"));
    let host_ok =
        !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    let port_ok = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    (host_ok && port_ok).then(|| host.to_ascii_lowercase())
}

/// `""`, `"/"`, `"/keys/{key}"` or `"/keys/{key}/{version}"` (trailing slash allowed).
fn key_path(path: &str) -> Option<(Option<String>, Option<String>)> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => Some((None, None)),
        ["keys", key] if key_name(key).is_ok() => Some((Some(key.to_string()), None)),
        ["keys", key, version] if key_name(key).is_ok() && is_version_id(version) => {
            Some((Some(key.to_string()), Some(version.to_string())))
        }
        _ => None,
    }
}

/// Version ids are 32 lowercase hex characters.
pub fn is_version_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_before_the_activation_date_is_refused() {
        use crate::api::VersionAttributes;
        use crate::model::Timestamp;
        let at = |nbf: i64, exp: i64| VersionAttributes {
            enabled: true,
            nbf: Some(Timestamp(nbf)),
            exp: Some(Timestamp(exp)),
        };
        let refused = dates(&at(2_000_000_000, 1_900_000_000)).unwrap_err();
        assert_eq!(refused.code, ErrorCode::DatesOutOfOrder);
        assert!(refused.message.contains("before the activation date"), "{}", refused.message);
        assert!(dates(&at(1_900_000_000, 2_000_000_000)).is_ok());
        assert!(dates(&at(1_900_000_000, 1_900_000_000)).is_ok(), "valid for one instant");
        assert!(
            dates(&VersionAttributes { exp: Some(Timestamp(5)), ..VersionAttributes::default() }).is_ok()
        );
    }

    fn code_of(uri: &str, cloud: Cloud) -> Option<ErrorCode> {
        parse_vault_uri(uri, cloud).err().map(|f| f.code)
    }

    #[test]
    fn vault_names() {
        for ok in ["abc", "contoso-kv", "A1-b2-c3", "abcdefghijklmnopqrstuvwx"] {
            assert!(vault_name(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "1abc", "-abc", "abc-", "a--b", "abc_d", "abcdefghijklmnopqrstuvwxy", "ab c", ""] {
            assert_eq!(vault_name(bad).unwrap_err().code, ErrorCode::InvalidVaultName, "{bad}");
        }
    }

    #[test]
    fn key_sizes_and_retention() {
        assert!(key_type_and_size(KeyType::Rsa, 2048).is_ok());
        assert!(key_type_and_size(KeyType::RsaHsm, 4096).is_ok());
        assert!(key_type_and_size(KeyType::Ec, 256).is_ok());
        assert!(key_type_and_size(KeyType::Rsa, 1024).is_err());
        assert!(key_type_and_size(KeyType::Oct, 256).is_err());
        assert!(retention(7).is_ok() && retention(90).is_ok());
        assert_eq!(retention(6).unwrap_err().code, ErrorCode::InvalidRetention);
        assert!(retention(91).is_err());
    }

    #[test]
    fn vault_uris() {
        let good = "https://contoso-kv.vault.azure.net/keys/k1/0123456789abcdef0123456789abcdef";
        let parsed = parse_vault_uri(good, Cloud::Public).unwrap();
        assert_eq!(parsed.vault, "contoso-kv");
        assert_eq!(parsed.key.as_deref(), Some("k1"));
        assert!(parsed.version.is_some());
        assert!(parse_vault_uri("https://contoso-kv.vault.azure.net/", Cloud::Public).is_ok());
        assert!(parse_vault_uri("HTTPS://Contoso-KV.VAULT.AZURE.NET:443", Cloud::Public).is_ok());
        assert!(parse_vault_uri("https://gov-kv.vault.usgovcloudapi.net", Cloud::Government).is_ok());
    }

    #[test]
    fn vault_uri_failures() {
        use ErrorCode::*;
        let public = Cloud::Public;
        assert_eq!(code_of("contoso-kv.vault.azure.net", public), Some(InvalidKeyVaultUrl));
        assert_eq!(code_of("https://", public), Some(InvalidKeyVaultUrl));
        assert_eq!(code_of("https://contoso-kv.vault.azure.net/secrets/x", public), Some(InvalidKeyVaultUrl));
        assert_eq!(code_of("https://a_b.vault.azure.net", public), Some(InvalidKeyVaultUrl));
        assert_eq!(code_of("http://contoso-kv.vault.azure.net", public), Some(KeyVaultUrlWithInvalidScheme));
        assert_eq!(code_of("ftp://contoso-kv.vault.azure.net", public), Some(KeyVaultUrlWithInvalidScheme));
        assert_eq!(code_of("https://contoso-kv.example.com", public), Some(KeyVaultUrlInvalidHost));
        assert_eq!(code_of("https://vault.azure.net", public), Some(KeyVaultUrlInvalidHost));
        assert_eq!(
            code_of("https://contoso-kv.vault.azure.net", Cloud::Government),
            Some(KeyVaultUrlInvalidHost)
        );
        assert_eq!(code_of("https://kv.vault.usgovcloudapi.net", public), Some(KeyVaultUrlInvalidHost));
    }
}
