//! Who acts and what they were granted: principals, the built-in roles, the scopes a role is
//! assigned at, role assignments and human accounts. The decision itself is
//! [`crate::access::authorize`]; this module is only the data it decides over.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// The account every instance starts with, Owner at the instance.
pub const ADMIN_ACCOUNT: &str = "admin";

/// Who makes a request, on any surface.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(try_from = "String", into = "String")]
pub enum Principal {
    /// A human account, by name (the portal's sign-in, Element's Basic auth).
    User(String),
    /// An API key used as a service principal, by id (Key Protect).
    ApiKey(String),
    /// A managed identity, by principal (object) id (the Key Vault data plane, Data Box).
    Identity(String),
    /// The clock: rotations by policy and other due work.
    System,
    /// A caller that has shown no credential yet: it may only call the routes for anyone (the
    /// credential exchanges).
    Anonymous,
}

impl Principal {
    /// The account `name`.
    pub fn user(name: &str) -> Principal {
        Principal::User(name.to_owned())
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User(name) => write!(f, "user:{name}"),
            Principal::ApiKey(id) => write!(f, "apikey:{id}"),
            Principal::Identity(id) => write!(f, "identity:{id}"),
            Principal::System => f.write_str("system"),
            Principal::Anonymous => f.write_str("anonymous"),
        }
    }
}

impl From<Principal> for String {
    fn from(principal: Principal) -> String {
        principal.to_string()
    }
}

impl TryFrom<String> for Principal {
    type Error = String;
    fn try_from(text: String) -> Result<Principal, String> {
        text.parse()
    }
}

impl std::str::FromStr for Principal {
    type Err = String;
    fn from_str(text: &str) -> Result<Principal, String> {
        let named = |name: &str| {
            let valid =
                !name.is_empty() && name.chars().count() <= 128 && !name.chars().any(char::is_control);
            valid.then(|| name.to_owned()).ok_or_else(|| format!("'{text}' names no principal."))
        };
        match text.split_once(':') {
            _ if text == "system" => Ok(Principal::System),
            _ if text == "anonymous" => Ok(Principal::Anonymous),
            Some(("user", name)) => named(name).map(Principal::User),
            Some(("apikey", id)) => named(id).map(Principal::ApiKey),
            Some(("identity", id)) => named(id).map(Principal::Identity),
            _ => Err(format!(
                "'{text}' is not a principal: write user:<name>, apikey:<id>, identity:<principal id> or system."
            )),
        }
    }
}

/// A built-in role. Each grants a fixed set of [`Action`]s.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// Everything, including accounts, API keys and role assignments.
    Owner,
    /// Create, rotate, set policies, delete, recover and purge keys; registrations; use keys.
    KeyAdministrator,
    /// Use keys (wrap, unwrap, rewrap, device passwords) and read metadata; no management.
    CryptoUser,
    /// Metadata only: never key material, device passwords, secrets or API key values.
    Reader,
    /// Read and verify the audit trail, nothing else.
    Auditor,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 5] =
        [Role::Owner, Role::KeyAdministrator, Role::CryptoUser, Role::Reader, Role::Auditor];

    /// What the portal calls it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::KeyAdministrator => "Key Administrator",
            Role::CryptoUser => "Crypto User",
            Role::Reader => "Reader",
            Role::Auditor => "Auditor",
        }
    }

    /// The same role in Azure's and in Key Protect's terms.
    pub fn anchors(self) -> (&'static str, &'static str) {
        match self {
            Role::Owner => ("Owner", "Administrator (platform) + Manager"),
            Role::KeyAdministrator => ("Key Vault Administrator", "Manager"),
            Role::CryptoUser => ("Key Vault Crypto User", "Writer"),
            Role::Reader => ("Reader", "Reader"),
            Role::Auditor => ("Log Analytics Reader (audit only)", "Auditor (Activity Tracker)"),
        }
    }

    /// The actions it grants.
    pub fn actions(self) -> &'static [Action] {
        use Action::*;
        match self {
            Role::Owner => &[Read, Use, Manage, Audit, Administer],
            Role::KeyAdministrator => &[Read, Use, Manage],
            Role::CryptoUser => &[Read, Use],
            Role::Reader => &[Read],
            Role::Auditor => &[Audit],
        }
    }

    /// Whether it grants `action`.
    pub fn grants(self, action: Action) -> bool {
        self.actions().contains(&action)
    }

    /// The role a name (its variant or its label, any case) stands for.
    pub fn named(name: &str) -> Option<Role> {
        let wanted: String = name.chars().filter(|c| !c.is_whitespace()).collect();
        Role::ALL.into_iter().find(|role| {
            let label: String = role.label().chars().filter(|c| !c.is_whitespace()).collect();
            label.eq_ignore_ascii_case(&wanted)
        })
    }
}

/// What a request does, as far as access is concerned. Each endpoint declares one.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Action {
    /// Read metadata.
    Read,
    /// Release or produce key material, a device password or another secret.
    Use,
    /// Change keys, vaults, orders, devices, stamps and the other resources.
    Manage,
    /// Read and verify the audit trail.
    Audit,
    /// Manage accounts, API keys and role assignments.
    Administer,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 5] =
        [Action::Read, Action::Use, Action::Manage, Action::Audit, Action::Administer];

    /// In a sentence: "may not {verb}".
    pub fn verb(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Use => "use keys or read secrets",
            Action::Manage => "manage resources",
            Action::Audit => "read the audit trail",
            Action::Administer => "manage access",
        }
    }

    /// The roles that grant it.
    pub fn roles(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |role| role.grants(self))
    }
}

/// Where a role applies: the instance, or one resource and everything in it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(try_from = "String", into = "String")]
pub enum Scope {
    /// Everything (`/`).
    Instance,
    /// A subscription and its resource groups (`/subscriptions/{id}`).
    Subscription(String),
    /// A resource group and its vaults, orders and identities (`/resourceGroups/{name}`).
    ResourceGroup(String),
    /// A key vault and its keys (`/vaults/{name}`).
    Vault(String),
    /// One key (`/vaults/{vault}/keys/{key}`).
    Key(String, String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Instance => f.write_str("/"),
            Scope::Subscription(id) => write!(f, "/subscriptions/{id}"),
            Scope::ResourceGroup(name) => write!(f, "/resourceGroups/{name}"),
            Scope::Vault(name) => write!(f, "/vaults/{name}"),
            Scope::Key(vault, key) => write!(f, "/vaults/{vault}/keys/{key}"),
        }
    }
}

impl From<Scope> for String {
    fn from(scope: Scope) -> String {
        scope.to_string()
    }
}

impl TryFrom<String> for Scope {
    type Error = String;
    fn try_from(text: String) -> Result<Scope, String> {
        text.parse()
    }
}

impl std::str::FromStr for Scope {
    type Err = String;
    fn from_str(text: &str) -> Result<Scope, String> {
        let segments: Vec<&str> = text.trim_end_matches('/').split('/').skip(1).collect();
        let ok = |s: &str| !s.is_empty() && s.chars().count() <= 128;
        let scope = match segments.as_slice() {
            [] => Some(Scope::Instance),
            ["subscriptions", id] if ok(id) => Some(Scope::Subscription((*id).to_owned())),
            ["resourceGroups", name] if ok(name) => Some(Scope::ResourceGroup((*name).to_owned())),
            ["vaults", name] if ok(name) => Some(Scope::Vault((*name).to_owned())),
            ["vaults", vault, "keys", key] if ok(vault) && ok(key) => {
                Some(Scope::Key((*vault).to_owned(), (*key).to_owned()))
            }
            _ => None,
        };
        scope.filter(|_| text.starts_with('/')).ok_or_else(|| {
            format!(
                "'{text}' is not a scope: write /, /subscriptions/<id>, /resourceGroups/<name>, \
                 /vaults/<name> or /vaults/<name>/keys/<key>."
            )
        })
    }
}

/// A role given to a principal at a scope.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleAssignment {
    /// Id (hex).
    pub id: String,
    /// Who.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "user:admin"))]
    pub principal: Principal,
    /// Which role.
    pub role: Role,
    /// Where.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "/vaults/contoso-kv"))]
    pub scope: Scope,
    /// When it was given (the audit trail says by whom).
    pub created: Timestamp,
}

/// A human account. Its password hash is kept by the server's credential store, never here.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    /// Sign-in name.
    pub name: String,
    /// A disabled account cannot sign in, and its sessions and cached credentials end.
    pub enabled: bool,
    /// Created.
    pub created: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals_and_scopes_read_back_what_they_write() {
        for text in ["user:admin", "apikey:0a1b", "identity:ff00", "system"] {
            assert_eq!(text.parse::<Principal>().map(|p| p.to_string()), Ok(text.to_owned()));
        }
        for text in ["/", "/subscriptions/s1", "/resourceGroups/rg", "/vaults/kv", "/vaults/kv/keys/k"] {
            assert_eq!(text.parse::<Scope>().map(|s| s.to_string()), Ok(text.to_owned()));
        }
        for bad in ["", "admin", "user:", "robot:x"] {
            assert!(bad.parse::<Principal>().is_err(), "{bad}");
        }
        for bad in ["", "vaults/kv", "/vaults", "/vaults/kv/keys", "/disks/d1", "/vaults//keys/k"] {
            assert!(bad.parse::<Scope>().is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_are_named_by_variant_or_label() {
        assert_eq!(Role::named("Key Administrator"), Some(Role::KeyAdministrator));
        assert_eq!(Role::named("cryptouser"), Some(Role::CryptoUser));
        assert_eq!(Role::named("Contributor"), None);
        assert!(Action::ALL.iter().all(|a| Role::Owner.grants(*a)));
        assert!(!Role::Reader.grants(Action::Use) && !Role::Auditor.grants(Action::Read));
    }
}
