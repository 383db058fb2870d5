//! The audit trail: an append-only record of every security-relevant event (who did what to
//! which subject, from where, and how it ended), never carrying a secret.
//!
//! Entries are chained: each carries the hash of the one before it, and its own hash covers its
//! content and that link. Editing, removing or reordering a stored entry breaks the chain at
//! that point, which [`AuditTrail::verify`] reports.
//!
//! The chain alone cannot show entries cut off its end: what is left still links up. So the
//! server also keeps the head (the last position and its hash) sealed under a key derived from
//! its master key ([`Anchor`]), rewritten in the same transaction as every append. Someone who
//! can write the database but does not hold the master key can then neither cut the trail short,
//! nor add to it, nor edit its last entry without verify naming the first position affected.
//! What it does not prove: a copy of the whole database from an earlier day (trail and sealed
//! head together) still verifies, so keep the head verify reports somewhere else to compare.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::code::ErrorCode;
use crate::crypto::{self, MasterKey, to_hex};
use crate::time::Timestamp;

/// What was done. The wire name (`key.create`) is what the log stores and filters on.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuditAction {
    #[serde(rename = "session.sign_in")]
    SignIn,
    #[serde(rename = "session.sign_out")]
    SignOut,
    #[serde(rename = "account.password_change")]
    PasswordChange,
    #[serde(rename = "order.create")]
    OrderCreate,
    #[serde(rename = "order.device_password")]
    DevicePasswordDisclosure,
    #[serde(rename = "order.identity_change")]
    OrderIdentityChange,
    #[serde(rename = "encryption.save")]
    EncryptionSave,
    #[serde(rename = "encryption.revert")]
    EncryptionRevert,
    #[serde(rename = "vault.create")]
    VaultCreate,
    #[serde(rename = "vault.update")]
    VaultUpdate,
    #[serde(rename = "vault.access_policy")]
    AccessPolicyChange,
    #[serde(rename = "vault.firewall")]
    FirewallChange,
    #[serde(rename = "vault.delete")]
    VaultDelete,
    #[serde(rename = "vault.recover")]
    VaultRecover,
    #[serde(rename = "vault.purge")]
    VaultPurge,
    #[serde(rename = "key.create")]
    KeyCreate,
    #[serde(rename = "key.rotate")]
    KeyRotate,
    #[serde(rename = "key.version_update")]
    KeyVersionUpdate,
    #[serde(rename = "key.rotation_policy")]
    KeyRotationPolicy,
    #[serde(rename = "key.register")]
    KeyRegister,
    #[serde(rename = "api_key.create")]
    ApiKeyCreate,
    #[serde(rename = "api_key.revoke")]
    ApiKeyRevoke,
    #[serde(rename = "key.delete")]
    KeyDelete,
    #[serde(rename = "key.recover")]
    KeyRecover,
    #[serde(rename = "key.purge")]
    KeyPurge,
    #[serde(rename = "identity.create")]
    IdentityCreate,
    #[serde(rename = "identity.delete")]
    IdentityDelete,
    #[serde(rename = "subscription.move")]
    TenantMove,
    #[serde(rename = "fix.apply")]
    FixApply,
    #[serde(rename = "device.rollover_authorize")]
    RolloverAuthorize,
    #[serde(rename = "device.key_change")]
    RolloverInitiate,
    #[serde(rename = "device.key_update")]
    DeviceKeyUpdate,
    #[serde(rename = "device.update")]
    DeviceUpdate,
    #[serde(rename = "device.connectivity")]
    DeviceConnectivity,
    #[serde(rename = "master_key.rekey")]
    MasterKeyRekey,
    #[serde(rename = "key_provider.change")]
    KeyProviderChange,
    #[serde(rename = "stamp.secret_rotation")]
    SecretRotation,
    #[serde(rename = "stamp.bmc_credential")]
    BmcCredentialChange,
    #[serde(rename = "stamp.change")]
    StampChange,
    #[serde(rename = "key.wrap")]
    KeyWrap,
    #[serde(rename = "key.unwrap")]
    KeyUnwrap,
    #[serde(rename = "access.role_assignment")]
    RoleAssignmentChange,
    #[serde(rename = "access.account")]
    AccountChange,
    #[serde(rename = "access.session")]
    SessionRevoke,
    #[serde(rename = "stamp.certificate_share")]
    CertificateShareIssue,
    #[serde(rename = "key_provider.test")]
    KeyProviderTest,
    #[serde(rename = "clock.advance")]
    ClockAdvance,
    #[serde(rename = "operation.step")]
    OperationStep,
}

impl AuditAction {
    /// Every action, in the order the Activity log's filter lists them.
    pub const ALL: [AuditAction; 48] = [
        AuditAction::SignIn,
        AuditAction::SignOut,
        AuditAction::PasswordChange,
        AuditAction::OrderCreate,
        AuditAction::DevicePasswordDisclosure,
        AuditAction::OrderIdentityChange,
        AuditAction::EncryptionSave,
        AuditAction::EncryptionRevert,
        AuditAction::VaultCreate,
        AuditAction::VaultUpdate,
        AuditAction::AccessPolicyChange,
        AuditAction::FirewallChange,
        AuditAction::VaultDelete,
        AuditAction::VaultRecover,
        AuditAction::VaultPurge,
        AuditAction::KeyCreate,
        AuditAction::KeyRotate,
        AuditAction::KeyVersionUpdate,
        AuditAction::KeyRotationPolicy,
        AuditAction::KeyRegister,
        AuditAction::KeyDelete,
        AuditAction::KeyRecover,
        AuditAction::KeyPurge,
        AuditAction::IdentityCreate,
        AuditAction::IdentityDelete,
        AuditAction::TenantMove,
        AuditAction::FixApply,
        AuditAction::RolloverAuthorize,
        AuditAction::RolloverInitiate,
        AuditAction::DeviceKeyUpdate,
        AuditAction::DeviceUpdate,
        AuditAction::DeviceConnectivity,
        AuditAction::ApiKeyCreate,
        AuditAction::ApiKeyRevoke,
        AuditAction::MasterKeyRekey,
        AuditAction::KeyProviderChange,
        AuditAction::SecretRotation,
        AuditAction::BmcCredentialChange,
        AuditAction::StampChange,
        AuditAction::KeyWrap,
        AuditAction::KeyUnwrap,
        AuditAction::RoleAssignmentChange,
        AuditAction::AccountChange,
        AuditAction::SessionRevoke,
        AuditAction::CertificateShareIssue,
        AuditAction::KeyProviderTest,
        AuditAction::ClockAdvance,
        AuditAction::OperationStep,
    ];

    /// What the Activity log shows.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::SignIn => "Sign in",
            AuditAction::SignOut => "Sign out",
            AuditAction::PasswordChange => "Change password",
            AuditAction::OrderCreate => "Create order",
            AuditAction::DevicePasswordDisclosure => "Show device password",
            AuditAction::OrderIdentityChange => "Change order identities",
            AuditAction::EncryptionSave => "Save encryption settings",
            AuditAction::EncryptionRevert => "Revert encryption settings",
            AuditAction::VaultCreate => "Create key vault",
            AuditAction::VaultUpdate => "Change key vault properties",
            AuditAction::AccessPolicyChange => "Change access policy",
            AuditAction::FirewallChange => "Change firewall",
            AuditAction::VaultDelete => "Delete key vault",
            AuditAction::VaultRecover => "Recover key vault",
            AuditAction::VaultPurge => "Purge key vault",
            AuditAction::KeyCreate => "Create or import key",
            AuditAction::KeyRotate => "Rotate key (new version)",
            AuditAction::KeyVersionUpdate => "Change key version",
            AuditAction::KeyRotationPolicy => "Set rotation policy",
            AuditAction::KeyRegister => "Register or remove a resource with a key",
            AuditAction::ApiKeyCreate => "Create API key",
            AuditAction::ApiKeyRevoke => "Revoke API key",
            AuditAction::KeyDelete => "Delete key",
            AuditAction::KeyRecover => "Recover key",
            AuditAction::KeyPurge => "Purge key",
            AuditAction::IdentityCreate => "Create managed identity",
            AuditAction::IdentityDelete => "Delete managed identity",
            AuditAction::TenantMove => "Move subscription to another tenant",
            AuditAction::FixApply => "Apply one-click fix",
            AuditAction::RolloverAuthorize => "Authorize key rollover",
            AuditAction::RolloverInitiate => "Change service data encryption key",
            AuditAction::DeviceKeyUpdate => "Update service data encryption key",
            AuditAction::DeviceUpdate => "Change device settings",
            AuditAction::DeviceConnectivity => "Set device online or offline",
            AuditAction::MasterKeyRekey => "Rekey the master key",
            AuditAction::KeyProviderChange => "Add or remove a key provider",
            AuditAction::SecretRotation => "Start a secret rotation",
            AuditAction::BmcCredentialChange => "Change the BMC credential",
            AuditAction::StampChange => "Add or update a stamp",
            AuditAction::KeyWrap => "Wrap with a key",
            AuditAction::KeyUnwrap => "Unwrap with a key (releases key material)",
            AuditAction::RoleAssignmentChange => "Add or remove a role assignment",
            AuditAction::AccountChange => "Create, disable, enable or delete an account",
            AuditAction::SessionRevoke => "Revoke a session",
            AuditAction::CertificateShareIssue => {
                "Issue a certificate share (certificates with private keys)"
            }
            AuditAction::KeyProviderTest => "Test a key provider",
            AuditAction::ClockAdvance => "Move the test clock",
            AuditAction::OperationStep => "Operation step",
        }
    }
}

/// An event to record: everything but its place in the chain.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// When it happened.
    pub at: Timestamp,
    /// Who: the signed-in user, or the user name tried at a failed sign-in.
    pub actor: String,
    /// Where from: the client's network address.
    pub source: String,
    /// What.
    pub action: AuditAction,
    /// What it was done to, as an API path (`vaults/contoso-kv/keys/databox-key`).
    pub subject: String,
    /// `None` when it succeeded; the error code it failed with otherwise.
    pub failure: Option<ErrorCode>,
}

/// A recorded event in its place in the chain.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// Who.
    pub actor: String,
    /// From which network address.
    pub source: String,
    /// What.
    pub action: AuditAction,
    /// To what.
    pub subject: String,
    /// `None` when it succeeded; the error code otherwise.
    pub failure: Option<ErrorCode>,
    /// The hash of the entry before (64 zeros for the first).
    pub prev_hash: String,
    /// This entry's hash (hex SHA-256 over its content and `prev_hash`).
    pub hash: String,
}

/// The hash the first entry links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AuditEntry {
    /// `record` placed after `prev` (none: the first entry).
    pub fn seal(prev: Option<&AuditEntry>, record: AuditRecord) -> AuditEntry {
        match prev {
            Some(prev) => Self::seal_after(prev.seq, &prev.hash, record),
            None => Self::seal_after(0, GENESIS, record),
        }
    }

    /// The entry that follows position `seq` whose hash is `hash` (0 and [`GENESIS`] before
    /// the first): chaining needs nothing else of the entry before.
    pub fn seal_after(seq: u64, hash: &str, record: AuditRecord) -> AuditEntry {
        let (seq, prev_hash) = (seq + 1, hash.to_owned());
        let AuditRecord { at, actor, source, action, subject, failure } = record;
        let mut entry =
            AuditEntry { seq, at, actor, source, action, subject, failure, prev_hash, hash: String::new() };
        entry.hash = entry.content_hash();
        entry
    }

    /// The hash this entry's content and link call for.
    pub fn content_hash(&self) -> String {
        // Serialised without its own hash; field order is fixed, so the text is canonical.
        let content = AuditEntry { hash: String::new(), ..self.clone() };
        let text = serde_json::to_string(&content).unwrap_or_default();
        to_hex(&Sha256::digest(text.as_bytes()))
    }
}

/// The whole log, oldest first, and what vouches for its head. Cheap to clone (persistent
/// vector of shared entries). Two trails are equal when their entries are.
#[derive(Clone, Debug, Default)]
pub struct AuditTrail {
    entries: imbl::Vector<Arc<AuditEntry>>,
    anchoring: Anchoring,
    /// Set on a part of a trail read for one page ([`AuditTrail::window`]): the whole
    /// trail's status, as the store checked it.
    checked: Option<ChainStatus>,
}

impl PartialEq for AuditTrail {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

/// The trail's head, sealed under a key derived from the master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// The last position (0 for an empty trail).
    pub seq: u64,
    /// Its hash ([`GENESIS`] for an empty trail).
    pub hash: String,
    /// The code over both.
    pub seal: String,
}

/// What the code of an [`Anchor`] is derived for.
const ANCHOR_PURPOSE: &str = "audit anchor";

impl Anchor {
    /// The head at `seq` with `hash`, sealed.
    pub fn seal(master: &MasterKey, seq: u64, hash: &str) -> Anchor {
        let seal = crypto::authenticate(master, ANCHOR_PURPOSE, Self::message(seq, hash).as_bytes());
        Anchor { seq, hash: hash.to_owned(), seal }
    }

    fn message(seq: u64, hash: &str) -> String {
        format!("{seq}\0{hash}")
    }

    /// Whether the seal was made with `master`.
    pub fn is_authentic(&self, master: &MasterKey) -> bool {
        crypto::is_authentic(
            master,
            ANCHOR_PURPOSE,
            Self::message(self.seq, &self.hash).as_bytes(),
            &self.seal,
        )
    }
}

/// Whether a sealed head is kept for a trail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Anchoring {
    /// None is kept (the offline demo: the browser's storage is its user's own).
    #[default]
    NotKept,
    /// One should be, and none was found.
    Missing,
    /// This one.
    Kept(Anchor),
}

impl Serialize for AuditTrail {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for AuditTrail {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = Vec::<AuditEntry>::deserialize(deserializer)?;
        let mut trail = AuditTrail::default();
        trail.extend(entries);
        Ok(trail)
    }
}

/// Whether the chain is intact.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainStatus {
    /// Entries in the log.
    pub entries: u64,
    /// Whether every entry links to the one before and matches its hash, and the trail ends
    /// where its sealed head says.
    pub intact: bool,
    /// The first position where the chain breaks (an entry edited, removed, reordered, cut off
    /// the end or added outside Keyblade).
    pub broken_at: Option<u64>,
    /// How many entries the sealed head vouches for; none where no head is kept (the offline
    /// demo) or it cannot be trusted.
    #[serde(default)]
    pub sealed: Option<u64>,
    /// The last entry's hash: note it somewhere else to tell later that no earlier copy of the
    /// whole database was put back.
    #[serde(default)]
    pub head: Option<String>,
    /// What is wrong, in words, when the chain is not intact.
    #[serde(default)]
    pub problem: Option<String>,
}

impl AuditTrail {
    /// Part of a trail, read for one page: at least the entries the page shows and the one
    /// after them (newest first or in any order), with the whole trail's status as checked
    /// where it is stored. A trail too long to hold is paged this way.
    pub fn window(entries: impl IntoIterator<Item = AuditEntry>, chain: ChainStatus) -> AuditTrail {
        let mut entries: Vec<AuditEntry> = entries.into_iter().collect();
        entries.sort_by_key(|e| e.seq);
        AuditTrail {
            entries: entries.into_iter().map(Arc::new).collect(),
            anchoring: Anchoring::default(),
            checked: Some(chain),
        }
    }

    /// The last entry.
    pub fn last(&self) -> Option<&AuditEntry> {
        self.entries.back().map(Arc::as_ref)
    }

    /// Appends `record` after the last entry.
    pub fn append(&mut self, record: AuditRecord) {
        let entry = AuditEntry::seal(self.last(), record);
        self.entries.push_back(Arc::new(entry));
    }

    /// Appends entries already sealed (as read from storage).
    pub fn extend(&mut self, entries: impl IntoIterator<Item = AuditEntry>) {
        self.entries.extend(entries.into_iter().map(Arc::new));
    }

    /// Says what vouches for the head (as read from storage).
    pub fn set_anchoring(&mut self, anchoring: Anchoring) {
        self.anchoring = anchoring;
    }

    /// The current head, sealed under `master` (what a store seals as it appends).
    #[cfg(test)]
    pub fn head_anchor(&self, master: &MasterKey) -> Anchor {
        let (seq, hash) = self.last().map_or((0, GENESIS), |last| (last.seq, last.hash.as_str()));
        Anchor::seal(master, seq, hash)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &AuditEntry> {
        self.entries.iter().map(Arc::as_ref)
    }

    /// Checks every link and hash from the first entry, then the end of the trail against its
    /// sealed head (opened with `master`).
    pub fn verify(&self, master: &MasterKey) -> ChainStatus {
        let mut check = ChainCheck::new(self.anchoring.clone());
        self.iter().for_each(|entry| check.feed(entry));
        check.status(master)
    }

    /// A page of entries, the most recent first, matching `query`; the chain checked with
    /// `master`.
    pub fn page(&self, query: &AuditQuery, master: &MasterKey) -> AuditPage {
        let limit = query.limit.clamp(1, AuditQuery::MAX_LIMIT) as usize;
        // (Bounds are checked by `AuditQuery::check` before a page is asked for.)
        let subject = query.subject.as_deref().map(str::to_ascii_lowercase);
        let mut matching = self.iter().rev().filter(|e| {
            query.before.is_none_or(|before| e.seq < before)
                && query.action.is_none_or(|action| e.action == action)
                && subject.as_deref().is_none_or(|s| e.subject.to_ascii_lowercase().contains(s))
        });
        let entries: Vec<AuditEntry> = matching.by_ref().take(limit).cloned().collect();
        let next_before = match matching.next() {
            Some(_) => entries.last().map(|e| e.seq),
            None => None,
        };
        let chain = self.checked.clone().unwrap_or_else(|| self.verify(master));
        AuditPage { entries, next_before, chain }
    }
}

/// The chain checked one entry at a time, in order: [`AuditTrail::verify`] over a trail in
/// memory, and a server over one read from storage a piece at a time, holding none of it.
pub struct ChainCheck {
    anchoring: Anchoring,
    /// The last entry fed: its position and hash.
    last: Option<(u64, String)>,
    len: u64,
    /// The first position where an entry does not link up.
    unlinked: Option<u64>,
    /// The hash of the entry at the sealed head's position, once passed.
    at_anchor: Option<String>,
}

impl ChainCheck {
    /// A check against the sealed head `anchoring` describes (read with the last entries).
    pub fn new(anchoring: Anchoring) -> ChainCheck {
        ChainCheck { anchoring, last: None, len: 0, unlinked: None, at_anchor: None }
    }

    /// The next entry of the trail.
    pub fn feed(&mut self, entry: &AuditEntry) {
        let (seq, link) = self.last.as_ref().map_or((1, GENESIS), |(seq, hash)| (seq + 1, hash.as_str()));
        let sound = entry.seq == seq && entry.prev_hash == link && entry.hash == entry.content_hash();
        if !sound && self.unlinked.is_none() {
            self.unlinked = Some(seq);
        }
        self.len += 1;
        if let Anchoring::Kept(anchor) = &self.anchoring
            && anchor.seq == self.len
        {
            self.at_anchor = Some(entry.hash.clone());
        }
        self.last = Some((entry.seq, entry.hash.clone()));
    }

    /// The sealed head as read after the entries fed so far (the trail grows while a long one
    /// is read). The entry at its position is known when it is the one the check began with
    /// or the last one fed.
    pub fn set_anchoring(&mut self, anchoring: Anchoring) {
        if let Anchoring::Kept(anchor) = &anchoring {
            let known = matches!(&self.anchoring, Anchoring::Kept(first) if first.seq == anchor.seq);
            if !known {
                self.at_anchor =
                    self.last.as_ref().filter(|_| anchor.seq == self.len).map(|(_, hash)| hash.clone());
            }
        }
        self.anchoring = anchoring;
    }

    /// The status of everything fed so far.
    pub fn status(&self, master: &MasterKey) -> ChainStatus {
        let (sealed, unsealed) = self.check_head(master);
        let (broken_at, problem) = match (self.unlinked, unsealed) {
            (Some(at), Some((end, _))) if at <= end.unwrap_or(u64::MAX) => (Some(at), Some(edited(at))),
            (_, Some((at, problem))) => (at, Some(problem)),
            (Some(at), None) => (Some(at), Some(edited(at))),
            (None, None) => (None, None),
        };
        ChainStatus {
            entries: self.len,
            intact: problem.is_none(),
            broken_at,
            sealed,
            head: self.last.as_ref().map(|(_, hash)| hash.clone()),
            problem,
        }
    }

    /// The position of the last entry fed (0 before any).
    pub fn last_seq(&self) -> u64 {
        self.last.as_ref().map_or(0, |(seq, _)| *seq)
    }

    /// How many entries the sealed head vouches for, and where and how the trail departs from
    /// it.
    #[allow(clippy::type_complexity)]
    fn check_head(&self, master: &MasterKey) -> (Option<u64>, Option<(Option<u64>, String)>) {
        let len = self.len;
        let anchor = match &self.anchoring {
            Anchoring::NotKept => return (None, None),
            Anchoring::Missing if len == 0 => return (Some(0), None),
            Anchoring::Missing => {
                let problem =
                    "The sealed head of the trail is missing: entries may have been cut off its end.";
                return (None, Some((None, problem.to_owned())));
            }
            Anchoring::Kept(anchor) => anchor,
        };
        if !anchor.is_authentic(master) {
            let problem = "The sealed head of the trail was not sealed with this server's key.";
            return (None, Some((None, problem.to_owned())));
        }
        let departure = if anchor.seq > len {
            let problem = format!(
                "Entries #{} to #{} are missing: the sealed head names {} entries, the trail ends at #{len}.",
                len + 1,
                anchor.seq,
                anchor.seq
            );
            Some((Some(len + 1), problem))
        } else if anchor.seq > 0 && self.at_anchor.as_deref() != Some(anchor.hash.as_str()) {
            Some((
                Some(anchor.seq),
                format!(
                    "Entry #{} does not match the sealed head: entries were removed or replaced from there on.",
                    anchor.seq
                ),
            ))
        } else if len > anchor.seq {
            let first = anchor.seq + 1;
            Some((
                Some(first),
                format!(
                    "Entries from #{first} on were added outside Keyblade: the sealed head ends at #{}.",
                    anchor.seq
                ),
            ))
        } else {
            None
        };
        (Some(anchor.seq), departure)
    }
}

/// The problem of an entry that no longer links up.
fn edited(at: u64) -> String {
    format!(
        "Entry #{at} was edited, removed or reordered outside Keyblade; entries from there on cannot be trusted."
    )
}

/// Which entries to list.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditQuery {
    /// Only entries whose subject contains this text (case-insensitive).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 256))]
    pub subject: Option<String>,
    /// Only entries of this action.
    #[serde(default)]
    pub action: Option<AuditAction>,
    /// Only entries older than this position (the previous page's `next_before`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 9_223_372_036_854_775_807_u64))]
    pub before: Option<u64>,
    /// Entries per page (1-200, default 50).
    #[serde(default = "AuditQuery::default_limit")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 200))]
    pub limit: u32,
}

impl AuditQuery {
    /// The largest page.
    pub const MAX_LIMIT: u32 = 200;
    /// The longest subject filter.
    pub const MAX_SUBJECT: usize = 256;

    /// The query's own bounds: a page of 1-200 entries, a position from 1, a subject filter of at
    /// most 256 characters.
    /// The refusal is the message of an `InvalidRequest`.
    pub fn check(&self) -> Result<(), &'static str> {
        let invalid = |message: &'static str| Err(message);
        if !(1..=Self::MAX_LIMIT).contains(&self.limit) {
            return invalid("`limit` must be between 1 and 200.");
        }
        if self.before.is_some_and(|b| b == 0 || b > i64::MAX as u64) {
            return invalid("`before` is a position in the log, from 1.");
        }
        if self.subject.as_ref().is_some_and(|s| s.chars().count() > Self::MAX_SUBJECT) {
            return invalid("`subject` is at most 256 characters.");
        }
        Ok(())
    }

    fn default_limit() -> u32 {
        50
    }
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery { subject: None, action: None, before: None, limit: Self::default_limit() }
    }
}

/// One page of the log.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// Entries, the most recent first.
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<u64>,
    /// Whether the whole log's chain is intact.
    pub chain: ChainStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: i64) -> AuditRecord {
        AuditRecord {
            at: Timestamp(n),
            actor: "admin".into(),
            source: "127.0.0.1".into(),
            action: AuditAction::KeyCreate,
            subject: format!("vaults/kv/keys/k{n}"),
            failure: None,
        }
    }

    fn master() -> MasterKey {
        MasterKey::from_slice(&[9; 32]).expect("a key")
    }

    fn trail(n: i64) -> AuditTrail {
        let mut trail = AuditTrail::default();
        (1..=n).for_each(|i| trail.append(record(i)));
        trail
    }

    /// `trail` with its head sealed, as the server keeps it.
    fn anchored(trail: AuditTrail) -> AuditTrail {
        let mut anchored = trail.clone();
        anchored.set_anchoring(Anchoring::Kept(trail.head_anchor(&master())));
        anchored
    }

    /// `entries` read back under the head `anchoring`.
    fn stored(entries: Vec<AuditEntry>, anchoring: Anchoring) -> AuditTrail {
        let mut trail = AuditTrail::default();
        trail.extend(entries);
        trail.set_anchoring(anchoring);
        trail
    }

    #[test]
    fn an_untouched_chain_is_intact() {
        let status = trail(5).verify(&master());
        let head = trail(5).last().map(|e| e.hash.clone());
        assert_eq!(
            status,
            ChainStatus { entries: 5, intact: true, broken_at: None, sealed: None, head, problem: None }
        );
        let sealed = anchored(trail(5)).verify(&master());
        assert_eq!((sealed.intact, sealed.sealed), (true, Some(5)));
    }

    #[test]
    fn entries_cut_off_the_end_are_named_by_the_sealed_head() {
        let full = anchored(trail(5));
        let Anchoring::Kept(anchor) = full.anchoring.clone() else { panic!("kept") };
        let entries: Vec<AuditEntry> = full.iter().take(3).cloned().collect();
        let cut = stored(entries.clone(), Anchoring::Kept(anchor.clone()));
        let status = cut.verify(&master());
        assert_eq!((status.intact, status.broken_at, status.sealed), (false, Some(4), Some(5)));
        assert!(status.problem.unwrap_or_default().contains("#4 to #5 are missing"));
        // Without the head, the shortened chain would pass: that is why it is kept.
        assert!(stored(entries.clone(), Anchoring::NotKept).verify(&master()).intact);
        // A head resealed without the master key, or removed, is no way out.
        let forged = Anchor { seq: 3, hash: entries[2].hash.clone(), seal: "0".repeat(64) };
        assert!(!stored(entries.clone(), Anchoring::Kept(forged)).verify(&master()).intact);
        assert!(!stored(entries, Anchoring::Missing).verify(&master()).intact);
    }

    #[test]
    fn entries_added_or_a_last_entry_rewritten_outside_keyblade_show() {
        let full = anchored(trail(3));
        let Anchoring::Kept(anchor) = full.anchoring.clone() else { panic!("kept") };
        let mut entries: Vec<AuditEntry> = full.iter().cloned().collect();
        let mut longer = trail(3);
        longer.append(record(4));
        let added = stored(longer.iter().cloned().collect(), Anchoring::Kept(anchor.clone()));
        assert_eq!(added.verify(&master()).broken_at, Some(4));
        entries[2].subject = "vaults/kv/keys/other".into();
        entries[2].hash = entries[2].content_hash();
        let rewritten = stored(entries, Anchoring::Kept(anchor));
        assert_eq!(rewritten.verify(&master()).broken_at, Some(3));
    }

    #[test]
    fn an_edited_entry_breaks_the_chain_where_it_was_edited() {
        let trail = trail(5);
        let mut entries: Vec<AuditEntry> = trail.iter().cloned().collect();
        entries[2].failure = Some(ErrorCode::Forbidden);
        let mut edited = AuditTrail::default();
        edited.extend(entries);
        assert_eq!(edited.verify(&master()).broken_at, Some(3));
    }

    #[test]
    fn a_removed_entry_breaks_the_chain_even_with_its_hash_recomputed() {
        let trail = trail(5);
        let mut entries: Vec<AuditEntry> = trail.iter().cloned().collect();
        entries.remove(1);
        let mut shortened = AuditTrail::default();
        shortened.extend(entries);
        assert_eq!(shortened.verify(&master()).broken_at, Some(2));
    }

    #[test]
    fn pages_run_newest_first_and_filter() {
        let trail = trail(7);
        let first = trail.page(&AuditQuery { limit: 3, ..AuditQuery::default() }, &master());
        assert_eq!(first.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [7, 6, 5]);
        let second = trail
            .page(&AuditQuery { limit: 3, before: first.next_before, ..AuditQuery::default() }, &master());
        assert_eq!(second.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 3, 2]);
        let last = trail
            .page(&AuditQuery { limit: 3, before: second.next_before, ..AuditQuery::default() }, &master());
        assert_eq!((last.entries.len(), last.next_before), (1, None));
        let k3 =
            trail.page(&AuditQuery { subject: Some("KEYS/K3".into()), ..AuditQuery::default() }, &master());
        assert_eq!(k3.entries.len(), 1);
        let none = trail
            .page(&AuditQuery { action: Some(AuditAction::KeyPurge), ..AuditQuery::default() }, &master());
        assert!(none.entries.is_empty());
    }
}
